"""The records of one candidate a user may correct or void, and one record's correction form.

Who may change a record is who may record it (services/accounts/access.py): a step's record follows the
step's `actor` (the branch's steps by the branch secretary or committee, the township's by the
township officer); an exceptional path (withdrawal, transfer, …) is the branch's; a migration is
the township's decision; an administrator changes everything; the county reads only. Corrections
and voids themselves are never changed (the engine asks for the original record to be corrected
again), and the application (the first record) may be corrected but not voided.
"""
from __future__ import annotations

from typing import Any

from engine.apply import effective_events
from engine.errors import refuse
from engine.state import EXCEPTIONAL_KINDS, Event
from services.accounts.access import Principal
from services.app import App
from services.casework.candidates import load_history
from services.casework.queries import show_candidate, superseded_by_returns
from services.casework.step_form import form_fields
from services.casework.user_commands import ForbiddenError, NotFoundError, load_for

SIDE_NAMES = {"branch": "党支部", "township": "乡镇党委"}


def record_actor(app: App, e: Event) -> str | None:
    """The definition actor whose side may change event `e` (None: nobody — a correction, a void,
    a submission or return of the review loop)."""
    if e.kind == "step":
        try:
            defn = app.definition(e.definition_key)
        except LookupError:
            return None
        return defn.step(e.step).actor if e.step and defn.has_step(e.step) else None
    if e.kind in EXCEPTIONAL_KINDS:
        return "branch"
    if e.kind == "migrate":
        return "township"
    return None


def may_change(who: Principal, branch_id: int, actor: str | None) -> bool:
    return actor is not None and who.can_act(branch_id, actor)


def records_view(app: App, who: Principal, candidate_id: int) -> dict[str, Any]:
    """{person, candidate, records: [{seq, label, occurred_on, summary, late, actor, corrections,
    can_correct, can_void}], changes: [{seq, kind_name, target, occurred_on, reason, actor,
    recorded_at}], can_any}: the effective records in log order with what this user may do."""
    row, state, _defn = load_for(app, who, candidate_id)
    branch_id = state.branch_id or row.branch_id
    data = show_candidate(app, candidate_id)
    with app.uow(read_only=True) as uow:
        history = load_history(uow, candidate_id)
    items = {t["seq"]: t for t in data["timeline"]}
    records = []
    for e in effective_events(history):
        first = items[e.seq]
        latest = items[first["corrected_by"][-1]] if first["corrected_by"] else first
        actor = record_actor(app, e)
        returned = first["status"] == "returned"  # reopened by a 退回: redone as a new record, not corrected
        allowed = may_change(who, branch_id, actor) and not returned
        records.append({
            "seq": e.seq, "label": _label(first), "occurred_on": e.occurred_on.isoformat(),
            "summary": latest["evidence_summary"], "reason": first.get("reason") or "", "late": e.late,
            "actor": first["actor"], "corrections": len(first["corrected_by"]), "returned": returned,
            "can_correct": allowed and e.kind != "migrate", "can_void": allowed and e.seq != 1,
        })
    changes = []
    for t in data["timeline"]:
        if t["status"] == "correction":
            changes.append({"seq": t["seq"], "kind_name": t["kind_name"], "target": _label(items[t["supersedes"]])
                            if t["supersedes"] in items else "", "occurred_on": t["occurred_on"],
                            "reason": t.get("reason") or "", "actor": t["actor"], "recorded_at": t["recorded_at"].replace("T", " ")[:16]})
    return {"person": data["person"], "candidate": data["candidate"], "records": records, "changes": changes,
            "can_any": any(r["can_correct"] or r["can_void"] for r in records)}


def _label(item: dict) -> str:
    """"第7步 确定发展对象" or the exceptional path's name."""
    if item.get("number"):
        return f"第{item['number']}步 {item['step_name']}"
    return item.get("step_name") or item["kind_name"]


def load_record(app: App, who: Principal, candidate_id: int, seq: int, what: str = "更正") -> dict[str, Any]:
    """The effective record `seq` of a candidate the user may change: {row, state, branch_id, event,
    step (StepSpec or None), defn, label}; NotFoundError for no such record, ForbiddenError for a
    record of the other side (or a read-only role), a DomainError for a record that cannot be."""
    row, state, defn = load_for(app, who, candidate_id)
    branch_id = state.branch_id or row.branch_id
    with app.uow(read_only=True) as uow:
        history = load_history(uow, candidate_id)
    current = {e.seq: e for e in effective_events(history)}
    event = current.get(seq)
    if event is None:
        original = next((e for e in history if e.seq == seq), None)
        if original is None:
            raise NotFoundError(f"没有第 {seq} 条记录")
        why = ("更正或作废记录本身不能再改动；如需改动，请再更正原记录" if original.kind in ("correct", "void")
               else "该记录已被作废" if original.kind in ("step", "migrate", *EXCEPTIONAL_KINDS)
               else "这类记录不能更正或作废")
        raise refuse("correct.unknown", f"第 {seq} 条记录不能{what}：{why}")
    if seq in superseded_by_returns(history):
        raise refuse("correct.returned", f"第 {seq} 条记录已被退回重办，不能{what}；请在候选人页面重新办理该步骤")
    actor = record_actor(app, event)
    if actor is None:
        raise refuse("correct.unknown", f"第 {seq} 条记录不能{what}")
    edefn = app.definition(event.definition_key) if event.definition_key else defn
    step = edefn.step(event.step) if event.kind == "step" and event.step and edefn.has_step(event.step) else None
    label = f"第{step.number}步 {step.name}" if step else _kind_name(event.kind)
    if not may_change(who, branch_id, actor):
        side = "乡镇党委" if actor in ("township", "county_org_dept") else "党支部"
        raise ForbiddenError(f"“{label}”的记录由{side}办理，你的角色不能{what}")
    return {"row": row, "state": state, "branch_id": branch_id, "event": event, "step": step, "defn": edefn,
            "label": label}


def _kind_name(kind: str) -> str:
    from services.casework.queries import KIND_NAMES_EVENT

    return KIND_NAMES_EVENT.get(kind, "记录")


def prefill(step, evidence) -> dict[str, Any]:
    """The form's typed values (`f.<field>` as services/casework/step_form.py names them) from a record's
    evidence, so the correction form opens with what was recorded."""
    typed: dict[str, Any] = {}
    for spec in step.evidence if step else ():
        key, value = f"f.{spec.name}", evidence.get(spec.name)
        if value is None:
            continue
        if spec.type == "vote" and isinstance(value, dict):
            typed.update({f"{key}.{k}": str(v) for k, v in value.items()})
        elif spec.type == "people":
            typed[key] = [str(x) for x in (value if isinstance(value, list) else str(value).split(","))]
        elif spec.type == "bool":
            typed[key] = "是" if value is True or str(value) in ("是", "true", "True") else "否"
        else:
            typed[key] = str(value)
    return typed


def record_form(app: App, who: Principal, candidate_id: int, seq: int, what: str = "更正") -> dict[str, Any]:
    """`load_record` plus what the form shows: {fields (the step's generated fields; none for an
    exceptional path, whose date alone is corrected here), typed (the record's evidence),
    occurred_on, person}."""
    ctx = load_record(app, who, candidate_id, seq, what)
    with app.uow(read_only=True) as uow:
        person = uow.people.get(ctx["row"].person_id)
    step = ctx["step"]
    named = [int(x) for f in (step.evidence if step else ()) if f.type in ("people", "person")
             for x in _as_list(ctx["event"].evidence.get(f.name)) if str(x).isdecimal()]
    return {**ctx, "person": person, "fields": form_fields(app, step, ctx["branch_id"], also=named) if step else [],
            "typed": prefill(step, ctx["event"].evidence), "occurred_on": ctx["event"].occurred_on.isoformat()}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]
