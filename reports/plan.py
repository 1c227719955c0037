"""Plan vs actual: the yearly development plan's targets (a head count or a share) beside the
year-to-date admissions and their structure.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .categories import COLLEGE, HIGH_SCHOOL, MINORITY, UNDER_35
from .model import Measure, PlanLine


PLAN_SHARE_KEYS = {
    "under_35": "35岁及以下",
    "college": "大专及以上学历",
    "high_school": "高中及以上学历",  # rural plans and reports quote this one (process.md §6)
    "female": "女性",
    "minority": "少数民族",
}


def plan_key_label(key: str) -> str | None:
    """The Chinese label of a plan target key, None if the key is unknown."""
    if key in PLAN_SHARE_KEYS:
        return PLAN_SHARE_KEYS[key]
    if key.startswith("tag:") and key[4:].strip():
        return key[4:].strip()
    return None


def _plan_actual(key: str, m: Measure) -> int:
    if key == "under_35":
        return m.count("age_band", UNDER_35)
    if key == "college":
        return m.count("education", COLLEGE)
    if key == "high_school":
        return m.count("education", HIGH_SCHOOL)
    if key == "female":
        return m.count("gender", "女")
    if key == "minority":
        return m.count("ethnicity", MINORITY)
    return m.count("tag", key[4:].strip())


def plan_key_order(keys: Iterable[str]) -> list[str]:
    """Plan target keys in display order: the structure shares first, then the tags by name (the
    stored JSON does not keep the order they were typed in: PostgreSQL's JSONB sorts keys)."""
    fixed = list(PLAN_SHARE_KEYS)
    keys = list(keys)
    return [k for k in fixed if k in keys] + sorted(k for k in keys if k not in fixed)


def plan_lines(admit_target: int, targets: Mapping[str, Any], actual: Measure) -> tuple[PlanLine, ...]:
    """The yearly plan beside the year-to-date admissions. A target given as a fraction (0.6) is a
    share of those admitted; a whole number (5) is a head count."""
    lines = [PlanLine("发展党员", float(admit_target), float(actual.total))]
    for key in plan_key_order(targets):
        value = targets[key]
        label = plan_key_label(key)
        if label is None:
            continue
        n = _plan_actual(key, actual)
        if isinstance(value, float) and 0 <= value <= 1:
            share = n / actual.total if actual.total else 0.0
            lines.append(PlanLine(f"{label}占比", float(value), round(share, 4), True))
        else:
            lines.append(PlanLine(label, float(value), float(n)))
    return tuple(lines)
