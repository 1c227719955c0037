"""The report's counting statement against a plain Python reading of each measure's definition.

Random milestone rows on a real database (SQLite and PostgreSQL): stages present in order (the
engine and the ledger import replay steps in order) but dates in any order, as a mistyped ledger
may have them. The statement picks rows with two comparisons (first_on, closed_on) and counts
each measure with a bit mask; every figure and breakdown must equal the reference, which reads
every row and tests each measure's condition as reports/query.py documents it.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from reports.model import MEASURES
from reports.query import AGE_BANDS, count, count_statement, years_before
from storage.repositories import Profile

START, END = date(2018, 1, 1), date(2018, 6, 30)
GENDERS = ("男", "女")
EDUCATION = ("大专", "高中", None, " 本科 ")
TAGS = ([], ["致富带头人"], ["村干部", "致富带头人"], ["致富带头人", "村干部"])


def _row(rng: random.Random):
    """A candidacy: dates around the period, stages in order, dates sometimes out of order."""
    def day():
        return START + timedelta(days=rng.randrange(-900, 400))

    stages = rng.randrange(1, 6)  # applied, activist, target, admitted, full
    dates = sorted(day() for _ in range(stages)) if rng.random() < 0.8 else [day() for _ in range(stages)]
    applied, activist, target, admitted, full = (dates + [None] * 5)[:5]
    probation = admitted - timedelta(days=20) if admitted else None
    extended = admitted + timedelta(days=rng.randrange(300, 400)) if admitted and not full and rng.random() < 0.2 else None
    ended = end_stage = None
    if not full and rng.random() < 0.3:
        ended = max(d for d in dates) + timedelta(days=rng.randrange(0, 300))
        end_stage = "probation_cancelled" if admitted else rng.choice(("withdrawn", "not_selected"))
    known = [d for d in (applied, activist, target, admitted, probation, full, extended, ended) if d]
    return dict(applied_on=applied, activist_on=activist, target_on=target, admitted_on=admitted,
                probation_from=probation, full_on=full, extended_on=extended, ended_on=ended, end_stage=end_stage,
                first_on=min(known), closed_on=max(known) if end_stage or full else None)


def _reference(m: dict, measure: str) -> bool:
    s, e = START, END

    def within(d):
        return d is not None and s <= d <= e

    def by_end(d):
        return d is not None and d <= e

    def not_by_end(d):
        return d is None or d > e

    not_ended = not_by_end(m["ended_on"])
    return {
        "admitted": within(m["admitted_on"]),
        "converted": within(m["full_on"]),
        "extended": within(m["extended_on"]),
        "cancelled": m["end_stage"] == "probation_cancelled" and within(m["ended_on"]),
        "applicants": within(m["applied_on"]),
        "activists_selected": within(m["activist_on"]),
        "targets_selected": within(m["target_on"]),
        "activists": by_end(m["activist_on"]) and not_by_end(m["target_on"]) and not_ended,
        "targets": by_end(m["target_on"]) and not_by_end(m["admitted_on"]) and not_ended,
        "applicants_waiting": by_end(m["applied_on"]) and not_by_end(m["activist_on"]) and not_ended,
        "probationary": by_end(m["admitted_on"]) and not_by_end(m["full_on"]) and not_ended,
    }[measure]


def _band(birth: date, on: date) -> str:
    for label, limit in zip(AGE_BANDS, (30, 35, 40, 45, 50, 55, 60)):
        if birth > years_before(on, limit + 1):
            return label
    return AGE_BANDS[-1]


@pytest.mark.parametrize("seed", [1, 2])
def test_counting_equals_the_definition_of_each_measure(app, seed):
    rng = random.Random(seed)
    rows, people = [], []
    with app.uow() as uow:
        county = uow.orgs.add(code="c", name="县委", level="county")
        town = uow.orgs.add(code="t", name="乡党委", level="township", parent_id=county)
        branches = [uow.orgs.add(code=f"b{i}", name=f"{i}村党支部", level="branch", parent_id=town) for i in range(3)]
        for i in range(400):
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 50 * 365))
            if i % 50 == 0:
                birth = date(1984, 2, 29)  # a 02-29 birthday near the band limits
            person = dict(gender=rng.choice(GENDERS), education=rng.choice(EDUCATION), ethnicity="汉族",
                          occupation=rng.choice(("农民", None)), tags=rng.choice(TAGS))
            pid = uow.people.add(name=f"人{i}", birth_date=birth, **person)
            m = _row(rng)
            branch = rng.choice(branches)
            cid = uow.candidates.add(person_id=pid, branch_id=branch, definition_key="cpc_2014@1", stage="applicant",
                                     state={}, applied_on=m["applied_on"], now=app.now())
            uow.milestones.put(cid, pid, {"branch_id": branch, **m})
            rows.append((branch, m))
            people.append((birth, Profile.of(**person)))
    with app.uow(read_only=True) as uow:
        got = count(uow.connection, None, START, END)
    for measure in MEASURES:
        hits = [(b, m, birth, prof) for (b, m), (birth, prof) in zip(rows, people) if _reference(m, measure)]
        assert got[measure]["total"] == len(hits), measure
        assert got[measure]["branch"] == Counter(b for b, *_ in hits), measure
        assert got[measure]["gender"] == Counter(p.gender for *_, p in hits), measure
        assert got[measure]["education"] == Counter(p.education for *_, p in hits), measure
        assert got[measure]["tag"] == Counter(p.tags for *_, p in hits), measure
        on = (lambda m: m["admitted_on"]) if measure == "admitted" else (lambda m: END)
        assert got[measure]["age_band"] == Counter(_band(birth, on(m)) for _, m, birth, _ in hits), measure
    assert sum(got[m]["total"] for m in MEASURES) > 100  # the draw covers every measure
    assert all(got[m]["total"] for m in MEASURES)


def test_flows_alone_are_picked_by_their_date(app):
    """The plan's year-to-date count asks for admissions only: picked by admitted_on (an index
    range), the same figure as from the full statement."""
    rng = random.Random(7)
    with app.uow() as uow:
        county = uow.orgs.add(code="c", name="县委", level="county")
        branch = uow.orgs.add(code="b", name="村党支部", level="branch", parent_id=county)
        for i in range(150):
            pid = uow.people.add(name=f"人{i}", gender="男", birth_date=date(1990, 1, 1))
            m = _row(rng)
            cid = uow.candidates.add(person_id=pid, branch_id=branch, definition_key="cpc_2014@1", stage="applicant",
                                     state={}, applied_on=m["applied_on"], now=app.now())
            uow.milestones.put(cid, pid, {"branch_id": branch, **m})
    with app.uow(read_only=True) as uow:
        alone = count(uow.connection, None, START, END, ("admitted",))["admitted"]
        full = count(uow.connection, None, START, END)["admitted"]
        sql = str(count_statement(None, START, END, ("admitted",)).compile(uow.connection))
    assert alone == full and alone["total"] > 0
    assert "first_on" not in sql and "admitted_on" in sql


def test_a_kept_statement_counts_what_is_there_now(app):
    """The counting statement is kept per scope and period (reports/query.py `_count_statement`):
    a second count of the same scope and period sees the rows written since the first."""
    with app.uow() as uow:
        county = uow.orgs.add(code="c", name="县委", level="county")
        branch = uow.orgs.add(code="b", name="村党支部", level="branch", parent_id=county)

    def admit(i: int) -> None:
        with app.uow() as uow:
            pid = uow.people.add(name=f"人{i}", gender="男", birth_date=date(1990, 1, 1))
            cid = uow.candidates.add(person_id=pid, branch_id=branch, definition_key="cpc_2014@1", stage="applicant",
                                     state={}, applied_on=date(2016, 1, 1), now=app.now())
            m = dict(applied_on=date(2016, 1, 1), activist_on=date(2016, 6, 1), target_on=date(2017, 6, 1),
                     admitted_on=date(2018, 3, 1), probation_from=date(2018, 2, 20), full_on=None,
                     extended_on=None, ended_on=None, end_stage=None, first_on=date(2016, 1, 1), closed_on=None)
            uow.milestones.put(cid, pid, {"branch_id": branch, **m})

    def admitted() -> int:
        with app.uow(read_only=True) as uow:
            return count(uow.connection, [branch], START, END)["admitted"]["total"]

    admit(1)
    assert admitted() == 1
    admit(2)
    assert admitted() == 2
