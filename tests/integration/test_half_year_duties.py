"""The issue's case through the services, on SQLite and PostgreSQL: assessments on 2017-04-01 and
2017-05-01 both fall in the first half-year after selection on 2017-03-10, so the second half-year's
is due 2018-03-10 and `overdue` lists it from the day after (第十一条, cpc_2014@2)."""
from __future__ import annotations

from datetime import date

import pytest

from services.casework.candidates import complete_step, register_applicant
from services.casework.queries import overdue
from services.demo.sample_evidence import sample_evidence


@pytest.fixture
def activist(app, town) -> int:
    cid = register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2016, 12, 1),
                             actor="测试").candidate_id
    for step, on in (("first_talk", date(2016, 12, 20)), ("activist_selection", date(2017, 3, 10)),
                     ("activist_filing", date(2017, 3, 15)), ("mentors_assigned", date(2017, 3, 15)),
                     ("cultivation", date(2017, 4, 1)), ("cultivation", date(2017, 5, 1))):
        complete_step(app, cid, step, occurred_on=on, actor="测试",
                      evidence=sample_evidence(step, on, cal=app.calendar, mentors=town["members"][:1]))
    return cid


@pytest.mark.parametrize("as_of, listed", [(date(2018, 3, 10), False), (date(2018, 3, 11), True)])
def test_the_second_half_year_is_overdue_after_its_last_day(app, activist, as_of, listed):
    rows = [r for r in overdue(app, as_of) if r["candidate_id"] == activist and r["step"] == "cultivation"]
    assert bool(rows) is listed
    if listed:
        assert rows[0]["due_on"] == "2018-03-10" and rows[0]["kind"] == "recurring" and rows[0]["days_overdue"] == 1
