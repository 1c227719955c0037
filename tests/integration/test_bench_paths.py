"""The benchmark's own paths do what they claim (correctness only, never timing)."""
import sqlite3

import pytest

from bench.partyflow_steps import OFFSETS, partyflow_steps
from bench.schema_floor import STEPS, schema_floor
from services.app import App
from services.integrity.verify import verify


def test_partyflow_bench_takes_everyone_to_full_member(tmp_path):
    db = tmp_path / "pf.db"
    r = partyflow_steps(3, db)
    assert r.steps == 3 * len(OFFSETS) == 75
    con = sqlite3.connect(db)
    assert con.execute("SELECT DISTINCT stage FROM candidate").fetchall() == [("full_member",)]
    assert con.execute("SELECT count(*) FROM event").fetchone()[0] == 75
    report = verify(App.open(f"sqlite:///{db}"))
    assert report.ok and report.events == 75


def test_schema_floor_writes_what_the_real_path_writes(tmp_path):
    """The floor replays partyflow's statement mix: after the same journey the same tables hold the
    same number of rows, with the same versions and party statuses, and the plan's deadline
    operations never touch a row that is not there."""
    def shape(db):
        con = sqlite3.connect(db)
        q = ("SELECT (SELECT count(*) FROM event), (SELECT count(*) FROM deadline), (SELECT count(*) FROM milestone), "
             "(SELECT group_concat(DISTINCT version) FROM candidate), "
             "(SELECT count(*) FROM person WHERE party_status = 'full_member')")
        return con.execute(q).fetchone()

    r = schema_floor(3, tmp_path / "sf.db")
    assert r.steps == 3 * STEPS == 3 * len(OFFSETS)
    partyflow_steps(3, tmp_path / "pf.db")
    floor, ours = shape(tmp_path / "sf.db"), shape(tmp_path / "pf.db")
    assert floor[:4] == ours[:4] == (75, 0, 3, str(STEPS))
    assert floor[4] == 3 and ours[4] == 3 + 4  # partyflow's bench also has four members of its own


def test_wal_frames_counts_the_pages_each_commit_writes(tmp_path):
    """The raw floor's step writes its two rows (2 pages); a partyflow step at least its candidate
    row, its event row and the event's key (3), and a registration more."""
    from bench import wal_frames

    raw = wal_frames.raw_floor(4, tmp_path / "raw.db")[-100:]
    assert len(raw) == 100 and min(raw) == 2 and sum(raw) / len(raw) < 2.5
    ours = wal_frames.partyflow(4, tmp_path / "pf.db")[-100:]
    assert len(ours) == 100 and min(ours) == 3 and max(ours) > 3
    (tmp_path / "empty-wal").write_bytes(b"")
    assert wal_frames.frames_of(tmp_path / "empty-wal") == []


def test_wal_frames_names_the_table_or_index_of_each_frame(tmp_path):
    """Each frame is named by the b-tree holding its page at that point of the run, walked from the
    roots in the database image the WAL gives; every partyflow step writes its candidate row, its
    event row and the event's (candidate_id, seq) key."""
    from bench import wal_frames

    db = tmp_path / "two.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE note (body TEXT)")
    con.execute("CREATE TABLE tally (n INTEGER, label TEXT)")
    con.execute("CREATE INDEX ix_tally_n ON tally (n)")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    base = tmp_path / "two.base.db"
    base.write_bytes(db.read_bytes())
    for i in range(10):  # 10 commits of a note row, then 10 of a tally row and its index entry
        con.execute("INSERT INTO note VALUES (?)", (f"n{i}",))
    for i in range(10):
        con.execute("INSERT INTO tally VALUES (?, 'x')", (i,))
    con.execute("INSERT INTO note SELECT printf('%.3000c', 'x') FROM tally")  # 10 rows: new leaves, a root split
    wal = tmp_path / "two.copy-wal"
    wal.write_bytes((tmp_path / "two.db-wal").read_bytes())
    con.close()
    assert dict(wal_frames.frames_by_tree(wal, base, 20, every=1))["tally"] == 0.5
    split = dict(wal_frames.frames_by_tree(wal, base, 21, every=7))
    assert split["tally"] == split["ix_tally_n"] == 10 / 21
    assert split["note"] > 10 / 21 and "overflow or free pages" not in split

    pf = tmp_path / "pf.db"
    wal_frames.partyflow(4, pf)
    split = dict(wal_frames.frames_by_tree(pf.with_suffix(".copy-wal"), pf.with_suffix(".base.db"), 100))
    assert split["candidate"] >= 1 and split["event"] >= 1 and split["sqlite_autoindex_event_1"] >= 1
    assert split["deadline"] > 0 and split["ix_deadline_kind_due_on_branch_id"] > 0


def test_step_budget_splits_a_step_into_driver_calls_and_the_rest(tmp_path):
    """Both journeys run whole with the driver calls timed, and the timers come off afterwards."""
    import storage.db as storage_db
    import storage.unit_of_work as unit_of_work
    from bench import step_budget
    from storage.repositories import hot

    before = (hot._driver_connection, storage_db._begin, unit_of_work.commit_sqlite)
    for name in ("raw", "partyflow"):
        b = step_budget.budget(name, 3, tmp_path)
        assert all(b[part] > 0 for part in step_budget.PARTS), b
        assert b["total"] == pytest.approx(sum(b[p] for p in (*step_budget.PARTS, "python")))
    assert (hot._driver_connection, storage_db._begin, unit_of_work.commit_sqlite) == before
    con = sqlite3.connect(tmp_path / "budget_partyflow.db")
    assert con.execute("SELECT count(*) FROM event").fetchone()[0] == 3 * 25
    con.close()


def test_contract_floor_keeps_a_versioned_state_an_indexed_log_and_a_next_due_date(tmp_path):
    """The contract floor's journey ends as the others do: 25 events per candidate in seq order,
    every candidate at version 25 with all 25 steps in its stored state and a next due date."""
    import json

    from bench.contract_floor import contract_floor

    r = contract_floor(3, tmp_path / "cf.db")
    assert r.steps == 3 * STEPS
    con = sqlite3.connect(tmp_path / "cf.db")
    assert con.execute("SELECT candidate_id, count(*), group_concat(seq) FROM event GROUP BY candidate_id").fetchall() == [
        (cid, STEPS, ",".join(str(s) for s in range(1, STEPS + 1))) for cid in (1, 2, 3)]
    for version, state, due in con.execute("SELECT version, state, next_due_on FROM candidate"):
        assert version == STEPS and len(json.loads(state)["done"]) == STEPS and due
    plan = " ".join(row[3] for row in con.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM candidate WHERE next_due_on <= '2017-01-01'"))
    assert "ix_candidate_next_due_on" in plan
