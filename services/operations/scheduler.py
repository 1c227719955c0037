"""The scheduler: APScheduler ticks in each process; the work itself is safe to run anywhere.

APScheduler 3 cannot share a job store between processes (each would run every job), so the jobs
are only ticks, and what they do is made safe on its own:
- the daily scan claims (job, day) in `job_run` in the same transaction as its outbox rows and its
  watermark (`job_watermark`: it reads only what is new since the last completed scan,
  docs/scheduler.md): one process per day wins, and a scan killed half-way leaves nothing behind
  and runs again;
- the dispatcher claims outbox rows with a lease (SKIP LOCKED on PostgreSQL);
- the job store is persistent (the same database, table `apscheduler_jobs`), jobs have fixed ids
  with `replace_existing`, `coalesce=True` and no misfire limit, so a scan missed while the service
  was down runs once when it comes back, not once per missed day. At start the scheduler also runs
  today's scan if nobody has, and the half-year report of the last period end if it was missed
  (the catch-up).
The job store holds only the jobs' names (`services.operations.scheduler:daily_scan_job`); they reach the App
through this module's runtime, set by `build()`, so no database URL (with its password) is pickled
into the job store.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, text

from services.app import SHANGHAI, App
from services.notices.dispatch import DispatchSettings, dispatch_all, worker_id
from services.notices.send import SIDE_ROLES, inapp_targets
from services.notices.reminders import ScanSettings, addresses, scan
from storage.tables import job_run

log = logging.getLogger("partyflow.scheduler")


@dataclass
class SchedulerConfig:
    scan_hour: int = 6
    scan_minute: int = 0
    dispatch_interval: float = 60.0  # seconds
    scan: ScanSettings = ScanSettings()
    dispatch: DispatchSettings = DispatchSettings()


@dataclass
class _Runtime:
    app: App
    channels: dict[str, Any]
    renderer: Any
    config: SchedulerConfig


_runtime: _Runtime | None = None


def run_daily_scan(app: App, day: date, settings: ScanSettings = ScanSettings(), worker: str | None = None) -> dict | None:
    """Today's scan, at most once per day across processes and restarts (None: already done)."""
    worker = worker or worker_id()
    with app.uow() as uow:
        if not uow.job_runs.start("scan", day, worker, app.utcnow()):
            return None
        report = scan(app, day, settings=settings, uow=uow)
        result = {k: v for k, v in report.as_dict().items() if k != "rows"}
        uow.job_runs.finish("scan", day, app.utcnow(), result)
    log.info("scan %s: %s", day, result)
    return result


def period_end(day: date) -> bool:
    return (day.month, day.day) in ((6, 30), (12, 31))


def last_period_end(day: date) -> date:
    """The most recent half-year end on or before `day` (06-30 or 12-31)."""
    if day >= date(day.year, 12, 31):
        return date(day.year, 12, 31)
    if day >= date(day.year, 6, 30):
        return date(day.year, 6, 30)
    return date(day.year - 1, 12, 31)


def run_period_report(app: App, day: date, worker: str | None = None) -> int | None:
    """The half-year hook: the morning after 6-30 and 12-31 (the daily job's first run on 07-01 and
    01-01, so the last day's meetings are recorded) each township officer gets the township's report
    for the half year that ended on `day` — the Chinese paragraph and the plain-text report, rendered into
    the notice (reports/, services/reporting/period_report.py). A township without a registered officer gets it on
    the console/log, like every other notice."""
    from reports.period import containing_half
    from services.reporting.period_report import build_in, report_notice

    worker = worker or worker_id()
    period = containing_half(day)
    label = period.key
    with app.uow() as uow:
        if not uow.job_runs.start("period-report", day, worker, app.utcnow()):
            return None
        townships = [o for o in uow.orgs.list() if o.level == "township"]
        officers = uow.contacts.for_orgs([t.id for t in townships], "township_officer")
        users = uow.notices.recipients([t.id for t in townships], SIDE_ROLES["township"])  # in-app too
        now = app.utcnow()
        rows = []
        for t in townships:
            report = build_in(app, uow, t, period, day)  # read in the same transaction
            notice = report_notice(report, t.code)
            targets = addresses(officers.get(t.id, []), f"{t.name}组织委员（未登记联系人）")
            for channel, address, name in targets + inapp_targets(users.get(t.id, [])):
                rows.append({
                    "key": f"report:{t.id}:{label}:{channel}:{address}", "kind": "report", "candidate_id": None,
                    "step": None, "due_on": day, "created_on": day, "channel": channel, "address": address,
                    "recipient_name": name, "org_id": t.id,
                    "payload": {"period": label, "org": t.name, "org_name": t.name, "as_of": day.isoformat(),
                                "kind": "report", "link": f"/reports?org={t.id}&period={label}", **notice},
                    "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
                })
        created = uow.outbox.add_many(rows)
        uow.job_runs.finish("period-report", day, now, {"period": label, "created": created})
    return created


# -- job entry points (referenced by text in the persistent job store) --------------------------


def daily_scan_job() -> None:
    rt = _runtime
    today = rt.app.today()
    yesterday = today - timedelta(days=1)
    if period_end(yesterday):  # the morning after: the last day's meetings are on record by now
        run_period_report(rt.app, yesterday)
    run_daily_scan(rt.app, today, rt.config.scan)


def dispatch_job() -> None:
    rt = _runtime
    dispatch_all(rt.app, rt.channels, rt.renderer, settings=rt.config.dispatch)


def build(app: App, channels: dict[str, Any], renderer, config: SchedulerConfig = SchedulerConfig(),
          *, blocking: bool = True):
    """A scheduler with the three jobs; `start()` it (blocking) or embed it (background)."""
    global _runtime
    _runtime = _Runtime(app, channels, renderer, config)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    store = SQLAlchemyJobStore(engine=app.engine, tablename="apscheduler_jobs")
    _create_job_table(app, store)
    sched = cls(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        timezone=SHANGHAI,
    )
    sched.add_job("services.operations.scheduler:daily_scan_job", CronTrigger(hour=config.scan_hour, minute=config.scan_minute,
                                                                   timezone=SHANGHAI),
                  id="daily-scan", name="每日逾期扫描", replace_existing=True)
    sched.add_job("services.operations.scheduler:dispatch_job", IntervalTrigger(seconds=config.dispatch_interval),
                  id="dispatch", name="发送提醒", replace_existing=True)
    return sched


def _create_job_table(app: App, store: SQLAlchemyJobStore) -> None:
    """APScheduler creates its table on start with check-then-create, which races when several
    processes start together on a fresh PostgreSQL database; create it here under a lock."""
    with app.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(727375)"))
        store.jobs_t.create(conn, checkfirst=True)


def catch_up(app: App, config: SchedulerConfig = SchedulerConfig()) -> dict | None:
    """At start: today's scan if nobody ran it (downtime over the scan hour), and the half-year
    report of the most recent period end (reported the morning after) if the service was down then.

    The report is caught up only when the service was already scanning by then (a scan on or
    before the period end): a fresh installation does not report a half-year it never watched.
    The report runs before today's scan, so a crash between the two cannot hide it. `job_run`
    makes each of them once, whichever process gets there first.
    """
    today = app.today()
    end = last_period_end(today - timedelta(days=1))  # a half year is reported the morning after it ends
    if end == today - timedelta(days=1) or _scanned_by(app, end):
        run_period_report(app, end)
    return run_daily_scan(app, today, config.scan)


def _scanned_by(app: App, day: date) -> bool:
    """Whether a daily scan ran on or before `day` (the service was in use then). JobRunRepo has
    no such question (storage is another engineer's area): a read of `job_run` here."""
    with app.uow(read_only=True) as uow:
        stmt = select(job_run.c.run_on).where(job_run.c.job == "scan", job_run.c.run_on <= day).limit(1)
        return uow.connection.execute(stmt).first() is not None
