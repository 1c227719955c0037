"""The JSON API (/api, OpenAPI at /api/docs): the same reads and commands as the pages.

Authentication is the page session's cookie; writes also need the `X-CSRF-Token` header (its
value: GET /api/me → csrf_token). Errors: {"ok": false, "error", "message", "violations": [{code,
message, article, earliest}]} with 401, 403, 404, 409 (已被他人修改) or 422 (a rule or bad input).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from engine.errors import refuse
from engine.evidence import parse_date
from services.casework.queries import command_view
from services.casework.user_commands import ForbiddenError, load_for, record_step
from services.worklist.reads import approval_queue, candidates_by_stage, step_table, week
from web.security import check_csrf, csrf_token, current_user

router = APIRouter(prefix="/api", dependencies=[Depends(check_csrf)], tags=["partyflow"])


class StepIn(BaseModel):
    occurred_on: str = Field(description="办理日期，如 2026-11-20")
    evidence: dict[str, Any] = Field(default_factory=dict, description="记录项（字段名见流程定义）")
    expected_version: int | None = Field(default=None, description="读取时的版本号；不同则 409 已被他人修改")
    preview: bool = Field(default=False, description="只预览将记录的内容，不写入")


@router.get("/me", summary="当前用户、角色与 CSRF 令牌")
def me(request: Request, who=Depends(current_user)):
    return {"user_id": who.user_id, "username": who.username, "display_name": who.display_name,
            "roles": [{"role": r.role, "org_id": r.org_id} for r in who.roles], "csrf_token": csrf_token(request)}


@router.get("/week", summary="本周待办（逾期、7天内到期、可以办理）")
def api_week(request: Request, who=Depends(current_user)):
    # plain dicts of str/int/bool/None: straight to JSON (jsonable_encoder cost ~5 ms for 200 items)
    return JSONResponse(week(request.app.state.pf, who))


@router.get("/queue", summary="乡镇审批队列（最早到期的在前；limit/offset 分页）")
def api_queue(request: Request, limit: int | None = Query(None, ge=1, le=10_000), offset: int = Query(0, ge=0),
              who=Depends(current_user)):
    if not who.acts_anywhere("township"):
        raise ForbiddenError("审批队列仅供乡镇党委使用")
    return JSONResponse(approval_queue(request.app.state.pf, who, limit, offset))


@router.get("/candidates", summary="可见的候选人（按阶段）")
def api_candidates(request: Request, who=Depends(current_user)):
    return candidates_by_stage(request.app.state.pf, who.scope())


@router.get("/candidates/{candidate_id}", summary="一名候选人：全部步骤、记录、下一步")
def api_candidate(request: Request, candidate_id: int, who=Depends(current_user)):
    pf = request.app.state.pf
    load_for(pf, who, candidate_id)
    return step_table(pf, candidate_id)


@router.post("/candidates/{candidate_id}/steps/{step_id}", summary="办理一个步骤")
def api_step(request: Request, candidate_id: int, step_id: str, body: StepIn, who=Depends(current_user)):
    pf = request.app.state.pf
    try:
        day = parse_date(body.occurred_on)
    except ValueError as e:
        raise refuse("input.date", f"办理日期：{e}") from None
    result = record_step(pf, who, candidate_id, step_id, occurred_on=day, evidence=body.evidence,
                         expected_version=body.expected_version, preview=body.preview)
    return command_view(pf, result)

