"""Which organisations' reminder contacts and deliveries a user sees, and which they may change.

| role                       | sees                                  | adds, edits, removes       |
|----------------------------|---------------------------------------|----------------------------|
| branch_secretary/committee | its branch                            | nothing                    |
| township_officer           | its township and the branches under it| the same                   |
| county_viewer              | every township and branch under it    | nothing (read only)        |
| admin                      | everything                            | everything                 |

An organisation is in reach when every branch under it (at least one; a branch is its own) is:
readable for seeing, on the user's township side for changing.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.accounts.access import Principal
from storage.repositories import OrgRow
from storage.unit_of_work import UnitOfWork

CONTACT_LEVELS = ("township", "branch")  # contacts and deliveries belong to these (services/organisation/directory.py)


@dataclass(frozen=True)
class Reach:
    orgs: dict[int, OrgRow]  # every organisation, by id
    seen: frozenset[int]  # townships and branches the user sees
    editable: frozenset[int]  # … and may change

    def sees(self, org_id: int) -> bool:
        return org_id in self.seen

    def edits(self, org_id: int) -> bool:
        return org_id in self.editable


def _covered(branches: list[int], allowed: frozenset[int] | None) -> bool:
    return allowed is None or (bool(branches) and set(branches) <= allowed)


def reach(uow: UnitOfWork, who: Principal) -> Reach:
    orgs = {o.id: o for o in uow.orgs.list()}
    seen, editable = set(), set()
    for o in orgs.values():
        if o.level not in CONTACT_LEVELS:
            continue
        branches = [o.id] if o.level == "branch" else uow.orgs.descendants_branch_ids(o.id)
        if _covered(branches, who.readable):
            seen.add(o.id)
        if _covered(branches, who.township_side):
            editable.add(o.id)
    return Reach(orgs, frozenset(seen), frozenset(editable & seen))


def ordered(r: Reach, ids) -> list[OrgRow]:
    """Townships, each followed by its branches, by name."""
    chosen = [r.orgs[i] for i in ids]
    towns = sorted((o for o in chosen if o.level == "township"), key=lambda o: o.name)
    out: list[OrgRow] = []
    placed: set[int] = set()
    for t in towns:
        out.append(t)
        for b in sorted((o for o in chosen if o.parent_id == t.id), key=lambda o: o.name):
            out.append(b)
            placed.add(b.id)
    out += sorted((o for o in chosen if o.level == "branch" and o.id not in placed), key=lambda o: o.name)
    return out
