"""Rules on recorded facts: sponsors, mentors, training, pre-review, votes, order of steps."""
from dataclasses import replace
from datetime import date

import pytest

from engine import CompleteStep, decide
from tests.helpers import attempt, ctx, definition, evidence, messages, walk


class TestSponsors:
    """第十四条: exactly two sponsors, each a full member not under discipline."""

    @pytest.mark.parametrize(
        "ids, ok, text",
        [
            ([201, 202], True, ""),
            ([201], False, "应为2名"),
            ([201, 202, 101], False, "应为2名"),
            ([201, 301], False, "钱预备不是正式党员"),
            ([201, 303], False, "周群众不是正式党员"),
            ([201, 302], False, "留党察看"),
            ([201, 201], False, "不能重复"),
            ([201, 999], False, "找不到所选的人员"),
        ],
    )
    def test_sponsor_rules(self, ids, ok, text):
        d = attempt(walk("sponsors"), "sponsors", date(2017, 4, 25), sponsors=ids)
        assert d.ok is ok
        if not ok:
            assert text in messages(d) and "第十四条" in messages(d)


    @pytest.mark.parametrize(
        "since, ok",
        [(date(2017, 4, 26), False), (date(2017, 4, 25), True), (date(2017, 4, 24), True), (None, True)],
    )
    def test_a_sponsor_must_be_a_full_member_on_the_step_date(self, since, ok):
        """A back-dated step: the sponsor's status on the day counts, not today's (None: not known)."""
        people = dict(ctx().people)
        people[202] = replace(people[202], full_since=since)
        c = replace(ctx(), people=people)
        s = walk("sponsors")
        d = decide(definition(), s, CompleteStep("sponsors", date(2017, 4, 25), "t", evidence("sponsors", date(2017, 4, 25))), c)
        assert d.ok is ok, messages(d)
        if not ok:
            assert "赵介绍于 2017-04-26 才转为正式党员，2017-04-25 时还不是" in messages(d) and "第十四条" in messages(d)


class TestMentors:
    @pytest.mark.parametrize("ids, ok", [([], False), ([101], True), ([101, 102], True), ([101, 102, 201], False)])
    def test_one_or_two_full_members(self, ids, ok):
        d = attempt(walk("mentors_assigned"), "mentors_assigned", date(2016, 4, 20), mentors=ids)
        assert d.ok is ok
        if not ok:
            assert "第九条" in messages(d) or "培养联系人" in messages(d)


class TestTraining:
    """第十七条: at least 3 days or 24 class hours; otherwise only as a recorded special case."""

    @pytest.mark.parametrize(
        "days, hours, waiver, ok",
        [(2, 23, None, False), (3, 0, None, True), (0, 24, None, True), (2, 16, "因病补训", True)],
    )
    def test_minimum(self, days, hours, waiver, ok):
        extra = {"waiver": waiver} if waiver else {}
        d = attempt(walk("training"), "training", date(2017, 5, 20), days=days, hours=hours, **extra)
        assert d.ok is ok
        if not ok:
            assert "第十七条" in messages(d)


class TestPreReview:
    """第十九条: no pass for someone leaving the unit within three months."""

    def test_leaving_soon_cannot_pass(self):
        d = attempt(walk("pre_review"), "pre_review", date(2017, 6, 9), leaving_within_3_months=True)
        assert not d.ok and "第十九条" in messages(d)

    def test_failed_pre_review_is_recorded_and_step_stays_open(self):
        d = attempt(walk("pre_review"), "pre_review", date(2017, 6, 9), passed=False, leaving_within_3_months=True)
        assert d.ok and "pre_review" not in d.state.done
        assert not attempt(d.state, "application_form", date(2017, 6, 15)).ok


class TestVote:
    """第二十条、第二十一条: quorum and majority both against those who should attend."""

    def meeting(self, should, present, yes, no=0, abstain=0, written=0):
        vote = dict(should_attend=should, present=present, yes=yes, no=no, abstain=abstain, written=written)
        return attempt(walk("admission_meeting"), "admission_meeting", date(2017, 6, 20), vote=vote)

    def test_no_quorum(self):
        d = self.meeting(16, 8, 8)
        assert not d.ok and "未超过应到会人数（16人）的半数" in messages(d) and "第二十条" in messages(d)

    def test_quorum_at_just_over_half(self):
        assert self.meeting(16, 9, 9).ok

    def test_passes_with_yes_over_half_of_should(self):
        d = self.meeting(15, 8, 8)
        assert d.ok and "admission_meeting" in d.state.done

    def test_fails_with_yes_at_half(self):
        d = self.meeting(16, 12, 8, 4)
        assert d.ok and d.state.stage == "rejected" and "admission_meeting" not in d.state.done

    def test_written_votes_count_as_votes_not_presence(self):
        d = self.meeting(16, 9, 9, written=2)
        assert d.ok
        assert not self.meeting(16, 8, 9, written=3).ok  # no quorum whatever the written votes

    @pytest.mark.parametrize(
        "args, text",
        [((10, 11, 6), "实到人数"), ((10, 6, 5, 2, 1), "合计 8 票"), ((10, 6, 6, 0, 0, 5), "书面表决人数")],
    )
    def test_impossible_numbers(self, args, text):
        d = self.meeting(*args)
        assert not d.ok and text in messages(d)


class TestOrderAndDates:
    def test_missing_prerequisites_are_named(self):
        d = attempt(walk("application_form"), "admission_meeting", date(2017, 6, 20))
        assert not d.ok and "须先完成：填写入党志愿书" in messages(d)

    def test_future_date_refused(self):
        s = walk("first_talk")
        d = decide(definition(), s, CompleteStep("first_talk", date(2016, 3, 10), "t", {"talker": "x"}), ctx(today=date(2016, 3, 5)))
        assert not d.ok and "晚于今天" in messages(d)

    def test_date_before_prerequisite_refused(self):
        d = attempt(walk("first_talk"), "first_talk", date(2016, 2, 1))
        assert not d.ok and "早于前置步骤" in messages(d)

    def test_step_done_twice_refused(self):
        s = walk("first_talk", include=True)
        d = attempt(s, "first_talk", date(2016, 3, 20))
        assert not d.ok and "已于 2016-03-15 完成" in messages(d)

    def test_missing_and_bad_evidence_all_reported(self):
        s = walk("admission_meeting")
        d = decide(definition(), s, CompleteStep("admission_meeting", date(2017, 6, 20), "t", {"vote": "16,9", "colour": "red"}), ctx())
        text = messages(d)
        assert "没有“colour”" in text and "应到、实到" in text and "决议" in text or "resolution" in text

    @pytest.mark.parametrize("vote, ok", [("16,9,9,0,0", True), ("16,9,9,0,0,5", True), ("16,9,9,0,0,0,5", False)])
    def test_a_vote_has_at_most_six_numbers(self, vote, ok):
        s = walk("admission_meeting")
        d = decide(definition(), s, CompleteStep("admission_meeting", date(2017, 6, 20), "t",
                                                 {**evidence("admission_meeting", date(2017, 6, 20)), "vote": vote}), ctx())
        assert d.ok is ok, messages(d)
        if not ok:
            assert "表决最多 6 个数" in messages(d) and "写了 7 个" in messages(d)

    def test_unknown_step(self):
        d = attempt(walk("first_talk"), "first_talk", date(2016, 3, 15))
        assert d.ok
        from engine import CompleteStep as C

        bad = decide(definition(), d.state, C("no_such_step", date(2016, 3, 16), "t", {}), ctx())
        assert not bad.ok and "没有步骤" in messages(bad) and "1.递交入党申请书" in messages(bad)


def test_missing_evidence_and_dates_out_of_order_name_the_article():
    s = walk("target_selection")
    d = decide(definition(), s, CompleteStep("target_selection", date(2017, 4, 20), "t", {"opinions_heard": "听取意见"}), ctx())
    assert "确定发展对象须记录“公示开始日期”（细则第十三条）" in messages(d)
    early = attempt(walk("target_filing"), "target_filing", date(2017, 4, 19))
    assert "早于前置步骤“确定发展对象”的日期 2017-04-20（细则" in messages(early)
    assert early.violations[0].earliest == date(2017, 4, 20)
