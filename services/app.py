"""The application object the entrypoints share: database, definitions, calendar and clock.

Entrypoints (CLI, web, scheduler) build one `App` and call the use-case functions of this
package with it; none of them contains a rule.
"""
from __future__ import annotations

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

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, **kw) -> "App":
        engine = make_engine(url or default_url())
        if migrate:
            upgrade(engine)
        return cls(engine=engine, **kw)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, read_only=read_only)

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
        """chinese-calendar plus the year schedules an administrator loaded (cached per App)."""
        if self._calendar is None:
            with self.uow(read_only=True) as uow:  # may run inside a writer's unit of work
                years = uow.holidays.all()
            self._calendar = WorkdayCalendar(
                YearSchedule(
                    year=int(y),
                    holidays=frozenset(date.fromisoformat(d) for d in body.get("holidays", [])),
                    workdays=frozenset(date.fromisoformat(d) for d in body.get("workdays", [])),
                    source=body.get("source", ""),
                )
                for y, body in years.items()
            )
        return self._calendar

    def forget_calendar(self) -> None:
        self._calendar = None

    def definition(self, key: str) -> Definition:
        return self.registry.get(key)
