"""One use case = one transaction: `with UnitOfWork(engine) as uow: ...`."""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from .db import READ_ONLY_OPTION, begin_sqlite, commit_sqlite
from .errors import TransactionAborted

if TYPE_CHECKING:
    from .repositories import (
        AttachmentRepo,
        AuditLogRepo,
        CandidateRepo,
        ContactRepo,
        DeadlineRepo,
        DefinitionRepo,
        EventRepo,
        FindingRepo,
        HolidayRepo,
        ImportRepo,
        JobRunRepo,
        MilestoneRepo,
        OrgRepo,
        OutboxRepo,
        PersonRepo,
        PlanRepo,
        ProfileRepo,
        TenureRepo,
        UserRepo,
    )
    from .repositories.claims import ClaimRepo
    from .repositories.notices import NoticeRepo


R = TypeVar("R")


class _Repository(Generic[R]):
    """A repository made on first use in a unit of work (a step touches four of the seventeen),
    then kept in the instance's `__dict__`, which later look-ups find first (a non-data
    descriptor, like `functools.cached_property` without its lock; a `__getattr__` fallback
    cost an AttributeError per repository and step). Its module is imported on first use too:
    a command that reads candidates does not load every table's repository (issue 19)."""

    __slots__ = ("module", "class_name", "cls", "name")

    def __init__(self, module: str, class_name: str) -> None:
        self.module = module  # in storage.repositories
        self.class_name = class_name
        self.cls: type[R] | None = None
        self.name = ""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, uow, owner=None) -> R:
        if uow is None:
            return self  # type: ignore[return-value]
        cls = self.cls
        if cls is None:
            cls = self.cls = getattr(import_module(f"storage.repositories.{self.module}"), self.class_name)
        repo = uow.__dict__[self.name] = cls(uow.connection)  # AttributeError before __enter__
        return repo


class UnitOfWork:
    """Owns one connection and one transaction; every repository shares it.

    Commits on a clean exit, rolls back on an exception. `commit()` may be called early; later
    statements then run in a new transaction, committed at exit. `read_only=True` opens a deferred
    transaction on SQLite so reports and dry runs never queue behind (or block) writers.

    On SQLite the transaction is begun and committed on the driver connection (`storage.db`):
    SQLAlchemy's begin/commit bookkeeping cost ~10 % of a step. Core statements run on
    `connection` still work: SQLAlchemy then opens its transaction on top of the driver's (no
    second BEGIN) and `commit()` goes through it.
    """

    connection: Connection
    candidates: "CandidateRepo" = _Repository("candidates", "CandidateRepo")  # type: ignore[assignment]
    events: "EventRepo" = _Repository("events", "EventRepo")  # type: ignore[assignment]
    deadlines: "DeadlineRepo" = _Repository("deadlines", "DeadlineRepo")  # type: ignore[assignment]
    orgs: "OrgRepo" = _Repository("orgs", "OrgRepo")  # type: ignore[assignment]
    people: "PersonRepo" = _Repository("people", "PersonRepo")  # type: ignore[assignment]
    profiles: "ProfileRepo" = _Repository("profiles", "ProfileRepo")  # type: ignore[assignment]
    definitions: "DefinitionRepo" = _Repository("definitions", "DefinitionRepo")  # type: ignore[assignment]
    holidays: "HolidayRepo" = _Repository("holidays", "HolidayRepo")  # type: ignore[assignment]
    contacts: "ContactRepo" = _Repository("contacts", "ContactRepo")  # type: ignore[assignment]
    outbox: "OutboxRepo" = _Repository("outbox", "OutboxRepo")  # type: ignore[assignment]
    job_runs: "JobRunRepo" = _Repository("job_runs", "JobRunRepo")  # type: ignore[assignment]
    milestones: "MilestoneRepo" = _Repository("milestones", "MilestoneRepo")  # type: ignore[assignment]
    plans: "PlanRepo" = _Repository("plans", "PlanRepo")  # type: ignore[assignment]
    imports: "ImportRepo" = _Repository("imports", "ImportRepo")  # type: ignore[assignment]
    findings: "FindingRepo" = _Repository("findings", "FindingRepo")  # type: ignore[assignment]
    users: "UserRepo" = _Repository("users", "UserRepo")  # type: ignore[assignment]
    audit: "AuditLogRepo" = _Repository("audit_log", "AuditLogRepo")  # type: ignore[assignment]
    tenures: "TenureRepo" = _Repository("tenures", "TenureRepo")  # type: ignore[assignment]
    notices: "NoticeRepo" = _Repository("notices", "NoticeRepo")  # type: ignore[assignment]
    attachments: "AttachmentRepo" = _Repository("attachments", "AttachmentRepo")  # type: ignore[assignment]
    claims: "ClaimRepo" = _Repository("claims", "ClaimRepo")  # type: ignore[assignment]

    def __init__(self, engine: Engine, *, read_only: bool = False, connection: Connection | None = None) -> None:
        """`connection`: an idle connection to reuse (the App keeps one per thread, saving the pool
        checkout on every step); it is left open at exit. Without it a connection is taken and closed."""
        self._engine = engine
        self._read_only = read_only
        self._borrowed = connection
        self._raw = None  # the sqlite3 connection whose transaction __enter__ began (SQLite only)

    def __enter__(self) -> "UnitOfWork":
        conn = self._borrowed if self._borrowed is not None else self._engine.connect()
        try:
            if conn.get_execution_options().get(READ_ONLY_OPTION, False) != self._read_only:
                conn.execution_options(**{READ_ONLY_OPTION: self._read_only})  # fires events: only on change
            self._raw = None
            if conn.dialect.name == "sqlite" and not conn.in_transaction():
                self._raw = begin_sqlite(conn, self._read_only)
            else:
                conn.begin()
        except BaseException:
            if self._borrowed is None:
                conn.close()
            raise
        self.connection = conn
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        finally:
            if self._borrowed is None:
                self.connection.close()

    def commit(self) -> None:
        """Commit what is open: SQLAlchemy's transaction (PostgreSQL, or one Core began on top of
        SQLite's), else the driver-level SQLite transaction `__enter__` began."""
        conn = self.connection
        if conn.in_transaction():
            if _aborted(conn):
                conn.rollback()
                raise TransactionAborted()
            conn.commit()
        elif self._raw is not None and self._raw.in_transaction:
            commit_sqlite(conn, self._raw)

    def rollback(self) -> None:
        conn = self.connection
        if conn.in_transaction():
            conn.rollback()
        elif self._raw is not None and self._raw.in_transaction:
            self._raw.rollback()


def _aborted(conn: Connection) -> bool:
    """True if PostgreSQL has aborted the current transaction (a caught statement failed)."""
    if conn.dialect.name != "postgresql":
        return False  # SQLite undoes only the failed statement; the rest may be committed
    status = getattr(getattr(conn.connection.driver_connection, "info", None), "transaction_status", None)
    return status is not None and status.name == "INERROR"
