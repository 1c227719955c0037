"""两年以上未发展党员的党支部 on a phone when the list is long (a county): the report page's summary
and the paged full list, at 360 px, without sideways overflow. Screenshots go to a temporary folder;
with PARTYFLOW_WRITE_SCREENSHOTS=1 they replace docs/screenshots/report-dormant-*.png."""
from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, _serve, no_horizontal_overflow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def long_list_server(_cheap_hashes):
    """The demo township and a second one, with 35 and 30 branches that never admitted anyone."""
    folder = tempfile.mkdtemp(prefix="partyflow-browser-dormant-")
    srv, stop = _serve(f"sqlite:///{Path(folder) / 'demo.db'}")
    with srv.app.uow() as uow:
        other = uow.orgs.add(code="bc", name="北川乡党委", level="township", parent_id=srv.town["county"])
        for i in range(35):
            uow.orgs.add(code=f"nx{i}", name=f"新建第{i + 1}村党支部", level="branch", kind="rural",
                         parent_id=srv.town["township"])
        for i in range(30):
            uow.orgs.add(code=f"bx{i}", name=f"北川第{i + 1}村党支部", level="branch", kind="rural", parent_id=other)
    srv.set_today(date(2018, 7, 2))
    yield srv
    stop()


@pytest.fixture
def site(long_list_server):
    return long_list_server


def test_the_long_list_on_a_phone(open_as, tmp_path):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    county = open_as("xianwei", PHONE)
    county.goto("/reports?period=2018H1")
    part = county.locator("section.card", has_text="合规情况")
    text = part.inner_text()
    assert "共 65 个党支部" in text and "查看全部 65 个党支部" in text and "北川乡党委" in text
    no_horizontal_overflow(county)
    part.screenshot(path=str(out / "report-dormant-summary-phone.png"))
    county.click("text=查看全部 65 个党支部")
    county.wait_for_url("**/reports/dormant?**")
    assert county.locator("ol.items > li").count() == 50 and "第 1 / 2 页" in county.inner_text("main")
    no_horizontal_overflow(county)
    county.screenshot(path=str(out / "report-dormant-phone.png"))
    county.click("text=下一页")
    assert county.locator("ol.items > li").count() == 15
