"""An approval's 确认办理 sent twice (Back and confirm again) records nothing the second time and
says what happened — the step was done, when — instead of 已被他人修改 to the officer who
approved it a moment ago (from an outside review); a truly stale form still says 已被他人修改."""
from __future__ import annotations

import re

from services.candidates import load_history
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
