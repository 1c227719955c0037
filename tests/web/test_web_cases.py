"""Exceptional paths (withdraw, transfer, …), the overdue dashboard, the period report and its
downloads, the ledger export — through the pages, as each role."""
from __future__ import annotations

import io
import re

from docx import Document
from openpyxl import load_workbook

from services.integrity.audit_log import entries
from services.casework.queries import show_candidate


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _stage(app, cid):
    return show_candidate(app, cid)["candidate"]["stage"]


# ------------------------------------------------------------------ exceptional paths


def test_candidate_page_offers_the_paths_of_the_stage(login, world):
    t = _text(login("sec").get(f"/candidates/{world.fresh}").text)
    assert "特殊情形" in t and "撤回入党申请" in t and "转接组织关系" in t and "登记去世" in t
    assert "取消预备党员资格" not in t and "取消资格" not in t  # not an activist yet, not probationary
    t = _text(login("sec").get(f"/candidates/{world.activist}").text)
    assert "取消资格" in t
    assert "特殊情形" not in _text(login("town").get(f"/candidates/{world.fresh}").text)  # the branch's business
    assert "特殊情形" not in _text(login("county").get(f"/candidates/{world.fresh}").text)


def test_secretary_withdraws_an_application(app, login, world):
    c = login("sec")
    form = c.get(f"/candidates/{world.fresh}/cases/withdraw").text
    assert "撤回原因" in form and 'name="expected_version" value="1"' in form
    r = c.form(f"/candidates/{world.fresh}/cases/withdraw",
               {"occurred_on": "2026-11-20", "reason": "本人书面申请撤回", "expected_version": "1"})
    assert r.status_code == 303 and r.headers["location"] == f"/candidates/{world.fresh}"
    page = _text(c.get(r.headers["location"]).text)
    assert "已撤回入党申请：撤回入党申请（2026-11-20）" in page
    view = show_candidate(app, world.fresh)
    assert view["candidate"]["stage"] == "withdrawn"
    last = view["timeline"][-1]
    assert last["kind"] == "withdraw" and last["reason"] == "本人书面申请撤回" and last["actor"] == "用户sec（sec）"
    audit = entries(app, target_kind="candidate", target_id=world.fresh)[0]
    assert audit["action"] == "candidate.exceptional" and audit["username"] == "sec"
    assert audit["detail"]["action"] == "withdraw" and audit["detail"]["reason"] == "本人书面申请撤回"
    assert "特殊情形" not in _text(c.get(f"/candidates/{world.fresh}").text)  # ended: nothing more to offer


def test_missing_reason_is_refused_next_to_the_field(app, login, world):
    r = login("sec").form(f"/candidates/{world.activist}/cases/disqualify",
                          {"occurred_on": "2026-11-20", "reason": " ", "expected_version": "3"})
    assert r.status_code == 422
    assert re.search(r'原因及依据.*?<p class="field-error">取消入党积极分子/发展对象资格须记录原因或依据</p>', r.text, re.S)
    assert _stage(app, world.activist) == "activist"


def test_bad_date_and_future_date(app, login, world):
    c = login("sec")
    r = c.form(f"/candidates/{world.fresh}/cases/withdraw",
               {"occurred_on": "2026-02-30", "reason": "本人申请", "expected_version": "1"})
    assert r.status_code == 400 and "“2026-02-30”不是有效日期" in r.text
    assert "本人申请</textarea>" in r.text  # what was typed is kept
    r = c.form(f"/candidates/{world.fresh}/cases/withdraw",
               {"occurred_on": "2026-11-26", "reason": "本人申请", "expected_version": "1"})  # tomorrow
    assert r.status_code == 422 and "field-error" in r.text
    r = c.form(f"/candidates/{world.fresh}/cases/withdraw",
               {"occurred_on": "2026-11-25", "reason": "本人申请", "expected_version": "1"})  # today: fine
    assert r.status_code == 303


def test_wrong_stage_names_the_stage(app, login, world):
    # under the second version of the rules a cancellation is the township's to record (党章第七条)
    r = login("town").form(f"/candidates/{world.fresh}/cases/cancel_probation",
                          {"occurred_on": "2026-11-20", "reason": "x", "expected_version": "1"})
    assert r.status_code == 422 and "当前阶段为“入党申请人”，不能取消预备党员资格" in _text(r.text)
    assert _stage(app, world.fresh) == "applicant"


def test_stale_version_keeps_what_was_typed(app, login, world):
    c = login("sec")
    r = c.form(f"/candidates/{world.activist}/cases/withdraw",
               {"occurred_on": "2026-11-20", "reason": "本人外出务工，书面申请撤回", "expected_version": "2"})
    assert r.status_code == 409 and "已被他人修改，请刷新" in r.text
    assert "本人外出务工，书面申请撤回</textarea>" in r.text and 'name="expected_version" value="3"' in r.text
    assert _stage(app, world.activist) == "activist"


def test_transfer_to_another_branch(app, login, world):
    c = login("sec")
    form = c.get(f"/candidates/{world.activist}/cases/transfer").text
    assert "东王村党支部" in form and f'<option value="{world.b1}"' not in form  # not to its own branch
    r = c.form(f"/candidates/{world.activist}/cases/transfer", {"occurred_on": "2026-11-20", "reason": "随家庭迁居",
                                                               "expected_version": "3"})
    assert r.status_code == 400 and "请选择转入的党支部" in r.text
    r = c.form(f"/candidates/{world.activist}/cases/transfer",
               {"occurred_on": "2026-11-20", "reason": "随家庭迁居", "to_branch_id": "999999", "expected_version": "3"})
    assert r.status_code == 422 and "找不到所选的转入党支部（可能已被删除），请从列表中选择" in r.text and "999999" not in r.text
    r = c.form(f"/candidates/{world.activist}/cases/transfer",
               {"occurred_on": "2026-11-20", "reason": "随家庭迁居", "to_branch_id": str(world.b2),
                "expected_version": "3"})
    assert r.status_code == 303
    view = show_candidate(app, world.activist)
    assert view["candidate"]["branch"]["id"] == world.b2 and view["candidate"]["stage"] == "activist"
    assert c.get(f"/candidates/{world.activist}").status_code == 403  # now another branch's candidate
    assert entries(app, target_kind="candidate", target_id=world.activist)[0]["detail"]["to_branch_id"] == world.b2


def test_after_a_transfer_out_the_secretary_lands_on_a_page_they_may_see(app, login, world, users):
    """From an earlier review: the transfer redirected to the candidate's page, now another
    branch's (无权查看), and a notice about the candidate led to the same bare refusal."""
    from services.notices import deliver_now, notify

    with app.uow() as uow:  # a notice the secretary received about the candidate earlier
        notify(uow, org_id=world.b1, side="branch", kind="returned", title="【被退回】李红", body="请补充",
               link=f"/candidates/{world.activist}", key="t:1", now=app.utcnow(), candidate_id=world.activist)
    deliver_now(app, users["sec"]["id"])
    c = login("sec")
    r = c.form(f"/candidates/{world.activist}/cases/transfer",
               {"occurred_on": "2026-11-20", "reason": "随家庭迁居", "to_branch_id": str(world.b2),
                "expected_version": "3"})
    assert r.status_code == 303 and r.headers["location"] == "/candidates"
    page = c.get("/candidates")
    assert page.status_code == 200 and "已将李红的组织关系转入东王村党支部（2026-11-20）" in page.text
    assert f'href="/candidates/{world.activist}"' not in page.text
    # a bookmark of the candidate's page says where they went
    r = c.get(f"/candidates/{world.activist}")
    assert r.status_code == 403 and "李红已于 2026-11-20 转入东王村党支部，已不在你的查看范围内" in r.text
    # the notice opens to the inbox with the same words, not to a refusal
    notice = re.search(r'href="/notices/(\d+)"', c.get("/notices").text)[1]
    r = c.get(f"/notices/{notice}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/notices"
    assert "李红已于 2026-11-20 转入东王村党支部，已不在你的查看范围内" in c.get("/notices").text
    # a candidate who was never the branch's keeps the plain refusal
    assert "无权查看其他党支部的候选人" in c.get(f"/candidates/{world.b3_candidate}").text


def test_township_and_county_cannot_record_exceptional_paths(app, login, world):
    for role in ("town", "county"):
        r = login(role).form(f"/candidates/{world.fresh}/cases/withdraw",
                             {"occurred_on": "2026-11-20", "reason": "x", "expected_version": "1"})
        assert r.status_code == 403 and "由党支部办理" in r.text
    assert _stage(app, world.fresh) == "applicant"


# ------------------------------------------------------------------ overdue dashboard


def test_overdue_dashboard_counts_per_branch(login, world):
    t = _text(login("town").get("/overdue").text)
    assert "贺丰村党支部" in t and "东王村党支部" in t and "北庄村党支部" not in t  # another township
    # the fresh candidates of b1 and b2 missed the first talk (due 2026-11-01): 24 days late
    assert "张秀英" in t and "赵敏" in t and "党组织派人谈话" in t and "已逾期 24 天" in t
    rows = dict(re.findall(r'<td><a href="/overdue\?branch=(\d+)">[^<]+</a></td>\s*<td class="n">(\d+)</td>',
                           login("town").get("/overdue").text))
    assert int(rows[str(world.b1)]) >= 1 and int(rows[str(world.b2)]) == 1
    one = _text(login("town").get(f"/overdue?branch={world.b2}").text)
    assert "赵敏" in one and "张秀英" not in one
    mine = _text(login("sec").get("/overdue").text)
    assert "张秀英" in mine and "赵敏" not in mine and "东王村" not in mine


# ------------------------------------------------------------------ period report and downloads


def test_report_page_defaults_to_the_half_year_and_own_township(login, world):
    r = login("town").get("/reports")
    assert r.status_code == 200
    t = _text(r.text)
    assert "南川乡党委 2026年下半年" in t and "总体情况" in t and "发展党员" in t
    assert 'value="2026H2"' in r.text and f'<option value="{world.township}" selected>' in r.text
    assert "北川乡党委" not in t  # not the officer's
    assert "收到入党申请" in t
    county = login("county").get("/reports").text
    assert f'<option value="{world.county}" selected>' in county and "北川乡党委" in county


def test_report_page_shows_progress_and_compliance(login, world):
    """Besides the figures: the pipeline lists (linking to each candidate) and process.md §6's
    compliance — steps done late per rule, branches with no admission on record."""
    t = _text(login("town").get(f"/reports?org={world.township}&period=2026H2").text)
    assert "工作进度" in t and "逾期未办" in t and "下期可办" in t
    assert "合规情况" in t and "逾期办理事项分环节统计" in t
    assert re.search(r"贺丰村党支部 无记录 - 无发展记录", t) and re.search(r"东王村党支部 无记录 - 无发展记录", t)
    assert "北庄村党支部" not in t  # another township's branch
    assert "其中：35岁及以下" in t  # the derived rows of the breakdowns (the applicants are 31)


def test_report_period_errors_next_to_the_field(login, world):
    r = login("town").get(f"/reports?org={world.township}&period=2018X9")
    assert r.status_code == 400
    assert re.search(r'统计期间.*?<p class="field-error">统计期间无法识别，请从列表中选择', r.text, re.S)
    r = login("town").get(f"/reports?org={world.township}&period=2027H1")
    assert r.status_code == 400 and "尚未开始" in r.text


def test_report_downloads_in_every_format(app, login, world):
    c = login("town")
    page = c.get(f"/reports?org={world.township}&period=2026").text
    for fmt in ("xlsx", "docx", "md", "text"):
        assert f"format={fmt}" in page
    r = c.get(f"/reports/file?org={world.township}&period=2026&format=xlsx")
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    assert "filename*=utf-8''" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert "统计表" in wb.sheetnames and "发展党员工作台账" in wb.sheetnames
    r = c.get(f"/reports/file?org={world.township}&period=2026&format=docx")
    doc = Document(io.BytesIO(r.content))
    assert any("南川乡" in p.text for p in doc.paragraphs)
    r = c.get(f"/reports/file?org={world.township}&period=2026&format=md")
    assert r.headers["content-type"].startswith("text/markdown") and "收到入党申请" in r.text
    r = c.get(f"/reports/file?org={world.township}&period=2026&format=text")
    assert r.text.startswith("南川乡2026年发展党员工作情况")
    r = c.get(f"/reports/file?org={world.township}&period=bad&format=text")
    assert r.status_code == 400
    audit = [e for e in entries(app, target_kind="org", target_id=world.township) if e["action"] == "report.download"]
    assert len(audit) == 4 and audit[0]["username"] == "town" and audit[-1]["detail"]["format"] == "xlsx"


def test_ledger_export(app, login, world):
    r = login("sec").get(f"/ledger?org={world.b1}")
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.active
    names = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"张秀英", "李红", "王芳"} <= names and "赵敏" not in names  # b1 only
    e = entries(app, target_kind="org", target_id=world.b1)[0]
    assert e["action"] == "ledger.export" and e["detail"]["rows"] == 3


# ------------------------------------------------------------------ the branch meeting's vote


def test_vote_form_explains_the_numbers_and_refuses_a_meeting_without_quorum(app, login, world):
    from datetime import date

    from tests.web.web_support import walk
    walk(app, world.review, [("pre_review", date(2026, 11, 2)), ("application_form", date(2026, 11, 5))])
    c = login("sec")
    form = c.get(f"/candidates/{world.review}/steps/admission_meeting").text
    for label in ("应到", "实到", "赞成", "反对", "弃权", "书面表决"):
        assert f"{label}<input" in form
    assert "赞成超过应到的半数为通过，否则记为未通过（细则第二十条）" in form
    version = re.search(r'name="expected_version" value="(\d+)"', form)[1]
    vote = {"f.vote.should_attend": "16", "f.vote.present": "8", "f.vote.yes": "8", "f.vote.no": "0",
            "f.vote.abstain": "0", "f.resolution": "同意接收", "occurred_on": "2026-11-20", "expected_version": version}
    r = c.form(f"/candidates/{world.review}/steps/admission_meeting", vote)
    assert r.status_code == 422
    assert "未超过应到会人数（16人）的半数，会议无效" in _text(r.text) and "细则第二十条" in r.text
    assert 'name="f.vote.present" value="8"' in r.text  # the numbers stay in the form
    r = c.form(f"/candidates/{world.review}/steps/admission_meeting", {**vote, "f.vote.present": "12",
                                                                      "f.vote.yes": "11", "f.vote.no": "1"})
    assert r.status_code == 303
    last = show_candidate(app, world.review)["timeline"][-1]
    assert last["step"] == "admission_meeting" and last["evidence"]["vote"]["yes"] == 11


# ------------------------------------------------------------------ a new application


def test_secretary_registers_an_application(app, login, world):
    c = login("sec")
    assert "登记入党申请" in c.get("/candidates").text
    form = c.get("/candidates/new").text
    assert f'<option value="{world.b1}" selected>' in form and "东王村" not in form  # only the own branch
    data = {"branch_id": str(world.b1), "name": "刘建国", "gender": "男", "birth_date": "2009-03-01",
            "applied_on": "2026-11-20", "ethnicity": "汉族", "education": "高中/中专",
            "tags": ["致富带头人", "村(社区)干部"]}
    r = c.form("/candidates/new", data)  # 17 years old on the day
    assert r.status_code == 422
    assert re.search(r'出生日期.*?<p class="field-error">申请入党须年满18周岁，申请人于 2027-03-01 年满18周岁', r.text, re.S)
    assert "细则第五条" in r.text and 'value="刘建国"' in r.text
    r = c.form("/candidates/new", {**data, "birth_date": "1998-03-01"})  # corrected: the same person, registered
    assert r.status_code == 303
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    view = show_candidate(app, cid)
    assert view["candidate"]["stage"] == "applicant" and view["person"]["name"] == "刘建国"
    assert view["timeline"][0]["actor"] == "用户sec（sec）"
    with app.uow(read_only=True) as uow:
        people = uow.people.find_by_name("刘建国")
    assert len(people) == 1 and people[0].tags == ["致富带头人", "村(社区)干部"]  # the refused try wrote no person row
    r = c.form("/candidates/new", {**data, "birth_date": "2009-03-01"})  # refused again: still nothing written
    assert r.status_code == 422
    with app.uow(read_only=True) as uow:
        assert len(uow.people.find_by_name("刘建国")) == 1
    assert entries(app, target_kind="candidate", target_id=cid)[0]["action"] == "candidate.register"


def _register_liu(c, world, applied_on: str) -> tuple[dict, int]:
    """登记 刘建国 in 贺丰村 as the secretary `c`: the form's data and the new candidate's id."""
    data = {"branch_id": str(world.b1), "name": "刘建国", "gender": "男", "birth_date": "1998-03-01",
            "applied_on": applied_on, "ethnicity": "汉族", "education": "高中/中专"}
    first = c.form("/candidates/new", data)
    assert first.status_code == 303
    return data, int(first.headers["location"].rsplit("/", 1)[1])


def test_the_same_form_sent_twice_registers_once(app, login, world):
    """From an earlier review: 登记, the browser's Back, 登记 again made a second person and a
    second application. The second sending registers nothing and links to the first."""
    c = login("sec")
    data, cid = _register_liu(c, world, "2026-11-20")
    again = c.form("/candidates/new", {**data, "applied_on": "2026-11-21"})  # Back, a date retouched, 登记
    assert again.status_code == 409
    t = _text(again.text)
    assert "刘建国（男，1998-03-01 出生）已在贺丰村党支部登记过入党申请（2026-11-20 递交），这次没有重复登记" in t
    assert f'href="/candidates/{cid}">查看已登记的记录' in again.text
    with app.uow(read_only=True) as uow:
        [person] = uow.people.find_by_name("刘建国")
        assert [c.id for c in uow.candidates.for_person(person.id)] == [cid]
    # the same name and birth date in another branch: refused, naming where, until confirmed another person
    admin = login("admin")
    other = admin.form("/candidates/new", {**data, "branch_id": str(world.b2)})
    assert other.status_code == 409 and "已在贺丰村党支部有正在办理的入党申请" in _text(other.text)
    other = admin.form("/candidates/new", {**data, "branch_id": str(world.b2), "confirm_other": "1"})
    assert other.status_code == 303


def test_an_open_application_in_another_branch_is_found(app, login, world):
    """From an outside review: registered in 贺丰村, transferred to 东王村, then the same name,
    gender and birth date registered in 贺丰村 again made a second person with a second open
    application. Now it is refused naming the branch (no link: the secretary may not read it),
    and registers a new person only when 确认是另一人 is ticked, which the audit row records."""
    c = login("sec")
    data, cid = _register_liu(c, world, "2018-03-01")
    r = c.form(f"/candidates/{cid}/cases/transfer", {"occurred_on": "2026-11-20", "reason": "随家庭迁居",
                                                    "to_branch_id": str(world.b2), "expected_version": "1"})
    assert r.status_code == 303
    form = c.get("/candidates/new").text
    assert "确认是另一人" not in form  # offered only when it is the question
    again = c.form("/candidates/new", {**data, "applied_on": "2026-11-21"})
    assert again.status_code == 409
    t = _text(again.text)
    assert ("刘建国（男，1998-03-01 出生）已在东王村党支部有正在办理的入党申请（2018-03-01 递交）；"
            "一人同时只能在一个党组织申请入党。如确是同名同生日的另一人，请勾选「确认是另一人」后再登记") in t
    assert f"/candidates/{cid}" not in again.text and "查看已登记的记录" not in t
    assert 'name="confirm_other"' in again.text and "确认是另一人（同名、同性别、同出生日期）" in t
    with app.uow(read_only=True) as uow:
        assert len(uow.people.find_by_name("刘建国")) == 1
    ok = c.form("/candidates/new", {**data, "applied_on": "2026-11-21", "confirm_other": "1"})
    assert ok.status_code == 303
    new = int(ok.headers["location"].rsplit("/", 1)[1])
    with app.uow(read_only=True) as uow:
        people = uow.people.find_by_name("刘建国")
        assert len(people) == 2
        assert sorted(x.id for p in people for x in uow.candidates.for_person(p.id)) == sorted([cid, new])
    audit = entries(app, target_kind="candidate", target_id=new)[0]
    assert audit["action"] == "candidate.register" and audit["detail"]["confirmed_other_person"] is True
    assert "confirmed_other_person" not in entries(app, target_kind="candidate", target_id=cid)[-1]["detail"]
    # the same branch again is still the form sent twice, ticked or not
    twice = c.form("/candidates/new", {**data, "applied_on": "2026-11-21", "confirm_other": "1"})
    assert twice.status_code == 409 and "已在贺丰村党支部登记过入党申请" in _text(twice.text)
    assert f'href="/candidates/{new}">查看已登记的记录' in twice.text


def test_registration_form_errors_and_foreign_branch(app, login, world):
    c = login("sec")
    r = c.form("/candidates/new", {"branch_id": str(world.b1), "name": "", "gender": "", "birth_date": "1990-13-01",
                                   "applied_on": ""})
    assert r.status_code == 400
    t = _text(r.text)
    assert "请填写姓名" in t and "请选择性别" in t and "不是有效日期" in t and "请填写递交申请日期" in t
    r = c.form("/candidates/new", {"branch_id": str(world.b2), "name": "某", "gender": "男", "birth_date": "1990-01-01",
                                   "applied_on": "2026-11-20"})
    assert r.status_code == 403
    assert login("town").get("/candidates/new").status_code == 403
