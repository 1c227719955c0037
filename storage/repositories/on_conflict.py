"""INSERT … ON CONFLICT, which Core only offers per dialect: built on first use, then cached.

For the rare writes that must tolerate a concurrent writer of the same key (definitions,
holiday years) without a failed statement, which would abort a PostgreSQL transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

_cache: dict[tuple, Any] = {}


def insert_ignore(conn: Connection, table: Table, index_elements: Sequence[str]):
    """INSERT that silently skips an existing key (so two loaders racing do not fail).

    RETURNING the primary key: no row back means the key was already there.
    """
    key = ("ignore", conn.dialect.name, table.name, tuple(index_elements))
    if key not in _cache:
        stmt = _dialect_insert(conn, table).on_conflict_do_nothing(index_elements=list(index_elements))
        _cache[key] = stmt.returning(*table.primary_key.columns)
    return _cache[key]


def upsert(conn: Connection, table: Table, index_elements: Sequence[str], update_columns: Sequence[str]):
    """INSERT that overwrites `update_columns` of an existing key."""
    key = ("upsert", conn.dialect.name, table.name, tuple(index_elements), tuple(update_columns))
    if key not in _cache:
        stmt = _dialect_insert(conn, table)
        _cache[key] = stmt.on_conflict_do_update(
            index_elements=list(index_elements), set_={c: stmt.excluded[c] for c in update_columns}
        )
    return _cache[key]


def _dialect_insert(conn: Connection, table: Table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(conn.dialect.name)
    return dialect_insert(table)
