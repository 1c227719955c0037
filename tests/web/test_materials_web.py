"""材料 in the web and the JSON API (issue 18, parts 3 and 6), on SQLite and PostgreSQL.

The candidate page's 材料 section (upload from the phone form, download, remove with a reason,
generate a 文书 and attach it), the audit rows each of those writes, the 缺少材料 badge in the
township's queue and the secretary's 待办, the missing-materials Excel, the 档案 ZIP, and a step
refused for a blocking material pointing to the 材料 section.
"""
from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from PIL import Image

from services.integrity.audit_log import entries
from services.organisation.directory import set_material_list
from services.materials.completeness import completeness_view
from services.materials.files import attach
from tests.support.upload_samples import docx, phone_jpeg

CONCLUSION = "political_review_conclusion"
CONCLUSION_NAME = "政治审查结论（政审材料）"


@pytest.fixture(autouse=True)
def _objects(tmp_path, monkeypatch):
    """Each test its own object store (the files of one database only)."""
    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", "file://" + str(tmp_path / "objects"))


def _upload(c, cid: int, data: bytes, name: str, material: str | None = CONCLUSION, **fields):
    form = {"csrf_token": c.csrf(), **({"material": material} if material else {}), **fields}
    return c.post(f"/candidates/{cid}/materials", data=form,
                  files={"file": (name, io.BytesIO(data), "application/octet-stream")}, follow_redirects=False)


def _files(app, cid: int) -> list[dict]:
    view = completeness_view(app, cid)
    return [f for s in view["steps"] for m in s["materials"] for f in m["files"]] + view["other_files"]


def _actions(app, cid: int) -> list[str]:
    return [e["action"] for e in entries(app, target_kind="candidate", target_id=cid) if e["action"].startswith("material.")]


def _disposition(r) -> str:
    cd = r.headers["content-disposition"]
    assert cd.startswith("attachment;") and r.headers["x-content-type-options"] == "nosniff", r.headers
    return unquote(re.search(r"filename\*=UTF-8''([^;]+)", cd)[1])


def test_upload_download_remove_round_trip_with_audit(app, world, login):
    sec = login("sec")
    cid = world.review
    page = sec.get(f"/candidates/{cid}").text
    assert "材料" in page and "缺少" in page and CONCLUSION_NAME in page
    assert 'capture="environment"' in page and 'accept="image/*,application/pdf,.docx"' in page
    assert "导出档案（ZIP）" in page

    r = _upload(sec, cid, phone_jpeg(), "IMG_0001.jpg", document_date="2025-06-01", note="县公安局出具")
    assert r.status_code == 303 and r.headers["location"] == f"/candidates/{cid}#m-{CONCLUSION}", r.text
    [f] = _files(app, cid)
    assert (f["material"], f["document_date"], f["note"], f["has_thumbnail"]) == (CONCLUSION, "2025-06-01", "县公安局出具", True)
    page = sec.get(f"/candidates/{cid}").text
    assert f"已上传：{CONCLUSION_NAME}（{f['filename']}）" in page  # the flash
    assert f'/attachments/{f["id"]}/thumbnail' in page and "县公安局出具" in page and "用户sec（sec）" in page

    got = sec.get(f"/attachments/{f['id']}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert _disposition(got) == f["filename"]
    shown = Image.open(io.BytesIO(got.content))
    assert shown.format == "JPEG" and not shown.getexif().get_ifd(0x8825)  # the GPS position is gone
    thumb = sec.get(f"/attachments/{f['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320

    # removal: a reason is required (the form again, the message next to it), then the file leaves the count
    url = f"/candidates/{cid}/attachments/{f['id']}/remove"
    r = sec.form(url, {"reason": "  "})
    assert r.status_code == 400 and "移除文件须填写原因" in r.text and 'role="alert"' in r.text
    assert not _files(app, cid)[0]["removed"]
    r = sec.form(url, {"reason": "照片模糊，重新拍摄"})
    assert r.status_code == 303 and r.headers["location"] == f"/candidates/{cid}#m-{CONCLUSION}"
    assert _files(app, cid) == []
    assert completeness_view(app, cid)["steps"]  # still listed, as missing again
    assert sec.form(url, {"reason": "再移除一次"}).status_code == 422  # already removed: a rule

    # one audit row per upload, download and removal; the thumbnail the page shows is none
    assert sorted(_actions(app, cid)) == ["material.attach", "material.download", "material.remove"]
    removal = next(e for e in entries(app, target_kind="candidate", target_id=cid) if e["action"] == "material.remove")
    assert removal["username"] == "sec" and removal["detail"]["reason"] == "照片模糊，重新拍摄"


def test_refused_uploads_come_back_next_to_their_form_and_store_nothing(app, world, login):
    sec = login("sec")
    cid = world.review
    cases = [
        (b"MZ" + b"\0" * 200, "结论.jpg", "不是 JPEG"),  # a renamed executable
        (b"", "空.jpg", "空文件"),
        (phone_jpeg(), "../../etc/passwd.jpg", None),  # a path in the name: stored under a plain name
    ]
    for data, name, message in cases[:2]:
        r = _upload(sec, cid, data, name, note="备注保留")
        assert r.status_code == 400 and message in r.text, r.text[-600:]
        assert 'value="备注保留"' in r.text and 'role="alert"' in r.text
    assert _files(app, cid) == []
    r = _upload(sec, cid, *cases[2][:2])
    assert r.status_code == 303
    [f] = _files(app, cid)
    assert "/" not in f["filename"] and ".." not in f["filename"]
    # no file chosen; a date in the future; a material of another list
    r = sec.post(f"/candidates/{cid}/materials", data={"csrf_token": sec.csrf(), "material": CONCLUSION},
                 follow_redirects=False)
    assert r.status_code == 400 and "请选择要上传的文件" in r.text
    r = _upload(sec, cid, phone_jpeg(), "a.jpg", document_date="2030-01-01")
    assert r.status_code == 400 and "晚于今天" in r.text
    r = _upload(sec, cid, phone_jpeg(), "a.jpg", document_date="去年")
    assert r.status_code == 400 and "材料日期" in r.text
    r = _upload(sec, cid, phone_jpeg(), "a.jpg", material="no_such_material")
    assert r.status_code == 422 and "没有“no_such_material”" in r.text
    assert len(_files(app, cid)) == 1


def test_a_file_of_the_candidate_as_a_whole(app, world, login):
    sec = login("sec")
    r = _upload(sec, world.review, docx(), "补充说明.docx", material=None)
    assert r.status_code == 303 and r.headers["location"].endswith("#m-other")
    view = completeness_view(app, world.review)
    assert [f["filename"] for f in view["other_files"]] == ["补充说明.docx"]
    got = sec.get(f"/attachments/{view['other_files'][0]['id']}")
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats") and _disposition(got) == "补充说明.docx"


def _badge(html: str, name: str) -> str:
    """The queue card or 待办 item of `name` (its text up to the next card or item)."""
    start = html.index(name)
    end = min(i for i in (html.find("</section>", start), html.find("</li>", start), len(html)) if i != -1)
    return html[start:end]


def _fill_missing(app, cid: int, *, but: str | None = None) -> None:
    """Every required material due but `but`, uploaded through the service."""
    for m in completeness_view(app, cid)["missing"]:
        if m["id"] != but:
            attach(app, cid, phone_jpeg(size=(300, 200)), f"{m['name']}.jpg", actor="测试", material=m["id"])


def test_queue_and_todo_name_what_is_missing_blocking_first(app, world, login):
    set_material_list(app, "t", "nanchuan_thought_reports")  # 政审结论 blocks 预审 in this township
    town, sec = login("town"), login("sec")
    card = _badge(town.get("/queue").text, "王芳")  # world.review: 预审 is the township's next step
    assert "缺少材料" in card and CONCLUSION_NAME in card and "缺少时不能办理" in card
    names = re.search(r"缺少材料 \d+ 项</span>(.*?)<a", card, re.S)[1]
    assert names.strip().startswith(CONCLUSION_NAME)  # the blocking one first
    assert "缺少材料" in _badge(sec.get("/").text, "王芳")

    _fill_missing(app, world.review, but=CONCLUSION)
    card = _badge(town.get("/queue").text, "王芳")
    assert "缺少材料 1 项" in card and CONCLUSION_NAME in card
    _upload(sec, world.review, phone_jpeg(), "政审.jpg")
    assert "缺少材料" not in _badge(town.get("/queue").text, "王芳")
    assert "缺少材料" not in _badge(sec.get("/").text, "王芳")
    page = town.get(f"/candidates/{world.review}").text
    assert "必需材料齐全" in page and "必需材料已齐 100%" in page


def test_a_blocking_material_refuses_the_approval_and_points_to_the_materials(app, world, login):
    set_material_list(app, "t", "nanchuan_thought_reports")
    town = login("town")
    form = {"candidate_id": str(world.review), "step": "pre_review", "occurred_on": "2026-11-20",
            "f.result": "预审合格", "doc_no": ""}
    r = town.form("/queue/approve", form)
    assert r.status_code == 422 and CONCLUSION_NAME in r.text, r.text[-800:]
    # the 政审 conclusion is the branch's to upload: the township is offered 退回, not an upload it would be refused
    assert f'href="/candidates/{world.review}#thread"' in r.text and "退回党支部补充材料" in r.text
    assert "去上传材料" not in r.text
    _upload(login("sec"), world.review, phone_jpeg(), "政审.jpg")
    r = town.form("/queue/approve", form)
    assert r.status_code == 200 and "请确认将记录的内容" in r.text


def test_missing_materials_excel_for_the_users_scope(app, world, login):
    town = login("town")
    r = town.get("/materials/missing.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert _disposition(r).endswith(".xlsx") and "缺少材料清单" in _disposition(r)
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    names = {row[1] for row in cells[2:]}
    assert {"王芳", "赵敏"} <= names and "孙丽" not in names  # b2's candidate yes, the other township's no
    assert any(e["action"] == "material.missing_list" and e["username"] == "town" for e in entries(app))
    # a secretary: their branch only; a foreign or unknown organisation
    sec = login("sec")
    names = {row[1] for row in load_workbook(io.BytesIO(sec.get("/materials/missing.xlsx").content)).active
             .iter_rows(min_row=3, values_only=True)}
    assert "王芳" in names and "赵敏" not in names
    assert sec.get(f"/materials/missing.xlsx?org={world.township}").status_code == 403
    assert town.get(f"/materials/missing.xlsx?org={world.other_township}").status_code == 403
    assert town.get("/materials/missing.xlsx?org=999999").status_code == 404
    assert town.get("/materials/missing.xlsx?org=abc").status_code == 404
    assert "导出缺少材料清单（Excel）" in town.get("/queue").text and "导出缺少材料清单（Excel）" in sec.get("/").text


def test_archive_zip_and_generated_document(app, world, login):
    sec = login("sec")
    cid = world.review
    _upload(sec, cid, phone_jpeg(), "政审.jpg")
    # 发展对象公示 stands in for its material: generated from the record and attached in one action
    r = sec.form(f"/candidates/{cid}/documents/target_notice/attach", {})
    assert r.status_code == 303 and r.headers["location"] == f"/candidates/{cid}#m-target_notice", r.text
    view = completeness_view(app, cid)
    status = {m["id"]: m["status"] for s in view["steps"] for m in s["materials"]}
    assert status["target_notice"] == "generated" and status[CONCLUSION] == "present"
    doc = sec.get(f"/candidates/{cid}/documents/target_notice")
    assert doc.status_code == 200 and _disposition(doc).endswith("发展对象公示.docx")
    assert doc.content[:2] == b"PK"

    z = sec.get(f"/candidates/{cid}/archive.zip")
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip" and _disposition(z).endswith(".zip")
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert names[0].startswith("00-") and "档案目录" in names[0]
    assert any(CONCLUSION_NAME.split("（")[0] in n and n.endswith(".jpg") for n in names[1:]), names
    assert {"material.attach", "material.archive", "material.document"} <= set(_actions(app, cid))


def test_json_api_round_trip(app, world, login):
    sec = login("sec")
    token = sec.get("/api/me").json()["csrf_token"]
    cid = world.review
    view = sec.get(f"/api/candidates/{cid}/materials").json()
    assert {"complete", "percent", "missing", "steps", "other_files"} <= set(view)
    assert any(m["id"] == CONCLUSION for m in view["missing"])

    def post(data: bytes, name: str, headers=None, **fields):
        headers = {"X-CSRF-Token": token} if headers is None else headers
        return sec.post(f"/api/candidates/{cid}/materials", data=fields, headers=headers,
                        files={"file": (name, io.BytesIO(data), "image/jpeg")})

    assert post(phone_jpeg(), "a.jpg", headers={}, material=CONCLUSION).status_code == 403  # no CSRF token
    bad = post(b"MZ" + b"\0" * 100, "a.jpg", material=CONCLUSION)
    assert bad.status_code == 422 and bad.json()["ok"] is False and "不是" in bad.json()["message"]
    r = post(phone_jpeg(), "政审结论.jpg", material=CONCLUSION, document_date="2025-06-01", note="原件已存档")
    assert r.status_code == 200 and r.json()["ok"], r.text
    att = r.json()["attachment"]
    assert (att["material"], att["note"], att["document_date"]) == (CONCLUSION, "原件已存档", "2025-06-01")
    got = sec.get(f"/api/attachments/{att['id']}")
    assert got.status_code == 200 and got.content[:3] == b"\xff\xd8\xff" and _disposition(got) == att["filename"]
    assert sec.get(f"/api/attachments/{att['id']}/thumbnail").headers["content-type"] == "image/jpeg"
    r = sec.post(f"/api/attachments/{att['id']}/remove", json={"reason": ""}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "原因" in r.json()["message"]
    r = sec.post(f"/api/attachments/{att['id']}/remove", json={"reason": "传错了"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["attachment"]["removed"] is True
    r = sec.post(f"/api/candidates/{cid}/documents/target_notice?attach=1", headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["attachment"]["source"] == "generated", r.text
    r = sec.post(f"/api/candidates/{cid}/documents/activist_filing_report?attach=1", headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text  # a township step's material the branch writes (by: branch)
    r = post(phone_jpeg(), "预审批复.jpg", material="pre_review_reply")
    assert r.status_code == 403 and "乡镇党委" in r.json()["message"]  # the township's own reply
    doc = sec.get(f"/api/candidates/{cid}/documents/activist_filing_report")
    assert doc.status_code == 200 and _disposition(doc).endswith(".docx")
    unknown = sec.get(f"/api/candidates/{cid}/documents/no_such_form")
    assert unknown.status_code == 422 and "没有" in unknown.json()["message"]
    assert sec.get(f"/api/candidates/{cid}/archive.zip").content[:2] == b"PK"
    assert sec.get("/api/materials/missing.xlsx").content[:2] == b"PK"
    assert sec.get("/api/attachments/999999").status_code == 404
    assert sorted(set(_actions(app, cid))) == ["material.archive", "material.attach", "material.document",
                                               "material.download", "material.remove"]


def test_admin_chooses_a_townships_material_list(app, world, login):
    admin = login("admin")
    page = admin.get("/admin/orgs").text
    assert "材料清单" in page and "南川乡：每季度思想汇报" in page
    r = admin.form(f"/admin/orgs/{world.township}/material-list", {"material_list": "nanchuan_thought_reports"})
    assert r.status_code == 303
    assert "缺少时不能办理" in login("town").get(f"/candidates/{world.review}").text
    assert any(e["action"] == "org.material_list" for e in entries(app))
    r = admin.form(f"/admin/orgs/{world.b1}/material-list", {"material_list": "nanchuan_thought_reports"})
    assert r.status_code == 400 and "党支部不能单独设置" in r.text
    r = admin.form(f"/admin/orgs/{world.township}/material-list", {"material_list": "no_such_list"})
    assert r.status_code == 400 and "找不到材料清单" in r.text
    assert admin.form(f"/admin/orgs/{world.township}/material-list", {"material_list": ""}).status_code == 303
    assert "缺少时不能办理" not in login("town").get(f"/candidates/{world.review}").text
    assert login("town").form(f"/admin/orgs/{world.township}/material-list", {"material_list": ""}).status_code == 403


def test_submitting_with_a_blocking_material_missing_says_so_before_and_after(app, world, login):
    """报送 goes up whatever is on file, but the secretary is told what the township's 预审 will refuse
    without: in the 报送 form (candidate page) and, once sent, in the page's notice."""
    set_material_list(app, "t", "nanchuan_thought_reports")
    sec = login("sec")
    page = sec.get(f"/candidates/{world.review}").text
    form = page.split(f'action="/candidates/{world.review}/submit/pre_review"', 1)[1].split("</form>", 1)[0]
    assert "乡镇党委要求先上传" in form and CONCLUSION_NAME in form
    r = sec.form(f"/candidates/{world.review}/submit/pre_review", {"note": "", "back": "candidate"})
    shown = sec.get(f"/candidates/{world.review}").text if r.status_code in (302, 303) else r.text
    assert "已报送" in shown and "现在报送，乡镇党委将不能同意" in shown and CONCLUSION_NAME in shown
