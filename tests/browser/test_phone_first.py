"""Phone-first on every main page (issue 15, item 6): at 360 px and at 150 % text no sideways
scroll, no header parts on top of each other, every visible link, button, field and checkbox row
at least 44 px tall; forms and downloads show they are busy and take one tap only.

The double-tap tests hold the first request at the browser (Playwright routing) so the second
tap really happens while the first is on its way, and count what reached the network.
"""
from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services.worklist.reads import open_items
from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MIN_TAP = 44

# Every visible a / button / input / select / textarea / summary that is under 44 px tall; a
# checkbox or radio button is measured by its label row (the tappable box), and must be drawn at
# least 24 px. Elements in a closed <details> or hidden are not on screen.
SMALL_TARGETS = """(min) => {
  const out = [];
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none';
  };
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!shown(el)) continue;
    let box = el, what = el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : '');
    if (el.type === 'checkbox' || el.type === 'radio') {
      const drawn = el.getBoundingClientRect();
      if (drawn.height < 24 || drawn.width < 24) out.push(what + ' drawn ' + Math.round(drawn.height) + ' px');
      box = el.closest('label') || el.parentElement;
    }
    const h = box.getBoundingClientRect().height;
    if (h < min - 0.5) out.push(what + ' “' + (el.innerText || el.value || el.name || '').trim().slice(0, 30) + '” ' + h.toFixed(1) + ' px');
    // buttons are square targets too (a link inside a sentence is exempt: WCAG 2.5.5's inline case)
    const w = box.getBoundingClientRect().width;
    if ((el.tagName === 'BUTTON' || el.classList.contains('button')) && w < min - 0.5)
      out.push(what + ' “' + (el.innerText || el.value || el.name || '').trim().slice(0, 30) + '” ' + w.toFixed(1) + ' px wide');
  }
  return out;
}"""

# Header parts that overlap each other (brand, each nav link, the user's part).
HEADER_OVERLAPS = """() => {
  const parts = [...document.querySelectorAll('header.top .brand, header.top nav a, header.top .me > *')]
    .filter(el => el.getBoundingClientRect().width > 0);
  const out = [];
  const nav = document.querySelector('header.top nav');
  const navBox = nav ? nav.getBoundingClientRect() : null;
  for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
    const a = parts[i].getBoundingClientRect(), b = parts[j].getBoundingClientRect();
    // nav links scrolled out of the nav's own box are not on screen
    const clipped = (el, r) => navBox && nav.contains(el) && (r.right <= navBox.left || r.left >= navBox.right);
    if (clipped(parts[i], a) || clipped(parts[j], b)) continue;
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
      out.push(parts[i].innerText.trim() + ' / ' + parts[j].innerText.trim());
  }
  return out;
}"""


WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5 && !el.closest('.table-wrap, header.top nav'))
  .slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))"""


def _check(page, label: str) -> None:
    try:
        no_horizontal_overflow(page)
    except AssertionError as e:
        raise AssertionError(f"{label}: {e}; sticking out: {page.evaluate(WIDE)}") from None
    small = page.evaluate(SMALL_TARGETS, MIN_TAP)
    assert not small, f"{label} {page.url}: tap targets under {MIN_TAP} px: {small}"
    overlaps = page.evaluate(HEADER_OVERLAPS)
    assert not overlaps, f"{label} {page.url}: header parts overlap: {overlaps}"


def _larger_text(page) -> None:
    """The browser's text size at 150 %: the root font size every rem/em size follows."""
    page.evaluate("document.documentElement.style.fontSize = '150%'")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 23.5


@pytest.fixture
def places(server):
    """(secretary, candidate, step): a step of a branch's that may be done today, and the
    secretary of that branch."""
    server.set_today(date(2018, 7, 2))
    branches = list(server.town["branches"])
    item = next(i for i in open_items(server.app, None, "branch") if i["ready"])
    secretary = f"shuji{branches.index(item['branch_id']) // 2 + 1:02d}"  # one secretary per pair of branches
    return secretary, item["candidate_id"], item["step"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_main_pages_fit_and_every_target_is_tappable(open_as, places, viewport, monkeypatch):
    import web.routes.pages as page_routes

    secretary, cid, step = places
    sec = open_as(secretary, viewport)
    pages = ["/", "/candidates", f"/candidates/{cid}", f"/candidates/{cid}/steps/{step}", "/candidates/new",
             "/overdue", "/reports", "/more"]
    for url in pages:
        sec.goto(url)
        if url == "/candidates/new":
            assert sec.locator("input[type=checkbox]").count() >= 2  # the categories to tick
        _check(sec, secretary)
        _larger_text(sec)
        _check(sec, secretary + " 150%")
    town = open_as("zuzhi", viewport)
    monkeypatch.setattr(page_routes, "PAGE_SIZE", 2)  # /candidates: 查看全部 N 人 links and a stage in pages
    for url in ("/queue", "/reports", "/more", "/candidates", "stage"):
        if url == "stage":  # one stage in pages (上一页/下一页), reached by its 查看全部 N 人 link
            url = town.locator("a", has_text="查看全部").first.get_attribute("href") + "&page=2"
        town.goto(url)
        if "stage=" in url:
            assert town.locator("nav.pager a", has_text="上一页").count() == 1
        _check(town, "zuzhi")
        _larger_text(town)
        _check(town, "zuzhi 150%")


def test_the_login_page_fits_at_larger_text(browser, server):
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=server.base_url)
    page = ctx.new_page()
    page.goto("/login")
    _check(page, "anon")
    _larger_text(page)
    _check(page, "anon 150%")
    ctx.close()


class Gate:
    """Holds the server's work for a request until `release()` (the server runs in this process),
    so a second tap really happens while the first request is on its way; counts the requests."""

    def __init__(self, monkeypatch, module, name: str):
        self.calls = 0
        self.entered = threading.Event()
        self.opened = threading.Event()
        real = getattr(module, name)

        def held(*args, **kwargs):
            self.calls += 1
            self.entered.set()
            self.opened.wait(timeout=60)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, held)

    def wait_for_first(self) -> None:
        assert self.entered.wait(timeout=15), "the first request never reached the server"

    def release(self) -> None:
        self.opened.set()


# While a form's request is on its way Playwright cannot evaluate in the page (its navigation is
# pending), so the page reports its submit button's changes on the console.
WATCH = """(sel) => { const b = document.querySelector(sel);
  new MutationObserver(() => console.log('pf-button:' + b.textContent.trim() + '|' + (b.disabled ? 'disabled' : 'enabled')))
    .observe(b, {childList: true, characterData: true, subtree: true, attributes: true}); }"""


def _double_tap(page, gate: Gate, button: str) -> None:
    """Tap `button`, and tap it again while its request is held at the server; the button must
    say 正在处理… and be disabled meanwhile."""
    page.evaluate(WATCH, button)
    page.locator(button).scroll_into_view_if_needed()
    box = page.locator(button).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_console_message(lambda m: m.text == "pf-button:正在处理…|disabled"):
        page.mouse.click(x, y)
        gate.wait_for_first()
        page.mouse.click(x, y)  # the second tap, while the first is on its way
    page.mouse.click(x, y)  # and one on the busy button
    gate.release()


def test_a_double_tap_on_login_sends_one_request_and_shows_progress(browser, server, monkeypatch):
    import web.routes.auth as auth

    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=server.base_url)
    page = ctx.new_page()
    page.goto("/login")
    gate = Gate(monkeypatch, auth, "authenticate")
    page.fill("input[name=username]", "shuji01")
    page.fill("input[name=password]", PASSWORD)
    _double_tap(page, gate, "form button[type=submit]")
    page.wait_for_url(server.base_url + "/")
    assert gate.calls == 1, f"{gate.calls} login requests reached the server"
    ctx.close()


def test_a_step_form_submitted_twice_quickly_is_one_request(open_as, places, monkeypatch):
    import web.routes.steps as steps

    secretary, cid, step = places
    page = open_as(secretary, PHONE)
    page.goto(f"/candidates/{cid}/steps/{step}")
    gate = Gate(monkeypatch, steps, "check_fields")
    page.fill("input[name=occurred_on]", "")  # no date: the refusal page comes back, nothing is written
    _double_tap(page, gate, "form.form button[type=submit]")
    page.wait_for_selector(".field-error")
    assert gate.calls == 1, f"{gate.calls} requests reached the server"


def test_a_download_shows_progress_and_a_double_tap_is_one_file(open_as, server, monkeypatch):
    import web.routes.orgs as orgs

    page = open_as("zuzhi", PHONE)
    page.goto("/reports?period=2018H1")
    gate = Gate(monkeypatch, orgs, "write_report")
    link = page.locator("a[download][href*='format=docx']")
    link.scroll_into_view_if_needed()
    box = link.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    gate.wait_for_first()
    page.mouse.click(x, y)  # a second tap as soon as the first reached the server
    expect(link).to_contain_text("正在生成")
    page.mouse.click(x, y)  # and one on the busy link
    with page.expect_download() as info:
        gate.release()
    download = info.value
    assert download.suggested_filename.endswith(".docx") and "2018" in download.suggested_filename
    expect(link).not_to_contain_text("正在生成")
    expect(link).to_contain_text("Word")
    assert gate.calls == 1, f"{gate.calls} files were made"


def test_screenshots_of_the_menu_and_the_period_picker(open_as, server, tmp_path):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        town = open_as("zuzhi", viewport)
        town.goto("/more")
        no_horizontal_overflow(town)
        if size == "phone":  # 全部功能 is the first link of the header's rows (the rest wraps below)
            first = town.locator("header.top nav a").evaluate_all(
                "links => links.map(a => [a.textContent, a.getBoundingClientRect().top, a.getBoundingClientRect().left])"
                ".sort((p, q) => p[1] - q[1] || p[2] - q[2])[0][0]")
            assert first == "全部功能"
        town.screenshot(path=str(out / f"more-{size}.png"))
        town.goto("/reports?period=range&start=2018-03-01&end=2018-06-30")
        assert town.locator("select[name=period]").input_value() == "range"
        assert town.locator("input[name=start]").is_visible()
        if size == "phone":
            town.screenshot(path=str(out / "report-phone.png"))
        town.select_option("select[name=period]", "2018H1")
        assert not town.locator("input[name=start]").is_visible()  # the dates only for 自定义日期范围
        with town.expect_navigation():
            town.click("form.selector button[type=submit]")
        assert "2018年上半年" in town.inner_text("main h2")
        assert "start=" not in town.url  # hidden dates are not sent
        no_horizontal_overflow(town)
