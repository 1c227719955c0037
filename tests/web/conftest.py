"""Fixtures for the web tests: an App on SQLite and PostgreSQL (the `db_url` fixture of
tests/conftest.py), a small county with two townships, candidates at known points of the process,
one account per role, and a TestClient that logs in."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from services.app import SHANGHAI, App
from services.casework.candidates import register_applicant
from services.accounts.users import create_user
from tests.web.web_support import PASSWORD, ROLES, Client, World, walk
from web.app import create_app

@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    """argon2id with small parameters: the shipped 64 MiB × 3 passes costs ~0.1 s per hash, and
    these tests hash and verify hundreds of times (test_production_hash_parameters checks the real one)."""
    from argon2 import PasswordHasher

    import services.accounts.users as su
    monkeypatch.setattr(su, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(db_url):
    a = App.open(db_url)
    a.clock = lambda: datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    yield a
    a.close()


@pytest.fixture
def world(app) -> World:
    with app.uow() as uow:
        county = uow.orgs.add(code="c", name="镇原县委", level="county")
        t = uow.orgs.add(code="t", name="南川乡党委", level="township", parent_id=county)
        b1 = uow.orgs.add(code="b1", name="贺丰村党支部", level="branch", kind="rural", parent_id=t)
        b2 = uow.orgs.add(code="b2", name="东王村党支部", level="branch", kind="rural", parent_id=t)
        t2 = uow.orgs.add(code="t2", name="北川乡党委", level="township", parent_id=county)
        b3 = uow.orgs.add(code="b3", name="北庄村党支部", level="branch", kind="rural", parent_id=t2)
        members = [uow.people.add(name=f"党员{n}", gender="男", birth_date=date(1970, 1, 1), party_status="full_member",
                                  branch_id=b1) for n in "零一二三"]  # a name is letters: no digits
        people = [uow.people.add(name=n, gender="女", birth_date=date(1995, 5, 1)) for n in
                  ("张秀英", "李红", "王芳", "赵敏", "孙丽")]

    def apply(person: int, branch: int, on: date) -> int:
        return register_applicant(app, person_id=person, branch_id=branch, occurred_on=on, actor="测试").candidate_id

    fresh = apply(people[0], b1, date(2026, 10, 1))
    activist = apply(people[1], b1, date(2026, 5, 1))
    walk(app, activist, [("first_talk", date(2026, 5, 20)), ("activist_selection", date(2026, 6, 1))])
    review = apply(people[2], b1, date(2024, 3, 1))
    walk(app, review, [("first_talk", date(2024, 3, 20)), ("activist_selection", date(2024, 4, 1)),
                       ("activist_filing", date(2024, 4, 10)), ("mentors_assigned", date(2024, 4, 10)),
                       ("cultivation", date(2024, 10, 1)), ("cultivation", date(2025, 4, 1)),
                       ("target_selection", date(2025, 4, 20)), ("target_filing", date(2025, 4, 25)),
                       ("sponsors", date(2025, 4, 25)), ("political_review", date(2025, 6, 1)),
                       ("training", date(2025, 6, 10)), ("committee_review", date(2025, 7, 1))],
         mentors=members[:1], sponsors=members[1:3])
    b2c = apply(people[3], b2, date(2026, 10, 1))
    b3c = apply(people[4], b3, date(2026, 10, 1))
    return World(county, t, b1, b2, t2, b3, members, fresh, activist, review, b2c, b3c)


@pytest.fixture
def users(app, world) -> dict[str, dict]:
    return {name: create_user(app, name, f"用户{name}", PASSWORD,
                              [(role, getattr(world, org) if org else None)])
            for name, (role, org) in ROLES.items()}


@pytest.fixture
def web(app):
    return create_app(app, secret_key="test-secret-key-0123456789", secure_cookies=False)


@pytest.fixture
def client(web):
    with Client(web) as c:
        yield c


@pytest.fixture
def login(web, users):
    """login("sec") -> a logged-in client (each its own cookie jar)."""
    made = []

    def make(name: str) -> Client:
        c = Client(web)
        made.append(c)
        r = c.login(name)
        assert r.status_code == 303, r.text
        return c

    yield make
    for c in made:
        c.close()
