"""The material guard: a township's `block` material refuses the step that needs it, through the same
`decide` a preview (dry run) uses; a `warn` material is said with the step; no lookup, no check."""
from __future__ import annotations

from datetime import date

from engine import CompleteStep, Correct, decide
from engine.materials import MaterialFacts, material_violations, material_warnings
from engine.apply import replay
from tests.helpers import TIMELINE, ctx, definition, evidence, walk
from workflows.materials import catalogue_for, load
from workflows.materials.loader import default_paths
from workflows.registry import Registry

DEFN = definition("cpc_2014@2")
TOWN = catalogue_for(DEFN, "nanchuan_thought_reports")  # 政审结论 missing: block
NATIONAL = catalogue_for(DEFN)
ON = TIMELINE["pre_review"]
CONCLUSION = "上级党委预审须先上传材料“政治审查结论（政审材料）”（细则第十六条）"


def with_materials(catalogue, present=None, generated=frozenset()):
    c = ctx()
    c.materials = MaterialFacts(catalogue, present or {}, generated)
    return c


def pre_review(state, c, **overrides):
    return decide(DEFN, state, CompleteStep("pre_review", ON, "测试", evidence("pre_review", ON, **overrides)), c)


def test_block_material_missing_refuses_pre_review_and_a_preview_shows_it():
    state = walk("pre_review", DEFN)
    d = pre_review(state, with_materials(TOWN, {"training_certificate": 1}))
    assert not d.ok and d.event is None and d.state is state  # nothing would be written
    [v] = d.violations
    assert (v.code, v.message, v.article) == ("material.missing", CONCLUSION, "第十六条")
    assert "pre_review" not in state.done


def test_block_material_present_passes():
    state = walk("pre_review", DEFN)
    d = pre_review(state, with_materials(TOWN, {"political_review_conclusion": 1}))
    assert d.ok and "pre_review" in d.state.done
    # the other materials pre_review looks at only warn, each named with its article
    assert any(w.startswith("缺少材料：上级党委预审需要的“集中培训结业证书”尚未上传（细则第十七条）") for w in d.warnings)
    assert not any("政治审查结论" in w for w in d.warnings)


def test_a_generated_stand_in_satisfies_the_guard():
    state = walk("pre_review", DEFN)
    assert pre_review(state, with_materials(TOWN, {}, frozenset({"political_review_conclusion"}))).ok


def test_national_list_only_warns():
    state = walk("pre_review", DEFN)
    d = pre_review(state, with_materials(NATIONAL))
    assert d.ok
    assert "缺少材料：上级党委预审需要的“政治审查结论（政审材料）”尚未上传（细则第十六条）" in d.warnings


def test_no_lookup_no_check():
    state = walk("pre_review", DEFN)
    d = pre_review(state, ctx())
    assert d.ok and not any(w.startswith("缺少材料") for w in d.warnings)


def test_a_failed_pre_review_can_be_recorded_without_the_material():
    """Missing papers may be why it failed: only an adopted result needs them."""
    state = walk("pre_review", DEFN)
    d = pre_review(state, with_materials(TOWN), passed=False, result="政审材料不全，预审不合格")
    assert d.ok and "pre_review" not in d.state.done
    assert not any(w.startswith("缺少材料") for w in d.warnings)


def test_the_guard_names_every_problem_at_once():
    state = walk("pre_review", DEFN)
    d = pre_review(state, with_materials(TOWN), result="")
    codes = {v.code for v in d.violations}
    assert "material.missing" in codes and any(c.startswith("evidence") for c in codes)


def test_corrections_are_not_refused_for_missing_materials():
    """A correction states what happened; the paper can follow."""
    events: list = []
    state = walk("pre_review", DEFN, include=True, events=events)
    target = next(e for e in events if e.step == "pre_review")

    def resolve(key):
        return Registry.default().get(key)

    d = decide(DEFN, state, Correct(target.seq, "测试", "日期录错", occurred_on=date(2017, 6, 8)), with_materials(TOWN),
               history=events, resolve=resolve)
    assert d.ok, d.violations
    assert not any(w.startswith("缺少材料") for w in d.warnings)
    assert replay([*events, d.event], resolve, ctx().calendar).done["pre_review"] == date(2017, 6, 8)


def test_a_conditional_block_applies_only_when_the_record_shows_the_decision(tmp_path):
    """A township that blocks the conversion approval until the extension decision is on file."""
    national, local = default_paths()
    text = ("id: strict_town\ntitle: 严格乡\nextends: cpc_2014\n"
            "marks:\n  extension_decision: {missing: block}\n")
    mats = load(national, local, Registry.default(), texts={"strict.yaml": text})
    cat = catalogue_for(DEFN, "strict_town", materials=mats)
    meeting_on, approval_on = TIMELINE["conversion_meeting"], TIMELINE["conversion_approval"]
    base = walk("conversion_meeting", DEFN)
    extend = decide(DEFN, base, CompleteStep("conversion_meeting", meeting_on, "测试", evidence(
        "conversion_meeting", meeting_on, decision="extend", extension_months=6)), ctx()).raise_if_refused().state
    convert = walk("conversion_approval", DEFN)
    approve = CompleteStep("conversion_approval", approval_on, "测试", evidence("conversion_approval", approval_on))
    refused = decide(DEFN, extend, approve, with_materials(cat, {"conversion_letter": 1}))
    assert [v.message for v in refused.violations] == [
        "上级党委审批须先上传材料“延长预备期决定”（细则第三十二条）"]
    assert decide(DEFN, extend, approve, with_materials(cat, {"extension_decision": 1})).ok
    assert decide(DEFN, convert, approve, with_materials(cat)).ok  # converting: no extension decision needed
    # the pure functions: without a state a conditional material is not checked
    assert material_violations(cat, "conversion_approval", {}) == []
    assert material_violations(cat, "conversion_approval", {}, state=extend)
    assert material_warnings(cat, "conversion_approval", {}, state=convert) == [
        "缺少材料：上级党委审批需要的“支部大会决议（预备党员转正）”尚未上传（细则第三十三条），"
        "可附上系统生成的“支部大会决议（预备党员转正）”代替"]


def test_context_default_has_no_materials():
    assert ctx().materials is None
