"""Period reports as a use case: build the `Report` of an organisation and period, write its files.

    report = build_report(app, "nc", "2018H1")            # as_of defaults to the App's today
    write_report(app, report, "docx", "nanchuan-2018H1.docx")
    report_dict(report)                                   # the stable JSON shape (docs/cli.md)

The counting is SQL (reports/query.py); the wording is the renderers' (reports/render/).
"""
from __future__ import annotations

from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

from engine.errors import refuse
from reports.dormant import dormant_branches, dormant_by_unit
from reports.model import DIMENSIONS, DORMANT_LISTED, MEASURES, DormantBranch, OrgRef, Period, Report
from reports.period import as_dict as period_dict
from reports.period import parse_period
from reports.build import branches_in_scope, build
from reports.query import narrowest_scope
from services.app import App
from services.organisation.directory import resolve_org
from storage.repositories import OrgRow
from storage.unit_of_work import UnitOfWork

FORMATS = ("text", "md", "xlsx", "docx")
SUFFIXES = {"text": ".txt", "md": ".md", "xlsx": ".xlsx", "docx": ".docx"}


def _step_names(app: App) -> dict[str, str]:
    """Step id → Chinese name over every definition (ids are shared across versions)."""
    names: dict[str, str] = {}
    for d in app.registry.definitions():
        for s in d.steps:
            names.setdefault(s.id, s.name)
    return names


def _rule_of(app: App):
    """(definition key, step id) → (step number, name, article of its deadline rule), as `partyflow
    audit` names a late step: the step's first due_within/recurring rule, else the step's own
    article; an unknown version or step gives the step id and no article."""
    cache: dict[tuple[str, str], tuple[int, str, str]] = {}

    def rule_of(key: str, step: str) -> tuple[int, str, str]:
        if (key, step) not in cache:
            try:
                defn = app.definition(key)
            except LookupError:
                defn = None
            if defn is None or not defn.has_step(step):
                cache[key, step] = (0, _step_names(app).get(step, step), "")
            else:
                s = defn.step(step)
                rule = next((r for r in s.rules if r.kind in ("due_within", "recurring")), None)
                cache[key, step] = (s.number, s.name, rule.citation.article if rule else s.citation.article)
        return cache[key, step]

    return rule_of


def _period_of(app: App, period: str | Period, as_of: date | None) -> tuple[Period, date]:
    p = period if isinstance(period, Period) else parse_period(period)
    as_of = as_of or app.today()
    if as_of < p.start:
        raise refuse("report.future", f"统计期间“{p.label}”尚未开始（{p.start.isoformat()} 起），无法统计")
    return p, as_of


def build_report(app: App, org_ref: str | int, period: str | Period, as_of: date | None = None, *,
                 limit: int = 50) -> Report:
    """The report of an organisation (branch, township or county: code or id) for a period
    (`Period` or what a user types: 2018H1, 2018, 2018Q3, 2018-03-01..2018-05-31, 2018年上半年)."""
    p, as_of = _period_of(app, period, as_of)
    with app.uow(read_only=True) as uow:
        return build_in(app, uow, resolve_org(uow, org_ref), p, as_of, limit=limit)


def build_in(app: App, uow: UnitOfWork, org: OrgRow, period: Period, as_of: date, *, limit: int = 50) -> Report:
    """The report, read in an open unit of work (the scheduler's, which also writes the outbox)."""
    branch_ids = uow.orgs.descendants_branch_ids(org.id)
    plan_row = uow.plans.get(org.id, period.end.year)
    plan = {"admit_target": plan_row.admit_target, "targets": plan_row.targets} if plan_row else None
    return build(uow.connection, OrgRef(org.id, org.name, org.level, org.parent_id), branch_ids, period, as_of,
                 step_names=_step_names(app), plan=plan, limit=limit, rule_of=_rule_of(app),
                 definitions=app.registry.definitions())


DORMANT_PAGE = 50  # rows a page of the full dormant list (/reports/dormant)


def dormant_page(app: App, org_ref: str | int, period: str | Period, page: int = 1,
                 as_of: date | None = None) -> dict[str, Any]:
    """One page of the report's 两年以上未发展党员的党支部, reckoned as the report reckons it (on the
    period's last day, or today while it runs), without the rest of the report: the list a county
    opens from its report page when the list is too long to show there."""
    p, as_of = _period_of(app, period, as_of)
    day = min(p.end, as_of)
    with app.uow(read_only=True) as uow:
        org = resolve_org(uow, org_ref)
        ids = uow.orgs.descendants_branch_ids(org.id)
        conn = uow.connection
        scoped = narrowest_scope(conn, ids) if org.parent_id is None else ids
        dormant = dormant_branches(conn, branches_in_scope(conn, scoped), scoped, day)
    pages = max(1, -(-len(dormant) // DORMANT_PAGE))
    page = min(max(page, 1), pages)
    first = (page - 1) * DORMANT_PAGE
    return {"org": OrgRef(org.id, org.name, org.level), "period": p, "on": day, "total": len(dormant),
            "items": dormant[first:first + DORMANT_PAGE], "first": first, "page": page, "pages": pages,
            **_dormant_counts(dormant)}


def _dormant_counts(dormant: tuple[DormantBranch, ...], units=None) -> dict[str, int]:
    """How many of the dormant branches are 3年以上 and how many have no admission on record."""
    units = dormant_by_unit(dormant) if units is None else units
    return {"over_three": sum(u.over_three for u in units), "never": sum(u.never for u in units)}


def dormant_summary(report: Report, listed: int = DORMANT_LISTED) -> dict[str, Any]:
    """What the report page shows of the dormant branches: all of them when there are at most
    `listed`; else the counts (in all, 3年以上, 无发展记录), the count per unit (township) when they
    sit under more than one — the `listed` units with most, and how many more — and the first
    `listed` branches, with the paged full list a link away."""
    dormant = report.dormant
    units = dormant_by_unit(dormant)
    long = len(dormant) > listed
    return {"on": report.dormant_on, "total": len(dormant), "long": long,
            "items": dormant[:listed] if long else dormant, **_dormant_counts(dormant, units),
            "units": units[:listed] if long and len(units) > 1 else (),
            "more_units": len(units) - listed if long and len(units) > listed else 0,
            "more_units_branches": sum(u.count for u in units[listed:]) if long else 0}


def default_path(report: Report, fmt: str, code: str | None = None) -> Path:
    # the period in words (2018年上半年), as the report itself names it: a file name is visible text
    label = report.period.label.replace("/", "-").replace(" ", "")
    stem = f"{report.org.name}_{label}_发展党员工作报告"
    return Path(stem + SUFFIXES[fmt])


def render_text(report: Report, fmt: str) -> str:
    from reports import render

    return render.markdown(report) if fmt == "md" else render.text(report)


def paragraph(report: Report) -> str:
    from reports import render

    return render.paragraph(report)


def ledger_for(app: App, report: Report):
    """The 发展党员工作台账 sheet of the report's organisation (None if the ledger module is absent)."""
    try:
        from services.ledger.intake import ledger_table
    except ImportError:
        return None
    return ledger_table(app, report.org.id)


def write_report(app: App, report: Report, fmt: str, path: str | Path | None = None) -> Path:
    """Write `report` as `fmt` (text, md, xlsx, docx) to `path` (default: a name from org and period)."""
    if fmt not in FORMATS:
        raise refuse("report.format", f"报告格式“{fmt}”不支持：可用 {'、'.join(FORMATS)}")
    out = Path(path) if path else default_path(report, fmt)
    if out.parent and not out.parent.exists():
        raise refuse("report.path", f"输出目录不存在：{out.parent}")
    if out.is_dir():
        raise refuse("report.path", f"{out} 是目录，请给出文件名（如 {out / default_path(report, fmt)}）")
    from reports import render

    try:
        if fmt in ("text", "md"):
            out.write_text(render_text(report, fmt), encoding="utf-8")
        elif fmt == "xlsx":
            render.write_xlsx(report, out, ledger_for(app, report))
        else:
            render.write_docx(report, out)
    except OSError as e:  # no permission, disk full, a file held open by Excel/WPS …
        raise refuse("report.path", f"无法写入 {out}：{e.strerror or e}") from None
    return out


# ------------------------------------------------------------------ JSON (stable shape, docs/cli.md)


def _org(o: OrgRef) -> dict[str, Any]:
    return {"id": o.id, "name": o.name, "level": o.level}


def _fields(x) -> dict[str, Any]:
    """A flat dataclass's fields as a dict: `asdict` without its deep copy of each value (the
    report's items hold numbers, strings and dates only); a county's 1,000 dormant branches cost
    20 ms through `asdict`, on every report page."""
    return {f.name: getattr(x, f.name) for f in fields(x)}


def report_dict(report: Report, *, with_paragraph: bool = True, first: int | None = None) -> dict[str, Any]:
    """The report's stable JSON shape; `first`: only the first so many dormant branches and branches
    in scope (the web page, which shows no more of them; the shape is the same)."""
    measures = {}
    for key in MEASURES:
        m = report.measures[key]
        measures[key] = {
            "name": MEASURES[key],
            "total": m.total,
            "breakdowns": {
                dim: {
                    "name": DIMENSIONS[dim],
                    "counts": [{"category": c, "count": n} for c, n in m.breakdowns[dim].counts],
                    "derived": [{"category": c, "count": n} for c, n in m.breakdowns[dim].derived],
                }
                for dim in DIMENSIONS if dim in m.breakdowns
            },
        }

    def items(xs):
        return [{**_fields(i), "on": i.on.isoformat()} for i in xs]

    h = report.health
    out = {
        "org": _org(report.org),
        "period": period_dict(report.period),
        "next_period": period_dict(report.next_period),
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "measures": measures,
        "health": {
            "overdue": {"total": h.overdue_total, "items": items(h.overdue)},
            "late": {"total": h.late_total, "items": items(h.late)},
            "ready_next": {"total": h.ready_next_total, "items": items(h.ready_next)},
            "late_by_rule": [_fields(r) for r in h.late_by_rule],
        },
        "dormant_branches": {
            "on": report.dormant_on.isoformat() if report.dormant_on else None,
            "items": [{**_fields(d), "last_admitted": d.last_admitted.isoformat() if d.last_admitted else None}
                      for d in report.dormant[:first]],
        },
        "plan": [{"label": p.label, "planned": p.planned, "actual": p.actual, "is_share": p.is_share}
                 for p in report.plan],
        "branches": [_org(b) for b in report.branches[:first]],
        "notes": list(report.notes),
    }
    if with_paragraph:
        try:
            out["paragraph"] = paragraph(report)
        except ImportError:  # the renderings are not installed
            out["paragraph"] = None
    return out


def report_notice(report: Report, org_code: str | None = None) -> dict[str, Any]:
    """What the half-year notice carries (the outbox payload): the paragraph, the text report and
    the headline figures, so the template needs no database and a retry sends the same text."""
    from reports import render

    return {
        "period_label": report.period.label,
        "org_code": org_code,
        "paragraph": render.paragraph(report),
        "text": render.text(report),
        "totals": {k: report.total(k) for k in MEASURES},
    }
