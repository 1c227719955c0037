"""The report workbook (openpyxl): [发展党员工作台账] + 统计表 + 计划完成情况 + 工作提醒 + 合规情况.

统计表 holds the title, the paragraph and one table per dimension (rows: categories, columns: the
non-zero measures, a 合计 row), with native bar charts of admissions per branch and per category
beside them. Every sheet prints A4 landscape, fit to width, with its title/header rows repeated.
Every cell is written through `reports/spreadsheet.py` (formula-like text quoted, never a formula).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from reports.model import LedgerTable, Report
from reports.render.context import report_context
from reports.render.tables import Table
from reports.render.templates import PathLike, Templates, display_width
from reports.spreadsheet import put, style

FONT = "宋体"
TITLE_FONT = "黑体"
COUNT_FORMAT = '0;-0;"-"'  # zeros read as "-", as in the text report
SHARE_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_BODY = Font(name=FONT, size=11)
_BOLD = Font(name=FONT, size=11, bold=True)
_HEADING = Font(name=TITLE_FONT, size=12, bold=True)
_TITLE = Font(name=TITLE_FONT, size=16, bold=True)
_NOTE = Font(name=FONT, size=10, italic=True, color="595959")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center")
_TOP_WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)

MAX_WIDTH = 40  # Excel character units


def write_xlsx(
    report: Report,
    path: PathLike,
    ledger: LedgerTable | None = None,
    *,
    template_dir: PathLike | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Writes the workbook to `path` and returns it. With `ledger`, the 发展党员工作台账 comes first."""
    templates = Templates(template_dir, env=env)
    ctx = report_context(report, templates)
    wb = Workbook()
    first = wb.active
    if ledger is not None:
        first.title = "发展党员工作台账"  # the import finds the ledger by this name; the title row names the org
        _write_ledger(first, ledger)
        stats = wb.create_sheet("统计表")
    else:
        first.title = "统计表"
        stats = first
    _statistics_sheet(stats, report, ctx)
    if ctx["tables"].plan is not None:
        _plan_sheet(wb.create_sheet("计划完成情况"), ctx)
    _health_sheet(wb.create_sheet("工作提醒"), ctx)
    if ctx["tables"].compliance:
        _compliance_sheet(wb.create_sheet("合规情况"), ctx)
    wb.active = wb.sheetnames.index("统计表")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _write_ledger(ws: Worksheet, ledger: LedgerTable) -> None:
    try:
        from reports.ledger.sheet import write_ledger_sheet
    except ImportError:  # the ledger package is optional for the statistics; keep a plain table
        for r, values in enumerate([(ledger.title,), ledger.headers, *ledger.rows], start=1):
            for c, value in enumerate(values, start=1):
                put(ws, r, c, value)
        ws.freeze_panes = "A3"
        return
    write_ledger_sheet(ws, ledger)


# --- layout helpers ----------------------------------------------------------------------------

class _Widths:
    """Column widths from the longest text per column (CJK counted double), capped."""

    def __init__(self) -> None:
        self.widths: dict[int, float] = {}

    def see(self, col: int, value) -> None:
        text = value.isoformat() if isinstance(value, date) else ("" if value is None else str(value))
        w = min(MAX_WIDTH, display_width(text) + 2)
        self.widths[col] = max(self.widths.get(col, 8), w)

    def apply(self, ws: Worksheet) -> None:
        for col, w in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = w


ROW_PT = 15.0  # a default row's height in points
PAGE_H_PT, PAGE_W_PT = 595.0, 842.0  # A4 landscape
MARGIN_IN = 0.6


class _Pager:
    """Manual page breaks so that no table, and no chart, is cut across printed pages.

    Estimates the fit-to-width scale from the column widths, then places blocks (a table, the
    chart rows) one after another, breaking before a block that no longer fits."""

    def __init__(self, ws: Worksheet, widths: _Widths, ncols: int, title_pt: float):
        content_pt = sum((widths.widths.get(c, 8) * 7 + 5) * 0.75 for c in range(1, ncols + 1))
        printable_w = PAGE_W_PT - 2 * 0.5 * 72
        self.scale = min(1.0, printable_w / max(content_pt, 1))
        self.capacity = (PAGE_H_PT - 2 * MARGIN_IN * 72 - 20) / self.scale - title_pt
        self.ws, self.used = ws, 0.0

    def place(self, row: int, height_pt: float) -> None:
        if self.used and self.used + height_pt > self.capacity:
            self.ws.row_breaks.append(Break(id=row - 1))
            self.used = 0.0
        self.used += height_pt


def _table_height(table: Table) -> float:
    return ROW_PT * (1 + 1 + len(table.rows) + (1 if table.total else 0) + (1 if table.note else 0))


def _print_setup(ws: Worksheet, title_rows: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = MARGIN_IN
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _merged_text(ws: Worksheet, row: int, text: str, ncols: int, font: Font, align: Alignment,
                 widths: _Widths, height_per_line: float = 18) -> None:
    cell = put(ws, row, 1, text)
    cell.font = font
    cell.alignment = align
    if ncols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    # Excel does not grow merged rows by itself: estimate the wrapped lines
    span = sum(widths.widths.get(c, 8) for c in range(1, ncols + 1))
    lines = max(1, math.ceil(display_width(text) * (font.sz or 11) / 11 / max(span - 2, 1)))
    ws.row_dimensions[row].height = max(height_per_line, lines * height_per_line)


def _table(ws: Worksheet, row: int, table: Table, widths: _Widths, *, col: int = 1, heading: bool = True) -> int:
    """Writes heading, headers, rows and 合计 from `row`; returns the first row after it."""
    if heading:
        put(ws, row, col, table.title).font = _HEADING
        row += 1
    for c, head in enumerate(table.headers):
        style(put(ws, row, col + c, head), font=_BOLD, fill=_HEAD_FILL, border=_BORDER, alignment=_CENTER)
        widths.see(col + c, head)
    row += 1
    body = [(r, i) for i, r in enumerate(table.rows)]
    if table.total:
        body.append((table.total, None))
    body += [(r, -1) for r in table.derived]  # "其中：大专及以上", after 合计
    for values, index in body:
        share = index is not None and index in table.share_rows
        derived = index == -1
        for c, value in enumerate(values):
            font = _BOLD if index is None else (_NOTE if derived else _BODY)
            fill = _TOTAL_FILL if index is None else None
            if c in table.numeric:
                align, fmt = _RIGHT, SHARE_FORMAT if share else (COUNT_FORMAT if table.zero == "-" else "0")
            elif isinstance(value, date):
                align, fmt = _CENTER, DATE_FORMAT
            else:
                align, fmt = _LEFT, None
            style(put(ws, row, col + c, value), font=font, fill=fill, border=_BORDER, alignment=align,
                  number_format=fmt)
            widths.see(col + c, value if c not in table.numeric else "00000")
        row += 1
    if table.note:
        put(ws, row, col, f"注：{table.note}").font = _NOTE
        row += 1
    return row + 1


# --- sheets ------------------------------------------------------------------------------------

def _statistics_sheet(ws: Worksheet, report: Report, ctx: dict) -> None:
    tables = ctx["tables"]
    widths = _Widths()
    ncols = max(len(t.headers) for t in [tables.summary, *tables.dimensions])
    # first pass for widths, so the merged title/paragraph rows can size themselves
    scratch = Workbook().active
    for t in [tables.summary, *tables.dimensions]:
        _table(scratch, 1, t, widths)

    _merged_text(ws, 1, ctx["title"], ncols, _TITLE, _CENTER, widths, 26)
    _merged_text(ws, 2, f"统计范围：{ctx['scope']}    统计期间：{ctx['period_range']}", ncols,
                 _BODY, _CENTER, widths)
    _merged_text(ws, 3, ctx["paragraph"], ncols, _BODY, _TOP_WRAP, widths, 18)
    pager = _Pager(ws, widths, ncols, ws.row_dimensions[1].height + ws.row_dimensions[2].height)
    pager.place(3, ws.row_dimensions[3].height + ROW_PT + _table_height(tables.summary))
    row = _table(ws, 5, tables.summary, widths)
    charts = _charts(report, tables)
    if charts:
        pager.place(row, ROW_PT * math.ceil(max(c.height for _, c in charts) / (ROW_PT / 72 * 2.54) + 1))
        # the charts sit under the summary, side by side, on rows kept free for them
        span_cm = sum(widths.widths.get(c, 8) for c in range(1, ncols + 1)) * 0.19
        col_cm, chart_rows = 0.0, 0
        for _, chart in charts:
            chart.width = min(chart.width, max(span_cm / len(charts) - 0.3, 8))
            ws.add_chart(chart, f"{_column_at(widths, col_cm)}{row}")
            col_cm += chart.width + 0.3
            chart_rows = max(chart_rows, math.ceil(chart.height / (ROW_PT / 72 * 2.54)))
        row += chart_rows + 1
    anchors: dict[str, int] = {}
    for t in tables.dimensions:
        anchors[t.key] = row
        pager.place(row, _table_height(t) + ROW_PT)
        row = _table(ws, row, t, widths)
    pager.place(row, ROW_PT * (len(tables.notes) + 1) * 1.5)
    put(ws, row, 1, "统计口径").font = _HEADING
    for note in tables.notes:
        row += 1
        _merged_text(ws, row, note, ncols, _NOTE, _LEFT, widths)
    widths.apply(ws)
    for r in range(1, row + 1):  # explicit heights: Excel and LibreOffice then agree with the page breaks
        if ws.row_dimensions[r].height is None:
            ws.row_dimensions[r].height = ROW_PT
    for table, chart in charts:  # the data the charts draw: the dimension tables below them
        _bind(chart, table, ws, anchors)
    ws.freeze_panes = "A4"  # title, scope and the paragraph stay in view
    _print_setup(ws, "1:2")


def _column_at(widths: _Widths, cm: float) -> str:
    col, at = 1, 0.0
    while at + widths.widths.get(col, 8) * 0.19 <= cm + 0.01:
        at += widths.widths.get(col, 8) * 0.19
        col += 1
    return get_column_letter(col)


def _bar_chart(table: Table, title: str) -> BarChart:
    """A horizontal bar chart for the admissions column of one dimension table (bound later)."""
    chart = BarChart()
    chart.type = "bar"  # horizontal: long Chinese names read along the axis
    chart.style = 10
    chart.title = title
    chart.legend = None
    chart.y_axis.title = "人数（名）"
    chart.y_axis.majorGridlines = None
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # first row on top, as in the table
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    for flag in ("showCatName", "showSerName", "showLegendKey", "showPercent"):
        setattr(chart.dataLabels, flag, False)
    chart.dataLabels.numFmt = '0;-0;;'  # no label on a zero bar
    chart.y_axis.numFmt = "0"
    chart.y_axis.majorUnit = 1 if max((r[1] for r in table.rows), default=0) <= 10 else None
    chart.x_axis.tickLblSkip = 1  # every branch named, none skipped
    chart.gapWidth = 50
    chart.width = 12
    chart.height = max(7.0, 0.6 * len(table.rows) + 3.0)
    _title_size(chart, 1200)
    _axis_text(chart.x_axis, 900)  # small enough that every name shows (no label skipped)
    _axis_text(chart.y_axis, 900)
    return chart


def _axis_text(axis, size: int) -> None:
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties

    axis.txPr = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=size)), endParaRPr=CharacterProperties(sz=size))])


def _title_size(chart: BarChart, size: int) -> None:
    """Chart titles at 12 pt (openpyxl's default is Excel's 18 pt, too big beside the tables)."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun

    props = CharacterProperties(sz=size, b=True)
    text = chart.title.tx.rich.p[0].r[0].t if chart.title and chart.title.tx.rich else ""
    chart.title.tx.rich = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props),
                                                r=[RegularTextRun(rPr=props, t=text)])])


def _bind(chart: BarChart, table: Table, ws: Worksheet, anchors: dict[str, int]) -> None:
    head_row = anchors[table.key] + 1
    last = head_row + len(table.rows)
    # admissions are the first non-zero measure, so column B
    chart.add_data(Reference(ws, min_col=2, min_row=head_row, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=head_row + 1, max_row=last))


def _charts(report: Report, tables) -> list[tuple[Table, BarChart]]:
    """Admissions per branch and per category (tag), when anything was admitted."""
    if not report.total("admitted"):
        return []
    out = []
    for dim, title in (("branch", "发展党员人数（按党支部）"), ("tag", "发展党员人数（按类别）")):
        table = next((t for t in tables.dimensions if t.key == f"dim:{dim}"), None)
        if table is not None:
            out.append((table, _bar_chart(table, title)))
    return out


def _plan_sheet(ws: Worksheet, ctx: dict) -> None:
    widths = _Widths()
    table = ctx["tables"].plan
    put(ws, 1, 1, f"{ctx['title']}：计划完成情况").font = _TITLE
    _table(ws, 3, table, widths, heading=False)
    widths.apply(ws)
    ws.freeze_panes = "A4"
    _print_setup(ws, "1:3")


def _health_sheet(ws: Worksheet, ctx: dict) -> None:
    """One filterable list: 事项 | 党支部 | 姓名 | 环节 | 日期 | 日期含义 | 说明."""
    widths = _Widths()
    put(ws, 1, 1, f"{ctx['title']}：工作提醒").font = _TITLE
    headers = ("事项", "党支部", "姓名", "环节", "日期", "日期含义", "说明")
    rows, notes = [], []
    for t in ctx["tables"].health:
        if t.count is not None and t.count > len(t.rows):
            notes.append(f"{t.title}{t.note}")
        for r in t.rows:
            branch, name, step, on, detail = r
            rows.append((t.title, branch, name, step, on, t.headers[3], detail))
    table = Table("health", "逾期、迟办和下一期可办理的事项", headers, tuple(rows),
                  note="".join(notes) if rows else "本期无逾期、迟办事项，下一期无到期可办事项。")
    _table(ws, 3, table, widths, heading=False)
    widths.apply(ws)
    ws.freeze_panes = "A4"
    if rows:
        ws.auto_filter.ref = f"A3:{get_column_letter(len(headers))}{3 + len(rows)}"
    _print_setup(ws, "1:3")


def _compliance_sheet(ws: Worksheet, ctx: dict) -> None:
    """Late steps per step and rule, then the branches without development for two years or more;
    an empty one says so in a line under its heading."""
    widths = _Widths()
    put(ws, 1, 1, f"{ctx['title']}：合规情况").font = _TITLE
    row = 3
    for t in ctx["tables"].compliance:
        if t.empty:
            put(ws, row, 1, t.title).font = _HEADING
            put(ws, row + 1, 1, t.note).font = _NOTE
            row += 3
        else:
            row = _table(ws, row, t, widths)
    widths.apply(ws)
    _print_setup(ws, "1:1")
