"""第4步 报上级党委备案 from the township's queue in a real browser at 360 px, on SQLite and
PostgreSQL: 备案 is not 审批 — the card's button says 备案, the form asks the step's own 备案文号
(optional) and no 审批意见 nor 批复文号, the confirmation and the flash say 已备案, and the record
carries 备案文号. And after a 退回 that reopens steps, the secretary's 报送与审批 card shows them
须重新办理, not 已批准.

Screenshots (docs/screenshots with PARTYFLOW_WRITE_SCREENSHOTS=1, from the SQLite run):
filing-form-phone, filing-confirm-phone, thread-reopened-phone.
"""
from __future__ import annotations

from datetime import date, timedelta

from tests.browser.conftest import PHONE
from tests.browser.test_review_loop import _fits, _shot, candidate_at, out, site  # noqa: F401 (fixtures)

TODAY = date(2018, 7, 2)
NAME = "郑文娟"
FILING_NO = "南组备〔2018〕27号"


def _activist_sent_for_filing(site) -> int:
    """A candidate in shuji01's first branch, 确定为入党积极分子 and 报上级党委备案 sent up (报送)."""
    from services.casework import candidates as uc
    from services.demo.sample_evidence import sample_evidence
    from services.review import submit

    app = site.app
    branch = site.town["branches"][0]
    on = TODAY - timedelta(days=60)
    with app.uow() as uow:
        pid = uow.people.add(name=NAME, gender="女", birth_date=date(1992, 6, 8), ethnicity="汉族",
                             education="高中", occupation="农牧渔民", tags=[])
    cid = uc.register_applicant(app, person_id=pid, branch_id=branch, occurred_on=on, actor="党支部书记").candidate_id
    for step, day in (("first_talk", on + timedelta(days=10)), ("activist_selection", on + timedelta(days=30))):
        uc.complete_step(app, cid, step, occurred_on=day, actor="测试", evidence=sample_evidence(step, day, cal=app.calendar))
    submit(app, None, cid, "activist_filing", note="推荐材料齐全", occurred_on=TODAY, actor="党支部书记")
    return cid


def test_a_filing_is_filed_from_the_queue(site, open_as, out):
    site.set_today(TODAY)
    cid = _activist_sent_for_filing(site)
    town = open_as("zuzhi", PHONE)
    town.goto("/queue")
    card = town.locator("section.card", has_text=NAME).filter(has_text="第4步 报上级党委备案")
    assert card.locator("a.button", has_text="审批").count() == 0
    card.locator("a.button", has_text="备案").click()
    town.wait_for_url(f"**/queue/approve?candidate_id={cid}&step=activist_filing")
    form = town.locator("form.form")
    text = form.inner_text()
    assert "备案文号（可不填）" in text and "审批意见" not in text and "批复文号" not in text
    assert town.locator("textarea[name=opinion]").count() == 0
    town.fill("input[name='f.filing_no']", FILING_NO)
    _fits(town)
    _shot(town, out, "filing-form-phone")
    town.click("form.form button:has-text('下一步：确认')")
    confirm = town.locator("section.confirm")
    confirm.wait_for()
    facts = confirm.inner_text()
    assert "已备案" in facts and f"备案文号：{FILING_NO}" in facts and "审批意见" not in facts
    _fits(town)
    _shot(town, out, "filing-confirm-phone")
    confirm.locator("button", has_text="确认备案").click()
    town.wait_for_url("**/queue")
    assert f"已备案：{NAME} 第4步 报上级党委备案（{TODAY}）" in town.inner_text("main")
    town.goto(f"/candidates/{cid}")
    main = town.inner_text("main")
    assert f"备案文号：{FILING_NO}" in main and "审批意见" not in main
    step_box = town.locator("#thread .review-step", has_text="第4步 报上级党委备案")
    assert step_box.locator(".tag").inner_text() == "已备案"
    _fits(town, tap_targets=False)


def test_steps_a_return_reopened_read_redo_not_approved(site, open_as, out):
    """第17步 returned with 第15步 支部大会讨论 ticked: the secretary's 报送与审批 card shows 第16步
    上级党委派人谈话 须重新办理 (what to redo first), not 已批准."""
    from services.review import return_to_branch, submit

    site.set_today(TODAY)
    cid = candidate_at(site, "钱玉兰", "admission_approval", TODAY - timedelta(days=1200))
    submit(site.app, None, cid, "admission_approval", occurred_on=TODAY, actor="党支部书记")
    return_to_branch(site.app, None, cid, "admission_approval", reason="表决票数与会议记录不符，请重新讨论",
                     reopen=("admission_meeting",), occurred_on=TODAY, actor="乡组织委员")
    sec = open_as("shuji01", PHONE)
    sec.goto(f"/candidates/{cid}")
    talk = sec.locator("#thread .review-step", has_text="第16步 上级党委派人谈话")
    assert talk.locator(".tag").inner_text() == "须重新办理"
    assert "已批准" not in talk.inner_text()
    assert "须先重新办理：支部大会讨论，办完后再报送" in talk.inner_text()
    approval = sec.locator("#thread .review-step", has_text="第17步 上级党委审批")
    assert approval.locator(".tag").inner_text() == "已退回，待重新报送"
    assert "须重新办理：支部大会讨论、上级党委派人谈话" in approval.inner_text()
    talk.scroll_into_view_if_needed()
    _fits(sec, tap_targets=False)
    _shot(sec, out, "thread-reopened-phone")
