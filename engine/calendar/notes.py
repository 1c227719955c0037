"""What a due date's day is, in words: a holiday, a weekend rest day, or a day of a year whose
holiday arrangement nobody has loaded yet.

Due dates are inclusive ("最迟于 X（含当日）") and are never moved by a holiday: a deadline counted in
calendar months stays on its day even when that day is 元旦 (docs/calendar.md). The note only tells
the reader, so a branch can plan the meeting before the break. Nothing here reads the clock.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import chinese_calendar
from chinese_calendar.constants import Holiday

from .workdays import WorkdayCalendar, _as_date

__all__ = ["day_note", "due_note", "INCLUSIVE"]

INCLUSIVE = "含当日"
_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# How people name the break (chinese-calendar's Chinese names, shortened where usage is shorter).
_BREAK_NAMES = {"国庆节": "国庆"}
# 《全国年节及纪念日放假办法》 fixes these days by the solar calendar; the lunar ones (春节, 清明, 端午,
# 中秋) move and are only known from a year's arrangement.  Since 2025 劳动节 is 5-1 and 5-2.
_FIXED = {(1, 1): "元旦", (5, 1): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节", (10, 3): "国庆节"}
_FIXED_SINCE_2025 = {(5, 2): "劳动节"}


def _fixed_holiday(d: date) -> str | None:
    """The statutory holiday a solar date always is (元旦, 劳动节, 国庆节), whatever the year's arrangement."""
    key = (d.month, d.day)
    return _FIXED.get(key) or (_FIXED_SINCE_2025.get(key) if d.year >= 2025 else None)


@lru_cache(maxsize=4096)  # chinese-calendar checks its whole table on every call
def _package_name(d: date) -> str | None:
    """chinese-calendar's Chinese name of the holiday break `d` belongs to (None: not in a break)."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return None
    if not on_holiday or not name:
        return None
    try:
        return Holiday(name).chinese
    except ValueError:
        return None


def _break_name(d: date, holidays: frozenset[date]) -> str | None:
    """The name of a loaded schedule's break that contains `d`: a fixed-date holiday in it (the
    schedule file lists dates, not names), or None when the break has none (春节, 端午, …)."""
    for step in (-1, 1):
        day = d
        while day in holidays:
            name = _fixed_holiday(day)
            if name:
                return name
            day = date.fromordinal(day.toordinal() + step)
    return None


def _break_words(name: str | None) -> str:
    return f"{_BREAK_NAMES.get(name, name)}假期" if name else "节假日放假"


def _day(d: date, calendar: WorkdayCalendar) -> tuple[str | None, int | None]:
    """(what kind of rest day `d` is or None, the year if its arrangement is unknown or None)."""
    schedule = calendar.schedule_for(d.year)
    if schedule is None and not calendar.known_year(d.year):
        return _fixed_holiday(d) or (_WEEKDAYS[d.weekday()] if d.weekday() >= 5 else None), d.year
    working, _provisional = calendar.is_working_day(d)
    if working:
        return None, None
    if schedule is not None:
        if d in schedule.holidays:
            return _break_words(_break_name(d, schedule.holidays)), None
        return f"{_WEEKDAYS[d.weekday()]}休息日", None
    name = _package_name(d)
    if name:
        return _break_words(name), None
    return (f"{_WEEKDAYS[d.weekday()]}休息日" if d.weekday() >= 5 else "节假日放假"), None


def day_note(d: date, calendar: WorkdayCalendar) -> str | None:
    """"元旦假期", "周六休息日", "2027 年节假日安排尚未载入" (after "元旦；" or "周六；" when that much
    is certain) — or None for a working day of a known year, a make-up working day (调休上班)
    included."""
    rest, unknown = _day(_as_date(d), calendar)
    if unknown is None:
        return rest
    return "；".join(x for x in (rest, f"{unknown} 年节假日安排尚未载入") if x)


def due_note(d: date, calendar: WorkdayCalendar, provisional: bool = False) -> str:
    """The parenthesis after a due date: "（含当日）", "（含当日，元旦假期）",
    "（含当日，元旦；2027 年节假日安排尚未载入）". `provisional`: the date itself was counted on
    Mon–Fri through a year nobody knows (WorkdayResult.provisional), so it may still move."""
    d = _as_date(d)
    rest, unknown = _day(d, calendar)
    text = INCLUSIVE + (f"，{rest}" if rest else "")
    tail = [f"{unknown} 年节假日安排尚未载入"] if unknown else []
    if provisional:
        tail.append("日期暂按周一至周五推算，可能变动")
    return f"（{text}{'；' + '，'.join(tail) if tail else ''}）"
