"""The App's cached holiday calendar in a long-running process."""
from __future__ import annotations

from datetime import date

import pytest


def test_a_year_loaded_by_another_process_is_seen_after_the_cache_ttl(app, db_url):
    """A long-running process (scheduler, web) re-reads the holiday years after `calendar_ttl`."""
    from datetime import datetime

    from services.app import SHANGHAI, App

    other = App.open(db_url)
    other.clock = app.clock
    try:
        assert not other.calendar.known_year(2031)  # cached now, before the year exists
        with app.uow() as uow:
            uow.holidays.put(2031, {"holidays": ["2031-10-01"], "workdays": [], "source": "测试"},
                             datetime(2026, 11, 25, tzinfo=SHANGHAI))
        assert not other.calendar.known_year(2031)  # still within the TTL: the cached calendar
        other.calendar_ttl = 0.0
        assert other.calendar.known_year(2031)
        assert other.calendar.is_working_day(date(2031, 10, 1)) == (False, False)
    finally:
        other.close()


def test_loading_a_year_recomputes_provisional_deadlines(app, town, tmp_path):
    """Deadlines counted Mon–Fri for an unknown year follow the official schedule once loaded,
    in the loading transaction (verify agrees right after)."""
    from sqlalchemy import update

    from services.organisation.directory import load_holidays
    from services.integrity.verify import verify
    from storage.tables import deadline
    from tests.integration.test_services import _road

    cid = _road(app, town, until="first_talk")
    with app.uow() as uow:
        (row,) = [r for r in uow.deadlines.list_for(cid) if r.kind == "due"]
        uow.connection.execute(update(deadline).where(deadline.c.candidate_id == cid, deadline.c.step == row.step,
                                                      deadline.c.kind == row.kind)
                               .values(provisional=True, due_on=date(2031, 10, 9)))
    assert not verify(app).ok  # what a year computed on Mon–Fri looks like against the real one
    f = tmp_path / "holidays-2031.yaml"
    f.write_text("year: 2031\nholidays:\n  - 2031-10-01 ~ 2031-10-07\n", encoding="utf-8")
    result = load_holidays(app, f)
    assert result["recomputed"] == 1
    with app.uow() as uow:
        (fixed,) = [r for r in uow.deadlines.list_for(cid) if r.kind == "due"]
    assert (fixed.due_on, fixed.provisional) == (row.due_on, False)
    assert verify(app).ok


def test_a_step_read_before_the_load_is_refused_as_stale_not_diffed_on_old_rows(app, town, tmp_path):
    """The load's recompute takes each candidate's row and moves its version on (as a step does), so
    a step whose form (or whose transaction, on PostgreSQL) read the candidate before the load is
    refused as stale and recorded again on the new calendar — not written over the recomputed
    deadline rows from the old ones."""
    from sqlalchemy import update

    from engine.errors import DomainError
    from services.casework import candidates as uc
    from services.organisation.directory import load_holidays
    from storage.tables import deadline
    from tests.integration.test_services import _road

    cid = _road(app, town, until="first_talk")
    with app.uow() as uow:
        before = uow.candidates.get(cid).version
        uow.connection.execute(update(deadline).where(deadline.c.candidate_id == cid, deadline.c.kind == "due")
                               .values(provisional=True, due_on=date(2031, 10, 9)))
    f = tmp_path / "holidays-2031.yaml"
    f.write_text("year: 2031\nholidays:\n  - 2031-10-01 ~ 2031-10-07\n", encoding="utf-8")
    assert load_holidays(app, f)["recomputed"] == 1
    with app.uow(read_only=True) as uow:
        assert uow.candidates.get(cid).version == before + 1
    with pytest.raises(DomainError, match="已被他人修改，请刷新后重试"):
        uc.complete_step(app, cid, "mentors_assigned", occurred_on=date(2026, 11, 1), actor="书记",
                         evidence={}, expected_version=before)
