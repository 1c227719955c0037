"""`partyflow verify` on the hash chains and `partyflow checkpoint keygen|export|check` (issue 17, 2),
run as a user would, on a SQLite file and on PostgreSQL."""
from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import delete, select, text, update

from services.app import App
from services.integrity.audit_log import record
from storage.chain import event_row_hash
from storage.tables import audit_log, event
from tests.e2e import Cli, world
from tests.e2e.test_cli import activist


@pytest.fixture
def cli(db_url) -> Cli:
    return Cli(db_url)


@pytest.fixture
def key(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "checkpoint.pem"
    path.parent.mkdir()
    monkeypatch.setenv("PARTYFLOW_CHECKPOINT_KEY", str(path))
    monkeypatch.delenv("PARTYFLOW_CHECKPOINT_PUBLIC_KEY", raising=False)
    return path


@pytest.fixture
def cid(cli):
    c = activist(cli, world(cli))
    app = App.open(cli.url)
    try:
        for i in range(5):
            record(app, user_id=None, username="admin", action="user.create", target_kind="user", target_id=i,
                   detail={"username": f"u{i}"})
    finally:
        app.close()
    return c


def _sql(cli, *statements):
    app = App.open(cli.url)
    try:
        with app.uow() as uow:
            for s in statements:
                uow.connection.execute(s)
    finally:
        app.close()


def _audit_rows(cli) -> int:
    app = App.open(cli.url)
    try:
        with app.uow() as uow:
            return len(uow.audit.list(limit=None))
    finally:
        app.close()


def _set_method(cli) -> str:
    return ("json_set(evidence, '$.method', '组织推荐')" if cli.url.startswith("sqlite")
            else "jsonb_set(evidence, '{method}', '\"组织推荐\"')")


def test_keygen_export_check_round_trip(cli, cid, key, tmp_path):
    out = cli.json("checkpoint", "keygen")
    assert out == {"ok": True, "key": str(key), "public_key": str(key) + ".pub"}
    assert key.stat().st_mode & 0o777 == 0o600
    r = cli("checkpoint", "keygen", code=2)  # never overwrites a key
    assert "已存在，不会覆盖" in r.stderr
    cp = tmp_path / "cp.json"
    r = cli("checkpoint", "export", "--out", cp)
    assert "已签发检查点" in r.stdout and f"候选人 1 名、办理记录 5 条、审计日志 {_audit_rows(cli)} 条" in r.stdout
    r = cli("checkpoint", "check", cp)
    assert "现有记录是检查点时记录的延续，未发现删改。" in r.stdout
    before = cp.read_bytes()
    r = cli("checkpoint", "export", "--out", cp, code=2)  # an old checkpoint is evidence: never overwritten
    assert "已存在，不会覆盖" in r.stderr and cp.read_bytes() == before
    # records added after the checkpoint extend the chains: still fine
    cli("step", cid, "6", "--date", "2016-10-20", "--set", "assessment=表现良好")
    assert cli.json("checkpoint", "check", cp)["ok"] is True


def test_the_issue_reproduction_fails_verify(cli, cid):
    n = _audit_rows(cli)
    _sql(cli, text(f"UPDATE event SET actor = '伪造者', evidence = {_set_method(cli)} "
                   "WHERE candidate_id = :c AND step = 'activist_selection'").bindparams(c=cid))
    app = App.open(cli.url)
    with app.uow() as uow:
        last3 = [r[0] for r in uow.connection.execute(select(audit_log.c.id).order_by(audit_log.c.id.desc()).limit(3))]
    app.close()
    _sql(cli, delete(audit_log).where(audit_log.c.id.in_(last3)))
    r = cli("verify", code=1)
    assert f"候选人 {cid}：办理记录的哈希链在第 3 条记录处断开：该记录内容被改动" in r.stderr
    assert f"审计日志最后 3 条记录被删除（应有 {n} 条，现有 {n - 3} 条）" in r.stderr
    assert "全部一致" not in r.stdout
    out = cli.json("verify", code=1)
    assert {(m.get("chain"), m.get("kind")) for m in out["mismatches"]} == {("event", "changed"), ("audit", "deleted")}


def _rehash(cli, cid):
    """Rewrite step 3's recorder and recompute every later hash of the chain: what verify cannot see."""
    app = App.open(cli.url)
    try:
        with app.uow() as uow:
            prev = None
            for r, _, _ in [x for x in uow.events.iter_chains() if x[0].candidate_id == cid]:
                if r.seq == 3:
                    r = dataclasses.replace(r, actor="伪造者")
                h = event_row_hash(prev, r)
                uow.connection.execute(update(event).where(event.c.id == r.id).values(actor=r.actor, prev_hash=prev,
                                                                                       hash=h))
                prev = h
    finally:
        app.close()


def test_a_rewritten_and_rehashed_history_fails_the_checkpoint(cli, cid, key, tmp_path):
    cli("checkpoint", "keygen")
    cp = tmp_path / "cp.json"
    cli("checkpoint", "export", "--out", cp)
    _rehash(cli, cid)
    assert cli.json("verify")["ok"] is True  # the chain alone is consistent again
    r = cli("checkpoint", "check", cp, code=1)
    assert f"候选人 {cid}：办理记录与检查点不符：检查点时的前 5 条记录（至第 5 条）被改写" in r.stderr
    # and a deleted candidate's whole chain, and audit rows cut off the end
    app = App.open(cli.url)
    with app.uow() as uow:
        first = uow.connection.execute(select(audit_log.c.id).order_by(audit_log.c.id)).scalars().first()
    app.close()
    _sql(cli, delete(event).where(event.c.candidate_id == cid), delete(audit_log).where(audit_log.c.id == first))
    out = cli.json("checkpoint", "check", cp, code=1)
    problems = [p["problem"] for p in out["problems"]]
    assert any(p.startswith("检查点时的 5 条办理记录现已全部不存在") for p in problems)
    assert any("审计日志的哈希链在第 1 条记录" in p for p in problems)


def test_a_forged_or_foreign_checkpoint_is_refused(cli, cid, key, tmp_path, monkeypatch):
    cli("checkpoint", "keygen")
    cp = tmp_path / "cp.json"
    cli("checkpoint", "export", "--out", cp)
    doc = json.loads(cp.read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**doc, "events": doc["events"] - 1}))
    r = cli("checkpoint", "check", forged, code=2)
    assert "签名无效：文件被改动过，或不是用这把密钥签发的" in r.stderr
    other = tmp_path / "other.pem"
    cli("checkpoint", "keygen", "--key", other)
    r = cli("checkpoint", "check", cp, "--public-key", f"{other}.pub", code=2)
    assert "签名无效" in r.stderr
    assert cli.json("checkpoint", "check", cp, "--public-key", f"{key}.pub")["ok"] is True
    (tmp_path / "junk.json").write_text("not json")
    assert "不是有效的检查点文件" in cli("checkpoint", "check", tmp_path / "junk.json", code=2).stderr


def test_export_refuses_a_broken_chain_and_a_missing_key(cli, cid, key, tmp_path, monkeypatch):
    cp = tmp_path / "cp.json"
    r = cli("checkpoint", "export", "--out", cp, code=2)
    assert f"找不到密钥文件 {key}" in r.stderr
    cli("checkpoint", "keygen")
    _sql(cli, update(event).where(event.c.candidate_id == cid, event.c.seq == 2).values(actor="伪造者"))
    r = cli("checkpoint", "export", "--out", cp, code=2)
    assert f"候选人 {cid} 的办理记录哈希链在第 2 条记录处断开，不能签发检查点" in r.stderr
    assert not cp.exists()
    monkeypatch.delenv("PARTYFLOW_CHECKPOINT_KEY")
    assert "未指定签名私钥" in cli("checkpoint", "export", "--out", cp, code=2).stderr
    assert "未指定核验公钥" in cli("checkpoint", "check", cp, code=2).stderr
