"""Correct or void one record as a logged-in user: the access check (services/records/view.py),
the CLI's own use case (`services.casework.candidates.correct` / `void`, hence the engine's correction
decision and every rule of it), the audit row, and what the change does, in Chinese.

`preview=True` decides without writing (the page's 预览 and the API's `preview`), exactly as the
real run will decide it with the same `expected_version`; a stale version is the engine's
`candidate.stale` refusal (409 in the web).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from engine.errors import refuse
from engine.process import process_for
from engine.timing import outlook
from services.casework import candidates
from services.accounts.access import Principal
from services.app import App
from services.integrity.audit_log import record
from services.casework.queries import evidence_summary, stage_name
from services.records.view import load_record
from services.casework.results import CommandResult

MAX_REASON = 500


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise refuse("reason.long", f"原因不能超过 {MAX_REASON} 字")
    return reason  # an empty one is the engine's refusal (更正或作废须记录原因)


def correct_record(app: App, who: Principal, candidate_id: int, seq: int, *, reason: str,
                   occurred_on: date | None = None, evidence: Mapping[str, Any] | None = None,
                   expected_version: int | None = None, preview: bool = False) -> tuple[CommandResult, dict]:
    """(result, change_view) of correcting record `seq` (its date and/or evidence)."""
    ctx = load_record(app, who, candidate_id, seq, "更正")
    if ctx["event"].kind == "migrate":
        raise refuse("correct.migrate", "迁移记录不能更正；如需改用其他流程，请再登记一次迁移")
    if ctx["step"] is None and evidence:
        raise refuse("evidence.unknown", f"“{ctx['label']}”的记录在这里只能更正日期")
    result = candidates.correct(app, candidate_id, seq, actor=who.actor, reason=_reason(reason),
                                occurred_on=occurred_on, evidence=dict(evidence) if evidence else None,
                                expected_version=expected_version, preview=preview)
    view = change_view(app, ctx, result)
    if not preview:
        ev = result.decision.event
        record(app, user_id=who.user_id, username=who.username, action="record.correct", target_kind="candidate",
               target_id=candidate_id, detail={"seq": seq, "label": ctx["label"], "occurred_on": ev.occurred_on,
                                               "evidence": dict(ev.evidence), "reason": ev.reason,
                                               "version": result.version})
    return result, view


def void_record(app: App, who: Principal, candidate_id: int, seq: int, *, reason: str,
                expected_version: int | None = None, preview: bool = False) -> tuple[CommandResult, dict]:
    """(result, change_view) of voiding record `seq` (entered in error; the log keeps it)."""
    ctx = load_record(app, who, candidate_id, seq, "作废")
    result = candidates.void(app, candidate_id, seq, actor=who.actor, reason=_reason(reason),
                             expected_version=expected_version, preview=preview)
    view = change_view(app, ctx, result)
    if not preview:
        record(app, user_id=who.user_id, username=who.username, action="record.void", target_kind="candidate",
               target_id=candidate_id, detail={"seq": seq, "label": ctx["label"], "reason": result.decision.event.reason,
                                               "version": result.version})
    return result, view


def _step_label(defn, sid: str) -> str:
    if defn is not None and defn.has_step(sid):
        s = defn.step(sid)
        return f"第{s.number}步 {s.name}"
    return sid


def _values(step, evidence: Mapping[str, Any], names: Mapping[int, str]) -> dict[str, tuple[str, str]]:
    """{field: (label, value as read)} through the timeline's own wording (services.casework.queries)."""
    out = {}
    for key, value in evidence.items():
        if key == "received_by":
            continue  # the receiving branch of the application: not a form field here
        label, _, text = evidence_summary(step, {key: value}, names).partition("：")
        out[key] = (label, text)
    return out


def _people(app: App, step, *evidences) -> dict[int, str]:
    ids = set()
    for spec in step.evidence if step else ():
        for ev in evidences:
            v = ev.get(spec.name)
            if spec.type == "people" and isinstance(v, list):
                ids.update(int(x) for x in v if str(x).isdecimal())
            elif spec.type == "person" and str(v).isdecimal():
                ids.add(int(v))
    if not ids:
        return {}
    with app.uow(read_only=True) as uow:
        return {pid: p.name for pid, p in uow.people.by_ids(ids).items()}


def _dates(o) -> tuple[str | None, str | None]:
    return (o.earliest.date.isoformat() if o.earliest else None, o.due.date.isoformat() if o.due else None)


def change_view(app: App, ctx: Mapping[str, Any], result: CommandResult) -> dict[str, Any]:
    """What the change does, for the preview page and the API: {kind ("correct"|"void"), label,
    seq, fields: [{label, old, new}], stage: {old, new} | None, reopened: [..], moved: [{label,
    old, new}], late: {added, removed}, next: [{label, old, new}], warnings: [..], version}."""
    dec = result.decision
    target, step = ctx["event"], ctx["step"]
    before, after = dec.before, dec.state
    bdefn, adefn = app.definition(before.definition_key), app.definition(after.definition_key)
    fields = []
    if dec.event.kind == "correct":
        if dec.event.occurred_on != target.occurred_on:
            fields.append({"label": "办理日期" if step else "日期", "old": target.occurred_on.isoformat(),
                           "new": dec.event.occurred_on.isoformat()})
        names = _people(app, step, target.evidence, dec.event.evidence)
        old, new = _values(step, target.evidence, names), _values(step, dec.event.evidence, names)
        for key in [*old, *(k for k in new if k not in old)]:
            if old.get(key) != new.get(key):
                label = (new.get(key) or old.get(key))[0]
                fields.append({"label": label, "old": old.get(key, ("", "（无）"))[1],
                               "new": new.get(key, ("", "（无）"))[1]})
    reopened = [f"{_step_label(bdefn, s)}（原办理日期 {d.isoformat()}）" for s, d in before.done.items()
                if s not in after.done]
    moved = [{"label": _step_label(adefn, s), "old": before.done[s].isoformat(), "new": d.isoformat()}
             for s, d in after.done.items() if s in before.done and before.done[s] != d and s != target.step]
    late = {"added": [_step_label(adefn, s) for s in after.late if s not in before.late],
            "removed": [_step_label(bdefn, s) for s in before.late if s not in after.late]}
    was = {o.step.id: o for o in outlook(process_for(bdefn), before, app.calendar)}
    now = {o.step.id: o for o in dec.outlook}
    nexts = []
    for sid in [*now, *(s for s in was if s not in now)]:
        o, n = was.get(sid), now.get(sid)
        old_text, new_text = _next_text(o), _next_text(n)
        if old_text != new_text:
            nexts.append({"label": _step_label(adefn if n else bdefn, sid), "old": old_text, "new": new_text})
    stage = None
    if before.stage != after.stage:
        stage = {"old": stage_name(bdefn, before.stage), "new": stage_name(adefn, after.stage)}
    return {"kind": dec.event.kind, "seq": target.seq, "label": ctx["label"], "fields": fields, "stage": stage,
            "reopened": reopened, "moved": moved, "late": late, "next": nexts, "warnings": list(dec.warnings),
            "version": result.version, "preview": result.preview}


def _next_text(o) -> str:
    if o is None:
        return "不在待办"
    earliest, due = _dates(o)
    parts = [f"最早 {earliest}" if earliest else "", f"最迟 {due}（含当日）" if due else ""]
    return "，".join(p for p in parts if p) or "可办理（无时间要求）"
