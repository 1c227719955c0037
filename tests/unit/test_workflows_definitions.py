"""The shipped definitions say what process.md says, and versions stay pinned.

cpc_2014 is checked step by step against /work/shared/domain/process.md; cpc_2026 and the township
variant are checked as differences from it, so an unintended change anywhere fails a test.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from workflows import Definition, DefinitionError, Registry, definition_to_data
from workflows.registry import default_paths

UNVERIFIED_NOTE = "2026年5月修订（人民日报2026-05-19报道），未核实"

IDS = [
    "application", "first_talk", "activist_selection", "activist_filing", "mentors_assigned",
    "cultivation", "target_selection", "target_filing", "sponsors", "political_review", "training",
    "committee_review", "pre_review", "application_form", "admission_meeting", "committee_talk",
    "admission_approval", "admission_filing", "branch_assignment", "oath", "probation_education",
    "conversion_application", "conversion_meeting", "conversion_approval", "archive",
]


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry.default()


@pytest.fixture(scope="module")
def d14(reg) -> Definition:
    return reg.get("cpc_2014@1")


@pytest.fixture(scope="module")
def d26(reg) -> Definition:
    return reg.get("cpc_2026@1")


def rule(d: Definition, step: str, rule_id: str):
    return next(r for r in d.step(step).rules if r.id == rule_id)


# --- cpc_2014 ------------------------------------------------------------------------------


def test_cpc_2014_has_the_25_steps_in_order(d14):
    assert [s.id for s in d14.steps] == IDS
    assert [s.number for s in d14.steps] == list(range(1, 26))
    assert d14.effective_from == date(2014, 6, 10) and not d14.local and d14.extends is None
    assert [s.id for s in d14.stages] == ["applicant", "activist", "development_target", "probationary", "full_member"]
    assert {s.id for s in d14.end_states} == {
        "withdrawn", "not_selected", "disqualified", "rejected", "probation_cancelled", "deceased", "transferred_out",
    }
    assert d14.reconsider_reopens == ("admission_meeting", "committee_talk", "admission_approval")


def test_stage_entries(d14):
    assert {s.id: s.enters for s in d14.steps if s.enters} == {
        "application": "applicant",
        "activist_selection": "activist",
        "target_selection": "development_target",
        "admission_approval": "probationary",
        "conversion_approval": "full_member",
    }


def test_every_rule_cites_an_article_or_is_local_practice(d14):
    for s in d14.steps:
        for r in s.rules:
            assert r.citation.confidence in "VWRL"
            assert r.citation.article or r.citation.confidence == "L", (s.id, r.id)
            assert not r.citation.unverified
            assert r.line > s.line > 0


def test_requires_form_a_dag_in_step_order(d14):
    seen: set[str] = set()
    for s in d14.steps:
        assert set(s.requires) <= seen, s.id  # every prerequisite comes earlier: no cycle possible
        seen.add(s.id)


def test_actors_and_roles(d14):
    assert all(s.actor in d14.roles for s in d14.steps)
    assert d14.roles["branch_meeting"] == "党支部大会"
    assert d14.step("admission_meeting").actor == "branch_meeting"
    assert d14.step("admission_approval").actor == "township"
    assert d14.step("admission_filing").actor == "county_org_dept"


@pytest.mark.parametrize(
    "step, rule_id, kind, params, article, confidence",
    [
        ("application", "min_age", "min_age", {"years": 18}, "第五条", "V"),
        ("first_talk", "due_within", "due_within", {"after": "application", "months": 1, "remind_days": (7, 1)}, "第七条", "V"),
        ("mentors_assigned", "count", "count", {"field": "mentors", "min": 1, "max": 2}, "第九条", "W"),
        ("mentors_assigned", "full_members", "full_members", {"field": "mentors"}, "第九条", "W"),
        ("cultivation", "recurring", "recurring",
         {"every_months": 6, "after": "activist_selection", "until": "target_selection", "remind_days": (14,)}, "第十一条", "W"),
        ("target_selection", "not_before", "not_before", {"after": "activist_selection", "years": 1}, "第十三条", "V"),
        ("target_selection", "public_notice", "public_notice",
         {"working_days": 5, "start_field": "notice_start", "end_field": "notice_end", "objections_field": "objections"}, "", "L"),
        ("sponsors", "count", "count", {"field": "sponsors", "min": 2, "max": 2}, "第十四条", "R"),
        ("sponsors", "full_members", "full_members", {"field": "sponsors"}, "第十四条", "R"),
        ("training", "training", "training",
         {"days_field": "days", "hours_field": "hours", "min_days": 3, "min_hours": 24, "waiver_field": "waiver"}, "第十七条", "V"),
        ("pre_review", "not_if", "not_if", {"field": "leaving_within_3_months"}, "第十九条", "V"),
        ("admission_meeting", "vote", "vote", {"field": "vote"}, "第二十条", "V"),
        ("admission_approval", "due_within", "due_within",
         {"after": "admission_meeting", "months": 3, "max_months": 6, "reason_field": "special_reason", "remind_days": (14, 3)},
         "第二十五条", "W"),
        ("probation_education", "recurring", "recurring",
         {"every_months": 6, "after": "admission_meeting", "until": "conversion_meeting"}, "第三十二条", "R"),
        ("conversion_application", "due_within", "due_within", {"after": "probation_end", "days": 0, "remind_days": (30, 7)},
         "第三十二条", "V"),
        ("conversion_meeting", "not_before", "not_before", {"after": "probation_end", "days": 0}, "第三十二条", "V"),
        ("conversion_meeting", "vote", "vote", {"field": "vote"}, "第三十三条", "V"),
        ("conversion_meeting", "extension", "extension",
         {"field": "extension_months", "min_months": 6, "max_months": 12, "times": 1}, "第三十二条", "V"),
        ("conversion_approval", "due_within", "due_within", {"after": "conversion_meeting", "months": 3}, "第三十四条", "R"),
        ("archive", "due_within", "due_within", {"after": "conversion_approval", "weeks": 1}, "", "L"),
    ],
)
def test_cpc_2014_rules(d14, step, rule_id, kind, params, article, confidence):
    r = rule(d14, step, rule_id)
    assert r.kind == kind and dict(r.params) == params
    assert (r.citation.article, r.citation.confidence) == (article, confidence)


def test_every_rule_is_in_the_table_above(d14):
    assert sum(len(s.rules) for s in d14.steps) == 20


@pytest.mark.parametrize(
    "step, article, confidence",
    [
        ("application", "第五条", "V"), ("first_talk", "第七条", "V"), ("activist_selection", "第八条", "V"),
        ("activist_filing", "第八条", "V"), ("mentors_assigned", "第九条", "W"), ("cultivation", "第十一条", "W"),
        ("target_selection", "第十三条", "V"), ("target_filing", "第十三条", "V"), ("sponsors", "第十四条", "R"),
        ("political_review", "第十六条", "V"), ("training", "第十七条", "V"), ("committee_review", "第十八条", "V"),
        ("pre_review", "第十九条", "V"), ("admission_meeting", "第二十条", "V"), ("committee_talk", "第二十三条", "W"),
        ("admission_approval", "第二十四条", "W"), ("admission_filing", "第二十五条", "W"),
        ("probation_education", "第三十二条", "V"), ("conversion_application", "第三十二条", "V"),
        ("conversion_meeting", "第三十三条", "V"), ("conversion_approval", "第三十四条", "R"), ("archive", "第三十七条", "V"),
        ("application_form", "", "R"), ("branch_assignment", "", "R"), ("oath", "", "R"),
    ],
)
def test_cpc_2014_step_citations(d14, step, article, confidence):
    c = d14.step(step).citation
    assert (c.article, c.confidence) == (article, confidence)


def test_not_before_one_year_message_names_the_earliest_date(d14):
    r = rule(d14, "target_selection", "not_before")
    assert r.message.format(earliest="2019-03-10") == "培养考察未满一年，最早可于 2019-03-10 确定为发展对象（细则第十三条）"
    r = rule(d14, "conversion_meeting", "not_before")
    assert "{earliest}" in r.message and "细则" not in r.message  # Check.message appends the one citation


def test_probation_counts_from_the_branch_meeting(d14):
    assert (d14.probation_after, d14.probation_months) == ("admission_meeting", 12)
    assert (d14.probation_citation.article, d14.probation_citation.confidence) == ("第三十二条", "V")


def test_outcomes(d14):
    o = {s.id: s.outcome for s in d14.steps if s.outcome}
    assert {k: (v.field, v.negative) for k, v in o.items()} == {
        "political_review": ("passed", "stay"),
        "training": ("passed", "stay"),
        "pre_review": ("passed", "stay"),
        "admission_meeting": ("vote", "rejected"),
        "admission_approval": ("approved", "rejected"),
        "conversion_meeting": ("decision", "stay"),
        "conversion_approval": ("approved", "stay"),
    }
    cm = o["conversion_meeting"]
    assert cm.positive == ("convert",) and dict(cm.effects) == {"extend": "extend_probation", "cancel": "cancel_probation"}
    assert d14.step("conversion_meeting").field("decision").choices == ("convert", "extend", "cancel")


def test_evidence_highlights(d14):
    assert d14.step("sponsors").field("sponsors").type == "people"
    assert (d14.step("sponsors").field("sponsors").min_items, d14.step("sponsors").field("sponsors").max_items) == (2, 2)
    assert d14.step("political_review").field("conclusion").type == "docref"
    assert d14.step("admission_meeting").field("vote").type == "vote"
    assert d14.step("activist_selection").field("method").choices == ("党员推荐", "群团组织推优")
    assert [s.id for s in d14.steps if s.repeatable] == ["cultivation", "probation_education"]


def test_hash_is_stable(d14):
    again = Registry.from_paths(default_paths()).get("cpc_2014@1")
    assert again.sha256 == d14.sha256 and len(d14.sha256) == 64


# --- cpc_2026: the differences, exactly ------------------------------------------------------


def _diff(a: Definition, b: Definition) -> set[tuple[str, str]]:
    """(step, "article" | rule id) pairs that differ, plus ("-", top-level key)."""
    da, db = definition_to_data(a), definition_to_data(b)
    out = {("-", k) for k in set(da) | set(db) if k != "steps" and da.get(k) != db.get(k)}
    sa = {s["id"]: s for s in da["steps"]}
    sb = {s["id"]: s for s in db["steps"]}
    assert list(sa) == list(sb)
    for sid in sa:
        x, y = sa[sid], sb[sid]
        for key in set(x) | set(y):
            if key == "rules":
                ra = {r["id"]: r for r in x.get("rules", [])}
                rb = {r["id"]: r for r in y.get("rules", [])}
                out |= {(sid, rid) for rid in set(ra) | set(rb) if ra.get(rid) != rb.get(rid)}
            elif x.get(key) != y.get(key):
                out.add((sid, key))
    return out


def test_cpc_2026_differences_are_exactly_the_reported_ones(d14, d26):
    assert _diff(d14, d26) == {
        ("-", "id"), ("-", "title"), ("-", "effective_from"), ("-", "extends"), ("-", "roles"), ("-", "probation"),
        ("target_selection", "public_notice"),
        ("pre_review", "article"), ("pre_review", "not_if"),
        ("admission_meeting", "due_within"),
        ("admission_approval", "due_within"),
        ("oath", "due_within"),
        ("probation_education", "article"), ("probation_education", "recurring"),
        ("conversion_application", "article"), ("conversion_application", "due_within"),
        ("conversion_meeting", "not_before"), ("conversion_meeting", "extension"),
        ("conversion_approval", "article"), ("conversion_approval", "due_within"),
        ("archive", "article"),
    }


def test_cpc_2026_every_change_is_marked_unverified(d14, d26):
    for sid, what in _diff(d14, d26):
        if sid == "-":
            continue
        c = d26.step(sid).citation if what == "article" else rule(d26, sid, what).citation
        assert c.unverified and UNVERIFIED_NOTE in c.note, (sid, what)
    assert d26.probation_citation.unverified and d26.probation_citation.article == "第三十一条"
    unchanged = [r for s in d26.steps for r in s.rules if (s.id, r.id) not in _diff(d14, d26)]
    assert unchanged and not any(r.citation.unverified for r in unchanged)


def test_cpc_2026_content(d26):
    assert d26.key == "cpc_2026@1" and d26.extends == "cpc_2014@1" and not d26.local
    assert d26.effective_from == date(2026, 5, 19)
    assert d26.roles["branch_meeting"] == "党支部党员大会"
    pn = rule(d26, "target_selection", "public_notice")
    assert (pn.params["working_days"], pn.citation.article) == (5, "第十三条")
    am = rule(d26, "admission_meeting", "due_within")
    assert (dict(am.params), am.citation.article) == ({"after": "pre_review", "months": 1}, "第十九条")
    aa = rule(d26, "admission_approval", "due_within")
    assert (aa.params["after"], aa.params["months"], aa.params["max_months"], aa.citation.article) == (
        "admission_meeting", 3, 6, "第二十五条")
    oath = rule(d26, "oath", "due_within")
    assert (dict(oath.params), oath.citation.article) == ({"after": "admission_approval", "months": 1}, "第二十九条")
    assert d26.step("pre_review").citation.article == "第十八条"
    assert rule(d26, "pre_review", "not_if").citation.article == "第十八条"
    assert d26.step("conversion_application").citation.article == "第三十一条"
    assert rule(d26, "conversion_application", "due_within").citation.article == "第三十一条"
    assert rule(d26, "conversion_meeting", "extension").citation.article == "第三十一条"
    assert rule(d26, "conversion_meeting", "not_before").citation.article == "第三十一条"
    assert rule(d26, "conversion_approval", "due_within").citation.article == "第三十三条"
    assert d26.step("archive").citation.article == "第三十六条"


# --- the township variant --------------------------------------------------------------------


def test_notice7_changes_only_the_notice(reg, d14):
    v = reg.get("cpc_2014_notice7@1")
    assert v.local and v.extends == "cpc_2014@1" and v.effective_from == d14.effective_from
    assert _diff(d14, v) == {("-", "id"), ("-", "title"), ("-", "extends"), ("-", "local"), ("target_selection", "public_notice")}
    pn = rule(v, "target_selection", "public_notice")
    assert pn.params["days"] == 7 and "working_days" not in pn.params
    assert (pn.citation.article, pn.citation.confidence) == ("", "L")


# --- registry --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, key",
    [
        (date(2014, 6, 10), "cpc_2014@3"),  # the third version of the rules: same date, highest version
        (date(2018, 3, 1), "cpc_2014@3"),
        (date(2026, 5, 10), "cpc_2014@3"),
        (date(2026, 5, 11), "cpc_2026@3"),  # 第四十四条: in force from its issue (中办 2026-05-11)
        (date(2026, 5, 19), "cpc_2026@3"),  # not @1, though @1 starts later: the highest version in force
        (date(2030, 1, 1), "cpc_2026@3"),
    ],
)
def test_for_date(reg, day, key):
    assert reg.for_date(day).key == key


def test_for_date_before_2014_is_an_error(reg):
    with pytest.raises(LookupError, match="2014-06-09.*2014-06-10"):
        reg.for_date(date(2014, 6, 9))


def test_for_date_with_a_township_variant(reg):
    variants = {"cpc_2014": "cpc_2014_notice7"}
    assert reg.for_date(date(2018, 3, 1), variants).key == "cpc_2014_notice7@2"  # its newest version
    assert reg.for_date(date(2026, 6, 1), variants).key == "cpc_2026@3"  # the variant patches 2014 only
    with pytest.raises(LookupError, match="乡镇变体"):
        reg.for_date(date(2018, 3, 1), {"cpc_2014": "cpc_2014_notice9"})
    with pytest.raises(LookupError, match="不是乡镇变体"):
        reg.for_date(date(2018, 3, 1), {"cpc_2014": "cpc_2026"})


def test_local_variants_are_never_chosen_by_date(reg):
    assert all(not reg.for_date(date(y, 1, 1)).local for y in range(2015, 2031))


def test_get_and_keys(reg):
    assert reg.keys() == ["cpc_2014@1", "cpc_2014@2", "cpc_2014@3", "cpc_2014_notice7@1", "cpc_2014_notice7@2",
                          "cpc_2014_thought_reports@1", "cpc_2026@1", "cpc_2026@2", "cpc_2026@3"]
    with pytest.raises(LookupError, match="未找到流程定义 cpc_2014@9"):
        reg.get("cpc_2014@9")
    assert reg.get("cpc_2026").key == "cpc_2026@3"


def test_default_is_loaded_once():
    assert Registry.default().get("cpc_2014@1") is Registry.default().get("cpc_2014@1")


def test_a_new_version_does_not_change_the_pinned_one(tmp_path: Path, reg):
    src = Path(default_paths()[0]).read_text(encoding="utf-8")
    assert "id: cpc_2014\nversion: 1" in src
    v4 = src.replace("version: 1", "version: 4", 1).replace("months: 1, remind_days: [7, 1]", "months: 2, remind_days: [7, 1]")
    (tmp_path / "cpc_2014_v4.yaml").write_text(v4, encoding="utf-8")
    paths = [tmp_path / "cpc_2014_v4.yaml", *reversed(default_paths())]  # any order: extends resolved
    r2 = Registry.from_paths(paths)
    for key in ("cpc_2014@1", "cpc_2014@2", "cpc_2014@3", "cpc_2026@1", "cpc_2026@2", "cpc_2026@3", "cpc_2014_notice7@1"):
        assert r2.get(key).sha256 == reg.get(key).sha256  # still extend what they extended
    assert rule(r2.get("cpc_2014@4"), "first_talk", "due_within").params["months"] == 2
    assert r2.for_date(date(2018, 3, 1)).key == "cpc_2014@4"  # same date, higher version
    assert r2.get("cpc_2014").key == "cpc_2014@4"


def test_add_refuses_to_change_a_published_version(reg, d14):
    r = Registry([d14])
    r.add(d14)  # the same content again is harmless
    v2 = Registry.from_paths(default_paths()).get("cpc_2014@1")
    r.add(v2)
    from dataclasses import replace

    with pytest.raises(ValueError, match="已发布的版本不能修改"):
        r.add(replace(d14, title="改过的标题", sha256="0" * 64))
    r.add(replace(d14, version=2, sha256="1" * 64))
    assert r.keys() == ["cpc_2014@1", "cpc_2014@2"]


def test_from_paths_collects_problems_of_every_file(tmp_path: Path):
    shutil.copy(default_paths()[0], tmp_path / "cpc_2014.yaml")
    (tmp_path / "broken.yaml").write_text("id: broken\nversion: 1\nextends: cpc_2014@1\nsteps:\n  oath:\n    actor: nobody\n",
                                          encoding="utf-8")
    (tmp_path / "orphan.yaml").write_text("id: orphan\nversion: 1\nextends: cpc_2099@1\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as e:
        Registry.from_paths(sorted(tmp_path.glob("*.yaml")))
    text = str(e.value)
    assert "broken.yaml:6: 步骤 oath 的 actor 引用了未定义的角色 nobody" in text
    assert "orphan.yaml:3: extends 引用了未知的定义 cpc_2099@1" in text


def test_the_documented_variants_load(reg, d14):
    """docs/definitions.md §4: no 公示 at all, or 公示 before admission instead."""
    from workflows import load_text

    no_notice = load_text(
        "id: x_no_notice\nversion: 1\nextends: cpc_2014@1\nlocal: true\nsteps:\n"
        "  target_selection:\n    rules: {public_notice: null}\n"
        "    evidence: {notice_start: {required: false}, notice_end: {required: false}}\n",
        "no_notice.yaml",
        reg.get,
    )
    assert [r.id for r in no_notice.step("target_selection").rules] == ["not_before"]
    assert not no_notice.step("target_selection").field("notice_start").required
    moved = load_text(
        "id: x_moved\nversion: 1\nextends: cpc_2014@1\nlocal: true\nsteps:\n"
        "  target_selection:\n    rules: {public_notice: null}\n"
        "    evidence: {notice_start: null, notice_end: null, objections: null}\n"
        "  admission_meeting:\n"
        "    evidence:\n"
        "      notice_start: {type: date, label: 公示开始日期}\n"
        "      notice_end: {type: date, label: 公示结束日期}\n"
        "      objections: {type: text, label: 公示期间反映的问题, required: false}\n"
        "    rules:\n"
        "      public_notice: {kind: public_notice, working_days: 5, start_field: notice_start, end_field: notice_end,\n"
        "                      objections_field: objections, article: '', confidence: L}\n",
        "moved.yaml",
        reg.get,
    )
    assert [r.id for r in moved.step("admission_meeting").rules] == ["vote", "public_notice"]
    assert moved.step("target_selection").field("notice_start") is None
    assert d14.step("target_selection").field("notice_start") is not None


def test_only_local_practice_is_labelled_local():
    """Steps 14, 19 and 20 are national steps whose article process.md does not give: never "本地规定"
    (that is for [L] rules such as the 2014 公示 and the archive week)."""
    from workflows.registry import Registry

    defn = Registry.default().get("cpc_2014@1")
    for number in (14, 19, 20):
        assert defn.steps[number - 1].citation.label() == "细则未标明条款"
    notice = next(r for r in defn.step("target_selection").rules if r.kind == "public_notice")
    assert notice.citation.label() == "本地规定"
    assert defn.step("target_selection").citation.label() == "细则第十三条"
