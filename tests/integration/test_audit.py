"""`partyflow audit`: late steps as the log stands after corrections (the report's own filter)."""
from __future__ import annotations

from datetime import date

from reports.period import parse_period
from services.casework import candidates as uc
from services.compliance.audit import audit
from tests.integration.test_services import _road


def _late_items(app, period=None):
    return [i for i in audit(app, "t", parse_period(period) if period else None)["items"] if i["kind"] == "late"]


def test_a_step_corrected_twice_is_listed_once_with_its_last_date(app, town):
    cid = _road(app, town, until="first_talk")
    uc.complete_step(app, cid, "first_talk", occurred_on=date(2016, 4, 5), actor="书记", evidence={"talker": "书记"})
    assert [i["occurred_on"] for i in _late_items(app)] == ["2016-04-05"]  # due 2016-04-01 (第七条)
    uc.correct(app, cid, 2, actor="书记", reason="日期录错", occurred_on=date(2016, 4, 10))
    uc.correct(app, cid, 2, actor="书记", reason="再次核对", occurred_on=date(2016, 4, 12))
    items = _late_items(app)
    assert [i["occurred_on"] for i in items] == ["2016-04-12"]
    assert "细则第七条" in items[0]["message"]
    # the due day itself was allowed: "最迟…（含当日）", never "应于…前"
    assert "最迟应于 2016-04-01（含当日）完成，实际 2016-04-12，逾期 11 天" in items[0]["message"]


def test_a_correction_back_within_the_deadline_clears_the_finding(app, town):
    cid = _road(app, town, until="first_talk")
    uc.complete_step(app, cid, "first_talk", occurred_on=date(2016, 4, 5), actor="书记", evidence={"talker": "书记"})
    uc.correct(app, cid, 2, actor="书记", reason="日期录错", occurred_on=date(2016, 4, 1))  # the last day: in time
    assert _late_items(app) == []


def test_the_period_bounds_the_late_steps_on_both_sides(app, town):
    cid = _road(app, town, until="first_talk")
    uc.complete_step(app, cid, "first_talk", occurred_on=date(2016, 4, 5), actor="书记", evidence={"talker": "书记"})
    assert len(_late_items(app, "2016H1")) == 1
    assert _late_items(app, "2016-04-06..2016-06-30") == []
    assert len(_late_items(app, "2016-04-05..2016-04-05")) == 1
    assert _late_items(app, "2016-01-01..2016-04-04") == []
