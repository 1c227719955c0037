"""The candidates list with each one's next step for this user (a link straight to its form)."""
from __future__ import annotations

from typing import Any

from services.accounts.access import Principal
from services.app import App
from services.casefile.links import with_links
from services.worklist.reads import open_items


def _sides(who: Principal) -> list[str | None]:
    if who.is_admin:
        return [None]
    return [side for side in ("branch", "township") if who.acts_anywhere(side)]


def with_next_steps(app: App, who: Principal, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`candidates_by_stage` groups with `next` on each candidate: the step this user records
    first (a worklist item with `href`; ready ones first, then by due date),
    or None; and `more`: how many other steps of theirs are open. From the worklist's cached
    outlooks (services/worklist/reads.py open_items), only for the sides the user records."""
    mine: dict[int, list[dict[str, Any]]] = {}
    shown = {c["id"] for g in groups for c in g["candidates"]}  # links only for the candidates shown
    for side in _sides(who):
        items = open_items(app, who.scope(side) if side else None, side, candidate_ids=shown) if shown else []
        for i in with_links(who, items):
            if who.can_act(i["branch_id"], i["actor"]):
                mine.setdefault(i["candidate_id"], []).append(i)
    for g in groups:
        for c in g["candidates"]:
            steps = sorted(mine.get(c["id"], ()), key=lambda i: (not i["ready"], i["due"] or "9999", i["number"]))
            c["next"] = steps[0] if steps else None
            c["more"] = max(0, len(steps) - 1)
    return groups
