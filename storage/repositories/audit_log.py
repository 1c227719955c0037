"""The audit log: who changed what and when (append-only, like the event log)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from ..chain import AUDIT_CHAIN, audit_hash
from ..tables import audit_log, chain_head
from .base import Repository
from .on_conflict import insert_ignore

_l = audit_log.c
_h = chain_head.c
_COLS = (_l.id, _l.at, _l.user_id, _l.username, _l.action, _l.target_kind, _l.target_id, _l.detail)
# the audit chain's head, row-locked (PostgreSQL) until the writer commits: the next writer links
# to the row this one adds, and ids follow the chain (the id is drawn while the lock is held).
# SQLite has one writer at a time (BEGIN IMMEDIATE) and ignores FOR UPDATE.
_head = select(_h.rows, _h.hash).where(_h.name == AUDIT_CHAIN).with_for_update()
_head_now = select(_h.rows, _h.hash).where(_h.name == AUDIT_CHAIN)
_move_head = update(chain_head).where(_h.name == AUDIT_CHAIN)
_chain = select(*_COLS, _l.prev_hash, _l.hash).order_by(_l.id)


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    target_kind: str | None
    target_id: str | None
    detail: dict[str, Any]


class AuditLogRepo(Repository):
    __slots__ = ()

    def add(self, at: datetime, user_id: int | None, username: str, action: str, target_kind: str | None,
            target_id: Any, detail: dict[str, Any]) -> int:
        target_id = None if target_id is None else str(target_id)
        rows, prev = self.head()
        digest = audit_hash(prev, at, user_id, username, action, target_kind, target_id, detail)
        new_id = self.conn.execute(insert(audit_log).values(
            at=at, user_id=user_id, username=username, action=action, target_kind=target_kind,
            target_id=target_id, detail=detail, prev_hash=prev, hash=digest,
        )).inserted_primary_key[0]
        self.conn.execute(_move_head.values(rows=rows + 1, hash=digest))
        return new_id

    def head(self) -> tuple[int, str | None]:
        """(rows, hash of the last row) of the audit chain, locked for this transaction."""
        row = self.conn.execute(_head).first()
        if row is None:  # a schema made from the metadata (tests): the head row appears on first use
            self.conn.execute(insert_ignore(self.conn, chain_head, ["name"]).values(name=AUDIT_CHAIN, rows=0))
            row = self.conn.execute(_head).one()
        return row.rows, row.hash

    def head_unlocked(self) -> tuple[int, str | None] | None:
        """(rows, hash) of the audit chain's head as committed (for checking; None: no head row)."""
        row = self.conn.execute(_head_now).first()
        return None if row is None else (row.rows, row.hash)

    def iter_chain(self, batch: int = 1000):
        """(AuditRow, prev_hash, hash) in chain (id) order, streamed."""
        result = self.conn.execute(_chain.execution_options(yield_per=batch))
        for r in result:
            yield AuditRow(*r[:8]), r[8], r[9]

    def list(self, *, target_kind: str | None = None, target_id: Any = None, user_id: int | None = None,
             limit: int | None = 200, username: str | None = None, since: datetime | None = None,
             before: datetime | None = None) -> list[AuditRow]:
        """Newest first; `since` <= at < `before` (naive UTC) through the index on `at`."""
        stmt = select(*_COLS).order_by(_l.id.desc())
        if target_kind is not None:
            stmt = stmt.where(_l.target_kind == target_kind)
        if target_id is not None:
            stmt = stmt.where(_l.target_id == str(target_id))
        if user_id is not None:
            stmt = stmt.where(_l.user_id == user_id)
        if username is not None:
            stmt = stmt.where(_l.username == username)
        if since is not None:
            stmt = stmt.where(_l.at >= since)
        if before is not None:
            stmt = stmt.where(_l.at < before)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [AuditRow(*r) for r in self.conn.execute(stmt)]
