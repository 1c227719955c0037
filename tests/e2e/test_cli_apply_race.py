"""`partyflow apply` for one person from two processes at once (two clerks, a script run twice),
on SQLite and PostgreSQL: one application; the other process exits 2 (a refusal) with the words a later
`apply` gets (已有进行中的入党申请…), no traceback. Which one wins is up to the database — the
assertions hold either way (no sleeps: both run to their end)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from services.app import App
from tests.e2e import Cli, world

PARTYFLOW = Path(sys.executable).with_name("partyflow")


def test_two_processes_apply_for_one_person(db_url, tmp_path):
    cli = Cli(db_url)
    w = world(cli)
    env = {k: v for k, v in os.environ.items() if k != "PARTYFLOW_DATABASE_URL"}
    argv = [str(PARTYFLOW), "--db", db_url, "apply", "--person", str(w.applicant), "--branch", w.branch,
            "--date", "2018-03-01", "--by", "红星村支书"]
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL) for _ in range(2)]
    outs = [(p.wait(timeout=120), p.stdout.read().decode()) for p in procs]
    for p in procs:
        p.stdout.close()
    assert sorted(code for code, _ in outs) == [0, 2], outs  # 2: a refusal (docs/cli.md)
    won = next(out for code, out in outs if code == 0)
    lost = next(out for code, out in outs if code == 2)
    assert "已登记入党申请（2018-03-01）" in won
    assert "已有进行中的入党申请（2018-03-01 递交）" in lost and "Traceback" not in lost
    app = App.open(db_url, migrate=False)
    try:
        with app.uow(read_only=True) as uow:
            assert len(uow.candidates.for_person(w.applicant)) == 1
    finally:
        app.close()
