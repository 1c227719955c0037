"""The words a due date's day gets: a holiday, a weekend rest day, a make-up working day (no note),
a year whose arrangement is not loaded; and the inclusive parenthesis built from them."""

from datetime import date, datetime

import pytest

from engine.calendar import WorkdayCalendar, YearSchedule, day_note, due_note

# A fictional 2027 arrangement (not the official one): 元旦 01-01..01-03, a spring break with no
# fixed-date holiday in it, one make-up Sunday.
SCHEDULE_2027 = YearSchedule(
    year=2027,
    holidays=frozenset([date(2027, 1, d) for d in (1, 2, 3)] + [date(2027, 2, d) for d in range(5, 14)]),
    workdays=frozenset([date(2027, 2, 14)]),
)


@pytest.fixture(scope="module")
def cal():
    return WorkdayCalendar()


@pytest.fixture(scope="module")
def cal27():
    return WorkdayCalendar([SCHEDULE_2027])


@pytest.mark.parametrize(("day", "note"), [
    (date(2026, 1, 1), "元旦假期"),         # a holiday, named as chinese-calendar names it
    (date(2026, 1, 3), "元旦假期"),         # a Saturday inside the break: the break's name, not 周六
    (date(2026, 1, 4), None),               # 调休上班 (Sunday): a working day, no rest note
    (date(2026, 1, 5), None),               # the working day after the break
    (date(2026, 2, 17), "春节假期"),
    (date(2026, 2, 14), None),              # 调休上班 (Saturday) before the spring break
    (date(2026, 3, 7), "周六休息日"),       # an ordinary weekend
    (date(2026, 3, 8), "周日休息日"),
    (date(2026, 3, 6), None),               # the Friday before it
    (date(2018, 10, 1), "国庆假期"),
    (date(2018, 9, 29), None),              # make-up Saturday before National Day 2018
    (date(2025, 5, 5), "劳动节假期"),
    (date(2018, 2, 28), None),              # issue 16's date: a Wednesday
])
def test_known_years(cal, day, note):
    assert day_note(day, cal) == note


@pytest.mark.parametrize(("day", "note"), [
    (date(2027, 1, 1), "元旦；2027 年节假日安排尚未载入"),   # fixed by law, even unloaded
    (date(2027, 5, 2), "劳动节；2027 年节假日安排尚未载入"),  # 5-2 since the 2025 rules
    (date(2027, 10, 3), "国庆节；2027 年节假日安排尚未载入"),
    (date(2027, 1, 9), "周六；2027 年节假日安排尚未载入"),   # may turn out a make-up day: not "休息日"
    (date(2027, 1, 4), "2027 年节假日安排尚未载入"),          # a Monday: nobody knows yet
    (date(2027, 2, 8), "2027 年节假日安排尚未载入"),          # 春节 moves: not guessed
])
def test_unloaded_year(cal, day, note):
    assert day_note(day, cal) == note


@pytest.mark.parametrize(("day", "note"), [
    (date(2027, 1, 1), "元旦假期"),
    (date(2027, 1, 3), "元旦假期"),      # a Sunday inside a break that holds 01-01
    (date(2027, 1, 4), None),            # the working day after it
    (date(2027, 2, 8), "节假日放假"),    # a break the file does not name
    (date(2027, 2, 14), None),           # the loaded make-up Sunday
    (date(2027, 2, 20), "周六休息日"),
])
def test_loaded_year(cal27, day, note):
    assert day_note(day, cal27) == note


def test_loaded_schedule_replaces_the_package(cal):
    # 2026-01-01 is 元旦 in chinese-calendar; a loaded 2026 listing it as a working day wins
    other = WorkdayCalendar([YearSchedule(year=2026, holidays=frozenset([date(2026, 2, 17)]))])
    assert day_note(date(2026, 1, 1), other) is None and day_note(date(2026, 1, 1), cal) == "元旦假期"
    assert other.schedule_for(2026) is not None and other.schedule_for(2025) is None


def test_due_note(cal):
    assert due_note(date(2018, 2, 28), cal) == "（含当日）"
    assert due_note(date(2026, 1, 1), cal) == "（含当日，元旦假期）"
    assert due_note(date(2027, 1, 1), cal) == "（含当日，元旦；2027 年节假日安排尚未载入）"
    assert due_note(date(2027, 1, 4), cal) == "（含当日；2027 年节假日安排尚未载入）"
    assert due_note(date(2027, 1, 4), cal, provisional=True) == (
        "（含当日；2027 年节假日安排尚未载入，日期暂按周一至周五推算，可能变动）")
    assert due_note(datetime(2026, 1, 1, 9, 30), cal) == "（含当日，元旦假期）"
