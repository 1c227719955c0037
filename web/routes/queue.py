"""The township's approval queue: approve in one click (with the opinion fields the step needs) or
return to the branch with a reason."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from engine.evidence import parse_date
from services.user_commands import ForbiddenError, approve_evidence, quick_fields, record_step, return_step, step_for
from services.worklist import queue_page
from storage.errors import ConcurrentModification
from web.errors import STALE_CODES, STALE_MESSAGE
from web.render import page
from web.security import check_csrf, current_user, flash

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
    for i in items:
        fields = quick_fields(pf.definition(i["definition_key"]).step(i["step"]))
        i["quick"] = None if fields is None else [{"name": f.name, "label": f.label} for f in fields]
    pages = max(1, -(-total // PAGE))
    return page(request, "queue.html", {"title": "审批队列", "items": items, "today": pf.today().isoformat(),
                                         "total": total, "page_no": page_no, "pages": pages}, who=who)


@router.post("/queue/approve")
async def approve(request: Request, candidate_id: int = Form(...), step: str = Form(...),
                  expected_version: int = Form(...), who=Depends(current_user)):
    form = await request.form()  # async; the database work below runs in the thread pool
    return await run_in_threadpool(_approve, request, who, candidate_id, step, expected_version, form)


def _approve(request: Request, who, candidate_id: int, step: str, expected_version: int, form):
    _township(who)
    pf = request.app.state.pf
    _row, _state, spec = step_for(pf, who, candidate_id, step)
    fields = quick_fields(spec)
    if fields is None:
        return RedirectResponse(f"/candidates/{candidate_id}/steps/{step}", status_code=303)
    try:
        day = parse_date(str(form.get("occurred_on", "")).strip() or pf.today())
    except ValueError as e:
        flash(request, f"{spec.name}（候选人 {candidate_id}）：办理日期{e}", "error")
        return RedirectResponse("/queue", status_code=303)
    evidence = approve_evidence(spec, {f.name: str(form.get(f"f.{f.name}", "")).strip() for f in fields})
    try:
        result = record_step(pf, who, candidate_id, step, occurred_on=day, evidence=evidence,
                             expected_version=expected_version)
    except ConcurrentModification:
        flash(request, STALE_MESSAGE, "error")
    except DomainError as e:
        stale = any(v.code in STALE_CODES for v in e.violations)
        for m in [STALE_MESSAGE] if stale else [v.message for v in e.violations]:
            flash(request, f"{spec.name}（候选人 {candidate_id}）：{m}", "error")
    else:
        flash(request, f"已办理：第{spec.number}步 {spec.name}（候选人 {candidate_id}，{result.decision.event.occurred_on}）")
    return RedirectResponse("/queue", status_code=303)


@router.post("/queue/return")
def send_back(request: Request, candidate_id: int = Form(...), step: str = Form(...), reason: str = Form(""),
              who=Depends(current_user)):
    _township(who)
    try:
        return_step(request.app.state.pf, who, candidate_id, step, reason)
    except DomainError as e:
        flash(request, e.violations[0].message, "error")
    else:
        flash(request, f"已退回党支部（候选人 {candidate_id}）：{reason.strip()}")
    return RedirectResponse("/queue", status_code=303)
