"""The yearly development plan (发展党员计划) of one organisation with plan vs actual.

Figures: `reports.plan.plan_lines` over the year's report (the report's 计划完成情况 table, the
same counting: 发展党员 = the township's approval date, 第二十四条), as of today or the year's
end; a year that has not started has achieved nothing yet. The gap is planned − achieved (a
head count), or planned − achieved share in percentage points.

Who: everyone reads the plans of the organisations they report on (services/reporting/org_views.py); the
township officer sets them for their township and its branches, the administrator anywhere (the
same rule as the ledger import: the user records the township's steps in every branch under it).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from engine.errors import DomainError, refuse
from reports.model import Measure
from reports.period import MAX_YEAR, MIN_YEAR, parse_period
from reports.plan import PLAN_SHARE_KEYS, plan_lines
from services.accounts.access import Principal
from services.app import App
from services.imports.scope import township_covers
from services.reporting.org_views import org_for, report_orgs
from services.planning.plans import count_problem, get_plan, parse_target_value, set_plan, tag_problem
from services.casework.user_commands import ForbiddenError

SHARE_FIELDS = dict(PLAN_SHARE_KEYS)  # key -> Chinese label (35岁及以下, 大专及以上学历, …)
MAX_TAG_ROWS = 12


def _editable(app: App, who: Principal, org_id: int) -> bool:
    with app.uow(read_only=True) as uow:
        org = uow.orgs.get(org_id)
        return org is not None and township_covers(who, org.level, uow.orgs.descendants_branch_ids(org_id))


def plan_orgs(app: App, who: Principal) -> list[dict[str, Any]]:
    """The organisations whose plans the user reads, each with `editable`."""
    return [{**o, "editable": _editable(app, who, o["id"])} for o in report_orgs(app, who)]


def _figure(value: float, is_share: bool) -> str:
    return f"{value * 100:.0f}%" if is_share else f"{value:.0f} 名"


def _gap(planned: float, actual: float, is_share: bool) -> str:
    diff = planned - actual
    if is_share:
        points = round(diff * 100)
        return "已达到" if points <= 0 else f"差 {points} 个百分点"
    n = round(diff)
    return "已完成" if n == 0 else (f"超出 {-n} 名" if n < 0 else f"还差 {n} 名")


def _actual(app: App, org_id: int, year: int, today: date):
    from services.reporting.period_report import build_report

    if today.year < year:
        return Measure("admitted", 0), None
    as_of = min(today, date(year, 12, 31))
    report = build_report(app, org_id, parse_period(str(year)), as_of)
    return report.measures["admitted"], as_of


def plan_view(app: App, who: Principal, org_id: int, year: int) -> dict[str, Any]:
    """{org, year, editable, plan (or None), lines: [{label, planned, actual, gap, is_share}],
    as_of, years: the years with a plan}."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise refuse("plan.year", f"计划年度 {year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）")
    org = org_for(app, who, org_id)
    plans = get_plan(app, org["id"])
    plan = next((p for p in plans if p["year"] == year), None)
    lines, as_of = [], None
    if plan is not None:
        targets = {t["key"]: t["value"] for t in plan["targets"]}
        measure, as_of = _actual(app, org["id"], year, app.today())
        for ln in plan_lines(plan["admit_target"], targets, measure):
            lines.append({"label": ln.label, "is_share": ln.is_share, "planned": _figure(ln.planned, ln.is_share),
                          "actual": _figure(ln.actual, ln.is_share), "gap": _gap(ln.planned, ln.actual, ln.is_share),
                          "behind": ln.planned > ln.actual + (0.005 if ln.is_share else 0)})
    return {"org": org, "year": year, "editable": _editable(app, who, org["id"]), "plan": plan, "lines": lines,
            "as_of": as_of.isoformat() if as_of else None, "years": sorted((p["year"] for p in plans), reverse=True)}


def save_plan(app: App, who: Principal, org_id: int, year: int, admit: str, shares: dict[str, str],
              tags: list[tuple[str, str]], note: str) -> tuple[dict | None, dict[str, str]]:
    """Set the organisation's plan for the year from a form's text (services.planning.plans.set_plan).
    Returns (plan, {}) or (None, {field: Chinese message}) and changes nothing then.
    Shares are typed as percentages (60 or 60%), tag targets as head counts (or a percentage)."""
    org = org_for(app, who, org_id)
    if not _editable(app, who, org["id"]):
        raise ForbiddenError(f"无权设定“{org['name']}”的发展计划：计划由乡镇党委组织委员设定")
    errors: dict[str, str] = {}
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = f"计划年度应在 {MIN_YEAR}–{MAX_YEAR} 之间"
    admit = admit.strip()
    if not admit.isdecimal():
        errors["admit"] = "计划发展党员数应为 0 或正整数"
    targets: dict[str, int | float] = {}
    for key, label in SHARE_FIELDS.items():
        text = shares.get(key, "").strip().replace("％", "%")
        if not text:
            continue
        bare = text.rstrip("%").strip()
        if not text.endswith("%") and "." in bare and _number(bare) is not None and _number(bare) < 1:
            errors[key] = f"“{label}”占比“{text}”含义不明：请填写百分数，如 60 表示 60%"
            continue
        try:
            targets[key] = parse_target_value(f"“{label}”占比", bare + "%")
        except DomainError:
            errors[key] = f"“{label}”占比应填写 0 到 100 之间的百分数，如 60 表示 60%（你填写的是“{text}”）"
    for i, (name, value) in enumerate(tags[:MAX_TAG_ROWS]):
        name, value = name.strip(), value.strip()
        if not name and not value:
            continue
        if not name:
            errors[f"tag_{i}"] = "请填写类别名称（如 致富带头人）"
            continue
        if not value:
            errors[f"tag_{i}"] = f"请填写“{name}”的计划人数"
            continue
        try:
            n = parse_target_value(f"“{name}”", value)
        except DomainError:
            errors[f"tag_{i}"] = f"“{name}”的计划应填写人数（如 4）或百分数（如 20%），你填写的是“{value}”"
            continue
        problem = tag_problem(name) or (count_problem(name, n, int(admit)) if admit.isdecimal() else None)
        if problem:
            errors[f"tag_{i}"] = problem
            continue
        targets[f"tag:{name}"] = n
    if len(note) > 200:
        errors["note"] = "说明不能超过 200 字"
    if errors:
        return None, errors
    return set_plan(app, org["id"], year, int(admit), targets, note.strip() or None), {}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
