"""Reference measurements for partyflow's throughput benchmark.

partyflow's figure of merit is *persisted step completions per second*: one candidate moves one
step forward and the change is durably committed (candidate row updated, event row appended).
This module measures the same unit of work three other ways so partyflow's number has context:

* `raw_sql_floor` -- plain stdlib `sqlite3`, no engine at all: one UPDATE + one INSERT per step,
  one transaction each. Nothing that persists a step per transaction on this database can be
  faster, so this is the ceiling on the rate ("floor" on the cost per step).
* `spiff_peer` -- the same 25 steps as a BPMN model executed by SpiffWorkflow 3.x, with the
  usual "load JSON -> deserialize -> complete the user task -> run engine steps -> serialize ->
  store" cycle per step, one transaction each. This is what an off-the-shelf Python workflow
  engine costs for the same unit of work.
* `orm_session_per_step` -- the raw floor's unit of work written with a SQLAlchemy 2 ORM Session
  per step (the issue's third orientation figure, "~4k/s" beside "~34k/s" raw on its machine).
  Not a target: a measure of how the machine weighs Python against SQLite, which moves every
  "× raw" ratio (`python -m bench.baselines --only orm`).

All three write the same schema shape and the same event payloads and use the same SQLite settings
(file database, WAL, synchronous=NORMAL), so the only difference is the work per step around them.

Timing covers the step loop only (perf_counter); creating the database and the N candidates
(and, for Spiff, parsing the BPMN file) is setup and is not timed.

Memory, two figures (see `BenchResult`):

* `traced_peak_mb` -- `tracemalloc` peak over the step loop: Python-heap allocations made
  *during the loop* (the engine's working set: deserialized workflow, JSON strings, ...). It
  does not see memory SQLite allocates with its own malloc (page cache). tracemalloc slows
  allocation-heavy code a lot (~2x raw, ~6x Spiff), so it runs in a *separate* pass over at
  most `TRACE_CANDIDATES` candidates on a sibling database file; the timed pass runs untraced.
* `maxrss_mb` -- `resource.getrusage(RUSAGE_SELF).ru_maxrss` after the timed loop: the OS view
  of the process's high-water resident set (interpreter + imports + SQLite cache + everything).
  It is a lifetime maximum, so it only isolates one benchmark if that benchmark runs in its own
  process -- which is what `python -m bench.baselines` does (one spawned child per benchmark).

Usage from code (bench/run.py)::

    from bench.baselines import raw_sql_floor, spiff_peer
    floor = raw_sql_floor(1000, Path("bench/out/raw.db"))
    peer = spiff_peer(1000, Path("bench/out/spiff.db"))
    print(floor.line()); print(peer.line())

Command line::

    python -m bench.baselines --n 1000
"""
from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

# The 25 steps of 发展党员, in order. bench/process_25.bpmn uses these as user-task ids and names
# (tests/unit/test_bench_baselines.py checks that the two agree).
STEPS: tuple[str, ...] = (
    "application",  # 入党申请
    "first_talk",  # 派人谈话
    "activist_selection",  # 确定入党积极分子
    "activist_filing",  # 报上级党委备案
    "mentors_assigned",  # 指定培养联系人
    "cultivation",  # 培养教育考察
    "target_selection",  # 确定发展对象
    "target_filing",  # 报上级党委备案
    "sponsors",  # 确定入党介绍人
    "political_review",  # 政治审查
    "training",  # 集中培训
    "committee_review",  # 支部委员会审查
    "pre_review",  # 上级党委预审
    "application_form",  # 填写入党志愿书
    "admission_meeting",  # 支部大会讨论接收预备党员
    "committee_talk",  # 上级党委派人谈话
    "admission_approval",  # 上级党委审批
    "admission_filing",  # 报上级党委组织部门备案
    "branch_assignment",  # 编入党支部和党小组
    "oath",  # 入党宣誓
    "probation_education",  # 继续教育考察
    "conversion_application",  # 提出转正申请
    "conversion_meeting",  # 支部大会讨论转正
    "conversion_approval",  # 上级党委审批转正
    "archive",  # 材料归档
)

BPMN_PATH = Path(__file__).with_name("process_25.bpmn")
BPMN_PROCESS_ID = "membership_25"

# Candidates in the traced (memory) pass. tracemalloc slows the loops ~2x (raw) to ~6x (Spiff),
# so that pass is separate from the timed one and capped; both loops hold one candidate at a time
# and leak nothing, so the peak is flat in N (Spiff measured: 2.54 MiB at N=10, 2.62 at 20,
# 2.69 at 100 and 200 -- the wobble is reference-cycle garbage waiting for the cyclic GC).
TRACE_CANDIDATES = 100

INITIAL_STAGE = "created"  # stage of a candidate before step 1; afterwards: the last step done

SCHEMA = """
CREATE TABLE candidate (
    id INTEGER PRIMARY KEY,
    stage TEXT NOT NULL,
    step INTEGER NOT NULL,
    version INTEGER NOT NULL{extra}
);
CREATE TABLE event (
    id INTEGER PRIMARY KEY,
    candidate_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    occurred_on TEXT NOT NULL,
    evidence TEXT NOT NULL
);
"""

_BASE_DATE = date(2026, 1, 5)
_ACTOR = "branch_secretary_01"


def _payload(step: int) -> tuple[str, dict[str, str], str]:
    """(occurred_on, data dict, evidence JSON) for 1-based `step`; identical for every candidate.

    Precomputed once per run for both references so neither pays for building payloads.
    """
    occurred_on = (_BASE_DATE + timedelta(days=30 * (step - 1))).isoformat()
    data = {"date": occurred_on, "actor": _ACTOR}
    evidence = json.dumps({"step": STEPS[step - 1] if step <= len(STEPS) else f"step_{step}", **data})
    return occurred_on, data, evidence


# --------------------------------------------------------------------------------------------
# result


def _maxrss_mb() -> float:
    """Process high-water RSS in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


@dataclass(frozen=True)
class BenchResult:
    """One measurement.

    name            which reference ("raw_sql_floor", "spiff_peer", or partyflow's own)
    n_candidates    candidates in the run
    steps_per_candidate  steps each candidate goes through (25)
    steps           total persisted step completions = n_candidates * steps_per_candidate
    seconds         wall time (perf_counter) of the step loop only, untraced
    rate            steps / seconds  (persisted step completions per second)
    traced_peak_mb  tracemalloc peak during a separate traced pass of the same loop: Python-heap
                    memory allocated by the loop at its worst moment (SQLite's own allocations are
                    not seen). None if the traced pass was skipped.
    traced_candidates  candidates in that traced pass (min(n_candidates, trace_candidates)); the
                    loops hold one candidate at a time, so the peak does not grow with N
    maxrss_mb       ru_maxrss after the timed loop: whole-process high-water RSS (interpreter,
                    imports, SQLite page cache, ...). Lifetime maximum: only attributable to this
                    benchmark if it ran in its own process.
    maxrss_start_mb ru_maxrss just before the timed loop (so maxrss_mb - maxrss_start_mb is how
                    much the loop raised the high-water mark, if at all)
    db_path         database file of the timed pass
    """

    name: str
    n_candidates: int
    steps_per_candidate: int
    steps: int
    seconds: float
    rate: float
    traced_peak_mb: float | None
    traced_candidates: int | None
    maxrss_mb: float
    maxrss_start_mb: float
    db_path: str

    def line(self) -> str:
        traced = "n/a" if self.traced_peak_mb is None else f"{self.traced_peak_mb:.2f} MiB (n={self.traced_candidates})"
        return (
            f"{self.name:<14} n={self.n_candidates:<6} steps={self.steps:<7} "
            f"{self.seconds:8.3f} s  {self.rate:10,.0f} steps/s  "
            f"traced peak {traced}  maxrss {self.maxrss_mb:.1f} MiB"
        )

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# shared plumbing


def _fresh_db(db_path: Path, extra_candidate_columns: str = "") -> sqlite3.Connection:
    """Delete `db_path` (and its -wal/-shm/-journal sidecars) and create the schema.

    The connection is in autocommit mode (isolation_level=None): transactions are explicit
    BEGIN IMMEDIATE ... COMMIT, so what is one transaction is visible in the code.
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(db_path) + suffix)
        if p.exists():
            p.unlink()
    conn = sqlite3.connect(db_path, isolation_level=None)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise RuntimeError(f"could not switch {db_path} to WAL (got {mode!r})")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA.format(extra=extra_candidate_columns))
    return conn


def _traced_path(db_path: Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}.traced{db_path.suffix or '.db'}")


def _time_loop(loop: Callable[[], None], trace: bool) -> tuple[float, float | None, float, float]:
    """Run `loop` once; return (seconds, traced_peak_mb or None, maxrss_start_mb, maxrss_mb)."""
    rss_start = _maxrss_mb()
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    t0 = time.perf_counter()
    try:
        loop()
    finally:
        seconds = time.perf_counter() - t0
        peak = None
        if trace:
            peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
            tracemalloc.stop()
    return seconds, peak, rss_start, _maxrss_mb()


def _result(name: str, n: int, steps: int, db_path: Path, timed, traced_peak, traced_n) -> BenchResult:
    seconds, _, rss_start, rss = timed
    total = n * steps
    return BenchResult(
        name=name,
        n_candidates=n,
        steps_per_candidate=steps,
        steps=total,
        seconds=seconds,
        rate=total / seconds if seconds > 0 else float("inf"),
        traced_peak_mb=traced_peak,
        traced_candidates=traced_n if traced_peak is not None else None,
        maxrss_mb=rss,
        maxrss_start_mb=rss_start,
        db_path=str(db_path),
    )


# --------------------------------------------------------------------------------------------
# 1. raw SQL floor


def _raw_pass(n: int, db_path: Path, steps: int, trace: bool):
    conn = _fresh_db(db_path)
    try:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO candidate (id, stage, step, version) VALUES (?, ?, 0, 0)",
            ((cid, INITIAL_STAGE) for cid in range(1, n + 1)),
        )
        conn.execute("COMMIT")
        payloads = [_payload(s) for s in range(1, steps + 1)]
        stages = [STEPS[s - 1] if s <= len(STEPS) else f"step_{s}" for s in range(1, steps + 1)]

        def loop() -> None:
            execute = conn.execute
            for step in range(1, steps + 1):
                occurred_on, _, evidence = payloads[step - 1]
                stage = stages[step - 1]
                version = step - 1  # every candidate is at the same version at this point
                for cid in range(1, n + 1):
                    execute("BEGIN IMMEDIATE")
                    cur = execute(
                        "UPDATE candidate SET stage = ?, step = ?, version = version + 1"
                        " WHERE id = ? AND version = ?",
                        (stage, step, cid, version),
                    )
                    if cur.rowcount != 1:
                        raise RuntimeError(f"candidate {cid}: version conflict at step {step}")
                    execute(
                        "INSERT INTO event (candidate_id, step, occurred_on, evidence) VALUES (?, ?, ?, ?)",
                        (cid, step, occurred_on, evidence),
                    )
                    execute("COMMIT")

        return _time_loop(loop, trace)
    finally:
        conn.close()


def raw_sql_floor(
    n_candidates: int,
    db_path: Path,
    steps: int = 25,
    *,
    trace_memory: bool = True,
    trace_candidates: int = TRACE_CANDIDATES,
) -> BenchResult:
    """Plain sqlite3: per step and candidate, one transaction = one UPDATE + one INSERT.

    `db_path` is recreated (any existing file and its -wal/-shm are deleted). With
    `trace_memory`, a second, traced pass over min(n_candidates, trace_candidates) candidates
    runs on the sibling file `<stem>.traced<suffix>` to get `traced_peak_mb`; its time is not
    used.
    """
    return _timed_and_traced("raw_sql_floor", _raw_pass, n_candidates, db_path, steps, trace_memory, trace_candidates)


def _timed_and_traced(name: str, run_pass, n: int, db_path: Path, steps: int, trace_memory: bool,
                      trace_candidates: int) -> BenchResult:
    """The timed pass over `n` candidates and, with `trace_memory`, the traced one beside it."""
    if n < 1 or steps < 1:
        raise ValueError("n_candidates and steps must be >= 1")
    db_path = Path(db_path)
    timed = run_pass(n, db_path, steps, trace=False)
    traced_n = min(n, trace_candidates)
    peak = run_pass(traced_n, _traced_path(db_path), steps, trace=True)[1] if trace_memory else None
    return _result(name, n, steps, db_path, timed, peak, traced_n)


# --------------------------------------------------------------------------------------------
# 2. SpiffWorkflow peer


def load_spiff_spec(bpmn_path: Path = BPMN_PATH, process_id: str = BPMN_PROCESS_ID):
    """Parse (and XSD-validate) the 25-step BPMN model; returns the process spec."""
    from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator

    parser = BpmnParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(bpmn_path))
    return parser.get_spec(process_id)


def _spiff_pass(n: int, db_path: Path, trace: bool):
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState

    steps = len(STEPS)
    spec = load_spiff_spec()
    serializer = BpmnWorkflowSerializer()
    conn = _fresh_db(db_path, extra_candidate_columns=",\n    workflow TEXT NOT NULL")
    try:
        def initial_rows():
            for cid in range(1, n + 1):
                wf = BpmnWorkflow(spec)
                wf.do_engine_steps()  # start event -> first user task READY
                yield cid, INITIAL_STAGE, serializer.serialize_json(wf)

        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO candidate (id, stage, step, version, workflow) VALUES (?, ?, 0, 0, ?)", initial_rows()
        )
        conn.execute("COMMIT")
        payloads = [_payload(s) for s in range(1, steps + 1)]
        ready = TaskState.READY

        def loop() -> None:
            execute = conn.execute
            for step in range(1, steps + 1):
                occurred_on, data, evidence = payloads[step - 1]
                for cid in range(1, n + 1):
                    execute("BEGIN IMMEDIATE")
                    blob, version = execute(
                        "SELECT workflow, version FROM candidate WHERE id = ?", (cid,)
                    ).fetchone()
                    wf = serializer.deserialize_json(blob)
                    task = wf.get_next_task(state=ready, manual=True)
                    if task is None or task.task_spec.name != STEPS[step - 1]:
                        raise RuntimeError(f"candidate {cid}: expected {STEPS[step - 1]!r} ready, got {task!r}")
                    task.set_data(**data)
                    task.run()
                    wf.do_engine_steps()
                    cur = execute(
                        "UPDATE candidate SET workflow = ?, stage = ?, step = ?, version = version + 1"
                        " WHERE id = ? AND version = ?",
                        (serializer.serialize_json(wf), task.task_spec.name, step, cid, version),
                    )
                    if cur.rowcount != 1:
                        raise RuntimeError(f"candidate {cid}: version conflict at step {step}")
                    execute(
                        "INSERT INTO event (candidate_id, step, occurred_on, evidence) VALUES (?, ?, ?, ?)",
                        (cid, step, occurred_on, evidence),
                    )
                    execute("COMMIT")

        return _time_loop(loop, trace)
    finally:
        conn.close()


def spiff_peer(
    n_candidates: int,
    db_path: Path,
    *,
    trace_memory: bool = True,
    trace_candidates: int = TRACE_CANDIDATES,
) -> BenchResult:
    """SpiffWorkflow 3.x running bench/process_25.bpmn, one transaction per step and candidate.

    Each transaction: SELECT the candidate's serialized workflow (BpmnWorkflowSerializer JSON,
    which embeds the process spec), deserialize, complete the READY user task with
    {date, actor}, do_engine_steps(), serialize, UPDATE the row, INSERT the event, COMMIT.
    `db_path` is recreated; see `raw_sql_floor` for `trace_memory` / `trace_candidates`.
    """
    if n_candidates < 1:
        raise ValueError("n_candidates must be >= 1")
    db_path = Path(db_path)
    timed = _spiff_pass(n_candidates, db_path, trace=False)
    traced_n = min(n_candidates, trace_candidates)
    peak = _spiff_pass(traced_n, _traced_path(db_path), trace=True)[1] if trace_memory else None
    return _result("spiff_peer", n_candidates, len(STEPS), db_path, timed, peak, traced_n)


# --------------------------------------------------------------------------------------------
# 3. a straightforward SQLAlchemy ORM session per step


def _orm_pass(n: int, db_path: Path, steps: int, trace: bool):
    """The same unit of work as `_raw_pass`, written the way an ORM tutorial writes it: one Session
    per step, `session.get` the candidate, change two attributes (the version column is the ORM's
    optimistic lock, `version_id_col`), `session.add` the event, commit."""
    from sqlalchemy import JSON, ForeignKey, Integer, String, create_engine, event, insert
    from sqlalchemy.orm import DeclarativeBase, Session, mapped_column

    _fresh_db(db_path).close()  # the same tables, WAL and synchronous=NORMAL as the raw floor

    class Base(DeclarativeBase):
        pass

    class Candidate(Base):
        __tablename__ = "candidate"
        id = mapped_column(Integer, primary_key=True)
        stage = mapped_column(String)
        step = mapped_column(Integer)
        version = mapped_column(Integer)
        __mapper_args__ = {"version_id_col": version}

    class Event(Base):
        __tablename__ = "event"
        id = mapped_column(Integer, primary_key=True)
        candidate_id = mapped_column(ForeignKey("candidate.id"))
        step = mapped_column(Integer)
        occurred_on = mapped_column(String)
        evidence = mapped_column(JSON)

    engine = create_engine(f"sqlite:///{db_path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # WAL is a property of the file

    try:
        with engine.begin() as conn:  # setup as in the raw floor: version 0, so both end at version 25
            conn.execute(insert(Candidate.__table__),
                         [{"id": cid, "stage": INITIAL_STAGE, "step": 0, "version": 0} for cid in range(1, n + 1)])
        payloads = [_payload(s) for s in range(1, steps + 1)]
        stages = [STEPS[s - 1] if s <= len(STEPS) else f"step_{s}" for s in range(1, steps + 1)]

        def loop() -> None:
            for step in range(1, steps + 1):
                occurred_on, _, evidence = payloads[step - 1]
                body = json.loads(evidence)
                for cid in range(1, n + 1):
                    with Session(engine) as session, session.begin():
                        candidate = session.get(Candidate, cid)
                        candidate.stage = stages[step - 1]
                        candidate.step = step
                        session.add(Event(candidate_id=cid, step=step, occurred_on=occurred_on, evidence=body))

        return _time_loop(loop, trace)
    finally:
        engine.dispose()


def orm_session_per_step(
    n_candidates: int,
    db_path: Path,
    steps: int = 25,
    *,
    trace_memory: bool = True,
    trace_candidates: int = TRACE_CANDIDATES,
) -> BenchResult:
    """SQLAlchemy 2 ORM, one Session and transaction per step and candidate: get the candidate,
    set its stage and step (version-checked by the ORM), add the event, commit.

    The issue's orientation figures put this at ~4k steps/s beside ~34k for the raw floor on its
    machine; measured here it shows how this machine weighs Python work against SQLite's. Same
    tables, payloads and SQLite settings as `raw_sql_floor`; see it for `trace_memory`.
    """
    return _timed_and_traced("orm_session", _orm_pass, n_candidates, db_path, steps, trace_memory, trace_candidates)


# --------------------------------------------------------------------------------------------
# command line


def _run_isolated(fn: Callable[..., BenchResult], *args, **kwargs) -> BenchResult:
    """Run one benchmark in a fresh spawned interpreter so its ru_maxrss is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.baselines", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="candidates (default 1000)")
    ap.add_argument("--out", type=Path, default=Path("bench/out"), help="directory for the databases")
    ap.add_argument("--no-trace", action="store_true", help="skip the tracemalloc passes")
    ap.add_argument("--trace-candidates", type=int, default=TRACE_CANDIDATES,
                    help=f"candidates in the tracemalloc pass (default {TRACE_CANDIDATES})")
    ap.add_argument("--same-process", action="store_true", help="run in this process (maxrss not isolated)")
    ap.add_argument("--only", choices=("raw", "spiff", "orm"), help="run one reference only")
    ap.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = ap.parse_args(argv)

    # Import through the package so spawned children can unpickle the function references.
    from bench import baselines as mod

    run = (lambda fn, *a, **k: fn(*a, **k)) if args.same_process else _run_isolated
    trace = dict(trace_memory=not args.no_trace, trace_candidates=args.trace_candidates)
    results: list[BenchResult] = []
    if args.only in (None, "raw"):
        results.append(run(mod.raw_sql_floor, args.n, args.out / "raw_floor.db", **trace))
        print(results[-1].line(), flush=True)
    if args.only in (None, "spiff"):
        results.append(run(mod.spiff_peer, args.n, args.out / "spiff_peer.db", **trace))
        print(results[-1].line(), flush=True)
    if args.only == "orm":
        results.append(run(mod.orm_session_per_step, args.n, args.out / "orm_session.db", **trace))
        print(results[-1].line(), flush=True)
    if len(results) == 2:
        floor, peer = results
        print(
            f"ratio raw_sql_floor / spiff_peer = {floor.rate / peer.rate:.1f}x "
            f"(spiff reaches {100 * peer.rate / floor.rate:.1f}% of the floor)"
        )
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
