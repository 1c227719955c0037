"""Read pages: the week (home), candidates by stage, one candidate."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from services.audit_log import entries
from services.case_commands import allowed_actions
from services.user_commands import load_for
from services.worklist import candidates_by_stage, queue_size, step_table, week
from web.render import page
from web.security import check_csrf, current_user

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


@router.get("/")
def home(request: Request, who=Depends(current_user)):
    pf = request.app.state.pf
    ctx = {"title": "本周待办", "week": None, "queue": None}
    if who.acts_anywhere("branch"):
        ctx["week"] = week(pf, who)
    if who.acts_anywhere("township"):
        ctx["queue"] = queue_size(pf, who)
    if ctx["week"] is None and ctx["queue"] is None:  # a read-only role: the stages overview
        ctx["groups"] = candidates_by_stage(pf, who.scope())
    return page(request, "home.html", ctx, who=who)


@router.get("/candidates")
def candidates(request: Request, who=Depends(current_user)):
    return page(request, "candidates.html",
                {"title": "我的候选人", "groups": candidates_by_stage(request.app.state.pf, who.scope())}, who=who)


@router.get("/candidates/{candidate_id:int}")
def candidate(request: Request, candidate_id: int, who=Depends(current_user)):
    pf = request.app.state.pf
    row, state, _defn = load_for(pf, who, candidate_id)
    view = step_table(pf, candidate_id)
    branch_id = state.branch_id or row.branch_id
    for s in view["steps"]:
        s["can_act"] = s["status"] in ("open", "blocked") \
            and who.can_act(branch_id, s["actor"])
    returns = [e for e in entries(pf, target_kind="candidate", target_id=candidate_id, limit=20)
               if e["action"] == "step.return"]
    return page(request, "candidate.html", {"title": view["person"]["name"], "v": view, "returns": returns,
                                            "actions": allowed_actions(pf, who, candidate_id)}, who=who)
