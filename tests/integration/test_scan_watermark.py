"""The daily scan reads only new work (issue 19): thresholds crossed since the last completed scan
and deadline rows written since, on both databases. Counts, never timing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from services.casework import candidates as uc
from services.ledger import intake as ledger
from services.notices.reminders import ScanSettings, crossed, scan, windows
from storage.tables import change_marker, deadline, job_watermark
from tests.ledger_helpers import clean_path, ledger_row, township_layout, write_ledger

DAY = date(2026, 6, 1)  # the first (full) scan
NEXT = DAY + timedelta(days=1)
# first_talk is due one month after the application (remind_days 7 and 1; escalation after 14 days)
CROSSING_ON_NEXT = {  # applied on -> what 2026-06-02 crosses
    date(2026, 5, 9): ("reminder", 7),  # due 06-09
    date(2026, 5, 3): ("reminder", 1),  # due 06-03
    date(2026, 5, 1): ("overdue", 1),  # due 06-01, overdue from 06-02
    date(2026, 4, 19): ("escalation", 14),  # due 05-19, 14 days overdue on 06-02
}
QUIET_ON_NEXT = [date(2026, 5, 20), date(2026, 4, 25), date(2019, 3, 10)] + [date(2019 + i % 7, 1 + i % 12, 10)
                                                                          for i in range(9)]  # the backlog


def _apply(app, town, on: date, name: str = "申请人") -> int:
    with app.uow() as uow:
        pid = uow.people.add(name=name, gender="女", birth_date=date(1995, 1, 1))
    return uc.register_applicant(app, person_id=pid, branch_id=town["b1"], occurred_on=on, actor="书记").candidate_id


@pytest.fixture
def county(app, town):
    with app.uow() as uow:
        uow.contacts.add(town["b1"], "branch_secretary", "贺丰村书记", email="shuji@hefeng.example")
        uow.contacts.add(uow.orgs.by_code("t").id, "township_officer", "组织委员", email="zuzhi@nanchuan.example")
    return {on: _apply(app, town, on, f"申请人{i}") for i, on in enumerate([*CROSSING_ON_NEXT, *QUIET_ON_NEXT])}


def _outbox(app) -> list:
    with app.uow(read_only=True) as uow:
        return uow.outbox.list()


def _notices_of(app, cid: int) -> list[tuple[str, str]]:
    return sorted((r.kind, r.channel) for r in _outbox(app) if r.candidate_id == cid)


def test_the_second_day_reads_only_the_new_work(app, county):
    first = scan(app, DAY)
    assert first.full and first.read == first.examined == len(county)  # one open due row each
    second = scan(app, NEXT)
    assert not second.full and second.since == DAY
    assert second.examined == len(CROSSING_ON_NEXT)  # the backlog is not read again
    assert second.read == len(CROSSING_ON_NEXT)  # no other row lies in the day's windows
    got = {on: {(r.kind, r.payload["days"]) for r in _outbox(app) if r.candidate_id == county[on]
                and r.created_on == NEXT} for on in county}
    assert got[date(2026, 5, 9)] == {("reminder", 7)}
    assert got[date(2026, 5, 3)] == {("reminder", 1)}
    assert got[date(2026, 5, 1)] == {("overdue", 1)}
    assert got[date(2026, 4, 19)] == {("escalation", 14)}  # its overdue notice is from the first scan
    assert second.created == 4 and second.by_kind == {"reminder": 2, "overdue": 2, "escalation": 1}
    assert all(not got[on] for on in QUIET_ON_NEXT)


def test_a_rescan_of_the_same_day_creates_and_reads_nothing(app, county):
    scan(app, DAY)
    scan(app, NEXT)
    again = scan(app, NEXT)
    assert (again.full, again.read, again.examined, again.created) == (False, 0, 0, 0)


def test_a_stalled_candidate_registered_after_the_watermark_gets_overdue_and_escalation(app, town, county):
    scan(app, DAY)
    cid = _apply(app, town, date(2020, 2, 10), "搁置者")  # first talk due 2020-03-10: six years overdue
    report = scan(app, NEXT)
    assert report.examined == len(CROSSING_ON_NEXT) + 1
    assert _notices_of(app, cid) == [("escalation", "email"), ("overdue", "email")]


def test_a_stalled_candidate_imported_after_the_watermark_gets_overdue_and_escalation(app, town, county, tmp_path):
    """A ledger import writes its deadline rows in bulk (COPY on PostgreSQL): the column default marks them."""
    scan(app, DAY)
    layout = township_layout(app)
    path = write_ledger(tmp_path / "台账.xlsx", layout, [
        ledger_row(layout, name="导入者", branch="b1", steps=clean_path(layout, date(2021, 3, 1), until="application"))])
    ledger.confirm(app, path, "t")
    report = scan(app, NEXT)
    imported = {r.candidate_id for r in _outbox(app) if r.payload["candidate_name"] == "导入者"}
    assert len(imported) == 1 and report.examined == len(CROSSING_ON_NEXT) + 1
    assert _notices_of(app, imported.pop()) == [("escalation", "email"), ("overdue", "email")]


def test_a_step_after_the_watermark_is_read_and_stops_the_notices(app, county):
    scan(app, DAY)
    cid = county[date(2026, 5, 1)]  # overdue from 06-02
    uc.complete_step(app, cid, "first_talk", occurred_on=date(2026, 6, 1), actor="书记", evidence={"talker": "书记"})
    report = scan(app, NEXT)
    assert _notices_of(app, cid) == [("reminder", "email")]  # the first scan's (due that day); no overdue
    assert report.examined == len(CROSSING_ON_NEXT) - 1  # its row is no longer a due row


def test_missed_days_are_covered_like_a_full_scan(app, county):
    scan(app, DAY)
    late = DAY + timedelta(days=20)  # the service was down for three weeks
    report = scan(app, late)
    assert not report.full and report.since == DAY
    keys = {r.key for r in _outbox(app)}
    full = scan(app, late, full=True, dry_run=True)  # what a full scan would have to create by now
    assert full.full and full.rows and {r["key"] for r in full.rows} <= keys
    # due 06-09, 12 days overdue on 06-21: no reminder was ever sent (the day has passed), no escalation yet
    assert _notices_of(app, county[date(2026, 5, 9)]) == [("overdue", "email")]


def test_every_day_for_a_season_equals_one_full_scan(app, county):
    """Day by day incremental scans make exactly what a full scan on each of those days would."""
    day = DAY
    for _ in range(60):
        day += timedelta(days=1)
        scan(app, day)
        keys = {r.key for r in _outbox(app)}
        assert {r["key"] for r in scan(app, day, full=True, dry_run=True).rows} <= keys, day


def _thresholds_of(app, cid: int) -> set[tuple[str, int]]:
    """(kind, threshold) of a candidate's notices, from their keys (kind:cid:step:kind:due:threshold:…)."""
    return {(r.kind, int(r.key.split(":")[5])) for r in _outbox(app) if r.candidate_id == cid}


@pytest.mark.parametrize("applied, threshold", list(CROSSING_ON_NEXT.items()))
def test_both_boundaries_of_each_threshold(app, county, applied, threshold):
    """Each threshold falls on 2026-06-02: the window (06-01, 06-02] holds it; (05-31, 06-01] and
    (06-02, 06-03] do not (the scans are given their day: passed clocks)."""
    cid = county[applied]
    scan(app, DAY - timedelta(days=1))  # full: the watermark
    scan(app, DAY)  # (05-31, 06-01]
    assert threshold not in _thresholds_of(app, cid)
    on = scan(app, NEXT)  # (06-01, 06-02]
    assert threshold in _thresholds_of(app, cid) and on.examined == len(CROSSING_ON_NEXT)
    after = scan(app, NEXT + timedelta(days=1))  # (06-02, 06-03]: not read again
    assert after.examined < len(CROSSING_ON_NEXT)
    assert cid not in {r.candidate_id for r in _outbox(app) if r.created_on == NEXT + timedelta(days=1)}


@pytest.mark.parametrize("kind, shift", [("reminder", -7), ("reminder", -1), ("overdue", 1), ("escalation", 14)])
def test_windows_and_crossed_at_their_boundaries(kind, shift):
    due = date(2026, 6, 10)
    threshold_day = due + timedelta(days=shift)
    remind, escalate = (7, 1), 14
    ranges = windows(threshold_day - timedelta(days=1), threshold_day, frozenset(remind), frozenset({escalate}))
    assert any(lo <= due <= hi for lo, hi in ranges)
    assert crossed(due, threshold_day - timedelta(days=1), threshold_day, remind, escalate)  # upper bound: in
    assert not crossed(due, threshold_day, threshold_day + timedelta(days=1), remind, escalate)  # lower: out
    assert not any(lo <= due <= hi for lo, hi in windows(threshold_day, threshold_day + timedelta(days=1),
                                                          frozenset(remind), frozenset({escalate})))
    assert windows(threshold_day, threshold_day, frozenset(remind), frozenset({escalate})) == []


def test_the_watermark_moves_with_the_scan_and_not_with_a_dry_run_or_an_earlier_day(app, county):
    def mark():
        with app.uow(read_only=True) as uow:
            return uow.job_runs.watermark("scan")

    assert mark() is None
    scan(app, DAY, dry_run=True)
    assert mark() is None
    scan(app, DAY)
    assert mark().as_of == DAY
    earlier = scan(app, DAY - timedelta(days=5))  # a day before the watermark: a full scan of that day
    assert earlier.full and mark().as_of == DAY
    scan(app, NEXT, full=True)
    assert mark().as_of == NEXT


def test_changed_thresholds_need_a_full_scan(app, county):
    """Settings are not part of the watermark: after changing them, `--full` applies them to the backlog."""
    scan(app, DAY)
    report = scan(app, NEXT, settings=ScanSettings(escalate_after_days=3), full=True)
    assert report.full and report.examined == len(county)


def test_a_transaction_that_commits_after_the_scan_is_read_by_the_next(app, town, county):
    """PostgreSQL: a writer that began before the scan's snapshot and commits after it, while a
    later writer committed before the snapshot, carries an xid below the snapshot's xmax — the next
    scan reads it as one of the xids then in flight. (SQLite has one writer: the scan's BEGIN
    IMMEDIATE waits for it.)"""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite: writers and the scan are serialised by the write lock")
    cid = county[date(2026, 5, 20)]  # due 06-20: quiet
    scan(app, DAY - timedelta(days=1))
    with app.engine.connect() as late:
        tx = late.begin()
        late.execute(update(deadline).where(deadline.c.candidate_id == cid)
                     .values(due_on=date(2019, 1, 10), changed=change_marker()))  # a correction: years overdue
        _apply(app, town, date(2026, 5, 20), "后来者")  # a later xid commits first: xmax passes the late one
        during = scan(app, DAY)
        assert cid not in {r.candidate_id for r in _outbox(app)}
        with app.uow(read_only=True) as uow:
            xid = late.execute(select(deadline.c.changed).where(deadline.c.candidate_id == cid)).scalar_one()
            in_flight = uow.connection.execute(select(job_watermark.c.in_flight)).scalar_one()
        assert xid in in_flight and not during.full  # (without a later commit: xid >= xmax, read as well)
        tx.commit()
    scan(app, NEXT)
    assert _notices_of(app, cid) == [("escalation", "email"), ("overdue", "email")]
