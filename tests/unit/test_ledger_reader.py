"""reports/ledger/reader: the sheet found through the workbook's relationships, rows numbered as in
the sheet, empty cells as None, the raw-XML checks (merges, cell count) on the right sheet."""
from datetime import date

import pytest
from openpyxl import Workbook

from reports.ledger.layout import layout_for
from reports.ledger.reader import LedgerFileError, Limits, read_ledger, scan_sheet_xml
from tests.ledger_helpers import clean_path, cpc2014, ledger_row

D = cpc2014()
LAYOUT = layout_for(D)


def _sheet(ws, rows, *, title_rows=1, blank_after=None):
    for i in range(title_rows):
        ws.append([f"标题{i + 1}"])
    ws.append(list(LAYOUT.headers))
    for i, r in enumerate(rows):
        ws.append([r.get(h) for h in LAYOUT.headers])
        if blank_after is not None and i == blank_after:
            ws.append([])
            ws.append([None, "  "])  # whitespace only: an empty row too


def _rows(n=3):
    steps = clean_path(D, date(2015, 3, 1), until="mentors_assigned")
    return [ledger_row(D, name=f"人{i}", branch="贺丰村党支部", steps=steps) for i in range(n)]


def test_rows_keep_their_sheet_numbers_and_empty_cells_are_none(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "发展党员工作台账"
    rows = _rows(3)
    rows[1]["出生日期"] = "1991.2.3"  # text stays text: dates.py parses it
    _sheet(ws, rows, title_rows=3, blank_after=0)
    p = tmp_path / "l.xlsx"
    wb.save(p)
    f = read_ledger(p, LAYOUT)
    assert f.header_row == 4 and f.sheet == "发展党员工作台账"
    assert [n for n, _ in f.rows] == [5, 8, 9]  # rows 6 and 7 are empty
    name = LAYOUT.headers.index("姓名")
    birth = LAYOUT.headers.index("出生日期")
    note = LAYOUT.headers.index("备注")
    first = dict(f.rows)[5]
    assert first[name] == "人0" and first[birth] == date(1990, 5, 1) and first[note] is None
    assert dict(f.rows)[8][birth] == "1991.2.3"
    assert len(first) == len(f.columns)


def test_ledger_sheet_among_others_and_merges_checked_on_it(tmp_path):
    wb = Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "填表说明"
    wb.active.merge_cells("A5:C5")  # a merge on another sheet is not the ledger's business
    ws = wb.create_sheet("发展党员工作台账")
    _sheet(ws, _rows(2))
    p = tmp_path / "two.xlsx"
    wb.save(p)
    f = read_ledger(p, LAYOUT)
    assert f.sheet == "发展党员工作台账" and [n for n, _ in f.rows] == [3, 4]

    ws.merge_cells("B4:C4")
    wb.save(p)
    with pytest.raises(LedgerFileError, match="数据区有合并单元格（B4:C4）"):
        read_ledger(p, LAYOUT)


def test_scan_reads_dimension_cells_and_formulas(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B2"], ws["C3"] = "x", 1, "=1+1"
    p = tmp_path / "s.xlsx"
    wb.save(p)
    scan = scan_sheet_xml(p, "xl/worksheets/sheet1.xml")
    assert scan.declared_rows == 3 and scan.cells == 3 and scan.has_formula and scan.merges == []


def test_too_many_cells_is_refused_before_reading(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "发展党员工作台账"
    _sheet(ws, _rows(3))
    p = tmp_path / "c.xlsx"
    wb.save(p)
    with pytest.raises(LedgerFileError, match="单元格，超过上限"):
        read_ledger(p, LAYOUT, Limits(max_rows=3, max_columns=2))
    assert len(read_ledger(p, LAYOUT, Limits(max_rows=3)).rows) == 3


def test_error_values_are_read_as_their_text(tmp_path):
    """An error value (#N/A) is not an empty cell: it is read as Excel shows it, so the row's check
    names it (calamine alone would give an empty cell)."""
    import zipfile

    wb = Workbook()
    ws = wb.active
    ws.title = "发展党员工作台账"
    _sheet(ws, _rows(1))
    ws["E3"] = "PLACEHOLDER"
    src, dst = tmp_path / "a.xlsx", tmp_path / "e.xlsx"
    wb.save(src)
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo:
        for info in zi.infolist():
            data = zi.read(info.filename)
            if info.filename == "xl/sharedStrings.xml" or info.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<c r="E3" t="inlineStr"><is><t>PLACEHOLDER</t></is></c>',
                                    b'<c r="E3" t="e"><v>#N/A</v></c>')
            zo.writestr(info, data)
    assert b'<c r="E3" t="e">' in zipfile.ZipFile(dst).read("xl/worksheets/sheet1.xml")
    f = read_ledger(dst, LAYOUT)
    assert f.rows[0][1][4] == "#N/A"
