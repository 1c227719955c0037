"""May a step be recorded today? The step form asks before it shows any field: a step that the
engine would refuse whatever is typed (not before a date that has not come, a prerequisite
missing, the stage not yet reached, already done, the process ended) gets why and when instead.

The answer comes from the step table (the engine's outlook, today in Beijing time); the engine
still checks every submission, so a gate that lets a step through changes nothing.
"""
from __future__ import annotations

from typing import Any, Sequence

from engine import CandidateState, effective_events, process_for
from engine.prerequisites import root_causes, sentences
from services.app import App
from services.casework.candidates import load_history
from services.casefile.next_action import due_line, earliest_line, rule_lines
from services.worklist.reads import step_table


def _row(view: dict[str, Any], step_id: str) -> dict[str, Any] | None:
    return next((s for s in view["steps"] if s["id"] == step_id), None)


def gate_for(view: dict[str, Any], step_id: str, today: str, causes: Sequence[str] = ()) -> dict[str, Any] | None:
    """None when the step may be recorded today, else {status, title, lines, rules, message}:
    `lines` say why and when (the earliest date once, a missing prerequisite and what really
    stops it — `causes`, engine/prerequisites.py —, the due date), `rules` the rules behind the
    dates in words with their articles, and `message` all of it in one sentence (for a refusal
    outside the page)."""
    s = _row(view, step_id)
    if s is None:
        return None
    status = s["status"]
    rules = rule_lines(s) if status in ("blocked", "waiting") else []
    if status == "blocked":
        title, lines = "还没到可以办理的日期", [earliest_line(s, today)]
    elif status == "waiting" or (status == "pending" and not s.get("repeatable")):
        reason = s["reason"] or "当前阶段不能办理"
        waiting = reason.startswith("须先完成")
        title = ("已退回党支部" if s.get("returned") else "须先完成前面的步骤" if waiting else "当前阶段还不能办理")
        lines = [reason + (f"（{s['citation']}）" if waiting and s.get("citation") else ""),
                 *(causes if waiting else ())]
    elif status == "ended":
        title, lines = "流程已结束", [s["reason"]]
    elif status == "done" and not s.get("repeatable"):
        title, lines = "该步骤已办理", [f"已于 {s['date']} 办理；如记录有误，请更正该记录，不必重新办理"]
    else:
        return None
    if status in ("blocked", "waiting") and due_line(s, today):
        lines.append(due_line(s, today))
    message = f"第{s['number']}步 {s['name']}未能办理：" + "；".join(lines) + "".join(f"（依据：{r}）" for r in rules[:1])
    return {"status": status, "title": title, "lines": lines, "rules": rules, "message": message}


def step_gate(app: App, candidate_id: int, step_id: str) -> dict[str, Any] | None:
    """`gate_for` over the candidate's step table today; a step waiting for its prerequisites
    also says what really stops them (the log is read only then)."""
    view = step_table(app, candidate_id)
    row = _row(view, step_id)
    waiting = row is not None and row["status"] in ("waiting", "pending") and (row["reason"] or "").startswith("须先完成")
    return gate_for(view, step_id, app.today().isoformat(), _causes(app, candidate_id, step_id) if waiting else ())


def _causes(app: App, candidate_id: int, step_id: str) -> list[str]:
    """The root causes behind a step's missing prerequisites, in sentences (engine/prerequisites.py)."""
    with app.uow(read_only=True) as uow:
        state = CandidateState.from_dict(uow.candidates.get(candidate_id).state)
        events = effective_events(load_history(uow, candidate_id))
    proc = process_for(app.definition(state.definition_key))
    return sentences(proc, root_causes(proc, state, events, step_id))
