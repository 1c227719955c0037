"""The audit log: every change made through the web (and user administration) with its user.

The candidate's own event log already names the actor of each step; the audit log adds what the
event log does not hold — which account was logged in, returns to the branch, account and role
changes — in one place an inspector can read.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from services.app import App


def record(app: App, *, user_id: int | None, username: str, action: str, target_kind: str | None = None,
           target_id: Any = None, detail: Mapping[str, Any] | None = None) -> int:
    """One audit row in its own transaction (called right after the change it records committed)."""
    with app.uow() as uow:
        return uow.audit.add(app.utcnow(), user_id, username, action, target_kind, target_id,
                             _jsonable(dict(detail or {})))


def record_in(uow, app: App, *, user_id: int | None, username: str, action: str, target_kind: str | None = None,
              target_id: Any = None, detail: Mapping[str, Any] | None = None) -> int:
    """One audit row inside the caller's unit of work (the change and its record commit together)."""
    return uow.audit.add(app.utcnow(), user_id, username, action, target_kind, target_id, _jsonable(dict(detail or {})))


def entries(app: App, *, target_kind: str | None = None, target_id: Any = None, user_id: int | None = None,
            limit: int | None = 200, username: str | None = None, since: datetime | None = None,
            before: datetime | None = None) -> list[dict[str, Any]]:
    """Newest first: {id, at (UTC ISO), user_id, username, action, target_kind, target_id, detail};
    `since`/`before` are naive UTC bounds on `at`."""
    with app.uow(read_only=True) as uow:
        rows = uow.audit.list(target_kind=target_kind, target_id=target_id, user_id=user_id, limit=limit,
                              username=username, since=since, before=before)
    return [{"id": r.id, "at": r.at.isoformat(timespec="seconds"), "user_id": r.user_id, "username": r.username,
             "action": r.action, "target_kind": r.target_kind, "target_id": r.target_id, "detail": r.detail}
            for r in rows]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # dates and the like
