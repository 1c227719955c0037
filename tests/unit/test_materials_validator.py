"""The material list validator refuses every mistake with its file and line, in Chinese.

Each test writes a small national list or township override; the line a problem must be reported
on is marked `#!`. Lists are checked against the shipped definitions (cpc_2014@1/@2, cpc_2026@1/@2
and the township variants).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workflows.materials import MaterialsError, load, load_all
from workflows.materials.loader import default_paths
from workflows.registry import Registry

NATIONAL = """\
family: cpc_2014
title: 测试清单
applies_to: [cpc_2014@1, cpc_2014@2]
materials:
  - id: application_letter
    name: 入党申请书
    step: application
    required: true
    by: applicant
    article: {number: 第三十七条, confidence: V}
  - id: political_review_conclusion
    name: 政治审查结论
    step: political_review
    required: true
    by: branch
    needed_by: [pre_review]
    article: {number: 第十六条, confidence: V}
  - id: target_notice
    name: 发展对象公示及结果
    step: target_selection
    required: false
    by: branch_committee
    generated: target_notice
    article: {number: "", confidence: L, note: 本地做法}
"""

OVERRIDE = """\
id: test_town
title: 测试乡
extends: cpc_2014
materials:
  - id: commitment_letter
    name: 入党承诺书
    step: application_form
    required: true
    by: applicant
    article: {number: "", confidence: L}
marks:
  political_review_conclusion: {missing: block}
  target_notice: {required: true}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def marked_line(text: str) -> int:
    return next(i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if "#!" in line)


def problems(tmp_path: Path, national: str = NATIONAL, override: str | None = None):
    nat = write(tmp_path, "national.yaml", national)
    loc = [write(tmp_path, "town.yaml", override)] if override is not None else []
    with pytest.raises(MaterialsError) as e:
        load([nat], loc, Registry.default())
    return e.value.problems


def assert_reported(tmp_path: Path, *fragments: str, national: str = NATIONAL, override: str | None = None):
    """Exactly one problem, on the `#!` line of the file that has it, containing every fragment."""
    found = problems(tmp_path, national, override)
    assert len(found) == 1, "\n".join(map(str, found))
    p = found[0]
    text = override if override is not None and "#!" in override else national
    assert p.file.endswith("town.yaml" if text is override else "national.yaml"), str(p)
    assert p.line == marked_line(text), str(p)
    for f in fragments:
        assert f in p.message, str(p)
    return p


def test_the_small_lists_load(tmp_path):
    """The base texts are valid: every refusal below is caused by its one change."""
    m = load([write(tmp_path, "n.yaml", NATIONAL)], [write(tmp_path, "o.yaml", OVERRIDE)], Registry.default())
    assert [s.id for s in m.nationals["cpc_2014"][0].items] == ["application_letter", "political_review_conclusion",
                                                                "target_notice"]
    assert m.overrides["test_town"].marks["political_review_conclusion"].missing == "block"


def test_every_shipped_file_is_valid():
    m = load_all()
    assert set(m.nationals) == {"cpc_2014", "cpc_2026"}
    assert "nanchuan_thought_reports" in m.overrides
    national, local = default_paths()
    assert {p.name for p in national} == {"cpc_2014.yaml", "cpc_2026.yaml"} and local


def test_unknown_step_with_suggestion(tmp_path):
    text = NATIONAL.replace("    step: political_review\n", "    step: politcal_review  #!\n")
    assert_reported(tmp_path, "政治审查结论", "不存在的步骤 politcal_review", "cpc_2014@1", "是否为 political_review",
                    national=text)


def test_unknown_step_in_needed_by(tmp_path):
    text = NATIONAL.replace("    needed_by: [pre_review]\n", "    needed_by:\n      - pre_reveiw  #!\n")
    assert_reported(tmp_path, "needed_by", "不存在的步骤 pre_reveiw", "是否为 pre_review", national=text)


def test_needed_before_it_is_produced(tmp_path):
    text = NATIONAL.replace("    needed_by: [pre_review]\n", "    needed_by:\n      - target_selection  #!\n")
    assert_reported(tmp_path, "产生于步骤 political_review", "target_selection 在它之前", national=text)


def test_unknown_role(tmp_path):
    text = NATIONAL.replace("    by: branch\n", "    by: secretary  #!\n")
    assert_reported(tmp_path, "by 不是流程定义中的角色", "secretary", "branch_secretary", national=text)


def test_unknown_generated_kind(tmp_path):
    text = NATIONAL.replace("    generated: target_notice\n", "    generated: target_notise  #!\n")
    assert_reported(tmp_path, "generated 不是已知的生成文书", "target_notise", "是否为 target_notice", national=text)


def test_duplicate_id(tmp_path):
    text = NATIONAL.replace("  - id: target_notice\n", "  - id: application_letter  #!\n")
    assert_reported(tmp_path, "材料 id application_letter 重复", "第5行", national=text)


def test_same_id_allowed_for_disjoint_versions(tmp_path):
    """One id, a name per version (cpc_2026's 备案 in @1, 请示/批复 in @2): not a duplicate."""
    extra = ""
    for version, name in (("cpc_2014@1", "发展对象备案报告"), ("cpc_2014@2", "发展对象备案报告（第2版）")):
        extra += (f"  - id: target_filing_report\n    name: {name}\n    step: target_filing\n    required: true\n"
                  f"    by: branch\n    versions: [{version}]\n    article: {{number: 第十三条, confidence: V}}\n")
    text = NATIONAL + extra
    lst = load([write(tmp_path, "n.yaml", text)], [], Registry.default()).nationals["cpc_2014"][0]
    assert [m.name for m in lst.for_key("cpc_2014@1") if m.id == "target_filing_report"] == ["发展对象备案报告"]
    assert [m.name for m in lst.for_key("cpc_2014@2") if m.id == "target_filing_report"] == ["发展对象备案报告（第2版）"]


def test_bad_missing_value(tmp_path):
    text = NATIONAL.replace("    needed_by: [pre_review]\n", "    needed_by: [pre_review]\n    missing: stop  #!\n")
    assert_reported(tmp_path, "missing 应为 warn", "block", "'stop'", national=text)


def test_block_needs_needed_by(tmp_path):
    text = NATIONAL.replace("    by: applicant\n", "    by: applicant\n    missing: block  #!\n")
    assert_reported(tmp_path, "missing: block", "没有写 needed_by", national=text)


def test_unknown_version_in_applies_to(tmp_path):
    text = NATIONAL.replace("applies_to: [cpc_2014@1, cpc_2014@2]", "applies_to: [cpc_2014@1, cpc_2014@9]  #!")
    assert_reported(tmp_path, "cpc_2014@9", "不是已有的流程定义版本", national=text)


def test_required_must_be_a_flag(tmp_path):
    text = NATIONAL.replace("    required: false\n", "    required: 可选  #!\n")
    assert_reported(tmp_path, "required 应为 true", national=text)


def test_citation_needs_an_article_unless_local(tmp_path):
    text = NATIONAL.replace('    article: {number: "", confidence: L, note: 本地做法}',
                            '    article: {number: "", confidence: V}  #!')
    assert_reported(tmp_path, "没有引用条文", national=text)


def test_yaml_syntax_error_has_a_line(tmp_path):
    text = NATIONAL.replace("    name: 入党申请书\n", "    name: [入党申请书  #!\n")
    found = problems(tmp_path, text)
    assert found and found[0].file.endswith("national.yaml") and found[0].line >= marked_line(text)
    assert "YAML 语法错误" in found[0].message


# ---------------------------------------------------------------- overrides


def test_override_that_removes_a_national_item(tmp_path):
    text = OVERRIDE + "remove: [target_notice]  #!\n"
    assert_reported(tmp_path, "不能删除全国清单中的材料", national=NATIONAL, override=text)


def test_override_that_marks_a_national_item_away(tmp_path):
    text = OVERRIDE.replace("  target_notice: {required: true}", "  application_letter:  #!")
    assert_reported(tmp_path, "不能删除全国清单中的材料", "入党申请书", override=text)


def test_override_cannot_make_a_required_item_optional(tmp_path):
    text = OVERRIDE.replace("  target_notice: {required: true}",
                            "  application_letter:\n    required: false  #!")
    assert_reported(tmp_path, "入党申请书", "必需材料", "不能把它改为非必需", override=text)


def test_override_extending_an_unknown_family(tmp_path):
    text = OVERRIDE.replace("extends: cpc_2014", "extends: cpc_2015  #!")
    assert_reported(tmp_path, "extends 引用了未知的全国材料清单", "cpc_2015", "是否为 cpc_2014", override=text)


def test_override_extends_a_family_not_a_version(tmp_path):
    text = OVERRIDE.replace("extends: cpc_2014", "extends: cpc_2014@2  #!")
    assert_reported(tmp_path, "不带 @版本", override=text)


def test_override_bad_missing_value(tmp_path):
    text = OVERRIDE.replace("  political_review_conclusion: {missing: block}",
                            "  political_review_conclusion:\n    missing: refuse  #!")
    assert_reported(tmp_path, "missing 应为 warn", "'refuse'", override=text)


def test_override_unknown_national_item(tmp_path):
    text = OVERRIDE.replace("  target_notice: {required: true}", "  target_notise: {required: true}  #!")
    assert_reported(tmp_path, "target_notise 不是全国清单中的材料", "是否为 target_notice", override=text)


def test_override_item_with_unknown_step(tmp_path):
    text = OVERRIDE.replace("    step: application_form\n", "    step: pledge  #!\n")
    assert_reported(tmp_path, "入党承诺书", "不存在的步骤 pledge", override=text)


def test_override_item_cannot_reuse_a_national_id(tmp_path):
    text = OVERRIDE.replace("  - id: commitment_letter", "  - id: target_notice  #!")
    assert_reported(tmp_path, "与全国清单中的“发展对象公示及结果”重名", "marks", override=text)


def test_override_may_name_a_step_only_a_township_variant_has(tmp_path):
    """thought_report exists only in cpc_2014_thought_reports (extends cpc_2014@2): accepted."""
    text = OVERRIDE.replace("    step: application_form\n", "    step: thought_report\n")
    m = load([write(tmp_path, "n.yaml", NATIONAL)], [write(tmp_path, "o.yaml", text)], Registry.default())
    assert m.overrides["test_town"].added[0].step == "thought_report"
