"""In-app notices (站内通知): a web user's inbox, written by the dispatcher from `inapp` outbox rows.

`deliver` inserts with ON CONFLICT (key) DO NOTHING: the key is the outbox row's, so one row
delivered twice (a lost lease, a retried round) still makes one notice. The unread count reads
the partial index of unread rows only.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from ..tables import app_user, notice, outbox, user_role
from .base import Repository
from .on_conflict import insert_ignore

_n, _u, _r, _o = notice.c, app_user.c, user_role.c, outbox.c
HANDLED = "handled_at"  # an in-app outbox row's payload: its item was handled before it was delivered
_COLS = (_n.id, _n.key, _n.user_id, _n.kind, _n.title, _n.body, _n.link, _n.org_id, _n.candidate_id, _n.created_at,
         _n.read_at)


@dataclass(frozen=True, slots=True)
class NoticeRow:
    id: int
    key: str
    user_id: int
    kind: str
    title: str
    body: str
    link: str | None
    org_id: int | None
    candidate_id: int | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class Recipient:
    """A web user who receives an organisation's in-app notices."""

    user_id: int
    display_name: str
    org_id: int


class NoticeRepo(Repository):
    __slots__ = ()

    def deliver(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert notices whose key is new; returns how many were new."""
        if not rows:
            return 0
        return len(self.conn.execute(insert_ignore(self.conn, notice, ["key"]), list(rows)).all())

    def existing_users(self, user_ids: Iterable[int]) -> set[int]:
        ids = list(set(user_ids))
        if not ids:
            return set()
        return {i for (i,) in self.conn.execute(select(_u.id).where(_u.id.in_(ids)))}

    def recipients(self, org_ids: Iterable[int], roles: Iterable[str]) -> dict[int, list[Recipient]]:
        """Active users holding one of `roles` at each organisation (one query), oldest account first;
        a user with two such roles at one organisation is listed once."""
        ids = list(set(org_ids))
        out: dict[int, list[Recipient]] = {i: [] for i in ids}
        if not ids:
            return out
        stmt = (select(_r.org_id, _u.id, _u.display_name).join(app_user, _u.id == _r.user_id)
                .where(_r.org_id.in_(ids), _r.role.in_(list(roles)), _u.active.is_(True))
                .distinct().order_by(_r.org_id, _u.id))
        for org_id, uid, name in self.conn.execute(stmt):
            out[org_id].append(Recipient(uid, name, org_id))
        return out

    def unread_count(self, user_id: int) -> int:
        return self.conn.execute(
            select(func.count()).select_from(notice).where(_n.user_id == user_id, _n.read_at.is_(None))
        ).scalar_one()

    def count(self, user_id: int) -> int:
        return self.conn.execute(select(func.count()).select_from(notice).where(_n.user_id == user_id)).scalar_one()

    def page(self, user_id: int, limit: int, offset: int = 0) -> list[NoticeRow]:
        """A user's notices, newest first."""
        stmt = select(*_COLS).where(_n.user_id == user_id).order_by(_n.id.desc()).limit(limit).offset(offset)
        return [NoticeRow(*r) for r in self.conn.execute(stmt)]

    def get(self, notice_id: int) -> NoticeRow | None:
        r = self.conn.execute(select(*_COLS).where(_n.id == notice_id)).first()
        return NoticeRow(*r) if r else None

    def for_user(self, user_id: int) -> list[NoticeRow]:
        stmt = select(*_COLS).where(_n.user_id == user_id).order_by(_n.id)
        return [NoticeRow(*r) for r in self.conn.execute(stmt)]

    def mark_read(self, user_id: int, notice_id: int | None, now: datetime) -> int:
        """Mark one of the user's notices read (or all of them with `notice_id=None`); a notice
        already read keeps its first reading time. Returns how many changed."""
        stmt = update(notice).where(_n.user_id == user_id, _n.read_at.is_(None))
        if notice_id is not None:
            stmt = stmt.where(_n.id == notice_id)
        return self.conn.execute(stmt.values(read_at=now)).rowcount

    def mark_handled(self, candidate_id: int, kind: str, step: str, now: datetime) -> int:
        """The review notices of `kind` about a candidate's `step` are settled (a 报送 approved or
        returned, a 退回 submitted again): every recipient's copy is marked read, and a copy not
        yet delivered carries `handled_at` in its outbox row so that it arrives read. Rows written
        before the step was recorded (step NULL) count as the step's. Returns the notices marked.

        The outbox rows are updated first: on PostgreSQL that waits for a delivery holding them,
        whose notices the second statement then sees; a delivery after it reads `handled_at`."""
        item = (_o.candidate_id == candidate_id, _o.kind == kind, _o.channel == "inapp",
                or_(_o.step == step, _o.step.is_(None)))
        stamp = now.isoformat()
        for row_id, payload in self.conn.execute(select(_o.id, _o.payload).where(*item, _o.status == "pending")).all():
            self.conn.execute(update(outbox).where(_o.id == row_id).values(payload={**payload, HANDLED: stamp}))
        return self.conn.execute(
            update(notice).where(_n.candidate_id == candidate_id, _n.kind == kind, _n.read_at.is_(None),
                                 _n.key.in_(select(_o.key).where(*item))).values(read_at=now)).rowcount

    def handled_at(self, outbox_ids: Sequence[int]) -> dict[int, datetime]:
        """{outbox row id: when its item was handled} for rows handled before delivery, read in
        the delivering transaction (after its lease renewal, so a handling that committed
        meanwhile is seen)."""
        if not outbox_ids:
            return {}
        rows = self.conn.execute(select(_o.id, _o.payload).where(_o.id.in_(list(outbox_ids)))).all()
        return {i: datetime.fromisoformat(p[HANDLED]) for i, p in rows if isinstance(p, dict) and p.get(HANDLED)}
