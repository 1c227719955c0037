"""Issue 19, pages under load and after a start: the organisations a user may report on come from
one read of the tree (as the per-organisation subtree query said), and a started server runs no
more request threads at once than its connection pool can give each a connection."""
from __future__ import annotations

from dataclasses import replace

import pytest
from anyio import to_thread

from services.accounts.access import Principal
from services.app import App
from services.reporting.org_views import report_orgs
from web.app import create_app
from web.warmup import SPARE_CONNECTIONS, request_threads


def _by_subtree_queries(app: App, who: Principal) -> list[int]:
    """The rule, one subtree query per organisation: every branch under it (itself included) is readable."""
    with app.uow(read_only=True) as uow:
        out = []
        for o in uow.orgs.list():
            branches = uow.orgs.descendants_branch_ids(o.id)
            if branches and set(branches) <= who.readable:
                out.append(o.id)
    return sorted(out)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_report_organisations_are_those_whose_every_branch_the_user_reads(app, world):
    with app.uow() as uow:  # a general branch with a branch under it; an empty township
        general = uow.orgs.add(code="g", name="总支", level="branch", kind="rural", parent_id=world.other_township)
        under = uow.orgs.add(code="g1", name="总支下属支部", level="branch", kind="rural", parent_id=general)
        uow.orgs.add(code="t3", name="空乡党委", level="township", parent_id=world.county)
    base = Principal(1, "u", "用户", (), frozenset())
    for readable in ({world.b1}, {world.b1, world.b2}, {world.b3, general}, {world.b3, general, under},
                     {world.b1, world.b2, world.b3, general, under}, {under}, set()):
        who = replace(base, readable=frozenset(readable))
        assert sorted(o["id"] for o in report_orgs(app, who)) == _by_subtree_queries(app, who), readable
    every = report_orgs(app, replace(base, readable=frozenset({world.b1, world.b2, world.b3, general, under})))
    assert [o["level"] for o in every][:3] == ["county", "township", "township"]  # county first, by code
    assert world.county in {o["id"] for o in every}
    assert len(report_orgs(app, replace(base, readable=None))) == 9  # an administrator: every organisation


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_started_server_runs_at_most_as_many_request_threads_as_the_pool_has_connections(app):
    from fastapi.testclient import TestClient

    pool = app.engine.pool
    capacity = pool.size() + pool._max_overflow
    assert request_threads(app.engine) == capacity - SPARE_CONNECTIONS
    web = create_app(app, secret_key="test-secret-key-0123456789", secure_cookies=False)
    with TestClient(web) as client:
        tokens = client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)
        assert web.state.warmup.done.wait(300)
    assert tokens == capacity - SPARE_CONNECTIONS < 40  # anyio's default, above the pool's 15


def test_an_in_memory_database_keeps_the_thread_default():
    app = App.open("sqlite://")
    try:
        assert request_threads(app.engine) is None
    finally:
        app.close()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_read_only_home_counts_the_candidates_at_each_stage_without_listing_them(login, world, app):
    import re

    from services.worklist.reads import candidates_by_stage

    html = login("county").get("/").text
    links = re.findall(r'<li><a class="stage-count" href="/candidates\?stage=(\w+)">([^<：]+)：<b>(\d+)</b> 名</a></li>', html)
    shown = {name: n for _stage, name, n in links}
    groups = candidates_by_stage(app, None)  # the same stages and numbers as 我的候选人 lists
    assert shown == {g["stage_name"]: str(len(g["candidates"])) for g in groups}
    # each count opens that stage of 我的候选人 (outside review: they were plain text)
    client = login("county")
    for stage, name, n in links:
        page = client.get(f"/candidates?stage={stage}")
        assert page.status_code == 200 and name in page.text
    assert sum(map(int, shown.values())) == 5 and 'href="/candidates"' in html
    assert "张秀英" not in html  # the names are on /candidates, not on the home page
