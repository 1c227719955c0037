"""Who may see and do what: a logged-in user's roles turned into branches and step sides.

| role (organisation)               | reads                          | records                                   |
|-----------------------------------|--------------------------------|-------------------------------------------|
| branch_secretary (a 党支部)        | that branch                    | the branch's steps there                  |
| branch_committee (a 党支部)        | that branch                    | the branch's steps there                  |
| township_officer (a 乡镇党委)      | every branch under it          | the township's steps there; returns       |
| county_viewer (a 县级党委)         | every branch under it          | nothing (read only)                       |
| admin                             | everything                     | every step everywhere (corrections)       |

A step's side follows its `actor` in the process definition (so a township variant that moves a
step moves its permission with it): steps whose actor is the township or the county organisation
department (备案, 培训, 预审, 谈话, 审批, 宣誓, …) are the township's — in this deployment the
township officer records the county's filing too; every other actor (the applicant, whose steps the
branch records for them, the branch, its committee, secretary, meeting, party group, mentor) is
the branch's.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from services.app import App
from storage.repositories import RoleRow

TOWNSHIP_ACTORS = frozenset({"township", "county_org_dept"})
BRANCH_ROLES = frozenset({"branch_secretary", "branch_committee"})


def step_side(actor: str) -> str:
    """"township" or "branch": who records a step with this actor."""
    return "township" if actor in TOWNSHIP_ACTORS else "branch"


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    roles: tuple[RoleRow, ...]
    # branch ids the user may read; None = every branch (admin)
    readable: frozenset[int] | None
    # branch ids where the user records branch-side / township-side steps; None = everywhere
    branch_side: frozenset[int] | None = field(default_factory=frozenset)
    township_side: frozenset[int] | None = field(default_factory=frozenset)

    @property
    def role_ids(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.role_ids

    @property
    def actor(self) -> str:
        """What the event log records as the actor of a step this user enters."""
        return f"{self.display_name}（{self.username}）"

    def can_read(self, branch_id: int) -> bool:
        return self.readable is None or branch_id in self.readable

    def can_act(self, branch_id: int, actor: str) -> bool:
        """May this user record a step whose definition actor is `actor` in `branch_id`?"""
        allowed = self.township_side if step_side(actor) == "township" else self.branch_side
        return allowed is None or branch_id in allowed

    def acts_anywhere(self, side: str) -> bool:
        allowed = self.township_side if side == "township" else self.branch_side
        return allowed is None or bool(allowed)

    def scope(self, side: str | None = None) -> list[int] | None:
        """Branch ids for a scoped query (None = everywhere): readable ones, or one side's."""
        s = self.readable if side is None else (self.township_side if side == "township" else self.branch_side)
        return None if s is None else sorted(s)


def password_stamp(user) -> str:
    """What a session remembers of the password it was issued under (its change time)."""
    return user.password_changed_at.isoformat()


def principal_for(app: App, user_id: int, stamp: str | None = None) -> Principal | None:
    """The user's principal, or None if the account does not exist, is disabled, or (with `stamp`)
    its password changed since the session was issued."""
    with app.uow(read_only=True) as uow:
        user = uow.users.get(user_id)
        if user is None or not user.active or (stamp is not None and stamp != password_stamp(user)):
            return None
        roles = tuple(uow.users.roles(user_id))
        return build_principal(uow, user.id, user.username, user.display_name, roles)


def build_principal(uow, user_id: int, username: str, display_name: str, roles: tuple[RoleRow, ...]) -> Principal:
    if any(r.role == "admin" for r in roles):
        return Principal(user_id, username, display_name, roles, None, None, None)
    under = _Subtrees(uow, roles)
    readable: frozenset[int] = frozenset()
    branch_side: frozenset[int] = frozenset()
    township_side: frozenset[int] = frozenset()
    for r in roles:
        if r.org_id is None:
            continue
        branches = under.branch_ids(r.org_id)
        readable = readable | branches if readable else branches  # (one role: the kept set itself)
        if r.role in BRANCH_ROLES:
            branch_side = branch_side | branches if branch_side else branches
        elif r.role == "township_officer":
            township_side = township_side | branches if township_side else branches
    return Principal(user_id, username, display_name, roles, readable, branch_side, township_side)


KEEP_OVER = 500  # branches under an organisation above which a process keeps their ids (a county's)
_KEPT: "weakref.WeakKeyDictionary[Any, tuple[tuple | None, dict[int, frozenset[int]]]]" = weakref.WeakKeyDictionary()
# engine -> (the tree's fingerprint the kept sets were read under, {organisation id: its branch ids})
_LARGE: "weakref.WeakKeyDictionary[Any, set[int]]" = weakref.WeakKeyDictionary()  # engine -> ids seen large


class _Subtrees:
    """The branch ids under a user's organisations. A large subtree's ids (a county viewer's ~28,000
    over a province-sized tree: ~30 ms of CPU on every request, issue 19) are kept per process and
    reused while the tree's one-row fingerprint (OrgRepo.tree_fingerprint) is unchanged, so a branch
    added, removed, moved or re-levelled — by this process or another sharing the database — is
    seen by the next request. The fingerprint is read before the ids it vouches for (a change in
    between is then caught by the next request), and only for a user whose scope may be large:
    a secretary's or township officer's few branches are read as before, with no extra statement."""

    def __init__(self, uow, roles: tuple[RoleRow, ...]) -> None:
        self.orgs = uow.orgs
        self.engine = uow.connection.engine
        kept = _KEPT.get(self.engine)
        large = _LARGE.get(self.engine, ())
        self.fingerprint = None
        if any(r.org_id is not None and (r.role == "county_viewer" or r.org_id in large) for r in roles):
            self.fingerprint = self.orgs.tree_fingerprint()
            if kept is None or kept[0] != self.fingerprint:  # the tree changed: drop every kept set
                kept = _KEPT[self.engine] = (self.fingerprint, {})
        self.kept = kept

    def branch_ids(self, org_id: int) -> frozenset[int]:
        kept = self.kept
        if self.fingerprint is not None and kept is not None and kept[0] == self.fingerprint:
            got = kept[1].get(org_id)
            if got is not None:
                return got
        ids = frozenset(self.orgs.descendants_branch_ids(org_id))
        if len(ids) > KEEP_OVER:
            if self.fingerprint is not None and kept is not None and kept[0] == self.fingerprint:
                kept[1][org_id] = ids  # (one dict store: a concurrent request sees it or not)
            else:  # first seen large without a fingerprint read before it: kept from the next request on
                _LARGE.setdefault(self.engine, set()).add(org_id)
        return ids
