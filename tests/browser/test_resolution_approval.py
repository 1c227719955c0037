"""The township approves a conversion meeting's resolution in a real browser at 360 px: the
candidate page says it waits (党章第七条), the approval page says which resolution it approves,
the confirmation says what approving does (the new probation end). The demo is shared by the
browser tests, so this one goes back from the confirmation instead of recording."""
from __future__ import annotations

import os
from datetime import date

from services.casework.queries import show_candidate
from tests.browser.conftest import PHONE, no_horizontal_overflow
from tests.browser.test_screenshots import DOCS


def _waiting(app) -> int:
    with app.uow(read_only=True) as uow:
        rows = uow.candidates.list(stage="probationary", limit=None)
    return next(r.id for r in rows if show_candidate(app, r.id)["candidate"]["pending_resolution"])


def test_the_township_sees_and_confirms_an_extension(server, open_as, tmp_path):
    out = DOCS if os.environ.get("PARTYFLOW_WRITE_SCREENSHOTS") == "1" else tmp_path
    server.set_today(date(2018, 7, 2))
    cid = _waiting(server.app)
    waiting = show_candidate(server.app, cid)["candidate"]["pending_resolution"]
    town = open_as("zuzhi", PHONE)
    town.goto(f"/candidates/{cid}")
    assert f"待审批：{waiting['text']}" in town.inner_text("main")
    no_horizontal_overflow(town)
    town.screenshot(path=str(out / "resolution-candidate-phone.png"))
    town.goto(f"/queue/approve?candidate_id={cid}&step=conversion_approval")
    assert f"审批的是：支部大会 {waiting['on']} 的决议——{waiting['what']}" in town.inner_text("main")
    town.fill("textarea[name=opinion]", "经党委会集体讨论，同意延长预备期六个月")
    town.fill("input[name=doc_no]", "南组〔2018〕21号")
    town.click("text=下一步：确认")
    town.wait_for_selector("text=确认办理")
    text = town.inner_text("main")
    assert "预备期延至" in text and "办理后阶段" in text
    no_horizontal_overflow(town)
    town.screenshot(path=str(out / "resolution-confirm-phone.png"), full_page=True)
    town.click("text=返回修改")
    town.wait_for_selector("textarea[name=opinion]")
    assert show_candidate(server.app, cid)["candidate"]["pending_resolution"] == waiting  # nothing recorded
