"""Dates as ledgers write them: 2018-03-10, 2018.3.10, 2018/3/10, 2018年3月10日, 20180310, or a
real Excel date. Anything else is a Chinese error naming the row and the column."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
# Several dates in one cell (the entries of a repeatable step).
MULTI_SEPARATORS = re.compile(r"[\n\r;；,，、]+|\s{2,}")
_EXCEL_EPOCH = date(1899, 12, 30)
EARLIEST = date(1900, 1, 1)


class LedgerDateError(ValueError):
    """A cell that is not a date; `str()` is the Chinese message."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.row, self.column = row, column


def _where(row: int | None, column: str | None) -> str:
    parts = []
    if row is not None:
        parts.append(f"第 {row} 行")
    if column:
        parts.append(f"“{column}”列")
    return "".join(parts) + ("：" if parts else "")


def parse_date(value: object, *, row: int | None = None, column: str | None = None) -> date | None:
    """One date from a cell (None for an empty cell)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise LedgerDateError(f"{_where(row, column)}“{value}”带有时间，应只填日期", row, column)
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise LedgerDateError(f"{_where(row, column)}“{value}”不是日期", row, column)
    if isinstance(value, (int, float)):
        # an Excel serial date stored without a date format
        if float(value).is_integer() and 1 <= value <= 2958465:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise LedgerDateError(f"{_where(row, column)}“{value}”不是日期", row, column)
    text = str(value).strip()
    if not text:
        return None
    for pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = map(int, m.groups())
            try:
                parsed = date(y, mo, d)
            except ValueError:
                raise LedgerDateError(f"{_where(row, column)}“{text}”不是有效日期（没有这一天）", row, column) from None
            if parsed < EARLIEST:
                raise LedgerDateError(f"{_where(row, column)}“{text}”早于 1900 年，请核对", row, column)
            return parsed
    raise LedgerDateError(
        f"{_where(row, column)}“{text}”不是可识别的日期，请写成 2018-03-10、2018.3.10、2018/3/10 或 2018年3月10日",
        row, column,
    )


def parse_dates(value: object, *, row: int | None = None, column: str | None = None) -> tuple[date, ...]:
    """One or several dates from a cell (a repeatable step's entries), in the order written."""
    if value is None:
        return ()
    if not isinstance(value, str):
        d = parse_date(value, row=row, column=column)
        return (d,) if d else ()
    parts = [p for p in MULTI_SEPARATORS.split(value.strip()) if p.strip()]
    if len(parts) <= 1:
        d = parse_date(value, row=row, column=column)
        return (d,) if d else ()
    return tuple(parse_date(p, row=row, column=column) for p in parts)


def format_dates(dates) -> object:
    """A cell value for one or several dates: a real date for one, text lines for several."""
    dates = list(dates)
    if not dates:
        return None
    if len(dates) == 1:
        return dates[0]
    return "\n".join(d.isoformat() for d in dates)
