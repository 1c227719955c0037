"""What a correction or a void does to the records after it: each later step record is checked
against the state just before it, as it was when it was entered.

Why folding, not only the final state: a step that a later record carried out and left undone — an
approved extension reopens steps 22–23 and leaves step 24 open (cpc_2014@2) — is not in the final
state's `done`, so a final-state check cannot see that a correction moved the meeting after its
own approval, or that a void left a second meeting resting on nothing. Replaying record by record
can. What cannot stand (a record of a step already done, or without its prerequisites) refuses the
change; dates out of order are compliance warnings, like every date a correction moves.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator, NamedTuple

from engine.apply import fold
from engine.calendar import WorkdayCalendar
from engine.findings import Finding
from engine.process import Process, process_for
from engine.state import CandidateState, Event
from workflows.model import Definition, StepSpec


class Problem(NamedTuple):
    refuse: bool  # cannot stand (refused) or a compliance warning
    text: str  # Chinese, names the record by its number
    finding: Finding | None = None


def later_step_records(events: Iterable[Event], after_seq: int, resolve: Callable[[str], Definition],
                       cal: WorkdayCalendar) -> Iterator[tuple[Process, StepSpec, CandidateState, Event]]:
    """(process, step, state just before it, record) of every step record after `after_seq`."""
    for defn, before, e in fold(events, resolve, cal):
        if e.kind != "step" or e.seq <= after_seq:
            continue
        proc = process_for(defn)
        step = proc.steps.get(e.step)
        if step is not None:
            yield proc, step, before, e


def later_record_problems(events: Iterable[Event], after_seq: int, resolve: Callable[[str], Definition],
                          cal: WorkdayCalendar) -> list[Problem]:
    """Problems of every step record after `after_seq` against the state just before it."""
    out: list[Problem] = []
    for proc, step, before, e in later_step_records(events, after_seq, resolve, cal):
        what = f"第 {e.seq} 条记录“{step.name}”（{e.occurred_on}）"
        if not step.repeatable and e.step in before.done:
            out.append(Problem(True, f"{what}会成为重复办理：“{step.name}”在它之前已于 {before.done[e.step]} 完成"))
            continue
        missing = [proc.steps[r].name for r in step.requires if r not in before.done and not proc.steps[r].optional]
        if missing:
            out.append(Problem(True, f"{what}会缺少前置步骤：{'、'.join(missing)}"))
            continue
        for r in step.requires:
            if r in before.done and before.done[r] > e.occurred_on:
                text = f"{what}早于其前置步骤“{proc.steps[r].name}”的日期 {before.done[r]}"
                out.append(Problem(False, text, Finding(e.step, "date.order", step.citation.article, text, e.occurred_on)))
        pending = before.pending
        if (pending is not None and proc.resolution_for.get(e.step) == pending.step and e.occurred_on < pending.on
                and pending.step not in step.requires):  # a prerequisite's date is said above
            text = f"{what}早于其审批的支部大会决议（{pending.on}）"
            out.append(Problem(False, text, Finding(e.step, "date.order", step.citation.article, text, e.occurred_on)))
    return out
