"""Rules about recorded facts: training hours, the public notice, pre-review, extensions."""
from __future__ import annotations

from datetime import date, timedelta

from engine.errors import Violation
from engine.rules.check import Check
from workflows.model import RuleSpec


def passed(rule: RuleSpec, c: Check) -> list[Violation]:
    field = rule.params["field"]
    if c.evidence.get(field) is True:
        return []
    label = c.step.field(field).label if c.step.field(field) else field
    return [Violation("passed", c.message(rule, f"{c.step.name}须“{label}”为是"), rule.citation.article)]


HOURS_A_DAY = 12  # class hours a training day can hold at the very most (usually 6–8)


def _longer_than_since(c: Check, days: int, hours: int) -> str | None:
    """A training cannot last longer than the time since the step it follows (确定为发展对象, 第十七条
    trains 发展对象): 400 days of training 30 days after the listing is a typing error."""
    prior = [(c.state.done[r], r) for r in c.step.requires if r in c.state.done]
    if not prior:
        return None
    since, sid = max(prior)
    span = (c.occurred_on - since).days + 1
    name = c.proc.steps[sid].name if sid in c.proc.steps else sid
    if days > span:
        return f"培训天数 {days} 天超过了自“{name}”（{since}）至培训日期 {c.occurred_on} 的 {span} 天，请核对"
    if hours > span * HOURS_A_DAY:
        return (f"培训学时 {hours} 学时超过了自“{name}”（{since}）至培训日期 {c.occurred_on} 的 {span} 天"
                f"所能容纳的学时（每天最多按 {HOURS_A_DAY} 学时计），请核对")
    return None


def training(rule: RuleSpec, c: Check) -> list[Violation]:
    days = int(c.evidence.get(rule.params["days_field"]) or 0)
    hours = int(c.evidence.get(rule.params["hours_field"]) or 0)
    min_days, min_hours = int(rule.params["min_days"]), int(rule.params["min_hours"])
    longer = _longer_than_since(c, days, hours)
    if longer:
        return [Violation("training.length", f"{longer}（{rule.citation.label()}）", rule.citation.article)]
    if days >= min_days or hours >= min_hours:
        return []
    waiver_field = rule.params.get("waiver_field")
    if waiver_field and str(c.evidence.get(waiver_field) or "").strip():
        return []  # a recorded special case
    default = f"集中培训时间不少于{min_days}天或{min_hours}学时，实际为{days}天、{hours}学时（如属特殊情况须记录原因）"
    return [Violation("training", c.message(rule, default), rule.citation.article)]


def public_notice(rule: RuleSpec, c: Check) -> list[Violation]:
    """公示 is a recorded fact (start, end, objections), not something that passes by itself."""
    start_s = c.evidence.get(rule.params["start_field"])
    end_s = c.evidence.get(rule.params["end_field"])
    if not start_s or not end_s:
        return []  # evidence validation reports missing fields
    start, end = date.fromisoformat(start_s), date.fromisoformat(end_s)
    art = rule.citation.article
    if end < start:
        return [Violation("public_notice.order", c.message(rule, f"公示结束日期 {end} 早于开始日期 {start}"), art)]
    applied = c.state.applied_on
    if applied is not None and start < applied:  # a notice about this candidacy cannot predate it
        return [Violation("public_notice.order", c.message(rule, f"公示开始日期 {start} 早于入党申请日期 {applied}"), art)]
    after = rule.params.get("after")  # the step the notice follows (2026 第十三条: 上级党委同意, then 公示)
    if after and after in c.state.done and start < c.state.done[after]:
        name = c.proc.steps[after].name if after in c.proc.steps else after
        return [Violation("public_notice.order", c.message(
            rule, f"公示开始日期 {start} 早于“{name}”的日期 {c.state.done[after]}：须在其后公示（{rule.citation.label()}）"),
            art, c.state.done[after])]
    provisional = False
    if rule.params.get("working_days"):
        n = int(rule.params["working_days"])
        r = c.ctx.calendar.add_working_days(start, n)
        required_end, provisional, span = r.date, r.provisional, f"{n}个工作日"
    else:
        n = int(rule.params["days"])
        required_end, span = start + timedelta(days=n - 1), f"{n}天"
    note = "（该年节假日安排未公布，按周一至周五推算）" if provisional else ""
    if end < required_end:
        default = f"公示期不少于{span}：自 {start} 起应公示至 {required_end}，记录的结束日期为 {end}{note}"
        return [Violation("public_notice.short", c.message(rule, default, earliest=required_end.isoformat()), art, required_end)]
    if c.occurred_on <= end:
        default = f"须在公示期满（{end}）后才能{c.step.name}"
        return [Violation("public_notice.open", c.message(rule, default), art, end + timedelta(days=1))]
    return []


def not_if(rule: RuleSpec, c: Check) -> list[Violation]:
    """A condition that forbids a positive result (预审: leaving the unit within 3 months)."""
    field = rule.params["field"]
    if not c.evidence.get(field):
        return []
    outcome = c.step.outcome
    if outcome is not None and c.evidence.get(outcome.field) not in outcome.positive:
        return []  # recording a refusal is allowed
    label = c.step.field(field).label if c.step.field(field) else field
    return [Violation("not_if", c.message(rule, f"{label}，{c.step.name}不能通过"), rule.citation.article)]


def extension(rule: RuleSpec, c: Check) -> list[Violation]:
    """Probation extension: at least 6, at most 12 months, only once (第三十二条)."""
    outcome = c.step.outcome
    art = rule.citation.article
    months = c.evidence.get(rule.params["field"])
    if outcome is None or outcome.effects.get(str(c.evidence.get(outcome.field))) != "extend_probation":
        if outcome is not None and months is not None:  # months of an extension nobody resolved: contradictory
            chosen = c.step.field(outcome.field).choice_label(c.evidence.get(outcome.field)) if c.step.field(outcome.field) else ""
            return [Violation("extension.length", c.message(rule, f"决议为“{chosen}”，不应填写延长预备期月数（{months}个月）"), art)]
        return []
    lo, hi, times = int(rule.params["min_months"]), int(rule.params["max_months"]), int(rule.params.get("times", 1))
    if c.state.extensions >= times:
        return [Violation("extension.once", c.message(rule, f"预备期只能延长{times}次，已延长过"), art)]
    if months is None or not (lo <= int(months) <= hi):
        default = f"延长预备期最短{lo}个月、最长{hi}个月，记录的是{months if months is not None else '（未填）'}个月"
        return [Violation("extension.length", c.message(rule, default), art)]
    return []
