"""Completeness of a candidate's materials: what is due, present, stood in for, or missing, per step."""
from __future__ import annotations

from datetime import date

from engine import CompleteStep, Exceptional, decide
from engine.materials import (
    GENERATED,
    MISSING,
    NOT_DUE,
    OPTIONAL_MISSING,
    PRESENT,
    completeness,
)
from tests.helpers import ctx, definition, evidence, start, walk
from workflows.materials import catalogue_for


def statuses(c) -> dict[str, str]:
    return {s.material.id: s.status for r in c.rows for s in r.items}


def rows(c) -> list[str]:
    return [r.step for r in c.rows]


CAT = catalogue_for(definition("cpc_2014@2"))


def test_after_the_application_only_its_letter_is_due():
    state = start(definition("cpc_2014@2"))
    c = completeness(CAT, state, {})
    assert rows(c) == ["application", "first_talk"]  # done, and open next
    assert statuses(c) == {"application_letter": MISSING, "first_talk_record": NOT_DUE}
    assert [m.id for m in c.missing_required] == ["application_letter"]
    assert (c.required_due, c.required_present, c.percent, c.complete) == (1, 0, 0, False)
    full = completeness(CAT, state, {"application_letter": 1})
    assert statuses(full)["application_letter"] == PRESENT and full.rows[0].items[0].count == 1
    assert (full.percent, full.complete, full.missing_required) == (100, True, [])


def test_a_material_becomes_due_when_its_step_is_done():
    defn = definition("cpc_2014@2")
    before = walk("first_talk", defn)
    after = walk("first_talk", defn, include=True)
    assert statuses(completeness(CAT, before, {"application_letter": 1}))["first_talk_record"] == NOT_DUE
    c = completeness(CAT, after, {"application_letter": 1})
    assert statuses(c)["first_talk_record"] == MISSING
    assert (c.required_due, c.required_present, c.percent) == (2, 1, 50)


def test_a_generated_stand_in_counts_and_an_optional_item_does_not():
    state = walk("political_review", definition("cpc_2014@2"), include=True)
    c = completeness(CAT, state, {})
    st = statuses(c)
    assert st["target_filing_report"] == MISSING and st["political_review_inquiry"] == OPTIONAL_MISSING
    assert st["target_notice"] == OPTIONAL_MISSING  # 2014: no 公示 article
    stood = completeness(CAT, state, {}, frozenset({"target_filing_report"}))
    assert statuses(stood)["target_filing_report"] == GENERATED
    assert stood.required_present == c.required_present + 1 and stood.required_due == c.required_due
    assert "target_filing_report" not in {m.id for m in stood.missing_required}
    # an uploaded file wins over the stand-in
    assert statuses(completeness(CAT, state, {"target_filing_report": 2}, frozenset({"target_filing_report"})))[
        "target_filing_report"] == PRESENT


def test_a_material_is_due_when_the_step_that_needs_it_is_next():
    """The 培养考察登记表 (cultivation, never recorded here) is needed by the approval (第二十二条)."""
    defn = definition("cpc_2014@2")
    talk_next = walk("committee_talk", defn)
    approval_next = walk("admission_approval", defn)
    assert "cultivation" not in approval_next.done
    assert statuses(completeness(CAT, talk_next, {}))["cultivation_register"] == NOT_DUE
    assert statuses(completeness(CAT, approval_next, {}))["cultivation_register"] == MISSING


def test_everything_present_is_complete_and_the_percent_rounds_down():
    state = walk("archive", definition("cpc_2014@2"), include=True)
    c = completeness(CAT, state, {})
    required = {s.material.id for r in c.rows for s in r.items if s.due and s.material.required}
    assert "archive_index" in required and "extension_decision" not in required
    one_short = {mid: 1 for mid in required if mid != "archive_index"}
    partial = completeness(CAT, state, one_short)
    assert partial.required_present == len(required) - 1 and not partial.complete
    assert partial.percent == (len(required) - 1) * 100 // len(required) < 100
    assert completeness(CAT, state, {**one_short, "archive_index": 1}).complete


def test_an_extension_makes_its_decision_due_and_the_conversion_resolution_wait():
    """cpc_2014@2: the branch meeting's resolution to extend waits for the approval (党章第七条)."""
    defn = definition("cpc_2014@2")
    state = walk("conversion_meeting", defn)
    on = date(2018, 6, 20)
    d = decide(defn, state, CompleteStep("conversion_meeting", on, "测试",
                                         evidence("conversion_meeting", on, decision="extend", extension_months=6)), ctx())
    d.raise_if_refused()
    assert d.state.pending is not None and d.state.pending.decision == "extend"
    st = statuses(completeness(CAT, d.state, {}))
    assert st["extension_decision"] == MISSING
    assert "conversion_resolution" not in st and "cancellation_decision" not in st
    converting = statuses(completeness(CAT, walk("conversion_meeting", defn, include=True), {}))
    assert converting["conversion_resolution"] == MISSING and "extension_decision" not in converting


def test_a_cancellation_needs_its_decision_even_without_the_meeting_step():
    """An exceptional 取消预备党员资格 (cpc_2014@1) ends the candidate: its decision is due on file."""
    defn = definition("cpc_2014@1")
    cat = catalogue_for(defn)
    state = walk("conversion_application", defn)
    on = date(2017, 12, 1)
    d = decide(defn, state, Exceptional("cancel_probation", on, "测试", reason="违反党纪"), ctx()).raise_if_refused()
    c = completeness(cat, d.state, {})
    assert statuses(c)["cancellation_decision"] == MISSING
    assert "conversion_meeting" in rows(c) and "conversion_approval" not in rows(c)  # nothing is open any more
    assert "conversion_resolution" not in statuses(c)


def test_rows_cover_reached_steps_only():
    state = walk("target_selection", definition("cpc_2014@2"))
    r = rows(completeness(CAT, state, {}))
    assert "target_selection" in r and "cultivation" in r  # open
    assert "political_review" not in r and "archive" not in r  # ahead
    assert "mentors_assigned" not in r  # reached, but the list names no material for it
    early_upload = completeness(CAT, state, {"oath_record": 1})
    assert "oath" in rows(early_upload) and statuses(early_upload)["oath_record"] == PRESENT


def test_a_block_material_blocks_only_while_a_step_that_needs_it_is_ahead():
    """南川乡's list: a missing 政审结论 stops 预审 and 审批; once both are done (a file lost, or the
    list chosen after the fact) it is still missing, but nothing is left for it to stop."""
    from workflows.materials import catalogue_for

    defn = definition("cpc_2014@2")
    town = catalogue_for(defn, "nanchuan_thought_reports")
    before = completeness(town, walk("pre_review", defn), {})
    assert "political_review_conclusion" in [m.id for m in before.blocking]
    between = completeness(town, walk("admission_approval", defn), {})  # 预审 done, 审批 next
    assert "political_review_conclusion" in [m.id for m in between.blocking]
    after = completeness(town, walk("admission_approval", defn, include=True), {})
    assert "political_review_conclusion" in [m.id for m in after.missing_required]
    assert after.blocking == []
    assert completeness(CAT, walk("pre_review", defn), {}).blocking == []  # the national list only warns
