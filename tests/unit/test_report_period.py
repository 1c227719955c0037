"""Reporting periods: what users type, both ends inclusive, the next period, Chinese refusals."""
from __future__ import annotations

from datetime import date

import pytest

from engine.errors import DomainError
from reports.period import containing_half, next_period, parse_period, year_to_date


@pytest.mark.parametrize("text, key, label, start, end, kind", [
    ("2018H1", "2018H1", "2018年上半年", date(2018, 1, 1), date(2018, 6, 30), "half"),
    ("2018h2", "2018H2", "2018年下半年", date(2018, 7, 1), date(2018, 12, 31), "half"),
    ("2018年上半年", "2018H1", "2018年上半年", date(2018, 1, 1), date(2018, 6, 30), "half"),
    ("2018年下半年", "2018H2", "2018年下半年", date(2018, 7, 1), date(2018, 12, 31), "half"),
    ("2018", "2018", "2018年", date(2018, 1, 1), date(2018, 12, 31), "year"),
    ("2018年度", "2018", "2018年", date(2018, 1, 1), date(2018, 12, 31), "year"),
    ("2018Q3", "2018Q3", "2018年第三季度", date(2018, 7, 1), date(2018, 9, 30), "quarter"),
    ("2018年第一季度", "2018Q1", "2018年第一季度", date(2018, 1, 1), date(2018, 3, 31), "quarter"),
    ("2020Q1", "2020Q1", "2020年第一季度", date(2020, 1, 1), date(2020, 3, 31), "quarter"),
    ("2018-03-01..2018-05-31", "2018-03-01..2018-05-31", "2018年3月1日至5月31日", date(2018, 3, 1), date(2018, 5, 31), "range"),
    ("2018.3.1至2019年2月28日", "2018-03-01..2019-02-28", "2018年3月1日至2019年2月28日", date(2018, 3, 1), date(2019, 2, 28), "range"),
    ("2018-01-01..2018-06-30", "2018H1", "2018年上半年", date(2018, 1, 1), date(2018, 6, 30), "half"),
    ("2020-02", "2020-02-01..2020-02-29", "2020年2月", date(2020, 2, 1), date(2020, 2, 29), "range"),
    ("2018年3月", "2018-03-01..2018-03-31", "2018年3月", date(2018, 3, 1), date(2018, 3, 31), "range"),
    (" 2018H1 ", "2018H1", "2018年上半年", date(2018, 1, 1), date(2018, 6, 30), "half"),
])
def test_parse(text, key, label, start, end, kind):
    p = parse_period(text)
    assert (p.key, p.label, p.start, p.end, p.kind) == (key, label, start, end, kind)


@pytest.mark.parametrize("text, want", [
    ("2018H3", "半年只有 H1、H2"),
    ("2018Q5", "半年只有 H1、H2，季度只有 Q1–Q4"),
    ("上半年", "无法识别"),
    ("", "请填写统计期间"),
    ("2018-05-31..2018-03-01", "结束日期 2018-03-01 早于开始日期 2018-05-31"),
    ("2018-02-30..2018-03-01", "起止日期应写成"),
    ("1800", "超出范围"),
    ("2018-13", "月份 13 不存在"),
    ("abc", "应写成 2018H1（上半年）"),
])
def test_bad_periods_are_one_chinese_sentence(text, want):
    with pytest.raises(DomainError) as err:
        parse_period(text)
    assert want in str(err.value)
    assert len(err.value.violations) == 1


@pytest.mark.parametrize("text, following", [
    ("2018H1", "2018H2"), ("2018H2", "2019H1"), ("2018", "2019"), ("2018Q3", "2018Q4"), ("2018Q4", "2019Q1"),
    ("2018-03-01..2018-03-10", "2018-03-11..2018-03-20"), ("2018-12", "2019-01-01..2019-01-31"),
    ("2020-02", "2020-03-01..2020-03-31"),
])
def test_next_period(text, following):
    assert next_period(parse_period(text)).key == following


def test_boundaries_are_inclusive_on_both_sides():
    h1, h2 = parse_period("2018H1"), parse_period("2018H2")
    assert h1.end == date(2018, 6, 30) and h2.start == date(2018, 7, 1)
    assert next_period(h2).start == date(2019, 1, 1) and h2.end == date(2018, 12, 31)
    assert containing_half(date(2018, 6, 30)).key == "2018H1" and containing_half(date(2018, 7, 1)).key == "2018H2"
    assert containing_half(date(2018, 12, 31)).key == "2018H2" and containing_half(date(2019, 1, 1)).key == "2019H1"


def test_year_to_date():
    assert year_to_date(parse_period("2018H2")).start == date(2018, 1, 1)
    assert year_to_date(parse_period("2018H2")).end == date(2018, 12, 31)
    assert year_to_date(parse_period("2018H1")).key == "2018H1"
    assert year_to_date(parse_period("2018Q3")).key == "2018-01-01..2018-09-30"
    assert year_to_date(parse_period("2018-11-01..2019-01-31")) is None
