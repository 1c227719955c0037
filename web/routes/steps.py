"""The step form: generated from the definition's evidence fields, checked on the server."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from services.casefile import step_gate
from services.casework.step_form import attach_violations, check_fields, evidence_from_form, form_fields
from services.casework.user_commands import record_step, step_for
from storage.errors import ConcurrentModification
from web.errors import STALE_CODES, STALE_MESSAGE
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
PATH = "/candidates/{candidate_id:int}/steps/{step_id}"


def _render(request, who, row, state, step, *, typed=None, errors=None, violations=(), stale=None,
            version=None, occurred_on="", status_code=200, gate=None, refused=False):
    pf = request.app.state.pf
    with pf.uow(read_only=True) as uow:
        person = uow.people.get(row.person_id)
    return page(request, "step_form.html", {
        "returned": _why_returned(pf, row.id, state, step),
        "title": step.name, "step": step, "person": person, "candidate_id": row.id,
        "fields": form_fields(pf, step, state.branch_id or row.branch_id),
        "typed": typed or {}, "errors": errors or {}, "violations": list(violations), "stale": stale,
        "version": row.version if version is None else version,
        "occurred_on": occurred_on or pf.today().isoformat(),
        "gate": gate, "refused": refused,
    }, status_code=status_code, who=who)


def _why_returned(pf, candidate_id: int, state, step):
    """The township's latest 退回 that reopened this step, while it is still to redo:
    {on, who, reason, reviewed} — the branch redoing it sees why (or None)."""
    if step.id in state.done:
        return None
    from services.review.thread import review_thread

    latest = None
    for t in review_thread(pf, candidate_id):
        for e in t["entries"]:
            if e["kind"] == "return" and step.name in e["reopened"] and (latest is None or e["on"] >= latest["on"]):
                latest = {"on": e["on"], "who": e["who"], "reason": e["text"], "reviewed": t["step_name"]}
    return latest


@router.get(PATH)
def step_form(request: Request, candidate_id: int, step_id: str, who=Depends(current_user)):
    pf = request.app.state.pf
    row, state, step = step_for(pf, who, candidate_id, step_id)
    # a step that cannot be recorded today shows why and when instead of its form
    return _render(request, who, row, state, step, gate=step_gate(pf, candidate_id, step_id))


@router.post(PATH)
async def step_submit(request: Request, candidate_id: int, step_id: str, who=Depends(current_user)):
    form = await request.form()  # async; the database work below runs in the thread pool
    return await run_in_threadpool(_submit, request, who, candidate_id, step_id, form)


def _submit(request: Request, who, candidate_id: int, step_id: str, form):
    pf = request.app.state.pf
    row, state, step = step_for(pf, who, candidate_id, step_id)
    gate = step_gate(pf, candidate_id, step_id)
    if gate is not None:  # refused whatever was typed: one message, nothing written
        return _render(request, who, row, state, step, gate=gate, refused=True, status_code=422)
    evidence, typed = evidence_from_form(step, form, form.getlist)
    occurred_on = str(form.get("occurred_on", ""))
    try:
        expected = int(str(form.get("expected_version", "")))
    except ValueError:
        expected = row.version
    errors, day = check_fields(step, evidence, occurred_on)
    keep = {"typed": typed, "occurred_on": occurred_on, "version": expected}
    if errors:
        return _render(request, who, row, state, step, errors=errors, status_code=400, **keep)
    try:
        result = record_step(pf, who, candidate_id, step_id, occurred_on=day, evidence=evidence,
                             expected_version=expected)
    except (DomainError, ConcurrentModification) as e:
        if isinstance(e, ConcurrentModification) or any(v.code in STALE_CODES for v in e.violations):
            fresh, state, step = step_for(pf, who, candidate_id, step_id)
            return _render(request, who, fresh, state, step, stale=STALE_MESSAGE, status_code=409,
                           **{**keep, "version": fresh.version})
        near = attach_violations(step, list(e.violations))
        return _render(request, who, row, state, step, violations=e.violations,
                       errors={k: "；".join(v) for k, v in near.items()}, status_code=422, **keep)
    ev = result.decision.event
    flash(request, f"已记录：第{step.number}步 {step.name}（{ev.occurred_on.isoformat()}）")
    for w in result.decision.warnings:
        flash(request, w, "warn")
    return RedirectResponse(f"/candidates/{candidate_id}", status_code=303)
