"""A second floor: plain `sqlite3` running partyflow's own statements on partyflow's own schema.

The raw-SQL floor (bench/baselines.py) writes one UPDATE and one INSERT into two tiny tables. A
partyflow step also reads the candidate, writes a JSON state snapshot, an event with its evidence
and keeps the indexed deadline table in step (one row out, one or two in). This measures what that
work costs with no Python engine and no SQLAlchemy at all, on the real migrated schema, one
transaction per step — the ceiling for partyflow's design on this machine.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from bench.baselines import BenchResult, _maxrss_mb
from storage.db import make_engine, upgrade

STEPS = 25


def schema_floor(n: int, db_path: Path) -> BenchResult:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "wal_autocheckpoint=10000",
                   "cache_size=-65536"):
        con.execute(f"PRAGMA {pragma}")
    con.execute("INSERT INTO organisation (id, code, name, level, created_at) VALUES (1, 'b', 'b', 'branch', '2026-01-01')")
    state = {"definition_key": "cpc_2014@1", "branch_id": 1, "stage": "applicant", "done": {}, "entries": {},
             "late": {}, "extension_months": 0, "extensions": 0, "seq": 0, "ended_on": None, "applied_on": "2016-03-01"}
    evidence = json.dumps({"talker": "支部书记", "notes": "了解入党动机，进行党的基本知识教育"}, ensure_ascii=False)
    con.execute("BEGIN")
    for i in range(1, n + 1):
        con.execute("INSERT INTO person (id, name, gender, birth_date, tags, created_at) VALUES (?, 'x', '男', '1990-01-01', '[]', '2026-01-01')", (i,))
        con.execute("INSERT INTO candidate (id, person_id, branch_id, definition_key, stage, state, version, applied_on, updated_at) "
                    "VALUES (?, ?, 1, 'cpc_2014@1', 'applicant', ?, 1, '2016-03-01', '2026-01-01')", (i, i, json.dumps(state)))
    con.execute("COMMIT")
    t0 = time.perf_counter()
    for step in range(1, STEPS + 1):
        for cid in range(1, n + 1):
            con.execute("BEGIN IMMEDIATE")
            row = con.execute("SELECT id, person_id, branch_id, definition_key, stage, state, version FROM candidate WHERE id = ?", (cid,)).fetchone()
            st = json.loads(row[5])
            st["done"][f"s{step}"] = "2016-03-01"
            st["seq"] = step
            con.execute("INSERT INTO event (candidate_id, seq, kind, step, occurred_on, recorded_at, actor, evidence, late, definition_key) "
                        "VALUES (?, ?, 'step', ?, '2016-03-01', '2026-01-01 10:00:00', '书记', ?, 0, 'cpc_2014@1')",
                        (cid, step, f"s{step}", evidence))
            cur = con.execute("UPDATE candidate SET stage = ?, state = ?, version = version + 1, updated_at = '2026-01-01' "
                              "WHERE id = ? AND version = ?", (row[4], json.dumps(st, ensure_ascii=False), cid, row[6]))
            assert cur.rowcount == 1
            con.execute("SELECT id, step, kind, due_on, provisional, article FROM deadline WHERE candidate_id = ?", (cid,)).fetchall()
            con.execute("DELETE FROM deadline WHERE candidate_id = ? AND step = ?", (cid, f"s{step}"))
            con.execute("INSERT INTO deadline (candidate_id, branch_id, step, kind, due_on, provisional, article) "
                        "VALUES (?, 1, ?, 'due', '2016-04-01', 0, '第七条')", (cid, f"s{step + 1}"))
            con.execute("COMMIT")
    seconds = time.perf_counter() - t0
    con.close()
    steps = n * STEPS
    return BenchResult(name="schema_floor", n_candidates=n, steps_per_candidate=STEPS, steps=steps, seconds=seconds,
                       rate=steps / seconds, traced_peak_mb=None, traced_candidates=0, maxrss_mb=_maxrss_mb(),
                       maxrss_start_mb=0.0, db_path=str(db_path))
