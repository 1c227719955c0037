"""Login throttling (issue 17, finding 4): per account from any address, per address; proxy
headers only from configured proxies; a locked account is told in Chinese when to retry."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from engine.errors import DomainError
from services.accounts.throttle import address_key
from services.accounts.users import LoginLocked, authenticate
from web.app import create_app

from tests.web.web_support import PASSWORD, Client

PROXY = ("10.0.0.2", 40000)


def _behind_proxy(app):
    return create_app(app, secret_key="test-secret-key-0123456789", secure_cookies=False,
                      trusted_proxies=["10.0.0.0/24"])


def _from(c: Client, address: str) -> dict:
    return {"headers": {"X-Forwarded-For": address}}


def _recorded_ips(app) -> list[str]:
    with app.uow(read_only=True) as uow:
        return [r.ip for r in uow.connection.execute(__import__("sqlalchemy").text(
            "SELECT ip FROM login_attempt ORDER BY id"))]


def test_the_issues_reproduction_now_locks(app, client, users):
    """8 wrong passwords, each with a different X-Forwarded-For, with no trusted proxy: 429 from the 6th."""
    codes = [client.login("sec", f"wrong-{i}", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
             for i in range(8)]
    assert codes == [401] * 5 + [429] * 3
    assert set(_recorded_ips(app)) == {"testclient"}  # the header was not believed


def test_per_account_lock_holds_across_addresses_behind_a_trusted_proxy(app, users):
    with Client(_behind_proxy(app), client=PROXY) as c:
        for i in range(5):
            assert c.login("sec", f"wrong-{i}", **_from(c, f"198.51.100.{i}")).status_code == 401
        r = c.login("sec", PASSWORD, **_from(c, "198.51.100.99"))  # a new address, the right password
        assert r.status_code == 429 and "请于 10:15 后再试" in r.text and r.headers["retry-after"] == "900"
        assert c.login("town", PASSWORD, **_from(c, "198.51.100.99")).status_code == 303  # other accounts are open
    assert _recorded_ips(app)[:5] == [f"198.51.100.{i}" for i in range(5)]  # the proxy's header was believed


def test_per_address_lock_over_many_names(app, users):
    with Client(_behind_proxy(app), client=PROXY) as c:
        for i in range(20):
            assert c.login(f"guess{i}", "wrong-password", **_from(c, "192.0.2.7")).status_code == 401
        r = c.login("sec", PASSWORD, **_from(c, "192.0.2.7"))
        assert r.status_code == 429 and "本机所在网络" in r.text and "请于 10:15 后再试" in r.text
        assert c.login("sec", PASSWORD, **_from(c, "192.0.2.8")).status_code == 303  # another address


def test_an_address_with_19_failures_is_open_and_a_success_does_not_clear_it(app, users):
    with Client(_behind_proxy(app), client=PROXY) as c:
        for i in range(19):
            c.login(f"guess{i}", "wrong-password", **_from(c, "192.0.2.7"))
        assert c.login("sec", PASSWORD, **_from(c, "192.0.2.7")).status_code == 303
        assert c.login("guess-last", "wrong-password", **_from(c, "192.0.2.7")).status_code == 401  # the 20th
        assert c.login("town", PASSWORD, **_from(c, "192.0.2.7")).status_code == 429


def test_a_peer_that_is_not_a_trusted_proxy_cannot_name_an_address(app, users):
    with Client(_behind_proxy(app), client=("192.0.2.50", 40000)) as c:
        c.login("sec", "wrong-password", headers={"X-Forwarded-For": "198.51.100.1"})
    assert _recorded_ips(app) == ["192.0.2.50"]


def test_lock_ends_at_the_minute_shown_and_the_hint_counts_down(app, client, users):
    base = app.clock()
    texts = [client.login("sec", f"wrong-{i}").text for i in range(5)]
    assert "再错" not in texts[1]
    assert "再错 2 次" in texts[2] and "再错 1 次" in texts[3]
    assert "再错 0 次" not in texts[4] and "请于 10:15 后再试" in texts[4] and "用户名或密码错误" in texts[4]
    app.clock = lambda: base + timedelta(minutes=15) - timedelta(seconds=1)
    assert client.login("sec").status_code == 429
    app.clock = lambda: base + timedelta(minutes=15)
    assert client.login("sec").status_code == 303


def test_the_retry_time_is_rounded_up_to_the_minute(app, client, users):
    base = app.clock()
    app.clock = lambda: base + timedelta(seconds=30)
    for i in range(5):
        client.login("sec", f"wrong-{i}")
    r = client.login("sec")
    assert "请于 10:16 后再试" in r.text and r.headers["retry-after"] == "900"


def test_the_json_login_is_locked_too(app, web, users):
    with Client(web) as c:
        for i in range(5):
            assert c.post("/api/login", json={"username": "sec", "password": f"wrong-{i}"}).status_code == 401
        r = c.post("/api/login", json={"username": "sec", "password": PASSWORD})
        assert r.status_code == 429 and r.headers["retry-after"] == "900"
        assert r.json()["error"] == "locked" and "登录失败次数过多" in r.json()["message"]
        assert "请于 10:15 后再试" in r.json()["message"]


def test_parallel_guesses_are_counted_one_after_another(app, users):
    """Eight guesses at once get five answers of 用户名或密码错误, no more (the counters are locked)."""
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def guess(i: int) -> None:
        barrier.wait()
        try:
            authenticate(app, "sec", f"wrong-{i}", f"192.0.2.{i}")
        except LoginLocked:
            outcomes.append("locked")
        except DomainError:
            outcomes.append("failed")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["failed"] * 5 + ["locked"] * 3


@pytest.mark.parametrize("given, key", [("192.0.2.1", "192.0.2.1"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
                                        ("::ffff:192.0.2.9", "192.0.2.9"), ("testclient", "testclient")])
def test_address_key(given, key):
    assert address_key(given) == key


def test_serve_trusts_no_proxy_header_unless_told(tmp_path, monkeypatch):
    import uvicorn

    from cli.main import app as cli_app

    seen: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: seen.append({"web": web, **kw}))
    monkeypatch.setenv("PARTYFLOW_SECRET_KEY", "x" * 32)
    monkeypatch.delenv("PARTYFLOW_TRUSTED_PROXIES", raising=False)
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}"]
    assert CliRunner().invoke(cli_app, ["serve", *db, "--no-scheduler"]).exit_code == 0
    assert seen[-1]["proxy_headers"] is False
    assert seen[-1]["web"].state.session_policy.idle == timedelta(hours=2)
    monkeypatch.setenv("PARTYFLOW_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    result = CliRunner().invoke(cli_app, ["serve", *db, "--no-scheduler", "--session-idle", "30"])
    assert result.exit_code == 0 and "可信的反向代理：127.0.0.1、10.0.0.0/8" in result.output
    assert seen[-1]["proxy_headers"] is False and seen[-1]["web"].state.session_policy.idle == timedelta(minutes=30)
    for bad, message in ((["--trusted-proxy", "proxy.local"], "不是 IP 地址或网段"),
                         (["--session-idle", "1"], "--session-idle 应为 5–1440 分钟"),
                         (["--session-idle", "800", "--session-max", "12"], "不能长于登录最长时间")):
        result = CliRunner().invoke(cli_app, ["serve", *db, "--no-scheduler", *bad])
        assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    assert len(seen) == 2
