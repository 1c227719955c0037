"""The material list a candidate gets: by its pinned version, through township variants, with an override."""
from __future__ import annotations

from dataclasses import replace

import pytest

from workflows.materials import GENERATED_KINDS, MaterialSpec, available_overrides, catalogue_for, load_all
from workflows.registry import Registry

REG = Registry.default()
NATIONAL_KEYS = ["cpc_2014@1", "cpc_2014@2", "cpc_2026@1", "cpc_2026@2"]
STEPS = [
    "application", "first_talk", "activist_selection", "activist_filing", "mentors_assigned", "cultivation",
    "target_selection", "target_filing", "sponsors", "political_review", "training", "committee_review",
    "pre_review", "application_form", "admission_meeting", "committee_talk", "admission_approval",
    "admission_filing", "branch_assignment", "oath", "probation_education", "conversion_application",
    "conversion_meeting", "conversion_approval", "archive",
]


def names(cat) -> dict[str, str]:
    return {m.id: m.name for m in cat.items}


@pytest.mark.parametrize("key", NATIONAL_KEYS)
def test_every_national_version_has_its_list_and_every_step_id_exists(key):
    defn = REG.get(key)
    cat = catalogue_for(defn)
    assert cat.list_key == key and cat.override is None
    assert [s.id for s in defn.steps] == STEPS
    all_items = load_all().national_for(key).for_key(key)
    assert len(cat.items) == len(all_items) > 25  # nothing filtered away: every step exists
    for m in cat.items:
        assert defn.has_step(m.step), m.id
        assert all(defn.has_step(s) for s in m.needed_by), m.id
        assert m.by in defn.roles, m.id
        assert m.generated is None or m.generated in GENERATED_KINDS
        assert m.missing == "warn"  # the national lists never block by themselves: a township decides
        assert m.citation.confidence in "VWRL" and (m.citation.article or m.citation.confidence == "L")


@pytest.mark.parametrize("key, article", [("cpc_2014@1", "第三十七条"), ("cpc_2014@2", "第三十七条"),
                                          ("cpc_2026@1", "第三十六条"), ("cpc_2026@2", "第三十六条")])
def test_what_goes_into_the_personnel_file_is_required(key, article):
    """2014 第三十七条 / 2026 第三十六条: 志愿书、申请书、政审材料、转正申请书、培养教育考察材料."""
    cat = catalogue_for(REG.get(key))
    for mid in ("membership_form", "application_letter", "political_review_conclusion", "conversion_letter",
                "cultivation_register", "probation_register"):
        assert cat.get(mid).required, mid
    assert cat.get("membership_form").name == "入党志愿书"
    assert cat.get("application_letter").citation.article == article
    assert "存入本人人事档案" in cat.get("archive_index").citation.note
    assert cat.get("political_review_conclusion").needed_by == ("pre_review", "admission_approval")
    assert cat.get("political_review_conclusion").citation.article == "第十六条"


def test_pinned_versions_get_their_own_list():
    """cpc_2026@1 models the upper committee's step as 备案 after the listing; @2 as 同意 before the 公示."""
    v1, v2 = catalogue_for(REG.get("cpc_2026@1")), catalogue_for(REG.get("cpc_2026@2"))
    assert v1.get("target_filing_report").name == "发展对象备案报告"
    assert v2.get("target_filing_report").name == "拟列为发展对象的请示及上级党委同意的批复"
    assert v1.get("target_filing_report").citation.unverified and v2.get("target_filing_report").citation.confidence == "V"
    # 2014 has no 公示 article (optional, local practice); 2026 第十三条 requires one
    assert not catalogue_for(REG.get("cpc_2014@2")).get("target_notice").required
    assert v2.get("target_notice").required and v2.get("target_notice").citation.article == "第十三条"
    assert names(catalogue_for(REG.get("cpc_2014@1"))) == names(catalogue_for(REG.get("cpc_2014@2")))


def test_township_variants_follow_extends_to_the_national_list():
    assert catalogue_for(REG.get("cpc_2014_notice7@1")).list_key == "cpc_2014@1"
    assert catalogue_for(REG.get("cpc_2014_notice7@2")).list_key == "cpc_2014@2"
    variant = catalogue_for(REG.get("cpc_2014_thought_reports@1"))
    assert variant.list_key == "cpc_2014@2" and variant.key == "cpc_2014_thought_reports@1"
    assert not variant.for_step("thought_report")  # the national list knows nothing of the local step


def test_a_version_without_a_list_gets_the_nearest_earlier_one_for_its_steps():
    """E.g. a cpc_2014@3 installed on the web admin page that dropped a step."""
    base = REG.get("cpc_2014@2")
    later = replace(base, version=3, steps=tuple(s for s in base.steps if s.id != "oath"), sha256="x" * 64)
    cat = catalogue_for(later)
    assert cat.list_key == "cpc_2014@2" and cat.key == "cpc_2014@3"
    assert "oath_record" not in cat and "membership_form" in cat


def test_override_adds_and_marks():
    assert available_overrides()["nanchuan_thought_reports"].startswith("南川乡")
    national = catalogue_for(REG.get("cpc_2014_thought_reports@1"))
    cat = catalogue_for(REG.get("cpc_2014_thought_reports@1"), "nanchuan_thought_reports")
    assert cat.key == "cpc_2014_thought_reports@1+nanchuan_thought_reports" and cat.override == "nanchuan_thought_reports"
    added = {m.id: m for m in cat.items if m.local}
    assert set(added) == {"quarterly_thought_report", "commitment_letter"}
    assert added["quarterly_thought_report"].step == "thought_report" and added["quarterly_thought_report"].repeat
    assert added["commitment_letter"].citation.label() == "本地规定"
    assert national.get("political_review_conclusion").missing == "warn"
    assert cat.get("political_review_conclusion").missing == "block"
    assert not national.get("target_notice").required and cat.get("target_notice").required
    # everything national is still there, none relaxed
    for m in national.items:
        mine = cat.get(m.id)
        assert mine.required >= m.required and mine.step == m.step and set(m.needed_by) <= set(mine.needed_by)
    # in the definition's order: the local 思想汇报 (step 26) sits where the variant inserted it
    steps = [m.step for m in cat.items]
    assert steps.index("thought_report") == steps.index("cultivation") + 2  # after 登记表 and national 思想汇报
    assert steps[steps.index("thought_report") + 1] == "target_selection"


def test_override_material_on_a_step_the_definition_lacks_does_not_apply():
    cat = catalogue_for(REG.get("cpc_2014@2"), "nanchuan_thought_reports")
    assert "quarterly_thought_report" not in cat and "commitment_letter" in cat


def test_override_for_another_family_does_not_apply():
    cat = catalogue_for(REG.get("cpc_2026@2"), "nanchuan_thought_reports")
    assert cat.override is None and cat.key == "cpc_2026@2"
    assert cat.get("political_review_conclusion").missing == "warn" and "commitment_letter" not in cat


def test_unknown_override_is_refused_in_chinese():
    with pytest.raises(LookupError, match="未找到乡镇材料清单 no_such_town.*nanchuan_thought_reports"):
        catalogue_for(REG.get("cpc_2014@2"), "no_such_town")


def test_catalogue_lookups_and_cache():
    defn = REG.get("cpc_2014@2")
    cat = catalogue_for(defn)
    assert catalogue_for(defn) is cat
    assert [m.id for m in cat.for_step("political_review")] == ["political_review_conclusion", "political_review_inquiry"]
    assert {m.id for m in cat.needed_at("pre_review")} == {"political_review_conclusion", "training_certificate",
                                                          "committee_review_opinion"}
    assert cat.needed_at("oath") == ()
    assert isinstance(cat.get("conversion_letter"), MaterialSpec)
    with pytest.raises(LookupError, match="没有材料“nothing”"):
        cat.get("nothing")
    assert cat.step_name("pre_review") == "上级党委预审"
    # one kind serves two materials: the step tells them apart
    assert cat.stand_in_for("admission_approval", "approval_reply").id == "admission_approval_reply"
    assert cat.stand_in_for("conversion_approval", "approval_reply").id == "conversion_approval_reply"
    assert cat.stand_in_for("oath", "approval_reply") is None


def test_docs_list_every_national_material():
    """docs/materials.md says where each national item comes from: none may be left out."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "materials.md").read_text(encoding="utf-8")
    for lists in load_all().nationals.values():
        for lst in lists:
            for m in lst.items:
                assert f"`{m.id}`" in text, m.id
                assert m.name in text, m.name
