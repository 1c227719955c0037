"""Reporting periods as users type them: 2018H1, 2018H2, 2018, 2018Q3, 2018-03, 2018-03-01..2018-05-31,
and the Chinese forms (2018年上半年, 2018年下半年, 2018年, 2018年度, 2018年第三季度, 2018年3月).

Both ends are inclusive. A bad period is one Chinese sentence (a `DomainError`), never a traceback.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from engine.errors import refuse
from engine.evidence import parse_date

from .model import Period

MIN_YEAR, MAX_YEAR = 1949, 2100
FORMS = "2018H1（上半年）、2018H2（下半年）、2018（全年）、2018Q3（第三季度）、2018-03（月）或 2018-03-01..2018-05-31"
_ZH_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_NAMES = "一二三四"
_RANGE_SEPARATORS = ("..", "～", "~", "至", "—", "－")


def _bad(text: str, why: str = "") -> Exception:
    extra = f"（{why}）" if why else ""
    return refuse("period.invalid", f"统计期间“{text}”无法识别{extra}：应写成 {FORMS}")


def _year(text: str, raw: str) -> int:
    y = int(text)
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise refuse("period.year", f"统计期间“{raw}”的年份 {y} 超出范围（{MIN_YEAR}–{MAX_YEAR}）")
    return y


def half(year: int, h: int) -> Period:
    start, end = (date(year, 1, 1), date(year, 6, 30)) if h == 1 else (date(year, 7, 1), date(year, 12, 31))
    return Period(f"{year}H{h}", f"{year}年{'上' if h == 1 else '下'}半年", start, end, "half")


def year(y: int) -> Period:
    return Period(str(y), f"{y}年", date(y, 1, 1), date(y, 12, 31), "year")


def quarter(y: int, q: int) -> Period:
    start = date(y, 3 * q - 2, 1)
    end_month = 3 * q
    end = date(y, end_month, calendar.monthrange(y, end_month)[1])
    return Period(f"{y}Q{q}", f"{y}年第{_QUARTER_NAMES[q - 1]}季度", start, end, "quarter")


def month(y: int, m: int) -> Period:
    start, end = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
    return Period(f"{start.isoformat()}..{end.isoformat()}", f"{y}年{m}月", start, end, "range")


def date_range(start: date, end: date) -> Period:
    if end < start:
        raise refuse("period.order", f"统计期间的结束日期 {end} 早于开始日期 {start}")  # the dates say it all
    for d in (start, end):
        if not MIN_YEAR <= d.year <= MAX_YEAR:
            raise refuse("period.year", f"统计期间 {start} 至 {end} 的年份 {d.year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）")
    if start.year == end.year:
        label = f"{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日"
    else:
        label = f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
    # a whole half year, year or quarter typed as dates is that period
    for p in _standard_periods(start.year):
        if (p.start, p.end) == (start, end):
            return p
    return Period(f"{start.isoformat()}..{end.isoformat()}", label, start, end, "range")


def _standard_periods(y: int) -> list[Period]:
    return [year(y), half(y, 1), half(y, 2), *(quarter(y, q) for q in range(1, 5))]


def parse_period(text: str) -> Period:
    """A `Period` from what the user typed; `DomainError` (Chinese) if it is not one."""
    raw = str(text or "")
    s = raw.strip().replace(" ", "").replace("\u3000", "")
    if not s:
        raise refuse("period.missing", f"请填写统计期间：{FORMS}")
    for sep in _RANGE_SEPARATORS:
        if sep in s:
            left, _, right = s.partition(sep)
            try:
                start, end = parse_date(left), parse_date(right)
            except ValueError:
                raise _bad(raw, "起止日期应写成 2018-03-01、2018.3.1 或 2018年3月1日") from None
            return date_range(start, end)
    u = s.upper()
    if m := re.fullmatch(r"(\d{4})H([12])", u):
        return half(_year(m[1], raw), int(m[2]))
    if m := re.fullmatch(r"(\d{4})Q([1-4])", u):
        return quarter(_year(m[1], raw), int(m[2]))
    if m := re.fullmatch(r"(\d{4})(?:年|年度|年全年|全年)?", s):
        return year(_year(m[1], raw))
    if m := re.fullmatch(r"(\d{4})年?([上下])半年", s):
        return half(_year(m[1], raw), 1 if m[2] == "上" else 2)
    if m := re.fullmatch(r"(\d{4})年?第?([一二三四1234])季度", s):
        return quarter(_year(m[1], raw), _ZH_DIGITS[m[2]])
    if m := re.fullmatch(r"(\d{4})(?:-|年|\.|/)(\d{1,2})月?", s):
        mo = int(m[2])
        if not 1 <= mo <= 12:
            raise _bad(raw, f"月份 {mo} 不存在")
        return month(_year(m[1], raw), mo)
    if re.fullmatch(r"\d{4}[HhQq]\d", s):
        raise _bad(raw, "半年只有 H1、H2，季度只有 Q1–Q4")
    raise _bad(raw)


def next_period(p: Period) -> Period:
    """The period after `p`, of the same kind (a date range: the same number of days after it)."""
    if p.kind == "half":
        h = 1 if p.start.month == 1 else 2
        return half(p.start.year, 2) if h == 1 else half(p.start.year + 1, 1)
    if p.kind == "year":
        return year(p.start.year + 1)
    if p.kind == "quarter":
        q = (p.start.month - 1) // 3 + 1
        return quarter(p.start.year, q + 1) if q < 4 else quarter(p.start.year + 1, 1)
    # a whole month is followed by the next month
    if p.start.day == 1 and p.end == p.start.replace(day=calendar.monthrange(p.start.year, p.start.month)[1]):
        y, m = (p.start.year, p.start.month + 1) if p.start.month < 12 else (p.start.year + 1, 1)
        return month(y, m)
    length = (p.end - p.start).days + 1
    start = p.end + timedelta(days=1)
    return date_range(start, start + timedelta(days=length - 1))


def year_to_date(p: Period) -> Period | None:
    """January 1 to the period's end, for plan vs actual (None if the period spans two years)."""
    if p.start.year != p.end.year:
        return None
    if p.start == date(p.end.year, 1, 1):
        return p
    return date_range(date(p.end.year, 1, 1), p.end)


def containing_half(day: date) -> Period:
    """The half year `day` falls in (the scheduler's 06-30 / 12-31 report)."""
    return half(day.year, 1 if day.month <= 6 else 2)


def as_dict(p: Period) -> dict:
    return {"key": p.key, "label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "kind": p.kind}
