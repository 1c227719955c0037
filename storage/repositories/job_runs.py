"""Per-day job runs: the first process to insert (job, day) runs the job; the others skip it."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from ..tables import job_run
from .base import Repository
from .on_conflict import insert_ignore

_j = job_run.c


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
