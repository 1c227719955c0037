"""Migration "stairway" and model/migration agreement, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import current_revision, downgrade, head_revision, make_engine, upgrade
from storage.tables import metadata

TABLES = {"organisation", "person", "candidate", "event", "deadline", "workflow_definition", "holiday_year"}


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_stairway_up_down_up(db_url):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert _tables(engine) == TABLES
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert _tables(engine) == set()
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert _tables(engine) == TABLES
    finally:
        engine.dispose()


def test_upgrade_accepts_a_url(db_url):
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    downgrade(db_url)
    assert current_revision(db_url) is None


def test_migrated_schema_matches_tables_metadata(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert diffs == []
