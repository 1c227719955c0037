"""材料 services on SQLite and PostgreSQL, with the local-directory store and the S3-compatible one
(moto's server on 127.0.0.1, started by the tests): attach → completeness → download → remove, the
same bytes stored once, two app processes sharing one bucket, the township's blocking material as
a guard, the ZIP and the missing list."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from PIL import Image

from engine.errors import DomainError
from services.casework import candidates as uc
from services.app import SHANGHAI, App
from services.organisation.directory import set_material_list
from services.materials.archive import archive_zip, missing_rows
from services.materials.completeness import completeness_view, for_rows
from services.materials.files import already_filed_message, attach, attachments, download, remove
from tests.integration.test_document_facts import TIMELINE, _evidence, place, walk  # noqa: F401 (fixture)


def _jpeg(colour=(120, 130, 140)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(params=["local", "s3"])
def store(request, app, tmp_path):
    """The app's object store: a directory, or a fresh bucket on the test S3 server."""
    if request.param == "s3":
        server = request.getfixturevalue("s3_server")
        app._objects = server.store(server.new_bucket())
    else:
        from storage.objects import LocalDirectoryStore

        app._objects = LocalDirectoryStore(tmp_path / "files")
    return request.param


def test_attach_complete_download_remove(app, place, store):
    cid = walk(app, place, until="target_selection")
    before = completeness_view(app, cid)
    assert not before["complete"] and "入党申请书" in {m["name"] for m in before["missing"]}
    photo = _jpeg()
    a = attach(app, cid, photo, "../../申请书.jpg", actor="书记", material="application_letter")
    assert a["filename"] == "申请书.jpg" and a["already_filed"] is False  # a safe display name
    again = attach(app, cid, photo, "again.jpg", actor="书记", material="入党申请书")  # a retried upload
    assert again["already_filed"] is True and again["id"] == a["id"] and again["filename"] == "申请书.jpg"
    assert already_filed_message(again).startswith("已上传过同一文件：入党申请书（申请书.jpg，书记 ")
    assert already_filed_message(again).endswith(" 上传），这次没有重复保存")
    b = attach(app, cid, _jpeg((9, 9, 9)), "again.jpg", actor="书记", material="入党申请书")  # another page
    assert b["already_filed"] is False and b["id"] != a["id"]
    view = completeness_view(app, cid)
    assert "入党申请书" not in {m["name"] for m in view["missing"]} and view["percent"] > before["percent"]
    name, ctype, data = download(app, a["id"], actor="乡组织委员")
    assert ctype == "image/jpeg" and data[:2] == b"\xff\xd8" and name == "申请书.jpg"
    assert download(app, a["id"], actor="乡组织委员", thumbnail=True)[2][:2] == b"\xff\xd8"
    remove(app, a["id"], actor="书记", reason="重复")
    remove(app, b["id"], actor="书记", reason="拍错")
    assert "入党申请书" in {m["name"] for m in completeness_view(app, cid)["missing"]}
    assert [x["removed"] for x in attachments(app, cid, with_removed=True)] == [True, True]
    assert app.objects.exists(f"sha256/{a['sha256'][:2]}/{a['sha256'][2:4]}/{a['sha256']}")  # kept
    with app.uow(read_only=True) as uow:
        actions = [r.action for r in uow.audit.list(limit=None)]
    assert actions.count("material.attach") == 2 and actions.count("material.remove") == 2
    assert actions.count("material.download") == 1  # the thumbnail is not a download


def test_two_app_processes_share_one_bucket(app, place, s3_server, db_url):
    bucket = s3_server.new_bucket()
    app._objects = s3_server.store(bucket)
    cid = walk(app, place, until="activist_selection")
    a = attach(app, cid, _jpeg((1, 2, 3)), "谈话.jpg", actor="书记", material="first_talk_record")
    other = App.open(db_url, migrate=False)
    try:
        other._objects = s3_server.store(bucket)
        assert download(other, a["id"], actor="县委")[2] == app.objects.get(
            f"sha256/{a['sha256'][:2]}/{a['sha256'][2:4]}/{a['sha256']}")
    finally:
        other.close()


def test_a_blocking_material_is_a_guard_until_it_is_on_file(app, place, tmp_path):
    from storage.objects import LocalDirectoryStore

    app._objects = LocalDirectoryStore(tmp_path / "files")
    with app.uow() as uow:
        town = uow.orgs.get(uow.orgs.get(place["branch"]).parent_id)
    set_material_list(app, town.code, "nanchuan_thought_reports")
    cid = walk(app, place, until="pre_review")
    ev = _evidence(app, place, "pre_review", TIMELINE["pre_review"])
    for preview in (True, False):
        with pytest.raises(DomainError) as refused:
            uc.complete_step(app, cid, "pre_review", occurred_on=TIMELINE["pre_review"], actor="乡", evidence=ev,
                             preview=preview)
        v = refused.value.violations[0]
        assert v.code == "material.missing" and "政治审查结论" in v.message
    attach(app, cid, _jpeg(), "政审.jpg", actor="书记", material="political_review_conclusion")
    assert uc.complete_step(app, cid, "pre_review", occurred_on=TIMELINE["pre_review"], actor="乡", evidence=ev).version


def test_queue_completeness_archive_and_missing_list(app, place, tmp_path):
    from storage.objects import LocalDirectoryStore

    app._objects = LocalDirectoryStore(tmp_path / "files")
    cid = walk(app, place, until="target_selection")
    attach(app, cid, _jpeg(), "申请书.jpg", actor="书记", material="application_letter")
    with app.uow(read_only=True) as uow:
        row = uow.candidates.get(cid)
        done = for_rows(app, uow, [row])[cid]
    assert not done.complete and "入党申请书" not in {m.name for m in done.missing_required}
    mine = next(r for r in missing_rows(app, None) if r["candidate_id"] == cid)
    assert mine["name"] == "张秀英" and "谈话记录" in mine["missing"]
    name, data = archive_zip(app, cid, actor="乡组织委员")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert name.startswith("张秀英-") and names[0].startswith("00-") and names[1].startswith("01-入党申请书-")


def test_refusals_change_nothing(app, place, tmp_path):
    from storage.objects import LocalDirectoryStore

    app._objects = LocalDirectoryStore(tmp_path / "files")
    cid = walk(app, place, until="activist_selection")
    for data, name, material, words in (
        (b"MZ" + b"\0" * 300, "x.jpg", "application_letter", "不是"),
        (_jpeg(), "x.jpg", "conversion_letter", "尚未开始"),
        (_jpeg(), "x.jpg", "no_such", "材料清单中没有"),
    ):
        with pytest.raises(DomainError) as refused:
            attach(app, cid, data, name, actor="书记", material=material)
        assert words in refused.value.violations[0].message
    assert attachments(app, cid, with_removed=True) == []
    assert not (tmp_path / "files").exists() or not any(p.is_file() for p in (tmp_path / "files").rglob("*"))


def test_a_generated_form_is_dated_by_the_record_and_generating_it_again_replaces_it(app, place, tmp_path):
    """The 备案报告 generated after the 备案 is dated the day the 备案 was recorded, the 发展对象公示
    by its recorded start — not the day they are generated; 生成并附上 twice leaves one copy on
    file, the first marked removed with the reason (its row stays)."""
    from services.materials.generated import attach_generated
    from storage.objects import LocalDirectoryStore
    from tests.integration.test_document_facts import TIMELINE as T

    app._objects = LocalDirectoryStore(tmp_path / "files")
    cid = walk(app, place, until="political_review")
    app.clock = lambda: datetime(2018, 6, 30, 10, tzinfo=SHANGHAI)  # generated long after
    report = attach_generated(app, cid, "activist_filing_report", actor="书记")
    assert report["document_date"] == T["activist_filing"].isoformat()
    notice = attach_generated(app, cid, "target_notice", actor="书记")
    with app.uow(read_only=True) as uow:
        target = next(e for e in uc.load_history(uow, cid) if e.step == "target_selection").evidence
    assert notice["document_date"] == target["notice_start"] != "2018-06-30"
    again = attach_generated(app, cid, "activist_filing_report", actor="书记")
    files = [f for f in attachments(app, cid, with_removed=True) if f["material"] == "activist_filing_report"]
    if again["sha256"] == report["sha256"]:  # the same bytes (the file's zip stamps fell in the same second):
        assert again["already_filed"] and again["id"] == report["id"]  # the copy on file is kept, nothing written
        assert [(f["id"], f["removed"]) for f in files] == [(report["id"], False)]
        return
    assert [(f["id"], f["removed"]) for f in files] == [(report["id"], True), (again["id"], False)]
    assert files[0]["removed_reason"] == "已由重新生成的文书代替"
    view = completeness_view(app, cid)
    live = [f for s in view["steps"] for m in s["materials"] if m["id"] == "activist_filing_report" for f in m["files"]]
    assert [f["id"] for f in live if not f.get("removed")] == [again["id"]]
