"""Issue 19, pages read only the user's part of the organisation tree: the organisations to report
on, the overdue dashboard's branches and the /candidates branch filter read the readable branches
(and their ancestors) by id — the same organisations, in the same order, as one read of the whole
tree (a county's scope, every branch, still reads the tree: no path binds its ids) — and the next
steps of /candidates are built for the shown candidates only."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import event

import services.reporting.org_views as ov
from services.accounts.access import Principal
from services.casefile import with_next_steps
from services.worklist.reads import candidates_by_stage, open_items
from web.routes.pages import _branches_in_scope


def _tree(app, world):
    """The web world plus a general branch with a branch under it, an empty township, and a
    township whose only branch hangs below an (empty-levelled) sub-organisation."""
    with app.uow() as uow:
        general = uow.orgs.add(code="g", name="总支", level="branch", kind="rural", parent_id=world.other_township)
        under = uow.orgs.add(code="g1", name="总支下属支部", level="branch", kind="rural", parent_id=general)
        uow.orgs.add(code="t3", name="空乡党委", level="township", parent_id=world.county)
        t4 = uow.orgs.add(code="t4", name="西川乡党委", level="township", parent_id=world.county)
        mid = uow.orgs.add(code="t4m", name="西川乡片区", level="township", parent_id=t4)
        deep = uow.orgs.add(code="t4b", name="西川村党支部", level="branch", kind="rural", parent_id=mid)
    return general, under, t4, deep


def _readables(world, general, under, deep):
    every = {world.b1, world.b2, world.b3, general, under, deep}
    return [{world.b1}, {world.b1, world.b2}, {world.b3, general}, {world.b3, general, under}, {under}, {deep},
            every - {deep}, every, every | {10**6}, {world.township}, set()]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_scoped_reads_equal_the_whole_tree_reads(app, world, monkeypatch):
    general, under, _t4, deep = _tree(app, world)
    base = Principal(1, "u", "用户", (), frozenset())
    for readable in [*_readables(world, general, under, deep), None]:
        who = replace(base, readable=None if readable is None else frozenset(readable))
        got = []
        for scoped in (500, 3, -1):  # read by id; by id up to 3 branches; every scope from the whole tree
            monkeypatch.setattr(ov, "SCOPED", scoped)
            got.append((ov.report_orgs(app, who), _branches_in_scope(app, who),
                        ov.overdue_dashboard(app, who, as_of=date(2027, 6, 1))))
        monkeypatch.undo()
        assert got[0] == got[1] == got[2], readable
    every = frozenset(_readables(world, general, under, deep)[7])
    assert {o["id"] for o in ov.report_orgs(app, replace(base, readable=every))} >= {world.county, world.township}
    board = ov.overdue_dashboard(app, replace(base, readable=frozenset({world.b1})), as_of=date(2027, 6, 1))
    assert board["total"] > 0 and [b["id"] for b in board["branches"]] == [world.b1]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_scope_of_every_branch_binds_no_list_of_ids(app, world, monkeypatch):
    general, under, _t4, deep = _tree(app, world)
    monkeypatch.setattr(ov, "SCOPED", 3)  # a "county" of more branches than a page reads by id
    every = frozenset(_readables(world, general, under, deep)[7])
    who = Principal(1, "u", "用户", (), every)
    bound: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        bound.append(len(parameters) if isinstance(parameters, (list, tuple, dict)) else 0)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        orgs = ov.report_orgs(app, who)
        board = ov.overdue_dashboard(app, who, as_of=date(2027, 6, 1))
        branches = _branches_in_scope(app, who)
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    assert bound and max(bound) < len(every)
    assert world.county in {o["id"] for o in orgs} and len(branches) == len(every) == len(board["branches"])
    assert board["total"] > 0


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_next_steps_are_built_for_the_shown_candidates_only(app, world):
    scope = [world.b1, world.b2, world.b3]
    every = open_items(app, scope, "branch")
    shown = {world.activist, world.b3_candidate}
    assert open_items(app, scope, "branch", candidate_ids=shown) == [i for i in every if i["candidate_id"] in shown]
    assert {i["candidate_id"] for i in every} > shown  # (others have open steps too)
    assert open_items(app, scope, "branch", candidate_ids=set()) == []
    who = Principal(1, "u", "用户", (), frozenset(scope), frozenset(scope), frozenset())
    groups = candidates_by_stage(app, scope, limit=1)
    got = with_next_steps(app, who, groups)
    for g in got:
        for c in g["candidates"]:
            steps = [i for i in every if i["candidate_id"] == c["id"]]
            assert (c["next"] is None) == (not steps)
            assert c["next"] is None or c["next"]["candidate_id"] == c["id"]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_organisations_by_id_equal_those_of_the_whole_list(app, world, monkeypatch):
    import storage.repositories.orgs as repo

    ids = {world.b1, world.township, world.county, 10**6}
    with app.uow(read_only=True) as uow:
        every = {o.id: o for o in uow.orgs.list()}
        expected = {i: every[i] for i in ids if i in every}
        assert uow.orgs.by_ids(ids) == expected and uow.orgs.by_ids([]) == {}
        monkeypatch.setattr(repo, "BY_ID_LIMIT", 2)  # more ids than read by id: from the list
        assert uow.orgs.by_ids(ids) == expected
