"""党员和群众 in a real browser at 360 px and 1280 px: the secretary adds a full member (学历/职业/类别
from the lists, 其他 with its note), then finds them on the list; the registration form offers the
same lists. Writes docs/screenshots/people-*.png, person-form-*.png, new-applicant-*.png with
PARTYFLOW_WRITE_SCREENSHOTS=1 (else into a temp folder)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_BYTES = 200_000


@pytest.mark.parametrize("size,viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_secretary_adds_a_member_and_sees_them_on_the_list(server, open_as, tmp_path, size, viewport):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    name = {"phone": "韩立新", "desktop": "韩立业"}[size]

    def shot(page, stem: str) -> None:
        no_horizontal_overflow(page)
        path = out / f"{stem}-{size}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size} bytes"

    page = open_as("shuji01", viewport)
    page.goto("/more")
    page.click("text=党员和群众")
    page.wait_for_url("**/people")
    assert name not in page.inner_text("main")
    page.click("text=＋ 添加党员或群众")
    page.wait_for_url("**/people/new")
    form = page.locator("form.person-form")
    form.locator("select[name=branch_id]").select_option(index=1)
    form.locator("select[name=party_status]").select_option(label="正式党员")
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=gender]").select_option("男")
    form.locator("input[name=birth_date]").fill("1978-04-12")
    form.locator("select[name=education]").select_option("大学本科")
    other = form.locator("input[name=occupation_other]")
    assert not other.is_visible()  # the note box shows only once 其他 is chosen
    form.locator("select[name=occupation]").select_option("其他")
    assert other.is_visible()
    other.fill("个体经营")
    tag = form.locator("label.check", has_text="致富带头人")
    box = tag.bounding_box()
    assert box["height"] >= 44, box  # a tap target, not a 13 px box
    tag.click()
    form.locator("input[name=phone]").fill("13912345678")
    form.locator("select[name=occupation]").scroll_into_view_if_needed()
    shot(page, "person-form")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/people?q=*")
    main = page.inner_text("main")
    assert f"已添加：{name}（正式党员）" in main and "共 1 人" in main
    card = page.locator("li.person", has_text=name)
    assert "正式党员" in card.inner_text() and "致富带头人" in card.inner_text()
    no_horizontal_overflow(page)
    card.locator("a.person-link").click()  # the profile: what was chosen comes back, 其他 with its note
    page.wait_for_url("**/people/*")
    edit = page.locator("form.person-form")
    assert edit.locator("select[name=occupation]").input_value() == "其他"
    assert edit.locator("input[name=occupation_other]").input_value() == "个体经营"
    assert edit.locator("input[name=tags][value=致富带头人]").is_checked()
    assert page.locator("form.rights-form").is_visible()  # 留党察看 for a member
    no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / f"person-{size}.png"), full_page=True)
    page.goto("/people?status=full_member")
    assert name in page.inner_text("main")
    shot(page, "people")
    page.goto("/candidates/new")
    page.locator("select[name=education]").select_option("其他")
    page.locator("input[name=education_other]").fill("私塾")
    page.locator("select[name=ethnicity]").scroll_into_view_if_needed()
    shot(page, "new-applicant")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_people_pages_fit_at_larger_text_and_every_target_is_tappable(server, open_as, viewport):
    from tests.browser.test_phone_first import _check, _larger_text

    page = open_as("shuji01", viewport)
    page.goto("/people?status=full_member")
    first = page.locator("li.person a.person-link").first.get_attribute("href")
    for url in ("/people", "/people/new", first, "/candidates/new"):
        page.goto(url)
        if url == "/people/new":  # the note box of 其他 open too
            page.locator("select[name=occupation]").select_option("其他")
            page.locator("input[name=tags][value=其他]").check()
        _check(page, "shuji01")
        _larger_text(page)
        _check(page, "shuji01 150%")
