"""A Report as tables: the same rows for text, Markdown, Excel and Word, so the four agree.

Cells are str, int, float (a share, 0..1, only in the plan table) or date. Zeros are left out the
way a township's table leaves them out: a category with no count in any measure has no row, a
measure with a zero total has no column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from reports.model import DIMENSIONS, DORMANT_LISTED, MEASURES, STOCK_MEASURES, PipelineItem, PlanLine, Report
from reports.render.wording import Wording


@dataclass(frozen=True)
class Table:
    key: str  # "summary", "dim:branch", "plan", "health:overdue" …
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]
    total: tuple | None = None  # the 合计 row, shown after the rows
    numeric: frozenset[int] = frozenset()  # right-aligned column indexes
    share_rows: frozenset[int] = frozenset()  # rows whose numeric cells are shares (0..1), shown as %
    note: str = ""
    zero: str = "-"  # how a zero count reads (tables leave zeros blank-ish; the summary says 0)
    derived: tuple[tuple, ...] = ()  # "其中：大专及以上" rows after 合计: part of it, never added to it
    count: int | None = None  # health lists: how many items there are (the rows may be the first few)

    @property
    def empty(self) -> bool:
        return not self.rows


def measure_order(report: Report) -> list[str]:
    return [m for m in MEASURES if m in report.measures]


def active_measures(report: Report) -> list[str]:
    return [m for m in measure_order(report) if report.total(m)]


def summary_table(report: Report, wording: Wording) -> Table:
    rows = []
    for key in measure_order(report):
        kind = "application" if key == "applicants" else "person"
        when = "期末人数" if key in STOCK_MEASURES else "本期"
        rows.append((MEASURES[key], report.total(key), wording.unit(kind), when))
    return Table("summary", "总体情况", ("项目", "数量", "单位", "口径"), tuple(rows), numeric=frozenset({1}), zero="0")


def _categories(report: Report, dimension: str, measures: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    if dimension == "branch":
        for b in report.branches:  # the report's branch order first
            seen[b.name] = None
    for m in measures:
        b = report.measures[m].breakdowns.get(dimension)
        for category, _ in b.counts if b else ():
            seen.setdefault(category, None)
    return list(seen)


def dimension_table(report: Report, wording: Wording, dimension: str) -> Table:
    measures = active_measures(report)
    heads = wording["measure_heads"]
    rows = []
    for category in _categories(report, dimension, measures):
        counts = [report.measures[m].count(dimension, category) for m in measures]
        if any(counts):
            rows.append((category, *counts))
    note = ""
    if dimension == "tag":
        note = "一人可属多个类别（也可不属任何类别），各类别之和不一定等于合计。"
    total = ("合计", *(report.total(m) for m in measures)) if rows else None
    derived = []
    for category in _derived_categories(report, dimension, measures):
        counts = [_derived(report, m, dimension, category) for m in measures]
        if any(counts) and rows:
            derived.append((f"其中：{category}", *counts))
    return Table(
        f"dim:{dimension}",
        f"按{DIMENSIONS[dimension]}",
        (DIMENSIONS[dimension], *(heads.get(m, MEASURES[m]) for m in measures)),
        tuple(rows),
        total,
        numeric=frozenset(range(1, len(measures) + 1)),
        note=note,
        derived=tuple(derived),
    )


def _derived_categories(report: Report, dimension: str, measures: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for m in measures:
        b = report.measures[m].breakdowns.get(dimension)
        for category, _ in getattr(b, "derived", ()) if b else ():
            seen.setdefault(category, None)
    return list(seen)


def _derived(report: Report, measure: str, dimension: str, category: str) -> int:
    b = report.measures[measure].breakdowns.get(dimension)
    return dict(getattr(b, "derived", ()) if b else ()).get(category, 0)


def dimension_tables(report: Report, wording: Wording) -> list[Table]:
    """One table per dimension (rows: categories, columns: the non-zero measures), empty ones left out."""
    tables = [dimension_table(report, wording, d) for d in DIMENSIONS]
    return [t for t in tables if not t.empty]


def measure_table(report: Report, wording: Wording, measure: str, dimension: str) -> Table:
    """One measure by one dimension (the Word report's "发展党员 — 按党支部")."""
    m = report.measures[measure]
    b = m.breakdowns.get(dimension)
    rows = tuple((c, n) for c, n in (b.counts if b else ()) if n)
    if dimension == "branch" and report.branches:
        order = {br.name: i for i, br in enumerate(report.branches)}
        rows = tuple(sorted(rows, key=lambda r: order.get(r[0], len(order))))
    kind = "application" if measure == "applicants" else "person"
    derived = tuple((f"其中：{c}", n) for c, n in (getattr(b, "derived", ()) if b else ()) if n and rows)
    return Table(
        f"{measure}:{dimension}",
        f"{MEASURES[measure]}（按{DIMENSIONS[dimension]}）",
        (DIMENSIONS[dimension], f"人数（{wording.unit(kind)}）" if kind == "person" else f"数量（{wording.unit(kind)}）"),
        rows,
        ("合计", m.total) if rows else None,
        numeric=frozenset({1}),
        note="一人可属多个类别，各类别之和不一定等于合计。" if dimension == "tag" else "",
        derived=derived,
    )


def plan_status(line: PlanLine, wording: Wording) -> str:
    if line.is_share:
        diff = round((line.actual - line.planned) * 100, 1)
        if diff >= 0:
            return f"达到计划（高出 {diff:g} {wording.unit('point')}）" if diff else "达到计划"
        return f"未达到（低 {-diff:g} {wording.unit('point')}）"
    if not line.planned:
        return "—" if not line.actual else "计划外"
    rate = line.actual / line.planned
    return f"完成 {rate * 100:.0f}%"


def plan_table(report: Report, wording: Wording) -> Table | None:
    if not report.plan:
        return None
    rows = tuple((p.label, p.planned, p.actual, plan_status(p, wording)) for p in report.plan)
    shares = frozenset(i for i, p in enumerate(report.plan) if p.is_share)
    return Table(
        "plan", "计划完成情况", ("项目", "计划", "实际", "完成情况"), rows,
        numeric=frozenset({1, 2}), share_rows=shares,
    )


def health_tables(report: Report, wording: Wording) -> list[Table]:
    out = []
    for key in ("overdue", "late", "ready_next"):
        conf = wording["health"][key]
        items: tuple[PipelineItem, ...] = getattr(report.health, key)
        rows = tuple(
            (i.branch_name, i.person_name, i.step_name, i.on, i.detail)
            for i in sorted(items, key=lambda i: (i.on, i.branch_name, i.person_name))
        )
        count = getattr(report.health, f"{key}_total", None)
        count = len(rows) if count is None else max(count, len(rows))
        note = conf["empty"] if not rows else ""
        if count > len(rows):
            note = f"共 {wording.count(count, 'item')}，此处列出最紧迫的 {wording.count(len(rows), 'item')}。"
        out.append(Table(
            f"health:{key}", conf["title"], ("党支部", "姓名", "环节", conf["date"], "说明"), rows,
            note=note, count=count,
        ))
    return out


def article_text(article: str) -> str:
    """"细则第二十五条"; a rule of local practice (no article) reads "本地规定"."""
    return f"细则{article}" if article else "本地规定"


def late_rule_table(report: Report, wording: Wording) -> Table:
    """Late steps of the period per step and deadline rule (process.md §6 "steps done late, per rule")."""
    conf = wording["compliance"]["late_by_rule"]
    rules = report.health.late_by_rule
    rows = tuple((r.number or "", r.step_name, article_text(r.article), r.count) for r in rules)
    total = ("合计", "", "", sum(r.count for r in rules)) if rows else None
    return Table("compliance:late_by_rule", conf["title"], ("步骤", "环节", "期限依据", f"逾期办理（{wording.unit('item')}）"),
                 rows, total, numeric=frozenset({0, 3}), note="" if rows else f"{conf['empty']}。",
                 count=sum(r.count for r in rules))


def dormant_table(report: Report, wording: Wording) -> Table | None:
    """Branches with no admission for two years or more (or none on record); None when the report
    was not reckoned for them (a hand-made report)."""
    if report.dormant_on is None:
        return None
    conf = wording["compliance"]["dormant"]
    rows = tuple(
        (d.branch_name, d.last_admitted if d.last_admitted else conf["never"],
         f"{d.years} 年" if d.years is not None else "—", d.flag)
        for d in report.dormant
    )
    day = zh_date(report.dormant_on)
    note = f"统计截止日：{day}；年数按日历年计算。" if rows else f"截至{day}，{conf['empty']}。"
    return Table("compliance:dormant", conf["title"], ("党支部", "最近一次发展党员", "距统计截止日", "情况"), rows,
                 note=note, count=len(rows))


def dormant_unit_table(report: Report, wording: Wording) -> Table | None:
    """The dormant branches counted per unit (township), for a document read on paper when the list
    is long (more than DORMANT_LISTED branches under more than one unit): a county's thousands of
    names would fill pages, the per-unit counts say where to look; the Excel report keeps the full
    list. None when the full list is short enough, or all under one unit (a township's own list)."""
    from reports.dormant import dormant_by_unit

    units = dormant_by_unit(report.dormant)
    if report.dormant_on is None or len(report.dormant) <= DORMANT_LISTED or len(units) < 2:
        return None
    conf = wording["compliance"]["dormant"]
    rows = tuple((u.unit_name or "—", u.count, u.over_three, u.never) for u in units)
    total = ("合计", len(report.dormant), sum(u.over_three for u in units), sum(u.never for u in units))
    note = (f"统计截止日：{zh_date(report.dormant_on)}；共 {len(report.dormant)} 个党支部，按所属单位汇总，"
            "党支部名单见 Excel 报告“合规情况”表。")
    return Table("compliance:dormant_units", conf["title"], ("所属单位", "党支部", "其中3年以上", "其中无发展记录"), rows,
                 total, numeric=frozenset({1, 2, 3}), note=note, count=len(report.dormant))


def compliance_tables(report: Report, wording: Wording) -> list[Table]:
    """The compliance tables (process.md §6): late steps per rule, branches without development."""
    dormant = dormant_table(report, wording)
    return [late_rule_table(report, wording), *([dormant] if dormant is not None else [])]


def notes(report: Report, wording: Wording) -> list[str]:
    out = list(report.notes)
    if report.as_of and report.period.start <= report.as_of < report.period.end:
        out.append(f"本期尚未结束，数据截至 {zh_date(report.as_of)}。")
    out.append("分类统计表只列有数的类别；“积极分子”“发展对象”为期末在培养人数，其余为本期内发生数。")
    return out


def zh_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def cell_text(value, *, share: bool = False, zero: str = "-") -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and share:
        return f"{value * 100:.1f}%".replace(".0%", "%")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if value else zero
    return "" if value is None else str(value)


def row_texts(table: Table, row: tuple, row_index: int | None) -> list[str]:
    share = row_index is not None and row_index in table.share_rows
    return [cell_text(v, share=share and i in table.numeric, zero=table.zero) for i, v in enumerate(row)]


@dataclass
class ReportTables:
    summary: Table
    dimensions: list[Table]
    plan: Table | None
    health: list[Table]
    notes: list[str] = field(default_factory=list)
    compliance: list[Table] = field(default_factory=list)


def build(report: Report, wording: Wording) -> ReportTables:
    return ReportTables(
        summary_table(report, wording),
        dimension_tables(report, wording),
        plan_table(report, wording),
        health_tables(report, wording),
        notes(report, wording),
        compliance_tables(report, wording),
    )
