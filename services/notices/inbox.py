"""A user's inbox: the bell's count, the list, opening (marks read) and "全部标为已读".

Only a user's own notices: another user's notice is "not found" (its existence is not revealed).
Before counting, the user's pending in-app rows are delivered on the spot (one indexed look-up
when there are none), so a notice reaches the bell with the next page even where no scheduler
runs; the delivery is the dispatcher's own, with its claim and the notice's unique key.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.app import SHANGHAI, App
from services.notices.deliver import INAPP, address_of
from services.notices.texts import renderer
from services.casework.user_commands import NotFoundError
from storage.repositories.notices import NoticeRow

log = logging.getLogger("partyflow.notices")

KIND_NAMES = {"reminder": "到期提醒", "overdue": "逾期提醒", "escalation": "逾期督办", "report": "半年报告",
              "submitted": "报送审批", "returned": "被退回", "approved": "审批通过", "refused": "审批未通过"}
PER_PAGE = 20


def _deliver(app: App, user_id: int) -> int:
    """A dispatch round narrowed to the user's inbox; never raises (the bell must not break a page)."""
    from services.notices.dispatch import dispatch_once

    try:
        return dispatch_once(app, {}, renderer(), channel=INAPP, address=address_of(user_id)).sent
    except Exception:  # a locked database, a broken template override: the dispatcher will retry
        log.exception("in-app delivery on demand failed")
        return 0


def deliver_now(app: App, user_id: int) -> int:
    """Deliver the user's due in-app rows now; returns how many were delivered."""
    with app.uow(read_only=True) as uow:
        due = uow.outbox.has_pending(INAPP, address_of(user_id), app.utcnow())
    return _deliver(app, user_id) if due else 0


def unread_count(app: App, user_id: int) -> int:
    """The bell's count: one read (an index seek for due rows, a COUNT on the unread index), and
    a delivery first only when the user has rows due."""
    with app.uow(read_only=True) as uow:
        due = uow.outbox.has_pending(INAPP, address_of(user_id), app.utcnow())
        count = uow.notices.unread_count(user_id)
    if due and _deliver(app, user_id):
        with app.uow(read_only=True) as uow:
            count = uow.notices.unread_count(user_id)
    return count


def beijing(ts: datetime) -> str:
    """A stored naive-UTC time as Beijing time, to the minute."""
    return ts.replace(tzinfo=UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _kind_name(n: NoticeRow) -> str:
    if n.kind == "approved" and n.title.startswith("【已备案】"):  # a filing's notice (approved.j2): not 审批
        return "已备案"
    return KIND_NAMES.get(n.kind, "通知")


def view(n: NoticeRow) -> dict:
    return {"id": n.id, "kind": n.kind, "kind_name": _kind_name(n), "title": n.title,
            "body": n.body, "link": n.link, "created_at": beijing(n.created_at), "read": n.read_at is not None,
            "read_at": beijing(n.read_at) if n.read_at else None}


def inbox(app: App, user_id: int, page: int = 1, per_page: int = PER_PAGE) -> dict:
    """One page of the user's notices, newest first, with the unread count and paging."""
    deliver_now(app, user_id)
    page = max(1, page)
    with app.uow(read_only=True) as uow:
        total = uow.notices.count(user_id)
        unread = uow.notices.unread_count(user_id)
        rows = uow.notices.page(user_id, per_page, (page - 1) * per_page)
    pages = max(1, -(-total // per_page))
    return {"items": [view(n) for n in rows], "unread": unread, "total": total, "page": page, "pages": pages}


def _own(uow, user_id: int, notice_id: int) -> NoticeRow:
    n = uow.notices.get(notice_id)
    if n is None or n.user_id != user_id:
        raise NotFoundError("找不到这条通知")
    return n


def mark_read(app: App, user_id: int, notice_id: int) -> dict:
    """Mark one of the user's notices read (again is harmless); returns it."""
    with app.uow() as uow:
        _own(uow, user_id, notice_id)
        uow.notices.mark_read(user_id, notice_id, app.utcnow())
        return view(_own(uow, user_id, notice_id))


def open_notice(app: App, who, notice_id: int) -> tuple[dict, str | None]:
    """Open one of the user's notices: mark it read; returns (the notice, why its candidate can no
    longer be shown — transferred out of the user's branches — or None). A link the user may no
    longer follow is not followed: the inbox says why instead of a bare 无权查看."""
    from services.casework.user_commands import moved_out

    n = mark_read(app, who.user_id, notice_id)
    with app.uow(read_only=True) as uow:
        own = _own(uow, who.user_id, notice_id)
        row = uow.candidates.get(own.candidate_id) if own.candidate_id else None
    if row is None:
        return n, None
    branch = row.state.get("branch_id") or row.branch_id
    if who.can_read(branch):
        return n, None
    return n, moved_out(app, who, row) or "这条通知所涉及的候选人已不在你的查看范围内"


def mark_all_read(app: App, user_id: int) -> int:
    with app.uow() as uow:
        return uow.notices.mark_read(user_id, None, app.utcnow())
