"""A branch's roll on a meeting date: who had a vote at a 支部大会 (第二十条、第二十一条).

The vote's 应到 counts the branch's full members with voting rights; the engine compares it with
this roll (engine/rules/vote.py `roll_notes`) and warns when they differ. What the roll knows:

- a member is the branch's when `person.branch_id` says so today (members' own transfers between
  branches are not dated in the database);
- a member admitted through a candidacy is full from its conversion (`milestone.full_on`) and
  probationary from `probation_from`; one recorded as a member without a candidacy is taken as
  full before any meeting;
- a candidacy that ended by death or transfer out of the deployment takes the person off the roll
  from that day;
- 留党察看 / 停止党员权利 (`person.rights_suspended`) is known only as it stands today.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, case, func, literal_column, select

from engine import CompleteStep, Correct, effective_events
from engine.context import Roll
from storage.repositories.hot import HotStatement, execute
from storage.tables import candidate, milestone, person
from storage.unit_of_work import UnitOfWork

_p, _m, _c = person.c, milestone.c, candidate.c
_GONE = ("deceased", "transferred_out")  # end stages that take a member off the roll


def _texts(*values: str) -> list:
    return [literal_column(f"'{v}'") for v in values]  # constants in the SQL text (a hot statement binds none)


# compiled once per dialect: every vote step (two or three of the 25) reads its branch's roll
_roll = HotStatement(
    select(_p.id, _p.name, _p.party_status, _p.rights_suspended, func.min(_m.full_on), func.min(_m.probation_from),
           func.min(case((_m.end_stage.in_(_texts(*_GONE)), _m.ended_on))))
    .select_from(person.outerjoin(candidate, _c.person_id == _p.id).outerjoin(milestone, _m.candidate_id == _c.id))
    .where(_p.branch_id == bindparam("b_branch"), _p.party_status.in_(_texts("full_member", "probationary")))
    .group_by(_p.id, _p.name, _p.party_status, _p.rights_suspended)
    .order_by(_p.id)
)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def roll_on(uow: UnitOfWork, branch_id: int, on: date) -> Roll:
    """The branch's full members with voting rights and its probationary members on `on`, by name
    (one query; a vote step only)."""
    voters: list[str] = []
    probationary: list[str] = []
    rows = execute(uow.connection, _roll, {"b_branch": branch_id}).fetchall()
    for _pid, name, status, suspended, full_on, probation_from, gone_on in rows:
        full_on, probation_from, gone_on = _day(full_on), _day(probation_from), _day(gone_on)
        if gone_on is not None and gone_on <= on:
            continue
        if status == "full_member" and (full_on is None or full_on <= on):
            if not suspended:
                voters.append(name)
        elif probation_from is None or probation_from <= on:  # probationary then (or recorded as such)
            probationary.append(name)
    return Roll(on, tuple(voters), tuple(probationary), recorded=bool(rows))


def _vote_step(defn, step_id: str | None) -> bool:
    """A step with a vote rule (an unknown id is the engine's to refuse)."""
    return bool(step_id) and defn.has_step(step_id) and any(r.kind == "vote" for r in defn.step(step_id).rules)


def roll_for(uow: UnitOfWork, defn, state, cmd, history=None) -> Roll | None:
    """The roll a command's vote is checked against: a branch meeting recorded now, or a correction
    of one (its corrected date, the branch the candidate was in then); None for anything else."""
    if isinstance(cmd, CompleteStep):
        if not _vote_step(defn, cmd.step) or state.branch_id is None:
            return None
        return roll_on(uow, state.branch_id, cmd.occurred_on)
    if isinstance(cmd, Correct) and history is not None:
        events = effective_events(history)
        target = next((e for e in events if e.seq == cmd.seq), None)
        if target is None or target.kind != "step" or not _vote_step(defn, target.step):
            return None
        branch = None
        for e in events:  # the branch the candidate was in when the meeting was held
            if e.seq >= target.seq:
                break
            if branch is None:
                branch = int(e.evidence.get("received_by") or 0) or state.branch_id
            if e.kind == "transfer":
                branch = int(e.evidence["to_branch_id"])
        return roll_on(uow, branch or state.branch_id, cmd.occurred_on or target.occurred_on)
    return None
