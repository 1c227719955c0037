"""The report's reads: a fixed number of statements whatever the number of branches (no statement
per branch or per dormant branch), the same count each time (the statements are built once and
only their parameters change), and the county's whole scope read without an id list."""
from __future__ import annotations

from datetime import date

from sqlalchemy import event

from services.reporting.period_report import build_report, dormant_page


def _orgs(app, branches: int) -> None:
    with app.uow() as uow:
        county = uow.orgs.add(code="zy", name="镇原县委", level="county")
        for t in range(2):
            town = uow.orgs.add(code=f"t{t}", name=f"第{t + 1}乡党委", level="township", parent_id=county)
            for b in range(branches):
                uow.orgs.add(code=f"b{t}_{b}", name=f"第{b + 1}村党支部", level="branch", kind="rural", parent_id=town)


def _statements(app, fn) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, *_):
        seen.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(app.engine, "before_cursor_execute", count)
    return seen


def test_the_statements_do_not_grow_with_the_branches(app):
    _orgs(app, 30)
    on = date(2019, 8, 1)
    build_report(app, "t0", "2019H1", as_of=on)  # the first also reads the rule versions (kept a while)
    town = _statements(app, lambda: build_report(app, "t0", "2019H1", as_of=on))
    again = _statements(app, lambda: build_report(app, "t0", "2019H1", as_of=on))
    county = _statements(app, lambda: build_report(app, "zy", "2019H1", as_of=on))
    # was 18 on PostgreSQL (the report's own statements, not the page's around it); SQLite adds
    # the three PRAGMAs of the counting's page cache (reports/query.py) and has no set_config
    assert len(town) == len(again) <= (13 if app.engine.dialect.name == "sqlite" else 11)
    assert len(county) <= len(town) + 1  # + the count that tells the county holds every branch
    # the county's scope is every branch: no list of their ids is sent
    assert not any("IN (" in s and s.count("%(") + s.count("?") > 40 for s in county)
    report = build_report(app, "zy", "2019H1", as_of=on)
    assert len(report.dormant) == 60 and {d.unit_name for d in report.dormant} == {"第1乡党委", "第2乡党委"}
    # the same branch name in two townships reads with its township's name
    assert {b.name for b in report.branches} >= {"第1乡党委第1村党支部", "第2乡党委第1村党支部"}


def test_the_paged_list_reads_a_few_statements(app):
    _orgs(app, 30)
    got = {}
    n = _statements(app, lambda: got.update(dormant_page(app, "zy", "2019H1", page=2, as_of=date(2019, 8, 1))))
    assert len(n) <= 6
    assert got["total"] == 60 and len(got["items"]) == 10 and got["first"] == 50 and got["pages"] == 2
