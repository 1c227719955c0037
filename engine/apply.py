"""Folding events into state. The same code serves the live path and `replay` (verify)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Iterator, Mapping

from engine.calendar import WorkdayCalendar
from engine.process import Process, process_for
from engine.resolution import (
    CANCEL, DONE, EXTEND, REFUSE, REJECT, RESOLVE, STAY, apply_migration, approval_effect, resolve,
)
from engine.review import apply_return, apply_submit
from engine.rules.vote import vote_passed
from engine.state import CandidateState, Event
from engine.timing import covers_by_period, due, fills_missed_period, next_recurring
from workflows.model import Definition, StepSpec


def outcome_of(step: StepSpec, evidence: Mapping[str, Any]) -> tuple[bool, bool]:
    """(positive, resolution_adopted) of a recorded step.

    A step with a vote counts only if the vote passed; an `outcome` field then decides.
    """
    adopted = all(
        vote_passed(evidence[f.name]) for f in step.evidence if f.type == "vote" and isinstance(evidence.get(f.name), dict)
    )
    out = step.outcome
    if out is None:
        return adopted, adopted
    spec = step.field(out.field)
    if spec is not None and spec.type == "vote":
        return adopted, adopted
    return adopted and evidence.get(out.field) in out.positive, adopted


def due_date_missed(proc: Process, step: StepSpec, state: CandidateState, on: date, evidence, cal) -> date | None:
    """The due date a step recorded on `on` missed, if any ("within" rules never block)."""
    if step.repeatable:
        r = next_recurring(proc, step, state)
        return r.date if r is not None and on > r.date else None
    d, _ = due(proc, step, state, cal, evidence)
    return d.date if d is not None and on > d.date else None


__all__ = ["CANCEL", "DONE", "EXTEND", "REFUSE", "REJECT", "RESOLVE", "STAY"]


def outcome_effect(step: StepSpec, evidence: Mapping[str, Any], proc: Process | None = None,
                   state: CandidateState | None = None) -> str:
    """The one place the outcome of a recorded step is decided:

    "done" (positive), "extend" (probation extended), "cancel" (probation cancelled),
    "reject" (recorded as not passed: an end state) or "stay" (the step is still to be done); where
    the definition makes the result a resolution (engine/resolution.py), "resolve" (adopted, waiting
    for approval) and, on the approval step, "refuse" (not approved). The approval step's effect
    depends on the pending resolution, so it needs `proc` and `state`.
    """
    positive, adopted = outcome_of(step, evidence)
    out = step.outcome
    if out is not None and out.approved_by:
        value = evidence.get(out.field)
        return RESOLVE if adopted and (value in out.positive or str(value) in out.effects) else STAY
    if proc is not None and state is not None and step.id in proc.resolution_for:
        effect = approval_effect(proc.steps[proc.resolution_for[step.id]], state, positive)
        if effect is not None:
            return effect
    if positive:
        return DONE
    if out is None:
        return STAY
    if adopted:
        effect = out.effects.get(str(evidence.get(out.field)))
        if effect == "extend_probation":
            return EXTEND
        if effect == "cancel_probation":
            return CANCEL
    return REJECT if out.negative == "rejected" else STAY


@dataclass(slots=True)  # one per step (slots, no frozen __setattr__): treat as immutable
class StepResult:
    """What `decide` already worked out for a step event, so `apply` need not do it again.

    Only the live path passes one; `replay` always recomputes (the log is the truth)."""

    missed: date | None  # the due date the step missed, if any
    effect: str  # outcome_effect()


def step_result(proc: Process, step: StepSpec, state: CandidateState, on: date, evidence, cal) -> StepResult:
    return StepResult(due_date_missed(proc, step, state, on, evidence, cal), outcome_effect(step, evidence, proc, state))


def _steps_on_probation_end(proc: Process) -> list[str]:
    return [s.id for s in proc.definition.steps if any(r.params.get("after") == "probation_end" for r in s.rules)]


def _reopen(state: CandidateState, sid: str) -> None:
    """Forget a step (it has to be done again), and whether it was late."""
    state.done.pop(sid, None)
    state.late.pop(sid, None)


def apply_step(
    proc: Process, state: CandidateState, event: Event, cal: WorkdayCalendar, result: StepResult | None = None
) -> CandidateState:
    step = proc.steps[event.step]
    new = state.copy()
    if result is None:
        result = step_result(proc, step, state, event.occurred_on, event.evidence, cal)
    effect = result.effect
    if step.id in state.submitted or step.id in state.returned:  # the review of this step is over
        new.submitted.pop(step.id, None)
        new.returned.pop(step.id, None)
    if step.id in proc.resolution_for and state.pending is not None:
        new.pending = None  # the approval step decides the pending resolution, whatever it decides
    if effect in (DONE, RESOLVE):
        if result.missed is not None:
            new.late[step.id] = result.missed
        last = state.done.get(step.id)
        if last is None or last <= event.occurred_on or not covers_by_period(step):
            new.done[step.id] = event.occurred_on
        elif fills_missed_period(proc, step, state, event.occurred_on):
            new.late.pop(step.id, None)  # the missed half-year, typed after a later one: covered
        if effect == RESOLVE:
            new.pending = resolve(step, event.evidence, event.occurred_on)
            return new
        if step.repeatable:
            new.entries[step.id] = new.entries.get(step.id, 0) + 1
        if step.enters:
            new.stage = proc.fire(f"step:{step.id}", state.stage, step.name)
            if step.id == proc.definition.steps[0].id:
                new.applied_on = event.occurred_on
    elif effect == REFUSE:
        _reopen(new, proc.resolution_for[step.id])  # the branch meeting decides again
    elif effect == EXTEND:
        months = state.pending.months if step.id in proc.resolution_for and state.pending else event.evidence.get("extension_months")
        new.extension_months += int(months or 0)
        new.extensions += 1
        new.extended_on = event.occurred_on
        for sid in _steps_on_probation_end(proc):
            _reopen(new, sid)
    elif effect == CANCEL:
        new.stage = proc.fire("cancel_probation", state.stage, "取消预备党员资格")
        new.ended_on = event.occurred_on
    elif effect == REJECT:
        new.stage = proc.fire("reject", state.stage, "记为未通过")
        new.ended_on = event.occurred_on
    return new


def apply_exceptional(proc: Process, state: CandidateState, event: Event) -> CandidateState:
    new = state.copy()
    if event.kind == "transfer":
        new.branch_id = int(event.evidence["to_branch_id"])
        return new
    new.stage = proc.fire(event.kind, state.stage, event.kind)
    if event.kind == "reconsider":
        new.ended_on = None
        for sid in proc.definition.reconsider_reopens:
            _reopen(new, sid)
    else:
        new.ended_on = event.occurred_on
    return new


def apply(
    definition: Definition, state: CandidateState, event: Event, cal: WorkdayCalendar,
    result: StepResult | None = None,
) -> CandidateState:
    """The state after one (effective) event (`result`: what `decide` already computed for a step)."""
    proc = process_for(definition)
    if event.kind == "step":
        new = apply_step(proc, state, event, cal, result)
    elif event.kind == "migrate":
        new = state.copy()
        new.definition_key = str(event.evidence["to"])
        apply_migration(new, event.evidence)
    elif event.kind == "submit":
        new = apply_submit(state, event.step, event.occurred_on)
    elif event.kind == "return":
        new = apply_return(state, event.step, event.occurred_on, list(event.evidence.get("reopened") or ()))
    else:
        new = apply_exceptional(proc, state, event)
    new.seq = max(state.seq, event.seq)
    return new


def effective_events(events: Iterable[Event]) -> list[Event]:
    """The log with corrections applied: a "correct" replaces the event it supersedes (in its
    place), a "void" removes it. The log itself is never changed."""
    by_seq: dict[int, Event] = {}
    order: list[int] = []
    for e in events:
        if e.kind == "correct":
            orig = by_seq.get(e.supersedes)
            if orig is not None:
                by_seq[e.supersedes] = Event(
                    seq=orig.seq, kind=orig.kind, occurred_on=e.occurred_on, recorded_at=orig.recorded_at,
                    actor=orig.actor, step=orig.step, evidence=e.evidence, supersedes=None,
                    reason=orig.reason, late=e.late, definition_key=orig.definition_key,
                )
        elif e.kind == "void":
            by_seq.pop(e.supersedes, None)
        else:
            by_seq[e.seq] = e
            order.append(e.seq)
    return [by_seq[s] for s in order if s in by_seq]


def initial_state(first: Event) -> CandidateState:
    """The state before the first (application) event, which names the receiving branch."""
    return CandidateState(definition_key=first.definition_key, branch_id=int(first.evidence.get("received_by") or 0))


def fold(events: Iterable[Event], resolve: Callable[[str], Definition], cal: WorkdayCalendar
         ) -> Iterator[tuple[Definition, CandidateState, Event]]:
    """Each effective event with the definition and the state it applies to (for re-checking history)."""
    eff = effective_events(events)
    if not eff:
        return
    state = initial_state(eff[0])
    for e in eff:
        defn = resolve(state.definition_key)
        yield defn, state, e
        state = apply(defn, state, e, cal)


def replay(
    events: Iterable[Event],
    resolve: Callable[[str], Definition],
    cal: WorkdayCalendar,
) -> CandidateState | None:
    """The state the log implies (None for an empty log). The application event names the
    receiving branch (`received_by`), so the log alone is enough."""
    events = list(events)
    if not events:
        return None
    eff = effective_events(events)
    state = initial_state(eff[0])
    for e in eff:
        state = apply(resolve(state.definition_key), state, e, cal)
    state.seq = max(e.seq for e in events)
    return state
