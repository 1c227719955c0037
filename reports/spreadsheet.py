"""Formula-safe spreadsheet cells: every workbook (.xlsx) and table (.csv) the product writes puts
its values through here, and the ledger import reads them back through `unquote`.

Text from people (a name, a branch, an imported ledger) could otherwise open in Excel/WPS as a
formula — `=HYPERLINK(...)` that leaks the sheet, `=cmd|' /C calc'!A0` (DDE) that runs a program.
As OWASP recommends ("CSV Injection"), text that a spreadsheet could read as a formula is written
with one leading single quote, so it shows and stays as text; in a workbook it is also an explicit
string cell, never a formula (nor an error value such as a name reading "#N/A"). Numbers, dates
and empty cells are written as they are: a negative number stays a number.

"Formula-like" is: the first character that is neither a single quote nor a space is one of
= + - @ (or their full-width forms ＝ ＋ － ＠), or the text begins with a tab, carriage return
or line feed. Leading quotes are skipped in that test so that writing and reading back are exact
inverses (`unquote(safe_text(x)) == x` for every text x, including one that itself starts with a
quote); leading spaces are skipped because some programs trim them before they look for a formula.
"""
from __future__ import annotations

import csv
import weakref
from collections.abc import Iterable
from copy import copy
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # openpyxl is loaded by the writers; the import's reader only needs `unquote`
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

QUOTE = "'"
_STARTS_FORMULA = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")  # ＝ ＋ － ＠


def formula_like(text: str) -> bool:
    """True when `text` could be read as a formula by a spreadsheet (see the module's rule)."""
    for ch in text:
        if ch in _STARTS_FORMULA:
            return True
        if ch != QUOTE and not ch.isspace():
            return False
    return False


def safe_text(text: str) -> str:
    """`text` with one leading quote when it is formula-like, else unchanged."""
    return QUOTE + text if formula_like(text) else text


def unquote(text: str) -> str:
    """The inverse of `safe_text`, for reading a sheet the product wrote: drops the one leading
    quote of a formula-like text; any other text (a name that merely begins with a quote) is kept."""
    return text[1:] if text[:1] == QUOTE and formula_like(text) else text


def safe_value(value: Any) -> Any:
    """A cell's value as it may be written: text made safe, anything else (numbers, dates) as is."""
    return safe_text(value) if isinstance(value, str) else value


def set_cell(cell: Cell, value: Any) -> Cell:
    """Put `value` in `cell`: text as an explicit string cell (openpyxl would otherwise make text
    starting with "=" a formula and "#N/A" an error value), made safe; other values as they are."""
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """`ws.cell(row, column, value)` for any value, through `set_cell`."""
    return set_cell(ws.cell(row=row, column=column), value)


_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # workbook -> {key: (StyleArray, held objects)}


def style(cell: Cell, *, font=None, fill=None, border=None, alignment=None, number_format: str | None = None) -> Cell:
    """Style `cell` as `cell.font = font` … would, the same result, at a fraction of the cost.

    openpyxl hashes every style object field by field on each assignment, to find it in the
    workbook's lists: that was ~60 % of writing a township's report (bench/README, issue 19). Here
    each combination is applied once per workbook, and later cells copy its index array. The key
    is the cell's style so far and the objects' ids; the objects are held with the entry, so an id
    cannot be reused for another object while the workbook lives."""
    cache = _STYLES.setdefault(cell.parent.parent, {})
    key = (tuple(cell._style or ()), id(font), id(fill), id(border), id(alignment), number_format)
    hit = cache.get(key)
    if hit is not None:
        cell._style = copy(hit[0])
        return cell
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    cache[key] = (copy(cell._style), (font, fill, border, alignment))
    return cell


def write_csv(stream: TextIO, rows: Iterable[Iterable[Any]]) -> None:
    """Rows as CSV (Excel's dialect) with every text made safe; None as an empty field. The one way
    a CSV may be written (the product offers none today: a future download must use this)."""
    writer = csv.writer(stream, dialect="excel")
    for row in rows:
        writer.writerow(["" if v is None else safe_value(v) for v in row])
