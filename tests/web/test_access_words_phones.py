"""Role × route for what the words-and-phones work added: the report's period picker (a custom
range in the query) and the script every page loads (docs/web.md "Words and phones")."""
from __future__ import annotations

from tests.web.test_web_access_matrix import _check, row

MATRIX = [
    #    method  url                                                               anon sec  com  town county admin
    row("GET", "/reports?org={b1}&period=range&start=2026-07-01&end=2026-09-30", None,
                                                                                   303, 200, 200, 200, 200, 200),
    row("GET", "/reports?org={township}&period=range&start=2026-07-01&end=2026-09-30", None,
                                                                                   303, 403, 403, 200, 200, 200),
    row("GET", "/reports?org={other_township}&period=2026Q3", None,                303, 403, 403, 403, 200, 200),
    row("GET", "/reports?org={b1}&period=range&start=2026-07-01", None,            303, 400, 400, 400, 400, 400),
    row("GET", "/reports?org={b1}&period=range&start=2026-09-30&end=2026-07-01", None,
                                                                                   303, 400, 400, 400, 400, 400),
    row("GET", "/reports/file?org={b1}&period=2026-07-01..2026-09-30&format=md", None,
                                                                                   303, 200, 200, 200, 200, 200),
    row("GET", "/reports/file?org={b1}&format=md", None,                           303, 400, 400, 400, 400, 400),
    row("GET", "/static/app.js", None,                                             200, 200, 200, 200, 200, 200),
]


def test_access_words_phones(web, world, users, login):
    failures = _check(MATRIX, web, world, login)
    assert not failures, "\n".join(failures)


def test_a_missing_parameter_is_named_in_chinese(login, world):
    r = login("sec").get(f"/reports/file?org={world.b1}&format=md")
    assert r.status_code == 400 and "缺少统计期间" in r.text and "period" not in r.text.split("<main>")[1]
