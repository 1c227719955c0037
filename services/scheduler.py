"""The scheduler: APScheduler ticks in each process; the work itself is safe to run anywhere.

APScheduler 3 cannot share a job store between processes (each would run every job), so the jobs
are only ticks, and what they do is made safe on its own:
- the daily scan claims (job, day) in `job_run` in the same transaction as its outbox rows: one
  process per day wins, and a scan killed half-way leaves nothing behind and runs again;
- the dispatcher claims outbox rows with a lease (SKIP LOCKED on PostgreSQL);
- the job store is persistent (the same database, table `apscheduler_jobs`), jobs have fixed ids
  with `replace_existing`, `coalesce=True` and no misfire limit, so a scan missed while the service
  was down runs once when it comes back, not once per missed day. At start the scheduler also runs
  today's scan if nobody has (the catch-up).
Jobs reach the App through `current_app()` so no database URL (with its password) is pickled into
the job store.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timezone
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from services.app import SHANGHAI, App
from services.dispatch import DispatchSettings, dispatch_all, worker_id
from services.reminders import ScanSettings, scan

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


def current_app() -> App:
    if _runtime is None:
        raise RuntimeError("scheduler runtime not started")
    return _runtime.app


def _now_utc(app: App):
    return app.now().astimezone(timezone.utc).replace(tzinfo=None)


def run_daily_scan(app: App, day: date, settings: ScanSettings = ScanSettings(), worker: str | None = None) -> dict | None:
    """Today's scan, at most once per day across processes and restarts (None: already done)."""
    worker = worker or worker_id()
    with app.uow() as uow:
        if not uow.job_runs.start("scan", day, worker, _now_utc(app)):
            return None
        report = scan(app, day, settings=settings, uow=uow)
        result = {k: v for k, v in report.as_dict().items() if k != "rows"}
        uow.job_runs.finish("scan", day, _now_utc(app), result)
    log.info("scan %s: %s", day, result)
    return result


def period_end(day: date) -> bool:
    return (day.month, day.day) in ((6, 30), (12, 31))


def run_period_report(app: App, day: date, worker: str | None = None) -> int | None:
    """The half-year hook: on 6-30 and 12-31 each township officer gets a report notice (the
    report itself is rendered by the reports module; this schedules and delivers it)."""
    worker = worker or worker_id()
    label = f"{day.year}H{1 if day.month <= 6 else 2}"
    with app.uow() as uow:
        if not uow.job_runs.start("period-report", day, worker, _now_utc(app)):
            return None
        townships = [o for o in uow.orgs.list() if o.level == "township"]
        officers = uow.contacts.for_orgs([t.id for t in townships], "township_officer")
        now = _now_utc(app)
        rows = []
        for t in townships:
            for c in officers.get(t.id, []):
                for channel, address in (("email", c.email), ("webhook", c.webhook_url)):
                    if address:
                        rows.append({
                            "key": f"report:{t.id}:{label}:{channel}:{address}", "kind": "report", "candidate_id": None,
                            "step": None, "due_on": day, "created_on": day, "channel": channel, "address": address,
                            "recipient_name": c.name, "org_id": t.id,
                            "payload": {"period": label, "org": t.name, "as_of": day.isoformat(), "kind": "report"},
                            "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
                        })
        created = uow.outbox.add_many(rows)
        uow.job_runs.finish("period-report", day, now, {"period": label, "created": created})
    return created


# -- job entry points (referenced by text in the persistent job store) --------------------------


def daily_scan_job() -> None:
    rt = _runtime
    run_daily_scan(rt.app, rt.app.today(), rt.config.scan)
    if period_end(rt.app.today()):
        run_period_report(rt.app, rt.app.today())


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
    sched.add_job("services.scheduler:daily_scan_job", CronTrigger(hour=config.scan_hour, minute=config.scan_minute,
                                                                   timezone=SHANGHAI),
                  id="daily-scan", name="每日逾期扫描", replace_existing=True)
    sched.add_job("services.scheduler:dispatch_job", IntervalTrigger(seconds=config.dispatch_interval),
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
    """At start: today's scan if nobody ran it (downtime over the scan hour)."""
    today = app.today()
    result = run_daily_scan(app, today, config.scan)
    if period_end(today):
        run_period_report(app, today)
    return result
