"""The standard forms from a real record (services/materials/documents.py), on SQLite and
PostgreSQL: the facts hold what was recorded (names, dates, votes, 批复文号), every form opens
with python-docx and says them, and a form is refused before its step is recorded."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from docx import Document

from documents import BLANK, FORMS
from engine.errors import DomainError
from services.casework import candidates as uc
from services.app import SHANGHAI
from services.materials.documents import document_facts, generate
from services.review import commands as review
from services.demo.sample_evidence import sample_evidence
from tests.helpers import ORDER, TIMELINE

VOTE = {"should_attend": 4, "present": 4, "yes": 3, "no": 1, "abstain": 0, "written": 0}
TODAY = date(2018, 8, 1)


@pytest.fixture
def place(app):
    """County → township → branch with four named full members, and an applicant."""
    with app.uow() as uow:
        county = uow.orgs.add(code="zy", name="镇原县委组织部", level="county")
        town = uow.orgs.add(code="nc", name="南川乡党委", level="township", parent_id=county)
        branch = uow.orgs.add(code="hf", name="贺丰村党支部", level="branch", kind="rural", parent_id=town)
        members = [uow.people.add(name=n, gender="男", birth_date=date(1970, 1, 1), party_status="full_member",
                                  branch_id=branch) for n in ("王建国", "李秀兰", "赵大海", "钱小红")]
        person = uow.people.add(name="张秀英", gender="女", birth_date=date(1990, 5, 1), ethnicity="回族",
                                education="大专", occupation="农牧渔民")
    return {"branch": branch, "members": members, "person": person}


def _evidence(app, place, step, on, **over):
    m = place["members"]
    ev = sample_evidence(step, on, mentors=m[:2], sponsors=m[2:], cal=app.calendar)
    if "vote" in ev:
        ev["vote"] = dict(VOTE)
    ev.update(over)
    return ev


def walk(app, place, *, until=None, approve_with=("同意接收", "南党发〔2017〕8号"), **over) -> int:
    """A candidate recorded step by step up to (not including) `until`; step 17 through the
    review loop with its opinion and 批复文号."""
    cid = uc.register_applicant(app, person_id=place["person"], branch_id=place["branch"],
                                occurred_on=TIMELINE["application"], actor="书记").candidate_id
    for step in ORDER[1:]:
        if step == until:
            break
        ev = _evidence(app, place, step, TIMELINE[step], **over.get(step, {}))
        if step == "admission_approval":
            review.approve(app, None, cid, step, occurred_on=TIMELINE[step], evidence=ev, opinion=approve_with[0],
                           doc_no=approve_with[1])
        else:
            uc.complete_step(app, cid, step, occurred_on=TIMELINE[step], actor="书记", evidence=ev)
    return cid


def text_of(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])


def test_facts_hold_what_was_recorded(app, place):
    cid = walk(app, place, until="conversion_application")
    f = document_facts(app, cid, "admission_resolution", today=TODAY)
    assert f["person"] == {"name": "张秀英", "gender": "女", "birth_date": date(1990, 5, 1), "age": 28,
                           "ethnicity": "回族", "education": "大专", "occupation": "农牧渔民", "tags": []}
    assert (f["branch"]["name"], f["township"]["name"], f["county"]["name"]) == ("贺丰村党支部", "南川乡党委", "镇原县委组织部")
    assert f["form"] == {"kind": "admission_resolution", "title": "支部大会决议（接收预备党员）",
                         "step": "admission_meeting", "step_name": "支部大会讨论", "article": "第二十条"}
    assert f["meeting_name"] == "党支部大会" and f["request"] is False
    m = f["meeting"]
    assert m["date"] == TIMELINE["admission_meeting"] == f["doc_date"]
    assert (m["should_attend"], m["present"], m["yes"], m["no"], m["abstain"]) == (4, 4, 3, 1, 0)
    assert m["passed"] is True and m["quorum"] is True and m["resolution"] == "同意接收为预备党员"
    assert f["mentors"] == ["王建国", "李秀兰"] and f["sponsors"] == ["赵大海", "钱小红"]
    assert f["activist"]["method"] == "党员推荐" and f["activist"]["date"] == TIMELINE["activist_selection"]
    assert f["steps"]["first_talk"]["talker"] == "支部书记"
    assert f["approval"]["doc_no"] == "南党发〔2017〕8号" and f["approval"]["opinion"] == "同意接收"
    assert f["approval"]["approved"] is True
    assert f["probation"]["start"] == date(2017, 6, 20) and f["probation"]["end"] == date(2018, 6, 20)
    assert f["probation"]["converted_on"] is None
    target = f["target"]
    assert isinstance(target["notice_start"], date) and target["notice_end"] < TIMELINE["target_selection"]
    assert "conversion" not in f and "conversion_application" not in f


def test_every_form_opens_with_the_recorded_facts(app, place):
    cid = walk(app, place)
    rows = [{"材料名称": "入党申请书", "日期": "2016-03-01", "页数": 2},
            {"序号": 2, "材料名称": "入党志愿书", "日期": date(2017, 6, 15), "页数": "8", "备注": "原件"}]
    texts = {}
    for kind in FORMS:
        if kind in ("extension_decision", "cancellation_decision"):
            continue  # this candidate was converted on time
        name, data = generate(app, cid, kind, today=TODAY, rows=rows)
        assert name == f"张秀英-{FORMS[kind].title}.docx"
        texts[kind] = text_of(data)
        assert "张秀英" in texts[kind] and "None" not in texts[kind]
    assert "应到会有表决权的党员4名，实到会4名" in texts["admission_resolution"]
    assert "赞成3票，反对1票，弃权0票" in texts["admission_resolution"]
    assert "2017年6月20日" in texts["admission_resolution"]
    assert "南党发〔2017〕8号" in texts["approval_reply"] and "审批意见：同意接收" in texts["approval_reply"]
    assert "预备期自2017年6月20日至2018年6月20日" in texts["approval_reply"]
    assert "王建国、李秀兰" in texts["activist_filing_report"] and "第八条" in texts["activist_filing_report"]
    assert "2016年4月11日" in texts["target_notice"] and "5个工作日" in texts["target_notice"]
    assert "赵大海、钱小红" in texts["probationary_notice"]
    assert "同意张秀英同志按期转为正式党员" in texts["conversion_resolution"]
    assert "入党志愿书" in texts["archive_index"] and "共2份材料，10页" in texts["archive_index"]
    assert "转正时间：2018年6月20日" in texts["archive_index"]
    # the 批复 of step 24 is the same form, made for that step
    name, data = generate(app, cid, "approval_reply", today=TODAY, step="conversion_approval")
    assert name == "张秀英-上级党委审批批复（预备党员转正）.docx"
    assert "关于张秀英同志转正问题的批复" in text_of(data)


@pytest.mark.parametrize("kind, until, message", [
    ("admission_resolution", "admission_meeting", "尚未记录支部大会讨论，不能生成支部大会决议（接收预备党员）"),
    ("approval_reply", "admission_approval", "尚未记录上级党委审批，不能生成上级党委审批批复（接收预备党员）"),
    ("activist_filing_report", "activist_selection", "尚未记录推荐和确定入党积极分子，不能生成入党积极分子备案报告"),
    ("target_filing_report", "target_selection", "尚未记录确定发展对象，不能生成发展对象备案报告"),
    ("review_inquiry_letter", "target_selection", "尚未记录确定发展对象，不能生成政治审查函调函"),
    ("conversion_notice", "conversion_application", "尚未记录提出转正申请，不能生成预备党员转正公示"),
])
def test_generate_refuses_before_the_step(app, place, kind, until, message):
    cid = walk(app, place, until=until)
    with pytest.raises(DomainError) as err:
        generate(app, cid, kind, today=TODAY)
    assert str(err.value) == message


def test_the_step_itself_is_enough(app, place):
    """Both sides of the boundary: right after the step is recorded, the form is made."""
    cid = walk(app, place, until="committee_talk")
    name, data = generate(app, cid, "admission_resolution", today=TODAY)
    assert "赞成3票" in text_of(data)
    with pytest.raises(DomainError):
        generate(app, cid, "conversion_resolution", today=TODAY)


def test_extension_decided_then_approved(app, place):
    cid = walk(app, place, until="conversion_meeting")
    on = TIMELINE["conversion_meeting"]
    with pytest.raises(DomainError) as err:
        generate(app, cid, "extension_decision", today=TODAY)
    assert "尚未记录支部大会讨论转正（决议延长预备期），不能生成延长预备期的决定" == str(err.value)
    uc.complete_step(app, cid, "conversion_meeting", occurred_on=on, actor="书记",
                     evidence=_evidence(app, place, "conversion_meeting", on, decision="extend", extension_months=6))
    f = document_facts(app, cid, "extension_decision", today=TODAY)
    assert f["extension"] == {"months": 6, "new_end": date(2018, 12, 20), "article": "第三十二条", "approved": None,
                              "approval_date": None, "doc_no": None}
    assert "本决定报上级党委批准后生效" in text_of(generate(app, cid, "extension_decision", today=TODAY)[1])
    review.approve(app, None, cid, "conversion_approval", occurred_on=date(2018, 7, 10),
                   evidence={"approved": True}, opinion="同意延长预备期六个月", doc_no="南党发〔2018〕21号")
    name, data = generate(app, cid, "extension_decision", today=TODAY)
    text = text_of(data)
    assert name == "张秀英-延长预备期的决定.docx"
    assert "延长张秀英同志的预备期6个月，延长后的预备期至2018年12月20日" in text
    assert "本决定已于2018年7月10日经上级党委批准（南党发〔2018〕21号）" in text
    reply = document_facts(app, cid, "approval_reply", today=TODAY, step="conversion_approval")["reply"]
    assert reply["resolution"] == "延长预备期6个月" and reply["doc_no"] == "南党发〔2018〕21号"
    with pytest.raises(DomainError):
        generate(app, cid, "cancellation_decision", today=TODAY)


def test_cancellation_by_the_branch_meeting(app, place):
    cid = walk(app, place, until="conversion_meeting")
    on = TIMELINE["conversion_meeting"]
    uc.complete_step(app, cid, "conversion_meeting", occurred_on=on, actor="书记",
                     evidence=_evidence(app, place, "conversion_meeting", on, decision="cancel"))
    f = document_facts(app, cid, "cancellation_decision", today=TODAY)
    assert f["cancellation"]["by_meeting"] is True and f["cancellation"]["date"] == on
    assert f["meeting"]["decision"] == "取消预备党员资格"
    text = text_of(generate(app, cid, "cancellation_decision", today=TODAY)[1])
    assert "决定取消张秀英同志的预备党员资格" in text and "赞成3票" in text


def test_a_failed_vote_has_its_resolution_too(app, place):
    cid = walk(app, place, until="admission_meeting")
    on = TIMELINE["admission_meeting"]
    failed = {"should_attend": 4, "present": 4, "yes": 2, "no": 2, "abstain": 0, "written": 0}
    uc.complete_step(app, cid, "admission_meeting", occurred_on=on, actor="书记",
                     evidence={"vote": failed, "resolution": "不同意接收为预备党员"})
    f = document_facts(app, cid, "admission_resolution", today=TODAY)
    assert f["meeting"]["passed"] is False
    text = text_of(generate(app, cid, "admission_resolution", today=TODAY)[1])
    assert "赞成票未超过应到会有表决权党员的半数" in text and "不同意接收为预备党员" in text


def test_a_corrected_record_is_what_the_form_says(app, place):
    cid = walk(app, place, until="committee_talk")
    with app.uow() as uow:
        seq = max(r.seq for r in uow.events.list_for(cid) if r.step == "admission_meeting")
    corrected = dict(VOTE, yes=4, no=0)
    uc.correct(app, cid, seq, actor="书记", reason="计票更正",
               evidence={"vote": corrected, "resolution": "同意接收为预备党员"})
    assert document_facts(app, cid, "admission_resolution", today=TODAY)["meeting"]["yes"] == 4


def test_missing_facts_are_blank_lines(app, place):
    with app.uow() as uow:  # entered without education or occupation
        pid = uow.people.add(name="李四", gender="男", birth_date=date(1992, 2, 2))
    cid = walk(app, {**place, "person": pid}, until="political_review")
    f = document_facts(app, cid, "review_inquiry_letter", today=TODAY)
    assert f["person"]["education"] is None and f["person"]["occupation"] is None
    text = text_of(generate(app, cid, "review_inquiry_letter", today=TODAY)[1])
    assert f"李四，男，汉族，1992年2月出生，{BLANK}，{BLANK}。" in text and "None" not in text


def test_a_notice_about_to_be_posted_gets_its_end_from_the_rules(app, place):
    cid = walk(app, place, until="admission_meeting")
    f = document_facts(app, cid, "probationary_notice", today=TODAY, extra={"notice": {"start": date(2017, 6, 12)}})
    assert f["notice"]["start"] == date(2017, 6, 12)
    assert f["notice"]["end"] == date(2017, 6, 16)  # Mon 06-12 + 5 working days, counting the first
    assert f["notice"]["span"] == "5个工作日"
    text = text_of(generate(app, cid, "probationary_notice", today=TODAY,
                            extra={"notice": {"start": "2017-06-12"}})[1])
    assert "公示时间：2017年6月12日至2017年6月16日（5个工作日）" in text
    text = text_of(generate(app, cid, "probationary_notice", today=TODAY)[1])
    assert f"公示时间：{BLANK}至{BLANK}（5个工作日）" in text


def test_archive_rows_are_checked(app, place):
    cid = walk(app, place, until="oath")
    f = document_facts(app, cid, "archive_index", today=TODAY, rows=[{"材料名称": "入党申请书", "页数": 3}, {"name": "志愿书"}])
    assert [(r["no"], r["name"], r["pages"]) for r in f["rows"]] == [(1, "入党申请书", 3), (2, "志愿书", None)]
    assert f["total_pages"] == 3
    for rows, message in (([{"材料名称": "申请书", "页数": "三"}], "档案目录第1行的页数“三”不是整数"),
                          ([{"材料名称": "申请书", "日期": "2018/13/01"}], "档案目录第1行的日期“2018/13/01”不是有效日期"),
                          ([{"材料名称": "申请书", "份数": 1}], "档案目录第1行有不认识的栏目：份数")):
        with pytest.raises(DomainError) as err:
            generate(app, cid, "archive_index", today=TODAY, rows=rows)
        assert message in str(err.value)


def test_the_2026_rules_ask_for_agreement_first(app, place):
    """cpc_2026@2 第十三条: the branch asks the higher committee to agree before the listing, so
    step 8's form is a 请示, made once the activist is filed and has mentors."""
    app.clock = lambda: datetime(2027, 7, 1, 10, 0, tzinfo=SHANGHAI)
    cid = uc.register_applicant(app, person_id=place["person"], branch_id=place["branch"],
                                occurred_on=date(2026, 5, 20), actor="书记").candidate_id
    steps = {"first_talk": date(2026, 6, 1), "activist_selection": date(2026, 6, 10),
             "activist_filing": date(2026, 6, 15), "mentors_assigned": date(2026, 6, 15)}
    for step, on in list(steps.items())[:-1]:
        uc.complete_step(app, cid, step, occurred_on=on, actor="书记", evidence=_evidence(app, place, step, on))
    with pytest.raises(DomainError) as err:
        generate(app, cid, "target_filing_report", today=date(2027, 6, 20))
    assert str(err.value) == "尚未记录指定培养联系人，不能生成拟列为发展对象的请示"
    on = steps["mentors_assigned"]
    uc.complete_step(app, cid, "mentors_assigned", occurred_on=on, actor="书记",
                     evidence=_evidence(app, place, "mentors_assigned", on))
    f = document_facts(app, cid, "target_filing_report", today=date(2027, 6, 20))
    assert f["request"] is True and f["meeting_name"] == "党支部党员大会"
    assert f["form"]["title"] == "拟列为发展对象的请示" and f["form"]["article"] == "第十三条"
    name, data = generate(app, cid, "target_filing_report", today=date(2027, 6, 20))
    assert name == "张秀英-拟列为发展对象的请示.docx"
    text = text_of(data)
    assert "关于拟将张秀英同志列为发展对象的请示" in text and "妥否，请批示。" in text and "2027年6月20日" in text


def test_an_unknown_candidate_or_form_is_refused(app, place):
    with pytest.raises(DomainError) as err:
        generate(app, 999, "admission_resolution", today=TODAY)
    assert "找不到候选人 999" in str(err.value)
    cid = walk(app, place, until="first_talk")
    with pytest.raises(DomainError) as err:
        generate(app, cid, "resolution", today=TODAY)
    assert "没有“resolution”这种文书" in str(err.value)
    with pytest.raises(DomainError) as err:
        generate(app, cid, "admission_resolution", today=TODAY, step="oath")
    assert "不用于这一步" in str(err.value)
