"""The vote on a 360 px phone (docs/web.md): the attendees without a vote under the six numbers,
every box a full tap target, nothing sideways, and the roll warning after recording."""
from __future__ import annotations

from datetime import date

from services.people.roll import roll_on
from services.worklist.reads import open_items
from tests.browser.conftest import PHONE, no_horizontal_overflow


def test_vote_form_on_a_phone_and_the_roll_warning(site, open_as):
    site.set_today(date(2018, 7, 2))
    item = next(i for i in open_items(site.app, None) if i["step"] == "admission_meeting" and i["ready"])
    cid = item["candidate_id"]
    with site.app.uow(read_only=True) as uow:
        on_roll = len(roll_on(uow, item["branch_id"], date(2018, 7, 2)).voters)
    branches = list(site.town["branches"])  # demo accounts: one secretary for each pair of branches
    sec = open_as(f"shuji{branches.index(item['branch_id']) // 2 + 1:02d}", PHONE)
    sec.goto(f"/candidates/{cid}/steps/admission_meeting")
    assert "到会但没有表决权的人数" in sec.inner_text("form.form")
    no_horizontal_overflow(sec)
    for part in ("should_attend", "probationary_present", "no_rights_present"):
        box = sec.locator(f"input[name='f.vote.{part}']").bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"], (part, box)
    should = on_roll + 1
    for part, n in (("should_attend", should), ("present", on_roll), ("yes", on_roll), ("no", 0), ("abstain", 0),
                    ("probationary_present", 1)):
        sec.fill(f"input[name='f.vote.{part}']", str(n))
    sec.fill("textarea[name='f.resolution']", "同意接收为预备党员")
    sec.click("form.form button[type=submit]")
    sec.wait_for_url(f"**/candidates/{cid}")
    text = sec.inner_text("main")
    assert "已记录：第15步" in text
    assert f"应到会有表决权的正式党员填写 {should} 人，本支部名册上 2018-07-02 有表决权的正式党员 {on_roll} 人" in text
    no_horizontal_overflow(sec)
