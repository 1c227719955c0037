"""What the web tests share besides fixtures: the test password, a logging-in client, `walk`,
`new_candidate`."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from fastapi.testclient import TestClient

from services.app import App
from services.casework.candidates import complete_step, register_applicant
from services.demo.sample_evidence import sample_evidence

PASSWORD = "correct-horse-7"
TODAY = date(2026, 11, 25)


def walk(app: App, cid: int, steps: list[tuple[str, date]], **kw) -> None:
    for step, on in steps:
        complete_step(app, cid, step, occurred_on=on, actor="测试", evidence=sample_evidence(step, on, cal=app.calendar, **kw))


def new_candidate(app: App, world: "World", name: str, applied_on: date, steps: list[tuple[str, date]],
                  gender: str = "男", birth_date: date = date(1990, 1, 1)) -> int:
    """A person in 党支部 b1 who applied on `applied_on` and went through `steps` (sample evidence,
    the world's members as mentor and sponsors)."""
    with app.uow() as uow:
        person = uow.people.add(name=name, gender=gender, birth_date=birth_date)
    cid = register_applicant(app, person_id=person, branch_id=world.b1, occurred_on=applied_on, actor="测试").candidate_id
    walk(app, cid, steps, mentors=world.members[:1], sponsors=world.members[1:3])
    return cid


@dataclass
class World:
    county: int
    township: int
    b1: int
    b2: int
    other_township: int
    b3: int
    members: list[int]
    fresh: int       # b1, applied 2026-10-01: the first talk is overdue (due 2026-11-01)
    activist: int    # b1, activist since 2026-06-01: filing (township) and mentors (branch) open
    review: int      # b1, committee review done: pre-review (township) is next
    b2_candidate: int
    b3_candidate: int


ROLES = {  # account -> (role, organisation attribute of World)
    "sec": ("branch_secretary", "b1"),
    "com": ("branch_committee", "b1"),
    "town": ("township_officer", "township"),
    "county": ("county_viewer", "county"),
    "admin": ("admin", None),
}


class Client(TestClient):
    """A TestClient that knows the page's CSRF token."""

    def csrf(self) -> str:
        page = self.get("/login") if "partyflow_session" not in self.cookies else self.get("/account/password")
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]

    def login(self, username: str, password: str = PASSWORD, **kw):
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.get("/login").text)[1]
        return self.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                         "next": "/"}, follow_redirects=False, **kw)

    def form(self, url: str, data: dict, **kw):
        return self.post(url, data={**data, "csrf_token": self.csrf()}, follow_redirects=False, **kw)


def run_matrix(web, login, matrix, ids: dict) -> list[str]:
    """Every row of a route × role matrix (tests/web/test_web_access_matrix.py `row`) as each role;
    returns the mismatches ("POST /x as sec: 200, expected 403"). Forms carry the CSRF token, the
    API its header; a 500 fails at once."""
    from tests.web.test_web_access_matrix import ROLES, _fill

    clients = {"anon": Client(web), **{r: login(r) for r in ROLES if r != "anon"}}
    tokens = {r: (c.get("/api/me").json()["csrf_token"] if r != "anon" else None) for r, c in clients.items()}
    failures = []
    try:
        for method, url, body, expected in matrix:
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
                assert r.status_code != 500, f"{method} {url} as {role}: 500"
    finally:
        clients["anon"].close()
    return failures
