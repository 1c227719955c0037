"""Inputs found by fuzzing: digits int() refuses ("³") and control characters in a CSV cell get one
Chinese refusal, never a traceback."""
from __future__ import annotations

import pytest

from engine.commands import resolve_step_ref
from engine.errors import DomainError
from services.imports.uploads import csv_to_xlsx
from tests.helpers import definition


def test_a_superscript_digit_is_not_a_step_number():
    defn = definition()
    assert "³".isdigit() and not "³".isdecimal()
    assert resolve_step_ref(defn, "³") == "³"  # not a number: left for the engine to name as unknown
    assert resolve_step_ref(defn, "13") == "pre_review"


def test_a_control_character_in_a_csv_cell_is_refused(tmp_path):
    with pytest.raises(DomainError, match="第 2 行含有不可见的控制字符"):
        csv_to_xlsx("姓名,性别\n王\x01,男\n".encode(), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_a_broken_csv_is_refused_in_chinese(tmp_path):
    with pytest.raises(DomainError) as e:
        csv_to_xlsx(b'a,b\n"x\x00,y\n', tmp_path / "x.xlsx")
    assert "CSV 文件格式有误" in str(e.value) or "控制字符" in str(e.value)
    assert not any(c.isascii() and c.isalpha() for c in str(e.value).replace("CSV", "").replace("Excel/WPS", "").replace("xlsx", ""))


@pytest.mark.parametrize("field,value,words", [
    ("talker", "李书记\u202e1234", "不可见的控制字符"),        # a bidi override would reverse the record
    ("talker", "李\x00书记", "不可见的控制字符"),
    ("talker", "长" * 2001, "不能超过 2000 字"),
    ("talker", ["a", "b"], "应为文字"),                       # the API's JSON may carry any type
])
def test_text_evidence_is_checked(field, value, words):
    from engine.evidence import normalise

    step = definition().step("first_talk")
    _, problems = normalise(step, {field: value})
    assert len(problems) == 1 and words in problems[0].message and "谈话人" in problems[0].message
    ok, none = normalise(step, {field: "李" * 2000})
    assert none == [] and len(ok["talker"]) == 2000


@pytest.mark.parametrize("value", [10**30, "99999999999999999999", 2**31, True, 1.5])
def test_numbers_out_of_range_are_refused(value):
    from engine.evidence import normalise

    step = definition().step("training")
    _, problems = normalise(step, {"organiser": "乡党委", "days": 1, "hours": value, "passed": True})
    assert [p.code for p in problems] == ["evidence.invalid"] and "培训" in problems[0].message
    _, fine = normalise(step, {"organiser": "乡党委", "days": 1, "hours": 2**31 - 1, "passed": True})
    assert fine == []


def test_the_import_marker_reads_in_chinese():
    from services.casework.queries import evidence_summary

    step = definition().step("first_talk")
    assert evidence_summary(step, {"imported": True, "talker": "李书记"}, {}) == "从台账导入；谈话人：李书记"


def test_report_file_names_say_the_period_in_words():
    from datetime import date

    from reports.model import OrgRef, Period
    from services.reporting.period_report import default_path

    class R:  # the two fields default_path reads
        org = OrgRef(3, "南川乡党委", "township")
        period = Period("2018H1", "2018年上半年", date(2018, 1, 1), date(2018, 6, 30), "half")

    assert default_path(R(), "docx").name == "南川乡党委_2018年上半年_发展党员工作报告.docx"
