"""A candidate's log grouped by the stage of the process (入党申请人 … 正式党员): what the page shows
collapsed, one group per stage, the current stage's group open."""
from __future__ import annotations

from typing import Any

from engine.apply import apply, fold
from services.app import App
from services.casework.candidates import load_history


def _definition(app: App, key: str | None):
    try:
        return app.definition(key) if key else None
    except LookupError:
        return None


def history_by_stage(app: App, view: dict[str, Any]) -> list[dict[str, Any]]:
    """[{stage, stage_name, events, open}] in process order, from `show_candidate`'s timeline.

    A record goes to the stage the candidate was in *after* it (the log folded, engine.apply.fold):
    a first talk to 入党申请人, the admission meeting to 预备党员, and a probationary member's step-24
    records — an extension approved, a cancellation refused — stay with 预备党员 although step 24's
    own stage is 正式党员. A record that ends the process, and one the fold does not see (a
    correction, a voided record), goes to the stage the previous record was in. Only stages with records are listed; `open` marks the
    current stage's group (or the last group once the process has ended)."""
    c = view["candidate"]
    defn = _definition(app, c["definition_key"])
    if defn is None:
        return []
    order = [s.id for s in defn.stages]
    after = stages_after(app, c["id"])
    groups: dict[str, list] = {}
    current = order[0] if order else ""
    for e in view["timeline"]:
        stage = after.get(e["seq"])
        if stage in order:  # an ending record (撤回, 取消资格…) stays with the stage it ended
            current = stage
        groups.setdefault(current, []).append(e)
    stages = [s for s in order if s in groups] + [s for s in groups if s not in order]
    open_stage = c["stage"] if c["stage"] in groups else (stages[-1] if stages else None)
    return [{"stage": s, "stage_name": defn.stage_name(s), "events": groups[s], "open": s == open_stage}
            for s in stages]


def stages_after(app: App, candidate_id: int) -> dict[int, str]:
    """seq of each effective record -> the candidate's stage after it (a corrected record under
    its original seq, with the correction applied)."""
    with app.uow(read_only=True) as uow:
        history = load_history(uow, candidate_id)
    out: dict[int, str] = {}
    last = None
    for defn, before, e in fold(history, lambda key: app.definition(key), app.calendar):
        if last is not None:
            out[last.seq] = before.stage
        last = e
        last_defn, last_before = defn, before
    if last is not None:
        out[last.seq] = apply(last_defn, last_before, last, app.calendar).stage
    return out
