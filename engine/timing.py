"""Time rules: when a step may happen ("not before") and when it is due ("within").

Computed dates are never stored as facts: they are derived here from the recorded dates, so a
correction of a fact moves every date that depends on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping, NamedTuple

from engine.calendar import WorkdayCalendar, add_months, shift
from engine.process import Process
from engine.state import CandidateState
from workflows.model import RuleSpec, StepSpec


@dataclass(slots=True, unsafe_hash=True)  # built ~8× per step: slots, no frozen __setattr__ (3× faster)
class RuleDate:
    date: date
    rule: RuleSpec
    provisional: bool = False


@dataclass(slots=True, unsafe_hash=True)  # built per open step and step: see RuleDate
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


# Parsed forms kept on the (frozen) definition objects, as `cached_property` does: the time rules
# run several times per step and candidate, their parameters never change.
_INTERVAL = "_partyflow_interval"
_PLAN = "_partyflow_time_plan"


def _interval(rule: RuleSpec) -> tuple[int | None, int, int]:
    """(working days or None, calendar months, days) of a rule's interval, as `offset` reads it."""
    iv = rule.__dict__.get(_INTERVAL)
    if iv is None:
        p = rule.params
        wd = p.get("working_days")
        iv = (int(wd) if wd else None, int(p.get("years", 0)) * 12 + int(p.get("months", 0)),
              int(p.get("weeks", 0)) * 7 + int(p.get("days", 0)))
        rule.__dict__[_INTERVAL] = iv
    return iv


def rule_offset(rule: RuleSpec, anchor: date, cal: WorkdayCalendar) -> tuple[date, bool]:
    """`offset(rule.params, anchor, cal)`, with the interval parsed once per rule."""
    return _offset(_interval(rule), anchor, cal)


def _offset(interval: tuple[int | None, int, int], anchor: date, cal: WorkdayCalendar) -> tuple[date, bool]:
    wd, months, days = interval
    if wd is not None:
        r = cal.working_days_after(anchor, wd)
        return r.date, r.provisional
    d = add_months(anchor, months) if months else anchor
    if days:
        d = d + timedelta(days=days)
    return d, False


class _TimePlan(NamedTuple):
    """A step's time rules, parsed once: (rule, anchor, interval[, …]) per kind, in order."""

    not_before: tuple[tuple[RuleSpec, str, tuple[int | None, int, int]], ...]
    # (rule, anchor, interval, special-case ceiling in months or 0, field giving the reason or None,
    #  the pending resolution's decisions it counts for or None)
    due_within: tuple[tuple[RuleSpec, str, tuple[int | None, int, int], int, str | None, frozenset | None], ...]
    # (rule, anchor, every months, step whose completion ends the duty or None)
    recurring: tuple[tuple[RuleSpec, str, int, str | None], ...]


def _plan(step: StepSpec) -> _TimePlan:
    """The step's time rules, parsed once and kept on the step object."""
    plan = step.__dict__.get(_PLAN)
    if plan is None:
        rules = step.rules
        plan = step.__dict__[_PLAN] = _TimePlan(
            tuple((r, r.params["after"], _interval(r)) for r in rules if r.kind == "not_before"),
            tuple((r, r.params["after"], _interval(r), int(r.params.get("max_months") or 0), r.params.get("reason_field"),
                   frozenset(r.params["when_resolved"]) if r.params.get("when_resolved") else None)
                  for r in rules if r.kind == "due_within"),
            tuple((r, r.params["after"], int(r.params["every_months"]), r.params.get("until"))
                  for r in rules if r.kind == "recurring"),
        )
    return plan


def earliest(proc: Process, step: StepSpec, state: CandidateState, cal: WorkdayCalendar) -> RuleDate | None:
    """The latest of the step's "not before" dates (None if it has none or anchors are open)."""
    best = None
    for rule, after, interval in _plan(step).not_before:
        a = anchor_date(proc, state, after)
        if a is None:
            continue
        d, prov = _offset(interval, a, cal)
        if best is None or d > best[0]:
            best = (d, rule, prov)
    return None if best is None else RuleDate(*best)


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
    best = None
    hard: date | None = None
    for rule, after, interval, max_months, reason_field, when in _plan(step).due_within:
        if when is not None and state.pending is not None and state.pending.decision not in when:
            continue  # a deadline for another kind of resolution
        a = anchor_date(proc, state, after)
        if a is None:
            continue
        d, prov = _offset(interval, a, cal)
        ceiling = None
        if max_months:
            ceiling = add_months(a, max_months)
            if evidence and reason_field and str(evidence.get(reason_field) or "").strip():
                d = ceiling
        if best is None or d < best[0]:
            best, hard = (d, rule, prov), ceiling
    return (None if best is None else RuleDate(*best)), hard


def missed_rule(proc: Process, step: StepSpec, state: CandidateState, evidence, cal: WorkdayCalendar) -> RuleSpec | None:
    """The time rule whose date a step recorded late missed (for its citation): the recurring rule
    of a repeatable step, else the "within" rule that gave the due date."""
    if step.repeatable:
        r = next_recurring(proc, step, state)
    else:
        r = due(proc, step, state, cal, evidence)[0]
    return r.rule if r is not None else next((x for x in step.rules if x.kind in ("due_within", "recurring")), None)


def next_recurring(proc: Process, step: StepSpec, state: CandidateState) -> RuleDate | None:
    """Next entry of a repeatable duty, until a step is done: counted by entries (the k-th entry
    at anchor + k × every months) or, with `periods`, by period (`period_due`)."""
    for rule, after, every, until in _plan(step).recurring:
        if until and until in state.done:
            continue
        a = anchor_date(proc, state, after)
        if a is None:
            continue
        periods = rule.params.get("periods")
        if periods:
            last = state.done.get(step.id) if state.entries.get(step.id) else None
            covered = period_index(periods, a, every, last) if last is not None else 0
            return RuleDate(period_end(periods, a, every, covered + 1), rule)
        return RuleDate(add_months(a, every * (state.entries.get(step.id, 0) + 1)), rule)
    return None


def period_index(periods: str, anchor: date, every: int, d: date) -> int:
    """Which period (1, 2, …) of `every` months counted from `anchor` the date `d` falls in.

    "from_anchor": period k is (anchor + (k-1)·every, anchor + k·every] months, the anchor day in
    period 1 — so an entry on the due date itself still covers its period (due dates are
    inclusive). "calendar": calendar periods (quarters for 3, half-years for 6), period 1 being the
    first whole one from the anchor (an entry before it counts for it: nobody owes a report for
    the few days of a quarter in which they became an activist)."""
    if periods == "calendar":
        return max(1, _calendar_period(d, every) - _first_calendar_period(anchor, every) + 1)
    k = max(1, ((d.year - anchor.year) * 12 + d.month - anchor.month) // every)
    while k > 1 and d <= add_months(anchor, every * (k - 1)):
        k -= 1
    while d > add_months(anchor, every * k):
        k += 1
    return k


def period_end(periods: str, anchor: date, every: int, k: int) -> date:
    """The last day of period `k` (its due date)."""
    if periods == "calendar":
        q = _first_calendar_period(anchor, every) + k  # the period after k, whose first day follows k's last
        year, month0 = divmod(q * every, 12)
        return date(year, month0 + 1, 1) - timedelta(days=1)
    return add_months(anchor, every * k)


def _calendar_period(d: date, every: int) -> int:
    return (d.year * 12 + d.month - 1) // every


def _first_calendar_period(anchor: date, every: int) -> int:
    return _calendar_period(anchor - timedelta(days=1), every) + 1


def fills_missed_period(proc: Process, step: StepSpec, state: CandidateState, on: date) -> bool:
    """Whether an entry dated `on` falls in the period whose due date the step is marked late for
    (an entry of a missed half-year typed after a later one: the half-year is covered after all)."""
    missed = state.late.get(step.id)
    for rule, after, every, _until in _plan(step).recurring:
        periods = rule.params.get("periods")
        a = anchor_date(proc, state, after)
        if periods and a is not None and missed is not None:
            return period_index(periods, a, every, on) == period_index(periods, a, every, missed)
    return False


def covers_by_period(step: StepSpec) -> bool:
    """Whether a repeatable step counts its entries by period (its latest date is then the
    latest entry's, whatever order entries were recorded in)."""
    return any(r.params.get("periods") for r in step.rules if r.kind == "recurring")


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
    keys = done.keys()
    for step, sid, repeatable, requires in proc.steps_from.get(state.stage, ()):
        if sid in done and not repeatable:
            continue
        if not requires <= keys:
            if repeatable:
                continue
            d, hard = due(proc, step, state, cal)
            if d is not None:
                missing = tuple(r for r in step.requires if r not in done)
                out.append(StepOutlook(step, None, d, hard, None, missing))
            continue
        recurring = next_recurring(proc, step, state) if repeatable else None
        if repeatable and recurring is None:
            continue
        d, hard = due(proc, step, state, cal)
        out.append(StepOutlook(step, earliest(proc, step, state, cal), d, hard, recurring))
    return out


@dataclass(slots=True, unsafe_hash=True)  # built per open date and step: see RuleDate
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
