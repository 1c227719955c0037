"""Which material list applies to a candidate: the national list of its pinned rules
(workflows/materials), with the override its township (or county) chose, the nearest one winning —
the same way `organisation.workflow_variant` picks a local definition."""
from __future__ import annotations

import time

from engine.errors import refuse
from services.app import App
from storage.unit_of_work import UnitOfWork
from workflows.materials import MaterialCatalogue, available_overrides, catalogue_for


def override_for(uow: UnitOfWork, branch_id: int) -> str | None:
    """The material-list override chosen by the branch's nearest organisation that chose one."""
    chain, org = [], uow.orgs.get(branch_id)
    while org is not None:
        chain.append(org.id)
        org = uow.orgs.get(org.parent_id) if org.parent_id else None
    chosen = uow.orgs.material_lists(chain)
    return next((chosen[i] for i in chain if i in chosen), None)


# How long a process trusts the override it read for a branch: a step reads it on every command,
# and a township changes it rarely (another process's change is seen within this time; the
# process that made the change forgets at once, `forget_overrides`).
OVERRIDE_TTL = 60.0


def catalogue_of(app: App, uow: UnitOfWork, defn, branch_id: int) -> MaterialCatalogue:
    """The material list of a candidate with rules `defn` in `branch_id`."""
    return catalogue_with(app, defn, branch_override(app, uow, branch_id))


def branch_override(app: App, uow: UnitOfWork, branch_id: int) -> str | None:
    """`override_for`, kept per process for OVERRIDE_TTL seconds."""
    now = time.monotonic()
    held = app.material_lists.get(branch_id)
    if held is None or now - held[0] > OVERRIDE_TTL:
        held = app.material_lists[branch_id] = (now, override_for(uow, branch_id))
    return held[1]


def forget_overrides(app: App) -> None:
    app.material_lists.clear()


def catalogue_with(app: App, defn, override: str | None) -> MaterialCatalogue:
    """The material list of rules `defn` with a township's `override` (None: the national list)."""
    if override is not None and override not in available_overrides():
        raise refuse("material.list", f"所在组织选用的材料清单“{override}”不存在，请管理员重新选择")
    return catalogue_for(defn, override, registry=app.registry)
