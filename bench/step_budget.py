"""Where a step's time goes: BEGIN, the statements, COMMIT, and everything else (Python).

    python -m bench.step_budget --n 2000

Runs the raw-SQL floor and partyflow's step path (the same journeys as `bench.run`) with every
call into the sqlite3 driver timed: `BEGIN IMMEDIATE`, each statement (with its fetch), and the
commit. What is left of the wall time per step is Python: for partyflow the engine, the guards,
the due dates, the service and the repositories; for the floor almost nothing. The timers add
about a microsecond per call, so the Python share is a little high; the split, not the sum, is
the point. The commit is where the pages a step changed are written (see `bench.wal_frames`): it
grows with them.
"""
from __future__ import annotations

import argparse
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

PARTS = ("begin", "statements", "commit")


class _Timed:
    """A sqlite3 connection (or cursor) whose calls add their time to `spent`."""

    __slots__ = ("_inner", "_spent")

    def __init__(self, inner, spent: dict[str, float]) -> None:
        self._inner = inner
        self._spent = spent

    def execute(self, sql, args=()):
        t = time.perf_counter()
        result = self._inner.execute(sql, args)
        part = "begin" if sql.startswith("BEGIN") else "commit" if sql == "COMMIT" else "statements"
        self._spent[part] += time.perf_counter() - t
        return _Timed(result, self._spent) if part == "statements" else result

    def executemany(self, sql, rows):
        t = time.perf_counter()
        result = self._inner.executemany(sql, rows)
        self._spent["statements"] += time.perf_counter() - t
        return result

    def cursor(self):  # hot.execute_many runs a multi-row diff on a cursor of its own
        return _Timed(self._inner.cursor(), self._spent)

    def commit(self):
        t = time.perf_counter()
        self._inner.commit()
        self._spent["commit"] += time.perf_counter() - t

    def fetchone(self):
        t = time.perf_counter()
        row = self._inner.fetchone()
        self._spent["statements"] += time.perf_counter() - t
        return row

    def fetchall(self):
        t = time.perf_counter()
        rows = self._inner.fetchall()
        self._spent["statements"] += time.perf_counter() - t
        return rows

    def __getattr__(self, name):
        return getattr(self._inner, name)


@contextmanager
def _timing_raw_floor(spent: dict[str, float]):
    from bench import baselines

    connect = sqlite3.connect
    baselines.sqlite3.connect = lambda *a, **k: _Timed(connect(*a, **k), spent)
    try:
        yield
    finally:
        baselines.sqlite3.connect = connect


@contextmanager
def _timing_partyflow(spent: dict[str, float]):
    """partyflow's step path reaches the driver in three places: the hot statements' connection,
    the unit of work's BEGIN and its commit (storage.db)."""
    import storage.db as storage_db
    import storage.unit_of_work as unit_of_work
    from storage.repositories import hot

    driver, begin, commit = hot._driver_connection, storage_db._begin, unit_of_work.commit_sqlite
    hot._driver_connection = lambda conn: _Timed(driver(conn), spent)
    storage_db._begin = lambda conn, raw, read_only: begin(conn, _Timed(raw, spent), read_only)
    unit_of_work.commit_sqlite = lambda conn, raw: commit(conn, _Timed(raw, spent))
    try:
        yield
    finally:
        hot._driver_connection, storage_db._begin, unit_of_work.commit_sqlite = driver, begin, commit


def budget(name: str, n: int, out: Path) -> dict[str, float]:
    """µs per step of each part, "python" (the rest) and "total", for `name` in raw | partyflow."""
    from bench import baselines, partyflow_steps

    spent = dict.fromkeys(PARTS, 0.0)
    if name == "raw":
        with _timing_raw_floor(spent):
            r = baselines.raw_sql_floor(n, out / "budget_raw.db", trace_memory=False)
    else:
        with _timing_partyflow(spent):
            r = partyflow_steps.partyflow_steps(n, out / "budget_partyflow.db")
    per_step = {part: seconds / r.steps * 1e6 for part, seconds in spent.items()}
    per_step["total"] = r.seconds / r.steps * 1e6
    per_step["python"] = per_step["total"] - sum(per_step[p] for p in PARTS)
    return per_step


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.step_budget", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="candidates (25 steps each)")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"µs per step (N={args.n}): " + " | ".join(f"{p:>10}" for p in (*PARTS, "python", "total")))
    for name in ("raw", "partyflow"):
        b = budget(name, args.n, args.out)
        print(f"{name:>20}: " + " | ".join(f"{b[p]:10.1f}" for p in (*PARTS, "python", "total")), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
