"""In-app notices, reminder contacts and the delivery log in a real browser, at 360 px and desktop:
the bell's count in the header, the list, opening one (marks it read, goes to its page), 全部标为已读;
the township officer adds a contact (a bad address refused next to the field); the delivery log
with its states and a retry. Screenshots: notices-*, contacts-*, deliveries-* (docs/screenshots
with PARTYFLOW_WRITE_SCREENSHOTS=1)."""
from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from services.notices import notify
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ZH = {"phone": "甲", "desktop": "乙"}  # names in the pages stay Chinese


@pytest.fixture
def out(tmp_path):
    folder = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot(page, out: Path, name: str) -> None:
    no_horizontal_overflow(page)
    page.screenshot(path=str(out / f"{name}.png"))


def _bell(page) -> int:
    badge = page.locator("header .bell .badge")
    return int(badge.get_attribute("data-unread")) if badge.count() else 0


def _candidate(server, branch: int) -> tuple[int, str]:
    """A candidate of the branch: (id, name)."""
    from sqlalchemy import select

    from storage.tables import candidate, person

    with server.app.uow(read_only=True) as uow:
        return tuple(uow.connection.execute(
            select(candidate.c.id, person.c.name).join(person, person.c.id == candidate.c.person_id)
            .where(candidate.c.branch_id == branch).order_by(candidate.c.id).limit(1)).one())


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_bell_list_and_mark_read(server, open_as, out, size, viewport):
    server.set_today(date(2018, 7, 2))
    branch = server.town["branches"][0]
    cid, name = _candidate(server, branch)
    sec = open_as("shuji01", viewport)
    before = _bell(sec)
    now = server.app.utcnow()
    with server.app.uow() as uow:
        notify(uow, org_id=branch, side="branch", kind="returned", title=f"【被退回】{name}“政治审查”被南川乡党委退回",
               body="南川乡党委退回了政治审查。\n退回原因：政治审查材料缺少直系亲属证明，请补充后再报",
               link=f"/candidates/{cid}", key=f"browser-return-{size}", now=now)
        notify(uow, org_id=branch, side="branch", kind="approved", title=f"【审批通过】{name}“接收预备党员审批”",
               body="审批意见：同意\n批复文号：南党发〔2018〕12号", link=f"/candidates/{cid}",
               key=f"browser-approve-{size}", now=now)
    sec.reload()
    bell = sec.locator("header .bell")
    assert _bell(sec) == before + 2
    box = bell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]  # visible in the header
    assert box["height"] >= 44 and box["width"] >= 44  # a tap target
    no_horizontal_overflow(sec)
    bell.click()
    sec.wait_for_url("**/notices")
    items = sec.locator("li.notice")
    assert items.first.locator(".notice-title").inner_text().startswith("【审批通过】")  # newest first
    assert sec.locator("li.notice.unread").count() >= 2
    _shot(sec, out, f"notices-{size}")
    items.nth(1).locator("a.notice-open").click()  # the return: opens the candidate's page, read
    sec.wait_for_url(f"**/candidates/{cid}")
    assert _bell(sec) == before + 1
    sec.goto("/notices")
    assert sec.locator("li.notice").nth(1).get_attribute("class") == "notice"
    sec.click("text=全部标为已读")
    sec.wait_for_url("**/notices")
    assert _bell(sec) == 0
    assert "条通知标为已读" in sec.inner_text("main")
    assert sec.locator("li.notice.unread").count() == 0
    no_horizontal_overflow(sec)


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_contacts_add_and_refuse(server, open_as, out, size, viewport):
    town = open_as("zuzhi", viewport)
    town.goto("/more")
    town.click("a.menu-link:has-text('提醒联系人')")
    town.wait_for_url("**/contacts")
    branch = server.town["branches"][1]
    with server.app.uow(read_only=True) as uow:
        branch_name = uow.orgs.get(branch).name
    town.select_option("select[name=org_id]", str(branch))
    who = f"王书记{ZH[size]}"
    town.fill("input[name=name]", who)
    town.fill("input[name=email]", "wang@")
    town.evaluate("document.querySelector('input[name=email]').type = 'text'")  # the server's own check
    town.click("form.form button[type=submit]")
    error = town.locator(".field.invalid .field-error")
    assert "电子邮箱格式不对" in error.inner_text()
    assert town.input_value("input[name=name]") == who  # what was typed stays
    town.fill("input[name=email]", "wang@example.cn")
    town.fill("input[name=webhook]", "https://sms.example.cn/relay?to=13800000000")
    town.click("form.form button[type=submit]")
    town.wait_for_url("**/contacts")
    assert f"已登记{branch_name}的提醒接收人：{who}" in town.inner_text("main")
    card = town.locator("section.contacts-org", has_text=branch_name)
    assert who in card.inner_text() and "sms.example.cn 的接收地址" in card.inner_text()
    card.locator("li", has_text=who).scroll_into_view_if_needed()
    _shot(town, out, f"contacts-{size}")
    sec = open_as("shuji01", viewport)  # the secretary reads, does not change
    sec.goto("/contacts")
    assert sec.locator("form[action='/contacts']").count() == 0
    no_horizontal_overflow(sec)


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_delivery_log(server, open_as, out, size, viewport):
    branch = server.town["branches"][2]
    cid, name = _candidate(server, branch)
    t = datetime(2018, 7, 2, 0, 0)
    base = {"kind": "overdue", "candidate_id": cid, "step": "first_talk", "due_on": date(2018, 6, 20),
            "created_on": date(2018, 7, 2), "org_id": branch, "next_attempt_at": t, "created_at": t,
            "payload": {"candidate_name": name, "step_number": 2, "step_name": "派人谈话", "due_on": "2018-06-20"}}
    with server.app.uow() as uow:
        uow.outbox.add_many([
            {**base, "key": f"browser-sent-{size}", "channel": "email", "address": "li@example.cn",
             "recipient_name": "李书记", "status": "sent", "attempts": 0, "last_error": None, "sent_at": t},
            {**base, "key": f"browser-dead-{size}", "channel": "webhook", "address": "https://sms.example.cn/hook",
             "recipient_name": "李书记", "status": "dead", "attempts": 12, "sent_at": None,
             "last_error": "无法连接短信网关：连接被拒绝"},
        ])
    town = open_as("zuzhi", viewport)
    town.goto("/contacts")
    town.click("text=查看发送记录")
    town.wait_for_url("**/contacts/log")
    town.click(".status-tabs a:has-text('已停止重试')")
    town.wait_for_url("**/contacts/log?state=dead*")
    dead = town.locator("li.delivery.dead", has_text="无法连接短信网关")
    assert dead.count() >= 1
    assert "失败原因：无法连接短信网关：连接被拒绝" in dead.first.inner_text()
    assert "已尝试 12 次" in dead.first.inner_text()
    _shot(town, out, f"deliveries-{size}")
    dead.first.locator("button:has-text('重新发送')").click()
    town.wait_for_url("**/contacts/log?state=dead*")
    assert "已重新排队 1 条" in town.inner_text("main")
    with server.app.uow(read_only=True) as uow:
        row = next(r for r in uow.outbox.list() if r.key == f"browser-dead-{size}")
    assert row.status == "pending" and row.attempts == 0
    sec = open_as("shuji01", viewport)  # another branch's deliveries are not the secretary's
    sec.goto("/contacts/log")
    assert f"browser-dead-{size}" not in sec.content() and "无法连接短信网关" not in sec.inner_text("main")
    no_horizontal_overflow(sec)
