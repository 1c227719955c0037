"""The application object the entrypoints share: database, definitions, calendar and clock.

Entrypoints (CLI, web, scheduler) build one `App` and call the use-case functions of this
package with it; none of them contains a rule.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from engine.calendar import WorkdayCalendar, YearSchedule
from storage.db import default_url, make_engine, upgrade
from storage.unit_of_work import UnitOfWork
from workflows.model import Definition
from workflows.registry import Registry

SHANGHAI = ZoneInfo("Asia/Shanghai")


class _ThreadUnitOfWork(UnitOfWork):
    """Marks the thread's kept connection busy while the unit of work runs."""

    def __init__(self, engine, *, read_only: bool, connection, local: threading.local) -> None:
        super().__init__(engine, read_only=read_only, connection=connection)
        self._local = local

    def __enter__(self) -> "UnitOfWork":
        uow = super().__enter__()
        self._local.active = True
        return uow

    def __exit__(self, *exc) -> None:
        try:
            super().__exit__(*exc)
        finally:
            self._local.active = False


def naive_utc(dt: datetime) -> datetime:
    """A timestamp as the database stores it: naive UTC (naive input is taken as UTC already)."""
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def shanghai_now() -> datetime:
    """The real clock, read only here at the edge (rule dates are Asia/Shanghai calendar dates)."""
    return datetime.now(SHANGHAI)


@dataclass
class App:
    engine: Engine
    registry: Registry = field(default_factory=Registry.default)
    clock: Callable[[], datetime] = shanghai_now
    _calendar: WorkdayCalendar | None = None
    # how long a long-running process (scheduler, web server) trusts its cached holiday calendar
    # before re-reading `holiday_year`: another process may have loaded a year meanwhile
    calendar_ttl: float = 300.0
    _calendar_read_at: float = 0.0
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, **kw) -> "App":
        engine = make_engine(url or default_url())
        if migrate:
            upgrade(engine)
        return cls(engine=engine, **kw)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work on this thread's kept connection (no pool checkout per step); a nested
        one (opened while another is active on this thread) gets a connection of its own."""
        local = self._local
        if getattr(local, "active", False):
            return UnitOfWork(self.engine, read_only=read_only)
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = local.conn = self.engine.connect()
        elif conn.in_transaction():  # left over from a failed commit
            conn.rollback()
        return _ThreadUnitOfWork(self.engine, read_only=read_only, connection=conn, local=local)

    def close(self) -> None:
        """Release this thread's kept connection and the pool (a process that is done with the
        database, or hands the file to another tool)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            conn.close()
        self._local.conn = None
        self.engine.dispose()

    def now(self) -> datetime:
        return self.clock()

    def utcnow(self) -> datetime:
        """The clock as naive UTC: what every service writes to timestamp columns."""
        return naive_utc(self.clock())

    def today(self) -> date:
        now = self.clock()
        return now.astimezone(SHANGHAI).date() if now.tzinfo else now.date()

    @property
    def calendar(self) -> WorkdayCalendar:
        """chinese-calendar plus the year schedules an administrator loaded (cached per App for
        `calendar_ttl` seconds, so a year loaded by another process is seen without a restart)."""
        if self._calendar is None or time.monotonic() - self._calendar_read_at > self.calendar_ttl:
            with self.uow(read_only=True) as uow:  # may run inside a writer's unit of work
                self.calendar_for(uow)
        return self._calendar

    def calendar_for(self, uow: UnitOfWork) -> WorkdayCalendar:
        """The calendar as `uow` sees the loaded years (also its own uncommitted ones); cached."""
        self._calendar = WorkdayCalendar(
            YearSchedule(
                year=int(y),
                holidays=frozenset(date.fromisoformat(d) for d in body.get("holidays", [])),
                workdays=frozenset(date.fromisoformat(d) for d in body.get("workdays", [])),
                source=body.get("source", ""),
            )
            for y, body in uow.holidays.all().items()
        )
        self._calendar_read_at = time.monotonic()
        return self._calendar

    def forget_calendar(self) -> None:
        self._calendar = None

    def definition(self, key: str) -> Definition:
        return self.registry.get(key)
