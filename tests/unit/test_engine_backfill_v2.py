"""engine/backfill under the second rule versions (cpc_2014@2, cpc_2026@2): step 23's result is a
resolution the township approves at step 24 (党章第七条). A ledger row's extension needs its
approval date; without one it is imported as waiting for approval. The fold equals `replay`."""
from datetime import date, datetime, timedelta

import pytest

from engine.apply import apply, initial_state, replay
from engine.backfill import LedgerRecord, backfill
from engine.calendar import WorkdayCalendar, shift
from engine.context import Context
from engine.process import process_for
from engine.timing import deadlines
from tests.ledger_helpers import clean_path
from workflows.registry import Registry

CAL = WorkdayCalendar()
TODAY = date(2026, 11, 25)
V1 = Registry.default().get("cpc_2014@1")
V2 = Registry.default().get("cpc_2014@2")


def ctx():
    return Context(today=TODAY, now=datetime(2026, 11, 25, 2, 0), calendar=CAL, birth_date=date(1990, 5, 1))


def rec(steps, **kw):
    return LedgerRecord(branch_id=7, birth_date=date(1990, 5, 1),
                        steps={k: (v,) if isinstance(v, date) else tuple(v) for k, v in steps.items()}, **kw)


def folded(defn, row):
    """The backfill, checked against `apply` event by event and against `replay`."""
    res = backfill(defn, row, ctx())
    assert res.ok, res.problems
    state = None
    for e in res.events:
        state = initial_state(e) if state is None else state
        state = apply(defn, state, e, CAL)
    assert state.to_dict() == res.state.to_dict()
    assert replay(res.events, lambda k: defn, CAL).to_dict() == res.state.to_dict()
    assert res.deadlines == deadlines(process_for(defn), res.state, CAL)
    return res


FULL = clean_path(V2, date(2015, 3, 1))
MEETING = FULL["admission_meeting"]
EXT_MEETING = shift(MEETING, months=12) + timedelta(days=2)  # the sitting that resolved to extend
EXT_APPROVED = EXT_MEETING + timedelta(days=20)
CONV = shift(MEETING, months=18)  # the conversion meeting after the extended probation
EXTENDED = {**FULL, "conversion_application": CONV - timedelta(days=10), "conversion_meeting": CONV,
            "conversion_approval": CONV + timedelta(days=20), "archive": CONV + timedelta(days=22)}
PROBATION = {k: v for k, v in FULL.items() if k not in ("conversion_application", "conversion_meeting",
                                                          "conversion_approval", "archive")}


def test_an_ordinary_conversion_is_the_resolution_then_its_approval():
    res = folded(V2, rec(FULL))
    assert res.state.stage == "full_member" and res.state.pending is None
    assert [e.step for e in res.events][-3:] == ["conversion_meeting", "conversion_approval", "archive"]
    assert res.findings == []


def test_a_conversion_meeting_without_approval_waits_for_it():
    steps = {**PROBATION, "conversion_application": FULL["conversion_application"],
             "conversion_meeting": FULL["conversion_meeting"]}
    res = folded(V2, rec(steps))
    assert res.state.stage == "probationary" and res.state.pending.decision == "convert"
    assert [f for f in res.findings if f.kind == "notice"] == []  # the ordinary open step 24
    assert "conversion_approval" in {d.step for d in res.deadlines}


@pytest.mark.parametrize("defn", [V1, V2], ids=["v1", "v2"])
def test_an_approved_extension_takes_effect_on_its_approval(defn):
    approved = EXT_APPROVED if defn is V2 else None
    res = folded(defn, rec(EXTENDED, extension_months=6, extended_on=EXT_MEETING, extension_approved_on=approved))
    s = res.state
    assert (s.stage, s.extension_months, s.extensions, s.pending) == ("full_member", 6, 1, None)
    assert s.extended_on == (EXT_APPROVED if defn is V2 else EXT_MEETING)
    steps = [(e.step, e.occurred_on) for e in res.events]
    assert ("conversion_meeting", EXT_MEETING) in steps
    assert (("conversion_approval", EXT_APPROVED) in steps) is (defn is V2)


def test_an_extension_without_approval_date_is_imported_as_pending():
    res = folded(V2, rec(PROBATION, extension_months=6, extended_on=EXT_MEETING))
    s = res.state
    assert s.stage == "probationary" and (s.extensions, s.extension_months, s.extended_on) == (0, 0, None)
    assert (s.pending.decision, s.pending.months, s.pending.on) == ("extend", 6, EXT_MEETING)
    assert "conversion_approval" in {d.step for d in res.deadlines}
    notes = [f for f in res.findings if f.kind == "notice"]
    assert len(notes) == 1 and "待上级党委审批" in notes[0].message and "延长预备期 6 个月" in notes[0].message


def test_an_approved_extension_still_in_probation_moves_the_probation_end():
    res = folded(V2, rec(PROBATION, extension_months=6, extended_on=EXT_MEETING, extension_approved_on=EXT_APPROVED))
    s = res.state
    assert (s.stage, s.extensions, s.pending, s.extended_on) == ("probationary", 1, None, EXT_APPROVED)
    assert "conversion_meeting" not in s.done and "conversion_application" not in s.done


@pytest.mark.parametrize("days, ok", [(0, True), (-1, False)])
def test_the_approval_cannot_precede_the_meeting(days, ok):
    res = backfill(V2, rec(PROBATION, extension_months=6, extended_on=EXT_MEETING,
                           extension_approved_on=EXT_MEETING + timedelta(days=days)), ctx())
    assert res.ok is ok
    if not ok:
        assert res.problems[0].column == "extension_approved_on" and "早于延长决定日期" in res.problems[0].message


@pytest.mark.parametrize("gap, ok", [(1, True), (0, False)])
def test_the_approval_comes_before_the_later_conversion_meeting(gap, ok):
    res = backfill(V2, rec(EXTENDED, extension_months=6, extended_on=EXT_MEETING,
                           extension_approved_on=CONV - timedelta(days=gap)), ctx())
    assert res.ok is ok


def test_a_later_conversion_meeting_needs_the_approval_date():
    res = backfill(V2, rec(EXTENDED, extension_months=6, extended_on=EXT_MEETING), ctx())
    assert not res.ok and "须填写“延长预备期批准日期”" in res.problems[0].message


@pytest.mark.parametrize("row, fragment", [
    (dict(extension_approved_on=EXT_APPROVED), "须同时填写"),  # an approval of nothing
    (dict(extension_months=6, extended_on=EXT_MEETING, extension_approved_on=TODAY + timedelta(days=1)), "晚于今天"),
])
def test_impossible_approval_dates_are_problems(row, fragment):
    res = backfill(V2, rec(PROBATION, **row), ctx())
    assert not res.ok and fragment in res.problems[0].message


def test_version_1_has_no_approval_of_an_extension():
    res = backfill(V1, rec(EXTENDED, extension_months=6, extended_on=EXT_MEETING, extension_approved_on=EXT_APPROVED), ctx())
    assert not res.ok and "即生效" in res.problems[0].message


def test_a_cancelled_probation_is_the_meeting_s_resolution_and_its_approval():
    steps = {**PROBATION, "conversion_application": FULL["conversion_application"],
             "conversion_meeting": FULL["conversion_meeting"]}
    ended = FULL["conversion_meeting"] + timedelta(days=20)
    res = folded(V2, rec(steps, stage="probation_cancelled", ended_on=ended))
    assert (res.state.stage, res.state.ended_on, res.state.pending) == ("probation_cancelled", ended, None)
    last = res.events[-2:]
    assert [(e.step, e.evidence.get("decision"), e.evidence.get("approved")) for e in last] == [
        ("conversion_meeting", "cancel", None), ("conversion_approval", None, True)]
    # without the meeting's date it is the exceptional cancellation, as under @1
    res = folded(V2, rec({**PROBATION, "conversion_application": FULL["conversion_application"]},
                         stage="probation_cancelled", ended_on=ended))
    assert res.events[-1].kind == "cancel_probation" and res.state.pending is None
