"""Access to the candidate page and to the step form of a step that cannot be done yet (its why and
when instead of the form, its submission refused 422): every role, in the style of
test_web_access_matrix.py. The access rules come first (a foreign branch or the other side's step
stays 403 whether or not the step could be done); nothing is written by any request here."""
from __future__ import annotations

from services.casework.candidates import load_history
from tests.web.test_web_access_matrix import ROLES, _fill, row
from tests.web.web_support import Client

# {fresh}: b1, first talk open, 推荐和确定入党积极分子 waits for it; {activist}: b1, first talk done;
# {review}: b1, the township's 上级党委审批 waits for the pre-review and the branch meeting;
# {b2c}: b2 (same township); {b3c}: b3 (another township).
TYPED = {"occurred_on": "2026-11-20", "f.method": "党员推荐", "expected_version": "1"}
MATRIX = [
    #    method  url                                          body                 anon sec  com  town county admin
    row("GET", "/candidates", None,                                                303, 200, 200, 200, 200, 200),
    row("GET", "/candidates/{activist}", None,                                     303, 200, 200, 200, 200, 200),
    row("GET", "/candidates/{b3c}", None,                                          303, 403, 403, 403, 200, 200),
    row("GET", "/candidates/{fresh}/steps/activist_selection", None,               303, 200, 200, 403, 403, 200),
    row("POST", "/candidates/{fresh}/steps/activist_selection", {},                403, 422, 422, 403, 403, 422),
    row("POST", "/candidates/{fresh}/steps/activist_selection", TYPED,             403, 422, 422, 403, 403, 422),
    row("GET", "/candidates/{activist}/steps/first_talk", None,                    303, 200, 200, 403, 403, 200),
    row("POST", "/candidates/{activist}/steps/first_talk", {"f.talker": "李书记"},  403, 422, 422, 403, 403, 422),
    row("GET", "/candidates/{review}/steps/admission_approval", None,              303, 403, 403, 200, 403, 200),
    row("POST", "/candidates/{review}/steps/admission_approval", {},               403, 403, 403, 422, 403, 422),
    row("GET", "/candidates/{b2c}/steps/activist_selection", None,                 303, 403, 403, 403, 403, 200),
    row("POST", "/candidates/{b2c}/steps/activist_selection", {},                  403, 403, 403, 403, 403, 422),
    row("GET", "/candidates/{b3c}/steps/activist_selection", None,                 303, 403, 403, 403, 403, 200),
    row("GET", "/candidates/999999/steps/activist_selection", None,                303, 404, 404, 404, 404, 404),
]


def _log(app, cid):
    with app.uow(read_only=True) as uow:
        return [(e.seq, e.kind, e.occurred_on) for e in load_history(uow, cid)]


def _status(client, method: str, url: str, body, token: str | None) -> int:
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    data = {**body, **({"csrf_token": token} if token else {})}
    return client.post(url, data=data, follow_redirects=False).status_code


def test_access_candidate_page_and_gated_steps(app, web, world, users, login):
    ids = {"fresh": world.fresh, "activist": world.activist, "review": world.review, "b2c": world.b2_candidate,
           "b3c": world.b3_candidate}
    logs = {cid: _log(app, cid) for cid in ids.values()}
    clients = {"anon": Client(web), **{r: login(r) for r in ROLES if r != "anon"}}
    tokens = {r: c.get("/api/me").json()["csrf_token"] for r, c in clients.items() if r != "anon"}
    got = {(m, _fill(u, ids), role): _status(clients[role], m, _fill(u, ids), body, tokens.get(role))
           for m, u, body, _want in MATRIX for role in ROLES}
    want = {(m, _fill(u, ids), role): expected[role] for m, u, _b, expected in MATRIX for role in ROLES}
    clients["anon"].close()
    assert {k: v for k, v in got.items() if v != want[k]} == {}
    assert {cid: _log(app, cid) for cid in logs} == logs  # nothing written by any of them
