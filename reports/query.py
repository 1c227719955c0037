"""Fill a `Report` from the database: SQL aggregation over the milestone rows (engine/milestones.py).

One statement does the counting, over `milestone` alone (each row carries its person's profile id
and birth date, storage/repositories/profiles.py). The candidates that matter to the period are
picked with two comparisons (first_on <= end, closed_on open or >= start), into a materialised
CTE holding per candidate: branch, profile, age band, age band at admission and ONE integer whose
bits say which measures the candidate counts in. Three groupings of it come back in one UNION
ALL — per (branch, bits), per (profile, age band, bits) and per age band at admission — a few
tens of thousands of rows for a whole county, never one row per candidate. Python then decodes
the bits and maps profile ids to their values and raw values to display categories
(reports/categories.py): loops over distinct values only.

What each measure counts (the report's notes say the same in Chinese):
- admitted   admitted_on (上级党委审批, 细则第二十四条) in the period;
- converted  full_on (转正审批, 第三十四条) in the period;
- extended   extended_on in the period: the day the extension took effect — the higher committee's
             approval where the definition makes it a resolution (cpc_2014@2, cpc_2026@2: 党章第七条),
             the branch meeting under @1 (第三十二条); a resolution still waiting is not counted
             (reports/build.py `waiting_resolutions` notes how many wait);
- cancelled  end_stage = probation_cancelled and ended_on (likewise the approval under @2) in the period;
- applicants applied_on (递交入党申请书, 第五条) in the period; activists_selected / targets_selected
  activist_on / target_on in the period;
- activists  on the period's last day E: activist_on <= E, not (target_on <= E), not (ended_on <= E);
- targets    on E: target_on <= E, not (admitted_on <= E), not (ended_on <= E);
- applicants_waiting / probationary likewise on E.
Age is counted on the period's last day (统计时点, as the annual party statistics do), except for
`admitted`, where it is the age on the day of admission (admitted_on: process.md §6 "age at
admission"). After a transfer (第十二条) each figure stays with the branch it happened in: a flow
counts for the branch held on its date (the transfer's own date counts for the receiving branch),
a stock for the branch held on the period's last day (milestone.held_from and branch_tenure).
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, and_, case, cast, func, literal, literal_column, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.repositories import ProfileRepo
from storage.tables import branch_tenure, milestone, organisation

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
    """CASE over the birth date giving the index of the age band in AGE_BANDS (a small integer
    sorts cheaply): age <= a on a day ⇔ born after that day minus (a + 1) years; `threshold(years)`
    gives that day minus `years` (birth dates are NOT NULL)."""
    return case(
        *((birth > threshold(limit + 1), i) for i, (_, limit) in enumerate(_AGE_BAND_LIMITS)),
        else_=len(AGE_BANDS) - 1,
    )


def age_band_expr(birth, on: date):
    """The age band (index) on `on` as a SQL CASE over the birth date (thresholds computed here,
    so the database compares dates only): age <= 35 ⇔ born after `on` minus 36 years."""
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
    """The age band (index) on each row's own date `day_col` (admission), NULL unless `when` holds."""
    band = _band_case(birth, lambda n: sql_years_before(day_col, literal_column(str(int(n)))))
    return case((when, band), else_=None)


class as_stored(FunctionElement):
    """A column compared as stored, without its affinity. SQLite: `+col`. A DATE column has
    NUMERIC affinity there, so comparing it with a date (ISO text) makes SQLite try to read both
    strings as numbers on every comparison — some 40 comparisons a picked row; the unary + drops
    the affinity and the texts compare as they are: the same order and result (a date is stored
    as ISO text, which no numeric conversion accepts), ~0.08 s less for a 1 M-candidate county.
    It also keeps SQLite from using an index on the column, so an index range (the plan's
    year-to-date admissions) compares the bare column. PostgreSQL: the column itself."""

    inherit_cache = True
    name = "as_stored"

    def __init__(self, col):
        super().__init__(col)
        self.type = col.type


@compiles(as_stored)
def _as_stored(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


@compiles(as_stored, "sqlite")
def _as_stored_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses.clauses[0], **kw)


# ------------------------------------------------------------------ counting

_m = milestone.c


class _Stored:
    """milestone's columns wrapped in `as_stored` (attribute access like `milestone.c`)."""

    def __getattr__(self, name: str):
        return as_stored(getattr(_m, name))


_s = _Stored()


def measure_conditions(start: date, end: date, cols: Any = _s, since: Any = None, until: Any = None) -> dict[str, Any]:
    """{measure: SQL condition on milestone} for the period [start, end] (both inclusive).
    `cols`: the columns compared (default: as stored; `milestone.c` where an index must serve).

    `since` / `until`: the stretch [since, until) the row's branch was held (engine `Tenure`;
    NULL `since` = since the application, None `until` = still held). A flow counts only when its
    date falls in the stretch, a stock only when the branch was held on the period's last day —
    so after a transfer each figure stays with the branch it happened in."""
    def held(col):
        parts = []
        if since is not None:
            parts.append(or_(since.is_(None), col >= since))
        if until is not None:
            parts.append(col < until)
        return parts

    def within(col):
        return and_(col >= start, col <= end, *held(col))

    on_end = []  # the branch was held on E
    if since is not None:
        on_end.append(or_(since.is_(None), since <= end))
    if until is not None:
        on_end.append(until > end)
    c = cols
    not_ended = or_(c.ended_on.is_(None), c.ended_on > end)
    return {
        "admitted": within(c.admitted_on),
        "converted": within(c.full_on),
        "extended": within(c.extended_on),
        "cancelled": and_(c.end_stage == "probation_cancelled", within(c.ended_on)),
        "applicants": within(c.applied_on),
        "activists_selected": within(c.activist_on),
        "targets_selected": within(c.target_on),
        "activists": and_(c.activist_on <= end, or_(c.target_on.is_(None), c.target_on > end), not_ended, *on_end),
        "targets": and_(c.target_on <= end, or_(c.admitted_on.is_(None), c.admitted_on > end), not_ended, *on_end),
        "applicants_waiting": and_(c.applied_on <= end, or_(c.activist_on.is_(None), c.activist_on > end),
                                   not_ended, *on_end),
        "probationary": and_(c.admitted_on <= end, or_(c.full_on.is_(None), c.full_on > end), not_ended, *on_end),
    }


def candidates_of_period(start: date, end: date):
    """The rows that may count in [start, end]: a superset of the rows any measure counts, with
    two comparisons a row. Exact because a candidacy's dates appear in stage order (the engine
    and the ledger import replay the steps in order, whatever their dates): a row closed before
    the period starts has every date before it, so no flow, and has left every stock (an exit sets
    ended_on; a full member has admitted_on, target_on and activist_on)."""
    return and_(_s.first_on <= end, or_(_s.closed_on.is_(None), _s.closed_on >= start))


# flows counted by one date in the period: counting only these, the rows are picked by that date
# (an index range for the plan's year-to-date admissions, ix_milestone_admitted_on)
_FLOWS = frozenset({"admitted", "converted", "extended", "applicants", "activists_selected", "targets_selected"})


def _picking(measures: Sequence[str], start: date, end: date):
    if set(measures) <= _FLOWS:
        indexed = measure_conditions(start, end, _m, since=_m.held_from)
        return or_(*(indexed[k] for k in measures))
    return candidates_of_period(start, end)


_t = branch_tenure.c


def scope(col, branch_ids: Sequence[int] | None):
    return col.in_(list(branch_ids)) if branch_ids is not None else literal(True)


def count_statement(branch_ids: Sequence[int] | None, start: date, end: date,
                    measures: Sequence[str] = tuple(MEASURES)):
    """One statement over the candidates that matter to the period.

    `picked` (a materialised CTE) reads `milestone` once: per candidate its branch, profile, age
    band on the period's last day, age band at admission (NULL unless admitted in the period) and
    `bits` (bit i set ⇔ the candidate counts in measures[i]). Three groupings are returned
    together (UNION ALL, tagged in the first column):

    - 'b': (branch, bits) → n;
    - 'c': (profile, age band, bits) → n: bounded by the combinations that occur (~70k for a
      county), not by the candidates;
    - 'a': (age band at admission) → n, for the admitted measure's age breakdown.

    The 'b' and 'c' keys are packed into one BIGINT (branch · 2^w + bits; profile · 2^(w+3) +
    band · 2^w + bits, w = the number of measures): one integer to compare per sorted record
    instead of three (~20 % faster on SQLite); `count` unpacks them.

    Why bits: SQLite has no hash aggregation, so each GROUP BY sorts its rows; one small integer
    instead of eleven 0/1 columns makes the sorted records and the aggregates small (with the
    profile id instead of five text columns and the integer age band: 3.2 s → 0.9 s for a
    1 M-candidate county on the reference machine, bench/report_bench.py). The bits are a sum of
    distinct powers of two, so the same SQL runs on both databases.
    """
    if len(measures) > 20:
        raise ValueError("too many measures for one packed key")
    width = len(measures)

    def columns(bid, conds):
        bits = sum((case((conds[k], 1 << i), else_=0) for i, k in enumerate(measures)), literal(0))
        return (bid.label("bid"), _m.profile_id.label("prof"), age_band_expr(_s.birth_date, end).label("band"),
                age_band_at_expr(_s.birth_date, _s.admitted_on, conds["admitted"]).label("adm"), bits.label("bits"))

    # each candidate in their current branch since they joined it, and in each branch they held
    # before a transfer for that stretch (branch_tenure: a few rows, joined to their milestones)
    current = select(*columns(_m.branch_id, measure_conditions(start, end, since=_s.held_from))).where(
        scope(_m.branch_id, branch_ids), _picking(measures, start, end))
    before = (select(*columns(_t.branch_id, measure_conditions(start, end, since=as_stored(_t.held_from),
                                                                until=as_stored(_t.held_until))))
              .select_from(branch_tenure.join(milestone, _m.candidate_id == _t.candidate_id))
              .where(scope(_t.branch_id, branch_ids), _t.held_until > start,
                     or_(_t.held_from.is_(None), _t.held_from <= end)))
    picked = current.union_all(before).cte("picked").prefix_with("MATERIALIZED")
    c = picked.c
    n = func.count().label("n")
    nonzero = c.bits != 0
    branch_key = (cast(c.bid, BigInteger) * (1 << width) + c.bits).label("k")
    cube_key = (cast(c.prof, BigInteger) * (1 << (width + _BAND_BITS)) + c.band * (1 << width) + c.bits).label("k")
    by_branch = select(literal("b").label("part"), branch_key, n).where(nonzero).group_by(branch_key)
    cube = select(literal("c").label("part"), cube_key, n).where(nonzero).group_by(cube_key)
    at_admission = select(literal("a").label("part"), c.adm, n).where(c.adm.is_not(None)).group_by(c.adm)
    return by_branch.union_all(cube, at_admission)


@lru_cache(maxsize=64)
def _count_statement(branch_ids: tuple[int, ...] | None, start: date, end: date, measures: tuple[str, ...]):
    """`count_statement`, kept for the same scope and period: building it (and its cache key) cost
    ~12 ms of every report page; a statement is immutable, so one object serves every thread."""
    return count_statement(branch_ids, start, end, measures)


_BAND_BITS = 3  # AGE_BANDS has 8 bands
assert len(AGE_BANDS) <= 1 << _BAND_BITS
_PROFILE_DIMS = ("gender", "education", "ethnicity", "occupation", "tag")


def count(conn: Connection, branch_ids: Sequence[int] | None, start: date, end: date,
          measures: Sequence[str] = tuple(MEASURES)) -> dict[str, dict[str, Any]]:
    """{measure: {"total": n, dimension: Counter(raw value → n)}}: one grouped statement, then the
    bits decoded and the profiles' values looked up for the few thousand profile ids that occur.
    Raw values: gender, education, ethnicity and occupation as typed ('' when blank), tag the JSON
    text of a person's whole tag list; the admitted measure's age_band is the band at admission,
    the other measures' the band on the period's last day.

    A county returns ~72 k rows: they are read as plain tuples and summed under packed integer
    keys (profile·2^w + bits, band·2^w + bits), then each distinct key's bits decoded once."""
    k = len(measures)
    mask, band_shift = (1 << k) - 1, k + _BAND_BITS
    band_mask = (1 << band_shift) - 1
    by_branch: list[tuple[int, int]] = []  # (branch · 2^w + bits, n): unique keys
    by_profile: dict[int, int] = {}  # profile · 2^w + bits → n
    by_band: dict[int, int] = {}  # band · 2^w + bits → n
    at_admission: Counter = Counter()
    profile_n, band_n = by_profile.get, by_band.get
    stmt = _count_statement(None if branch_ids is None else tuple(branch_ids), start, end, tuple(measures))
    for part, key, n in _grouped_rows(conn, stmt):
        if part == "c":
            pk = key >> band_shift << k | key & mask
            by_profile[pk] = profile_n(pk, 0) + n
            bk = key & band_mask
            by_band[bk] = band_n(bk, 0) + n
        elif part == "b":
            by_branch.append((key, n))
        else:
            at_admission[AGE_BANDS[key]] += n
    profile_ids = sorted({pk >> k for pk in by_profile})
    profiles = ProfileRepo(conn).by_ids(profile_ids) if profile_ids else {}
    positions = _positions(k)
    out = {m: {"total": 0, "branch": Counter(), "age_band": Counter(), **{d: Counter() for d in _PROFILE_DIMS}}
           for m in measures}
    branch = [out[m]["branch"] for m in measures]
    for key, n in by_branch:
        bid = key >> k
        for i in positions(key & mask):
            branch[i][bid] += n
    for m, counts in zip(measures, branch):
        out[m]["total"] = sum(counts.values())
    for key, n in by_band.items():
        band = AGE_BANDS[key >> k]
        for i in positions(key & mask):
            out[measures[i]]["age_band"][band] += n
    # per dimension, (value, bits) → n: a few hundred distinct, decoded below
    per_dim: list[dict] = [{} for _ in _PROFILE_DIMS]
    for key, n in by_profile.items():
        bits = key & mask
        for acc, value in zip(per_dim, profiles[key >> k]):
            acc[value, bits] = acc.get((value, bits), 0) + n
    for dim, acc in zip(_PROFILE_DIMS, per_dim):
        for (value, bits), n in acc.items():
            for i in positions(bits):
                out[measures[i]][dim][value] += n
    if "admitted" in out:
        out["admitted"]["age_band"] = at_admission
    return out


def _positions(k: int):
    """bits → the measure positions set in it (memoised: a county has a few dozen distinct)."""
    decoded: dict[int, tuple[int, ...]] = {}

    def positions(bits: int) -> tuple[int, ...]:
        got = decoded.get(bits)
        if got is None:
            got = decoded[bits] = tuple(i for i in range(k) if bits >> i & 1)
        return got

    return positions


# SQLite's sorter keeps a sort in memory up to the size of the connection's page cache and sorts
# it as one linked list; in runs of ~1 MB, merged afterwards, the same sort is about twice as fast
# (the runs fit a core's cache). The two sorts of a county's 259 k records take ~0.06 s instead of
# ~0.13 s each (bench/README.md "Period reports"). The counting statement therefore runs with a
# 1 MB page cache — the milestone scan gains nothing from a cache smaller than the table anyway —
# and the connection's own size (storage/db.py) is restored after.
_SORT_CACHE_KIB = 1024


def _grouped_rows(conn: Connection, stmt) -> list[tuple]:
    """The rows of the counting statement as plain tuples, read from the driver's cursor (72 k
    rows of three integers for a county need no Row objects); on SQLite with the sort-friendly
    page cache above."""
    if conn.dialect.name != "sqlite":
        return _tuples(conn.execute(stmt))
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size = -{_SORT_CACHE_KIB}")
    try:
        return _tuples(conn.execute(stmt))
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")


def _tuples(result) -> list[tuple]:
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def narrowest_scope(conn: Connection, branch_ids: Sequence[int]) -> Sequence[int] | None:
    """None ("every row") when the scope is every branch of the deployment: a 1,000-id IN list
    tested on each of a million rows costs ~20 % of a county report that filters nothing."""
    if not branch_ids:
        return branch_ids
    total = conn.execute(select(func.count()).select_from(organisation).where(_o.level == "branch")).scalar_one()
    return None if len(set(branch_ids)) >= total else branch_ids
