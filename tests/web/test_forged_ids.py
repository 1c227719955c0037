"""Forged or stale ids in a form or a link: the refusal names the thing in words ("所选的党支部",
"这名候选人") or says it generically, never the bare id or an internal key (from an earlier
review: "找不到转入的党支部 999999", "找不到人员 999999", "找不到流程定义 nope@9")."""
from __future__ import annotations

import re

from tests.web.web_support import World

FORGED = "987654"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_forged_ids_in_forms_and_links_are_refused_in_words(app, login, world: World):
    sec, town, admin = login("sec"), login("town"), login("admin")
    refusals = [
        (admin.form("/candidates/new", {"branch_id": FORGED, "name": "刘建国", "gender": "男",
                                        "birth_date": "1998-03-01", "applied_on": "2026-11-20", "ethnicity": "汉族"}),
         "找不到所选的党支部"),
        (sec.form(f"/candidates/{world.activist}/cases/transfer",
                  {"occurred_on": "2026-11-20", "reason": "迁居", "to_branch_id": FORGED, "expected_version": "3"}),
         "找不到所选的转入党支部"),
        (sec.form(f"/candidates/{world.activist}/steps/mentors_assigned",
                  {"occurred_on": "2026-11-20", "f.mentors": FORGED, "expected_version": "3"}),
         "找不到所选的人员"),
        (town.get(f"/reports?org={FORGED}"), ""),
        (town.get(f"/overdue?branch={FORGED}"), ""),
        (admin.get("/admin/definitions/nope@9"), "找不到这个流程定义"),
    ]
    for r, words in refusals:
        assert r.status_code in (400, 403, 404, 422), (r.url, r.status_code)
        shown = _text(r.text)
        assert words in shown, (r.url, shown[:400])
        assert FORGED not in shown and "nope@9" not in shown, (r.url, shown[:400])


def test_a_forged_case_address_is_refused_without_echoing_the_key(login, world: World):
    """From an outside review: /candidates/{id}/cases/bogus said 没有“bogus”这种特殊情形."""
    sec = login("sec")
    for r in (sec.get(f"/candidates/{world.fresh}/cases/bogus"),
              sec.form(f"/candidates/{world.fresh}/cases/bogus", {"occurred_on": "2026-11-20", "reason": "x",
                                                                   "expected_version": "1"})):
        assert r.status_code == 404, r.status_code
        shown = _text(r.text)
        assert "没有这种特殊情形（链接有误）" in shown and "bogus" not in shown, shown[:400]
