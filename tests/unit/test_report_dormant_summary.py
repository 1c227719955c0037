"""The long-list threshold of 两年以上未发展党员的党支部, on both sides: the web page's summary
(services/reporting/period_report.dormant_summary) and the Word report's per-unit table
(reports/render/tables.dormant_unit_table)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from reports.dormant import dormant_by_unit
from reports.model import DORMANT_LISTED, NEVER_ADMITTED, DormantBranch
from reports.render.sample import seed_report
from reports.render.tables import dormant_unit_table
from reports.render.wording import load_wording
from services.reporting.period_report import dormant_summary


def _dormant(n: int, units: int = 2) -> tuple[DormantBranch, ...]:
    """`n` dormant branches over `units` townships: every third never admitted anyone, the rest
    alternately three and two years without."""
    out = []
    for i in range(n):
        unit = i % units
        if i % 3 == 0:
            out.append(DormantBranch(1000 + i, f"第{i + 1}村党支部", None, None, NEVER_ADMITTED, 10 + unit, f"第{unit + 1}乡党委"))
        else:
            years = 3 if i % 2 else 2
            out.append(DormantBranch(1000 + i, f"第{i + 1}村党支部", date(2018 - years, 1, 1), years, f"{years}年以上",
                                     10 + unit, f"第{unit + 1}乡党委"))
    return tuple(out)


def _report(dormant):
    return replace(seed_report(full=True), dormant=dormant)


def test_at_the_threshold_the_page_lists_every_branch():
    s = dormant_summary(_report(_dormant(DORMANT_LISTED)))
    assert not s["long"] and len(s["items"]) == DORMANT_LISTED and s["units"] == () and s["total"] == DORMANT_LISTED


def test_one_more_and_the_page_summarises():
    dormant = _dormant(DORMANT_LISTED + 1)
    s = dormant_summary(_report(dormant))
    assert s["long"] and s["total"] == DORMANT_LISTED + 1 and len(s["items"]) == DORMANT_LISTED
    assert s["items"] == dormant[:DORMANT_LISTED]
    assert [(u.unit_name, u.count) for u in s["units"]] == [("第1乡党委", 11), ("第2乡党委", 10)]  # most first
    assert s["never"] == sum(1 for d in dormant if d.flag == NEVER_ADMITTED) == 7
    assert s["over_three"] == sum(1 for d in dormant if d.flag == "3年以上") and s["more_units"] == 0


def test_the_units_with_most_and_how_many_more():
    s = dormant_summary(_report(_dormant(100, units=25)))
    assert len(s["units"]) == DORMANT_LISTED and s["more_units"] == 5 and s["more_units_branches"] == 20
    assert sum(u.count for u in s["units"]) + s["more_units_branches"] == 100


def test_the_word_counts_a_long_list_per_unit_only():
    wording = load_wording()
    assert dormant_unit_table(_report(_dormant(DORMANT_LISTED)), wording) is None  # short: the names
    assert dormant_unit_table(_report(_dormant(DORMANT_LISTED + 5, units=1)), wording) is None  # one unit: the names
    t = dormant_unit_table(_report(_dormant(DORMANT_LISTED + 1)), wording)
    assert t.headers == ("所属单位", "党支部", "其中3年以上", "其中无发展记录")
    units = dormant_by_unit(_dormant(DORMANT_LISTED + 1))
    assert t.rows == tuple((u.unit_name, u.count, u.over_three, u.never) for u in units)
    assert t.total == ("合计", DORMANT_LISTED + 1, sum(u.over_three for u in units), 7)
    assert "Excel" in t.note and "按所属单位汇总" in t.note
