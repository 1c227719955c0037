"""Writes a logged-in user makes (web pages and API alike): the access check, the same use case
the CLI calls (services/casework/candidates.py), then the audit row with the user.

Errors: `NotFoundError` (no such candidate or step → 404), `ForbiddenError` (a branch or a step
the user may not touch → 403); rule violations stay `DomainError` (the engine's, with articles).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from engine import CandidateState
from engine.errors import refuse
from services.casework import candidates
from services.accounts.access import Principal
from services.app import App
from services.integrity.audit_log import record
from services.casework.results import CommandResult
from workflows.model import StepSpec


class NotFoundError(Exception):
    """The thing asked for does not exist (a 404)."""


class ForbiddenError(Exception):
    """The user may not see or do this (a 403)."""


MAX_ID = 2**31 - 1


def load_for(app: App, who: Principal, candidate_id: int) -> tuple[Any, CandidateState, Any]:
    """(row, state, definition) of a candidate the user may read, else NotFoundError / ForbiddenError."""
    if not 0 < candidate_id <= MAX_ID:
        raise NotFoundError("找不到这名候选人（链接有误，或已被删除）")
    with app.uow(read_only=True) as uow:
        row = uow.candidates.get(candidate_id)
    if row is None:
        raise NotFoundError("找不到这名候选人（链接有误，或已被删除）")
    state = CandidateState.from_dict(row.state)
    if not who.can_read(state.branch_id or row.branch_id):
        raise ForbiddenError(moved_out(app, who, row) or "无权查看其他党支部的候选人")
    return row, state, app.definition(state.definition_key)


def moved_out(app: App, who: Principal, row) -> str | None:
    """Why a candidate the user once read is no longer theirs, in words ("张秀英已于 2026-11-25
    转入东王村党支部，已不在你的查看范围内…"), when a transfer took them out of a branch the user reads (a
    notice or a bookmark of the branch's former candidate); None when they never were."""
    with app.uow(read_only=True) as uow:
        moves = [e for e in uow.events.list_for(row.id) if e.kind == "transfer" and e.evidence
                 and who.can_read(int(e.evidence.get("from_branch_id") or 0))]
        if not moves:
            return None
        person = uow.people.get(row.person_id)
        last = moves[-1]
        to = uow.orgs.get(int(last.evidence.get("to_branch_id") or 0))
    name = person.name if person else "该候选人"
    where = to.name if to else "其他党支部"
    return f"{name}已于 {last.occurred_on.isoformat()} 转入{where}，已不在你的查看范围内；如需了解，请联系{where}"


def step_for(app: App, who: Principal, candidate_id: int, step_id: str) -> tuple[Any, CandidateState, StepSpec]:
    """The step a user is about to record: it exists and the user's role records it in that branch."""
    row, state, defn = load_for(app, who, candidate_id)
    if not defn.has_step(step_id):
        raise NotFoundError("这名候选人的流程中没有这一步骤（链接有误）")
    step = defn.step(step_id)
    if not who.can_act(state.branch_id or row.branch_id, step.actor):
        raise ForbiddenError(f"“{step.name}”由{defn.roles.get(step.actor, step.actor)}办理，你的角色不能办理")
    return row, state, step


def record_step(app: App, who: Principal, candidate_id: int, step_id: str, *, occurred_on: date,
                evidence: Mapping[str, Any], expected_version: int | None, preview: bool = False) -> CommandResult:
    """Complete a step as this user (the event's actor is the user), then audit it. `preview`: the
    engine's dry run, nothing written."""
    _row, _state, step = step_for(app, who, candidate_id, step_id)
    _people_in_scope(app, who, step, evidence)
    result = candidates.complete_step(app, candidate_id, step_id, occurred_on=occurred_on, actor=who.actor,
                                      evidence=evidence, expected_version=expected_version, preview=preview)
    if preview:
        return result
    record(app, user_id=who.user_id, username=who.username, action="step.complete", target_kind="candidate",
           target_id=candidate_id, detail={"step": step_id, "occurred_on": occurred_on, "evidence": dict(evidence),
                                           "version": result.version, "late": result.decision.event.late})
    return result


def _people_in_scope(app: App, who: Principal, step: StepSpec, evidence: Mapping[str, Any]) -> None:
    """A mentor or sponsor the user names must be someone the user may see: a secretary cannot
    record a member of a branch outside her scope (the form offers only her branch's members; a
    forged value or the API could name anyone)."""
    from engine.evidence import by_field_name, people_ids

    ids = people_ids(step, by_field_name(step, evidence))
    if not ids or who.is_admin:
        return
    with app.uow(read_only=True) as uow:
        found = uow.people.by_ids(ids)
        foreign = [p.name for p in found.values() if (b := uow.people.branch_of(p)) is not None and not who.can_read(b)]
    if foreign:
        raise ForbiddenError(f"不能选用其他党支部的人员：{'、'.join(foreign)}")


def quick_fields(step: StepSpec) -> list | None:
    """The fields of a one-click approval in the queue: the required text fields (an opinion, a
    talker), with the outcome field set to its positive value; None when the step needs the full
    form (numbers, people, votes, dates)."""
    outcome_field = step.outcome.field if step.outcome else None
    fields = []
    for spec in step.evidence:
        if spec.name == outcome_field and spec.type == "bool" or not spec.required:
            continue
        if spec.type not in ("text", "docref"):
            return None
        fields.append(spec)
    if outcome_field and (step.field(outcome_field) is None or step.field(outcome_field).type != "bool"):
        return None
    return fields


def approve_evidence(step: StepSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Evidence for an approval from the queue: the quick fields as typed, the outcome positive."""
    evidence = {spec.name: values.get(spec.name, "") for spec in quick_fields(step) or ()}
    if step.outcome:
        evidence[step.outcome.field] = True
    return evidence
