"""The review loop (issue 15): 报送 → 退回 (reopening steps) → redo and 再报送 → 审批 with opinion
and 批复文号, as events in the log that replay gives back; refusals change nothing."""
from __future__ import annotations

import re
from datetime import date

import pytest

from engine.errors import DomainError
from services.accounts.access import principal_for
from services.casework.candidates import load_history
from services.casework.queries import show_candidate
from services.review import approve, return_to_branch, review_thread, submit
from services.casework.user_commands import ForbiddenError, record_step
from services.integrity.verify import verify
from services.worklist.reads import queue_page, review_items


@pytest.fixture
def people(app, users):
    return {k: principal_for(app, u["id"] if isinstance(u, dict) else u) for k, u in users.items()}


def _log(app, cid):
    with app.uow(read_only=True) as uow:
        return [(e.kind, e.step) for e in load_history(uow, cid)]


def test_submit_return_resubmit_approve(app, world, people):
    sec, town = people["sec"], people["town"]
    cid = world.review
    # the branch sends pre_review up; the township sees it first in its queue
    submit(app, sec, cid, "pre_review", note="材料齐全，请预审")
    total, items = queue_page(app, town, 50)
    first = items[0]
    assert (first["candidate_id"], first["step"], first["review"]) == (cid, "pre_review", "submitted")
    assert review_items(app, sec)["submitted"][0]["candidate_id"] == cid
    # sending twice is refused, nothing written
    before = _log(app, cid)
    with pytest.raises(DomainError, match="已于 .* 报送"):
        submit(app, sec, cid, "pre_review")
    assert _log(app, cid) == before
    # the township returns it, reopening 政治审查: committee_review needs it, so it reopens too
    r = return_to_branch(app, town, cid, "pre_review", reason="政治审查材料缺少直系亲属证明，请补充后再报",
                         reopen=("political_review",))
    assert r.decision.event.evidence["reopened"] == ["political_review", "committee_review"]
    state = r.decision.state
    assert "political_review" not in state.done and "committee_review" not in state.done
    assert state.returned == {"pre_review": app.today()}
    # the secretary sees it first: 被退回, with the reason on the thread
    mine = review_items(app, sec)
    assert [i["candidate_id"] for i in mine["returned"]] == [cid]
    thread = next(t for t in review_thread(app, cid) if t["step"] == "pre_review")
    assert thread["status"] == "returned"
    assert [e["kind"] for e in thread["entries"]] == ["submit", "return"]
    assert thread["entries"][1]["text"].startswith("政治审查材料缺少")
    assert thread["entries"][1]["who"] == "用户town"  # the person's name, not the account
    # it left the township's queue while it waits for the branch
    assert all(i["candidate_id"] != cid or i["step"] != "pre_review" for i in queue_page(app, town, 50)[1])
    # approving a returned item, or returning it again, is refused and changes nothing
    before = _log(app, cid)
    with pytest.raises(DomainError, match="退回党支部"):
        approve(app, town, cid, "pre_review", occurred_on=app.today(), evidence={"result": "合格", "passed": True},
                opinion="同意")
    with pytest.raises(DomainError, match="已于 .* 退回"):
        return_to_branch(app, town, cid, "pre_review", reason="再退一次")
    assert _log(app, cid) == before
    # the old records stay in the log, marked as superseded by the return
    shown = show_candidate(app, cid)["timeline"]
    assert {e["step"] for e in shown if e["status"] == "returned"} == {"political_review", "committee_review"}
    back = shown[-1]  # the return itself is labelled as such, its reason said once
    assert back["step_name"] == "退回：第13步 上级党委预审" and back["number"] is None
    assert "政治审查材料缺少" not in back["evidence_summary"] and back["reason"].startswith("政治审查材料缺少")
    assert back["evidence_summary"] == "须重新办理：政治审查、支部委员会审查"
    # the branch redoes the steps and sends again
    day = app.today()
    record_step(app, sec, cid, "political_review", occurred_on=day,
                evidence={"contents": "本人及直系亲属", "conclusion": "政审-2", "passed": True}, expected_version=None)
    record_step(app, sec, cid, "committee_review", occurred_on=day, evidence={"opinion": "同意报预审"},
                expected_version=None)
    submit(app, sec, cid, "pre_review", note="已补充直系亲属证明")
    # the township approves with opinion and 批复文号; preview first writes nothing
    prev = approve(app, town, cid, "pre_review", occurred_on=day, evidence={"result": "合格", "passed": True},
                   opinion="同意，可填写入党志愿书", doc_no="南组预〔2026〕12号", preview=True)
    assert prev.preview and _log(app, cid)[-1] == ("submit", "pre_review")
    done = approve(app, town, cid, "pre_review", occurred_on=day, evidence={"result": "合格", "passed": True},
                   opinion="同意，可填写入党志愿书", doc_no="南组预〔2026〕12号")
    assert done.decision.event.evidence["review"] == {"opinion": "同意，可填写入党志愿书", "doc_no": "南组预〔2026〕12号"}
    assert "pre_review" not in done.decision.state.submitted and "pre_review" in done.decision.state.done
    thread = next(t for t in review_thread(app, cid) if t["step"] == "pre_review")
    assert [e["kind"] for e in thread["entries"]] == ["submit", "return", "submit", "approve"]
    assert "南组预〔2026〕12号" in thread["entries"][-1]["text"]
    # the stored state equals the replay of the log
    report = verify(app)
    assert report.ok, report.mismatches


def test_who_may_do_what(app, world, people):
    cid = world.review
    with pytest.raises(ForbiddenError):
        submit(app, people["town"], cid, "pre_review")  # the township does not send to itself
    with pytest.raises(ForbiddenError):
        submit(app, people["county"], cid, "pre_review")
    submit(app, people["sec"], cid, "pre_review")
    with pytest.raises(ForbiddenError):
        return_to_branch(app, people["sec"], cid, "pre_review", reason="x")
    with pytest.raises(DomainError, match="须填写原因"):
        return_to_branch(app, people["town"], cid, "pre_review", reason="  ")
    with pytest.raises(DomainError, match="不能要求重新办理“确定发展对象”"):
        return_to_branch(app, people["town"], cid, "pre_review", reason="x", reopen=("target_selection",))
    with pytest.raises(DomainError, match="须填写审批意见"):
        approve(app, people["town"], cid, "pre_review", occurred_on=app.today(),
                evidence={"result": "合格", "passed": True}, opinion="")


def test_not_ready_cannot_be_sent(app, world, people):
    with pytest.raises(DomainError, match="须先完成"):
        submit(app, people["sec"], world.fresh, "activist_filing")
    with pytest.raises(ForbiddenError, match="不经报送审核"):
        submit(app, people["sec"], world.fresh, "first_talk")


def _kinds(app, cid):
    return [k for k, _s in _log(app, cid)]


def test_the_loop_through_the_pages(app, world, login):
    cid = world.review
    sec, town = login("sec"), login("town")
    # the secretary sees the step to send up on the home page and sends it
    home = sec.get("/").text
    assert "待报送上级党委" in home and "上级党委预审" in home
    r = sec.form(f"/candidates/{cid}/submit/pre_review", {"note": "材料齐全", "back": "home"})
    assert r.status_code == 303 and _kinds(app, cid)[-1] == "submit"
    # the township's queue shows it first, with a 审批 link and a return form
    q = town.get("/queue").text
    assert q.index("已报送，待审核") < q.index("张秀英" if "张秀英" in q else "王芳")
    assert f"/queue/approve?candidate_id={cid}&amp;step=pre_review" in q
    # a return without a reason changes nothing and says why
    before = _log(app, cid)
    r = town.form("/queue/return", {"candidate_id": cid, "step": "pre_review", "reason": " ", "reopen": "political_review"})
    assert r.status_code == 400 and _log(app, cid) == before
    assert "退回须填写原因" in r.text and re.search(r'value="political_review"\s+checked', r.text)  # the ticks stay
    r = town.form("/queue/return", {"candidate_id": cid, "step": "pre_review", "reason": "长" * 501})
    assert r.status_code == 400 and "不能超过 500 字" in r.text and "长" * 501 in r.text  # what was typed stays
    town.form("/queue/return", {"candidate_id": cid, "step": "pre_review", "reopen": "political_review",
                                "reason": "政治审查材料缺少直系亲属证明，请补充后再报"})
    assert _kinds(app, cid)[-1] == "return"
    # in-app notices: the township heard of the sending, the branch of the return (once each)
    assert town.get("/notices").text.count("【报送审批】贺丰村党支部 王芳“上级党委预审”") == 1
    notices = sec.get("/notices").text
    assert notices.count("【被退回】王芳“上级党委预审”") == 1 and "政治审查材料缺少直系亲属证明" in notices
    assert "需重新办理：政治审查、支部委员会审查" in notices
    assert sec.get("/notices").text.count("【被退回】") == 1  # a second look delivers nothing new
    # the secretary sees it first on the home page, with the reason and what to redo
    home = sec.get("/").text
    assert "被退回（1）" in home and "政治审查材料缺少直系亲属证明" in home
    assert home.index("被退回（1）") < home.index("<h1>本周待办")
    page = sec.get(f"/candidates/{cid}").text
    assert "已退回，待重新报送" in page and "须先重新办理：政治审查、支部委员会审查" in page
    # approving the returned item is refused (the confirmation never comes)
    r = town.form("/queue/approve", {"candidate_id": cid, "step": "pre_review", "occurred_on": "2026-11-25",
                                     "f.result": "合格", "opinion": "同意"})
    assert r.status_code == 422 and "退回党支部" in r.text and _log(app, cid)[-1][0] == "return"


def test_approval_confirms_what_it_records(app, world, login):
    cid = world.review
    sec, town = login("sec"), login("town")
    sec.form(f"/candidates/{cid}/submit/pre_review", {"note": ""})
    # 预审意见 (the step's own field) is its opinion: the form does not ask for it twice
    assert 'name="opinion"' not in town.get(f"/queue/approve?candidate_id={cid}&step=pre_review").text
    data = {"candidate_id": cid, "step": "pre_review", "occurred_on": "2026-11-25", "f.result": "同意，可填写入党志愿书",
            "doc_no": "南组预〔2026〕12号"}
    r = town.form("/queue/approve", data)
    assert r.status_code == 200 and "请确认将记录的内容" in r.text and "南组预〔2026〕12号" in r.text
    assert _kinds(app, cid)[-1] == "submit"  # the confirmation page wrote nothing
    again = town.form("/queue/approve", {**data, "confirm": "1", "edit": "1"})  # 返回修改: the form, as typed
    assert again.status_code == 200 and "请确认" not in again.text and 'value="南组预〔2026〕12号"' in again.text
    assert _kinds(app, cid)[-1] == "submit"
    r = town.form("/queue/approve", {**data, "confirm": "1"})
    assert r.status_code == 303
    with app.uow(read_only=True) as uow:
        last = load_history(uow, cid)[-1]
    assert (last.kind, last.step, last.evidence["review"]["doc_no"]) == ("step", "pre_review", "南组预〔2026〕12号")
    notices = sec.get("/notices").text
    assert "【审批通过】王芳“上级党委预审”" in notices and "南组预〔2026〕12号" in notices
    page = sec.get(f"/candidates/{cid}").text
    assert "同意，可填写入党志愿书（批复文号：南组预〔2026〕12号）" in page
    # a required field of the step left empty: 400 next to the field, nothing written
    r = town.form("/queue/approve", {**data, "f.result": " ", "confirm": "1"})
    assert r.status_code == 400 and "请填写预审意见" in r.text and _log(app, cid)[-1][0] == "step"


def test_a_filing_is_filed_with_its_own_number(app, world, login):
    """第4步 报上级党委备案 from the queue: the card, the form, the confirmation and the flash say 备案;
    the form asks the step's own 备案文号 (optional), no 审批意见 nor 批复文号; the record carries it."""
    cid = world.activist
    town = login("town")
    q = town.get("/queue").text
    card = q[q.index(f'id="c{cid}-activist_filing"'):] if f'id="c{cid}-activist_filing"' in q else q
    assert re.search(rf'step=activist_filing">备案</a>', card)
    form = town.get(f"/queue/approve?candidate_id={cid}&step=activist_filing").text
    assert "备案文号（可不填）" in form and 'name="f.filing_no"' in form
    assert "审批意见" not in form and "批复文号" not in form and 'name="opinion"' not in form
    data = {"candidate_id": cid, "step": "activist_filing", "occurred_on": "2026-11-25",
            "f.filing_no": "南组备〔2026〕27号"}
    before = _log(app, cid)
    r = town.form("/queue/approve", data)  # no opinion: not refused, the confirmation
    assert r.status_code == 200 and "请确认将记录的内容" in r.text and "已备案" in r.text and "确认备案" in r.text
    assert "备案文号：南组备〔2026〕27号" in r.text and "审批意见" not in r.text and _log(app, cid) == before
    r = town.form("/queue/approve", {**data, "confirm": "1"})
    assert r.status_code == 303
    assert "已备案：李红 第4步 报上级党委备案" in town.get("/queue").text
    with app.uow(read_only=True) as uow:
        last = load_history(uow, cid)[-1]
    assert (last.kind, last.step, last.evidence) == ("step", "activist_filing", {"filing_no": "南组备〔2026〕27号"})
    page = login("sec").get(f"/candidates/{cid}").text
    assert "备案文号：南组备〔2026〕27号" in page and "审批意见" not in page
    notices = login("sec").get("/notices").text
    assert "【已备案】李红“报上级党委备案”" in notices and "备案文号：南组备〔2026〕27号" in notices
    assert "审批通过" not in notices


def test_steps_a_return_reopened_are_not_shown_approved(app, world, people, login):
    """The township returns 第17步 ticking 第15步 支部大会讨论 (16 reopens with it): the 报送与审批
    card says 第16步 须重新办理, not 已批准, until 15 and 16 are done again."""
    from tests.web.test_resolutions_web import STEPS
    from tests.web.web_support import new_candidate

    from services.casework.candidates import complete_step
    from services.demo.sample_evidence import sample_evidence

    upto = STEPS[:STEPS.index(("admission_meeting", date(2024, 7, 20)))]
    cid = new_candidate(app, world, "周发展", date(2023, 3, 1), upto)
    vote = {"should_attend": 4, "present": 4, "yes": 4, "no": 0, "abstain": 0, "written": 0}  # the branch's roll
    complete_step(app, cid, "admission_meeting", occurred_on=date(2024, 7, 20), actor="测试",
                  evidence={"vote": vote, "resolution": "同意接收为预备党员"})
    complete_step(app, cid, "committee_talk", occurred_on=date(2024, 8, 1), actor="测试",
                  evidence=sample_evidence("committee_talk", date(2024, 8, 1)))
    submit(app, people["sec"], cid, "admission_approval")
    return_to_branch(app, people["town"], cid, "admission_approval", reason="表决票数与会议记录不符",
                     reopen=("admission_meeting",))
    card = _card(login("sec").get(f"/candidates/{cid}").text)
    assert "须重新办理：支部大会讨论、上级党委派人谈话" in card
    talk = card[card.index("第16步 上级党委派人谈话"):card.index("第17步")]
    assert "须重新办理" in talk and "已批准" not in talk and "已办理" not in talk
    assert "须先重新办理：支部大会讨论，办完后再报送" in talk
    thread = {t["step"]: t for t in review_thread(app, cid)}
    assert thread["committee_talk"]["status"] == "reopened"
    assert thread["admission_approval"]["status"] == "returned"


def _card(html: str) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return text[text.index("报送与审批 第"):]


def test_the_loop_through_the_api(app, world, login):
    cid = world.review
    sec, town = login("sec"), login("town")
    hs = {"X-CSRF-Token": sec.get("/api/me").json()["csrf_token"]}
    ht = {"X-CSRF-Token": town.get("/api/me").json()["csrf_token"]}
    assert sec.post(f"/api/candidates/{cid}/steps/pre_review/submit", json={"note": "请审"}, headers=hs).status_code == 200
    r = sec.post(f"/api/candidates/{cid}/steps/pre_review/submit", json={}, headers=hs)
    assert r.status_code == 422 and "报送" in r.json()["message"]
    r = town.post(f"/api/candidates/{cid}/steps/pre_review/return", json={"reason": "补材料", "reopen": ["political_review"]},
                  headers=ht)
    assert r.status_code == 200 and r.json()["reopened"] == ["political_review", "committee_review"]
    assert [i["candidate_id"] for i in sec.get("/api/review").json()["returned"]] == [cid]
    thread = sec.get(f"/api/candidates/{cid}/review").json()
    assert [e["kind"] for e in next(t for t in thread if t["step"] == "pre_review")["entries"]] == ["submit", "return"]
    r = town.post(f"/api/candidates/{cid}/steps/pre_review/approve",
                  json={"occurred_on": "2026-11-25", "evidence": {"result": "合格", "passed": True}, "opinion": "同意"},
                  headers=ht)
    assert r.status_code == 422 and "退回党支部" in r.json()["message"]


def test_refusing_an_approval_says_what_follows(app, world, login):
    """不同意 on 预审 records it as not passed: the step stays open (the definition's `negative: stay`)."""
    cid = world.review
    town = login("town")
    data = {"candidate_id": cid, "step": "pre_review", "occurred_on": "2026-11-25", "f.result": "不合格",
            "opinion": "政审结论不明确", "decision": "no"}
    r = town.form("/queue/approve", data)
    assert r.status_code == 200 and "不同意：这一步仍待办理" in r.text
    assert town.form("/queue/approve", {**data, "confirm": "1"}).status_code == 303
    with app.uow(read_only=True) as uow:
        last = load_history(uow, cid)[-1]
    assert (last.step, last.evidence["passed"]) == ("pre_review", False)
    assert "【审批未通过】王芳“上级党委预审”" in login("sec").get("/notices").text
    assert "pre_review" in [s["step"] for s in show_candidate(app, cid)["next_steps"]]  # still to be done


def test_a_stale_form_changes_nothing(app, world, login):
    """The approval form was opened before the branch sent again: the confirmation is refused (409)."""
    cid = world.review
    sec, town = login("sec"), login("town")
    with app.uow(read_only=True) as uow:
        seen = uow.candidates.get(cid).version
    sec.form(f"/candidates/{cid}/submit/pre_review", {"note": "补充"})  # the log moved on
    before = _log(app, cid)
    r = town.form("/queue/approve", {"candidate_id": cid, "step": "pre_review", "occurred_on": "2026-11-25",
                                     "f.result": "合格", "opinion": "同意", "expected_version": seen, "confirm": "1"})
    assert r.status_code == 409 and "已被他人修改，请刷新" in r.text
    r = town.form("/queue/return", {"candidate_id": cid, "step": "pre_review", "reason": "缺证明", "expected_version": seen})
    assert r.status_code == 409 and "已被他人修改，请刷新" in r.text and "缺证明" in r.text
    assert _log(app, cid) == before


def test_the_candidate_page_says_who_must_act_after_a_return(app, world, login):
    """After a return the township gets no 办理/审批 button (the step waits for the branch), and the
    branch's 现在要办 says it must redo and send again — not 等待乡镇党委."""
    cid = world.review
    sec, town = login("sec"), login("town")
    town.form("/queue/return", {"candidate_id": cid, "step": "pre_review", "reason": "补充材料"})
    page = town.get(f"/candidates/{cid}").text
    assert f"/queue/approve?candidate_id={cid}&amp;step=pre_review" not in page
    gate = town.get(f"/candidates/{cid}/steps/pre_review").text
    assert "已退回党支部" in gate and 'name="f.result"' not in gate
    mine = sec.get(f"/candidates/{cid}").text
    assert "被退回，须重新报送：第13步 上级党委预审" in mine and "等待基层党委" not in mine.split("报送与审批")[0]


def test_a_redo_is_not_dated_before_the_return(app, world, people):
    from datetime import timedelta

    cid = world.review
    return_to_branch(app, people["town"], cid, "pre_review", reason="补充", reopen=("political_review",))
    day = app.today()
    evidence = {"contents": "本人及直系亲属", "conclusion": "政审-2", "passed": True}
    with pytest.raises(DomainError, match="不能早于退回日期"):
        record_step(app, people["sec"], cid, "political_review", occurred_on=day - timedelta(days=1),
                    evidence=evidence, expected_version=None)
    record_step(app, people["sec"], cid, "political_review", occurred_on=day, evidence=evidence, expected_version=None)


def test_the_step_api_previews_without_writing(app, world, login):
    sec = login("sec")
    h = {"X-CSRF-Token": sec.get("/api/me").json()["csrf_token"]}
    before = _log(app, world.fresh)
    r = sec.post(f"/api/candidates/{world.fresh}/steps/first_talk", headers=h,
                 json={"occurred_on": "2026-11-20", "evidence": {"talker": "李书记"}, "preview": True})
    assert r.status_code == 200 and r.json()["preview"] is True and _log(app, world.fresh) == before
    r = sec.post(f"/api/candidates/{world.fresh}/steps/first_talk", headers=h,
                 json={"occurred_on": "2026-11-20", "evidence": {"talker": "李书记"}})
    assert r.status_code == 200 and _log(app, world.fresh)[-1] == ("step", "first_talk")


@pytest.mark.parametrize("change,words", [({"occurred_on": ""}, "请填写办理日期"),
                                          ({"decision": "maybe"}, "请选择审批结果")])
def test_the_approval_form_refuses_what_it_cannot_read(app, world, login, change, words):
    cid = world.review
    town = login("town")
    before = _log(app, cid)
    r = town.form("/queue/approve", {"candidate_id": cid, "step": "pre_review", "occurred_on": "2026-11-25",
                                     "f.result": "同意", "confirm": "1", **change})
    assert r.status_code == 400 and words in r.text and _log(app, cid) == before


def test_a_member_of_another_township_cannot_be_named(app, world, login):
    """The API (or a forged checkbox) naming a member outside the secretary's scope is refused (403),
    nothing written."""
    from datetime import date as d

    with app.uow() as uow:
        far = uow.people.add(name="外乡党员", gender="男", birth_date=d(1970, 1, 1), party_status="full_member",
                             branch_id=world.b3)
    sec = login("sec")
    h = {"X-CSRF-Token": sec.get("/api/me").json()["csrf_token"]}
    before = _log(app, world.activist)
    r = sec.post(f"/api/candidates/{world.activist}/steps/mentors_assigned", headers=h,
                 json={"occurred_on": "2026-11-20", "evidence": {"mentors": [far]}})
    assert r.status_code == 403 and "外乡党员" in r.json()["message"] and _log(app, world.activist) == before
    r = sec.post(f"/api/candidates/{world.activist}/steps/mentors_assigned", headers=h,
                 json={"occurred_on": "2026-11-20", "evidence": {"mentors": [world.members[0]]}})
    assert r.status_code == 200


def test_the_step_to_redo_shows_why_it_was_returned(app, world, people, login):
    """After a 退回 reopening 政治审查, the secretary's form for it says who returned what and why;
    another candidate's form says nothing of it."""
    cid = world.review
    submit(app, people["sec"], cid, "pre_review")
    return_to_branch(app, people["town"], cid, "pre_review", reason="政治审查材料缺少直系亲属证明，请补充后再报",
                     reopen=("political_review",))
    page = login("sec").get(f"/candidates/{cid}/steps/political_review").text
    assert "上级党委退回“上级党委预审”，要求重新办理本步骤：政治审查材料缺少直系亲属证明" in page
    other = login("sec").get(f"/candidates/{world.activist}/steps/target_selection").text
    assert "要求重新办理本步骤" not in other


def _unread(app, user_id: int) -> list[str]:
    from services.notices import deliver_now

    deliver_now(app, user_id)
    with app.uow(read_only=True) as uow:
        return [n.kind for n in uow.notices.for_user(user_id) if n.read_at is None]


def test_a_handled_submission_settles_its_notices(app, world, people, users):
    """From an earlier review: 报送 notices stayed unread in the officers' inboxes after the
    township approved or returned the item, and the branch's 退回 notice after it sent the step
    again. The handling marks them read for every recipient, in its own transaction; a copy not
    yet delivered (the second officer has not opened a page) arrives read."""
    from services.accounts.users import create_user
    from tests.web.web_support import PASSWORD

    town2 = create_user(app, "town2", "用户town2", PASSWORD, [("township_officer", world.township)])["id"]
    sec, town, cid = people["sec"], people["town"], world.review
    submit(app, sec, cid, "pre_review", note="材料齐全，请预审")
    assert _unread(app, town.user_id) == ["submitted"]  # town2's copy stays in the outbox for now
    return_to_branch(app, town, cid, "pre_review", reason="缺少直系亲属证明", reopen=("political_review",))
    assert _unread(app, town.user_id) == [] and _unread(app, town2) == []
    with app.uow(read_only=True) as uow:
        assert [n.kind for n in uow.notices.for_user(town2)] == ["submitted"]  # delivered, as read
    assert _unread(app, sec.user_id) == ["returned"]
    day = app.today()
    record_step(app, sec, cid, "political_review", occurred_on=day,
                evidence={"contents": "本人及直系亲属", "conclusion": "政审-2", "passed": True}, expected_version=None)
    record_step(app, sec, cid, "committee_review", occurred_on=day, evidence={"opinion": "同意报预审"},
                expected_version=None)
    assert _unread(app, sec.user_id) == ["returned"]  # redoing steps is not sending again
    submit(app, sec, cid, "pre_review", note="已补充")
    assert _unread(app, sec.user_id) == []
    assert _unread(app, town.user_id) == _unread(app, town2) == ["submitted"]  # the new 报送
    approve(app, principal_for(app, town2), cid, "pre_review", occurred_on=day, evidence={"result": "合格", "passed": True},
            opinion="同意", doc_no="南组预〔2026〕12号")
    assert _unread(app, town.user_id) == _unread(app, town2) == []
    assert _unread(app, sec.user_id) == ["approved"]  # the result itself is news to the branch
