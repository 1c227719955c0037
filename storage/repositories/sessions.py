"""Web sessions and the login throttle's counters (issue 17): rows only, the rules are in
services/accounts/sessions.py and services/accounts/throttle.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, or_, select, update

from ..tables import login_throttle, web_session
from .base import Repository
from .on_conflict import insert_ignore

_s, _t = web_session.c, login_throttle.c
_SESSION_COLS = (_s.id, _s.user_id, _s.created_at, _s.last_seen_at, _s.expires_at, _s.revoked_at,
                 _s.revoked_reason, _s.user_agent, _s.address)


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None
    user_agent: str
    address: str


@dataclass(frozen=True, slots=True)
class ThrottleRow:
    scope: str
    key: str
    failures: int
    window_start: datetime | None
    locked_until: datetime | None


class SessionRepo(Repository):
    __slots__ = ()

    def add(self, session_id: str, user_id: int, now: datetime, expires_at: datetime, user_agent: str,
            address: str) -> None:
        self.conn.execute(insert(web_session).values(
            id=session_id, user_id=user_id, created_at=now, last_seen_at=now, expires_at=expires_at,
            user_agent=user_agent, address=address))

    def get(self, session_id: str) -> SessionRow | None:
        r = self.conn.execute(select(*_SESSION_COLS).where(_s.id == session_id)).first()
        return SessionRow(*r) if r else None

    def touch(self, session_id: str, now: datetime, stale_at: datetime) -> None:
        """last_seen_at = now if it is `stale_at` or older (another request may have written it)."""
        self.conn.execute(update(web_session).where(_s.id == session_id, _s.last_seen_at <= stale_at)
                          .values(last_seen_at=now))

    def revoke(self, session_id: str, now: datetime, reason: str) -> int:
        return self.conn.execute(update(web_session).where(_s.id == session_id, _s.revoked_at.is_(None))
                                 .values(revoked_at=now, revoked_reason=reason)).rowcount

    def revoke_user(self, user_id: int, now: datetime, reason: str) -> int:
        """Ends every session of the user that has not ended yet; the number ended."""
        return self.conn.execute(update(web_session).where(_s.user_id == user_id, _s.revoked_at.is_(None),
                                                           _s.expires_at > now)
                                 .values(revoked_at=now, revoked_reason=reason)).rowcount

    def _live(self, now: datetime, idle_since: datetime):
        return and_(_s.revoked_at.is_(None), _s.expires_at > now, _s.last_seen_at > idle_since)

    def live_for(self, user_id: int, now: datetime, idle_since: datetime) -> list[SessionRow]:
        stmt = (select(*_SESSION_COLS).where(_s.user_id == user_id, self._live(now, idle_since))
                .order_by(_s.last_seen_at.desc()))
        return [SessionRow(*r) for r in self.conn.execute(stmt)]

    def live_counts(self, now: datetime, idle_since: datetime) -> dict[int, int]:
        stmt = select(_s.user_id, func.count()).where(self._live(now, idle_since)).group_by(_s.user_id)
        return {uid: int(n) for uid, n in self.conn.execute(stmt)}

    def prune(self, before: datetime) -> int:
        """Deletes sessions that ran out before `before` (kept a while for the record, then dropped)."""
        return self.conn.execute(delete(web_session).where(_s.expires_at < before)).rowcount


class ThrottleRepo(Repository):
    __slots__ = ()

    def lock(self, keys: list[tuple[str, str]], now: datetime) -> dict[tuple[str, str], ThrottleRow]:
        """The counters of `keys`, made if missing and locked (FOR UPDATE, in key order, so two
        logins never wait for each other crosswise) until the transaction ends."""
        keys = sorted(set(keys))
        for scope, key in keys:
            self.conn.execute(insert_ignore(self.conn, login_throttle, ("scope", "key")),
                              {"scope": scope, "key": key, "failures": 0, "updated_at": now})
        wanted = or_(*(and_(_t.scope == s, _t.key == k) for s, k in keys))
        stmt = (select(_t.scope, _t.key, _t.failures, _t.window_start, _t.locked_until).where(wanted)
                .order_by(_t.scope, _t.key).with_for_update())
        return {(r.scope, r.key): ThrottleRow(*r) for r in self.conn.execute(stmt)}

    def save(self, row: ThrottleRow, now: datetime) -> None:
        self.conn.execute(update(login_throttle).where(_t.scope == row.scope, _t.key == row.key).values(
            failures=row.failures, window_start=row.window_start, locked_until=row.locked_until, updated_at=now))

    def prune(self, before: datetime) -> int:
        """Drops counters untouched since `before` whose lock (if any) is over."""
        return self.conn.execute(delete(login_throttle).where(
            _t.updated_at < before, or_(_t.locked_until.is_(None), _t.locked_until < before))).rowcount
