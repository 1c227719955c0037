"""更正记录 through the web on a 360 px phone and a desktop: the records page, the correction form,
the preview of what changes, 确认; then 合规检查 and overdue as of a chosen date. Screenshots
records-*, correct-preview-*, findings-*, overdue-asof-* (docs/screenshots with
PARTYFLOW_WRITE_SCREENSHOTS=1). The phone moves a first talk one day earlier, the desktop moves
it back: the demo's dates end as they began."""
from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from services.casework.queries import show_candidate
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _first_talk(server):
    """(candidate id, seq, date) of a first talk in shuji01's first branch with room to move a day
    earlier (at least two days after the application)."""
    with server.app.uow(read_only=True) as uow:
        cids = [c.id for c in uow.candidates.list([server.town["branches"][0]], limit=None)]
    for cid in cids:
        view = show_candidate(server.app, cid)
        applied = date.fromisoformat(view["candidate"]["applied_on"])
        for e in view["timeline"]:
            if e["step"] == "first_talk" and e["status"] == "effective" and \
                    date.fromisoformat(e["occurred_on"]) - applied >= timedelta(days=2):
                return cid, e["seq"], date.fromisoformat(e["occurred_on"])
    raise AssertionError("the demo has no first talk to correct")


def test_correct_a_date_and_read_findings(server, open_as, tmp_path):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    server.set_today(date(2018, 7, 2))
    cid, seq, original = _first_talk(server)

    def shot(page, name):
        no_horizontal_overflow(page)
        page.screenshot(path=str(out / f"{name}.png"))

    for size, viewport, new in (("phone", PHONE, original - timedelta(days=1)), ("desktop", DESKTOP, original)):
        sec = open_as("shuji01", viewport)
        sec.goto(f"/candidates/{cid}/records")
        link = sec.locator(f"a[href='/candidates/{cid}/records/{seq}/correct']")
        assert link.is_visible()
        link.scroll_into_view_if_needed()
        shot(sec, f"records-{size}")
        link.click()
        old = sec.input_value("input[name=occurred_on]")
        assert old == (original if size == "phone" else original - timedelta(days=1)).isoformat()
        sec.fill("input[name=occurred_on]", new.isoformat())
        sec.fill("textarea[name=reason]", "录入时日期填错，以谈话记录为准")
        no_horizontal_overflow(sec)
        sec.click("button[value=preview]")
        sec.wait_for_selector("table.diff")
        diff = sec.inner_text("table.diff")
        assert "办理日期" in diff and old in diff and new.isoformat() in diff
        versions = show_candidate(server.app, cid)["candidate"]["version"]
        shot(sec, f"correct-preview-{size}")
        sec.click("button[value=confirm]")
        sec.wait_for_url(f"**/candidates/{cid}/records")
        assert "已更正" in sec.inner_text("main")
        after = show_candidate(server.app, cid)
        assert after["candidate"]["version"] == versions + 1
        assert after["timeline"][-1]["kind"] == "correct" and after["timeline"][-1]["occurred_on"] == new.isoformat()

        sec.goto(f"/candidates/{cid}/records/{seq}/void")  # voiding it would leave later steps without it
        sec.fill("textarea[name=reason]", "误录")
        sec.click("button[value=preview]")
        alert = sec.inner_text("[role=alert]")
        assert "不能作废" in alert and "请先更正或作废后续记录" in alert
        assert sec.input_value("textarea[name=reason]") == "误录"
        no_horizontal_overflow(sec)
        assert show_candidate(server.app, cid)["candidate"]["version"] == versions + 1  # a preview writes nothing

        town = open_as("zuzhi", viewport)
        town.goto("/findings")
        assert "合规检查" in town.inner_text("h1")
        items = town.locator("ul.findings li")
        assert items.count() > 0 and "细则" in items.first.inner_text()
        shot(town, f"findings-{size}")
        town.goto("/overdue")
        town.fill("input[name=as_of]", "2018-10-08")
        town.click("form.as-of button[type=submit]")
        town.wait_for_url("**/overdue?as_of=2018-10-08")
        assert "截至 2018-10-08" in town.inner_text("h1")
        shot(town, f"overdue-asof-{size}")
