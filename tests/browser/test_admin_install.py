"""Installing a process definition from the admin page in a real browser: the checked text goes
back through the install form's hidden field (line breaks included) and is stored as pasted."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from storage.tables import workflow_definition
from tests.browser.conftest import PHONE, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VARIANT = """\
id: cpc_2014_browser
version: 1
extends: cpc_2014@1
local: true
title: 乡镇变体：浏览器安装（公示10天）
steps:
  target_selection:
    rules:
      public_notice:
        working_days: null
        days: 10  # "quoted" & <escaped> in the page
"""

FILE_VARIANT = VARIANT.replace("cpc_2014_browser", "cpc_2014_file").replace("浏览器安装", "文件上传")


def test_check_then_install_on_a_phone(server, open_as):
    page = open_as("admin", PHONE)
    page.goto("/admin/definitions")
    page.fill("textarea[name=text]", VARIANT)
    page.click("#check button[type=submit]")
    assert "校验通过：cpc_2014_browser@1（乡镇变体）尚未发布，可以安装" in page.inner_text("#check")
    assert not page.is_visible("#install input[name=text]")
    no_horizontal_overflow(page)
    page.click("#install button[type=submit]")
    page.wait_for_url("**/admin/definitions/cpc_2014_browser@1")
    assert "已安装 cpc_2014_browser@1" in page.inner_text("main")
    no_horizontal_overflow(page)
    assert "cpc_2014_browser@1" in server.app.registry
    with server.app.uow(read_only=True) as uow:
        source = uow.connection.execute(select(workflow_definition.c.source)
                                        .where(workflow_definition.c.key == "cpc_2014_browser@1")).scalar()
    assert source == VARIANT


def test_check_an_uploaded_file_on_a_phone(server, open_as, tmp_path):
    """The file picker is the Chinese 选择文件 button; the chosen file's name shows under it and the
    check reads the file. Screenshot admin-definitions-phone (PARTYFLOW_WRITE_SCREENSHOTS=1)."""
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    page = open_as("admin", PHONE)
    page.goto("/admin/definitions")
    picker = page.locator("#check .file-pick")
    assert picker.inner_text() == "选择文件" and "流程定义文件" in page.inner_text("#check .file-field")
    picker.locator("input[type=file]").set_input_files(
        {"name": "乡镇变体.yaml", "mimeType": "text/yaml", "buffer": FILE_VARIANT.encode()})
    assert page.inner_text("#check .chosen") == "已选择：乡镇变体.yaml"
    page.click("#check form.form button[type=submit]:has-text('校验')")
    page.locator("#install").wait_for()
    assert "乡镇变体.yaml：校验通过：cpc_2014_file@1（乡镇变体）尚未发布，可以安装" in page.inner_text("#check")
    no_horizontal_overflow(page)
    page.locator("#check").scroll_into_view_if_needed()
    page.screenshot(path=str(out / "admin-definitions-phone.png"))
    assert "cpc_2014_file@1" not in server.app.registry  # checked, not installed
