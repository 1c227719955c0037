"""Shared fixtures. Database tests run twice: on a SQLite file and on PostgreSQL.

PostgreSQL isolation: every test gets its own schema (search_path set through the URL's libpq
`options`, so Alembic's version table lands there too), dropped afterwards. Tests can therefore
run in parallel and next to other suites on the same database.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def _recorder(monkeypatch, tmp_path_factory):
    """Every CLI write needs a named recorder (never the OS login, docs/cli.md): the suite records
    as "测试录入人" through $PARTYFLOW_ACTOR, and never reads the developer's own config file.
    Tests of the recorder itself delenv/setenv these."""
    monkeypatch.setenv("PARTYFLOW_ACTOR", "测试录入人")
    monkeypatch.setenv("PARTYFLOW_CONFIG", str(tmp_path_factory.mktemp("config") / "config.json"))


@pytest.fixture(autouse=True)
def _local_webhooks(monkeypatch):
    """The suite's webhook receivers listen on 127.0.0.1: the deployment setting that lets a
    webhook reach a relay on the same machine (notifications/channels/address_policy.py). Tests of
    the policy itself delenv or setenv it."""
    monkeypatch.setenv("PARTYFLOW_WEBHOOK_ALLOW", "127.0.0.0/8,::1")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def _pg_admin_engine():
    """An AUTOCOMMIT engine on the test PostgreSQL, or a skip (a failure in CI) if unreachable."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    url = os.environ.get("PARTYFLOW_TEST_PG_URL", DEFAULT_PG_URL)
    # the probe gives up after 5 s (a machine without PostgreSQL skips at once); the engine the tests
    # use waits up to 60 s for a connection: on a loaded machine (or one flushing a large database to
    # disk) a new backend has been seen to take longer than 5 s, and that is not a test failure
    probe = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        message = f"PostgreSQL 不可达（{probe.url.render_as_string(hide_password=True)}）: {exc}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    finally:
        probe.dispose()
    engine = create_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 60}
    )
    yield engine
    engine.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request, tmp_path):
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'partyflow.db'}"
        return

    with pg_schema(request.getfixturevalue("_pg_admin_engine"), "pf_test") as url:
        yield url


@contextmanager
def pg_schema(admin, prefix: str):
    """A fresh PostgreSQL schema on `admin`'s database, as a URL whose search_path is it;
    dropped afterwards (shared by the database tests and the browser's PostgreSQL server)."""
    from sqlalchemy import text

    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SET lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def engine(db_url):
    """An engine on `db_url`, migrated to the latest schema."""
    from storage.db import make_engine, upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()
