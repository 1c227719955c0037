"""Engines and schema migrations.

`make_engine` is the only place that knows backend quirks (SQLite pragmas and BEGIN IMMEDIATE,
PostgreSQL driver choice); `upgrade` / `downgrade` run Alembic in-process so the CLI, the tests
and the benchmark never need an `alembic` command line or an ini file on the current directory.
"""
from __future__ import annotations

import orjson
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from .errors import BadDatabaseAddress, SQLiteTooOld

ENV_URL = "PARTYFLOW_DATABASE_URL"
HERE = Path(__file__).resolve().parent
ALEMBIC_INI = HERE / "alembic.ini"
MIGRATIONS = HERE / "migrations"

# The oldest SQLite the schema works on: migrations 0003 and 0006 use ALTER TABLE … DROP COLUMN.
MIN_SQLITE = (3, 35, 0)

# Execution option a read-only unit of work sets so SQLite opens a deferred (shared) transaction.
READ_ONLY_OPTION = "partyflow_read_only"


def default_url() -> str:
    """$PARTYFLOW_DATABASE_URL, else a SQLite file in the per-user data directory."""
    url = os.environ.get(ENV_URL)
    if url:
        return url
    from platformdirs import user_data_dir

    data_dir = Path(user_data_dir("partyflow"))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'partyflow.db'}"


def files_location(url: URL | str) -> Path:
    """Where attached files live by default ($PARTYFLOW_OBJECT_STORE overrides it, docs/storage.md):
    beside a SQLite file (`x.db` → `x.db.files/`), so the database and its files move together;
    for a server database, the per-user data directory (a county with several app machines sets an
    S3-compatible store instead)."""
    url = make_url(str(url)) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database).resolve()
        return path.with_name(path.name + ".files")
    from platformdirs import user_data_dir

    return Path(user_data_dir("partyflow")) / "files"


def database_url(text: str) -> URL:
    """What `--db` and $PARTYFLOW_DATABASE_URL may say: a URL (`sqlite:///…`, `postgresql://…`)
    or simply the path of a SQLite file (`./partyflow.db`, `~/data/pf.db`), which people type more
    often than a URL. Anything else is a `BadDatabaseAddress` (one Chinese line, no traceback)."""
    text = text.strip()
    if not text:
        raise BadDatabaseAddress(text, "地址为空")
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    try:
        return make_url(text)
    except (ArgumentError, ValueError) as e:  # ValueError: e.g. a port that is not a number
        raise BadDatabaseAddress(text, "不是有效的数据库 URL") from e


def json_dumps(value: Any) -> str:
    """The JSON text every JSON column gets, from Core and from the hot path alike.

    orjson: compact, UTF-8 (Chinese stays readable), ~10x faster than the stdlib encoder — this
    runs twice per step (state snapshot and evidence). Dates are written as ISO text.
    """
    return orjson.dumps(value, default=_iso_default).decode()


def _iso_default(value: Any) -> str:
    """What orjson does not encode itself: a `date` subclass (e.g. freezegun's FakeDate) as the
    same ISO text it writes for a plain date (state snapshots carry dates, engine.state)."""
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


json_loads = orjson.loads


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine with the pragmas / pool settings partyflow relies on.

    Extra keyword arguments go to `create_engine` (e.g. `echo=True`).
    """
    u = database_url(url) if isinstance(url, str) else url
    kwargs.setdefault("json_serializer", json_dumps)
    kwargs.setdefault("json_deserializer", json_loads)
    if u.get_backend_name() == "postgresql":
        from storage.tables import use_postgresql

        use_postgresql()  # JSONB and the partial indexes' WHERE: storage/tables.py
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")  # psycopg2 is not a dependency
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(u, **kwargs)
    if u.get_backend_name() == "sqlite":
        require_sqlite()
        engine = create_engine(u, **kwargs)
        _configure_sqlite(engine, in_memory=u.database in (None, "", ":memory:"))
        return engine
    try:
        return create_engine(u, **kwargs)
    except NoSuchModuleError as e:
        raise BadDatabaseAddress(u.render_as_string(hide_password=True), f"不支持的数据库类型 {u.drivername}") from e


def require_sqlite() -> None:
    """Refuse (in one Chinese line) a SQLite library older than `MIN_SQLITE`."""
    found = sqlite3.sqlite_version_info
    if found < MIN_SQLITE:
        raise SQLiteTooOld(".".join(map(str, found)), ".".join(map(str, MIN_SQLITE)))


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    """Pragmas on every new DBAPI connection, and BEGIN IMMEDIATE for write transactions.

    pysqlite's implicit deferred BEGIN starts a read transaction that must later be upgraded to a
    write lock; with two writers that upgrade fails at once with "database is locked" (the busy
    timeout does not apply to it). BEGIN IMMEDIATE takes the write lock up front, so concurrent
    writers queue on busy_timeout instead. Recipe: SQLAlchemy docs, "SQLite transactions".
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            # checkpoint (and fsync) every ~40 MB of WAL instead of every ~4 MB: +10 % steps/s
            cursor.execute("PRAGMA wal_autocheckpoint=10000")
            # a fixed 64 MiB page cache: large pipelines stay cached, memory stays bounded
            cursor.execute("PRAGMA cache_size=-65536")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        raw = conn.connection.dbapi_connection
        if raw.in_transaction:
            return  # a unit of work already began it on the driver (begin_sqlite)
        _begin(conn, raw, conn.get_execution_options().get(READ_ONLY_OPTION, False))


def _begin(conn: Connection, raw, read_only: bool) -> None:
    # read-only units of work never take the write lock; the BEGIN goes straight to the driver
    # because exec_driver_sql would add ~12 µs to every transaction
    sql = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"
    try:
        raw.execute(sql)
    except conn.dialect.loaded_dbapi.Error as err:  # e.g. "database is locked" after the timeout
        raise DBAPIError.instance(sql, (), err, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect) from err


def begin_sqlite(conn: Connection, read_only: bool):
    """Begin a transaction on `conn`'s sqlite3 connection, outside SQLAlchemy's bookkeeping.

    The step path's unit of work runs its statements on the driver connection (storage/
    repositories/hot.py), so SQLAlchemy's Transaction objects, events and reset logic only cost
    time there (~20 µs a step). Returns the driver connection; commit with `commit_sqlite`. A
    transaction left open on it by a failed commit is rolled back first. Core statements on
    `conn` still work: SQLAlchemy autobegins on top and `_on_begin` sees the driver's.
    """
    raw = conn.connection.dbapi_connection
    if raw.in_transaction:
        raw.rollback()
    _begin(conn, raw, read_only)
    return raw


def commit_sqlite(conn: Connection, raw) -> None:
    """Commit the driver-level transaction `begin_sqlite` opened, errors as SQLAlchemy's."""
    try:
        raw.commit()
    except conn.dialect.loaded_dbapi.Error as err:
        raise DBAPIError.instance("COMMIT", (), err, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect) from err


# ---------------------------------------------------------------- migrations


def _alembic_config(connection: Connection):
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS))
    # env.py runs on this connection (works for tmp / in-memory DBs and per-test PG schemas)
    config.attributes["connection"] = connection
    return config


@contextmanager
def _engine_for(engine_or_url: Engine | str) -> Iterator[Engine]:
    """The caller's engine as is, or a throwaway one for a URL (disposed afterwards)."""
    if isinstance(engine_or_url, Engine):
        yield engine_or_url
        return
    engine = make_engine(engine_or_url)
    try:
        yield engine
    finally:
        engine.dispose()


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Migrate the schema to `revision` (default: the latest), in one transaction.

    A database already at the shipped head is left as it is after one read of its version row,
    without loading Alembic: every CLI command opens the database this way, and Alembic with its
    scripts cost each of them ~0.15 s (issue 19)."""
    with _engine_for(engine_or_url) as engine:
        if revision == "head" and _at_shipped_head(engine):
            return
        from alembic import command

        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)


def shipped_head() -> str:
    """The newest revision shipped with this code, from the migration files' names (`NNNN_*.py`
    holds revision NNNN) — without Alembic; tests/integration/test_migrations.py keeps it equal to
    Alembic's own head."""
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def _at_shipped_head(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execution_options(**{READ_ONLY_OPTION: True})
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    except DBAPIError:  # no version table yet (an empty database): Alembic creates everything
        return False
    return [r[0] for r in rows] == [shipped_head()]


def downgrade(engine_or_url: Engine | str, revision: str = "base") -> None:
    """Migrate the schema down to `revision` (default: nothing left)."""
    from alembic import command

    with _engine_for(engine_or_url) as engine, engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def current_revision(engine_or_url: Engine | str) -> str | None:
    """The schema's Alembic revision, None for an empty database (for `partyflow status`)."""
    from alembic.runtime.migration import MigrationContext

    with _engine_for(engine_or_url) as engine, engine.connect() as conn:
        conn.execution_options(**{READ_ONLY_OPTION: True})
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code (compare with `current_revision`)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()
