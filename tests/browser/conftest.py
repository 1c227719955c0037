"""Browser tests: a real server (uvicorn in a thread, the demo township of services/demo/township.py with
its accounts) driven by Playwright through Debian's chromium.

The server's database is SQLite in a temp folder (`server`); the main journeys run on PostgreSQL
too (`pg_server`: a schema of its own in the test database, as tests/conftest.py gives every
database test — skipped locally when PostgreSQL is unreachable, a failure under CI=true). Pages
that do not depend on the database (screenshots, the API docs) use SQLite only. A test logs in
to the `site` fixture's server: `server` unless a module overrides `site` (tests/browser/test_journeys.py).

No `playwright install`: the browser is /usr/bin/chromium (`.ci/run` installs it with apt). Without
it (or without the playwright package) the tests are skipped locally, and fail under CI=true.
The server's clock is a simulated one the tests move (`server.set_today`), as the demo's is.
"""
from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import pg_schema

CHROMIUM = os.environ.get("PARTYFLOW_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "nanchuan-demo"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _unavailable(reason: str):
    if _in_ci():
        pytest.fail(f"浏览器测试无法运行：{reason}", pytrace=False)
    pytest.skip(reason)


class Server:
    def __init__(self, app, town, base_url: str):
        self.app, self.town, self.base_url = app, town, base_url
        self.today = date(2018, 7, 2)
        self._started = time.monotonic()

    def set_today(self, day: date) -> None:
        self.today = day

    def clock(self) -> datetime:
        """The simulated day at 09:00 Beijing time plus the time since the server started: moving
        forward like a real clock, never across midnight (the wall clock's time of day did: a run
        at 00:00 UTC saw a return dated before its submission and the notice not yet due)."""
        from services.app import SHANGHAI

        since = timedelta(seconds=time.monotonic() - self._started)
        return datetime.combine(self.today, datetime.min.time(), SHANGHAI) + timedelta(hours=9) + since


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def _cheap_hashes():
    """argon2id with small parameters for the demo accounts and every login (the shipped 64 MiB ×
    3 passes cost ~0.1 s a hash; tests/web checks the production parameters)."""
    from argon2 import PasswordHasher

    import services.accounts.users as su

    real = su.HASHER
    su.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    su.HASHER = real


def _serve(url: str):
    """Build the demo township in the database at `url` and serve it: (Server, stop())."""
    import uvicorn

    from services.app import App
    from services.demo import run_demo
    from services.demo.accounts import create_demo_accounts
    from services.accounts.sessions import SessionPolicy
    from web.app import create_app

    app = App.open(url)
    result = run_demo(app)
    srv = Server(app, result["town"], "")
    app.clock = srv.clock
    create_demo_accounts(app, result["town"])
    port = _free_port()
    srv.base_url = f"http://127.0.0.1:{port}"
    # the tests move the simulated day by months with one browser signed in: sessions must not time out
    long = SessionPolicy(idle=timedelta(days=3650), absolute=timedelta(days=3650))
    web = create_app(app, secret_key="browser-test-secret-0123456789", secure_cookies=False, session_policy=long)
    uv = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)

    def stop() -> None:
        uv.should_exit = True
        thread.join(timeout=10)
        app.close()

    return srv, stop


@pytest.fixture(scope="session")
def server(_cheap_hashes):
    """The demo township on SQLite (a temp folder)."""
    folder = tempfile.mkdtemp(prefix="partyflow-browser-")
    srv, stop = _serve(f"sqlite:///{Path(folder) / 'demo.db'}")
    yield srv
    stop()


@pytest.fixture(scope="session")
def pg_server(_cheap_hashes, _pg_admin_engine):
    """The demo township on PostgreSQL, in a schema of its own (dropped afterwards)."""
    with pg_schema(_pg_admin_engine, "pf_browser") as url:
        srv, stop = _serve(url)
        try:
            yield srv
        finally:
            stop()


@pytest.fixture
def site(server):
    """The server `open_as` logs in to (overridden where a test runs on both databases)."""
    return server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable(f"没有 {CHROMIUM}（Debian 的 chromium 包；.ci/run 以 root 用 apt 安装）")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("没有安装 playwright（pip install -e '.[test]'）")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--lang=zh-CN"])
        yield b
        b.close()


@pytest.fixture
def open_as(browser, site):
    """open_as("shuji01", PHONE) -> a logged-in page (its own browser context: own cookies)."""
    contexts = []

    def make(username: str, viewport=DESKTOP, **options):  # options: more of new_context's (has_touch…)
        ctx = browser.new_context(viewport=viewport, locale="zh-CN", base_url=site.base_url,
                                  device_scale_factor=1, **options)
        ctx.set_default_timeout(15000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(site.base_url + "/")
        return page

    yield make
    for c in contexts:
        c.close()


def no_horizontal_overflow(page) -> None:
    """Nothing sticks out sideways: the page does not scroll horizontally."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: scrollWidth {width} > innerWidth {inner}"
