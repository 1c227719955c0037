"""The App's cached holiday calendar in a long-running process."""
from __future__ import annotations

from datetime import date


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
