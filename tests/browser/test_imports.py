"""导入台账, 发展计划, 节假日安排 through the browser at 360 px and 1280 px, on the demo township:
upload (with the progress bar shown while it goes) → preview → 确认导入 → 撤销 (one submit only),
a plan set and read with plan vs actual, a holiday schedule previewed. With
PARTYFLOW_WRITE_SCREENSHOTS=1 the screenshots replace docs/screenshots/import-*, plans-*, holidays-*."""
from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_overflow
from tests.ledger_helpers import clean_path, cpc2014, ledger_row, write_ledger

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "holidays-2027.example.yaml").read_text(encoding="utf-8")
D = cpc2014()
LABEL = {"phone": "手机", "desktop": "电脑"}  # in the names and the file name (no English on the pages)


@pytest.fixture
def shots(tmp_path):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> None:
        no_horizontal_overflow(page)
        page.screenshot(path=str(out / f"{name}.png"))

    return shot


def _ledger(server, tmp_path, size: str) -> Path:
    size = LABEL[size]
    with server.app.uow(read_only=True) as uow:
        branches = [uow.orgs.get(b).name for b in server.town["branches"][:2]]
    rows = [ledger_row(D, name=f"台账{size}甲", branch=branches[0], steps=clean_path(D, date(2015, 3, 1)), stage="正式党员"),
            ledger_row(D, name=f"台账{size}乙", branch=branches[1],
                       steps=clean_path(D, date(2016, 4, 1), until="mentors_assigned")),
            ledger_row(D, name=f"台账{size}丙", branch="没有这个支部", steps=clean_path(D, date(2016, 5, 1), until="first_talk"))]
    return write_ledger(tmp_path / f"南川乡台账{size}.xlsx", D, rows)


def _until(page, condition, tries: int = 200) -> None:
    """Let the page's events (route handlers) run until `condition()` holds (at most ~10 s)."""
    for _ in range(tries):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("condition not met")


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_import_preview_confirm_undo(server, open_as, shots, tmp_path, size, viewport):
    server.set_today(date(2018, 7, 2))
    page = open_as("zuzhi", viewport)
    page.goto("/more")
    page.click("text=导入台账")
    page.wait_for_url("**/imports")
    shots(page, f"import-{size}")
    # the picker is a Chinese button (the browser's own "Choose File" is hidden); the choice is named
    assert page.get_by_text("选择台账文件").is_visible() and not page.is_visible("input[name=file]")
    page.set_input_files("input[name=file]", str(_ledger(server, tmp_path, size)))
    assert page.inner_text(".file-field .chosen").startswith("已选择：")
    held = []
    page.route("**/imports", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    page.click("form[data-upload] button[type=submit]", no_wait_after=True)
    page.wait_for_function("() => !document.querySelector('progress.upload-progress').hidden")
    assert page.inner_text("form[data-upload] button[type=submit]") in ("正在上传…", "正在核对…")
    _until(page, lambda: held)  # the upload is held here while the page shows its progress
    assert held[0].request.headers.get("x-upload") == "1"
    held[0].continue_()
    page.wait_for_url("**/imports/preview/*")
    page.unroute("**/imports")
    text = page.inner_text("main")
    assert f"台账{LABEL[size]}甲" in text and f"台账{LABEL[size]}乙" in text
    assert "有误 1 处" in text and "“所在党支部”" not in text and "没有名为“没有这个支部”的党支部" in text
    shots(page, f"import-preview-{size}")
    page.check("input[name=skip_bad_rows]")
    page.click("text=确认导入")
    page.wait_for_url("**/imports")
    assert f"已导入“南川乡台账{LABEL[size]}.xlsx”到南川乡党委：候选人 2 名" in page.inner_text(".flash")
    shots(page, f"import-list-{size}")

    page.click("text=撤销这次导入 >> nth=0")
    page.wait_for_url(re.compile(r".*/imports/\d+/undo$"))
    shots(page, f"import-undo-{size}")
    # the double-submit guard: of two submits in a row only the first goes (sent as events: a
    # synthetic submit posts nothing itself), and the button says what is happening
    assert page.evaluate("""() => { const f = document.querySelector('form[data-busy]'), out = [];
        for (const n of [1, 2]) { const e = new Event('submit', {bubbles: true, cancelable: true});
                                  f.dispatchEvent(e); out.push(e.defaultPrevented); }
        return [...out, f.querySelector('button').textContent]; }""") == [False, True, "正在撤销…"]
    page.reload()  # a fresh page (pageshow resets the guard) for the real tap
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.click("text=确认撤销")
    page.wait_for_url("**/imports")
    assert "已撤销" in page.inner_text(".flash") and len(posts) == 1


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_plan_set_and_plan_vs_actual(server, open_as, shots, size, viewport):
    server.set_today(date(2018, 7, 2))
    page = open_as("zuzhi", viewport)
    page.goto("/plans?year=2018")
    page.fill("input[name=admit]", "20")
    page.fill("input[name=share_under_35]", "60")
    page.fill("input[name=tag_name_0]", "致富带头人")
    page.fill("input[name=tag_value_0]", "8")
    page.click("text=保存计划")
    page.wait_for_url("**/plans?org=*&year=2018")
    lines = page.inner_text("ul.plan-lines")
    assert "发展党员" in lines and "计划 20 名" in lines and "35岁及以下占比" in lines and "致富带头人" in lines
    assert re.search(r"已完成 \d+ 名", lines)
    shots(page, f"plans-{size}")
    county = open_as("xianwei", viewport)
    county.goto("/plans?year=2018")
    assert "保存计划" not in county.inner_text("main")


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_holiday_preview(server, open_as, shots, size, viewport):
    page = open_as("admin", viewport)
    page.goto("/holidays")
    page.fill("textarea[name=text]", EXAMPLE)
    page.click("text=预览")
    page.wait_for_selector("section.preview")
    text = page.inner_text("section.preview")
    assert "2027年2月5日（星期五）至2月13日（星期六），共 9 天" in text and "2027年2月14日（星期日）" in text
    shots(page, f"holidays-{size}")
