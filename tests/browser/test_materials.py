"""材料 in a real browser (issue 18, "Done means"), on SQLite and PostgreSQL: the secretary, on a
360×740 phone, photographs (uploads) the 政审 conclusion from the candidate page; the township
officer sees the candidate go from 「缺少材料」 in the queue to complete, and approves 预审.

The township uses the 南川乡 material list, where a missing 政审 conclusion blocks 预审: before the
upload the approval's confirmation is refused with the material's name and, the conclusion being
the branch's to upload, a link to 退回 the step for it. Every other required material is put on
file through the services first, so the conclusion is the one thing missing.

Screenshots (docs/screenshots with PARTYFLOW_WRITE_SCREENSHOTS=1, from the SQLite run):
materials-queue-phone (the badge), materials-refused-phone (the approval refused), materials-missing-phone
(the 材料 section before), materials-upload-phone (the form open), materials-candidate-phone and
materials-file-phone (the section and the file after the upload), materials-same-file-phone (the
same photo sent again: 已上传过同一文件, one copy on file).
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from services.organisation.directory import set_material_list
from services.materials.completeness import completeness_view
from services.materials.files import attach, attachments
from tests.browser.conftest import PHONE, no_horizontal_overflow
from tests.browser.test_phone_first import SMALL_TARGETS
from tests.browser.test_review_loop import STEP, TODAY, _candidate_waiting_for_pre_review, _events

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CONCLUSION, CONCLUSION_NAME = "political_review_conclusion", "政治审查结论（政审材料）"
LIST = "nanchuan_thought_reports"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request):
    return request.getfixturevalue("server" if request.param == "sqlite" else "pg_server")


@pytest.fixture
def out(request, tmp_path):
    write = os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" and "sqlite" in request.node.callspec.id
    folder = DOCS if write else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def township_list(site, tmp_path, monkeypatch):
    """The demo township on the 南川乡 list for this test (then the national lists again), its
    files in a folder of this test."""
    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", "file://" + str(tmp_path / "objects"))
    site.app._objects = None  # opened again from the variable above
    set_material_list(site.app, str(site.town["township"]), LIST)
    yield
    set_material_list(site.app, str(site.town["township"]), None)
    site.app._objects = None


@pytest.fixture
def phone_as(open_as):
    """A logged-in page on a touch phone (360×740; pointer: coarse, so the camera button shows)."""
    return lambda username: open_as(username, PHONE, is_mobile=True, has_touch=True)


def _photo() -> bytes:
    """A phone photo of a paper conclusion: a red heading over lines of text on a white page."""
    im = Image.new("RGB", (1200, 1600), (250, 250, 245))
    im.paste((190, 30, 30), (250, 120, 950, 260))
    for y in range(360, 1400, 80):
        im.paste((40, 40, 40), (150, y, 1050, y + 30))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def _fits(page) -> None:
    no_horizontal_overflow(page)
    small = page.evaluate(SMALL_TARGETS, 44)
    assert not small, f"{page.url}: tap targets under 44 px: {small}"


def _notice_on_screen(page, target: str) -> None:
    """The page landed on `target` (#m-…): its notice was moved to just above it, on screen."""
    assert page.locator(target).evaluate("e => e.previousElementSibling.classList.contains('flash')")
    top, bottom = page.locator("main .flash").evaluate("e => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom]")
    assert 0 <= top and bottom <= PHONE["height"], (top, bottom)


def _card(page, name: str):
    return page.locator("section.card", has_text=name).filter(has_text="上级党委预审")


def test_secretary_photographs_the_conclusion_and_the_officer_approves(site, township_list, phone_as, out):
    site.set_today(TODAY)
    name = "马晓燕"
    cid = _candidate_waiting_for_pre_review(site, name)
    for m in completeness_view(site.app, cid)["missing"]:  # everything on file but the 政审 conclusion
        if m["id"] != CONCLUSION:
            attach(site.app, cid, _photo(), f"{m['name']}.jpg", actor="测试", material=m["id"])
    assert [m["id"] for m in completeness_view(site.app, cid)["missing"]] == [CONCLUSION]

    # 1 the officer: the queue says what is missing, and the approval is refused for it
    town = phone_as("zuzhi")
    town.goto("/queue")
    card = _card(town, name)
    badge = card.locator(".missing-line").inner_text()
    assert "缺少材料 1 项" in badge and CONCLUSION_NAME in badge and "缺少时不能办理" in badge
    assert "导出缺少材料清单（Excel）" in town.inner_text("main")
    card.scroll_into_view_if_needed()
    _fits(town)
    town.screenshot(path=str(out / "materials-queue-phone.png"))
    card.locator("a.button", has_text="审批").click()
    town.wait_for_url(f"**/queue/approve?candidate_id={cid}&step={STEP}")
    town.fill("input[name='f.result']", "预审合格，同意发放入党志愿书")
    town.click("form.form button:has-text('下一步：确认')")
    error = town.locator("main p.error")
    # the conclusion is the branch's to upload: the officer is offered 退回 to have it added
    assert CONCLUSION_NAME in error.inner_text() and error.locator("a", has_text="退回党支部补充材料").count() == 1
    assert error.locator("a", has_text="去上传材料").count() == 0
    _fits(town)
    town.screenshot(path=str(out / "materials-refused-phone.png"))
    assert _events(site, cid) == []  # nothing written

    # 2 the secretary, on the phone: 缺少 → the material → 拍照上传
    sec = phone_as("shuji01")
    sec.goto(f"/candidates/{cid}")
    section = sec.locator("#materials")
    summary = section.locator("summary").first.inner_text()  # closed: the state in one line
    assert "缺少 1 项" in summary and "1 项缺少时不能办理" in summary
    section.locator("summary").first.click()
    sec.evaluate("() => document.getElementById('materials').scrollIntoView()")
    _fits(sec)
    sec.screenshot(path=str(out / "materials-missing-phone.png"))
    section.locator(".mstate a", has_text=CONCLUSION_NAME).click()
    item = sec.locator(f"#m-{CONCLUSION}")
    item.wait_for(state="visible")  # the list opened to it
    item.locator("summary", has_text="上传").click()
    camera = item.locator("label.camera")  # a phone: 拍照 opens the camera (capture), beside the file picker
    assert camera.is_visible() and camera.inner_text() == "拍照"
    picker = camera.locator("input[type=file]")
    assert picker.get_attribute("capture") == "environment"
    assert picker.get_attribute("accept") == "image/*,application/pdf,.docx"
    picker.set_input_files({"name": "IMG_20180702_0915.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    assert item.locator(".chosen").inner_text() == "已选择：IMG_20180702_0915.jpg"
    item.locator("input[name=document_date]").fill("2018-06-20")
    item.locator("input[name=note]").fill("县公安局、村委会意见齐全")
    item.scroll_into_view_if_needed()
    _fits(sec)
    sec.screenshot(path=str(out / "materials-upload-phone.png"))
    item.locator("button", has_text="确认上传").click()
    sec.wait_for_url(f"**/candidates/{cid}#m-{CONCLUSION}")
    assert f"已上传：{CONCLUSION_NAME}" in sec.inner_text("main .flash")
    _notice_on_screen(sec, f"#m-{CONCLUSION}")
    section = sec.locator("#materials")
    assert "必需材料齐全" in section.locator("summary").first.inner_text() and "100%" in section.inner_text()
    item = sec.locator(f"#m-{CONCLUSION}")
    item.wait_for(state="visible")
    assert "已上传" in item.inner_text() and "县公安局、村委会意见齐全" in item.inner_text()
    thumb = item.locator("img")
    assert thumb.count() == 1 and sec.evaluate("(img) => img.complete && img.naturalWidth > 0", thumb.element_handle())
    _fits(sec)
    sec.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    sec.evaluate("() => Promise.all([...document.querySelectorAll('#materials img')].map(i => i.decode()))")
    sec.evaluate("() => document.getElementById('materials').scrollIntoView()")
    sec.screenshot(path=str(out / "materials-candidate-phone.png"))
    item.scroll_into_view_if_needed()
    sec.screenshot(path=str(out / "materials-file-phone.png"))
    # a retry on a flaky connection sends the same photo again: one copy on file, and the page says so
    item.locator("summary", has_text="上传").click()
    item.locator("label.camera input[type=file]").set_input_files(
        {"name": "IMG_20180702_0915.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    item.locator("button", has_text="确认上传").click()
    sec.wait_for_url(f"**/candidates/{cid}#m-{CONCLUSION}")
    notice = sec.locator("main .flash").inner_text()
    _notice_on_screen(sec, f"#m-{CONCLUSION}")
    assert notice.startswith(f"已上传过同一文件：{CONCLUSION_NAME}（IMG_20180702_0915.jpg，") and "这次没有重复保存" in notice
    assert [f["filename"] for f in attachments(site.app, cid) if f["material"] == CONCLUSION] == ["IMG_20180702_0915.jpg"]
    _fits(sec)
    sec.screenshot(path=str(out / "materials-same-file-phone.png"))
    # a refused file: the refusal, far down the page, is where the screen is
    item.locator("summary", has_text="上传").click()
    item.locator("label.camera input[type=file]").set_input_files(
        {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"MZ\x90\x00" + bytes(2000)})
    item.locator("button", has_text="确认上传").click()
    refusal = sec.locator(f"#m-{CONCLUSION} .field-error")
    refusal.wait_for()
    assert "fake.jpg" in refusal.inner_text() and "不能上传" in refusal.inner_text()
    top, bottom = refusal.evaluate("e => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom]")
    assert 0 <= top and bottom <= PHONE["height"], (top, bottom)

    # 3 the officer: no longer 缺少材料; approves 预审
    town.goto("/queue")
    card = _card(town, name)
    assert card.locator(".missing-line").count() == 0
    card.locator("a", has_text=name).click()
    town.wait_for_url(f"**/candidates/{cid}")
    assert "必需材料齐全" in town.locator("#materials summary").first.inner_text()
    town.goto(f"/queue/approve?candidate_id={cid}&step={STEP}")
    town.fill("input[name='f.result']", "预审合格，同意发放入党志愿书")
    town.fill("input[name=doc_no]", "南组〔2018〕9号")
    town.click("form.form button:has-text('下一步：确认')")
    town.locator("section.confirm").wait_for()
    town.locator("section.confirm button", has_text="确认办理").click()
    town.wait_for_url("**/queue")
    assert f"已办理：{name} 第13步 上级党委预审" in town.inner_text("main .flash")
    assert [e.kind for e in _events(site, cid)] == ["step"]
    no_horizontal_overflow(town)
