"""After a transfer (第十二条) each report figure stays with the branch it happened in.

An admission approved while the candidate was in branch 1 is branch 1's, in every report made
afterwards, wherever the person has moved since; the stock on a period's last day counts the
branch held on that day (the transfer's own date counts for the receiving branch). Corrections and
voids of the transfer move the figures with them, `verify` checks the stored branch history, and
the migration builds it for candidacies transferred before it existed. SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import update

from engine import Tenure
from reports.dormant import last_admissions
from reports.query import count
from services.casework import candidates as uc
from services.integrity.verify import verify
from storage.db import downgrade, upgrade
from storage.tables import branch_tenure
from tests.helpers import TIMELINE
from tests.integration.test_services import _ev, _road

MOVED = date(2017, 10, 1)  # the transfer, after the admission (2017-07-10), before conversion


def _probationary_moved(app, town, on=MOVED) -> int:
    cid = _road(app, town, until="conversion_application")
    uc.exceptional(app, cid, "transfer", occurred_on=on, actor="书记", reason="工作调动", to_branch_id=town["b2"])
    return cid


def _figures(app, town, start, end, measures=("admitted", "probationary")):
    with app.uow(read_only=True) as uow:
        got = count(uow.connection, [town["b1"], town["b2"]], start, end, measures)
    return {m: dict(got[m]["branch"]) for m in measures}


def test_the_admission_stays_with_the_admitting_branch_and_the_stock_moves(app, town):
    _probationary_moved(app, town)
    b1, b2 = town["b1"], town["b2"]
    assert _figures(app, town, date(2017, 7, 1), date(2017, 12, 31)) == {"admitted": {b1: 1}, "probationary": {b2: 1}}
    # the first half-year's report is the same as before the transfer
    assert _figures(app, town, date(2017, 1, 1), date(2017, 6, 30), ("targets",)) == {"targets": {b1: 1}}
    # one branch's own report
    with app.uow(read_only=True) as uow:
        only_b2 = count(uow.connection, [b2], date(2017, 7, 1), date(2017, 12, 31), ("admitted", "probationary"))
    assert (only_b2["admitted"]["total"], only_b2["probationary"]["total"]) == (0, 1)
    assert verify(app).ok


def test_the_stock_on_the_day_before_of_and_after_the_transfer(app, town):
    _probationary_moved(app, town)
    b1, b2 = town["b1"], town["b2"]
    for last_day, branch in ((date(2017, 9, 30), b1), (MOVED, b2), (date(2017, 10, 2), b2)):
        assert _figures(app, town, date(2017, 9, 1), last_day, ("probationary",)) == {"probationary": {branch: 1}}


def test_a_flow_on_the_transfer_day_counts_for_the_receiving_branch(app, town):
    cid = _road(app, town, until="admission_approval")
    approved = TIMELINE["admission_approval"]
    uc.exceptional(app, cid, "transfer", occurred_on=approved, actor="书记", reason="工作调动", to_branch_id=town["b2"])
    uc.complete_step(app, cid, "admission_approval", occurred_on=approved, actor="组织委员",
                     evidence=_ev(app, town, "admission_approval"))
    assert _figures(app, town, date(2017, 7, 1), date(2017, 12, 31), ("admitted",)) == {"admitted": {town["b2"]: 1}}


def test_dormant_branches_see_the_admission_where_it_was_made(app, town):
    _probationary_moved(app, town)
    with app.uow(read_only=True) as uow:
        assert last_admissions(uow.connection, [town["b1"], town["b2"]], date(2018, 6, 30)) == {
            town["b1"]: TIMELINE["admission_approval"], town["b2"]: None}
        assert last_admissions(uow.connection, None, date(2017, 7, 9))[town["b1"]] is None  # the day before


def test_correcting_or_voiding_the_transfer_moves_the_figures(app, town):
    cid = _probationary_moved(app, town)
    b1, b2 = town["b1"], town["b2"]
    with app.uow() as uow:
        seq = next(e.seq for e in uow.events.list_for(cid) if e.kind == "transfer")
    uc.correct(app, cid, seq, actor="组织委员", reason="转接日期录错", occurred_on=date(2017, 7, 1))
    with app.uow(read_only=True) as uow:
        assert uow.tenures.history(cid) == ([Tenure(b1, None, date(2017, 7, 1))], date(2017, 7, 1))
    assert _figures(app, town, date(2017, 7, 1), date(2017, 12, 31)) == {"admitted": {b2: 1}, "probationary": {b2: 1}}
    assert verify(app).ok
    uc.void(app, cid, seq, actor="组织委员", reason="并未转接")
    with app.uow(read_only=True) as uow:
        assert uow.tenures.history(cid) == ([], None)
    assert _figures(app, town, date(2017, 7, 1), date(2017, 12, 31)) == {"admitted": {b1: 1}, "probationary": {b1: 1}}
    assert verify(app).ok


def test_two_transfers_give_each_branch_its_stretch(app, town):
    cid = _probationary_moved(app, town)
    uc.exceptional(app, cid, "transfer", occurred_on=date(2018, 3, 1), actor="书记", reason="回村",
                   to_branch_id=town["b1"])
    with app.uow(read_only=True) as uow:
        assert uow.tenures.history(cid) == (
            [Tenure(town["b1"], None, MOVED), Tenure(town["b2"], MOVED, date(2018, 3, 1))], date(2018, 3, 1))
    assert _figures(app, town, date(2017, 10, 1), date(2017, 12, 31), ("probationary",)) == {"probationary": {town["b2"]: 1}}
    assert _figures(app, town, date(2018, 1, 1), date(2018, 3, 1), ("probationary",)) == {"probationary": {town["b1"]: 1}}
    assert verify(app).ok


def test_verify_finds_a_tampered_branch_history(app, town):
    cid = _probationary_moved(app, town)
    with app.uow() as uow:
        uow.connection.execute(update(branch_tenure).where(branch_tenure.c.candidate_id == cid)
                               .values(held_until=date(2017, 9, 1)))
    assert [m["problem"] for m in verify(app).mismatches] == ["转接前所在党支部的记录（统计用）与事件记录重放结果不一致"]


def test_the_migration_builds_the_history_of_earlier_transfers(app, town, db_url):
    cid = _probationary_moved(app, town)
    app.close()
    app.engine.dispose()
    downgrade(db_url, "0007")
    upgrade(db_url)
    with app.uow(read_only=True) as uow:
        assert uow.tenures.history(cid) == ([Tenure(town["b1"], None, MOVED)], MOVED)
    assert verify(app).ok
