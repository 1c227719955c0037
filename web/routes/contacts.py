"""Reminder contacts (提醒联系人) and the delivery log (发送记录).

Who (services/contacts/scope.py): everyone sees the contacts and deliveries of the branches and
townships they read; the township officer (its township and branches) and the administrator add,
edit and remove contacts and put stopped deliveries back in the queue; others are read only
(403 on a change). A bad field is 400 with the message next to it; an unknown contact 404.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse

from engine.errors import DomainError
from services import contacts as svc
from services.casework.user_commands import NotFoundError
from web.render import page
from web.security import check_csrf, current_user, flash

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
_FIELD_OF = {"contact.name": "name", "contact.email": "email", "contact.webhook": "webhook", "contact.org": "org_id"}
_FIELDS = ("org_id", "name", "email", "webhook")


def _int(value: str | None, what: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdecimal() or len(value) > 9:
        raise NotFoundError(f"找不到{what}")
    return int(value)


def _errors(e: DomainError) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in e.violations:
        out.setdefault(_FIELD_OF.get(v.code, "name"), v.message)
    return out


def _list(request: Request, who, typed=None, errors=None, status_code=200):
    data = svc.contacts_page(request.app.state.pf, who)
    return page(request, "contacts.html", {"title": "提醒联系人", **data, "typed": typed or {}, "errors": errors or {}},
                status_code=status_code, who=who)


@router.get("/contacts")
def contacts_list(request: Request, who=Depends(current_user)):
    return _list(request, who)


@router.post("/contacts")
async def contacts_add(request: Request, who=Depends(current_user)):
    form = await request.form()
    typed = {k: str(form.get(k, "")).strip() for k in _FIELDS}
    org_id = int(typed["org_id"]) if typed["org_id"].isdecimal() and len(typed["org_id"]) < 10 else 0
    try:
        c = svc.add(request.app.state.pf, who, org_id, typed["name"], typed["email"], typed["webhook"])
    except DomainError as e:
        return _list(request, who, typed, _errors(e), status_code=400)
    flash(request, f"已登记{c['org_name']}的提醒接收人：{c['name']}")
    return RedirectResponse("/contacts", status_code=303)


def _edit_page(request: Request, who, contact: dict, typed=None, errors=None, status_code=200):
    return page(request, "contact_edit.html", {"title": "修改提醒接收人", "c": contact, "typed": typed or contact,
                                               "errors": errors or {}}, status_code=status_code, who=who)


@router.get("/contacts/{contact_id:int}/edit")
def contact_edit_form(request: Request, contact_id: int, who=Depends(current_user)):
    return _edit_page(request, who, svc.get(request.app.state.pf, who, contact_id, change=True))


@router.post("/contacts/{contact_id:int}/edit")
async def contact_edit(request: Request, contact_id: int, who=Depends(current_user)):
    pf = request.app.state.pf
    contact = svc.get(pf, who, contact_id, change=True)
    form = await request.form()
    typed = {k: str(form.get(k, "")).strip() for k in ("name", "email", "webhook")}
    try:
        c = svc.edit(pf, who, contact_id, typed["name"], typed["email"], typed["webhook"])
    except DomainError as e:
        return _edit_page(request, who, contact, typed, _errors(e), status_code=400)
    flash(request, f"已修改{c['org_name']}的提醒接收人：{c['name']}")
    return RedirectResponse("/contacts", status_code=303)


@router.get("/contacts/{contact_id:int}/remove")
def contact_remove_form(request: Request, contact_id: int, who=Depends(current_user)):
    c = svc.get(request.app.state.pf, who, contact_id, change=True)
    return page(request, "contact_remove.html", {"title": "删除提醒接收人", "c": c}, who=who)


@router.post("/contacts/{contact_id:int}/remove")
def contact_remove(request: Request, contact_id: int, who=Depends(current_user)):
    c = svc.remove(request.app.state.pf, who, contact_id)
    flash(request, f"已删除{c['org_name']}的提醒接收人：{c['name']}（今后的提醒不再发给此人）")
    return RedirectResponse("/contacts", status_code=303)


@router.get("/contacts/log")
def delivery_log(request: Request, state: str | None = None, org: str | None = None,
                 page_no: int = Query(1, alias="page", ge=1, le=100_000), who=Depends(current_user)):
    state = (state or "").strip() or None
    log = svc.delivery_log(request.app.state.pf, who, state, _int(org, "这个组织"), page_no)
    return page(request, "deliveries.html", {"title": "发送记录", "log": log}, who=who)


@router.post("/contacts/log/retry")
async def delivery_retry(request: Request, who=Depends(current_user)):
    form = await request.form()
    ids = [int(v) for v in form.getlist("id") if str(v).isdecimal() and len(str(v)) < 12]
    n = svc.retry(request.app.state.pf, who, ids)
    flash(request, f"已重新排队 {n} 条，稍后自动发送" if n else "没有可以重新发送的记录", "ok" if n else "warn")
    back = str(form.get("back", ""))
    return RedirectResponse(back if back.startswith("/contacts/log") else "/contacts/log", status_code=303)
