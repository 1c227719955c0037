"""A second floor: plain `sqlite3` running partyflow's own statements on partyflow's own schema.

The raw-SQL floor (bench/baselines.py) writes one UPDATE and one INSERT into two tiny tables. A
partyflow step also reads the candidate and its open deadlines, writes the event with its
evidence and the JSON state snapshot (version-checked), and on some steps keeps the deadline
table, the milestone row (reports) and the person's party status in step. This floor runs that
statement mix — the one `complete_step` and `register_applicant` issue, step by step (`PLAN`,
taken from a statement trace of bench/partyflow_steps.py) — with no Python engine and no
SQLAlchemy, on the real migrated schema, one transaction per step: what partyflow's design costs
in the database alone on this machine. partyflow ÷ this floor is the share of the time that is
the database's; the rest is Python (engine, guards, due dates, SQLAlchemy).
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import orjson

from bench.baselines import BenchResult, _maxrss_mb
from storage.db import make_engine, upgrade

STEPS = 25  # registration + 24 steps, as bench/partyflow_steps.py

# What each of the 24 steps after registration writes besides its event and its candidate row
# (a statement trace of the real path): deadline rows (d- one deleted, d+ one inserted, d~ one
# rewritten in place), s the candidate's stage (SET only when it moves: it is indexed), m:<columns>
# the milestone columns that move, p the person's party status, r2 two people read (mentors,
# sponsors).
PLAN = (
    ("d-",), ("d+", "s", "m:activist_on"), (), ("r2", "d+"), ("d~",), ("d-", "d-", "s", "m:target_on"), (), ("r2",),
    (), (), (), (), (), ("d+",), (), ("d~", "d+", "s", "m:admitted_on,probation_from", "p"), (), (), (), ("d~",),
    ("d~",), ("d~", "d-"), ("d~", "s", "m:full_on,closed_on", "p"), ("d-",),
)
assert len(PLAN) == STEPS - 1

_STATE = {"definition_key": "cpc_2014@1", "branch_id": 1, "stage": "applicant", "done": {}, "entries": {},
          "late": {}, "extension_months": 0, "extensions": 0, "seq": 0, "ended_on": None, "applied_on": "2016-03-01"}
_EVIDENCE = json.dumps({"talker": "支部书记", "notes": "了解入党动机，进行党的基本知识教育"}, ensure_ascii=False)


def _prepare(db_path: Path, n: int) -> sqlite3.Connection:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "wal_autocheckpoint=10000",
                   "cache_size=-65536"):
        con.execute(f"PRAGMA {pragma}")
    con.execute("BEGIN")
    con.execute("INSERT INTO organisation (id, code, name, level, created_at) VALUES (1, 'b', 'b', 'branch', '2026-01-01')")
    for i in range(1, n + 3):  # n applicants and two party members (mentors, sponsors)
        con.execute("INSERT INTO person (id, name, gender, birth_date, tags, created_at) "
                    "VALUES (?, 'x', '男', '1990-01-01', '[]', '2026-01-01')", (i,))
    con.execute("INSERT INTO person_profile (id, key, gender, education, ethnicity, occupation, tags) "
                "VALUES (1, 'k', '男', '', '汉族', '', '[]')")
    con.execute("COMMIT")
    return con


def _register(con: sqlite3.Connection, cid: int) -> None:
    con.execute("BEGIN IMMEDIATE")
    con.execute("SELECT id, code, name, level, parent_id FROM organisation WHERE id = 1").fetchone()
    con.execute("SELECT id, name, gender, birth_date, ethnicity, education FROM person WHERE id = ?", (cid,)).fetchone()
    con.execute("SELECT max(id) FROM candidate WHERE person_id = ?", (cid,)).fetchone()
    state = dict(_STATE, seq=1, done={"application": "2016-03-01"})
    con.execute("INSERT INTO candidate (id, person_id, branch_id, definition_key, stage, state, version, applied_on, updated_at) "
                "VALUES (?, ?, 1, 'cpc_2014@1', 'applicant', ?, 1, '2016-03-01', '2026-01-01')", (cid, cid, orjson.dumps(state).decode()))
    _event(con, cid, 1, "application")
    _deadline_in(con, cid, "first_talk")
    con.execute("SELECT id FROM person_profile WHERE key = 'k'").fetchone()  # the person row is in hand
    con.execute("INSERT INTO milestone (candidate_id, person_id, branch_id, applied_on, profile_id, birth_date, first_on) "
                "VALUES (?, ?, 1, '2016-03-01', 1, '1990-01-01', '2016-03-01')", (cid, cid))
    con.execute("COMMIT")


def _event(con: sqlite3.Connection, cid: int, seq: int, step: str) -> None:
    con.execute("INSERT INTO event (candidate_id, seq, kind, step, occurred_on, recorded_at, actor, evidence, late, definition_key) "
                "VALUES (?, ?, 'step', ?, '2016-03-01', '2026-01-01 10:00:00', '书记', ?, 0, 'cpc_2014@1')",
                (cid, seq, step, _EVIDENCE))


def _deadline_in(con: sqlite3.Connection, cid: int, step: str) -> None:
    con.execute("INSERT INTO deadline (candidate_id, branch_id, step, kind, due_on, provisional, article) "
                "VALUES (?, 1, ?, 'due', '2016-04-01', 0, '第七条')", (cid, step))


def _step(con: sqlite3.Connection, cid: int, seq: int, extra: tuple[str, ...]) -> None:
    con.execute("BEGIN IMMEDIATE")
    row = con.execute("SELECT id, person_id, branch_id, definition_key, stage, state, version FROM candidate WHERE id = ?",
                      (cid,)).fetchone()
    st = orjson.loads(row[5])
    st["done"][f"s{seq}"] = "2016-03-01"
    st["seq"] = seq
    _event(con, cid, seq, f"s{seq}")
    open_deadlines = con.execute("SELECT step, kind, branch_id, due_on, provisional, article FROM deadline "
                                 "WHERE candidate_id = ?", (cid,)).fetchall()
    if "r2" in extra:
        for pid in (1, 2):
            con.execute("SELECT id, name, gender, birth_date, party_status, branch_id FROM person WHERE id = ?",
                        (pid,)).fetchone()
    state = orjson.dumps(st).decode()  # partyflow's own encoder (storage.db.json_dumps)
    if "s" in extra:
        cur = con.execute("UPDATE candidate SET state = ?, version = version + 1, updated_at = '2026-01-01', stage = ? "
                          "WHERE id = ? AND version = ?", (state, row[4], cid, row[6]))
    else:
        cur = con.execute("UPDATE candidate SET state = ?, version = version + 1, updated_at = '2026-01-01' "
                          "WHERE id = ? AND version = ?", (state, cid, row[6]))
    assert cur.rowcount == 1
    gone = iter(open_deadlines)
    for op in extra:
        if op == "d-":
            con.execute("DELETE FROM deadline WHERE candidate_id = ? AND step = ? AND kind = ?", (cid, *next(gone)[:2]))
        elif op == "d+":
            _deadline_in(con, cid, f"s{seq}")
        elif op == "d~":
            con.execute("UPDATE deadline SET branch_id = 1, due_on = '2017-04-11', provisional = 0, article = '第十一条' "
                        "WHERE candidate_id = ? AND step = ? AND kind = ?", (cid, *next(gone)[:2]))
        elif op.startswith("m:"):
            columns = op[2:].split(",")
            con.execute(f"UPDATE milestone SET {', '.join(f'{c} = ?' for c in columns)} WHERE candidate_id = ?",
                        (*(["2017-07-20"] * len(columns)), cid))
        elif op == "p":
            con.execute("UPDATE person SET party_status = ?, branch_id = 1 WHERE id = ?",
                        ("full_member" if seq > 20 else "probationary", cid))
    con.execute("COMMIT")


def schema_floor(n: int, db_path: Path) -> BenchResult:
    con = _prepare(db_path, n)
    t0 = time.perf_counter()
    for cid in range(3, n + 3):
        _register(con, cid)
    for seq, extra in enumerate(PLAN, start=2):
        for cid in range(3, n + 3):
            _step(con, cid, seq, extra)
    seconds = time.perf_counter() - t0
    con.close()
    steps = n * STEPS
    return BenchResult(name="schema_floor", n_candidates=n, steps_per_candidate=STEPS, steps=steps, seconds=seconds,
                       rate=steps / seconds, traced_peak_mb=None, traced_candidates=0, maxrss_mb=_maxrss_mb(),
                       maxrss_start_mb=0.0, db_path=str(db_path))
