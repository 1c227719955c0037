"""The loader reports every mistake in a definition, each with its file and line, in Chinese.

Each test writes a small YAML string; the line a problem must be reported on is marked `#!`.
"""
from __future__ import annotations

import textwrap

import pytest
import yaml

from workflows.loader import DefinitionError, Problem, definition_to_data, load_text
from workflows.model import Definition

BASE = """\
id: mini
version: 1
title: 测试流程
effective_from: 2014-06-10
roles: {applicant: 申请人, branch: 党支部}
stages: [{id: applicant, name: 入党申请人}, {id: activist, name: 入党积极分子}]
end_states: [{id: withdrawn, name: 已撤回}]
steps:
  - id: apply
    number: 1
    name: 递交入党申请书
    stage: applicant
    actor: applicant
    enters: applicant
    evidence:
      - {name: note, type: text, label: 备注, required: false}
    rules:
      - {kind: min_age, years: 18, article: 第五条, confidence: V}
  - id: talk
    number: 2
    name: 谈话
    stage: applicant
    actor: branch
    requires: [apply]
    evidence:
      - {name: talker, type: text, label: 谈话人}
      - {name: passed, type: bool, label: 通过}
      - {name: start, type: date, label: 开始}
      - {name: reason, type: text, label: 原因, required: false}
    outcome: {field: passed, negative: stay}
    rules:
      - {kind: due_within, after: apply, months: 1, article: 第七条, confidence: V}
"""


def load(text: str, name: str = "mini.yaml", resolve=None) -> Definition:
    return load_text(textwrap.dedent(text), name, resolve)


def problems(text: str, name: str = "mini.yaml", resolve=None) -> list[Problem]:
    with pytest.raises(DefinitionError) as e:
        load(text, name, resolve)
    return e.value.problems


def marked_line(text: str) -> int:
    return next(i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if "#!" in line)


def assert_reported(text: str, *fragments: str, name: str = "mini.yaml", resolve=None, count: int = 1) -> Problem:
    """Exactly `count` problems, all on the `#!` line; the first one contains every fragment."""
    found = problems(text, name, resolve)
    assert len(found) == count, "\n".join(map(str, found))
    for p in found:
        assert (p.file, p.line) == (name, marked_line(text)), str(p)
    for f in fragments:
        assert f in found[0].message, str(found[0])
    return found[0]


def with_step(extra: str) -> str:
    """BASE plus one more step (its YAML indented as a list item under `steps:`)."""
    return BASE + textwrap.indent(textwrap.dedent(extra), "  ")


def test_base_loads_with_lines_and_ids():
    d = load(BASE)
    assert d.key == "mini@1"
    assert [s.id for s in d.steps] == ["apply", "talk"]
    assert d.step("apply").line == 9 and d.step("talk").line == 19
    rule = d.step("talk").rules[0]
    assert (rule.id, rule.kind, rule.line) == ("due_within", "due_within", 32)
    assert dict(rule.params) == {"after": "apply", "months": 1}
    assert rule.citation.article == "第七条" and rule.citation.confidence == "V"
    assert len(d.sha256) == 64


def test_hash_ignores_comments_and_layout_but_not_content():
    d = load(BASE)
    assert load("# 注释\n" + BASE.replace("version: 1", "version:    1  # v")).sha256 == d.sha256
    assert load(BASE.replace("months: 1", "months: 2")).sha256 != d.sha256


def test_canonical_data_round_trips():
    d = load(BASE)
    again = load(yaml.safe_dump(definition_to_data(d), allow_unicode=True, sort_keys=False))
    assert again.sha256 == d.sha256
    assert definition_to_data(again) == definition_to_data(d)


# --- one problem each ----------------------------------------------------------------------


def test_unknown_top_level_key():
    assert_reported(BASE.replace("title: 测试流程", "title: 测试流程\ncolour: red  #!"), "未知的键 colour")


def test_unknown_step_key_with_suggestion():
    text = BASE.replace("    enters: applicant", "    enters: applicant\n    requries: []  #!")
    assert_reported(text, "步骤 apply 有未知的键 requries", "是否为 requires")


def test_missing_top_level_key():
    text = BASE.replace("title: 测试流程\n", "")
    p = problems(text)
    assert [(x.line, x.message) for x in p] == [(1, "定义缺少必填的键 title")]


def test_missing_step_key_reported_on_the_step():
    text = BASE.replace("  - id: talk", "  - id: talk  #!").replace("    name: 谈话\n", "")
    assert_reported(text, "步骤 talk 缺少必填的键 name")


def test_unknown_stage():
    assert_reported(BASE.replace("    stage: applicant\n    actor: branch", "    stage: aplicant  #!\n    actor: branch"),
                    "步骤 talk 的 stage 引用了未知的阶段 aplicant", "是否为 applicant")


def test_unknown_role():
    assert_reported(BASE.replace("    actor: branch", "    actor: secretary  #!"), "步骤 talk 的 actor 引用了未定义的角色 secretary")


def test_enters_unknown_stage():
    assert_reported(BASE.replace("    enters: applicant", "    enters: member  #!"), "步骤 apply 的 enters 引用了未知的阶段 member")


def test_unknown_field_type():
    text = BASE.replace("{name: talker, type: text, label: 谈话人}", "{name: talker, type: string, label: 谈话人}  #!")
    assert_reported(text, "证据字段 talker 的 type 是未知的字段类型 string")


def test_unknown_rule_kind():
    text = BASE.replace("{kind: min_age, years: 18,", "{kind: min_ages, years: 18,").replace(
        "confidence: V}\n  - id: talk", "confidence: V}  #!\n  - id: talk")
    assert_reported(text, "未知的规则类型 min_ages", "是否为 min_age")


def test_rule_param_not_allowed_for_kind():
    text = BASE.replace("{kind: due_within, after: apply, months: 1,", "{kind: due_within, after: apply, months: 1, min_days: 3,")
    text = text.replace("第七条, confidence: V}\n", "第七条, confidence: V}  #!\n")
    assert_reported(text, "参数 min_days 不适用于 due_within 规则")


@pytest.mark.parametrize(
    "rule",
    [
        "{kind: not_if, field: leaving, article: 第十九条, confidence: V}",
        "{kind: training, days_field: talker, hours_field: hours, min_days: 3, min_hours: 24, article: 第十七条, confidence: V}",
        "{id: special, kind: due_within, after: apply, months: 3, max_months: 6, reason_field: why, article: 第二十五条, confidence: W}",
        "{kind: public_notice, working_days: 5, start_field: start, end_field: finish, article: '', confidence: L}",
    ],
)
def test_rule_referencing_missing_evidence_field(rule):
    text = BASE + f"      - {rule}  #!\n"
    found = problems(text)
    assert any("引用了不存在的证据字段" in p.message and p.message.startswith("步骤 talk 的规则") for p in found)
    assert {p.line for p in found} == {marked_line(text)}


def test_rule_field_of_the_wrong_type():
    text = BASE + "      - {kind: not_if, field: talker, article: 第十九条, confidence: V}  #!\n"
    assert_reported(text, "参数 field 引用的证据字段 talker 类型为 text，应为 bool")


def test_the_example_message_for_a_misspelt_anchor():
    text = BASE + "      - {kind: not_before, after: aply, years: 1, article: 第十三条, confidence: V}  #!\n"
    p = assert_reported(text)
    assert p.message.startswith("步骤 talk 的规则 not_before 引用了不存在的步骤 aply")
    assert str(p).startswith(f"mini.yaml:{marked_line(text)}: 步骤 talk 的规则 not_before 引用了不存在的步骤 aply")


def test_until_anchor_must_exist_but_computed_anchors_are_known():
    ok = BASE + "      - {kind: not_before, after: probation_end, days: 0, article: 第三十三条, confidence: V}\n"
    load(ok)
    bad = BASE + "      - {kind: recurring, every_months: 6, after: apply, until: never, article: 第十一条, confidence: W}  #!\n"
    assert_reported(bad, "引用了不存在的步骤 never")


def test_after_anchor_must_be_a_prerequisite():
    text = BASE.replace("after: apply, months: 1", "after: talk, months: 1")
    text = text.replace("第七条, confidence: V}\n", "第七条, confidence: V}  #!\n")
    assert_reported(text, "从步骤 talk 起算，但它不是步骤 talk 的前置步骤")


def test_requires_unknown_step():
    assert_reported(BASE.replace("    requires: [apply]", "    requires: [aply]  #!"), "步骤 talk 的 requires 引用了不存在的步骤 aply")


def test_cycle_is_reported_with_its_path():
    text = BASE.replace("    enters: applicant\n", "    enters: applicant\n    requires: [review]  #!\n") + textwrap.indent(
        textwrap.dedent(
            """\
            - id: review
              number: 3
              name: 审查
              stage: applicant
              actor: branch
              requires: [talk]
            """
        ),
        "  ",
    )
    p = assert_reported(text, "requires 形成循环")
    assert "apply → review → talk → apply" in p.message


def test_duplicate_step_id_and_number():
    text = with_step(
        """\
        - id: talk  #!
          number: 3
          name: 再谈话
          stage: applicant
          actor: branch
        """
    )
    assert_reported(text, "步骤 id talk 重复（第19行已定义）")
    text = with_step(
        """\
        - id: again
          number: 2  #!
          name: 再谈话
          stage: applicant
          actor: branch
        """
    )
    assert_reported(text, "步骤编号 2 重复：talk 与 again")


def test_outcome_on_missing_field():
    assert_reported(BASE.replace("outcome: {field: passed, negative: stay}", "outcome: {field: pass, negative: stay}  #!"),
                    "步骤 talk 的 outcome 引用了不存在的证据字段 pass", "是否为 passed")


def test_outcome_negative_must_be_known():
    assert_reported(BASE.replace("outcome: {field: passed, negative: stay}", "outcome: {field: passed, negative: retry}  #!"),
                    "negative 应为 stay 或 rejected")


@pytest.mark.parametrize("value", ["2014-13-40", "2014-02-30", "10/06/2014", "2014-6-1"])
def test_bad_dates(value):
    assert_reported(BASE.replace("effective_from: 2014-06-10", f"effective_from: {value}  #!"), "effective_from 不是有效日期")


def test_rule_without_article_must_be_local_practice():
    text = BASE.replace("{kind: min_age, years: 18, article: 第五条, confidence: V}",
                        "{kind: min_age, years: 18, confidence: V}  #!")
    assert_reported(text, "没有引用条文")
    load(BASE.replace("{kind: min_age, years: 18, article: 第五条, confidence: V}", "{kind: min_age, years: 18, confidence: L}"))


def test_article_must_look_like_an_article():
    assert_reported(BASE.replace("article: 第五条, confidence: V}", "article: 第5条, confidence: V}  #!"), "应写成“第X条”")


def test_interval_unit_exactly_one():
    text = BASE.replace("after: apply, months: 1,", "after: apply, months: 1, days: 3,")
    text = text.replace("第七条, confidence: V}\n", "第七条, confidence: V}  #!\n")
    assert_reported(text, "只能指定一个时长")


def test_duplicate_yaml_key_and_syntax_error():
    assert_reported(BASE.replace("version: 1\n", "version: 1\nversion: 2  #!\n"), "键 version 重复")
    assert_reported(BASE.replace("    name: 谈话", "    name: 谈话: 二  #!"), "YAML 语法错误")


def test_yes_no_keys_are_not_silently_booleans():
    assert_reported(BASE.replace("roles: {applicant: 申请人, branch: 党支部}", "roles: {applicant: 申请人, branch: 党支部, no: 否}  #!"),
                    "请加引号")


def test_extends_unknown_key():
    text = """\
    id: variant
    version: 1
    extends: mini@2  #!
    """

    def resolve(key):
        raise KeyError(key)

    assert_reported(text, "extends 引用了未知的定义 mini@2", resolve=resolve)
    assert_reported(text, "没有提供定义注册表")


def test_every_problem_is_reported_at_once():
    text = (
        BASE.replace("title: 测试流程", "title: 测试流程\ncolour: red")
        .replace("    stage: applicant\n    actor: branch", "    stage: nowhere\n    actor: nobody")
        .replace("requires: [apply]", "requires: [aply]")
        .replace("effective_from: 2014-06-10", "effective_from: 2014-02-30")
        + "      - {kind: not_if, field: leaving, article: 第十九条, confidence: V}\n"
    )
    found = problems(text)
    messages = [p.message for p in found]
    assert len(found) == 6, "\n".join(map(str, found))
    for fragment in ("colour", "nowhere", "nobody", "aply", "2014-02-30", "leaving"):
        assert any(fragment in m for m in messages), fragment
    assert [p.line for p in found] == sorted(p.line for p in found)
    rendered = str(DefinitionError(found)).splitlines()
    assert len(rendered) == 6 and all(line.startswith("mini.yaml:") for line in rendered)


# --- overrides -----------------------------------------------------------------------------


@pytest.fixture
def base() -> Definition:
    return load_text(BASE, "mini.yaml")


def resolver(d: Definition):
    def resolve(key):
        if key != d.key:
            raise KeyError(key)
        return d

    return resolve


def test_override_patches_rules_fields_and_inserts_steps(base):
    d = load(
        """\
        id: mini_local
        version: 1
        extends: mini@1
        local: true
        title: 测试变体
        roles: {township: 乡镇党委}
        steps:
          talk:
            name: 党组织派人谈话
            rules:
              due_within: {months: null, weeks: 2}
              extra: {kind: not_before, after: apply, days: 1, article: 第七条, confidence: V}
            evidence:
              reason: null
              place: {type: text, label: 地点}
          visit:
            insert_after: apply
            number: 9
            name: 走访
            stage: applicant
            actor: township
            requires: [apply]
        """,
        "local.yaml",
        resolver(base),
    )
    assert d.key == "mini_local@1" and d.local and d.extends == "mini@1"
    assert d.effective_from == base.effective_from
    assert d.roles == {"applicant": "申请人", "branch": "党支部", "township": "乡镇党委"}
    assert [s.id for s in d.steps] == ["apply", "visit", "talk"]
    talk = d.step("talk")
    assert talk.name == "党组织派人谈话"
    assert {r.id: dict(r.params) for r in talk.rules} == {
        "due_within": {"after": "apply", "weeks": 2},
        "extra": {"after": "apply", "days": 1},
    }
    assert [f.name for f in talk.evidence] == ["talker", "passed", "start", "place"]
    assert d.step("visit").line == 17 and d.source == "local.yaml; mini.yaml"
    assert base.step("talk").rules[0].params["months"] == 1  # the base is untouched


def test_override_removing_a_required_step_blames_the_removal(base):
    text = """\
    id: mini_local
    version: 1
    extends: mini@1
    steps:
      apply: null  #!
    """
    found = problems(text, "local.yaml", resolver(base))
    assert [str(p) for p in found] == [
        "local.yaml:5: 删除了步骤 apply，但步骤 talk 的 requires 仍引用它",
        "local.yaml:5: 删除了步骤 apply，但步骤 talk 的规则 due_within 仍引用它",
    ]


def test_override_problems_in_patch(base):
    text = """\
    id: mini_local
    version: 1
    extends: mini@1
    steps:
      talk:
        rules:
          due_within: {colour: 1}  #1
          ghost: null  #2
      visit: {name: 走访}  #3
    """
    found = problems(text, "local.yaml", resolver(base))
    assert [(p.line, p.message.split("（")[0]) for p in found] == [
        (7, "步骤 talk 的规则 due_within 的参数 colour 不适用于 due_within 规则"),
        (8, "要删除的规则 ghost 在步骤 talk 中不存在"),
        (9, "新增步骤 visit 须写出完整步骤，并用 insert_after 指定插在哪一步之后"),
    ]


def test_override_steps_must_be_a_mapping(base):
    text = """\
    id: mini_local
    version: 1
    extends: mini@1
    steps:  #!
      - id: talk
    """
    assert_reported(text, "steps 应为映射", resolve=resolver(base))


def test_rule_ids_kind_then_kind_after_then_explicit():
    text = BASE + "      - {kind: due_within, after: apply, weeks: 2, article: 第七条, confidence: V}\n"
    found = problems(text)  # two due_within rules after the same anchor: ids collide
    assert any("规则 id due_within:apply 重复" in p.message for p in found)
    text = BASE + "      - {kind: not_before, after: apply, days: 3, article: 第七条, confidence: V}\n"
    text = text.replace("{kind: due_within, after: apply,", "{id: first_due, kind: due_within, after: apply,")
    d = load(text)
    assert [r.id for r in d.step("talk").rules] == ["first_due", "not_before"]


@pytest.mark.parametrize(
    "old, new, key",
    [
        ("    stage: applicant\n    actor: applicant\n    enters: applicant",
         "    stage: [applicant]\n    actor: applicant\n    enters: applicant", "stage"),
        ("    actor: branch_secretary\n    requires: [application]", "    actor: {a: 1}\n    requires: [application]", "actor"),
        ("{kind: min_age, years: 18", "{kind: [min_age], years: 18", "kind"),
        ("{kind: due_within, after: application,", "{kind: due_within, after: [application],", "after"),
    ],
)
def test_a_list_where_a_word_belongs_is_a_problem_not_a_crash(old, new, key):
    from pathlib import Path

    from workflows.loader import DefinitionError, load_text

    base = (Path(__file__).resolve().parents[2] / "workflows/definitions/cpc_2014.yaml").read_text(encoding="utf-8")
    assert old in base
    with pytest.raises(DefinitionError) as err:
        load_text(base.replace(old, new, 1), "x.yaml")
    assert f"的 {key} 应为单个值" in str(err.value)


# --- an int field's bounds and a "not before" that opens early (cpc_2014@3, cpc_2026@3) -----------------

def test_int_field_bounds_load_and_count_in_the_hash():
    plain = load(BASE)
    text = BASE.replace("{name: note, type: text, label: 备注, required: false}",
                        "{name: note, type: text, label: 备注, required: false}\n      - {name: days, type: int, label: 天数, min: 0, max: 30}")
    defn = load(text)
    f = defn.step("apply").field("days")
    assert (f.min, f.max) == (0, 30)
    assert definition_to_data(defn)["steps"][0]["evidence"][1] == {"name": "days", "type": "int", "label": "天数", "min": 0, "max": 30}
    assert "min" not in definition_to_data(plain)["steps"][0]["evidence"][0]  # fields without bounds keep their hash


@pytest.mark.parametrize("field, words", [
    ("{name: days, type: text, label: 天数, max: 30}  #!", "只有 int 类型才能设 min/max"),
    ("{name: days, type: int, label: 天数, min: 5, max: 3}  #!", "的 min（5）大于 max（3）"),
    ("{name: days, type: int, label: 天数, max: -1}  #!", "的 max 应为非负整数，实际为 -1"),
])
def test_int_field_bounds_are_checked(field, words):
    text = BASE.replace("{name: note, type: text, label: 备注, required: false}",
                        "{name: note, type: text, label: 备注, required: false}\n      - " + field)
    assert_reported(text, words)


def test_not_before_may_open_days_early_but_due_within_may_not():
    ok = BASE + "      - {kind: not_before, after: apply, days: -7, article: 第七条, confidence: V}\n"
    rule = next(r for r in load(ok).step("talk").rules if r.kind == "not_before")
    assert rule.params["days"] == -7
    bad = BASE.replace("{kind: due_within, after: apply, months: 1,", "{kind: due_within, after: apply, days: -7,")
    bad = bad.replace("第七条, confidence: V}\n", "第七条, confidence: V}  #!\n")
    assert_reported(bad, "参数 days 应为非负整数，实际为 -7")
    text = BASE + "      - {kind: not_before, after: apply, days: 一周, article: 第七条, confidence: V}  #!\n"
    assert_reported(text, "参数 days 应为整数（负数表示提前），实际为 '一周'")
