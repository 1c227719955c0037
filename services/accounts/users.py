"""Web accounts: create, roles, authenticate (with a rate limit), change password.

Passwords are hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile: t=3, m=64 MiB,
p=4); a hash made with older parameters is upgraded at the next successful login. Login attempts
are stored in the database, so the limit (5 failures per user name and address in 15 minutes)
holds across server processes.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from engine.errors import DomainError, Violation, refuse
from services.app import SHANGHAI, App
from services.integrity.audit_log import record_in
from services.accounts import throttle
from services.organisation.directory import resolve_org
from services.accounts.sessions import end_all_in
from storage.repositories import UserRow
from storage.tables import USER_ROLES

# argon2id (the library's default type) at OWASP's Password Storage Cheat Sheet minimum: 19 MiB,
# 2 iterations, 1 lane — ~30 ms of CPU a check, where the library's 64 MiB × 3 × 4 lanes cost ~210 ms
# and, on a 2-core server, up to a second of a login (issue 19). Hashes made with other parameters
# still verify and are rehashed with these at the next successful login (`check_needs_rehash`).
PRODUCTION_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
HASHER = PRODUCTION_HASHER  # tests swap in cheaper parameters (tests/web/conftest.py)
MIN_PASSWORD = 8
ROLE_NAMES = {
    "branch_secretary": "党支部书记",
    "branch_committee": "党支部委员",
    "township_officer": "乡镇党委组织委员",
    "county_viewer": "县委组织部（只读）",
    "admin": "系统管理员",
}
# the organisation level each role is attached to (admin: none)
ROLE_LEVEL = {"branch_secretary": "branch", "branch_committee": "branch", "township_officer": "township",
              "county_viewer": "county", "admin": None}
_USERNAME = re.compile(r"[A-Za-z0-9_.\-]{2,64}")
_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    """Verified when the user name is unknown, so a wrong name costs as long as a wrong password
    (made with the current hasher's parameters)."""
    key = f"{HASHER.time_cost},{HASHER.memory_cost},{HASHER.parallelism}"
    if key not in _DUMMY:
        _DUMMY[key] = HASHER.hash("partyflow-no-such-user")
    return _DUMMY[key]

assert set(ROLE_NAMES) == set(USER_ROLES) == set(ROLE_LEVEL)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise refuse("user.password", f"密码至少 {MIN_PASSWORD} 位")
    if len(password) > 256:
        raise refuse("user.password", "密码不能超过 256 位")


def _role_org(uow, role: str, org_ref: str | int | None) -> int | None:
    if role not in ROLE_LEVEL:
        raise refuse("user.role", f"角色“{role}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in ROLE_NAMES.items())}")
    level = ROLE_LEVEL[role]
    if level is None:
        if org_ref not in (None, ""):
            raise refuse("user.role_org", "系统管理员不属于某个组织，请不要填写组织")
        return None
    if org_ref in (None, ""):
        raise refuse("user.role_org", f"{ROLE_NAMES[role]}须指定所属组织（组织代码或编号）")
    org = uow.orgs.get(org_ref) if isinstance(org_ref, int) else resolve_org(uow, org_ref)
    if org is None:
        raise refuse("org.unknown", f"找不到组织“{org_ref}”（请填写组织代码，或从列表中选择）")
    if org.level != level:
        want = {"branch": "党支部", "township": "乡镇党委", "county": "县级党委"}[level]
        raise refuse("user.role_org", f"{ROLE_NAMES[role]}应属于{want}，“{org.name}”不是{want}")
    return org.id


def user_dict(user: UserRow, roles, org_names: dict[int, str] | None = None) -> dict[str, Any]:
    org_names = org_names or {}
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name, "active": user.active,
        "roles": [{"role": r.role, "role_name": ROLE_NAMES.get(r.role, r.role), "org_id": r.org_id,
                   "org_name": org_names.get(r.org_id) if r.org_id else None} for r in roles],
    }


def create_user(app: App, username: str, display_name: str, password: str,
                roles: list[tuple[str, str | int | None]] = (), *, by: str = "命令行", by_id: int | None = None) -> dict:
    """A new active account with its roles; `by` is who created it (audit log)."""
    username = username.strip()
    if not _USERNAME.fullmatch(username):
        raise refuse("user.username", "用户名应为 2–64 位字母、数字或 _ . -")
    display_name = display_name.strip()
    if not display_name:
        raise refuse("user.name", "请填写姓名")
    _check_password(password)
    hashed = HASHER.hash(password)
    with app.uow() as uow:
        if uow.users.by_username(username) is not None:
            raise refuse("user.exists", f"用户名“{username}”已被使用")
        resolved = [(role, _role_org(uow, role, org)) for role, org in roles]
        uid = uow.users.add(username, display_name, hashed, app.utcnow())
        for role, org_id in resolved:
            uow.users.add_role(uid, role, org_id)
        record_in(uow, app, user_id=by_id, username=by, action="user.create", target_kind="user", target_id=uid,
                  detail={"username": username, "display_name": display_name,
                          "roles": [{"role": r, "org_id": o} for r, o in resolved]})
    return get_user(app, username)


def get_user(app: App, username: str) -> dict:
    with app.uow(read_only=True) as uow:
        user = uow.users.by_username(username)
        if user is None:
            raise refuse("user.unknown", f"找不到用户“{username}”")
        names = {o.id: o.name for o in uow.orgs.list()}
        return user_dict(user, uow.users.roles(user.id), names)


def list_users(app: App) -> list[dict]:
    with app.uow(read_only=True) as uow:
        names = {o.id: o.name for o in uow.orgs.list()}
        roles: dict[int, list] = {}
        for r in uow.users.all_roles():
            roles.setdefault(r.user_id, []).append(r)
        return [user_dict(u, roles.get(u.id, []), names) for u in uow.users.list()]


def change_role(app: App, username: str, role: str, org_ref: str | int | None, *, add: bool, by: str = "命令行",
                by_id: int | None = None) -> dict:
    with app.uow() as uow:
        user = uow.users.by_username(username)
        if user is None:
            raise refuse("user.unknown", f"找不到用户“{username}”")
        org_id = _role_org(uow, role, org_ref)
        changed = uow.users.add_role(user.id, role, org_id) if add else uow.users.remove_role(user.id, role, org_id)
        if not changed:
            raise refuse("user.role_same", f"用户“{username}”{'已有' if add else '没有'}这一角色")
        record_in(uow, app, user_id=by_id, username=by, action="user.role_add" if add else "user.role_remove",
                  target_kind="user", target_id=user.id, detail={"role": role, "org_id": org_id})
    return get_user(app, username)


def set_active(app: App, username: str, active: bool, *, by: str = "命令行", by_id: int | None = None) -> dict:
    """Disable (or re-enable) an account: a disabled user is out at the next request and cannot log in."""
    with app.uow() as uow:
        user = uow.users.by_username(username)
        if user is None:
            raise refuse("user.unknown", f"找不到用户“{username}”")
        if by_id is not None and user.id == by_id and not active:
            raise refuse("user.self_disable", "不能停用自己的账号")
        if user.active == active:
            raise refuse("user.active_same", f"用户“{username}”已{'是启用' if active else '停用'}状态")
        uow.users.set_active(user.id, active)
        if not active:
            end_all_in(uow, user.id, app.utcnow(), "disabled")
        record_in(uow, app, user_id=by_id, username=by, action="user.enable" if active else "user.disable",
                  target_kind="user", target_id=user.id, detail={"username": username})
    return get_user(app, username)


class LoginLocked(DomainError):
    """A locked account name or address: `until` (naive UTC) is when it may try again."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__([Violation("login.rate_limited", message)])
        self.until = until


def authenticate(app: App, username: str, password: str, ip: str) -> UserRow:
    """The user if the password is right and neither the account name nor the address is locked
    (services/accounts/throttle.py: per account from any address, and per address).

    Every attempt is recorded (login_attempt) and counted; a locked name or address is refused
    even with the right password, before the password is checked, until the lock ends.
    """
    username = username.strip()[:64]
    ip = (ip or "unknown")[:64]
    now = app.utcnow()
    with app.uow() as uow:
        gate = throttle.gate(uow, username, ip, now)
        locked = gate.locked
        if locked is None:
            user = uow.users.by_username(username)
            ok = _verify(user.password_hash if user is not None else _dummy_hash(), password)
            ok = ok and user is not None and user.active
            left, locked_now = gate.record(ok)
            uow.users.record_attempt(username, ip, now, ok)
            if ok and HASHER.check_needs_rehash(user.password_hash):
                uow.users.rehash(user.id, HASHER.hash(password))
            if ok:
                throttle.prune(uow, now)
                record_in(uow, app, user_id=user.id, username=user.username, action="login", target_kind="user",
                          target_id=user.id, detail={"ip": ip})
    if locked is not None:
        scope, until = locked
        raise LoginLocked(locked_message(scope, until), until)
    if not ok:
        if locked_now is not None:
            raise refuse("login.failed", "用户名或密码错误。" + locked_message("account", locked_now))
        minutes = int(throttle.LOCK.total_seconds() // 60)
        hint = f"（再错 {left} 次，该账号将暂停登录 {minutes} 分钟）" if left <= 2 else ""
        raise refuse("login.failed", "用户名或密码错误" + hint)
    return user


def retry_at(until: datetime) -> datetime:
    """The lock's end in Beijing time, rounded up to the minute (a retry at the minute shown works)."""
    local = until.replace(tzinfo=timezone.utc).astimezone(SHANGHAI)
    return local if local.second == local.microsecond == 0 else \
        local.replace(second=0, microsecond=0) + timedelta(minutes=1)


def locked_message(scope: str, until: datetime) -> str:
    """登录失败次数过多……请于 10:35 后再试: what a locked account (or address) is told."""
    minutes = int(throttle.WINDOW.total_seconds() // 60)
    who = (f"该账号 {minutes} 分钟内登录失败 {throttle.ACCOUNT_LIMIT} 次" if scope == "account"
           else f"本机所在网络 {minutes} 分钟内登录失败 {throttle.ADDRESS_LIMIT} 次")
    return f"登录失败次数过多（{who}），请于 {retry_at(until):%H:%M} 后再试"


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def change_password(app: App, user_id: int, old: str, new: str) -> None:
    """Checks the old password; every session issued before the change stops working."""
    with app.uow(read_only=True) as uow:
        user = uow.users.get(user_id)
    if user is None:
        raise refuse("user.unknown", "找不到该用户")
    if not _verify(user.password_hash, old):
        raise refuse("user.old_password", "原密码不正确")
    _check_password(new)
    if new == old:
        raise refuse("user.password_same", "新密码不能与原密码相同")
    set_password(app, user.username, new, by=user.username, by_id=user.id)


def set_password(app: App, username: str, password: str, *, by: str = "命令行", by_id: int | None = None) -> None:
    _check_password(password)
    hashed = HASHER.hash(password)
    with app.uow() as uow:
        user = uow.users.by_username(username)
        if user is None:
            raise refuse("user.unknown", f"找不到用户“{username}”")
        uow.users.set_password(user.id, hashed, app.utcnow())
        end_all_in(uow, user.id, app.utcnow(), "password")  # every session signed in with the old one
        record_in(uow, app, user_id=by_id, username=by, action="user.password", target_kind="user", target_id=user.id,
                  detail={})
