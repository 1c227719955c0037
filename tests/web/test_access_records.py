"""Access to 更正与作废 (records), 合规检查 (findings) and overdue as of a date: every route × every
role (the style of test_web_access_matrix.py). Refused writes change nothing (checked at the end);
the allowed writes here are refused by validation or are previews."""
from __future__ import annotations

from services.casework.candidates import load_history
from tests.web.test_web_access_matrix import ROLES, _fill, row
from tests.web.web_support import Client

# {fresh}: b1 (the secretary's), only its application (seq 1); {b2c}: b2, same township;
# {b3c}: b3, another township; {review}: b1, seq 4 is 入党积极分子备案 (the township's step).
MATRIX = [
    #    method  url                                          body                 anon sec  com  town county admin
    row("GET", "/candidates/{fresh}/records", None,                                303, 200, 200, 200, 200, 200),
    row("GET", "/candidates/{b2c}/records", None,                                  303, 403, 403, 200, 200, 200),
    row("GET", "/candidates/{b3c}/records", None,                                  303, 403, 403, 403, 200, 200),
    row("GET", "/candidates/999999/records", None,                                 303, 404, 404, 404, 404, 404),
    row("GET", "/candidates/{fresh}/records/1/correct", None,                      303, 200, 200, 403, 403, 200),
    row("GET", "/candidates/{b2c}/records/1/correct", None,                        303, 403, 403, 403, 403, 200),
    row("GET", "/candidates/{review}/records/4/correct", None,                     303, 403, 403, 200, 403, 200),
    row("GET", "/candidates/{review}/records/4/void", None,                        303, 403, 403, 200, 403, 200),
    row("GET", "/candidates/{review}/records/2/void", None,                        303, 200, 200, 403, 403, 200),
    row("GET", "/candidates/{fresh}/records/9/correct", None,                      303, 404, 404, 404, 404, 404),
    row("GET", "/candidates/{fresh}/records/1/rewrite", None,                      303, 404, 404, 404, 404, 404),
    row("POST", "/candidates/{fresh}/records/1/correct", {},                       403, 400, 400, 403, 403, 400),
    row("POST", "/candidates/{fresh}/records/1/void", {"reason": "误录"},          403, 422, 422, 403, 403, 422),
    row("POST", "/candidates/{b2c}/records/1/correct", {"reason": "x", "go": "confirm"},
                                                                                   403, 403, 403, 403, 403, 400),
    row("POST", "/candidates/{review}/records/4/void", {"reason": "x", "go": "preview"},
                                                                                   403, 403, 403, 422, 403, 422),
    row("GET", "/findings", None,                                                  303, 200, 200, 200, 200, 200),
    row("GET", "/findings?org={b1}&period=2026年下半年", None,                     303, 200, 200, 200, 200, 200),
    row("GET", "/findings?org={b2}", None,                                         303, 403, 403, 200, 200, 200),
    row("GET", "/findings?org={b3}", None,                                         303, 403, 403, 403, 200, 200),
    row("GET", "/findings?org={county}", None,                                     303, 403, 403, 403, 200, 200),
    row("GET", "/findings?org=999999", None,                                       303, 404, 404, 404, 404, 404),
    row("GET", "/findings?period=明年", None,                                      303, 400, 400, 400, 400, 400),
    row("GET", "/overdue?as_of=2027-01-01", None,                                  303, 200, 200, 200, 200, 200),
    row("GET", "/overdue?as_of=2027-01-01&branch={b2}", None,                      303, 403, 403, 200, 200, 200),
    row("GET", "/overdue?as_of=not-a-date", None,                                  303, 400, 400, 400, 400, 400),
    row("GET", "/api/candidates/{fresh}/events", None,                             401, 200, 200, 200, 200, 200),
    row("GET", "/api/candidates/{b3c}/events", None,                               401, 403, 403, 403, 200, 200),
    row("POST", "/api/candidates/{fresh}/events/1/correct", {"reason": ""},        403, 422, 422, 403, 403, 422),
    row("POST", "/api/candidates/{fresh}/events/2/void", {"reason": "x", "preview": True},
                                                                                   403, 404, 404, 404, 404, 404),
    row("POST", "/api/candidates/{b2c}/events/1/correct", {"reason": "x", "occurred_on": "2026-10-02", "preview": True},
                                                                                   403, 403, 403, 403, 403, 200),
    row("GET", "/api/findings", None,                                              401, 200, 200, 200, 200, 200),
    row("GET", "/api/findings?org={b3}", None,                                     401, 403, 403, 403, 200, 200),
]


def test_access_records_findings_overdue(app, web, world, users, login):
    ids = {"fresh": world.fresh, "b2c": world.b2_candidate, "b3c": world.b3_candidate, "review": world.review,
           "b1": world.b1, "b2": world.b2, "b3": world.b3, "county": world.county}
    logs = {cid: _log(app, cid) for cid in (world.fresh, world.b2_candidate, world.b3_candidate, world.review)}
    clients = {"anon": Client(web), **{r: login(r) for r in ROLES if r != "anon"}}
    tokens = {r: c.get("/api/me").json()["csrf_token"] for r, c in clients.items() if r != "anon"}
    failures = []
    for method, url, body, expected in MATRIX:
        url = _fill(url, ids)
        for role, c in clients.items():
            token = tokens.get(role)
            if method == "GET":
                r = c.get(url, follow_redirects=False)
            elif url.startswith("/api/"):
                r = c.post(url, json=body, headers={"X-CSRF-Token": token} if token else {}, follow_redirects=False)
            else:
                r = c.post(url, data={**body, **({"csrf_token": token} if token else {})}, follow_redirects=False)
            assert r.status_code != 500, (method, url, role)
            if r.status_code != expected[role]:
                failures.append(f"{method} {url} as {role}: {r.status_code}, expected {expected[role]}")
    clients["anon"].close()
    assert not failures, "\n".join(failures)
    assert {cid: _log(app, cid) for cid in logs} == logs  # nothing written by any of them


def _log(app, cid):
    with app.uow(read_only=True) as uow:
        return [(e.seq, e.kind, e.occurred_on) for e in load_history(uow, cid)]
