"""Working-day arithmetic on the official Chinese holiday calendar.

Working days include make-up working days (调休上班) and exclude official
holidays.  ``chinese_calendar`` knows past years; an administrator loads the
State Council's schedule for a new year as a ``YearSchedule``.  For a year nobody
knows, Mon–Fri are counted and every result that consulted such a day is marked
``provisional`` so callers can show it instead of silently guessing.

Nothing here reads the clock: every date is passed in.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Iterable

import chinese_calendar

__all__ = ["YearSchedule", "WorkdayResult", "WorkdayCalendar"]


@dataclass(frozen=True)
class YearSchedule:
    """One year's official holiday arrangement (国务院办公厅节假日安排).

    ``holidays`` are days off (any weekday; a Mon–Fri date listed here is off);
    ``workdays`` are weekend days that are working days (调休上班).  Every other
    date follows Mon–Fri.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date] = field(default_factory=frozenset)
    source: str = ""

    def __post_init__(self) -> None:
        # Accept any iterable from callers but store frozensets, so the schedule
        # stays hashable and immutable.
        holidays = frozenset(_as_date(d) for d in self.holidays)
        workdays = frozenset(_as_date(d) for d in self.workdays)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)
        if not isinstance(self.year, int) or not 1 <= self.year <= 9999:
            raise ValueError(f"年份无效：{self.year!r}")
        for d in sorted(holidays | workdays):
            if d.year != self.year:
                raise ValueError(f"日期 {d.isoformat()} 不属于 {self.year} 年")
        both = holidays & workdays
        if both:
            raise ValueError(
                f"日期 {min(both).isoformat()} 同时被列为放假日和调休上班日"
            )
        for d in sorted(workdays):
            if d.weekday() < 5:
                raise ValueError(f"调休上班日 {d.isoformat()} 不是周六或周日")

    def is_working_day(self, d: date) -> bool:
        """Working-day rule for a date of this year."""
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


@dataclass(frozen=True, slots=True)
class WorkdayResult:
    """A computed date; ``provisional`` when it relied on a year nobody knows."""

    date: date
    provisional: bool


def _as_date(d: date) -> date:
    # A datetime never equals the date of the same day, so normalise it first.
    if isinstance(d, datetime):
        return d.date()
    if not isinstance(d, date):
        raise TypeError(f"需要日期（datetime.date），得到 {type(d).__name__}")
    return d


def _year_days(year: int) -> list[date]:
    first = date(year, 1, 1).toordinal()
    last = date(year, 12, 31).toordinal()
    return [date.fromordinal(o) for o in range(first, last + 1)]


@lru_cache(maxsize=None)
def _chinese_calendar_flags(year: int) -> bytes | None:
    """Working-day flags for one year from chinese_calendar, or None if unknown.

    Computed once per year per process: chinese_calendar validates its whole
    table on every call, far too slow for the engine's hot loops.
    """
    try:
        return bytes(1 if chinese_calendar.is_workday(d) else 0 for d in _year_days(year))
    except (NotImplementedError, ValueError, OverflowError):
        return None


class _YearTable:
    """Per-year prefix counts of working days: O(1) counts, O(log) jumps."""

    __slots__ = ("first", "cum", "provisional")

    def __init__(self, year: int, flags: bytes, provisional: bool) -> None:
        self.first = date(year, 1, 1).toordinal()
        cum = [0] * (len(flags) + 1)
        total = 0
        for i, flag in enumerate(flags):
            total += flag
            cum[i + 1] = total
        self.cum = cum
        self.provisional = provisional


class WorkdayCalendar:
    """Working-day calendar: loaded schedules first, then chinese_calendar, then Mon–Fri.

    Immutable after construction (build a new one when an administrator loads a
    year), so per-year tables can be cached without invalidation.
    """

    def __init__(self, schedules: Iterable[YearSchedule] = ()) -> None:
        by_year: dict[int, YearSchedule] = {}
        for schedule in schedules:
            if not isinstance(schedule, YearSchedule):
                raise TypeError(f"需要 YearSchedule，得到 {type(schedule).__name__}")
            previous = by_year.get(schedule.year)
            if previous is not None and previous != schedule:
                # Two different arrangements for one year: refuse rather than pick one.
                raise ValueError(f"{schedule.year} 年的节假日安排被加载了两份且内容不同")
            by_year[schedule.year] = schedule
        self._schedules = by_year
        self._tables: dict[int, _YearTable] = {}

    # -- queries -----------------------------------------------------------

    def known_year(self, year: int) -> bool:
        """True if a loaded schedule or chinese_calendar covers ``year``."""
        return year in self._schedules or _chinese_calendar_flags(year) is not None

    def schedule_for(self, year: int) -> YearSchedule | None:
        """The schedule an administrator loaded for ``year`` (it replaces chinese_calendar), or None."""
        return self._schedules.get(year)

    def is_working_day(self, d: date) -> tuple[bool, bool]:
        """Return ``(is_working, provisional)`` for one date."""
        d = _as_date(d)
        table = self._table(d.year)
        i = d.toordinal() - table.first
        cum = table.cum
        return cum[i + 1] != cum[i], table.provisional

    def add_working_days(self, start: date, n: int) -> WorkdayResult:
        """End of a period of ``n`` working days beginning on ``start``.

        ``start`` counts as day 1 if it is a working day; otherwise counting
        begins at the next working day (公示 from 2018-09-28 for 5 working days
        ends 2018-10-09).
        """
        if n < 1:
            raise ValueError(f"工作日天数必须至少为 1，得到 {n}")
        start = _as_date(start)
        year = start.year
        table = self._table(year)
        i = start.toordinal() - table.first
        provisional = False
        while True:
            provisional = provisional or table.provisional
            cum = table.cum
            available = cum[-1] - cum[i]
            if available >= n:
                # Smallest k with cum[k] - cum[i] >= n; the day is index k - 1.
                k = bisect_left(cum, cum[i] + n, i + 1)
                return WorkdayResult(date.fromordinal(table.first + k - 1), provisional)
            n -= available
            year += 1
            table = self._table(year)
            i = 0

    def working_days_after(self, anchor: date, n: int) -> WorkdayResult:
        """The ``n``-th working day strictly after ``anchor`` ("X 后 N 个工作日内")."""
        anchor = _as_date(anchor)
        return self.add_working_days(date.fromordinal(anchor.toordinal() + 1), n)

    def count_working_days(self, start: date, end: date) -> tuple[int, bool]:
        """Working days in ``[start, end]`` inclusive and the provisional flag.

        An empty range (``end < start``) counts 0 and is not provisional.
        """
        start = _as_date(start)
        end = _as_date(end)
        if end < start:
            return 0, False
        total = 0
        provisional = False
        start_ord = start.toordinal()
        end_ord = end.toordinal()
        for year in range(start.year, end.year + 1):
            table = self._table(year)
            cum = table.cum
            lo = max(start_ord - table.first, 0)
            hi = min(end_ord - table.first + 1, len(cum) - 1)
            total += cum[hi] - cum[lo]
            provisional = provisional or table.provisional
        return total, provisional

    # -- internals ---------------------------------------------------------

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._build_table(year)
            self._tables[year] = table
        return table

    def _build_table(self, year: int) -> _YearTable:
        schedule = self._schedules.get(year)
        if schedule is not None:
            flags = bytes(1 if schedule.is_working_day(d) else 0 for d in _year_days(year))
            return _YearTable(year, flags, provisional=False)
        flags = _chinese_calendar_flags(year)
        if flags is not None:
            return _YearTable(year, flags, provisional=False)
        # Nobody knows this year yet: Mon–Fri, flagged provisional.
        flags = bytes(1 if d.weekday() < 5 else 0 for d in _year_days(year))
        return _YearTable(year, flags, provisional=True)
