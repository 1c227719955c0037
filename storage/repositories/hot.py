"""Hot statements: Core statements compiled once per dialect and run on the driver connection.

A step runs ~6 statements in its own transaction. Through `Connection.execute` each costs ~20 µs
of SQLAlchemy bookkeeping against ~1-10 µs in SQLite itself: storage alone then caps a step at
~2.6k/s; this path reaches ~6.5k/s (raw sqlite3 floor ~12k/s; docs/storage.md). The statements
are still Core constructs over `tables.py`, compiled once per dialect and run on the DBAPI
connection inside the SQLAlchemy transaction, with the few type conversions done here
(`Codec`, the same text SQLAlchemy's SQLite types write, so Core reads these rows unchanged).
Build every `HotStatement` at module level: compiling per call would give the gain back.
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ..db import json_dumps, json_loads


class Codec:
    """Python <-> driver values for the hot-path column types, per backend."""

    __slots__ = ("bool_in", "date_in", "date_out", "dt_in", "dt_out", "json_in", "json_out")

    def __init__(self, date_in, dt_in, json_in, date_out, dt_out, json_out, bool_in=None) -> None:
        self.date_in, self.dt_in, self.json_in = date_in, dt_in, json_in
        self.date_out, self.dt_out, self.json_out = date_out, dt_out, json_out
        self.bool_in = bool_in or bool


def _identity(value):
    return value


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


_last_dt: tuple[datetime | None, str] = (None, "")


def _sqlite_dt_in(value: datetime) -> str:
    """The format SQLAlchemy's SQLite DATETIME writes: "YYYY-MM-DD HH:MM:SS.ffffff".

    A step writes the same timestamp twice (event.recorded_at, candidate.updated_at): the last
    conversion is kept (by identity; the tuple holds the object, so its id cannot be reused)."""
    global _last_dt
    last = _last_dt
    if last[0] is value:
        return last[1]
    text = _naive_utc(value).isoformat(" ", "microseconds")
    _last_dt = (value, text)
    return text


# a deployment's dates are a few thousand days; `date.isoformat` is slow next to a cache hit
_date_iso = functools.lru_cache(maxsize=8192)(date.isoformat)

CODECS = {
    "sqlite": Codec(
        date_in=_date_iso, dt_in=_sqlite_dt_in, json_in=json_dumps,
        date_out=date.fromisoformat, dt_out=datetime.fromisoformat, json_out=json_loads,
        # SQLite stores booleans as 0/1; binding an int skips sqlite3's adapter look-up, which for
        # bool (and None) raises and clears an AttributeError on every parameter
        bool_in=int,
    ),
    # psycopg adapts dates itself and parses JSONB; the SQL carries ::JSONB casts for text input
    "postgresql": Codec(
        date_in=_identity, dt_in=_naive_utc, json_in=json_dumps,
        date_out=_identity, dt_out=_identity, json_out=_identity,
    ),
}


class HotStatement:
    """A Core statement compiled once per dialect and run on the DBAPI connection.

    `returning_id=True` marks an INSERT whose new primary key the caller wants: PostgreSQL gets
    RETURNING, SQLite reads `cursor.lastrowid` (cheaper than stepping a RETURNING row).
    """

    __slots__ = ("_compiled", "returning_id", "stmt")

    def __init__(self, stmt, *, returning_id: bool = False) -> None:
        self.stmt = stmt
        self.returning_id = returning_id
        self._compiled: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {}

    def compiled(self, dialect) -> tuple[str, Callable[[dict[str, Any]], Any]]:
        """(SQL text, a function from the named params to what the driver takes)."""
        try:
            return self._compiled[dialect.name]
        except KeyError:
            pass
        if dialect.name not in CODECS:  # pragma: no cover - only SQLite and PostgreSQL
            raise NotImplementedError(f"unsupported database: {dialect.name}")
        stmt = self.stmt
        if self.returning_id and dialect.name != "sqlite":
            stmt = stmt.returning(*stmt.table.primary_key.columns)
        compiled = stmt.compile(dialect=dialect)
        fixed = [name for name, bind in compiled.binds.items() if not bind.required]
        if fixed:  # every value must come from the caller; literals go in as literal_column
            raise AssertionError(f"hot statement has literal binds {fixed}: {compiled.string}")
        entry = (compiled.string, _binder(tuple(compiled.positiontup) if compiled.positional else None))
        self._compiled[dialect.name] = entry
        return entry


def _binder(order: tuple[str, ...] | None) -> Callable[[dict[str, Any]], Any]:
    """Named params as the driver wants them: the dict itself (named paramstyle), or a tuple in
    the statement's order (positional; `itemgetter` builds it in C)."""
    if order is None:
        return _identity
    if not order:
        return lambda params: ()
    if len(order) == 1:
        name = order[0]
        return lambda params: (params[name],)
    return itemgetter(*order)


def execute(conn: Connection, hot: HotStatement, params: dict[str, Any]):
    """Run one statement; returns the driver cursor."""
    raw = _driver_connection(conn)
    dialect = conn.dialect
    entry = hot._compiled.get(dialect.name)  # compiled once per dialect; this runs ~7 times a step
    sql, bind = entry if entry is not None else hot.compiled(dialect)
    args = bind(params)
    try:
        return raw.execute(sql, args)
    except conn.dialect.loaded_dbapi.Error as err:
        raise _as_sqlalchemy_error(conn, sql, args, err, raw) from err


def insert_id(conn: Connection, hot: HotStatement, params: dict[str, Any]) -> int:
    """Run an INSERT built with `returning_id=True`; returns the new primary key."""
    cursor = execute(conn, hot, params)
    return cursor.lastrowid if conn.dialect.name == "sqlite" else cursor.fetchone()[0]


def execute_many(conn: Connection, hot: HotStatement, rows: list[dict[str, Any]]) -> None:
    """Run one statement for each of `rows` in a single driver call."""
    if len(rows) == 1:  # the usual deadline diff: a plain execute, no executemany set-up
        execute(conn, hot, rows[0])
        return
    raw = _driver_connection(conn)
    sql, bind = hot.compiled(conn.dialect)
    args = [bind(row) for row in rows]
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, args)
    except conn.dialect.loaded_dbapi.Error as err:
        raise _as_sqlalchemy_error(conn, sql, args, err, raw) from err
    finally:
        cursor.close()


_cursor_ids = itertools.count(1)


def stream(conn: Connection, hot: HotStatement, params: dict[str, Any], batch: int) -> Iterator[tuple]:
    """Rows of a SELECT with flat memory: a server-side cursor on PostgreSQL, SQLite's own
    step-by-step cursor otherwise."""
    raw = _driver_connection(conn)
    sql, bind = hot.compiled(conn.dialect)
    args = bind(params)
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
            raise _as_sqlalchemy_error(conn, sql, args, err, raw) from err
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield from rows
    finally:
        cursor.close()  # an abandoned generator must not leave a server-side cursor open


def _driver_connection(conn: Connection):
    """The raw driver connection, inside a transaction: the unit of work's (on SQLite begun on the
    driver itself, storage.db.begin_sqlite) or SQLAlchemy's (autobegin as Core would)."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and raw.in_transaction or conn.in_transaction():
        return raw
    conn.begin()
    return conn.connection.dbapi_connection


def _as_sqlalchemy_error(conn: Connection, sql: str, params: Any, err: Exception, raw) -> Exception:
    """Turn a driver error into the SQLAlchemy exception Core would have raised."""
    dialect = conn.dialect
    invalidated = dialect.is_disconnect(err, raw, None)
    if invalidated:
        conn.invalidate(err)
    return DBAPIError.instance(
        sql, params, err, dialect.loaded_dbapi.Error, connection_invalidated=invalidated, dialect=dialect
    )
