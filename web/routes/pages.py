"""Read pages: the week (home), candidates by stage, one candidate."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request

from services.casework.case_commands import allowed_actions
from services.compliance.findings import candidate_findings
from services.casefile import case_file, with_links, with_next_steps
from services.casework.queries import known_stages
from services.review import branch_review, review_thread
from services.casework.user_commands import load_for
from services.worklist.reads import branch_name, branches_named, candidates_by_stage, queue_size, stage_counts, week
from services.reporting.org_views import readable_branches
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


PAGE_SIZE = 50  # candidates a stage group shows; /candidates?stage= pages by as many
BRANCH_SELECT_MAX = 100  # branches the filter offers as a list; more (a county's ~28,000): found by name
BRANCH_CHOICES = 20  # branches listed to choose from when a name matches several


@router.get("/candidates")
def candidates(request: Request, stage: str | None = None, page_no: str | None = Query(None, alias="page"),
               q: str | None = None, branch: str | None = None, bq: str | None = None, who=Depends(current_user)):
    """我的候选人: each stage's first PAGE_SIZE candidates with its count, or one stage in pages;
    filtered by a part of the name (q) and, with several branches in scope, by branch — chosen
    from a list, or with more than BRANCH_SELECT_MAX found by a part of its name (bq). A bad
    parameter says so in words and is left out; nothing outside the user's scope is ever read."""
    pf = request.app.state.pf
    errors = []
    stages = known_stages(pf)
    if stage is not None and stage not in stages:
        errors.append(f"没有“{stage[:20]}”这个阶段，下面列出全部阶段")
        stage = None
    scope = who.scope()
    many = scope is None or len(scope) > BRANCH_SELECT_MAX
    branches = [] if many else _branches_in_scope(pf, who)
    branch_id, chosen, choices = None, None, None
    if branch:
        branch_id = int(branch) if branch.isdecimal() and len(branch) < 10 else None
        if many:
            chosen = branch_name(pf, branch_id) if branch_id is not None and who.can_read(branch_id) else None
            ok = chosen is not None
        else:
            ok = branch_id in {b["id"] for b in branches}
        if not ok:
            errors.append(f"找不到可以查看的党支部“{branch[:20]}”，下面列出全部党支部的候选人")
            branch_id = chosen = None
    bq = (bq or "").strip()[:40]
    if many and bq and branch_id is None:
        n, found = branches_named(pf, who.can_read, bq, BRANCH_CHOICES)
        if n == 1:
            branch_id, chosen = found[0]["id"], found[0]["name"]
        elif n == 0:
            errors.append(f"没有名称含“{bq}”的党支部，下面列出全部党支部的候选人")
        else:
            choices = {"total": n, "branches": found}
    q = (q or "").strip()[:40]
    number = 1
    if page_no is not None and page_no.strip():
        if page_no.strip().isdecimal() and 0 < int(page_no.strip()[:9]):
            number = int(page_no.strip()[:9])
        else:
            errors.append(f"页码“{page_no[:20]}”无效，显示第 1 页")
    offset = (number - 1) * PAGE_SIZE if stage else 0
    groups = candidates_by_stage(pf, who.scope(), stage=stage, branch=branch_id, name=q or None,
                                 limit=PAGE_SIZE, offset=offset)
    pg = None
    if stage:
        total = groups[0]["total"] if groups else 0
        pg = {"page": number, "pages": max(1, -(-total // PAGE_SIZE))}
        if number > pg["pages"]:  # past the end (the list shrank, or a typed number): the last page
            errors.append(f"页码 {number} 超出范围（共 {pg['pages']} 页），显示最后一页")
            pg["page"] = pg["pages"]
            groups = candidates_by_stage(pf, who.scope(), stage=stage, branch=branch_id, name=q or None,
                                         limit=PAGE_SIZE, offset=(pg["page"] - 1) * PAGE_SIZE)
    filters = "&".join(f"{k}={quote(str(v))}" for k, v in (("q", q), ("branch", branch_id)) if v)
    return page(request, "candidates.html", {
        "title": "我的候选人", "groups": with_next_steps(pf, who, groups), "stage": stage,
        "stage_name": stages.get(stage or "", ""), "pg": pg, "q": q, "branch_id": branch_id,
        "branches": branches if len(branches) > 1 else [], "filters": filters, "errors": errors,
        "many_branches": many, "bq": chosen or bq, "branch_choices": choices},
        status_code=400 if errors else 200, who=who)


def _branches_in_scope(pf, who) -> list[dict]:
    """[{id, name}] of the branches the user reads, by code: a secretary's or township's few read by
    id, a county's ~28,000 as three plain columns (services/reporting/org_views.readable_branches)."""
    with pf.uow(read_only=True) as uow:
        mine, _every = readable_branches(uow, who)
    return [{"id": oid, "name": name} for oid, _code, name in sorted(mine, key=lambda r: r[1])]


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
        "findings": candidate_findings(pf, candidate_id),  # an imported ledger's breaches (第五条 …), shown here
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
