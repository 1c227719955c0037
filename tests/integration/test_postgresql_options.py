"""The schema's PostgreSQL-only options (JSONB, the partial indexes' WHERE) are given by
storage.tables.use_postgresql when a PostgreSQL engine is made, so SQLite never loads SQLAlchemy's
PostgreSQL dialect (issue 19, CLI start). Either engine must still get the schema its migrations
make: Alembic's comparison (test_migrations.py) checks the column types, not an index's WHERE, so
the WHERE is compared here."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import JSON, Column, inspect

from storage.tables import metadata


def _bare(where: str) -> str:
    """A WHERE as text to compare: PostgreSQL gives back `((status)::text = 'pending'::text)` for
    `status = 'pending'`; casts to text, parentheses and spaces do not change what it selects."""
    return re.sub(r"::text|[()\s]", "", where)


def _reflected(index, dialect: str) -> bool:
    """SQLAlchemy reflects no expression index on SQLite (it warns and skips it)."""
    return dialect != "sqlite" or all(isinstance(e, Column) for e in index.expressions)


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_partial_indexes_are_the_ones_the_migrations_made(engine):
    dialect = engine.dialect.name
    declared = {index.name: _bare(str(index.dialect_options[dialect]["where"]))
                for table in metadata.tables.values() for index in table.indexes
                if index.dialect_options[dialect]["where"] is not None and _reflected(index, dialect)}
    inspector = inspect(engine)
    found = {index["name"]: _bare(str(index["dialect_options"][f"{dialect}_where"]))
             for table in inspector.get_table_names() for index in inspector.get_indexes(table)
             if index.get("dialect_options", {}).get(f"{dialect}_where") is not None}
    assert declared == found
    assert {"ix_event_late_occurred_on", "ix_outbox_pending_id", "ix_notice_unread_user_id"} <= set(found)
    assert found["ix_event_late_occurred_on"] == ("late" if dialect == "postgresql" else "late=1")


def test_the_json_columns_are_jsonb_on_postgresql_only(engine):
    json_columns = [c for t in metadata.tables.values() for c in t.columns if isinstance(c.type, JSON)]
    assert len(json_columns) >= 10
    expected = "JSONB" if engine.dialect.name == "postgresql" else "JSON"
    assert {f"{c.table.name}.{c.name}": c.type.compile(dialect=engine.dialect) for c in json_columns} == {
        f"{c.table.name}.{c.name}": expected for c in json_columns}
