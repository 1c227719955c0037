"""Every route × every role: the status each one gets, as designed (docs/web.md "Roles").

Writes in the matrix are chosen so they change nothing when allowed (an empty step form is
refused by validation: 400/422) — except returns, which only add an audit row.
"""
from __future__ import annotations

import pytest

from tests.web.web_support import Client

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
    row("POST", "/queue/return", {"candidate_id": "{review}", "step": "pre_review", "reason": "补材料"},
                                                                                   403, 403, 403, 303, 403, 303),
    row("POST", "/queue/return", {"candidate_id": "{b3c}", "step": "first_talk", "reason": "x"},
                                                                                   403, 403, 403, 403, 403, 403),
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
    row("POST", "/api/candidates/{review}/steps/pre_review/return", {"reason": "补材料"},
                                                                                   403, 403, 403, 200, 403, 200),
    row("POST", "/api/candidates/{fresh}/steps/first_talk/return", {"reason": "x"},
                                                                                   403, 403, 403, 403, 403, 403),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_access_matrix(web, world, users, login):
    ids = {"fresh": world.fresh, "b2c": world.b2_candidate, "b3c": world.b3_candidate, "review": world.review}
    clients = {"anon": Client(web), **{r: login(r) for r in ROLES if r != "anon"}}
    tokens = {r: (c.get("/api/me").json()["csrf_token"] if r != "anon" else None) for r, c in clients.items()}
    failures = []
    for method, url, body, expected in MATRIX:
        url = _fill(url, ids)
        for role in ROLES:
            c = clients[role]
            if method == "GET":
                r = c.get(url, follow_redirects=False)
            elif url.startswith("/api/"):
                headers = {"X-CSRF-Token": tokens[role]} if tokens[role] else {}
                r = c.post(url, json=_fill(body, ids), headers=headers, follow_redirects=False)
            else:
                data = _fill(body, ids)
                if tokens[role]:
                    data = {**data, "csrf_token": tokens[role]}
                r = c.post(url, data=data, follow_redirects=False)
            if r.status_code != expected[role]:
                failures.append(f"{method} {url} as {role}: {r.status_code}, expected {expected[role]}")
            assert r.status_code != 500
    for c in clients.values():
        c.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["sec", "town", "county"])
def test_nothing_changes_for_refused_writes(app, web, world, users, login, role):
    """A refused write leaves the candidate's log exactly as it was."""
    from services.queries import show_candidate

    before = {cid: len(show_candidate(app, cid)["timeline"]) for cid in (world.b2_candidate, world.b3_candidate)}
    c = login(role)
    token = c.get("/api/me").json()["csrf_token"]
    for cid in before:
        c.post(f"/api/candidates/{cid}/steps/first_talk", headers={"X-CSRF-Token": token},
               json={"occurred_on": "2026-11-20", "evidence": {"talker": "x"}})
    # b2 is under the township, but the first talk is the branch's step: refused for all three
    assert {cid: len(show_candidate(app, cid)["timeline"]) for cid in before} == before
