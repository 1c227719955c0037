"""Correctness of the benchmark references (bench/baselines.py) -- never timing.

Each reference runs with a tiny N and we check what it left in the database: 25 events per
candidate in step order, every candidate at stage "archive" / step 25 / version 25, and for
the Spiff peer a stored workflow that deserializes as completed.
"""
from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench import baselines
from bench.baselines import STEPS, BenchResult, raw_sql_floor

N = 3
BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _check_db(db_path: Path, n: int, steps: int = 25) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = conn.execute("SELECT id, stage, step, version FROM candidate ORDER BY id").fetchall()
    assert rows == [(cid, STEPS[steps - 1], steps, steps) for cid in range(1, n + 1)]
    assert conn.execute("SELECT count(*) FROM event").fetchone()[0] == n * steps
    for cid in range(1, n + 1):
        events = conn.execute(
            "SELECT step, occurred_on, evidence FROM event WHERE candidate_id = ? ORDER BY id", (cid,)
        ).fetchall()
        assert [e[0] for e in events] == list(range(1, steps + 1))
        dates = [e[1] for e in events]
        assert dates == sorted(dates) and len(set(dates)) == steps
        for step, occurred_on, evidence in events:
            payload = json.loads(evidence)
            assert payload["step"] == STEPS[step - 1]
            assert payload["date"] == occurred_on
            assert payload["actor"]
    return conn


def _check_result(r: BenchResult, name: str, n: int, db_path: Path) -> None:
    assert r.name == name
    assert r.n_candidates == n and r.steps_per_candidate == 25 and r.steps == n * 25
    assert r.seconds > 0 and r.rate > 0
    assert r.maxrss_mb >= r.maxrss_start_mb > 0
    assert Path(r.db_path) == db_path
    line = r.line()
    assert name in line and "steps/s" in line


def test_bpmn_model_matches_steps():
    root = ET.parse(baselines.BPMN_PATH).getroot()
    (process,) = root.findall(f"{BPMN_NS}process")
    assert process.get("id") == baselines.BPMN_PROCESS_ID
    tasks = process.findall(f"{BPMN_NS}userTask")
    assert [t.get("id") for t in tasks] == list(STEPS)
    assert [t.get("name") for t in tasks] == list(STEPS)
    # strictly sequential: start -> 25 tasks -> end
    flows = {f.get("sourceRef"): f.get("targetRef") for f in process.findall(f"{BPMN_NS}sequenceFlow")}
    chain = ["start"]
    while chain[-1] in flows:
        chain.append(flows[chain[-1]])
    assert chain == ["start", *STEPS, "end"]


def test_raw_sql_floor_db_content(tmp_path):
    db = tmp_path / "raw.db"
    r = raw_sql_floor(N, db)
    _check_result(r, "raw_sql_floor", N, db)
    assert r.traced_peak_mb is not None and r.traced_candidates == N
    _check_db(db, N).close()
    _check_db(tmp_path / "raw.traced.db", N).close()  # the memory pass did the same work


def test_raw_sql_floor_recreates_db_and_other_step_counts(tmp_path):
    db = tmp_path / "raw.db"
    raw_sql_floor(N, db, trace_memory=False)
    r = raw_sql_floor(2, db, steps=5, trace_memory=False)  # existing file is replaced
    assert r.traced_peak_mb is None and r.traced_candidates is None
    assert r.steps == 10
    _check_db(db, 2, steps=5).close()
    assert not (tmp_path / "raw.traced.db").exists()


def test_spiff_peer_db_content(tmp_path):
    pytest.importorskip("SpiffWorkflow", minversion="3.0")
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    db = tmp_path / "spiff.db"
    r = baselines.spiff_peer(N, db, trace_candidates=2)
    _check_result(r, "spiff_peer", N, db)
    assert r.traced_candidates == 2 and r.traced_peak_mb > 0
    conn = _check_db(db, N)
    serializer = BpmnWorkflowSerializer()
    for (blob,) in conn.execute("SELECT workflow FROM candidate"):
        wf = serializer.deserialize_json(blob)
        assert wf.is_completed()
        done = [t.task_spec.name for t in wf.get_tasks() if t.task_spec.name in STEPS]
        assert done == list(STEPS)
        assert wf.data == baselines._payload(25)[1]  # the last task's data (date, actor)
    conn.close()
    _check_db(tmp_path / "spiff.traced.db", 2).close()


def test_cli_same_process(tmp_path, capsys):
    pytest.importorskip("SpiffWorkflow", minversion="3.0")
    assert baselines.main(["--n", "2", "--out", str(tmp_path), "--same-process", "--no-trace"]) == 0
    out = capsys.readouterr().out
    assert "raw_sql_floor" in out and "spiff_peer" in out and "ratio" in out
    _check_db(tmp_path / "raw_floor.db", 2).close()
    _check_db(tmp_path / "spiff_peer.db", 2).close()


def test_isolated_run_returns_result_from_child(tmp_path):
    # the CLI's default: each reference in a spawned interpreter (own ru_maxrss)
    r = baselines._run_isolated(baselines.raw_sql_floor, 2, tmp_path / "iso.db", trace_memory=False)
    assert isinstance(r, BenchResult) and r.steps == 50
    _check_db(tmp_path / "iso.db", 2).close()


def test_orm_session_per_step_db_content(tmp_path):
    # the ORM reference does the raw floor's unit of work: the same rows, versions and payloads
    db = tmp_path / "orm.db"
    r = baselines.orm_session_per_step(N, db, trace_candidates=2)
    _check_result(r, "orm_session", N, db)
    assert r.traced_candidates == 2 and r.traced_peak_mb > 0
    _check_db(db, N).close()
    _check_db(tmp_path / "orm.traced.db", 2).close()


def test_orm_session_per_step_other_step_counts(tmp_path):
    r = baselines.orm_session_per_step(2, tmp_path / "orm.db", steps=4, trace_memory=False)
    assert r.steps == 8 and r.traced_peak_mb is None
    _check_db(tmp_path / "orm.db", 2, steps=4).close()
