"""A third floor: the least any design meeting issue 2's storage contract writes per step.

The raw-SQL floor updates a four-column row and appends a five-column row to two unindexed
tables. Issue 2 asks more of every step, whatever the design:
- the candidate's state is read and written back version-checked (lost updates → 已被他人修改);
- the event log can be read per candidate (show, replay, verify): its rows are keyed by
  (candidate_id, seq);
- due dates are materialised and indexed for the scheduler: here reduced to one indexed "next
  due" date on the candidate row, less than any real reminder scan needs.

This floor runs just that, with plain `sqlite3` and no engine: BEGIN IMMEDIATE, SELECT the
state, decode it, add the step, INSERT the event, UPDATE the state and the next due date, COMMIT.
The state is partyflow's JSON snapshot shape with the step's date added (the same encoder,
orjson), the event carries the same evidence as the schema floor. 1 / rate − 1 / (0.25 × raw) is
then the time a step may spend on everything else (guards, due dates, the service layer) if
partyflow is to reach 0.25 × raw on this machine: `python_budget_us`.
"""
from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import orjson

from bench.baselines import BenchResult, _maxrss_mb
from bench.schema_floor import _EVIDENCE, _STATE, STEPS

_DDL = (
    "CREATE TABLE candidate (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, "
    "next_due_on TEXT)",
    "CREATE INDEX ix_candidate_next_due_on ON candidate (next_due_on)",
    "CREATE TABLE event (id INTEGER PRIMARY KEY, candidate_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "step TEXT NOT NULL, occurred_on TEXT NOT NULL, evidence TEXT NOT NULL)",
    "CREATE UNIQUE INDEX ux_event_candidate_seq ON event (candidate_id, seq)",
)


def _prepare(db_path: Path, n: int) -> sqlite3.Connection:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    con = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):  # the raw floor's settings
        con.execute(f"PRAGMA {pragma}")
    for ddl in _DDL:
        con.execute(ddl)
    state = orjson.dumps(_STATE).decode()
    con.execute("BEGIN")
    con.executemany("INSERT INTO candidate VALUES (?, 0, ?, '2016-04-01')", ((cid, state) for cid in range(1, n + 1)))
    con.execute("COMMIT")
    return con


def contract_floor(n: int, db_path: Path, *, cpu: dict | None = None) -> BenchResult:
    """N candidates through 25 steps, breadth-first like the other references, one transaction each;
    `cpu` receives the loop's process CPU time as "seconds" (as bench.partyflow_steps does)."""
    con = _prepare(db_path, n)
    rnd = random.Random(25)  # next due dates land all over the index, as real ones do
    dues = [f"{rnd.randint(2016, 2020)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}" for _ in range(997)]
    execute = con.execute
    k = 0
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for seq in range(1, STEPS + 1):
        step = f"s{seq}"
        for cid in range(1, n + 1):
            execute("BEGIN IMMEDIATE")
            text, version = execute("SELECT state, version FROM candidate WHERE id = ?", (cid,)).fetchone()
            state = orjson.loads(text)
            state["done"][step] = "2016-03-01"
            state["seq"] = seq
            execute("INSERT INTO event (candidate_id, seq, step, occurred_on, evidence) VALUES (?, ?, ?, '2016-03-01', ?)",
                    (cid, seq, step, _EVIDENCE))
            k += 1
            cur = execute("UPDATE candidate SET state = ?, version = version + 1, next_due_on = ? "
                          "WHERE id = ? AND version = ?", (orjson.dumps(state).decode(), dues[k % 997], cid, version))
            if cur.rowcount != 1:  # pragma: no cover - one connection, nobody else writes
                raise RuntimeError("version check failed")
            execute("COMMIT")
    seconds = time.perf_counter() - t0
    if cpu is not None:
        cpu["seconds"] = time.process_time() - cpu0
    con.close()
    steps = n * STEPS
    return BenchResult(name="contract_floor", n_candidates=n, steps_per_candidate=STEPS, steps=steps,
                       seconds=seconds, rate=steps / seconds, traced_peak_mb=None, traced_candidates=0,
                       maxrss_mb=_maxrss_mb(), maxrss_start_mb=0.0, db_path=str(db_path))


def python_budget_us(raw_rate: float, floor_rate: float, target: float = 0.25) -> float:
    """µs a step may spend beyond the contract floor if the whole step is to run at `target` × raw
    (negative: the floor alone is already too slow)."""
    return (1 / (target * raw_rate) - 1 / floor_rate) * 1e6
