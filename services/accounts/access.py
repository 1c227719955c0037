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

from dataclasses import dataclass, field

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
    readable: set[int] = set()
    branch_side: set[int] = set()
    township_side: set[int] = set()
    for r in roles:
        if r.org_id is None:
            continue
        branches = set(uow.orgs.descendants_branch_ids(r.org_id))
        readable |= branches
        if r.role in BRANCH_ROLES:
            branch_side |= branches
        elif r.role == "township_officer":
            township_side |= branches
    return Principal(user_id, username, display_name, roles, frozenset(readable), frozenset(branch_side),
                     frozenset(township_side))
