"""Migration "stairway" and model/migration agreement, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import current_revision, downgrade, head_revision, make_engine, shipped_head, upgrade
from storage.tables import metadata

TABLES = {"organisation", "person", "candidate", "event", "deadline", "workflow_definition", "holiday_year",
          "contact", "outbox", "job_run", "milestone", "development_plan", "import_batch", "finding",
          "app_user", "user_role", "login_attempt", "audit_log", "person_profile", "branch_tenure", "notice",
          "chain_head", "web_session", "login_throttle", "attachment", "job_watermark", "application_claim"}
# what each revision adds, for the step-by-step stairway
_LATER = {
    "0002": {"contact", "outbox", "job_run"},
    "0003": {"milestone", "development_plan", "import_batch", "finding"},
    "0004": {"app_user", "user_role", "login_attempt", "audit_log"},
    "0005": {"person_profile"},
    "0006": set(),
    "0007": set(),
    "0008": {"branch_tenure"},
    "0009": set(),
    "0010": {"notice"},
    "0011": {"chain_head"},
    "0012": {"web_session", "login_throttle"},
    "0013": {"attachment"},
    "0014": {"job_watermark"},
    "0015": {"application_claim"},
}
BY_REVISION = {"0001": TABLES - set().union(*_LATER.values()), **_LATER}


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


def test_stairway_one_revision_at_a_time(db_url):
    """Every revision goes up, down and up again on its own."""
    engine = make_engine(db_url)
    try:
        present: set[str] = set()
        for rev, added in BY_REVISION.items():
            upgrade(engine, rev)
            present |= added
            assert _tables(engine) == present
            downgrade(engine, "-1")
            assert _tables(engine) == present - added
            upgrade(engine, rev)
            assert _tables(engine) == present
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_shipped_head_read_from_file_names_is_alembics_head():
    """storage.db.upgrade skips Alembic for a database at `shipped_head()` (read from the file names)."""
    assert shipped_head() == head_revision()


def test_a_database_at_head_is_opened_without_alembic_and_one_behind_is_upgraded(db_url):
    """An upgrade to head of a database already there reads its version row only (Alembic not
    run: a `before_cursor_execute` listener sees one statement, a SELECT); one revision behind is
    upgraded as before."""
    from sqlalchemy import event

    engine = make_engine(db_url)
    try:
        upgrade(engine)
        downgrade(engine, "-1")
        upgrade(engine)  # one behind: Alembic runs
        assert current_revision(engine) == head_revision()
        seen: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2].split()[0].upper()))
        upgrade(engine)
        assert seen == ["SELECT"]
    finally:
        engine.dispose()


def test_upgrade_accepts_a_url(db_url):
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    downgrade(db_url)
    assert current_revision(db_url) is None


def test_migrated_schema_matches_tables_metadata(engine):
    from sqlalchemy import Column, Integer, MetaData, Table

    from storage.tables import include_object

    with engine.begin() as conn:  # the scheduler's own table is left alone
        Table("apscheduler_jobs", MetaData(), Column("id", Integer, primary_key=True)).create(conn)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diffs = compare_metadata(context, metadata)
    assert diffs == []
