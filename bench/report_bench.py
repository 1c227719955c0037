"""Period-report benchmark (issue 4, part 8): `build_report` over 1 M candidates, SQLite and PostgreSQL.

What is timed is the real service call, `services.reporting.period_report.build_report(app, org, "2018H1")`: the
one counting statement over `milestone` alone (a materialised CTE grouped per branch and per person
profile, reports/query.py), the year-to-date count for the plan, the pipeline-health queries
(overdue and next-period deadlines, late steps from the event log) and the branches without
development — for the whole county and for one township.

The database is filled in bulk, NOT through the command path (that would take hours): one county,
70 townships, 1,000 branches (spread round-robin over the townships), N people, N candidates and
N milestone rows spread over 2009–2019, with the process's real proportions roughly kept:
65 % of applicants become activists (30–200 days after applying), 70 % of those development
targets (after 366–700 days), 85 % of those are admitted (60–300 days later); of the admitted
90 % convert a year after the branch meeting, 5 % have probation extended, 3 % cancelled; some
withdraw or lapse at each stage, and a candidacy stalled for three years is closed (not selected)
two years after its last step. Dates after 2019-12-31 are cut (the record is "as of" then).
Open candidates get their open deadline rows (a due, a recurring or an earliest row by stage),
and 3 % of candidates a late step in the event log (the only event rows: the late-step query
reads the partial index on late events, so the millions of on-time events a real log holds do
not enter it). 5 % of candidates moved from another branch once (a `branch_tenure` row and
`milestone.held_from`, drawn from a separate random stream so everything else stays as it was):
the report counts what happened before the move for the branch they left. Stage and state columns are filled plausibly but the report never reads them.
The load is stdlib `executemany` on SQLite and `COPY` on PostgreSQL, then ANALYZE; load time is
printed but is not the figure.

    python -m bench.report_bench                     # SQLite file under bench/out/, 1 M candidates
    python -m bench.report_bench --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python -m bench.report_bench --candidates 100000 --keep
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.scan_bench import _copy, _pg_maintenance
from bench.target import bench_database, drop_bench_database, sqlite_bulk_load
from storage.db import make_engine, upgrade
from storage.repositories import Profile

PG_SCHEMA = "bench_report"
TOWNSHIPS, BRANCHES = 70, 1000
FIRST, LAST = date(2009, 1, 1), date(2019, 12, 31)
NOW = datetime(2020, 1, 1, 9, 0)
KEY = "cpc_2014@1"

EDUCATION = ["初中", "高中", "中专", "大专", "大学本科", "本科", "硕士研究生", "小学", "大学专科", None]
EDU_W = [18, 20, 8, 22, 12, 6, 3, 5, 3, 3]
OCCUPATION = ["农牧渔民", "企业员工", "专业技术人员", "党政机关工作人员", "学生", "个体工商户", "退休人员", None]
OCC_W = [40, 15, 12, 8, 10, 8, 2, 5]
ETHNICITY = ["汉族", "回族", "藏族", "东乡族", "蒙古族"]
ETH_W = [90, 5, 2, 2, 1]
TAGS = ["[]", '["致富带头人"]', '["村干部"]', '["致富带头人", "村干部"]', '["退役军人"]', '["青年农民"]',
        '["外出务工/流动人员"]']
TAG_W = [60, 12, 8, 4, 5, 8, 3]

PERSON_COLS = ("id", "name", "gender", "birth_date", "ethnicity", "education", "occupation", "tags",
               "party_status", "rights_suspended", "created_at")
CANDIDATE_COLS = ("id", "person_id", "branch_id", "definition_key", "stage", "state", "version", "applied_on",
                  "updated_at")
MILESTONE_COLS = ("candidate_id", "person_id", "branch_id", "applied_on", "activist_on", "target_on", "admitted_on",
                  "probation_from", "full_on", "extended_on", "ended_on", "end_stage", "first_on", "closed_on",
                  "profile_id", "birth_date", "held_from")
TENURE_COLS = ("candidate_id", "ordinal", "branch_id", "held_from", "held_until")
MOVED_SHARE = 0.05
PROFILE_COLS = ("id", "key", "gender", "education", "ethnicity", "occupation", "tags")
DEADLINE_COLS = ("candidate_id", "branch_id", "step", "kind", "due_on", "provisional", "article")
EVENT_COLS = ("candidate_id", "seq", "kind", "step", "occurred_on", "recorded_at", "actor", "evidence", "late",
              "definition_key")
BIG = ("person", "candidate", "milestone", "deadline", "event", "branch_tenure")


def _d(o: int | None) -> date | None:
    return date.fromordinal(o) if o is not None else None


def generate(n: int, seed: int = 2018):
    """Rows for the six tables, as lists of tuples (dates as `date`)."""
    rng = random.Random(seed)
    moves = random.Random(seed + 1)  # its own stream: the other rows are the same with or without moves
    tenures = []
    first, last = FIRST.toordinal(), LAST.toordinal()
    span = last - first
    people, cands, miles, deadlines, events = [], [], [], [], []
    profiles: dict[Profile, int] = {}
    edu = rng.choices(EDUCATION, EDU_W, k=n)
    occ = rng.choices(OCCUPATION, OCC_W, k=n)
    eth = rng.choices(ETHNICITY, ETH_W, k=n)
    tags = rng.choices(TAGS, TAG_W, k=n)
    for i in range(n):
        cid = i + 1
        branch = 1 + TOWNSHIPS + 1 + (i * 7919) % BRANCHES  # org ids: 1 county, 2..71 townships, then branches
        applied = first + rng.randrange(span)
        birth = applied - rng.randrange(18 * 365 + 5, 55 * 365)
        activist = target = admitted = probation = full = extended = ended = None
        end_stage = None
        r = rng.random
        if r() < 0.65:
            activist = applied + rng.randrange(30, 200)
            if r() < 0.7:
                target = activist + rng.randrange(366, 700)
                if r() < 0.85:
                    admitted = target + rng.randrange(60, 300)
                    probation = admitted - rng.randrange(10, 60)
                    x = r()
                    if x < 0.90:
                        full = probation + 365 + rng.randrange(20, 90)
                    elif x < 0.95:
                        extended = probation + 365 + rng.randrange(0, 30)
                        full = extended + rng.randrange(200, 380)
                    elif x < 0.98:
                        ended, end_stage = probation + 365 + rng.randrange(0, 30), "probation_cancelled"
                elif r() < 0.3:
                    ended, end_stage = target + rng.randrange(30, 200), "disqualified"
            elif r() < 0.2:
                ended, end_stage = activist + rng.randrange(200, 600), "withdrawn"
        elif r() < 0.3:
            ended, end_stage = applied + rng.randrange(400, 900), "not_selected"
        # a candidacy that stalls is closed as 长期未被确定 two years after its last step (a real
        # township closes them; left open they would be "overdue" for ever)
        if end_stage is None and full is None:
            lastm = max(x for x in (applied, activist, target, admitted, extended) if x is not None)
            if lastm + 3 * 365 < last and not admitted:
                ended, end_stage = lastm + 2 * 365, "not_selected"
        # the record as of LAST: later dates have not happened yet
        cols = [activist, target, admitted, probation, full, extended]
        activist, target, admitted, probation, full, extended = (x if x is not None and x <= last else None for x in cols)
        if admitted is None:
            probation = None
        if ended is not None and ended > last:
            ended = end_stage = None
        stage = (end_stage or ("full_member" if full else "probationary" if admitted else "development_target" if target
                               else "activist" if activist else "applicant"))
        gender = "男" if r() < 0.62 else "女"
        people.append((cid, f"候选人{cid}", gender, _d(birth), eth[i], edu[i], occ[i], tags[i],
                       "full_member" if full else "probationary" if admitted and not ended else "none", False, NOW))
        cands.append((cid, cid, branch, KEY, stage, "{}", 1, _d(applied), NOW))
        profile = profiles.setdefault(Profile.of(gender, edu[i], eth[i], occ[i], tags[i]), len(profiles) + 1)
        known = [x for x in (applied, activist, target, admitted, probation, full, extended, ended) if x is not None]
        held_from = None
        if moves.random() < MOVED_SHARE:  # moved here from another branch once, at a day of the candidacy
            held_from = moves.randrange(applied, max(known) + 1)
            left = 1 + TOWNSHIPS + 1 + (i * 7919 + moves.randrange(1, BRANCHES)) % BRANCHES
            tenures.append((cid, 1, left, None, _d(held_from)))
        miles.append((cid, cid, branch, _d(applied), _d(activist), _d(target), _d(admitted), _d(probation), _d(full),
                      _d(extended), _d(ended), end_stage, _d(min(known)), _d(max(known)) if end_stage or full else None,
                      profile, _d(birth), _d(held_from)))
        if end_stage is None and full is None:  # open: its next deadline rows
            if admitted:
                deadlines.append((cid, branch, "conversion_meeting", "earliest", _d((extended or probation) + 365),
                                  False, "第三十三条"))
                deadlines.append((cid, branch, "probation_education", "recurring", _d(admitted + 180), False, "第三十二条"))
            elif target:
                deadlines.append((cid, branch, "political_review", "due", _d(target + 120), False, ""))
            elif activist:
                deadlines.append((cid, branch, "target_selection", "earliest", _d(activist + 365), False, "第十三条"))
                deadlines.append((cid, branch, "cultivation", "recurring", _d(activist + 180), False, "第十一条"))
            else:
                deadlines.append((cid, branch, "first_talk", "due", _d(applied + 30), False, "第七条"))
        if r() < 0.03 and applied + 45 <= last:
            events.append((cid, 2, "step", "first_talk", _d(applied + 45), NOW, "书记", "{}", True, KEY))
    profile_rows = [(pid, p.key, *p) for p, pid in profiles.items()]
    return people, profile_rows, cands, miles, deadlines, events, tenures


def _orgs(townships: int = TOWNSHIPS, branches: int = BRANCHES) -> list[tuple]:
    """One county (id 1), `townships` townships t01, t02, … (ids 2..townships+1) and `branches`
    branches b0001, b0002, … spread round-robin over them (branch k lies in township
    (k - 1) % townships + 1: b0001 in t01, b0002 in t02, …)."""
    rows = [(1, "county", "全县县委", "county", None, None, NOW)]
    for t in range(townships):
        rows.append((2 + t, f"t{t + 1:02d}", f"第{t + 1}乡党委", "township", None, 1, NOW))
    for b in range(branches):
        rows.append((2 + townships + b, f"b{b + 1:04d}", f"第{b + 1}村党支部", "branch", "rural",
                     2 + b % townships, NOW))
    return rows


ORG_COLS = ("id", "code", "name", "level", "kind", "parent_id", "created_at")


def load(url: str, n: int, log) -> float:
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    people, profile_rows, cands, miles, deadlines, events, tenures = generate(n)
    log(f"  generated {n:,} candidates ({len(tenures):,} moved between branches), {len(deadlines):,} deadline rows, "
        f"{len(events):,} late events "
        f"in {time.perf_counter() - started:.1f} s")
    tables = [("organisation", ORG_COLS, _orgs()), ("person_profile", PROFILE_COLS, profile_rows),
              ("person", PERSON_COLS, people),
              ("candidate", CANDIDATE_COLS, cands), ("milestone", MILESTONE_COLS, miles),
              ("deadline", DEADLINE_COLS, deadlines), ("event", EVENT_COLS, events),
              ("branch_tenure", TENURE_COLS, tenures)]
    if url.startswith("sqlite"):
        _sqlite_load(make_url(url).database, tables)
    else:
        _pg_load(url, tables)
    return time.perf_counter() - started


def _sqlite_load(path: str, tables) -> None:
    sqlite_bulk_load(path, tables, BIG)


def _pg_load(url: str, tables) -> None:
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        pg.autocommit = False
        with pg.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute("""
                SELECT c.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_class t ON t.oid = i.indrelid
                WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""", (list(BIG),))
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            for table, cols, rows in tables:
                _copy(cur, table, cols, iter(rows))
            for _, sql in indexes:
                cur.execute(sql)
            for t in ("organisation", "person", "candidate"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))")
            cur.execute("SET session_replication_role = DEFAULT")
        pg.commit()
    finally:
        raw.close()
        engine.dispose()
    _pg_maintenance(url, "VACUUM ANALYZE organisation, person, candidate, milestone, deadline, event, branch_tenure")


def time_reports(url: str, period: str, repeat: int, log) -> list[dict]:
    from services.app import SHANGHAI, App
    from services.reporting.period_report import build_report

    app = App.open(url, migrate=False)
    app.clock = lambda: datetime(2020, 1, 1, 9, 0, tzinfo=SHANGHAI)
    rows = []
    try:
        for org, what in (("county", "county (70 townships, 1,000 branches)"), ("t01", "one township (~14 branches)")):
            times = []
            report = None
            for _ in range(repeat):
                t = time.perf_counter()
                report = build_report(app, org, period, as_of=date(2020, 1, 1))
                times.append(time.perf_counter() - t)
            figures = {k: report.total(k) for k in report.measures}
            h = report.health
            rows.append({"org": what, "first_s": times[0], "median_s": statistics.median(times), "min_s": min(times),
                         "figures": figures, "overdue": h.overdue_total, "late": h.late_total,
                         "ready_next": h.ready_next_total})
            log(f"  {what}: first {times[0]:.3f} s, median {statistics.median(times):.3f} s, min {min(times):.3f} s; "
                f"{figures}; overdue {h.overdue_total:,}, late {h.late_total:,}, ready next {h.ready_next_total:,}")
    finally:
        app.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.report_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="database URL (default: a SQLite file under bench/out/); a PostgreSQL URL gets "
                                  f"a dedicated schema {PG_SCHEMA!r}, dropped at the end unless --keep")
    ap.add_argument("--candidates", type=int, default=1_000_000)
    ap.add_argument("--period", default="2018H1")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the database (and reuse it next time with --reuse)")
    ap.add_argument("--reuse", action="store_true", help="time an existing database from an earlier --keep run")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = ap.parse_args(argv)
    log = lambda m: print(m, flush=True)  # noqa: E731

    pg, base, url = bench_database(args.url, stem=f"report_{args.candidates}", schema=PG_SCHEMA, reuse=args.reuse)
    backend = "postgresql" if pg else "sqlite"
    log(f"{backend}: {args.candidates:,} candidates, period {args.period}")
    try:
        if not args.reuse:
            log(f"  loaded in {load(url, args.candidates, log):.1f} s")
        rows = time_reports(url, args.period, args.repeat, log)
    finally:
        if not args.keep:
            drop_bench_database(pg, base, url, schema=PG_SCHEMA)
    print()
    print(f"| backend | report | first call | median of {args.repeat} | admitted | activists (end) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {backend} | {r['org']} | {r['first_s']:.3f} s | {r['median_s']:.3f} s | "
              f"{r['figures']['admitted']:,} | {r['figures']['activists']:,} |")
    if args.json:
        args.json.write_text(json.dumps({"backend": backend, "candidates": args.candidates, "rows": rows},
                                        ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
