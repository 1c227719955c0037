"""Backup and restore (issue 17): the demo township round-trips through a backup file into an
empty database on SQLite and on PostgreSQL with every row identical (so the event and audit hash
chains stay valid) and verify passing; every bad input is one Chinese refusal that writes nothing."""
from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from engine.errors import DomainError
from services.app import App
from services.operations.backup import backup, read_manifest, restore
from services.demo import run_demo
from services.casework.queries import show_candidate
from services.integrity.verify import verify
from storage.db import current_revision, head_revision, make_engine, upgrade
from tests.conftest import pg_schema

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def target_url(db_url, request, tmp_path):
    """A second empty database of the same kind as `db_url` (a fresh schema on PostgreSQL)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    with pg_schema(request.getfixturevalue("_pg_admin_engine"), "pf_restore") as url:
        yield url


@pytest.fixture(scope="module")
def _demo_sqlite(tmp_path_factory):
    """One small demo township on SQLite for the tests that only need some backup to refuse."""
    folder = tmp_path_factory.mktemp("demo")
    a = App.open(f"sqlite:///{folder / 'demo.db'}")
    run_demo(a, candidates=6)
    a.close()
    backup(f"sqlite:///{folder / 'demo.db'}", folder / "demo.pfbackup", now=NOW)
    return folder


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (what "byte-identical" is checked on)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn)
            return {name: [tuple(r) for r in conn.execute(select(t).order_by(*(t.primary_key.columns or t.columns)))]
                    for name, t in meta.tables.items()}
    finally:
        engine.dispose()


def _refused(fn, *args, **kw) -> str:
    with pytest.raises(DomainError) as e:
        fn(*args, **kw)
    (v,) = e.value.violations
    return v.message


def test_demo_round_trips_into_an_empty_database_and_only_an_empty_one(db_url, target_url, tmp_path):
    source = App.open(db_url)
    run_demo(source, candidates=10)
    shown = {cid: show_candidate(source, cid) for cid in (1, 4, 9)}
    source.close()

    info = backup(db_url, tmp_path / "pf.pfbackup", now=NOW)
    assert info["revision"] == head_revision() and info["counts"]["candidate"] == 10
    assert (tmp_path / "pf.pfbackup").stat().st_mode & 0o077 == 0  # personal data: owner only
    done = restore(target_url, tmp_path / "pf.pfbackup")
    assert done["upgraded"] is False and done["counts"] == info["counts"]

    rows = _rows(target_url)
    assert rows == _rows(db_url)  # event/audit rows and their hashes included
    # a second restore meets a database that is no longer empty: refused, nothing written
    assert "不是空的" in _refused(restore, target_url, tmp_path / "pf.pfbackup")
    assert _rows(target_url) == rows
    restored = App.open(target_url, migrate=False)
    try:
        report = verify(restored)
        assert report.ok, report.mismatches
        assert report.candidates == 10
        # verify walked the restored hash chains (event and audit log) and found them unbroken
        assert report.audit_rows == done["counts"]["audit_log"] > 0
        restored.clock = source.clock
        assert {cid: show_candidate(restored, cid) for cid in shown} == shown
    finally:
        restored.close()


def test_a_backup_of_an_older_schema_is_upgraded_after_restore(db_url, target_url, tmp_path):
    older = "0010"
    upgrade(db_url, older)
    backup(db_url, tmp_path / "old.pfbackup", now=NOW)
    assert read_manifest(tmp_path / "old.pfbackup").revision == older

    done = restore(target_url, tmp_path / "old.pfbackup")
    assert (done["backup_revision"], done["revision"], done["upgraded"]) == (older, head_revision(), True)
    assert current_revision(target_url) == head_revision()


def test_a_backup_from_a_newer_partyflow_is_refused_before_anything_is_written(_demo_sqlite, tmp_path):
    newer = _rewrite_manifest(_demo_sqlite / "demo.pfbackup", tmp_path / "newer.pfbackup", revision="9999")
    message = _refused(restore, f"sqlite:///{tmp_path / 'x.db'}", newer)
    assert "9999" in message and "请先升级 partyflow" in message
    assert not (tmp_path / "x.db").exists()


def test_a_damaged_backup_is_refused(_demo_sqlite, tmp_path):
    bad = _rewrite_manifest(_demo_sqlite / "demo.pfbackup", tmp_path / "bad.pfbackup", sha256="0" * 64)
    assert "已损坏" in _refused(restore, f"sqlite:///{tmp_path / 'x.db'}", bad)
    assert not (tmp_path / "x.db").exists()


def test_a_crafted_backup_whose_data_is_no_database_is_refused(_demo_sqlite, tmp_path):
    """The checksum matches (a crafted file), yet the payload is not SQLite: one message, no file left."""
    junk = b"not sqlite" * 100
    crafted = tmp_path / "junk.pfbackup"
    with zipfile.ZipFile(_demo_sqlite / "demo.pfbackup") as z_in, zipfile.ZipFile(crafted, "w") as z_out:
        manifest = json.loads(z_in.read("manifest.json"))
        manifest.update(sha256=hashlib.sha256(junk).hexdigest(), size=len(junk))
        z_out.writestr("manifest.json", json.dumps(manifest))
        z_out.writestr("database.sqlite3", junk)
    assert "已损坏" in _refused(restore, f"sqlite:///{tmp_path / 'x.db'}", crafted)
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("content, words", [
    (None, "不存在"),
    (b"not a zip", "不是 partyflow 备份文件"),
    (json.dumps({"format": "something-else"}).encode(), "不是 partyflow 备份文件"),
])
def test_what_is_not_a_backup_is_refused(tmp_path, content, words):
    file = tmp_path / "in.pfbackup"
    if content is not None:
        file.write_bytes(content)
    assert words in _refused(restore, f"sqlite:///{tmp_path / 'x.db'}", file)
    assert not (tmp_path / "x.db").exists()


def test_a_backup_goes_only_to_its_own_kind_of_database(_demo_sqlite, tmp_path):
    message = _refused(restore, "postgresql+psycopg://nobody@127.0.0.1:1/none", _demo_sqlite / "demo.pfbackup")
    assert message.startswith("该备份来自 SQLite 数据库，不能恢复到 PostgreSQL")


def test_unknown_database_kinds_and_existing_files_are_refused(_demo_sqlite, tmp_path):
    assert "不支持的数据库类型“mysql”" in _refused(backup, "mysql://x/y", tmp_path / "b", now=NOW)
    assert "不支持的数据库类型" in _refused(restore, "mysql://x/y", _demo_sqlite / "demo.pfbackup")
    demo_db = f"sqlite:///{_demo_sqlite / 'demo.db'}"
    assert "已存在" in _refused(backup, demo_db, _demo_sqlite / "demo.pfbackup", now=NOW)
    assert "不存在" in _refused(backup, demo_db, tmp_path / "no" / "b.pfbackup", now=NOW)
    assert "不存在" in _refused(backup, f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "b.pfbackup", now=NOW)
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def _rewrite_manifest(src: Path, dst: Path, **changes) -> Path:
    with zipfile.ZipFile(src) as z_in, zipfile.ZipFile(dst, "w") as z_out:
        for item in z_in.infolist():
            data = z_in.read(item)
            if item.filename == "manifest.json":
                data = json.dumps({**json.loads(data), **changes}).encode()
            z_out.writestr(item, data)
    return dst


def test_a_sqlite_backup_runs_beside_a_writer_and_takes_what_was_committed(tmp_path):
    """The server is not stopped: a write transaction open during the backup neither blocks it nor
    gets into it half-done (SQLite's online backup reads one consistent snapshot)."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    writer = sqlite3.connect(tmp_path / "live.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO organisation (code, name, level, created_at) VALUES ('c', '镇原县', 'county', '2026-12-01 02:00:00')")
    try:
        info = backup(url, tmp_path / "live.pfbackup", now=NOW)
    finally:
        writer.execute("COMMIT")
        writer.close()
    restore(f"sqlite:///{tmp_path / 'copy.db'}", tmp_path / "live.pfbackup")
    assert info["counts"]["candidate"] == 0
    assert _rows(f"sqlite:///{tmp_path / 'copy.db'}")["organisation"] == []
    assert len(_rows(url)["organisation"]) == 1


def test_attached_files_travel_with_the_backup(db_url, target_url, tmp_path, monkeypatch):
    """材料 (issue 18): every object an attachment row names goes into the backup and comes back
    into the restored database's own object store, checked against its SHA-256 on the way in."""
    import io

    from PIL import Image

    from services.materials.files import attach, download

    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", str(tmp_path / "source-files"))
    source = App.open(db_url)
    run_demo(source, candidates=4, materials=False)  # this test attaches the one file it counts
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (90, 80, 70)).save(buf, "JPEG")
    att = attach(source, 1, buf.getvalue(), "申请书.jpg", actor="书记", material="application_letter")
    original = download(source, att["id"], actor="书记")[2]
    source.close()

    info = backup(db_url, tmp_path / "pf.pfbackup", now=NOW)
    assert info["files"] == 2  # the file and its thumbnail
    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", str(tmp_path / "restored-files"))
    done = restore(target_url, tmp_path / "pf.pfbackup")
    assert done["files"] == 2
    restored = App.open(target_url, migrate=False)
    try:
        assert download(restored, att["id"], actor="县委")[2] == original
    finally:
        restored.close()


def test_a_damaged_file_in_a_backup_is_refused(db_url, tmp_path, monkeypatch):
    import io

    from PIL import Image

    from services.materials.files import attach

    if not db_url.startswith("sqlite"):
        pytest.skip("the file check is the same on both databases; once is enough")
    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", str(tmp_path / "source-files"))
    source = App.open(db_url)
    run_demo(source, candidates=2, materials=False)
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (90, 80, 70)).save(buf, "JPEG")
    attach(source, 1, buf.getvalue(), "申请书.jpg", actor="书记", material="application_letter")
    source.close()
    backup(db_url, tmp_path / "pf.pfbackup", now=NOW)
    damaged = tmp_path / "damaged.pfbackup"
    with zipfile.ZipFile(tmp_path / "pf.pfbackup") as z, zipfile.ZipFile(damaged, "w") as out:
        for item in z.infolist():
            data = z.read(item.filename)
            out.writestr(item, data[:-1] + b"x" if item.filename.startswith("files/") else data)
    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", str(tmp_path / "restored-files"))
    assert "材料文件已损坏" in _refused(restore, f"sqlite:///{tmp_path / 'r.db'}", damaged)
