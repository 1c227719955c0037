"""Reminder-scan benchmark (issue 3, part 7): the daily scan + outbox insert on a large pipeline.

What is timed is the real service call, `services.notices.reminders.scan(app, as_of)`: read the 'due' and
'recurring' deadlines up to the horizon through the (kind, due_on) index, join candidate and
person, build the notices, and insert them into the outbox (INSERT … ON CONFLICT DO NOTHING) in
one transaction. It runs twice on the same day: the first run creates the notices, the second
finds every key present and creates none (what a restart or a second scheduler process costs).

The pipeline is built in bulk, NOT through the command path (that would take hours for 1 M
candidates): 1 county, 1 township, 1,000 branches (a branch secretary each, with an e-mail
address; a township organisation officer), N people and N candidates at the 'activist' stage of
'cpc_2014@1', each with two open deadlines:

* ('cultivation', 'recurring') — the half-yearly evaluation (scanned; remind_days [14]);
* ('target_selection', 'earliest') — the earliest date for the next step (never scanned; about
  half of these lie in the past, so the kind filter is exercised).

`due_share` of the N candidates (evenly spread over all branches) have their cultivation date in
the scan window, as_of − 30 … as_of + 30 days, cycling through the 61 offsets; everybody else's
lies 60 … 730 days ahead, i.e. spread over the next two years and beyond any horizon. What the
scan must produce is derived here from that design and the rules, independently of the service:

* offset +15 … +30: inside the horizon (as_of + max remind_days of any definition = 30) but
  further than the rule's 14 days: examined, no notice;
* offset 0 … +14: one reminder to the branch secretary;
* offset −1 … −13: one overdue notice to the branch secretary;
* offset −14 … −30: overdue + escalation to the township officer (escalate after 14 days).

Loading: SQLite through stdlib `executemany` over generators on one connection (journal off during
the load, WAL afterwards); PostgreSQL through psycopg `COPY … FROM STDIN` in 1 MB chunks, with FK
triggers off for the load session (`session_replication_role = replica`; the rows are consistent
by construction), then ANALYZE. Secondary indexes (those not backing a constraint) are dropped
for the load and rebuilt from their own DDL afterwards. Loading time is reported separately and
is not part of the figure.

Scale case (`--scale K`): (K − 1) × N more candidates are appended to the same database, all with
deadlines beyond the horizon, so the due rows are exactly the same; the outbox is emptied and the
scan runs twice again. Scan time (K × N) / scan time (N) shows whether the cost grows with the
pipeline (it should not).

Each scan runs in a freshly spawned interpreter, so `peak RSS` is the scan's process (interpreter,
imports, the definitions, the scan) and not the loader's. The registry is loaded before timing,
as it is in a long-running scheduler process.

    python -m bench.scan_bench --backend both --candidates 1000000 --due-share 0.01 --scale 10
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from storage.db import json_dumps, make_engine, upgrade
from storage.tables import candidate, change_marker, contact, deadline, job_watermark, organisation, outbox

DEFINITION_KEY = "cpc_2014@1"
AS_OF = date(2026, 11, 25)  # a Wednesday
BRANCHES = 1000
WINDOW = 30  # due rows: as_of - WINDOW ... as_of + WINDOW
OFFSETS = tuple(range(-WINDOW, WINDOW + 1))  # cycled through by the due rows
FUTURE_FROM, FUTURE_TO = 60, 730  # days ahead for everybody else's cultivation date
STALLED_FROM, STALLED_SPAN = 31, 1095  # stalled: overdue by 31 … 1,095 days (appended: up to 2,190)
# The rules the expected counts are derived from (checked against the definition at run time).
CULTIVATION_REMIND_DAYS = 14  # cpc_2014 cultivation: recurring, remind_days [14]
ESCALATE_AFTER_DAYS = 14  # services.notices.reminders default; the cultivation rule names none
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_PG_SCHEMA = "bench_scan"
OUT = Path(__file__).resolve().parent / "out"

_STAMP = datetime(2026, 1, 1, 8, 0, 0)
_BIG_TABLES = ("person", "candidate", "deadline")


# --------------------------------------------------------------------------------------------
# the design: which candidate is due, and what the scan must find


@dataclass(frozen=True)
class Design:
    """The pipeline's shape and the scan result it implies (independent of services.notices.reminders)."""

    candidates: int  # N, the base pipeline
    due_share: float
    as_of: date
    horizon_days: int  # the scan reads due_on <= as_of + horizon_days
    due_rows: int = 0  # candidates whose cultivation date is in the window
    examined: int = 0  # of those, due_on <= horizon
    notices: int = 0  # notices the scan must create (one channel per recipient here)
    by_kind: dict[str, int] = field(default_factory=dict)
    stalled_share: float = 0.0  # of the base candidates (not due): cultivation overdue by 31 … 1,095 days
    appended_stalled: bool = False  # appended candidates (i >= N) are stalled 1,096 … 2,190 days, not future

    @classmethod
    def make(cls, candidates: int, due_share: float, as_of: date, horizon_days: int,
             stalled_share: float = 0.0) -> Design:
        due = round(candidates * due_share)
        if not 0 <= due <= candidates:
            raise ValueError("due_share must be within 0 … 1")
        if not 0 <= stalled_share <= 1 - due_share:
            raise ValueError("stalled_share must be within 0 … 1 - due_share")
        by_kind = {"reminder": 0, "overdue": 0, "escalation": 0}
        examined = 0
        for j in range(due):
            off = OFFSETS[j % len(OFFSETS)]
            if off > horizon_days:
                continue
            examined += 1
            if off >= 0:
                by_kind["reminder"] += off <= CULTIVATION_REMIND_DAYS
            else:
                by_kind["overdue"] += 1
                by_kind["escalation"] += -off >= ESCALATE_AFTER_DAYS
        return cls(candidates, due_share, as_of, horizon_days, due, examined, sum(by_kind.values()),
                   {k: v for k, v in by_kind.items() if v}, stalled_share)

    def stalled_age(self, i: int) -> int | None:
        """Days candidate i's cultivation is overdue if it is stalled, else None. Base candidates:
        a deterministic `stalled_share` of the non-due ones, ages 31 … 1,095 days (outside every
        threshold window of the day: the daily scan has nothing new for them); appended ones with
        `appended_stalled`: all, 1,096 … 2,190 days (the backlog doubles with older stalls, the
        daily inflow stays)."""
        h = (i * 2654435761) & 0xFFFFFFFF
        if i >= self.candidates:
            return STALLED_SPAN + 1 + h % STALLED_SPAN if self.appended_stalled else None
        if self.due_offset(i) is not None or h % 1_000_000 >= self.stalled_share * 1_000_000:
            return None
        return STALLED_FROM + (h >> 7) % (STALLED_SPAN - STALLED_FROM + 1)
    def due_offset(self, i: int) -> int | None:
        """Offset (days from as_of) of candidate i's cultivation date if it is due, else None.

        Exactly `due_rows` of the base candidates 0 … N-1 are due, evenly spaced (every N/due-th),
        so they fall in every branch; appended candidates (i >= N) never are.
        """
        n, d = self.candidates, self.due_rows
        if i >= n or d == 0:
            return None
        j = i * d // n
        if (i + 1) * d // n == j:
            return None
        return OFFSETS[j % len(OFFSETS)]


def horizon_days(registry) -> int:
    """The full scan's horizon rule (services/notices/reminders.py): the largest remind_days of any rule of
    any loaded definition, at least the default 7."""
    return max(thresholds(registry)[0])


def check_rules(registry) -> None:
    """The expected counts assume cultivation = recurring, remind_days [14], no escalate_after_days."""
    step = registry.get(DEFINITION_KEY).step("cultivation")
    rec = [r for r in step.rules if r.kind == "recurring"]
    remind = sorted({int(x) for r in rec for x in r.params.get("remind_days") or ()})
    esc = [r.params["escalate_after_days"] for r in rec if r.params.get("escalate_after_days") is not None]
    if remind != [CULTIVATION_REMIND_DAYS] or esc:
        raise RuntimeError(f"cultivation rule changed (remind_days={remind}, escalate_after_days={esc}): "
                           "update CULTIVATION_REMIND_DAYS / ESCALATE_AFTER_DAYS in bench/scan_bench.py")


# --------------------------------------------------------------------------------------------
# rows (plain tuples in column order; one generator per table, so nothing is held in memory)

PERSON_COLS = ("id", "name", "gender", "birth_date", "ethnicity", "tags", "party_status", "rights_suspended",
               "created_at")
CANDIDATE_COLS = ("id", "person_id", "branch_id", "definition_key", "stage", "state", "version", "applied_on",
                  "updated_at")
DEADLINE_COLS = ("candidate_id", "branch_id", "step", "kind", "due_on", "provisional", "article")


def _branch_id(i: int, start: int, stop: int) -> int:
    """Candidates of a block [start, stop) are spread over the branches in contiguous runs."""
    return 3 + (i - start) * BRANCHES // (stop - start)  # org ids: 1 county, 2 township, 3… branches


def _spread(i: int) -> int:
    """A deterministic pseudo-random day count in FUTURE_FROM … FUTURE_TO (Knuth's multiplicative hash)."""
    return FUTURE_FROM + (i * 2654435761 & 0xFFFFFFFF) % (FUTURE_TO - FUTURE_FROM + 1)


@dataclass(frozen=True)
class _Cand:
    id: int
    branch_id: int
    cultivation: date  # the recurring deadline (scanned)
    activist_on: date
    earliest: date  # target_selection 'earliest' (not scanned)
    applied_on: date


def _candidates(design: Design, start: int, stop: int) -> Iterator[_Cand]:
    as_of = design.as_of
    for i in range(start, stop):
        off = design.due_offset(i)
        age = design.stalled_age(i) if off is None else None
        cult = as_of + timedelta(days=-age if age is not None else _spread(i) if off is None else off)
        activist = cult - timedelta(days=182 * (1 + i % 4))  # 1 … 4 half-years of cultivation so far
        yield _Cand(i + 1, _branch_id(i, start, stop), cult, activist, activist + timedelta(days=365),
                    activist - timedelta(days=120))


def _state(c: _Cand) -> str:
    """A minimal but valid engine snapshot (engine.state.CandidateState.to_dict) for an activist."""
    applied = c.applied_on.isoformat()
    return json_dumps({
        "definition_key": DEFINITION_KEY, "branch_id": c.branch_id, "stage": "activist",
        "done": {"application": applied, "first_talk": (c.applied_on + timedelta(days=20)).isoformat(),
                 "activist_selection": c.activist_on.isoformat()},
        "entries": {"cultivation": (c.cultivation - c.activist_on).days // 182 - 1},
        "late": {}, "extension_months": 0, "extensions": 0, "seq": 3, "ended_on": None, "applied_on": applied,
    })


def _person_row(c: _Cand) -> tuple:
    return (c.id, f"积极分子{c.id:08d}", "男" if c.id % 2 else "女", date(1980 + c.id % 25, 1 + c.id % 12, 1 + c.id % 28),
            "汉族", "[]", "none", False, _STAMP)


def _candidate_row(c: _Cand) -> tuple:
    return (c.id, c.id, c.branch_id, DEFINITION_KEY, "activist", _state(c), 1, c.applied_on, _STAMP)


def _deadline_rows(c: _Cand) -> tuple[tuple, tuple]:
    return ((c.id, c.branch_id, "cultivation", "recurring", c.cultivation, False, "第十一条"),
            (c.id, c.branch_id, "target_selection", "earliest", c.earliest, False, "第十三条"))


def _org_rows() -> list[dict[str, Any]]:
    rows = [{"id": 1, "code": "county", "name": "镇原县", "level": "county", "kind": None, "parent_id": None,
             "created_at": _STAMP},
            {"id": 2, "code": "township", "name": "南川乡党委", "level": "township", "kind": None, "parent_id": 1,
             "created_at": _STAMP}]
    rows += [{"id": 3 + b, "code": f"b{b:04d}", "name": f"第{b + 1:04d}村党支部", "level": "branch", "kind": "rural",
              "parent_id": 2, "created_at": _STAMP} for b in range(BRANCHES)]
    return rows


def _contact_rows() -> list[dict[str, Any]]:
    rows = [{"org_id": 3 + b, "role": "branch_secretary", "name": f"第{b + 1:04d}村书记",
             "email": f"secretary{b + 1:04d}@branch.example", "webhook_url": None, "active": True}
            for b in range(BRANCHES)]
    rows.append({"org_id": 2, "role": "township_officer", "name": "南川乡组织委员", "email": "zuzhi@nanchuan.example",
                 "webhook_url": None, "active": True})
    return rows


# --------------------------------------------------------------------------------------------
# loading


@dataclass
class LoadInfo:
    candidates: int  # candidates in the database afterwards
    deadline_rows: int
    seconds: float  # this load only (rows + index rebuild + ANALYZE)
    appended: int  # candidates added by this load


def build(url: str, design: Design, *, total: int | None = None) -> LoadInfo:
    """Create the schema on an EMPTY database at `url` and bulk-load the pipeline (candidates
    0 … total-1, default the design's N)."""
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            if conn.execute(select(func.count()).select_from(candidate)).scalar_one():
                raise RuntimeError(f"{url}: not empty")
            conn.execute(insert(organisation), _org_rows())
            conn.execute(insert(contact), _contact_rows())
    finally:
        engine.dispose()
    return _append(url, design, 0, total or design.candidates, started)


def extend(url: str, design: Design, total: int) -> LoadInfo:
    """Append candidates up to `total` (none due; stalled with `design.appended_stalled`) and
    empty the outbox: the scale case, or the doubled backlog."""
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            have = conn.execute(select(func.max(candidate.c.id))).scalar_one() or 0
            conn.execute(outbox.delete())
            conn.execute(job_watermark.delete())
    finally:
        engine.dispose()
    if url.startswith("postgresql"):
        _pg_maintenance(url, "VACUUM outbox")
    return _append(url, design, have, total, started)


def _append(url: str, design: Design, start: int, stop: int, started: float) -> LoadInfo:
    if make_url(url).get_backend_name() == "sqlite":
        _sqlite_load(make_url(url).database, design, start, stop)
    else:
        _pg_load(url, design, start, stop)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(candidate)).scalar_one()
            d = conn.execute(select(func.count()).select_from(deadline)).scalar_one()
    finally:
        engine.dispose()
    return LoadInfo(n, d, time.perf_counter() - started, stop - start)


def _insert_sql(table: str, cols: tuple[str, ...], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"


def _sqlite_load(path: str, design: Design, start: int, stop: int) -> None:
    from bench.target import sqlite_bulk_load  # bench.target imports this module

    sqlite_bulk_load(path, [
        ("person", PERSON_COLS, (_person_row(c) for c in _candidates(design, start, stop))),
        ("candidate", CANDIDATE_COLS, (_candidate_row(c) for c in _candidates(design, start, stop))),
        ("deadline", DEADLINE_COLS, (r for c in _candidates(design, start, stop) for r in _deadline_rows(c))),
    ], _BIG_TABLES)


def _copy_text(v: Any) -> str:
    if v is None:
        return r"\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return str(v)  # no tab, newline or backslash in any generated value


def _copy(cur, table: str, cols: tuple[str, ...], rows: Iterator[tuple], chunk: int = 1 << 20) -> None:
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
        buf: list[str] = []
        size = 0
        for row in rows:
            line = "\t".join(map(_copy_text, row)) + "\n"
            buf.append(line)
            size += len(line)
            if size >= chunk:
                cp.write("".join(buf))
                buf, size = [], 0
        if buf:
            cp.write("".join(buf))


def _pg_load(url: str, design: Design, start: int, stop: int) -> None:
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        pg.autocommit = False
        with pg.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK triggers while loading
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute("""
                SELECT c.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_class t ON t.oid = i.indrelid
                WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
                        (list(_BIG_TABLES),))
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            _copy(cur, "person", PERSON_COLS, (_person_row(c) for c in _candidates(design, start, stop)))
            _copy(cur, "candidate", CANDIDATE_COLS, (_candidate_row(c) for c in _candidates(design, start, stop)))
            _copy(cur, "deadline", DEADLINE_COLS,
                  (r for c in _candidates(design, start, stop) for r in _deadline_rows(c)))
            for _, sql in indexes:
                cur.execute(sql)
            for t in ("person", "candidate"):  # explicit ids: move the sequences past them (deadline has none)
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))")
            cur.execute("SET session_replication_role = DEFAULT")
        pg.commit()
    finally:
        raw.close()
        engine.dispose()
    _pg_maintenance(url, "VACUUM ANALYZE person, candidate, deadline")


def _pg_maintenance(url: str, sql: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# the timed scan (in its own process)


@dataclass
class ScanFigures:
    examined: int
    notices: int
    created: int  # first run (fresh outbox)
    by_kind: dict[str, int]
    seconds: float  # first run, median over the repeats
    again_examined: int
    again_created: int  # second run the same day (every key exists)
    again_seconds: float  # second run, median over the repeats
    outbox_rows: int
    maxrss_mb: float  # peak RSS of the scanning process
    maxrss_start_mb: float  # … before the first scan (interpreter, imports, definitions)
    runs: list[tuple[float, float]] = field(default_factory=list)  # (first, second) of every repeat
    profile: str | None = None


def _maxrss_mb() -> float:
    """This process's peak resident set in MiB.

    Linux: VmHWM of /proc/self/status, the high-water mark of this address space. Not ru_maxrss:
    Linux carries ru_maxrss over fork + exec, so a spawned child would report the loader's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _clear_outbox(engine) -> None:
    with engine.begin() as conn:
        conn.execute(outbox.delete())
        conn.execute(job_watermark.delete())  # the next scan is a first (full) one again
    if engine.dialect.name == "postgresql":  # no dead index entries left for the next insert to meet
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE outbox"))


def measure_scan(url: str, as_of: date = AS_OF, profile: bool = False, repeat: int = 1) -> ScanFigures:
    """Open the app, load the definitions, then time `scan(app, as_of)` twice (wall clock).

    With repeat > 1 the outbox is emptied and the pair is run again; the medians are reported.
    """
    from statistics import median

    from services.app import SHANGHAI, App
    from services.notices.reminders import scan

    app = App.open(url, migrate=False)
    try:
        app.clock = lambda: datetime.combine(as_of, datetime.min.time(), SHANGHAI).replace(hour=6)
        for d in app.registry.definitions():  # a scheduler process has these loaded already
            app.definition(d.key)
        rss_start = _maxrss_mb()
        runs: list[tuple[float, float]] = []
        report = None
        for rep in range(repeat):
            if rep:
                _clear_outbox(app.engine)
            prof = cProfile.Profile() if profile and rep == 0 else None
            t0 = time.perf_counter()
            if prof:
                prof.enable()
            first = scan(app, as_of)
            if prof:
                prof.disable()
                s = io.StringIO()
                pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(25)
                report = s.getvalue()
            t1 = time.perf_counter()
            again = scan(app, as_of)
            runs.append((t1 - t0, time.perf_counter() - t1))
        rss = _maxrss_mb()
        with app.engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
        return ScanFigures(first.examined, first.notices, first.created, dict(first.by_kind),
                           median(r[0] for r in runs), again.examined, again.created, median(r[1] for r in runs),
                           rows, rss, rss_start, runs, report)
    finally:
        app.close()


def measure_isolated(url: str, as_of: date = AS_OF, profile: bool = False, repeat: int = 1) -> ScanFigures:
    """`measure_scan` in a freshly spawned interpreter, so the peak RSS is the scan's own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure_scan, url, as_of, profile, repeat).result()


# --------------------------------------------------------------------------------------------
# the daily scan at county scale (issue 19): yesterday's scan done, today's new work only


def thresholds(registry) -> tuple[set[int], set[int]]:
    """Every remind_days and escalate_after_days of any rule, with the scan's defaults (7, 1; 14)."""
    from services.notices.reminders import rule_thresholds  # which rules name which days (not the windows logic)

    remind, escalate = rule_thresholds(registry)
    return set(remind) | {7, 1}, set(escalate) | {ESCALATE_AFTER_DAYS}


@dataclass(frozen=True)
class DailyDesign:
    """What the day's scan must read and create when yesterday's scan completed (one day's window)."""

    read: int  # due rows on a threshold day of any rule (one index range each) + the changed rows
    examined: int  # of those, the ones whose own rule (cultivation) crosses today + the changed rows
    notices: int
    by_kind: dict[str, int]
    changed_ids: tuple[int, ...]  # candidates whose (future) cultivation row a step touched since


def daily_design(design: Design, changed: int, registry) -> DailyDesign:
    per_offset: dict[int, int] = {}
    for j in range(design.due_rows):
        off = OFFSETS[j % len(OFFSETS)]
        per_offset[off] = per_offset.get(off, 0) + 1
    remind, escalate = thresholds(registry)
    read_offsets = set(remind) | {-1} | {-e for e in escalate}
    read = sum(per_offset.get(o, 0) for o in read_offsets)
    by_kind = {"reminder": per_offset.get(CULTIVATION_REMIND_DAYS, 0),
               "overdue": per_offset.get(-1, 0) + per_offset.get(-ESCALATE_AFTER_DAYS, 0),
               "escalation": per_offset.get(-ESCALATE_AFTER_DAYS, 0)}  # empty outbox: -14 gets its overdue too
    crossing = by_kind["reminder"] + per_offset.get(-1, 0) + per_offset.get(-ESCALATE_AFTER_DAYS, 0)
    ids: list[int] = []  # future (not due, not stalled) candidates spread over the county
    stride, i = max(1, design.candidates // max(1, 2 * changed)), 0
    while len(ids) < changed and i < design.candidates:
        if design.due_offset(i) is None and design.stalled_age(i) is None:
            ids.append(i + 1)
        i += stride
    return DailyDesign(read + len(ids), crossing + len(ids), sum(by_kind.values()),
                       {k: v for k, v in by_kind.items() if v}, tuple(ids))


@dataclass
class DailyFigures:
    read: int
    examined: int
    created: int
    by_kind: dict[str, int]
    full: bool
    cpu_s: float  # this process's CPU (user + system) in scan(), median of the repeats
    wall_s: float  # median
    again_read: int  # a rescan of the same day
    again_created: int
    again_wall_s: float
    maxrss_mb: float  # VmHWM of the scanning process (interpreter, imports, definitions, scans)
    maxrss_start_mb: float  # … before the first scan
    traced_peak_mb: float  # Python allocations at their peak during one scan (tracemalloc, an extra run)
    runs: list[tuple[float, float]] = field(default_factory=list)  # (cpu, wall) of every repeat
    server_cpu_s: float | None = None  # PostgreSQL: the backend's CPU in scan() (median), from /proc
    full_scan: dict[str, float] | None = None  # --with-full: a full scan of the same day (read, cpu, wall, rss)


def _backend_cpu(app) -> tuple[int, float] | None:
    """(pid, CPU seconds) of the PostgreSQL backend behind this thread's connection (a local server:
    /proc/<pid>/stat), or None (SQLite, or a server elsewhere)."""
    if app.engine.dialect.name != "postgresql":
        return None
    with app.uow(read_only=True) as uow:
        pid = uow.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure_daily(url: str, as_of: date, changed_ids: tuple[int, ...], repeat: int = 3,
                  with_full: bool = False) -> DailyFigures:
    """Yesterday's scan completed (its watermark is written now, after the load), then the day's
    steps touched `changed_ids`' deadline rows; time `scan(app, as_of)` and a rescan. Each repeat
    empties the outbox and puts the watermark back."""
    import tracemalloc
    from statistics import median

    from services.app import SHANGHAI, App
    from services.notices.reminders import SCAN_JOB, scan

    app = App.open(url, migrate=False)
    try:
        app.clock = lambda: datetime.combine(as_of, datetime.min.time(), SHANGHAI).replace(hour=6)
        for d in app.registry.definitions():
            app.definition(d.key)
        with app.uow() as uow:
            mark = uow.deadlines.change_mark()
            uow.job_runs.set_watermark(SCAN_JOB, as_of - timedelta(days=1), mark[0], mark[1], app.utcnow())
        with app.uow() as uow:  # the day's steps: new change markers on their rows
            for k in range(0, len(changed_ids), 5000):
                uow.connection.execute(deadline.update().where(
                    deadline.c.candidate_id.in_(changed_ids[k:k + 5000]), deadline.c.kind == "recurring"
                ).values(changed=change_marker()))

        def reset() -> None:
            with app.uow() as uow:
                uow.connection.execute(outbox.delete())
                uow.job_runs.set_watermark(SCAN_JOB, as_of - timedelta(days=1), mark[0], mark[1], app.utcnow())

        rss_start = _maxrss_mb()
        runs: list[tuple[float, float]] = []
        again_walls: list[float] = []
        server: list[float] = []
        for rep in range(repeat):
            if rep:
                reset()
            b0 = _backend_cpu(app)
            c0, t0 = time.process_time(), time.perf_counter()
            first = scan(app, as_of)
            c1, t1 = time.process_time(), time.perf_counter()
            b1 = _backend_cpu(app)
            if b0 and b1 and b0[0] == b1[0]:
                server.append(b1[1] - b0[1])
            again = scan(app, as_of)
            again_walls.append(time.perf_counter() - t1)
            runs.append((c1 - c0, t1 - t0))
        rss = _maxrss_mb()
        reset()
        tracemalloc.start()
        scan(app, as_of)
        traced = tracemalloc.get_traced_memory()[1] / (1 << 20)
        tracemalloc.stop()
        full_scan = None
        if with_full:  # what every day cost before issue 19 (and what `partyflow scan --full` costs)
            reset()
            b0 = _backend_cpu(app)
            c0, t0 = time.process_time(), time.perf_counter()
            r = scan(app, as_of, full=True)
            c1, t1 = time.process_time(), time.perf_counter()
            b1 = _backend_cpu(app)
            full_scan = {"read": r.read, "created": r.created, "cpu_s": c1 - c0, "wall_s": t1 - t0,
                    "server_cpu_s": (b1[1] - b0[1]) if b0 and b1 and b0[0] == b1[0] else None,
                    "maxrss_mb": _maxrss_mb()}
            reset()
        return DailyFigures(first.read, first.examined, first.created, dict(first.by_kind), first.full,
                            median(r[0] for r in runs), median(r[1] for r in runs), again.read, again.created,
                            median(again_walls), rss, rss_start, traced, runs,
                            median(server) if server else None, full_scan)
    finally:
        app.close()


def measure_daily_isolated(url: str, as_of: date, changed_ids: tuple[int, ...], repeat: int = 3,
                           with_full: bool = False) -> DailyFigures:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure_daily, url, as_of, changed_ids, repeat, with_full).result()


@dataclass
class DailyRow:
    backend: str
    candidates: int
    stalled: int
    deadline_rows: int
    figures: DailyFigures
    load_seconds: float

    def cells(self) -> list[str]:
        f = self.figures
        return [self.backend, f"{self.candidates:,}", f"{self.stalled:,}", f"{self.deadline_rows:,}",
                f"{f.read:,} / {f.examined:,}", f"{f.created:,}",
                f"{f.cpu_s:.3f}" + (f" + {f.server_cpu_s:.3f}" if f.server_cpu_s is not None else ""), f"{f.wall_s:.3f}",
                f"{f.again_read:,} / {f.again_wall_s:.3f}", f"{f.maxrss_mb:.0f} ({f.maxrss_start_mb:.0f})",
                f"{f.traced_peak_mb:.1f}", f"{self.load_seconds:.0f}"]


DAILY_HEADER = ["backend", "candidates", "stalled (overdue 31 d … 6 y)", "deadline rows", "read / examined",
                "created", "scan CPU s (client + server)", "scan wall s", "rescan read / wall s", "peak RSS MiB (before)",
                "traced peak MiB", "load s"]


def _count_stalled(url: str, as_of: date) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(deadline).where(
                deadline.c.kind == "recurring", deadline.c.due_on < as_of - timedelta(days=WINDOW))).scalar_one()
    finally:
        engine.dispose()


def run_daily(backend: str, url: str, design: Design, daily: DailyDesign, *, double: bool = True, repeat: int = 3,
              with_full: bool = False, log=print) -> list[DailyRow]:
    """Build the county at `url` (empty), measure the daily scan; with `double`, append as many
    stalled candidates again (older stalls: the backlog doubles, the day's work does not) and measure again."""
    rows: list[DailyRow] = []
    log(f"[{backend}] loading {design.candidates:,} candidates ({design.stalled_share:.0%} stalled) …")
    load = build(url, design)
    cases = [(design, load)]
    for case, (d, ld) in enumerate(cases):
        stalled = _count_stalled(url, design.as_of)
        log(f"[{backend}] loaded in {ld.seconds:.1f} s: {ld.candidates:,} candidates, {stalled:,} stalled, "
            f"{ld.deadline_rows:,} deadline rows; daily scan …")
        f = measure_daily_isolated(url, design.as_of, daily.changed_ids, repeat, with_full and case == 0)
        rows.append(DailyRow(backend, ld.candidates, stalled, ld.deadline_rows, f, ld.seconds))
        log(f"[{backend}] daily scan: read {f.read:,}, examined {f.examined:,}, created {f.created:,} "
            f"(full={f.full}); CPU {f.cpu_s:.3f} s, wall {f.wall_s:.3f} s; rescan read {f.again_read:,} "
            f"in {f.again_wall_s:.3f} s; peak RSS {f.maxrss_mb:.0f} MiB (before {f.maxrss_start_mb:.0f}); "
            f"traced peak {f.traced_peak_mb:.1f} MiB; server CPU {f.server_cpu_s}; runs (cpu, wall): "
            + ", ".join(f"({a:.3f}, {b:.3f})" for a, b in f.runs))
        if f.full_scan:
            fs = f.full_scan
            log(f"[{backend}] full scan of the same day: read {fs['read']:,}, created {fs['created']:,}, "
                f"CPU {fs['cpu_s']:.2f} s (server {fs['server_cpu_s']}), wall {fs['wall_s']:.2f} s, "
                f"peak RSS {fs['maxrss_mb']:.0f} MiB")
        if double and case == 0:
            extra = stalled  # as many stalled again, older
            bigger = replace(design, appended_stalled=True)
            log(f"[{backend}] appending {extra:,} stalled candidates (overdue 3 … 6 years) …")
            cases.append((bigger, extend(url, bigger, design.candidates + extra)))
    return rows


def run_daily_interleaved(backend: str, url: str, url_b: str, design: Design, daily: DailyDesign, *, rounds: int,
                          repeat: int = 3, log=print) -> list[DailyRow]:
    """The doubling ratio with less noise: the county at `url`, the county with the doubled backlog
    at `url_b` (both built here, empty before), then `rounds` measurements of each, alternating
    (A B, B A, …), each in a fresh process; the medians over the rounds are reported."""
    bigger = replace(design, appended_stalled=True)
    loads = []
    for u in (url, url_b):
        log(f"[{backend}] loading {design.candidates:,} candidates ({design.stalled_share:.0%} stalled) …")
        loads.append(build(u, design))
    stalled = _count_stalled(url, design.as_of)
    log(f"[{backend}] appending {stalled:,} stalled candidates (overdue 3 … 6 years) to the second …")
    loads[1] = extend(url_b, bigger, design.candidates + stalled)
    figs: list[list[DailyFigures]] = [[], []]
    from statistics import median

    for r in range(rounds):
        for k in ((0, 1) if r % 2 == 0 else (1, 0)):
            figs[k].append(measure_daily_isolated((url, url_b)[k], design.as_of, daily.changed_ids, repeat))
        log(f"[{backend}] round {r + 1}: CPU {figs[0][-1].cpu_s:.3f} / {figs[1][-1].cpu_s:.3f} s, "
            f"wall {figs[0][-1].wall_s:.3f} / {figs[1][-1].wall_s:.3f} s (base / doubled)")
    rows = []
    for k, u in enumerate((url, url_b)):
        f = figs[k][0]
        server = [x.server_cpu_s for x in figs[k] if x.server_cpu_s is not None]
        f = replace(f, cpu_s=median(x.cpu_s for x in figs[k]), wall_s=median(x.wall_s for x in figs[k]),
                    again_wall_s=median(x.again_wall_s for x in figs[k]), maxrss_mb=max(x.maxrss_mb for x in figs[k]),
                    server_cpu_s=median(server) if server else None,
                    runs=[(x.cpu_s, x.wall_s) for x in figs[k]])
        rows.append(DailyRow(backend, loads[k].candidates, _count_stalled(u, design.as_of), loads[k].deadline_rows, f,
                             loads[k].seconds))
    return rows


def daily_mismatches(rows: list[DailyRow], daily: DailyDesign) -> list[str]:
    out = []
    for r in rows:
        f = r.figures
        got = (f.full, f.read, f.examined, f.created, f.by_kind, f.again_read, f.again_created)
        want = (False, daily.read, daily.examined, daily.notices, daily.by_kind, 0, 0)
        if got != want:
            out.append(f"MISMATCH {r.backend} {r.candidates:,}: (full, read, examined, created, by_kind, again read, "
                       f"again created) = {got}, designed {want}")
    return out


# --------------------------------------------------------------------------------------------
# one backend, end to end


@dataclass
class Row:
    backend: str
    candidates: int
    deadline_rows: int
    due_rows: int
    expected_notices: int
    scan: ScanFigures
    load_seconds: float
    appended: int

    def cells(self) -> list[str]:
        s = self.scan
        return [self.backend, f"{self.candidates:,}", f"{self.deadline_rows:,}", f"{self.due_rows:,}",
                f"{s.examined:,}", f"{s.created:,} / {s.again_created:,}", f"{s.seconds:.3f} / {s.again_seconds:.3f}",
                f"{s.maxrss_mb:.0f}", f"{self.load_seconds:.1f}" + (f" (+{self.appended:,})" if self.appended else "")]


HEADER = ["backend", "candidates", "deadline rows", "due rows", "examined", "created (1st / 2nd)",
          "scan s (1st / 2nd)", "peak RSS MiB", "load s"]


def markdown(rows: list[Row]) -> str:
    out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(out)


def make_design(candidates: int, due_share: float, as_of: date = AS_OF) -> Design:
    from workflows.registry import Registry

    registry = Registry.default()
    check_rules(registry)
    return Design.make(candidates, due_share, as_of, horizon_days(registry))


def run_backend(backend: str, url: str, design: Design, scale: int = 1, *, isolated: bool = True,
                profile: bool = False, repeat: int = 1, log=print) -> list[Row]:
    """Build the pipeline at `url` (empty), scan it; with scale > 1 append and scan again."""
    measure = measure_isolated if isolated else measure_scan
    rows: list[Row] = []
    totals = [design.candidates] + ([design.candidates * scale] if scale > 1 else [])
    for total in totals:
        if total == design.candidates:
            log(f"[{backend}] loading {total:,} candidates …")
            load = build(url, design)
        else:
            log(f"[{backend}] appending {total - design.candidates:,} candidates (none due) …")
            load = extend(url, design, total)
        log(f"[{backend}] loaded in {load.seconds:.1f} s: {load.candidates:,} candidates, "
            f"{load.deadline_rows:,} deadline rows; scanning …")
        figures = measure(url, design.as_of, profile, repeat)
        rows.append(Row(backend, load.candidates, load.deadline_rows, design.due_rows, design.notices, figures,
                        load.seconds, load.appended if total != design.candidates else 0))
        log(f"[{backend}] scan: examined {figures.examined:,}, created {figures.created:,} in {figures.seconds:.3f} s; "
            f"again: created {figures.again_created:,} in {figures.again_seconds:.3f} s; "
            f"peak RSS {figures.maxrss_mb:.0f} MiB; runs (1st, 2nd) s: "
            + ", ".join(f"({a:.3f}, {b:.3f})" for a, b in figures.runs))
        if figures.profile:
            log(figures.profile)
    return rows


def _sqlite_url(candidates: int, suffix: str = "") -> tuple[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"scan_{candidates}{suffix}.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", path


def _pg_url(base: str, schema: str) -> str:
    u = make_url(base)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def _pg_schema(base: str, schema: str, *, create: bool) -> None:
    engine = make_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if create:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scan_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--candidates", type=int, default=1_000_000, help="N, the base pipeline (default 1,000,000)")
    ap.add_argument("--due-share", type=float, default=0.01, help="share of N due in the window (default 0.01)")
    ap.add_argument("--stalled-share", type=float, default=0.25,
                    help="share of N stalled, overdue 31 days … 3 years (default 0.25; the daily mode)")
    ap.add_argument("--changed", type=int, default=2000, help="deadline rows the day's steps touched (default 2000)")
    ap.add_argument("--no-double", action="store_true", help="daily mode: skip the doubled-backlog case")
    ap.add_argument("--interleave", type=int, default=0, metavar="R",
                    help="daily mode: build the doubled backlog as a second database and measure both R times, "
                         "alternating (a steadier ratio on a busy machine)")
    ap.add_argument("--with-full", action="store_true",
                    help="daily mode: also time one full scan of the same day (the cost before issue 19)")
    ap.add_argument("--pipeline", action="store_true",
                    help="the issue-3 measurement instead: a first (full) scan and a rescan, no stalled candidates")
    ap.add_argument("--scale", type=int, default=1, help="--pipeline: also append to K × N candidates, same due rows")
    ap.add_argument("--as-of", type=date.fromisoformat, default=AS_OF, help=f"scan date (default {AS_OF})")
    ap.add_argument("--pg-url", default=os.environ.get("PARTYFLOW_BENCH_PG_URL", DEFAULT_PG_URL))
    ap.add_argument("--pg-schema", default=DEFAULT_PG_SCHEMA, help="dedicated schema, dropped at the end")
    ap.add_argument("--keep", action="store_true", help="keep the SQLite file and the PostgreSQL schema")
    ap.add_argument("--repeat", type=int, default=3,
                    help="scans per case, outbox (and watermark) reset in between; medians reported (default 3)")
    ap.add_argument("--profile", action="store_true", help="--pipeline: cProfile the first scan (adds overhead)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    args = ap.parse_args(argv)
    if args.pipeline:
        return _pipeline_main(args)

    from workflows.registry import Registry

    registry = Registry.default()
    check_rules(registry)
    design = Design.make(args.candidates, args.due_share, args.as_of, horizon_days(registry), args.stalled_share)
    daily = daily_design(design, args.changed, registry)
    print(f"design: N={design.candidates:,}, due rows {design.due_rows:,} (offsets {-WINDOW}…+{WINDOW} days), "
          f"~{design.stalled_share:.0%} stalled (overdue {STALLED_FROM}…{STALLED_SPAN} days), {len(daily.changed_ids):,} "
          f"rows changed since yesterday's scan; the day's scan must read {daily.read:,}, examine "
          f"{daily.examined:,}, create {daily.notices:,} {daily.by_kind}", flush=True)
    log = lambda m: print(m, flush=True)
    rows: list[DailyRow] = []
    for backend, url, cleanup in _backends(args):
        try:
            if args.interleave:
                url_b, cleanup_b = _second(backend, args)
                try:
                    rows += run_daily_interleaved(backend, url, url_b, design, daily, rounds=args.interleave,
                                                  repeat=args.repeat, log=log)
                finally:
                    cleanup_b()
            else:
                rows += run_daily(backend, url, design, daily, double=not args.no_double, repeat=args.repeat,
                                  with_full=args.with_full, log=log)
        finally:
            cleanup()
    print()
    print("| " + " | ".join(DAILY_HEADER) + " |")
    print("|" + "---|" * len(DAILY_HEADER))
    for r in rows:
        print("| " + " | ".join(r.cells()) + " |")
    print()
    for backend in {r.backend for r in rows}:
        mine = [r for r in rows if r.backend == backend]
        if len(mine) == 2:
            base, big = mine
            print(f"{backend}: backlog {big.stalled:,} vs {base.stalled:,} stalled: daily scan CPU "
                  f"{big.figures.cpu_s:.3f} / {base.figures.cpu_s:.3f} s = {big.figures.cpu_s / base.figures.cpu_s:.2f}×, "
                  f"wall {big.figures.wall_s:.3f} / {base.figures.wall_s:.3f} s = "
                  f"{big.figures.wall_s / base.figures.wall_s:.2f}×, rows read {big.figures.read:,} / {base.figures.read:,}"
                  + (f", server CPU {big.figures.server_cpu_s:.3f} / {base.figures.server_cpu_s:.3f} s"
                     if big.figures.server_cpu_s is not None and base.figures.server_cpu_s is not None else ""))
            if base.figures.full_scan:
                fb = base.figures.full_scan
                print(f"{backend}: full scan of the same day at {base.stalled:,} stalled: CPU {fb['cpu_s']:.2f} s "
                      f"(server {fb['server_cpu_s']}), wall {fb['wall_s']:.2f} s, peak RSS {fb['maxrss_mb']:.0f} MiB = "
                      f"{fb['cpu_s'] / base.figures.cpu_s:.0f}× the daily scan's client CPU")
    bad = daily_mismatches(rows, daily)
    for m in bad:
        print(m, file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2, default=str))
    return 1 if bad else 0


def _backends(args):
    """(backend, url, cleanup) for each chosen backend, each on an empty database."""
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        if backend == "sqlite":
            url, path = _sqlite_url(args.candidates)

            def cleanup(path=path):
                if not args.keep:
                    for suffix in ("", "-wal", "-shm", "-journal"):
                        Path(f"{path}{suffix}").unlink(missing_ok=True)
            yield "sqlite", url, cleanup
        else:
            _pg_schema(args.pg_url, args.pg_schema, create=True)

            def cleanup():
                if not args.keep:
                    _pg_schema(args.pg_url, args.pg_schema, create=False)
            yield "postgresql", _pg_url(args.pg_url, args.pg_schema), cleanup


def _second(backend: str, args):
    """A second empty database of the backend (the doubled backlog of --interleave) and its cleanup."""
    if backend == "sqlite":
        url, path = _sqlite_url(args.candidates, suffix="_b")
        return url, lambda: None if args.keep else [Path(f"{path}{x}").unlink(missing_ok=True)
                                                    for x in ("", "-wal", "-shm", "-journal")]
    schema = f"{args.pg_schema}_b"
    _pg_schema(args.pg_url, schema, create=True)
    return _pg_url(args.pg_url, schema), lambda: None if args.keep else _pg_schema(args.pg_url, schema, create=False)


def _pipeline_main(args) -> int:
    design = make_design(args.candidates, args.due_share, args.as_of)
    print(f"design: N={design.candidates:,}, due rows {design.due_rows:,} (offsets {-WINDOW}…+{WINDOW} days), "
          f"horizon as_of+{design.horizon_days}, expected examined {design.examined:,}, "
          f"notices {design.notices:,} {design.by_kind}", flush=True)
    log = lambda m: print(m, flush=True)
    rows: list[Row] = []
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend, url, cleanup in _backends(args):
        try:
            rows += run_backend(backend, url, design, args.scale, profile=args.profile, repeat=args.repeat, log=log)
        finally:
            cleanup()
    print()
    print(markdown(rows))
    print()
    for backend in backends:
        mine = [r for r in rows if r.backend == backend]
        if len(mine) == 2:
            base, big = mine
            print(f"{backend}: {big.candidates / base.candidates:.0f}× the candidates "
                  f"({big.deadline_rows:,} vs {base.deadline_rows:,} deadline rows), same {design.due_rows:,} due rows: "
                  f"scan {big.scan.seconds:.3f} s vs {base.scan.seconds:.3f} s = {big.scan.seconds / base.scan.seconds:.2f}×")
    bad = [r for r in rows if (r.scan.examined, r.scan.created, r.scan.again_created)
           != (design.examined, design.notices, 0)]
    for r in bad:
        print(f"MISMATCH {r.backend} {r.candidates:,}: examined {r.scan.examined} created {r.scan.created} "
              f"again {r.scan.again_created}; designed {design.examined} / {design.notices} / 0", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2, default=str))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
