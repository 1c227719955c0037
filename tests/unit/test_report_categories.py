"""The report's display categories (reports/categories.py) and the no-development rule
(reports/dormant.py), as pure functions: free text → §6's groups, the derived figures, tag
combinations, and the 2-year / 3-year boundaries on calendar years."""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from reports.categories import (
    EDUCATION_GROUPS,
    OCCUPATION_GROUPS,
    OCCUPATION_RULES,
    breakdowns,
    education_group,
    occupation_group,
    tag_breakdown,
)
from reports.dormant import classify, whole_years
from reports.model import DIMENSIONS


# --- education ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, group", [
    ("硕士研究生", "研究生"), ("大学专科", "大专"), ("大学", "大学本科"), ("高中", "高中/中专"), ("中专", "高中/中专"),
    ("职高", "高中/中专"), ("初中", "初中及以下"), ("小学", "初中及以下"), ("扫盲", "其他"), ("  ", "未填写"), (None, "未填写"),
])
def test_education_rules(text, group):
    assert education_group(text) == group


def _raw(**dims):
    """A raw count() result for one measure: every dimension present, the given ones filled."""
    return {d: Counter(dims.get(d, {})) for d in DIMENSIONS}


def test_high_school_and_college_are_derived_beside_the_groups():
    raw = _raw(education={"博士": 1, "本科": 2, "大专": 3, "高中": 4, "中专": 1, "初中": 5, "": 2})
    b = breakdowns(raw, {}, [])["education"]
    assert b.counts == (("研究生", 1), ("大学本科", 2), ("大专", 3), ("高中/中专", 5), ("初中及以下", 5), ("未填写", 2))
    # broadest first; never added to the groups (the counts still sum to 18)
    assert b.derived == (("高中及以上", 11), ("大专及以上", 6))
    assert sum(n for _, n in b.counts) == 18


def test_high_school_without_college_and_nothing_derived_from_lower_groups():
    assert breakdowns(_raw(education={"高中": 2, "初中": 1}), {}, [])["education"].derived == (("高中及以上", 2),)
    assert breakdowns(_raw(education={"初中": 1, "": 1}), {}, [])["education"].derived == ()


# --- occupation --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, group", [
    # §6's eight categories read as themselves
    *((g, g) for g in OCCUPATION_GROUPS[:-1]),
    # farmers, herders, fishers
    ("农民", "农牧渔民"), ("牧民", "农牧渔民"), ("渔民", "农牧渔民"), ("务农", "农牧渔民"), ("种植养殖户", "农牧渔民"),
    ("村民", "农牧渔民"),
    # village cadres are farmers holding office, before 大学生 / 党委 / 会计 could claim them
    ("村干部", "农牧渔民"), ("村（社区）干部", "农牧渔民"), ("村党支部书记", "农牧渔民"), ("村党委书记", "农牧渔民"),
    ("大学生村官", "农牧渔民"), ("村会计", "农牧渔民"), ("村委会主任", "农牧渔民"),
    # retirement first: a retired teacher or worker is 离退休人员
    ("退休", "离退休人员"), ("离休干部", "离退休人员"), ("退休教师", "离退休人员"), ("企业退休职工", "离退休人员"),
    # workers, migrant workers included; 农民工 before 农民
    ("企业员工", "工人"), ("外出务工", "工人"), ("农民工", "工人"), ("货车司机", "工人"),
    ("工勤人员", "工人"),
    ("在校学生", "学生"), ("大学生", "学生"), ("在读研究生", "学生"),
    ("公务员", "党政机关工作人员"), ("乡机关干部", "党政机关工作人员"), ("乡镇干部", "党政机关工作人员"),
    ("乡政府工作人员", "党政机关工作人员"),
    ("企业管理人员", "管理人员"), ("公司经理", "管理人员"), ("厂长", "管理人员"),
    ("教师", "专业技术人员"), ("乡村医生", "专业技术人员"), ("村医", "专业技术人员"), ("农业技术员", "专业技术人员"),
    ("护士", "专业技术人员"), ("会计", "专业技术人员"),
    # 社区 workers are not civil servants: 其他 before 党委 claims them
    ("社区干部", "其他"), ("社区工作者", "其他"),
    ("个体工商户", "其他"), ("退役军人", "其他"), ("自由职业", "其他"), ("无业", "其他"),
    ("", "未填写"), ("  ", "未填写"), (None, "未填写"),
])
def test_occupation_rules(text, group):
    assert occupation_group(text) == group


def test_every_occupation_rule_names_one_of_the_eight_categories():
    assert {g for g, _ in OCCUPATION_RULES} <= set(OCCUPATION_GROUPS[:-1])
    assert len(OCCUPATION_GROUPS) == 9 and OCCUPATION_GROUPS[-1] == "未填写"


def test_occupation_breakdown_is_normalised_in_section_6_order():
    raw = _raw(occupation={"农民": 3, "村（社区）干部": 2, "教师": 1, "退休教师": 1, "企业员工": 2, None: 1, "无业": 1})
    b = breakdowns(raw, {}, [])["occupation"]
    assert b.counts == (("工人", 2), ("农牧渔民", 5), ("专业技术人员", 1), ("离退休人员", 1), ("其他", 1), ("未填写", 1))


def test_education_groups_are_unchanged():
    assert EDUCATION_GROUPS == ("研究生", "大学本科", "大专", "高中/中专", "初中及以下", "其他", "未填写")


# --- tags --------------------------------------------------------------------------------------

def test_tags_per_tag_and_per_combination():
    b = tag_breakdown(Counter({
        '["致富带头人", "村干部"]': 2, '["村干部", "致富带头人"]': 1,  # the same set, written in another order
        '["村干部", "干部党员"]': 1, '["致富带头人"]': 4, "[]": 5, None: 1, '"[\\"退役军人\\"]"': 1,
    }))
    assert b.counts == (("致富带头人", 7), ("村干部", 4), ("干部党员", 1), ("退役军人", 1))  # a person under each tag
    assert dict(b.combinations) == {("村干部", "致富带头人"): 3, ("干部党员", "村干部"): 1, ("致富带头人",): 4,
                                    ("退役军人",): 1}
    assert sum(n for _, n in b.combinations) == 9  # each person with any tag once


# --- no development for two / three years ------------------------------------------------------

@pytest.mark.parametrize("last, years, flag", [
    (date(2016, 7, 1), None, None),  # the day after two years before: 1 year 364 days, not yet
    (date(2016, 6, 30), 2, "2年以上"),  # two years to the day (以上 includes the number)
    (date(2016, 6, 29), 2, "2年以上"),  # the day before
    (date(2015, 7, 1), 2, "2年以上"),  # the day after three years before: still 2
    (date(2015, 6, 30), 3, "3年以上"),  # three years to the day
    (date(2015, 6, 29), 3, "3年以上"),
    (date(2009, 3, 1), 9, "3年以上"),
    (date(2018, 6, 30), None, None),  # admitted on the day itself
    (None, None, "无发展记录"),
])
def test_two_and_three_years_without_development(last, years, flag):
    found = classify(last, date(2018, 6, 30))
    assert (found is None) if flag is None else (found == (years, flag))


@pytest.mark.parametrize("since, day, years", [
    (date(2016, 2, 29), date(2018, 2, 27), 1),
    (date(2016, 2, 29), date(2018, 2, 28), 2),  # 02-29 + 2 years = 02-28 (process.md §4)
    (date(2016, 2, 29), date(2020, 2, 28), 3),  # a leap year again: 02-29 + 4 years = 02-29
    (date(2016, 2, 29), date(2020, 2, 29), 4),
    (date(2017, 12, 31), date(2018, 12, 30), 0),
    (date(2017, 12, 31), date(2018, 12, 31), 1),
])
def test_whole_calendar_years(since, day, years):
    assert whole_years(since, day) == years
