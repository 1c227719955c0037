"""What a period report says, as plain data: the queries fill it, the renderings read it.

The contract between `reports/query.py` (SQL aggregation over the milestone rows) and the
renderings (`reports/render/`: the Chinese paragraph, text/Markdown, Excel, Word). Nothing here
touches a database or a template.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# The measures a report counts, in the order the report lists them, with their Chinese names.
MEASURES: dict[str, str] = {
    "admitted": "发展党员",  # new probationary members approved in the period (上级党委审批, 第二十四条)
    "converted": "预备党员转正",  # conversion approved in the period (第三十四条)
    "extended": "延长预备期",  # branch meeting extended probation in the period (第三十二条)
    "cancelled": "取消预备党员资格",  # probation cancelled in the period (第三十二条)
    "applicants": "收到入党申请",  # applications received in the period (第五条)
    "activists_selected": "确定入党积极分子",  # made activists in the period (第八条)
    "targets_selected": "确定发展对象",  # made development targets in the period (第十三条)
    "activists": "培养入党积极分子",  # activists under cultivation on the period's last day
    "targets": "发展对象",  # development targets on the period's last day
    "applicants_waiting": "入党申请人",  # applicants not yet activists on the period's last day
    "probationary": "预备党员",  # probationary members on the period's last day
}
# Measures counted at the period's end ("under cultivation"), not as events within it.
STOCK_MEASURES = frozenset({"activists", "targets", "applicants_waiting", "probationary"})

# Breakdown dimensions, in display order, with their Chinese headings.
DIMENSIONS: dict[str, str] = {
    "branch": "党支部",
    "gender": "性别",
    "age_band": "年龄",
    "education": "学历",
    "ethnicity": "民族",
    "occupation": "职业",  # the 8 categories of process.md §6 (reports/categories.py: OCCUPATION_RULES)
    "tag": "类别",  # person tags: 致富带头人, 村干部 … (one person may count under several)
}


@dataclass(frozen=True)
class Period:
    """A reporting period, both ends inclusive. `key` is what the user typed or its canonical form
    ("2018H1", "2018", "2018Q3", "2018-03-01..2018-05-31")."""

    key: str
    label: str  # "2018年上半年", "2018年", "2018年第三季度", "2018年3月1日至5月31日"
    start: date
    end: date
    kind: str  # "half" | "year" | "quarter" | "range"


@dataclass(frozen=True)
class OrgRef:
    id: int
    name: str
    level: str  # "county" | "township" | "branch"
    # the organisation it sits under, read for the branches in scope (the dormant list's units)
    parent_id: int | None = field(default=None, compare=False)
    parent_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class Breakdown:
    """One measure split by one dimension: (category, count) in display order, zeros left out.
    For "tag" the counts may sum to more (or less) than the total."""

    dimension: str
    counts: tuple[tuple[str, int], ...]
    # figures derived from the counts, shown beside them, never added to them: age ("35岁及以下", n),
    # education ("高中及以上", n), ("大专及以上", n), ethnicity ("少数民族", n)
    derived: tuple[tuple[str, int], ...] = ()
    # "tag" only: the tag sets people hold, each person once — (("村干部", "致富带头人"), n) — so that
    # tags read as one word in the paragraph (村干部, 干部党员 → 干部党员) count a person once.
    # Empty when not known (a hand-made Breakdown): the per-tag counts are added instead.
    combinations: tuple[tuple[tuple[str, ...], int], ...] = ()


@dataclass(frozen=True)
class Measure:
    key: str  # one of MEASURES
    total: int
    breakdowns: dict[str, Breakdown] = field(default_factory=dict)  # by dimension key

    def count(self, dimension: str, category: str) -> int:
        b = self.breakdowns.get(dimension)
        if b is None:
            return 0
        return dict(b.counts).get(category, dict(b.derived).get(category, 0))


@dataclass(frozen=True)
class PipelineItem:
    """One candidate's step in the pipeline-health lists."""

    candidate_id: int
    person_name: str
    branch_name: str
    step: str  # step id
    step_name: str  # "上级党委审批"
    on: date  # the due date (overdue), the date done (late) or the earliest date (ready next period)
    detail: str = ""  # e.g. "逾期 12 天", "最迟应于 2018-03-01（含当日）完成，实际 2018-03-20"


@dataclass(frozen=True)
class LateRule:
    """How many steps were done late in the period under one step's deadline rule (process.md §6
    "steps done late, per rule"): "17 上级党委审批 — 细则第二十五条 — 3 项"."""

    step: str  # step id
    step_name: str  # "上级党委审批"
    article: str  # the article of the step's deadline rule, "第二十五条"; "" = local practice
    count: int
    number: int = 0  # the step's number in the process (1–25), for display order; 0 = unknown


@dataclass(frozen=True)
class PipelineHealth:
    overdue: tuple[PipelineItem, ...]  # open "within" deadlines past due on the period's last day
    late: tuple[PipelineItem, ...]  # steps done during the period after their due date
    ready_next: tuple[PipelineItem, ...]  # candidates whose earliest next step falls in the next period
    # The full counts: the lists above hold at most the first `limit` items (most urgent first) so a
    # county report stays readable; None = the list is complete (len of the list). Added by helper B.
    overdue_total: int | None = None
    late_total: int | None = None
    ready_next_total: int | None = None
    # every late step of the period counted per step and rule (not cut to `limit`), by step number
    late_by_rule: tuple[LateRule, ...] = ()

    def __post_init__(self) -> None:
        for name in ("overdue", "late", "ready_next"):
            if getattr(self, f"{name}_total") is None:
                object.__setattr__(self, f"{name}_total", len(getattr(self, name)))


DORMANT_YEARS = (3, 2)  # flag thresholds, longest first: "3年以上", "2年以上"
NEVER_ADMITTED = "无发展记录"


@dataclass(frozen=True)
class DormantBranch:
    """A branch in scope with no admission for two years or more at the reference day (the period's
    last day, or the report day while the period runs), or none on record (process.md §6
    "branches with no development for 2–3 years")."""

    branch_id: int
    branch_name: str
    last_admitted: date | None  # the last 上级党委审批 on or before the reference day; None = none on record
    years: int | None  # whole calendar years from last_admitted to the reference day; None = none on record
    flag: str  # "3年以上" | "2年以上" | NEVER_ADMITTED
    # the organisation the branch sits under (its township; the county itself for a branch directly
    # under it): the long list is summarised per unit (`dormant_by_unit`)
    unit_id: int | None = None
    unit_name: str = ""


# A dormant list longer than this is summarised where people read it (the web page, the Word
# report): counts per unit and the first ones; the full list stays in the Excel report and the
# paged list /reports/dormant.
DORMANT_LISTED = 20


@dataclass(frozen=True)
class DormantUnit:
    """The dormant branches under one unit (township): how many, how many of them 3年以上 and how many
    with no admission on record."""

    unit_id: int | None
    unit_name: str
    count: int
    over_three: int
    never: int


@dataclass(frozen=True)
class PlanLine:
    """One row of plan vs actual: "发展党员 12 名 / 实际 14 名", "35岁及以下 60% / 实际 64%"."""

    label: str
    planned: float  # a count or a share (0..1)
    actual: float
    is_share: bool = False


@dataclass(frozen=True)
class Report:
    org: OrgRef
    period: Period
    next_period: Period
    measures: dict[str, Measure]  # by MEASURES key, every key present
    health: PipelineHealth
    plan: tuple[PlanLine, ...] = ()  # empty when no plan is recorded for the period's year
    branches: tuple[OrgRef, ...] = ()  # the branches in scope, in display order
    notes: tuple[str, ...] = ()  # how the figures are counted (which date counts, with articles)
    as_of: date | None = None  # when the report was made (a half year still running is partial)
    # branches with no admission for 2 years or more (or none on record), longest first
    dormant: tuple[DormantBranch, ...] = ()
    dormant_on: date | None = None  # the day `dormant` is reckoned on (None: not reckoned)

    def total(self, measure: str) -> int:
        return self.measures[measure].total


@dataclass(frozen=True)
class LedgerTable:
    """The 发展党员工作台账 as a table: Chinese headers and one row per candidate (dates as `date`).
    Written by `reports/ledger/sheet.py` (export and the report workbook alike) and read back by
    the import, so both sides share one layout (`reports/ledger/layout.py`)."""

    headers: tuple[str, ...]
    rows: tuple[tuple, ...]
    title: str = "发展党员工作台账"
