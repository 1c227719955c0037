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

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, String, and_, case, cast, func, literal, literal_column, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.tables import milestone, organisation, person

from .categories import _AGE_BAND_LIMITS, AGE_BANDS
from .model import MEASURES

_o = organisation.c


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


def scope(col, branch_ids: Sequence[int] | None):
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
    where = (scope(_m.branch_id, branch_ids), or_(*(conds[k] for k in measures)))
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


def narrowest_scope(conn: Connection, branch_ids: Sequence[int]) -> Sequence[int] | None:
    """None ("every row") when the scope is every branch of the deployment: a 1,000-id IN list
    tested on each of a million rows costs ~20 % of a county report that filters nothing."""
    if not branch_ids:
        return branch_ids
    total = conn.execute(select(func.count()).select_from(organisation).where(_o.level == "branch")).scalar_one()
    return None if len(set(branch_ids)) >= total else branch_ids
