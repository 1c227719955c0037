"""Web users: accounts, their roles (role + organisation) and login attempts (the rate limit)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, select, update

from ..tables import app_user, login_attempt, user_role
from .base import Repository

_u, _r, _a = app_user.c, user_role.c, login_attempt.c
_USER_COLS = (_u.id, _u.username, _u.display_name, _u.password_hash, _u.active, _u.created_at,
              _u.password_changed_at)


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    username: str
    display_name: str
    password_hash: str
    active: bool
    created_at: datetime
    password_changed_at: datetime


@dataclass(frozen=True, slots=True)
class RoleRow:
    user_id: int
    role: str
    org_id: int | None


class UserRepo(Repository):
    __slots__ = ()

    # ---------------------------------------------------------------- accounts

    def add(self, username: str, display_name: str, password_hash: str, now: datetime) -> int:
        return self.conn.execute(insert(app_user).values(
            username=username, display_name=display_name, password_hash=password_hash, active=True,
            created_at=now, password_changed_at=now,
        )).inserted_primary_key[0]

    def get(self, user_id: int) -> UserRow | None:
        r = self.conn.execute(select(*_USER_COLS).where(_u.id == user_id)).first()
        return UserRow(*r) if r else None

    def by_username(self, username: str) -> UserRow | None:
        r = self.conn.execute(select(*_USER_COLS).where(_u.username == username)).first()
        return UserRow(*r) if r else None

    def list(self) -> list[UserRow]:
        return [UserRow(*r) for r in self.conn.execute(select(*_USER_COLS).order_by(_u.id))]

    def set_password(self, user_id: int, password_hash: str, now: datetime) -> None:
        self.conn.execute(update(app_user).where(_u.id == user_id)
                          .values(password_hash=password_hash, password_changed_at=now))

    def rehash(self, user_id: int, password_hash: str) -> None:
        """Same password, stronger parameters: sessions stay valid."""
        self.conn.execute(update(app_user).where(_u.id == user_id).values(password_hash=password_hash))

    def set_active(self, user_id: int, active: bool) -> None:
        self.conn.execute(update(app_user).where(_u.id == user_id).values(active=active))

    # ---------------------------------------------------------------- roles

    def roles(self, user_id: int) -> list[RoleRow]:
        stmt = select(_r.user_id, _r.role, _r.org_id).where(_r.user_id == user_id).order_by(_r.id)
        return [RoleRow(*r) for r in self.conn.execute(stmt)]

    def all_roles(self) -> list[RoleRow]:
        return [RoleRow(*r) for r in self.conn.execute(select(_r.user_id, _r.role, _r.org_id).order_by(_r.id))]

    def add_role(self, user_id: int, role: str, org_id: int | None) -> bool:
        """False if the user already has it (NULL organisations are compared here, not by UNIQUE)."""
        if self._role_match(user_id, role, org_id):
            return False
        self.conn.execute(insert(user_role).values(user_id=user_id, role=role, org_id=org_id))
        return True

    def remove_role(self, user_id: int, role: str, org_id: int | None) -> bool:
        return self.conn.execute(delete(user_role).where(self._role_where(user_id, role, org_id))).rowcount > 0

    def _role_match(self, user_id: int, role: str, org_id: int | None) -> bool:
        return self.conn.execute(select(_r.id).where(self._role_where(user_id, role, org_id))).first() is not None

    @staticmethod
    def _role_where(user_id: int, role: str, org_id: int | None):
        org = _r.org_id.is_(None) if org_id is None else _r.org_id == org_id
        return and_(_r.user_id == user_id, _r.role == role, org)

    # ---------------------------------------------------------------- login attempts

    def record_attempt(self, username: str, ip: str, at: datetime, ok: bool) -> None:
        self.conn.execute(insert(login_attempt).values(username=username, ip=ip, at=at, ok=ok))

    def failures_since(self, username: str, ip: str, since: datetime) -> tuple[int, datetime | None]:
        """Failed attempts for (username, ip) after `since` and after the last success: (count, oldest)."""
        last_ok = (select(func.max(_a.at))
                   .where(_a.username == username, _a.ip == ip, _a.ok.is_(True), _a.at >= since)
                   .scalar_subquery())
        stmt = (select(func.count(), func.min(_a.at))
                .where(_a.username == username, _a.ip == ip, _a.ok.is_(False), _a.at >= since,
                       (_a.at > func.coalesce(last_ok, since)) | (last_ok.is_(None))))
        n, oldest = self.conn.execute(stmt).one()
        return int(n), oldest

    def prune_attempts(self, before: datetime) -> int:
        return self.conn.execute(delete(login_attempt).where(_a.at < before)).rowcount
