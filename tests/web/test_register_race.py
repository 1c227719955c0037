"""Two registrations of one person at the same moment (a double tap, two secretaries): exactly one
application is written and the other is refused with the words a registration sent a moment later
gets — on SQLite and PostgreSQL. The database's guard is `application_claim` (docs/storage.md
"Open applications"); on PostgreSQL the threads are held at a barrier after their duplicate check,
so both pass it and only the guard can tell them apart. No sleeps: barriers and joins."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from engine.errors import DomainError
from services.accounts.access import principal_for
from services.casework import case_commands
from services.casework.candidates import register_applicant
from services.casework.case_commands import AlreadyRegistered, OpenElsewhere, register_new_applicant
from storage.repositories.claims import ClaimRepo, KeyClaimed
from storage.tables import application_claim, candidate, person

LIU = {"name": "刘建国", "gender": "男", "birth_date": date(1998, 3, 1), "applied_on": date(2026, 11, 20)}
TIMEOUT = 30  # a barrier that is never met fails the test instead of hanging it


def _race(*calls):
    """Run the calls in threads started together; [(result or None, exception or None)] in order."""
    start = threading.Barrier(len(calls), timeout=TIMEOUT)
    out: list = [None] * len(calls)

    def run(i, call):
        start.wait()
        try:
            out[i] = (call(), None)
        except Exception as e:  # noqa: BLE001 - the test looks at it
            out[i] = (None, e)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive()
    return out


@pytest.fixture
def past_the_check(monkeypatch, app):
    past_the_check_now(monkeypatch, app)


def past_the_check_now(monkeypatch, app):
    """PostgreSQL: hold each registration's first claim at a barrier until both have passed their
    duplicate check (neither sees the other), so the database alone decides."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transactions queue (BEGIN IMMEDIATE): two cannot both be past the check")
    met = threading.Barrier(2, timeout=TIMEOUT)
    waited = threading.local()
    claim = ClaimRepo.claim

    def held(self, *args):
        if not getattr(waited, "done", False):
            waited.done = True
            met.wait()
        return claim(self, *args)

    monkeypatch.setattr(ClaimRepo, "claim", held)


def _sec(app, users):
    return principal_for(app, users["sec"]["id"])


def _rows(app, name="刘建国"):
    with app.uow(read_only=True) as uow:
        c = uow.connection
        people = c.execute(select(func.count()).select_from(person).where(person.c.name == name)).scalar_one()
        cands = c.execute(select(func.count()).select_from(candidate).join(person, person.c.id == candidate.c.person_id)
                          .where(person.c.name == name)).scalar_one()
    return people, cands


def _one_won(results, refused_as):
    won = [r for r, e in results if e is None]
    lost = [e for r, e in results if e is not None]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], refused_as), lost[0]
    return won[0], lost[0]


def test_a_double_tap_registers_one_application(app, world, users):
    """The same form sent twice at once: one application, one person; the other is told, in the
    words of a form sent again, that nothing was registered twice."""
    who = _sec(app, users)
    go = lambda: register_new_applicant(app, who, branch_id=world.b1, **LIU)  # noqa: E731
    won, lost = _one_won(_race(go, go), AlreadyRegistered)
    assert lost.candidate_id == won.candidate_id
    assert lost.violations[0].message == (
        "刘建国（男，1998-03-01 出生）已在贺丰村党支部登记过入党申请（2026-11-20 递交），这次没有重复登记；请打开已登记的记录查看或修改")
    assert _rows(app) == (1, 1)


def test_two_registrations_past_the_check_are_refused_by_the_database(app, world, users, past_the_check):
    """Both checks saw nothing: the database refuses the second, which — run again — gets the
    sequential check's message; neither its person nor its application is left behind."""
    who = _sec(app, users)
    go = lambda: register_new_applicant(app, who, branch_id=world.b1, **LIU)  # noqa: E731
    won, lost = _one_won(_race(go, go), AlreadyRegistered)
    assert lost.candidate_id == won.candidate_id and "这次没有重复登记" in lost.violations[0].message
    assert _rows(app) == (1, 1)
    with app.uow(read_only=True) as uow:
        keys = dict(uow.connection.execute(select(application_claim.c.key, application_claim.c.candidate_id)).all())
    assert {k for k, v in keys.items() if v == won.candidate_id} == {
        f"p:{_person_of(app, won.candidate_id)}", "b:1998-03-01|男|刘建国@%d" % world.b1, "i:1998-03-01|男|刘建国"}


def _person_of(app, cid):
    with app.uow(read_only=True) as uow:
        return uow.candidates.get(cid).person_id


def test_two_branches_at_once_keep_one_person_in_one_organisation(app, world, users, past_the_check):
    """The same name, gender and birth date registered in two branches at once: the second is
    refused as the sequential check refuses an open application elsewhere (naming that branch)."""
    admin = principal_for(app, users["admin"]["id"])
    results = _race(lambda: register_new_applicant(app, admin, branch_id=world.b1, **LIU),
                    lambda: register_new_applicant(app, admin, branch_id=world.b2, **LIU))
    won, lost = _one_won(results, OpenElsewhere)
    other = "贺丰村党支部" if results[0][1] is None else "东王村党支部"  # the winner's branch
    assert f"已在{other}有正在办理的入党申请" in lost.violations[0].message
    assert "如确是同名同生日的另一人，请勾选「确认是另一人」后再登记" in lost.violations[0].message
    assert _rows(app) == (1, 1)


def test_confirmed_other_people_in_two_branches_are_both_registered(app, world, users, past_the_check):
    """确认是另一人 ticked on both: what the check allows in sequence the guard allows at once —
    two people, two applications (the second set aside the first, as the audit row says)."""
    admin = principal_for(app, users["admin"]["id"])
    results = _race(lambda: register_new_applicant(app, admin, branch_id=world.b1, confirm_other=True, **LIU),
                    lambda: register_new_applicant(app, admin, branch_id=world.b2, confirm_other=True, **LIU))
    assert [e for _, e in results] == [None, None]
    assert _rows(app) == (2, 2)


def test_the_same_person_registered_twice_at_once_from_the_cli_service(app, world):
    """`partyflow apply` twice for one person row: one application; the other is refused as a
    registration of a person with an open application is."""
    with app.uow() as uow:
        pid = uow.people.add(name="周明", gender="男", birth_date=date(1999, 1, 1))
    go = lambda: register_applicant(app, person_id=pid, branch_id=world.b1, occurred_on=date(2026, 11, 20),  # noqa: E731
                                    actor="测试")
    won, lost = _one_won(_race(go, go), DomainError)
    assert lost.violations[0].message == "已有进行中的入党申请（2026-11-20 递交）"
    assert _rows(app, "周明") == (1, 1)


def test_a_claim_the_check_could_not_see_is_refused_by_the_database(app, world, users, monkeypatch):
    """SQLite and PostgreSQL: a registration whose check missed the application just committed
    (made blind here for its first run) is refused by the key, rolled back, and refused in words
    by the second run of the check — nothing of it is written."""
    who = _sec(app, users)
    first = register_new_applicant(app, who, branch_id=world.b1, **LIU)
    real = case_commands._open_application
    runs = []

    def blind_once(*a, **kw):
        runs.append(1)
        return (None, False) if len(runs) == 1 else real(*a, **kw)

    monkeypatch.setattr(case_commands, "_open_application", blind_once)
    with pytest.raises(AlreadyRegistered) as refused:
        register_new_applicant(app, who, branch_id=world.b1, **LIU)
    assert len(runs) == 2 and refused.value.candidate_id == first.candidate_id
    assert _rows(app) == (1, 1)


def test_a_key_of_an_ended_application_is_taken_over(app, world, users):
    """Claims are released lazily: after a withdrawal the same person registers again."""
    from services.casework.candidates import exceptional

    who = _sec(app, users)
    first = register_new_applicant(app, who, branch_id=world.b1, **{**LIU, "applied_on": date(2026, 1, 5)})
    exceptional(app, first.candidate_id, "withdraw", occurred_on=date(2026, 2, 1), actor="测试", reason="本人书面申请撤回")
    again = register_new_applicant(app, who, branch_id=world.b1, **LIU)
    with app.uow(read_only=True) as uow:
        keys = dict(uow.connection.execute(select(application_claim.c.key, application_claim.c.candidate_id)).all())
    assert keys["b:1998-03-01|男|刘建国@%d" % world.b1] == keys["i:1998-03-01|男|刘建国"] == again.candidate_id
    assert keys[f"p:{_person_of(app, first.candidate_id)}"] == first.candidate_id  # not needed by anyone: left


def test_a_claimed_key_refuses_a_second_claim_on_another_connection(app, world):
    """The guard itself: a key committed by one connection cannot be claimed by another."""
    with app.uow() as uow:
        uow.claims.claim(["p:test"], world.fresh)
    with pytest.raises(KeyClaimed):
        with app.uow() as uow:
            uow.claims.claim(["p:test"], world.activist)
    with app.uow(read_only=True) as uow:
        assert uow.claims.holders(["p:test", "p:none"]) == {"p:test": world.fresh}


def test_a_double_tap_on_the_web_page(app, world, web, login):
    """The form sent twice at once through the web: one 303 to the new record, one 409 with the
    page's words and a link to it."""
    a, b = login("sec"), login("sec")
    data = {"branch_id": str(world.b1), "name": "刘建国", "gender": "男", "birth_date": "1998-03-01",
            "applied_on": "2026-11-20", "ethnicity": "汉族", "education": "高中/中专"}
    results = _race(lambda: a.form("/candidates/new", data), lambda: b.form("/candidates/new", data))
    codes = sorted(r.status_code for r, _ in results)
    assert codes == [303, 409]
    done = next(r for r, _ in results if r.status_code == 303)
    refused = next(r for r, _ in results if r.status_code == 409)
    assert "这次没有重复登记" in refused.text and "Traceback" not in refused.text
    assert f'href="{done.headers["location"]}"' in refused.text
    assert _rows(app) == (1, 1)


def test_two_registrations_taking_over_an_ended_applications_keys_at_once(app, world, users, monkeypatch):
    """The keys are held by a withdrawn application; two registrations past the check both find
    them stale: one takes them over, the other is refused as a form sent twice (PostgreSQL)."""
    from services.casework.candidates import exceptional

    who = _sec(app, users)
    first = register_new_applicant(app, who, branch_id=world.b1, **{**LIU, "applied_on": date(2026, 1, 5)})
    exceptional(app, first.candidate_id, "withdraw", occurred_on=date(2026, 2, 1), actor="测试", reason="本人书面申请撤回")
    past_the_check_now(monkeypatch, app)
    go = lambda: register_new_applicant(app, who, branch_id=world.b1, **LIU)  # noqa: E731
    won, lost = _one_won(_race(go, go), AlreadyRegistered)
    assert lost.candidate_id == won.candidate_id and "这次没有重复登记" in lost.violations[0].message
    assert _rows(app) == (2, 2)  # the withdrawn one and the new one
    with app.uow(read_only=True) as uow:
        assert uow.claims.holders(["i:1998-03-01|男|刘建国"]) == {"i:1998-03-01|男|刘建国": won.candidate_id}
