"""From earlier reviews, in a real browser at phone width: 登记 → the browser's Back → 登记 again
registers nobody twice (the page says so and links to the record), and a secretary who transfers
a candidate out of their branches lands on their list with where the person went, not on 无权查看.
The screenshots go to a temporary folder (docs/screenshots/ with PARTYFLOW_WRITE_SCREENSHOTS=1)."""
from __future__ import annotations

import os
from pathlib import Path

from tests.browser.conftest import PHONE, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_back_and_register_again_then_transfer_out(server, open_as, tmp_path):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    branches = list(server.town["branches"])
    sec = open_as("shuji01", PHONE)
    sec.goto("/candidates/new")
    sec.select_option("select[name=branch_id]", str(branches[0]))
    sec.fill("input[name=name]", "回退重交")
    sec.select_option("select[name=gender]", "女")
    sec.fill("input[name=birth_date]", "1999-04-01")
    sec.fill("input[name=applied_on]", server.today.isoformat())
    sec.click("form.person-form button[type=submit]")
    sec.wait_for_url("**/candidates/*")
    first = sec.url
    sec.go_back()  # the filled form again, as the browser kept it
    sec.wait_for_url("**/candidates/new")
    if sec.input_value("input[name=name]") != "回退重交":  # a browser that forgets what was typed
        sec.fill("input[name=name]", "回退重交")
        sec.select_option("select[name=branch_id]", str(branches[0]))
        sec.select_option("select[name=gender]", "女")
        sec.fill("input[name=birth_date]", "1999-04-01")
        sec.fill("input[name=applied_on]", server.today.isoformat())
    sec.click("form.person-form button[type=submit]")
    alert = sec.inner_text("[role=alert]")
    assert "已在" in alert and "登记过入党申请" in alert and "这次没有重复登记" in alert
    no_horizontal_overflow(sec)
    sec.screenshot(path=str(out / "register-twice-phone.png"), full_page=True)
    sec.click("text=查看已登记的记录")
    sec.wait_for_url(first)
    with server.app.uow(read_only=True) as uow:
        [person] = uow.people.find_by_name("回退重交")
        assert len(uow.candidates.for_person(person.id)) == 1

    # transfer the new applicant to a branch shuji01 does not hold
    cid = first.rsplit("/", 1)[1]
    sec.goto(f"/candidates/{cid}/cases/transfer")
    sec.select_option("select[name=to_branch_id]", str(branches[2]))
    sec.fill("textarea[name=reason]", "随家庭迁居")
    sec.click("form.card.form button[type=submit]")
    sec.wait_for_url("**/candidates")
    flash = sec.inner_text("p.flash")
    assert flash.startswith("已将回退重交的组织关系转入") and "无权" not in sec.inner_text("body")
    no_horizontal_overflow(sec)
    sec.screenshot(path=str(out / "transfer-out-phone.png"))
    sec.goto(f"/candidates/{cid}")  # a bookmark of the page: where the person went, in words
    assert "回退重交已于" in sec.inner_text("main") and "已不在你的查看范围内" in sec.inner_text("main")
