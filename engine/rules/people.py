"""Rules about people: the applicant's age, mentors and sponsors."""
from __future__ import annotations

from engine.calendar import add_years
from engine.errors import Violation
from engine.rules.check import Check
from workflows.model import RuleSpec


def min_age(rule: RuleSpec, c: Check) -> list[Violation]:
    years = int(rule.params["years"])
    birth = c.ctx.birth_date
    if birth is None:
        return [Violation("min_age.unknown", c.message(rule, "未登记出生日期，无法核对是否年满{years}周岁"), rule.citation.article)]
    of_age = add_years(birth, years)
    if c.occurred_on >= of_age:
        return []
    default = "申请入党须年满{years}周岁，申请人于 {of_age} 年满{years}周岁"
    return [Violation("min_age", c.message(rule, default, of_age=of_age.isoformat()), rule.citation.article, of_age)]


def _ids(c: Check, field: str) -> list[int]:
    value = c.evidence.get(field) or []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def full_members(rule: RuleSpec, c: Check) -> list[Violation]:
    field = rule.params["field"]
    label = c.step.field(field).label if c.step.field(field) else field
    found = []
    for pid in _ids(c, field):
        p = c.ctx.people.get(pid)
        if p is None:
            found.append(Violation("people.unknown", c.message(rule, f"{label}：找不到所选的人员（可能已被删除），请从列表中选择"), rule.citation.article))
        elif p.party_status != "full_member":
            found.append(
                Violation("full_members", c.message(rule, f"{label}须为正式党员，{p.name}不是正式党员"), rule.citation.article)
            )
        elif p.full_since is not None and c.occurred_on < p.full_since:  # the step's real date counts
            found.append(Violation(
                "full_members.since",
                c.message(rule, f"{label}须为正式党员，{p.name}于 {p.full_since} 才转为正式党员，{c.occurred_on} 时还不是"),
                rule.citation.article, p.full_since))
        elif p.rights_suspended:
            found.append(
                Violation(
                    "full_members.suspended",
                    c.message(rule, f"{label}{p.name}正受留党察看处分或党员权利被停止，不能担任"),
                    rule.citation.article,
                )
            )
    return found


def count(rule: RuleSpec, c: Check) -> list[Violation]:
    field = rule.params["field"]
    ids = _ids(c, field)
    lo, hi = rule.params.get("min"), rule.params.get("max")
    label = c.step.field(field).label if c.step.field(field) else field
    if len(set(ids)) != len(ids):
        return [Violation("count.duplicate", c.message(rule, f"{label}不能重复"), rule.citation.article)]
    if (lo is not None and len(ids) < lo) or (hi is not None and len(ids) > hi):
        want = f"{lo}名" if lo == hi else f"{lo}至{hi}名"
        return [Violation("count", c.message(rule, f"{label}应为{want}，实际为{len(ids)}名"), rule.citation.article)]
    return []
