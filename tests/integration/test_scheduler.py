"""The scheduler's jobs with the real clock frozen (freezegun) at the edges of the day in Shanghai."""
from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from notifications.render import Renderer
from services.casework import candidates as uc
from services.app import App
from services.operations.scheduler import (
    SchedulerConfig,
    build,
    catch_up,
    last_period_end,
    period_end,
    run_daily_scan,
    run_period_report,
)


@pytest.fixture
def real_clock_app(db_url, town):
    """The App with its default clock (Asia/Shanghai now), which freezegun controls."""
    a = App.open(db_url)
    with a.uow() as uow:
        uow.contacts.add(town["b1"], "branch_secretary", "贺丰村书记", email="shuji@hefeng.example")
        uow.contacts.add(uow.orgs.by_code("t").id, "township_officer", "组织委员", email="zuzhi@nanchuan.example")
    with freeze_time("2018-01-31 02:00:00"):
        uc.register_applicant(a, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2018, 1, 31), actor="书记")
    yield a
    a.close()


def _kinds(app):
    with app.uow() as uow:
        return sorted(r.kind for r in uow.outbox.list())


@pytest.mark.parametrize(
    "utc, kinds",
    [
        ("2018-02-20 15:59:00", []),  # 23:59 on 02-20 in Shanghai: 8 days before the due date
        ("2018-02-20 16:00:00", ["reminder"]),  # 00:00 on 02-21 in Shanghai: 7 days before
        ("2018-02-21 03:00:00", ["reminder"]),
    ],
)
def test_catch_up_scans_the_shanghai_day(real_clock_app, utc, kinds):
    with freeze_time(utc):
        catch_up(real_clock_app)
    assert _kinds(real_clock_app) == kinds


def test_daily_scan_runs_once_per_day_and_again_the_next(real_clock_app):
    assert run_daily_scan(real_clock_app, date(2018, 3, 1))["created"] == 1
    assert run_daily_scan(real_clock_app, date(2018, 3, 1)) is None  # restart, or another process
    assert run_daily_scan(real_clock_app, date(2018, 3, 2))["created"] == 0  # ran; nothing new
    with real_clock_app.uow() as uow:
        assert uow.job_runs.last("scan") == date(2018, 3, 2)


@pytest.mark.parametrize("day, is_end", [(date(2018, 6, 29), False), (date(2018, 6, 30), True), (date(2018, 7, 1), False),
                                         (date(2018, 12, 30), False), (date(2018, 12, 31), True)])
def test_period_ends(day, is_end):
    assert period_end(day) is is_end


def test_period_report_hook_notifies_the_township_once(real_clock_app):
    assert run_period_report(real_clock_app, date(2018, 6, 30)) == 1
    assert run_period_report(real_clock_app, date(2018, 6, 30)) is None
    with real_clock_app.uow() as uow:
        [row] = [r for r in uow.outbox.list() if r.kind == "report"]
    assert row.payload["period"] == "2018H1" and row.address == "zuzhi@nanchuan.example"


def test_jobs_persist_without_piling_up(real_clock_app):
    """A restart re-registers the same two jobs (fixed ids, replace_existing) in the shared store."""
    for _ in range(2):
        sched = build(real_clock_app, {}, Renderer(), SchedulerConfig(dispatch_interval=3600), blocking=False)
        sched.start(paused=True)
        assert sorted(j.id for j in sched.get_jobs()) == ["daily-scan", "dispatch"]
        sched.shutdown(wait=False)
    from sqlalchemy import text

    with real_clock_app.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar() == 2


# -- review findings: the half-year report ------------------------------------------------------


def test_a_township_without_an_officer_gets_its_report_on_the_console(app, town):
    """Finding 13: the report uses the scan's addresses(), console fallback included."""
    assert run_period_report(app, date(2018, 12, 31)) == 1
    with app.uow() as uow:
        [row] = uow.outbox.list()
    assert (row.kind, row.channel, row.payload["period"]) == ("report", "console", "2018H2")
    assert row.address == row.recipient_name == "南川乡党委组织委员（未登记联系人）"


@pytest.mark.parametrize("day, end", [(date(2018, 7, 3), date(2018, 6, 30)), (date(2018, 6, 30), date(2018, 6, 30)),
                                      (date(2018, 6, 29), date(2017, 12, 31)), (date(2019, 1, 1), date(2018, 12, 31)),
                                      (date(2018, 12, 31), date(2018, 12, 31))])
def test_last_period_end(day, end):
    assert last_period_end(day) == end


def test_catch_up_makes_the_report_missed_while_the_service_was_down(real_clock_app):
    """Finding 13: in service until 06-29, down on 06-30, back on 07-03: the 2018H1 report, once."""
    run_daily_scan(real_clock_app, date(2018, 6, 29))
    with freeze_time("2018-07-03 01:00:00"):  # 09:00 in Shanghai
        catch_up(real_clock_app)
        catch_up(real_clock_app)  # a restart, or another process
    with real_clock_app.uow() as uow:
        reports = [r for r in uow.outbox.list() if r.kind == "report"]
        assert uow.job_runs.last("period-report") == date(2018, 6, 30)
    assert [(r.payload["period"], r.address) for r in reports] == [("2018H1", "zuzhi@nanchuan.example")]


def test_a_fresh_installation_does_not_report_a_half_year_it_never_watched(real_clock_app):
    with freeze_time("2018-07-03 01:00:00"):
        catch_up(real_clock_app)
    assert "report" not in _kinds(real_clock_app)


def test_scheduler_module_has_no_current_app():
    import services.operations.scheduler as s

    assert not hasattr(s, "current_app") and "current_app" not in (s.__doc__ or "")


# -- issue 4: the half-year notice carries the report itself ------------------------------------


def test_period_report_notice_carries_the_paragraph_and_is_delivered(real_clock_app):
    """On 06-30 the officer gets the township's 2018H1 report in the notice — its own message, even
    when the same day's scan also has escalations for that officer (those go in the digest)."""
    import io

    from notifications.channels.console import ConsoleChannel
    from reports import render
    from services.notices.dispatch import dispatch_once
    from services.reporting.period_report import build_report

    day = date(2018, 6, 30)
    run_daily_scan(real_clock_app, day)
    assert run_period_report(real_clock_app, day) == 1
    paragraph = render.paragraph(build_report(real_clock_app, "t", "2018H1", as_of=day))
    assert "收到入党申请 1 份" in paragraph
    with real_clock_app.uow() as uow:
        [row] = [r for r in uow.outbox.list() if r.kind == "report"]
    assert row.payload["paragraph"] == paragraph and row.payload["totals"]["applicants"] == 1
    out = io.StringIO()
    result = dispatch_once(real_clock_app, {"email": ConsoleChannel(out)}, Renderer(), worker="w")
    assert result.dead == 0 and result.sent == result.claimed
    text = out.getvalue()
    assert "主题：【发展党员】南川乡党委 2018年上半年发展党员工作情况报告" in text
    assert paragraph in text and "2018年上半年（截至 2018-06-30）" in text


@pytest.mark.parametrize("today, reported", [("2018-06-30", False), ("2018-07-01", True), ("2018-07-02", True)])
def test_the_half_year_is_reported_the_morning_after_it_ends(real_clock_app, today, reported):
    """Meetings on 06-30 are entered that day: the 2018H1 report waits for the morning of 07-01."""
    run_daily_scan(real_clock_app, date(2018, 6, 29))  # the service is in use
    with freeze_time(f"{today} 01:00:00"):  # 09:00 in Shanghai
        catch_up(real_clock_app)
    with real_clock_app.uow() as uow:
        reports = [r.payload["period"] for r in uow.outbox.list() if r.kind == "report"]
    assert reports == (["2018H1"] if reported else [])
