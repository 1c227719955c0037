"""A return that reopens steps: the thread says they are to be done again (须重新办理), not the
committee's earlier 已批准 — engine.review.thread_status, on both sides of each branch."""
from __future__ import annotations

from datetime import date

from engine import decide
from engine.commands import CompleteStep, Return, Submit
from engine.process import process_for
from engine.review import reopened_by_return, thread_status
from tests.helpers import ctx, definition, evidence, walk

ON = date(2018, 6, 1)


def _run(state, command, events):
    d = decide(definition(), state, command, ctx())
    d.raise_if_refused()
    events.append(d.event)
    return d.state


def _returned_17():
    """Steps 1–16 done, 17 sent and returned with 第15步 支部大会讨论 to be redone (16 follows)."""
    events: list = []
    state = walk("admission_approval", events=events)
    state = _run(state, Submit("admission_approval", ON, "支部"), events)
    state = _run(state, Return("admission_approval", ON, "乡镇", "表决票数有误", ("admission_meeting",)), events)
    return state, events


def test_steps_reopened_by_a_return_are_to_be_done_again():
    state, events = _returned_17()
    proc = process_for(definition())
    assert events[-1].evidence["reopened"] == ["admission_meeting", "committee_talk"]
    assert reopened_by_return(events, "committee_talk")
    # 16 was approved once; after the return it is neither 已批准 nor 已办理 nor 待报送
    assert thread_status(proc, state, "committee_talk", events, "approve") == "reopened"
    assert thread_status(proc, state, "admission_approval", events, "return") == "returned"
    assert thread_status(proc, state, "pre_review", events, "approve") == "done"


def test_redone_steps_leave_the_reopened_status():
    state, events = _returned_17()
    proc = process_for(definition())
    state = _run(state, CompleteStep("admission_meeting", ON, "支部", evidence("admission_meeting", ON)), events)
    # 15 redone: 16 can be sent again
    assert thread_status(proc, state, "committee_talk", events, "approve") == "open"
    state = _run(state, CompleteStep("committee_talk", ON, "乡镇", evidence("committee_talk", ON)), events)
    assert not reopened_by_return(events, "committee_talk")
    assert thread_status(proc, state, "committee_talk", events, "approve") == "done"


def test_a_step_no_return_reopened_keeps_the_committees_decision():
    """Not reopened by a return (a resolution the committee decided): its decision stays."""
    events: list = []
    state = walk("admission_approval", events=events)
    proc = process_for(definition())
    state.done.pop("committee_talk")
    state.done.pop("admission_meeting")
    assert not reopened_by_return(events, "committee_talk")
    assert thread_status(proc, state, "committee_talk", events, "approve") == "approved"
    assert thread_status(proc, state, "committee_talk", events, "refuse") == "refused"
    assert thread_status(proc, state, "committee_talk", events, None) is None
