"""The daily scan on both databases: every time rule of the schedule on both sides of its date."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from services.casework import candidates as uc
from services.notices.reminders import ScanSettings, notices_for, scan
from storage.repositories import ScanRow


@pytest.fixture
def applied(app, town):
    """An application on 2018-01-31: the first talk is due 2018-02-28 (第七条, month-end clamp)."""
    with app.uow() as uow:
        uow.contacts.add(town["b1"], "branch_secretary", "贺丰村书记", email="shuji@hefeng.example")
        township = uow.orgs.by_code("t").id
        uow.contacts.add(township, "township_officer", "组织委员", webhook_url="http://127.0.0.1:9/hook")
    cid = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"],
                                occurred_on=date(2018, 1, 31), actor="书记").candidate_id
    return cid


def _kinds(app):
    with app.uow() as uow:
        return sorted((r.kind, r.payload["days"], r.channel) for r in uow.outbox.list())


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (date(2018, 2, 20), []),  # 8 days before: nothing yet
        (date(2018, 2, 21), [("reminder", 7, "email")]),  # 7 days before
        (date(2018, 2, 27), [("reminder", 1, "email")]),  # first scan 1 day before: only the nearest threshold
        (date(2018, 2, 28), [("reminder", 0, "email")]),  # due today
        (date(2018, 3, 1), [("overdue", 1, "email")]),  # the day after
        (date(2018, 3, 13), [("overdue", 13, "email")]),  # 13 days overdue: not escalated
        (date(2018, 3, 14), [("escalation", 14, "webhook"), ("overdue", 14, "email")]),  # 14 days: escalated
    ],
)
def test_first_scan_on_each_side_of_the_due_date(app, applied, as_of, expected):
    report = scan(app, as_of)
    assert report.created == len(expected)
    assert _kinds(app) == expected


def test_daily_scans_create_each_notice_once(app, applied):
    created = {d: scan(app, date(2018, 2, d)).created for d in range(18, 29)}
    assert created == {18: 0, 19: 0, 20: 0, 21: 1, 22: 0, 23: 0, 24: 0, 25: 0, 26: 0, 27: 1, 28: 0}
    assert scan(app, date(2018, 3, 1)).created == 1
    assert scan(app, date(2018, 3, 1)).created == 0  # a second run the same day (restart, another process)
    assert [k for k, _, _ in _kinds(app)] == ["overdue", "reminder", "reminder"]


def test_dry_run_writes_nothing(app, applied):
    report = scan(app, date(2018, 3, 14), dry_run=True)
    assert report.notices == 2 and report.created == 0
    assert {r["kind"] for r in report.rows} == {"overdue", "escalation"}
    assert _kinds(app) == []


def test_step_done_stops_the_notices(app, applied):
    scan(app, date(2018, 2, 21))
    uc.complete_step(app, applied, "first_talk", occurred_on=date(2018, 2, 22), actor="书记", evidence={"talker": "书记"})
    report = scan(app, date(2018, 3, 1))
    assert all(r.kind != "overdue" for r in _rows(app))
    assert report.examined == 0  # the activist selection has no due date


def _rows(app):
    with app.uow() as uow:
        return uow.outbox.list()


def test_branch_without_contacts_goes_to_the_console(app, town):
    cid = uc.register_applicant(app, person_id=town["person"], branch_id=town["b2"],
                                occurred_on=date(2018, 1, 31), actor="书记").candidate_id
    scan(app, date(2018, 3, 1))
    [row] = _rows(app)
    assert row.candidate_id == cid and row.channel == "console" and "未登记联系人" in row.address


def test_configurable_thresholds(app, applied):
    settings = ScanSettings(escalate_after_days=3)
    assert scan(app, date(2018, 3, 3), settings=settings).by_kind == {"overdue": 1, "escalation": 1}


def test_payload_reads_as_the_templates_expect(app, applied):
    scan(app, date(2018, 2, 21))
    [row] = _rows(app)
    assert row.payload["step_name"] == "党组织派人谈话" and row.payload["citation"] == "细则第七条"
    assert row.payload["candidate_name"] == "张三" and row.payload["due_on"] == "2018-02-28"


# -- the pure rule, with holidays and make-up days: deadlines are calendar dates (process.md §4) --


def _row(due):
    return ScanRow(1, 1, "first_talk", "due", due, False, "第七条", "cpc_2014@1", "张三")


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (date(2018, 9, 23), []),
        (date(2018, 9, 24), [("reminder", 7)]),  # 中秋节 (a holiday) still counts: calendar days
        (date(2018, 9, 30), [("reminder", 1)]),  # a make-up working Sunday
        (date(2018, 10, 1), [("reminder", 1)]),  # due on National Day: due is due
        (date(2018, 10, 2), [("overdue", 1)]),
    ],
)
def test_holidays_do_not_move_calendar_due_dates(as_of, expected):
    assert notices_for(_row(date(2018, 10, 1)), as_of, (7, 1), 14) == expected


# -- review findings -----------------------------------------------------------------------------


def test_a_scan_of_a_future_day_is_refused_unless_dry_run(app, applied):
    """Finding 11: future notices would be real rows, sent and impossible to take back."""
    from engine.errors import DomainError

    tomorrow = app.today() + timedelta(days=1)
    with pytest.raises(DomainError) as e:
        scan(app, tomorrow)
    assert "晚于今天" in e.value.violations[0].message and "--dry-run" in e.value.violations[0].message
    assert _kinds(app) == []
    assert scan(app, tomorrow, dry_run=True).created == 0  # a preview is fine
    assert scan(app, app.today()).as_of == app.today()  # today itself is not the future


def test_addresses_is_public_with_the_console_fallback():
    """Finding 13: the scan and the half-year report share one helper."""
    from services.notices.reminders import addresses
    from storage.repositories import ContactRow

    fallback = "某乡组织委员（未登记联系人）"
    assert addresses([], fallback) == [("console", fallback, fallback)]
    both = ContactRow(1, 1, "township_officer", "王", "w@x.example", "https://hook.example/t", True)
    assert addresses([both], "x") == [("email", "w@x.example", "王"), ("webhook", "https://hook.example/t", "王")]


def test_max_remind_is_computed_once_per_registry(app, monkeypatch):
    """Finding 25: the scan's look-ahead is cached per registry (and follows added versions)."""
    from services.notices import reminders
    first = reminders._max_remind(app.registry)
    calls = []
    real = type(app.registry).definitions
    monkeypatch.setattr(type(app.registry), "definitions", lambda self: calls.append(1) or real(self))
    assert reminders._max_remind(app.registry) == first == 30
    assert calls == []


# -- contacts and dead letters (services/organisation/directory) ----------------------------------------------


@pytest.mark.parametrize(
    "org, role, name, email, webhook, code",
    [
        ("b1", "branch_secretary", "  ", None, None, "contact.name"),
        ("b1", "branch_secretary", "书记", "not-an-address", None, "contact.email"),
        ("b1", "branch_secretary", "书记", None, "notaurl", "contact.webhook"),
        ("b1", "branch_secretary", "书记", None, "ftp://hook.example/x", "contact.webhook"),
        ("b1", "township_officer", "委员", None, None, "contact.org"),
        ("t", "branch_secretary", "书记", None, None, "contact.org"),
        ("b1", "mayor", "书记", None, None, "contact.role"),
        ("nowhere", "branch_secretary", "书记", None, None, "org.unknown"),
    ],
)
def test_add_contact_refuses_bad_input(app, town, org, role, name, email, webhook, code):
    """Finding 23: the rules of a contact live in the service, not in the CLI."""
    from engine.errors import DomainError
    from services.organisation.directory import add_contact, list_contacts

    with pytest.raises(DomainError) as e:
        add_contact(app, org, role, name, email, webhook)
    assert e.value.violations[0].code == code
    assert list_contacts(app) == []


def test_add_and_list_contacts_and_retry_dead(app, town):
    from services.organisation.directory import add_contact, list_contacts, retry_dead

    c = add_contact(app, "b1", "branch_secretary", " 贺丰村书记 ", "shuji@hefeng.example", "https://hook.example/b1")
    t = add_contact(app, "t", "township_officer", "组织委员")  # console only
    assert c["name"] == "贺丰村书记" and c["org_name"] == "贺丰村党支部"
    listed = list_contacts(app)
    assert [(x["id"], x["org"], x["role"], x["email"], x["webhook"]) for x in listed] == [
        (c["id"], "b1", "branch_secretary", "shuji@hefeng.example", "https://hook.example/b1"),
        (t["id"], "t", "township_officer", None, None)]
    uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=date(2018, 1, 31),
                          actor="书记")
    scan(app, date(2018, 3, 1))
    with app.uow() as uow:
        ids = [r.id for r in uow.outbox.list()]
        uow.connection.execute(text("UPDATE outbox SET status = 'dead', attempts = 12"))
    assert retry_dead(app, ids[:1]) == 1
    assert retry_dead(app, None) == len(ids) - 1
    assert {(r.status, r.attempts, r.next_attempt_at) for r in _rows(app)} == {("pending", 0, app.utcnow())}
