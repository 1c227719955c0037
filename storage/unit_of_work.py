"""One use case = one transaction: `with UnitOfWork(engine) as uow: ...`."""
from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from .db import READ_ONLY_OPTION
from .errors import TransactionAborted
from .repositories import (
    CandidateRepo,
    DeadlineRepo,
    DefinitionRepo,
    EventRepo,
    ContactRepo,
    HolidayRepo,
    JobRunRepo,
    MilestoneRepo,
    PlanRepo,
    ImportRepo,
    FindingRepo,
    OutboxRepo,
    OrgRepo,
    PersonRepo,
    UserRepo,
    AuditLogRepo,
)


class UnitOfWork:
    """Owns one connection and one transaction; every repository shares it.

    Commits on a clean exit, rolls back on an exception. `commit()` may be called early; later
    statements then run in a new transaction, committed at exit. `read_only=True` opens a deferred
    transaction on SQLite so reports and dry runs never queue behind (or block) writers.
    """

    connection: Connection
    candidates: CandidateRepo
    events: EventRepo
    deadlines: DeadlineRepo
    orgs: OrgRepo
    people: PersonRepo
    definitions: DefinitionRepo
    holidays: HolidayRepo
    contacts: ContactRepo
    outbox: OutboxRepo
    job_runs: JobRunRepo
    milestones: MilestoneRepo
    plans: PlanRepo
    imports: ImportRepo
    findings: FindingRepo
    users: UserRepo
    audit: AuditLogRepo

    def __init__(self, engine: Engine, *, read_only: bool = False, connection: Connection | None = None) -> None:
        """`connection`: an idle connection to reuse (the App keeps one per thread, saving the pool
        checkout on every step); it is left open at exit. Without it a connection is taken and closed."""
        self._engine = engine
        self._read_only = read_only
        self._borrowed = connection

    def __enter__(self) -> "UnitOfWork":
        conn = self._borrowed if self._borrowed is not None else self._engine.connect()
        try:
            if conn.get_execution_options().get(READ_ONLY_OPTION, False) != self._read_only:
                conn.execution_options(**{READ_ONLY_OPTION: self._read_only})  # fires events: only on change
            conn.begin()
        except BaseException:
            if self._borrowed is None:
                conn.close()
            raise
        self.connection = conn
        return self

    def __getattr__(self, name: str):
        """Repositories are made on first use: a step touches four of the fourteen."""
        repo = _REPOSITORIES.get(name)
        if repo is None or "connection" not in self.__dict__:
            raise AttributeError(name)
        made = self.__dict__[name] = repo(self.connection)
        return made

    def __exit__(self, exc_type, exc, tb) -> None:
        conn = self.connection
        try:
            if conn.in_transaction():
                if exc_type is None:
                    self.commit()
                else:
                    conn.rollback()
        finally:
            if self._borrowed is None:
                conn.close()

    def commit(self) -> None:
        conn = self.connection
        if _aborted(conn):
            conn.rollback()
            raise TransactionAborted()
        conn.commit()

    def rollback(self) -> None:
        self.connection.rollback()


def _aborted(conn: Connection) -> bool:
    """True if PostgreSQL has aborted the current transaction (a caught statement failed)."""
    if conn.dialect.name != "postgresql":
        return False  # SQLite undoes only the failed statement; the rest may be committed
    status = getattr(getattr(conn.connection.driver_connection, "info", None), "transaction_status", None)
    return status is not None and status.name == "INERROR"


# attribute name -> repository class (the annotations above, made lazily by __getattr__)
_REPOSITORIES = {
    "candidates": CandidateRepo, "events": EventRepo, "deadlines": DeadlineRepo, "orgs": OrgRepo,
    "people": PersonRepo, "definitions": DefinitionRepo, "holidays": HolidayRepo, "contacts": ContactRepo,
    "outbox": OutboxRepo, "job_runs": JobRunRepo, "milestones": MilestoneRepo, "plans": PlanRepo,
    "imports": ImportRepo, "findings": FindingRepo, "users": UserRepo, "audit": AuditLogRepo,
}
