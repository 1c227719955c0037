"""The pipeline's health in a report: steps overdue at the period's end, steps done late in the
period (from the event log, after corrections; listed, and counted per step and deadline rule) and
candidates whose earliest next step falls in the next period. Counted from the deadline rows by
their own branch_id (no join for a county).

Each statement is built once per shape (scoped or not, the list's length) and kept: the period's
dates and the branch ids are bound parameters (`:bids` expanded when it runs), so a report page
neither builds nor compiles them again (~5 ms of every page): SQLAlchemy's compiled cache keys on
the statement object.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import Date, and_, bindparam, exists, func, literal, select, union_all
from sqlalchemy.engine import Connection

from storage.tables import OVERDUE_KINDS, candidate, deadline, event, organisation, person

from .model import LateRule, Period, PipelineHealth, PipelineItem

_p = person.c

_d = deadline.c
_c = candidate.c
_e = event.c
_o = organisation.c


def _scoped(col, scoped: bool) -> list:
    """The scope as a bound list (`:bids`, expanded when the statement runs), or no term for every
    branch: the statements below are built once per shape and reused, only the values change."""
    return [col.in_(bindparam("bids", expanding=True))] if scoped else []


def _params(branch_ids: Sequence[int] | None, **values) -> dict:
    return {**values, **({"bids": list(branch_ids)} if branch_ids is not None else {})}


_CUTOFF = bindparam("cutoff", type_=Date())  # overdue: due before it
_NEXT_START, _NEXT_END = bindparam("next_start", type_=Date()), bindparam("next_end", type_=Date())
_START, _END = bindparam("start", type_=Date()), bindparam("end", type_=Date())


def _item_query(kinds, where, scoped: bool, limit: int, part: str):
    """The first `limit` deadline rows of `kinds` (by date) with names, tagged `part`: picked and
    ordered before the names are joined (joining every overdue row of a county first costs
    seconds). Picked per kind, each the first `limit` of its own index range (kind, due_on) read in
    date order — the database stops after `limit` rows instead of sorting all 58 k overdue rows of
    a county (~60 ms) — then the kinds' firsts merged: the first `limit` of the union are the first
    `limit` of all. Deadline rows are scoped by their own `branch_id` (kept equal to the
    candidate's by every write and checked by verify). Ties on a date go by candidate, then by step
    and kind (one candidate's due and recurring rows may share a date): the same order on both
    databases. Rows are joined back by their key; the caller sorts the few rows it gets."""
    order = (_d.due_on, _d.candidate_id, _d.step, _d.kind)
    cond = [*where, *_scoped(_d.branch_id, scoped)]
    firsts = [select(*order).where(_d.kind == k, *cond).order_by(*order).limit(limit).subquery() for k in kinds]
    picked = union_all(*(select(f) for f in firsts)).subquery()
    first = select(picked.c.candidate_id, picked.c.step, picked.c.kind).order_by(*picked.c).limit(limit).subquery()
    at_key = and_(first.c.candidate_id == _d.candidate_id, first.c.step == _d.step, first.c.kind == _d.kind)
    return (select(literal(part).label("part"), _d.candidate_id, _p.name, _o.name.label("branch"), _d.step, _d.due_on,
                   _d.kind)
            .select_from(deadline.join(first, at_key).join(candidate, _c.id == _d.candidate_id)
                         .join(person, _p.id == _c.person_id).join(organisation, _o.id == _d.branch_id)))


_READY = ("earliest",)  # the kind of deadline row that says when a step may be done at the earliest
_OVERDUE_WHERE = (_d.due_on < _CUTOFF,)
_READY_WHERE = (_d.due_on >= _NEXT_START, _d.due_on <= _NEXT_END)


@lru_cache(maxsize=8)
def _items_statement(scoped: bool, limit: int):
    """The first overdue steps ('o') and the first steps ready in the next period ('r'), one statement."""
    return union_all(_item_query(OVERDUE_KINDS, _OVERDUE_WHERE, scoped, limit, "o"),
                     _item_query(_READY, _READY_WHERE, scoped, limit, "r"))


@lru_cache(maxsize=4)
def _counts_statement(scoped: bool):
    """How many steps are overdue and how many ready in the next period, one statement."""
    def n(kinds, where):
        return (select(func.count()).select_from(deadline)
                .where(_d.kind.in_(kinds), *where, *_scoped(_d.branch_id, scoped)).scalar_subquery())
    return select(n(OVERDUE_KINDS, _OVERDUE_WHERE), n(_READY, _READY_WHERE))


# (definition key, step id) → (the step's number, its name, the article of its deadline rule)
RuleOf = Callable[[str, str], tuple[int, str, str]]


def health(conn: Connection, branch_ids: Sequence[int] | None, period: Period, following: Period, as_of: date,
           step_names: Mapping[str, str], limit: int = 50, rule_of: RuleOf | None = None) -> PipelineHealth:
    # overdue "at the period's end": past due by the end of its last day (or, for a period still
    # running, before the report's day) and still open when the report is made
    cutoff = period.end + timedelta(days=1) if as_of > period.end else as_of
    params = _params(branch_ids, cutoff=cutoff, next_start=following.start, next_end=following.end)
    rows = sorted(conn.execute(_items_statement(branch_ids is not None, limit), params).all(),
                  key=lambda r: (r.part, r.due_on, r.candidate_id, r.step, r.kind))
    overdue = tuple(
        PipelineItem(r.candidate_id, r.name, r.branch, r.step, step_names.get(r.step, r.step), r.due_on,
                     f"逾期 {(cutoff - r.due_on).days} 天")
        for r in rows if r.part == "o")
    ready = tuple(
        PipelineItem(r.candidate_id, r.name, r.branch, r.step, step_names.get(r.step, r.step), r.due_on,
                     f"最早可于 {r.due_on.isoformat()} 办理")
        for r in rows if r.part == "r")
    overdue_total, ready_total = conn.execute(_counts_statement(branch_ids is not None), params).one()
    by_rule = late_by_rule(conn, branch_ids, period, step_names, rule_of)
    late_total = sum(r.count for r in by_rule)
    late = late_items(conn, branch_ids, period, step_names, limit) if late_total else ()
    return PipelineHealth(overdue, late, ready, overdue_total, late_total, ready_total, by_rule)


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


def _late_where(scoped: bool):
    return event.join(candidate, _c.id == _e.candidate_id), [
        *late_step_filter(_START, _END), *_scoped(_c.branch_id, scoped)]


@lru_cache(maxsize=4)
def _late_by_rule_statement(scoped: bool):
    base, where = _late_where(scoped)
    return select(_e.step, _e.definition_key, func.count()).select_from(base).where(*where).group_by(
        _e.step, _e.definition_key)


@lru_cache(maxsize=8)
def _late_items_statement(scoped: bool, limit: int):
    base, where = _late_where(scoped)
    return (select(_e.candidate_id, _p.name, _o.name, _e.step, _e.occurred_on, _c.state)
            .select_from(base.join(person, _p.id == _c.person_id).join(organisation, _o.id == _c.branch_id))
            .where(*where).order_by(_e.occurred_on, _e.candidate_id).limit(limit))


def late_by_rule(conn: Connection, branch_ids, period: Period, step_names: Mapping[str, str],
                 rule_of: RuleOf | None = None) -> tuple[LateRule, ...]:
    """The steps recorded late in the period counted per step and deadline rule (process.md §6
    "steps done late, per rule"): grouped in SQL by (step, definition version) — a version may cite
    another article for the same step (2026 renumbers) — then merged per (step, article).
    `rule_of(definition_key, step)` names the rule; without it the step name alone."""
    rows = conn.execute(_late_by_rule_statement(branch_ids is not None),
                        _params(branch_ids, start=period.start, end=period.end)).all()
    merged: dict[tuple[str, str], list] = {}
    for step, key, n in rows:
        number, name, article = rule_of(key, step) if rule_of else (0, step_names.get(step, step), "")
        acc = merged.setdefault((step, article), [number, name, 0])
        acc[2] += int(n)
    return tuple(sorted((LateRule(step, name, article, n, number) for (step, article), (number, name, n) in merged.items()),
                        key=lambda r: (r.number or 99, r.step, r.article)))


def late_items(conn: Connection, branch_ids, period: Period, step_names: Mapping[str, str], limit: int
               ) -> tuple[PipelineItem, ...]:
    """The first `limit` steps recorded late in the period (by date), with names and the due date missed."""
    rows = conn.execute(_late_items_statement(branch_ids is not None, limit),
                        _params(branch_ids, start=period.start, end=period.end)).all()
    items = []
    for cid, name, branch, step, on, state in rows:
        if isinstance(state, str):
            state = json.loads(state)
        missed = (state or {}).get("late", {}).get(step)
        detail = f"最迟应于 {missed}（含当日）完成，实际 {on.isoformat()}" if missed else "逾期办理"
        items.append(PipelineItem(cid, name, branch, step, step_names.get(step, step), on, detail))
    return tuple(items)

