"""我的候选人 (/candidates, issue 19): each stage group capped at a page with its count and a link to
the whole stage, the stage alone in pages, a name search, a branch filter, bad parameters refused
in words, and nothing outside the user's scope. PAGE_SIZE is made small so a few candidates span pages."""
from __future__ import annotations

import re
from datetime import date

import pytest

from services.casework.queries import known_stages
from tests.web.web_support import new_candidate

APPLICANT = "入党申请人"


@pytest.fixture
def small_pages(monkeypatch):
    import web.routes.pages as pages
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)


@pytest.fixture
def applicants(app, world, small_pages) -> list[int]:
    """Three more applicants in b1: with 张秀英 four at 入党申请人 in b1, five with b2's 赵敏."""
    return [new_candidate(app, world, n, date(2026, 9, 1), []) for n in ("钱多多", "周小秀", "吴用")]


def _stage_id(app, name: str) -> str:
    return next(k for k, v in known_stages(app).items() if v == name)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li><a href="/candidates/(\d+)"', html)]


def test_groups_show_a_page_with_the_count_and_a_link_to_the_whole_stage(app, login, world, applicants):
    r = login("town").get("/candidates")
    assert r.status_code == 200
    t = _text(r.text)
    assert "入党申请人（5）" in t and "入党积极分子（1）" in t
    stage = _stage_id(app, APPLICANT)
    assert f'href="/candidates?stage={stage}">查看全部 5 人</a>' in r.text
    assert "查看全部 1 人" not in t  # a group that fits shows no link
    assert _ids(r.text)[:2] == sorted([world.fresh, world.b2_candidate, *applicants])[:2]  # by id
    assert "按姓名查找" in r.text


def test_a_stage_alone_in_pages_both_sides_of_the_boundary(app, login, world, applicants):
    c = login("town")
    stage = _stage_id(app, APPLICANT)
    everyone = sorted([world.fresh, world.b2_candidate, *applicants])
    seen = []
    for n in (1, 2, 3):
        r = c.get(f"/candidates?stage={stage}&page={n}")
        assert r.status_code == 200
        seen += _ids(r.text)
        assert f"第 {n} / 3 页" in r.text
        assert ("上一页" in r.text) == (n > 1) and ("下一页" in r.text) == (n < 3)
    assert seen == everyone  # 2 + 2 + 1, none twice, none left out
    assert "入党积极分子" not in _text(r.text).split("我的候选人")[-1]  # the one stage only


def test_name_search_within_scope(app, login, world, applicants):
    c = login("town")
    r = c.get("/candidates?q=秀")
    assert r.status_code == 200
    assert set(_ids(r.text)) == {world.fresh, applicants[1]}  # 张秀英, 周小秀
    r = c.get("/candidates?q=孙丽")  # b3: another township's
    assert _ids(r.text) == [] and "没有符合条件的候选人" in r.text
    r = c.get("/candidates?q=%25")  # a LIKE wildcard is a plain character
    assert _ids(r.text) == []


def test_branch_filter_in_and_out_of_scope(app, login, world, applicants):
    c = login("town")
    r = c.get("/candidates")
    assert f'<option value="{world.b2}">东王村党支部</option>' in r.text and f'value="{world.b3}"' not in r.text
    r = c.get(f"/candidates?branch={world.b2}")
    assert r.status_code == 200 and _ids(r.text) == [world.b2_candidate]
    r = c.get(f"/candidates?branch={world.b3}")  # another township's branch: refused, not shown
    assert r.status_code == 400 and "找不到可以查看的党支部" in r.text
    assert world.b3_candidate not in _ids(r.text) and world.b2_candidate in _ids(r.text)
    county = login("county").get(f"/candidates?branch={world.b3}")
    assert county.status_code == 200 and _ids(county.text) == [world.b3_candidate]


@pytest.mark.parametrize("query, message", [
    ("stage=nope", "没有“nope”这个阶段"), ("page=abc", "页码“abc”无效"), ("page=0", "页码“0”无效"),
    ("branch=x1", "找不到可以查看的党支部“x1”"), ("branch=99999999999999", "找不到可以查看的党支部"),
])
def test_bad_parameters_say_so_in_words(login, world, query, message):
    r = login("town").get(f"/candidates?{query}")
    assert r.status_code == 400 and message in r.text and "Traceback" not in r.text
    assert world.fresh in _ids(r.text)  # the list is still shown


def test_a_page_past_the_end_shows_the_last_one(app, login, world, applicants):
    stage = _stage_id(app, APPLICANT)
    r = login("town").get(f"/candidates?stage={stage}&page=99")
    assert r.status_code == 400 and "页码 99 超出范围（共 3 页）" in r.text
    assert "第 3 / 3 页" in r.text and len(_ids(r.text)) == 1


def test_a_secretary_sees_only_the_own_branch(app, login, world, applicants):
    r = login("sec").get("/candidates?q=赵")  # 赵敏 is in b2
    assert _ids(r.text) == []
    r = login("sec").get("/candidates")
    assert world.b2_candidate not in _ids(r.text) and 'name="branch"' not in r.text  # one branch: no select
    r = login("sec").get(f"/candidates?branch={world.b2}")
    assert r.status_code == 400 and world.b2_candidate not in _ids(r.text)


def test_only_the_shown_page_s_names_are_read(app, world, applicants, monkeypatch):
    from services.worklist.reads import candidates_by_stage
    from storage.repositories.people import PersonRepo

    asked = []
    real = PersonRepo.by_ids
    monkeypatch.setattr(PersonRepo, "by_ids", lambda self, ids: asked.append(set(ids)) or real(self, ids))
    groups = candidates_by_stage(app, None, stage=_stage_id(app, APPLICANT), limit=2, offset=2)
    assert groups[0]["total"] == 6 and len(groups[0]["candidates"]) == 2  # with b3's 孙丽
    assert len(asked) == 1 and len(asked[0]) == 2
