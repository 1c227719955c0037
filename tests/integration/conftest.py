"""Fixtures shared by the integration tests: an App on each database, and a small township."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from services.app import SHANGHAI, App


@pytest.fixture
def app(db_url):
    a = App.open(db_url)
    a.clock = lambda: datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    yield a
    a.close()


@pytest.fixture
def town(app):
    with app.uow() as uow:
        county = uow.orgs.add(code="c", name="镇原县", level="county")
        t = uow.orgs.add(code="t", name="南川乡党委", level="township", parent_id=county)
        b1 = uow.orgs.add(code="b1", name="贺丰村党支部", level="branch", kind="rural", parent_id=t)
        b2 = uow.orgs.add(code="b2", name="东王村党支部", level="branch", kind="rural", parent_id=t)
        members = [uow.people.add(name=f"党员{i}", gender="男", birth_date=date(1970, 1, 1), party_status="full_member",
                                  branch_id=b1) for i in range(4)]
        person = uow.people.add(name="张三", gender="女", birth_date=date(1990, 5, 1), tags=["致富带头人"])
    return {"b1": b1, "b2": b2, "members": members, "person": person}




@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on 127.0.0.1 for the whole session (tests/support/s3_server.py)."""
    from tests.support.s3_server import session_server

    yield from session_server()
