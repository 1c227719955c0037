"""In-app notices (站内通知) on both databases: who receives them, and exactly once per item and person
through repeated dispatches, a dispatcher that dies mid-delivery, and a lease taken over."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from notifications.render import Renderer
from services.casework import candidates as uc
from services.notices.dispatch import DispatchReport, DispatchSettings, dispatch_once
from services.notices import inbox, mark_all_read, mark_read, notify, recipients, review_text, unread_count
from services.notices.deliver import deliver_group
from services.notices.reminders import scan
from services.casework.user_commands import NotFoundError
from services.accounts.users import create_user
from storage.repositories.notices import NoticeRepo
from storage.tables import app_user, notice

T0 = datetime(2026, 11, 25, 2, 0)  # naive UTC: the apps' clock (10:00 Beijing)
PW = "correct-horse-7"


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    from argon2 import PasswordHasher

    import services.accounts.users as su
    monkeypatch.setattr(su, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def people(app, town):
    """Accounts: two on b1 (secretary, committee), one with both roles on b1, the b2 secretary, the
    township officer, a county viewer, an admin and a disabled b1 secretary."""
    with app.uow() as uow:
        t = uow.orgs.by_code("t").id
        c = uow.orgs.by_code("c").id
    spec = {"sec": [("branch_secretary", town["b1"])], "com": [("branch_committee", town["b1"])],
            "both": [("branch_secretary", town["b1"]), ("branch_committee", town["b1"])],
            "sec2": [("branch_secretary", town["b2"])], "town": [("township_officer", t)],
            "county": [("county_viewer", c)], "admin": [("admin", None)], "gone": [("branch_secretary", town["b1"])]}
    ids = {name: create_user(app, name, f"用户{name}", PW, roles)["id"] for name, roles in spec.items()}
    with app.uow() as uow:
        uow.users.set_active(ids["gone"], False)
    return ids


@pytest.fixture
def overdue(app, town):
    """An application on 2018-01-31 whose first talk (due 2018-02-28) is 14 days overdue on 03-14."""
    return uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"],
                                 occurred_on=date(2018, 1, 31), actor="书记").candidate_id


def _notices(app) -> list[tuple[int, str]]:
    with app.uow(read_only=True) as uow:
        return sorted((r.user_id, r.kind) for r in uow.connection.execute(select(notice.c.user_id, notice.c.kind)))


def _outbox(app):
    with app.uow(read_only=True) as uow:
        return [r for r in uow.outbox.list() if r.channel == "inapp"]


def test_scan_reaches_each_user_of_each_side_once(app, people, overdue):
    report = scan(app, date(2018, 3, 14))
    assert report.by_kind == {"overdue": 4, "escalation": 2}  # console fallbacks + 3 branch users + 1 officer
    assert sorted((r.kind, r.recipient_name) for r in _outbox(app)) == [
        ("escalation", "用户town"), ("overdue", "用户both"), ("overdue", "用户com"), ("overdue", "用户sec")]
    assert scan(app, date(2018, 3, 14)).created == 0  # the same day again: nothing new
    first = dispatch_once(app, {"console": _Quiet()}, Renderer(), now=T0)
    again = dispatch_once(app, {"console": _Quiet()}, Renderer(), now=T0 + timedelta(minutes=1))
    assert first.sent == 6 and again.claimed == 0
    assert _notices(app) == sorted([(people["sec"], "overdue"), (people["com"], "overdue"),
                                    (people["both"], "overdue"), (people["town"], "escalation")])
    with app.uow() as uow:
        n = uow.notices.for_user(people["sec"])[0]
    assert "张三" in n.title and n.title.startswith("【发展党员逾期】")
    assert n.link == f"/candidates/{overdue}" and n.read_at is None
    # the next day's scan adds no new overdue notice (the key holds the threshold, not the day)
    scan(app, date(2018, 3, 15))
    dispatch_once(app, {"console": _Quiet()}, Renderer(), now=T0 + timedelta(minutes=2))
    assert len(_notices(app)) == 4


class _Quiet:
    def send(self, message):
        pass


def test_a_dispatcher_that_dies_mid_delivery_leaves_nothing_half_done(app, people, overdue, monkeypatch):
    scan(app, date(2018, 3, 1))  # overdue only: three branch users
    real = NoticeRepo.deliver

    def die(self, rows):
        real(self, rows[:1])  # one notice written, then the process dies before the commit
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(NoticeRepo, "deliver", die)
    with pytest.raises(KeyboardInterrupt):
        dispatch_once(app, {"console": _Quiet()}, Renderer(), now=T0)
    monkeypatch.setattr(NoticeRepo, "deliver", real)
    assert _notices(app) == []  # rolled back with the marks
    assert all(r.status == "pending" and r.claimed_by for r in _outbox(app))
    # its lease still holds: another dispatcher leaves the rows alone …
    assert dispatch_once(app, {"console": _Quiet()}, Renderer(), now=T0 + timedelta(minutes=4, seconds=59)).claimed == 0
    # … and takes them over once it ran out: each notice once
    later = dispatch_once(app, {}, Renderer(), now=T0 + timedelta(minutes=5, seconds=1), channel="inapp")
    assert later.sent == 3
    assert _notices(app) == sorted([(people[u], "overdue") for u in ("sec", "com", "both")])
    assert dispatch_once(app, {}, Renderer(), now=T0 + timedelta(minutes=10)).claimed == 0
    assert _notices(app) == sorted([(people[u], "overdue") for u in ("sec", "com", "both")])


def test_a_dispatcher_whose_lease_was_taken_over_delivers_nothing_twice(app, people, overdue):
    scan(app, date(2018, 3, 1))
    settings = DispatchSettings()
    with app.uow() as uow:  # worker A claims, then stalls past its lease
        rows = uow.outbox.claim("A", T0, T0 + settings.lease, 100, channel="inapp")
    assert len(rows) == 3
    b = dispatch_once(app, {}, Renderer(), worker="B", now=T0 + timedelta(minutes=6), channel="inapp")
    assert b.sent == 3
    late = DispatchReport()
    deliver_group(app, Renderer(), rows, "A", T0 + timedelta(minutes=7), T0 + timedelta(minutes=12), late)
    assert (late.sent, late.skipped) == (0, 3)
    assert len(_notices(app)) == 3
    # and should a stale writer get as far as the insert, the notice's key stops it
    with app.uow() as uow:
        again = [{"key": r.key, "user_id": people["sec"], "kind": "overdue", "title": "x", "body": "x", "link": None,
                  "org_id": r.org_id, "candidate_id": overdue, "created_at": T0} for r in rows]
        assert uow.notices.deliver(again) == 0
    assert len(_notices(app)) == 3


def test_notify_goes_to_the_side_s_users_in_the_caller_s_transaction(app, town, people):
    title, body = review_text("returned", candidate_name="张三", step_name="政治审查", step_number=10,
                              branch="贺丰村党支部", township="南川乡党委", on=date(2026, 11, 24),
                              reason="政治审查材料缺少直系亲属证明，请补充后再报", reopened="政治审查")
    assert title == "【被退回】张三“政治审查”被南川乡党委退回"
    assert "退回原因：政治审查材料缺少直系亲属证明" in body and "2026年11月24日" in body
    with app.uow() as uow:
        assert [u.user_id for u in recipients(uow, town["b1"], "branch")] == [people["sec"], people["com"], people["both"]]
        assert [u.user_id for u in recipients(uow, town["b1"], "township")] == [people["town"]]
        assert [u.user_id for u in recipients(uow, town["b2"], "branch")] == [people["sec2"]]
        n = notify(uow, org_id=town["b1"], side="branch", kind="returned", title=title, body=body,
                   link="/candidates/7", key="return:7:3", now=T0)
        assert n == 3
        assert notify(uow, org_id=town["b1"], side="township", kind="submitted", title="报送", body="请审核",
                      link="/queue", key="submit:7:2", now=T0) == 1
    with app.uow() as uow:  # the same key again (a retried use case): nothing new
        assert notify(uow, org_id=town["b1"], side="branch", kind="returned", title=title, body=body,
                      link="/candidates/7", key="return:7:3", now=T0) == 0
    with pytest.raises(RuntimeError):  # the caller's transaction fails: no notice either
        with app.uow() as uow:
            notify(uow, org_id=town["b2"], side="branch", kind="approved", title="通过", body="", link=None,
                   key="approve:9:4", now=T0)
            raise RuntimeError("the event could not be written")
    assert len(_outbox(app)) == 4
    dispatch_once(app, {}, Renderer(), now=T0)
    assert _notices(app) == sorted([(people["sec"], "returned"), (people["com"], "returned"),
                                    (people["both"], "returned"), (people["town"], "submitted")])
    with app.uow() as uow:
        got = uow.notices.for_user(people["com"])[0]
    assert (got.title, got.body, got.link) == (title, body, "/candidates/7")


def test_notify_refuses_what_it_cannot_deliver(app, town, people):
    with app.uow() as uow:
        with pytest.raises(ValueError):
            notify(uow, org_id=town["b1"], side="county", kind="returned", title="x", body="", link=None,
                   key="k", now=T0)
        with pytest.raises(ValueError):
            notify(uow, org_id=town["b1"], side="branch", kind="nonsense", title="x", body="", link=None,
                   key="k", now=T0)
        with pytest.raises(ValueError):
            notify(uow, org_id=town["b1"], side="branch", kind="returned", title="x", body="",
                   link="https://evil.example/", key="k", now=T0)
        assert notify(uow, org_id=999999, side="branch", kind="returned", title="x", body="", link=None,
                      key="k", now=T0) == 0


def test_the_inbox_shows_only_one_s_own_and_delivers_on_demand(app, town, people):
    with app.uow() as uow:
        notify(uow, org_id=town["b1"], side="branch", kind="returned", title="退回一", body="原因", link="/candidates/1",
               key="r:1", now=T0 - timedelta(minutes=1))
        notify(uow, org_id=town["b1"], side="branch", kind="approved", title="通过二", body="", link="/candidates/2",
               key="a:2", now=T0)
    # no dispatcher has run: opening a page delivers the user's own rows on the spot
    assert unread_count(app, people["sec"]) == 2
    assert _notices(app) == sorted([(people["sec"], "returned"), (people["sec"], "approved")])
    box = inbox(app, people["sec"])
    assert [i["title"] for i in box["items"]] == ["通过二", "退回一"]  # newest first
    assert [i["created_at"] for i in box["items"]] == ["2026-11-25 10:00", "2026-11-25 09:59"]  # Beijing time
    first = box["items"][1]["id"]
    with pytest.raises(NotFoundError):  # another user's notice is not found
        mark_read(app, people["com"], first)
    assert mark_read(app, people["sec"], first)["read"] is True
    assert unread_count(app, people["sec"]) == 1
    assert unread_count(app, people["com"]) == 2  # delivered on demand for this user too
    assert mark_all_read(app, people["sec"]) == 1
    assert unread_count(app, people["sec"]) == 0
    assert mark_all_read(app, people["sec"]) == 0
    assert unread_count(app, people["town"]) == 0


def test_a_notice_for_an_account_deleted_meanwhile_is_a_dead_letter(app, town, people):
    with app.uow() as uow:
        notify(uow, org_id=town["b2"], side="branch", kind="approved", title="通过", body="", link=None,
               key="a:1", now=T0)
        uow.connection.execute(delete(app_user).where(app_user.c.id == people["sec2"]))
    report = dispatch_once(app, {}, Renderer(), now=T0)
    assert (report.sent, report.dead) == (0, 1)
    [row] = _outbox(app)
    assert row.status == "dead" and row.last_error == "站内通知的接收人账号已不存在"


_STALLING_DISPATCHER = """
import signal, sys
from datetime import datetime
from notifications.render import Renderer
from services.app import App
from services.notices.dispatch import dispatch_once
from storage.repositories.notices import NoticeRepo

real = NoticeRepo.deliver
def stall(self, rows):
    n = real(self, rows)  # the notices are written, the rows not yet marked, nothing committed
    print(n, flush=True)
    signal.pause()  # … and the process is killed here
NoticeRepo.deliver = stall
dispatch_once(App.open(sys.argv[1]), {}, Renderer(), now=datetime(2026, 11, 25, 2, 0), channel="inapp")
"""


def test_a_dispatcher_killed_before_its_commit_delivers_nothing_and_the_next_delivers_once(app, db_url, people, overdue):
    import signal
    import subprocess
    import sys

    scan(app, date(2018, 3, 14))  # overdue to three branch users, escalation to the officer
    proc = subprocess.Popen([sys.executable, "-c", _STALLING_DISPATCHER, db_url], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "1"  # the first user's notice inserted, not committed
        assert _notices(app) == []  # not visible: uncommitted
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _notices(app) == []  # died with the transaction
    assert all(r.status == "pending" for r in _outbox(app))
    later = dispatch_once(app, {"console": _Quiet()}, Renderer(), now=T0 + timedelta(minutes=6))
    assert later.sent == 4 + 2  # the four in-app rows and the two console rows
    assert _notices(app) == sorted([(people["sec"], "overdue"), (people["com"], "overdue"),
                                    (people["both"], "overdue"), (people["town"], "escalation")])
    assert dispatch_once(app, {"console": _Quiet()}, Renderer(), now=T0 + timedelta(minutes=20)).claimed == 0
    assert len(_notices(app)) == 4


def test_the_half_year_report_reaches_the_township_officers_in_app(app, town, people):
    from services.operations.scheduler import run_period_report

    assert run_period_report(app, date(2018, 6, 30)) == 2  # the console fallback and the officer's inbox
    dispatch_once(app, {"console": _Quiet()}, Renderer(), now=T0)
    assert _notices(app) == [(people["town"], "report")]
    with app.uow(read_only=True) as uow:
        [n] = uow.notices.for_user(people["town"])
        t = uow.orgs.by_code("t").id
    assert n.link == f"/reports?org={t}&period=2018H1" and "南川乡党委" in n.title
