"""Yearly development plans (发展党员计划) of a township, branch or county; reports show plan vs actual.

A plan is the number to admit in the year and structure targets:
`{"under_35": 0.6, "college": 0.3, "high_school": 0.8, "female": 0.3, "minority": 0.1, "tag:致富带头人": 5}`
— a fraction is a share of those admitted, a whole number a head count (see docs/reports.md). The
keys are reports/plan.py's PLAN_SHARE_KEYS.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.errors import refuse
from reports.period import MAX_YEAR, MIN_YEAR
from reports.plan import PLAN_SHARE_KEYS, plan_key_label, plan_key_order
from services.app import App
from services.organisation.directory import resolve_org

KEYS_HELP = "、".join([*PLAN_SHARE_KEYS, "tag:类别（如 tag:致富带头人）"])


def _label(key: str) -> str:
    """A target key in words (“35岁及以下”, “致富带头人”), the key itself when unknown."""
    return plan_key_label(key) or key


def parse_target_value(key: str, value: Any) -> int | float:
    """60% / 0.6 → 0.6 (a share); 5 → 5 (a head count)."""
    if isinstance(value, bool):
        raise refuse("plan.value", f"计划指标“{_label(key)}”的值“{value}”无效")
    if isinstance(value, int):
        n: int | float = value
    elif isinstance(value, float):
        n = value
    else:
        text = str(value).strip().replace("％", "%")
        try:
            if text.endswith("%"):
                n = float(text[:-1]) / 100
                if not 0 <= n <= 1:
                    raise ValueError
                return round(n, 6)
            n = float(text) if re.search(r"[.eE]", text) else int(text)
        except ValueError:
            raise refuse("plan.value", f"计划指标“{_label(key)}”的值“{value}”无效：占比写成 60% 或 0.6，人数写成整数") from None
    if isinstance(n, float) and not 0 <= n <= 1:
        raise refuse("plan.value", f"计划指标“{_label(key)}”的占比“{value}”应在 0 到 1 之间（或写成百分数，如 60%）")
    if n < 0:
        raise refuse("plan.value", f"计划指标“{_label(key)}”的人数不能为负数")
    return n


def tag_problem(name: str) -> str | None:
    """Why `name` cannot be a plan's 类别 (a typo would be a target nobody can ever meet), or None:
    a plan counts people by the same 类别 list their records use (reports/category_lists.yaml)."""
    from services.people.categories import lists

    choices = lists()["tags"].choices
    return None if name in choices else f"没有“{name}”这个类别：计划只能按 {'、'.join(choices)} 设定（与人员登记的类别一致）"


def count_problem(label: str, value: int | float, admit: int) -> str | None:
    """A head count above the year's admissions cannot be met: why, or None (shares are fractions)."""
    if isinstance(value, int) and value > admit:
        return f"“{label}”计划 {value} 名，超过全年计划发展党员数 {admit} 名"
    return None


def parse_targets(items: Mapping[str, Any] | Iterable[str] | None) -> dict[str, int | float]:
    """Targets from a mapping or from `key=value` strings (the CLI's --target)."""
    if items is None:
        return {}
    pairs: list[tuple[str, Any]] = []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for item in items:
            key, sep, value = str(item).replace("＝", "=").partition("=")
            if not sep or not key.strip():
                raise refuse("plan.target", f"计划指标应写成 指标=值（如 under_35=60%、tag:致富带头人=5），收到“{item}”")
            pairs.append((key.strip(), value.strip()))
    out: dict[str, int | float] = {}
    for key, value in pairs:
        key = key.strip()
        if key.startswith("tag:"):
            key = "tag:" + key[4:].strip()
        if plan_key_label(key) is None:
            raise refuse("plan.target", f"未知的计划指标“{key}”：可用 {KEYS_HELP}")
        out[key] = parse_target_value(key, value)
        if key.startswith("tag:") and (problem := tag_problem(key[4:])):
            raise refuse("plan.target", problem)
    return out


def set_plan(app: App, org_ref: str | int, year: int, admit_target: int, targets=None, note: str | None = None) -> dict:
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise refuse("plan.year", f"计划年度 {year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）")
    if int(admit_target) < 0:
        raise refuse("plan.admit", "计划发展党员数不能为负数")
    parsed = parse_targets(targets)
    for key, value in parsed.items():
        if problem := count_problem(plan_key_label(key) or key, value, int(admit_target)):
            raise refuse("plan.target", problem)
    with app.uow() as uow:
        org = resolve_org(uow, org_ref)
        uow.plans.set(org.id, int(year), int(admit_target), parsed, note, app.utcnow())
        return _plan_dict(org, uow.plans.get(org.id, int(year)))


def get_plan(app: App, org_ref: str | int, year: int | None = None) -> list[dict]:
    """The organisation's plans (one year, or all years)."""
    with app.uow(read_only=True) as uow:
        org = resolve_org(uow, org_ref)
        rows = [uow.plans.get(org.id, int(year))] if year is not None else uow.plans.list_for(org.id)
        return [_plan_dict(org, r) for r in rows if r is not None]


def _plan_dict(org, row) -> dict:
    return {
        "org": {"id": org.id, "code": org.code, "name": org.name, "level": org.level},
        "year": row.year,
        "admit_target": row.admit_target,
        "targets": [{"key": k, "label": plan_key_label(k) or k, "value": v, "is_share": isinstance(v, float)}
                    for k, v in ((k, row.targets[k]) for k in plan_key_order(row.targets))],
        "note": row.note,
    }
