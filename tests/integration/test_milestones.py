"""The milestone row (what reports count) follows every write, is verified, and is backfilled."""
from __future__ import annotations

from datetime import date

from sqlalchemy import update

from services.casework import candidates as uc
from services.integrity.verify import verify
from storage.db import downgrade, upgrade
from storage.tables import milestone
from tests.helpers import TIMELINE
from tests.integration.test_services import _road


def _m(app, cid):
    with app.uow() as uow:
        return uow.milestones.get(cid)


def test_written_on_registration_and_on_each_milestone(app, town):
    cid = _road(app, town, until="first_talk")
    m = _m(app, cid)
    assert m["person_id"] == town["person"] and m["branch_id"] == town["b1"]
    assert m["applied_on"] == TIMELINE["application"] and m["activist_on"] is None
    cid2 = _road(app, {**town, "person": _second_person(app)}, until="oath")
    m = _m(app, cid2)
    assert m["activist_on"] == TIMELINE["activist_selection"]
    assert m["admitted_on"] == TIMELINE["admission_approval"]
    assert m["probation_from"] == TIMELINE["admission_meeting"]
    assert verify(app).ok


def _second_person(app):
    with app.uow() as uow:
        return uow.people.add(name="李四", gender="男", birth_date=date(1992, 1, 1))


def test_correction_moves_the_milestone(app, town):
    cid = _road(app, town, until="admission_filing")
    with app.uow() as uow:
        seq = next(e.seq for e in uow.events.list_for(cid) if e.step == "admission_approval")
    uc.correct(app, cid, seq, actor="组织委员", reason="审批日期录错", occurred_on=date(2017, 7, 1))
    assert _m(app, cid)["admitted_on"] == date(2017, 7, 1)
    assert verify(app).ok


def test_transfer_and_withdrawal_follow(app, town):
    cid = _road(app, town, until="target_selection")
    uc.exceptional(app, cid, "transfer", occurred_on=date(2016, 9, 1), actor="书记", reason="工作调动",
                   to_branch_id=town["b2"])
    assert _m(app, cid)["branch_id"] == town["b2"]
    uc.exceptional(app, cid, "withdraw", occurred_on=date(2016, 10, 1), actor="书记", reason="本人申请")
    m = _m(app, cid)
    assert (m["ended_on"], m["end_stage"]) == (date(2016, 10, 1), "withdrawn")
    assert verify(app).ok


def test_verify_finds_a_tampered_milestone(app, town):
    cid = _road(app, town, until="oath")
    with app.uow() as uow:
        uow.connection.execute(update(milestone).where(milestone.c.candidate_id == cid)
                               .values(admitted_on=date(2018, 1, 1)))
    report = verify(app)
    assert not report.ok
    assert report.mismatches[0]["problem"].startswith("里程碑日期")


def test_upgrade_backfills_existing_candidates(app, town, db_url):
    cid = _road(app, town, until="oath")
    app.close()
    app.engine.dispose()
    downgrade(db_url, "0002")
    upgrade(db_url)
    assert _m(app, cid)["admitted_on"] == TIMELINE["admission_approval"]
    assert verify(app).ok



def test_verify_finds_a_deadline_filed_under_another_branch(app, town):
    """Reports and the scan scope deadlines by their own branch_id copy: verify checks it."""
    from storage.tables import deadline

    cid = _road(app, town, until="first_talk")
    with app.uow() as uow:
        uow.connection.execute(update(deadline).where(deadline.c.candidate_id == cid).values(branch_id=town["b2"]))
    report = verify(app)
    assert [m["problem"] for m in report.mismatches] == ["到期日表中的党支部与候选人所在党支部不一致"]
