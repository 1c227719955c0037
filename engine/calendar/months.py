"""Calendar-month and calendar-year arithmetic.

The 细则 counts months and years on the calendar ("满一年", "一个月内"), not as
30/365-day spans, so adding months keeps the day of month and clamps to the
month's last day when that day does not exist (01-31 + 1 month = 02-28/29).
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["add_months", "add_years", "shift"]

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def add_months(d: date, n: int) -> date:
    """Add ``n`` calendar months (may be negative), clamping to the month end.

    03-31 + 1 month = 04-30; 03-31 - 1 month = 02-28/29.  Raises
    ``OverflowError`` outside years 1..9999, like ``date`` arithmetic does.
    """
    if not n:
        return d
    year, month0 = divmod(d.year * 12 + (d.month - 1) + n, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date value out of range")
    month = month0 + 1
    day = d.day
    if day > 28:  # only the 29th–31st can fall off the end of a month
        day = min(day, _month_length(year, month))
    if type(d) is date:  # the constructor is ~4× cheaper than replace(); this runs ~1 M times an import
        return date(year, month, day)
    return d.replace(year=year, month=month, day=day)  # a subclass (freezegun's FakeDate) or a datetime


def add_years(d: date, n: int) -> date:
    """Add ``n`` calendar years; 02-29 + 1 year = 02-28 (the month-end clamp)."""
    return add_months(d, 12 * n)


def shift(d: date, *, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0) -> date:
    """Shift by years+months as one calendar-month step (one clamp), then weeks/days.

    Combining years and months before clamping matters: 01-31 + (1 year, 1 month)
    must give 02-28 of the next year, exactly as add_months(d, 13) does.
    """
    result = add_months(d, years * 12 + months)
    if weeks or days:
        result = result + timedelta(weeks=weeks, days=days)
    return result
