"""Read pages: the week (home), candidates by stage, one candidate."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from services.audit_log import entries
from services.case_commands import allowed_actions
from services.casefile import case_file, with_links, with_next_steps
from services.user_commands import load_for
from services.worklist import candidates_by_stage, queue_size, week
from web.render import page
from web.security import check_csrf, current_user

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/")
def home(request: Request, who=Depends(current_user)):
    pf = request.app.state.pf
    ctx = {"title": "本周待办", "week": None, "queue": None}
    if who.acts_anywhere("branch"):
        ctx["week"] = w = week(pf, who)
        for key in ("overdue", "due_soon", "possible"):
            w[key] = with_links(who, w[key])
    if who.acts_anywhere("township"):
        ctx["queue"] = queue_size(pf, who)
    if ctx["week"] is None and ctx["queue"] is None:  # a read-only role: the stages overview
        ctx["groups"] = candidates_by_stage(pf, who.scope())
    return page(request, "home.html", ctx, who=who)


@router.get("/candidates")
def candidates(request: Request, who=Depends(current_user)):
    pf = request.app.state.pf
    groups = with_next_steps(pf, who, candidates_by_stage(pf, who.scope()))
    return page(request, "candidates.html", {"title": "我的候选人", "groups": groups}, who=who)


@router.get("/candidates/{candidate_id:int}")
def candidate(request: Request, candidate_id: int, who=Depends(current_user)):
    pf = request.app.state.pf
    row, state, _defn = load_for(pf, who, candidate_id)
    view = case_file(pf, who, candidate_id, state.branch_id or row.branch_id)
    returns = [e for e in entries(pf, target_kind="candidate", target_id=candidate_id, limit=20)
               if e["action"] == "step.return"]
    return page(request, "candidate.html", {"title": view["person"]["name"], "v": view, "returns": returns,
                                            "actions": allowed_actions(pf, who, candidate_id)}, who=who)
