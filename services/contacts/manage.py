"""Reminder contacts in the web: the list by organisation, add, edit, remove (one transaction each).

The checks are the CLI's (`partyflow contact add`, services/organisation/directory.py): a 党支部书记 on a branch,
a 乡镇党委组织委员 on a township (the role follows the organisation's level), a name, an address
that looks like one, a webhook that is an http(s) URL. A refusal is a DomainError whose code
names the field (contact.name, contact.email, contact.webhook, contact.org).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from engine.errors import refuse
from services.accounts.access import Principal
from services.app import App
from services.integrity.audit_log import record_in
from services.contacts.scope import Reach, ordered, reach
from services.organisation.directory import LEVEL_NAMES, ROLE_NAMES, _http_url, _plausible_email
from services.casework.user_commands import ForbiddenError, NotFoundError
from storage.repositories import ContactRow

ROLE_OF_LEVEL = {"branch": "branch_secretary", "township": "township_officer"}
MAX_NAME, MAX_EMAIL, MAX_URL = 100, 254, 500


def webhook_shown(url: str | None) -> str:
    """A webhook as the page shows it: its host only (robot tokens stay out of sight)."""
    if not url:
        return ""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return f"{host} 的接收地址" if host else "已设置"


def _view(c: ContactRow, r: Reach) -> dict[str, Any]:
    return {"id": c.id, "org_id": c.org_id, "org_name": r.orgs[c.org_id].name, "role": c.role,
            "role_name": ROLE_NAMES.get(c.role, "提醒接收人"), "name": c.name, "email": c.email or "",
            "webhook": c.webhook_url or "", "webhook_shown": webhook_shown(c.webhook_url),
            "editable": r.edits(c.org_id)}


def contacts_page(app: App, who: Principal) -> dict[str, Any]:
    """{orgs: [{id, name, level_name, role_name, editable, contacts: [...]}], can_edit, editable_orgs}."""
    with app.uow(read_only=True) as uow:
        r = reach(uow, who)
        rows = uow.contacts.in_orgs(None if who.is_admin else r.seen)
    by_org: dict[int, list[dict]] = {}
    for c in rows:
        if r.sees(c.org_id):
            by_org.setdefault(c.org_id, []).append(_view(c, r))
    orgs = [{"id": o.id, "name": o.name, "level": o.level, "level_name": LEVEL_NAMES[o.level],
             "role_name": ROLE_NAMES[ROLE_OF_LEVEL[o.level]], "editable": r.edits(o.id),
             "contacts": by_org.get(o.id, [])} for o in ordered(r, r.seen)]
    editable = [{"id": o["id"], "name": o["name"], "role_name": o["role_name"]} for o in orgs if o["editable"]]
    return {"orgs": orgs, "can_edit": bool(editable), "editable_orgs": editable}


def _checked(name: str, email: str, webhook: str) -> tuple[str, str | None, str | None]:
    name, email, webhook = (name or "").strip(), (email or "").strip() or None, (webhook or "").strip() or None
    if not name:
        raise refuse("contact.name", "请填写提醒接收人的姓名")
    if len(name) > MAX_NAME:
        raise refuse("contact.name", f"姓名不能超过 {MAX_NAME} 个字")
    if email is not None and (len(email) > MAX_EMAIL or not _plausible_email(email)):
        raise refuse("contact.email", "电子邮箱格式不对，应形如 name@example.com")
    if webhook is not None and (len(webhook) > MAX_URL or not _http_url(webhook)):
        raise refuse("contact.webhook", "接收地址无效，应以 http:// 或 https:// 开头（短信网关、企业微信或钉钉机器人的地址）")
    if webhook is not None:
        check_webhook_host(webhook)
    return name, email, webhook


def check_webhook_host(url: str) -> None:
    """The address policy of notifications/channels/address_policy.py on the host as typed (the
    scheduler checks again the address it connects to)."""
    from urllib.parse import urlsplit

    from notifications.channels.address_policy import BadAllowList, host_refusal

    try:
        why = host_refusal(urlsplit(url).hostname or "")
    except BadAllowList as exc:
        raise refuse("contact.webhook", str(exc)) from None
    if why:
        raise refuse("contact.webhook", f"接收地址{why}，不能登记：提醒只发往外部的短信网关或群机器人")


def _editable_org(r: Reach, org_id: int):
    org = r.orgs.get(org_id)
    if org is None:
        raise refuse("contact.org", "请选择组织")
    if org.level not in ROLE_OF_LEVEL:
        raise refuse("contact.org", f"提醒接收人登记在党支部或乡镇党委，“{org.name}”是{LEVEL_NAMES.get(org.level, '其他组织')}")
    if not r.edits(org.id):
        raise ForbiddenError(f"无权登记“{org.name}”的提醒接收人：由乡镇党委组织委员或管理员登记")
    return org


def add(app: App, who: Principal, org_id: int, name: str, email: str = "", webhook: str = "") -> dict[str, Any]:
    with app.uow() as uow:
        r = reach(uow, who)
        if not r.editable:
            raise ForbiddenError("无权登记提醒接收人：由乡镇党委组织委员或管理员登记")
        org = _editable_org(r, org_id)
        name, email_, webhook_ = _checked(name, email, webhook)
        role = ROLE_OF_LEVEL[org.level]
        if any(c.active and (c.name, c.email, c.webhook_url) == (name, email_, webhook_) for c in uow.contacts.list(org.id)):
            # the form sent twice (Back and 登记 again): one contact, not two of every reminder
            raise refuse("contact.duplicate", f"{name}已登记为{org.name}的提醒接收人（同样的邮箱和接收地址），这次没有重复登记")
        cid = uow.contacts.add(org.id, role, name, email=email_, webhook_url=webhook_)
        record_in(uow, app, user_id=who.user_id, username=who.username, action="contact.add",
                  target_kind="contact", target_id=cid, detail={"org_id": org.id, "role": role, "name": name})
        return _view(uow.contacts.get(cid), r)


def _own(uow, who: Principal, contact_id: int, *, change: bool) -> tuple[ContactRow, Reach]:
    r = reach(uow, who)
    c = uow.contacts.get(contact_id) if 0 < contact_id < 2**31 else None
    if c is None or c.org_id not in r.orgs:
        raise NotFoundError("找不到这个提醒接收人")
    if not r.sees(c.org_id):
        raise ForbiddenError("无权查看其他组织的提醒接收人")
    if change and not r.edits(c.org_id):
        raise ForbiddenError(f"无权修改“{r.orgs[c.org_id].name}”的提醒接收人：由乡镇党委组织委员或管理员修改")
    return c, r


def get(app: App, who: Principal, contact_id: int, *, change: bool = False) -> dict[str, Any]:
    with app.uow(read_only=True) as uow:
        c, r = _own(uow, who, contact_id, change=change)
        return _view(c, r)


def edit(app: App, who: Principal, contact_id: int, name: str, email: str = "", webhook: str = "") -> dict[str, Any]:
    name, email_, webhook_ = _checked(name, email, webhook)
    with app.uow() as uow:
        c, r = _own(uow, who, contact_id, change=True)
        uow.contacts.update(c.id, name, email_, webhook_)
        record_in(uow, app, user_id=who.user_id, username=who.username, action="contact.edit",
                  target_kind="contact", target_id=c.id, detail={"org_id": c.org_id, "name": name})
        return _view(uow.contacts.get(c.id), r)


def remove(app: App, who: Principal, contact_id: int) -> dict[str, Any]:
    with app.uow() as uow:
        c, r = _own(uow, who, contact_id, change=True)
        uow.contacts.remove(c.id)
        record_in(uow, app, user_id=who.user_id, username=who.username, action="contact.remove",
                  target_kind="contact", target_id=c.id, detail={"org_id": c.org_id, "name": c.name})
        return _view(c, r)
