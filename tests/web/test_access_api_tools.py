"""Every route of the tool pages' JSON API (web/routes/api_tools.py) × every role: the same
statuses as the pages (tests/web/test_web_access_matrix.py, test_access_imports.py,
test_access_notices.py), as JSON — 401 for the anonymous reader, 403 for the anonymous writer (no
CSRF token), 422 where the page answers 400. Refused writes change nothing; the last rows are
allowed writes (the administrator's)."""
from __future__ import annotations

from tests.web.test_access_imports import _import
from tests.web.test_access_notices import setup  # noqa: F401 (the fixture: contacts, outbox rows)
from tests.web.test_web_access_matrix import row
from tests.web.web_support import run_matrix

TOKEN = "AAAAAAAAAAAAAAAAAAAAAA"

MATRIX = [
    #    method  url                                          body                 anon sec  com  town county admin
    row("GET", "/api/overdue", None,                                               401, 200, 200, 200, 200, 200),
    row("GET", "/api/overdue?branch={b1}&as_of=2026-11-01", None,                  401, 200, 200, 200, 200, 200),
    row("GET", "/api/overdue?branch={b2}", None,                                   401, 403, 403, 200, 200, 200),
    row("GET", "/api/overdue?branch={b3}", None,                                   401, 403, 403, 403, 200, 200),
    row("GET", "/api/overdue?branch=999999", None,                                 401, 404, 404, 404, 404, 404),
    row("GET", "/api/overdue?branch={township}", None,                             401, 404, 404, 404, 404, 404),
    row("GET", "/api/overdue?as_of=2026-02-30", None,                              401, 422, 422, 422, 422, 422),
    row("GET", "/api/reports", None,                                               401, 200, 200, 200, 200, 200),
    row("GET", "/api/reports?org={b1}&period=2026H2", None,                        401, 200, 200, 200, 200, 200),
    row("GET", "/api/reports?org={township}", None,                                401, 403, 403, 200, 200, 200),
    row("GET", "/api/reports?org={other_township}", None,                          401, 403, 403, 403, 200, 200),
    row("GET", "/api/reports?org={county}", None,                                  401, 403, 403, 403, 200, 200),
    row("GET", "/api/reports?org=999999", None,                                    401, 404, 404, 404, 404, 404),
    row("GET", "/api/reports?org={b1}&period=2031H1", None,                        401, 422, 422, 422, 422, 422),
    row("GET", "/api/reports?org={b1}&period=range&start=2026-01-01", None,        401, 422, 422, 422, 422, 422),
    row("GET", "/api/contacts", None,                                              401, 200, 200, 200, 200, 200),
    row("GET", "/api/contacts/{c_b1}", None,                                       401, 200, 200, 200, 200, 200),
    row("GET", "/api/contacts/{c_b2}", None,                                       401, 403, 403, 200, 200, 200),
    row("GET", "/api/contacts/{c_b3}", None,                                       401, 403, 403, 403, 200, 200),
    row("GET", "/api/contacts/999999", None,                                       401, 404, 404, 404, 404, 404),
    row("POST", "/api/contacts", {"org_id": "{b1}", "name": ""},                   403, 403, 403, 422, 403, 422),
    row("POST", "/api/contacts", {"org_id": "{b3}", "name": ""},                   403, 403, 403, 403, 403, 422),
    row("POST", "/api/contacts/{c_b1}", {"name": ""},                              403, 403, 403, 422, 403, 422),
    row("POST", "/api/contacts/{c_b3}", {"name": ""},                              403, 403, 403, 403, 403, 422),
    row("POST", "/api/contacts/999999", {"name": "某"},                            403, 404, 404, 404, 404, 404),
    row("POST", "/api/contacts/999999/remove", {},                                 403, 404, 404, 404, 404, 404),
    row("POST", "/api/contacts/{c_b3}/remove", {},                                 403, 403, 403, 403, 403, None),
    row("GET", "/api/deliveries", None,                                            401, 200, 200, 200, 200, 200),
    row("GET", "/api/deliveries?state=dead&org={b1}", None,                        401, 200, 200, 200, 200, 200),
    row("GET", "/api/deliveries?state=lost", None,                                 401, 404, 404, 404, 404, 404),
    row("GET", "/api/deliveries?org={other_township}", None,                       401, 403, 403, 403, 200, 200),
    row("POST", "/api/deliveries/retry", {"ids": []},                              403, 403, 403, 200, 403, 200),
    row("GET", "/api/imports", None,                                               401, 403, 403, 200, 403, 200),
    row("POST", "/api/imports", {},                                                403, 403, 403, 422, 403, 422),
    row("GET", f"/api/imports/preview/{TOKEN}", None,                              401, 403, 403, 404, 403, 404),
    row("GET", "/api/imports/preview/not-a-token", None,                           401, 403, 403, 404, 403, 404),
    row("POST", f"/api/imports/preview/{TOKEN}/confirm", {},                       403, 403, 403, 404, 403, 404),
    row("POST", f"/api/imports/preview/{TOKEN}/discard", {},                       403, 403, 403, 404, 403, 404),
    row("GET", "/api/imports/{own_import}", None,                                  401, 403, 403, 200, 403, 200),
    row("GET", "/api/imports/{other_import}", None,                                401, 403, 403, 403, 403, 200),
    row("GET", "/api/imports/999999", None,                                        401, 403, 403, 404, 403, 404),
    row("POST", "/api/imports/999999/undo", {},                                    403, 403, 403, 404, 403, 404),
    row("POST", "/api/imports/{other_import}/undo", {},                            403, 403, 403, 403, 403, None),
    row("GET", "/api/plans", None,                                                 401, 200, 200, 200, 200, 200),
    row("GET", "/api/plans?org={b1}&year=2026", None,                              401, 200, 200, 200, 200, 200),
    row("GET", "/api/plans?org={township}", None,                                  401, 403, 403, 200, 200, 200),
    row("GET", "/api/plans?org={other_township}", None,                            401, 403, 403, 403, 200, 200),
    row("GET", "/api/plans?org={county}", None,                                    401, 403, 403, 403, 200, 200),
    row("GET", "/api/plans?org=999999", None,                                      401, 404, 404, 404, 404, 404),
    row("GET", "/api/plans?year=3000", None,                                       401, 422, 422, 422, 422, 422),
    row("POST", "/api/plans", {},                                                  403, 422, 422, 422, 422, 422),
    row("POST", "/api/plans", {"org_id": "{b1}", "year": 2026, "admit": "x"},      403, 403, 403, 422, 403, 422),
    row("POST", "/api/plans", {"org_id": "{township}", "year": 2026, "admit": "x"},
                                                                                   403, 403, 403, 422, 403, 422),
    row("POST", "/api/plans", {"org_id": "{other_township}", "year": 2026, "admit": "x"},
                                                                                   403, 403, 403, 403, 403, 422),
    row("POST", "/api/plans", {"org_id": "{county}", "year": 2026, "admit": "x"},  403, 403, 403, 403, 403, 422),
    row("POST", "/api/plans", {"org_id": 999999, "year": 2026, "admit": "1"},      403, 404, 404, 404, 404, 404),
    row("GET", "/api/holidays", None,                                              401, 200, 200, 200, 200, 200),
    row("POST", "/api/holidays/preview", {"text": ""},                             403, 403, 403, 403, 403, 422),
    row("POST", "/api/holidays/load", {"text": "year: 2027"},                      403, 403, 403, 403, 403, 422),
]
# the allowed writes, run last (each changes something): the administrator's remove and undo
WRITES = [(m, u, b, {**e, "admin": 200}) for m, u, b, e in MATRIX if e["admin"] is None]


def _state(app):
    with app.uow(read_only=True) as uow:
        return (sorted((c.id, c.name, c.email) for c in uow.contacts.in_orgs(None)),
                sorted((r.id, r.status, r.attempts) for r in uow.outbox.list()),
                [(r.id, r.status) for r in uow.imports.list()], uow.candidates.count(), uow.holidays.all(),
                [uow.plans.list_for(o) for o in range(1, 7)])


def test_access_matrix_api_tools(app, web, world, users, setup, login, tmp_path):
    ids = {"b1": world.b1, "b2": world.b2, "b3": world.b3, "township": world.township,
           "other_township": world.other_township, "county": world.county, **setup,
           "own_import": _import(app, tmp_path, "t", "贺丰村党支部", "甲导入"),
           "other_import": _import(app, tmp_path, "t2", "北庄村党支部", "乙导入")}
    before = _state(app)
    reads = [r for r in MATRIX if r[3]["admin"] is not None]
    assert run_matrix(web, login, reads, ids) == []
    assert _state(app) == before
    assert run_matrix(web, login, WRITES, ids) == []
    after = _state(app)
    assert len(after[0]) == len(before[0]) - 1 and ("undone" in {s for _, s in after[2]})
