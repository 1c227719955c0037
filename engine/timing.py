"""Time rules: when a step may happen ("not before") and when it is due ("within").

Computed dates are never stored as facts: they are derived here from the recorded dates, so a
correction of a fact moves every date that depends on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from engine.calendar import WorkdayCalendar, shift
from engine.process import Process
from engine.state import CandidateState
from workflows.model import RuleSpec, StepSpec


@dataclass(frozen=True)
class RuleDate:
    date: date
    rule: RuleSpec
    provisional: bool = False


@dataclass(frozen=True)
class StepOutlook:
    """An open step as a user sees it: what it is, when it may happen, when it is due, and why."""

    step: StepSpec
    earliest: RuleDate | None
    due: RuleDate | None
    hard_due: date | None = None  # special-case ceiling (e.g. 6 months for approval)
    recurring: RuleDate | None = None  # next entry of a repeatable duty
    # prerequisites still missing: the step cannot be recorded yet, but its clock already runs
    # (e.g. approval within 3 months of the branch meeting, even while the talk is not recorded)
    waiting_for: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        def rd(x: RuleDate | None):
            if x is None:
                return None
            return {
                "date": x.date.isoformat(),
                "provisional": x.provisional,
                "article": x.rule.citation.article,
                "rule": x.rule.kind,
            }

        return {
            "step": self.step.id,
            "number": self.step.number,
            "name": self.step.name,
            "actor": self.step.actor,
            "earliest": rd(self.earliest),
            "due": rd(self.due),
            "hard_due": self.hard_due.isoformat() if self.hard_due else None,
            "recurring": rd(self.recurring),
            "waiting_for": list(self.waiting_for),
        }


def anchor_date(proc: Process, state: CandidateState, anchor: str) -> date | None:
    """The date an interval counts from: a step's recorded date or a computed anchor."""
    if anchor == "probation_end":
        d = proc.definition
        start = state.done.get(d.probation_after)
        if start is None:
            return None
        return shift(start, months=d.probation_months + state.extension_months)
    return state.done.get(anchor)


def offset(rule_params: Mapping[str, Any], anchor: date, cal: WorkdayCalendar) -> tuple[date, bool]:
    """anchor + the rule's interval. Working days count strictly after the anchor."""
    wd = rule_params.get("working_days")
    if wd:
        r = cal.working_days_after(anchor, int(wd))
        return r.date, r.provisional
    d = shift(
        anchor,
        years=int(rule_params.get("years", 0)),
        months=int(rule_params.get("months", 0)),
        weeks=int(rule_params.get("weeks", 0)),
        days=int(rule_params.get("days", 0)),
    )
    return d, False


def _anchored(proc: Process, step: StepSpec, state: CandidateState, cal: WorkdayCalendar, kind: str):
    """(rule, anchor date, anchor + interval, provisional) for each `kind` rule whose anchor is known."""
    for rule in step.rules:
        if rule.kind != kind:
            continue
        a = anchor_date(proc, state, rule.params["after"])
        if a is not None:
            yield (rule, a, *offset(rule.params, a, cal))


def earliest(proc: Process, step: StepSpec, state: CandidateState, cal: WorkdayCalendar) -> RuleDate | None:
    """The latest of the step's "not before" dates (None if it has none or anchors are open)."""
    best: RuleDate | None = None
    for rule, _, d, prov in _anchored(proc, step, state, cal, "not_before"):
        if best is None or d > best.date:
            best = RuleDate(d, rule, prov)
    return best


def due(
    proc: Process,
    step: StepSpec,
    state: CandidateState,
    cal: WorkdayCalendar,
    evidence: Mapping[str, Any] | None = None,
) -> tuple[RuleDate | None, date | None]:
    """The earliest of the step's "within" dates, and its special-case ceiling.

    With a recorded special-case reason (e.g. 第二十五条) the ceiling is the due date that counts.
    """
    best: RuleDate | None = None
    hard: date | None = None
    for rule, a, d, prov in _anchored(proc, step, state, cal, "due_within"):
        ceiling = None
        if rule.params.get("max_months"):
            ceiling = shift(a, months=int(rule.params["max_months"]))
            reason_field = rule.params.get("reason_field")
            if evidence and reason_field and str(evidence.get(reason_field) or "").strip():
                d = ceiling
        if best is None or d < best.date:
            best, hard = RuleDate(d, rule, prov), ceiling
    return best, hard


def next_recurring(proc: Process, step: StepSpec, state: CandidateState) -> RuleDate | None:
    """Next entry of a repeatable duty: anchor + every × (entries + 1) months, until a step is done."""
    for rule in step.rules:
        if rule.kind != "recurring":
            continue
        until = rule.params.get("until")
        if until and until in state.done:
            continue
        a = anchor_date(proc, state, rule.params["after"])
        if a is None:
            continue
        n = state.entries.get(step.id, 0) + 1
        return RuleDate(shift(a, months=int(rule.params["every_months"]) * n), rule)
    return None


def outlook(proc: Process, state: CandidateState, cal: WorkdayCalendar) -> list[StepOutlook]:
    """Every open step with its earliest and due dates and the rules behind them.

    A step is open when its prerequisites are done and the stage allows it. A step whose
    prerequisites are not done yet is still listed (with `waiting_for`) when one of its "within"
    clocks already runs, so a stalled candidate shows up as overdue.
    """
    if state.stage in proc.end_states:
        return []
    out = []
    done = state.done
    for step, requires, sources in proc.step_index:
        if step.id in done and not step.repeatable:
            continue
        if state.stage not in sources:
            continue
        if not requires.issubset(done.keys()):
            if step.repeatable:
                continue
            d, hard = due(proc, step, state, cal)
            if d is not None:
                missing = tuple(r for r in step.requires if r not in done)
                out.append(StepOutlook(step, None, d, hard, None, missing))
            continue
        recurring = next_recurring(proc, step, state) if step.repeatable else None
        if step.repeatable and recurring is None:
            continue
        d, hard = due(proc, step, state, cal)
        out.append(StepOutlook(step, earliest(proc, step, state, cal), d, hard, recurring))
    return out


@dataclass(frozen=True)
class Deadline:
    """A row of the materialised deadline table (a projection, rebuilt by verify)."""

    step: str
    kind: str  # "due" | "earliest" | "recurring"
    due_on: date
    provisional: bool
    article: str


def deadlines(proc: Process, state: CandidateState, cal: WorkdayCalendar,
              outlooks: list[StepOutlook] | None = None) -> list[Deadline]:
    """The deadline rows of a state (pass `outlooks` when already computed)."""
    rows = []
    for o in outlook(proc, state, cal) if outlooks is None else outlooks:
        for kind, rd in (("due", o.due), ("earliest", o.earliest), ("recurring", o.recurring)):
            if rd is not None:
                rows.append(Deadline(o.step.id, kind, rd.date, rd.provisional, rd.rule.citation.article))
    return rows
