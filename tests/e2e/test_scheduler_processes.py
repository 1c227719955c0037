"""Scheduler processes for real: `partyflow scheduler run` in subprocesses, a real HTTP receiver.

(a) SIGKILL in the middle of dispatch, on SQLite, twice, each time restarting the service: every
    notice arrives; a message arrives twice only if it was in flight when its process was killed
    (at most one per kill: a dispatcher sends one message at a time).
(b) three scheduler processes started at once on one PostgreSQL database: the day's scan runs once,
    each notice is created once, each message reaches the receiver exactly once.

The receiver is tests.support.http_sink in this process; every branch secretary's webhook is a path
on it, so one path is one recipient and the Idempotency-Key header names one message. Every test
is bounded in time and kills its processes in `finally`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from services.casework import candidates as uc
from services.app import App
from tests.support.http_sink import HttpSink

PARTYFLOW = Path(sys.executable).with_name("partyflow")
DISPATCH_INTERVAL = "0.2"


# -- helpers -----------------------------------------------------------------------------------


def township_with_overdue(app: App, sink: HttpSink, branches: int) -> dict:
    """`branches` village branches with 1–4 applicants each (1, 2, 3, 4, 1, 2, ...), applied 40 days
    ago so today their first talk (due a month after the application) is overdue but not escalated;
    each branch secretary's webhook is its own path on the sink."""
    today = app.today()
    applied = today - timedelta(days=40)
    with app.uow() as uow:
        county = uow.orgs.add(code="C", name="镇原县", level="county")
        township = uow.orgs.add(code="T", name="南川乡党委", level="township", parent_id=county)
        uow.contacts.add(township, "township_officer", "南川乡组织委员", webhook_url=sink.url("/hook/T"))
        plan = []
        for i in range(branches):
            b = uow.orgs.add(code=f"B{i}", name=f"第{i + 1}村党支部", level="branch", kind="rural", parent_id=township)
            uow.contacts.add(b, "branch_secretary", f"第{i + 1}村书记", webhook_url=sink.url(f"/hook/B{i}"))
            for j in range(1 + i % 4):
                plan.append((b, uow.people.add(name=f"申请人{i}-{j}", gender="男", birth_date=date(1996, 1, 1))))
    for branch, person in plan:
        uc.register_applicant(app, person_id=person, branch_id=branch, occurred_on=applied, actor="书记")
    return {"candidates": len(plan), "recipients": branches}


def scheduler(url: str, log: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PARTYFLOW_SMTP_", "PARTYFLOW_WEBHOOK_")) and k not in (
               "PARTYFLOW_DATABASE_URL", "PARTYFLOW_TEMPLATE_DIR")}
    env.update({
        "PYTHONUNBUFFERED": "1",
        "PARTYFLOW_WEBHOOK_FORMAT": "json",  # partyflow's JSON: key + payload.outbox_keys
        "PARTYFLOW_WEBHOOK_TIMEOUT": "5",
        "PARTYFLOW_CONSOLE": "log",
        "PARTYFLOW_WEBHOOK_ALLOW": "127.0.0.0/8,::1",  # the sink listens on this machine (address_policy.py)
    })
    out = log.open("ab")
    try:
        return subprocess.Popen(
            [str(PARTYFLOW), "scheduler", "run", "--db", url, "--dispatch-interval", DISPATCH_INTERVAL, *extra],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    finally:
        out.close()


def stop_all(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a zombie would be reported by the OS
            pass


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def counts(app: App) -> dict[str, int]:
    with app.uow(read_only=True) as uow:
        return uow.outbox.counts()


def wait_until(predicate, timeout: float, what: str, logs: list[Path], procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        dead = [p for p in procs if p.poll() is not None and p.returncode != -signal.SIGKILL]
        if dead:
            break
        time.sleep(0.1)
    tails = "\n".join(f"--- {log.name}\n{tail(log)}" for log in logs)
    pytest.fail(f"timed out waiting for {what}; exit codes {[p.poll() for p in procs]}\n{tails}")


def tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def outbox_keys(app: App) -> list[str]:
    with app.uow(read_only=True) as uow:
        return [r[0] for r in uow.connection.execute(text("SELECT key FROM outbox"))]


def scan_runs(app: App) -> list[tuple]:
    with app.uow(read_only=True) as uow:
        return list(uow.connection.execute(text("SELECT job, run_on, worker, finished_at FROM job_run WHERE job = 'scan'")))


# -- (a) SIGKILL in the middle of dispatch -----------------------------------------------------


def test_killed_in_the_middle_of_dispatch_and_restarted(tmp_path):
    url = f"sqlite:///{tmp_path / 'partyflow.db'}"
    logs = [tmp_path / f"scheduler-{i}.log" for i in (1, 2, 3)]
    lease = "1.5"  # seconds: a restarted process takes over the killed one's claimed rows after this
    procs: list[subprocess.Popen] = []
    killed_in_flight: list = []

    def kill_while_in_flight(record):
        # the receiver has the 20th message and has not answered: SIGKILL the sender right now
        if not killed_in_flight and len(sink.received) == 20:
            kill(procs[0])
            killed_in_flight.append(record)

    with HttpSink(delay=0.03, lifetime=45) as sink:
        app = App.open(url)
        try:
            world = township_with_overdue(app, sink, branches=60)
            assert (world["candidates"], world["recipients"]) == (150, 60)
            sink.on_request = kill_while_in_flight
            try:
                procs.append(scheduler(url, logs[0], "--lease", lease))
                wait_until(lambda: bool(killed_in_flight), 15, "the first kill", logs, procs)
                assert procs[0].returncode == -signal.SIGKILL
                sink.on_request = None

                procs.append(scheduler(url, logs[1], "--lease", lease))
                # second kill at an arbitrary moment: between messages, mid-request or while marking
                wait_until(lambda: len(sink.received) >= 42, 15, "40 messages", logs, procs)
                kill(procs[1])
                left = counts(app).get("pending", 0)
                assert 0 < left < world["candidates"], "the second kill should leave work for the third process"

                procs.append(scheduler(url, logs[2], "--lease", lease))
                wait_until(lambda: counts(app) == {"sent": world["candidates"]}, 15, "every notice sent", logs, procs)
                assert procs[2].poll() is None, tail(logs[2])
            finally:
                stop_all(procs)

            keys = outbox_keys(app)
            runs = scan_runs(app)
        finally:
            app.close()

    assert len(keys) == world["candidates"] == len(set(keys))
    assert len(runs) == 1 and runs[0].finished_at is not None  # the restarts did not scan again
    # none lost: every notice reached the receiver at least once, inside one message per recipient
    per_row = sink.outbox_key_counts()
    assert set(per_row) == set(keys)
    per_message = sink.key_counts()
    assert len(per_message) == world["recipients"]
    # repeats: only what was in flight at a kill, at most one message per killed process
    repeated = {k: n for k, n in per_message.items() if n > 1}
    assert sum(n - 1 for n in repeated.values()) <= 2, repeated
    in_flight = killed_in_flight[0]
    assert per_message[in_flight.key] == 2  # accepted by the receiver, never acknowledged: sent again
    assert {k for k, n in per_row.items() if n > 1} == {k for r in sink.delivered() if r.key in repeated
                                                           for k in r.outbox_keys}
    assert not sink.overflowed


# -- (b) three processes on one PostgreSQL database ---------------------------------------------


@pytest.fixture
def pg_schema(_pg_admin_engine):
    """(url, schema): a fresh schema on the test PostgreSQL (a skip locally, a failure with CI=true,
    if the server is unreachable), dropped afterwards."""
    schema = f"pf_e2e_{uuid.uuid4().hex[:16]}"
    with _pg_admin_engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_admin_engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False), schema
    finally:
        with _pg_admin_engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def waiting_on(admin, schema: str, table: str) -> int:
    """Backends waiting for a lock on schema.table."""
    with admin.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT l.granted AND n.nspname = :s AND c.relname = :t"
        ), {"s": schema, "t": table}).scalar()


@pytest.mark.postgres
@pytest.mark.parametrize("job_store", [
    pytest.param("exists", id="job-store-exists"),
    pytest.param("fresh", id="fresh-database"),  # the job table is created under a lock in build()
])
def test_three_scheduler_processes_on_one_postgresql(pg_schema, _pg_admin_engine, tmp_path, job_store):
    url, schema = pg_schema
    logs = [tmp_path / f"scheduler-{i}.log" for i in (1, 2, 3)]
    procs: list[subprocess.Popen] = []
    with HttpSink(delay=0.01, lifetime=45) as sink:
        app = App.open(url)  # migrated here; the three processes find the schema at head
        try:
            world = township_with_overdue(app, sink, branches=24)
            if job_store == "exists":  # the service has run on this database before (see the xfail)
                from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

                SQLAlchemyJobStore(engine=app.engine, tablename="apscheduler_jobs").jobs_t.create(app.engine)
            # a starting gate: job_run stays locked until all three wait on it in their catch-up
            # scan, so the three claims of the day's scan really race
            gate = _pg_admin_engine.connect().execution_options(isolation_level="READ COMMITTED")
            try:
                gate.begin()
                gate.execute(text(f'LOCK TABLE "{schema}".job_run IN ACCESS EXCLUSIVE MODE'))
                procs = [scheduler(url, log) for log in logs]  # at once, each with its catch-up scan
                wait_until(lambda: waiting_on(_pg_admin_engine, schema, "job_run") == 3, 15,
                           "three catch-up scans at the gate", logs, procs)
                gate.rollback()  # go

                def done() -> bool:
                    runs = scan_runs(app)
                    return bool(runs) and runs[0].finished_at is not None and counts(app) == {
                        "sent": world["candidates"]}

                wait_until(done, 15, "the scan and every notice sent", logs, procs)
                time.sleep(1.0)  # a few more dispatch ticks in every process: still nothing sent twice
                alive = [p.poll() is None for p in procs]
            finally:
                gate.close()
                stop_all(procs)
            keys = outbox_keys(app)
            runs = scan_runs(app)
        finally:
            app.close()

    outputs = [log.read_text("utf-8", "replace") for log in logs]
    assert alive == [True, True, True], "\n".join(tail(log) for log in logs)
    # created exactly once: one scan for the day, each notice one row
    assert len(runs) == 1, runs
    assert len(keys) == len(set(keys)) == world["candidates"]
    starts = Counter("今天已由其他进程完成" in out for out in outputs)
    assert starts == {True: 2, False: 1}, outputs  # one process scanned, the two others found it done
    assert sum(f"新写入提醒 {world['candidates']} 条" in out for out in outputs) == 1
    # sent exactly once: nobody was killed, so any repeat is a failure
    per_message = sink.key_counts()
    assert len(per_message) == world["recipients"] and set(per_message.values()) == {1}, per_message
    assert sink.outbox_key_counts() == Counter({k: 1 for k in keys})
    assert [r for r in sink.received if not r.ok] == []
