"""/people × every role (docs/web.md "党员和群众"): the branch side and the township officer change
the people of their branches, the administrator everyone's, the county reads only. Refused writes
change nothing; allowed ones are chosen to be refused by validation (400/422) except one add."""
from __future__ import annotations

from tests.web.test_web_access_matrix import ROLES, _fill, row
from tests.web.web_support import Client

# {m0}: a full member of b1 (the secretary's branch); {b2p}: an applicant of b2 (same township);
# {b3p}: an applicant of b3 (another township).
MATRIX = [
    #    method  url                               body                              anon sec  com  town county admin
    row("GET", "/people", None,                                                      303, 200, 200, 200, 200, 200),
    row("GET", "/people?status=full_member&q=党员", None,                             303, 200, 200, 200, 200, 200),
    row("GET", "/people/new", None,                                                  303, 200, 200, 200, 403, 200),
    row("POST", "/people/new", {},                                                   403, 400, 400, 400, 403, 400),
    row("POST", "/people/new", {"branch_id": "{b2}", "name": "新党员", "gender": "男", "birth_date": "1980-01-01",
                                "party_status": "full_member", "ethnicity": "汉族"},  # the township's adds, the
                                                                                     403, 403, 403, 303, 403, 409),  # same again: 已在名单中
    row("POST", "/people/new", {"branch_id": "{b1}", "name": "新党员", "gender": "男", "birth_date": "1980-01-01",
                                "party_status": "full_member", "education": "本科"},  # not a listed 学历
                                                                                     403, 400, 400, 400, 403, 400),
    row("GET", "/people/{m0}", None,                                                 303, 200, 200, 200, 200, 200),
    row("GET", "/people/{b2p}", None,                                                303, 403, 403, 200, 200, 200),
    row("GET", "/people/{b3p}", None,                                                303, 403, 403, 403, 200, 200),
    row("GET", "/people/999999", None,                                               303, 404, 404, 404, 404, 404),
    row("POST", "/people/{m0}", {},                                                  403, 400, 400, 400, 403, 400),
    row("POST", "/people/{b2p}", {},                                                 403, 403, 403, 400, 403, 400),
    row("POST", "/people/{b3p}", {},                                                 403, 403, 403, 403, 403, 400),
    row("POST", "/people/999999", {},                                                403, 404, 404, 404, 404, 404),
    row("POST", "/people/{m0}/rights", {},                                           403, 400, 400, 400, 403, 400),
    row("POST", "/people/{b2p}/rights", {"action": "suspend", "reason": "处分决定"},   # an applicant: not a member
                                                                                     403, 403, 403, 422, 403, 422),
    row("POST", "/people/{b3p}/rights", {"action": "suspend", "reason": "处分决定"},
                                                                                     403, 403, 403, 403, 403, 422),
    row("GET", "/api/people", None,                                                  401, 200, 200, 200, 200, 200),
    row("GET", "/api/people/{b2p}", None,                                            401, 403, 403, 200, 200, 200),
    row("GET", "/api/people/999999", None,                                           401, 404, 404, 404, 404, 404),
    row("POST", "/api/people", {"name": "", "gender": "男", "birth_date": "1980-01-01", "branch_id": "{b1}"},
                                                                                     403, 422, 422, 422, 403, 422),
    row("POST", "/api/people/{b3p}", {"name": "改名", "gender": "女", "birth_date": "1995-05-01", "stamp": "x"},
                                                                                     403, 403, 403, 403, 403, 409),
    row("POST", "/api/people/{m0}/rights", {"suspended": True, "reason": ""},         403, 422, 422, 422, 403, 422),
]


def test_people_access_matrix(app, web, world, users, login):
    with app.uow(read_only=True) as uow:
        ids = {"m0": world.members[0], "b2p": uow.people.find_by_name("赵敏")[0].id,
               "b3p": uow.people.find_by_name("孙丽")[0].id, "b1": str(world.b1), "b2": str(world.b2)}
        before = {pid: uow.people.get(pid) for pid in (ids["m0"], ids["b2p"], ids["b3p"])}
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
                body_json = {k: (int(v) if k == "branch_id" else v) for k, v in _fill(body, ids).items()}
                r = c.post(url, json=body_json, headers={"X-CSRF-Token": tokens[role]} if tokens[role] else {},
                           follow_redirects=False)
            else:
                data = _fill(body, ids)
                r = c.post(url, data={**data, "csrf_token": tokens[role]} if tokens[role] else data,
                           follow_redirects=False)
            if r.status_code != expected[role]:
                failures.append(f"{method} {url} as {role}: {r.status_code}, expected {expected[role]}")
            assert r.status_code != 500
    for c in clients.values():
        c.close()
    assert not failures, "\n".join(failures)
    with app.uow(read_only=True) as uow:  # every refused write changed nothing
        assert {pid: uow.people.get(pid) for pid in before} == before
        assert len(uow.people.find_by_name("新党员")) == 1  # the township's add; the administrator's same one refused
