"""PostgreSQL steps/s with 1, 4 and 8 concurrent writer processes: partyflow's step service beside
raw psycopg running the contract floor's statements with the same concurrency (issue 19).

    python -m bench.pg_writers                                    # 1, 4, 8 writers × 100 candidates
    python -m bench.pg_writers --writers 1,4,8 --per-writer 200 --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Each writer is its own spawned process with its own candidates (its own branches too), 25 steps
each, breadth-first, one transaction a step, as bench.partyflow_steps does on SQLite: partyflow's
writers call `services.casework.candidates.register_applicant` / `complete_step` (engine guards, hash-chained
event, version-checked snapshot, deadline rows, milestones, audit of the person), the floor's
writers run with plain psycopg what bench.contract_floor runs on SQLite: BEGIN, SELECT the state,
decode it, add the step, INSERT the event, UPDATE the state and an indexed next due date with a
version check, COMMIT. The writers start together (a barrier) and the rate is all steps ÷ the
time from the first start to the last finish. CPU: the writers' own process CPU, and the server's
— each writer's backend process, read from /proc (same machine) — per step.

Everything runs in a dedicated schema (bench/target.py: `bench_pg_writers` of the given
database), dropped at the end unless --keep; the database itself is never dropped.
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

SCHEMA = "bench_pg_writers"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STEPS = 25
_TICK = os.sysconf("SC_CLK_TCK")
_FLOOR_DDL = (
    "DROP TABLE IF EXISTS floor_event",
    "DROP TABLE IF EXISTS floor_candidate",
    "CREATE TABLE floor_candidate (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, state JSONB NOT NULL, "
    "next_due_on DATE)",
    "CREATE INDEX ix_floor_candidate_next_due_on ON floor_candidate (next_due_on)",
    "CREATE TABLE floor_event (id BIGSERIAL PRIMARY KEY, candidate_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "step TEXT NOT NULL, occurred_on DATE NOT NULL, evidence JSONB NOT NULL)",
    "CREATE UNIQUE INDEX ux_floor_event_candidate_seq ON floor_event (candidate_id, seq)",
)


@dataclass(frozen=True)
class WriterFigures:
    """One writer process: its window (monotonic clock), its steps, its CPU and its backend's."""

    started: float
    finished: float
    steps: int
    cpu_seconds: float
    server_cpu_seconds: float | None


@dataclass(frozen=True)
class Round:
    """All writers of one kind at one concurrency."""

    kind: str  # "partyflow" | "floor"
    writers: int
    steps: int
    seconds: float
    cpu_seconds: float
    server_cpu_seconds: float | None

    @property
    def rate(self) -> float:
        return self.steps / self.seconds

    def cpu_us(self) -> float:
        return self.cpu_seconds / self.steps * 1e6

    def server_us(self) -> float | None:
        return None if self.server_cpu_seconds is None else self.server_cpu_seconds / self.steps * 1e6


def _backend_cpu(pid: int | None) -> float | None:
    """utime + stime of a PostgreSQL backend process in seconds, None when not readable here."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _psycopg_url(url: str) -> str:
    """A libpq connection string for psycopg from a SQLAlchemy URL (search_path option kept)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = {"host": u.host or "127.0.0.1", "port": u.port or 5432, "dbname": u.database, "user": u.username}
    if u.password:
        parts["password"] = u.password
    options = u.query.get("options")
    if options:
        parts["options"] = options if isinstance(options, str) else options[0]
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v is not None)


# --------------------------------------------------------------------------------------------
# partyflow's writers


def setup_partyflow(url: str, writers: int, per_writer: int) -> tuple[list[list[tuple[int, int]]], dict]:
    """People and branches for `writers` × `per_writer` candidates: [(person, branch) per candidate]
    per writer (whole branches each), and the evidence per step (bench.partyflow_steps)."""
    from bench import partyflow_steps as pf
    from services.app import App

    app = App.open(url)
    try:
        branch_of, people, evidence = pf._setup(app, writers * per_writer)
    finally:
        app.close()
    pairs = list(zip(people, branch_of))
    return [pairs[w * per_writer:(w + 1) * per_writer] for w in range(writers)], evidence


def _partyflow_writer(url: str, pairs: list[tuple[int, int]], evidence: dict, barrier, results) -> None:
    from bench import partyflow_steps as pf
    from services.casework import candidates as uc
    from services.app import SHANGHAI, App

    app = App.open(url, migrate=False)
    app.clock = lambda: datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    app.registry  # read before the clock starts, as a long-running process has it
    with app.uow(read_only=True) as uow:
        pid = uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    server0, cpu0 = _backend_cpu(pid), time.process_time()
    barrier.wait()
    started = time.monotonic()
    ids = [uc.register_applicant(app, person_id=p, branch_id=b, occurred_on=pf.START, actor="书记").candidate_id
           for p, b in pairs]
    for step, off in list(pf.OFFSETS.items())[1:]:
        on, ev = pf.START + timedelta(days=off), evidence[step]
        for cid in ids:
            uc.complete_step(app, cid, step, occurred_on=on, actor="书记", evidence=ev)
    finished = time.monotonic()
    with app.uow(read_only=True) as uow:  # the same backend, unless the pool changed it
        same = uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() == pid
    server1 = _backend_cpu(pid)
    app.close()
    results.put(asdict(WriterFigures(started, finished, len(pairs) * STEPS, time.process_time() - cpu0,
                                     server1 - server0 if same and server0 is not None and server1 is not None
                                     else None)))


# --------------------------------------------------------------------------------------------
# the contract floor's writers (raw psycopg)


def setup_floor(url: str, writers: int, per_writer: int) -> None:
    """The floor's two tables and `writers` × `per_writer` candidate rows (partyflow's snapshot shape)."""
    import orjson
    import psycopg

    from bench.schema_floor import _STATE

    with psycopg.connect(_psycopg_url(url), autocommit=True) as con:
        for ddl in _FLOOR_DDL:
            con.execute(ddl)
        state = orjson.dumps(_STATE).decode()
        with con.cursor() as cur:
            cur.executemany("INSERT INTO floor_candidate VALUES (%s, 0, %s::jsonb, '2016-04-01')",
                            [(cid, state) for cid in range(1, writers * per_writer + 1)])


def _floor_writer(url: str, ids: list[int], barrier, results) -> None:
    import random

    import orjson
    import psycopg

    from bench.schema_floor import _EVIDENCE

    rnd = random.Random(25 + ids[0])  # next due dates land all over the index, as real ones do
    dues = [f"{rnd.randint(2016, 2020)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}" for _ in range(997)]
    con = psycopg.connect(_psycopg_url(url))
    pid = con.info.backend_pid
    execute = con.execute
    k = 0
    server0, cpu0 = _backend_cpu(pid), time.process_time()
    barrier.wait()
    started = time.monotonic()
    for seq in range(1, STEPS + 1):
        step = f"s{seq}"
        for cid in ids:  # psycopg opens the transaction with the first statement (BEGIN)
            text, version = execute("SELECT state::text, version FROM floor_candidate WHERE id = %s", (cid,)).fetchone()
            state = orjson.loads(text)
            state["done"][step] = "2016-03-01"
            state["seq"] = seq
            execute("INSERT INTO floor_event (candidate_id, seq, step, occurred_on, evidence) "
                    "VALUES (%s, %s, %s, '2016-03-01', %s::jsonb)", (cid, seq, step, _EVIDENCE))
            k += 1
            cur = execute("UPDATE floor_candidate SET state = %s::jsonb, version = version + 1, next_due_on = %s "
                          "WHERE id = %s AND version = %s", (orjson.dumps(state).decode(), dues[k % 997], cid, version))
            if cur.rowcount != 1:  # pragma: no cover - each writer has its own candidates
                raise RuntimeError("version check failed")
            con.commit()
    finished = time.monotonic()
    server1 = _backend_cpu(pid)
    con.close()
    results.put(asdict(WriterFigures(started, finished, len(ids) * STEPS, time.process_time() - cpu0,
                                     None if server0 is None or server1 is None else server1 - server0)))


# --------------------------------------------------------------------------------------------


def _together(target, jobs: list[tuple]) -> list[WriterFigures]:
    """Run `target(*job, barrier, results)` in one spawned process per job, started together."""
    ctx = get_context("spawn")
    barrier, results = ctx.Barrier(len(jobs)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*job, barrier, results)) for job in jobs]
    for p in procs:
        p.start()
    figures = [WriterFigures(**results.get()) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"a writer process failed (exit code {p.exitcode})")
    return figures


def _round(kind: str, figures: list[WriterFigures]) -> Round:
    server = [f.server_cpu_seconds for f in figures]
    return Round(kind, len(figures), sum(f.steps for f in figures),
                 max(f.finished for f in figures) - min(f.started for f in figures),
                 sum(f.cpu_seconds for f in figures), None if None in server else sum(server))


def run_partyflow(url: str, writers: int, per_writer: int) -> Round:
    """`writers` processes through partyflow's step service on a migrated database at `url`."""
    jobs, evidence = setup_partyflow(url, writers, per_writer)
    return _round("partyflow", _together(_partyflow_writer, [(url, pairs, evidence) for pairs in jobs]))


def run_floor(url: str, writers: int, per_writer: int) -> Round:
    setup_floor(url, writers, per_writer)
    ids = list(range(1, writers * per_writer + 1))
    return _round("floor", _together(_floor_writer, [(url, ids[w * per_writer:(w + 1) * per_writer])
                                                     for w in range(writers)]))


def _us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def table(pairs: list[tuple[Round, Round]]) -> list[str]:
    lines = ["| writers | partyflow steps/s | floor steps/s | × floor | partyflow CPU µs/step (client + server) "
             "| floor CPU µs/step (client + server) | partyflow scaling vs 1 writer | floor scaling vs 1 writer |",
             "|---|---|---|---|---|---|---|---|"]
    base = pairs[0]
    for ours, floor in pairs:
        lines.append(
            f"| {ours.writers} | {ours.rate:,.0f} | {floor.rate:,.0f} | {ours.rate / floor.rate:.2f} | "
            f"{ours.cpu_us():,.0f} + {_us(ours.server_us())} | {floor.cpu_us():,.0f} + {_us(floor.server_us())} | "
            f"{ours.rate / base[0].rate:.2f} × | {floor.rate / base[1].rate:.2f} × |")
    return lines


def main(argv: list[str] | None = None) -> int:
    from bench.target import bench_database, drop_bench_database

    ap = argparse.ArgumentParser(prog="python -m bench.pg_writers", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("PARTYFLOW_BENCH_PG_URL", DEFAULT_URL),
                    help="a PostgreSQL database; the bench works in its own schema there")
    ap.add_argument("--writers", default="1,4,8", help="concurrent writer processes per round (comma-separated)")
    ap.add_argument("--per-writer", type=int, default=100, help="candidates per writer (25 steps each)")
    ap.add_argument("--keep", action="store_true", help="keep the bench schema afterwards")
    args = ap.parse_args(argv)
    if args.url.startswith("sqlite"):
        ap.error("--url: a PostgreSQL database")
    counts = [int(w) for w in args.writers.split(",")]
    print(f"load at start: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    pairs = []
    for writers in counts:  # a fresh schema per round: every round starts from the same empty tables
        _, base, url = bench_database(args.url, stem=SCHEMA, schema=SCHEMA, reuse=False)
        ours = run_partyflow(url, writers, args.per_writer)
        floor = run_floor(url, writers, args.per_writer)
        pairs.append((ours, floor))
        print(f"{writers} writer(s) × {args.per_writer} candidates: partyflow {ours.rate:,.0f} steps/s, "
              f"floor {floor.rate:,.0f} steps/s ({ours.rate / floor.rate:.2f} ×), load "
              f"{os.getloadavg()[0]:.2f}", flush=True)
    if not args.keep:
        drop_bench_database(True, base, url, schema=SCHEMA)
    print()
    print("\n".join(table(pairs)))
    print(f"load at end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
