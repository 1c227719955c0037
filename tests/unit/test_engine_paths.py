"""The whole road and the exceptional paths, corrections, dry runs and replay."""
from datetime import date

import pytest

from engine import CompleteStep, Correct, Exceptional, Migrate, Void, decide, process_for, replay
from tests.helpers import CAL, TIMELINE, attempt, ctx, definition, messages, walk


def resolve(key):
    return definition(key)


def test_full_road_to_full_member_and_replay_equals_state():
    events = []
    s = walk("archive", include=True, events=events)
    assert s.stage == "full_member"
    assert set(TIMELINE) <= set(s.done)
    assert s.late == {}
    assert replay(events, resolve, CAL).to_dict() == s.to_dict()


@pytest.mark.parametrize(
    "stage_step, action, ok, end",
    [
        ("first_talk", "withdraw", True, "withdrawn"),
        ("activist_filing", "disqualify", True, "disqualified"),
        ("first_talk", "disqualify", False, None),
        ("oath", "withdraw", False, None),
        ("oath", "cancel_probation", True, "probation_cancelled"),
        ("first_talk", "not_selected", True, "not_selected"),
        ("oath", "death", True, "deceased"),
        ("sponsors", "transfer_out", True, "transferred_out"),
    ],
)
def test_exceptional_paths(stage_step, action, ok, end):
    s = walk(stage_step)
    d = decide(definition(), s, Exceptional(action, date(2018, 9, 1), "t", reason="本人申请"), ctx())
    assert d.ok is ok, messages(d)
    if ok:
        assert d.state.stage == end and d.state.ended_on == date(2018, 9, 1)
        assert d.outlook == [] and d.deadlines == []
        after = decide(definition(), d.state, CompleteStep(stage_step, date(2018, 9, 2), "t", {}), ctx())
        assert not after.ok and "不能再" in messages(after)
    else:
        assert "不能" in messages(d)


def test_exceptional_path_needs_a_reason():
    d = decide(definition(), walk("first_talk"), Exceptional("withdraw", date(2016, 3, 20), "t"), ctx())
    assert not d.ok and "须记录原因" in messages(d)


def test_transfer_keeps_cultivation_time():
    s = walk("target_selection", dates={"activist_selection": date(2017, 3, 10)})
    moved = decide(definition(), s, Exceptional("transfer", date(2017, 9, 1), "t", reason="工作调动", to_branch_id=2), ctx()).state
    assert moved.branch_id == 2 and moved.done == s.done
    assert not attempt(moved, "target_selection", date(2018, 3, 9)).ok
    assert attempt(moved, "target_selection", date(2018, 3, 10)).ok


def test_failed_vote_then_reconsider():
    s = walk("admission_meeting")
    vote = dict(should_attend=20, present=15, yes=9, no=6, abstain=0, written=0)
    rejected = attempt(s, "admission_meeting", date(2017, 6, 20), vote=vote).state
    assert rejected.stage == "rejected"
    back = decide(definition(), rejected, Exceptional("reconsider", date(2018, 1, 5), "t", reason="再次讨论"), ctx()).state
    assert back.stage == "development_target"
    again = attempt(back, "admission_meeting", date(2018, 1, 10))
    assert again.ok and again.state.done["admission_meeting"] == date(2018, 1, 10)


def test_refused_approval_rejects():
    s = walk("admission_approval")
    d = attempt(s, "admission_approval", date(2017, 7, 10), approved=False)
    assert d.ok and d.state.stage == "rejected"


def test_dry_run_changes_nothing():
    s = walk("first_talk")
    before = s.to_dict()
    d = attempt(s, "first_talk", date(2016, 3, 15))
    assert d.ok and d.state is not s
    assert s.to_dict() == before


class TestCorrections:
    def history(self):
        events = []
        state = walk("target_selection", dates={"activist_selection": date(2017, 3, 10)}, events=events)
        return events, state

    def test_correcting_a_date_moves_every_computed_date(self):
        events, state = self.history()
        act = next(e for e in events if e.step == "activist_selection")
        d = decide(definition(), state, Correct(act.seq, "t", "会议记录日期录错", occurred_on=date(2017, 2, 10)), ctx(),
                   history=events, resolve=resolve)
        assert d.ok, messages(d)
        assert d.event.kind == "correct" and d.event.supersedes == act.seq
        assert d.state.done["activist_selection"] == date(2017, 2, 10)
        target = {o.step.id: o for o in d.outlook}["target_selection"]
        assert target.earliest.date == date(2018, 2, 10)
        assert replay([*events, d.event], resolve, CAL).to_dict() == d.state.to_dict()

    def test_correction_needs_reason_and_existing_event(self):
        events, state = self.history()
        assert "原因" in messages(decide(definition(), state, Correct(2, "t", " "), ctx(), history=events, resolve=resolve))
        assert "第 99 条" in messages(decide(definition(), state, Correct(99, "t", "x"), ctx(), history=events, resolve=resolve))

    def test_void_then_state_forgets(self):
        events, state = self.history()
        filing = next(e for e in events if e.step == "activist_filing")
        d = decide(definition(), state, Void(filing.seq, "t", "重复录入"), ctx(), history=events, resolve=resolve)
        assert d.ok and "activist_filing" not in d.state.done

    def test_correction_that_breaks_history_is_a_compliance_warning(self):
        events = []
        state = walk("target_filing", dates={"activist_selection": date(2017, 3, 10), "target_selection": date(2018, 3, 12)},
                     events=events)
        act = next(e for e in events if e.step == "activist_selection")
        d = decide(definition(), state, Correct(act.seq, "t", "日期录错", occurred_on=date(2017, 4, 1)), ctx(),
                   history=events, resolve=resolve)
        assert d.ok  # history is history: recorded, flagged
        assert any("合规提示" in w and "确定发展对象" in w and "第十三条" in w for w in d.warnings), d.warnings
        tgt = next(e for e in events if e.step == "target_selection")
        d2 = decide(definition(), state, Correct(tgt.seq, "t", "日期录错", occurred_on=date(2018, 3, 1)), ctx(),
                    history=events, resolve=resolve)
        assert d2.ok and any("合规提示" in w and "第十三条" in w for w in d2.warnings)


def test_migration_to_2026_is_recorded():
    events = []
    s = walk("first_talk", events=events)
    d = decide(definition(), s, Migrate("cpc_2026@1", date(2026, 6, 1), "乡党委", "党委会决定按新细则执行"), ctx(),
               history=events, resolve=resolve)
    assert d.ok and d.state.definition_key == "cpc_2026@1" and d.event.kind == "migrate"
    assert not decide(definition(), s, Migrate("cpc_2026@1", date(2026, 6, 1), "x", ""), ctx(), history=events, resolve=resolve).ok


def test_2026_definition_adds_deadlines():
    d26 = definition("cpc_2026@1")
    s = walk("admission_meeting", defn=d26)
    from engine import outlook

    o = {x.step.id: x for x in outlook(process_for(d26), s, CAL)}
    assert o["admission_meeting"].due.date == date(2017, 7, 9)  # pre_review 2017-06-09 + 1 month
    assert o["admission_meeting"].due.rule.citation.article == "第十九条"


def test_one_machine_per_definition():
    assert process_for(definition()) is process_for(definition())
    assert process_for(definition()).machine is process_for(definition()).machine


def test_the_step_index_holds_the_machines_sources_for_every_shipped_definition():
    """`Process.step_index` lists the stages a step may be recorded from without building the
    machine; they must be exactly the sources of the machine's `step:<id>` transition."""
    from workflows.registry import Registry

    for d in Registry.default().definitions():
        proc = process_for(d)
        for step, _requires, sources in proc.step_index:
            assert sources == frozenset(proc.machine.events[f"step:{step.id}"].transitions), (d.key, step.id)
            assert all(proc.can(f"step:{step.id}", stage) for stage in sources)


def test_recurring_cultivation_entries():
    from engine import outlook

    s = walk("target_selection", dates={"activist_selection": date(2017, 3, 10)})
    o = {x.step.id: x for x in outlook(process_for(definition()), s, CAL)}
    assert o["cultivation"].recurring.date == date(2017, 9, 10)
    s2 = attempt(s, "cultivation", date(2017, 9, 1)).state
    o2 = {x.step.id: x for x in outlook(process_for(definition()), s2, CAL)}
    assert o2["cultivation"].recurring.date == date(2018, 3, 10)
    late = attempt(s2, "cultivation", date(2018, 3, 11))
    assert late.event.late


def test_void_that_orphans_later_steps_is_refused():
    events = []
    state = walk("pre_review", events=events)
    sponsors = next(e for e in events if e.step == "sponsors")
    d = decide(definition(), state, Void(sponsors.seq, "t", "录错"), ctx(), history=events, resolve=resolve)
    assert not d.ok and "缺少前置步骤“确定入党介绍人”" in messages(d)


def test_correction_putting_dates_out_of_order_is_flagged():
    events = []
    state = walk("political_review", events=events)
    sponsors = next(e for e in events if e.step == "sponsors")
    d = decide(definition(), state, Correct(sponsors.seq, "t", "日期录错", occurred_on=date(2017, 4, 10)), ctx(),
               history=events, resolve=resolve)
    assert d.ok and any("早于其前置步骤" in w for w in d.warnings)


def test_stalled_candidate_still_has_the_approval_clock():
    """第二十五条 counts from the branch meeting: while the talk is missing, the approval is still due."""
    from engine import deadlines, outlook

    s = walk("committee_talk", dates={"admission_meeting": date(2018, 3, 31)})
    o = {x.step.id: x for x in outlook(process_for(definition()), s, CAL)}
    assert o["admission_approval"].waiting_for == ("committee_talk",)
    assert o["admission_approval"].due.date == date(2018, 6, 30)
    assert ("admission_approval", "due", date(2018, 6, 30)) in {(x.step, x.kind, x.due_on) for x in deadlines(process_for(definition()), s, CAL)}
    blocked = attempt(s, "admission_approval", date(2018, 5, 1))
    assert not blocked.ok and "上级党委派人谈话" in messages(blocked)


@pytest.mark.parametrize("on, ok", [(date(2017, 6, 19), False), (date(2017, 6, 20), True), (date(2017, 6, 21), True)])
def test_nothing_exceptional_is_dated_before_the_latest_record(on, ok):
    """A rejection is no completed step: with the log known, a reconsideration cannot predate it."""
    events = []
    s = walk("admission_meeting", events=events)
    vote = dict(should_attend=20, present=15, yes=9, no=6, abstain=0, written=0)
    rejected = attempt(s, "admission_meeting", date(2017, 6, 20), vote=vote)
    events.append(rejected.event)
    d = decide(definition(), rejected.state, Exceptional("reconsider", on, "t", reason="再次讨论"), ctx(), history=events)
    assert d.ok is ok, messages(d)
    if not ok:
        assert "早于" in messages(d) and "2017-06-20" in messages(d) and "支部大会讨论" in messages(d)


def test_a_transfer_cannot_predate_the_previous_transfer():
    events = []
    s = walk("target_selection", events=events)
    first = decide(definition(), s, Exceptional("transfer", date(2016, 9, 1), "t", reason="工作调动", to_branch_id=2), ctx(),
                   history=events)
    events.append(first.event)
    back = decide(definition(), first.state, Exceptional("transfer", date(2016, 6, 1), "t", reason="x", to_branch_id=1),
                  ctx(), history=events)
    assert not back.ok and "2016-09-01" in messages(back)
    later = decide(definition(), first.state, Exceptional("transfer", date(2016, 9, 1), "t", reason="x", to_branch_id=1),
                   ctx(), history=events)
    assert later.ok, messages(later)
