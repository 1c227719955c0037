"""Read pages: the week (home), candidates by stage, one candidate."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from services.case_commands import allowed_actions
from services.casefile import case_file, with_links, with_next_steps
from services.review import branch_review, review_thread
from services.user_commands import load_for
from services.worklist import candidates_by_stage, queue_size, stage_counts, week
from web.render import page
from web.routes.materials import materials_section, place_problem, with_missing
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
    if who.acts_anywhere("branch"):
        ctx["review"] = branch_review(pf, who)  # 被退回 first, then 待报送 / 已报送 (the review loop)
        # 缺少材料 on each item of the 待办 lists: one completeness call for all of them
        with_missing(pf, [i for k in ("overdue", "due_soon", "possible") for i in ctx["week"][k]]
                     + [i for k in ("returned", "unsent") for i in ctx["review"][k]])
    if who.acts_anywhere("township"):
        ctx["queue"] = queue_size(pf, who)
    ctx["counts"] = home_counts(ctx)
    if ctx["week"] is None and ctx["queue"] is None:  # a read-only role: how many at each stage
        ctx["stages"] = stage_counts(pf, who.scope())  # (the names: 我的候选人, /candidates)
    return page(request, "home.html", ctx, who=who)


@router.get("/candidates")
def candidates(request: Request, who=Depends(current_user)):
    pf = request.app.state.pf
    groups = with_next_steps(pf, who, candidates_by_stage(pf, who.scope()))
    return page(request, "candidates.html", {"title": "我的候选人", "groups": groups}, who=who)


@router.get("/candidates/{candidate_id:int}")
def candidate(request: Request, candidate_id: int, who=Depends(current_user)):
    return candidate_page(request, who, candidate_id)


def candidate_page(request: Request, who, candidate_id: int, *, materials_problem: dict | None = None,
                   status_code: int = 200):
    """The candidate page; `materials_problem` ({key or remove, error, typed}) puts a refused upload
    or removal back next to its form, the 材料 list open (web/routes/materials.py)."""
    pf = request.app.state.pf
    row, state, defn = load_for(pf, who, candidate_id)
    branch_id = state.branch_id or row.branch_id
    thread = review_thread(pf, candidate_id)  # 报送与审批: replaces the audit-log notices of returns
    view = case_file(pf, who, candidate_id, branch_id, thread=thread)
    return page(request, "candidate.html", {
        "title": view["person"]["name"], "v": view, "thread": thread, "version": row.version,
        "can_submit": who.can_act(branch_id, "branch_secretary"), "can_review": who.can_act(branch_id, "township"),
        "actions": allowed_actions(pf, who, candidate_id),
        "m": (m := materials_section(pf, who, candidate_id, branch_id, defn)), "mp": place_problem(m, materials_problem)},
        status_code=status_code, who=who)


def home_counts(ctx) -> list[tuple[str, int, str, bool]]:
    """The four numbers at the top of the home page: (label, count, link, needs attention)."""
    out = []
    w, r = ctx.get("week"), ctx.get("review")
    if w is not None:
        out.append(("待办", len(w["due_soon"]) + len(w["possible"]) + (len(r["unsent"]) if r else 0), "#todo", False))
    if r is not None:
        out.append(("被退回", len(r["returned"]), "#returned", bool(r["returned"])))
    if w is not None:
        out.append(("逾期", len(w["overdue"]), "#overdue", bool(w["overdue"])))
    if ctx.get("queue") is not None:
        out.append(("待审批", ctx["queue"], "/queue", bool(ctx["queue"])))
    return out
