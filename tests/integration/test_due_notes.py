"""Due dates in the reminder texts: inclusive, with what the day is (a holiday, an unloaded year),
the date itself never moved (docs/calendar.md). Both databases."""
from __future__ import annotations

from datetime import date, datetime

from notifications.render import Renderer
from services.casework import candidates as uc
from services.app import SHANGHAI
from services.notices.reminders import scan


def _apply(app, town, on):
    return uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=on,
                                 actor="贺丰村党支部书记 王建国").candidate_id


def _payloads(app):
    with app.uow() as uow:
        return [r.payload for r in uow.outbox.list() if r.channel == "console"]


def _body(payload):
    _, body = Renderer(env={}).render(payload["kind"], item=payload, recipient_name="王建国",
                                      org_name="贺丰村党支部", as_of=date.fromisoformat(payload["as_of"]))
    return body


def test_a_due_date_on_new_years_day_says_so_and_stays(app, town):
    _apply(app, town, date(2025, 12, 1))  # first talk due within one month: 2026-01-01 (第七条)
    scan(app, date(2025, 12, 25))
    [p] = _payloads(app)
    assert p["due_on"] == "2026-01-01" and p["due_note"] == "元旦假期"  # not moved to 01-05
    assert "最迟于 2026年1月1日（周四，含当日，元旦假期）办理，还有 7 天到期" in _body(p)


def test_a_working_due_date_has_no_note(app, town):
    _apply(app, town, date(2018, 1, 31))  # due 2018-02-28, a Wednesday (issue 16's date)
    scan(app, date(2018, 2, 21))
    [p] = _payloads(app)
    assert p["due_note"] is None
    assert "最迟于 2018年2月28日（周三，含当日）办理" in _body(p)


def test_a_due_date_in_an_unloaded_year_says_the_year_is_not_loaded(app, town):
    app.clock = lambda: datetime(2026, 12, 26, 10, 0, tzinfo=SHANGHAI)
    _apply(app, town, date(2026, 12, 1))  # due 2027-01-01: chinese-calendar stops at 2026
    scan(app, date(2026, 12, 25))
    [p] = _payloads(app)
    assert p["due_on"] == "2027-01-01" and p["due_note"] == "元旦；2027 年节假日安排尚未载入"
    assert "最迟于 2027年1月1日（周五，含当日，元旦；2027 年节假日安排尚未载入）办理" in _body(p)
