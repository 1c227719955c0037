"""Writes a `LedgerTable` into an openpyxl worksheet: the 发展党员工作台账 as a township hands it on.

Used by `partyflow ledger export` and by the report workbook (reports/render). The layout is the
one `reports/ledger/layout.py` defines and the import reads back: row 1 is the title (merged
across the table), row 2 the headers, data from row 3. Dates are real Excel dates shown as
yyyy-mm-dd; the header is bold and frozen with the 序号/姓名 columns; A4 landscape, fit to width,
header rows repeated on every printed page. Every cell is written through `reports/spreadsheet.py`
(text that could read as a formula gets a leading quote; the import drops it again).
"""
from __future__ import annotations

from datetime import date, datetime

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.model import LedgerTable
from reports.spreadsheet import put, style

TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
DATE_FORMAT = "yyyy-mm-dd"

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_CENTER = Alignment(horizontal="center", vertical="center")
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_BOLD = Font(bold=True)

# Column widths by header (Excel character units); step columns get STEP_WIDTH.
_WIDTHS = {
    "序号": 6, "姓名": 10, "性别": 5, "出生日期": 11.5, "民族": 7, "学历": 9, "职业": 10,
    "类别(标签)": 14, "所在党支部": 16, "当前阶段": 12, "备注": 24,
}
STEP_WIDTH = 11.5


def _display_width(text: str) -> float:
    # CJK characters are about two Latin characters wide.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_ledger_sheet(worksheet: Worksheet, ledger: LedgerTable) -> None:
    """Fills `worksheet` (empty, from a normal — not write-only — Workbook) with `ledger`."""
    ws = worksheet
    ncols = max(len(ledger.headers), 1)
    ws.title = ws.title if ws.title not in ("Sheet", "Sheet1") else "发展党员工作台账"

    # Title row, merged across the table.
    title = put(ws, TITLE_ROW, 1, ledger.title)
    title.font = Font(bold=True, size=14)
    title.alignment = _CENTER
    if ncols > 1:
        ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    ws.row_dimensions[TITLE_ROW].height = 26

    # Header row.
    for col, header in enumerate(ledger.headers, start=1):
        style(put(ws, HEADER_ROW, col, header), font=_BOLD, alignment=_WRAP_CENTER, border=_BORDER, fill=_HEADER_FILL)
    ws.row_dimensions[HEADER_ROW].height = 42

    # Data rows.
    for r, row in enumerate(ledger.rows, start=FIRST_DATA_ROW):
        for col, value in enumerate(row, start=1):
            if isinstance(value, datetime):
                value = value.date()
            if isinstance(value, date):
                align, fmt = _CENTER, DATE_FORMAT
            else:
                align, fmt = (_CENTER if isinstance(value, int) else _LEFT), None
            style(put(ws, r, col, value), border=_BORDER, alignment=align, number_format=fmt)

    # Widths.
    for col, header in enumerate(ledger.headers, start=1):
        width = _WIDTHS.get(header)
        if width is None:
            width = STEP_WIDTH if header[:1].isdigit() else max(8.0, min(30.0, _display_width(header) + 2))
        ws.column_dimensions[get_column_letter(col)].width = width

    # Freeze the header and the 序号/姓名 columns.
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3 if ncols >= 3 else 1)

    # Print: A4 landscape, fit all columns on a page width, repeat title+header rows.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    last_row = max(HEADER_ROW, FIRST_DATA_ROW + len(ledger.rows) - 1)
    ws.print_area = f"A1:{get_column_letter(ncols)}{last_row}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
