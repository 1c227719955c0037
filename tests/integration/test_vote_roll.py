"""The branch roll a vote's 应到 is checked against (services/people/roll.py), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine import DomainError
from services.casework import candidates as uc
from services.people.roll import roll_on
from services.demo.sample_evidence import sample_evidence, sample_vote
from tests.helpers import ORDER, TIMELINE

MEETING = TIMELINE["admission_meeting"]


def _road(app, town, person, until=None, branch=None):
    m = town["members"]
    cid = uc.register_applicant(app, person_id=person, branch_id=branch or town["b1"],
                                occurred_on=TIMELINE["application"], actor="书记").candidate_id
    for step in ORDER[1:]:
        if step == until:
            break
        ev = sample_evidence(step, TIMELINE[step], mentors=m[:2], sponsors=m[2:], cal=app.calendar, members=4)
        uc.complete_step(app, cid, step, occurred_on=TIMELINE[step], actor="书记", evidence=ev)
    return cid


def _roll(app, branch, on):
    with app.uow(read_only=True) as uow:
        return roll_on(uow, branch, on)


def test_roll_dates_full_membership_by_conversion_and_leaves_out_who_has_no_vote(app, town):
    convert_on = TIMELINE["conversion_approval"]
    _road(app, town, town["person"])  # 张三: probationary from the meeting, full on the approval
    with app.uow() as uow:
        uow.people.add(name="孙察看", gender="男", birth_date=date(1970, 1, 1), party_status="full_member",
                                   branch_id=town["b1"], rights_suspended=True)
        uow.people.add(name="他支部", gender="男", birth_date=date(1970, 1, 1), party_status="full_member",
                       branch_id=town["b2"])
    members = ("党员0", "党员1", "党员2", "党员3")
    before = _roll(app, town["b1"], convert_on - timedelta(days=1))
    assert before.voters == members and before.probationary == ("张三",) and before.recorded
    on = _roll(app, town["b1"], convert_on)
    assert on.voters == (*members, "张三") and on.probationary == ()
    assert _roll(app, town["b1"], TIMELINE["admission_approval"] - timedelta(days=1)).probationary == ("张三",)


def test_a_member_who_died_leaves_the_roll_on_that_day(app, town):
    cid = _road(app, town, town["person"])
    died = date(2019, 3, 1)
    uc.exceptional(app, cid, "death", occurred_on=died, actor="书记", reason="病故")
    assert "张三" in _roll(app, town["b1"], died - timedelta(days=1)).voters
    assert "张三" not in _roll(app, town["b1"], died).voters


def test_a_branch_without_members_has_no_roll(app, town):
    r = _roll(app, town["b2"], MEETING)
    assert r.voters == () and not r.recorded


@pytest.mark.parametrize("should, warned", [(4, False), (5, True)])
def test_meeting_warns_when_should_attend_differs_from_the_roll(app, town, should, warned):
    cid = _road(app, town, town["person"], until="admission_meeting")
    vote = {**sample_vote(4), "should_attend": should}
    ev = {"vote": vote, "resolution": "同意接收为预备党员"}
    preview = uc.complete_step(app, cid, "admission_meeting", occurred_on=MEETING, actor="书记", evidence=ev, preview=True)
    res = uc.complete_step(app, cid, "admission_meeting", occurred_on=MEETING, actor="书记", evidence=ev)
    for d in (preview.decision, res.decision):
        notes = [w for w in d.warnings if "名册" in w]
        assert bool(notes) is warned
        if warned:
            assert notes[0].startswith(f"应到会有表决权的正式党员填写 5 人，本支部名册上 {MEETING} 有表决权的正式党员 4 人："
                                       "党员0、党员1、党员2、党员3（细则第二十条")
    assert res.decision.state.done.get("admission_meeting") == MEETING  # recorded either way


def test_meeting_in_a_branch_without_a_roll_says_so_once(app, town):
    with app.uow() as uow:
        other = uow.people.add(name="李四", gender="男", birth_date=date(1990, 1, 1))
    cid = _road(app, town, other, until="admission_meeting", branch=town["b2"])
    res = uc.complete_step(app, cid, "admission_meeting", occurred_on=MEETING, actor="书记",
                           evidence={"vote": sample_vote(16), "resolution": "同意"})
    assert [w for w in res.decision.warnings if "名册" in w] == [
        "提示：本支部未登记党员名册，应到会人数未能核对（细则第二十条、第二十一条）"]


def test_non_voters_counted_as_votes_are_refused_and_nothing_is_written(app, town):
    cid = _road(app, town, town["person"], until="admission_meeting")
    with app.uow() as uow:
        version = uow.candidates.get(cid).version
    vote = {"should_attend": 4, "present": 3, "yes": 4, "no": 0, "abstain": 0, "probationary_present": 1}
    with pytest.raises(DomainError) as err:
        uc.complete_step(app, cid, "admission_meeting", occurred_on=MEETING, actor="书记",
                         evidence={"vote": vote, "resolution": "同意"})
    assert "预备党员1人不能参加表决" in str(err.value) and "第二十一条" in str(err.value)
    with app.uow() as uow:
        assert uow.candidates.get(cid).version == version


def test_correcting_the_vote_is_checked_against_the_roll_of_its_date(app, town):
    cid = _road(app, town, town["person"], until="committee_talk")
    with app.uow() as uow:
        seq = next(e.seq for e in uow.events.list_for(cid) if e.step == "admission_meeting")
    res = uc.correct(app, cid, seq, actor="书记", reason="核对会议记录", evidence={"vote": sample_vote(6)}, preview=True)
    assert any("填写 6 人" in w and f"{MEETING} 有表决权的正式党员 4 人" in w for w in res.decision.warnings)
