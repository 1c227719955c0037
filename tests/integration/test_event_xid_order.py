"""PostgreSQL: every transaction that appends an event already holds a transaction id when it draws
the event's id. The worklist change feed (services/worklist/cache.py) moves its floor past an id
only once every transaction running at a checkpoint has finished; that is exact, with no grace
time, only if no writer can draw an id before it has an xid. Checked on each write path: a
registration, a step, a correction, a 报送, a migration and a ledger import."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from services.ledger import intake as ledger
from services.casework.candidates import complete_step, correct, migrate, register_applicant
from services.review import submit
from services.demo.sample_evidence import sample_evidence
from storage.bulk_load import BulkWriter
from storage.repositories.events import EventRepo
from tests.ledger_helpers import clean_path, ledger_row, township_layout, write_ledger


@pytest.fixture
def watched(app, monkeypatch):
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite allocates ids under its single write lock: id order is commit order")
    seen: list[bool] = []

    def has_xid(conn) -> bool:
        return conn.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar_one()

    real_append, real_write = EventRepo.append, BulkWriter.write

    def append(self, *a, **kw):
        seen.append(has_xid(self.conn))
        return real_append(self, *a, **kw)

    def write(self, table, rows):
        if table == "event":
            seen.append(has_xid(self.conn))
        return real_write(self, table, rows)

    monkeypatch.setattr(EventRepo, "append", append)
    monkeypatch.setattr(BulkWriter, "write", write)
    return seen


def test_every_event_writer_holds_an_xid_before_drawing_an_id(app, town, watched, tmp_path):
    on = date(2026, 6, 1)
    cid = register_applicant(app, person_id=town["person"], branch_id=town["b1"], occurred_on=on,
                             actor="测试").candidate_id
    complete_step(app, cid, "first_talk", occurred_on=date(2026, 6, 10), actor="测试",
                  evidence=sample_evidence("first_talk", date(2026, 6, 10), cal=app.calendar))
    correct(app, cid, 2, actor="测试", reason="日期录错", occurred_on=date(2026, 6, 9))
    complete_step(app, cid, "activist_selection", occurred_on=date(2026, 7, 1), actor="测试",
                  evidence=sample_evidence("activist_selection", date(2026, 7, 1), cal=app.calendar))
    submit(app, None, cid, "activist_filing", occurred_on=date(2026, 7, 2), actor="测试")
    migrate(app, cid, "cpc_2014@2", occurred_on=date(2026, 7, 3), actor="测试", reason="试点")
    layout = township_layout(app)
    path = write_ledger(tmp_path / "台账.xlsx", layout, [
        ledger_row(layout, name="导入者", branch="b1",
                   steps=clean_path(layout, date(2024, 3, 1), until="activist_selection"))])
    ledger.confirm(app, path, "t")
    assert len(watched) == 7 and all(watched), watched
