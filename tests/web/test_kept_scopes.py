"""Issue 19 over a province-sized tree: a county viewer's branch ids are kept per process (checked
against the tree's fingerprint on each request), and the overdue page's 各党支部 table of a large
scope is built from the overdue items and the code index, not from every branch. The thresholds
are made small so the three branches of the test world take the large paths."""
from __future__ import annotations

from datetime import date

import pytest

import services.accounts.access as access
import services.reporting.org_views as org_views
import web.routes.orgs as orgs
from services.accounts.access import build_principal, principal_for
from services.app import App
from services.reporting.org_views import overdue_dashboard
from storage.repositories import RoleRow
from storage.repositories.orgs import OrgRepo
from storage.tables import organisation


@pytest.fixture
def keep_all(monkeypatch):
    """Every subtree is 'large' (kept), and descendants_branch_ids calls are counted."""
    monkeypatch.setattr(access, "KEEP_OVER", 0)
    calls = []
    real = OrgRepo.descendants_branch_ids

    def counted(self, org_id):
        calls.append(org_id)
        return real(self, org_id)

    monkeypatch.setattr(OrgRepo, "descendants_branch_ids", counted)
    return calls


def _scope(app: App, role: str, org_id: int) -> frozenset[int]:
    with app.uow(read_only=True) as uow:
        return build_principal(uow, 1, "u", "用户", (RoleRow(1, role, org_id),)).readable


def test_county_scope_is_kept_and_reused(app, world, keep_all):
    every = {world.b1, world.b2, world.b3}
    assert _scope(app, "county_viewer", world.county) == every
    assert keep_all == [world.county]
    assert _scope(app, "county_viewer", world.county) == every
    assert _scope(app, "county_viewer", world.county) == every
    assert keep_all == [world.county]  # read once; then only the fingerprint


def test_a_new_or_moved_branch_is_seen_at_once(app, world, keep_all):
    assert _scope(app, "county_viewer", world.county) == {world.b1, world.b2, world.b3}
    with app.uow() as uow:
        other = uow.orgs.add(code="c2", name="庆阳县委", level="county")
        t3 = uow.orgs.add(code="t3", name="西川乡党委", level="township", parent_id=other)
        b4 = uow.orgs.add(code="b4", name="新庄村党支部", level="branch", parent_id=world.other_township)
    assert _scope(app, "county_viewer", world.county) == {world.b1, world.b2, world.b3, b4}
    assert _scope(app, "county_viewer", other) == frozenset()
    with app.uow() as uow:  # b3 moves to the other county (no service does it: by hand, as an operator would)
        uow.connection.execute(organisation.update().where(organisation.c.id == world.b3).values(parent_id=t3))
    assert _scope(app, "county_viewer", world.county) == {world.b1, world.b2, b4}
    assert _scope(app, "county_viewer", other) == {world.b3}
    with app.uow() as uow:  # a swap keeps the count and every sum of ids: the parents' product moves
        uow.connection.execute(organisation.update().where(organisation.c.id == world.b3).values(parent_id=world.other_township))
        uow.connection.execute(organisation.update().where(organisation.c.id == b4).values(parent_id=t3))
    assert _scope(app, "county_viewer", world.county) == {world.b1, world.b2, world.b3}
    assert _scope(app, "county_viewer", other) == {b4}


def test_another_process_sees_a_change_at_once(app, world, db_url, keep_all):
    """Two app processes on one database: each keeps its own sets, neither serves a stale one."""
    second = App.open(db_url)
    try:
        for a in (app, second):
            assert _scope(a, "county_viewer", world.county) == {world.b1, world.b2, world.b3}
        with app.uow() as uow:
            b4 = uow.orgs.add(code="b4", name="新庄村党支部", level="branch", parent_id=world.township)
        assert _scope(second, "county_viewer", world.county) == {world.b1, world.b2, world.b3, b4}
        with second.uow() as uow:
            uow.connection.execute(organisation.update().where(organisation.c.id == b4).values(level="township"))
        assert _scope(app, "county_viewer", world.county) == {world.b1, world.b2, world.b3}
    finally:
        second.close()


def test_a_township_scope_is_kept_from_its_second_request(app, world, keep_all):
    """A township officer's subtree, once seen large, is kept too (its fingerprint read first)."""
    for _ in range(3):
        assert _scope(app, "township_officer", world.township) == {world.b1, world.b2}
    assert keep_all == [world.township, world.township]  # seen large, then read under a fingerprint, then kept
    with app.uow() as uow:
        b4 = uow.orgs.add(code="b4", name="新庄村党支部", level="branch", parent_id=world.township)
    assert _scope(app, "township_officer", world.township) == {world.b1, world.b2, b4}


def test_sides_and_several_roles_from_kept_sets(app, world, keep_all):
    with app.uow(read_only=True) as uow:
        for _ in range(2):
            who = build_principal(uow, 1, "u", "用户", (RoleRow(1, "township_officer", world.township),
                                                         RoleRow(1, "branch_secretary", world.b3)))
            assert who.readable == {world.b1, world.b2, world.b3}
            assert who.township_side == {world.b1, world.b2} and who.branch_side == {world.b3}
            assert who.can_act(world.b3, "branch") and not who.can_act(world.b3, "township")


def test_role_scopes_unchanged_with_keeping(app, world, users, keep_all):
    """The access table's scopes, built twice (read, then kept)."""
    want = {"sec": {world.b1}, "town": {world.b1, world.b2}, "county": {world.b1, world.b2, world.b3}}
    for _ in range(2):
        for name, scope in want.items():
            assert principal_for(app, users[name]["id"]).readable == scope


# ------------------------------------------------------------------ /overdue over a large scope

def _rows(board):
    return [(b["name"], b["count"], b["candidates"]) for b in board["branches"]], board.get("rows_summary")


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
@pytest.mark.parametrize("bq", ["", "庄", "村", "无此", "%"])
@pytest.mark.parametrize("as_of", [None, date(2027, 6, 1)])
def test_large_scope_table_is_the_small_scope_table(app, world, users, monkeypatch, limit, bq, as_of):
    """The county read as a large scope (from the items and the code index) and as a small one
    (every branch built into a row), and the administrator (always large): one table and summary."""
    county = principal_for(app, users["county"]["id"])
    small = overdue_dashboard(app, county, as_of=as_of, rows=limit, name_contains=bq)
    if not bq:
        assert small["branches"][0]["count"] > 0  # (the world has overdue first talks: late rows first)
    monkeypatch.setattr(org_views, "SCOPED", 0)
    large = overdue_dashboard(app, county, as_of=as_of, rows=limit, name_contains=bq)
    admin = overdue_dashboard(app, principal_for(app, users["admin"]["id"]), as_of=as_of, rows=limit, name_contains=bq)
    for board in (large, admin):
        assert _rows(board) == _rows(small)
        assert board["total"] == small["total"] and board["list"] == small["list"]


def test_large_scope_page_says_what_was_left_out(login, world, monkeypatch):
    monkeypatch.setattr(org_views, "SCOPED", 0)
    monkeypatch.setattr(orgs, "BRANCH_ROWS", 2)
    r = login("county").get("/overdue")
    assert r.status_code == 200
    import re

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))
    assert re.findall(r'<td><a href="/overdue\?branch=\d+[^"]*">([^<]+)</a></td>', r.text) == ["贺丰村党支部", "东王村党支部"]
    assert "共 3 个党支部，其中 3 个有逾期事项；列出逾期事项最多的 2 个。" in text
    r = login("county").get("/overdue", params={"bq": "北庄"})
    assert re.findall(r'<td><a href="/overdue\?branch=\d+[^"]*">([^<]+)</a></td>', r.text) == ["北庄村党支部"]


def test_api_overdue_still_lists_every_branch(app, world, users):
    who = principal_for(app, users["county"]["id"])
    board = overdue_dashboard(app, who)
    assert sorted(b["name"] for b in board["branches"]) == sorted(["贺丰村党支部", "东王村党支部", "北庄村党支部"])
    assert "rows_summary" not in board
