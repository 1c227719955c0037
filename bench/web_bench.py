"""Web benchmark (issue 5, part 6): the secretary's week and the township's queue with 1 M candidates.

The database is filled in bulk (bench/report_bench.py's loaders: stdlib `executemany` on SQLite,
`COPY` on PostgreSQL): one county, 70 townships, 1,000 branches, N people and N candidates with
real engine snapshots (`candidate.state`) of the 2014 process: 55 % ended (withdrawn, not
selected, …, at any point), 30 % full members (all 25 steps done), 15 % open somewhere between
the application and the archive (the first k steps done, dates over 2017–2019). Each branch has
~1,000 candidates (~150 open), a township ~14 branches.

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

`--writes R`: a thread of this process records R steps a second (services.candidates.complete_step,
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

from bench.report_bench import BRANCHES, NOW, ORG_COLS, TOWNSHIPS, _orgs, _pg_load, _sqlite_load
from bench.target import bench_database, drop_bench_database
from storage.db import make_engine, upgrade

PG_SCHEMA = "bench_web"
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


def generate(n: int, seed: int = 2020):
    rng = random.Random(seed)
    snap = _snapshots()
    people, cands = [], []
    old, recent = date(2009, 1, 1).toordinal(), date(2017, 1, 1).toordinal()
    for i in range(n):
        cid = i + 1
        branch = 1 + TOWNSHIPS + 1 + (i * 7919) % BRANCHES
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


def load(url: str, n: int, log) -> None:
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    people, cands = generate(n)
    log(f"  generated {n:,} candidates in {time.perf_counter() - started:.1f} s")
    tables = [("organisation", ORG_COLS, _orgs()), ("person", PERSON_COLS, people),
              ("candidate", CANDIDATE_COLS, cands)]
    if url.startswith("sqlite"):
        _sqlite_load(make_url(url).database, tables)
    else:
        _pg_load(url, tables)
    log(f"  loaded in {time.perf_counter() - started:.1f} s")


def accounts(url: str) -> None:
    from services.app import App
    from services.users import create_user

    app = App.open(url, migrate=False)
    try:
        with app.uow(read_only=True) as uow:
            if uow.users.by_username("bsec") is not None:
                return
        create_user(app, "bsec", "书记", PASSWORD, [("branch_secretary", "b0001")], by="bench")
        create_user(app, "btown", "组织委员", PASSWORD, [("township_officer", "t01")], by="bench")
    finally:
        app.close()


class Writer(threading.Thread):
    """Records `rate` steps a second on open candidates of t01 (b0001 first) until stopped."""

    def __init__(self, url: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.rate, self.stop, self.done, self.refused = url, rate, threading.Event(), 0, 0

    def run(self) -> None:
        from engine import CandidateState, DomainError, outlook, process_for
        from services.app import SHANGHAI, App
        from services.candidates import complete_step
        from services.sample_evidence import sample_evidence
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


def start_server(url: str, port: int) -> subprocess.Popen:
    exe = shutil.which("partyflow", path=str(Path(sys.executable).parent)) or shutil.which("partyflow")
    env = {**os.environ, "PARTYFLOW_SECRET_KEY": "bench-secret-key-0123456789abcdef"}
    proc = subprocess.Popen([exe, "serve", "--db", url, "--host", "127.0.0.1", "--port", str(port), "--no-scheduler",
                             "--today", TODAY.isoformat()], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
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


async def _login(base: str, username: str, limits) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=base, limits=limits, timeout=60)
    page = await c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    r = await c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    return c


async def _drive(client: httpx.AsyncClient, path: str, total: int, concurrency: int) -> tuple[list[float], float]:
    times: list[float] = []
    left = total

    async def worker():
        nonlocal left
        while left > 0:
            left -= 1
            t = time.perf_counter()
            r = await client.get(path)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, (path, r.status_code)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return times, time.perf_counter() - started


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def measure(base: str, requests: int, concurrency: int, log) -> list[dict]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sec, town = await _login(base, "bsec", limits), await _login(base, "btown", limits)
    rows = []
    try:
        for who, client, path in (("secretary", sec, "/"), ("secretary", sec, "/api/week"),
                                  ("township", town, "/queue"), ("township", town, "/api/queue?limit=50")):
            t = time.perf_counter()
            first = await client.get(path)
            cold = time.perf_counter() - t
            shown = (len(first.json()) if path.startswith("/api/queue") else
                     sum(len(first.json()[k]) for k in ("overdue", "due_soon", "possible")) if path == "/api/week"
                     else None)
            await _drive(client, path, max(10, concurrency * 2), concurrency)  # warm the connections
            times, wall = await _drive(client, path, requests, concurrency)
            row = {"who": who, "path": path, "first_ms": cold * 1000, "p50_ms": _pct(times, 50) * 1000,
                   "p95_ms": _pct(times, 95) * 1000, "p99_ms": _pct(times, 99) * 1000,
                   "mean_ms": statistics.mean(times) * 1000, "rps": len(times) / wall, "items": shown,
                   "bytes": len(first.content)}
            rows.append(row)
            log(f"  {who:9} {path:11} first {row['first_ms']:7.1f} ms; p50 {row['p50_ms']:6.1f}  p95 "
                f"{row['p95_ms']:6.1f}  p99 {row['p99_ms']:6.1f} ms; {row['rps']:6.0f} req/s"
                + (f"; {shown} items" if shown is not None else f"; {row['bytes'] // 1024} KB"))
    finally:
        await sec.aclose()
        await town.aclose()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.web_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="database URL (default: a SQLite file under bench/out/); a PostgreSQL URL gets "
                                  f"a dedicated schema {PG_SCHEMA!r}, dropped at the end unless --keep")
    ap.add_argument("--candidates", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=400, help="timed requests per target")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="time an existing database from an earlier --keep run")
    ap.add_argument("--writes", type=float, default=0, help="steps a second recorded meanwhile (see above)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    log = lambda m: print(m, flush=True)  # noqa: E731

    pg, base, url = bench_database(args.url, stem=f"web_{args.candidates}", schema=PG_SCHEMA, reuse=args.reuse)
    backend = "postgresql" if pg else "sqlite"
    log(f"{backend}: {args.candidates:,} candidates; {args.requests} requests per target, "
        f"{args.concurrency} concurrent, one server process")
    server = None
    try:
        if not args.reuse:
            load(url, args.candidates, log)
        accounts(url)
        port = _free_port()
        server = start_server(url, port)
        if args.writes:
            writer = Writer(url, args.writes)
            writer.start()
        rows = asyncio.run(measure(f"http://127.0.0.1:{port}", args.requests, args.concurrency, log))
        if args.writes:
            writer.stop.set()
            writer.join(30)
            log(f"  writer: {writer.done} steps recorded meanwhile, {writer.refused} refused")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if not args.keep:
            drop_bench_database(pg, base, url, schema=PG_SCHEMA)
    print()
    print("| backend | user | request | first (cold) | p50 | p95 | p99 | req/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {backend} | {r['who']} | `GET {r['path']}` | {r['first_ms']:.0f} ms | {r['p50_ms']:.1f} ms | "
              f"{r['p95_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['rps']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps({"backend": backend, "candidates": args.candidates, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
