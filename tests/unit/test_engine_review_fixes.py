"""Reviewer findings on the engine: each rule tested on both sides."""
import importlib
from dataclasses import replace
from datetime import date

import pytest

from engine import Correct, Exceptional, Migrate, Void, decide, replay
from engine.apply import CANCEL, DONE, EXTEND, REJECT, STAY, outcome_effect
from engine.evidence import people_ids
from tests.helpers import CAL, attempt, ctx, definition, evidence, messages, walk


def resolve(key):
    return definition(key)


def step(sid, key="cpc_2014@1"):
    return definition(key).step(sid)


# -- people_ids -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "sid, ev, ids",
    [
        ("sponsors", {"sponsors": "201,202"}, [201, 202]),
        ("sponsors", {"sponsors": "201、202"}, [201, 202]),
        ("sponsors", {"sponsors": " 201 ，202 "}, [201, 202]),
        ("sponsors", {"sponsors": [201, "202"]}, [201, 202]),  # normalised or JSON
        ("sponsors", {"sponsors": "201,abc,-3,,202"}, [201, 202]),  # unparseable parts ignored
        ("sponsors", {"sponsors": "201,201"}, [201]),
        ("sponsors", {}, []),
        ("mentors_assigned", {"mentors": "101 102"}, [101, 102]),
        ("first_talk", {"talker": "支部书记"}, []),  # text, not a person
    ],
)
def test_people_ids(sid, ev, ids):
    assert people_ids(step(sid), ev) == ids


# -- 1. a correction re-checks the guards of later steps -------------------------------------------

def _corrected_activist(new_date):
    events = []
    state = walk("target_filing", dates={"activist_selection": date(2017, 3, 10), "target_selection": date(2018, 3, 12)},
                 events=events)
    act = next(e for e in events if e.step == "activist_selection")
    return decide(definition(), state, Correct(act.seq, "t", "日期录错", occurred_on=new_date), ctx(),
                  history=events, resolve=resolve)


def test_correction_that_makes_a_later_step_too_early_warns_with_its_article():
    d = _corrected_activist(date(2017, 4, 1))  # target_selection 2018-03-12 is now < 1 year after it
    assert d.ok, messages(d)  # history is history: recorded, flagged
    hits = [w for w in d.warnings if w.startswith("合规提示") and "确定发展对象" in w and "第十三条" in w]
    assert hits and "2018-04-01" in hits[0]


def test_correction_that_keeps_later_steps_lawful_does_not_warn():
    d = _corrected_activist(date(2017, 3, 1))
    assert d.ok and not [w for w in d.warnings if w.startswith("合规提示")], d.warnings


def test_later_step_breaches_that_predate_the_correction_are_not_repeated():
    events = []
    state = walk("target_filing", dates={"activist_selection": date(2017, 3, 10), "target_selection": date(2018, 3, 12)},
                 events=events)
    act = next(e for e in events if e.step == "activist_selection")
    first = decide(definition(), state, Correct(act.seq, "t", "日期录错", occurred_on=date(2017, 4, 1)), ctx(),
                   history=events, resolve=resolve)
    history = [*events, first.event]
    talk = next(e for e in events if e.step == "first_talk")
    again = decide(definition(), first.state, Correct(talk.seq, "t", "谈话人录错", evidence={"talker": "副书记"}), ctx(),
                   history=history, resolve=resolve)
    assert again.ok and not [w for w in again.warnings if "第十三条" in w], again.warnings


# -- 2. corrections of exceptional events ---------------------------------------------------------

def _transferred():
    events = []
    s = walk("first_talk", events=events)
    d = decide(definition(), s, Exceptional("transfer", date(2016, 3, 20), "t", reason="工作调动", to_branch_id=2), ctx())
    return [*events, d.event], d.state


@pytest.mark.parametrize("value", ["abc", "", "0", "-1", 1.5, None, True])
def test_transfer_correction_refuses_bad_branch_ids(value):
    events, state = _transferred()
    d = decide(definition(), state, Correct(events[-1].seq, "t", "录错", evidence={"to_branch_id": value}), ctx(),
               history=events, resolve=resolve)
    assert not d.ok and "转入党支部" in messages(d)


def test_transfer_correction_accepts_a_branch_id_and_replays():
    events, state = _transferred()
    d = decide(definition(), state, Correct(events[-1].seq, "t", "录错", evidence={"to_branch_id": "3"}), ctx(),
               history=events, resolve=resolve)
    assert d.ok, messages(d)
    assert d.state.branch_id == 3 and d.event.evidence["to_branch_id"] == 3
    assert replay([*events, d.event], resolve, CAL).to_dict() == d.state.to_dict()


def test_transfer_correction_to_the_branch_it_left_is_refused():
    events, state = _transferred()
    d = decide(definition(), state, Correct(events[-1].seq, "t", "录错", evidence={"to_branch_id": 1}), ctx(),
               history=events, resolve=resolve)
    assert not d.ok and "相同" in messages(d)


def test_exceptional_correction_refuses_foreign_keys_but_takes_a_date():
    events, state = _transferred()
    bad = decide(definition(), state, Correct(events[-1].seq, "t", "录错", evidence={"talker": "x"}), ctx(),
                 history=events, resolve=resolve)
    assert not bad.ok and "没有“talker”" in messages(bad)
    events = []
    s = walk("first_talk", events=events)
    w = decide(definition(), s, Exceptional("withdraw", date(2016, 4, 1), "t", reason="本人申请"), ctx())
    history = [*events, w.event]
    bad = decide(definition(), w.state, Correct(w.event.seq, "t", "录错", evidence={"to_branch_id": 2}), ctx(),
                 history=history, resolve=resolve)
    assert not bad.ok and "只能更正日期" in messages(bad)
    ok = decide(definition(), w.state, Correct(w.event.seq, "t", "录错", occurred_on=date(2016, 4, 2)), ctx(),
                history=history, resolve=resolve)
    assert ok.ok and ok.state.ended_on == date(2016, 4, 2)


def test_migrate_events_cannot_be_corrected():
    events = []
    s = walk("first_talk", events=events)
    m = decide(definition(), s, Migrate("cpc_2026@1", date(2026, 6, 1), "乡党委", "党委会决定"), ctx(),
               history=events, resolve=resolve)
    history = [*events, m.event]
    d = decide(definition("cpc_2026@1"), m.state, Correct(m.event.seq, "t", "录错", occurred_on=date(2026, 6, 2)), ctx(),
               history=history, resolve=resolve)
    assert not d.ok and "再登记一次迁移" in messages(d)


def test_application_correction_keeps_an_integer_receiving_branch():
    events = []
    s = walk("first_talk", events=events)
    bad = decide(definition(), s, Correct(1, "t", "录错", evidence={"received_by": "abc"}), ctx(),
                 history=events, resolve=resolve)
    assert not bad.ok and "接收党组织" in messages(bad)
    gone = decide(definition(), s, Correct(1, "t", "录错", evidence={"received_by": ""}), ctx(),
                  history=events, resolve=resolve)
    assert not gone.ok and "接收党组织" in messages(gone)
    ok = decide(definition(), s, Correct(1, "t", "录错", occurred_on=date(2016, 2, 28)), ctx(),
                history=events, resolve=resolve)
    assert ok.ok and ok.state.branch_id == 1


# -- 5. reopened steps forget that they were late -------------------------------------------------

def _extended(application_on):
    s = walk("conversion_application", dates={"admission_meeting": date(2017, 6, 20)})  # probation ends 2018-06-20
    late = attempt(s, "conversion_application", application_on).raise_if_refused().state
    meeting = attempt(late, "conversion_meeting", date(2018, 7, 5), decision="extend", extension_months=6)
    return late, meeting.raise_if_refused().state


def test_extension_forgets_a_late_conversion_application():
    late, extended = _extended(date(2018, 7, 1))
    assert "conversion_application" in late.late
    assert "conversion_application" not in extended.done and "conversion_application" not in extended.late
    again = attempt(extended, "conversion_application", date(2018, 12, 10)).raise_if_refused()
    assert not again.event.late and "conversion_application" not in again.state.late


def test_a_late_application_after_the_extension_is_still_late():
    _, extended = _extended(date(2018, 7, 1))
    again = attempt(extended, "conversion_application", date(2019, 1, 10)).raise_if_refused()
    assert again.event.late and "conversion_application" in again.state.late


def test_reconsider_forgets_late_flags_of_reopened_steps():
    s = walk("admission_meeting")
    rejected = attempt(s, "admission_meeting", date(2017, 6, 20), vote=dict(
        should_attend=20, present=15, yes=9, no=6, abstain=0, written=0)).state
    reopened = definition().reconsider_reopens
    assert reopened
    rejected = replace(rejected, late={**rejected.late, reopened[0]: date(2017, 1, 1)})
    back = decide(definition(), rejected, Exceptional("reconsider", date(2018, 1, 5), "t", reason="再次讨论"), ctx()).state
    assert reopened[0] not in back.late


# -- 6. one citation in the conversion-meeting message ----------------------------------------------

@pytest.mark.parametrize("key, article, other", [("cpc_2014@1", "第三十二条", "第三十三条"),
                                                 ("cpc_2026@1", "第三十一条", "第三十二条")])
def test_conversion_meeting_too_early_cites_the_probation_article_once(key, article, other):
    s = walk("conversion_meeting", defn=definition(key), dates={"admission_meeting": date(2017, 6, 20)})
    d = attempt(s, "conversion_meeting", date(2018, 6, 19), defn=definition(key))
    text = messages(d)
    assert not d.ok and text.count("细则") == 1 and text.count(article) == 1 and other not in text, text
    assert attempt(s, "conversion_meeting", date(2018, 6, 20), defn=definition(key)).ok


# -- 8. migration: dates and end states ----------------------------------------------------------

@pytest.mark.parametrize(
    "on, text",
    [(date(2026, 12, 1), "晚于今天"), (date(2016, 2, 1), "迁移的日期 2016-02-01 早于“递交入党申请书”"), (date(2026, 6, 1), ""),
     # a version governs nothing before it is in force: cpc_2026 from 2026-05-19
     (date(2026, 5, 18), "自 2026-05-19 起施行，迁移日期 2026-05-18 早于施行日期"), (date(2026, 5, 19), ""),
     (date(2026, 5, 20), "")],
)
def test_migration_dates(on, text):
    events = []
    s = walk("first_talk", events=events)
    d = decide(definition(), s, Migrate("cpc_2026@1", on, "乡党委", "党委会决定"), ctx(), history=events, resolve=resolve)
    assert d.ok is (text == ""), messages(d)
    assert text in messages(d)


def test_ended_candidate_cannot_be_migrated():
    events = []
    s = walk("first_talk", events=events)
    w = decide(definition(), s, Exceptional("withdraw", date(2016, 4, 1), "t", reason="本人申请"), ctx())
    d = decide(definition(), w.state, Migrate("cpc_2026@1", date(2026, 6, 1), "乡党委", "党委会决定"), ctx(),
               history=[*events, w.event], resolve=resolve)
    assert not d.ok and "不能迁移" in messages(d)


# -- 9. exceptional paths are not dated before the latest recorded step -----------------------------

@pytest.mark.parametrize("action", ["withdraw", "death", "disqualify"])
def test_exceptional_path_before_the_latest_step_is_refused(action):
    s = walk("target_selection", dates={"activist_selection": date(2017, 3, 10)})  # latest: activist_filing 2017-03-10
    d = decide(definition(), s, Exceptional(action, date(2017, 3, 9), "t", reason="原因"), ctx())
    assert not d.ok and "早于最近一条记录“" in messages(d) and "2017-03-10" in messages(d)
    assert decide(definition(), s, Exceptional(action, date(2017, 3, 10), "t", reason="原因"), ctx()).ok


# -- 17. the hot path computes the due date once; replay recomputes -------------------------------

def test_step_due_date_is_computed_once_on_the_hot_path(monkeypatch):
    s = walk("first_talk")
    calls = []
    engine_apply = importlib.import_module("engine.apply")  # `engine.apply` is also the function
    real = engine_apply.due
    monkeypatch.setattr(engine_apply, "due", lambda *a: calls.append(1) or real(*a))
    d = attempt(s, "first_talk", date(2016, 5, 1))
    assert d.ok and d.event.late and d.state.late["first_talk"] == date(2016, 4, 1)
    assert len(calls) == 1


def test_replay_recomputes_late_without_trusting_the_event():
    events = []
    walk("activist_selection", dates={"first_talk": date(2016, 5, 1)}, events=events)
    tampered = [replace(e, late=False) for e in events]
    assert replay(tampered, resolve, CAL).late == {"first_talk": date(2016, 4, 1)}


# -- 19. one outcome function -------------------------------------------------------------------

FAILED_VOTE = dict(should_attend=20, present=15, yes=9, no=6, abstain=0, written=0)


@pytest.mark.parametrize(
    "sid, overrides, effect",
    [
        ("first_talk", {}, DONE),
        ("conversion_meeting", {}, DONE),
        ("conversion_meeting", {"decision": "extend", "extension_months": 6}, EXTEND),
        ("conversion_meeting", {"decision": "cancel"}, CANCEL),
        ("conversion_meeting", {"vote": FAILED_VOTE}, STAY),
        ("conversion_meeting", {"vote": FAILED_VOTE, "decision": "extend"}, STAY),  # not adopted
        ("admission_meeting", {"vote": FAILED_VOTE}, REJECT),
        ("admission_approval", {"approved": False}, REJECT),
    ],
)
def test_outcome_effect(sid, overrides, effect):
    assert outcome_effect(step(sid), evidence(sid, date(2018, 1, 1), **overrides)) == effect


def test_stay_and_extend_have_their_warnings():
    s = walk("conversion_meeting", dates={"admission_meeting": date(2017, 6, 20)})
    stay = attempt(s, "conversion_meeting", date(2018, 7, 5), vote=FAILED_VOTE)
    assert stay.ok and any("仍待完成" in w for w in stay.warnings) and "conversion_meeting" not in stay.state.done
    ext = attempt(s, "conversion_meeting", date(2018, 7, 5), decision="extend", extension_months=6)
    assert any("延长预备期 6 个月（细则第三十二条）" in w for w in ext.warnings)
    assert ext.state.extensions == 1



# -- 9. a correction cannot record an act that by rule decided nothing ----------------------------

def _corrected(step_id: str, changes: dict):
    events = []
    state = walk("committee_talk", events=events)
    target = next(e for e in events if e.step == step_id)
    return decide(definition(), state, Correct(target.seq, "t", "更正记录", evidence=changes), ctx(),
                  history=events, resolve=resolve)


def _vote(should, present, yes, no=0, abstain=0, written=0):
    return {"should_attend": should, "present": present, "yes": yes, "no": no, "abstain": abstain, "written": written}


@pytest.mark.parametrize(
    "vote, refused, text",
    [
        # 第二十条: the meeting is valid only if more than half of those who should attend are present
        (_vote(16, 8, 8, written=8), True, "未超过应到会人数（16人）的半数，会议无效"),  # exactly half: inquorate
        (_vote(15, 8, 8), False, ""),  # just over half: quorate, passed
        (_vote(10, 20, 20), True, "实到人数（20）不能多于应到人数（10）"),
        (_vote(10, 6, 6, no=4), True, "多于实到与书面表决人数之和 6"),
        (_vote(10, 6, 6, no=0), False, ""),
    ],
)
def test_correction_cannot_turn_the_admission_meeting_into_an_invalid_one(vote, refused, text):
    d = _corrected("admission_meeting", {"vote": vote})
    assert d.ok is not refused, messages(d)
    if refused:
        assert text in messages(d) and "第二十" in messages(d) and "请作废该记录" in messages(d)
        assert d.state == d.before  # nothing changes
    else:
        assert d.state.stage == d.before.stage


def test_correction_to_a_wrong_number_of_sponsors_is_refused_but_a_status_doubt_is_a_warning():
    one = _corrected("sponsors", {"sponsors": [201]})
    assert not one.ok and "入党介绍人应为2" in messages(one) and "请作废该记录" in messages(one)
    # whether someone was a full member on a past date is not known for certain (status is today's):
    # recorded, flagged
    probationary = _corrected("sponsors", {"sponsors": [201, 301]})
    assert probationary.ok and any("不是正式党员" in w for w in probationary.warnings)


def test_a_correction_that_changes_nothing_is_refused():
    events = []
    state = walk("target_filing", events=events)
    talk = next(e for e in events if e.step == "first_talk")
    same = decide(definition(), state, Correct(talk.seq, "t", "核对"), ctx(), history=events, resolve=resolve)
    assert not same.ok and "没有需要更正的内容" in messages(same) and same.state == state
    again = decide(definition(), state, Correct(talk.seq, "t", "核对", occurred_on=talk.occurred_on,
                                                evidence=dict(talk.evidence)), ctx(), history=events, resolve=resolve)
    assert not again.ok
    moved = decide(definition(), state, Correct(talk.seq, "t", "日期录错", occurred_on=date(2016, 3, 16)), ctx(),
                   history=events, resolve=resolve)
    assert moved.ok, messages(moved)


def test_void_and_correct_say_why_a_record_cannot_be_used():
    events = []
    state = walk("target_filing", events=events)
    last = events[-1]
    voided = decide(definition(), state, Void(last.seq, "t", "录错"), ctx(), history=events, resolve=resolve)
    assert voided.ok, messages(voided)
    events.append(voided.event)
    again = decide(definition(), voided.state, Void(last.seq, "t", "x"), ctx(), history=events, resolve=resolve)
    assert messages(again) == f"没有可作废的第 {last.seq} 条记录：该记录已被作废"
    of_void = decide(definition(), voided.state, Correct(voided.event.seq, "t", "x", occurred_on=date(2016, 4, 1)), ctx(),
                     history=events, resolve=resolve)
    assert "更正或作废记录本身不能再更正" in messages(of_void)
    missing = decide(definition(), voided.state, Void(99, "t", "x"), ctx(), history=events, resolve=resolve)
    assert messages(missing) == "没有可作废的第 99 条记录：该记录不存在"
