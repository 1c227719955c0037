"""Milestones: the dates reports count, derived from the state the engine folds."""
from __future__ import annotations

from datetime import date

from engine import CompleteStep, Exceptional, decide, milestones
from tests.helpers import TIMELINE, ctx, definition, evidence, walk


def test_each_stage_entry_dates_its_milestone():
    defn = definition()
    m = milestones(walk("archive", include=True), defn)
    assert m.applied_on == TIMELINE["application"]
    assert m.activist_on == TIMELINE["activist_selection"]
    assert m.target_on == TIMELINE["target_selection"]
    assert m.admitted_on == TIMELINE["admission_approval"]  # the township's approval (第二十四条)
    assert m.probation_from == TIMELINE["admission_meeting"]  # probation counts from the meeting (第三十二条)
    assert m.full_on == TIMELINE["conversion_approval"]
    assert m.ended_on is None and m.end_stage is None and m.extended_on is None


def test_probation_from_is_empty_until_admitted():
    """A branch meeting that has voted but is not yet approved is not yet a probation start."""
    m = milestones(walk("committee_talk", include=True), definition())
    assert m.admitted_on is None and m.probation_from is None and m.target_on == TIMELINE["target_selection"]


def test_extension_dates_its_meeting():
    defn = definition()
    state = walk("conversion_meeting")
    on = TIMELINE["conversion_meeting"]
    ev = dict(evidence("conversion_meeting", on), decision="extend", extension_months=6)
    state = decide(defn, state, CompleteStep("conversion_meeting", on, "测试", ev), ctx()).raise_if_refused().state
    m = milestones(state, defn)
    assert m.extended_on == on and m.full_on is None
    assert state.to_dict()["extended_on"] == on.isoformat()


def test_leaving_the_process_records_the_end_stage():
    defn = definition()
    state = walk("target_selection")
    on = date(2016, 9, 1)
    state = decide(defn, state, Exceptional("withdraw", on, "测试", "本人申请"), ctx()).raise_if_refused().state
    m = milestones(state, defn)
    assert (m.ended_on, m.end_stage) == (on, "withdrawn")
    assert m.activist_on == TIMELINE["activist_selection"]


def test_snapshot_without_extension_keeps_its_old_shape():
    """Snapshots written before `extended_on` existed must still equal their replay."""
    assert "extended_on" not in walk("oath").to_dict()


def test_span_of_an_open_candidacy_has_no_close():
    m = milestones(walk("committee_talk", include=True), definition())
    assert m.first_on == TIMELINE["application"] and m.closed_on is None


def test_span_closes_on_the_last_date_once_a_full_member():
    m = milestones(walk("archive", include=True), definition())
    assert m.first_on == TIMELINE["application"]
    assert m.closed_on == TIMELINE["conversion_approval"] == max(
        d for d in (m.applied_on, m.activist_on, m.target_on, m.admitted_on, m.probation_from, m.full_on) if d)


def test_span_closes_on_leaving_and_reopens_on_reconsideration():
    defn = definition()
    on = date(2016, 9, 1)
    state = decide(defn, walk("target_selection"), Exceptional("withdraw", on, "测试", "本人申请"), ctx()
                   ).raise_if_refused().state
    m = milestones(state, defn)
    assert m.closed_on == on and m.first_on == TIMELINE["application"]
