"""Guards that passed on a guessed calendar: say so, never silently.

A working-day rule (公示 counted in working days, a "not before N working days" rule) over a year
whose official holiday schedule is unknown is counted Monday to Friday (engine.calendar). When
such a guard *refuses*, its message already says the count is provisional; when it *passes*, the
step is recorded and this note goes with the decision (and `show` repeats it), so the officer
re-checks the step once the year's schedule is loaded.
"""
from __future__ import annotations

from datetime import date

from engine.rules.check import Check
from engine.timing import anchor_date, rule_offset
from workflows.model import RuleSpec


def _years(start: date, end: date) -> str:
    return "、".join(str(y) for y in range(start.year, end.year + 1))


def _notice_span(rule: RuleSpec, evidence, cal):
    """(working days, start, end or None, the required last day as a WorkdayResult) of a recorded
    公示 counted in working days, else None."""
    n = rule.params.get("working_days")
    start_s = evidence.get(rule.params["start_field"])
    if not n or not start_s:
        return None
    start = date.fromisoformat(str(start_s))
    end_s = evidence.get(rule.params["end_field"])
    return int(n), start, date.fromisoformat(str(end_s)) if end_s else None, cal.add_working_days(start, int(n))


def notice_provisional(rule: RuleSpec, evidence, cal) -> str | None:
    """The note for a 公示 counted in working days over an unknown year, else None."""
    span = _notice_span(rule, evidence, cal)
    if span is None or not span[3].provisional:
        return None
    n, start, _, r = span
    return (f"临时结果：公示期{n}个工作日按周一至周五推算（{_years(start, r.date)}年节假日安排未载入），"
            f"应至少公示至 {r.date}；载入该年安排后请核对（{rule.citation.label()}）")


def notice_recheck(rule: RuleSpec, evidence, cal) -> str | None:
    """For a recorded 公示: a compliance note when, on the calendar as it is now (a year's schedule
    loaded after the step was recorded), the notice falls short of its working days, else None."""
    span = _notice_span(rule, evidence, cal)
    if span is None or span[2] is None or span[3].provisional or span[2] >= span[3].date:
        return None
    n, _, end, r = span
    return (f"合规提示：按已载入的节假日安排，公示期{n}个工作日应至少公示至 {r.date}，"
            f"记录的结束日期为 {end}（{rule.citation.label()}）")


def provisional_notes(c: Check) -> list[str]:
    """Notes for every working-day guard of the step that passed on a provisional count."""
    notes = []
    for rule in c.step.rules:
        if not rule.params.get("working_days"):
            continue
        if rule.kind == "public_notice":
            note = notice_provisional(rule, c.evidence, c.ctx.calendar)
        elif rule.kind == "not_before":
            anchor = anchor_date(c.proc, c.state, rule.params["after"])
            if anchor is None:
                continue
            earliest, provisional = rule_offset(rule, anchor, c.ctx.calendar)
            note = (f"临时结果：最早日期 {earliest} 按周一至周五推算（{_years(anchor, earliest)}年节假日安排未载入），"
                    f"载入该年安排后请核对（{rule.citation.label()}）") if provisional else None
        else:
            continue
        if note:
            notes.append(note)
    return notes
