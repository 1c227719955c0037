"""An upload over the size limit (issue 18 review). Through the page's form it comes back on the
candidate page, in the 材料 section, with one Chinese sentence and the chosen material, date and
note kept — whether the body fits the read cap (20 MB + 10 KB) or not (25 MB, which the body cap
drains without storing); the message names the limit and a rounded real size, never the bytes the
server happened to read (「20.000001 MB」). The JSON API answers 413 with {ok: false, message}."""
from __future__ import annotations

import pytest

from services.materials.completeness import completeness_view

CONCLUSION = "political_review_conclusion"
MB = 2**20
BOUNDARY = "----pfboundary7MA4YWxkTrZu0gW"


@pytest.fixture(autouse=True)
def _objects(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", "file://" + str(tmp_path / "objects"))


def _form(fields: list[tuple[str, str | tuple[str, bytes]]]) -> tuple[bytes, dict]:
    """A multipart body in the order given (a browser sends the form's fields in page order: the
    file inputs come before 材料日期 and 备注)."""
    out = bytearray()
    for name, value in fields:
        out += f"--{BOUNDARY}\r\n".encode()
        if isinstance(value, tuple):
            out += (f'Content-Disposition: form-data; name="{name}"; filename="{value[0]}"\r\n'
                    f"Content-Type: application/octet-stream\r\n\r\n").encode() + value[1] + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out), {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def _page_upload(client, cid: int, size: int):
    body, headers = _form([("csrf_token", client.csrf()), ("material", CONCLUSION), ("file", ("", b"")),
                           ("file", ("政审结论.jpg", b"\xff\xd8\xff" + b"\0" * (size - 3))),
                           ("document_date", "2020-05-06"), ("note", "第二页，盖章版")])
    return client.post(f"/candidates/{cid}/materials", content=body, headers=headers, follow_redirects=False)


def _files(app, cid: int) -> int:
    view = completeness_view(app, cid)
    return sum(len(m["files"]) for s in view["steps"] for m in s["materials"]) + len(view["other_files"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("size", "shown"), [(20 * MB + 10 * 1024, "20.01 MB"), (25 * MB, "25 MB")],
                         ids=["within-the-read-cap", "over-the-body-cap"])
def test_an_oversized_file_comes_back_on_the_candidate_page_with_the_typed_fields(app, world, login, size, shown):
    sec = login("sec")
    r = _page_upload(sec, world.review, size)
    assert r.status_code == 400, r.text[:500]
    text = r.text
    assert f"文件“政审结论.jpg”大小为 {shown}，超过单个文件 20 MB 的上限，不能上传" in text
    assert "20.000001" not in text and "返回首页" not in text
    assert 'id="materials"' in text or "材料" in text
    assert 'value="2020-05-06"' in text and 'value="第二页，盖章版"' in text  # the typed date and note
    assert 'role="alert"' in text  # next to the chosen material's form
    assert _files(app, world.review) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("size", "shown"), [(20 * MB + 10 * 1024, "20.01 MB"), (25 * MB, None)],
                         ids=["within-the-read-cap", "over-the-body-cap"])
def test_the_api_answers_413_in_chinese(app, world, login, size, shown):
    sec = login("sec")
    token = sec.get("/api/me").json()["csrf_token"]
    body, headers = _form([("material", CONCLUSION), ("file", ("政审结论.jpg", b"\xff\xd8\xff" + b"\0" * (size - 3)))])
    r = sec.post(f"/api/candidates/{world.review}/materials", content=body, headers={**headers, "X-CSRF-Token": token})
    assert r.status_code == 413
    answer = r.json()
    assert answer["ok"] is False and "20 MB 的上限" in answer["message"] and "20.000001" not in answer["message"]
    if shown:
        assert f"大小为 {shown}" in answer["message"] and "政审结论.jpg" in answer["message"]
    assert _files(app, world.review) == 0
