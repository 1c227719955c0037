"""cpc_2014@3 and cpc_2026@3 (the reviewer's findings of December 2026), side by side:

- 提出转正申请 is made when the probation ends (2014 第三十三条, 2026 第三十二条): refused earlier than a
  week before 预备期满 (both sides of the boundary), and not listed as possible before then; an
  extension moves 预备期满 and the window with it;
- 集中培训 (第十七条): 培训天数 ≤ 30 and 培训学时 ≤ 240 as data (field `max`), and under every version
  not longer than the time since the step it follows.
Dates are passed (tests/helpers.py), never the wall clock.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine import CompleteStep, decide
from engine.process import process_for
from engine.timing import earliest
from tests import helpers
from tests.helpers import CAL, attempt, ctx, definition, evidence, messages

def walk(until: str, defn, dates=None):
    """tests.helpers.walk in the definition's own order: 2026 第十三条 asks the higher committee
    (target_filing) before the listing (target_selection), a week apart for the 公示."""
    if not defn.key.startswith("cpc_2026") or defn.key == "cpc_2026@1":
        return helpers.walk(until, defn, dates)
    order = list(helpers.ORDER)
    i, j = order.index("target_selection"), order.index("target_filing")
    order[i], order[j] = order[j], order[i]
    when = {**helpers.TIMELINE, "target_filing": date(2017, 4, 12), **(dates or {})}
    state = helpers.start(defn, when["application"])
    for step in order[1:]:
        if step == until:
            break
        state = decide(defn, state, CompleteStep(step, when[step], "测试", evidence(step, when[step])), ctx()
                       ).raise_if_refused().state
    return state


V3 = {"cpc_2014@3": "细则第三十三条", "cpc_2026@3": "细则第三十二条"}
END = date(2018, 6, 20)  # admission_meeting 2017-06-20 + one year (第三十二条 / 2026 第三十一条)
DATES = {"conversion_application": date(2018, 6, 13), "conversion_meeting": date(2018, 6, 20),
         "conversion_approval": date(2018, 7, 10), "archive": date(2018, 7, 16)}


@pytest.mark.parametrize("key", V3)
@pytest.mark.parametrize("on, ok", [(date(2018, 6, 12), False), (date(2018, 6, 13), True), (END, True)])
def test_conversion_application_opens_a_week_before_probation_ends(key, on, ok):
    defn = definition(key)
    state = walk("conversion_application", defn)
    d = attempt(state, "conversion_application", on, defn)
    assert d.ok is ok, messages(d)
    if not ok:
        assert d.violations[0].code == "not_before" and d.violations[0].earliest == date(2018, 6, 13)
        assert messages(d) == (f"转正申请在预备期满时提出（预备期满日 2018-06-20），最早可于 2018-06-13（期满前一周）提出"
                               f"（{V3[key]}）")


@pytest.mark.parametrize("key", V3)
def test_the_worklist_date_is_the_window_not_the_approval(key):
    """`earliest` is what the worklist and the candidate page read (可以办理 from that day)."""
    defn = definition(key)
    state = walk("conversion_application", defn)
    step = defn.step("conversion_application")
    assert earliest(process_for(defn), step, state, CAL).date == date(2018, 6, 13)


@pytest.mark.parametrize("key", ["cpc_2014@2", "cpc_2026@2"])
def test_pinned_earlier_versions_are_unchanged(key):
    """A published version never changes under its candidates (docs/definitions.md §5)."""
    defn = definition(key)
    assert attempt(walk("conversion_application", defn), "conversion_application", date(2017, 11, 1), defn).ok


@pytest.mark.parametrize("key", V3)
def test_an_extension_moves_the_window(key):
    defn = definition(key)
    state = walk("conversion_meeting", defn, DATES)
    state = attempt(state, "conversion_meeting", END, defn, decision="extend", extension_months=6).raise_if_refused().state
    state = attempt(state, "conversion_approval", date(2018, 7, 10), defn).raise_if_refused().state
    assert "conversion_application" not in state.done  # an approved extension reopens steps 22–23
    new_end = date(2018, 12, 20)
    refused = attempt(state, "conversion_application", date(2018, 12, 12), defn)
    assert not refused.ok and "预备期满日 2018-12-20" in messages(refused) and "最早可于 2018-12-13" in messages(refused)
    assert attempt(state, "conversion_application", date(2018, 12, 13), defn).ok
    assert earliest(process_for(defn), defn.step("conversion_application"), state, CAL).date == new_end.replace(day=13)


@pytest.mark.parametrize("key", V3)
@pytest.mark.parametrize("field, value, ok", [("days", 30, True), ("days", 31, False), ("hours", 240, True),
                                              ("hours", 241, False)])
def test_training_bounds_are_data(key, field, value, ok):
    defn = definition(key)
    state = walk("training", defn)
    d = attempt(state, "training", date(2017, 5, 20), defn, **{field: value})
    assert d.ok is ok, messages(d)
    if not ok:
        label, limit = {"days": ("培训天数", "0 至 30"), "hours": ("培训学时", "0 至 240")}[field]
        assert d.violations[0].code == "evidence.range"
        assert f"集中培训的“{label}”：应在 {limit} 之间，填写的 {value} 不合常理，请核对" in messages(d)


@pytest.mark.parametrize("key", ["cpc_2014@1", "cpc_2014@2", "cpc_2014@3", "cpc_2026@2", "cpc_2026@3"])
@pytest.mark.parametrize("days, ok", [(10, True), (11, False)])  # trained 9 days after the step it follows: 10 days
def test_training_cannot_last_longer_than_since_the_step_it_follows(key, days, ok):
    """400 days of training recorded a month after the listing: refused under every version (a
    typing error, not history), naming the field and 第十七条."""
    defn = definition(key)
    state = walk("training", defn)
    since = max(state.done[s] for s in defn.step("training").requires)
    on = since + timedelta(days=9)
    d = attempt(state, "training", on, defn, days=days, hours=24)
    assert d.ok is ok, messages(d)
    if not ok:
        assert d.violations[0].code == "training.length"
        assert messages(d).startswith(f"培训天数 11 天超过了自“") and f"（{since}）至培训日期 {on} 的 10 天，请核对" in messages(d)
        assert "细则第十七条" in messages(d)


def test_training_hours_beyond_the_days_since_the_listing_are_refused():
    defn = definition("cpc_2014@2")
    state = walk("training", defn)
    d = attempt(state, "training", date(2017, 5, 20), defn, days=3, hours=9999)
    assert not d.ok and d.violations[0].code == "training.length"
    assert "培训学时 9999 学时超过了" in messages(d) and "每天最多按 12 学时计" in messages(d)
