"""The application object the entrypoints share: database, definitions, calendar and clock.

Entrypoints (CLI, web, scheduler) build one `App` and call the use-case functions of this
package with it; none of them contains a rule.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from engine.calendar import WorkdayCalendar, YearSchedule
from storage.db import default_url, make_engine, upgrade
from storage.tables import workflow_definition
from storage.unit_of_work import UnitOfWork
from workflows.model import Definition
from workflows.registry import Installed, Registry

log = logging.getLogger("partyflow.definitions")

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


def local_date(now: datetime) -> date:
    """The calendar date of a clock reading in Asia/Shanghai (rule dates are local dates)."""
    return now.astimezone(SHANGHAI).date() if now.tzinfo else now.date()


def shanghai_now() -> datetime:
    """The real clock, read only here at the edge (rule dates are Asia/Shanghai calendar dates)."""
    return datetime.now(SHANGHAI)


@dataclass
class App:
    engine: Engine
    clock: Callable[[], datetime] = shanghai_now
    _calendar: WorkdayCalendar | None = None
    # how long a long-running process (scheduler, web server) trusts its cached holiday calendar
    # before re-reading `holiday_year`: another process may have loaded a year meanwhile
    calendar_ttl: float = 300.0
    _calendar_read_at: float = 0.0
    _local: threading.local = field(default_factory=threading.local, repr=False)
    # how long a long-running process trusts its list of versions installed from the web admin
    # page before looking for new ones (a key it does not know is looked up at once anyway)
    definitions_ttl: float = 300.0
    _registry: Registry | None = field(default=None, repr=False)
    _registry_read_at: float = 0.0
    _registry_miss_at: float = 0.0
    _registry_warned: set = field(default_factory=set, repr=False)
    _registry_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # (key, sha256) of definitions found stored in this database: a stored version never changes
    # or goes away, so a registration need not check it again (services.casework.candidates)
    stored_definitions: set = field(default_factory=set, repr=False)
    # {branch id: (monotonic time read, its material-list override)}: services/materials/catalogue.py
    material_lists: dict = field(default_factory=dict, repr=False)
    # where attached files are kept (storage/objects): opened on first use
    _objects: Any = field(default=None, repr=False)

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

    @property
    def objects(self):
        """The object store for attached files: $PARTYFLOW_OBJECT_STORE, else beside the database."""
        if self._objects is None:
            import os

            from storage.db import files_location
            from storage.objects import open_store

            self._objects = open_store(os.environ.get("PARTYFLOW_OBJECT_STORE") or str(files_location(self.engine.url)), None)
        return self._objects

    def now(self) -> datetime:
        return self.clock()

    def utcnow(self) -> datetime:
        """The clock as naive UTC: what every service writes to timestamp columns."""
        return naive_utc(self.clock())

    def today(self) -> date:
        return local_date(self.clock())

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

    # ---------------------------------------------------------------- process definitions

    @property
    def registry(self) -> Registry:
        """The shipped files' versions plus those installed from the web admin page (rows of
        `workflow_definition` with a `source`), read on first use and again every
        `definitions_ttl` seconds; an unknown exact key is looked up in the database at once
        (at most once a second), so a process sees a version another process installed without
        a restart. The same object throughout: it only ever gains versions."""
        reg = self._registry
        if reg is None:
            with self._registry_lock:
                if self._registry is None:
                    reg = Registry.default()
                    reg.on_miss = self._registry_miss
                    self._load_installed(reg)
                    self._registry = reg
                return self._registry
        if time.monotonic() - self._registry_read_at > self.definitions_ttl:
            self._load_installed(reg)
        return reg

    def reload_definitions(self) -> int:
        """Read the installed versions now (after installing one); returns how many were added."""
        return self._load_installed(self.registry)

    def _registry_miss(self, key: str) -> bool:
        now = time.monotonic()
        if now - self._registry_miss_at < 1.0:
            return False
        self._registry_miss_at = now
        return self._load_installed(self._registry) > 0

    def _load_installed(self, reg: Registry) -> int:
        """Add the installed versions `reg` lacks; returns how many were added."""
        self._registry_read_at = time.monotonic()
        w = workflow_definition.c
        try:
            with self.uow(read_only=True) as uow:  # may run inside a writer's unit of work
                conn = uow.connection
                stored = conn.execute(select(w.key, w.sha256).where(w.source.is_not(None))).all()
                missing = [k for k, sha in stored if k not in reg or reg.get(k).sha256 != sha]
                rows = [Installed(*r) for r in conn.execute(
                    select(w.key, w.sha256, w.source_name, w.source).where(w.key.in_(missing)))] if missing else []
        except (OperationalError, ProgrammingError) as e:  # not migrated to 0006 yet, or busy: retry soon
            self._registry_read_at = time.monotonic() - self.definitions_ttl + 5.0
            if "schema" not in self._registry_warned:
                self._registry_warned.add("schema")
                log.warning("未能读取网页安装的流程定义（数据库未升级到 0006，或暂时不可用），稍后重试：%s", e.orig)
            return 0
        before = len(reg.keys())
        for p in reg.add_installed(r._replace(name=r.name or f"{r.key}.yaml") for r in rows):
            if str(p) not in self._registry_warned:
                self._registry_warned.add(str(p))
                log.warning("网页安装的流程定义未加载：%s", p)
        return len(reg.keys()) - before

    def definition(self, key: str) -> Definition:
        return self.registry.get(key)
