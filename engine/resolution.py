"""Resolutions that wait for the higher committee (党章第七条).

Converting a probationary member, extending the probation and cancelling it all need a branch
meeting resolution *and* the approval of the higher party organisation. A definition says so with
`outcome.approved_by` on the resolving step (cpc_2014@2: step 23 is approved by step 24): recording
the meeting completes step 23 and leaves the resolution pending on the state; the approval step
then carries out whatever was resolved — the conversion, the extension or the cancellation — or,
refused, sends step 23 back to the branch meeting while the probation runs on as before.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from engine.calendar import add_months
from engine.state import CandidateState, Resolution
from workflows.model import StepSpec

# What a recorded step does to the candidate (engine.apply.outcome_effect); the last two exist only
# where a definition makes a step's result a resolution (`outcome.approved_by`).
DONE, EXTEND, CANCEL, REJECT, STAY = "done", "extend", "cancel", "reject", "stay"
RESOLVE = "resolve"  # an adopted resolution: the step is done, its decision waits for approval
REFUSE = "refuse"  # the higher committee did not approve the pending resolution

_EFFECTS = {"extend_probation": EXTEND, "cancel_probation": CANCEL}
EXTENSION_FIELD = "extension_months"


def decision_effect(step: StepSpec, decision: Any) -> str | None:
    """What a resolution of `step` deciding `decision` does once it takes effect (None: nothing)."""
    out = step.outcome
    if out is None:
        return None
    if decision in out.positive:
        return DONE
    return _EFFECTS.get(out.effects.get(str(decision), ""))


def resolve(step: StepSpec, evidence: Mapping[str, Any], on: date) -> Resolution:
    """The pending resolution an adopted sitting of `step` leaves on the state."""
    decision = evidence.get(step.outcome.field)
    return Resolution(step.id, str(decision), on, int(evidence.get(EXTENSION_FIELD) or 0))


def approval_effect(resolving: StepSpec, state: CandidateState, approved: bool) -> str | None:
    """What the approval step does to the pending resolution of `resolving` (None: none pending,
    e.g. a candidate migrated from a version without resolutions — the step then counts as usual)."""
    pending = state.pending
    if pending is None or pending.step != resolving.id:
        return None
    if not approved:
        return REFUSE
    return decision_effect(resolving, pending.decision) or DONE


def describe(resolving: StepSpec, pending: Resolution) -> str:
    """The resolution in words, e.g. "延长预备期 6 个月"."""
    label = resolving.field(resolving.outcome.field).choice_label(pending.decision) if resolving.outcome else pending.decision
    if decision_effect(resolving, pending.decision) == EXTEND and pending.months:
        return f"{label} {pending.months} 个月"
    return label


def resolution_words(step: StepSpec, evidence: Mapping[str, Any], approver: StepSpec) -> str:
    """What recording an adopted resolution tells the user: it waits for the approval."""
    pending = resolve(step, evidence, date.min)
    return (f"支部大会决议：{describe(step, pending)}，须报上级党委审批，批准后生效"
            f"（党章第七条；{approver.citation.label()}）；批准前预备期照常计算")


def approval_words(resolving: StepSpec, pending: Resolution, effect: str, probation_end: date | None) -> str:
    """What approving (or refusing) the pending resolution does, in one sentence."""
    what = describe(resolving, pending)
    if effect == REFUSE:
        return (f"上级党委不批准支部大会 {pending.on} 的决议（{what}）：预备期照常计算，"
                f"须由支部大会重新讨论")
    if effect == EXTEND and probation_end is not None:
        return f"批准支部大会 {pending.on} 的决议：{what}，预备期延至 {add_months(probation_end, pending.months)}"
    return f"批准支部大会 {pending.on} 的决议：{what}"
