"""Screenshots of the main pages at phone (360 px) and desktop width; each page is also checked
for sideways overflow. They go to a temporary folder; with PARTYFLOW_WRITE_SCREENSHOTS=1 they
replace the ones in docs/screenshots/ (referenced from docs/web.md)."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from services.worklist.reads import open_items
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_BYTES = 200_000


def test_main_pages(server, browser, open_as, tmp_path):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    server.set_today(date(2018, 7, 2))
    target = next(i for i in open_items(server.app, None) if i["step"] == "admission_meeting" and i["ready"])
    cid = target["candidate_id"]
    secretary = f"shuji{list(server.town['branches']).index(target['branch_id']) // 2 + 1:02d}"
    shots = []

    def shot(page, name: str) -> None:
        no_horizontal_overflow(page)
        path = out / f"{name}.png"
        page.screenshot(path=str(path))
        shots.append(path)

    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        ctx = browser.new_context(viewport=viewport, locale="zh-CN", base_url=server.base_url)
        login = ctx.new_page()
        login.goto("/login")
        shot(login, f"login-{size}") if size == "phone" else None
        ctx.close()

        sec = open_as(secretary, viewport)
        shot(sec, f"week-{size}")
        # candidate-{size}.png: tests/browser/test_candidate_page.py
        sec.goto(f"/candidates/{cid}/steps/admission_meeting")
        for part, n in (("should_attend", "16"), ("present", "8"), ("yes", "8"), ("no", "0"), ("abstain", "0")):
            sec.fill(f"input[name='f.vote.{part}']", n)
        sec.fill("textarea[name='f.resolution']", "同意接收为预备党员")
        sec.click("form.form button[type=submit]")
        assert "会议无效" in sec.inner_text("[role=alert]") and "细则第二十条" in sec.inner_text("[role=alert]")
        shot(sec, f"step-error-{size}")

        town = open_as("zuzhi", viewport)  # the queue's screenshots: tests/browser/test_review_loop.py
        town.goto("/reports?period=2018H1")
        shot(town, f"report-{size}")
        if size == "desktop":  # three months on, some steps are overdue
            server.set_today(date(2018, 10, 8))
            town.goto("/overdue")
            shot(town, f"overdue-{size}")
            server.set_today(date(2018, 7, 2))
    for path in shots:
        assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size} bytes"
