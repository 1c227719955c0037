"""Server-side web sessions (issue 17, finding 3): revocable, with idle and absolute timeouts.

The browser's cookie holds a random 256-bit token and nothing else; the database keeps its
SHA-256 with the user, the times and the browser's description (for 「登录设备」). A session is
live while it is not revoked, its absolute timeout (`expires_at`, fixed at login) has not passed
and it was seen within the idle timeout. Every request checks the row, so logout, a password
change, disabling the account and 退出所有设备 end sessions at their next request — a copy of the
cookie taken before is worth nothing. last_seen_at is written at most once a minute (TOUCH_EVERY),
so the idle timeout is exact to that minute and a page view is not a write.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.errors import refuse
from services.accounts.access import Principal, build_principal
from services.app import App
from services.integrity.audit_log import record_in
from storage.repositories.sessions import SessionRepo, SessionRow

IDLE = timedelta(hours=2)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
KEEP = timedelta(days=30)  # ended sessions stay listed in the table this long after their absolute end
TOKEN_BYTES = 32
MAX_TOKEN = 100  # longer cookies are not ours: refused before hashing


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: `idle` without a request, `absolute` after login at most."""

    idle: timedelta = IDLE
    absolute: timedelta = ABSOLUTE

    def __post_init__(self) -> None:
        if not timedelta(minutes=1) <= self.idle <= self.absolute:
            raise ValueError("idle timeout must be at least a minute and at most the absolute timeout")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _live(row: SessionRow | None, now: datetime, policy: SessionPolicy) -> bool:
    return (row is not None and row.revoked_at is None and now < row.expires_at
            and now - row.last_seen_at < policy.idle)


def start(app: App, user_id: int, policy: SessionPolicy, *, user_agent: str = "", address: str = "",
          replaces: str | None = None) -> str:
    """A new session for `user_id`; returns the cookie's token. `replaces`: the token the browser
    held before (ended: one browser, one session)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = app.utcnow()
    with app.uow() as uow:
        repo = SessionRepo(uow.connection)
        if replaces and len(replaces) <= MAX_TOKEN:
            repo.revoke(token_hash(replaces), now, "replaced")
        repo.prune(now - KEEP)
        repo.add(token_hash(token), user_id, now, now + policy.absolute, (user_agent or "")[:200],
                 (address or "")[:64])
    return token


def resolve(app: App, token: str | None, policy: SessionPolicy) -> Principal | None:
    """The signed-in user of a live session, or None (no such session, ended, timed out, the
    account disabled). Marks the session seen when it was last marked a minute ago or more."""
    if not token or len(token) > MAX_TOKEN:
        return None
    sid, now = token_hash(token), app.utcnow()
    with app.uow(read_only=True) as uow:
        row = SessionRepo(uow.connection).get(sid)
        if not _live(row, now, policy):
            return None
        user = uow.users.get(row.user_id)
        if user is None or not user.active:
            return None
        who = build_principal(uow, user.id, user.username, user.display_name, tuple(uow.users.roles(user.id)))
    if now - row.last_seen_at >= TOUCH_EVERY:
        with app.uow() as uow:
            SessionRepo(uow.connection).touch(sid, now, now - TOUCH_EVERY)
    return who


def end(app: App, token: str | None) -> None:
    """Logout: this browser's session ends now (nothing happens for an unknown token)."""
    if token and len(token) <= MAX_TOKEN:
        with app.uow() as uow:
            SessionRepo(uow.connection).revoke(token_hash(token), app.utcnow(), "logout")


def end_all_in(uow, user_id: int, now: datetime, reason: str) -> int:
    """Ends every session of the user inside the caller's unit of work (a password change, a
    disabled account); the number ended."""
    return SessionRepo(uow.connection).revoke_user(user_id, now, reason)


def end_everywhere(app: App, user_id: int, *, by: str, by_id: int | None) -> int:
    """退出所有设备: every session of the user ends now (the user's own, or an administrator's
    order); audited. Returns how many were live or not yet timed out."""
    with app.uow() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise refuse("user.unknown", "找不到该用户")
        n = end_all_in(uow, user_id, app.utcnow(), "everywhere")
        record_in(uow, app, user_id=by_id, username=by, action="user.logout_all", target_kind="user",
                  target_id=user_id, detail={"username": user.username, "sessions": n})
    return n


def live_sessions(app: App, user_id: int, policy: SessionPolicy) -> list[SessionRow]:
    """The user's live sessions, the most recently seen first."""
    now = app.utcnow()
    with app.uow(read_only=True) as uow:
        return SessionRepo(uow.connection).live_for(user_id, now, now - policy.idle)


def live_counts(app: App, policy: SessionPolicy) -> dict[int, int]:
    """user id → number of live sessions (the administrator's user list)."""
    now = app.utcnow()
    with app.uow(read_only=True) as uow:
        return SessionRepo(uow.connection).live_counts(now, now - policy.idle)
