"""Per-day job runs: the first process to insert (job, day) runs the job; the others skip it.
Per-job watermarks: where a job's incremental work stopped (the daily scan, services/notices/reminders.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from ..tables import job_run, job_watermark
from .base import Repository
from .on_conflict import insert_ignore, upsert

_j = job_run.c
_w = job_watermark.c


@dataclass(frozen=True)
class Watermark:
    as_of: date  # the last day the job completed
    changed: int  # the change mark it read up to (storage.tables.change_marker)
    in_flight: tuple[int, ...]  # PostgreSQL: the xids in progress at that mark


class JobRunRepo(Repository):
    __slots__ = ()

    def start(self, job: str, run_on: date, worker: str, now: datetime) -> bool:
        """True if this worker got (job, run_on); False if another process already has it."""
        stmt = insert_ignore(self.conn, job_run, ["job", "run_on"])
        return bool(self.conn.execute(stmt, {"job": job, "run_on": run_on, "worker": worker, "started_at": now}).all())

    def finish(self, job: str, run_on: date, now: datetime, result: Any) -> None:
        self.conn.execute(
            update(job_run).where(_j.job == job, _j.run_on == run_on).values(finished_at=now, result=result)
        )

    def last(self, job: str) -> date | None:
        return self.conn.execute(select(_j.run_on).where(_j.job == job).order_by(_j.run_on.desc()).limit(1)).scalar()

    def watermark(self, job: str) -> Watermark | None:
        row = self.conn.execute(select(_w.as_of, _w.changed, _w.in_flight).where(_w.job == job)).first()
        return None if row is None else Watermark(row[0], int(row[1]), tuple(int(x) for x in row[2] or ()))

    def set_watermark(self, job: str, as_of: date, changed: int, in_flight: list[int], now: datetime) -> None:
        """Move the job's watermark (in the job's own transaction). Concurrent jobs (a manual scan
        beside the scheduler's) may overwrite each other: each value is one a job completed with."""
        values = {"job": job, "as_of": as_of, "changed": changed, "in_flight": list(in_flight), "updated_at": now}
        self.conn.execute(upsert(self.conn, job_watermark, ["job"], ["as_of", "changed", "in_flight", "updated_at"]),
                          values)
