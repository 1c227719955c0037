"""The review loop end to end in a real browser (issue 15, "Done means"), at 360×740 and at 1280 px,
on SQLite and PostgreSQL: the secretary sends 上级党委预审 up from the home page → the township
officer finds it at the top of 审批队列 and returns it (reason, 政治审查 to redo) → the secretary
sees it first on the home page and in the bell → redoes the reopened steps through their forms and
sends it again from the candidate page → the officer approves with 审批意见 and 批复文号 through
the confirmation page (a double tap on 确认办理 is one request, one record) → both read the whole
thread on the candidate page. No sideways scroll at 360 px on any page visited.

Screenshots (docs/screenshots with PARTYFLOW_WRITE_SCREENSHOTS=1, from the SQLite run):
review-submit-phone, review-home-returned-phone, queue-*, approve-form-phone, approve-confirm-*, return-form-phone, candidate-thread-*.
"""
from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_overflow
from tests.browser.test_phone_first import SMALL_TARGETS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TODAY = date(2018, 7, 2)
REASON = "政治审查材料缺少直系亲属证明，请补充后再报"
DOC_NO = "南组〔2018〕7号"
NAMES = {"phone": "周晓梅", "desktop": "吴建红"}
STEP, STEP_TITLE = "pre_review", "第13步 上级党委预审"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request):
    """The demo server on either database (tests/browser/conftest.py: `server`, `pg_server`)."""
    return request.getfixturevalue("server" if request.param == "sqlite" else "pg_server")


@pytest.fixture
def out(request, site, tmp_path):
    """Where screenshots go: docs/screenshots for the SQLite run when asked, else a temp folder."""
    write = os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" and "sqlite" in request.node.callspec.id
    folder = DOCS if write else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _candidate_waiting_for_pre_review(site, name: str) -> int:
    """A new candidate in shuji01's first branch for whom 上级党委预审 is the step the branch sends up."""
    from services.review import review_thread

    cid = candidate_at(site, name, STEP, TODAY - timedelta(days=800))
    thread = {t["step"]: t for t in review_thread(site.app, cid)}
    assert thread[STEP]["status"] == "open"  # 待报送: what the branch sends up next
    return cid


def candidate_at(site, name: str, step_id: str, on: date) -> int:
    """A new candidate in shuji01's first branch who applied on `on`, taken through the services
    (the demo's sample records, a vote of the branch's roll, dates from the engine's outlook) until
    `step_id` is the next step."""
    from engine import CandidateState, outlook, process_for
    from services.casework import candidates as uc
    from services.demo.sample_evidence import sample_evidence

    app = site.app
    branch = site.town["branches"][0]  # shuji01: the first pair of branches
    members = site.town["members"][branch]
    with app.uow() as uow:
        pid = uow.people.add(name=name, gender="女", birth_date=date(1990, 3, 4), ethnicity="汉族",
                             education="高中", occupation="农牧渔民", tags=[])
    cid = uc.register_applicant(app, person_id=pid, branch_id=branch, occurred_on=on, actor="党支部书记").candidate_id
    for _ in range(30):
        with app.uow(read_only=True) as uow:
            row = uow.candidates.get(cid)
        state = CandidateState.from_dict(row.state)
        opens = [o for o in outlook(process_for(app.definition(row.definition_key)), state, app.calendar)
                 if not o.waiting_for and not o.step.repeatable]
        if opens[0].step.id == step_id:
            assert on < TODAY
            return cid
        o = opens[0]
        on = max(on + timedelta(days=10), o.earliest.date if o.earliest else on)
        evidence = sample_evidence(o.step.id, on, mentors=members[:2], sponsors=members[2:4], cal=app.calendar,
                                   members=len(members) * 3, seq=cid)
        if "vote" in evidence:  # the branch's roll as it stands: every member present and in favour
            n = len(members)
            evidence["vote"] = {"should_attend": n, "present": n, "yes": n, "no": 0, "abstain": 0, "written": 0}
        uc.complete_step(app, cid, o.step.id, occurred_on=on, actor="测试", evidence=evidence)
    raise AssertionError(f"{step_id} never came next")


def _events(site, cid: int) -> list:
    with site.app.uow(read_only=True) as uow:
        return [r for r in uow.events.list_for(cid) if r.step == STEP]


def _fits(page, tap_targets: bool = True) -> None:
    """No sideways scroll; on a phone every visible target of the review-loop pages is ≥ 44 px."""
    no_horizontal_overflow(page)
    if tap_targets and page.viewport_size["width"] <= 400:
        small = page.evaluate(SMALL_TARGETS, 44)
        assert not small, f"{page.url}: tap targets under 44 px: {small}"


def _bell(page) -> int:
    badge = page.locator("header .bell .badge")
    return int(badge.get_attribute("data-unread")) if badge.count() else 0


def _shot(page, out: Path, name: str) -> None:
    no_horizontal_overflow(page)
    page.screenshot(path=str(out / f"{name}.png"))


def _queue_card(page, name: str):
    return page.locator("section.card", has_text=name).filter(has_text=STEP_TITLE)


def _first_in_queue(page, name: str) -> None:
    """The item is in the queue's first group, 已报送，待审核, above everything else."""
    page.goto("/queue")
    headings = page.locator("main h2")
    assert headings.first.inner_text().startswith("已报送，待审核")
    card = _queue_card(page, name)
    assert card.count() == 1
    if headings.count() > 1:
        assert card.bounding_box()["y"] < headings.nth(1).bounding_box()["y"]


def _fill_step_form(page, texts: dict[str, str]) -> None:
    """The step's own form: text fields from `texts` (by field name), every 是/否 answered 是."""
    for field, text in texts.items():
        page.fill(f"form.form [name='f.{field}']", text)
    for select in page.locator("form.form select").all():
        if "是" in select.locator("option").all_inner_texts():
            select.select_option("是")


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_submit_return_resubmit_approve(site, open_as, out, size, viewport):
    site.set_today(TODAY)
    name = NAMES[size]
    cid = _candidate_waiting_for_pre_review(site, name)
    phone = size == "phone"

    # 1 the secretary sends it up from the home page (待报送上级党委)
    sec = open_as("shuji01", viewport)
    unsent = sec.locator("section.card", has=sec.locator("h2", has_text="待报送上级党委"))
    item = unsent.locator("li", has_text=name)
    item.locator("summary", has_text="报送").click()
    item.locator("textarea[name=note]").fill("政治审查、支部委员会审查材料齐全")
    _fits(sec)
    if phone:
        item.scroll_into_view_if_needed()
        _shot(sec, out, "review-submit-phone")
    item.locator("button", has_text="确认报送").click()
    sec.wait_for_url(site.base_url + "/")
    assert f"已报送：{STEP_TITLE}（{TODAY}），等待上级党委审核" in sec.inner_text("main")
    assert [e.kind for e in _events(site, cid)] == ["submit"]
    bell_before = _bell(sec)

    # 2 the officer: at the top of 审批队列; 退回党支部 with the reason and 政治审查 to redo
    town = open_as("zuzhi", viewport)
    _first_in_queue(town, name)
    card = _queue_card(town, name)
    assert f"{TODAY} 报送" in card.inner_text()
    _fits(town)
    card.locator("summary", has_text="退回党支部").click()
    card.locator("textarea[name=reason]").fill(REASON)
    card.locator("label.check", has_text="第10步 政治审查").locator("input").check()
    card.locator("summary", has_text="退回党支部").scroll_into_view_if_needed()
    _fits(town)
    if phone:
        _shot(town, out, "return-form-phone")
    card.locator("button", has_text="退回").click()
    town.wait_for_url("**/queue")
    flash = town.inner_text("main .flash")
    assert f"已退回{name}的“上级党委预审”：{REASON}" in flash
    assert "须重新办理：政治审查、支部委员会审查" in flash
    assert _queue_card(town, name).count() == 0  # nothing left to approve until it is sent again

    # 3 the secretary: 被退回 first on the home page, with the reason; and in the bell
    sec.goto("/")
    returned = sec.locator("#returned")
    assert returned.locator("li", has_text=name).count() == 1
    entry = returned.locator("li", has_text=name).inner_text()
    assert f"退回原因：{REASON}" in entry and "须重新办理：政治审查、支部委员会审查" in entry
    week_title = sec.locator("h1", has_text="本周待办")
    assert returned.bounding_box()["y"] < week_title.bounding_box()["y"]  # above 本周待办
    count = sec.locator("nav.counts a", has_text="被退回")
    assert int(count.locator("b").inner_text()) >= 1 and "hot" in count.get_attribute("class")
    assert _bell(sec) >= max(1, bell_before + 1)
    _fits(sec)
    if phone:
        _shot(sec, out, "review-home-returned-phone")
    sec.click("header .bell")
    sec.wait_for_url("**/notices")
    notice = sec.locator("li.notice.unread", has_text=name).filter(has_text=REASON)
    assert notice.count() == 1 and "上级党委预审" in notice.inner_text()
    _fits(sec, tap_targets=False)

    # 4 the secretary redoes the reopened steps through their forms, then sends it again
    sec.goto("/")
    returned_link = sec.locator("#returned li", has_text=name).locator("a").first
    returned_link.click()
    sec.wait_for_url(re.compile(rf".*/candidates/{cid}(#thread)?$"))
    thread = sec.locator("#thread")
    assert "须先重新办理：" in thread.inner_text() and "办完后再报送" in thread.inner_text()
    assert thread.locator("summary", has_text="重新报送").count() == 0  # not before the steps are redone
    _fits(sec, tap_targets=False)
    for step, texts in (("political_review", {"contents": "已补充直系亲属证明，政治审查合格", "conclusion": "政审综合材料（补充）"}),
                        ("committee_review", {"opinion": "同意报上级党委预审"})):
        sec.locator(f"main a.button[href='/candidates/{cid}/steps/{step}']").first.click()
        sec.wait_for_url(f"**/candidates/{cid}/steps/{step}")
        _fits(sec, tap_targets=False)
        _fill_step_form(sec, texts)
        sec.click("form.form button[type=submit]")
        sec.wait_for_url(f"**/candidates/{cid}")
    thread = sec.locator("#thread")
    thread.locator("summary", has_text="重新报送").click()
    thread.locator("textarea[name=note]").fill("已补充直系亲属证明")
    _fits(sec, tap_targets=False)
    thread.locator("button", has_text="确认重新报送").click()
    sec.wait_for_url(f"**/candidates/{cid}")
    assert f"已报送：{STEP_TITLE}（{TODAY}）" in sec.inner_text("main")
    assert [e.kind for e in _events(site, cid)] == ["submit", "return", "submit"]
    sec.goto("/review")  # 报送与退回: now waiting for the committee, no longer returned
    waiting = sec.locator("section.card", has=sec.locator("h2", has_text="已报送，等待审核"))
    assert waiting.locator("li", has_text=name).count() == 1
    assert sec.locator("#returned li", has_text=name).count() == 0
    _fits(sec)

    # 5 the officer: first in the queue again, with the earlier return in its thread; approves
    _first_in_queue(town, name)
    card = _queue_card(town, name)
    assert "曾退回 1 次" in card.inner_text() and REASON in card.inner_text()
    card.scroll_into_view_if_needed()
    _fits(town)
    _shot(town, out, f"queue-{size}")
    card.locator("a.button", has_text="审批").click()
    town.wait_for_url(f"**/queue/approve?candidate_id={cid}&step={STEP}")
    assert town.input_value("input[name=occurred_on]") == TODAY.isoformat()
    _fits(town)
    # 预审意见, the step's own opinion field, is the 审批意见: it is not asked twice
    assert town.locator("textarea[name=opinion]").count() == 0
    town.fill("input[name=doc_no]", DOC_NO)
    if phone:
        town.locator("input[name=doc_no]").scroll_into_view_if_needed()
        _shot(town, out, "approve-form-phone")
    town.evaluate("document.querySelector('form.form').noValidate = true")  # the server's own check
    town.click("form.form button[type=submit]")  # no 预审意见: the field says what it needs
    assert "请填写预审意见" in town.locator("form.form .field-error").inner_text()
    assert town.input_value("input[name=doc_no]") == DOC_NO  # what was typed stays
    _fits(town)
    town.fill("input[name='f.result']", "预审合格，同意发放入党志愿书")
    town.click("form.form button:has-text('下一步：确认')")
    confirm = town.locator("section.confirm")
    confirm.wait_for()
    facts = confirm.inner_text()
    assert "请确认将记录的内容" in facts
    for text in (TODAY.isoformat(), "预审意见：预审合格，同意发放入党志愿书", "批复文号", DOC_NO):
        assert text in facts
    assert "审批意见" not in facts  # the step's own 预审意见 is the opinion: not said twice
    assert [e.kind for e in _events(site, cid)] == ["submit", "return", "submit"]  # nothing written yet
    _fits(town)
    _shot(town, out, f"approve-confirm-{size}")

    # a double tap on 确认办理: the busy guard (web/static/app.js) lets one request through
    posts = []
    town.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    confirm.locator("button", has_text="确认办理").dblclick()
    town.wait_for_url("**/queue")
    town.locator("main .flash").first.wait_for()
    assert len(posts) == 1, f"{len(posts)} requests were sent"
    assert f"已办理：{name} {STEP_TITLE}（{TODAY}）" in town.inner_text("main")
    assert [e.kind for e in _events(site, cid)] == ["submit", "return", "submit", "step"]  # recorded once

    # 6 both see the whole thread on the candidate page
    for page in (sec, town):
        page.goto(f"/candidates/{cid}")
        thread = page.locator("#thread")
        step_box = thread.locator(".review-step", has_text="第13步 上级党委预审")
        assert "已办理" in step_box.locator(".tag").inner_text()
        entries = step_box.locator("ol.thread > li")
        assert [c.split()[0] for c in entries.evaluate_all("els => els.map(e => e.className)")] == [
            "thread-submit", "thread-return", "thread-submit", "thread-approve"]
        assert "政治审查、支部委员会审查材料齐全" in entries.nth(0).inner_text()
        assert REASON in entries.nth(1).inner_text() and "须重新办理：政治审查、支部委员会审查" in entries.nth(1).inner_text()
        assert "已补充直系亲属证明" in entries.nth(2).inner_text()
        assert f"预审合格，同意发放入党志愿书（批复文号：{DOC_NO}）" in entries.nth(3).inner_text()
        text = thread.inner_text()
        assert not re.search(r"shuji|zuzhi|[a-z]+_[a-z]+", text), text  # names, never accounts or keys
        assert TODAY.isoformat() in entries.nth(1).inner_text()  # the date of the return, in Beijing time
        thread.scroll_into_view_if_needed()
        _fits(page, tap_targets=False)
    if phone:
        sec.locator("#thread").scroll_into_view_if_needed()
        _shot(sec, out, "candidate-thread-phone")
    else:  # from the header to the thread's end: 现在要办, then the thread
        sec.evaluate("window.scrollTo(0, 0)")
        no_horizontal_overflow(sec)
        box = sec.locator("#thread").bounding_box()
        sec.screenshot(path=str(out / "candidate-thread-desktop.png"), full_page=True,
                       clip={"x": 0, "y": 0, "width": DESKTOP["width"], "height": box["y"] + box["height"] + 16})
