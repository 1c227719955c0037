"""People pages: 党员和群众 — the list of the user's branches' people, adding one, correcting a
profile, 留党察看 / 恢复党员权利 (the CLI's `person add/suspend/restore`).

Who: the branch side for its branches, the township officer for the township's branches, the
administrator everywhere; the county reads only (lists and profiles, no form). A person of another
organisation is 403, an unknown one 404; a bad field is 400 with its message next to it, a rule
(the CLI's refusals) 422, a profile saved by someone else meanwhile 409.

`profile_from_form` and `profile_errors` also serve the registration form (/candidates/new).

JSON (/api/people…): the same reads and writes with the same refusals — 422 with the violations
(codes `person.<field>`), 403, 404, 409 when the `stamp` read with the person no longer matches.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from engine.errors import DomainError, refuse
from engine.evidence import parse_date
from services.organisation.directory import PARTY_STATUS_NAMES
from services.people import add_person, check_profile, compose, edit_person, lists, set_rights, writable_branches
from services.people.categories import split
from services.people.records import AlreadyAdded, load_person
from services.people.views import STATUS_FILTERS, people_page, person_page
from services.casework.user_commands import ForbiddenError
from storage.errors import ConcurrentModification
from web.errors import STALE_MESSAGE
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)])
PAGE = {"include_in_schema": False}  # the HTML pages; the /api routes below are in the OpenAPI document
CATEGORY_FIELDS = ("ethnicity", "education", "occupation")
TEXT_FIELDS = ("name", "gender", "birth_date", "phone", "tags_other",
               *CATEGORY_FIELDS, *(f"{f}_other" for f in CATEGORY_FIELDS))
# violation code → the form field it is shown next to
FIELD_OF = {"person.branch": "branch_id", "person.party_status": "party_status"}


def _field(code: str) -> str | None:
    if code in FIELD_OF:
        return FIELD_OF[code]
    head, _, rest = code.partition(".")
    return rest if head == "person" and rest else None


# ------------------------------------------------------------------ the form, shared with /candidates/new

def profile_from_form(form) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values, typed): the person's fields as the services take them (其他 joined with its note;
    tags a list) and what was typed, to fill the form again. The birth date stays text in `typed`;
    values["birth_date"] is a date or None, and typed["date_error"] says why when it could not be read."""
    typed: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in TEXT_FIELDS}
    typed["tags"] = [str(t).strip() for t in form.getlist("tags") if str(t).strip()]
    values: dict[str, Any] = {k: typed[k] for k in ("name", "gender", "phone")}
    for f in CATEGORY_FIELDS:
        values[f] = compose(typed[f], typed[f"{f}_other"])
    values["tags"] = [compose(t, typed["tags_other"]) for t in typed["tags"]]
    values["birth_date"], typed["date_error"] = None, ""
    try:
        values["birth_date"] = parse_date(typed["birth_date"]) if typed["birth_date"] else None
    except ValueError as e:
        typed["date_error"] = str(e)
    return values, typed


def profile_errors(pf, values: dict[str, Any], typed: dict[str, Any], on_record=None) -> dict[str, str]:
    """{field: message} for the person's fields (the service's checks), empty when all are good."""
    errors: dict[str, str] = {}
    try:
        check_profile(**values, today=pf.today(), on_record=on_record)
    except DomainError as e:
        for v in e.violations:
            key = _field(v.code)
            if key:
                errors.setdefault(key, v.message)
    if typed["date_error"]:
        errors["birth_date"] = typed["date_error"]
    return errors


def typed_of(row) -> dict[str, Any]:
    """A stored person as the form shows it."""
    typed: dict[str, Any] = {"name": row.name, "gender": row.gender, "birth_date": row.birth_date.isoformat(),
                             "phone": row.phone or "", "party_status": row.party_status,
                             "branch_id": "" if row.branch_id is None else str(row.branch_id)}
    for f in CATEGORY_FIELDS:
        typed[f], typed[f"{f}_other"] = split(getattr(row, f))
    typed["tags"], notes = [], []
    for t in row.tags or ():
        choice, note = split(t)
        typed["tags"].append(choice)
        notes += [note] if note else []
    typed["tags_other"] = "、".join(notes)
    return typed


# ------------------------------------------------------------------ the list

@router.get("/people", **PAGE)
def people_list(request: Request, status: str = "", q: str = "", page_no: int = Query(1, alias="page", ge=1, le=10**6),
                who=Depends(current_user)):
    pf = request.app.state.pf
    data = people_page(pf, who, status=status, q=q, page=page_no)
    return page(request, "people.html", {"title": "党员和群众", "d": data, "filters": STATUS_FILTERS,
                                         "can_add": bool(writable_branches(pf, who))}, who=who)


# ------------------------------------------------------------------ add

def _new_form(request, who, *, typed=None, errors=None, existing=None, status_code=200):
    pf = request.app.state.pf
    branches = writable_branches(pf, who)
    if not branches:
        raise ForbiddenError("你的角色只能查看人员，不能添加")
    if typed is None:
        typed = {"ethnicity": "汉族", "party_status": "full_member", "tags": [],
                 "branch_id": str(branches[0][0]) if len(branches) == 1 else ""}
    return page(request, "person_form.html", {
        "title": "添加党员或群众", "mode": "new", "typed": typed, "errors": errors or {}, "cats": lists(),
        "branches": branches, "statuses": PARTY_STATUS_NAMES, "on_record": {}, "legacy_tags": [],
        "existing": existing}, status_code=status_code, who=who)


@router.get("/people/new", **PAGE)
def person_new_form(request: Request, who=Depends(current_user)):
    return _new_form(request, who)


async def _with_form(request: Request, handler, *args):
    """Read the posted form, then run the (blocking) handler in a worker thread."""
    form = await request.form()
    return await run_in_threadpool(handler, request, *args, form)


@router.post("/people/new", **PAGE)
async def person_new(request: Request, who=Depends(current_user)):
    return await _with_form(request, _new_submit, who)


def _new_submit(request: Request, who, form):
    pf = request.app.state.pf
    if not writable_branches(pf, who):  # the county: 403 before any field is looked at
        raise ForbiddenError("你的角色只能查看人员，不能添加")
    values, typed = profile_from_form(form)
    typed["party_status"] = str(form.get("party_status", "")).strip()
    typed["branch_id"] = str(form.get("branch_id", "")).strip()
    errors = profile_errors(pf, values, typed)
    if typed["party_status"] not in PARTY_STATUS_NAMES:
        errors["party_status"] = "请选择政治面貌"
    if not typed["branch_id"].isdecimal():
        errors["branch_id"] = "请选择所在党支部"
    if errors:
        return _new_form(request, who, typed=typed, errors=errors, status_code=400)
    try:
        pid = add_person(pf, **values, party_status=typed["party_status"], branch=int(typed["branch_id"]), who=who)
    except AlreadyAdded as e:  # the form sent twice (Back and 保存 again): the record it made
        return _new_form(request, who, typed=typed, errors={"name": e.violations[0].message},
                         existing=f"/people/{e.person_id}", status_code=409)
    except DomainError as e:
        near = {}
        for v in e.violations:
            near.setdefault(_field(v.code) or "name", v.message)
        return _new_form(request, who, typed=typed, errors=near, status_code=422)
    flash(request, f"已添加：{values['name']}（{PARTY_STATUS_NAMES[typed['party_status']]}）")
    return RedirectResponse(f"/people?q={quote(values['name'])}#p{pid}", status_code=303)


# ------------------------------------------------------------------ one person: profile, edit, rights

def _person(request, who, person_id: int, *, typed=None, errors=None, stale=None, status_code=200):
    pf = request.app.state.pf
    ctx = person_page(pf, who, person_id)
    row = ctx["person"]
    return page(request, "person_form.html", {
        **ctx, "title": row.name, "mode": "edit", "typed": typed or typed_of(row), "errors": errors or {},
        "statuses": PARTY_STATUS_NAMES,
        "cats": lists(), "on_record": ctx["legacy"], "stale": stale}, status_code=status_code, who=who)


@router.get("/people/{person_id:int}", **PAGE)
def person_view(request: Request, person_id: int, who=Depends(current_user)):
    return _person(request, who, person_id)


@router.post("/people/{person_id:int}", **PAGE)
async def person_save(request: Request, person_id: int, who=Depends(current_user)):
    return await _with_form(request, _save, who, person_id)


def _save(request: Request, who, person_id: int, form):
    pf = request.app.state.pf
    row, _ = load_person(pf, who, person_id, write=True)  # the county (read only), foreign people: 403 first
    values, typed = profile_from_form(form)
    typed.update({k: str(form.get(k, "")).strip() for k in ("party_status", "branch_id")})
    errors = profile_errors(pf, values, typed, on_record=row)
    if typed["branch_id"] and not typed["branch_id"].isdecimal():
        errors["branch_id"] = "请选择所在党支部"
    if errors:
        return _person(request, who, person_id, typed=typed, errors=errors, status_code=400)
    try:
        lines = edit_person(pf, who, person_id, expected=str(form.get("stamp", "")), party_status=typed["party_status"],
                            branch_id=typed["branch_id"] or None, **values)
    except ConcurrentModification:
        return _person(request, who, person_id, typed=typed, stale=STALE_MESSAGE, status_code=409)
    except DomainError as e:
        near = {}
        for v in e.violations:
            near.setdefault(_field(v.code) or "name", v.message)
        return _person(request, who, person_id, typed=typed, errors=near, status_code=422)
    flash(request, ("已保存：" + "；".join(lines)) if lines else "没有改动")
    return RedirectResponse(f"/people/{person_id}", status_code=303)


@router.post("/people/{person_id:int}/rights", **PAGE)
async def person_rights(request: Request, person_id: int, who=Depends(current_user)):
    return await _with_form(request, _rights, who, person_id)


def _rights(request: Request, who, person_id: int, form):
    pf = request.app.state.pf
    load_person(pf, who, person_id, write=True)
    action = str(form.get("action", ""))
    reason = str(form.get("reason", "")).strip()
    if action not in ("suspend", "restore"):
        return _person(request, who, person_id, errors={"reason": "请选择留党察看或恢复党员权利"}, status_code=400)
    if not reason:
        return _person(request, who, person_id, errors={"reason": "请填写处分决定或恢复党员权利的依据"}, status_code=400)
    try:
        out = set_rights(pf, who, person_id, action == "suspend", reason=reason)
    except DomainError as e:
        return _person(request, who, person_id, errors={"reason": "；".join(v.message for v in e.violations)},
                       status_code=422)
    flash(request, f"已记录：{out['name']}" + ("留党察看（党员权利停止），不能担任培养联系人、入党介绍人" if out["rights_suspended"]
                                          else "恢复党员权利"))
    return RedirectResponse(f"/people/{person_id}", status_code=303)


# ------------------------------------------------------------------ JSON

class PersonIn(BaseModel):
    name: str = Field(description="姓名（不超过 40 字）")
    gender: str = Field(description="性别：男 或 女")
    birth_date: str = Field(description="出生日期，如 1980-05-01")
    ethnicity: str | None = Field(default="汉族", description="民族：56个民族之一，或“其他（说明）”")
    education: str | None = Field(default=None, description="学历：统计类别之一，或“其他（说明）”")
    occupation: str | None = Field(default=None, description="职业：统计类别之一，或“其他（说明）”")
    tags: list[str] = Field(default_factory=list, description="类别：统计类别，或“其他（说明）”")
    phone: str | None = Field(default=None, description="联系电话：11位手机号或带区号的固定电话")


class NewPersonIn(PersonIn):
    party_status: str = Field(default="full_member", description="政治面貌：full_member 正式党员 | probationary 预备党员 | none 群众")
    branch_id: int = Field(description="所在党支部的编号")


class EditIn(PersonIn):
    stamp: str = Field(description="读取人员时得到的 stamp；不同则 409 已被他人修改")
    party_status: str | None = Field(default=None, description="政治面貌（仅限没有入党申请、手工添加的人员；不填则不变）")
    branch_id: int | None = Field(default=None, description="所在党支部编号（同上；不填则不变）")


class RightsIn(BaseModel):
    suspended: bool = Field(description="true 记录留党察看或停止党员权利；false 记录恢复党员权利")
    reason: str = Field(description="处分决定或恢复的依据")


def _values(body: PersonIn) -> dict[str, Any]:
    try:
        born = parse_date(body.birth_date)
    except ValueError as e:
        raise refuse("person.birth_date", f"出生日期：{e}") from None
    return {**body.model_dump(include=set(PersonIn.model_fields)), "birth_date": born}


def person_json(pf, who, person_id: int) -> dict[str, Any]:
    ctx = person_page(pf, who, person_id)
    row = ctx["person"]
    return {"id": row.id, "name": row.name, "gender": row.gender, "birth_date": row.birth_date.isoformat(),
            "ethnicity": row.ethnicity, "education": row.education, "occupation": row.occupation,
            "tags": list(row.tags or []), "phone": row.phone, "party_status": row.party_status,
            "party_status_name": ctx["status_name"], "rights_suspended": bool(row.rights_suspended),
            "branch_id": ctx["branch_id"], "branch_name": ctx["branch"], "writable": ctx["writable"],
            "stamp": ctx["stamp"], "candidacies": [{k: str(v) if k == "applied_on" else v for k, v in c.items()}
                                                   for c in ctx["candidacies"]]}


@router.get("/api/people", summary="党员和群众（本组织的；可按政治面貌、姓名筛选，每页 50 人）", tags=["partyflow"])
def api_people(request: Request, status: str = "", q: str = "", page_no: int = Query(1, alias="page", ge=1, le=10**6),
               who=Depends(current_user)):
    return JSONResponse(people_page(request.app.state.pf, who, status=status, q=q, page=page_no))


@router.get("/api/people/{person_id}", summary="一名党员或群众：信息、入党申请、stamp", tags=["partyflow"])
def api_person(request: Request, person_id: int, who=Depends(current_user)):
    return JSONResponse(person_json(request.app.state.pf, who, person_id))


@router.post("/api/people", summary="添加党员或群众（民族、学历、职业、类别取自统计类别）", tags=["partyflow"])
def api_add_person(request: Request, body: NewPersonIn, who=Depends(current_user)):
    pf = request.app.state.pf
    if not writable_branches(pf, who):
        raise ForbiddenError("你的角色只能查看人员，不能添加")
    pid = add_person(pf, **_values(body), party_status=body.party_status, branch=body.branch_id, who=who)
    return {"ok": True, "id": pid, "name": body.name.strip()}


@router.post("/api/people/{person_id}", summary="修改一名党员或群众的信息（留痕：原值 → 新值）", tags=["partyflow"])
def api_edit_person(request: Request, person_id: int, body: EditIn, who=Depends(current_user)):
    pf = request.app.state.pf
    load_person(pf, who, person_id, write=True)
    changes = edit_person(pf, who, person_id, expected=body.stamp, party_status=body.party_status,
                          branch_id=body.branch_id, **_values(body))
    return {"ok": True, "changes": changes, "person": person_json(pf, who, person_id)}


@router.post("/api/people/{person_id}/rights", summary="留党察看或停止党员权利 / 恢复党员权利", tags=["partyflow"])
def api_person_rights(request: Request, person_id: int, body: RightsIn, who=Depends(current_user)):
    return set_rights(request.app.state.pf, who, person_id, body.suspended, reason=body.reason)
