"""The branch's side of the review loop (报送, its 被退回 list) and the loop's JSON API (submit,
return, approve, the thread) — the same services as the pages and the CLI (services/review)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from engine.errors import DomainError, refuse
from engine.evidence import parse_date
from services.casework.queries import command_view
from services.review import approve, branch_review, return_to_branch, review_thread, submit
from services.casework.user_commands import ForbiddenError, load_for
from storage.errors import ConcurrentModification
from web.errors import STALE_CODES, why_stale
from web.render import page
from web.routes.materials import with_missing
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
api = APIRouter(prefix="/api", dependencies=[Depends(check_csrf)], tags=["partyflow"])


def _branch_side(who) -> None:
    """报送与退回 is the branch's list: a role with no branch side (township, county viewer) is
    refused in words, as /queue refuses one with no township side."""
    if not who.acts_anywhere("branch"):
        raise ForbiddenError("报送与退回仅供党支部使用")


@router.get("/review")
def review_page(request: Request, who=Depends(current_user)):
    """被退回 / 待报送 / 已报送 of the user's branches."""
    _branch_side(who)
    pf = request.app.state.pf
    r = branch_review(pf, who)
    with_missing(pf, r["returned"] + r["unsent"])  # 缺少材料 on what is to be sent (again)
    return page(request, "review.html", {"title": "报送与退回", "r": r, "today": pf.today().isoformat()}, who=who)


@router.post("/candidates/{candidate_id:int}/submit/{step_id}")
def submit_page(request: Request, candidate_id: int, step_id: str, note: str = Form(""),
                expected_version: str = Form(""), back: str = Form(""), who=Depends(current_user)):
    pf = request.app.state.pf
    row, _state, defn = load_for(pf, who, candidate_id)
    target = {"review": "/review", "home": "/"}.get(back, f"/candidates/{candidate_id}")
    try:
        expected = int(expected_version) if expected_version.strip() else None
    except ValueError:
        expected = None
    try:
        result = submit(pf, who, candidate_id, step_id, note=note, expected_version=expected)
    except (ConcurrentModification, DomainError) as e:  # sent twice: what stands in its way now, not 已被他人修改
        violations = getattr(e, "violations", ())
        stale = isinstance(e, ConcurrentModification) or any(v.code in STALE_CODES for v in violations)
        again = lambda: submit(pf, who, candidate_id, step_id, note=note, preview=True)  # noqa: E731
        for m in [why_stale(again)] if stale else [v.message for v in violations]:
            flash(request, m, "error")
    else:
        step = defn.step(step_id)
        flash(request, f"已报送：第{step.number}步 {step.name}（{result.decision.event.occurred_on}），等待上级党委审核")
        for w in result.decision.warnings:  # materials the township will want (engine/decide.py _submit_notes)
            flash(request, w, "warn")
    return RedirectResponse(target, status_code=303)


# -- JSON API ------------------------------------------------------------------------------------

class SubmitIn(BaseModel):
    note: str = Field(default="", description="报送说明（可空，500 字以内）")
    occurred_on: str | None = Field(default=None, description="报送日期，默认今天")
    expected_version: int | None = Field(default=None, description="读取时的版本号；不同则 409")


class ReturnIn(BaseModel):
    reason: str = Field(description="退回原因（必填）")
    reopen: list[str] = Field(default_factory=list, description="须重新办理的步骤（步骤标识）；以其为前提的已办步骤一并重新办理")
    occurred_on: str | None = Field(default=None, description="退回日期，默认今天")
    expected_version: int | None = Field(default=None, description="读取时的版本号；不同则 409")


class ApproveIn(BaseModel):
    occurred_on: str = Field(description="办理（审批）日期，如 2026-11-20")
    evidence: dict[str, Any] = Field(default_factory=dict, description="这一步的记录项（字段名见流程定义）")
    opinion: str = Field(default="", description="审批意见（审批必填；备案可空，备案文号填在记录项 filing_no）")
    doc_no: str = Field(default="", description="批复文号（可空）")
    expected_version: int | None = Field(default=None, description="读取时的版本号；不同则 409")
    preview: bool = Field(default=False, description="只预览将记录的内容，不写入")


def _day(text: str | None, pf, label: str):
    if text is None or not str(text).strip():
        return pf.today()
    try:
        return parse_date(text)
    except ValueError as e:
        raise refuse("input.date", f"{label}：{e}") from None


@api.get("/review", summary="本支部的报送与退回：被退回、待报送、已报送")
def api_review(request: Request, who=Depends(current_user)):
    _branch_side(who)
    return JSONResponse(branch_review(request.app.state.pf, who))


@api.get("/candidates/{candidate_id}/review", summary="一名候选人的报送、退回、审批往来记录")
def api_thread(request: Request, candidate_id: int, who=Depends(current_user)):
    pf = request.app.state.pf
    load_for(pf, who, candidate_id)
    return review_thread(pf, candidate_id)


@api.post("/candidates/{candidate_id}/steps/{step_id}/submit", summary="报送上级党委（党支部）")
def api_submit(request: Request, candidate_id: int, step_id: str, body: SubmitIn, who=Depends(current_user)):
    pf = request.app.state.pf
    result = submit(pf, who, candidate_id, step_id, note=body.note, occurred_on=_day(body.occurred_on, pf, "报送日期"),
                    expected_version=body.expected_version)
    return command_view(pf, result)


@api.post("/candidates/{candidate_id}/steps/{step_id}/return", summary="退回党支部（乡镇党委）")
def api_return(request: Request, candidate_id: int, step_id: str, body: ReturnIn, who=Depends(current_user)):
    pf = request.app.state.pf
    result = return_to_branch(pf, who, candidate_id, step_id, reason=body.reason, reopen=tuple(body.reopen),
                              occurred_on=_day(body.occurred_on, pf, "退回日期"), expected_version=body.expected_version)
    return {**command_view(pf, result), "reopened": list(result.decision.event.evidence["reopened"])}


@api.post("/candidates/{candidate_id}/steps/{step_id}/approve", summary="审批（乡镇党委）：审批意见、批复文号")
def api_approve(request: Request, candidate_id: int, step_id: str, body: ApproveIn, who=Depends(current_user)):
    pf = request.app.state.pf
    result = approve(pf, who, candidate_id, step_id, occurred_on=_day(body.occurred_on, pf, "办理日期"),
                     evidence=body.evidence, opinion=body.opinion, doc_no=body.doc_no,
                     expected_version=body.expected_version, preview=body.preview)
    return command_view(pf, result)
