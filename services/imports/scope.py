"""Who may import a ledger into which organisation.

The CLI imports into a township (乡镇党委) or a county organisation, never into a branch (the rows
name their branches). In the web, an organisation is importable by a user who records the
township's steps in every branch under it: the township officer for their township, the
administrator anywhere. A branch secretary records no township step and imports nothing; the
county viewer is read-only.
"""
from __future__ import annotations

from typing import Any

from services.accounts.access import Principal
from services.app import App
from services.reporting.org_views import LEVEL_ORDER
from services.casework.user_commands import ForbiddenError, NotFoundError

IMPORT_LEVELS = ("county", "township")


def township_covers(who: Principal, level: str, branches: list[int]) -> bool:
    """Does the user act for the township over this organisation (the rule for importing a ledger
    and for setting a development plan)? The administrator over everything; anyone else over an
    organisation below the county whose branches all have their township steps recorded by the
    user (a county with a single township is still the county's, not the township officer's)."""
    if who.township_side is None:
        return True
    return level != "county" and bool(branches) and set(branches) <= who.township_side


def importable_orgs(app: App, who: Principal) -> list[dict[str, Any]]:
    """[{id, name, level}] the user may import into, county first."""
    out = []
    with app.uow(read_only=True) as uow:
        for o in uow.orgs.list():
            if o.level in IMPORT_LEVELS and township_covers(who, o.level, uow.orgs.descendants_branch_ids(o.id)):
                out.append({"id": o.id, "name": o.name, "level": o.level})
    return sorted(out, key=lambda o: (LEVEL_ORDER[o["level"]], o["name"]))


def import_org(app: App, who: Principal, org_id: int) -> dict[str, Any]:
    """The organisation to import into, or NotFoundError / ForbiddenError (a branch: Forbidden
    with the CLI's reason)."""
    with app.uow(read_only=True) as uow:
        org = uow.orgs.get(org_id) if 0 < org_id < 2**31 else None
        if org is None:
            raise NotFoundError("找不到这个组织")
        branches = uow.orgs.descendants_branch_ids(org.id)
    if not township_covers(who, org.level, branches):
        raise ForbiddenError(f"无权向“{org.name}”导入台账：台账由乡镇党委组织委员导入本乡镇")
    if org.level not in IMPORT_LEVELS:
        raise ForbiddenError(f"台账须导入到乡镇党委或县级组织，“{org.name}”是党支部；表中的“所在党支部”一列指明各人所属支部")
    return {"id": org.id, "name": org.name, "level": org.level}

