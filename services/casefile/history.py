"""A candidate's log grouped by the stage of the process (入党申请人 … 正式党员): what the page shows
collapsed, one group per stage, the current stage's group open."""
from __future__ import annotations

from typing import Any

from services.app import App


def _definition(app: App, key: str | None):
    try:
        return app.definition(key) if key else None
    except LookupError:
        return None


def history_by_stage(app: App, view: dict[str, Any]) -> list[dict[str, Any]]:
    """[{stage, stage_name, events, open}] in process order, from `show_candidate`'s timeline.

    A step's record goes to its step's stage; a record without a step of the definition (a
    withdrawal, a transfer, a correction of such a record) to the stage the previous record was
    in. Only stages with records are listed; `open` marks the current stage's group (or the last
    group once the process has ended)."""
    c = view["candidate"]
    defn = _definition(app, c["definition_key"])
    if defn is None:
        return []
    order = [s.id for s in defn.stages]
    groups: dict[str, list] = {}
    current = order[0] if order else ""
    for e in view["timeline"]:
        d = _definition(app, e.get("definition_key")) or defn
        if e.get("step") and d.has_step(e["step"]):
            current = d.step(e["step"]).stage
        groups.setdefault(current, []).append(e)
    stages = [s for s in order if s in groups] + [s for s in groups if s not in order]
    open_stage = c["stage"] if c["stage"] in groups else (stages[-1] if stages else None)
    return [{"stage": s, "stage_name": defn.stage_name(s), "events": groups[s], "open": s == open_stage}
            for s in stages]
