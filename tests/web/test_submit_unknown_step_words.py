"""报送 or a return of a step the candidate's process does not have (a stale link, a forged form,
another rules version's step id) is refused in words, without echoing the id back (from an outside
review: "流程中没有步骤“bogus”"); nothing is written."""
from __future__ import annotations

import re

from tests.web.web_support import World


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_unknown_step_in_a_submit_or_return_is_refused_in_words(app, login, world: World):
    with app.uow(read_only=True) as uow:
        before = uow.candidates.get(world.review).version
    sec, town = login("sec"), login("town")
    for r in (sec.form(f"/candidates/{world.review}/submit/oath_old_rules", {}),
              town.form("/queue/return", {"candidate_id": str(world.review), "step": "oath_old_rules",
                                          "reason": "材料不全"})):
        assert r.status_code == 404, r.status_code
        shown = _text(r.text)
        assert "这名候选人的流程中没有这一步骤" in shown and "oath_old_rules" not in shown, shown[:300]
    with app.uow(read_only=True) as uow:
        assert uow.candidates.get(world.review).version == before
