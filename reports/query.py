"""Fill a `Report` from the database: SQL aggregation over the milestone rows (engine/milestones.py).

Two statements per report do the counting: the candidates that matter to the period (any of its
dates in the period, or under cultivation on its last day) are picked from `milestone` JOIN
`person` once, into a materialised CTE, and grouped by each dimension in the database
(`GROUP BY` per dimension, `UNION ALL`). What comes back is one row per (dimension, raw value) —
a few hundred rows for a whole county — never one row per candidate. The raw values are then
mapped to display categories here (education text → 5 groups, tag lists → tags), which is a loop
over distinct values only.

What each measure counts (the report's notes say the same in Chinese):
- admitted   admitted_on (上级党委审批, 细则第二十四条) in the period;
- converted  full_on (转正审批, 第三十四条) in the period;
- extended   extended_on (the branch meeting's resolution, 第三十二条) in the period;
- cancelled  end_stage = probation_cancelled and ended_on in the period (第三十二条);
- applicants applied_on (递交入党申请书, 第五条) in the period;
- activists  on the period's last day E: activist_on <= E, not (target_on <= E), not (ended_on <= E);
- targets    on E: target_on <= E, not (admitted_on <= E), not (ended_on <= E).
Age is counted on the period's last day (统计时点, as the annual party statistics do), except for
`admitted`, where it is the age on the day of admission (admitted_on: process.md §6 "age at
admission"; a cube dimension of its own, computed in SQL per row). A candidate counts under their
current branch (after a transfer: the receiving branch).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.tables import OVERDUE_KINDS, candidate, deadline, event, milestone, organisation, person

from .model import (
    DIMENSIONS,
    MEASURES,
    STOCK_MEASURES,
    Breakdown,
    Measure,
    OrgRef,
    Period,
    PipelineHealth,
    PipelineItem,
    PlanLine,
    Report,
)
from .period import next_period, year_to_date

# ------------------------------------------------------------------ categories

# (label, the oldest age in the band); the last band is open-ended
_AGE_BAND_LIMITS = (("30岁及以下", 30), ("31至35岁", 35), ("36至40岁", 40), ("41至45岁", 45), ("46至50岁", 50),
                    ("51至55岁", 55), ("56至60岁", 60))
AGE_BANDS = (*(label for label, _ in _AGE_BAND_LIMITS), "61岁及以上")
UNDER_35 = "35岁及以下"  # derived: 30岁及以下 + 31至35岁 (the key figure, plan target under_35)
UNDER_35_BANDS = frozenset(AGE_BANDS[:2])
EDUCATION_GROUPS = ("研究生", "大学本科", "大专", "高中/中专", "初中及以下", "其他", "未填写")
COLLEGE = "大专及以上"  # derived: 研究生 + 大学本科 + 大专
COLLEGE_GROUPS = frozenset(EDUCATION_GROUPS[:3])
HAN = "汉族"
MINORITY = "少数民族"  # derived: every ethnicity but 汉族 (and blanks)
NOT_GIVEN = "未填写"
GENDER_ORDER = ("男", "女")

# Education as typed (free text) → group. The first rule that matches wins, so "大学专科" is 大专
# and "大学" alone is 大学本科. Documented in docs/reports.md.
EDUCATION_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("研究生", ("研究生", "博士", "硕士")),
    ("大专", ("大专", "专科", "高职")),
    ("大学本科", ("本科", "大学", "学士")),
    ("高中/中专", ("高中", "中专", "中技", "技校", "职高", "中职", "中师", "中等")),
    ("初中及以下", ("初中", "小学", "文盲", "识字", "无学历")),
)

ARTICLE_NOTES = (
    "发展党员：按上级党委审批（接收为预备党员）的日期统计（细则第二十四条）；预备期自支部大会通过之日起计算（第三十二条）。",
    "预备党员转正：按上级党委审批转正的日期统计（第三十四条）。",
    "延长预备期、取消预备党员资格：按支部大会作出决议的日期统计（第三十二条）。",
    "收到入党申请：按递交入党申请书的日期统计（第五条）。",
    "培养入党积极分子：统计期末已确定为入党积极分子（第八条）、尚未确定为发展对象且未退出的人数；"
    "发展对象：统计期末已确定为发展对象（第十三条）、尚未被批准入党且未退出的人数。",
    "年龄：发展党员按被批准入党（上级党委审批）之日的年龄计算，其他各项按统计期末计算；"
    "分30岁及以下、31至35岁、36至40岁、41至45岁、46至50岁、51至55岁、56至60岁、61岁及以上，"
    "35岁及以下含30岁及以下、31至35岁；学历按填写内容归类，大专及以上含研究生、大学本科、大专；"
    "类别（致富带头人、村干部等）一人可有多项，各类别之和可能大于总数。",
    "按人员当前所在党支部统计（转接的计入转入支部）。",
)


def education_group(text: str | None) -> str:
    t = (text or "").strip()
    if not t:
        return NOT_GIVEN
    for group, words in EDUCATION_RULES:
        if any(w in t for w in words):
            return group
    return "其他"


def ethnicity_name(text: str | None) -> str:
    t = (text or "").strip()
    if not t:
        return NOT_GIVEN
    return HAN if t in ("汉", HAN) else t


def years_before(day: date, years: int) -> date:
    """`day` minus whole years (02-29 → 02-28 in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _band_case(birth, threshold):
    """CASE over the birth date: age <= a on a day ⇔ born after that day minus (a + 1) years;
    `threshold(years)` gives that day minus `years` (person.birth_date is NOT NULL)."""
    return case(
        *((birth > threshold(limit + 1), label) for label, limit in _AGE_BAND_LIMITS),
        else_=AGE_BANDS[-1],
    )


def age_band_expr(birth, on: date):
    """The age band on `on` as a SQL CASE over the birth date (thresholds computed here, so the
    database compares dates only): age <= 35 ⇔ born after `on` minus 36 years."""
    return _band_case(birth, lambda n: years_before(on, n))


class sql_years_before(FunctionElement):
    """`day` minus whole `years` (a Python int) in SQL, 02-29 → 02-28 as `years_before` does.

    PostgreSQL: `(day - interval '1 year' * n)::date` (clamps to 02-28). SQLite's
    `date(day, '-n years')` would roll 02-29 over to 03-01 instead, so the year is rewritten as
    text: '2020-02-29' minus 31 years is the string '1989-02-29', and `birth > '1989-02-29'`
    (ISO text order, as SQLite stores dates) holds for exactly the dates after 1989-02-28."""

    type = Date()
    inherit_cache = True
    name = "years_before"


@compiles(sql_years_before)
def _years_before_sqlite(element, compiler, **kw):
    day, years = (compiler.process(c, **kw) for c in element.clauses)
    return f"(printf('%04d', CAST(substr({day}, 1, 4) AS INTEGER) - {years}) || substr({day}, 5))"


@compiles(sql_years_before, "postgresql")
def _years_before_pg(element, compiler, **kw):
    day, years = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(({day} - interval '1 year' * {years}) AS DATE)"


def age_band_at_expr(birth, day_col, when):
    """The age band on each row's own date `day_col` (admission), NULL unless `when` holds."""
    band = _band_case(birth, lambda n: sql_years_before(day_col, literal_column(str(int(n)))))
    return case((when, band), else_=None)


# ------------------------------------------------------------------ counting

_m = milestone.c
_p = person.c

def measure_conditions(start: date, end: date) -> dict[str, Any]:
    """{measure: SQL condition on milestone} for the period [start, end] (both inclusive)."""
    def within(col):
        return and_(col >= start, col <= end)

    not_ended = or_(_m.ended_on.is_(None), _m.ended_on > end)
    return {
        "admitted": within(_m.admitted_on),
        "converted": within(_m.full_on),
        "extended": within(_m.extended_on),
        "cancelled": and_(_m.end_stage == "probation_cancelled", within(_m.ended_on)),
        "applicants": within(_m.applied_on),
        "activists_selected": within(_m.activist_on),
        "targets_selected": within(_m.target_on),
        "activists": and_(_m.activist_on <= end, or_(_m.target_on.is_(None), _m.target_on > end), not_ended),
        "targets": and_(_m.target_on <= end, or_(_m.admitted_on.is_(None), _m.admitted_on > end), not_ended),
        "applicants_waiting": and_(_m.applied_on <= end, or_(_m.activist_on.is_(None), _m.activist_on > end),
                                   not_ended),
        "probationary": and_(_m.admitted_on <= end, or_(_m.full_on.is_(None), _m.full_on > end), not_ended),
    }


def _scope(col, branch_ids: Sequence[int] | None):
    return col.in_(list(branch_ids)) if branch_ids is not None else literal(True)


def _flag(cond):
    return case((cond, 1), else_=0)


def count_statement(branch_ids: Sequence[int] | None, start: date, end: date,
                    measures: Sequence[str] = tuple(MEASURES), *, join_in_cte: bool = True):
    """One statement over the candidates that matter to the period.

    `picked` (a materialised CTE) reads `milestone` once: the candidates with any of their dates in
    the period or under cultivation on its last day, with one 0/1 flag per measure. Two groupings
    of it are returned together (UNION ALL, tagged in the first column):

    - 'b': per branch;
    - 'c': the person cube, grouped by (gender, age band, education, ethnicity, occupation, tags,
      age band at admission): one row per combination that occurs — bounded by the number of
      combinations (about 10k for a county), not by the number of candidates. The last dimension
      is the age band on the row's own admitted_on, NULL unless admitted in the period (so it
      only splits the admitted rows); `count` uses it for the admitted measure's age breakdown.

    `join_in_cte` (PostgreSQL): `person` is joined inside the CTE, so the planner hashes the few
    picked milestones rather than the whole person table (0.9 s → 0.35 s on 1 M candidates). On
    SQLite (nested-loop joins only) joining in the cube keeps the materialised rows narrow (~7 %
    faster).

    Only two sorts: SQLite has no hash aggregation, so grouping once per dimension would sort the
    picked rows seven times (measured 4× slower on 1 M candidates, bench/report_bench.py), and two
    statements would scan `milestone` twice (~30 % slower).
    """
    conds = measure_conditions(start, end)
    dims = (_p.gender, age_band_expr(_p.birth_date, end), _p.education, _p.ethnicity, _p.occupation,
            cast(_p.tags, String))
    flags = [_flag(conds[k]).label(k) for k in measures]
    where = (_scope(_m.branch_id, branch_ids), or_(*(conds[k] for k in measures)))
    if join_in_cte:
        dims += (age_band_at_expr(_p.birth_date, _m.admitted_on, conds["admitted"]),)
        picked = (select(_m.branch_id.label("bid"), *(d.label(f"d{i}") for i, d in enumerate(dims)), *flags)
                  .select_from(milestone.join(person, _p.id == _m.person_id)).where(*where)
                  .cte("picked").prefix_with("MATERIALIZED"))
        cube_dims = [picked.c[f"d{i}"] for i in range(len(dims))]
        cube_from = picked
    else:
        # the admission date only when admitted in the period (NULL otherwise), for the band at admission
        adm_on = case((conds["admitted"], _m.admitted_on), else_=None).label("adm_on")
        picked = (select(_m.branch_id.label("bid"), _m.person_id.label("pid"), adm_on, *flags).where(*where)
                  .cte("picked").prefix_with("MATERIALIZED"))
        dims += (age_band_at_expr(_p.birth_date, picked.c.adm_on, picked.c.adm_on.is_not(None)),)
        cube_dims = list(dims)
        cube_from = picked.join(person, _p.id == picked.c.pid)
    sums = [cast(func.coalesce(func.sum(picked.c[k]), 0), Integer).label(k) for k in measures]
    none = [literal_column("NULL")] * len(dims)
    by_branch = select(literal("b").label("part"), picked.c.bid, *none, *sums).group_by(picked.c.bid)
    cube = (select(literal("c").label("part"), literal_column("NULL"), *cube_dims, *sums)
            .select_from(cube_from).group_by(*cube_dims))
    return by_branch.union_all(cube)


_CUBE_DIMS = ("gender", "age_band", "education", "ethnicity", "occupation", "tag", "age_admitted")


def count(conn: Connection, branch_ids: Sequence[int] | None, start: date, end: date,
          measures: Sequence[str] = tuple(MEASURES)) -> dict[str, dict[str, Any]]:
    """{measure: {"total": n, dimension: Counter(raw value → n)}}: one grouped statement, then the
    cube's few thousand combinations rolled up per dimension here. The admitted measure's
    "age_band" is the band at admission; the other measures' the band on the period's last day."""
    n = len(measures)
    totals = [0] * n
    per_dim: dict[str, dict[Any, list[int]]] = {d: {} for d in ("branch", *_CUBE_DIMS)}
    branch = per_dim["branch"]
    stmt = count_statement(branch_ids, start, end, measures, join_in_cte=conn.dialect.name == "postgresql")
    for part, bid, *row in conn.execute(stmt):
        values = row[len(_CUBE_DIMS):]
        if part == "b":
            branch[bid] = values
            for i, v in enumerate(values):
                totals[i] += v or 0
            continue
        for dim, cat in zip(_CUBE_DIMS, row[:len(_CUBE_DIMS)]):
            acc = per_dim[dim].get(cat)
            if acc is None:
                per_dim[dim][cat] = list(values)
            else:
                for i, v in enumerate(values):
                    acc[i] += v
    out: dict[str, dict[str, Any]] = {}
    for i, k in enumerate(measures):
        out[k] = {"total": int(totals[i])}
        for dim, cats in per_dim.items():
            if dim == "age_admitted":
                continue
            if dim == "age_band" and k == "admitted":
                cats = per_dim["age_admitted"]
            out[k][dim] = Counter({cat: int(v[i]) for cat, v in cats.items() if v[i]})
    return out


def _ordered(counter: Counter, order: Sequence[str] = ()) -> tuple[tuple[str, int], ...]:
    """Categories in `order` first, the rest by count (desc) then name; zeros left out."""
    known = [(c, counter[c]) for c in order if counter.get(c)]
    rest = sorted(((c, n) for c, n in counter.items() if n and c not in order), key=lambda x: (-x[1], x[0]))
    tail = [x for x in rest if x[0] == NOT_GIVEN]
    return tuple(known + [x for x in rest if x[0] != NOT_GIVEN] + tail)


def breakdowns(raw: Mapping[str, Counter], branch_names: Mapping[int, str], branch_order: Sequence[int]) -> dict[str, Breakdown]:
    """Raw GROUP BY values → display categories, per dimension (a loop over distinct values)."""
    out: dict[str, Breakdown] = {}
    branch = Counter()
    for bid, n in raw["branch"].items():
        branch[branch_names.get(int(bid), f"党支部 {bid}")] += n
    out["branch"] = Breakdown("branch", _ordered(branch, [branch_names[b] for b in branch_order if b in branch_names]))
    out["gender"] = Breakdown("gender", _ordered(raw["gender"], GENDER_ORDER))
    young = sum(n for c, n in raw["age_band"].items() if c in UNDER_35_BANDS)
    out["age_band"] = Breakdown("age_band", _ordered(raw["age_band"], AGE_BANDS), ((UNDER_35, young),) if young else ())
    edu = Counter()
    for cat, n in raw["education"].items():
        edu[education_group(cat)] += n
    college = sum(n for c, n in edu.items() if c in COLLEGE_GROUPS)
    out["education"] = Breakdown("education", _ordered(edu, EDUCATION_GROUPS), ((COLLEGE, college),) if college else ())
    eth = Counter()
    for cat, n in raw["ethnicity"].items():
        eth[ethnicity_name(cat)] += n
    minority = sum(n for c, n in eth.items() if c not in (HAN, NOT_GIVEN))
    out["ethnicity"] = Breakdown("ethnicity", _ordered(eth, (HAN,)), ((MINORITY, minority),) if minority else ())
    occ = Counter()
    for cat, n in raw["occupation"].items():
        occ[(cat or "").strip() or NOT_GIVEN] += n
    out["occupation"] = Breakdown("occupation", _ordered(occ))
    tags = Counter()
    for cat, n in raw["tag"].items():
        for tag in _tags(cat):
            tags[tag] += n
    out["tag"] = Breakdown("tag", _ordered(tags))
    return {d: out[d] for d in DIMENSIONS}


def _tags(text: str | None) -> set[str]:
    if not text:
        return set()
    try:
        value = json.loads(text)
    except ValueError:
        return set()
    if isinstance(value, str):  # double-encoded by some writer: be lenient
        return _tags(value)
    return {str(t).strip() for t in value or () if str(t).strip()}


# ------------------------------------------------------------------ pipeline health

_d = deadline.c
_c = candidate.c
_e = event.c
_o = organisation.c


def _deadlines(where, branch_ids):
    """Deadline rows by `where`, scoped by the row's own `branch_id` (kept equal to the candidate's
    by every write and checked by verify): no join to count a county's overdue steps."""
    return deadline, [*where, _scope(_d.branch_id, branch_ids)]


def _item_query(where, branch_ids, limit):
    """The first `limit` deadline rows (by date) with names: picked and ordered before the names
    are joined (joining every overdue row of a county first costs seconds)."""
    base, cond = _deadlines(where, branch_ids)
    first = select(_d.id).select_from(base).where(*cond).order_by(_d.due_on, _d.candidate_id).limit(limit).subquery()
    return (select(_d.candidate_id, _p.name, _o.name, _d.step, _d.due_on)
            .select_from(deadline.join(first, first.c.id == _d.id).join(candidate, _c.id == _d.candidate_id)
                         .join(person, _p.id == _c.person_id).join(organisation, _o.id == _d.branch_id))
            .order_by(_d.due_on, _d.candidate_id))


def _count(conn, where, branch_ids) -> int:
    base, cond = _deadlines(where, branch_ids)
    return conn.execute(select(func.count()).select_from(base).where(*cond)).scalar_one()


def health(conn: Connection, branch_ids: Sequence[int] | None, period: Period, following: Period, as_of: date,
           step_names: Mapping[str, str], limit: int = 50) -> PipelineHealth:
    # overdue "at the period's end": past due by the end of its last day (or, for a period still
    # running, before the report's day) and still open when the report is made
    cutoff = period.end + timedelta(days=1) if as_of > period.end else as_of
    od_where = [_d.kind.in_(OVERDUE_KINDS), _d.due_on < cutoff]
    overdue = tuple(
        PipelineItem(cid, name, branch, step, step_names.get(step, step), due, f"逾期 {(cutoff - due).days} 天")
        for cid, name, branch, step, due in conn.execute(_item_query(od_where, branch_ids, limit))
    )
    rn_where = [_d.kind == "earliest", _d.due_on >= following.start, _d.due_on <= following.end]
    ready = tuple(
        PipelineItem(cid, name, branch, step, step_names.get(step, step), on, f"最早可于 {on.isoformat()} 办理")
        for cid, name, branch, step, on in conn.execute(_item_query(rn_where, branch_ids, limit))
    )
    late_total, late = late_steps(conn, branch_ids, period, step_names, limit)
    return PipelineHealth(overdue, late, ready, _count(conn, od_where, branch_ids), late_total,
                          _count(conn, rn_where, branch_ids))


def late_step_filter(start: date | None = None, end: date | None = None) -> list:
    """WHERE terms for the steps recorded late (dated start..end when given), as the log stands
    after corrections: a step event counts unless a later correct/void supersedes it; a correction
    counts with its own date and late flag unless a still later one supersedes the same event.
    `event.late` is the bare column so the partial index on late events serves it (SQLite: late = 1).
    Shared by the report's pipeline health and `partyflow audit`."""
    later = event.alias("later")
    superseded = exists().where(
        later.c.candidate_id == _e.candidate_id,
        later.c.supersedes == func.coalesce(_e.supersedes, _e.id),
        later.c.seq > _e.seq,
    )
    terms = [_e.late, _e.kind.in_(("step", "correct")), ~superseded]
    if start is not None:
        terms += [_e.occurred_on >= start, _e.occurred_on <= end]
    return terms


def late_steps(conn: Connection, branch_ids, period: Period, step_names: Mapping[str, str], limit: int):
    """Steps recorded late (`event.late`) with their date in the period, as the log stands after
    corrections: a step event counts unless a later correct/void supersedes it; a correction
    counts with its own date and late flag unless a still later one supersedes the same event."""
    where = [*late_step_filter(period.start, period.end), _scope(_c.branch_id, branch_ids)]
    base = event.join(candidate, _c.id == _e.candidate_id)
    total = conn.execute(select(func.count()).select_from(base).where(*where)).scalar_one()
    rows = conn.execute(
        select(_e.candidate_id, _p.name, _o.name, _e.step, _e.occurred_on, _c.state)
        .select_from(base.join(person, _p.id == _c.person_id).join(organisation, _o.id == _c.branch_id))
        .where(*where).order_by(_e.occurred_on, _e.candidate_id).limit(limit)
    ).all()
    items = []
    for cid, name, branch, step, on, state in rows:
        if isinstance(state, str):
            state = json.loads(state)
        missed = (state or {}).get("late", {}).get(step)
        detail = f"应于 {missed} 前完成，实际 {on.isoformat()}" if missed else "逾期办理"
        items.append(PipelineItem(cid, name, branch, step, step_names.get(step, step), on, detail))
    return total, tuple(items)


# ------------------------------------------------------------------ plan vs actual

PLAN_SHARE_KEYS = {
    "under_35": "35岁及以下",
    "college": "大专及以上学历",
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


# ------------------------------------------------------------------ the report


def branches_in_scope(conn: Connection, branch_ids: Iterable[int]) -> list[OrgRef]:
    """The branches with their names, in display order (township, then creation order)."""
    ids = list(branch_ids)
    if not ids:
        return []
    rows = conn.execute(select(_o.id, _o.name, _o.level, _o.parent_id).where(_o.id.in_(ids))).all()
    rows.sort(key=lambda r: (r.parent_id or 0, r.id))
    names = Counter(r.name for r in rows)
    parents = {}
    if any(n > 1 for n in names.values()):
        parent_ids = {r.parent_id for r in rows if r.parent_id}
        parents = dict(conn.execute(select(_o.id, _o.name).where(_o.id.in_(parent_ids))).all())
    return [OrgRef(r.id, f"{parents.get(r.parent_id, '')}{r.name}" if names[r.name] > 1 else r.name, r.level) for r in rows]


def _narrowest_scope(conn: Connection, branch_ids: Sequence[int]) -> Sequence[int] | None:
    """None ("every row") when the scope is every branch of the deployment: a 1,000-id IN list
    tested on each of a million rows costs ~20 % of a county report that filters nothing."""
    if not branch_ids:
        return branch_ids
    total = conn.execute(select(func.count()).select_from(organisation).where(_o.level == "branch")).scalar_one()
    return None if len(set(branch_ids)) >= total else branch_ids


def build(conn: Connection, org: OrgRef, branch_ids: Sequence[int], period: Period, as_of: date, *,
          step_names: Mapping[str, str], plan: Mapping[str, Any] | None = None, limit: int = 50) -> Report:
    """The report of `org` (its branches `branch_ids`) for `period`, made on `as_of`.

    `plan`: {"admit_target": n, "targets": {...}} of the period's year, or None.
    """
    if conn.dialect.name == "postgresql":
        # a county's grouping fits in memory (hash aggregation, no sort spilling to disk), and a
        # sub-second query gains nothing from JIT compilation (~50 ms); this transaction only
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        conn.exec_driver_sql("SET LOCAL jit = off")
    branches = branches_in_scope(conn, branch_ids)
    names = {b.id: b.name for b in branches}
    order = [b.id for b in branches]
    branch_ids = _narrowest_scope(conn, branch_ids)
    raw = count(conn, branch_ids, period.start, period.end)
    measures = {k: Measure(k, raw[k]["total"], breakdowns(raw[k], names, order)) for k in MEASURES}
    following = next_period(period)
    notes = list(ARTICLE_NOTES)
    if as_of < period.end:
        notes.append(f"本期尚未结束：数字截至 {as_of.isoformat()}（入党积极分子、发展对象按期末口径统计时以当前记录为准）。")
    lines: tuple[PlanLine, ...] = ()
    if plan is not None:
        ytd = year_to_date(period)
        if ytd is not None:
            if ytd == period:
                actual = measures["admitted"]
            else:
                r = count(conn, branch_ids, ytd.start, ytd.end, ("admitted",))["admitted"]
                actual = Measure("admitted", r["total"], breakdowns(r, names, order))
            lines = plan_lines(int(plan["admit_target"]), plan.get("targets") or {}, actual)
            if ytd != period:
                notes.append(f"计划完成情况：以{period.end.year}年全年计划对照{ytd.label}（年初至本期末）的实际发展数。")
            else:
                notes.append(f"计划完成情况：以{period.end.year}年全年计划对照本期实际发展数。")
    return Report(
        org=org, period=period, next_period=following, measures=measures,
        health=health(conn, branch_ids, period, following, as_of, step_names, limit),
        plan=lines, branches=tuple(branches), notes=tuple(notes), as_of=as_of,
    )


__all__ = [
    "AGE_BANDS", "COLLEGE", "UNDER_35", "EDUCATION_GROUPS", "MINORITY", "STOCK_MEASURES", "build", "count", "education_group",
    "ethnicity_name", "late_step_filter", "plan_lines", "plan_key_label",
]
