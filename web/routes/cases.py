"""The exceptional paths on a candidate's page: withdraw, disqualify, transfer, death, …

One form per action (`/candidates/{id}/cases/{action}`): the date, the reason (and for a transfer
the receiving branch), checked on the server; the engine's refusal (wrong stage, no reason, the
same branch) shows next to its field with the article, a stale version keeps what was typed.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError
from engine.evidence import parse_date
from services.casework.case_commands import action_form, record_exceptional
from services.people import lists as category_lists
from storage.errors import ConcurrentModification
from web.errors import STALE_CODES, STALE_MESSAGE
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
PATH = "/candidates/{candidate_id:int}/cases/{action}"
# which form field an engine refusal belongs next to
_FIELD_OF = {"reason.missing": "reason", "transfer.branch": "to_branch_id", "org.branch": "to_branch_id",
             "date.future": "occurred_on", "date.before": "occurred_on"}


def _render(request, who, ctx, *, typed=None, errors=None, violations=(), stale=None, status_code=200):
    pf = request.app.state.pf
    with pf.uow(read_only=True) as uow:
        person = uow.people.get(ctx["row"].person_id)
    typed = typed or {}
    return page(request, "case_form.html", {
        **ctx, "person": person, "candidate_id": ctx["row"].id,
        "stage_name": ctx["defn"].stage_name(ctx["state"].stage),
        "typed": typed, "errors": errors or {}, "violations": list(violations), "stale": stale,
        "version": typed.get("expected_version") or ctx["row"].version,
        "occurred_on": typed.get("occurred_on", pf.today().isoformat()),
    }, status_code=status_code, who=who)


@router.get(PATH)
def case_form(request: Request, candidate_id: int, action: str, who=Depends(current_user)):
    return _render(request, who, action_form(request.app.state.pf, who, candidate_id, action))


@router.post(PATH)
async def case_submit(request: Request, candidate_id: int, action: str, who=Depends(current_user)):
    form = await request.form()
    return await run_in_threadpool(_submit, request, who, candidate_id, action, form)


def _submit(request: Request, who, candidate_id: int, action: str, form):
    pf = request.app.state.pf
    ctx = action_form(pf, who, candidate_id, action)
    typed = {k: str(form.get(k, "")).strip() for k in ("occurred_on", "reason", "to_branch_id", "expected_version")}
    errors: dict[str, str] = {}
    day = None
    try:
        day = parse_date(typed["occurred_on"]) if typed["occurred_on"] else None
        if day is None:
            errors["occurred_on"] = "请填写日期"
    except ValueError as e:
        errors["occurred_on"] = str(e)
    if len(typed["reason"]) > 500:
        errors["reason"] = "原因不能超过 500 字"
    to_branch = None
    if action == "transfer":
        if not typed["to_branch_id"]:
            errors["to_branch_id"] = "请选择转入的党支部"
        elif not typed["to_branch_id"].isdecimal():
            errors["to_branch_id"] = "转入的党支部不是有效编号"
        else:
            to_branch = int(typed["to_branch_id"])
    try:
        expected = int(typed["expected_version"])
    except ValueError:
        expected = ctx["row"].version
    if errors:
        return _render(request, who, ctx, typed=typed, errors=errors, status_code=400)
    try:
        record_exceptional(pf, who, candidate_id, action, occurred_on=day, reason=typed["reason"],
                           to_branch_id=to_branch, expected_version=expected)
    except (DomainError, ConcurrentModification) as e:
        if isinstance(e, ConcurrentModification) or any(v.code in STALE_CODES for v in e.violations):
            fresh = action_form(pf, who, candidate_id, action)
            return _render(request, who, fresh, typed={**typed, "expected_version": str(fresh["row"].version)},
                           stale=STALE_MESSAGE, status_code=409)
        near: dict[str, list[str]] = {}
        for v in e.violations:
            field = _FIELD_OF.get(v.code) or ("occurred_on" if v.code.startswith("date") else None)
            if field:
                near.setdefault(field, []).append(v.message)
        return _render(request, who, ctx, typed=typed, violations=e.violations,
                       errors={k: "；".join(v) for k, v in near.items()}, status_code=422)
    if action == "transfer" and not who.can_read(to_branch):
        # the candidate left the user's branches: their page would now be 无权查看, so back to the list
        to = dict(ctx["branches"]).get(to_branch, "其他党支部")
        with pf.uow(read_only=True) as uow:
            person = uow.people.get(ctx["row"].person_id)
        flash(request, f"已将{person.name if person else '该候选人'}的组织关系转入{to}（{day.isoformat()}），"
                       "此后由该党支部办理，你的候选人名单中不再列出")
        return RedirectResponse("/candidates", status_code=303)
    flash(request, f"已{ctx['title']}：{ctx['name']}（{day.isoformat()}）")
    return RedirectResponse(f"/candidates/{candidate_id}", status_code=303)


# ------------------------------------------------------------------ a new application (step 1)

_NEW_FIELD_OF = {"person.name": "name", "person.gender": "gender", "person.birth_date": "birth_date",
                 "min_age": "birth_date", "person.member": "name", "person.candidacy": "name", "org.branch": "branch_id",
                 "date.future": "applied_on", "person.ethnicity": "ethnicity", "person.education": "education",
                 "person.occupation": "occupation", "person.tags": "tags", "person.phone": "phone"}


def _new_form(request, who, *, typed=None, errors=None, violations=(), existing=None, status_code=200):
    from services.casework.case_commands import applicant_branches

    pf = request.app.state.pf
    branches = applicant_branches(pf, who)
    if not branches:
        from services.casework.user_commands import ForbiddenError
        raise ForbiddenError("入党申请由党支部登记，你的角色不能登记")
    typed = typed or {"applied_on": pf.today().isoformat(), "ethnicity": "汉族", "tags": [],
                      "branch_id": str(branches[0][0]) if len(branches) == 1 else ""}
    return page(request, "new_applicant.html", {"title": "登记入党申请", "branches": branches, "typed": typed,
                                                "errors": errors or {}, "violations": list(violations),
                                                "existing": existing, "cats": category_lists()},
                status_code=status_code, who=who)


@router.get("/candidates/new")
def new_applicant_form(request: Request, who=Depends(current_user)):
    return _new_form(request, who)


@router.post("/candidates/new")
async def new_applicant(request: Request, who=Depends(current_user)):
    form = await request.form()
    return await run_in_threadpool(_new_submit, request, who, form)


def _new_submit(request: Request, who, form):
    from services.casework.case_commands import AlreadyRegistered, OpenElsewhere, register_new_applicant
    from web.routes.people import profile_errors, profile_from_form

    pf = request.app.state.pf
    person, typed = profile_from_form(form)  # the person's fields, checked as on the people pages
    typed.update({k: str(form.get(k, "")).strip() for k in ("branch_id", "applied_on")})
    typed["confirm_other"] = form.get("confirm_other") == "1"
    errors = profile_errors(pf, person, typed)
    days = {"birth_date": person["birth_date"]}
    try:
        days["applied_on"] = parse_date(typed["applied_on"]) if typed["applied_on"] else None
        if days["applied_on"] is None:
            errors["applied_on"] = "请填写递交申请日期"
    except ValueError as e:
        errors["applied_on"] = str(e)
    if not typed["branch_id"].isdecimal():
        errors["branch_id"] = "请选择党支部"
    if errors:
        return _new_form(request, who, typed=typed, errors=errors, status_code=400)
    try:
        result = register_new_applicant(
            pf, who, branch_id=int(typed["branch_id"]), name=person["name"], gender=person["gender"],
            birth_date=days["birth_date"], applied_on=days["applied_on"], ethnicity=person["ethnicity"],
            education=person["education"], occupation=person["occupation"], tags=person["tags"],
            phone=person["phone"], confirm_other=typed["confirm_other"])
    except AlreadyRegistered as e:  # the form sent twice (Back and 登记 again): the record it made
        return _new_form(request, who, typed=typed, violations=e.violations,
                         existing=f"/candidates/{e.candidate_id}" if who.can_read(int(typed["branch_id"])) else None,
                         status_code=409)
    except OpenElsewhere as e:  # an open application in another branch: only its name, and the checkbox
        return _new_form(request, who, typed={**typed, "ask_other": True}, violations=e.violations, status_code=409)
    except DomainError as e:
        near: dict[str, list[str]] = {}
        for v in e.violations:
            key = _NEW_FIELD_OF.get(v.code) or _NEW_FIELD_OF.get(v.code.split(".")[0])
            if key:
                near.setdefault(key, []).append(v.message)
        return _new_form(request, who, typed=typed, violations=e.violations,
                         errors={k: "；".join(v) for k, v in near.items()}, status_code=422)
    flash(request, f"已登记入党申请：{person['name']}（{days['applied_on'].isoformat()}）")
    return RedirectResponse(f"/candidates/{result.candidate_id}", status_code=303)
