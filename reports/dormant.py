"""Branches with no development for two or three years (process.md §6 "compliance"): each branch in
scope with the date of its last admission (milestone.admitted_on, 上级党委审批 — the date the
admitted figure counts) on or before the reference day, classified in Python by calendar years.

One statement, one row per branch: a correlated `SELECT max(admitted_on) FROM milestone WHERE
branch_id = o.id AND admitted_on <= :day` per organisation row. With the index on milestone
(branch_id, admitted_on) (`ix_milestone_branch_admitted`, migration 0005) each is a single index
seek from the end of the branch's range (SQLite's and PostgreSQL's min/max optimisation), so a
county of 1,000 branches and a million milestone rows costs 1,000 seeks, not a scan. The rows of
candidates who joined the branch by a transfer after that admission are skipped (`held_from`), and
a second statement adds the admissions made in branches the candidate has since left
(`branch_tenure`, a few rows).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from engine.calendar.months import add_years
from storage.tables import branch_tenure, milestone, organisation

from .model import DORMANT_YEARS, NEVER_ADMITTED, DormantBranch, OrgRef
from .query import scope

_m = milestone.c
_o = organisation.c
_t = branch_tenure.c


def last_admissions(conn: Connection, branch_ids: Sequence[int] | None, day: date) -> dict[int, date | None]:
    """{branch id: the last admission on or before `day`, None if none} for the branches in scope
    (`branch_ids` None = every branch of the deployment).

    An admission counts for the branch that held the candidate on its date: a candidate admitted
    in branch A and transferred to B later is A's admission (branch_tenure, reports/query.py)."""
    last = (select(func.max(_m.admitted_on))
            .where(_m.branch_id == _o.id, _m.admitted_on <= day,
                   or_(_m.held_from.is_(None), _m.admitted_on >= _m.held_from))
            .correlate(organisation).scalar_subquery())
    stmt = select(_o.id, last.label("last")).where(_o.level == "branch", scope(_o.id, branch_ids))
    out = {bid: _day(on) for bid, on in conn.execute(stmt)}
    # admissions made in a branch the candidate has since left (few rows: transferred candidates)
    before = (select(_t.branch_id, func.max(_m.admitted_on))
              .select_from(branch_tenure.join(milestone, _m.candidate_id == _t.candidate_id))
              .where(scope(_t.branch_id, branch_ids), _m.admitted_on <= day, _m.admitted_on < _t.held_until,
                     or_(_t.held_from.is_(None), _m.admitted_on >= _t.held_from))
              .group_by(_t.branch_id))
    for bid, on in conn.execute(before):
        on = _day(on)
        if bid in out and on is not None and (out[bid] is None or on > out[bid]):
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
    out = []
    for b in branches:
        if b.id not in last:
            continue
        found = classify(last[b.id], day)
        if found is not None:
            out.append(DormantBranch(b.id, b.name, last[b.id], found[0], found[1]))
    out.sort(key=lambda d: d.last_admitted or date.min)  # stable: display order within a day
    return tuple(out)
