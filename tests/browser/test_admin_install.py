"""Installing a process definition from the admin page in a real browser: the checked text goes
back through the install form's hidden field (line breaks included) and is stored as pasted."""
from __future__ import annotations

from sqlalchemy import select

from storage.tables import workflow_definition
from tests.browser.conftest import PHONE, no_horizontal_overflow

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
