"""The candidate page opens with what to do now; a step that may not be done yet shows why and when
instead of its form, and its submission is refused (422) and changes nothing; every list item
links to its step's form (docs/web.md "Pages")."""
from __future__ import annotations

import re
from datetime import date, datetime

from services.app import SHANGHAI
from services.casework.queries import show_candidate
from tests.web.web_support import walk


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _main(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def _section(html: str, cls: str) -> str:
    """The HTML of the first <section class="card {cls}…"> of the page."""
    m = re.search(rf'<section class="card {cls}[^"]*"[^>]*>(.*?)</section>', html, re.S)
    assert m, f"no section {cls}"
    return m.group(1)


def _buttons(html: str) -> list[str]:
    """The steps the big buttons of 「现在要办」 lead to: the step's form, or (a step the branch sent
    up, for the committee) the approval page."""
    return [m[0] or m[1] for m in re.findall(
        r'<a class="button big" href="(?:/candidates/\d+/steps/(\w+)|/queue/approve\?candidate_id=\d+&amp;step=(\w+))">',
        html)]


def _on(app, day: date) -> None:
    app.clock = lambda: datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI)


def _blocked_target(app, world) -> None:
    """李红: filed and mentored, so 第7步 确定发展对象 waits for one year after 2026-06-01 (细则第十三条)."""
    walk(app, world.activist, [("activist_filing", date(2026, 6, 10)), ("mentors_assigned", date(2026, 6, 10))],
         mentors=world.members[:1])


def test_next_action_comes_first_with_its_dates_and_one_button(login, world):
    html = login("sec").get(f"/candidates/{world.fresh}").text
    main = _main(html)
    now = _section(main, "now")
    # the section comes before the history and the full list of steps
    assert main.index("现在要办") < main.index("办理记录") < main.index("全部 25 个步骤")
    buttons = re.findall(r'<a class="button big" href="([^"]+)">办理</a>', main)
    assert buttons == [f"/candidates/{world.fresh}/steps/first_talk"]
    t = _text(now)
    assert "第2步 党组织派人谈话" in t
    assert "已逾期 24 天：最迟应于 2026-11-01（含当日，周日休息日）办理" in t  # due Sunday 2026-11-01, today 2026-11-25
    assert "依据：" in t and "细则" in t  # the rule in words with its article
    # the full list is there, collapsed
    assert re.search(r'<details class="all-steps">\s*<summary>全部 25 个步骤', main)
    assert "25 材料归档" in _text(main)


def test_the_other_side_s_step_is_waited_for_without_a_button(login, world):
    sec = _text(_section(_main(login("sec").get(f"/candidates/{world.activist}").text), "now"))
    # the committee's step the branch sends up: the branch's part is to send it (the review loop)
    assert "须由本支部报送：第4步 报上级党委备案" in sec and "去报送" in sec
    sec_html = login("sec").get(f"/candidates/{world.activist}").text
    assert f'href="/candidates/{world.activist}/steps/activist_filing"' not in sec_html
    town_html = login("town").get(f"/candidates/{world.activist}").text
    now = _section(_main(town_html), "now")
    assert _buttons(now) == ["activist_filing"]
    assert "等待党支部委员会办理：第5步 指定培养联系人" in _text(now)
    assert f'/steps/mentors_assigned"' not in town_html
    county = _text(_section(_main(login("county").get(f"/candidates/{world.activist}").text), "now"))
    assert "等待基层党委（乡镇党委）办理" in county and "等待党支部委员会办理" in county


def test_history_is_grouped_by_stage_with_the_current_stage_open(login, world):
    main = _main(login("sec").get(f"/candidates/{world.review}").text)
    groups = re.findall(r'<details class="stage"( open)?>\s*<summary>(\S+)', main)
    assert [name for _o, name in groups] == ["入党申请人", "入党积极分子", "发展对象"]
    assert [bool(o) for o, _n in groups] == [False, False, True]  # 王芳 is a development target
    assert "第13步 上级党委预审" in _text(_section(main, "now"))


def test_a_blocked_step_shows_why_and_when_on_both_sides_of_its_date(app, login, world):
    _blocked_target(app, world)
    sec = login("sec")
    now = _text(_section(_main(sec.get(f"/candidates/{world.activist}").text), "now"))
    assert "第7步 确定发展对象 还不能办理" in now
    assert "最早可于 2027-06-01 办理（含当日），还有 188 天" in now and "细则第十三条" in now
    assert f"/steps/target_selection" not in _section(sec.get(f"/candidates/{world.activist}").text, "now")

    r = sec.get(f"/candidates/{world.activist}/steps/target_selection")
    assert r.status_code == 200
    main = _main(r.text)
    assert 'class="card form"' not in main and "f.opinions_heard" not in main  # no form before its date
    t = _text(main)
    assert "还没到可以办理的日期" in t and "最早可于 2027-06-01 办理（含当日）" in t and "细则第十三条" in t
    assert t.count("2027-06-01") == 1 and "到时需要填写：办理日期、听取意见情况" in t

    _on(app, date(2027, 5, 31))  # the day before: still blocked
    sec = login("sec")  # months later: the earlier session has timed out (issue 17 sessions)
    t = _text(_main(sec.get(f"/candidates/{world.activist}/steps/target_selection").text))
    assert "最早可于 2027-06-01 办理（含当日），还有 1 天" in t
    _on(app, date(2027, 6, 1))  # the day itself: the form, and the 办理 button on the page
    sec = login("sec")
    main = _main(sec.get(f"/candidates/{world.activist}/steps/target_selection").text)
    assert 'name="f.opinions_heard"' in main and "还没到可以办理的日期" not in main
    now = _section(_main(sec.get(f"/candidates/{world.activist}").text), "now")
    assert f'<a class="button big" href="/candidates/{world.activist}/steps/target_selection">' in now


def test_a_blocked_step_s_submission_is_refused_once_and_changes_nothing(app, login, world):
    _blocked_target(app, world)
    before = show_candidate(app, world.activist)
    r = login("sec").form(f"/candidates/{world.activist}/steps/target_selection",
                          {"occurred_on": "2026-11-20", "f.opinions_heard": "听取意见", "f.notice_start": "2026-11-01",
                           "f.notice_end": "2026-11-10", "expected_version": "5"})
    assert r.status_code == 422
    main = _main(r.text)
    assert 'role="alert"' in main and "未能办理：还没到可以办理的日期" in _text(main)
    assert _text(main).count("2027-06-01") == 1  # the date said once (it used to be said twice)
    assert "f.opinions_heard" not in main
    after = show_candidate(app, world.activist)
    assert after["timeline"] == before["timeline"] and after["candidate"]["version"] == before["candidate"]["version"]


def test_a_step_waiting_for_its_prerequisite_is_refused(app, login, world):
    c = login("sec")
    r = c.get(f"/candidates/{world.fresh}/steps/activist_selection")
    assert r.status_code == 200
    t = _text(_main(r.text))
    assert "须先完成前面的步骤" in t and "须先完成：党组织派人谈话" in t and 'class="card form"' not in r.text
    r = c.form(f"/candidates/{world.fresh}/steps/activist_selection",
               {"occurred_on": "2026-11-20", "f.method": "党员推荐", "expected_version": "1"})
    assert r.status_code == 422 and "须先完成：党组织派人谈话" in _text(r.text)
    assert len(show_candidate(app, world.fresh)["timeline"]) == 1


def test_a_done_step_says_when_it_was_done(app, login, world):
    c = login("sec")
    main = _main(c.get(f"/candidates/{world.activist}/steps/first_talk").text)
    assert "该步骤已办理" in _text(main) and "已于 2026-05-20 办理" in _text(main)
    assert f'href="/candidates/{world.activist}/records">更正记录</a>' in main and 'class="card form"' not in main
    r = c.form(f"/candidates/{world.activist}/steps/first_talk",
               {"occurred_on": "2026-11-20", "f.talker": "李书记", "expected_version": "3"})
    assert r.status_code == 422
    assert len(show_candidate(app, world.activist)["timeline"]) == 3


def test_an_open_step_still_gets_its_form_and_the_engine_s_checks(app, login, world):
    c = login("sec")
    main = _main(c.get(f"/candidates/{world.fresh}/steps/first_talk").text)
    assert 'name="f.talker"' in main and "还不能办理" not in main
    r = c.form(f"/candidates/{world.fresh}/steps/first_talk", {"occurred_on": "2026-11-20", "expected_version": "1"})
    assert r.status_code == 400  # a field error, next to the field, as before


def test_timeline_notes_are_inline_not_tooltips(app, login, world):
    """A 公示 counted over a year whose holiday schedule is not loaded is a 临时结果: its note is a
    line under the record (phones never show a title= tooltip)."""
    _blocked_target(app, world)
    _on(app, date(2027, 6, 10))
    walk(app, world.activist, [("target_selection", date(2027, 6, 9))])
    notes = [e["provisional"] for e in show_candidate(app, world.activist)["timeline"] if e["provisional"]]
    assert len(notes) == 1 and "临时结果" in notes[0]
    main = _main(login("sec").get(f"/candidates/{world.activist}").text)
    assert "title=" not in main
    assert re.search(r'<p class="note"><span class="tag late">临时结果</span> ' + re.escape(notes[0]) + "</p>", main)


def test_home_list_items_link_to_their_forms(login, world):
    html = login("sec").get("/").text
    assert re.search(rf'<a class="step-link" href="/candidates/{world.fresh}/steps/first_talk">第2步 党组织派人谈话</a>', html)
    assert f'href="/candidates/{world.activist}/steps/mentors_assigned"' in html


def test_candidates_list_links_each_one_s_next_step(login, world):
    sec = login("sec").get("/candidates").text
    assert re.search(rf'href="/candidates/{world.fresh}/steps/first_talk">下一步：第2步 党组织派人谈话', sec)
    assert f'/candidates/{world.review}/steps/pre_review' not in sec  # the township's step
    town = login("town").get("/candidates").text
    # a step the branch sends up: the committee records it on the approval page (opinion, 批复文号)
    assert re.search(rf'href="/queue/approve\?candidate_id={world.review}&amp;step=pre_review">下一步：第13步 上级党委预审', town)
    assert f'/candidates/{world.fresh}/steps/' not in town
    county = login("county").get("/candidates").text
    assert "下一步：" not in county  # reads only


def test_overdue_list_links_to_the_form_for_those_who_record_it(login, world):
    sec = login("sec").get("/overdue").text
    assert re.search(rf'<a class="step-link" href="/candidates/{world.fresh}/steps/first_talk">第2步 党组织派人谈话', sec)
    town = login("town").get("/overdue").text
    assert re.search(rf'<a class="step-link" href="/candidates/{world.fresh}">第2步 党组织派人谈话', town)


def test_an_ended_process_says_so_and_offers_no_step(app, login, world):
    c = login("sec")
    r = c.form(f"/candidates/{world.fresh}/cases/withdraw",
               {"occurred_on": "2026-11-20", "reason": "本人书面申请撤回", "expected_version": "1"})
    assert r.status_code == 303
    main = _main(c.get(f"/candidates/{world.fresh}").text)
    now = _text(_section(main, "now"))
    assert "流程已结束（已撤回），没有需要办理的步骤" in now and 'class="button big"' not in main
    # the withdrawal is in the history, in the stage it happened in (the applicant's, open: the last one)
    assert re.search(r'<details class="stage" open>\s*<summary>入党申请人', main) and "撤回入党申请" in _text(main)
    r = c.form(f"/candidates/{world.fresh}/steps/first_talk",
               {"occurred_on": "2026-11-21", "f.talker": "李书记", "expected_version": "2"})
    assert r.status_code == 422 and "流程已结束" in _text(r.text)
    assert len(show_candidate(app, world.fresh)["timeline"]) == 2


def test_a_refusal_by_the_engine_says_its_date_once(app, login, world):
    """A date before the prerequisite's: the engine's sentence already names the date, the form
    does not repeat it (it used to add 「最早 …」 after the sentence)."""
    r = login("sec").form(f"/candidates/{world.activist}/steps/mentors_assigned",
                          {"occurred_on": "2026-05-25", "f.mentors": str(world.members[0]), "expected_version": "3"})
    assert r.status_code == 422
    alert = _text(re.search(r'<div class="error" role="alert">(.*?)</div>', r.text, re.S).group(1))
    assert "早于前置步骤" in alert and alert.count("2026-06-01") == 1
    assert len(show_candidate(app, world.activist)["timeline"]) == 3


def test_next_actions_order_overdue_then_this_week_then_process_order():
    from services.casefile import next_actions

    def step(number, due=None, status="open", can_act=True):
        return {"number": number, "id": f"s{number}", "name": f"步骤{number}", "status": status, "can_act": can_act,
                "due": due, "earliest": None, "earliest_text": None, "due_text": None, "reason": None}

    view = {"steps": [step(18), step(21, due="2018-12-01"), step(19), step(22, due="2018-07-05"),
                      step(20, due="2018-06-30"), step(23, status="pending"), step(24, can_act=False)]}
    now = next_actions(view, "2018-07-02")
    assert [a["number"] for a in now["act"]] == [20, 22, 18, 19, 21]
    assert now["act"][0]["when"] == ["已逾期 2 天：最迟应于 2018-06-30（含当日）办理"]
    assert now["act"][1]["when"] == ["最迟于 2018-07-05（含当日）办理，还有 3 天"]
    assert [a["number"] for a in now["others"]] == [24] and now["later"] == []


def test_with_the_review_thread_a_sent_up_step_goes_to_its_approval(app, world):
    """`case_file(..., thread=)`: the committee's button of a step the branch sends up opens the
    approval page (审批); the branch sees the step's status in the thread."""
    from services.accounts.access import Principal
    from services.casefile import case_file

    thread = [{"step": "pre_review", "status": "submitted", "status_name": "已报送，待审核"}]
    town = Principal(1, "t", "乡镇", (), None, frozenset(), None)
    now = case_file(app, town, world.review, world.b1, thread=thread)["now"]
    assert [(a["id"], a["button"], a["href"]) for a in now["act"]] == [
        ("pre_review", "审批", f"/queue/approve?candidate_id={world.review}&step=pre_review")]
    branch = Principal(2, "s", "书记", (), None, None, frozenset())
    now = case_file(app, branch, world.review, world.b1, thread=thread)["now"]
    assert [(a["id"], a["review"]["status_name"]) for a in now["others"]] == [("pre_review", "已报送，待审核")]
    assert case_file(app, town, world.review, world.b1)["now"]["act"][0]["href"] == \
        f"/candidates/{world.review}/steps/pre_review"  # without a thread: the step's form
