"""cpc_2014@2 / cpc_2026@2: resolutions wait for the higher committee (党章第七条), and the
half-yearly duties count by half-year (第十一条, 第三十二条). @1 keeps its own rules."""
from datetime import date
from pathlib import Path

import pytest

from engine import CompleteStep, decide
from engine.apply import replay
from engine.timing import anchor_date, outlook
from engine.process import process_for
from tests.helpers import CAL, ctx, definition, evidence, messages, walk

V1, V2 = "cpc_2014@1", "cpc_2014@2"


def record(defn, state, step, on, events=None, **overrides):
    d = decide(defn, state, CompleteStep(step, on, "测试", evidence(step, on, **overrides)), ctx())
    d.raise_if_refused()
    if events is not None:
        events.append(d.event)
    return d


def due_of(defn, state, step):
    return next((o for o in outlook(process_for(defn), state, CAL) if o.step.id == step), None)


def probation_end(defn, state):
    return anchor_date(process_for(defn), state, "probation_end")


# --- half-yearly duties, by half-year ------------------------------------------------------------

SELECTED = date(2017, 3, 10)


def activist(key):
    dates = {"application": date(2016, 12, 1), "first_talk": date(2016, 12, 20), "activist_selection": SELECTED}
    return definition(key), walk("activist_selection", definition(key), dates, include=True)


def test_two_entries_in_one_half_year_do_not_cover_the_next():
    """The issue's case: entries on 04-01 and 05-01 both fall in the first half-year after
    selection on 2017-03-10, so the second half-year's assessment is due 2018-03-10."""
    defn, s = activist(V2)
    for on in (date(2017, 4, 1), date(2017, 5, 1)):
        s = record(defn, s, "cultivation", on).state
    assert due_of(defn, s, "cultivation").recurring.date == date(2018, 3, 10)


def test_version_1_still_counts_entries():
    defn, s = activist(V1)
    for on in (date(2017, 4, 1), date(2017, 5, 1)):
        s = record(defn, s, "cultivation", on).state
    assert due_of(defn, s, "cultivation").recurring.date == date(2018, 9, 10)


@pytest.mark.parametrize("on, next_due", [
    (date(2017, 9, 10), date(2018, 3, 10)),  # the last day of the first half-year: covers it
    (date(2017, 9, 11), date(2018, 9, 10)),  # the first day of the second: covers the second
])
def test_an_entry_covers_the_half_year_it_falls_in(on, next_due):
    defn, s = activist(V2)
    s = record(defn, s, "cultivation", on).state
    assert due_of(defn, s, "cultivation").recurring.date == next_due


@pytest.mark.parametrize("on, late", [(date(2017, 9, 10), False), (date(2017, 9, 11), True)])
def test_the_first_assessment_is_late_after_the_half_year(on, late):
    defn, s = activist(V2)
    d = record(defn, s, "cultivation", on)
    assert d.event.late is late
    assert ("最迟应于 2017-09-10（含当日）完成" in "；".join(d.warnings)) is late


def test_an_earlier_entry_recorded_later_does_not_move_the_coverage_back():
    defn, s = activist(V2)
    s = record(defn, s, "cultivation", date(2017, 10, 1)).state  # second half-year
    s = record(defn, s, "cultivation", date(2017, 8, 1)).state  # a first half-year entry entered late
    assert due_of(defn, s, "cultivation").recurring.date == date(2018, 9, 10)


def test_probation_education_counts_by_half_year():
    defn = definition(V2)
    s = walk("admission_approval", defn, include=True)  # branch meeting 2017-06-20
    for on in (date(2017, 8, 1), date(2017, 9, 1)):
        s = record(defn, s, "probation_education", on).state
    assert due_of(defn, s, "probation_education").recurring.date == date(2018, 6, 20)
    s1 = walk("admission_approval", definition(V1), include=True)
    for on in (date(2017, 8, 1), date(2017, 9, 1)):
        s1 = record(definition(V1), s1, "probation_education", on).state
    assert due_of(definition(V1), s1, "probation_education").recurring.date == date(2018, 12, 20)


# --- resolutions wait for the higher committee -----------------------------------------------------

MEETING = date(2018, 6, 20)


def at_conversion(key=V2):
    defn = definition(key)
    events = []
    s = walk("conversion_meeting", defn, events=events)
    return defn, s, events


def test_an_extension_waits_for_approval_then_moves_the_probation_end():
    defn, s, events = at_conversion()
    before = probation_end(defn, s)
    d = record(defn, s, "conversion_meeting", MEETING, events, decision="extend", extension_months=6)
    s = d.state
    assert (s.stage, s.extensions, s.pending.decision, s.pending.months) == ("probationary", 0, "extend", 6)
    assert probation_end(defn, s) == before  # nothing changes before the approval
    assert "报上级党委审批" in "；".join(d.warnings)
    nxt = due_of(defn, s, "conversion_approval")
    assert nxt is not None and nxt.due.date == date(2018, 9, 20)  # within 3 months of the meeting
    d = record(defn, s, "conversion_approval", date(2018, 7, 10), events, approved=True)
    s = d.state
    assert (s.stage, s.extensions, s.extension_months, s.pending) == ("probationary", 1, 6, None)
    assert probation_end(defn, s) == date(2018, 12, 20)
    assert s.extended_on == date(2018, 7, 10)  # takes effect on the approval
    assert "conversion_meeting" not in s.done and "conversion_application" not in s.done
    assert "conversion_approval" not in s.done
    assert "延长预备期 6 个月" in "；".join(d.warnings)
    assert replay(events, definition, CAL).to_dict() == s.to_dict()


def test_a_refused_extension_leaves_the_probation_as_it_was():
    defn, s, events = at_conversion()
    before = probation_end(defn, s)
    s = record(defn, s, "conversion_meeting", MEETING, events, decision="extend", extension_months=6).state
    d = record(defn, s, "conversion_approval", date(2018, 7, 10), events, approved=False)
    s = d.state
    assert (s.stage, s.extensions, s.pending) == ("probationary", 0, None)
    assert probation_end(defn, s) == before
    assert "conversion_meeting" not in s.done and "conversion_application" in s.done  # the meeting decides again
    assert "不批准" in "；".join(d.warnings)
    s = record(defn, s, "conversion_meeting", date(2018, 7, 20), events).state  # now resolves to convert
    s = record(defn, s, "conversion_approval", date(2018, 8, 1), events, approved=True).state
    assert s.stage == "full_member"
    assert replay(events, definition, CAL).to_dict() == s.to_dict()


def test_a_cancellation_takes_effect_only_on_approval():
    defn, s, events = at_conversion()
    s = record(defn, s, "conversion_meeting", MEETING, events, decision="cancel").state
    assert s.stage == "probationary" and s.ended_on is None
    s = record(defn, s, "conversion_approval", date(2018, 7, 10), events, approved=True).state
    assert (s.stage, s.ended_on) == ("probation_cancelled", date(2018, 7, 10))
    assert replay(events, definition, CAL).to_dict() == s.to_dict()


def test_a_second_extension_is_refused_after_the_first_was_approved():
    defn, s, _ = at_conversion()
    s = record(defn, s, "conversion_meeting", MEETING, decision="extend", extension_months=6).state
    s = record(defn, s, "conversion_approval", date(2018, 7, 10), approved=True).state
    s = record(defn, s, "conversion_application", date(2018, 12, 20)).state
    d = decide(defn, s, CompleteStep("conversion_meeting", date(2018, 12, 20), "测试",
                                     evidence("conversion_meeting", date(2018, 12, 20), decision="extend",
                                              extension_months=6)), ctx())
    assert not d.ok and "只能延长1次" in messages(d)


def test_version_1_extends_at_the_meeting():
    defn, s, _ = at_conversion(V1)
    s = record(defn, s, "conversion_meeting", MEETING, decision="extend", extension_months=6).state
    assert (s.extensions, s.pending) == (1, None)


def test_conversion_approval_due_date_and_stage():
    defn, s, _ = at_conversion()
    s = record(defn, s, "conversion_meeting", MEETING).state
    assert s.pending.decision == "convert" and s.stage == "probationary"
    s = record(defn, s, "conversion_approval", date(2018, 9, 21), approved=True).state  # a day late
    assert s.stage == "full_member" and s.late["conversion_approval"] == date(2018, 9, 20)


def test_the_2026_version_has_the_same_resolution_rule():
    defn = definition("cpc_2026@2")
    assert defn.step("conversion_meeting").outcome.approved_by == "conversion_approval"
    assert defn.step("cultivation").rules[0].params["periods"] == "from_anchor"


# --- cpc_2026@2: the revision's text --------------------------------------------------------------

def activist_2026():
    defn = definition("cpc_2026@2")
    dates = {"application": date(2026, 5, 20), "first_talk": date(2026, 6, 1), "activist_selection": date(2026, 6, 10),
             "activist_filing": date(2026, 6, 12), "mentors_assigned": date(2026, 6, 12)}
    s = walk("mentors_assigned", defn, dates, include=True)
    return defn, s


def test_2026_the_higher_committee_agrees_before_the_notice():
    """第十三条 (2026): 报上级党委同意 comes before the 公示 and the listing as development target."""
    defn, s = activist_2026()
    early = decide(defn, s, CompleteStep("target_selection", date(2027, 6, 20), "测试",
                                         evidence("target_selection", date(2027, 6, 20))), ctx(today=date(2027, 12, 1)))
    assert not early.ok and "报上级党委同意" in messages(early)
    before = decide(defn, s, CompleteStep("target_filing", date(2027, 6, 9), "测试", {}), ctx(today=date(2027, 12, 1)))
    assert not before.ok and "最早可于 2027-06-10" in messages(before)
    agreed = decide(defn, s, CompleteStep("target_filing", date(2027, 6, 10), "测试", {}), ctx(today=date(2027, 12, 1)))
    assert agreed.ok, messages(agreed)
    assert agreed.state.stage == "activist"
    listed = decide(defn, agreed.state, CompleteStep("target_selection", date(2027, 6, 20), "测试",
                                                      evidence("target_selection", date(2027, 6, 20))),
                    ctx(today=date(2027, 12, 1)))
    assert listed.ok, messages(listed)
    assert listed.state.stage == "development_target"


def test_2026_citations_come_from_the_text():
    defn = definition("cpc_2026@2")
    assert defn.effective_from == date(2026, 5, 11)
    rules = {r.id: r for r in defn.step("conversion_meeting").rules}
    assert rules["vote"].citation.article == "第三十二条" and not rules["vote"].citation.unverified
    assert defn.step("probation_education").rules[0].citation.confidence == "L"
    assert all(not r.citation.unverified for s in defn.steps for r in s.rules)


# --- moving candidates from @1 -------------------------------------------------------------------

from engine import Migrate  # noqa: E402


def migrate(defn, state, events, on=date(2018, 7, 1)):
    d = decide(defn, state, Migrate(V2, on, "测试", "乡镇党委决定按第2版规则办理"), ctx(), history=events, resolve=definition)
    d.raise_if_refused()
    events.append(d.event)
    return d


@pytest.mark.parametrize("resolved, pending, undo", [
    ({"decision": "extend", "extension_months": 6}, "extend", "extend"),
    ({"decision": "cancel"}, "cancel", "cancel"),
    ({}, "convert", None),
])
def test_a_resolution_carried_out_under_v1_waits_for_approval_after_migration(resolved, pending, undo):
    defn, s, events = at_conversion(V1)
    before = probation_end(defn, s)
    s = record(defn, s, "conversion_meeting", MEETING, events, **resolved).state
    d = migrate(defn, s, events)
    s = d.state
    assert (s.definition_key, s.stage, s.pending.decision, s.extensions) == (V2, "probationary", pending, 0)
    assert d.event.evidence.get("undo") == undo
    assert {"conversion_meeting", "conversion_application"} <= s.done.keys()
    assert probation_end(definition(V2), s) == before and s.ended_on is None
    assert "待审批" in "；".join(d.warnings)
    assert replay(events, definition, CAL).to_dict() == s.to_dict()
    s = record(definition(V2), s, "conversion_approval", date(2018, 7, 10), events, approved=False).state
    assert (s.stage, s.pending, s.extensions) == ("probationary", None, 0)
    assert "conversion_meeting" not in s.done
    assert replay(events, definition, CAL).to_dict() == s.to_dict()


def test_a_migration_with_nothing_resolved_carries_nothing():
    defn, s, events = at_conversion(V1)
    d = migrate(defn, s, events, on=date(2018, 6, 1))
    assert d.state.pending is None and "undo" not in d.event.evidence and "pending" not in d.event.evidence


def test_an_extension_already_followed_by_a_new_meeting_is_not_pending():
    defn, s, events = at_conversion(V1)
    s = record(defn, s, "conversion_meeting", MEETING, events, decision="extend", extension_months=6).state
    s = record(defn, s, "conversion_application", date(2018, 12, 20), events).state
    s = record(defn, s, "conversion_meeting", date(2018, 12, 21), events).state  # converts
    s = record(defn, s, "conversion_approval", date(2019, 1, 5), events, approved=True).state
    assert s.stage == "full_member"
    d = decide(defn, s, Migrate(V2, date(2019, 2, 1), "测试", "决定"), ctx(), history=events, resolve=definition)
    assert d.ok and d.state.pending is None and d.state.stage == "full_member"  # decided and approved: nothing waits


def test_an_older_cancellation_is_not_reopened_by_migration():
    defn, s, events = at_conversion(V1)
    s = record(defn, s, "conversion_meeting", MEETING, events, decision="cancel").state
    events_after = [*events]
    d = decide(defn, s, Migrate(V2, date(2018, 7, 1), "测试", "决定"), ctx(), history=events_after, resolve=definition)
    assert d.ok and d.state.stage == "probationary"  # the cancellation was the last act: it now waits


# --- a township's own rhythm: 思想汇报 every calendar quarter (workflows/local) ---------------------

def test_a_township_variant_asks_for_a_thought_report_each_quarter():
    defn, s = activist("cpc_2014_thought_reports@1")
    first = due_of(defn, s, "thought_report").recurring
    assert first.date == date(2017, 6, 30)  # the first whole quarter after selection on 2017-03-10
    assert first.rule.params["remind_days"] == (7,)
    s = record(defn, s, "thought_report", date(2017, 3, 20), received_by="支部书记").state  # early: counts for Q2
    assert due_of(defn, s, "thought_report").recurring.date == date(2017, 9, 30)
    late = record(defn, s, "thought_report", date(2017, 10, 1), received_by="支部书记")
    assert late.event.late  # Q3 was missed; this one covers Q4
    assert due_of(defn, late.state, "thought_report").recurring.date == date(2018, 3, 31)


@pytest.mark.parametrize("every, ok", [(3, True), (6, True), (5, False)])
def test_calendar_periods_must_divide_the_year(every, ok):
    from workflows.loader import DefinitionError, load_text

    text = (Path(__file__).parents[2] / "workflows/local/cpc_2014_thought_reports.yaml").read_text(encoding="utf-8")
    text = text.replace("every_months: 3", f"every_months: {every}")
    try:
        load_text(text, "t.yaml", definition)
        assert ok
    except DefinitionError as e:
        assert not ok and "every_months 须能整除 12" in str(e.problems)


@pytest.mark.parametrize("resolved, article, label", [
    ({}, "第三十四条", "细则第三十四条"),  # the text's 3 months are for a conversion
    ({"decision": "extend", "extension_months": 6}, "", "本地规定"),  # the same 3 months, local practice
    ({"decision": "cancel"}, "", "本地规定"),
])
def test_the_approval_deadline_cites_what_sets_it(resolved, article, label):
    defn, s, _ = at_conversion()
    s = record(defn, s, "conversion_meeting", MEETING, **resolved).state
    due = due_of(defn, s, "conversion_approval").due
    assert due.date == date(2018, 9, 20) and due.rule.citation.article == article
    late = record(defn, s, "conversion_approval", date(2018, 9, 21), approved=True)
    assert f"最迟应于 2018-09-20（含当日）完成（{label}）" in "；".join(late.warnings)


@pytest.mark.parametrize("start, ok", [(date(2027, 6, 9), False), (date(2027, 6, 10), True)])
def test_2026_the_notice_starts_after_the_higher_committee_agreed(start, ok):
    """第十三条 (2026): 报上级党委同意 …的，进行公示 — a notice begun before the agreement is refused."""
    defn, s = activist_2026()
    s = decide(defn, s, CompleteStep("target_filing", date(2027, 6, 10), "测试", {}), ctx(today=date(2027, 12, 1))).state
    on = date(2027, 6, 30)
    ev = evidence("target_selection", on, notice_start=start.isoformat(),
                  notice_end=CAL.add_working_days(start, 5).date.isoformat())
    d = decide(defn, s, CompleteStep("target_selection", on, "测试", ev), ctx(today=date(2027, 12, 1)))
    assert d.ok is ok, messages(d)
    if not ok:
        assert "公示开始日期 2027-06-09 早于“报上级党委同意”的日期 2027-06-10" in messages(d) and "第十三条" in messages(d)


# --- corrections and voids after the township decided (engine/later_records.py) ---------------------

from engine import Correct, Void  # noqa: E402


def _seq(events, step):
    return max(e.seq for e in events if e.step == step and e.kind == "step")


def test_moving_the_meeting_after_its_approval_is_flagged():
    defn, s, events = at_conversion()
    s = record(defn, s, "conversion_meeting", MEETING, events, decision="extend", extension_months=6).state
    s = record(defn, s, "conversion_approval", date(2018, 7, 10), events, approved=True).state
    d = decide(defn, s, Correct(_seq(events, "conversion_meeting"), "测试", "日期录错", occurred_on=date(2018, 7, 15)),
               ctx(), history=events, resolve=definition)
    assert d.ok
    text = "；".join(d.warnings)
    assert "“上级党委审批”（2018-07-10）早于其前置步骤“支部大会讨论转正”的日期 2018-07-15" in text
    assert "须报上级党委审批" not in text  # it was approved: the log says so
    assert any(f.step == "conversion_approval" and f.rule == "date.order" for f in d.findings)


def test_voiding_an_approval_that_later_records_rest_on_is_refused():
    defn, s, events = at_conversion()
    s = record(defn, s, "conversion_meeting", MEETING, events, decision="extend", extension_months=6).state
    s = record(defn, s, "conversion_approval", date(2018, 7, 10), events, approved=True).state
    s = record(defn, s, "conversion_application", date(2018, 12, 20), events).state
    s = record(defn, s, "conversion_meeting", date(2018, 12, 21), events, decision="cancel").state
    s = record(defn, s, "conversion_approval", date(2019, 1, 5), events, approved=True).state
    first_approval = min(e.seq for e in events if e.step == "conversion_approval")
    d = decide(defn, s, Void(first_approval, "测试", "误录"), ctx(), history=events, resolve=definition)
    assert not d.ok and "会成为重复办理" in messages(d) and "支部大会讨论转正" in messages(d)
    last = _seq(events, "conversion_approval")  # the last record can be voided: nothing rests on it
    assert decide(defn, s, Void(last, "测试", "误录"), ctx(), history=events, resolve=definition).ok


def test_moving_the_anchor_after_an_assessment_is_flagged():
    defn, s = activist(V2)
    events = []
    s = walk("activist_selection", defn, {"application": date(2016, 12, 1), "first_talk": date(2016, 12, 20),
                                          "activist_selection": SELECTED}, include=True, events=events)
    s = record(defn, s, "cultivation", date(2017, 4, 1), events).state
    sel = _seq(events, "activist_selection")
    d = decide(defn, s, Correct(sel, "测试", "日期录错", occurred_on=date(2017, 4, 15)), ctx(), history=events,
               resolve=definition)
    assert d.ok and "“培养教育考察”（2017-04-01）早于其前置步骤“推荐和确定入党积极分子”的日期 2017-04-15" in "；".join(d.warnings)


@pytest.mark.parametrize("second, late", [(date(2017, 5, 1), None), (date(2017, 9, 11), date(2017, 9, 10))])
def test_lateness_does_not_depend_on_the_order_entries_are_typed(second, late):
    """12-01 first (the first half-year looks missed), then 05-01: that half-year was covered; an
    entry in the second half-year (09-11) does not cover the first."""
    defn, s = activist(V2)
    s = record(defn, s, "cultivation", date(2017, 12, 1)).state
    assert s.late["cultivation"] == date(2017, 9, 10)
    s = record(defn, s, "cultivation", second).state
    assert s.late.get("cultivation") == late


# --- reasons kept in the log follow the free-text rule (engine/input_policy.py) ----------------------

from engine import Exceptional  # noqa: E402


@pytest.mark.parametrize("reason, ok", [("本人书面申请撤回", True), ("x" * 2000, True), ("x" * 2001, False),
                                        ("原因\u202e倒过来", False), ("原因\x1b[31m红", False)])
def test_a_reason_is_checked_like_evidence_text(reason, ok):
    defn, s = activist(V2)
    d = decide(defn, s, Exceptional("withdraw", date(2017, 4, 1), "测试", reason=reason), ctx())
    assert d.ok is ok, messages(d)
    if not ok:
        assert messages(d).startswith("原因")
