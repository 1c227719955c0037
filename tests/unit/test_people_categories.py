"""The category lists and the reports agree: every listed 学历/职业 is counted as itself, a value
chosen as 其他 (with any note) is counted as 其他, an unlisted value is refused naming its field."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from reports.categories import (MINORITY, OTHER, breakdowns, education_group, ethnicity_name, occupation_group,
                                tag_breakdown)
from services.people.categories import check, check_tags, compose, lists, split


@pytest.mark.parametrize("field,group", [("education", education_group), ("occupation", occupation_group)])
def test_every_listed_value_is_counted_as_itself(field, group):
    for choice in lists()[field].choices:
        assert group(choice) == choice
    assert group(OTHER) == OTHER


def test_the_lists_are_the_national_ones():
    eth = lists()["ethnicity"].choices
    assert len(eth) == len(set(eth)) == 56 and eth[0] == "汉族" and "基诺族" in eth
    assert lists()["occupation"].choices == ("工人", "农牧渔民", "专业技术人员", "管理人员", "党政机关工作人员", "学生",
                                             "离退休人员")
    assert "致富带头人" in lists()["tags"].choices and "致富能手" not in lists()["tags"].choices
    assert all(spec.options()[-1] == OTHER for spec in lists().values())


@pytest.mark.parametrize("typed,counted", [
    ("其他（自学大学课程）", OTHER),  # the note says 大学, the choice said 其他: 其他
    ("其他", OTHER),
    ("大学本科", "大学本科"),
])
def test_other_with_a_note_is_counted_as_other(typed, counted):
    assert education_group(typed) == counted
    assert occupation_group("其他（村医）") == OTHER  # not 专业技术人员
    assert ethnicity_name("其他（穿青人）") == OTHER


def test_report_breakdowns_count_other_as_other_and_not_as_a_minority():
    raw = {"branch": Counter(), "gender": Counter(), "age_band": Counter(),
           "education": Counter({"其他（大学肄业）": 2, "大学本科": 1}),
           "ethnicity": Counter({"其他（穿青人）": 2, "回族": 1, "汉族": 3}),
           "occupation": Counter({"其他（教师助理）": 1}),
           "tag": Counter({json.dumps(["其他（养蜂）", "致富带头人"], ensure_ascii=False): 2})}
    out = breakdowns(raw, {}, [])
    assert dict(out["education"].counts) == {"大学本科": 1, OTHER: 2}
    assert dict(out["ethnicity"].counts)[OTHER] == 2 and dict(out["ethnicity"].derived) == {MINORITY: 1}
    assert dict(out["occupation"].counts) == {OTHER: 1}
    assert dict(out["tag"].counts) == {OTHER: 2, "致富带头人": 2}
    assert dict(tag_breakdown({json.dumps(["其他"]): 1}).counts) == {OTHER: 1}


def test_check_accepts_listed_values_and_other_forms():
    assert check("education", "大专") == ("大专", None)
    assert check("education", " ") == (None, None)
    assert check("ethnicity", "回") == ("回族", None)
    for typed in ("其他:私塾", "其他：私塾", "其他（私塾）", "其他(私塾)", "其他 私塾"):
        assert check("education", typed) == ("其他（私塾）", None)
    assert compose(OTHER, "养蜂") == "其他（养蜂）" and compose(OTHER, "") == OTHER and compose("工人", "x") == "工人"
    assert split("其他（私塾）") == (OTHER, "私塾") and split("大专") == ("大专", "")
    assert check_tags(["致富带头人", "其他（养蜂）", "致富带头人"]) == (["致富带头人", "其他（养蜂）"], None)


def test_an_unlisted_value_is_refused_naming_the_field():
    value, problem = check("occupation", "农民")
    assert value is None and problem.code == "person.occupation"
    assert problem.message.startswith("职业“农民”不在统计类别中") and "农牧渔民" in problem.message
    _, problem = check("education", "其他（" + "很" * 31 + "）")
    assert problem.message == "学历“其他”的说明不能超过 30 字"
    tags, problem = check_tags(["致富带头人", "致富能手"])
    assert tags == [] and problem.code == "person.tags" and "致富能手" in problem.message


def test_other_needs_its_note():
    _, problem = check("occupation", "其他")
    assert problem.code == "person.occupation" and problem.message.startswith("职业选“其他”时请注明")
    assert check_tags(["其他"])[1].code == "person.tags"
    assert check("occupation", "其他", on_record="其他") == ("其他", None)  # as recorded before: kept


def test_a_value_on_record_may_be_kept_unchanged():
    assert check("education", "高中", on_record="高中") == ("高中", None)
    assert check("education", "初中", on_record="高中")[1].code == "person.education"
    assert check_tags(["致富能手"], on_record=["致富能手"]) == (["致富能手"], None)
