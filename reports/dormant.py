"""Branches with no development for two or three years (process.md §6 "compliance"): each branch in
scope with the date of its last admission (milestone.admitted_on, 上级党委审批 — the date the
admitted figure counts) on or before the reference day, classified in Python by calendar years.

One statement, one row per branch: a correlated `SELECT max(admitted_on) FROM milestone WHERE
branch_id = o.id AND admitted_on <= :day` per organisation row. With the index on milestone
(branch_id, admitted_on) (`ix_milestone_branch_admitted`, migration 0005) each is a single index
seek from the end of the branch's range (SQLite's and PostgreSQL's min/max optimisation), so a
county of 1,000 branches and a million milestone rows costs 1,000 seeks, not a scan. The rows of
candidates who joined the branch by a transfer after that admission are skipped (`held_from`), and
a second part of the same statement adds the admissions made in branches the candidate has since
left (`branch_tenure`, a few rows).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from functools import lru_cache

from sqlalchemy import Date, bindparam, func, literal, or_, select, union_all
from sqlalchemy.engine import Connection

from engine.calendar.months import add_years
from storage.tables import branch_tenure, milestone, organisation

from .model import DORMANT_YEARS, NEVER_ADMITTED, DormantBranch, DormantUnit, OrgRef
from .query import scope

_m = milestone.c
_o = organisation.c
_t = branch_tenure.c


_DAY = bindparam("day", type_=Date())


@lru_cache(maxsize=4)
def _last_statement(scoped: bool):
    """One statement, tagged rows: ('o', branch, its last admission) per organisation row, and
    ('t', branch, last admission) for the admissions made in a branch the candidate has since left
    (few rows: transferred candidates). Built once per shape: the day and the branch ids (`:bids`,
    expanded when it runs) are bound parameters."""
    def within(col):
        return [col.in_(bindparam("bids", expanding=True))] if scoped else []
    last = (select(func.max(_m.admitted_on))
            .where(_m.branch_id == _o.id, _m.admitted_on <= _DAY,
                   or_(_m.held_from.is_(None), _m.admitted_on >= _m.held_from))
            .correlate(organisation).scalar_subquery())
    own = select(literal("o").label("part"), _o.id.label("bid"), last.label("last")).where(
        _o.level == "branch", *within(_o.id))
    before = (select(literal("t"), _t.branch_id, func.max(_m.admitted_on))
              .select_from(branch_tenure.join(milestone, _m.candidate_id == _t.candidate_id))
              .where(*within(_t.branch_id), _m.admitted_on <= _DAY, _m.admitted_on < _t.held_until,
                     or_(_t.held_from.is_(None), _m.admitted_on >= _t.held_from))
              .group_by(_t.branch_id))
    return union_all(own, before)


def last_admissions(conn: Connection, branch_ids: Sequence[int] | None, day: date) -> dict[int, date | None]:
    """{branch id: the last admission on or before `day`, None if none} for the branches in scope
    (`branch_ids` None = every branch of the deployment).

    An admission counts for the branch that held the candidate on its date: a candidate admitted
    in branch A and transferred to B later is A's admission (branch_tenure, reports/query.py)."""
    params = {"day": day, **({"bids": list(branch_ids)} if branch_ids is not None else {})}
    rows = conn.execute(_last_statement(branch_ids is not None), params).all()
    out = {bid: _day(on) for part, bid, on in rows if part == "o"}
    for part, bid, on in rows:
        on = _day(on)
        if part == "t" and bid in out and on is not None and (out[bid] is None or on > out[bid]):
            out[bid] = on
    return out


def _day(on):
    """A bare max() over a SQLite date column comes back as text."""
    return date.fromisoformat(on[:10]) if isinstance(on, str) else on


def whole_years(since: date, day: date) -> int:
    """Whole calendar years from `since` to `day`: n such that since + n years <= day <
    since + (n + 1) years (process.md §4: 02-29 + 1 year = 02-28)."""
    n = max(day.year - since.year, 0)
    while n and add_years(since, n) > day:
        n -= 1
    return n


def classify(last: date | None, day: date) -> tuple[int | None, str] | None:
    """(years, flag) when the branch counts as not having developed, else None. Two years or more
    ("2年以上", 以上 including the number): the last admission on or before `day` minus two years, i.e.
    none in the two years that end on `day`; three or more: "3年以上"."""
    if last is None:
        return None, NEVER_ADMITTED
    years = whole_years(last, day)
    for limit in DORMANT_YEARS:
        if years >= limit:
            return years, f"{limit}年以上"
    return None


def dormant_branches(conn: Connection, branches: Sequence[OrgRef], branch_ids: Sequence[int] | None,
                     day: date) -> tuple[DormantBranch, ...]:
    """The branches of `branches` (the report's, in display order) without an admission for two
    years or more on `day`: none on record first, then the longest without (oldest last admission)."""
    last = last_admissions(conn, branch_ids, day)
    found_in = []
    for b in branches:
        if b.id not in last:
            continue
        found = classify(last[b.id], day)
        if found is not None:
            found_in.append((b, found))
    out = [DormantBranch(b.id, b.name, last[b.id], years, flag, b.parent_id, b.parent_name)
           for b, (years, flag) in found_in]
    out.sort(key=lambda d: d.last_admitted or date.min)  # stable: display order within a day
    return tuple(out)


def dormant_by_unit(dormant: Sequence[DormantBranch]) -> tuple[DormantUnit, ...]:
    """The dormant branches counted per unit (the organisation each sits under), most first, then in
    the order the units first appear: what a county reads before the names of a long list."""
    acc: dict[int | None, list] = {}
    for d in dormant:
        row = acc.setdefault(d.unit_id, [d.unit_name, 0, 0, 0])
        row[1] += 1
        row[2] += d.flag == f"{DORMANT_YEARS[0]}年以上"
        row[3] += d.flag == NEVER_ADMITTED
    units = [DormantUnit(uid, name, n, over, never) for uid, (name, n, over, never) in acc.items()]
    return tuple(sorted(units, key=lambda u: -u.count))  # stable: first appearance within a count
