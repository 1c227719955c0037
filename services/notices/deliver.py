"""Delivering in-app notices: an `inapp` outbox row becomes one `notice` row for one user.

The dispatcher hands every claimed group of in-app rows (one user's) to `deliver_group`. Unlike
email or a webhook, the delivery is a write to the same database, so it happens in the
transaction that marks the rows sent: either both happen or neither does. A dispatcher killed
before the commit leaves the rows claimed until the lease runs out, and the next dispatcher
delivers them; one whose lease was taken over finds `renew` false and leaves them alone; and the
notice's key (the outbox row's, UNIQUE) makes a second delivery of the same row insert nothing.
In-app notices are therefore delivered exactly once per item and person.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from services.app import App
from storage.repositories import OutboxRow

INAPP = "inapp"
ADDRESS_PREFIX = "user:"


def address_of(user_id: int) -> str:
    """The outbox address of a web user's inbox."""
    return f"{ADDRESS_PREFIX}{user_id}"


def user_of(address: str) -> int | None:
    rest = address[len(ADDRESS_PREFIX):] if address.startswith(ADDRESS_PREFIX) else ""
    return int(rest) if rest.isdecimal() else None


def default_link(row: OutboxRow) -> str | None:
    """Where a scan notice leads: the candidate's page (both sides may open it)."""
    return f"/candidates/{row.candidate_id}" if row.candidate_id else None


def render(renderer, row: OutboxRow) -> tuple[str, str, str | None]:
    """(title, body, link) of one in-app row: given by the caller (`notify`), or the kind's template."""
    p = row.payload
    if "title" in p:
        return str(p["title"]), str(p.get("body") or ""), p.get("link")
    org = p.get("org_name") or p.get("branch", "")
    title, body = renderer.render(row.kind, item=p, org_name=org, recipient_name=row.recipient_name,
                                  as_of=row.created_on.isoformat())
    return title, body, p.get("link") or default_link(row)


def inapp_previews(renderer, group: list[OutboxRow]) -> list[dict[str, Any]]:
    """What a dry run shows for one user's in-app rows: one notice each."""
    out = []
    for r in group:
        title, body, _ = render(renderer, r)
        out.append({"channel": INAPP, "recipient": r.recipient_name, "subject": title, "body": body, "rows": [r.id]})
    return out


def deliver_group(app: App, renderer, group: list[OutboxRow], worker: str, now: datetime,
                  lease_until: datetime, report) -> None:
    """Write one notice per row and mark the rows sent, in one transaction (see the module doc).

    A row whose template cannot render, or whose user no longer exists, is a dead letter at once
    (retrying cannot help). Updates `report` (sent / dead / skipped) like a channel's send does.
    """
    ids = [r.id for r in group]
    notices, broken = [], {}
    for r in group:
        user_id = user_of(r.address)
        if user_id is None:
            broken[r.id] = f"站内通知的接收人无效：{r.recipient_name}"
            continue
        try:
            title, body, link = render(renderer, r)
        except Exception as e:  # a broken (overridden) template
            broken[r.id] = f"提醒模板无法生成站内通知：{e}"
            continue
        notices.append({"key": r.key, "user_id": user_id, "kind": r.kind, "title": title[:300], "body": body,
                        "link": link, "org_id": r.org_id, "candidate_id": r.candidate_id, "created_at": r.created_at,
                        "_row": r.id})
    with app.uow() as uow:
        if not uow.outbox.renew(ids, worker, lease_until):  # taken over meanwhile: theirs now
            report.skipped += len(ids)
            return
        known = uow.notices.existing_users(n["user_id"] for n in notices)
        for n in notices:
            if n["user_id"] not in known:
                broken[n["_row"]] = "站内通知的接收人账号已不存在"
        good = [n for n in notices if n["_row"] not in broken]
        handled = uow.notices.handled_at([n["_row"] for n in good])  # settled before it arrived: read
        for n in good:
            n["read_at"] = handled.get(n["_row"])
        uow.notices.deliver([{k: v for k, v in n.items() if k != "_row"} for n in good])
        for error in set(broken.values()):
            dead = [i for i, e in broken.items() if e == error]
            report.dead += uow.outbox.mark_failed(dead, worker, error, now, dead=True)["dead"]
        report.sent += uow.outbox.mark_sent([n["_row"] for n in good], worker, now)
