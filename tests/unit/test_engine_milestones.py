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


# ------------------------------------------------------------------ branch history (transfers)

def _ev(seq, kind, on, **evidence):
    from datetime import datetime

    from engine import Event
    return Event(seq, kind, on, datetime(2026, 1, 1), "书记", "application" if seq == 1 else None, evidence)


def test_no_transfer_means_one_branch_since_the_application():
    from engine import branch_history
    assert branch_history([_ev(1, "step", date(2017, 3, 1), received_by=3)]) == ([], None)


def test_each_transfer_closes_a_tenure_of_the_branch_left():
    from engine import Tenure, branch_history
    events = [_ev(1, "step", date(2017, 3, 1), received_by=3),
              _ev(2, "transfer", date(2018, 6, 1), from_branch_id=3, to_branch_id=5),
              _ev(3, "transfer", date(2019, 2, 10), from_branch_id=5, to_branch_id=7)]
    past, since = branch_history(events)
    assert past == [Tenure(3, None, date(2018, 6, 1)), Tenure(5, date(2018, 6, 1), date(2019, 2, 10))]
    assert since == date(2019, 2, 10)


def test_a_voided_or_corrected_transfer_counts_as_the_log_now_says():
    from engine import Tenure, branch_history, effective_events
    from engine.state import Event
    from datetime import datetime
    log = [_ev(1, "step", date(2017, 3, 1), received_by=3),
           _ev(2, "transfer", date(2018, 6, 1), from_branch_id=3, to_branch_id=5)]
    corrected = Event(3, "correct", date(2018, 5, 20), datetime(2026, 1, 2), "书记", None,
                      {"from_branch_id": 3, "to_branch_id": 6}, supersedes=2, reason="日期有误")
    assert branch_history(effective_events([*log, corrected])) == ([Tenure(3, None, date(2018, 5, 20))], date(2018, 5, 20))
    voided = Event(3, "void", date(2018, 6, 1), datetime(2026, 1, 2), "书记", None, {}, supersedes=2, reason="误录")
    assert branch_history(effective_events([*log, voided])) == ([], None)
