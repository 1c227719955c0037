"""Calendar-month arithmetic: the 细则 counts months on the calendar, clamping to month end."""

from datetime import date, datetime

import pytest

from engine.calendar import add_months, add_years, shift


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 01-31 + 1 month clamps to February's end, both leap and non-leap.
        (date(2019, 1, 31), 1, date(2019, 2, 28)),
        (date(2020, 1, 31), 1, date(2020, 2, 29)),
        (date(2019, 1, 28), 1, date(2019, 2, 28)),  # no clamp needed
        (date(2019, 1, 29), 1, date(2019, 2, 28)),  # first day that clamps
        (date(2020, 1, 30), 1, date(2020, 2, 29)),
        # 03-31 + 1 month = 04-30; 03-30 fits exactly.
        (date(2021, 3, 31), 1, date(2021, 4, 30)),
        (date(2021, 3, 30), 1, date(2021, 4, 30)),
        (date(2021, 3, 29), 1, date(2021, 4, 29)),
        # Year roll-over.
        (date(2021, 12, 31), 2, date(2022, 2, 28)),
        (date(2023, 12, 31), 2, date(2024, 2, 29)),
        (date(2021, 12, 15), 1, date(2022, 1, 15)),
        (date(2021, 11, 30), 1, date(2021, 12, 30)),
        (date(2021, 11, 30), 2, date(2022, 1, 30)),
        # Day 31 into a 31-day month keeps 31.
        (date(2021, 7, 31), 1, date(2021, 8, 31)),
        (date(2021, 1, 31), 12, date(2022, 1, 31)),
        (date(2021, 1, 31), 0, date(2021, 1, 31)),
        (date(2021, 5, 15), 25, date(2023, 6, 15)),
    ],
)
def test_add_months_forward(start, n, expected):
    assert add_months(start, n) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2021, 3, 31), -1, date(2021, 2, 28)),
        (date(2020, 3, 31), -1, date(2020, 2, 29)),
        (date(2021, 5, 31), -1, date(2021, 4, 30)),
        (date(2021, 1, 15), -1, date(2020, 12, 15)),
        (date(2021, 1, 31), -2, date(2020, 11, 30)),
        (date(2021, 3, 1), -1, date(2021, 2, 1)),
        (date(2021, 2, 28), -12, date(2020, 2, 28)),
        (date(2022, 6, 30), -30, date(2019, 12, 30)),
    ],
)
def test_add_months_backward(start, n, expected):
    assert add_months(start, n) == expected


def test_add_months_is_not_reversible_after_clamp():
    """Clamping loses the day: documents that -1 after +1 does not return to 01-31."""
    assert add_months(add_months(date(2021, 1, 31), 1), -1) == date(2021, 1, 28)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2020, 2, 29), 1, date(2021, 2, 28)),
        (date(2020, 2, 29), 4, date(2024, 2, 29)),
        (date(2020, 2, 28), 1, date(2021, 2, 28)),
        (date(2020, 3, 1), 1, date(2021, 3, 1)),
        (date(2020, 2, 29), -1, date(2019, 2, 28)),
        (date(2018, 3, 10), 1, date(2019, 3, 10)),
        (date(2000, 2, 29), 100, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 2, 29), 400, date(2400, 2, 29)),
    ],
)
def test_add_years(start, n, expected):
    assert add_years(start, n) == expected


def test_one_year_rule_boundary():
    """'At least one year after X' allows X + 1 year and refuses the day before."""
    x = date(2018, 3, 10)
    earliest = add_years(x, 1)
    assert earliest == date(2019, 3, 10)
    assert date(2019, 3, 9) < earliest


def test_shift_clamps_once_over_years_and_months():
    # Clamping once: 01-31 + 1y1m = 02-28, same as 13 months.
    assert shift(date(2021, 1, 31), years=1, months=1) == date(2022, 2, 28)
    assert shift(date(2021, 1, 31), years=1, months=1) == add_months(date(2021, 1, 31), 13)
    # Two separate clamps would differ: 2019-01-31 +1 month clamps to 02-28 and +1 year
    # keeps 28, whereas one clamp over 13 months reaches the leap February's end.
    assert shift(date(2019, 1, 31), years=1, months=1) == date(2020, 2, 29)
    assert add_years(add_months(date(2019, 1, 31), 1), 1) == date(2020, 2, 28)


def test_shift_weeks_and_days_after_months():
    assert shift(date(2021, 1, 31), months=1, days=1) == date(2021, 3, 1)
    assert shift(date(2021, 1, 31), days=1, months=1) == date(2021, 3, 1)
    assert shift(date(2021, 1, 31), weeks=1) == date(2021, 2, 7)
    assert shift(date(2021, 3, 31), months=-1, days=-1) == date(2021, 2, 27)
    assert shift(date(2021, 3, 31), years=-1, months=11) == date(2021, 2, 28)
    assert shift(date(2021, 3, 31)) == date(2021, 3, 31)


def test_months_keep_datetime_type():
    assert add_months(datetime(2021, 1, 31, 9, 30), 1) == datetime(2021, 2, 28, 9, 30)


def test_out_of_range_raises_overflow():
    with pytest.raises(OverflowError):
        add_months(date(9999, 12, 31), 1)
    with pytest.raises(OverflowError):
        add_months(date(1, 1, 1), -1)
    assert add_months(date(9999, 11, 30), 1) == date(9999, 12, 30)
