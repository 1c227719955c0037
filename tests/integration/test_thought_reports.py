"""A township's own rhythm (workflows/local/cpc_2014_thought_reports.yaml): once the township
chooses the variant, its activists owe a 思想汇报 each calendar quarter, and the daily scan reminds
the branch 7 days before the quarter ends — on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest

from services.casework import candidates as uc
from services.casework.queries import show_candidate
from services.notices.reminders import scan
from services.demo.sample_evidence import sample_evidence


@pytest.fixture
def activist(app, town) -> int:
    with app.uow() as uow:
        uow.orgs.set_workflow_variant(uow.orgs.by_code("t").id, "cpc_2014_thought_reports")
        uow.contacts.add(town["b1"], "branch_secretary", "贺丰村书记", email="shuji@hefeng.example")
    cid = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2017, 1, 5),
                                actor="书记").candidate_id
    for step, on in (("first_talk", date(2017, 1, 20)), ("activist_selection", date(2017, 3, 10))):
        uc.complete_step(app, cid, step, occurred_on=on, actor="书记", evidence=sample_evidence(step, on, cal=app.calendar))
    return cid


def _reminders(app, cid):
    with app.uow() as uow:
        return sorted((r.payload["step_name"], r.kind, r.payload["days"]) for r in uow.outbox.list()
                      if r.payload.get("candidate_id") == cid and r.payload.get("step_name") == "递交思想汇报")


@pytest.mark.parametrize("as_of, expected", [
    (date(2017, 6, 22), []),  # 8 days before the quarter's last day (06-30)
    (date(2017, 6, 23), [("递交思想汇报", "reminder", 7)]),
])
def test_the_branch_is_reminded_a_week_before_the_quarter_ends(app, activist, as_of, expected):
    assert show_candidate(app, activist)["candidate"]["definition_key"] == "cpc_2014_thought_reports@1"
    scan(app, as_of)
    assert _reminders(app, activist) == expected


def test_a_report_in_the_quarter_stops_the_reminder(app, activist):
    uc.complete_step(app, activist, "thought_report", occurred_on=date(2017, 5, 20), actor="书记",
                     evidence={"received_by": "支部书记"})
    scan(app, date(2017, 6, 23))
    assert _reminders(app, activist) == []
    nxt = {s["step"]: s for s in show_candidate(app, activist)["next_steps"]}["thought_report"]
    assert nxt["recurring"]["date"] == "2017-09-30"
