"""A county viewer over a province-sized tree (issue 19: ~28,000 branches at 1 M candidates): the
overdue page lists the most overdue branches with a name search instead of every branch, the
candidate list finds a branch by name instead of offering a select of them all, the home page's
stage counts come one row a stage. The thresholds are made small so the three branches of the
test world fall on either side of them."""
from __future__ import annotations

import re

import pytest

import services.worklist.reads as reads
import web.routes.orgs as orgs
import web.routes.pages as pages
from storage.tables import organisation


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li><a href="/candidates/(\d+)"', html)]


def _rows(html: str) -> list[str]:
    """The 各党支部 table's branch names, in order."""
    return re.findall(r'<td><a href="/overdue\?branch=\d+[^"]*">([^<]+)</a></td>', html)


# ------------------------------------------------------------------ /overdue: 各党支部

def test_overdue_lists_every_branch_up_to_the_limit(login, world, monkeypatch):
    monkeypatch.setattr(orgs, "BRANCH_ROWS", 3)
    r = login("county").get("/overdue")
    assert r.status_code == 200
    assert sorted(_rows(r.text)) == sorted(["贺丰村党支部", "东王村党支部", "北庄村党支部"])
    assert "按党支部名称查找" not in r.text and "列出逾期事项最多的" not in r.text


def test_overdue_over_the_limit_lists_the_most_overdue_and_says_so(login, world, monkeypatch):
    monkeypatch.setattr(orgs, "BRANCH_ROWS", 2)
    r = login("county").get("/overdue")
    assert r.status_code == 200
    rows = _rows(r.text)
    assert rows == ["贺丰村党支部", "东王村党支部"]  # one overdue first talk each: then by code
    t = _text(r.text)
    assert "共 3 个党支部，其中 3 个有逾期事项；列出逾期事项最多的 2 个。" in t
    assert 'name="bq"' in r.text and "按党支部名称查找" in r.text


def test_overdue_branch_search_by_name(login, world, monkeypatch):
    monkeypatch.setattr(orgs, "BRANCH_ROWS", 2)
    c = login("county")
    r = c.get("/overdue", params={"bq": "北庄"})
    assert r.status_code == 200 and _rows(r.text) == ["北庄村党支部"]
    assert "名称含“北庄”的 1 个" in _text(r.text) and "← 不按名称查找" in r.text
    r = c.get("/overdue", params={"bq": "%"})  # taken literally
    assert r.status_code == 200 and _rows(r.text) == [] and "没有名称含“%”的党支部" in _text(r.text)
    r = login("town").get("/overdue", params={"bq": "北庄"})  # another township's branch is not found
    assert r.status_code == 200 and "北庄村党支部" not in r.text and "没有名称含“北庄”的党支部" in _text(r.text)


# ------------------------------------------------------------------ /candidates: the branch filter

def test_candidates_branch_select_up_to_the_limit(login, world, monkeypatch):
    monkeypatch.setattr(pages, "BRANCH_SELECT_MAX", 3)
    r = login("county").get("/candidates")
    assert r.status_code == 200 and '<select name="branch"' in r.text and 'name="bq"' not in r.text
    assert f'<option value="{world.b3}">北庄村党支部</option>' in r.text


def test_candidates_over_the_limit_find_the_branch_by_name(login, world, monkeypatch):
    monkeypatch.setattr(pages, "BRANCH_SELECT_MAX", 2)
    c = login("county")
    r = c.get("/candidates")
    assert r.status_code == 200 and '<select name="branch"' not in r.text and 'name="bq"' in r.text
    assert {world.fresh, world.b2_candidate, world.b3_candidate} <= set(_ids(r.text))
    r = c.get("/candidates", params={"bq": "东王"})  # one match: filtered by it, its name in the field
    assert r.status_code == 200 and _ids(r.text) == [world.b2_candidate]
    assert 'name="bq" value="东王村党支部"' in r.text
    r = c.get("/candidates", params={"bq": "东王村党支部", "q": "赵"})  # the form sent again: the same branch
    assert r.status_code == 200 and _ids(r.text) == [world.b2_candidate]
    r = c.get("/candidates", params={"branch": world.b3})  # a link with the id still works
    assert r.status_code == 200 and _ids(r.text) == [world.b3_candidate] and 'value="北庄村党支部"' in r.text


def test_candidates_a_name_matching_several_branches_lists_them(login, world, monkeypatch):
    monkeypatch.setattr(pages, "BRANCH_SELECT_MAX", 2)
    monkeypatch.setattr(pages, "BRANCH_CHOICES", 2)
    r = login("county").get("/candidates", params={"bq": "村党支部"})
    assert r.status_code == 200
    t = _text(r.text)
    assert "名称含“村党支部”的党支部有 3 个，下面是前 2 个，可输入更完整的名称，请选择：" in t
    links = re.findall(r'href="/candidates\?branch=(\d+)"', r.text)
    assert len(links) == 2 and set(map(int, links)) <= {world.b1, world.b2, world.b3}
    monkeypatch.setattr(pages, "BRANCH_CHOICES", 3)
    r = login("county").get("/candidates", params={"bq": "村党支部"})
    assert "有 3 个，请选择：" in _text(r.text) and len(re.findall(r'href="/candidates\?branch=\d+"', r.text)) == 3


def test_candidates_a_branch_named_exactly_wins_over_longer_names(app, login, world, monkeypatch):
    monkeypatch.setattr(pages, "BRANCH_SELECT_MAX", 2)
    with app.uow() as uow:  # "东王村党支部" is also a part of this one's name
        uow.orgs.add(code="b0", name="南东王村党支部", level="branch", kind="rural", parent_id=world.township)
    c = login("county")
    r = c.get("/candidates", params={"bq": "东王村党支部"})
    assert r.status_code == 200 and _ids(r.text) == [world.b2_candidate]
    r = c.get("/candidates", params={"bq": "东王"})  # a part of both: choose
    assert "名称含“东王”的党支部有 2 个，请选择：" in _text(r.text)
    assert re.findall(r'href="/candidates\?branch=\d+">([^<]+)<', r.text) == ["南东王村党支部", "东王村党支部"]  # by code


@pytest.mark.parametrize("bq", ["北庄", "%", "不存在"])
def test_candidates_no_readable_branch_by_that_name_says_so(login, world, monkeypatch, bq):
    monkeypatch.setattr(pages, "BRANCH_SELECT_MAX", 1)  # the township's two branches are "many"
    r = login("town").get("/candidates", params={"bq": bq})
    assert r.status_code == 400 and f"没有名称含“{bq}”的党支部" in r.text
    assert world.b3_candidate not in _ids(r.text) and world.fresh in _ids(r.text)


def test_candidates_over_the_limit_refuse_a_branch_outside_the_scope(login, world, monkeypatch):
    monkeypatch.setattr(pages, "BRANCH_SELECT_MAX", 1)
    c = login("town")
    for bad in (str(world.b3), str(world.township), "x1"):  # another township's, not a branch, not an id
        r = c.get("/candidates", params={"branch": bad})
        assert r.status_code == 400 and "找不到可以查看的党支部" in r.text and world.b3_candidate not in _ids(r.text)
    r = c.get("/candidates", params={"branch": world.b2})
    assert r.status_code == 200 and _ids(r.text) == [world.b2_candidate]


# ------------------------------------------------------------------ the reads behind them

def test_stage_counts_the_same_either_side_of_the_long_scope(app, world, monkeypatch):
    scopes = [None, [world.b1, world.b2, world.b3], [world.b1, world.b2], [world.b3]]
    short = [reads.stage_counts(app, s) for s in scopes]
    monkeypatch.setattr(reads, "LONG_SCOPE", 1)  # every scope of two or more: one row a stage
    assert [reads.stage_counts(app, s) for s in scopes] == short
    assert sum(g["count"] for g in short[1]) == sum(g["count"] for g in short[0]) == 5


def test_every_branch_follows_added_branches(app, world, monkeypatch):
    monkeypatch.setattr(reads, "LONG_SCOPE", 1)
    everyone = [world.b1, world.b2, world.b3]
    before = reads.candidates_by_stage(app, everyone)
    with app.uow() as uow:
        b4 = uow.orgs.add(code="b4", name="新村党支部", level="branch", kind="rural", parent_id=world.township)
    with app.uow(read_only=True) as uow:  # the cached set follows the new branch
        assert reads._every_branch(uow.connection) == frozenset(everyone + [b4])
    assert reads.candidates_by_stage(app, everyone) == before  # no longer "all": the list itself
    assert reads.candidates_by_stage(app, everyone + [b4]) == before


def test_org_names_read_only_those_needed_and_follow_a_rename(app, world, monkeypatch):
    app.__dict__.pop("_org_names_memo", None)
    assert reads._org_names(app, {world.b1}) == {world.b1: "贺丰村党支部"}  # not the whole tree
    with app.uow() as uow:
        uow.connection.execute(organisation.update().where(organisation.c.id == world.b1).values(name="贺丰新村党支部"))
    assert reads._org_names(app, {world.b1})[world.b1] == "贺丰村党支部"  # kept for ORG_NAMES_TTL
    monkeypatch.setattr(reads, "ORG_NAMES_TTL", -1.0)
    got = reads._org_names(app, {world.b1, world.b2})
    assert got == {world.b1: "贺丰新村党支部", world.b2: "东王村党支部"}


def test_templates_read_dict_keys_as_jinja_does():
    from web.render import TEMPLATES

    env = TEMPLATES.env
    assert env.auto_reload is False
    t = env.from_string("{{ d.name }}|{{ 'method' if d.items is callable else 'key' }}|{{ d.nope is undefined }}"
                        "|{{ o.real }}|{{ d['items'] }}")

    class O:
        real = "attr"

    assert t.render(d={"name": "张", "items": 5}, o=O()) == "张|method|True|attr|5"
