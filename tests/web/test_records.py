"""更正与作废 in the web and the JSON API: preview → confirm, the refusals (no reason, a stale
version, a foreign candidate, the county), nothing changes on a refusal."""
from __future__ import annotations

import re
from datetime import date

import pytest

from services.integrity.audit_log import entries
from services.casework.candidates import exceptional, load_history
from services.casework.queries import show_candidate


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _log(app, cid):
    with app.uow(read_only=True) as uow:
        return [(e.seq, e.kind, e.occurred_on.isoformat(), e.supersedes) for e in load_history(uow, cid)]


def _prefilled(c, url) -> dict:
    """The evidence fields of a correction form as it opens (pre-filled with the record): texts,
    numbers and dates, chosen options."""
    html = c.get(url).text
    out = dict(re.findall(r'<textarea name="(f\.[^"]+)"[^>]*>([^<]*)</textarea>', html))
    out.update(re.findall(r'<input type="(?:number|date)"[^>]*name="(f\.[^"]+)" value="([^"]*)"', html))
    for name, body in re.findall(r'<select name="(f\.[^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        if chosen:
            out[name] = chosen[1]
    return out


def _version(app, cid):
    return show_candidate(app, cid)["candidate"]["version"]


# world.activist (贺丰村, b1): 1 application 2026-05-01, 2 first talk 2026-05-20, 3 activist selection 2026-06-01


def test_records_page_offers_correct_and_void_by_side(login, world):
    t = login("sec").get(f"/candidates/{world.activist}/records").text
    assert f'href="/candidates/{world.activist}/records/2/correct"' in t
    assert f'href="/candidates/{world.activist}/records/3/void"' in t
    assert f'href="/candidates/{world.activist}/records/1/void"' not in t  # the application is never voided
    assert "第2步" in _text(t) and "2026-05-20" in t
    # the township reads the branch's records but changes none of them
    t = login("town").get(f"/candidates/{world.activist}/records").text
    assert "/correct" not in t and "/void" not in t and "只能查看" in t
    # the township's own step (4 入党积极分子备案) on the candidate in review is the township's to correct
    t = login("town").get(f"/candidates/{world.review}/records").text
    assert f"/records/4/correct" in t and f"/records/2/correct" not in t


def test_correct_a_date_through_preview_then_confirm(app, login, world):
    c = login("sec")
    form = c.get(f"/candidates/{world.activist}/records/2/correct").text
    assert 'value="2026-05-20"' in form and "更正原因" in form  # pre-filled with the record
    before = _log(app, world.activist)
    version = _version(app, world.activist)
    data = {"occurred_on": "2026-05-25", "reason": "录入时日期填错", "expected_version": str(version),
            **{k: v for k, v in re.findall(r'<textarea name="(f\.[^"]+)"[^>]*>([^<]*)</textarea>', form)}}
    r = c.form(f"/candidates/{world.activist}/records/2/correct", {**data, "go": "preview"})
    assert r.status_code == 200, _text(r.text)
    t = _text(r.text)
    assert "确认更正" in t and "2026-05-20" in t and "2026-05-25" in t and "办理日期" in t
    assert _log(app, world.activist) == before  # a preview writes nothing
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
    assert hidden["occurred_on"] == "2026-05-25" and hidden["reason"] == "录入时日期填错"
    r = c.form(f"/candidates/{world.activist}/records/2/correct", {**hidden, "go": "confirm"})
    assert r.status_code == 303 and r.headers["location"] == f"/candidates/{world.activist}/records"
    after = _log(app, world.activist)
    assert after[:-1] == before and after[-1] == (4, "correct", "2026-05-25", 2)
    page = _text(c.get(r.headers["location"]).text)
    assert "已更正" in page and "录入时日期填错" in page
    audit = entries(app, target_kind="candidate", target_id=world.activist)[0]
    assert audit["action"] == "record.correct" and audit["username"] == "sec" and audit["detail"]["seq"] == 2


def test_void_shows_what_reopens_then_voids(app, login, world):
    c = login("sec")
    v = str(_version(app, world.activist))
    r = c.form(f"/candidates/{world.activist}/records/3/void", {"reason": "误录", "expected_version": v, "go": "preview"})
    assert r.status_code == 200
    t = _text(r.text)
    assert "重新待办" in t and "入党积极分子" in t and "2026-06-01" in t
    assert show_candidate(app, world.activist)["candidate"]["stage"] == "activist"
    r = c.form(f"/candidates/{world.activist}/records/3/void", {"reason": "误录", "expected_version": v, "go": "confirm"})
    assert r.status_code == 303
    assert _log(app, world.activist)[-1] == (4, "void", "2026-06-01", 3)
    assert show_candidate(app, world.activist)["candidate"]["stage"] != "activist"


def test_missing_reason_is_400_and_changes_nothing(app, login, world):
    c = login("sec")
    before = _log(app, world.activist)
    for kind, extra in (("correct", {"occurred_on": "2026-05-25"}), ("void", {})):
        for go in ("preview", "confirm"):
            r = c.form(f"/candidates/{world.activist}/records/2/{kind}", {**extra, "reason": "  ", "go": go})
            assert r.status_code == 400
            assert re.search(r'<p class="field-error">请填写(更正|作废)原因</p>', r.text)
    api = login("sec")
    token = api.get("/api/me").json()["csrf_token"]
    r = api.post(f"/api/candidates/{world.activist}/events/2/void", json={"reason": ""}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and r.json()["message"] == "更正或作废须记录原因"
    assert _log(app, world.activist) == before


def test_stale_version_is_409_with_the_input_kept(app, login, world):
    c = login("sec")
    stale = str(_version(app, world.activist))
    # someone else corrects first
    admin = login("admin")
    url3 = f"/candidates/{world.activist}/records/3/correct"
    r = admin.form(url3, {**_prefilled(admin, url3), "occurred_on": "2026-06-02", "reason": "他人先改",
                          "expected_version": stale, "go": "confirm"})
    assert r.status_code == 303, _text(r.text)
    before = _log(app, world.activist)
    url = f"/candidates/{world.activist}/records/2/correct"
    r = c.form(url, {**_prefilled(c, url), "occurred_on": "2026-05-25", "reason": "我的原因", "expected_version": stale,
                     "go": "confirm"})
    assert r.status_code == 409
    assert "已被他人修改，请刷新" in r.text and "我的原因" in r.text and 'value="2026-05-25"' in r.text
    assert f'name="expected_version" value="{_version(app, world.activist)}"' in r.text
    assert _log(app, world.activist) == before
    token = c.get("/api/me").json()["csrf_token"]
    r = c.post(f"/api/candidates/{world.activist}/events/2/correct", headers={"X-CSRF-Token": token},
               json={"occurred_on": "2026-05-25", "reason": "x", "expected_version": int(stale)})
    assert r.status_code == 409 and r.json()["message"] == "已被他人修改，请刷新"
    assert _log(app, world.activist) == before


def test_foreign_candidate_and_county_are_403(app, login, world):
    before = _log(app, world.b2_candidate)
    r = login("sec").form(f"/candidates/{world.b2_candidate}/records/1/correct",
                          {"occurred_on": "2026-10-02", "reason": "x", "go": "confirm"})
    assert r.status_code == 403 and "无权查看其他党支部的候选人" in r.text
    county = login("county")
    r = county.form(f"/candidates/{world.activist}/records/2/correct",
                    {"occurred_on": "2026-05-25", "reason": "x", "go": "confirm"})
    assert r.status_code == 403 and "不能更正" in _text(r.text)
    assert county.get(f"/candidates/{world.activist}/records").status_code == 200  # reads
    assert _log(app, world.b2_candidate) == before


def test_engine_refusals_are_422_next_to_the_form(app, login, world):
    c = login("sec")
    before = _log(app, world.activist)
    # a date after today (2026-11-25 on the test clock)
    url2, url3 = (f"/candidates/{world.activist}/records/{n}/correct" for n in (2, 3))
    r = c.form(url2, {**_prefilled(c, url2), "occurred_on": "2026-12-01", "reason": "x", "go": "preview"})
    assert r.status_code == 422 and "晚于今天" in r.text
    # the same date and content: nothing to correct
    r = c.form(url3, {**_prefilled(c, url3), "occurred_on": "2026-06-01", "reason": "x", "go": "preview"})
    assert r.status_code == 422 and "没有需要更正的内容" in r.text
    # the application cannot be voided
    r = c.form(f"/candidates/{world.activist}/records/1/void", {"reason": "x", "go": "confirm"})
    assert r.status_code == 422 and "入党申请记录不能作废" in r.text
    assert c.get(f"/candidates/{world.activist}/records/99/correct").status_code == 404
    assert _log(app, world.activist) == before


def test_api_preview_then_commit(app, login, world):
    c = login("sec")
    token = c.get("/api/me").json()["csrf_token"]
    h = {"X-CSRF-Token": token}
    v = _version(app, world.activist)
    rows = c.get(f"/api/candidates/{world.activist}/events").json()["records"]
    assert [(r["seq"], r["can_correct"], r["can_void"]) for r in rows] == [(1, True, False), (2, True, True), (3, True, True)]
    r = c.post(f"/api/candidates/{world.activist}/events/2/correct", headers=h,
               json={"occurred_on": "2026-05-25", "reason": "日期填错", "expected_version": v, "preview": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["preview"] is True and body["change"]["fields"] == [{"label": "办理日期", "old": "2026-05-20", "new": "2026-05-25"}]
    assert len(_log(app, world.activist)) == 3
    r = c.post(f"/api/candidates/{world.activist}/events/2/correct", headers=h,
               json={"occurred_on": "2026-05-25", "reason": "日期填错", "expected_version": v})
    assert r.status_code == 200 and r.json()["version"] == v + 1
    assert _log(app, world.activist)[-1] == (4, "correct", "2026-05-25", 2)
    r = c.post(f"/api/candidates/{world.activist}/events/4/void", headers=h, json={"reason": "x"})
    assert r.status_code == 422 and "不能作废" in r.json()["message"]
    r = c.post(f"/api/candidates/{world.b3_candidate}/events/1/correct", headers=h, json={"reason": "x"})
    assert r.status_code == 403


def test_a_returned_record_is_redone_not_corrected(app, login, world):
    from services.review import return_to_branch

    return_to_branch(app, None, world.review, "pre_review", reason="政审材料不全", reopen=("political_review",),
                     actor="乡党委")
    seq = next(t["seq"] for t in show_candidate(app, world.review)["timeline"] if t["step"] == "political_review")
    c = login("sec")
    page = c.get(f"/candidates/{world.review}/records").text
    assert "已退回重办" in page and f"/records/{seq}/correct" not in page and f"/records/{seq}/void" not in page
    before = _log(app, world.review)
    r = c.form(f"/candidates/{world.review}/records/{seq}/void", {"reason": "x", "go": "confirm"})
    assert r.status_code == 422 and "已被退回重办" in r.text
    assert c.get(f"/candidates/{world.review}/records/{seq}/correct").status_code == 422
    assert _log(app, world.review) == before


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", ["sec", "town", "county"])
def test_no_identifier_on_records_findings_overdue(app, world, users, login, role):
    """The visible-words crawl (tests/web/test_visible_words.py) over these pages and their forms
    (empty and bad input): no ASCII identifier or bare id, no tooltip, no server error."""
    from tests.web.test_visible_words import Crawl, _data_words

    crawl = Crawl(login(role), world, _data_words(app, users))
    crawl.run([f"/candidates/{world.activist}/records", f"/candidates/{world.activist}/records/2/correct",
               f"/candidates/{world.activist}/records/3/void", f"/candidates/{world.review}/records/4/correct",
               "/findings", "/findings?period=2026年", "/findings?since=2026-12-01&until=2026-01-01", "/overdue?as_of=坏"])
    assert f"/candidates/{world.activist}/records" in crawl.seen and "/findings" in crawl.seen
    assert any(f[1].startswith("/candidates/N/records/N/correct") for f in crawl.forms_tried) or role != "sec"
    mine = {w: p for w, p in crawl.problems.items() if re.search(r"/records|/findings|/overdue", w)}
    assert not mine, mine


def test_correct_evidence_shows_old_and_new_by_label(app, login, world):
    c = login("sec")
    url = f"/candidates/{world.activist}/records/2/correct"
    typed = _prefilled(c, url)
    old = typed["f.talker"]
    r = c.form(url, {**typed, "f.talker": "李秀兰", "occurred_on": "2026-05-20", "reason": "谈话人写错",
                     "go": "preview"})
    assert r.status_code == 200
    row = re.search(r"<tr><td>([^<]+)</td><td class=\"old\">([^<]*)</td><td class=\"new\">([^<]*)</td></tr>", r.text)
    assert row.groups() == ("谈话人", old, "李秀兰")
    assert "办理日期" not in row.group(0)
    r = c.form(url, {**dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text)), "go": "confirm"})
    assert r.status_code == 303
    assert show_candidate(app, world.activist)["timeline"][-1]["evidence"]["talker"] == "李秀兰"
    paths = c.get("/api/openapi.json").json()["paths"]
    assert {"/api/candidates/{candidate_id}/events/{seq}/correct", "/api/findings"} <= set(paths)


def test_preview_names_the_later_steps_whose_dates_move(app, login, world):
    """Moving the application (fresh: 2026-10-01) moves the first talk's due date (one month, 第七条)."""
    c = login("sec")
    url = f"/candidates/{world.fresh}/records/1/correct"
    r = c.form(url, {**_prefilled(c, url), "occurred_on": "2026-10-10", "reason": "申请日期以收到申请书之日为准",
                     "go": "preview"})
    assert r.status_code == 200
    t = _text(r.text)
    assert "受影响的后续步骤" in t and "第2步 党组织派人谈话 原来：最迟 2026-11-01（含当日） 之后：最迟 2026-11-10（含当日）" in t


def test_an_exceptional_path_is_corrected_by_date_and_voided(app, login, world):
    exceptional(app, world.fresh, "withdraw", occurred_on=date(2026, 11, 20), actor="测试", reason="本人申请撤回")
    c = login("sec")
    form = c.get(f"/candidates/{world.fresh}/records/2/correct").text
    assert "只能更正日期" in form and 'value="2026-11-20"' in form
    r = c.form(f"/candidates/{world.fresh}/records/2/correct",
               {"occurred_on": "2026-11-18", "reason": "撤回申请书的日期", "go": "preview"})
    assert r.status_code == 200 and "2026-11-20" in r.text and "2026-11-18" in r.text
    assert login("town").get(f"/candidates/{world.fresh}/records/2/void").status_code == 403  # the branch's business
    r = c.form(f"/candidates/{world.fresh}/records/2/void", {"reason": "误录", "go": "preview"})
    assert r.status_code == 200 and "入党申请人" in _text(r.text)  # the stage it returns to
    r = c.form(f"/candidates/{world.fresh}/records/2/void", {"reason": "误录", "go": "confirm"})
    assert r.status_code == 303 and show_candidate(app, world.fresh)["candidate"]["stage"] == "applicant"


def test_a_mentor_who_left_the_branch_stays_on_the_correction_form(app, login, world):
    """Correcting 指定培养联系人 after the mentor moved to another branch: they are still offered, and
    checked, so saving the correction does not silently drop them."""
    from services.casework.candidates import load_history

    with app.uow(read_only=True) as uow:
        seq = next(e.seq for e in load_history(uow, world.review) if e.step == "mentors_assigned")
    mentor = world.members[0]
    with app.uow() as uow:
        uow.people.set_party_status(mentor, "full_member", branch_id=world.b2)  # moved away
    form = login("sec").get(f"/candidates/{world.review}/records/{seq}/correct").text
    box = re.search(rf'<input[^>]*name="f.mentors"[^>]*value="{mentor}"[^>]*>', form)
    assert box is not None and "checked" in box.group(0) and "（原记录）" in form
