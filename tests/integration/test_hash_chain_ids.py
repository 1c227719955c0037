"""Renumbering event rows cannot move a correction onto another record unseen: a correction's hash
names the *seq* of the record it replaces, so swapping two rows' ids (which `supersedes` points
at) breaks the chain — the reviewer's attack on the first version, which hashed the raw id.
SQLite and PostgreSQL (as a database superuser who can set foreign keys aside)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import text

from services.casework import candidates as uc
from services.integrity.verify import verify
from tests.integration.test_hash_chains import _chain_problems, _road, _seq


def test_swapping_ids_under_a_correction_is_reported(app, town):
    cid = _road(app, town, until="mentors_assigned")
    talk = _seq(app, cid, "first_talk")
    uc.correct(app, cid, talk, actor="书记", reason="日期录错", occurred_on=date(2016, 3, 14))
    assert verify(app).ok
    with app.uow() as uow:
        rows = {r.seq: r.id for r in uow.events.list_for(cid)}
    a, b = rows[talk], rows[talk + 1]  # the corrected talk and the next record
    swaps = ((a, -1), (b, a), (-1, b))
    if app.engine.dialect.name == "sqlite":  # the sqlite3 shell, as an attacker uses it: no foreign keys
        import sqlite3

        with sqlite3.connect(app.engine.url.database) as raw:
            raw.executemany("UPDATE event SET id = ? WHERE id = ?", [(new, old) for old, new in swaps])
    else:
        with app.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # foreign keys set aside
            for old, new in swaps:
                conn.execute(text("UPDATE event SET id = :new WHERE id = :old"), {"new": new, "old": old})
    report = verify(app)
    assert not report.ok
    [problem] = _chain_problems(report, "event")
    assert problem["candidate_id"] == cid and "哈希链" in problem["problem"]
