"""The report's words: the paragraph in the seed's style, the text and Markdown reports, the
wording data and the template override. Reports are built by hand (reports/render/sample.py has
the seed township: 14 admitted — 9 致富带头人, 5 村干部 — and 21 activists)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from engine.errors import DomainError
from reports.model import Measure, OrgRef, Period, PipelineHealth, PlanLine
from reports.render import markdown, paragraph, text
from reports.render.sample import H1, TOWNSHIP, empty_measures, measure, seed_report
from reports.render.templates import display_width

SEED = "全乡今年上半年共发展党员 14 名，其中致富带头人 9 名，干部党员 5 名，培养入党积极分子 21 名。"


@pytest.fixture(autouse=True)
def _no_override_from_the_environment(monkeypatch):
    monkeypatch.delenv("PARTYFLOW_REPORT_TEMPLATE_DIR", raising=False)


def with_measures(report, **totals):
    """The report with some measures replaced (by a total, or a Measure)."""
    measures = dict(report.measures)
    for key, value in totals.items():
        measures[key] = value if isinstance(value, Measure) else Measure(key, value, {})
    return replace(report, measures=measures)


# --- the paragraph -----------------------------------------------------------------------------

def test_the_seed_sentence_exactly():
    assert paragraph(seed_report()) == SEED


def test_every_measure_in_reading_order_with_its_measure_word():
    assert paragraph(seed_report(full=True)) == (
        "全乡今年上半年共发展党员 14 名，其中致富带头人 9 名，干部党员 5 名，培养入党积极分子 21 名、"
        "发展对象 8 名；预备党员转正 6 名，延长预备期 1 名；收到入党申请 30 份。"
    )


def test_zero_categories_are_left_out():
    report = with_measures(seed_report(), admitted=measure("admitted", 9, tag={"致富带头人": 9, "村干部": 0}))
    assert paragraph(report) == "全乡今年上半年共发展党员 9 名，其中致富带头人 9 名，培养入党积极分子 21 名。"


def test_no_category_no_qizhong():
    report = with_measures(seed_report(), admitted=measure("admitted", 3, tag={"退伍": 3}))
    assert paragraph(report) == "全乡今年上半年共发展党员 3 名，培养入党积极分子 21 名。"


def test_tags_that_read_as_one_category_are_added():
    report = with_measures(seed_report(), admitted=measure("admitted", 6, tag={"村干部": 2, "村(社区)干部": 4}))
    assert "其中干部党员 6 名" in paragraph(report)


def test_nothing_admitted():
    report = with_measures(seed_report(), admitted=0)
    assert paragraph(report) == "全乡今年上半年未发展党员，培养入党积极分子 21 名。"


def test_nothing_at_all():
    report = replace(seed_report(), measures=empty_measures())
    assert paragraph(report) == "全乡今年上半年未发展党员。"


def test_conversions_extensions_cancellations_and_applications():
    report = with_measures(seed_report(), converted=6, extended=1, cancelled=2, applicants=30, activists=0)
    assert paragraph(report) == (
        "全乡今年上半年共发展党员 14 名，其中致富带头人 9 名，干部党员 5 名；预备党员转正 6 名，"
        "延长预备期 1 名，取消预备党员资格 2 名；收到入党申请 30 份。"
    )


def test_full_width_punctuation_and_spaced_arabic_numerals():
    para = paragraph(seed_report(full=True))
    assert not any(ch in para for ch in ",;.()")
    assert " 14 名" in para and " 30 份" in para


@pytest.mark.parametrize(
    ("period", "as_of", "words"),
    [
        (H1, date(2018, 7, 5), "今年上半年"),
        (H1, date(2019, 1, 10), "2018年上半年"),
        (H1, None, "2018年上半年"),
        (Period("2018", "2018年", date(2018, 1, 1), date(2018, 12, 31), "year"), date(2019, 1, 3), "2018年"),
        (Period("2018", "2018年", date(2018, 1, 1), date(2018, 12, 31), "year"), date(2018, 12, 31), "今年"),
        (Period("2018Q3", "2018年第三季度", date(2018, 7, 1), date(2018, 9, 30), "quarter"), date(2018, 10, 8),
         "今年第三季度"),
        (Period("2018Q3", "2018年第三季度", date(2018, 7, 1), date(2018, 9, 30), "quarter"), date(2020, 1, 1),
         "2018年第三季度"),
        (Period("2018-03-01..2018-05-31", "2018年3月1日至5月31日", date(2018, 3, 1), date(2018, 5, 31), "range"),
         date(2018, 6, 1), "今年3月1日至5月31日"),
        (Period("2017-12-01..2018-05-31", "2017年12月1日至2018年5月31日", date(2017, 12, 1), date(2018, 5, 31),
                "range"), date(2018, 6, 1), "2017年12月1日至2018年5月31日"),
        # still running on as_of: the figures are up to that day
        (H1, date(2018, 6, 15), "今年上半年（截至6月15日）"),
        (H1, date(2018, 6, 30), "今年上半年"),
    ],
)
def test_period_words(period, as_of, words):
    report = replace(seed_report(), period=period, as_of=as_of)
    assert paragraph(report).startswith(f"全乡{words}共发展党员 14 名，")


@pytest.mark.parametrize(
    ("org", "word"),
    [
        (OrgRef(1, "南川乡", "township"), "全乡"),
        (OrgRef(1, "南川乡党委", "township"), "全乡"),
        (OrgRef(1, "屯字镇", "township"), "全镇"),
        (OrgRef(1, "城关街道", "township"), "全街道"),
        (OrgRef(1, "城关街道党工委", "township"), "全街道"),
        (OrgRef(1, "某某", "township"), "全乡镇"),
        (OrgRef(1, "镇原县", "county"), "全县"),
        (OrgRef(1, "镇原县委", "county"), "全县"),
        (OrgRef(1, "西峰区", "county"), "全区"),
        (OrgRef(1, "贺丰村党支部", "branch"), "本支部"),
        (OrgRef(1, "乡机关党总支", "branch"), "本总支"),
    ],
)
def test_org_words(org, word):
    assert paragraph(replace(seed_report(), org=org)).startswith(f"{word}今年上半年")


def test_structure_figures_can_be_switched_on_in_the_wording(tmp_path):
    (tmp_path / "wording.yaml").write_text("structure:\n  enabled: true\n", encoding="utf-8")
    assert paragraph(seed_report(), template_dir=tmp_path) == (
        "全乡今年上半年共发展党员 14 名，其中35岁及以下 10 名，大专及以上学历 4 名，致富带头人 9 名，"
        "干部党员 5 名，培养入党积极分子 21 名。"
    )


def test_measure_words_come_from_the_wording(tmp_path):
    (tmp_path / "wording.yaml").write_text("units:\n  person: 人\n", encoding="utf-8")
    para = paragraph(seed_report(full=True), template_dir=tmp_path)
    assert "共发展党员 14 人" in para and "收到入党申请 30 份" in para


# --- template overrides ------------------------------------------------------------------------

def test_template_dir_overrides_the_paragraph(tmp_path):
    (tmp_path / "paragraph.j2").write_text(
        "{{ org_word }}{{ period_word }}发展新党员 {{ admitted }} 名。\n", encoding="utf-8")
    assert paragraph(seed_report(), template_dir=tmp_path) == "全乡今年上半年发展新党员 14 名。"


def test_environment_variable_overrides_and_the_argument_wins(tmp_path, monkeypatch):
    env_dir, arg_dir = tmp_path / "env", tmp_path / "arg"
    env_dir.mkdir(), arg_dir.mkdir()
    (env_dir / "paragraph.j2").write_text("环境变量目录。", encoding="utf-8")
    monkeypatch.setenv("PARTYFLOW_REPORT_TEMPLATE_DIR", str(env_dir))
    assert paragraph(seed_report()) == "环境变量目录。"
    (arg_dir / "paragraph.j2").write_text("参数目录。", encoding="utf-8")
    assert paragraph(seed_report(), template_dir=arg_dir) == "参数目录。"


def test_an_override_may_extend_the_builtin(tmp_path):
    (tmp_path / "report.txt.j2").write_text(
        '抄送：县委组织部\n{% include "builtin/report.txt.j2" %}', encoding="utf-8")
    out = text(seed_report(), template_dir=tmp_path)
    assert out.startswith("抄送：县委组织部\n南川乡2018年上半年发展党员工作情况")
    assert SEED in out


def test_a_missing_template_dir_is_a_clear_error(tmp_path):
    with pytest.raises(DomainError, match="报告模板目录不存在：.*nowhere"):
        paragraph(seed_report(), template_dir=tmp_path / "nowhere")


def test_a_missing_dir_in_the_environment_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTYFLOW_REPORT_TEMPLATE_DIR", str(tmp_path / "typo"))
    with pytest.raises(DomainError, match="PARTYFLOW_REPORT_TEMPLATE_DIR"):
        text(seed_report())


def test_a_broken_override_template_names_file_and_line(tmp_path):
    (tmp_path / "paragraph.j2").write_text("第一行\n{% if %}\n", encoding="utf-8")
    with pytest.raises(DomainError, match="报告模板语法错误：.*第 2 行"):
        paragraph(seed_report(), template_dir=tmp_path)


def test_an_unknown_name_in_an_override_is_an_error_not_a_blank(tmp_path):
    (tmp_path / "paragraph.j2").write_text("{{ no_such_thing }}", encoding="utf-8")
    with pytest.raises(DomainError, match="报告模板渲染失败"):
        paragraph(seed_report(), template_dir=tmp_path)


def test_a_broken_wording_file_is_a_clear_error(tmp_path):
    (tmp_path / "wording.yaml").write_text("units: [", encoding="utf-8")
    with pytest.raises(DomainError, match="报告用语文件无法读取"):
        paragraph(seed_report(), template_dir=tmp_path)


# --- text and Markdown -------------------------------------------------------------------------

def _block(out: str, heading: str) -> list[str]:
    lines = out.splitlines()
    start = lines.index(heading) + 2
    end = lines.index("", start)
    return lines[start:end]


def test_text_report_sections_in_order():
    out = text(seed_report(full=True))
    order = ["南川乡2018年上半年发展党员工作情况", "统计范围：南川乡所属党支部 14 个", SEED[:20],
             "一、总体情况", "二、分类统计", "（一）按党支部", "（七）按类别", "三、计划完成情况", "四、工作提醒",
             "（一）逾期未办事项（2 项）", "（二）本期逾期办理事项（1 项）", "（三）下一期可办理事项（3 项）", "五、合规情况",
             "（一）逾期办理事项分环节统计（1 项）", "（二）两年以上未发展党员的党支部（3 个）", "六、统计口径"]
    positions = [out.index(s) for s in order]
    assert positions == sorted(positions)
    assert "上级党委审批日期（第二十四条）" in out


def test_text_tables_align_by_display_width():
    block = _block(text(seed_report(full=True)), "（一）按党支部")
    widths = {display_width(line) for line in block if not line.startswith("  ---")}
    rule = next(line for line in block if line.startswith("  ---"))
    assert widths == {display_width(rule)}  # every row exactly as wide: CJK counted double
    assert block[0].split() == ["党支部", "发展党员", "转正", "延长预备期", "入党申请（份）", "积极分子（期末）", "发展对象（期末）"]
    assert block[2].split() == ["贺丰村党支部", "3", "2", "-", "5", "3", "2"]
    assert block[-1].split() == ["合计", "14", "6", "1", "30", "21", "8"]


def test_text_leaves_zero_rows_and_zero_measures_out():
    out = text(seed_report())  # seed: only admissions and activists
    block = _block(out, "（一）按党支部")
    assert block[0].split() == ["党支部", "发展党员", "积极分子（期末）"]
    assert not any("乡农业服务中心" in line for line in block)  # nothing in any measure
    assert any(line.split() == ["石咀村党支部", "-", "1"] for line in block)
    assert "转正" not in block[0]
    assert "三、工作提醒" in out and "无逾期未办事项" in out and "计划完成情况" not in out


def test_text_plan_and_health():
    out = text(seed_report(full=True))
    plan = _block(out, "三、计划完成情况")
    assert plan[2].split() == ["发展党员（名）", "24", "14", "完成", "58%"]
    assert plan[3].split()[:3] == ["35岁及以下占比", "60%", "71.4%"]
    assert "未达到（低 1.4 个百分点）" in plan[4]
    overdue = _block(out, "（一）逾期未办事项（2 项）")
    assert overdue[2].split()[:4] == ["石咀村党支部", "张建军", "上级党委审批", "2018-06-05"]  # earliest first


def test_markdown_report():
    out = markdown(seed_report(full=True))
    assert out.startswith("# 南川乡2018年上半年发展党员工作情况\n")
    assert SEED[:-1].replace("。", "") in out
    assert "## 三、计划完成情况" in out
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("| 党支部 ") and "发展党员" in line)
    assert lines[head + 1].startswith("| ---") and "---: |" in lines[head + 1]
    assert lines[head + 2].split("|")[1:3] == [" 贺丰村党支部     ", "        3 "]
    assert "| **合计**" in out


def test_branch_report_scope_and_words():
    branch = OrgRef(100, "贺丰村党支部", "branch")
    report = replace(
        seed_report(), org=branch, branches=(branch,),
        measures={**empty_measures(), "admitted": measure("admitted", 3, branch={"贺丰村": 3}, tag={"致富带头人": 2})},
        health=PipelineHealth((), (), ()),
    )
    out = text(report)
    assert "统计范围：贺丰村党支部\n" in out
    assert "本支部今年上半年共发展党员 3 名，其中致富带头人 2 名。" in out


def test_county_scope_counts_branches_in_ge():
    county = replace(seed_report(), org=OrgRef(1, "镇原县", "county"))
    assert "统计范围：镇原县所属党支部 14 个" in text(county)
    assert paragraph(county).startswith("全县今年上半年")


def test_plan_counts_without_a_plan_figure():
    report = replace(seed_report(), plan=(PlanLine("发展党员（名）", 0, 2),))
    assert "计划外" in text(report)


def test_same_tables_for_township_without_branches_list():
    report = replace(seed_report(), branches=(), org=TOWNSHIP)
    assert "统计范围：南川乡\n" in text(report)


def test_derived_figures_follow_the_total_and_are_not_added_to_it():
    block = _block(text(seed_report(full=True)), "（四）按学历")
    assert block[-3].split() == ["合计", "14", "6", "1", "30", "21", "8"]
    # broadest first: 高中及以上 = 研究生 + 大学本科 + 大专 + 高中/中专, then 大专及以上
    assert block[-2].split() == ["其中：高中及以上", "10", "6", "-", "24", "16", "8"]
    assert block[-1].split() == ["其中：大专及以上", "4", "3", "-", "13", "8", "4"]
    md = markdown(seed_report(full=True))
    assert "| **合计**" in md and "| 其中：大专及以上 |" in md.replace("  ", "")
    assert "| 其中：高中及以上 |" in md.replace("  ", "")


def test_age_bands_with_the_derived_35_and_under_row():
    block = _block(text(seed_report(full=True)), "（三）按年龄")
    assert [line.split()[0] for line in block if line.split() and "岁" in line.split()[0]] == [
        "30岁及以下", "31至35岁", "36至40岁", "41至45岁", "46至50岁", "51至55岁", "其中：35岁及以下"]
    assert block[-1].split() == ["其中：35岁及以下", "10", "4", "-", "22", "14", "6"]


def test_the_college_figure_is_not_counted_twice(tmp_path):
    # the query gives 大专 3 + 大学本科 1 and, beside them, 大专及以上 4
    (tmp_path / "wording.yaml").write_text("structure:\n  enabled: true\n", encoding="utf-8")
    assert "大专及以上学历 4 名" in paragraph(seed_report(), template_dir=tmp_path)


def test_a_shortened_health_list_says_how_many_there_are():
    report = seed_report(full=True)
    report = replace(report, health=replace(report.health, overdue_total=40))
    out = text(report)
    assert "（一）逾期未办事项（40 项）" in out
    assert "注：共 40 项，此处列出最紧迫的 2 项。" in out


def test_the_title_names_the_place_not_the_committee():
    report = replace(seed_report(), org=OrgRef(10, "南川乡党委", "township"))
    assert text(report).startswith("南川乡2018年上半年发展党员工作情况\n")


# --- tags read as one word: each person once -------------------------------------------------------

def _admitted_with_tags(total: int, combos: dict[tuple[str, ...], int]) -> Measure:
    """The admitted measure as the counting gives it: per tag and per combination of tags."""
    from collections import Counter

    from reports.categories import tag_breakdown

    raw = Counter({json.dumps(list(held), ensure_ascii=False): n for held, n in combos.items()})
    return Measure("admitted", total, {"tag": tag_breakdown(raw)})


def test_a_person_with_two_tags_of_one_word_counts_once():
    # one person holds both 村干部 and 干部党员 (both read 干部党员), another is a 致富带头人 and a 村干部
    admitted = _admitted_with_tags(3, {("村干部", "干部党员"): 1, ("致富带头人", "村干部"): 1, ("青年农民",): 1})
    report = with_measures(seed_report(), admitted=admitted)
    assert paragraph(report) == (
        "全乡今年上半年共发展党员 3 名，其中致富带头人 1 名，干部党员 2 名，青年农民 1 名，培养入党积极分子 21 名。")
    # the per-tag table still lists each tag a person holds (村干部 2: both people)
    block = _block(text(report), "（七）按类别")
    assert [line.split()[:2] for line in block[2:6]] == [["村干部", "2"], ["干部党员", "1"], ["致富带头人", "1"],
                                                          ["青年农民", "1"]]


def test_tags_of_one_word_held_by_different_people_are_added():
    admitted = _admitted_with_tags(6, {("村干部",): 2, ("村(社区)干部",): 3, ("干部党员", "村(社区)干部"): 1})
    assert "其中干部党员 6 名" in paragraph(with_measures(seed_report(), admitted=admitted))


# --- structure and plan: 高中及以上 -----------------------------------------------------------------

def test_structure_can_name_high_school_instead_of_college(tmp_path):
    (tmp_path / "wording.yaml").write_text("structure:\n  enabled: true\n  show: [youth, high_school]\n",
                                           encoding="utf-8")
    # seed: 高中/中专 6 + 大专 3 + 大学本科 1 = 10
    assert paragraph(seed_report(), template_dir=tmp_path).startswith(
        "全乡今年上半年共发展党员 14 名，其中35岁及以下 10 名，高中及以上学历 10 名，致富带头人 9 名，")


def test_structure_show_naming_nothing_known_is_a_clear_error(tmp_path):
    (tmp_path / "wording.yaml").write_text("structure:\n  enabled: true\n  show: [youth, rural]\n", encoding="utf-8")
    with pytest.raises(DomainError, match="structure.show 中的“rural”"):
        paragraph(seed_report(), template_dir=tmp_path)


def test_plan_high_school_share():
    from reports.plan import plan_lines

    admitted = seed_report().measures["admitted"]
    lines = plan_lines(20, {"high_school": 0.8, "college": 0.3}, admitted)
    assert [(p.label, p.planned, p.actual) for p in lines] == [
        ("发展党员", 20, 14), ("大专及以上学历占比", 0.3, round(4 / 14, 4)), ("高中及以上学历占比", 0.8, round(10 / 14, 4))]


# --- compliance: late steps per rule, branches without development -----------------------------------

def test_compliance_section_in_text_and_markdown():
    out = text(seed_report(full=True))
    late = _block(out, "（一）逾期办理事项分环节统计（1 项）")
    assert late[0].split() == ["步骤", "环节", "期限依据", "逾期办理（项）"]
    assert late[2].split() == ["17", "上级党委审批", "细则第二十五条", "1"]
    assert late[-1].split() == ["合计", "1"]
    dormant = _block(out, "（二）两年以上未发展党员的党支部（3 个）")
    assert dormant[0].split() == ["党支部", "最近一次发展党员", "距统计截止日", "情况"]
    assert [line.split() for line in dormant[2:5]] == [
        ["乡农业服务中心党支部", "无记录", "—", "无发展记录"],
        ["沟卢村党支部", "2014-11-20", "3", "年", "3年以上"],
        ["石咀村党支部", "2016-05-12", "2", "年", "2年以上"]]
    assert "注：统计截止日：2018年6月30日；年数按日历年计算。" in out
    md = markdown(seed_report(full=True))
    assert "## 五、合规情况" in md and "### （二）两年以上未发展党员的党支部（3 个）" in md
    assert "| 沟卢村党支部" in md


def test_compliance_when_nothing_is_late_and_every_branch_admitted():
    report = replace(seed_report(), dormant=(), dormant_on=date(2018, 6, 30))
    out = text(report)
    assert "（一）逾期办理事项分环节统计（0 项）\n\n  本期无逾期办理的环节。" in out
    assert "（二）两年以上未发展党员的党支部（0 个）\n\n  截至2018年6月30日，无两年以上未发展党员的党支部。" in out


def test_no_dormant_table_when_the_report_did_not_reckon_it():
    out = text(seed_report())  # hand-made, dormant_on None
    assert "逾期办理事项分环节统计" in out and "两年以上未发展党员" not in out


def test_late_rule_without_an_article_is_local_practice():
    from reports.model import LateRule

    report = seed_report(full=True)
    report = replace(report, health=replace(report.health, late_by_rule=(
        LateRule("first_talk", "党组织派人谈话", "第七条", 2, 2), LateRule("archive", "材料归档", "", 1, 25))))
    block = _block(text(report), "（一）逾期办理事项分环节统计（3 项）")
    assert [line.split() for line in block[2:4]] == [["2", "党组织派人谈话", "细则第七条", "2"],
                                                     ["25", "材料归档", "本地规定", "1"]]
