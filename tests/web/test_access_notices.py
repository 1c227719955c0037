"""In-app notices, reminder contacts and the delivery log: every route × every role, and what the
pages do (the bell's count on every page, only one's own notices, contacts scoped, the log's states)."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from services.notices import notify
from tests.web.test_web_access_matrix import row
from tests.web.web_support import run_matrix

T0 = datetime(2026, 11, 25, 1, 0)  # naive UTC, an hour before the apps' clock


@pytest.fixture
def setup(app, world, users):
    """Two notices for b1's users (secretary and committee), one for the township; contacts on
    b1, b2, b3 and one more on b3 (for the admin to remove); outbox rows in each state."""
    with app.uow() as uow:
        notify(uow, org_id=world.b1, side="branch", kind="returned", title="【被退回】王芳“预审”被南川乡党委退回",
               body="退回原因：材料不全", link=f"/candidates/{world.review}", key="r:1", now=T0)
        notify(uow, org_id=world.b1, side="branch", kind="approved", title="【审批通过】李红“备案”", body="",
               link=f"/candidates/{world.activist}", key="a:2", now=T0)
        notify(uow, org_id=world.b1, side="township", kind="submitted", title="【报送审批】贺丰村党支部 王芳“预审”",
               body="请审核", link="/queue", key="s:3", now=T0)
        c_b1 = uow.contacts.add(world.b1, "branch_secretary", "贺丰书记", email="hf@example.cn")
        c_b2 = uow.contacts.add(world.b2, "branch_secretary", "东王书记", webhook_url="https://gw.example.cn/hook?key=SECRET")
        c_b3 = uow.contacts.add(world.b3, "branch_secretary", "北庄书记", email="bz@example.cn")
        c_gone = uow.contacts.add(world.b3, "branch_secretary", "离任书记")
        base = {"kind": "overdue", "candidate_id": world.fresh, "step": "first_talk", "due_on": None,
                "created_on": T0.date(), "payload": {"candidate_name": "张秀英", "step_number": 2, "step_name": "入党谈话",
                                                     "due_on": "2026-11-01"},
                "next_attempt_at": T0, "created_at": T0, "last_error": None, "sent_at": None}
        uow.outbox.add_many([
            {**base, "key": "k1", "channel": "email", "address": "hf@example.cn", "recipient_name": "贺丰书记",
             "org_id": world.b1, "status": "dead", "attempts": 12, "last_error": "无法通过 SMTP 发送：连接被拒绝"},
            {**base, "key": "k2", "channel": "email", "address": "hf@example.cn", "recipient_name": "贺丰书记",
             "org_id": world.b1, "status": "sent", "attempts": 0, "sent_at": T0},
            {**base, "key": "k3", "channel": "webhook", "address": "https://gw.example.cn/hook?key=SECRET",
             "recipient_name": "东王书记", "org_id": world.b2, "status": "pending", "attempts": 3,
             "last_error": "暂时不可用：HTTP 503"},
            {**base, "key": "k4", "channel": "email", "address": "bz@example.cn", "recipient_name": "北庄书记",
             "org_id": world.b3, "status": "dead", "attempts": 1, "last_error": "收件人被拒绝"},
            {**base, "kind": "escalation", "key": "k5", "channel": "console", "address": "南川乡党委组织委员（未登记联系人）",
             "recipient_name": "南川乡党委组织委员（未登记联系人）", "org_id": world.township, "status": "sent", "attempts": 2,
             "sent_at": T0},
        ])
        dead = {r.key: r.id for r in uow.outbox.list()}
    return {"c_b1": c_b1, "c_b2": c_b2, "c_b3": c_b3, "c_gone": c_gone, "dead_b1": dead["k1"], "dead_b3": dead["k4"]}


def _sec_notice(app, users) -> int:
    from services.notices import inbox

    return inbox(app, users["sec"]["id"])["items"][0]["id"]


MATRIX = [
    #    method  url                                          body                 anon sec  com  town county admin
    row("GET", "/notices", None,                                                   303, 200, 200, 200, 200, 200),
    row("GET", "/notices?page=3", None,                                            303, 200, 200, 200, 200, 200),
    row("GET", "/notices?page=0", None,                                            303, 400, 400, 400, 400, 400),
    row("GET", "/notices/{note}", None,                                            303, 303, 404, 404, 404, 404),
    row("GET", "/notices/999999", None,                                            303, 404, 404, 404, 404, 404),
    row("POST", "/notices/{note}/read", {},                                        403, 303, 404, 404, 404, 404),
    row("POST", "/notices/read-all", {},                                           403, 303, 303, 303, 303, 303),
    row("GET", "/api/notices", None,                                               401, 200, 200, 200, 200, 200),
    row("POST", "/api/notices/{note}/read", {},                                    403, 200, 404, 404, 404, 404),
    row("POST", "/api/notices/999999/read", {},                                    403, 404, 404, 404, 404, 404),
    row("POST", "/api/notices/read-all", {},                                       403, 200, 200, 200, 200, 200),
    # contacts: everyone reads their own branches'/township's; the township officer and admin change
    row("GET", "/contacts", None,                                                  303, 200, 200, 200, 200, 200),
    row("POST", "/contacts", {},                                                   403, 403, 403, 400, 403, 400),
    row("POST", "/contacts", {"org_id": "{b1}", "name": "某", "email": "not-an-address"},
                                                                                   403, 403, 403, 400, 403, 400),
    row("POST", "/contacts", {"org_id": "{b3}", "name": "新书记"},                   403, 403, 403, 403, 403, 303),
    row("POST", "/contacts", {"org_id": "{county}", "name": "某"},                   403, 403, 403, 400, 403, 400),
    row("GET", "/contacts/{c_b1}/edit", None,                                      303, 403, 403, 200, 403, 200),
    row("GET", "/contacts/{c_b2}/edit", None,                                      303, 403, 403, 200, 403, 200),
    row("GET", "/contacts/{c_b3}/edit", None,                                      303, 403, 403, 403, 403, 200),
    row("GET", "/contacts/999999/edit", None,                                      303, 404, 404, 404, 404, 404),
    row("POST", "/contacts/{c_b1}/edit", {"name": ""},                             403, 403, 403, 400, 403, 400),
    row("POST", "/contacts/{c_b3}/edit", {"name": "改名"},                          403, 403, 403, 403, 403, 303),
    row("GET", "/contacts/{c_b1}/remove", None,                                    303, 403, 403, 200, 403, 200),
    row("POST", "/contacts/{c_gone}/remove", {},                                   403, 403, 403, 403, 403, 303),
    row("POST", "/contacts/999999/remove", {},                                     403, 404, 404, 404, 404, 404),
    # the delivery log: the organisations one sees
    row("GET", "/contacts/log", None,                                              303, 200, 200, 200, 200, 200),
    row("GET", "/contacts/log?state=dead&page=2", None,                            303, 200, 200, 200, 200, 200),
    row("GET", "/contacts/log?state=bogus", None,                                  303, 404, 404, 404, 404, 404),
    row("GET", "/contacts/log?org={b1}", None,                                     303, 200, 200, 200, 200, 200),
    row("GET", "/contacts/log?org={b2}", None,                                     303, 403, 403, 200, 200, 200),
    row("GET", "/contacts/log?org={township}", None,                               303, 403, 403, 200, 200, 200),
    row("GET", "/contacts/log?org={b3}", None,                                     303, 403, 403, 403, 200, 200),
    row("GET", "/contacts/log?org=999999", None,                                   303, 404, 404, 404, 404, 404),
    row("GET", "/contacts/log?org=abc", None,                                      303, 404, 404, 404, 404, 404),
    row("POST", "/contacts/log/retry", {"id": "{dead_b3}"},                        403, 403, 403, 303, 403, 303),
]


def test_access_matrix(app, web, world, users, setup, login):
    ids = {**setup, "note": _sec_notice(app, users), "b1": world.b1, "b2": world.b2, "b3": world.b3,
           "township": world.township, "county": world.county}
    failures = run_matrix(web, login, MATRIX, ids)
    assert not failures, "\n".join(failures)


def _bell(html: str) -> int:
    m = re.search(r'data-unread="(\d+)"', html)
    return int(m[1]) if m else 0


def test_the_bell_counts_one_s_own_unread_notices_on_every_page(app, world, users, setup, login):
    sec, town, county = login("sec"), login("town"), login("county")
    for url in ("/", "/candidates", "/overdue", "/contacts", "/contacts/log", "/more", "/account/password"):
        assert _bell(sec.get(url).text) == 2, url
        assert _bell(town.get(url).text) == 1, url
        assert _bell(county.get(url).text) == 0, url
    assert 'aria-label="站内通知：2 条未读"' in sec.get("/").text
    assert "没有未读" in county.get("/").text


def test_the_list_opens_marks_read_and_stays_one_s_own(app, world, users, setup, login):
    sec, com = login("sec"), login("com")
    page = sec.get("/notices").text
    assert page.index("审批通过") < page.index("被退回")  # newest first
    assert page.count('class="notice unread"') == 2
    ids = [int(i) for i in re.findall(r'href="/notices/(\d+)"', page)]
    r = sec.get(f"/notices/{ids[1]}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/candidates/{world.review}"
    assert _bell(sec.get("/").text) == 1 and _bell(com.get("/").text) == 2  # com's copies are its own
    assert com.get(f"/notices/{ids[0]}", follow_redirects=False).status_code == 404
    assert _bell(sec.get("/").text) == 1
    data = sec.get("/api/notices").json()
    assert data["unread"] == 1 and data["total"] == 2
    assert [(i["kind"], i["read"]) for i in data["items"]] == [("approved", False), ("returned", True)]
    assert data["items"][0]["kind_name"] == "审批通过" and data["items"][0]["created_at"] == "2026-11-25 09:00"
    token = sec.get("/api/me").json()["csrf_token"]
    assert sec.post("/api/notices/read-all", headers={"X-CSRF-Token": token}).json() == {"ok": True, "marked": 1}
    assert _bell(sec.get("/").text) == 0
    assert "全部标为已读" not in sec.get("/notices").text
    assert com.form("/notices/read-all", {}).status_code == 303
    assert "已将 2 条通知标为已读" in com.get("/notices").text


def test_contacts_scoped_added_edited_removed(app, world, users, setup, login):
    sec, town = login("sec"), login("town")
    page = sec.get("/contacts").text
    assert "贺丰书记" in page and "东王书记" not in page and "北庄书记" not in page
    assert "登记提醒接收人" not in page and "/edit" not in page  # read only
    tpage = town.get("/contacts").text
    assert "东王书记" in tpage and "北庄书记" not in tpage
    assert "SECRET" not in tpage and "gw.example.cn 的接收地址" in tpage  # a robot token is never shown
    r = town.form("/contacts", {"org_id": str(world.b2), "name": "东王副书记", "email": "bad@", "webhook": ""})
    assert r.status_code == 400 and "电子邮箱格式不对" in r.text and 'value="东王副书记"' in r.text
    r = town.form("/contacts", {"org_id": str(world.b2), "name": "东王副书记", "webhook": "ftp://x"})
    assert r.status_code == 400 and "接收地址无效" in r.text
    with app.uow() as uow:
        assert [c.name for c in uow.contacts.list(world.b2)] == ["东王书记"]  # nothing added
    r = town.form("/contacts", {"org_id": str(world.b2), "name": "东王副书记", "email": "dw2@example.cn"})
    assert r.status_code == 303
    assert "已登记东王村党支部的提醒接收人：东王副书记" in town.get("/contacts").text
    twice = town.form("/contacts", {"org_id": str(world.b2), "name": "东王副书记", "email": "dw2@example.cn"})
    assert twice.status_code == 400 and "东王副书记已登记为东王村党支部的提醒接收人" in twice.text  # Back, 登记 again
    with app.uow() as uow:
        assert [c.name for c in uow.contacts.list(world.b2)].count("东王副书记") == 1
    with app.uow() as uow:
        new = [c for c in uow.contacts.list(world.b2) if c.name == "东王副书记"][0]
    assert new.role == "branch_secretary" and new.email == "dw2@example.cn"
    assert town.form(f"/contacts/{new.id}/edit", {"name": "东王副书记", "email": "", "webhook": "https://sms.example.cn/x"}
                     ).status_code == 303
    with app.uow() as uow:
        got = uow.contacts.get(new.id)
    assert (got.email, got.webhook_url) == (None, "https://sms.example.cn/x")
    assert town.form(f"/contacts/{new.id}/remove", {}).status_code == 303
    with app.uow() as uow:
        assert uow.contacts.get(new.id) is None
    # the township's own contact is a township officer
    assert town.form("/contacts", {"org_id": str(world.township), "name": "组织委员"}).status_code == 303
    with app.uow() as uow:
        assert [c.role for c in uow.contacts.list(world.township)] == ["township_officer"]


def test_the_delivery_log_shows_states_errors_and_retries_within_scope(app, world, users, setup, login):
    sec, town = login("sec"), login("town")
    page = sec.get("/contacts/log").text
    assert "贺丰书记" in page and "东王书记" not in page and "北庄书记" not in page
    assert "已停止重试" in page and "失败原因：无法通过 SMTP 发送：连接被拒绝" in page
    assert "/contacts/log/retry" not in page  # read only
    tpage = town.get("/contacts/log").text
    assert "东王书记" in tpage and "已失败 3 次，下次重试" in tpage and "重试后已发送" in tpage
    assert "SECRET" not in tpage
    dead = town.get("/contacts/log?state=dead").text
    assert "贺丰书记" in dead and "东王书记" not in dead
    assert "东王书记" not in town.get(f"/contacts/log?org={world.b1}").text
    r = town.form("/contacts/log/retry", {"id": str(setup["dead_b1"]), "back": "/contacts/log?state=dead"})
    assert r.status_code == 303 and r.headers["location"] == "/contacts/log?state=dead"
    assert "已重新排队 1 条" in town.get("/contacts/log").text
    # a foreign township's row is not requeued (nothing changes)
    assert town.form("/contacts/log/retry", {"id": str(setup["dead_b3"])}).status_code == 303
    with app.uow() as uow:
        states = {r.id: r.status for r in uow.outbox.list()}
    assert states[setup["dead_b1"]] == "pending" and states[setup["dead_b3"]] == "dead"
