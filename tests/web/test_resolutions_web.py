"""A conversion meeting's resolution waits for the township (党章第七条; cpc_2014@2): the secretary
records it, both sides see it waiting, the township approves or refuses it from its approval page;
a cancellation is the township's to record. SQLite and PostgreSQL (the `db_url` fixture)."""
from __future__ import annotations

import re
from datetime import date

import pytest

from services.casework.candidates import complete_step
from services.casework.queries import show_candidate
from services.demo.sample_evidence import sample_evidence
from tests.web.web_support import new_candidate

STEPS = [("first_talk", date(2023, 3, 20)), ("activist_selection", date(2023, 4, 1)),
         ("activist_filing", date(2023, 4, 10)), ("mentors_assigned", date(2023, 4, 10)),
         ("target_selection", date(2024, 4, 20)), ("target_filing", date(2024, 4, 25)),
         ("sponsors", date(2024, 4, 25)), ("political_review", date(2024, 6, 1)), ("training", date(2024, 6, 10)),
         ("committee_review", date(2024, 7, 1)), ("pre_review", date(2024, 7, 5)),
         ("application_form", date(2024, 7, 10)), ("admission_meeting", date(2024, 7, 20)),
         ("committee_talk", date(2024, 8, 1)), ("admission_approval", date(2024, 8, 10)),
         ("conversion_application", date(2025, 7, 20))]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def probationer(app, world) -> int:
    return new_candidate(app, world, "周预备", date(2023, 3, 1), STEPS)


def _meeting(app, cid, **resolution):
    on = date(2025, 7, 25)
    complete_step(app, cid, "conversion_meeting", occurred_on=on, actor="测试",
                  evidence={**sample_evidence("conversion_meeting", on, cal=app.calendar), **resolution})


def test_an_extension_waits_and_is_approved_on_the_approval_page(app, login, probationer):
    assert show_candidate(app, probationer)["candidate"]["definition_key"] == "cpc_2014@3"
    _meeting(app, probationer, decision="extend", extension_months=6)
    view = show_candidate(app, probationer)["candidate"]
    assert view["stage"] == "probationary" and view["probation_end"] == "2025-07-20" and view["extensions"] == 0
    assert view["pending_resolution"]["text"] == "支部大会 2025-07-25 决议延长预备期 6 个月，待上级党委审批后生效"
    for who in ("sec", "town"):
        assert "待审批：支部大会 2025-07-25 决议延长预备期 6 个月" in _text(login(who).get(f"/candidates/{probationer}").text)
    town = login("town")
    page = _text(town.get(f"/queue/approve?candidate_id={probationer}&step=conversion_approval").text)
    assert "审批的是：支部大会 2025-07-25 的决议——延长预备期 6 个月" in page
    version = show_candidate(app, probationer)["candidate"]["version"]
    form = {"candidate_id": str(probationer), "step": "conversion_approval", "occurred_on": "2025-08-20",
            "decision": "yes", "opinion": "同意延长", "doc_no": "南组〔2025〕8号", "expected_version": str(version)}
    preview = town.form("/queue/approve", form)
    assert preview.status_code == 200, _text(preview.text)
    assert "预备期延至 2026-01-20" in _text(preview.text)
    done = town.form("/queue/approve", {**form, "confirm": "1"})
    assert done.status_code == 303, _text(done.text)
    view = show_candidate(app, probationer)["candidate"]
    assert (view["probation_end"], view["extensions"], view["pending_resolution"]) == ("2026-01-20", 1, None)


def test_a_refused_extension_sends_the_meeting_back(app, login, probationer):
    _meeting(app, probationer, decision="extend", extension_months=6)
    town = login("town")
    version = show_candidate(app, probationer)["candidate"]["version"]
    form = {"candidate_id": str(probationer), "step": "conversion_approval", "occurred_on": "2025-08-20",
            "decision": "no", "opinion": "考察期表现合格，不同意延长", "expected_version": str(version)}
    preview = town.form("/queue/approve", form)
    assert "不批准支部大会 2025-07-25 的决议" in _text(preview.text), _text(preview.text)
    assert town.form("/queue/approve", {**form, "confirm": "1"}).status_code == 303
    view = show_candidate(app, probationer)
    assert (view["candidate"]["probation_end"], view["candidate"]["extensions"]) == ("2025-07-20", 0)
    assert any(s["step"] == "conversion_meeting" for s in view["next_steps"])


def test_a_cancellation_is_recorded_by_the_township(app, login, probationer):
    r = login("sec").form(f"/candidates/{probationer}/cases/cancel_probation",
                          {"occurred_on": "2025-06-01", "reason": "x", "expected_version": "17"})
    assert r.status_code == 403 and "须经上级党委批准" in _text(r.text)
    assert "取消预备党员资格" not in _text(login("sec").get(f"/candidates/{probationer}").text).split("办理记录")[0]
    town = login("town")
    form = _text(town.get(f"/candidates/{probationer}/cases/cancel_probation").text)
    assert "党章第七条" in form and "批准的日期" in form
    version = show_candidate(app, probationer)["candidate"]["version"]
    r = town.form(f"/candidates/{probationer}/cases/cancel_probation",
                  {"occurred_on": "2025-08-01", "reason": "支部大会2025-07-25讨论决定取消，南组〔2025〕5号批复",
                   "expected_version": str(version)})
    assert r.status_code == 303, _text(r.text)
    assert show_candidate(app, probationer)["candidate"]["stage"] == "probation_cancelled"


def test_the_conversion_application_is_not_offered_months_before_probation_ends(app, login, world):
    """cpc_2014@3 (第三十三条): 提出转正申请 opens a week before 预备期满 (2027-01-20 here): on the
    test day, 2026-11-25, the candidate page lists it as 还不能办理 with the date, and its form is
    the explanation card, not a form that would record it seven months early."""
    from datetime import timedelta

    steps = [(s, on + timedelta(days=549)) for s, on in STEPS if s != "conversion_application"]
    cid = new_candidate(app, world, "郑预备", date(2024, 9, 1), steps)
    assert show_candidate(app, cid)["candidate"]["definition_key"] == "cpc_2014@3"
    assert show_candidate(app, cid)["candidate"]["probation_end"] == "2027-01-20"
    sec = login("sec")
    page = _text(sec.get(f"/candidates/{cid}").text)
    later = page[page.index("第22步 提出转正申请"):][:300]
    assert "还不能办理" in later and "2027-01-13" in later
    card = _text(sec.get(f"/candidates/{cid}/steps/conversion_application").text)
    assert "还没到可以办理的日期" in card and "2027-01-13" in card
