"""The higher committee's decision on a branch meeting's resolution stays in 报送与审批 (review of
issue 16, finding 5): an extension approved or a resolution refused keeps step 24 in the thread with
its opinion and 批复文号, and a refusal reaches the branch like a return (被退回, the home page and
/review) until the branch meeting sits again. SQLite and PostgreSQL (the `db_url` fixture)."""
from __future__ import annotations

import re
from datetime import date

import pytest

from services.casework.candidates import complete_step
from services.review import approve, review_thread
from services.demo.sample_evidence import sample_evidence
from tests.web.test_resolutions_web import STEPS
from tests.web.web_support import new_candidate

MEETING = date(2025, 7, 25)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def probationer(app, world) -> int:
    return new_candidate(app, world, "周预备", date(2023, 3, 1), STEPS)


def _meeting(app, cid, on=MEETING, **resolution):
    complete_step(app, cid, "conversion_meeting", occurred_on=on, actor="测试",
                  evidence={**sample_evidence("conversion_meeting", on, cal=app.calendar), **resolution})


def _decide(app, cid, approved: bool, opinion: str, doc_no: str):
    approve(app, None, cid, "conversion_approval", occurred_on=date(2025, 8, 20), evidence={"approved": approved},
            opinion=opinion, doc_no=doc_no, actor="乡组织委员")


def _step24(app, cid):
    return next((t for t in review_thread(app, cid) if t["number"] == 24), None)


def test_an_approved_extension_stays_in_the_thread(app, login, probationer):
    _meeting(app, probationer, decision="extend", extension_months=6)
    _decide(app, probationer, True, "同意延长", "南组〔2025〕8号")
    t = _step24(app, probationer)
    assert t is not None and (t["status"], t["status_name"]) == ("approved", "已批准")
    last = t["entries"][-1]
    assert (last["kind_name"], last["on"]) == ("批准", "2025-08-20")
    assert last["text"] == "支部大会 2025-07-25 的决议：延长预备期 6 个月；审批意见：同意延长（批复文号：南组〔2025〕8号）"
    page = _text(login("sec").get(f"/candidates/{probationer}").text)
    assert "第24步 上级党委审批 已批准" in page and "南组〔2025〕8号" in page


def test_a_refusal_reaches_the_branch_like_a_return(app, login, probationer):
    _meeting(app, probationer, decision="extend", extension_months=6)
    _decide(app, probationer, False, "请支部大会重新讨论", "南组〔2025〕9号")
    t = _step24(app, probationer)
    assert (t["status"], t["status_name"], t["reopens"]) == ("refused", "不批准，须由支部大会重新讨论", "conversion_meeting")
    assert t["entries"][-1]["kind_name"] == "不批准" and "审批意见：请支部大会重新讨论" in t["entries"][-1]["text"]
    sec = login("sec")
    for url in ("/", "/review"):
        page = _text(sec.get(url).text)
        assert "被退回（1）" in page and "周预备" in page, url
        assert "上级党委不批准" in page and "审批意见：请支部大会重新讨论（批复文号：南组〔2025〕9号）" in page, url
    card = _text(sec.get(f"/candidates/{probationer}").text)
    assert "上级党委 2025-08-20 不批准：支部大会 2025-07-25 的决议：延长预备期 6 个月" in card
    assert "不批准，须由支部大会重新讨论" in card
    # the branch meeting sits again: nothing is returned any more, the old decision stays in the thread
    _meeting(app, probationer, on=date(2025, 9, 1), decision="convert")
    assert "被退回" not in _text(sec.get("/review").text)
    t = _step24(app, probationer)
    assert t["status"] == "open" and [e["kind_name"] for e in t["entries"]] == ["不批准"]


def test_a_plain_conversion_still_shows_its_approval(app, probationer):
    _meeting(app, probationer, decision="convert")
    _decide(app, probationer, True, "同意转正", "南组〔2025〕7号")
    t = _step24(app, probationer)
    assert t["status"] == "done" and t["entries"][-1]["text"].startswith("支部大会 2025-07-25 的决议：按期转为正式党员")


# ------------------------------------------------------------------ the timeline by stage (finding 6)

def _groups(app, cid):
    from services.casefile import history_by_stage
    from services.casework.queries import show_candidate

    return {g["stage_name"]: [e["number"] for e in g["events"]] for g in history_by_stage(app, show_candidate(app, cid))}


def test_step_24_records_of_a_probationary_member_stay_with_the_probation(app, probationer):
    _meeting(app, probationer, decision="extend", extension_months=6)
    _decide(app, probationer, True, "同意延长", "南组〔2025〕8号")
    on = date(2026, 1, 21)  # the extended probation ends 2026-01-20: apply again, then the meeting
    complete_step(app, probationer, "conversion_application", occurred_on=on, actor="测试",
                  evidence=sample_evidence("conversion_application", on, cal=app.calendar))
    _meeting(app, probationer, on=date(2026, 1, 25), decision="cancel")
    approve(app, None, probationer, "conversion_approval", occurred_on=date(2026, 2, 20), evidence={"approved": False},
            opinion="不同意取消", actor="乡组织委员")
    groups = _groups(app, probationer)
    assert "正式党员" not in groups
    assert groups["预备党员"][-5:] == [23, 24, 22, 23, 24]
    assert groups["入党申请人"][0] == 1  # the application, then the first talk, while an applicant


def test_an_approved_conversion_opens_the_full_member_group(app, probationer):
    _meeting(app, probationer, decision="convert")
    _decide(app, probationer, True, "同意转正", "南组〔2025〕7号")
    groups = _groups(app, probationer)
    assert groups["预备党员"][-1] == 23 and groups["正式党员"] == [24]


def test_the_refusal_confirmation_says_the_meeting_discusses_again(app, login, probationer):
    from services.casework.queries import show_candidate

    _meeting(app, probationer, decision="cancel")
    form = {"candidate_id": str(probationer), "step": "conversion_approval", "occurred_on": "2025-08-20",
            "decision": "no", "opinion": "不同意取消", "expected_version": str(show_candidate(app, probationer)["candidate"]["version"])}
    page = _text(login("town").form("/queue/approve", form).text)
    assert "不同意：支部大会的决议不生效，预备期照常计算，支部大会须重新讨论" in page and "这一步仍待办理" not in page
