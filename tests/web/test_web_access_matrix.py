"""Every route × every role: the status each one gets, as designed (docs/web.md "Roles").

Writes in the matrix are chosen so they change nothing when allowed (an empty step form is
refused by validation: 400/422) — except the township's return of {review} (the review loop's
退回 event): after it, the same return by another role is refused as already returned (422).
"""
from __future__ import annotations

import pytest

from tests.web.web_support import run_matrix

ROLES = ("anon", "sec", "com", "town", "county", "admin")


def row(method, url, body, anon, sec, com, town, county, admin):
    return method, url, body, dict(zip(ROLES, (anon, sec, com, town, county, admin)))


# {fresh}: branch b1 (the secretary's), {b2c}: b2 (same township), {b3c}: b3 (another township),
# {review}: b1, waiting for the township's pre-review.
MATRIX = [
    #    method  url                                          body                 anon sec  com  town county admin
    row("GET", "/login", None,                                                     200, 200, 200, 200, 200, 200),
    row("GET", "/", None,                                                          303, 200, 200, 200, 200, 200),
    row("GET", "/candidates", None,                                                303, 200, 200, 200, 200, 200),
    row("GET", "/candidates/{fresh}", None,                                        303, 200, 200, 200, 200, 200),
    row("GET", "/candidates/{b2c}", None,                                          303, 403, 403, 200, 200, 200),
    row("GET", "/candidates/{b3c}", None,                                          303, 403, 403, 403, 200, 200),
    row("GET", "/candidates/999999", None,                                         303, 404, 404, 404, 404, 404),
    row("GET", "/candidates/{fresh}/steps/first_talk", None,                       303, 200, 200, 403, 403, 200),
    row("GET", "/candidates/{b2c}/steps/first_talk", None,                         303, 403, 403, 403, 403, 200),
    row("GET", "/candidates/{review}/steps/pre_review", None,                      303, 403, 403, 200, 403, 200),
    row("GET", "/candidates/{b3c}/steps/first_talk", None,                         303, 403, 403, 403, 403, 200),
    row("GET", "/candidates/{fresh}/steps/no_such_step", None,                     303, 404, 404, 404, 404, 404),
    row("GET", "/candidates/999999/steps/first_talk", None,                        303, 404, 404, 404, 404, 404),
    row("POST", "/candidates/{fresh}/steps/first_talk", {},                        403, 400, 400, 403, 403, 400),
    row("POST", "/candidates/{review}/steps/pre_review", {},                       403, 403, 403, 400, 403, 400),
    row("GET", "/queue", None,                                                     303, 403, 403, 200, 403, 200),
    # the township returns it (303); the administrator's same return is then refused as already returned (422)
    row("POST", "/queue/return", {"candidate_id": "{review}", "step": "pre_review", "reason": "补材料"},
                                                                                   403, 403, 403, 303, 403, 422),
    row("POST", "/queue/return", {"candidate_id": "{b3c}", "step": "first_talk", "reason": "x"},
                                                                                   403, 403, 403, 403, 403, 403),
    # exceptional paths (withdraw, transfer, …): the branch's business (services/casework/case_commands.py)
    row("GET", "/candidates/{fresh}/cases/withdraw", None,                         303, 200, 200, 403, 403, 200),
    row("GET", "/candidates/{fresh}/cases/transfer", None,                         303, 200, 200, 403, 403, 200),
    row("GET", "/candidates/{b2c}/cases/withdraw", None,                           303, 403, 403, 403, 403, 200),
    row("GET", "/candidates/{b3c}/cases/death", None,                              303, 403, 403, 403, 403, 200),
    row("GET", "/candidates/{fresh}/cases/no_such_action", None,                   303, 404, 404, 404, 404, 404),
    row("GET", "/candidates/999999/cases/withdraw", None,                          303, 404, 404, 404, 404, 404),
    row("POST", "/candidates/{fresh}/cases/withdraw", {},                          403, 400, 400, 403, 403, 400),
    row("POST", "/candidates/{b2c}/cases/withdraw", {},                            403, 403, 403, 403, 403, 400),
    row("POST", "/candidates/{fresh}/cases/withdraw", {"occurred_on": "2026-11-20"},  # no reason: the engine's 422
                                                                                   403, 422, 422, 403, 403, 422),
    row("GET", "/candidates/new", None,                                            303, 200, 200, 403, 403, 200),
    row("POST", "/candidates/new", {},                                             403, 400, 400, 403, 403, 400),
    row("POST", "/candidates/new", {"branch_id": "{b2}", "name": "某", "gender": "男", "birth_date": "1990-01-01",
                                    "applied_on": "2026-11-20"},                   403, 403, 403, 403, 403, 303),
    # overdue dashboard, period report and its files, ledger export: over the branches one reads
    row("GET", "/overdue", None,                                                   303, 200, 200, 200, 200, 200),
    row("GET", "/overdue?branch={b1}", None,                                       303, 200, 200, 200, 200, 200),
    row("GET", "/overdue?branch={b2}", None,                                       303, 403, 403, 200, 200, 200),
    row("GET", "/overdue?branch={b3}", None,                                       303, 403, 403, 403, 200, 200),
    row("GET", "/overdue?branch=999999", None,                                     303, 404, 404, 404, 404, 404),
    row("GET", "/overdue?branch={township}", None,                                 303, 404, 404, 404, 404, 404),
    row("GET", "/reports", None,                                                   303, 200, 200, 200, 200, 200),
    row("GET", "/reports?org={b1}&period=2026H2", None,                            303, 200, 200, 200, 200, 200),
    row("GET", "/reports?org={township}", None,                                    303, 403, 403, 200, 200, 200),
    row("GET", "/reports?org={other_township}", None,                              303, 403, 403, 403, 200, 200),
    row("GET", "/reports?org={county}", None,                                      303, 403, 403, 403, 200, 200),
    row("GET", "/reports?org=999999", None,                                        303, 404, 404, 404, 404, 404),
    row("GET", "/reports?org={b1}&period=2031H1", None,                            303, 400, 400, 400, 400, 400),
    row("GET", "/reports/dormant?org={township}&period=2026H2", None,               303, 403, 403, 200, 200, 200),
    row("GET", "/reports/dormant?org={county}", None,                               303, 403, 403, 403, 200, 200),
    row("GET", "/reports/dormant?org={b1}&period=2031H1", None,                     303, 400, 400, 400, 400, 400),
    row("GET", "/reports/file?org={b1}&period=2026H2&format=md", None,             303, 200, 200, 200, 200, 200),
    row("GET", "/reports/file?org={b3}&period=2026H2&format=text", None,           303, 403, 403, 403, 200, 200),
    row("GET", "/reports/file?org={township}&period=2026H2&format=pdf", None,      303, 404, 404, 404, 404, 404),
    row("GET", "/reports/file?org=999999&period=2026H2&format=md", None,           303, 404, 404, 404, 404, 404),
    row("GET", "/ledger?org={b1}", None,                                           303, 200, 200, 200, 200, 200),
    row("GET", "/ledger?org={township}", None,                                     303, 403, 403, 200, 200, 200),
    row("GET", "/ledger?org={b3}", None,                                           303, 403, 403, 403, 200, 200),
    row("GET", "/ledger?org=999999", None,                                         303, 404, 404, 404, 404, 404),
    # administration (web/routes/admin.py): the administrator only; refused writes change nothing
    row("GET", "/admin", None,                                                     303, 403, 403, 403, 403, 303),
    row("GET", "/admin/orgs", None,                                                303, 403, 403, 403, 403, 200),
    row("GET", "/admin/users", None,                                               303, 403, 403, 403, 403, 200),
    row("GET", "/admin/definitions", None,                                         303, 403, 403, 403, 403, 200),
    row("GET", "/admin/definitions/cpc_2014@1", None,                              303, 403, 403, 403, 403, 200),
    row("GET", "/admin/definitions/nope@9", None,                                  303, 403, 403, 403, 403, 404),
    row("GET", "/admin/audit", None,                                               303, 403, 403, 403, 403, 200),
    row("GET", "/admin/audit?since=not-a-date", None,                              303, 403, 403, 403, 403, 400),
    row("POST", "/admin/orgs", {},                                                 403, 403, 403, 403, 403, 400),
    row("POST", "/admin/users", {},                                                403, 403, 403, 403, 403, 400),
    row("POST", "/admin/users/nobody/active", {"active": "0"},                     403, 403, 403, 403, 403, 404),
    row("POST", "/admin/users/sec/roles", {"action": "add", "role": "bogus"},      403, 403, 403, 403, 403, 303),
    row("POST", "/admin/definitions/check", {"text": ""},                          403, 403, 403, 403, 403, 400),
    row("POST", "/admin/definitions/install", {"text": ""},                        403, 403, 403, 403, 403, 400),
    row("GET", "/account/password", None,                                          303, 200, 200, 200, 200, 200),
    row("GET", "/no/such/page", None,                                              404, 404, 404, 404, 404, 404),
    row("GET", "/api/me", None,                                                    401, 200, 200, 200, 200, 200),
    row("GET", "/api/week", None,                                                  401, 200, 200, 200, 200, 200),
    row("GET", "/api/queue", None,                                                 401, 403, 403, 200, 403, 200),
    row("GET", "/api/candidates", None,                                            401, 200, 200, 200, 200, 200),
    row("GET", "/api/candidates/{fresh}", None,                                    401, 200, 200, 200, 200, 200),
    row("GET", "/api/candidates/{b2c}", None,                                      401, 403, 403, 200, 200, 200),
    row("GET", "/api/candidates/{b3c}", None,                                      401, 403, 403, 403, 200, 200),
    row("GET", "/api/candidates/999999", None,                                     401, 404, 404, 404, 404, 404),
    row("POST", "/api/candidates/{fresh}/steps/first_talk", {"occurred_on": "2026-11-20"},
                                                                                   403, 422, 422, 403, 403, 422),
    row("POST", "/api/candidates/{review}/steps/pre_review", {"occurred_on": "2026-11-20"},
                                                                                   403, 403, 403, 422, 403, 422),
    row("POST", "/api/candidates/{fresh}/steps/nope", {"occurred_on": "2026-11-20"},
                                                                                   403, 404, 404, 404, 404, 404),
    # already returned by the township above (/queue/return): the API says so (422) to those who may return
    row("POST", "/api/candidates/{review}/steps/pre_review/return", {"reason": "补材料"},
                                                                                   403, 403, 403, 422, 403, 422),
    row("POST", "/api/candidates/{fresh}/steps/first_talk/return", {"reason": "x"},
                                                                                   403, 403, 403, 403, 403, 403),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _check(matrix, web, world, login) -> list[str]:
    """Every row of `matrix` for every role: the statuses that differ from the expected ones."""
    ids = {"fresh": world.fresh, "b2c": world.b2_candidate, "b3c": world.b3_candidate, "review": world.review,
           "b1": world.b1, "b2": world.b2, "b3": world.b3, "township": world.township,
           "other_township": world.other_township, "county": world.county}
    return run_matrix(web, login, matrix, ids)


def test_access_matrix(web, world, users, login):
    failures = _check(MATRIX, web, world, login)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["sec", "town", "county"])
def test_nothing_changes_for_refused_writes(app, web, world, users, login, role):
    """A refused write leaves the candidate's log exactly as it was."""
    from services.casework.queries import show_candidate

    before = {cid: len(show_candidate(app, cid)["timeline"]) for cid in (world.b2_candidate, world.b3_candidate)}
    c = login(role)
    token = c.get("/api/me").json()["csrf_token"]
    for cid in before:
        c.post(f"/api/candidates/{cid}/steps/first_talk", headers={"X-CSRF-Token": token},
               json={"occurred_on": "2026-11-20", "evidence": {"talker": "x"}})
    # b2 is under the township, but the first talk is the branch's step: refused for all three
    assert {cid: len(show_candidate(app, cid)["timeline"]) for cid in before} == before


# the review loop (web/routes/review.py, web/routes/queue.py): the branch sends, the township approves or returns
REVIEW_MATRIX = [
    #    method  url                                                  body                 anon sec  com  town county admin
    row("GET", "/review", None,                                                            303, 200, 200, 403, 403, 200),
    row("GET", "/queue/approve?candidate_id={review}&step=pre_review", None,               303, 403, 403, 200, 403, 200),
    row("GET", "/queue/approve?candidate_id={b3c}&step=pre_review", None,                  303, 403, 403, 403, 403, 200),
    row("GET", "/queue/approve?candidate_id=999999&step=pre_review", None,                 303, 403, 403, 404, 403, 404),
    row("POST", "/queue/approve", {"candidate_id": "{review}", "step": "pre_review"},      403, 403, 403, 400, 403, 400),
    row("POST", "/candidates/{b2c}/submit/target_filing", {},                              403, 403, 403, 403, 403, 303),
    row("POST", "/candidates/{b3c}/submit/pre_review", {},                                 403, 403, 403, 403, 403, 303),
    row("GET", "/api/review", None,                                                        401, 200, 200, 403, 403, 200),
    row("GET", "/api/candidates/{review}/review", None,                                    401, 200, 200, 200, 200, 200),
    row("GET", "/api/candidates/{b3c}/review", None,                                       401, 403, 403, 403, 200, 200),
    row("POST", "/api/candidates/{b2c}/steps/target_filing/submit", {},                    403, 403, 403, 403, 403, 422),
    row("POST", "/api/candidates/{review}/steps/pre_review/approve",
        {"occurred_on": "2026-11-20", "opinion": ""},                                      403, 403, 403, 422, 403, 422),
    row("POST", "/api/candidates/{review}/steps/first_talk/submit", {},                    403, 403, 403, 403, 403, 403),
]


def test_review_access_matrix(web, world, users, login):
    failures = _check(REVIEW_MATRIX, web, world, login)
    assert not failures, "\n".join(failures)
