"""The same file uploaded twice to the same material (a phone's retried upload, a double tap), on
SQLite and PostgreSQL: one row; the second upload gets the file on record, `already_filed`, and
nothing is written — also when both are sent at the same moment (threads held at a barrier after
their check, so only the database's unique index `uq_attachment_live_file` can tell them apart).
And the upgrade to 0015 of a database that already holds such copies. No sleeps."""
from __future__ import annotations

import io
import threading
from datetime import date, datetime

import pytest
from PIL import Image
from sqlalchemy import text

from services.materials.files import already_filed_message, attach, attachments, remove
from storage.db import make_engine, upgrade
from storage.repositories.attachments import AttachmentRepo
from tests.integration.test_document_facts import place, walk  # noqa: F401 (fixture)

TIMEOUT = 30


def _jpeg(colour=(120, 130, 140)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def files(app, tmp_path):
    from storage.objects import LocalDirectoryStore

    app._objects = LocalDirectoryStore(tmp_path / "files")


def _audited(app) -> int:
    with app.uow(read_only=True) as uow:
        return [r.action for r in uow.audit.list(limit=None)].count("material.attach")


def test_a_retried_upload_returns_the_file_on_record(app, place, files):
    cid = walk(app, place, until="target_selection")
    photo = _jpeg()
    first = attach(app, cid, photo, "申请书.jpg", actor="书记", material="application_letter")
    again = attach(app, cid, photo, "IMG_0001.jpg", actor="书记", material="application_letter", note="重试")
    assert first["already_filed"] is False and again["already_filed"] is True
    assert again["id"] == first["id"] and again["filename"] == "申请书.jpg" and again["note"] is None
    assert "已上传过同一文件：入党申请书（申请书.jpg，书记 " in already_filed_message(again)
    assert [f["id"] for f in attachments(app, cid)] == [first["id"]] and _audited(app) == 1
    other = attach(app, cid, photo, "申请书.jpg", actor="书记", material="first_talk_record")  # another material
    assert other["already_filed"] is False
    remove(app, first["id"], actor="书记", reason="拍错")  # a removed copy no longer counts: filed anew
    anew = attach(app, cid, photo, "申请书.jpg", actor="书记", material="application_letter")
    assert anew["already_filed"] is False and anew["id"] not in (first["id"], other["id"])
    assert _audited(app) == 3


def test_two_uploads_of_one_file_at_once_file_it_once(app, place, files, monkeypatch):
    cid = walk(app, place, until="target_selection")
    met = threading.Barrier(2, timeout=TIMEOUT)
    waited = threading.local()
    look = AttachmentRepo.live_copy

    def held(self, *a):  # both have looked and found nothing before either writes
        found = look(self, *a)
        if not getattr(waited, "done", False):
            waited.done = True
            met.wait()
        return found

    monkeypatch.setattr(AttachmentRepo, "live_copy", held)
    photo = _jpeg((10, 20, 30))
    out: list = [None, None]

    def upload(i):
        try:
            out[i] = attach(app, cid, photo, f"拍照{i}.jpg", actor="书记", material="application_letter")
        except Exception as e:  # noqa: BLE001 - the test looks at it
            out[i] = e

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive()
    assert all(isinstance(r, dict) for r in out), out
    assert sorted(r["already_filed"] for r in out) == [False, True]
    assert out[0]["id"] == out[1]["id"]
    assert len(attachments(app, cid, with_removed=True)) == 1 and _audited(app) == 1


def test_upgrade_marks_copies_filed_twice_removed(db_url):
    """A database with the same file filed twice (and thrice) for one material upgrades: the
    earliest copy stays, the later ones are marked removed with the reason, rows and bytes kept."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0014")
        now = datetime(2026, 1, 1)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO organisation (id, code, name, level, kind, created_at) "
                              "VALUES (1, 'b', '贺丰村党支部', 'branch', 'rural', :t)"), {"t": now})
            conn.execute(text("INSERT INTO person (id, name, gender, birth_date, created_at) "
                              "VALUES (1, '张三', '男', :d, :t)"), {"d": date(1990, 1, 1), "t": now})
            conn.execute(text("INSERT INTO candidate (id, person_id, branch_id, definition_key, stage, state, "
                              "applied_on, updated_at) VALUES (1, 1, 1, 'cpc_2014@1', 'applicant', '{}', :d, :t)"),
                         {"d": date(2025, 1, 1), "t": now})
            for i, (step, material, sha, removed) in enumerate([
                    ("application", "application_letter", "a" * 64, False),
                    ("application", "application_letter", "a" * 64, False),  # a copy
                    ("application", "application_letter", "a" * 64, False),  # another copy
                    ("application", "application_letter", "b" * 64, False),  # another page
                    (None, None, "c" * 64, False), (None, None, "c" * 64, False),  # 其他材料, twice
                    ("application", "application_letter", "d" * 64, True),  # removed, and a live one
                    ("application", "application_letter", "d" * 64, False)], start=1):
                conn.execute(text(
                    "INSERT INTO attachment (id, candidate_id, step, material, source, sha256, object_key, size, "
                    "content_type, file_kind, filename, uploaded_by, uploaded_at, removed_at) VALUES (:id, 1, :step, "
                    ":material, 'upload', :sha, :sha, 1, 'image/jpeg', 'image', 'x.jpg', '书记', :t, :removed)"),
                    {"id": i, "step": step, "material": material, "sha": sha, "t": now,
                     "removed": now if removed else None})
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, removed_at IS NOT NULL, removed_reason FROM attachment "
                                     "ORDER BY id")).all()
        assert [r[0] for r in rows if r[1]] == [2, 3, 6, 7]  # 7 was removed before
        assert {r[2] for r in rows if r[0] in (2, 3, 6)} == {
            "重复上传的同一文件（同一候选人、同一材料、内容相同），升级时自动移除，保留最早上传的一份"}
        with pytest.raises(Exception) as refused, engine.begin() as conn:  # the index holds from now on
            conn.execute(text(
                "INSERT INTO attachment (id, candidate_id, step, material, source, sha256, object_key, size, "
                "content_type, file_kind, filename, uploaded_by, uploaded_at) VALUES (100, 1, 'application', "
                "'application_letter', 'upload', :sha, :sha, 1, 'image/jpeg', 'image', 'x.jpg', '书记', :t)"),
                {"sha": "a" * 64, "t": now})
        assert "uq_attachment_live_file" in str(refused.value)
    finally:
        engine.dispose()
