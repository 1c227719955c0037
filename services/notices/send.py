"""Enqueueing in-app notices: who receives an organisation's notices, and `notify` for the review loop.

Recipients are the web users holding a role at the organisation concerned: on the branch side the
branch's secretaries and committee members, on the township side the township's officers. Rows go
to the same outbox as email and webhooks (channel `inapp`, address `user:<id>`), in the caller's
transaction, keyed so that each notice exists once per item and person.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from services.app import SHANGHAI, naive_utc
from services.notices.deliver import INAPP, address_of
from storage.repositories.notices import Recipient
from storage.tables import NOTICE_KINDS
from storage.unit_of_work import UnitOfWork

SIDE_ROLES = {"branch": ("branch_secretary", "branch_committee"), "township": ("township_officer",)}
Side = Literal["branch", "township"]


def side_org(uow: UnitOfWork, org_id: int, side: str) -> int | None:
    """The organisation whose users are `side` for `org_id`: the branch itself, or its township
    (a township's own id on the township side). None when there is none (an unknown org)."""
    if side not in SIDE_ROLES:
        raise ValueError(f"side must be 'branch' or 'township', not {side!r}")
    org = uow.orgs.get(org_id)
    if org is None:
        return None
    if side == "branch":
        if org.level != "branch":
            raise ValueError(f"organisation {org_id} is not a branch")
        return org.id
    return org.id if org.level == "township" else org.parent_id


def recipients(uow: UnitOfWork, org_id: int, side: str) -> list[Recipient]:
    """The active users who receive `side`'s notices about `org_id` (see `side_org`)."""
    target = side_org(uow, org_id, side)
    if target is None:
        return []
    return uow.notices.recipients([target], SIDE_ROLES[side])[target]


def scan_recipients(uow: UnitOfWork, branch_ids, township_ids) -> dict[str, dict[int, list[Recipient]]]:
    """For the daily scan, in two queries: {"branch": {branch_id: users}, "township": {township_id: users}}."""
    return {"branch": uow.notices.recipients(branch_ids, SIDE_ROLES["branch"]),
            "township": uow.notices.recipients(township_ids, SIDE_ROLES["township"])}


def inapp_targets(users: list[Recipient]) -> list[tuple[str, str, str]]:
    """(channel, address, name) of each user's inbox: the scan adds these beside the contacts'."""
    return [(INAPP, address_of(u.user_id), u.display_name) for u in users]


def notify(uow: UnitOfWork, *, org_id: int, side: Side, kind: str, title: str, body: str, link: str | None,
           key: str, now: datetime, candidate_id: int | None = None, step: str | None = None) -> int:
    """Enqueue an in-app notice for every user on `side` of `org_id`, in the caller's unit of work
    (it commits, or rolls back, with the caller's event). Returns how many rows were new.

    - `org_id`: the branch concerned (a township on the township side is accepted too);
    - `side`: "branch" → the branch's secretaries and committee members; "township" → the
      officers of the branch's township;
    - `kind`: one of storage.tables.NOTICE_KINDS — for the review loop "submitted" (报送, to the
      township), "returned" (退回), "approved" (审批通过), "refused" (审批不通过) (to the branch);
    - `title`, `body`: Chinese text as shown (`review_text` renders them from the templates);
    - `link`: a local path the notice opens, e.g. "/candidates/12";
    - `key`: names the source item, e.g. "return:12:7" (candidate 12, event seq 7): the same key
      again creates nothing (per person), so a retried use case cannot notify twice;
    - `now`: the caller's clock (aware, or naive UTC);
    - `candidate_id`, `step`: the item, so that `settle` can mark its notices handled.
    The notice reaches the inbox at the next dispatch, or when the user next opens a page
    (`deliver_now`).
    """
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    if link is not None and not link.startswith("/"):
        raise ValueError("link must be a local path such as /candidates/12")
    stamp = naive_utc(now)
    day = stamp.replace(tzinfo=UTC).astimezone(SHANGHAI).date()
    target = side_org(uow, org_id, side)
    if target is None:
        return 0
    payload: dict[str, Any] = {"title": title, "body": body, "link": link, "kind": kind}
    rows = []
    for u in uow.notices.recipients([target], SIDE_ROLES[side])[target]:
        address = address_of(u.user_id)
        rows.append({"key": f"{kind}:{key}:{INAPP}:{address}"[:400], "kind": kind, "candidate_id": candidate_id,
                     "step": step, "due_on": None, "created_on": day, "channel": INAPP, "address": address,
                     "recipient_name": u.display_name, "org_id": target, "payload": payload,
                     "status": "pending", "attempts": 0, "next_attempt_at": stamp, "created_at": stamp})
    return uow.outbox.add_many(rows)


def settle(uow: UnitOfWork, *, candidate_id: int, kind: str, step: str, now: datetime) -> int:
    """Mark the review notices of `kind` about a candidate's step handled for every recipient, in
    the caller's unit of work (the handling's own transaction): a 报送 ("submitted") once the
    township approves or returns the step, a 退回 ("returned") once the branch submits it again.
    A copy not delivered yet arrives read. Returns how many delivered notices were marked."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    return uow.notices.mark_handled(candidate_id, kind, step, naive_utc(now))
