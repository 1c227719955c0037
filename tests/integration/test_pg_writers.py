"""bench.pg_writers, tiny: concurrent writer processes through partyflow's step service and the raw
psycopg contract floor leave exactly the rows their steps should. Correctness only, never timing.
PostgreSQL only (skipped when unreachable, a failure under CI=true — tests/conftest.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from bench import pg_writers as pw
from storage.tables import candidate, event

from tests.conftest import pg_schema

pytestmark = pytest.mark.postgres

WRITERS, PER_WRITER = 2, 3


@pytest.fixture
def pg_url(_pg_admin_engine):
    with pg_schema(_pg_admin_engine, "pf_writers") as url:
        yield url


def test_partyflow_writers_complete_every_step_of_their_own_candidates(pg_url):
    from services.app import App

    App.open(pg_url).close()  # migrated, as the bench's schema is
    result = pw.run_partyflow(pg_url, WRITERS, PER_WRITER)

    assert (result.kind, result.writers, result.steps) == ("partyflow", WRITERS, WRITERS * PER_WRITER * pw.STEPS)
    engine = create_engine(pg_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            per_candidate = conn.execute(select(event.c.candidate_id, func.count(), func.max(event.c.seq))
                                         .group_by(event.c.candidate_id)).all()
            stages = conn.execute(select(candidate.c.stage, candidate.c.version, candidate.c.branch_id)).all()
    finally:
        engine.dispose()
    assert len(per_candidate) == WRITERS * PER_WRITER
    assert {(n, last) for _, n, last in per_candidate} == {(pw.STEPS, pw.STEPS)}  # 25 events, seq 1…25, no gaps
    assert {stage for stage, _, _ in stages} == {"full_member"}  # every journey ran to its end
    assert {version for _, version, _ in stages} == {pw.STEPS}  # one version-checked write a step (the first inserts)
    assert result.cpu_seconds > 0 and result.seconds > 0


def test_floor_writers_write_one_event_and_one_version_a_step(pg_url):
    result = pw.run_floor(pg_url, WRITERS, PER_WRITER)

    assert (result.kind, result.steps) == ("floor", WRITERS * PER_WRITER * pw.STEPS)
    engine = create_engine(pg_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            events = conn.execute(text("SELECT candidate_id, count(*), max(seq) FROM floor_event "
                                       "GROUP BY candidate_id")).all()
            versions = conn.execute(text("SELECT DISTINCT version, state->>'seq' FROM floor_candidate")).all()
    finally:
        engine.dispose()
    assert len(events) == WRITERS * PER_WRITER
    assert {(n, last) for _, n, last in events} == {(pw.STEPS, pw.STEPS)}
    assert versions == [(pw.STEPS, str(pw.STEPS))]  # every step read, changed and wrote back its snapshot


def test_table_prints_ratios_and_cpu():
    one = pw.Round("partyflow", 1, 100, 1.0, 0.5, 0.2)
    floor = pw.Round("floor", 1, 100, 0.5, 0.1, None)
    lines = pw.table([(one, floor)])
    assert lines[2] == "| 1 | 100 | 200 | 0.50 | 5,000 + 2,000 | 1,000 + n/a | 1.00 × | 1.00 × |"
