"""The township's approval queue: what the branches sent first (with the thread of earlier
returns), then the committee's own steps and what it may record from paper. Approve opens a
confirmation of exactly what will be recorded; return takes a reason and the steps to redo."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from engine.evidence import parse_date
from engine.process import process_for
from services.casework.queries import evidence_summary, pending_resolution
from services.review import approve as approve_step, return_to_branch, review_thread
from services.review.form import form_evidence, review_form
from services.review.thread import review_threads
from services.casework.user_commands import ForbiddenError, quick_fields, record_step, step_for
from services.worklist.reads import queue_page
from storage.errors import ConcurrentModification
from web.errors import STALE_CODES, why_stale
from web.render import page
from web.routes.materials import missing_badges, with_missing
from web.security import check_csrf, current_user, flash
from workflows.review import is_reviewed, verb

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


def _township(who) -> None:
    if not who.acts_anywhere("township"):
        raise ForbiddenError("审批队列仅供乡镇党委使用")


PAGE = 50  # items per page: a township's queue can hold thousands (phones, and p95 < 50 ms)


@router.get("/queue")
def queue(request: Request, page_no: int = Query(1, alias="page", ge=1, le=100_000), who=Depends(current_user)):
    _township(who)
    pf = request.app.state.pf
    total, items = queue_page(pf, who, PAGE, (page_no - 1) * PAGE)
    threads = review_threads(pf, [i["candidate_id"] for i in items if i["review"] in ("submitted", "unsent")])
    for i in items:
        spec = pf.definition(i["definition_key"]).step(i["step"])
        fields = quick_fields(spec)
        i["quick"] = None if fields is None else [{"name": f.name, "label": f.label} for f in fields]
        i["reviewed"] = is_reviewed(spec)
        i["verb"] = verb(spec) if i["reviewed"] else "办理"
        if i["review"] in ("submitted", "unsent"):
            thread = next((t for t in threads[i["candidate_id"]] if t["step"] == i["step"]), None)
            i["thread"] = thread["entries"] if thread else []
            i["reopenable"] = thread["reopenable"] if thread else []
            i["returns"] = sum(1 for e in i["thread"] if e["kind"] == "return")
    with_missing(pf, items)  # 缺少材料 on each item: one completeness call for the page
    pages = max(1, -(-total // PAGE))
    groups = [("已报送，待审核", [i for i in items if i["review"] == "submitted"]),
              ("乡镇党委组织的事项", [i for i in items if not i["reviewed"]]),
              ("党支部尚未报送（收到纸质材料时可直接办理）", [i for i in items if i["review"] == "unsent"])]
    return page(request, "queue.html", {"title": "审批队列", "groups": groups, "today": pf.today().isoformat(),
                                         "total": total, "page_no": page_no, "pages": pages}, who=who)


def _approval_form(request, who, candidate_id: int, step: str, form=None, *, errors=None, preview=None,
                   status_code=200):
    pf = request.app.state.pf
    row, state, spec = step_for(pf, who, candidate_id, step)
    form_spec = review_form(spec)
    reviewed = is_reviewed(spec)
    with pf.uow(read_only=True) as uow:
        person = uow.people.get(row.person_id)
    thread = next((t for t in review_thread(pf, candidate_id) if t["step"] == step), None)
    typed = {k: str(v) for k, v in (form or {}).items() if k != "csrf_token"}
    resolution = pending_resolution(process_for(pf.definition(state.definition_key)), state)
    return page(request, "approve.html", {
        "resolution": resolution if resolution and resolution["approver"] == step else None,
        "title": spec.name if verb(spec) in spec.name or not reviewed else f"{verb(spec)}：{spec.name}",
        "spec": spec, "verb": verb(spec) if reviewed else "办理",
        "doc_example": f"如 ×组〔{pf.today().year}〕12号", "person": person, "candidate_id": candidate_id,
        "form": form_spec, "full_form": form_spec is None,
        "has_outcome": spec.outcome is not None and form_spec is not None,
        "reviewed": reviewed, "thread": thread, "typed": typed, "errors": errors or {},
        "preview": preview, "version": typed.get("expected_version") or row.version,
        "materials": missing_badges(pf, [candidate_id]).get(candidate_id),
        "occurred_on": typed.get("occurred_on") or pf.today().isoformat(),
    }, status_code=status_code, who=who)


@router.get("/queue/approve")
def approve_form(request: Request, candidate_id: int = Query(..., ge=1, le=2**31 - 1), step: str = Query(...),
                 who=Depends(current_user)):
    _township(who)
    return _approval_form(request, who, candidate_id, step)


@router.post("/queue/approve")
async def approve(request: Request, candidate_id: int = Form(..., ge=1, le=2**31 - 1), step: str = Form(...),
                  who=Depends(current_user)):
    form = await request.form()  # async; the database work below runs in the thread pool
    return await run_in_threadpool(_approve, request, who, candidate_id, step, form)


def _approve(request: Request, who, candidate_id: int, step: str, form):
    """Without `confirm`: the confirmation page (the engine's dry run); with it: recorded."""
    _township(who)
    pf = request.app.state.pf
    _row, _state, spec = step_for(pf, who, candidate_id, step)
    form_spec = review_form(spec)
    if form_spec is None:
        return RedirectResponse(f"/candidates/{candidate_id}/steps/{step}", status_code=303)
    reviewed = is_reviewed(spec)
    doing = verb(spec) if reviewed else "办理"
    errors = {}
    day = None
    typed_day = str(form.get("occurred_on", "")).strip()
    if not typed_day:
        errors["occurred_on"] = f"请填写办理日期（实际{doing}的日期）"
    else:
        try:
            day = parse_date(typed_day)
        except ValueError as e:
            errors["occurred_on"] = f"办理日期{e}"
    if str(form.get("decision", "yes")) not in ("yes", "no"):
        errors["decision"] = "请选择审批结果：同意或不同意"
    values = {f.name: str(form.get(f"f.{f.name}", "")).strip() for f in form_spec.fields}
    if str(form.get("edit", "")) == "1":  # 返回修改 from the confirmation: the form again, as typed
        return _approval_form(request, who, candidate_id, step, {k: v for k, v in form.items() if k != "edit"})
    for f in form_spec.fields:
        if f.required and not values[f.name]:
            errors[f"f.{f.name}"] = f"请填写{f.label}"
    # the step's own 预审意见/谈话意见 is its opinion: not asked twice; a filing asks none
    own = form_spec.own_opinion
    opinion = values[own] if own else str(form.get("opinion", "")).strip() if form_spec.opinion else ""
    doc_no = str(form.get("doc_no", "")).strip() if form_spec.doc_no else ""
    if reviewed and form_spec.opinion_required and not opinion:
        errors["opinion"] = f"请填写{form_spec.opinion}"
    try:
        expected = int(str(form.get("expected_version", "")))
    except ValueError:
        expected = None
    if errors:
        return _approval_form(request, who, candidate_id, step, form, errors=errors, status_code=400)
    evidence = form_evidence(spec, form_spec, values)
    agreed = str(form.get("decision", "yes")) == "yes"
    if spec.outcome and not agreed:  # 不同意: the outcome field negative (the definition says what follows)
        evidence[spec.outcome.field] = False
    confirm = str(form.get("confirm", "")) == "1"

    def attempt(version, preview):
        if reviewed:
            return approve_step(pf, who, candidate_id, step, occurred_on=day, evidence=evidence, opinion=opinion,
                                doc_no=doc_no, expected_version=version, preview=preview)
        if not preview:
            return record_step(pf, who, candidate_id, step, occurred_on=day, evidence=evidence,
                               expected_version=version)
        from services.casework.candidates import complete_step
        return complete_step(pf, candidate_id, step, occurred_on=day, actor=who.actor, evidence=evidence,
                             expected_version=version, preview=True)

    try:
        result = attempt(expected, not confirm)
    except ConcurrentModification:
        return _approval_form(request, who, candidate_id, step, form,
                              errors={"_": why_stale(lambda: attempt(None, True))}, status_code=409)
    except DomainError as e:
        stale = any(v.code in STALE_CODES for v in e.violations)
        msgs = [why_stale(lambda: attempt(None, True))] if stale else [v.message for v in e.violations]
        errors = {"_": "；".join(msgs)}
        if any(v.code.startswith("material.") for v in e.violations):  # a missing material blocks it
            from web.routes.materials import blocking_by_side

            errors["materials"] = blocking_by_side(pf, who, candidate_id)
        return _approval_form(request, who, candidate_id, step, form, errors=errors,
                              status_code=409 if stale else 422)
    if not confirm:
        ev = result.decision.event
        outcome = None
        if spec.outcome:
            refused = "不同意：这一步仍待办理"
            resolving = process_for(pf.definition(_state.definition_key)).resolution_for.get(spec.id)
            if resolving is not None and _state.pending is not None and _state.pending.step == resolving:
                refused = "不同意：支部大会的决议不生效，预备期照常计算，支部大会须重新讨论"  # 党章第七条
            outcome = "同意" if agreed else ("不同意：记为未通过，不再继续发展" if spec.outcome.negative == "rejected"
                                             else refused)
        preview = {"date": ev.occurred_on.isoformat(), "outcome": outcome,
                   "summary": evidence_summary(spec, {k: v for k, v in ev.evidence.items() if k != "review"}, {}),
                   "opinion": opinion, "doc_no": doc_no, "warnings": list(result.decision.warnings),
                   "stage": pf.definition(result.decision.state.definition_key).stage_name(result.decision.state.stage)}
        return _approval_form(request, who, candidate_id, step, form, preview=preview)
    with pf.uow(read_only=True) as uow:
        name = uow.people.get(_row.person_id).name
    flash(request, f"{'已备案' if doing == '备案' else '已办理'}：{name} 第{spec.number}步 {spec.name}（{result.decision.event.occurred_on}）")
    for w in result.decision.warnings:
        flash(request, w, "warn")
    return RedirectResponse("/queue", status_code=303)


@router.post("/queue/return")
async def send_back(request: Request, candidate_id: int = Form(..., ge=1, le=2**31 - 1), step: str = Form(...),
                    who=Depends(current_user)):
    form = await request.form()
    return await run_in_threadpool(_send_back, request, who, candidate_id, step, form)


def _send_back(request: Request, who, candidate_id: int, step: str, form):
    _township(who)
    pf = request.app.state.pf
    reason = str(form.get("reason", ""))
    reopen = tuple(str(x) for x in form.getlist("reopen"))
    try:
        expected = int(str(form.get("expected_version", "")))
    except ValueError:
        expected = None
    back = str(form.get("back", "")) == "candidate"
    target = f"/candidates/{candidate_id}" if back else "/queue"
    row, _state, spec = step_for(pf, who, candidate_id, step)
    with pf.uow(read_only=True) as uow:
        name = uow.people.get(row.person_id).name
    try:
        result = return_to_branch(pf, who, candidate_id, step, reason=reason, reopen=reopen, expected_version=expected)
    except (ConcurrentModification, DomainError) as e:
        # refused: the form again with what was typed, the message next to it (nothing was written)
        violations = getattr(e, "violations", ())
        stale = isinstance(e, ConcurrentModification) or any(v.code in STALE_CODES for v in violations)
        status = 409 if stale else 400 if any(v.code == "return.reason" for v in violations) else 422
        fresh, _s, _spec = step_for(pf, who, candidate_id, step)
        thread = next((t for t in review_thread(pf, candidate_id) if t["step"] == step), None)
        return page(request, "return.html", {
            "title": f"退回：{spec.name}", "spec": spec, "name": name, "candidate_id": candidate_id,
            "thread": thread, "reason": reason, "reopen": set(reopen), "back": "candidate" if back else "",
            "version": fresh.version,
            "error": why_stale(lambda: return_to_branch(pf, who, candidate_id, step, reason=reason, reopen=reopen,
                                                        preview=True))
            if stale else "；".join(v.message for v in violations),
        }, status_code=status, who=who)
    else:
        d = pf.definition(result.decision.state.definition_key)
        redo = "、".join(d.step(s).name for s in result.decision.event.evidence["reopened"])
        flash(request, f"已退回{name}的“{spec.name}”：{reason.strip()}" + (f"；须重新办理：{redo}" if redo else ""))
    return RedirectResponse(target, status_code=303)
