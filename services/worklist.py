"""Reads for the web pages: a user's week, the township's approval queue, candidates by stage and a
candidate's step table. Plain dicts (dates as ISO strings), built from the engine's outlook — the
same dates and articles `partyflow show` prints.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from engine import CandidateState, outlook, process_for
from services.access import Principal, step_side
from services.app import App
from services.queries import citation_label, show_candidate, stage_name
from storage.unit_of_work import UnitOfWork
from workflows.model import Definition

SOON = timedelta(days=7)


def _read(app: App) -> UnitOfWork:
    return UnitOfWork(app.engine, read_only=True)


def candidate_branch(app: App, candidate_id: int) -> int | None:
    """The branch a candidate belongs to now, or None if there is no such candidate."""
    with _read(app) as uow:
        row = uow.candidates.get(candidate_id)
    if row is None:
        return None
    return CandidateState.from_dict(row.state).branch_id or row.branch_id


def _rows(app: App, branch_ids: list[int] | None):
    """Candidates of the branches (None = all), their people and organisations."""
    if branch_ids is not None and not branch_ids:
        return [], {}, {}
    with _read(app) as uow:
        rows = uow.candidates.list(branch_ids, None, limit=None)
        people = uow.people.by_ids({r.person_id for r in rows})
        orgs = {o.id: o for o in uow.orgs.list()}
    return rows, people, orgs


def _definition(app: App, key: str) -> Definition | None:
    try:
        return app.definition(key)
    except LookupError:
        return None


def open_items(app: App, branch_ids: list[int] | None, side: str | None = None) -> list[dict[str, Any]]:
    """Every open step of every live candidate in the branches, one item each.

    Item: {candidate_id, name, branch_id, branch, stage_name, version, step, number, step_name,
    actor, side, earliest, earliest_citation, due, due_citation, waiting_for_names, ready}.
    `ready`: the step can be recorded today (prerequisites done, earliest date reached).
    """
    today = app.today()
    rows, people, orgs = _rows(app, branch_ids)
    items = []
    for r in rows:
        state = CandidateState.from_dict(r.state)
        defn = _definition(app, state.definition_key)
        if defn is None:
            continue
        for o in outlook(process_for(defn), state, app.calendar):
            s = step_side(o.step.actor)
            if side is not None and s != side:
                continue
            due = o.due or o.recurring
            branch_id = state.branch_id or r.branch_id
            items.append({
                "candidate_id": r.id,
                "name": people[r.person_id].name if r.person_id in people else "",
                "branch_id": branch_id,
                "branch": orgs[branch_id].name if branch_id in orgs else str(branch_id),
                "stage_name": stage_name(defn, state.stage),
                "version": r.version,
                "definition_key": state.definition_key,
                "step": o.step.id,
                "number": o.step.number,
                "step_name": o.step.name,
                "actor": o.step.actor,
                "actor_name": defn.roles.get(o.step.actor, o.step.actor),
                "side": s,
                "earliest": o.earliest.date.isoformat() if o.earliest else None,
                "earliest_citation": citation_label(o.earliest.rule) if o.earliest else None,
                "due": due.date.isoformat() if due else None,
                "due_citation": citation_label(due.rule) if due else None,
                "waiting_for_names": [defn.step(w).name for w in o.waiting_for],
                "ready": not o.waiting_for and (o.earliest is None or o.earliest.date <= today),
            })
    return items


def week(app: App, who: Principal) -> dict[str, Any]:
    """"本周待办" for the branch side of the user: {today, overdue, due_soon, possible}.

    overdue: due before today; due_soon: due within 7 days; possible: ready today, or becoming
    possible within 7 days (earliest date), and not already listed as due.
    """
    today = app.today()
    horizon = (today + SOON).isoformat()
    items = open_items(app, who.scope("branch"), side="branch")
    overdue = [i for i in items if i["due"] and i["due"] < today.isoformat()]
    due_soon = [i for i in items if i["due"] and today.isoformat() <= i["due"] <= horizon]
    listed = {(i["candidate_id"], i["step"]) for i in overdue + due_soon}
    possible = [i for i in items if (i["candidate_id"], i["step"]) not in listed and not i["waiting_for_names"]
                and (i["earliest"] is None or i["earliest"] <= horizon)]
    key = lambda i: (i["due"] or "9999", i["earliest"] or "", i["candidate_id"], i["number"])  # noqa: E731
    return {"today": today.isoformat(), "overdue": sorted(overdue, key=key), "due_soon": sorted(due_soon, key=key),
            "possible": sorted(possible, key=lambda i: (i["earliest"] or "", i["candidate_id"], i["number"]))}


def approval_queue(app: App, who: Principal) -> list[dict[str, Any]]:
    """The township's queue: township-side steps (备案, 培训, 预审, 谈话, 审批, 宣誓) whose
    prerequisites are done, in the branches the user records township steps for; oldest due first."""
    items = [i for i in open_items(app, who.scope("township"), side="township") if not i["waiting_for_names"]]
    return sorted(items, key=lambda i: (i["due"] or "9999", i["earliest"] or "", i["candidate_id"], i["number"]))


def candidates_by_stage(app: App, branch_ids: list[int] | None) -> list[dict[str, Any]]:
    """[{stage, stage_name, candidates: [{id, name, branch, applied_on, late}]}] in process order,
    end states last."""
    rows, people, orgs = _rows(app, branch_ids)
    groups: dict[str, dict[str, Any]] = {}
    order: dict[str, int] = {}
    for r in rows:
        state = CandidateState.from_dict(r.state)
        defn = _definition(app, state.definition_key)
        if defn is not None and not order:
            order = {s.id: i for i, s in enumerate((*defn.stages, *defn.end_states))}
        g = groups.setdefault(r.stage, {"stage": r.stage, "stage_name": stage_name(defn, r.stage), "candidates": []})
        branch_id = state.branch_id or r.branch_id
        g["candidates"].append({
            "id": r.id, "name": people[r.person_id].name if r.person_id in people else "",
            "branch": orgs[branch_id].name if branch_id in orgs else str(branch_id),
            "applied_on": r.applied_on.isoformat(), "late": len(state.late),
        })
    return sorted(groups.values(), key=lambda g: order.get(g["stage"], 99))


def step_table(app: App, candidate_id: int) -> dict[str, Any]:
    """`show_candidate` plus `steps`: every step of the definition with its status.

    Step: {number, id, name, actor_name, side, status, date, late, earliest, earliest_text, due,
    due_text, reason, citation}; status is done | open | waiting | blocked | pending | ended.
    open: can be recorded today; waiting: its clock runs but a prerequisite is missing; blocked: not
    before its earliest date (reason names the rule and article); pending: prerequisites missing.
    """
    view = show_candidate(app, candidate_id)
    today = app.today().isoformat()
    defn = app.definition(view["candidate"]["definition_key"])
    with _read(app) as uow:
        state = CandidateState.from_dict(uow.candidates.get(candidate_id).state)
    proc = process_for(defn)
    ended = state.stage in proc.end_states
    next_by_step = {n["step"]: n for n in view["next_steps"]}
    steps = []
    for s in defn.steps:
        n = next_by_step.get(s.id)
        item = {"number": s.number, "id": s.id, "name": s.name, "actor": s.actor,
                "actor_name": defn.roles.get(s.actor, s.actor), "side": step_side(s.actor),
                "date": state.done[s.id].isoformat() if s.id in state.done else None,
                "late": s.id in state.late, "earliest": None, "earliest_text": None, "due": None, "due_text": None,
                "reason": None, "citation": citation_label(s) if s.citation.article else "", "repeatable": s.repeatable}
        if n is not None:
            due = n.get("due") or n.get("recurring")
            if due:
                item["due"], item["due_text"] = due["date"], f"{due['text']}（{due['citation']}）"
            if n.get("earliest"):
                e = n["earliest"]
                item["earliest"], item["earliest_text"] = e["date"], f"{e['text']}（{e['citation']}）"
        if s.id in state.done and not (s.repeatable and n is not None):
            item["status"] = "done"
        elif ended:
            item["status"] = "ended"
            item["reason"] = f"流程已结束（{view['candidate']['stage_name']}）"
        elif n is None:
            item["status"] = "pending"
            missing = [defn.step(x).name for x in s.requires if x not in state.done]
            item["reason"] = ("须先完成：" + "、".join(missing)) if missing else "当前阶段不能办理"
        elif n["waiting_for"]:
            item["status"] = "waiting"
            item["reason"] = "须先完成：" + "、".join(n["waiting_for_names"])
        elif item["earliest"] and item["earliest"] > today:
            item["status"] = "blocked"
            item["reason"] = f"最早可于 {item['earliest']} 办理：{item['earliest_text']}"
        else:
            item["status"] = "open"
        steps.append(item)
    view["steps"] = steps
    return view
