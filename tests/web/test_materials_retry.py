"""A retried upload (a phone on a flaky connection sends the same photo again, a double tap) on the
candidate page and the JSON API, on SQLite and PostgreSQL: the second is not an error and files
no second copy — the page says 已上传过同一文件 …，这次没有重复保存, the API returns the file on
record with `already_filed`. Nothing is written by the retry (one row, one audit row)."""
from __future__ import annotations

import io

import pytest

from tests.support.upload_samples import phone_jpeg
from tests.web.test_materials_web import CONCLUSION, CONCLUSION_NAME, _actions, _files, _upload


@pytest.fixture(autouse=True)
def _objects(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", "file://" + str(tmp_path / "objects"))


def test_the_page_keeps_one_copy_and_says_so(app, world, login):
    sec = login("sec")
    cid = world.review
    photo = phone_jpeg()
    first = _upload(sec, cid, photo, "IMG_0001.jpg", document_date="2025-06-01")
    assert first.status_code == 303
    again = _upload(sec, cid, photo, "IMG_0001.jpg", document_date="2025-06-01")
    assert again.status_code == 303 and again.headers["location"] == f"/candidates/{cid}#m-{CONCLUSION}"
    [f] = _files(app, cid)
    page = sec.get(f"/candidates/{cid}").text
    assert f"已上传过同一文件：{CONCLUSION_NAME}（{f['filename']}，用户sec（sec） " in page
    assert "这次没有重复保存" in page and "已上传：" not in page
    assert _actions(app, cid) == ["material.attach"]


def test_the_api_returns_the_file_on_record(app, world, login):
    sec = login("sec")
    token = sec.get("/api/me").json()["csrf_token"]
    cid = world.review
    photo = phone_jpeg()

    def post():
        return sec.post(f"/api/candidates/{cid}/materials", data={"material": CONCLUSION},
                        headers={"X-CSRF-Token": token}, files={"file": ("a.jpg", io.BytesIO(photo), "image/jpeg")})

    one, two = post(), post()
    assert one.status_code == two.status_code == 200
    assert one.json()["already_filed"] is False and "message" not in one.json()
    body = two.json()
    assert body["ok"] and body["already_filed"] is True and body["attachment"]["id"] == one.json()["attachment"]["id"]
    assert body["message"].startswith("已上传过同一文件：") and body["message"].endswith("这次没有重复保存")
    assert len(_files(app, cid)) == 1 and _actions(app, cid) == ["material.attach"]
