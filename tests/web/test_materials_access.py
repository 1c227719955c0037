"""Who may see, upload, download and remove 材料 (pages and API), on SQLite and PostgreSQL; and the
upload body cap (a 100 MB body is refused without being read).

The secretary of b1 uploads for b1; a secretary of b2 (same township) and everyone outside get
403 for b1's files, an unknown file 404; the county viewer downloads but neither uploads nor
removes; the township officer uploads the township's own steps' materials (培训) but not the
branch's, and downloads everything under it.
"""
from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.materials.completeness import completeness_view
from services.materials.files import attach
from services.accounts.users import create_user
from tests.support.upload_samples import phone_jpeg
from tests.web.web_support import PASSWORD
from web.uploads import SLACK, too_large_message, upload_limit

CONCLUSION = "political_review_conclusion"  # branch step 政治审查
TRAINING = "training_certificate"  # township step 集中培训


@pytest.fixture(autouse=True)
def _objects(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTYFLOW_OBJECT_STORE", "file://" + str(tmp_path / "objects"))


@pytest.fixture
def other_secretary(app, world, users):
    """A secretary of 东王村 (b2): the same township as b1, another branch."""
    create_user(app, "sec2", "东王村书记", PASSWORD, [("branch_secretary", world.b2)])
    return "sec2"


@pytest.fixture
def file_id(app, world) -> int:
    return attach(app, world.review, phone_jpeg(size=(300, 200)), "政审.jpg", actor="测试", material=CONCLUSION)["id"]


def _upload(c, cid: int, material: str, api: bool = False):
    files = {"file": ("a.jpg", io.BytesIO(phone_jpeg(size=(300, 200))), "image/jpeg")}
    if api:
        token = c.get("/api/me").json()["csrf_token"]
        return c.post(f"/api/candidates/{cid}/materials", data={"material": material}, files=files,
                      headers={"X-CSRF-Token": token})
    return c.post(f"/candidates/{cid}/materials", data={"material": material, "csrf_token": c.csrf()}, files=files,
                  follow_redirects=False)


def _count(app, cid: int) -> int:
    view = completeness_view(app, cid)
    return sum(len(m["files"]) for s in view["steps"] for m in s["materials"]) + len(view["other_files"])


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_upload_scope(app, world, users, login, other_secretary, api):
    ok = 200 if api else 303
    expected = [  # (user, candidate, material, status)
        ("sec", world.review, CONCLUSION, ok),
        ("com", world.review, CONCLUSION, ok),  # the branch committee records the branch's steps too
        (other_secretary, world.review, CONCLUSION, 403),
        ("sec", world.b3_candidate, "application_letter", 403),
        ("county", world.review, CONCLUSION, 403),
        ("town", world.review, CONCLUSION, 403),  # a branch step's material is the branch's to upload
        ("town", world.review, TRAINING, ok),  # 集中培训 is the township's step
        ("sec", world.review, TRAINING, 403),
        ("admin", world.review, CONCLUSION, ok),
        ("sec", 999999, CONCLUSION, 404),
    ]
    for user, cid, material, status in expected:
        before = _count(app, world.review)
        r = _upload(login(user), cid, material, api)
        assert r.status_code == status, (user, cid, material, r.status_code, r.text[-300:])
        if status != ok:
            assert _count(app, world.review) == before
            if api:
                assert r.json()["ok"] is False and r.json()["message"]


def test_download_and_remove_scope(app, world, users, login, other_secretary, file_id):
    for user, status in [("sec", 200), ("com", 200), ("town", 200), ("county", 200), ("admin", 200),
                         (other_secretary, 403)]:
        c = login(user)
        for url in (f"/attachments/{file_id}", f"/attachments/{file_id}/thumbnail", f"/api/attachments/{file_id}",
                    f"/api/attachments/{file_id}/thumbnail", f"/api/candidates/{world.review}/materials",
                    f"/candidates/{world.review}/archive.zip"):
            assert c.get(url).status_code == status, (user, url)
    assert login("sec").get("/attachments/999999").status_code == 404
    assert login("sec").get("/api/attachments/0").status_code == 422  # not a file number
    # removal: the county viewer and a foreign secretary cannot; the file stays
    for user, status in [("county", 403), (other_secretary, 403), ("town", 403)]:
        c = login(user)
        r = c.form(f"/candidates/{world.review}/attachments/{file_id}/remove", {"reason": "不需要"})
        assert r.status_code == status, (user, r.status_code)
        token = c.get("/api/me").json()["csrf_token"]
        r = c.post(f"/api/attachments/{file_id}/remove", json={"reason": "不需要"}, headers={"X-CSRF-Token": token})
        assert r.status_code == status
    assert _count(app, world.review) == 1
    # the county viewer sees the files but no upload or removal form
    page = login("county").get(f"/candidates/{world.review}").text
    assert f"/attachments/{file_id}" in page and "确认移除" not in page and 'type="file"' not in page
    page = login("sec").get(f"/candidates/{world.review}").text
    assert "确认移除" in page and 'type="file"' in page


def test_missing_list_scope(app, world, users, login):
    assert login("county").get(f"/materials/missing.xlsx?org={world.county}").status_code == 200
    assert login("county").get(f"/api/materials/missing.xlsx?org={world.other_township}").status_code == 200
    assert login("sec").get(f"/api/materials/missing.xlsx?org={world.b2}").status_code == 403


def test_anonymous_gets_nothing(app, world, client, file_id):
    assert client.get(f"/attachments/{file_id}", follow_redirects=False).status_code == 303
    assert client.get(f"/api/attachments/{file_id}").status_code == 401


# -- the body cap: what the server reads of an oversized upload ------------------------------------

MB = 2**20


def _post_stream(web, path: str, total: int, declared: bool) -> tuple[int, int, bytes]:
    """POST `total` bytes of a multipart body in 1 MB chunks straight to the ASGI app; returns
    (status, bytes the app pulled, body)."""
    pulled = 0
    chunks = total // MB
    head = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n\r\n'

    async def receive():
        nonlocal pulled, chunks
        if chunks <= 0:
            return {"type": "http.request", "body": b"", "more_body": False}
        chunks -= 1
        body = head if pulled == 0 else b""
        body += b"\xff" * (MB - len(body))
        pulled += len(body)
        return {"type": "http.request", "body": body, "more_body": chunks > 0}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", b"multipart/form-data; boundary=x")]  # no token: the CSRF check reads the form
    if declared:
        headers.append((b"content-length", str(total).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    with ThreadPoolExecutor(1) as pool:  # a loop of its own (a browser test may hold this thread's)
        pool.submit(asyncio.run, web(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], pulled, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no database is reached
@pytest.mark.parametrize("path", ["/candidates/1/materials", "/api/candidates/1/materials"])
def test_a_100_mb_body_is_refused_without_being_read(web, path):
    cap = upload_limit() + SLACK
    status, pulled, body = _post_stream(web, path, 100 * MB, declared=False)
    assert status == 413 and too_large_message() in body.decode()
    assert pulled <= cap + MB  # stopped within a chunk of the cap, not after 100 MB
    status, pulled, body = _post_stream(web, path, 100 * MB, declared=True)
    assert status == 413 and pulled == 0 and too_large_message() in body.decode()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_just_over_the_limit_is_the_intakes_own_message(app, world, login):
    """A file just over the limit fits the envelope: the intake refuses it with its sentence (size and limit)."""
    data = b"\xff\xd8\xff" + b"\0" * (upload_limit() - 2)
    sec = login("sec")
    r = sec.post(f"/candidates/{world.review}/materials", files={"file": ("大.jpg", io.BytesIO(data), "image/jpeg")},
                 data={"material": CONCLUSION, "csrf_token": sec.csrf()}, follow_redirects=False)
    assert r.status_code == 400 and "超过单个文件 20 MB 的上限" in r.text and "大.jpg" in r.text


def test_refusals_name_who_puts_the_file_on_record(app, world, users, login):
    """The county viewer is told it only reads; the township is told the branch uploads a branch
    step's material (an applicant's letter too: applicants have no accounts), the branch that the
    township uploads its own."""
    def message(user, material):
        r = _upload(login(user), world.review, material, api=True)
        assert r.status_code == 403
        return r.json()["message"]

    assert "只能查看" in message("county", CONCLUSION)
    assert "由党支部上传" in message("town", "application_letter") and "申请人" not in message("town", "application_letter")
    assert "由基层党委（乡镇党委）上传" in message("sec", TRAINING)


def test_a_file_of_a_branch_step_is_not_offered_to_the_township_for_removal(app, world, users, login):
    """A file put with a step but no material (其他材料 of 政治审查) says which step it belongs to;
    only the side that records that step is offered 移除 (the service refuses the others)."""
    att = attach(app, world.review, phone_jpeg(size=(300, 200)), "补充.jpg", actor="测试", step="political_review")
    page = login("town").get(f"/candidates/{world.review}").text
    mine = page.split(f"/attachments/{att['id']}\"", 1)[1].split("</li>", 1)[0]
    assert "属于第" in mine and "步 政治审查" in mine
    assert f"/attachments/{att['id']}/remove" not in page
    assert f"/attachments/{att['id']}/remove" in login("sec").get(f"/candidates/{world.review}").text
