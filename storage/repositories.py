"""Repositories: small classes over one Connection, returning frozen dataclasses (never ORM objects).

Every statement is a Core construct over storage/tables.py, built once at import time. The few on
the per-step hot path (candidate get/update/add, event append/list/stream, deadline replace) are
compiled once per dialect and run on the DBAPI connection inside the SQLAlchemy transaction; the
rest go through `Connection.execute`. Why and how much: docs/storage.md. Repositories never
commit: the unit of work owns the transaction.
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal_column, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from .db import json_dumps

from .errors import ConcurrentModification, DefinitionChanged, NotFound
from .tables import (
    OVERDUE_KINDS,
    candidate,
    deadline,
    event,
    holiday_year,
    organisation,
    person,
    utcnow,
    workflow_definition,
)

# ------------------------------------------------------------------ row types
# Field order equals the column order of the matching SELECT, so rows map positionally (fast).


@dataclass(frozen=True, slots=True)
class CandidateRow:
    id: int
    person_id: int
    branch_id: int
    definition_key: str
    stage: str
    state: dict
    version: int
    applied_on: date
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    candidate_id: int
    seq: int
    kind: str
    step: str | None
    occurred_on: date
    recorded_at: datetime
    actor: str
    evidence: Any
    supersedes: int | None
    reason: str | None
    late: bool
    definition_key: str


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    id: int
    candidate_id: int
    branch_id: int
    step: str
    kind: str
    due_on: date
    provisional: bool
    article: str | None


@dataclass(frozen=True, slots=True)
class DeadlineSpec:
    """What the engine computes for one deadline; input to `DeadlineRepo.replace`."""

    step: str
    kind: str  # 'due' | 'earliest' | 'recurring'
    due_on: date
    provisional: bool = False
    article: str | None = None


@dataclass(frozen=True, slots=True)
class DeadlineDiff:
    inserted: int
    updated: int
    deleted: int


@dataclass(frozen=True, slots=True)
class OverdueRow:
    deadline_id: int
    candidate_id: int
    branch_id: int
    step: str
    kind: str
    due_on: date
    provisional: bool
    article: str | None
    stage: str
    person_id: int
    person_name: str


@dataclass(frozen=True, slots=True)
class OrgRow:
    id: int
    code: str
    name: str
    level: str
    kind: str | None
    parent_id: int | None
    workflow_variant: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    name: str
    gender: str
    birth_date: date
    ethnicity: str
    education: str | None
    occupation: str | None
    tags: list
    phone: str | None
    email: str | None
    party_status: str
    rights_suspended: bool
    branch_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DefinitionRow:
    key: str
    sha256: str
    body: dict
    loaded_at: datetime


# ------------------------------------------------------------------ hot path
# A step runs ~6 statements in its own transaction. Through `Connection.execute` each costs ~20 µs
# of SQLAlchemy bookkeeping against ~1-10 µs in SQLite itself: storage alone then caps a step at
# ~2.6k/s; this path reaches ~6.5k/s (raw sqlite3 floor ~12k/s; docs/storage.md). The statements
# are still Core constructs over `tables.py`, compiled once per dialect and run on the DBAPI
# connection inside the SQLAlchemy transaction, with the few type conversions done here
# (`_Codec`, the same text SQLAlchemy's SQLite types write, so Core reads these rows unchanged).


class _Codec:
    """Python <-> driver values for the hot-path column types, per backend."""

    __slots__ = ("date_in", "dt_in", "json_in", "date_out", "dt_out", "json_out")

    def __init__(self, date_in, dt_in, json_in, date_out, dt_out, json_out) -> None:
        self.date_in, self.dt_in, self.json_in = date_in, dt_in, json_in
        self.date_out, self.dt_out, self.json_out = date_out, dt_out, json_out


def _identity(value):
    return value


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _sqlite_dt_in(value: datetime) -> str:
    # the format SQLAlchemy's SQLite DATETIME writes: "YYYY-MM-DD HH:MM:SS.ffffff"
    return _naive_utc(value).isoformat(" ", "microseconds")


_CODECS = {
    "sqlite": _Codec(
        date_in=date.isoformat, dt_in=_sqlite_dt_in, json_in=json_dumps,
        date_out=date.fromisoformat, dt_out=datetime.fromisoformat, json_out=json.loads,
    ),
    # psycopg adapts dates itself and parses JSONB; the SQL carries ::JSONB casts for text input
    "postgresql": _Codec(
        date_in=_identity, dt_in=_naive_utc, json_in=json_dumps,
        date_out=_identity, dt_out=_identity, json_out=_identity,
    ),
}


class _Hot:
    """A Core statement compiled once per dialect and run on the DBAPI connection.

    `returning_id=True` marks an INSERT whose new primary key the caller wants: PostgreSQL gets
    RETURNING, SQLite reads `cursor.lastrowid` (cheaper than stepping a RETURNING row).
    """

    __slots__ = ("stmt", "returning_id", "_compiled")

    def __init__(self, stmt, *, returning_id: bool = False) -> None:
        self.stmt = stmt
        self.returning_id = returning_id
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def compiled(self, dialect) -> tuple[str, tuple[str, ...] | None]:
        try:
            return self._compiled[dialect.name]
        except KeyError:
            pass
        if dialect.name not in _CODECS:  # pragma: no cover - only SQLite and PostgreSQL
            raise NotImplementedError(f"unsupported database: {dialect.name}")
        stmt = self.stmt
        if self.returning_id and dialect.name != "sqlite":
            stmt = stmt.returning(*stmt.table.primary_key.columns)
        compiled = stmt.compile(dialect=dialect)
        fixed = [name for name, bind in compiled.binds.items() if not bind.required]
        if fixed:  # every value must come from the caller; literals go in as literal_column
            raise AssertionError(f"hot statement has literal binds {fixed}: {compiled.string}")
        entry = (compiled.string, tuple(compiled.positiontup) if compiled.positional else None)
        self._compiled[dialect.name] = entry
        return entry


def _begin(conn: Connection):
    """The raw driver connection, inside the SQLAlchemy transaction (autobegin as Core would)."""
    if not conn.in_transaction():
        conn.begin()
    return conn.connection.dbapi_connection


def _wrap(conn: Connection, sql: str, params: Any, err: Exception, raw) -> Exception:
    """Turn a driver error into the SQLAlchemy exception Core would have raised."""
    dialect = conn.dialect
    invalidated = dialect.is_disconnect(err, raw, None)
    if invalidated:
        conn.invalidate(err)
    return DBAPIError.instance(
        sql, params, err, dialect.loaded_dbapi.Error, connection_invalidated=invalidated, dialect=dialect
    )


def _params(order: tuple[str, ...] | None, params: dict[str, Any]):
    return params if order is None else tuple([params[name] for name in order])


def _execute(conn: Connection, hot: _Hot, params: dict[str, Any]):
    raw = _begin(conn)
    sql, order = hot.compiled(conn.dialect)
    args = _params(order, params)
    try:
        return raw.execute(sql, args)
    except conn.dialect.loaded_dbapi.Error as err:
        raise _wrap(conn, sql, args, err, raw) from err


def _insert_id(conn: Connection, hot: _Hot, params: dict[str, Any]) -> int:
    cursor = _execute(conn, hot, params)
    return cursor.lastrowid if conn.dialect.name == "sqlite" else cursor.fetchone()[0]


def _executemany(conn: Connection, hot: _Hot, rows: list[dict[str, Any]]) -> None:
    raw = _begin(conn)
    sql, order = hot.compiled(conn.dialect)
    args = [_params(order, row) for row in rows]
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, args)
    except conn.dialect.loaded_dbapi.Error as err:
        raise _wrap(conn, sql, args, err, raw) from err
    finally:
        cursor.close()


def _stream_raw(conn: Connection, hot: _Hot, params: dict[str, Any], batch: int):
    """Rows of a SELECT with flat memory: a server-side cursor on PostgreSQL, SQLite's own
    step-by-step cursor otherwise."""
    raw = _begin(conn)
    sql, order = hot.compiled(conn.dialect)
    args = _params(order, params)
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"partyflow_stream_{next(_cursor_ids)}")
        cursor.itersize = batch
    else:
        cursor = raw.cursor()
        cursor.arraysize = batch
    try:
        try:
            cursor.execute(sql, args)
        except conn.dialect.loaded_dbapi.Error as err:
            raise _wrap(conn, sql, args, err, raw) from err
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield from rows
    finally:
        cursor.close()  # an abandoned generator must not leave a server-side cursor open


_cursor_ids = itertools.count(1)


# ------------------------------------------------------------------ candidates

_c = candidate.c
_CANDIDATE_COLS = (
    _c.id, _c.person_id, _c.branch_id, _c.definition_key, _c.stage, _c.state, _c.version,
    _c.applied_on, _c.updated_at,
)
_candidate_get = _Hot(select(*_CANDIDATE_COLS).where(_c.id == bindparam("b_id")))
_candidate_all = _Hot(select(*_CANDIDATE_COLS).order_by(_c.id))
_candidate_exists = select(_c.id).where(_c.id == bindparam("b_id"))
_candidate_insert = _Hot(
    insert(candidate)
    .values({name: bindparam(name) for name in (
        "person_id", "branch_id", "definition_key", "stage", "state", "version", "applied_on", "updated_at"
    )}),
    returning_id=True,
)
_candidate_set = {
    "stage": bindparam("b_stage"),
    "state": bindparam("b_state", type_=_c.state.type),
    "version": _c.version + literal_column("1"),
    "updated_at": bindparam("b_updated_at", type_=_c.updated_at.type),
}
_candidate_where = (_c.id == bindparam("b_id"), _c.version == bindparam("b_version"))
_candidate_update = _Hot(update(candidate).where(*_candidate_where).values(_candidate_set))
_candidate_update_branch = _Hot(
    update(candidate).where(*_candidate_where).values({**_candidate_set, "branch_id": bindparam("b_branch_id")})
)
_candidate_count = select(func.count()).select_from(candidate)


def _candidate_row(codec: _Codec, r) -> CandidateRow:
    return CandidateRow(r[0], r[1], r[2], r[3], r[4], codec.json_out(r[5]), r[6], codec.date_out(r[7]),
                        codec.dt_out(r[8]))


class CandidateRepo:
    """Candidate projection rows, guarded by an optimistic version counter."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        person_id: int,
        branch_id: int,
        definition_key: str,
        stage: str,
        state: Mapping[str, Any],
        applied_on: date,
        now: datetime,
    ) -> int:
        codec = _CODECS[self.conn.dialect.name]
        return _insert_id(self.conn, _candidate_insert, {
            "person_id": person_id,
            "branch_id": branch_id,
            "definition_key": definition_key,
            "stage": stage,
            "state": codec.json_in(state),
            "version": 1,
            "applied_on": codec.date_in(applied_on),
            "updated_at": codec.dt_in(now),
        })

    def get(self, candidate_id: int) -> CandidateRow | None:
        row = _execute(self.conn, _candidate_get, {"b_id": candidate_id}).fetchone()
        return None if row is None else _candidate_row(_CODECS[self.conn.dialect.name], row)

    def update(
        self,
        candidate_id: int,
        expected_version: int,
        *,
        stage: str,
        state: Mapping[str, Any],
        branch_id: int | None = None,
        now: datetime,
    ) -> int:
        """Write the new projection if nobody else did since `expected_version` was read.

        `branch_id=None` keeps the branch. Returns the new version; raises ConcurrentModification
        when the version moved on, NotFound when the candidate does not exist.
        """
        codec = _CODECS[self.conn.dialect.name]
        params = {
            "b_id": candidate_id,
            "b_version": expected_version,
            "b_stage": stage,
            "b_state": codec.json_in(state),
            "b_updated_at": codec.dt_in(now),
        }
        if branch_id is None:
            cursor = _execute(self.conn, _candidate_update, params)
        else:
            params["b_branch_id"] = branch_id
            cursor = _execute(self.conn, _candidate_update_branch, params)
        if cursor.rowcount != 1:
            if self.conn.execute(_candidate_exists, {"b_id": candidate_id}).first() is None:
                raise NotFound("候选人", candidate_id)
            raise ConcurrentModification(candidate_id, expected_version)
        return expected_version + 1

    def set_definition_key(self, candidate_id: int, key: str) -> None:
        """Re-pin a candidate (an explicit migration, recorded in the log by the caller)."""
        self.conn.execute(update(candidate).where(_c.id == candidate_id).values(definition_key=key))

    def list(
        self,
        branch_ids: Iterable[int] | None = None,
        stage: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[CandidateRow]:
        stmt = select(*_CANDIDATE_COLS)
        if branch_ids is not None:
            stmt = stmt.where(_c.branch_id.in_(list(branch_ids)))
        if stage is not None:
            stmt = stmt.where(_c.stage == stage)
        stmt = stmt.order_by(_c.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [CandidateRow(*row) for row in self.conn.execute(stmt)]

    def iter_all(self, batch: int = 1000) -> Iterator[CandidateRow]:
        """Every candidate by id, streamed `batch` rows at a time (for verify)."""
        codec = _CODECS[self.conn.dialect.name]
        for row in _stream_raw(self.conn, _candidate_all, {}, batch):
            yield _candidate_row(codec, row)

    def count(self) -> int:
        return self.conn.execute(_candidate_count).scalar_one()


# ------------------------------------------------------------------ events

_e = event.c
_EVENT_COLS = (
    _e.id, _e.candidate_id, _e.seq, _e.kind, _e.step, _e.occurred_on, _e.recorded_at, _e.actor,
    _e.evidence, _e.supersedes, _e.reason, _e.late, _e.definition_key,
)
_EVENT_INSERT_COLS = tuple(c.name for c in _EVENT_COLS[1:])
_event_insert = _Hot(
    insert(event).values({name: bindparam(name) for name in _EVENT_INSERT_COLS}), returning_id=True
)
_event_list_for = _Hot(select(*_EVENT_COLS).where(_e.candidate_id == bindparam("b_cid")).order_by(_e.seq))
_event_all = _Hot(select(*_EVENT_COLS).order_by(_e.candidate_id, _e.seq))
_event_next_seq = select(func.coalesce(func.max(_e.seq), 0) + 1).where(_e.candidate_id == bindparam("b_cid"))
_event_count = select(func.count()).select_from(event)
_EVENT_SEQ_CONSTRAINT = "uq_event_candidate_id_seq"


def _is_seq_conflict(exc: IntegrityError) -> bool:
    diag = getattr(exc.orig, "diag", None)  # psycopg names the violated constraint
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == _EVENT_SEQ_CONSTRAINT
    return "event.candidate_id, event.seq" in str(exc.orig)  # sqlite3's wording


def _event_row(codec: _Codec, r) -> EventRow:
    return EventRow(r[0], r[1], r[2], r[3], r[4], codec.date_out(r[5]), codec.dt_out(r[6]), r[7],
                    codec.json_out(r[8]), r[9], r[10], bool(r[11]), r[12])


class EventRepo:
    """The append-only event log. Deliberately has no update or delete: corrections are new
    events (`kind='correct'|'void'`, `supersedes=<event id>`)."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(
        self,
        candidate_id: int,
        seq: int,
        kind: str,
        step: str | None,
        occurred_on: date,
        recorded_at: datetime,
        actor: str,
        evidence: Any,
        *,
        definition_key: str,
        supersedes: int | None = None,
        reason: str | None = None,
        late: bool = False,
    ) -> int:
        """Append one event; a taken `seq` means another writer got there first."""
        codec = _CODECS[self.conn.dialect.name]
        try:
            event_id = _insert_id(self.conn, _event_insert, {
                "candidate_id": candidate_id,
                "seq": seq,
                "kind": kind,
                "step": step,
                "occurred_on": codec.date_in(occurred_on),
                "recorded_at": codec.dt_in(recorded_at),
                "actor": actor,
                "evidence": codec.json_in({} if evidence is None else evidence),
                "supersedes": supersedes,
                "reason": reason,
                "late": bool(late),
                "definition_key": definition_key,
            })
        except IntegrityError as exc:
            if _is_seq_conflict(exc):
                raise ConcurrentModification(candidate_id) from exc
            raise
        return event_id

    def list_for(self, candidate_id: int) -> list[EventRow]:
        codec = _CODECS[self.conn.dialect.name]
        rows = _execute(self.conn, _event_list_for, {"b_cid": candidate_id}).fetchall()
        return [_event_row(codec, r) for r in rows]

    def iter_all(self, batch: int = 1000) -> Iterator[EventRow]:
        """The whole log ordered by (candidate_id, seq), streamed with flat memory (for replay).

        Group per candidate with `itertools.groupby(..., key=attrgetter("candidate_id"))`.
        """
        codec = _CODECS[self.conn.dialect.name]
        for row in _stream_raw(self.conn, _event_all, {}, batch):
            yield _event_row(codec, row)

    def next_seq(self, candidate_id: int) -> int:
        return self.conn.execute(_event_next_seq, {"b_cid": candidate_id}).scalar_one()

    def count(self) -> int:
        return self.conn.execute(_event_count).scalar_one()


# ------------------------------------------------------------------ deadlines

_d = deadline.c
_DEADLINE_COLS = (_d.id, _d.candidate_id, _d.branch_id, _d.step, _d.kind, _d.due_on, _d.provisional, _d.article)
_deadline_list_for = _Hot(
    select(*_DEADLINE_COLS).where(_d.candidate_id == bindparam("b_cid")).order_by(_d.due_on, _d.step, _d.kind)
)
_deadline_insert = _Hot(
    insert(deadline).values({name: bindparam(name) for name in (
        "candidate_id", "branch_id", "step", "kind", "due_on", "provisional", "article"
    )})
)
_deadline_update = _Hot(
    update(deadline)
    .where(_d.id == bindparam("b_id"))
    .values(
        branch_id=bindparam("b_branch_id"),
        due_on=bindparam("b_due_on", type_=_d.due_on.type),
        provisional=bindparam("b_provisional", type_=_d.provisional.type),
        article=bindparam("b_article"),
    )
)
_deadline_delete = _Hot(delete(deadline).where(_d.id == bindparam("b_id")))
_deadline_count = select(func.count()).select_from(deadline)


def _deadline_row(codec: _Codec, r) -> DeadlineRow:
    return DeadlineRow(r[0], r[1], r[2], r[3], r[4], codec.date_out(r[5]), bool(r[6]), r[7])


def _spec_fields(item: Any) -> tuple[str, str, date, bool, str | None]:
    if isinstance(item, Mapping):
        return (item["step"], item["kind"], item["due_on"], bool(item.get("provisional", False)),
                item.get("article"))
    return item.step, item.kind, item.due_on, bool(item.provisional), item.article


class DeadlineRepo:
    """Deadline projection rows (computed by the engine, rebuilt by verify)."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def replace(self, candidate_id: int, branch_id: int, rows: Iterable[Any]) -> DeadlineDiff:
        """Make the candidate's deadlines equal to `rows`, writing only the difference.

        `rows` holds DeadlineSpec / DeadlineRow objects or mappings with step, kind, due_on,
        provisional, article; (step, kind) must be unique. A step usually changes one or two
        deadlines, so a diff is a couple of statements instead of delete-all + insert-all.
        """
        codec = _CODECS[self.conn.dialect.name]
        existing = {(r.step, r.kind): r for r in self.list_for(candidate_id)}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for item in rows:
            step, kind, due_on, provisional, article = _spec_fields(item)
            key = (step, kind)
            if key in seen:
                raise ValueError(f"duplicate deadline {key!r} for candidate {candidate_id}")
            seen.add(key)
            old = existing.pop(key, None)
            if old is None:
                inserts.append(
                    {"candidate_id": candidate_id, "branch_id": branch_id, "step": step, "kind": kind,
                     "due_on": codec.date_in(due_on), "provisional": provisional, "article": article}
                )
            elif (old.due_on, old.provisional, old.article, old.branch_id) != (
                due_on, provisional, article, branch_id,
            ):
                updates.append(
                    {"b_id": old.id, "b_branch_id": branch_id, "b_due_on": codec.date_in(due_on),
                     "b_provisional": provisional, "b_article": article}
                )
        if existing:
            _executemany(self.conn, _deadline_delete, [{"b_id": r.id} for r in existing.values()])
        if inserts:
            _executemany(self.conn, _deadline_insert, inserts)
        if updates:
            _executemany(self.conn, _deadline_update, updates)
        return DeadlineDiff(len(inserts), len(updates), len(existing))

    def list_for(self, candidate_id: int) -> list[DeadlineRow]:
        codec = _CODECS[self.conn.dialect.name]
        rows = _execute(self.conn, _deadline_list_for, {"b_cid": candidate_id}).fetchall()
        return [_deadline_row(codec, r) for r in rows]

    def due_between(
        self, kind: str, start: date, end: date, branch_ids: Iterable[int] | None = None
    ) -> list[DeadlineRow]:
        """Deadlines of `kind` with start <= due_on <= end (both inclusive)."""
        stmt = select(*_DEADLINE_COLS).where(_d.kind == kind, _d.due_on >= start, _d.due_on <= end)
        if branch_ids is not None:
            stmt = stmt.where(_d.branch_id.in_(list(branch_ids)))
        stmt = stmt.order_by(_d.due_on, _d.candidate_id, _d.step)
        return [DeadlineRow(*r) for r in self.conn.execute(stmt)]

    def overdue(self, as_of: date, branch_ids: Iterable[int] | None = None) -> list[OverdueRow]:
        """'due' and 'recurring' deadlines with due_on < as_of, with the stage and person name."""
        stmt = (
            select(
                _d.id, _d.candidate_id, _d.branch_id, _d.step, _d.kind, _d.due_on, _d.provisional,
                _d.article, _c.stage, person.c.id, person.c.name,
            )
            .select_from(deadline.join(candidate, _c.id == _d.candidate_id).join(person, person.c.id == _c.person_id))
            .where(_d.kind.in_(OVERDUE_KINDS), _d.due_on < as_of)
        )
        if branch_ids is not None:
            stmt = stmt.where(_d.branch_id.in_(list(branch_ids)))
        stmt = stmt.order_by(_d.due_on, _d.candidate_id, _d.step)
        return [OverdueRow(*r) for r in self.conn.execute(stmt)]

    def count(self) -> int:
        return self.conn.execute(_deadline_count).scalar_one()


# ------------------------------------------------------------------ organisations

_o = organisation.c
_ORG_COLS = (_o.id, _o.code, _o.name, _o.level, _o.kind, _o.parent_id, _o.workflow_variant, _o.created_at)


def _descendant_branches_stmt():
    tree = select(_o.id, _o.level).where(_o.id == bindparam("b_root")).cte("org_tree", recursive=True)
    child = organisation.alias("child")
    tree = tree.union_all(select(child.c.id, child.c.level).where(child.c.parent_id == tree.c.id))
    return select(tree.c.id).where(tree.c.level == "branch").order_by(tree.c.id)


_org_descendant_branches = _descendant_branches_stmt()
_org_insert = insert(organisation)
_org_get = select(*_ORG_COLS).where(_o.id == bindparam("b_id"))
_org_by_code = select(*_ORG_COLS).where(_o.code == bindparam("b_code"))
_org_children = select(*_ORG_COLS).where(_o.parent_id == bindparam("b_id")).order_by(_o.code)
_org_list = select(*_ORG_COLS).order_by(_o.id)
_org_set_variant = (
    update(organisation).where(_o.id == bindparam("b_id")).values(workflow_variant=bindparam("b_variant"))
)


class OrgRepo:
    """The organisation tree: county → township → branch."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        code: str,
        name: str,
        level: str,
        kind: str | None = None,
        parent_id: int | None = None,
        workflow_variant: str | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        result = self.conn.execute(
            _org_insert,
            {"code": code, "name": name, "level": level, "kind": kind, "parent_id": parent_id,
             "workflow_variant": workflow_variant, "created_at": now or utcnow()},
        )
        return result.inserted_primary_key[0]

    def get(self, org_id: int) -> OrgRow | None:
        row = self.conn.execute(_org_get, {"b_id": org_id}).first()
        return None if row is None else OrgRow(*row)

    def by_code(self, code: str) -> OrgRow | None:
        row = self.conn.execute(_org_by_code, {"b_code": code}).first()
        return None if row is None else OrgRow(*row)

    def children(self, org_id: int) -> list[OrgRow]:
        return [OrgRow(*r) for r in self.conn.execute(_org_children, {"b_id": org_id})]

    def descendants_branch_ids(self, org_id: int) -> list[int]:
        """Ids of all branches in the subtree of `org_id` (itself included if it is a branch)."""
        return list(self.conn.execute(_org_descendant_branches, {"b_root": org_id}).scalars())

    def set_workflow_variant(self, org_id: int, workflow_variant: str | None) -> None:
        """A township picks (or drops, with None) its local definition variant."""
        result = self.conn.execute(_org_set_variant, {"b_id": org_id, "b_variant": workflow_variant})
        if result.rowcount != 1:
            raise NotFound("组织", org_id)

    def list(self) -> list[OrgRow]:
        return [OrgRow(*r) for r in self.conn.execute(_org_list)]


# ------------------------------------------------------------------ people

_p = person.c
_PERSON_COLS = tuple(person.c)  # PersonRow fields follow the table's column order
_PERSON_FIELDS = frozenset(c.name for c in person.c) - {"id"}
_person_get = _Hot(select(*_PERSON_COLS).where(_p.id == bindparam("b_id")))
_BY_IDS_LOOP_MAX = 16  # up to this many ids, point lookups beat a freshly expanded IN list
_person_by_ids = select(*_PERSON_COLS).where(_p.id.in_(bindparam("b_ids", expanding=True)))
_person_by_name = select(*_PERSON_COLS).where(_p.name == bindparam("b_name")).order_by(_p.id)
_person_insert = insert(person)
_person_set_status = (
    update(person).where(_p.id == bindparam("b_id")).values(party_status=bindparam("b_status"))
)
_person_set_status_branch = _person_set_status.values(branch_id=bindparam("b_branch_id"))


def _person_row(codec: _Codec, r) -> PersonRow:
    return PersonRow(r[0], r[1], r[2], codec.date_out(r[3]), r[4], r[5], r[6], codec.json_out(r[7]), r[8], r[9],
                     r[10], bool(r[11]), r[12], codec.dt_out(r[13]))


class PersonRepo:
    """People: applicants, candidates, members (introducers, branch members)."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, **fields: Any) -> int:
        """Insert a person; name, gender and birth_date are required, the rest have defaults."""
        unknown = set(fields) - _PERSON_FIELDS
        if unknown:
            raise TypeError(f"unknown person fields: {sorted(unknown)}")
        return self.conn.execute(_person_insert, fields).inserted_primary_key[0]

    def get(self, person_id: int) -> PersonRow | None:
        row = _execute(self.conn, _person_get, {"b_id": person_id}).fetchone()
        return None if row is None else _person_row(_CODECS[self.conn.dialect.name], row)

    def by_ids(self, ids: Iterable[int]) -> dict[int, PersonRow]:
        """{id: row} for the ids that exist, in the order asked."""
        ids = list(dict.fromkeys(ids))
        if len(ids) <= _BY_IDS_LOOP_MAX:  # the usual case: a step's mentors / sponsors
            found = {}
            for person_id in ids:
                row = self.get(person_id)
                if row is not None:
                    found[person_id] = row
            return found
        rows = {r.id: PersonRow(*r) for r in self.conn.execute(_person_by_ids, {"b_ids": ids})}
        return {person_id: rows[person_id] for person_id in ids if person_id in rows}  # caller's order

    def find_by_name(self, name: str) -> list[PersonRow]:
        """Exact name match (names repeat, so a list)."""
        return [PersonRow(*r) for r in self.conn.execute(_person_by_name, {"b_name": name})]

    def set_party_status(self, person_id: int, status: str, branch_id: int | None = None) -> None:
        """Record admission / full membership; `branch_id=None` keeps the current branch."""
        if branch_id is None:
            result = self.conn.execute(_person_set_status, {"b_id": person_id, "b_status": status})
        else:
            result = self.conn.execute(
                _person_set_status_branch, {"b_id": person_id, "b_status": status, "b_branch_id": branch_id}
            )
        if result.rowcount != 1:
            raise NotFound("人员", person_id)


# ------------------------------------------------------------------ definitions and holidays

_w = workflow_definition.c
_definition_get = select(_w.key, _w.sha256, _w.body, _w.loaded_at).where(_w.key == bindparam("b_key"))
_h = holiday_year.c
_holiday_get = select(_h.body).where(_h.year == bindparam("b_year"))
_holiday_all = select(_h.year, _h.body).order_by(_h.year)


_dialect_inserts: dict[tuple, Any] = {}


def _dialect_insert(conn: Connection, table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(conn.dialect.name)
    return dialect_insert(table)


def _insert_ignore(conn: Connection, table, index_elements: Sequence[str]):
    """INSERT that silently skips an existing key (so two loaders racing do not fail)."""
    key = ("ignore", conn.dialect.name, table.name, tuple(index_elements))
    if key not in _dialect_inserts:
        stmt = _dialect_insert(conn, table).on_conflict_do_nothing(index_elements=list(index_elements))
        _dialect_inserts[key] = stmt.returning(*table.primary_key.columns)
    return _dialect_inserts[key]


def _upsert(conn: Connection, table, index_elements: Sequence[str], update_columns: Sequence[str]):
    key = ("upsert", conn.dialect.name, table.name, tuple(index_elements), tuple(update_columns))
    if key not in _dialect_inserts:
        stmt = _dialect_insert(conn, table)
        _dialect_inserts[key] = stmt.on_conflict_do_update(
            index_elements=list(index_elements), set_={c: stmt.excluded[c] for c in update_columns}
        )
    return _dialect_inserts[key]


class DefinitionRepo:
    """Snapshots of every workflow definition version a candidate was ever pinned to."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def ensure(self, key: str, sha256: str, body: Mapping[str, Any], now: datetime) -> bool:
        """Store the definition once. Returns True if it was new.

        Raises DefinitionChanged if `key` is stored with another hash: a pinned version is
        immutable, otherwise candidates already on it would silently follow new rules.
        """
        row = self.conn.execute(_definition_get, {"b_key": key}).first()
        if row is None:
            stmt = _insert_ignore(self.conn, workflow_definition, ["key"])  # RETURNING key
            result = self.conn.execute(stmt, {"key": key, "sha256": sha256, "body": body, "loaded_at": now})
            if result.first() is not None:
                return True
            row = self.conn.execute(_definition_get, {"b_key": key}).first()  # lost a race
        if row.sha256 != sha256:
            raise DefinitionChanged(key, row.sha256, sha256)
        return False

    def get(self, key: str) -> DefinitionRow | None:
        row = self.conn.execute(_definition_get, {"b_key": key}).first()
        return None if row is None else DefinitionRow(*row)


class HolidayRepo:
    """Official holiday / make-up workday schedules loaded by an administrator, per year."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, year: int, body: Mapping[str, Any], now: datetime) -> None:
        stmt = _upsert(self.conn, holiday_year, ["year"], ["body", "loaded_at"])
        self.conn.execute(stmt, {"year": year, "body": body, "loaded_at": now})

    def get(self, year: int) -> dict | None:
        return self.conn.execute(_holiday_get, {"b_year": year}).scalar_one_or_none()

    def all(self) -> dict[int, dict]:
        return {year: body for year, body in self.conn.execute(_holiday_all)}

