"""Login, logout, rate limiting, CSRF, cookie flags, password change."""
from __future__ import annotations

from datetime import datetime, timedelta

from services.app import SHANGHAI
from services.integrity.audit_log import entries
from services.accounts.users import change_password
from web.app import create_app

from tests.web.web_support import PASSWORD, Client


def test_login_ok_sets_a_hardened_session_cookie(login, web, users):
    c = Client(web)
    r = c.login("sec")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # this app was built with secure_cookies=False
    assert "用户sec" in c.get("/").text


def test_secure_flag_when_asked(app, users):
    secure = create_app(app, secret_key="another-secret-key-0123", secure_cookies=True)
    with Client(secure, base_url="https://testserver") as c:
        r = c.login("sec")
        assert r.status_code == 303
        assert "; secure" in r.headers["set-cookie"].lower()


def test_bad_password_and_unknown_user_say_the_same(client, users):
    for name, pw in (("sec", "wrong-password"), ("nobody", PASSWORD)):
        r = client.login(name, pw)
        assert r.status_code == 401
        assert "用户名或密码错误" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303  # still not logged in


def test_rate_limit_after_five_failures_then_open_again(app, client, users):
    for i in range(5):
        assert client.login("sec", f"wrong-{i}").status_code == 401
    r = client.login("sec")  # the right password is refused too while locked
    assert r.status_code == 429
    assert "登录失败次数过多" in r.text and "10:15 后再试" in r.text  # the first failure at 10:00 + 15 minutes
    other_user = client.login("town")  # the limit is per user name (and address)
    assert other_user.status_code == 303
    base = app.clock()
    app.clock = lambda: base + timedelta(minutes=14, seconds=59)
    assert client.login("sec").status_code == 429
    app.clock = lambda: base + timedelta(minutes=15, seconds=1)
    assert client.login("sec").status_code == 303


def test_a_success_resets_the_failure_count(client, users):
    for i in range(4):
        client.login("sec", f"wrong-{i}")
    assert client.login("sec").status_code == 303
    for i in range(4):
        assert client.login("sec", f"again-{i}").status_code == 401
    assert client.login("sec").status_code == 303


def test_rate_limit_holds_across_app_instances(app, web, users):
    """Attempts live in the database: a second server process sees the first one's failures."""
    for i in range(5):
        Client(web).login("sec", f"wrong-{i}")
    other = create_app(app, secret_key="second-process-secret-key", secure_cookies=False)
    assert Client(other).login("sec").status_code == 429


def test_post_without_csrf_is_403(login, world):
    c = login("sec")
    for url, data in ((f"/candidates/{world.fresh}/steps/first_talk", {"occurred_on": "2026-11-20", "f.talker": "李"}),
                      ("/logout", {}), ("/queue/return", {"candidate_id": 1, "step": "x", "reason": "r"})):
        r = c.post(url, data=data, follow_redirects=False)
        assert r.status_code == 403, url
        assert "安全校验失败" in r.text
        r = c.post(url, data={**data, "csrf_token": "forged"}, follow_redirects=False)
        assert r.status_code == 403
    r = c.post(f"/api/candidates/{world.fresh}/steps/first_talk", json={"occurred_on": "2026-11-20"})
    assert r.status_code == 403 and r.json()["error"] == "csrf"


def test_login_form_needs_csrf_too(client, users):
    r = client.post("/login", data={"username": "sec", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403


def test_logout_ends_the_session(login):
    c = login("sec")
    r = c.form("/logout", {})
    assert r.status_code == 303
    assert c.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert c.get("/api/me").status_code == 401


def test_unauthenticated_page_redirects_with_next(client):
    r = client.get("/candidates/1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/candidates/1"


def test_next_is_never_an_open_redirect(client, users):
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    r = client.post("/login", data={"username": "sec", "password": PASSWORD, "csrf_token": token,
                                    "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_password_change_logs_out_other_sessions(app, login, users):
    phone, office = login("sec"), login("sec")
    app.clock = lambda: datetime(2026, 11, 25, 11, 0, tzinfo=SHANGHAI)  # a later instant
    r = phone.form("/account/password", {"old": PASSWORD, "new": "new-password-9", "again": "new-password-9"})
    assert r.status_code == 303
    assert phone.get("/").status_code == 200  # the session that changed it goes on
    assert office.get("/", follow_redirects=False).status_code == 303  # the other one is out
    assert Client(phone.app).login("sec", "new-password-9").status_code == 303
    assert "user.password" in [e["action"] for e in entries(app, user_id=users["sec"]["id"])]


def test_password_change_refusals(app, login, users):
    c = login("sec")
    r = c.form("/account/password", {"old": "wrong", "new": "new-password-9", "again": "new-password-9"})
    assert r.status_code == 400 and "原密码不正确" in r.text
    r = c.form("/account/password", {"old": PASSWORD, "new": "short", "again": "short"})
    assert "密码至少 8 位" in r.text
    r = c.form("/account/password", {"old": PASSWORD, "new": "new-password-9", "again": "other-password"})
    assert "两次输入的新密码不一致" in r.text


def test_disabled_account_is_logged_out(app, login, users):
    c = login("sec")
    with app.uow() as uow:
        uow.users.set_active(users["sec"]["id"], False)
    assert c.get("/", follow_redirects=False).status_code == 303
    assert Client(c.app).login("sec").status_code == 401


def test_production_hash_parameters(app, world):
    """Tests run with a cheaper hasher (conftest); the shipped one is argon2id at OWASP's minimum,
    19 MiB, t=2, p=1 (docs/security.md, tests/unit/test_password_parameters.py)."""
    from argon2 import PasswordHasher, Type

    import services.accounts.users as su
    assert su.HASHER.type is Type.ID
    shipped = su.PRODUCTION_HASHER
    assert (shipped.time_cost, shipped.memory_cost, shipped.parallelism, shipped.type) == (2, 19456, 1, Type.ID)
    assert shipped.hash("x" * 8).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_weak_hash_is_upgraded_at_login(app, client, users, monkeypatch):
    import services.accounts.users as su
    from argon2 import PasswordHasher
    stronger = PasswordHasher(time_cost=2, memory_cost=su.HASHER.memory_cost * 2, parallelism=1)
    monkeypatch.setattr(su, "HASHER", stronger)
    assert client.login("sec").status_code == 303
    with app.uow() as uow:
        assert not stronger.check_needs_rehash(uow.users.by_username("sec").password_hash)
