"""The audit log: who changed what and when (append-only, like the event log)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from ..tables import audit_log
from .base import Repository

_l = audit_log.c
_COLS = (_l.id, _l.at, _l.user_id, _l.username, _l.action, _l.target_kind, _l.target_id, _l.detail)


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
        return self.conn.execute(insert(audit_log).values(
            at=at, user_id=user_id, username=username, action=action, target_kind=target_kind,
            target_id=None if target_id is None else str(target_id), detail=detail,
        )).inserted_primary_key[0]

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
