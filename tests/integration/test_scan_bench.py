"""The reminder-scan benchmark, tiny: its bulk-loaded pipeline and the real scan agree with the design.

Correctness only, never timing. Both databases through the `db_url` fixture (PostgreSQL: skipped
when unreachable, a failure under CI=true — tests/conftest.py).
"""
from __future__ import annotations

from sqlalchemy import func, select

from bench import scan_bench as sb
from engine.state import CandidateState
from storage.db import make_engine
from storage.tables import candidate, contact, deadline, outbox

N = 2_000
DUE_SHARE = 0.05  # 100 due rows: every offset of the window at least once


def test_the_design_covers_every_kind_of_notice():
    design = sb.make_design(N, DUE_SHARE)
    assert design.due_rows == 100 and design.horizon_days >= sb.WINDOW
    assert design.examined == 100
    # offsets -30 … +30 once (61 rows), then -30 … +8 (39 rows); 0 … +14 → reminder, -1 … -30 →
    # overdue, -14 … -30 → also escalation, +15 … +30 → examined but silent
    assert design.by_kind == {"reminder": 15 + 9, "overdue": 30 + 30, "escalation": 17 + 17}
    assert design.notices == sum(design.by_kind.values())
    due = [i for i in range(N) if design.due_offset(i) is not None]
    assert len(due) == design.due_rows
    assert len({sb._branch_id(i, 0, N) for i in due}) == design.due_rows  # spread over the branches
    assert design.due_offset(N) is None  # appended candidates are never due


def test_scan_creates_the_designed_notices_then_none(db_url):
    design = sb.make_design(N, DUE_SHARE)
    load = sb.build(db_url, design)
    assert (load.candidates, load.deadline_rows) == (N, 2 * N)

    figures = sb.measure_scan(db_url, design.as_of)

    assert figures.examined == design.examined
    assert figures.created == design.notices
    assert figures.by_kind == design.by_kind
    assert (figures.again_examined, figures.again_created) == (0, 0)  # the rescan reads only what is new
    assert figures.outbox_rows == design.notices


def test_scale_case_keeps_the_same_due_rows(db_url):
    design = sb.make_design(N, DUE_SHARE)
    sb.build(db_url, design)
    sb.measure_scan(db_url, design.as_of)
    load = sb.extend(db_url, design, 3 * N)  # appends 2N, empties the outbox
    assert (load.candidates, load.deadline_rows, load.appended) == (3 * N, 6 * N, 2 * N)

    figures = sb.measure_scan(db_url, design.as_of)

    assert (figures.examined, figures.created, figures.again_created) == (design.examined, design.notices, 0)
    assert figures.outbox_rows == design.notices


def test_loaded_rows_are_valid(db_url):
    design = sb.make_design(N, DUE_SHARE)
    sb.build(db_url, design)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            states = conn.execute(select(candidate.c.id, candidate.c.branch_id, candidate.c.state)
                                  .order_by(candidate.c.id).limit(50)).all()
            kinds = dict(conn.execute(select(deadline.c.kind, func.count()).group_by(deadline.c.kind)).all())
            secretaries = conn.execute(select(func.count()).select_from(contact)
                                       .where(contact.c.role == "branch_secretary", contact.c.email.is_not(None))
                                       ).scalar_one()
            assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 0
    finally:
        engine.dispose()
    for cid, branch_id, state in states:
        s = CandidateState.from_dict(state)
        assert (s.definition_key, s.stage, s.branch_id) == (sb.DEFINITION_KEY, "activist", branch_id)
        assert set(s.done) == {"application", "first_talk", "activist_selection"}
    assert kinds == {"recurring": N, "earliest": N}
    assert secretaries == sb.BRANCHES


def test_daily_scan_at_county_scale_reads_only_the_day_s_work(db_url):
    """The issue-19 population: stalled candidates of every age up to years, the day's due rows and
    rows changed since yesterday's scan; then the backlog doubles with older stalls."""
    from workflows.registry import Registry

    registry = Registry.default()
    design = sb.Design.make(N, DUE_SHARE, sb.AS_OF, sb.horizon_days(registry), stalled_share=0.25)
    daily = sb.daily_design(design, 20, registry)
    assert len(daily.changed_ids) == 20 and daily.examined > 20 and daily.read > daily.examined
    stalled = [i for i in range(N) if design.stalled_age(i) is not None]
    assert 0.2 * N < len(stalled) < 0.26 * N
    assert min(design.stalled_age(i) for i in stalled) >= sb.STALLED_FROM

    rows = sb.run_daily("db", db_url, design, daily, repeat=1, log=lambda m: None)

    assert [r.stalled for r in rows] == [len(stalled), 2 * len(stalled)]
    assert sb.daily_mismatches(rows, daily) == []  # same reads and notices with twice the backlog
