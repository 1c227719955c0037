"""Server-side sessions (issue 17, finding 3): the cookie is a random token, the session a row;
logout, a password change and 退出所有设备 end it at once; idle and absolute timeouts; the token
rotates at login."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.integrity.audit_log import entries
from services.accounts.sessions import SessionPolicy
from services.accounts.users import set_password
from storage.tables import web_session
from web.app import create_app
from web.security import SESSION_COOKIE

from tests.web.web_support import PASSWORD, Client

HOST = "testserver.local"  # the test client's cookie domain


def _saved(c: Client) -> Client:
    """A second browser holding a copy of `c`'s session cookie (what an attacker would replay)."""
    copy = Client(c.app)
    copy.cookies.set(SESSION_COOKIE, c.cookies.get(SESSION_COOKIE), domain=HOST)
    return copy


def _row(app, token: str):
    with app.uow(read_only=True) as uow:
        return uow.connection.execute(select(web_session).where(
            web_session.c.id == hashlib.sha256(token.encode()).hexdigest())).first()


def _out(c: Client) -> bool:
    """Signed out: 401 on the API and a login redirect on pages."""
    page = c.get("/", follow_redirects=False)
    return c.get("/api/me").status_code == 401 and page.status_code == 303 and \
        page.headers["location"].startswith("/login")


def test_a_cookie_saved_before_logout_is_refused_after_it(login):
    """The issue's reproduction: logout used to clear only the browser's copy."""
    c = login("sec")
    saved = _saved(c)
    assert saved.get("/api/me").status_code == 200
    assert c.form("/logout", {}).status_code == 303
    assert _out(saved) and _out(c)


def test_the_cookie_is_only_a_random_token_new_at_every_login(app, web, users):
    c = Client(web)
    c.cookies.set(SESSION_COOKIE, "planted-by-someone-else", domain=HOST)  # session fixation attempt
    r = c.login("sec")
    token = c.cookies.get(SESSION_COOKIE)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token) and token != "planted-by-someone-else"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=lax" in r.headers["set-cookie"].lower()
    row = _row(app, token)
    assert row.user_id == users["sec"]["id"] and row.revoked_at is None
    assert row.expires_at - row.created_at == timedelta(hours=12)
    again = _saved(c)
    assert c.login("sec").status_code == 303  # the same browser signs in again
    assert c.cookies.get(SESSION_COOKIE) != token
    assert _row(app, token).revoked_reason == "replaced" and _out(again)
    assert c.get("/api/me").status_code == 200


def test_csrf_token_is_bound_to_the_session(login):
    a, b = login("sec"), login("sec")
    token_a, token_b = a.get("/api/me").json()["csrf_token"], b.get("/api/me").json()["csrf_token"]
    assert token_a != token_b
    r = a.post("/api/notices/read-all", headers={"X-CSRF-Token": token_b})
    assert r.status_code == 403 and r.json()["error"] == "csrf"


def test_password_change_ends_the_other_sessions_and_a_saved_copy(app, login):
    phone, office = login("sec"), login("sec")
    saved_phone = _saved(phone)
    r = phone.form("/account/password", {"old": PASSWORD, "new": "new-password-9", "again": "new-password-9"})
    assert r.status_code == 303
    assert phone.get("/api/me").status_code == 200  # this browser goes on, under a new token
    assert _out(office) and _out(saved_phone)
    assert "密码已修改" in phone.get("/").text


def test_a_password_set_on_the_command_line_ends_every_session(app, login):
    c = login("sec")
    set_password(app, "sec", "reset-by-admin-1", by="命令行：管理员")
    assert _out(c)


def test_disabling_an_account_ends_its_sessions(app, login, users):
    c, admin = login("sec"), login("admin")
    assert admin.form("/admin/users/sec/active", {"active": "0"}).status_code == 303
    assert _out(c)
    with app.uow() as uow:
        uow.users.set_active(users["sec"]["id"], True)
    assert _out(c)  # enabling it again does not bring the old session back


def test_administrator_signs_a_user_out_everywhere(app, login, users):
    phone, office, other, admin = login("sec"), login("sec"), login("town"), login("admin")
    assert "已在 2 处登录" in admin.get("/admin/users").text
    r = admin.form("/admin/users/sec/sessions/end", {})
    assert r.status_code == 303
    assert "已让用户 sec 退出所有设备（2 处登录）" in admin.get("/admin/users").text
    assert _out(phone) and _out(office)
    assert other.get("/api/me").status_code == 200 and admin.get("/api/me").status_code == 200
    logged = [e for e in entries(app) if e["action"] == "user.logout_all"]
    assert logged and logged[0]["username"] == "admin" and logged[0]["detail"] == {"username": "sec", "sessions": 2}
    assert admin.form("/admin/users/nobody/sessions/end", {}).status_code == 404
    assert phone.form("/admin/users/town/sessions/end", {}).status_code in (303, 401)  # signed out: no effect
    assert other.get("/api/me").status_code == 200


def test_a_non_administrator_cannot_sign_others_out(login):
    sec, town = login("sec"), login("town")
    assert sec.form("/admin/users/town/sessions/end", {}).status_code == 403
    assert town.get("/api/me").status_code == 200


def test_users_own_sign_out_everywhere_and_sessions_list(login):
    phone = login("sec")
    office = Client(phone.app, headers={"user-agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36"})
    assert office.login("sec").status_code == 303
    page = office.get("/account/sessions").text
    assert "Chrome 浏览器 · Windows" in page and "本机" in page and "12 小时" in page and "2 小时" in page
    assert page.count("<tr><td>") == 2
    r = office.form("/account/sessions/end", {})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "已退出所有设备（2 处登录），请重新登录" in office.get("/login").text
    assert _out(phone) and _out(office)


def test_idle_timeout_and_last_seen_written_at_most_once_a_minute(app, login):
    c = login("sec")
    token = c.cookies.get(SESSION_COOKIE)
    start = app.clock()
    seen = _row(app, token).last_seen_at
    app.clock = lambda: start + timedelta(seconds=59)
    assert c.get("/api/me").status_code == 200
    assert _row(app, token).last_seen_at == seen  # not written: seen less than a minute ago
    app.clock = lambda: start + timedelta(minutes=1)
    assert c.get("/api/me").status_code == 200
    assert _row(app, token).last_seen_at == seen + timedelta(minutes=1)
    seen = start + timedelta(minutes=1)
    for _ in range(2):  # idle 1:59:59, twice: live, and marked seen each time
        seen += timedelta(hours=2) - timedelta(seconds=1)
        app.clock = lambda at=seen: at
        assert c.get("/api/me").status_code == 200
        assert _row(app, token).last_seen_at == app.utcnow()
    app.clock = lambda: seen + timedelta(hours=2)  # idle exactly 2 h
    assert _out(c)


def test_absolute_timeout_ends_even_a_busy_session(app, login):
    c = login("sec")
    start = app.clock()
    for hour in range(1, 12):
        app.clock = lambda h=hour: start + timedelta(hours=h)
        assert c.get("/api/me").status_code == 200
    app.clock = lambda: start + timedelta(hours=12) - timedelta(seconds=1)
    assert c.get("/api/me").status_code == 200
    app.clock = lambda: start + timedelta(hours=12)
    assert _out(c)


def test_timeouts_are_configurable(app, users):
    web = create_app(app, secret_key="test-secret-key-0123456789", secure_cookies=False,
                     session_policy=SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=1)))
    with Client(web) as c:
        assert c.login("sec").status_code == 303
        start = app.clock()
        app.clock = lambda: start + timedelta(minutes=29)
        assert c.get("/api/me").status_code == 200
        app.clock = lambda: start + timedelta(minutes=58)
        assert c.get("/api/me").status_code == 200
        app.clock = lambda: start + timedelta(minutes=60)  # idle 2 minutes, but an hour since login
        assert c.get("/api/me").status_code == 401
    with Client(web) as c:
        assert c.login("sec").status_code == 303
        app.clock = lambda: start + timedelta(minutes=90)  # idle exactly 30 minutes
        assert c.get("/api/me").status_code == 401
    with pytest.raises(ValueError):
        SessionPolicy(idle=timedelta(hours=3), absolute=timedelta(hours=2))


def test_json_login_gives_a_session_and_its_csrf_token(web, users):
    with Client(web) as c:
        r = c.post("/api/login", json={"username": "sec", "password": PASSWORD})
        assert r.status_code == 200 and r.json()["ok"] is True
        token = r.json()["csrf_token"]
        assert c.get("/api/me").json()["csrf_token"] == token
        assert c.post("/api/notices/read-all", headers={"X-CSRF-Token": token}).status_code == 200
    with Client(web) as c:  # a form post from another site cannot log a browser in
        r = c.post("/api/login", data={"username": "sec", "password": PASSWORD})
        assert r.status_code in (415, 422) and SESSION_COOKIE not in c.cookies
        r = c.post("/api/login", json={"username": "sec", "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["message"].startswith("用户名或密码错误")


def test_an_unknown_or_overlong_cookie_is_just_signed_out(web, users):
    with Client(web) as c:
        for value in ("x" * 500, "not-a-session"):
            c.cookies.set(SESSION_COOKIE, value, domain=HOST)
            assert _out(c)
