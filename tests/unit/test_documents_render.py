"""The standard forms filled from facts (documents/): every form renders and opens with
python-docx with the facts in it, a missing fact is a visible blank, a township's template wins,
a broken one is a Chinese refusal naming it, and the packaged templates are what the build script
makes."""
from __future__ import annotations

import io
import shutil
import zipfile
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn

import documents
from documents import BLANK, FORMS, file_name, render
from documents.build_templates import BUILDERS, build
from engine.errors import DomainError

KINDS = ("activist_filing_report", "target_filing_report", "target_notice", "probationary_notice",
         "conversion_notice", "review_inquiry_letter", "admission_resolution", "conversion_resolution",
         "approval_reply", "extension_decision", "cancellation_decision", "archive_index")


@pytest.fixture(autouse=True)
def _no_township_templates(monkeypatch):
    monkeypatch.delenv(documents.ENV_VAR, raising=False)


def full_facts() -> dict:
    """Facts as services.materials.documents builds them, every group filled."""
    meeting = {"date": date(2018, 6, 20), "should_attend": 16, "present": 14, "yes": 13, "no": 1, "abstain": 0,
               "written": 0, "quorum": True, "passed": True, "resolution": "同意接收张秀英同志为中共预备党员",
               "decision": "按期转为正式党员", "decision_code": "convert", "extension_months": 6}
    return {
        "form": {"article": "第十三条"},
        "person": {"name": "张秀英", "gender": "女", "birth_date": date(1995, 3, 10), "ethnicity": "回族",
                   "education": "大专", "occupation": "农牧渔民"},
        "branch": {"name": "贺丰村党支部"}, "township": {"name": "南川乡党委"},
        "meeting_name": "党支部大会", "committee_name": "党支部委员会", "doc_date": date(2018, 7, 1),
        "doc_no": "贺支发〔2018〕3号",
        "application": {"date": date(2016, 3, 1)}, "first_talk": {"date": date(2016, 3, 15), "talker": "李书记"},
        "activist": {"date": date(2016, 4, 11), "method": "党员推荐"}, "target": {"date": date(2017, 4, 20)},
        "pre_review": {"date": date(2017, 6, 9)},
        "political_review": {"passed": True}, "training": {"days": 3, "hours": 24},
        "mentors": ["王建国", "李秀兰"], "sponsors": ["赵大海", "钱小红"],
        "notice": {"start": date(2017, 4, 12), "end": date(2017, 4, 18), "span": "5个工作日",
                   "result": "公示期间未收到反映的问题"},
        "admission": {"date": date(2017, 6, 20)}, "approval": {"date": date(2017, 7, 10)},
        "conversion_application": {"date": date(2018, 6, 1)},
        "probation": {"start": date(2017, 6, 20), "original_end": date(2018, 6, 20), "end": date(2018, 12, 20),
                      "converted_on": date(2018, 6, 20)},
        "meeting": meeting,
        "reply": {"date": date(2017, 7, 10), "approved": True, "doc_no": "南党发〔2017〕8号", "opinion": "同意接收"},
        "extension": {"months": 6, "new_end": date(2018, 12, 20), "article": "第三十二条", "approved": True,
                      "approval_date": date(2018, 7, 10), "doc_no": "南党发〔2018〕21号"},
        "cancellation": {"by_meeting": True, "date": date(2018, 6, 20), "article": "第三十二条"},
        "rows": [{"no": 1, "name": "入党申请书", "date": date(2016, 3, 1), "pages": 3, "note": "本人手写"},
                 {"no": 2, "name": "入党志愿书", "date": "2017-06-15", "pages": 8, "note": None}],
        "total_pages": 11,
    }


def text_of(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, opened with python-docx, as one text."""
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_the_forms_are_the_twelve_kinds_others_refer_to():
    assert tuple(FORMS) == KINDS
    assert set(BUILDERS) == set(KINDS)
    for spec in FORMS.values():
        assert (documents.PACKAGED / spec.template_name).is_file()


# (kind, what the filled form must say)
EXPECTED = {
    "activist_filing_report": ["关于确定张秀英同志", "为入党积极分子的备案报告", "南川乡党委：", "2016年3月1日",
                               "李书记", "王建国、李秀兰", "第十三条", "贺支发〔2018〕3号", "2018年7月1日"],
    "target_filing_report": ["关于确定张秀英同志为发展对象的备案报告", "2017年4月12日至2017年4月18日",
                             "公示期间未收到反映的问题", "赵大海、钱小红", "现报上级党委备案"],
    "target_notice": ["关于张秀英同志拟列为发展对象的公示", "回族", "1995年3月", "2016年4月11日",
                      "公示时间：2017年4月12日至2017年4月18日（5个工作日）", "王建国、李秀兰"],
    "probationary_notice": ["关于拟接收张秀英同志为中共预备党员的公示", "2017年6月9日", "赵大海、钱小红", "合格", "3天、24学时"],
    "conversion_notice": ["拟转为中共正式党员的公示", "2017年7月10日经上级党委", "预备期至2018年12月20日期满",
                          "2018年6月1日提出转正申请"],
    "review_inquiry_letter": ["关于协助了解张秀英同志有关情况的函", "回执", "2017年4月20日确定", "贺丰村党支部："],
    "admission_resolution": ["党支部大会决议", "应到会有表决权的党员16名，实到会14名", "赞成13票，反对1票，弃权0票",
                             "会议有效", "同意接收张秀英同志为中共预备党员", "本决议报上级党委审批", "2018年6月20日",
                             "赵大海、钱小红"],
    "conversion_resolution": ["关于张秀英同志转为中共正式党员", "同意张秀英同志按期转为正式党员",
                              "党龄自2018年12月20日起计算", "赞成13票"],
    "approval_reply": ["南党发〔2017〕8号", "关于同意接收张秀英同志", "为中共预备党员的批复", "贺丰村党支部：",
                       "预备期自2017年6月20日至2018年6月20日", "审批意见：同意接收", "此复。", "2017年7月10日"],
    "extension_decision": ["关于延长张秀英同志预备期的决定", "预备期6个月", "延长后的预备期至2018年12月20日",
                           "已于2018年7月10日经上级党委批准（南党发〔2018〕21号）", "第三十二条", "赞成13票"],
    "cancellation_decision": ["关于取消张秀英同志预备党员资格的决定", "决定取消张秀英同志的预备党员资格",
                              "本决定报上级党委批准后生效", "应到会有表决权的党员16名"],
    "archive_index": ["发展党员档案材料目录", "入党申请书", "2016年3月1日", "入党志愿书", "2017年6月15日", "本人手写",
                      "共2份材料，11页", "转正时间：2018年6月20日"],
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_form_renders_opens_and_holds_the_facts(kind):
    text = text_of(render(kind, full_facts()))
    for expected in EXPECTED[kind]:
        assert expected in text, expected
    assert "None" not in text and "{{" not in text and "{%" not in text


@pytest.mark.parametrize("kind", KINDS)
def test_missing_facts_print_as_blank_lines(kind):
    text = text_of(render(kind, {}))
    assert BLANK in text
    assert "None" not in text and "{{" not in text and "Undefined" not in text


def test_a_missing_fact_beside_present_ones_is_a_blank_line_in_place():
    facts = full_facts()
    del facts["first_talk"]["talker"]
    facts["person"]["education"] = None
    facts["mentors"] = []
    text = text_of(render("activist_filing_report", facts))
    assert f"大专" not in text and f"回族，1995年3月出生，{BLANK}，农牧渔民。" in text
    assert f"派{BLANK}与其谈话" in text and f"指定{BLANK}同志为其培养联系人" in text


def test_a_refused_approval_and_a_failed_vote_say_so():
    facts = full_facts()
    facts["reply"] = {"date": date(2017, 7, 10), "approved": False, "opinion": "入党动机不端正"}
    text = text_of(render("approval_reply", facts))
    assert "关于张秀英同志入党问题的批复" in text and "不同意接收张秀英同志为中共预备党员" in text
    assert "入党宣誓" not in text and "同意接收张秀英同志为中共预备党员，预备期" not in text
    facts["meeting"].update(yes=7, passed=False, resolution="不同意接收")
    text = text_of(render("admission_resolution", facts))
    assert "赞成票未超过应到会有表决权党员的半数" in text and "本决议报上级党委审批" not in text


def test_the_request_variant_of_the_target_filing_report():
    facts = full_facts() | {"request": True}
    text = text_of(render("target_filing_report", facts))
    assert "关于拟将张秀英同志列为发展对象的请示" in text and "妥否，请批示。" in text
    assert "现报上级党委备案" not in text
    assert "并报上级党委同意" in text_of(render("target_notice", facts))


def test_the_reply_to_a_conversion():
    facts = full_facts()
    facts["reply"] = {"date": date(2018, 7, 10), "approved": True, "of_conversion": True,
                      "resolution": "按期转为正式党员", "converted": True}
    text = text_of(render("approval_reply", facts))
    assert "关于张秀英同志转正问题的批复" in text
    assert "同意张秀英同志按期转为正式党员，党龄自2018年12月20日起计算" in text
    assert "入党宣誓" not in text


def test_file_names_are_chinese_and_safe():
    assert file_name("admission_resolution", full_facts()) == "张秀英-支部大会决议（接收预备党员）.docx"
    assert file_name("target_filing_report", {"person": {"name": "张秀英"}, "form": {"title": "拟列为发展对象的请示"}}) \
        == "张秀英-拟列为发展对象的请示.docx"
    assert file_name("archive_index", {}) == "未填姓名-档案目录.docx"
    assert file_name("archive_index", {"person": {"name": "a/b:c"}}) == "a_b_c-档案目录.docx"


def test_an_unknown_form_is_refused_in_chinese_and_a_title_finds_its_form():
    with pytest.raises(DomainError) as err:
        render("no_such_form", {})
    assert "没有“no_such_form”这种文书" in str(err.value) and "支部大会决议（接收预备党员）" in str(err.value)
    assert documents.form("延长预备期的决定").kind == "extension_decision"


# ------------------------------------------------------------------ a township's own templates


def _township_template(path, text: str) -> None:
    doc = Document()
    doc.add_paragraph(text)
    doc.save(path)


def test_a_township_template_replaces_the_packaged_one(tmp_path, monkeypatch):
    _township_template(tmp_path / "admission_resolution.docx", "南川乡格式：{{ person.name }}，赞成{{ meeting.yes }}票")
    text = text_of(render("admission_resolution", full_facts(), tmp_path))
    assert text.strip() == "南川乡格式：张秀英，赞成13票"
    # the other forms still come from the package
    assert "关于延长张秀英同志预备期的决定" in text_of(render("extension_decision", full_facts(), tmp_path))
    # the same through the environment, and the argument wins over it
    other = tmp_path / "county"
    other.mkdir()
    _township_template(other / "admission_resolution.docx", "县里的格式：{{ person.name }}")
    monkeypatch.setenv(documents.ENV_VAR, str(other))
    assert text_of(render("admission_resolution", full_facts())).strip() == "县里的格式：张秀英"
    assert text_of(render("admission_resolution", full_facts(), tmp_path)).strip().startswith("南川乡格式")


def test_a_missing_template_directory_is_refused(tmp_path):
    with pytest.raises(DomainError) as err:
        render("admission_resolution", full_facts(), tmp_path / "nowhere")
    assert "文书模板目录不存在" in str(err.value) and "nowhere" in str(err.value)


@pytest.mark.parametrize("text, problem", [
    ("{{ person.name }", "标签"),
    ("{% if meeting.passed %}通过", "没有结束"),
    ("{% frobnicate %}", "不认识的标签“frobnicate”"),
    ("{{ meeting.yes / 0 }}", "计算出错"),
    ("{{ meeting.yes + nothing.here }}", "不存在的内容"),
])
def test_a_broken_township_template_is_a_chinese_refusal_naming_it(tmp_path, text, problem):
    _township_template(tmp_path / "admission_resolution.docx", text)
    with pytest.raises(DomainError) as err:
        render("admission_resolution", full_facts(), tmp_path)
    message = str(err.value)
    assert "文书模板“admission_resolution.docx”" in message and str(tmp_path) in message
    assert problem in message, message
    assert "Traceback" not in message


def test_a_template_reaching_into_python_gets_a_blank_not_the_internals(tmp_path):
    _township_template(tmp_path / "admission_resolution.docx",
                       "{{ person.name.__class__.__mro__ }}|{{ cycler.__init__.__globals__ }}|{{ person.name }}")
    text = text_of(render("admission_resolution", full_facts(), tmp_path))
    assert text.strip() == f"{BLANK}|{BLANK}|张秀英"


def test_a_template_that_is_not_a_word_file_is_refused(tmp_path):
    (tmp_path / "approval_reply.docx").write_bytes(b"MZ\x90\x00 this is not a docx")
    with pytest.raises(DomainError) as err:
        render("approval_reply", full_facts(), tmp_path)
    assert "“approval_reply.docx”" in str(err.value) and "不是有效的 Word 文件" in str(err.value)
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<oops")
    (tmp_path / "approval_reply.docx").write_bytes(broken.getvalue())
    with pytest.raises(DomainError) as err:
        render("approval_reply", full_facts(), tmp_path)
    assert "不是有效的 Word 文件" in str(err.value)


def test_values_are_escaped_not_read_as_word_markup():
    facts = full_facts()
    facts["person"]["name"] = "张<w:br/>&三"
    text = text_of(render("admission_resolution", facts))
    assert "张<w:br/>&三同志的入党问题" in text


# ------------------------------------------------------------------ the templates themselves


def test_the_packaged_templates_are_what_the_build_script_makes(tmp_path):
    for path in build(tmp_path):
        packaged = documents.PACKAGED / path.name
        assert packaged.read_bytes() == path.read_bytes(), f"{path.name}: run python -m documents.build_templates"


def test_gb_9704_layout_and_east_asian_fonts():
    doc = Document(str(documents.PACKAGED / "admission_resolution.docx"))
    s = doc.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    title = next(p for p in doc.paragraphs if "决议" in p.text)
    run = title.runs[0]
    assert run.font.size.pt == 22 and title.alignment == 1  # centred
    assert run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in doc.paragraphs if "召开" in p.text)
    assert body.runs[0].font.size.pt == 16
    assert body.runs[0]._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    date_line = doc.paragraphs[-1]
    assert date_line.text == "{{ meeting.date }}" and date_line.alignment == 2  # right
    with zipfile.ZipFile(documents.PACKAGED / "admission_resolution.docx") as z:
        fonts = z.read("word/fontTable.xml").decode()
    assert 'w:name="仿宋_GB2312"' in fonts and 'w:val="仿宋"' in fonts  # the stand-in Word/WPS use


def test_a_filled_form_keeps_the_layout():
    doc = Document(io.BytesIO(render("approval_reply", full_facts())))
    no = next(p for p in doc.paragraphs if p.text == "南党发〔2017〕8号")
    assert no.alignment == 1
    assert doc.sections[0].footer.paragraphs[0].text.startswith("— ")


def test_a_copy_of_a_packaged_template_is_a_starting_point(tmp_path):
    """What docs/documents.md tells a township to do: copy, edit, put in its directory."""
    shutil.copy(documents.PACKAGED / "target_notice.docx", tmp_path / "target_notice.docx")
    assert text_of(render("target_notice", full_facts(), tmp_path)) == text_of(render("target_notice", full_facts()))


def test_the_docs_list_every_fact_each_template_reads():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "documents.md").read_text(encoding="utf-8")
    for kind in KINDS:
        line = next(l for l in docs.splitlines() if l.startswith(f"- `{kind}`: "))
        listed = {t.split(" (")[0] for t in line.split(": ", 1)[1].split(", ")}
        assert set(documents.tags(kind)) <= listed, (kind, set(documents.tags(kind)) - listed)


def test_tags_of_a_township_template(tmp_path):
    _township_template(tmp_path / "approval_reply.docx", "{% if reply.approved %}{{ person.name|cn_date }}{% endif %}"
                                                         "{{ x|or_blank('y.z') }}")
    assert documents.tags("approval_reply", tmp_path) == ["reply.approved", "person.name", "x"]
