"""Working days on the official calendar, provisional unknown years, and schedule files."""

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from engine.calendar import (
    ScheduleFileError,
    WorkdayCalendar,
    WorkdayResult,
    YearSchedule,
    load_year_schedule,
    parse_year_schedule,
)

REPO = Path(__file__).resolve().parents[2]

# A fictional 2027 arrangement used by the tests (not the official one).
SCHEDULE_2027 = YearSchedule(
    year=2027,
    holidays=frozenset(
        [date(2027, 1, 1)]
        + [date(2027, 2, d) for d in range(5, 14)]  # 02-05 .. 02-13
    ),
    workdays=frozenset([date(2027, 2, 14), date(2027, 2, 20)]),
    source="测试用",
)


@pytest.fixture(scope="module")
def cal():
    return WorkdayCalendar()


@pytest.fixture(scope="module")
def cal27():
    return WorkdayCalendar([SCHEDULE_2027])


# -- is_working_day ------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "working"),
    [
        (date(2018, 9, 28), True),  # Friday
        (date(2018, 9, 29), True),  # Saturday, make-up working day
        (date(2018, 9, 30), True),  # Sunday, make-up working day
        (date(2018, 10, 1), False),  # National Day
        (date(2018, 10, 7), False),  # last day of the holiday (Sunday)
        (date(2018, 10, 8), True),
        (date(2026, 2, 13), True),  # Friday before Spring Festival
        (date(2026, 2, 14), True),  # Saturday make-up day
        (date(2026, 2, 15), False),
        (date(2026, 2, 23), False),  # Monday, last holiday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday make-up day
        (date(2026, 3, 1), False),  # ordinary Sunday
        (date(2026, 3, 2), True),  # ordinary Monday
    ],
)
def test_is_working_day_known_years(cal, d, working):
    assert cal.is_working_day(d) == (working, False)


def test_is_working_day_unknown_year_is_mon_fri_and_provisional(cal):
    assert cal.is_working_day(date(2027, 1, 1)) == (True, True)  # a Friday; nobody knows yet
    assert cal.is_working_day(date(2027, 1, 2)) == (False, True)  # Saturday
    assert cal.is_working_day(date(2027, 1, 4)) == (True, True)
    assert cal.is_working_day(date(2026, 12, 31)) == (True, False)  # last known day
    assert cal.is_working_day(date(2003, 12, 31)) == (True, True)  # before chinese_calendar's range


def test_is_working_day_accepts_datetime(cal):
    assert cal.is_working_day(datetime(2018, 10, 1, 12, 0)) == (False, False)


def test_known_year(cal, cal27):
    assert cal.known_year(2004)
    assert cal.known_year(2026)
    assert not cal.known_year(2027)
    assert not cal.known_year(2003)
    assert cal27.known_year(2027)
    assert not cal27.known_year(2028)


# -- add_working_days ----------------------------------------------------------


def test_process_md_example(cal):
    """process.md §4: 公示 from 2018-09-28 for 5 working days ends 2018-10-09."""
    assert cal.add_working_days(date(2018, 9, 28), 5) == WorkdayResult(date(2018, 10, 9), False)
    assert cal.add_working_days(date(2018, 9, 28), 4) == WorkdayResult(date(2018, 10, 8), False)
    assert cal.add_working_days(date(2018, 9, 28), 3).date == date(2018, 9, 30)


def test_start_day_counts_only_if_working(cal):
    assert cal.add_working_days(date(2026, 3, 2), 1).date == date(2026, 3, 2)  # Monday counts
    assert cal.add_working_days(date(2026, 3, 7), 1).date == date(2026, 3, 9)  # Saturday does not
    assert cal.add_working_days(date(2026, 3, 8), 1).date == date(2026, 3, 9)  # Sunday does not
    assert cal.add_working_days(date(2026, 3, 6), 1).date == date(2026, 3, 6)  # Friday counts
    assert cal.add_working_days(date(2026, 3, 6), 2).date == date(2026, 3, 9)


def test_gongshi_starting_on_weekend_and_holiday(cal):
    # Starting on an ordinary Saturday: Mon..Fri of the next week.
    assert cal.add_working_days(date(2026, 3, 7), 5).date == date(2026, 3, 13)
    # Starting on the first day of National Day 2018: counting starts 10-08.
    assert cal.add_working_days(date(2018, 10, 1), 5).date == date(2018, 10, 12)
    assert cal.add_working_days(date(2018, 10, 7), 1).date == date(2018, 10, 8)


def test_make_up_working_day_counted(cal):
    # 2018-09-29 (Saturday) is a make-up working day, so it is day 1 of the 公示.
    assert cal.add_working_days(date(2018, 9, 29), 1).date == date(2018, 9, 29)
    assert cal.add_working_days(date(2018, 9, 29), 2).date == date(2018, 9, 30)
    assert cal.add_working_days(date(2018, 9, 29), 3).date == date(2018, 10, 8)


def test_spring_festival_2026_spans(cal):
    # 02-13 Fri, 02-14 Sat (make-up), then 02-15..02-23 off, 02-24 Tue.
    assert cal.add_working_days(date(2026, 2, 13), 2).date == date(2026, 2, 14)
    assert cal.add_working_days(date(2026, 2, 13), 3).date == date(2026, 2, 24)
    assert cal.add_working_days(date(2026, 2, 15), 1).date == date(2026, 2, 24)
    # 02-24..27 Tue–Fri and 02-28 Sat make-up: 5 working days end on Saturday.
    assert cal.add_working_days(date(2026, 2, 24), 5) == WorkdayResult(date(2026, 2, 28), False)
    assert cal.add_working_days(date(2026, 2, 24), 6).date == date(2026, 3, 2)
    # A 公示 of 7 working days starting just before the festival.
    assert cal.add_working_days(date(2026, 2, 12), 7).date == date(2026, 2, 27)


def test_n_must_be_positive(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 3, 2), 0)
    with pytest.raises(ValueError):
        cal.working_days_after(date(2026, 3, 2), -1)


def test_large_n_crosses_years(cal):
    one = cal.add_working_days(date(2018, 1, 1), 1)
    far = cal.add_working_days(date(2018, 1, 1), 600)
    assert not one.provisional and not far.provisional
    n, prov = cal.count_working_days(date(2018, 1, 1), far.date)
    assert (n, prov) == (600, False)
    assert cal.is_working_day(far.date)[0]


# -- unknown and loaded years -----------------------------------------------------


def test_unknown_2027_counts_mon_fri_provisional(cal):
    # 2027-01-01 is a Friday; without a schedule it counts as a working day.
    assert cal.add_working_days(date(2027, 1, 1), 1) == WorkdayResult(date(2027, 1, 1), True)
    assert cal.add_working_days(date(2027, 1, 1), 2) == WorkdayResult(date(2027, 1, 4), True)
    assert cal.add_working_days(date(2027, 2, 8), 5) == WorkdayResult(date(2027, 2, 12), True)


def test_loaded_2027_schedule_respected(cal27):
    assert cal27.is_working_day(date(2027, 1, 1)) == (False, False)
    assert cal27.is_working_day(date(2027, 2, 8)) == (False, False)  # Monday in the holiday
    assert cal27.is_working_day(date(2027, 2, 14)) == (True, False)  # Sunday make-up day
    assert cal27.add_working_days(date(2027, 1, 1), 1) == WorkdayResult(date(2027, 1, 4), False)
    # 02-04 Thu is day 1, festival 02-05..02-13 off, 02-14 Sun make-up is day 2.
    assert cal27.add_working_days(date(2027, 2, 4), 2) == WorkdayResult(date(2027, 2, 14), False)
    assert cal27.add_working_days(date(2027, 2, 4), 3) == WorkdayResult(date(2027, 2, 15), False)


def test_window_spanning_2026_to_2027(cal, cal27):
    # 2026-12-28 Mon .. 12-31 Thu are the last 4 working days of 2026.
    assert cal.add_working_days(date(2026, 12, 28), 4) == WorkdayResult(date(2026, 12, 31), False)
    # The fifth day lies in unknown 2027: provisional.
    assert cal.add_working_days(date(2026, 12, 28), 5) == WorkdayResult(date(2027, 1, 1), True)
    assert cal.add_working_days(date(2026, 12, 28), 10) == WorkdayResult(date(2027, 1, 8), True)
    # With the 2027 schedule loaded, 01-01 is a holiday and nothing is provisional.
    assert cal27.add_working_days(date(2026, 12, 28), 5) == WorkdayResult(date(2027, 1, 4), False)
    assert cal27.add_working_days(date(2026, 12, 28), 10) == WorkdayResult(date(2027, 1, 11), False)


def test_window_into_2028_after_loaded_2027_is_provisional(cal27):
    assert cal27.add_working_days(date(2027, 12, 31), 1) == WorkdayResult(date(2027, 12, 31), False)
    assert cal27.add_working_days(date(2027, 12, 31), 2) == WorkdayResult(date(2028, 1, 3), True)


def test_loaded_schedule_overrides_chinese_calendar():
    own = YearSchedule(2026, frozenset({date(2026, 3, 2)}), frozenset(), "override")
    cal = WorkdayCalendar([own])
    assert cal.is_working_day(date(2026, 3, 2)) == (False, False)
    # The whole year follows the loaded schedule: chinese_calendar's 01-01 holiday is gone.
    assert cal.is_working_day(date(2026, 1, 1)) == (True, False)
    # Other years still use chinese_calendar.
    assert cal.is_working_day(date(2018, 10, 1)) == (False, False)


def test_conflicting_schedules_for_one_year_rejected():
    a = YearSchedule(2027, frozenset({date(2027, 1, 1)}))
    b = YearSchedule(2027, frozenset({date(2027, 1, 4)}))
    with pytest.raises(ValueError, match="2027"):
        WorkdayCalendar([a, b])
    assert WorkdayCalendar([a, a]).known_year(2027)


def test_year_schedule_validates_and_freezes():
    s = YearSchedule(2027, {date(2027, 1, 1)}, {date(2027, 2, 14)})
    assert isinstance(s.holidays, frozenset) and isinstance(s.workdays, frozenset)
    hash(s)
    with pytest.raises(ValueError, match="不属于 2027 年"):
        YearSchedule(2027, {date(2026, 12, 31)})
    with pytest.raises(ValueError, match="同时"):
        YearSchedule(2027, {date(2027, 2, 14)}, {date(2027, 2, 14)})
    with pytest.raises(ValueError, match="不是周六或周日"):
        YearSchedule(2027, {date(2027, 1, 1)}, {date(2027, 2, 15)})


# -- working_days_after and count_working_days ----------------------------------------


def test_working_days_after_is_strictly_after(cal):
    assert cal.working_days_after(date(2018, 9, 28), 1) == WorkdayResult(date(2018, 9, 29), False)
    assert cal.working_days_after(date(2018, 9, 30), 1).date == date(2018, 10, 8)
    assert cal.working_days_after(date(2026, 3, 2), 1).date == date(2026, 3, 3)
    assert cal.working_days_after(date(2026, 3, 6), 1).date == date(2026, 3, 9)
    assert cal.working_days_after(date(2026, 12, 30), 1) == WorkdayResult(date(2026, 12, 31), False)
    assert cal.working_days_after(date(2026, 12, 31), 1) == WorkdayResult(date(2027, 1, 1), True)


def test_count_working_days(cal):
    assert cal.count_working_days(date(2018, 9, 28), date(2018, 10, 9)) == (5, False)
    assert cal.count_working_days(date(2018, 9, 28), date(2018, 10, 8)) == (4, False)
    assert cal.count_working_days(date(2018, 10, 1), date(2018, 10, 7)) == (0, False)
    assert cal.count_working_days(date(2026, 2, 14), date(2026, 2, 28)) == (6, False)
    assert cal.count_working_days(date(2026, 3, 2), date(2026, 3, 2)) == (1, False)
    assert cal.count_working_days(date(2026, 3, 1), date(2026, 3, 1)) == (0, False)
    assert cal.count_working_days(date(2026, 3, 3), date(2026, 3, 2)) == (0, False)


def test_count_working_days_across_years(cal, cal27):
    assert cal.count_working_days(date(2026, 12, 28), date(2026, 12, 31)) == (4, False)
    assert cal.count_working_days(date(2026, 12, 28), date(2027, 1, 1)) == (5, True)
    assert cal27.count_working_days(date(2026, 12, 28), date(2027, 1, 1)) == (4, False)
    assert cal.count_working_days(date(2025, 1, 1), date(2026, 12, 31))[1] is False


def test_count_matches_add(cal):
    """add_working_days and count_working_days agree on every start in a holiday-heavy stretch."""
    start = date(2018, 9, 20)
    for offset in range(30):
        d = date.fromordinal(start.toordinal() + offset)
        for n in (1, 5, 7):
            end = cal.add_working_days(d, n).date
            assert cal.count_working_days(d, end) == (n, False)
            assert cal.is_working_day(end)[0]


# -- schedule files -----------------------------------------------------------------


VALID = """\
year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知
holidays:            # 放假日期
  - 2027-01-01
  - 2027-02-06 ~ 2027-02-12
workdays:            # 调休上班日期
  - 2027-02-14
"""


def test_parse_valid_schedule():
    s = parse_year_schedule(VALID)
    assert s.year == 2027
    assert s.source == "国务院办公厅关于2027年部分节假日安排的通知"
    assert date(2027, 1, 1) in s.holidays
    assert {date(2027, 2, d) for d in range(6, 13)} <= s.holidays
    assert len(s.holidays) == 8
    assert s.workdays == frozenset({date(2027, 2, 14)})
    cal = WorkdayCalendar([s])
    assert cal.is_working_day(date(2027, 2, 12)) == (False, False)
    assert cal.is_working_day(date(2027, 2, 14)) == (True, False)


def test_parse_ranges_variants_and_no_workdays():
    s = parse_year_schedule(
        "year: 2027\nholidays:\n  - '2027-10-01~2027-10-03'\n  - 2027-05-01 至 2027-05-01\n",
        source="f.yaml",
    )
    assert s.holidays == frozenset(
        {date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3), date(2027, 5, 1)}
    )
    assert s.workdays == frozenset()
    assert s.source == "f.yaml"  # no source field: falls back to where the text came from


def _error(text: str, source: str = "") -> ScheduleFileError:
    with pytest.raises(ScheduleFileError) as info:
        parse_year_schedule(text, source=source)
    assert isinstance(info.value, ValueError)
    return info.value


def test_error_date_outside_year_names_line():
    err = _error(VALID.replace("  - 2027-02-06 ~ 2027-02-12", "  - 2026-02-01"))
    assert str(err) == "第 5 行：日期 2026-02-01 不属于 2027 年"
    assert err.line == 5


def test_error_range_end_outside_year():
    err = _error(VALID.replace("2027-02-06 ~ 2027-02-12", "2027-12-30 ~ 2028-01-02"))
    assert str(err) == "第 5 行：日期 2028-01-02 不属于 2027 年"


def test_error_prefixed_with_source():
    err = _error(VALID.replace("  - 2027-02-06 ~ 2027-02-12", "  - 2026-02-01"), "h.yaml")
    assert str(err) == "h.yaml：第 5 行：日期 2026-02-01 不属于 2027 年"


def test_error_reversed_range():
    err = _error(VALID.replace("2027-02-06 ~ 2027-02-12", "2027-02-12 ~ 2027-02-06"))
    assert err.line == 5 and "开始日期晚于结束日期" in str(err)
    # A one-day range (both ends equal) is fine.
    parse_year_schedule(VALID.replace("2027-02-06 ~ 2027-02-12", "2027-02-06 ~ 2027-02-06"))


def test_error_both_holiday_and_workday():
    err = _error(VALID.replace("  - 2027-02-14", "  - 2027-02-06"))
    assert err.line == 7
    assert "2027-02-06" in str(err) and "同时出现在 holidays" in str(err) and "第 5 行" in str(err)


def test_error_workday_not_weekend():
    err = _error(VALID.replace("  - 2027-02-14", "  - 2027-02-15"))
    assert str(err) == "第 7 行：调休上班日 2027-02-15 是星期一，应为周六或周日"
    # Saturday and Sunday are both accepted.
    parse_year_schedule(VALID.replace("  - 2027-02-14", "  - 2027-02-13"))


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("year: 2027\nholidays:\n  - 2027-13-01\n", 3, "无法识别的日期"),
        ("year: 2027\nholidays:\n  - 2027-1-1\n", 3, "无法识别的日期"),
        ("year: 2027\nholidays:\n  - 2027-01-01 ~ 2027-01-02 ~ 2027-01-03\n", 3, "无法识别的日期范围"),
        ("year: 2027\nholidays: 2027-01-01\n", 2, "日期列表"),
        ("year: 2027\nholidays:\n  - [2027-01-01]\n", 3, "每一项"),
        ("year: 2027\nholiday:\n  - 2027-01-01\n", 2, "未知字段“holiday”"),
        ("year: 2027\nyear: 2028\nholidays:\n  - 2027-01-01\n", 2, "重复"),
        ("year: 27\nholidays:\n  - 2027-01-01\n", 1, "年份"),
        ("year: abc\nholidays:\n  - 2027-01-01\n", 1, "年份"),
        ("year: 2027\nholidays: []\n", 2, "不能为空"),
        ("year: 2027\nholidays:\n  - 2027-01-01\n bad: [\n", None, "YAML 格式错误"),
        ("- 2027-01-01\n", 1, "顶层"),
    ],
)
def test_file_validation_errors(text, line, fragment):
    err = _error(text)
    assert fragment in str(err)
    if line is not None:
        assert err.line == line
        assert str(err).startswith(f"第 {line} 行：")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "文件为空"),
        ("holidays:\n  - 2027-01-01\n", "缺少字段 year"),
        ("year: 2027\n", "缺少字段 holidays"),
    ],
)
def test_missing_content_errors(text, fragment):
    err = _error(text)
    assert fragment in str(err)
    assert err.line is None


def test_error_messages_are_chinese():
    err = _error("year: 2027\nholidays:\n  - nope\n")
    assert re.search(r"[\u4e00-\u9fff]", str(err))


def test_load_year_schedule(tmp_path):
    p = tmp_path / "holidays-2027.yaml"
    p.write_text("\ufeff" + VALID, encoding="utf-8")  # BOM from a Windows editor
    s = load_year_schedule(p)
    assert s.year == 2027 and len(s.holidays) == 8
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("  - 2027-02-06 ~ 2027-02-12", "  - 2026-02-01"), encoding="utf-8")
    with pytest.raises(ScheduleFileError, match="第 5 行：日期 2026-02-01 不属于 2027 年") as info:
        load_year_schedule(bad)
    assert str(bad) in str(info.value)
    with pytest.raises(ScheduleFileError, match="无法读取文件"):
        load_year_schedule(tmp_path / "missing.yaml")


def test_example_file_in_docs_is_valid_and_marked_as_example():
    path = REPO / "docs" / "holidays-2027.example.yaml"
    text = path.read_text(encoding="utf-8")
    assert "示例" in text and "EXAMPLE" in text
    s = load_year_schedule(path)
    assert s.year == 2027
    assert "示例" in s.source


# -- purity -------------------------------------------------------------------------


def test_calendar_package_never_reads_the_clock():
    src = REPO / "engine" / "calendar"
    for f in src.glob("*.py"):
        code = f.read_text(encoding="utf-8")
        for forbidden in ("today(", "now(", "utcnow(", "time.time(", "import time"):
            assert forbidden not in code, f"{f.name} reads the clock: {forbidden}"
