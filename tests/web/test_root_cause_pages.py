"""The web says the root cause of a refused step too: the step form's gate (GET), its 422 page
(POST) and the API's JSON — after a 政治审查 recorded as not passed (SQLite and PostgreSQL)."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest

from services.casework.candidates import complete_step
from services.demo.sample_evidence import sample_evidence
from tests.web.web_support import new_candidate

FAILED = "政治审查于 2025-06-01 记为不合格：政审不合格的，不能发展入党（细则第十六条）"


def _text(page: str) -> str:
    main = page.split("<main>", 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


@pytest.fixture
def failed(app, world) -> int:
    cid = new_candidate(app, world, "周小燕", date(2024, 3, 1),
                        [("first_talk", date(2024, 3, 20)), ("activist_selection", date(2024, 4, 1)),
                         ("activist_filing", date(2024, 4, 10)), ("mentors_assigned", date(2024, 4, 10)),
                         ("target_selection", date(2025, 4, 20)), ("target_filing", date(2025, 4, 25)),
                         ("sponsors", date(2025, 4, 25)), ("training", date(2025, 6, 10))],
                        gender="女", birth_date=date(1996, 2, 1))
    ev = {**sample_evidence("political_review", date(2025, 6, 1)), "passed": False}
    complete_step(app, cid, "political_review", occurred_on=date(2025, 6, 1), actor="测试", evidence=ev)
    return cid


def _version(app, cid) -> int:
    with app.uow(read_only=True) as uow:
        return uow.candidates.get(cid).version


def test_the_form_page_and_the_api_name_the_failed_review(app, login, failed):
    com = login("com")
    url = f"/candidates/{failed}/steps/committee_review"
    t = _text(com.get(url).text)
    assert "须先完成前面的步骤" in t and FAILED in t and 'name="f.opinion"' not in t
    before = _version(app, failed)
    r = com.form(url, {"occurred_on": "2025-07-01", "f.opinion": "同意", "expected_version": str(before)})
    assert r.status_code == 422 and FAILED in _text(r.text) and "须先完成：政治审查" in _text(r.text)
    h = {"X-CSRF-Token": com.get("/api/me").json()["csrf_token"]}
    for preview in (False, True):
        r = com.post(f"/api{url}", headers=h,
                     json={"occurred_on": "2025-07-01", "evidence": {"opinion": "同意"}, "preview": preview})
        body = r.json()
        assert r.status_code == 422 and body["message"].startswith("支部委员会审查须先完成：政治审查")
        assert body["message"].endswith(FAILED)
        [v] = [v for v in body["violations"] if v["code"] == "step.requires"]
        assert v["message"] == body["message"]
    assert _version(app, failed) == before  # nothing written
