"""Web benchmark (issue 5, part 6): the secretary's week and the township's queue with 1 M candidates.

The database is filled in bulk (bench/report_bench.py's loaders: stdlib `executemany` on SQLite,
`COPY` on PostgreSQL): one county, T townships, B branches (round-robin over the townships), N
people and N candidates (spread evenly over the branches) with real engine snapshots
(`candidate.state`) of the 2014 process: 55 % ended (withdrawn, not selected, …, at any point),
30 % full members (all 25 steps done), 15 % open somewhere between the application and the
archive (the first k steps done, dates over 2017–2019).

Density. What a user waits for scales with the candidates of their scope (a township's home and
queue compute the outlook of each of its open candidates), not with N, so the layout decides the
figures. The default is a realistic one: `--per-branch 36` candidates a branch and
`--branches-per-township 14`, i.e. for N = 1 M: 27,778 branches in 1,985 townships. Why: China
has ~38,000 township-level divisions and ~490,000 village-level ones (~13 village branches a
township, plus a school or an enterprise branch: 14); a village branch receives a handful of
applications a year, so 36 candidacies over the record's eleven years (2009–2019) is ~3 a year,
~5 of them in progress at a time (the 15 % above); a township then holds ~500 candidacies, ~75 in
progress (~230 not ended, with the full members). 1 M
candidates is thus ~2,000 townships (~5 % of the country), not one county's worth; the
organisation tree has 1 + T + B rows. The old layout, 70 townships and 1,000 branches (~1,000
candidates a branch, ~14,000 a township, ~2,100 in progress, ~6,400 not ended: ~28 × denser than
real), stays as a stress
figure: `--dense` (= `--townships 70 --branches 1000`). `--townships T` and `--branches B` set
the layout outright; either alone takes the other from `--branches-per-township`.

Then `partyflow serve --no-scheduler --today 2020-01-01` runs in a subprocess on 127.0.0.1 (the real
server: uvicorn, one process), a branch secretary (branch b0001) and the township officer (t01) log
in through the login form, and an httpx2 async client drives `--concurrency` concurrent requests,
`--requests` per target, at: GET / (the secretary's week page), GET /api/week, GET /queue (the
township's queue page, 50 a page), GET /api/queue?limit=50. Printed: the first request after start (cold: every live
candidate's outlook is computed once per process), then p50/p95/p99 and requests/s (warm).

    python -m bench.web_bench                              # SQLite file under bench/out/, 1 M candidates
    python -m bench.web_bench --url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python -m bench.web_bench --candidates 100000 --keep   # then --reuse to time it again
    python -m bench.web_bench --reuse --writes 5           # with 5 steps/s recorded meanwhile in t01
    python -m bench.web_bench --dense --keep               # the old 70 × 1,000 layout (stress figure)

Each layout has its own database (SQLite file `web_<N>[_<T>t<B>b].db`, PostgreSQL schema
`bench_web[_<T>t<B>b]`; the old dense layout keeps the old names), so a realistic and a dense
one can be kept side by side; `--reuse` checks that the stored layout is the one asked for.

`--writes R`: a thread of this process records R steps a second (services.casework.candidates.complete_step,
the engine's earliest possible date, sample evidence) on open candidates of the township t01 —
the one whose queue is timed — and of b0001, so the worklist cache has changes to follow.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx2 as httpx  # the maintained successor; starlette's TestClient uses it too
from sqlalchemy.engine import make_url

from bench.report_bench import NOW, ORG_COLS, _orgs, _pg_load, _sqlite_load
from bench.target import bench_database, drop_bench_database
from storage.db import make_engine, upgrade

PG_SCHEMA = "bench_web"
PER_BRANCH, BRANCHES_PER_TOWNSHIP = 36, 14  # the realistic default (see the docstring)
DENSE = (70, 1000)  # the old layout: townships, branches
KEY = "cpc_2014@1"
TODAY = date(2020, 1, 1)
PASSWORD = "bench-password-1"
END_STAGES = ("withdrawn", "not_selected", "not_selected", "disqualified", "rejected")

PERSON_COLS = ("id", "name", "gender", "birth_date", "ethnicity", "tags", "party_status", "rights_suspended",
               "created_at")
CANDIDATE_COLS = ("id", "person_id", "branch_id", "definition_key", "stage", "state", "version", "applied_on",
                  "updated_at")


def _snapshots():
    """For k = 1..25: (stage after the first k steps, their ids in order, repeatable ids)."""
    from workflows.registry import Registry

    defn = Registry.default().get(KEY)
    steps = sorted(defn.steps, key=lambda s: s.number)
    out = {}
    stage = "new"
    for k, s in enumerate(steps, start=1):
        stage = s.enters or stage
        out[k] = (stage, [x.id for x in steps[:k]], {x.id for x in steps[:k] if x.repeatable})
    return out


def _state(branch: int, applied: date, k: int, snap, end: str | None, rng) -> tuple[str, str]:
    stage, ids, repeatable = snap[k]
    done, day = {}, applied
    for sid in ids:
        done[sid] = day.isoformat()
        day += timedelta(days=rng.randrange(10, 60))
    state = {"definition_key": KEY, "branch_id": branch, "stage": end or stage, "done": done,
             "entries": {r: 1 for r in repeatable}, "late": {}, "extension_months": 0, "extensions": 0, "seq": k,
             "ended_on": day.isoformat() if end else None, "applied_on": applied.isoformat()}
    return end or stage, json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def layout(n: int, *, townships: int | None = None, branches: int | None = None, per_branch: float = PER_BRANCH,
           branches_per_township: int = BRANCHES_PER_TOWNSHIP) -> tuple[int, int]:
    """(townships, branches) for N candidates: given outright, or from the density."""
    if branches is None:
        branches = townships * branches_per_township if townships else max(1, round(n / per_branch))
    if townships is None:
        townships = -(-branches // branches_per_township)
    return townships, branches


def layout_name(townships: int, branches: int) -> str:
    """The suffix of a layout's database name ('' for the old dense one, whose names it keeps)."""
    return "" if (townships, branches) == DENSE else f"_{townships}t{branches}b"


def generate(n: int, townships: int, branches: int, seed: int = 2020):
    step = 7919 if branches % 7919 else 1  # a stride coprime with `branches`: every branch gets n / branches
    rng = random.Random(seed)
    snap = _snapshots()
    people, cands = [], []
    old, recent = date(2009, 1, 1).toordinal(), date(2017, 1, 1).toordinal()
    for i in range(n):
        cid = i + 1
        branch = 1 + townships + 1 + (i * step) % branches
        x = rng.random()
        if x < 0.55:
            applied = date.fromordinal(old + rng.randrange(recent - old))
            k, end = rng.randrange(1, 24), rng.choice(END_STAGES)
        elif x < 0.85:
            applied = date.fromordinal(old + rng.randrange(recent - old))
            k, end = 25, None
        else:
            applied = date.fromordinal(recent + rng.randrange(TODAY.toordinal() - 400 - recent))
            k, end = rng.randrange(1, 25), None
        stage, state = _state(branch, applied, k, snap, end, rng)
        people.append((cid, f"候选人{cid}", "男" if rng.random() < 0.6 else "女",
                       applied - timedelta(days=rng.randrange(18 * 365 + 5, 50 * 365)), "汉族", "[]",
                       "full_member" if k == 25 else "none", False, NOW))
        cands.append((cid, cid, branch, KEY, stage, state, 1, applied, NOW))
    return people, cands


def load(url: str, n: int, townships: int, branches: int, log) -> None:
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    people, cands = generate(n, townships, branches)
    log(f"  generated {n:,} candidates in {time.perf_counter() - started:.1f} s")
    tables = [("organisation", ORG_COLS, _orgs(townships, branches)), ("person", PERSON_COLS, people),
              ("candidate", CANDIDATE_COLS, cands)]
    if url.startswith("sqlite"):
        _sqlite_load(make_url(url).database, tables)
    else:
        _pg_load(url, tables)
    log(f"  loaded in {time.perf_counter() - started:.1f} s")


SCOPES = 10  # townships t01..t10, with the secretary of b0001..b0010 (b000k lies in t0k) and the officer


def stored_layout(url: str) -> tuple[int, int, int]:
    """(townships, branches, candidates) of an existing bench database (`--reuse`); 0s if none."""
    from sqlalchemy import func, select
    from sqlalchemy import inspect as sa_inspect

    from storage.tables import candidate, organisation

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not sa_inspect(conn).has_table("organisation"):
                return 0, 0, 0
            o = organisation.c
            count = dict(conn.execute(select(o.level, func.count()).group_by(o.level)).all())
            n = conn.execute(select(func.count()).select_from(candidate)).scalar_one()
    finally:
        engine.dispose()
    return count.get("township", 0), count.get("branch", 0), n


def accounts(url: str) -> list[dict]:
    """The bench's users, made once: 10 branch secretaries and 10 township officers over 10
    townships, and a county viewer (cold pages only). Each gets a candidate of its scope to open."""
    from services.app import App
    from services.accounts.users import create_user
    from storage.tables import candidate, organisation

    from sqlalchemy import func, select

    users = ([{"username": f"bsec{k:02d}", "role": "branch_secretary", "org": f"b{k:04d}", "who": "secretary"}
              for k in range(1, SCOPES + 1)]
             + [{"username": f"btown{k:02d}", "role": "township_officer", "org": f"t{k:02d}", "who": "township"}
                for k in range(1, SCOPES + 1)]
             + [{"username": "bcounty", "role": "county_viewer", "org": "county", "who": "county"}])
    app = App.open(url, migrate=False)
    try:
        for u in users:
            with app.uow(read_only=True) as uow:
                exists = uow.users.by_username(u["username"]) is not None
                org = uow.orgs.by_code(u["org"])
                branches = uow.orgs.descendants_branch_ids(org.id)
                c = candidate.c
                # an open one, of its first branch if it has one (a sparse branch may have none):
                # the page a user opens most
                u["candidate"] = uow.connection.execute(
                    select(c.id).where(c.branch_id.in_(branches[:50]), c.stage.not_in(END_STAGES + ("full_member",)))
                    .order_by(c.branch_id != branches[0], c.id).limit(1)).scalar() or uow.connection.execute(
                    select(func.min(c.id)).where(c.branch_id.in_(branches[:50]))).scalar_one()
            if not exists:
                create_user(app, u["username"], "书记" if u["who"] == "secretary" else "组织委员", PASSWORD,
                            [(u["role"], u["org"])], by="bench")
    finally:
        app.close()
    return users


class Writer(threading.Thread):
    """Records `rate` steps a second on open candidates of t01 (b0001 first) until stopped."""

    def __init__(self, url: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.rate, self.stop, self.done, self.refused = url, rate, threading.Event(), 0, 0

    def run(self) -> None:
        from engine import CandidateState, DomainError, outlook, process_for
        from services.app import SHANGHAI, App
        from services.casework.candidates import complete_step
        from services.demo.sample_evidence import sample_evidence
        from storage.tables import candidate, organisation

        from sqlalchemy import select

        app = App.open(self.url, migrate=False)
        app.clock = lambda: datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0, tzinfo=SHANGHAI)
        try:
            with app.uow(read_only=True) as uow:
                c, o = candidate.c, organisation.c
                t01 = uow.connection.execute(select(o.id).where(o.code == "t01")).scalar_one()
                branches = uow.orgs.descendants_branch_ids(t01)
                ids = [r[0] for r in uow.connection.execute(
                    select(c.id).where(c.branch_id.in_(branches), c.stage.not_in(END_STAGES + ("full_member",)))
                    .order_by(c.branch_id != branches[0], c.id))]
            rng = random.Random(7)
            pool = ids[:2000]
            next_at = time.monotonic()
            while not self.stop.is_set() and pool:
                cid = rng.choice(pool)
                with app.uow(read_only=True) as uow:
                    state = CandidateState.from_dict(uow.candidates.get(cid).state)
                defn = app.definition(state.definition_key)
                last = max(state.done.values(), default=TODAY)
                ready = [o for o in outlook(process_for(defn), state, app.calendar) if not o.waiting_for]
                if not ready:
                    pool.remove(cid)
                    continue
                o = ready[0]
                on = max(o.earliest.date if o.earliest else last, last)
                if on > TODAY:
                    pool.remove(cid)
                    continue
                try:
                    complete_step(app, cid, o.step.id, occurred_on=on, actor="bench",
                                  evidence=sample_evidence(o.step.id, on, cal=app.calendar))
                    self.done += 1
                except DomainError:
                    self.refused += 1
                    pool.remove(cid)
                next_at += 1 / self.rate
                self.stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            app.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_LOG = Path(__file__).resolve().parent / "out" / "web_bench_server.log"  # the servers' stderr, one file per port


def start_server(url: str, port: int) -> subprocess.Popen:
    exe = shutil.which("partyflow", path=str(Path(sys.executable).parent)) or shutil.which("partyflow")
    env = {**os.environ, "PARTYFLOW_SECRET_KEY": "bench-secret-key-0123456789abcdef"}
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone on PostgreSQL has no bench/out yet
    proc = subprocess.Popen([exe, "serve", "--db", url, "--host", "127.0.0.1", "--port", str(port), "--no-scheduler",
                             "--today", TODAY.isoformat()], env=env, stdout=subprocess.DEVNULL,
                            stderr=SERVER_LOG.with_name(f"web_bench_server_{port}.log").open("w"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("partyflow serve exited")
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("partyflow serve did not start within 60 s")


class ServerCpu:
    """Seconds of CPU the server process has used, to the nanosecond: the sum of its threads' run
    time (/proc/<pid>/task/*/schedstat), with the last reading of each thread that has since
    exited kept (anyio ends a worker thread idle for 10 s, and its time would vanish from the
    sum). Without schedstat: utime + stime in clock ticks (/proc/<pid>/stat)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.threads, self.gone = pid, {}, 0

    def __call__(self) -> float:
        now: dict[str, int] = {}
        try:
            for t in Path(f"/proc/{self.pid}/task").iterdir():
                try:
                    now[t.name] = int((t / "schedstat").read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    pass
        except OSError:
            pass
        if not now:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        self.gone += sum(v for tid, v in self.threads.items() if tid not in now)
        self.threads = now
        return (self.gone + sum(now.values())) / 1e9


class ServersCpu:
    """The CPU of several server processes together (`--servers K`), read as one ServerCpu."""

    def __init__(self, pids: list[int]) -> None:
        self.each = [ServerCpu(pid) for pid in pids]

    def __call__(self) -> float:
        return sum(c() for c in self.each)


def wait_idle(server_cpu, log, quiet: float = 0.005, every: float = 0.5, limit: float = 600) -> float:
    """Wait until the server's start-up warm-up (web/warmup.py) has finished — its CPU stops
    growing over `every` seconds — and return the CPU it used since start."""
    deadline = time.monotonic() + limit
    last = server_cpu()
    while time.monotonic() < deadline:
        time.sleep(every)
        now = server_cpu()
        if now - last < quiet:
            return now
        last = now
    log("  (the server never went idle; measuring anyway)")
    return last


async def _login(base: str, username: str, limits) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=base, limits=limits, timeout=120)
    page = await c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    r = await c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    return c


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


# the pages a user reaches first: (target, path template, who has it); the first four are timed
# under load too
PAGES = (("home", "/", ("secretary", "township", "county")),
         ("queue", "/queue", ("township",)),
         ("candidate", "/candidates/{candidate}", ("secretary", "township")),
         ("report", "/reports", ("secretary", "township", "county")),
         ("candidates", "/candidates", ("secretary", "township", "county")),
         ("overdue", "/overdue", ("secretary", "township", "county")))
LOADED = ("home", "queue", "candidate", "report")


def _paths(u: dict) -> list[tuple[str, str]]:
    return [(name, path.format(**u)) for name, path, who in PAGES if u["who"] in who]


async def measure(bases: list[str], server_cpu, users: list[dict], requests: int, log, think: float = 0.0) -> dict:
    """Cold: every user logs in, then opens each of its first pages once, one request at a time
    (server CPU per request exact). Loaded: per target, the 20 secretaries and officers at once,
    each with its own session and one request at a time, `requests` in all, pausing a random
    time of mean `think` seconds (exponential) before each: 0 is a closed loop at saturation. With
    several servers (`bases`), each user keeps to one of them, as behind the deployment's proxy
    (docs/deploy: one `partyflow serve` per core); the sessions are in the database, so any would do."""
    rng = random.Random(5)
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    clients: dict[str, httpx.AsyncClient] = {}
    cold, rows = [], []
    try:
        for i, u in enumerate(users):
            c0, t = server_cpu(), time.perf_counter()
            clients[u["username"]] = await _login(bases[i % len(bases)], u["username"], limits)
            cold.append({"user": u["username"], "who": u["who"], "target": "login", "path": "POST /login",
                         "wall_ms": (time.perf_counter() - t) * 1000, "cpu_ms": (server_cpu() - c0) * 1000})
            for name, path in _paths(u):
                c0, t = server_cpu(), time.perf_counter()
                r = await clients[u["username"]].get(path)
                wall, cpu = time.perf_counter() - t, server_cpu() - c0
                assert r.status_code == 200, (u["username"], path, r.status_code)
                cold.append({"user": u["username"], "who": u["who"], "target": name, "path": path,
                             "wall_ms": wall * 1000, "cpu_ms": cpu * 1000, "bytes": len(r.content)})
        for target in LOADED:
            jobs = [(u, path) for u in users if u["who"] != "county" for name, path in _paths(u) if name == target]
            per = max(2, -(-requests // len(jobs)))
            times: list[float] = []

            async def user(u, path, n, out):
                client = clients[u["username"]]
                for _ in range(n):
                    if think and out is not None:
                        await asyncio.sleep(rng.expovariate(1 / think))
                    t = time.perf_counter()
                    try:
                        r = await client.get(path)
                    except httpx.TransportError:  # uvicorn closes a connection idle for 5 s: a
                        r = await client.get(path)  # browser reconnects, and so does this user
                    if out is not None:
                        out.append(time.perf_counter() - t)
                    assert r.status_code == 200, (u["username"], path, r.status_code)

            await asyncio.gather(*(user(u, p, 1, None) for u, p in jobs))  # each user's second visit
            async def sample():  # every second: a thread started and ended in the phase is counted
                while True:
                    await asyncio.sleep(1)
                    server_cpu()

            sampler = asyncio.create_task(sample())
            c0, started = server_cpu(), time.perf_counter()
            await asyncio.gather(*(user(u, p, per, times) for u, p in jobs))
            wall, cpu = time.perf_counter() - started, server_cpu() - c0
            sampler.cancel()
            row = {"target": target, "users": len(jobs), "requests": len(times), "p50_ms": _pct(times, 50) * 1000,
                   "p95_ms": _pct(times, 95) * 1000, "p99_ms": _pct(times, 99) * 1000,
                   "mean_ms": statistics.mean(times) * 1000, "rps": len(times) / wall,
                   "cpu_ms": cpu / len(times) * 1000, "server_cpu_share": cpu / wall, "think_s": think}
            rows.append(row)
            log(f"  {target:9} {len(jobs)} users: p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f}  p99 "
                f"{row['p99_ms']:6.1f} ms; {row['rps']:5.0f} req/s; server CPU {row['cpu_ms']:5.1f} ms/request "
                f"({row['server_cpu_share']:.2f} cores); load {_load()}")
    finally:
        for c in clients.values():
            await c.aclose()
    return {"cold": cold, "loaded": rows}


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _pg_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist (the bench's own, e.g. `bench`)."""
    from sqlalchemy import text

    u = make_url(url)
    engine = make_engine(u.set(database="postgres").render_as_string(hide_password=False),
                         isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": u.database}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.web_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="database URL (default: a SQLite file under bench/out/); a PostgreSQL URL gets "
                                  f"a dedicated schema {PG_SCHEMA!r} (its database is created if missing), "
                                  "dropped at the end unless --keep")
    ap.add_argument("--candidates", type=int, default=1_000_000)
    ap.add_argument("--per-branch", type=float, default=PER_BRANCH,
                    help=f"candidates a branch (default {PER_BRANCH}, realistic; see above)")
    ap.add_argument("--branches-per-township", type=int, default=BRANCHES_PER_TOWNSHIP,
                    help=f"branches a township (default {BRANCHES_PER_TOWNSHIP})")
    ap.add_argument("--townships", type=int, help="townships, outright (default: from the density)")
    ap.add_argument("--branches", type=int, help="branches, outright (default: from the density)")
    ap.add_argument("--dense", action="store_true",
                    help=f"the old layout, {DENSE[0]} townships and {DENSE[1]:,} branches (a stress figure)")
    ap.add_argument("--requests", type=int, default=400, help="timed requests per target, over all users")
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean pause (seconds, exponential) of each user before each timed request; 0: saturation")
    ap.add_argument("--no-county", action="store_true",
                    help="leave out the county viewer (its home page lists every candidate of the county)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="time an existing database from an earlier --keep run")
    ap.add_argument("--writes", type=float, default=0, help="steps a second recorded meanwhile (see above)")
    ap.add_argument("--servers", type=int, default=1,
                    help="server processes (each user keeps to one; docs/deploy runs one per core)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    log = lambda m: print(m, flush=True)  # noqa: E731
    if args.dense and (args.townships or args.branches):
        ap.error("--dense is --townships 70 --branches 1000: give one or the other")
    if args.per_branch <= 0 or args.branches_per_township < 1:
        ap.error("--per-branch and --branches-per-township must be positive")
    towns, branches = DENSE if args.dense else layout(
        args.candidates, townships=args.townships, branches=args.branches, per_branch=args.per_branch,
        branches_per_township=args.branches_per_township)
    if towns < SCOPES or branches < towns:
        ap.error(f"the layout needs at least {SCOPES} townships (the bench's users are in t01..t{SCOPES:02d}) "
                 f"and a branch in each: got {towns} townships, {branches} branches")
    density = (f"{towns:,} townships, {branches:,} branches: {args.candidates / branches:,.0f} candidates a branch, "
               f"{args.candidates / towns:,.0f} a township")
    schema = PG_SCHEMA + layout_name(towns, branches)

    if args.url and not args.url.startswith("sqlite"):
        _pg_database(args.url)
    pg, base, url = bench_database(args.url, stem=f"web_{args.candidates}{layout_name(towns, branches)}", schema=schema,
                                   reuse=args.reuse)
    backend = "postgresql" if pg else "sqlite"
    if args.reuse:
        stored = stored_layout(url)
        if stored != (towns, branches, args.candidates):
            print(f"--reuse: the stored database has {stored[0]:,} townships, {stored[1]:,} branches and "
                  f"{stored[2]:,} candidates, not {towns:,}, {branches:,} and {args.candidates:,}: run without --reuse "
                  "(with --keep) first", file=sys.stderr)
            return 2
    log(f"{backend}: {args.candidates:,} candidates; {density}; {SCOPES} secretaries and {SCOPES} township officers "
        f"(+ a county viewer for the cold pages); {args.requests} requests per target; {args.servers} server process(es); "
        f"load {_load()}")
    servers, out = [], None
    try:
        if not args.reuse:
            load(url, args.candidates, towns, branches, log)
        users = [u for u in accounts(url) if not (args.no_county and u["who"] == "county")]
        ports = [_free_port() for _ in range(max(1, args.servers))]
        for port in ports:
            servers.append(start_server(url, port))
        cpu = ServersCpu([s.pid for s in servers])
        warm = wait_idle(cpu, log)
        log(f"  server started; start-up warm-up done: {warm:.2f} s server CPU; load {_load()}")
        if args.writes:
            writer = Writer(url, args.writes)
            writer.start()
        out = asyncio.run(measure([f"http://127.0.0.1:{p}" for p in ports], cpu, users, args.requests, log, args.think))
        if args.writes:
            writer.stop.set()
            writer.join(30)
            log(f"  writer: {writer.done} steps recorded meanwhile, {writer.refused} refused")
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
        if not args.keep:
            drop_bench_database(pg, base, url, schema=schema)
    cold = out["cold"]
    print()
    print(f"Cold: each user's first request of each page after start ({backend}, {args.candidates:,} candidates; "
          f"{density}), "
          "server CPU per request (wall in brackets); first = the process's first of that page, max = the worst scope")
    print("| page | who | first user | first | max (user) | median |")
    print("|---|---|---|---|---|---|")
    for name in ("login",) + tuple(p[0] for p in PAGES):
        for who in ("secretary", "township", "county"):
            got = [r for r in cold if r["target"] == name and r["who"] == who]
            if not got:
                continue
            worst = max(got, key=lambda r: r["cpu_ms"])
            print(f"| {name} | {who} | {got[0]['user']} | {got[0]['cpu_ms']:.0f} ms ({got[0]['wall_ms']:.0f}) | "
                  f"{worst['cpu_ms']:.0f} ms ({worst['user']}) | {statistics.median(r['cpu_ms'] for r in got):.0f} ms |")
    print()
    print(f"Under load: {SCOPES * 2} users at once ({backend}, {args.candidates:,} candidates; {density}), "
          + (f"each pausing {args.think:g} s on average between requests" if args.think else
             "each sending its next request as soon as the last is answered (saturation)"))
    print("| page | users | requests | p50 | p95 | p99 | req/s | server CPU / request |")
    print("|---|---|---|---|---|---|---|---|")
    for r in out["loaded"]:
        print(f"| {r['target']} | {r['users']} | {r['requests']} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | "
              f"{r['p99_ms']:.1f} ms | {r['rps']:.0f} | {r['cpu_ms']:.1f} ms |")
    print(f"load {_load()}")
    if args.json:
        args.json.write_text(json.dumps({"backend": backend, "candidates": args.candidates, "townships": towns,
                                         "branches": branches, "servers": args.servers, "think_s": args.think, **out},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
