"""A candidate's milestones: the few dates reports count, derived from the state.

Reports ask "who was admitted in 2018H1, who was an activist on June 30" for a whole county at
once; answering from the event log or the JSON snapshot would mean reading every candidate. So
storage keeps these dates in a narrow, indexed row that changes only when a milestone does (about
six of the 25 steps), and `verify` checks it against the replay like every other projection.

Which date counts (the report says so too):
- activist_on / target_on / admitted_on / full_on: the date of the step that *enters* the stage
  (确定为入党积极分子 第九条, 确定为发展对象 第十三条, 上级党委审批 第二十四条, 转正审批 第三十四条);
  a township "发展党员 N 名" counts the approvals it gave in the period.
- probation_from: the branch meeting that admitted (第三十二条: probation counts from it).
- extended_on: the branch meeting that extended probation (第三十二条).
- ended_on / end_stage: leaving the process (withdrawn, disqualified, probation cancelled, …).
- first_on / closed_on: the earliest of these dates, and the latest once the candidacy is over (an
  end state, or full membership; None while it is open). A report picks `first_on <= period end AND (closed_on IS NULL OR
  closed_on >= period start)` with two comparisons a row — every candidate with a date in the
  period or in a stage on its last day, and few others — whatever order imported dates are in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflows.model import Definition

from .process import process_for
from .state import CandidateState

# The stage each milestone column marks the entry of.
ENTRY_COLUMNS = {
    "activist": "activist_on",
    "development_target": "target_on",
    "probationary": "admitted_on",
    "full_member": "full_on",
}


@dataclass(frozen=True)
class Milestones:
    branch_id: int
    applied_on: date | None = None
    activist_on: date | None = None
    target_on: date | None = None
    admitted_on: date | None = None
    probation_from: date | None = None
    full_on: date | None = None
    extended_on: date | None = None
    ended_on: date | None = None
    end_stage: str | None = None
    first_on: date | None = None
    closed_on: date | None = None

    def as_row(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _entry_steps(defn: Definition) -> dict[str, str]:
    """{milestone column: step id} — the step of the definition that enters each stage."""
    cached = getattr(defn, "_milestone_steps", None)
    if cached is None:
        cached = {ENTRY_COLUMNS[s.enters]: s.id for s in defn.steps if s.enters in ENTRY_COLUMNS}
        object.__setattr__(defn, "_milestone_steps", cached)  # frozen dataclass: a private memo
    return cached


def milestones(state: CandidateState, defn: Definition) -> Milestones:
    """The milestone dates of `state` (a candidate on definition `defn`)."""
    done = state.done
    dates = {col: done.get(step) for col, step in _entry_steps(defn).items()}
    end_states = process_for(defn).end_states
    ended = state.stage in end_states
    probation_from = done.get(defn.probation_after) if dates.get("admitted_on") else None
    ended_on = state.ended_on if ended else None
    known = [d for d in (state.applied_on, probation_from, state.extended_on, ended_on, *dates.values()) if d]
    return Milestones(
        branch_id=state.branch_id,
        applied_on=state.applied_on,
        probation_from=probation_from,
        extended_on=state.extended_on,
        ended_on=ended_on,
        end_stage=state.stage if ended and state.stage in end_states else None,
        first_on=min(known, default=None),
        closed_on=max(known, default=None) if ended or dates.get("full_on") else None,
        **dates,
    )


@dataclass(frozen=True)
class Tenure:
    """A stretch of a candidacy spent in one branch, ended by a transfer within the deployment.

    第十二条 carries the cultivation time over to the receiving branch, but what happened in the
    stretch stays with the branch it happened in: a report of the first half-year counts an
    admission under the branch that admitted, however often the person moves afterwards, and a
    person counts in a branch's stock (activists on June 30) only while they are in it. The
    transfer's date counts for the receiving branch.
    """

    branch_id: int
    held_from: date | None  # None: since the application
    held_until: date  # the date of the transfer that ended it


def branch_history(events) -> tuple[list[Tenure], date | None]:
    """(the past tenures in order, the date the current branch was joined — None when it is the
    branch that received the application) from a candidate's *effective* events
    (`effective_events`: corrections applied, voids removed), as `apply` moves the branch."""
    past: list[Tenure] = []
    branch: int | None = None
    since: date | None = None
    for e in events:
        if branch is None:  # the application names the receiving branch (apply.initial_state)
            branch = int(e.evidence.get("received_by") or 0)
        if e.kind == "transfer":
            past.append(Tenure(branch, since, e.occurred_on))
            branch, since = int(e.evidence["to_branch_id"]), e.occurred_on
    return past, since
