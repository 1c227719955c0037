"""The step path's one read (`CandidateRepo.get_for_step`): the candidate row, the head of its event
chain and its deadline rows, on SQLite and PostgreSQL — and the deadline diff a step writes from
those rows is the one `DeadlineRepo.replace` writes when it reads them itself."""
from __future__ import annotations

from datetime import date, datetime

from storage import DeadlineDiff, DeadlineSpec, UnitOfWork

NOW = datetime(2024, 3, 1, 9, 30)
DEF_KEY = "cpc_2014@1"


def _candidate(uow) -> tuple[int, int]:
    county = uow.orgs.add("C01", "某县委", "county")
    town = uow.orgs.add("T01", "甲镇党委", "township", parent_id=county)
    branch = uow.orgs.add("B01", "甲村党支部", "branch", "rural", parent_id=town)
    pid = uow.people.add(name="张三", gender="男", birth_date=date(2000, 5, 4))
    cid = uow.candidates.add(pid, branch, DEF_KEY, "applicant", {"stage": "applicant", "seq": 0}, date(2024, 1, 2), NOW)
    return cid, branch


FIRST = [
    DeadlineSpec("talk", "due", date(2024, 2, 1), article="第六条"),
    DeadlineSpec("activist_selection", "earliest", date(2024, 7, 2), provisional=True, article="第九条"),
    DeadlineSpec("report", "recurring", date(2024, 4, 2), article=None),
]
SECOND = [  # talk done (gone), selection no longer provisional (updated), education new, report the same
    DeadlineSpec("activist_selection", "earliest", date(2024, 7, 2), article="第九条"),
    DeadlineSpec("report", "recurring", date(2024, 4, 2), article=None),
    DeadlineSpec("education", "due", date(2025, 1, 2), article="第十二条"),
]


def test_the_step_read_brings_the_chain_head_and_the_deadline_rows(engine):
    with UnitOfWork(engine) as uow:
        cid, branch = _candidate(uow)
        row, head, rows = uow.candidates.get_for_step(cid)
        assert row.id == cid and head == (None, None) and list(rows) == []
        uow.events.append(cid, 1, "step", "application", date(2024, 1, 2), NOW, "书记", {}, definition_key=DEF_KEY)
        uow.deadlines.replace(cid, branch, FIRST)
        _row, head, rows = uow.candidates.get_for_step(cid)
        assert head[0] == 1 and len(head[1]) == 64
        # the values as the driver gives them for the columns (what the diff compares)
        got = sorted((r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows)
        iso = engine.dialect.name == "sqlite"
        assert got == sorted(
            (d.step, d.kind, branch, d.due_on.isoformat() if iso else d.due_on, d.provisional, d.article) for d in FIRST
        )
        assert uow.candidates.get_for_step(cid + 1000) is None


def test_a_diff_from_the_rows_read_with_the_candidate_is_the_diff_read_alone(engine):
    """Unchanged rows are not written again, whichever way the rows were read."""
    with UnitOfWork(engine) as uow:
        cid, branch = _candidate(uow)
    for given in (False, True):
        with UnitOfWork(engine) as uow:
            assert uow.deadlines.replace(cid, branch, FIRST) == DeadlineDiff(3, 0, 0)
        with UnitOfWork(engine) as uow:
            existing = uow.candidates.get_for_step(cid)[2] if given else None
            assert uow.deadlines.replace(cid, branch, FIRST, existing=existing) == DeadlineDiff(0, 0, 0)
            existing = uow.candidates.get_for_step(cid)[2] if given else None
            assert uow.deadlines.replace(cid, branch, SECOND, existing=existing) == DeadlineDiff(1, 1, 1)
            after = sorted((d.step, d.kind, d.due_on, d.provisional, d.article) for d in uow.deadlines.list_for(cid))
            assert after == sorted((d.step, d.kind, d.due_on, d.provisional, d.article) for d in SECOND)
            existing = uow.candidates.get_for_step(cid)[2] if given else None
            assert uow.deadlines.replace(cid, branch, [], existing=existing) == DeadlineDiff(0, 0, 3)
