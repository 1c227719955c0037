"""The remaining "within" rules, on both sides of each due date, and the 2026 revision's additions."""
from datetime import date

import pytest

from engine import outlook, process_for
from tests.helpers import CAL, attempt, definition, messages, walk


def due_of(state, step, defn=None):
    defn = defn or definition()
    return {o.step.id: o for o in outlook(process_for(defn), state, CAL)}[step].due.date


@pytest.mark.parametrize("on, late", [(date(2018, 7, 16), False), (date(2018, 7, 17), False), (date(2018, 7, 18), True)])
def test_archive_within_one_week_local_rule(on, late):
    s = walk("archive", dates={"conversion_approval": date(2018, 7, 10)})
    assert due_of(s, "archive") == date(2018, 7, 17)
    d = attempt(s, "archive", on)
    assert d.ok and d.event.late is late
    if late:
        assert any("本地规定" in w for w in d.warnings)


@pytest.mark.parametrize("on, late", [(date(2018, 6, 19), False), (date(2018, 6, 20), False), (date(2018, 6, 21), True)])
def test_conversion_application_due_when_probation_ends(on, late):
    s = walk("conversion_application", dates={"admission_meeting": date(2017, 6, 20)})
    assert due_of(s, "conversion_application") == date(2018, 6, 20)
    assert attempt(s, "conversion_application", on).event.late is late


@pytest.mark.parametrize("on, late", [(date(2017, 9, 9), False), (date(2017, 9, 10), False), (date(2017, 9, 11), True)])
def test_cultivation_entry_every_half_year(on, late):
    s = walk("target_selection", dates={"activist_selection": date(2017, 3, 10)})
    assert attempt(s, "cultivation", on).event.late is late


def test_failed_political_review_blocks_committee_review():
    s = walk("political_review")
    failed = attempt(s, "political_review", date(2017, 5, 10), passed=False).state
    assert "political_review" not in failed.done
    for step, on in (("training", date(2017, 5, 20)),):
        failed = attempt(failed, step, on).state
    blocked = attempt(failed, "committee_review", date(2017, 6, 1))
    assert not blocked.ok and "政治审查" in messages(blocked)


class TestRevision2026:
    defn = staticmethod(lambda: definition("cpc_2026@1"))

    @pytest.mark.parametrize("on, late", [(date(2017, 7, 8), False), (date(2017, 7, 9), False), (date(2017, 7, 10), True)])
    def test_meeting_within_one_month_of_pre_review(self, on, late):
        d26 = self.defn()
        s = walk("admission_meeting", defn=d26, dates={"pre_review": date(2017, 6, 9), "application_form": date(2017, 6, 15)})
        d = attempt(s, "admission_meeting", on, defn=d26)
        assert d.ok and d.event.late is late
        if late:
            assert any("第十九条" in w for w in d.warnings)

    @pytest.mark.parametrize("on, late", [(date(2017, 8, 9), False), (date(2017, 8, 10), False), (date(2017, 8, 11), True)])
    def test_oath_within_one_month_of_approval(self, on, late):
        d26 = self.defn()
        s = walk("oath", defn=d26, dates={"admission_approval": date(2017, 7, 10)})
        assert attempt(s, "oath", on, defn=d26).event.late is late

    def test_2014_has_no_oath_deadline(self):
        s = walk("oath", dates={"admission_approval": date(2017, 7, 10)})
        assert not attempt(s, "oath", date(2017, 12, 1)).event.late

    def test_public_notice_counts_working_days_in_2026(self):
        d26 = self.defn()
        s = walk("target_selection", defn=d26, dates={"activist_selection": date(2017, 9, 1)})
        bad = attempt(s, "target_selection", date(2018, 10, 10), defn=d26, notice_start="2018-09-28", notice_end="2018-10-08")
        assert not bad.ok and "第十三条" in messages(bad)
