"""The branch meeting's vote in the web and the JSON API: the attendees without a vote on the form,
应到 against the branch roll (a warning on the result page, in the correction preview and in the
API), votes by those without a vote refused next to the field (第二十条、第二十一条).

The world's branch b1 has four full members, 党员零–党员三 (tests/web/conftest.py)."""
from __future__ import annotations

import re
from datetime import date

from services.casework.queries import show_candidate
from tests.web.web_support import walk

ROLL_NOTE = "应到会有表决权的正式党员填写 5 人，本支部名册上 2026-11-20 有表决权的正式党员 4 人：党员零、党员一、党员二、党员三"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _ready(app, world) -> str:
    walk(app, world.review, [("pre_review", date(2026, 11, 2)), ("application_form", date(2026, 11, 5))])
    return f"/candidates/{world.review}/steps/admission_meeting"


def _vote(form, **numbers):
    version = re.search(r'name="expected_version" value="(\d+)"', form)[1]
    return {**{f"f.vote.{k}": str(v) for k, v in numbers.items()}, "f.resolution": "同意接收",
            "occurred_on": "2026-11-20", "expected_version": version}


def test_form_asks_for_the_attendees_without_a_vote(app, login, world):
    form = login("sec").get(_ready(app, world)).text
    assert "预备党员<input" in form and "无表决权党员<input" in form
    assert 'name="f.vote.probationary_present"' in form and 'name="f.vote.no_rights_present"' in form
    t = _text(form)
    assert "只算有表决权的正式党员" in t and "到会但没有表决权的人数（不计入应到、实到，也不投票；没有可不填）" in t


def test_should_attend_off_the_roll_is_recorded_with_a_warning(app, login, world):
    c = login("sec")
    url = _ready(app, world)
    r = c.form(url, _vote(c.get(url).text, should_attend=5, present=4, yes=4, no=0, abstain=0, probationary_present=1))
    assert r.status_code == 303
    page = _text(c.get(r.headers["location"]).text)
    assert ROLL_NOTE in page and "已记录：第15步" in page
    last = show_candidate(app, world.review)["timeline"][-1]
    assert last["evidence"]["vote"]["probationary_present"] == 1 and "no_rights_present" not in last["evidence"]["vote"]
    assert "到会预备党员1" in _text(c.get(f"/candidates/{world.review}/records").text)


def test_should_attend_on_the_roll_gives_no_warning(app, login, world):
    c = login("sec")
    url = _ready(app, world)
    r = c.form(url, _vote(c.get(url).text, should_attend=4, present=3, yes=3, no=0, abstain=0))
    assert r.status_code == 303
    assert "名册" not in _text(c.get(r.headers["location"]).text)


def test_votes_of_attendees_without_a_vote_are_refused_next_to_the_field(app, login, world):
    c = login("sec")
    url = _ready(app, world)
    r = c.form(url, _vote(c.get(url).text, should_attend=4, present=3, yes=4, no=0, abstain=0, no_rights_present=1))
    assert r.status_code == 422
    t = _text(r.text)
    assert "无表决权党员1人不能参加表决" in t and "细则第二十条、第二十一条" in t
    assert re.search(r'class="field-error">[^<]*不能参加表决', r.text)  # next to the vote
    assert 'name="f.vote.no_rights_present" value="1"' in r.text  # what was typed stays
    assert show_candidate(app, world.review)["timeline"][-1]["step"] != "admission_meeting"


def test_correction_preview_shows_the_roll_warning(app, login, world):
    c = login("sec")
    url = _ready(app, world)
    assert c.form(url, _vote(c.get(url).text, should_attend=4, present=3, yes=3, no=0, abstain=0)).status_code == 303
    seq = show_candidate(app, world.review)["timeline"][-1]["seq"]
    form = c.get(f"/candidates/{world.review}/records/{seq}/correct").text
    data = {**_vote(form, should_attend=5, present=4, yes=4, no=0, abstain=0), "reason": "核对会议记录", "go": "preview"}
    r = c.form(f"/candidates/{world.review}/records/{seq}/correct", data)
    assert r.status_code == 200 and ROLL_NOTE in _text(r.text)


def test_api_takes_the_new_counts_and_warns(app, login, world):
    c = login("sec")
    _ready(app, world)
    token = c.get("/api/me").json()["csrf_token"]
    url = f"/api/candidates/{world.review}/steps/admission_meeting"
    vote = {"should_attend": 5, "present": 4, "yes": 4, "no": 0, "abstain": 0, "probationary_present": 2}
    body = {"occurred_on": "2026-11-20", "evidence": {"vote": vote, "resolution": "同意"}, "preview": True}
    r = c.post(url, json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    assert any(w.startswith(ROLL_NOTE) for w in r.json()["warnings"])
    bad = {**body, "evidence": {"vote": {**vote, "yes": 6}, "resolution": "同意"}}
    r = c.post(url, json=bad, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "预备党员2人不能参加表决" in r.text


def test_should_attend_far_from_the_roll_waits_for_the_tick_next_to_the_vote(app, login, world):
    """500 on a roll of 4 was recorded (已记录) with an amber note; now it is refused next to the vote
    until 「应到人数与名册不符，已核实无误」 is ticked, and the record keeps the tick."""
    c = login("sec")
    url = _ready(app, world)
    form = c.get(url).text
    assert 'name="f.vote.roll_checked"' in form and "应到人数与名册不符，已核实无误" in form
    r = c.form(url, _vote(form, should_attend=500, present=499, yes=499, no=0, abstain=0))
    assert r.status_code == 422
    assert re.search(r'class="field-error">[^<]*本支部名册上 2026-11-20 有表决权的正式党员 4 人，相差较大', r.text)
    assert show_candidate(app, world.review)["timeline"][-1]["step"] != "admission_meeting"
    r = c.form(url, {**_vote(form, should_attend=500, present=499, yes=499, no=0, abstain=0), "f.vote.roll_checked": "1"})
    assert r.status_code == 303
    assert "记录人已核实应到人数无误" in _text(c.get(r.headers["location"]).text)
    assert show_candidate(app, world.review)["timeline"][-1]["evidence"]["vote"]["roll_checked"] == 1


def test_a_count_beyond_any_branch_meeting_is_refused_at_the_field(app, login, world):
    c = login("sec")
    url = _ready(app, world)
    data = {**_vote(c.get(url).text, should_attend=99999, present=4, yes=4, no=0, abstain=0), "f.vote.roll_checked": "1"}
    r = c.form(url, data)
    assert r.status_code in (400, 422)
    assert re.search(r'class="field-error">[^<]*应到 99999 人不合常理：党支部党员大会的人数不会超过 1000 人', r.text)
    assert show_candidate(app, world.review)["timeline"][-1]["step"] != "admission_meeting"
