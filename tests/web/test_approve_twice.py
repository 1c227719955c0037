"""An approval's 确认办理, a 报送 or a 退回 sent twice (Back and submit again) records nothing the
second time and says what happened — the step was done, when — instead of 已被他人修改 to the officer who
approved it a moment ago (from an outside review); a truly stale form still says 已被他人修改."""
from __future__ import annotations

import re

from services.casework.candidates import load_history
from tests.web.web_support import World


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _events(app, cid):
    with app.uow(read_only=True) as uow:
        return [(e.kind, e.step) for e in load_history(uow, cid)]


def test_approval_confirmed_twice_says_it_is_done(app, world: World, login):
    cid = world.review
    sec, town = login("sec"), login("town")
    sec.form(f"/candidates/{cid}/submit/pre_review", {"note": ""})
    with app.uow(read_only=True) as uow:
        version = uow.candidates.get(cid).version
    data = {"candidate_id": cid, "step": "pre_review", "occurred_on": "2026-11-25", "f.result": "同意",
            "expected_version": str(version), "confirm": "1"}
    assert town.form("/queue/approve", data).status_code == 303
    done = _events(app, cid)
    assert done[-1] == ("step", "pre_review")
    again = town.form("/queue/approve", data)  # the same confirmation sent again
    assert again.status_code == 409
    shown = _text(again.text)
    assert "“上级党委预审”已于 2026-11-25 完成" in shown and "已被他人修改" not in shown, shown[:600]
    assert _events(app, cid) == done


def test_submit_and_return_sent_twice_say_it_is_done(app, world: World, login):
    cid = world.review
    sec, town = login("sec"), login("town")
    with app.uow(read_only=True) as uow:
        version = uow.candidates.get(cid).version
    sent = {"note": "", "expected_version": str(version), "back": "review"}
    assert sec.form(f"/candidates/{cid}/submit/pre_review", sent).status_code == 303
    done = _events(app, cid)
    r = sec.form(f"/candidates/{cid}/submit/pre_review", sent)  # 报送 again from the same page
    assert r.status_code == 303 and _events(app, cid) == done
    shown = _text(sec.get("/review").text)
    assert "已被他人修改" not in shown and "“上级党委预审”已于 2026-11-25 报送，正在等待上级党委审核" in shown, shown[:600]
    back = {"candidate_id": cid, "step": "pre_review", "reason": "请补充材料", "expected_version": str(version + 1)}
    assert town.form("/queue/return", back).status_code == 303
    done = _events(app, cid)
    r = town.form("/queue/return", back)  # 退回 again
    assert r.status_code == 409 and _events(app, cid) == done
    shown = _text(r.text)
    assert "已被他人修改" not in shown and "“上级党委预审”已于 2026-11-25 退回党支部，正在等待重新报送" in shown, shown[:600]
