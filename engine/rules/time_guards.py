""""Not before" rules: the step is refused before the date, and the error says which date."""
from __future__ import annotations

from engine.errors import Violation
from engine.rules.check import Check
from engine.timing import anchor_date, rule_offset
from workflows.model import RuleSpec


def interval_text(params) -> str:
    """A rule's interval in Chinese, e.g. \"1年\", \"3个月\", \"5个工作日\"."""
    parts = []
    for key, unit in (("years", "年"), ("months", "个月"), ("weeks", "周"), ("days", "天"), ("working_days", "个工作日")):
        if params.get(key):
            parts.append(f"{params[key]}{unit}")
    return "".join(parts)


def not_before(rule: RuleSpec, c: Check) -> list[Violation]:
    anchor = anchor_date(c.proc, c.state, rule.params["after"])
    if anchor is None:
        return []  # prerequisites report the missing step
    earliest, provisional = rule_offset(rule, anchor, c.ctx.calendar)
    if c.occurred_on >= earliest:
        return []
    after = rule.params["after"]
    after_name = "预备期满" if after == "probation_end" else c.proc.steps[after].name
    note = "（按周一至周五推算，尚未公布该年节假日安排）" if provisional else ""
    default = f"{c.step.name}须在“{after_name}”（{anchor}）满{interval_text(rule.params) or '期满'}之后，最早可于 {{earliest}} 办理{note}"
    return [
        Violation(
            "not_before",
            c.message(rule, default, earliest=earliest.isoformat(), anchor=anchor.isoformat()),
            rule.citation.article,
            earliest,
        )
    ]
