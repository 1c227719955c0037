"""发展计划: a year's plan of an organisation with plan vs actual, and the form that sets it.

Who: every role reads the plans of the organisations it reports on; the township officer sets
them for the township and its branches, the administrator anywhere (services/planning).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from services.planning import SHARE_FIELDS, plan_orgs, plan_view, save_plan
from services.planning.plan_vs_actual import MAX_TAG_ROWS
from services.casework.user_commands import NotFoundError
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
TAG_ROWS = 3  # empty tag rows offered besides the plan's own


def _int(value, what: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdecimal() or len(text) > 9:
        raise NotFoundError(f"找不到这个{what}")
    return int(text)


def _render(request: Request, who, org_id: int | None, year: int | None, *, typed=None, errors=None, status_code=200):
    pf = request.app.state.pf
    orgs = plan_orgs(pf, who)
    if not orgs:
        raise NotFoundError("没有可以查看计划的组织")
    if org_id is None:
        own = {r.org_id for r in who.roles}
        org_id = next((o["id"] for o in orgs if o["id"] in own), orgs[0]["id"])
    year = year or pf.today().year
    try:
        v = plan_view(pf, who, org_id, year)
    except DomainError as e:
        v = plan_view(pf, who, org_id, pf.today().year)
        errors = {**(errors or {}), "year": e.violations[0].message}
        status_code = 400
    if typed is None:
        plan = v["plan"] or {"admit_target": "", "targets": [], "note": ""}
        shares = {t["key"]: f"{t['value'] * 100:g}" for t in plan["targets"] if t["key"] in SHARE_FIELDS and t["is_share"]}
        tags = [(t["label"], f"{t['value'] * 100:g}%" if t["is_share"] else str(t["value"]))
                for t in plan["targets"] if t["key"].startswith("tag:")]
        typed = {"admit": str(plan["admit_target"]), "shares": shares, "tags": tags, "note": plan["note"] or ""}
    rows = max(len(typed["tags"]) + TAG_ROWS, TAG_ROWS)
    typed["tags"] = (list(typed["tags"]) + [("", "")] * rows)[:min(rows, MAX_TAG_ROWS)]
    return page(request, "plans.html", {"title": "发展计划", "orgs": orgs, "v": v, "typed": typed, "errors": errors or {},
                                        "share_fields": SHARE_FIELDS, "this_year": pf.today().year},
                status_code=status_code, who=who)


@router.get("/plans")
async def plans_page(request: Request, org: str | None = None, year: str | None = None, who=Depends(current_user)):
    return await run_in_threadpool(_render, request, who, _int(org, "组织"), _int(year, "年度"))


@router.post("/plans")
async def plans_save(request: Request, who=Depends(current_user)):
    form = await request.form()
    return await run_in_threadpool(_save, request, who, form)


def _save(request: Request, who, form):
    pf = request.app.state.pf
    org_id = _int(form.get("org"), "组织")
    if org_id is None:
        return _render(request, who, None, None, errors={"org": "请选择组织"}, status_code=400)
    year_text = str(form.get("year", "")).strip()
    year = int(year_text) if year_text.isdecimal() and len(year_text) == 4 else 0
    typed = {"admit": str(form.get("admit", "")).strip(),
             "shares": {k: str(form.get(f"share_{k}", "")).strip() for k in SHARE_FIELDS},
             "tags": [(str(form.get(f"tag_name_{i}", "")), str(form.get(f"tag_value_{i}", ""))) for i in range(MAX_TAG_ROWS)],
             "note": str(form.get("note", ""))}
    typed["tags"] = [t for t in typed["tags"] if t[0].strip() or t[1].strip()]
    plan, errors = save_plan(pf, who, org_id, year, typed["admit"], typed["shares"], typed["tags"], typed["note"])
    if errors:
        return _render(request, who, org_id, year if "year" not in errors else None, typed=typed, errors=errors,
                       status_code=400)
    flash(request, f"已保存{plan['org']['name']}{plan['year']}年发展党员计划")
    return RedirectResponse(f"/plans?org={org_id}&year={plan['year']}", status_code=303)
