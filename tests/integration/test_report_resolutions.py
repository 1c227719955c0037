"""Reports count an extension and a cancellation on the day they took effect — the township's
approval under cpc_2014@2 (党章第七条) — on both sides of a half-year boundary, and note the
resolutions still waiting for approval. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

from services.ledger import intake as ledger
from services.reporting.period_report import build_report
from tests.ledger_helpers import clean_path, ledger_row, write_ledger
from workflows.registry import Registry

V2 = Registry.default().get("cpc_2014@2")
PROBATION = clean_path(V2, date(2015, 3, 1), until="probation_education")  # admitted 2016


def _import(app, tmp_path, rows):
    with app.uow(read_only=True) as uow:
        layout = ledger._layout_definition(app, uow, uow.orgs.by_code("t").id)
    path = write_ledger(tmp_path / "台账.xlsx", layout, [ledger_row(layout, name=n, branch="贺丰村党支部", steps=s, **x)
                                                       for n, s, x in rows])
    ledger.confirm(app, path, "t")


def _ext(meeting, approved=None):
    extra = {"延长预备期(月)": 6, "延长决定日期": meeting}
    if approved:
        extra["延长预备期批准日期"] = approved
    return extra


def test_extension_and_cancellation_count_on_the_approval(app, town, tmp_path):
    h1_end, h2_start = date(2017, 6, 30), date(2017, 7, 1)
    conv = {**PROBATION, "conversion_application": date(2017, 6, 1), "conversion_meeting": h1_end}
    _import(app, tmp_path, [
        ("甲", PROBATION, _ext(date(2017, 6, 20), h1_end)),  # meeting and approval in H1
        ("乙", PROBATION, _ext(date(2017, 6, 20), h2_start)),  # meeting in H1, approved in H2
        ("丙", conv, {"当前阶段": "已取消预备党员资格", "结束日期": h2_start}),  # cancel resolved H1, approved H2
        ("丁", PROBATION, _ext(date(2017, 6, 28))),  # waiting for the township
    ])
    h1 = build_report(app, "t", "2017H1", as_of=date(2017, 12, 31))
    h2 = build_report(app, "t", "2017H2", as_of=date(2017, 12, 31))
    assert (h1.total("extended"), h2.total("extended")) == (1, 1)
    assert (h1.total("cancelled"), h2.total("cancelled")) == (0, 1)
    notes = "".join(h2.notes)
    assert "待上级党委审批的延长/取消决议 1 项" in notes and "按上级党委批准的日期" in notes


def test_no_note_without_waiting_resolutions(app, town, tmp_path):
    _import(app, tmp_path, [("甲", PROBATION, _ext(date(2017, 6, 20), date(2017, 6, 30)))])
    report = build_report(app, "t", "2017H1", as_of=date(2017, 12, 31))
    assert not any("待上级党委审批" in n for n in report.notes)


def test_waiting_resolutions_are_counted_as_of_the_report_day(app, town, tmp_path):
    """Review of issue 16, finding 12: a resolution of 2018-06-05 approved on 2018-07-01 was
    waiting on 2018-06-30 (and not yet on 2018-06-04), not any more on 2018-07-01."""
    meeting, approved = date(2018, 6, 5), date(2018, 7, 1)
    _import(app, tmp_path, [("甲", PROBATION, _ext(meeting, approved)),
                            ("乙", PROBATION, _ext(date(2018, 6, 28)))])  # still waiting today
    for as_of, n in ((date(2018, 6, 4), 0), (date(2018, 6, 5), 1), (date(2018, 6, 28), 2), (date(2018, 6, 30), 2),
                     (date(2018, 7, 1), 1)):
        notes = "".join(build_report(app, "t", "2018H1", as_of=as_of).notes)
        assert (f"截至 {as_of}，待上级党委审批的延长/取消决议 {n} 项" in notes) if n else "待上级党委审批" not in notes, (as_of, notes)
