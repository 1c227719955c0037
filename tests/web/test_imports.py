"""导入台账 in the web: upload → preview → 确认导入 → 撤销, over the CLI's services (services/ledger/intake.py).

On SQLite and PostgreSQL (the `app` fixture). Each refusal is one Chinese message and changes nothing.
"""
from __future__ import annotations

import io
import re
from datetime import date

import pytest

from services.casework.candidates import complete_step
from services.demo.sample_evidence import sample_evidence
from tests.ledger_helpers import clean_path, ledger_row, township_layout, write_ledger
from workflows.registry import Registry

D = Registry.default().get("cpc_2014@2")  # the rules 2015–2016 rows are imported under


def _counts(app) -> tuple[int, int, int, int]:
    with app.uow(read_only=True) as uow:
        return uow.candidates.count(), uow.events.count(), len(uow.people.list()), len(uow.imports.list())


def _rows(L, bad_gender: bool = False):
    """Rows headed by the township's layout `L` (township_layout: cpc_2026@2 on the test clock)."""
    full = clean_path(D, date(2015, 3, 1))
    activist = clean_path(D, date(2016, 4, 1), until="mentors_assigned")
    rows = [
        ledger_row(L, name="甲正式", branch="贺丰村党支部", steps=full, stage="正式党员"),
        ledger_row(L, name="乙积极", branch="东王村", steps=activist),
    ]
    if bad_gender:
        rows.append(ledger_row(L, name="丙有误", branch="贺丰村党支部", steps=activist, gender="未知"))
    return rows


def _xlsx(app, tmp_path, **kw) -> bytes:
    L = township_layout(app)
    return write_ledger(tmp_path / "台账.xlsx", L, _rows(L, **kw)).read_bytes()


def _upload(c, org: int, data: bytes, name: str = "南川乡台账.xlsx", **kw):
    return c.post("/imports", data={"org": str(org), "csrf_token": c.csrf()},
                  files={"file": (name, io.BytesIO(data), "application/octet-stream")}, follow_redirects=False, **kw)


def _token(r) -> str:
    assert r.status_code == 303, r.text
    return re.fullmatch(r"/imports/preview/([\w-]+)", r.headers["location"])[1]


def test_upload_preview_confirm_undo(app, world, login, tmp_path):
    c = login("town")
    assert "导入台账" in c.get("/imports").text
    before = _counts(app)
    token = _token(_upload(c, world.township, _xlsx(app, tmp_path)))
    page = c.get(f"/imports/preview/{token}")
    assert page.status_code == 200
    text = page.text
    assert "甲正式" in text and "乙积极" in text and "东王村党支部" in text
    assert "候选人 <b>2</b> 名" in text and "正式党员 1 名" in text
    assert _counts(app) == before  # a preview writes nothing

    r = c.form(f"/imports/preview/{token}/confirm", {})
    assert r.status_code == 303 and r.headers["location"] == "/imports"
    listing = c.get("/imports").text
    assert "已导入“南川乡台账.xlsx”到南川乡党委：候选人 2 名" in listing
    after = _counts(app)
    assert after[0] == before[0] + 2 and after[3] == before[3] + 1
    assert c.get(f"/imports/preview/{token}").status_code == 404  # the kept file is gone after confirming
    twice = c.form(f"/imports/preview/{token}/confirm", {})  # Back to the preview and 确认导入 again
    assert twice.status_code == 404 and "可能已导入" in twice.text and _counts(app) == after

    import_id = int(re.search(r'href="/imports/(\d+)/undo"', listing)[1])
    confirm_page = c.get(f"/imports/{import_id}/undo")
    assert confirm_page.status_code == 200 and "确认撤销" in confirm_page.text
    r = c.form(f"/imports/{import_id}/undo", {})
    assert r.status_code == 303
    listing = c.get("/imports").text
    assert "已撤销“南川乡台账.xlsx”的导入：删除候选人 2 名" in listing and "已撤销</span>" in listing
    assert _counts(app)[:3] == before[:3]
    again = c.form(f"/imports/{import_id}/undo", {})  # undone already: one message, nothing changes
    assert again.status_code == 422 and "已于" in again.text and "撤销" in again.text


def test_csv_upload_is_read_as_the_same_ledger(app, world, login, tmp_path):
    from openpyxl import load_workbook

    L = township_layout(app)
    ws = load_workbook(write_ledger(tmp_path / "l.xlsx", L, _rows(L))).active
    lines = [",".join("" if v is None else (f"{v:%Y/%m/%d}" if hasattr(v, "year") else str(v)) for v in row)
             for row in ws.iter_rows(values_only=True)]
    data = "\n".join(lines).encode("gb18030")  # as Excel/WPS save a CSV on a Chinese Windows
    c = login("town")
    token = _token(_upload(c, world.township, data, name="台账.csv"))
    text = c.get(f"/imports/preview/{token}").text
    assert "甲正式" in text and "候选人 <b>2</b> 名" in text and "有误 <b class=\"\">0</b>" in text


def test_bad_rows_are_listed_by_row_and_column_and_block_the_confirm(app, world, login, tmp_path):
    c = login("town")
    token = _token(_upload(c, world.township, _xlsx(app, tmp_path, bad_gender=True)))
    text = c.get(f"/imports/preview/{token}").text
    assert "第 5 行</span> <span class=\"tag\">性别</span> 性别应为“男”或“女”，不是“未知”" in text
    before = _counts(app)
    r = c.form(f"/imports/preview/{token}/confirm", {})
    assert r.status_code == 422
    shown = re.sub(r"<[^>]*>", "", r.text)  # what the page says, not its markup (a CSRF token may hold "--")
    assert "台账有 1 处错误、0 处需确认，未导入任何记录" in shown and "--" not in shown  # no CLI option text
    assert _counts(app) == before
    r = c.form(f"/imports/preview/{token}/confirm", {"skip_bad_rows": "1"})
    assert r.status_code == 303
    assert _counts(app)[0] == before[0] + 2
    assert "跳过有误或需确认的 1 行" in c.get("/imports").text


@pytest.mark.parametrize("data, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "既不是 Excel 工作簿（.xlsx），也不是 CSV 表格"),
    (b"PK\x03\x04" + bytes(100), "不是 Excel（.xlsx）文件"),
    ("随便写的一段话\n没有表头".encode(), "表头"),
    (b"", "上传的文件是空的"),
])
def test_a_bad_file_is_one_message_and_changes_nothing(app, world, login, data, message):
    c = login("town")
    before = _counts(app)
    r = _upload(c, world.township, data, name="台账.xlsx")
    if r.status_code == 303:  # read as a workbook or CSV: the preview says what is wrong with it
        r = c.get(r.headers["location"])
    assert r.status_code == 400
    errors = re.findall(r'<p class="field-error[^"]*"[^>]*>([^<]+)</p>', r.text)
    assert len(errors) == 1 and message in errors[0], errors
    assert "Traceback" not in r.text and _counts(app) == before


def test_size_limit_is_a_clear_message(app, world, login, monkeypatch, tmp_path):
    import services.imports.uploads as uploads
    import web.routes.imports as route

    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(route, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(route, "SLACK", 10**9)  # past the header check: the stored size is checked too
    c = login("town")
    r = _upload(c, world.township, _xlsx(app, tmp_path))
    assert r.status_code == 413 and "文件过大：单个台账文件不能超过" in r.text
    monkeypatch.setattr(route, "SLACK", 0)  # declared too large: refused before the body is read
    r = _upload(c, world.township, _xlsx(app, tmp_path))
    assert r.status_code == 413 and "文件过大" in r.text
    assert _counts(app)[3] == 0


def test_upload_by_script_answers_json(app, world, login, tmp_path):
    c = login("town")
    r = _upload(c, world.township, _xlsx(app, tmp_path), headers={"X-Upload": "1"})
    assert r.status_code == 200 and r.json()["next"].startswith("/imports/preview/")
    r = _upload(c, world.township, b"\x00\x01\x02", headers={"X-Upload": "1"})
    assert r.status_code == 400 and r.json() == {"ok": False, "field": "file",
                                                 "message": "文件既不是 Excel 工作簿（.xlsx），也不是 CSV 表格；请在 Excel/WPS 中另存为 .xlsx 后再上传"}


def test_foreign_org_and_other_users_upload(app, world, login, tmp_path):
    c = login("town")
    before = _counts(app)
    assert _upload(c, world.other_township, _xlsx(app, tmp_path)).status_code == 403
    assert _upload(c, world.b1, _xlsx(app, tmp_path)).status_code == 403  # a branch: the rows name the branches
    token = _token(_upload(c, world.township, _xlsx(app, tmp_path)))
    admin = login("admin")
    assert admin.get(f"/imports/preview/{token}").status_code == 404  # only its uploader opens it
    assert admin.form(f"/imports/preview/{token}/confirm", {}).status_code == 404
    assert _counts(app) == before


def test_undo_is_refused_when_later_records_depend_on_it(app, world, login, tmp_path):
    c = login("town")
    token = _token(_upload(c, world.township, _xlsx(app, tmp_path)))
    assert c.form(f"/imports/preview/{token}/confirm", {}).status_code == 303
    import_id = int(re.search(r'href="/imports/(\d+)/undo"', c.get("/imports").text)[1])
    with app.uow(read_only=True) as uow:
        cid = _imported_candidate(uow, import_id, "乙积极")
    on = date(2026, 11, 20)
    complete_step(app, cid, "cultivation", occurred_on=on, actor="测试", evidence=sample_evidence("cultivation", on))
    before = _counts(app)
    r = c.form(f"/imports/{import_id}/undo", {})
    assert r.status_code == 422
    message = re.search(r'<p class="error" role="alert">([^<]+)</p>', r.text)[1]
    assert message.startswith("不能撤销“南川乡台账.xlsx”的这次导入：1 名候选人在导入后又登记了步骤或更正（如乙积极）")
    assert not re.search(r"\d{2,}", message.split("（如")[1])  # names, not ids
    assert _counts(app) == before


def _imported_candidate(uow, import_id: int, name: str) -> int:
    from sqlalchemy import select

    from storage.tables import candidate, person

    return uow.connection.execute(
        select(candidate.c.id).join(person, person.c.id == candidate.c.person_id)
        .where(candidate.c.import_id == import_id, person.c.name == name)).scalar_one()
