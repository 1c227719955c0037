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

from typing import TYPE_CHECKING

from engine.calendar import add_months
from engine.state import CandidateState, Resolution

if TYPE_CHECKING:
    from engine.process import Process
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
    return (f"支部大会决议：{describe(step, pending)}，须报{approver.name}，批准后生效"
            f"（党章第七条）；批准前预备期照常计算")


def approval_words(resolving: StepSpec, pending: Resolution, effect: str, probation_end: date | None,
                   on: date | None = None) -> str:
    """What approving (or refusing, on `on`) the pending resolution does, in one sentence; an
    extension approved after the extended probation has already run out says so."""
    what = describe(resolving, pending)
    if effect == REFUSE:
        return (f"上级党委不批准支部大会 {pending.on} 的决议（{what}）：预备期照常计算，"
                f"须由支部大会重新讨论")
    if effect == EXTEND and probation_end is not None:
        end = add_months(probation_end, pending.months)
        late = (f"；延长后的预备期已于 {end} 期满，支部大会应及时讨论转正"
                if on is not None and on > end else "")
        return f"批准支部大会 {pending.on} 的决议：{what}，预备期延至 {end}{late}"
    return f"批准支部大会 {pending.on} 的决议：{what}"


# --- moving a candidate onto a version with resolutions (cpc_2014@1 -> @2) -----------------------

def migration_resolution(source: Process, target: Process, state: CandidateState, events) -> dict[str, Any]:
    """What a migration onto `target` must carry over so a resolution the old version already
    carried out (or left to a plain approval) now waits for the higher committee: the evidence the
    migrate event records (empty: nothing pending). `events`: the effective log.

    Only the latest sitting of the resolving step counts, and only while nothing later decided it
    (its approval, or a later sitting): an extension under @1 took effect at the meeting, so it is
    undone here (steps it reopened are restored) and waits; a cancellation under @1 ended the
    candidacy, so the candidate returns to probation with the cancellation waiting.
    """
    for approver, resolving in target.resolution_for.items():
        if source.steps.get(resolving) is None or source.steps[resolving].outcome is None \
                or source.steps[resolving].outcome.approved_by or state.pending is not None:
            continue
        sittings = [e for e in events if e.kind == "step" and e.step == resolving]
        if not sittings or approver in state.done and state.done[approver] >= sittings[-1].occurred_on:
            continue
        last = sittings[-1]
        step = target.steps[resolving]
        from engine.apply import outcome_of  # apply imports this module

        if not outcome_of(step, last.evidence)[1]:
            continue  # not adopted: nothing was resolved
        decision = last.evidence.get(step.outcome.field)
        effect = decision_effect(step, decision)
        pending = resolve(step, last.evidence, last.occurred_on)
        out: dict[str, Any] = {"pending": pending.to_dict()}
        if effect == EXTEND:
            if resolving in state.done or state.extended_on != last.occurred_on:
                continue  # a later sitting already decided again
            out["undo"] = "extend"
            restore = {resolving: last.occurred_on.isoformat()}
            for e in events:  # the steps the extension reopened, as they were before it
                if e.kind == "step" and e.step in target.steps and e.step != resolving and e.occurred_on <= last.occurred_on \
                        and any(r.params.get("after") == "probation_end" for r in target.steps[e.step].rules):
                    restore[e.step] = e.occurred_on.isoformat()
            out["restore"] = restore
        elif effect == CANCEL:
            if state.stage != "probation_cancelled" or state.ended_on != last.occurred_on or events[-1] is not last:
                continue
            out["undo"] = "cancel"
            out["restore"] = {resolving: last.occurred_on.isoformat()}
        elif effect != DONE or resolving not in state.done:
            continue
        return out
    return {}


def apply_migration(state: CandidateState, evidence: Mapping[str, Any]) -> None:
    """Carry a migration's resolution onto `state` (a copy the caller owns): see `migration_resolution`."""
    p = evidence.get("pending")
    if not p:
        return
    state.pending = Resolution.from_dict(p)
    undo = evidence.get("undo")
    if undo == "extend":
        state.extension_months -= state.pending.months
        state.extensions -= 1
        state.extended_on = None
    elif undo == "cancel":
        state.stage = "probationary"
        state.ended_on = None
    for sid, on in (evidence.get("restore") or {}).items():
        state.done[sid] = date.fromisoformat(on)
