"""Hash chains over the event and audit logs (issue 17, finding 2), on SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from services.casework import candidates as uc
from services.integrity.audit_log import record
from services.ledger import intake as ledger
from services.demo.sample_evidence import sample_evidence
from services.integrity.verify import CHANGED, DELETED, INSERTED, ChainWalk, verify
from storage.chain import audit_hash, event_row_hash
from storage.db import make_engine, upgrade
from storage.tables import audit_log, chain_head, event
from tests.helpers import ORDER, TIMELINE


def _road(app, town, until="committee_talk"):
    m = town["members"]
    cid = None
    for step in ORDER[:ORDER.index(until)]:
        ev = sample_evidence(step, TIMELINE[step], mentors=m[:2], sponsors=m[2:], cal=app.calendar)
        if cid is None:
            cid = uc.register_applicant(app, person_id=town["person"], branch_id=town["b1"],
                                        occurred_on=TIMELINE[step], actor="书记", evidence=ev).candidate_id
        else:
            uc.complete_step(app, cid, step, occurred_on=TIMELINE[step], actor="书记", evidence=ev)
    return cid


def _audit(app, n):
    for i in range(n):
        record(app, user_id=None, username="管理员", action="user.create", target_kind="user", target_id=i,
               detail={"name": f"用户{i}", "roles": ["branch"]})


def _chain_problems(report, chain):
    return [m for m in report.mismatches if m.get("chain") == chain]


def _seq(app, cid, step):
    with app.uow() as uow:
        return next(r.seq for r in uow.events.list_for(cid) if r.step == step)


def test_steps_and_audit_rows_are_chained_and_verify_passes(app, town):
    cid = _road(app, town)
    _audit(app, 4)
    with app.uow() as uow:
        links = [(r, p, h) for r, p, h in uow.events.iter_chains() if r.candidate_id == cid]
        audit = list(uow.audit.iter_chain())
        head = uow.audit.head_unlocked()
    assert links[0][1] is None and all(links[i][1] == links[i - 1][2] for i in range(1, len(links)))
    assert all(h == event_row_hash(p, r) for r, p, h in links)
    assert audit[0][1] is None and [a[1] for a in audit[1:]] == [a[2] for a in audit[:-1]]
    assert head == (4, audit[-1][2])
    report = verify(app)
    assert report.ok, report.mismatches
    assert report.audit_rows == 4


def test_the_issue_reproduction_is_reported(app, town, db_url):
    """UPDATE an event's actor and resolution, DELETE the last 3 audit rows: verify names both."""
    cid = _road(app, town, until="committee_talk")
    _audit(app, 6)
    seq = _seq(app, cid, "admission_meeting")
    set_resolution = ("json_set(evidence, '$.resolution', '不同意')" if db_url.startswith("sqlite")
                      else "jsonb_set(evidence, '{resolution}', '\"不同意\"')")
    with app.uow() as uow:
        uow.connection.execute(text(f"UPDATE event SET actor = '伪造者', evidence = {set_resolution} "
                                    "WHERE candidate_id = :cid AND step = 'admission_meeting'"), {"cid": cid})
        last3 = [r[0] for r in uow.connection.execute(select(audit_log.c.id).order_by(audit_log.c.id.desc()).limit(3))]
        uow.connection.execute(delete(audit_log).where(audit_log.c.id.in_(last3)))
    report = verify(app)
    assert not report.ok
    [ev] = _chain_problems(report, "event")
    assert ev["candidate_id"] == cid and ev["kind"] == CHANGED and ev["position"] == seq
    assert ev["problem"] == f"办理记录的哈希链在第 {seq} 条记录处断开：该记录内容被改动"
    [au] = _chain_problems(report, "audit")
    assert au["kind"] == DELETED and au["problem"] == "审计日志最后 3 条记录被删除（应有 6 条，现有 3 条）"


def test_a_deleted_event_in_the_middle_names_the_row_after_it(app, town):
    cid = _road(app, town, until="activist_filing")
    with app.uow() as uow:
        uow.connection.execute(delete(event).where(event.c.candidate_id == cid, event.c.seq == 2))
    [ev] = _chain_problems(verify(app), "event")
    assert (ev["kind"], ev["position"]) == (DELETED, 3)
    assert ev["problem"] == "办理记录的哈希链在第 3 条记录处断开：该记录之前的记录被删除"


def test_a_row_rewritten_with_a_recomputed_hash_breaks_the_next_link(app, town):
    """Recomputing the changed row's own hash does not help: the next row still links to the old one."""
    cid = _road(app, town, until="activist_filing")
    with app.uow() as uow:
        rows = {r.seq: (r, p) for r, p, h in uow.events.iter_chains() if r.candidate_id == cid}
        r, p = rows[2]
        forged = dataclasses.replace(r, actor="伪造者")
        uow.connection.execute(update(event).where(event.c.id == r.id)
                               .values(actor="伪造者", hash=event_row_hash(p, forged)))
    [ev] = _chain_problems(verify(app), "event")
    assert (ev["kind"], ev["position"]) == (DELETED, 3)  # the link from row 3 no longer reaches row 2


def test_audit_rows_inserted_or_edited(app, town):
    _audit(app, 5)
    with app.uow() as uow:
        rows = list(uow.audit.iter_chain())
        uow.connection.execute(update(audit_log).where(audit_log.c.id == rows[1][0].id).values(username="伪造者"))
    [au] = _chain_problems(verify(app), "audit")
    assert (au["kind"], au["position"]) == (CHANGED, 2)
    assert au["problem"] == f"审计日志的哈希链在第 2 条记录（编号 {rows[1][0].id}）处断开：该记录内容被改动"


def test_an_audit_row_added_by_hand_at_the_end_is_reported(app, town):
    """A row with a valid link and hash, added without moving the chain's head (both sides)."""
    _audit(app, 2)
    assert verify(app).ok
    with app.uow() as uow:
        last = list(uow.audit.iter_chain())[-1]
        at = last[0].at
        forged = audit_hash(last[2], at, None, "伪造者", "user.create", "user", "9", {})
        uow.connection.execute(insert(audit_log).values(at=at, username="伪造者", action="user.create",
                                                        target_kind="user", target_id="9", detail={},
                                                        prev_hash=last[2], hash=forged))
    [au] = _chain_problems(verify(app), "audit")
    assert (au["kind"], au["position"]) == (INSERTED, 3)


def test_a_deleted_head_row_is_reported(app, town):
    _audit(app, 2)
    with app.uow() as uow:
        uow.connection.execute(delete(chain_head))
    [au] = _chain_problems(verify(app), "audit")
    assert au["problem"] == "审计日志的链尾登记缺失（最后的记录可能被删除）"


@pytest.mark.parametrize("rows, expect", [
    # (prev, stored, computed) per row; hashes are short labels here
    ([(None, "a", "a"), ("a", "b", "b"), ("b", "c", "c")], None),
    ([(None, "a", "a"), ("a", "b", "X"), ("b", "c", "c")], (2, CHANGED)),  # content edited
    ([(None, "a", "a"), ("z", "c", "c")], (2, DELETED)),  # the row before was removed
    ([(None, "a", "a"), ("a", "f", "f"), ("a", "b", "b")], (2, INSERTED)),  # row 3 links past row 2
    ([(None, "a", "a"), ("q", "f", "Y"), ("a", "b", "b")], (2, INSERTED)),  # a bad row the next one skips
    ([(None, "a", "a"), ("q", "f", "Y"), ("f", "b", "b")], (2, CHANGED)),  # link column edited
    ([(None, "a", "a"), ("q", "f", "Y")], (2, CHANGED)),
    ([("q", "a", "a")], (1, DELETED)),  # the first row was removed
])
def test_chain_walk_classifies_the_first_break(rows, expect):
    walk = ChainWalk()
    for i, (prev, stored, computed) in enumerate(rows, 1):
        walk.add(i, f"第 {i} 条记录", prev, stored, computed)
    brk = walk.finish()
    assert (None if brk is None else (brk.number, brk.kind)) == expect


def test_a_ledger_import_writes_whole_valid_chains(app, town, tmp_path):
    """The bulk writer (SQLite executemany, PostgreSQL COPY) hashes each imported candidate's rows."""
    from tests.integration.test_ledger import _rows
    from tests.ledger_helpers import township_layout, write_ledger

    L = township_layout(app)
    res = ledger.confirm(app, write_ledger(tmp_path / "台账.xlsx", L, _rows(L)), "t", batch_size=2)
    assert res["candidates"] == 5
    with app.uow() as uow:
        links = list(uow.events.iter_chains())
    assert len(links) == res["events"] and all(h is not None for _, _, h in links)
    assert all(h == event_row_hash(p, r) for r, p, h in links)
    assert verify(app).ok


def test_migration_0011_hashes_existing_rows(app, town, db_url):
    """Rows written before the chains existed get them from the migration, and verify passes."""
    from storage.db import downgrade

    _road(app, town, until="activist_filing")
    _audit(app, 3)
    app.engine.dispose()  # no pooled connection holds the tables while they change
    engine = make_engine(db_url)
    try:
        downgrade(engine, "0010")  # the rows stay, without their hash columns and head
        upgrade(engine, "0011")
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(event).where(event.c.hash.is_(None))).scalar() == 0
            assert conn.execute(select(chain_head.c.rows)).scalar() == 3
        upgrade(engine)
    finally:
        engine.dispose()
    report = verify(app)
    assert report.ok, report.mismatches
    assert report.events == 3 and report.audit_rows == 3


def test_a_second_audit_writer_waits_for_the_head_and_links_to_the_first(app, db_url):
    """PostgreSQL: writer B blocks on the chain head row writer A holds until A commits, then links
    to A's row (without the lock both would link to the same previous row and fork the chain)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time (BEGIN IMMEDIATE)")
    import threading
    import time

    _audit(app, 1)
    watcher = make_engine(db_url)
    done = threading.Event()
    try:
        with app.uow() as uow:  # writer A, not yet committed
            a_id = uow.audit.add(app.utcnow(), None, "甲", "user.create", "user", 1, {})
            b = threading.Thread(target=lambda: (_audit(app, 1), done.set()))
            b.start()
            deadline = time.monotonic() + 60
            waiting = 0
            while not waiting and not done.is_set() and time.monotonic() < deadline:
                with watcher.connect() as conn:
                    waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                                "AND query LIKE '%chain_head%'")).scalar()
            assert waiting and not done.is_set()  # B is queued on the head row
        b.join()
    finally:
        watcher.dispose()
    with app.uow() as uow:
        chain = list(uow.audit.iter_chain())
    assert [r.id for r, _, _ in chain][-2] == a_id and chain[-1][1] == chain[-2][2]
    assert verify(app).ok
