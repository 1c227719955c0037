"""Votes by voting rights (第二十条、第二十一条): who is counted, who may vote, 应到 against the roll.

The six counts are of full members with voting rights; probationary members and members under
留党察看 / 停止党员权利 may attend (recorded apart) but are in none of them and do not vote.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from engine import CompleteStep, Correct, decide
from engine.context import Roll
from engine.evidence import VOTE_MAX, normalise, vote_text
from engine.rules.vote import ROLL_NAMES_SHOWN
from tests.helpers import TIMELINE, ctx, definition, evidence, messages, walk

MEETING = TIMELINE["admission_meeting"]
CONVERSION = TIMELINE["conversion_meeting"]


def _vote(should, present, yes, no=0, abstain=0, written=0, **extra):
    return {"should_attend": should, "present": present, "yes": yes, "no": no, "abstain": abstain, "written": written,
            **extra}


def _meeting(vote, roll: Roll | None = None, step="admission_meeting", on=MEETING):
    state = walk(step)
    c = ctx()
    c.roll = roll
    return decide(definition(), state, CompleteStep(step, on, "测试", evidence(step, on, vote=vote)), c)


# --- quorum and majority: counted on the voting members only ------------------------------------

@pytest.mark.parametrize("present, quorate", [(8, False), (9, True)])  # exactly half vs one more
def test_quorum_counts_voting_members_present_not_those_without_a_vote(present, quorate):
    d = _meeting(_vote(16, present, present, probationary_present=5, no_rights_present=2))
    assert d.ok is quorate, messages(d)
    if not quorate:
        assert "到会有表决权的正式党员（8人）未超过应到会人数（16人）的半数，会议无效" in messages(d)


@pytest.mark.parametrize("yes, stage", [(7, "rejected"), (8, "development_target")])  # 2×yes vs 应到 15
def test_majority_is_of_should_attend_whatever_the_probationary_members_think(yes, stage):
    d = _meeting(_vote(15, 12, yes, no=12 - yes, probationary_present=4))
    assert d.ok, messages(d)
    assert d.state.stage == stage
    if yes == 8:
        assert "admission_meeting" in d.state.done


@pytest.mark.parametrize("cast, ok", [(10, True), (11, False)])  # present + written = 10
def test_votes_beyond_the_voters_are_refused_naming_the_articles(cast, ok):
    d = _meeting(_vote(16, 9, cast - 1, no=1, written=1, probationary_present=2))
    assert d.ok is ok, messages(d)
    if not ok:
        text = messages(d)
        assert "合计 11 票，多于有表决权的到会党员与书面表决人数之和 10" in text
        assert "到会的预备党员2人不能参加表决" in text and "细则第二十条、第二十一条" in text
        assert d.violations[0].code == "vote.rights"


def test_votes_beyond_everyone_present_keep_the_plain_message():
    d = _meeting(_vote(16, 9, 12, probationary_present=2))  # 12 > 9 + 2: not explained by them
    assert not d.ok and "多于实到与书面表决人数之和 9" in messages(d) and d.violations[0].code == "vote.numbers"


@pytest.mark.parametrize("present, code", [(12, "vote.rights"), (13, "vote.numbers")])
def test_present_above_should_attend_says_when_the_non_voters_were_counted(present, code):
    d = _meeting(_vote(10, present, present, probationary_present=1, no_rights_present=1))
    assert not d.ok and d.violations[0].code == code
    if code == "vote.rights":
        assert "实到只计到会的有表决权的正式党员" in messages(d)
        assert "预备党员1人、无表决权党员1人没有表决权" in messages(d) and "细则第二十条、第二十一条" in messages(d)


def test_conversion_meeting_cites_its_own_article_and_the_voting_ones():
    d = _meeting(_vote(16, 9, 11, probationary_present=2), step="conversion_meeting", on=CONVERSION)
    assert not d.ok
    assert "细则第三十三条；表决权见细则第二十条、第二十一条" in messages(d)


def test_a_correction_cannot_make_non_voters_vote():
    events = []
    state = walk("committee_talk", events=events)
    target = next(e for e in events if e.step == "admission_meeting")
    d = decide(definition(), state, Correct(target.seq, "t", "更正记录",
                                            evidence={"vote": _vote(16, 9, 10, probationary_present=1)}),
               ctx(), history=events, resolve=lambda k: definition(k))
    assert not d.ok and "不能参加表决" in messages(d) and "请作废该记录" in messages(d)


# --- the record: old six-number records stay as they were ----------------------------------------

def _parse(value):
    step = definition().step("admission_meeting")
    out, problems = normalise(step, {"vote": value, "resolution": "同意"})
    return out.get("vote"), "；".join(p.message for p in problems)


def test_six_numbers_keep_their_old_shape():
    v, err = _parse("16,9,9,0,0")
    assert not err and v == _vote(16, 9, 9)  # no new keys: pinned records and digests unchanged


@pytest.mark.parametrize("text", ["16,9,9,0,0,预备党员=2,无表决权=1", "应到=16,实到=9,赞成=9,反对=0,弃权=0,列席预备党员=2,无表决权党员=1",
                                  "16，9，9，0，0，0，预备=2，到会无表决权党员=1"])
def test_the_attendees_without_a_vote_are_named(text):
    v, err = _parse(text)
    assert not err and v["probationary_present"] == 2 and v["no_rights_present"] == 1 and v["should_attend"] == 16


def test_json_keys_are_accepted():
    v, err = _parse({**_vote(16, 9, 9), "probationary_present": "3"})
    assert not err and v["probationary_present"] == 3 and "no_rights_present" not in v


@pytest.mark.parametrize("text, words", [
    ("预备党员=2,16,9,9,0,0", "写名称的（如 预备党员=2）写在后面"),
    ("16,9,9,0,0,0,2", "表决最多 6 个数"),
    ("16,9,9,0,0,旁听=2", "未知的表决字段：旁听"),
    ("16,9,9,0,0,预备党员=2,预备=3", "写了两次"),
    ("16,9,9,0,0,预备党员=-1", "不能为负数"),
])
def test_bad_vote_text_is_refused_with_a_message(text, words):
    _, err = _parse(text)
    assert words in err


def test_summary_shows_the_attendees_without_a_vote_only_when_there_were_any():
    assert vote_text(_vote(16, 9, 9)) == "应到16 实到9 赞成9 反对0 弃权0"
    assert vote_text(_vote(16, 9, 9, written=1, probationary_present=2)) == "应到16 实到9 赞成9 反对0 弃权0 书面表决1 到会预备党员2"


# --- 应到 against the branch's roll (a warning; the step is recorded) ------------------------------

NAMES = ("张三", "李四", "王五")


@pytest.mark.parametrize("should, warned", [(2, True), (3, False), (4, True)])
def test_should_attend_is_checked_against_the_roll(should, warned):
    d = _meeting(_vote(should, should, should), Roll(MEETING, NAMES))
    assert d.ok and "admission_meeting" in d.state.done  # recorded either way
    notes = [w for w in d.warnings if "名册" in w]
    assert bool(notes) is warned
    if warned:
        assert notes == [f"应到会有表决权的正式党员填写 {should} 人，本支部名册上 2017-06-20 有表决权的正式党员 3 人："
                         "张三、李四、王五（细则第二十条、第二十一条；留党察看、停止党员权利按当前登记核对）"]


def test_no_roll_looked_up_means_no_note():
    d = _meeting(_vote(16, 9, 9))
    assert d.ok and not [w for w in d.warnings if "名册" in w]


def test_a_branch_without_a_roll_is_said_once():
    d = _meeting(_vote(16, 9, 9), Roll(MEETING, recorded=False))
    assert d.ok and [w for w in d.warnings if "名册" in w] == ["提示：本支部未登记党员名册，应到会人数未能核对（细则第二十条、第二十一条）"]


def test_should_attend_that_counted_the_probationary_members_is_pointed_out():
    d = _meeting(_vote(5, 4, 4), Roll(MEETING, NAMES, ("钱预备", "孙预备")))
    note = next(w for w in d.warnings if "名册" in w)
    assert "填写的应到人数似乎包括了预备党员（钱预备、孙预备），预备党员没有表决权" in note


def test_a_large_roll_is_cut_with_deng():
    names = tuple(f"党员{i}" for i in range(ROLL_NAMES_SHOWN + 5))
    note = next(w for w in _meeting(_vote(16, 9, 9, roll_checked=1), Roll(MEETING, names)).warnings if "名册" in w)
    assert f"党员{ROLL_NAMES_SHOWN - 1}等" in note and f"党员{ROLL_NAMES_SHOWN}" not in note


def test_a_refused_vote_gives_no_roll_note():
    d = _meeting(_vote(16, 8, 8), Roll(MEETING, NAMES))
    assert not d.ok and not d.warnings


def test_a_correction_of_the_vote_is_checked_against_the_roll():
    events = []
    state = walk("committee_talk", events=events)
    target = next(e for e in events if e.step == "admission_meeting")
    c = replace(ctx(), roll=Roll(MEETING, NAMES))
    d = decide(definition(), state, Correct(target.seq, "t", "更正记录", evidence={"vote": _vote(4, 3, 3)}), c,
               history=events, resolve=lambda k: definition(k))
    assert d.ok and any("填写 4 人" in w and "3 人" in w for w in d.warnings)


@pytest.mark.parametrize("cast, warned", [(9, True), (10, False)])  # present + written = 10
def test_fewer_votes_than_voters_is_recorded_with_a_warning(cast, warned):
    """实到 18 + 书面 2 with 赞成 15, 反对 2, 弃权 1 (18 votes) was taken silently and printed in the
    决议; one vote short is now a warning (the step is recorded), an exact tally none."""
    d = _meeting(_vote(16, 9, cast - 1, no=1, written=1))
    assert d.ok, messages(d)
    notes = [w for w in d.warnings if "少于实到与书面表决人数之和" in w]
    assert bool(notes) is warned
    if warned:
        assert notes == ["赞成、反对、弃权票合计 9 票，少于实到与书面表决人数之和 10：请核对票数"
                         "（到会有表决权的党员未表示赞成或反对的，计为弃权；细则第二十条、第二十一条）"]


# --- absurd numbers: never in the record ------------------------------------------------------------

SEVEN = tuple(f"党员{i}" for i in range(7))


@pytest.mark.parametrize("should, ok", [(VOTE_MAX, True), (VOTE_MAX + 1, False)])
def test_a_count_beyond_any_branch_meeting_is_refused_naming_the_field(should, ok):
    """99999 was recorded (已记录) with an amber note; no branch meeting has over 1000 voters."""
    d = _meeting(_vote(should, should, should))
    assert d.ok is ok, messages(d)
    if not ok:
        assert f"支部大会讨论的“表决结果”：应到 {should}、实到 {should}、赞成 {should} 人不合常理" in messages(d)
        assert d.violations[0].code == "evidence.invalid"


@pytest.mark.parametrize("should, ok", [(27, True), (28, False), (500, False)])  # 7 on the roll: up to 20 more
def test_should_attend_far_from_the_roll_needs_the_recorders_confirmation(should, ok):
    """500 on a roll of 7 was recorded with a note only; a large difference now waits for the tick
    「应到人数与名册不符，已核实无误」 (the roll may be incomplete, so it is not refused outright)."""
    d = _meeting(_vote(should, should, should), Roll(MEETING, SEVEN))
    assert d.ok is ok, messages(d)
    if not ok:
        assert d.violations[0].code == "vote.roll"
        assert (f"应到会有表决权的正式党员填写 {should} 人，本支部名册上 2017-06-20 有表决权的正式党员 7 人，相差较大"
                in messages(d))
        assert "请勾选「应到人数与名册不符，已核实无误」后再记录（细则第二十条、第二十一条）" in messages(d)


def test_a_confirmed_difference_is_recorded_with_the_note_and_the_tick_kept():
    d = _meeting(_vote(500, 499, 499, roll_checked="是"), Roll(MEETING, SEVEN))
    assert d.ok, messages(d)
    assert d.event.evidence["vote"]["roll_checked"] == 1
    assert any("填写 500 人" in w and "记录人已核实应到人数无误" in w for w in d.warnings)
    assert vote_text(d.event.evidence["vote"]) == "应到500 实到499 赞成499 反对0 弃权0"


def test_the_conversion_meeting_is_checked_against_the_roll_too():
    d = _meeting(_vote(500, 499, 499), Roll(CONVERSION, SEVEN), step="conversion_meeting", on=CONVERSION)
    assert not d.ok and d.violations[0].code == "vote.roll" and "细则第三十三条" in messages(d)


def test_without_a_roll_only_the_absolute_bound_applies():
    assert _meeting(_vote(500, 499, 499)).ok
    assert _meeting(_vote(500, 499, 499), Roll(MEETING, recorded=False)).ok


def test_a_correction_far_from_the_roll_needs_the_tick_too():
    """A correction goes into the same permanent record: an unconfirmed large difference is refused
    there as well (the tick is on the correction form), a confirmed one kept with its note."""
    events = []
    state = walk("committee_talk", events=events)
    target = next(e for e in events if e.step == "admission_meeting")
    c = replace(ctx(), roll=Roll(MEETING, SEVEN))

    def correct(vote):
        return decide(definition(), state, Correct(target.seq, "t", "更正记录", evidence={"vote": vote}), c,
                      history=events, resolve=lambda k: definition(k))

    d = correct(_vote(60, 40, 40))
    assert not d.ok and "相差较大" in messages(d)
    d = correct(_vote(60, 40, 40, roll_checked=1))
    assert d.ok and any("填写 60 人" in w and "已核实" in w for w in d.warnings)


@pytest.mark.parametrize("should, ok", [(0, True), (60, True), (61, False)])  # 30 on the roll: differs by at most 30
def test_a_large_roll_allows_a_difference_up_to_its_size(should, ok):
    names = tuple(f"党员{i}" for i in range(30))
    d = _meeting(_vote(should, should, should) if should else _vote(0, 0, 0), Roll(MEETING, names))
    assert (not any(v.code == "vote.roll" for v in d.violations)) is ok, messages(d)
