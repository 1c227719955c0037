"""Every route of 导入台账, 发展计划 and 节假日安排 × every role (docs/web.md "Roles").

Imports: the township officer into their township, the administrator anywhere; plans: everyone
reads what they report on, the township officer sets its township's and branches', the
administrator anywhere; holidays: everyone reads, the administrator loads. Refused writes change
nothing (the last rows: the administrator's undo of the other township's import is allowed).
"""
from __future__ import annotations

from datetime import date

from services.ledger import intake as ledger
from services.planning.plans import get_plan
from tests.ledger_helpers import clean_path, ledger_row, township_layout, write_ledger
from tests.web.test_web_access_matrix import row
from tests.web.web_support import run_matrix
from workflows.registry import Registry

D = Registry.default().get("cpc_2014@2")  # the rules a 2016 row is imported under

MATRIX = [
    #    method  url                                          body                 anon sec  com  town county admin
    row("GET", "/imports", None,                                                   303, 403, 403, 200, 403, 200),
    row("POST", "/imports", {},                                                    403, 403, 403, 400, 403, 400),
    row("POST", "/imports", {"org": "{township}"},                                 403, 403, 403, 400, 403, 400),
    row("POST", "/imports", {"org": "{other_township}"},                           403, 403, 403, 403, 403, 400),
    row("POST", "/imports", {"org": "{b1}"},                                       403, 403, 403, 403, 403, 403),
    row("POST", "/imports", {"org": "999999"},                                     403, 403, 403, 404, 403, 404),
    row("GET", "/imports/preview/AAAAAAAAAAAAAAAAAAAAAA", None,                    303, 403, 403, 404, 403, 404),
    row("GET", "/imports/preview/not-a-token", None,                               303, 403, 403, 404, 403, 404),
    row("POST", "/imports/preview/AAAAAAAAAAAAAAAAAAAAAA/confirm", {},             403, 403, 403, 404, 403, 404),
    row("POST", "/imports/preview/AAAAAAAAAAAAAAAAAAAAAA/discard", {},             403, 403, 403, 404, 403, 404),
    row("GET", "/imports/{own_import}/undo", None,                                 303, 403, 403, 200, 403, 200),
    row("GET", "/imports/{other_import}/undo", None,                               303, 403, 403, 403, 403, 200),
    row("GET", "/imports/999999/undo", None,                                       303, 403, 403, 404, 403, 404),
    row("GET", "/plans", None,                                                     303, 200, 200, 200, 200, 200),
    row("GET", "/plans?org={b1}&year=2026", None,                                  303, 200, 200, 200, 200, 200),
    row("GET", "/plans?org={township}", None,                                      303, 403, 403, 200, 200, 200),
    row("GET", "/plans?org={other_township}", None,                                303, 403, 403, 403, 200, 200),
    row("GET", "/plans?org={county}", None,                                        303, 403, 403, 403, 200, 200),
    row("GET", "/plans?org=999999", None,                                          303, 404, 404, 404, 404, 404),
    row("GET", "/plans?org=abc", None,                                             303, 404, 404, 404, 404, 404),
    row("GET", "/plans?year=3000", None,                                           303, 400, 400, 400, 400, 400),
    row("POST", "/plans", {},                                                      403, 400, 400, 400, 400, 400),
    row("POST", "/plans", {"org": "{b1}", "year": "2026", "admit": ""},            403, 403, 403, 400, 403, 400),
    row("POST", "/plans", {"org": "{township}", "year": "2026", "admit": "x"},     403, 403, 403, 400, 403, 400),
    row("POST", "/plans", {"org": "{other_township}", "year": "2026", "admit": "x"},
                                                                                   403, 403, 403, 403, 403, 400),
    row("POST", "/plans", {"org": "{county}", "year": "2026", "admit": "x"},       403, 403, 403, 403, 403, 400),
    row("POST", "/plans", {"org": "999999", "year": "2026", "admit": "1"},         403, 404, 404, 404, 404, 404),
    row("GET", "/holidays", None,                                                  303, 200, 200, 200, 200, 200),
    row("POST", "/holidays", {"action": "preview", "text": ""},                    403, 403, 403, 403, 403, 400),
    row("POST", "/holidays", {"action": "load", "text": "year: 2027"},             403, 403, 403, 403, 403, 400),
    row("POST", "/imports/{other_import}/undo", {},                                403, 403, 403, 403, 403, 303),
    row("POST", "/imports/999999/undo", {},                                        403, 403, 403, 404, 403, 404),
]


def _import(app, tmp_path, org: str, branch: str, name: str) -> int:
    L = township_layout(app, org)
    path = write_ledger(tmp_path / f"{org}.xlsx", L, [
        ledger_row(L, name=name, branch=branch, steps=clean_path(D, date(2016, 4, 1), until="mentors_assigned"))])
    return ledger.confirm(app, path, org)["import_id"]


def _state(app):
    with app.uow(read_only=True) as uow:
        return (uow.candidates.count(), [(r.id, r.status) for r in uow.imports.list()], uow.holidays.all())


def test_access_matrix_imports_plans_holidays(app, web, world, users, login, tmp_path):
    ids = {"b1": world.b1, "township": world.township, "other_township": world.other_township, "county": world.county,
           "own_import": _import(app, tmp_path, "t", "贺丰村党支部", "甲导入"),
           "other_import": _import(app, tmp_path, "t2", "北庄村党支部", "乙导入")}
    before = _state(app)
    failures = run_matrix(web, login, MATRIX, ids)
    assert not failures, "\n".join(failures)
    after = _state(app)
    # nothing changed but the administrator's undo of the other township's import
    assert after[0] == before[0] - 1 and after[2] == before[2] == {}
    assert dict(after[1]) == {**dict(before[1]), ids["other_import"]: "undone"}
    assert all(get_plan(app, o) == [] for o in (world.b1, world.township, world.other_township, world.county))
