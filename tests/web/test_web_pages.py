"""Secretary pages and the step form; the township's queue; the API; the audit log."""
from __future__ import annotations

import re

from services.integrity.audit_log import entries
from services.casework.queries import show_candidate


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_week_lists_overdue_due_soon_and_possible(login, world):
    t = _text(login("sec").get("/").text)
    overdue, due_soon, possible = t.split("已逾期")[1], t.split("7天内到期")[1], t.split("可以办理")[1]
    assert "张秀英" in overdue.split("7天内到期")[0] and "最迟 2026-11-01（含当日，周日休息日）" in overdue  # the first talk
    assert "培养教育考察" in due_soon.split("可以办理")[0]  # every 6 months from 2026-06-01
    assert "指定培养联系人" in possible
    # the township's steps are not the branch's to do: they appear only as 待报送 (the review loop)
    week_lists = t.split("待报送上级党委")[0]
    assert "上级党委预审" not in week_lists and "报上级党委备案" not in week_lists
    assert "上级党委预审" in t.split("待报送上级党委")[1]
    assert "赵敏" not in t  # another branch


def test_candidates_by_stage(login, world):
    t = _text(login("sec").get("/candidates").text)
    assert "入党申请人（1）" in t and "入党积极分子（1）" in t and "发展对象（1）" in t


def test_candidate_page_shows_all_steps_with_status(login, world):
    t = _text(login("sec").get(f"/candidates/{world.activist}").text)
    assert t.count("办理日期 2026-") == 3  # application, first talk, activist selection
    assert "4 报上级党委备案 可办理" in t
    assert "7 确定发展对象 未开始" in t and "须先完成：报上级党委备案、指定培养联系人" in t
    assert "25 材料归档" in t
    t = _text(login("sec").get(f"/candidates/{world.review}").text)
    assert "13 上级党委预审 可办理" in t


def test_blocked_step_shows_earliest_date_and_article(app, login, world):
    from tests.web.web_support import walk
    from datetime import date
    walk(app, world.activist, [("activist_filing", date(2026, 6, 10)), ("mentors_assigned", date(2026, 6, 10))],
         mentors=world.members[:1])
    t = _text(login("sec").get(f"/candidates/{world.activist}").text)
    assert "7 确定发展对象 未到时间" in t
    assert "最早可于 2027-06-01 办理" in t and "细则第十三条" in t


def test_secretary_completes_a_step_through_the_form(app, login, world):
    c = login("sec")
    form = c.get(f"/candidates/{world.fresh}/steps/first_talk").text
    assert 'name="f.talker"' in form and 'name="expected_version" value="1"' in form
    r = c.form(f"/candidates/{world.fresh}/steps/first_talk",
               {"occurred_on": "2026-11-20", "f.talker": "李书记", "f.notes": "谈话", "expected_version": "1"})
    assert r.status_code == 303 and r.headers["location"] == f"/candidates/{world.fresh}"
    page = c.get(r.headers["location"]).text
    assert "已记录：第2步 党组织派人谈话（2026-11-20）" in page
    assert "逾期" in page  # due 2026-11-01: recorded as it happened, flagged late
    view = show_candidate(app, world.fresh)
    last = view["timeline"][-1]
    assert last["step"] == "first_talk" and last["actor"] == "用户sec（sec）" and last["late"]
    audit = entries(app, target_kind="candidate", target_id=world.fresh)
    assert audit[0]["action"] == "step.complete" and audit[0]["username"] == "sec"
    assert audit[0]["user_id"] is not None and audit[0]["detail"]["step"] == "first_talk"


def test_field_errors_next_to_the_field_and_input_kept(app, login, world):
    c = login("sec")
    r = c.form(f"/candidates/{world.activist}/steps/mentors_assigned",
               {"occurred_on": "2026-02-30", "expected_version": "3"})
    assert r.status_code == 400
    assert re.search(r'办理日期.*?<p class="field-error">“2026-02-30”不是有效日期</p>', r.text, re.S)
    assert re.search(r'培养联系人.*?<p class="field-error">须记录“培养联系人”', r.text, re.S)
    assert len(show_candidate(app, world.activist)["timeline"]) == 3  # nothing written


def test_rule_violation_shows_rule_and_article(app, login, world):
    c = login("sec")
    with app.uow() as uow:
        applicant = uow.people.add(name="非党员", gender="男", birth_date=__import__("datetime").date(1990, 1, 1))
    r = c.form(f"/candidates/{world.activist}/steps/mentors_assigned",
               {"occurred_on": "2026-11-20", "f.mentors": str(applicant), "expected_version": "3"})
    assert r.status_code == 422
    t = _text(r.text)
    assert "未能办理" in t and "须为正式党员" in t and "细则第九条" in t
    assert len(show_candidate(app, world.activist)["timeline"]) == 3


def test_guard_refusal_names_the_earliest_date(login, world, app):
    from tests.web.web_support import walk
    from datetime import date
    walk(app, world.activist, [("activist_filing", date(2026, 6, 10)), ("mentors_assigned", date(2026, 6, 10))],
         mentors=world.members[:1])
    r = login("sec").form(f"/candidates/{world.activist}/steps/target_selection",
                          {"occurred_on": "2026-11-20", "f.opinions_heard": "听取意见", "f.notice_start": "2026-11-01",
                           "f.notice_end": "2026-11-10", "expected_version": "5"})
    assert r.status_code == 422
    t = _text(r.text)
    assert "最早可于 2027-06-01 办理（含当日）" in t and "细则第十三条" in t and t.count("2027-06-01") == 1


def test_stale_version_keeps_the_typed_input(app, login, world):
    c = login("sec")
    c.get(f"/candidates/{world.activist}/steps/mentors_assigned")  # the form was opened at version 3 …
    from tests.web.web_support import walk
    from datetime import date
    walk(app, world.activist, [("cultivation", date(2026, 11, 24))])  # … someone else recorded a step
    r = c.form(f"/candidates/{world.activist}/steps/mentors_assigned",
               {"occurred_on": "2026-11-20", "f.mentors": str(world.members[1]), "expected_version": "3"})
    assert r.status_code == 409
    assert "已被他人修改，请刷新" in r.text
    assert re.search(rf'value="{world.members[1]}" checked', r.text)  # the choice survived
    assert 'name="expected_version" value="4"' in r.text  # resubmitting after a look goes through
    assert len(show_candidate(app, world.activist)["timeline"]) == 4


def test_unknown_and_foreign_ids(login, world):
    c = login("sec")
    assert c.get("/candidates/999999").status_code == 404
    assert c.get("/candidates/99999999999999999999").status_code == 404
    assert c.get("/candidates/abc").status_code == 404
    assert c.get(f"/candidates/{world.fresh}/steps/no_such_step").status_code == 404
    r = c.get(f"/candidates/{world.b2_candidate}")
    assert r.status_code == 403 and "无权查看" in r.text
    r = c.form(f"/candidates/{world.b2_candidate}/steps/first_talk", {"occurred_on": "2026-11-20", "f.talker": "x"})
    assert r.status_code == 403
    r = c.get(f"/candidates/{world.review}/steps/pre_review")  # the township's step
    assert r.status_code == 403 and "基层党委（乡镇党委）" in r.text


def test_township_approves_from_the_queue(app, login, world):
    t = login("town")
    q = _text(t.get("/queue").text)
    assert "王芳" in q and "上级党委预审" in q and "李红" in q and "报上级党委备案" in q
    assert "北庄村" not in q  # another township
    form = {"candidate_id": world.review, "step": "pre_review", "expected_version": "13",
            "occurred_on": "2026-11-24", "f.result": "预审合格", "opinion": "同意"}
    assert t.form("/queue/approve", form).status_code == 200  # the confirmation first
    r = t.form("/queue/approve", {**form, "confirm": "1"})
    assert r.status_code == 303
    assert "已办理：王芳 第13步 上级党委预审" in t.get("/queue").text
    view = show_candidate(app, world.review)
    last = view["timeline"][-1]
    assert last["step"] == "pre_review" and last["evidence"]["passed"] is True and last["occurred_on"] == "2026-11-24"
    assert last["actor"] == "用户town（town）"
    assert entries(app, target_kind="candidate", target_id=world.review)[0]["username"] == "town"


def test_township_returns_with_a_reason(app, login, world):
    t = login("town")
    r = t.form("/queue/return", {"candidate_id": world.activist, "step": "activist_filing", "reason": "缺支委会会议记录"})
    assert r.status_code == 303
    assert "已退回李红的“报上级党委备案”：缺支委会会议记录" in t.get("/queue").text
    timeline = show_candidate(app, world.activist)["timeline"]
    assert len(timeline) == 4 and timeline[-1]["kind"] == "return"  # a return is an event in the log
    page = _text(login("sec").get(f"/candidates/{world.activist}").text)
    assert "已退回，待重新报送" in page and "缺支委会会议记录" in page
    e = entries(app, target_kind="candidate", target_id=world.activist)[0]
    assert e["action"] == "review.return" and e["username"] == "town" and e["detail"]["reason"] == "缺支委会会议记录"
    r = t.form("/queue/return", {"candidate_id": world.fresh, "step": "activist_filing", "reason": " "})
    assert r.status_code == 400 and "退回须填写原因" in r.text


def test_api_reads_and_step(app, login, world):
    c = login("sec")
    me = c.get("/api/me").json()
    assert me["username"] == "sec" and me["roles"] == [{"role": "branch_secretary", "org_id": world.b1}]
    assert [i["step"] for i in c.get("/api/week").json()["overdue"]] == ["first_talk"]
    view = c.get(f"/api/candidates/{world.fresh}").json()
    assert len(view["steps"]) == 25 and view["steps"][1]["status"] == "open"
    h = {"X-CSRF-Token": me["csrf_token"]}
    r = c.post(f"/api/candidates/{world.fresh}/steps/first_talk", headers=h,
               json={"occurred_on": "2026-11-20", "evidence": {"talker": "李书记"}, "expected_version": 1})
    assert r.status_code == 200 and r.json()["ok"] and r.json()["version"] == 2
    r = c.post(f"/api/candidates/{world.fresh}/steps/first_talk", headers=h,
               json={"occurred_on": "2026-11-21", "evidence": {"talker": "李书记"}, "expected_version": 1})
    assert r.status_code == 409 and r.json()["message"] == "已被他人修改，请刷新"
    r = c.post(f"/api/candidates/{world.activist}/steps/mentors_assigned", headers=h,
               json={"occurred_on": "2026-11-21", "evidence": {"mentors": [world.members[0], world.members[1], world.members[2]]}})
    assert r.status_code == 422 and r.json()["violations"][0]["article"] == "第九条"
    r = c.post(f"/api/candidates/{world.fresh}/steps/activist_selection", headers=h,
               json={"occurred_on": "yesterday", "evidence": {}})
    assert r.status_code == 422 and "不是有效日期" in r.json()["message"]
    assert c.get("/api/candidates/999999").status_code == 404
    assert c.get(f"/api/candidates/{world.b3_candidate}").status_code == 403
    assert c.get("/api/openapi.json").status_code == 200
