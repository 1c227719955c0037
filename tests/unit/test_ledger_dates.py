"""Ledger dates: every spelling townships use, real Excel dates, and a Chinese error otherwise."""
from datetime import date, datetime

import pytest

from reports.ledger.dates import LedgerDateError, format_dates, parse_date, parse_dates


@pytest.mark.parametrize("text", ["2018-03-10", "2018.3.10", "2018/3/10", "2018年3月10日", "2018年03月10日",
                                  " 2018-3-10 ", "2018年3月10", "20180310", "2018 - 03 - 10"])
def test_spellings(text):
    assert parse_date(text) == date(2018, 3, 10)


def test_excel_values():
    assert parse_date(datetime(2018, 3, 10)) == date(2018, 3, 10)
    assert parse_date(date(2018, 3, 10)) == date(2018, 3, 10)
    assert parse_date(43169) == date(2018, 3, 10)  # a serial number without a date format
    assert parse_date(None) is None and parse_date("  ") is None


@pytest.mark.parametrize("value,fragment", [
    ("2018-02-30", "没有这一天"), ("2018年13月1日", "没有这一天"), ("去年三月", "不是可识别的日期"),
    ("3/10/2018", "不是可识别的日期"), (datetime(2018, 3, 10, 9, 30), "带有时间"), (1.5, "不是日期"), (True, "不是日期"),
    ("1899-12-31", "早于 1900 年"),
])
def test_errors_name_row_and_column(value, fragment):
    with pytest.raises(LedgerDateError) as e:
        parse_date(value, row=7, column="3 推荐和确定入党积极分子")
    assert fragment in str(e.value)
    assert str(e.value).startswith("第 7 行“3 推荐和确定入党积极分子”列：")
    assert e.value.row == 7


def test_several_dates_in_one_cell():
    assert parse_dates("2018-03-10\n2018.9.10") == (date(2018, 3, 10), date(2018, 9, 10))
    assert parse_dates("2018-03-10；2018年9月10日") == (date(2018, 3, 10), date(2018, 9, 10))
    assert parse_dates(datetime(2018, 3, 10)) == (date(2018, 3, 10),)
    assert parse_dates(None) == ()
    with pytest.raises(LedgerDateError):
        parse_dates("2018-03-10\n不详", row=3, column="6 培养教育考察")


def test_format_round_trips():
    one, two = [date(2018, 3, 10)], [date(2018, 3, 10), date(2018, 9, 10)]
    assert format_dates(one) == date(2018, 3, 10)
    assert parse_dates(format_dates(two)) == tuple(two)
    assert format_dates([]) is None
