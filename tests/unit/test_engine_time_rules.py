"""Every time rule of process.md §3–§4, on both sides of its boundary (dates passed in)."""
from datetime import date

import pytest

from engine import CompleteStep, decide, register
from engine.calendar import WorkdayCalendar, YearSchedule
from tests.helpers import CAL, attempt, ctx, definition, messages, start, walk


class TestAge:
    """第五条: 18 full years on the application date."""

    @pytest.mark.parametrize(
        "on, ok",
        [(date(2018, 3, 9), False), (date(2018, 3, 10), True), (date(2018, 3, 11), True)],
    )
    def test_eighteenth_birthday(self, on, ok):
        d = register(definition(), 1, CompleteStep("application", on, "t", {}), ctx(birth=date(2000, 3, 10)))
        assert d.ok is ok
        if not ok:
            assert "第五条" in messages(d) and "2018-03-10" in messages(d)
            assert d.state is None and d.event is None

    def test_leap_day_birthday_comes_of_age_on_feb_28(self):
        c = ctx(birth=date(2000, 2, 29))
        assert not register(definition(), 1, CompleteStep("application", date(2018, 2, 27), "t", {}), c).ok
        assert register(definition(), 1, CompleteStep("application", date(2018, 2, 28), "t", {}), c).ok


class TestFirstTalkWithinOneMonth:
    """第七条: talk within one calendar month of the application; lateness never blocks."""

    @pytest.mark.parametrize(
        "applied, talk, late",
        [
            (date(2018, 1, 31), date(2018, 2, 27), False),
            (date(2018, 1, 31), date(2018, 2, 28), False),  # 01-31 + 1 month clamps to 02-28
            (date(2018, 1, 31), date(2018, 3, 1), True),
            (date(2018, 3, 31), date(2018, 4, 30), False),
            (date(2018, 3, 31), date(2018, 5, 1), True),
        ],
    )
    def test_due_date_and_lateness(self, applied, talk, late):
        state = start(on=applied)
        d = attempt(state, "first_talk", talk)
        assert d.ok, messages(d)
        assert d.event.late is late
        assert ("first_talk" in d.state.late) is late
        if late:
            assert any("逾期" in w and "第七条" in w for w in d.warnings)

    def test_due_date_shown_before_the_talk(self):
        state = start(on=date(2018, 1, 31))
        outlook = {o.step.id: o for o in decide(definition(), state, CompleteStep("first_talk", date(2018, 2, 1), "t", {"talker": "x"}), ctx()).outlook}
        from engine import outlook as compute

        o = {x.step.id: x for x in compute(__import__("engine").process_for(definition()), state, CAL)}
        assert o["first_talk"].due.date == date(2018, 2, 28)
        assert o["first_talk"].due.rule.citation.article == "第七条"
        assert "first_talk" not in outlook  # done after the decision


class TestCultivationAtLeastOneYear:
    """第十三条: a development target only after one full year as activist."""

    def state(self, activist_on):
        return walk("target_selection", dates={"application": date(2015, 12, 1), "first_talk": date(2015, 12, 10),
                                                "activist_selection": activist_on, "activist_filing": activist_on,
                                                "mentors_assigned": activist_on})

    @pytest.mark.parametrize("on, ok", [(date(2018, 3, 9), False), (date(2018, 3, 10), True), (date(2018, 3, 11), True)])
    def test_boundary(self, on, ok):
        s = self.state(date(2017, 3, 10))
        d = attempt(s, "target_selection", on)
        assert d.ok is ok, messages(d)
        if not ok:
            assert messages(d).startswith("培养考察未满一年，最早可于 2018-03-10 确定为发展对象（细则第十三条）")
            assert d.violations[0].earliest == date(2018, 3, 10)
            assert d.state is s  # nothing changed

    def test_leap_day_anchor(self):
        s = self.state(date(2016, 2, 29))
        assert not attempt(s, "target_selection", date(2017, 2, 27)).ok
        assert attempt(s, "target_selection", date(2017, 2, 28)).ok


class TestPublicNotice:
    """公示: 5 Chinese working days (local practice in 2014), make-up working days included."""

    def base(self):
        return walk("target_selection", dates={"activist_selection": date(2017, 9, 1), "activist_filing": date(2017, 9, 2),
                                                "mentors_assigned": date(2017, 9, 2)})

    def test_national_day_2018_example(self):
        s = self.base()
        # 09-28 + 5 working days = 10-09 (09-29 and 09-30 were make-up working days)
        short = attempt(s, "target_selection", date(2018, 10, 10), notice_start="2018-09-28", notice_end="2018-10-08")
        assert not short.ok and "2018-10-09" in messages(short)
        ok = attempt(s, "target_selection", date(2018, 10, 10), notice_start="2018-09-28", notice_end="2018-10-09")
        assert ok.ok, messages(ok)

    def test_decision_only_after_the_notice_ends(self):
        s = self.base()
        on_last_day = attempt(s, "target_selection", date(2018, 10, 9), notice_start="2018-09-28", notice_end="2018-10-09")
        assert not on_last_day.ok and "公示期满" in messages(on_last_day)
        assert attempt(s, "target_selection", date(2018, 10, 10), notice_start="2018-09-28", notice_end="2018-10-09").ok

    def test_seven_calendar_day_variant(self):
        defn = definition("cpc_2014_notice7@1")
        s = walk("target_selection", defn=defn, dates={"activist_selection": date(2017, 9, 1)})
        bad = attempt(s, "target_selection", date(2018, 10, 20), defn=defn, notice_start="2018-10-01", notice_end="2018-10-06")
        assert not bad.ok and "7天" in messages(bad)
        good = attempt(s, "target_selection", date(2018, 10, 20), defn=defn, notice_start="2018-10-01", notice_end="2018-10-07")
        assert good.ok, messages(good)

    def test_unknown_year_is_provisional_never_silent(self):
        s = walk("target_selection", dates={"activist_selection": date(2025, 12, 1), "activist_filing": date(2025, 12, 2),
                                             "mentors_assigned": date(2025, 12, 2)})
        c = ctx(today=date(2027, 3, 1))
        d = decide(definition(), s, CompleteStep("target_selection", date(2027, 1, 20), "t",
                                                 {"opinions_heard": "x", "notice_start": "2027-01-04", "notice_end": "2027-01-07"}), c)
        assert not d.ok
        assert "2027-01-08" in messages(d) and "按周一至周五推算" in messages(d)

    def _unknown_year_notice(self, cal, on=date(2027, 1, 11), start="2027-01-01", end="2027-01-07"):
        s = walk("target_selection", dates={"activist_selection": date(2025, 12, 1), "activist_filing": date(2025, 12, 2),
                                             "mentors_assigned": date(2025, 12, 2)})
        return decide(definition(), s, CompleteStep("target_selection", on, "t",
                                                    {"opinions_heard": "x", "notice_start": start, "notice_end": end}),
                      ctx(today=date(2027, 3, 1), cal=cal))

    def test_unknown_year_notice_that_passes_is_recorded_with_a_provisional_note(self):
        # 2027-01-01 (元旦 every year) counts as a working day while 2027 is unknown: five days end 01-07
        d = self._unknown_year_notice(ctx().calendar)
        assert d.ok, messages(d)
        notes = [w for w in d.warnings if w.startswith("临时结果")]
        assert len(notes) == 1 and "2027年节假日安排未载入" in notes[0] and "2027-01-07" in notes[0]
        assert "第十三条" in notes[0] or "本地规定" in notes[0]

    def test_the_same_notice_on_the_loaded_schedule_is_checked_for_real(self):
        loaded = WorkdayCalendar([YearSchedule(2027, holidays={date(2027, 1, 1)})])
        short = self._unknown_year_notice(loaded)
        assert not short.ok and "2027-01-08" in messages(short)
        full = self._unknown_year_notice(loaded, end="2027-01-08")
        assert full.ok and not [w for w in full.warnings if w.startswith("临时结果")]

    @pytest.mark.parametrize("start, ok", [("2016-02-29", False), ("2016-03-01", True)])
    def test_a_notice_cannot_start_before_the_application(self, start, ok):
        s = walk("target_selection")  # applied 2016-03-01
        d = attempt(s, "target_selection", date(2017, 4, 20), notice_start=start, notice_end="2017-04-10")
        assert d.ok is ok, messages(d)
        if not ok:
            assert "公示开始日期 2016-02-29 早于入党申请日期 2016-03-01" in messages(d)

    def test_a_notice_in_a_known_year_carries_no_provisional_note(self):
        s = self.base()
        d = attempt(s, "target_selection", date(2018, 10, 10), notice_start="2018-09-28", notice_end="2018-10-09")
        assert d.ok and not [w for w in d.warnings if w.startswith("临时结果")]


class TestApprovalWithinThreeMonths:
    """第二十五条: approval within 3 months of the branch meeting (not of the previous step);
    at most 6 months in special cases with a recorded reason."""

    def base(self, meeting):
        return walk("admission_approval", dates={"admission_meeting": meeting, "committee_talk": meeting})

    @pytest.mark.parametrize(
        "on, late", [(date(2018, 6, 29), False), (date(2018, 6, 30), False), (date(2018, 7, 1), True)]
    )
    def test_three_months_from_meeting(self, on, late):
        s = self.base(date(2018, 3, 31))
        d = attempt(s, "admission_approval", on)
        assert d.ok and d.event.late is late and d.state.stage == "probationary"

    @pytest.mark.parametrize(
        "on, late", [(date(2018, 9, 29), False), (date(2018, 9, 30), False), (date(2018, 10, 1), True)]
    )
    def test_special_case_ceiling_six_months(self, on, late):
        s = self.base(date(2018, 3, 31))
        d = attempt(s, "admission_approval", on, special_reason="党委换届，延期审批")
        assert d.ok and d.event.late is late

    def test_due_date_counts_from_meeting_not_talk(self):
        from engine import outlook, process_for

        s = walk("admission_approval", dates={"admission_meeting": date(2018, 3, 31), "committee_talk": date(2018, 5, 15)})
        o = {x.step.id: x for x in outlook(process_for(definition()), s, CAL)}
        assert o["admission_approval"].due.date == date(2018, 6, 30)
        assert o["admission_approval"].hard_due == date(2018, 9, 30)


class TestProbation:
    """第三十二条: probation is one year from the branch meeting (step 15), not the approval."""

    def base(self):
        return walk("conversion_meeting", dates={"admission_meeting": date(2018, 3, 10), "committee_talk": date(2018, 4, 1),
                                                 "admission_approval": date(2018, 5, 20), "admission_filing": date(2018, 5, 25),
                                                 "branch_assignment": date(2018, 5, 25), "oath": date(2018, 5, 25),
                                                 "conversion_application": date(2019, 2, 20)})

    @pytest.mark.parametrize("on, ok", [(date(2019, 3, 9), False), (date(2019, 3, 10), True), (date(2019, 3, 11), True)])
    def test_conversion_not_before_end(self, on, ok):
        d = attempt(self.base(), "conversion_meeting", on)
        assert d.ok is ok
        if not ok:
            assert "2019-03-10" in messages(d) and "第三十二条" in messages(d)

    def test_conversion_approval_within_three_months(self):
        s = self.base()
        s = attempt(s, "conversion_meeting", date(2019, 3, 31)).raise_if_refused().state
        on_time = attempt(s, "conversion_approval", date(2019, 6, 30))
        late = attempt(s, "conversion_approval", date(2019, 7, 1))
        assert on_time.ok and not on_time.event.late and on_time.state.stage == "full_member"
        assert late.ok and late.event.late

    @pytest.mark.parametrize("months, ok", [(5, False), (6, True), (12, True), (13, False)])
    def test_extension_six_to_twelve_months(self, months, ok):
        d = attempt(self.base(), "conversion_meeting", date(2019, 3, 12), decision="extend", extension_months=months)
        assert d.ok is ok, messages(d)
        if ok:
            assert d.state.stage == "probationary" and d.state.extension_months == months
            assert "conversion_application" not in d.state.done  # re-opened
        else:
            assert "第三十二条" in messages(d)

    def test_extension_only_once_and_moves_the_end(self):
        s = attempt(self.base(), "conversion_meeting", date(2019, 3, 12), decision="extend", extension_months=6).state
        s = attempt(s, "conversion_application", date(2019, 8, 20)).raise_if_refused().state
        assert not attempt(s, "conversion_meeting", date(2019, 9, 9)).ok  # new end 2019-09-10
        assert attempt(s, "conversion_meeting", date(2019, 9, 10)).ok
        again = attempt(s, "conversion_meeting", date(2019, 9, 10), decision="extend", extension_months=6)
        assert not again.ok and "只能延长1次" in messages(again)

    @pytest.mark.parametrize("decision", ["convert", "cancel"])
    def test_months_of_an_extension_nobody_resolved_are_refused(self, decision):
        d = attempt(self.base(), "conversion_meeting", date(2019, 3, 12), decision=decision, extension_months=6)
        assert not d.ok and "不应填写延长预备期月数（6个月）" in messages(d) and "第三十二条" in messages(d)
        assert attempt(self.base(), "conversion_meeting", date(2019, 3, 12), decision=decision).ok

    def test_cancel_probation_by_meeting(self):
        d = attempt(self.base(), "conversion_meeting", date(2019, 3, 12), decision="cancel")
        assert d.ok and d.state.stage == "probation_cancelled"


def test_choices_accept_their_chinese_labels():
    s = TestProbation().base()
    d = attempt(s, "conversion_meeting", date(2019, 3, 12), decision="延长预备期", extension_months=6)
    assert d.ok and d.event.evidence["decision"] == "extend" and d.state.extension_months == 6
    bad = attempt(s, "conversion_meeting", date(2019, 3, 12), decision="暂缓")
    assert not bad.ok and "延长预备期" in messages(bad)
