"""The benchmark's own paths do what they claim (correctness only, never timing)."""
import sqlite3

from bench.partyflow_steps import OFFSETS, partyflow_steps
from bench.schema_floor import STEPS, schema_floor
from services.app import App
from services.verify import verify


def test_partyflow_bench_takes_everyone_to_full_member(tmp_path):
    db = tmp_path / "pf.db"
    r = partyflow_steps(3, db)
    assert r.steps == 3 * len(OFFSETS) == 75
    con = sqlite3.connect(db)
    assert con.execute("SELECT DISTINCT stage FROM candidate").fetchall() == [("full_member",)]
    assert con.execute("SELECT count(*) FROM event").fetchone()[0] == 75
    report = verify(App.open(f"sqlite:///{db}"))
    assert report.ok and report.events == 75


def test_schema_floor_writes_what_a_step_writes(tmp_path):
    db = tmp_path / "sf.db"
    r = schema_floor(2, db)
    con = sqlite3.connect(db)
    assert r.steps == 2 * STEPS
    assert con.execute("SELECT count(*) FROM event").fetchone()[0] == 2 * STEPS
    assert con.execute("SELECT min(version), max(version) FROM candidate").fetchone() == (STEPS + 1, STEPS + 1)
    assert con.execute("SELECT count(*) FROM deadline").fetchone()[0] == 2
