"""Building ledger rows and files for the ledger tests (unit, integration, e2e)."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from engine.apply import apply
from engine.calendar import WorkdayCalendar
from engine.process import process_for
from engine.state import CandidateState, Event
from engine.timing import earliest
from reports.ledger.layout import layout_for
from reports.ledger.sheet import write_ledger_sheet
from reports.model import LedgerTable
from workflows.model import Definition
from workflows.registry import Registry

GAP = timedelta(days=5)


def cpc2014() -> Definition:
    return Registry.default().get("cpc_2014@1")


def township_layout(app, code: str = "t") -> Definition:
    """The definition whose steps head the township's ledger on the app's today (the test clock's
    2026-11-25: cpc_2026@2, step 8 「报上级党委同意」 before step 7), as import reads and export writes it."""
    from services.ledger.intake import _layout_definition

    with app.uow(read_only=True) as uow:
        return _layout_definition(app, uow, uow.orgs.by_code(code).id)


def clean_path(defn: Definition, applied: date, *, until: str | None = None, overrides: dict | None = None,
               cal: WorkdayCalendar | None = None) -> dict[str, date]:
    """Step dates a compliant candidate could have: each step 5 days after the previous one or on
    its earliest date; `overrides` fixes some dates (the following steps move along)."""
    cal = cal or WorkdayCalendar()
    proc = process_for(defn)
    overrides = overrides or {}
    state = CandidateState(definition_key=defn.key, branch_id=1)
    out: dict[str, date] = {}
    last = None
    for i, step in enumerate(defn.steps, start=1):
        if step.id in overrides:
            on = overrides[step.id]
        elif last is None:
            on = applied
        else:
            on = last + GAP
            e = earliest(proc, step, state, cal)
            if e is not None and e.date > on:
                on = e.date
        ev = {"imported": True, "received_by": 1} if i == 1 else {"imported": True}
        if step.outcome is not None and step.field(step.outcome.field).type != "vote":
            ev[step.outcome.field] = step.outcome.positive[0]
        state = apply(defn, state, Event(i, "step", on, None, "t", step.id, ev, definition_key=defn.key), cal)
        out[step.id] = on
        last = on
        if step.id == until:
            break
    return out


def ledger_row(defn: Definition, *, name: str, branch: str, steps: dict[str, object], gender: str = "女",
               birth: object = date(1990, 5, 1), stage: str | None = None, **extra) -> dict[str, object]:
    """A row as {header: value}."""
    row = {"姓名": name, "性别": gender, "出生日期": birth, "民族": "汉族", "学历": "大专", "职业": "农牧渔民",
           "类别(标签)": "致富带头人", "所在党支部": branch}
    for s in defn.steps:
        if s.id in steps:
            row[f"{s.number} {s.name}"] = steps[s.id]
    if stage:
        row["当前阶段"] = stage
    row.update(extra)
    return row


def write_ledger(path: Path, defn: Definition, rows: list[dict[str, object]], *, headers=None,
                 sheet: str = "发展党员工作台账") -> Path:
    headers = tuple(headers or layout_for(defn).headers)
    table = LedgerTable(headers, tuple(tuple((i + 1) if h == "序号" else r.get(h) for h in headers)
                                       for i, r in enumerate(rows)))
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    write_ledger_sheet(ws, table)
    wb.save(path)
    return path
