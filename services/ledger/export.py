"""The 发展党员工作台账 out: `ledger_table` reads an organisation's candidates (and the entries of
repeatable steps from the log) into a `LedgerTable`; `export` writes it with
`reports/ledger/sheet.py`. The import reads the same layout back (services/ledger/intake.py)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reports.ledger.dates import format_dates
from engine.errors import refuse
from engine.process import process_for
from reports.ledger.layout import extension_approved, layout_for
from reports.model import LedgerTable
from services.app import App
from services.casework.candidates import _variants
from services.organisation.directory import resolve_org
from storage.tables import candidate, event, organisation, person
from workflows.model import Definition


def _layout_definition(app: App, uow, org_id: int) -> Definition:
    """The definition whose steps head the ledger of `org_id`: the one new candidates of that
    organisation would be pinned to today (its local variant, or the 2026 revision once in force)."""
    return app.registry.for_date(app.today(), _variants(app, uow, org_id))


def _branch_order(uow, branch_ids: list[int]) -> dict[int, tuple[str, str]]:
    rows = uow.connection.execute(
        select(organisation.c.id, organisation.c.code, organisation.c.name).where(organisation.c.id.in_(branch_ids))
    ) if branch_ids else []
    return {r.id: (r.code, r.name) for r in rows}


def ledger_table(app: App, org_id: int, *, definition: Definition | None = None,
                 include_ended: bool = True, title: str | None = None) -> LedgerTable:
    """One row per candidate of the organisation's branches (ended candidacies included, with their
    end stage and date), ordered by branch and application date."""
    with app.uow(read_only=True) as uow:
        org = uow.orgs.get(org_id)
        if org is None:
            raise refuse("org.unknown", "找不到所选的组织（可能已被删除）")
        defn = definition or _layout_definition(app, uow, org_id)
        layout = layout_for(defn)
        branch_ids = uow.orgs.descendants_branch_ids(org_id)
        branches = _branch_order(uow, branch_ids)
        c, p = candidate.c, person.c
        rows = list(uow.connection.execute(
            select(c.id, c.branch_id, c.stage, c.state, c.definition_key, p.name, p.gender, p.birth_date, p.ethnicity,
                   p.education, p.occupation, p.tags)
            .select_from(candidate.join(person, person.c.id == c.person_id))
            .where(c.branch_id.in_(branch_ids)).order_by(c.id)
        )) if branch_ids else []
        entries = _repeatable_entries(uow, [r.id for r in rows], defn) if rows else {}
        meetings = _extension_meetings(app, uow, rows)
    rows.sort(key=lambda r: (branches.get(r.branch_id, ("", ""))[0], _applied(r.state), r.id))
    out = []
    for r in rows:
        state = r.state if isinstance(r.state, dict) else {}
        cdefn = app.definition(r.definition_key)
        proc = process_for(cdefn)
        ended = r.stage in proc.end_states
        if ended and not include_ended:
            continue
        done = state.get("done", {})
        extension = _extension_cells(cdefn, state, meetings.get(r.id))
        if extension.get("extension_approved_on") is None and extension_approved(cdefn) and extension["extended_on"]:
            done = {k: v for k, v in done.items() if k != state["pending"]["step"]}  # that sitting is 延长决定日期
        cells: list[Any] = []
        for col in layout.columns:
            k = col.key
            if k == "step":
                if col.repeatable and (r.id, col.step) in entries:
                    cells.append(format_dates(entries[(r.id, col.step)]))
                else:
                    v = done.get(col.step)
                    cells.append(date.fromisoformat(v) if v else None)
            elif k == "serial":
                cells.append(len(out) + 1)
            elif k == "tags":
                tags = r.tags if isinstance(r.tags, list) else []
                cells.append("、".join(tags) or None)
            elif k == "branch":
                cells.append(branches.get(r.branch_id, ("", str(r.branch_id)))[1])
            elif k == "birth_date":
                cells.append(r.birth_date if isinstance(r.birth_date, date) else date.fromisoformat(str(r.birth_date)))
            elif k == "stage":
                cells.append(cdefn.stage_name(r.stage))
            elif k == "ended_on":
                v = state.get("ended_on")
                cells.append(date.fromisoformat(v) if v and ended else None)
            elif k in extension:
                cells.append(extension[k])
            elif k == "note":
                cells.append(None)
            else:
                cells.append(getattr(r, k) or None)
        out.append(tuple(cells))
    return LedgerTable(layout.headers, tuple(out), title or f"{org.name}发展党员工作台账")


def _extension_cells(defn: Definition, state: dict, meeting: date | None) -> dict[str, Any]:
    """延长预备期(月), 延长决定日期 and 延长预备期批准日期 of one candidate. Under @1 the branch
    meeting's date is `extended_on`; where the extension waits for the higher committee
    (党章第七条), `extended_on` is the approval and the meeting is the resolving sitting (`meeting`,
    from the log), and a resolution still pending gives its months and meeting with no approval."""
    iso = date.fromisoformat
    out = {"extension_months": state.get("extension_months") or None, "extended_on": None,
           "extension_approved_on": None}
    if not extension_approved(defn):
        out["extended_on"] = iso(state["extended_on"]) if state.get("extended_on") else None
        return out
    pending = state.get("pending")
    if pending and _extends(defn, pending["step"], pending["decision"]):
        return {"extension_months": pending.get("months") or None, "extended_on": iso(pending["on"]),
                "extension_approved_on": None}
    if state.get("extended_on"):
        out["extended_on"] = meeting
        out["extension_approved_on"] = iso(state["extended_on"])
    return out


def _extends(defn: Definition, step_id: str, decision: Any) -> bool:
    step = defn.step(step_id) if defn.has_step(step_id) else None
    return step is not None and step.outcome is not None and step.outcome.effects.get(str(decision)) == "extend_probation"


def _extension_meetings(app: App, uow, rows) -> dict[int, date]:
    """{candidate: date of the branch meeting that resolved the extension in force} for candidates
    whose extension was approved by the higher committee: the last effective sitting of the
    resolving step that decided to extend, on or before the approval (corrections applied)."""
    wanted: dict[int, tuple[Definition, date]] = {}
    for r in rows:
        state = r.state if isinstance(r.state, dict) else {}
        if state.get("extended_on"):
            d = app.definition(r.definition_key)
            if extension_approved(d):
                wanted[r.id] = (d, date.fromisoformat(state["extended_on"]))
    if not wanted:
        return {}
    steps = {s.id for d, _ in wanted.values() for s in d.steps
             if s.outcome is not None and "extend_probation" in s.outcome.effects.values()}
    e = event.c
    sittings: dict[int, dict[int, tuple[date, Any, str]]] = defaultdict(dict)
    ids = list(wanted)
    for i in range(0, len(ids), 5000):
        for x in uow.connection.execute(
            select(e.id, e.candidate_id, e.kind, e.step, e.occurred_on, e.supersedes, e.evidence)
            .where(e.candidate_id.in_(ids[i:i + 5000]), e.step.in_(steps)).order_by(e.candidate_id, e.seq)
        ):
            mine = sittings[x.candidate_id]
            on = x.occurred_on if isinstance(x.occurred_on, date) else date.fromisoformat(str(x.occurred_on))
            if x.kind == "step":
                mine[x.id] = (on, x.evidence or {}, x.step)
            elif x.kind == "correct" and x.supersedes in mine:
                mine[x.supersedes] = (on, x.evidence or {}, mine[x.supersedes][2])
            elif x.kind == "void":
                mine.pop(x.supersedes, None)
    out: dict[int, date] = {}
    for cid, mine in sittings.items():
        d, approved = wanted[cid]
        found = [on for on, ev, sid in mine.values()
                 if on <= approved and _extends(d, sid, (ev if isinstance(ev, dict) else {}).get(d.step(sid).outcome.field))]
        if found:
            out[cid] = max(found)
    return out


def _applied(state) -> str:
    return (state or {}).get("applied_on") or "" if isinstance(state, dict) else ""


def _repeatable_entries(uow, candidate_ids: list[int], defn: Definition) -> dict[tuple[int, str], list[date]]:
    """{(candidate, step): dates} of the entries of repeatable steps, with corrections applied, for
    candidates with more than one entry (one entry is the snapshot's date)."""
    steps = [s.id for s in defn.steps if s.repeatable]
    if not steps:
        return {}
    e = event.c
    found: dict[tuple[int, str], dict[int, date]] = defaultdict(dict)
    superseded: dict[int, tuple[str, date | None]] = {}
    ids_by_row: dict[int, tuple[int, str]] = {}
    chunk = 5000
    for i in range(0, len(candidate_ids), chunk):
        part = candidate_ids[i:i + chunk]
        for r in uow.connection.execute(
            select(e.id, e.candidate_id, e.kind, e.step, e.occurred_on, e.supersedes, e.evidence)
            .where(e.candidate_id.in_(part), e.step.in_(steps)).order_by(e.candidate_id, e.seq)
        ):
            if r.kind == "step":
                found[(r.candidate_id, r.step)][r.id] = r.occurred_on
                ids_by_row[r.id] = (r.candidate_id, r.step)
            elif r.kind == "correct" and r.supersedes in ids_by_row:
                superseded[r.supersedes] = ("correct", r.occurred_on)
            elif r.kind == "void" and r.supersedes in ids_by_row:
                superseded[r.supersedes] = ("void", None)
    for row_id, (kind, on) in superseded.items():
        key = ids_by_row[row_id]
        if kind == "void":
            found[key].pop(row_id, None)
        else:
            found[key][row_id] = on
    return {k: sorted(v.values()) for k, v in found.items() if len(v) > 1}


def export(app: App, org_ref: str | int, path: str | Path) -> dict:
    """Write the organisation's ledger to `path` (.xlsx). Returns {path, rows, org}."""
    from openpyxl import Workbook  # noqa: PLC0415

    with app.uow(read_only=True) as uow:
        org = resolve_org(uow, org_ref)
    table = ledger_table(app, org.id)
    wb = Workbook()
    ws = wb.active
    ws.title = "发展党员工作台账"
    from reports.ledger.sheet import write_ledger_sheet  # noqa: PLC0415

    write_ledger_sheet(ws, table)
    path = Path(path)
    wb.save(path)
    return {"path": str(path), "rows": len(table.rows), "org": {"id": org.id, "code": org.code, "name": org.name}}
