"""The delivery log (发送记录): outbox rows of the organisations a user sees, newest first, with
their state in words — 待发送, 发送失败·等待重试 (attempts and the last error), 已发送 (after how
many failed tries), 已停止重试 — filtered by state and organisation, a page at a time. Those who
may change the contacts may also put stopped rows back in the queue (after fixing an address).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.accounts.access import Principal
from services.app import SHANGHAI, App
from services.contacts.manage import webhook_shown
from services.contacts.scope import ordered, reach
from services.notices.inbox import KIND_NAMES
from services.casework.user_commands import ForbiddenError, NotFoundError
from storage.repositories import OutboxRow

STATES = {"pending": "待发送", "retrying": "发送失败，等待重试", "sent": "已发送", "retried": "重试后已发送",
          "dead": "已停止重试"}
CHANNEL_NAMES = {"email": "电子邮件", "webhook": "短信/群机器人", "console": "系统日志（未登记联系方式）", "inapp": "站内通知"}
PER_PAGE = 20


def _time(ts: datetime | None) -> str:
    return ts.replace(tzinfo=UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if ts else ""


def state_of(r: OutboxRow) -> str:
    if r.status == "pending":
        return "retrying" if r.attempts else "pending"
    if r.status == "sent":
        return "retried" if r.attempts else "sent"
    return r.status


def _where(r: OutboxRow) -> str:
    if r.channel == "email":
        return r.address
    if r.channel == "webhook":
        return webhook_shown(r.address) if r.address.startswith(("http://", "https://")) else r.address
    return ""


def _what(r: OutboxRow) -> str:
    p = r.payload or {}
    if "title" in p:
        return str(p["title"])
    if r.kind == "report":
        return f"{p.get('org_name', '')} 半年工作报告".strip()
    if p.get("candidate_name"):
        return f"{p['candidate_name']} 第{p.get('step_number', '')}步“{p.get('step_name', '')}”，期限 {p.get('due_on', '')}"
    return KIND_NAMES.get(r.kind, "通知")


def _view(r: OutboxRow, orgs) -> dict[str, Any]:
    state = state_of(r)
    org = orgs.get(r.org_id)
    return {"id": r.id, "state": state, "state_name": STATES[state], "kind_name": KIND_NAMES.get(r.kind, "通知"),
            "channel_name": CHANNEL_NAMES.get(r.channel, "其他方式"), "recipient": r.recipient_name,
            "where": _where(r), "org_name": org.name if org else "", "what": _what(r),
            "created_at": _time(r.created_at), "sent_at": _time(r.sent_at), "attempts": r.attempts,
            "next_attempt_at": _time(r.next_attempt_at) if state == "retrying" else "",
            "last_error": r.last_error or "", "candidate_id": r.candidate_id}


def delivery_log(app: App, who: Principal, state: str | None = None, org_id: int | None = None,
                 page: int = 1) -> dict[str, Any]:
    """One page of the log; `state` one of STATES (None: all); `org_id` a township (with its
    branches) or a branch the user sees. Unknown filters: NotFoundError; foreign org: ForbiddenError."""
    if state is not None and state not in STATES:
        raise NotFoundError("没有这种发送状态")
    page = max(1, page)
    with app.uow(read_only=True) as uow:
        r = reach(uow, who)
        if org_id is not None:
            org = r.orgs.get(org_id)
            if org is None:
                raise NotFoundError("找不到这个组织")
            if not r.sees(org_id):
                raise ForbiddenError(f"无权查看“{org.name}”的发送记录")
            scope = {org_id} | {o for o in r.seen if r.orgs[o].parent_id == org_id}
        else:
            scope = None if who.is_admin else set(r.seen)
        total = uow.outbox.log_count(state, scope)
        rows = uow.outbox.log_page(state, scope, PER_PAGE, (page - 1) * PER_PAGE)
        counts = {s: uow.outbox.log_count(s, scope) for s in STATES}
    return {"items": [_view(x, r.orgs) for x in rows], "total": total, "page": page,
            "pages": max(1, -(-total // PER_PAGE)), "state": state, "org_id": org_id, "states": STATES,
            "counts": counts, "orgs": [{"id": o.id, "name": o.name} for o in ordered(r, r.seen)],
            "can_retry": bool(r.editable)}


def retry(app: App, who: Principal, ids: list[int]) -> int:
    """Put stopped rows (of organisations the user may change) back in the queue; returns how many."""
    with app.uow() as uow:
        r = reach(uow, who)
        if not r.editable:
            raise ForbiddenError("无权重新发送：由乡镇党委组织委员或管理员操作")
        return uow.outbox.retry_in(ids, None if who.is_admin else r.editable, app.utcnow())
