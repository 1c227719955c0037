"""The tool pages' JSON API (web/routes/api_tools.py): overdue, reports, contacts and deliveries,
ledger import, plans, holidays — on SQLite and PostgreSQL (the `app` fixture).

Each endpoint answers the right role, and refuses a bad input as its page does: one Chinese
message in the error shape {"ok": false, "error", "message", "violations"}, nothing changed.
"""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest

from services.holidays import loaded_years
from services.planning.plans import get_plan
from tests.ledger_helpers import clean_path, ledger_row, township_layout, write_ledger
from tests.web.test_access_notices import setup  # noqa: F401 (the fixture: contacts, outbox rows in each state)
from workflows.registry import Registry

D = Registry.default().get("cpc_2014@2")  # the rules 2015–2016 rows are imported under
HAN = re.compile(r"[\u4e00-\u9fff]")
EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "holidays-2027.example.yaml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _uploads(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTYFLOW_UPLOAD_DIR", str(tmp_path / "uploads"))


def _api(c):
    """(get, post) of a logged-in client, the CSRF header on writes."""
    token = c.get("/api/me").json()["csrf_token"]

    def post(url, **kw):
        return c.post(url, headers={"X-CSRF-Token": token}, **kw)
    return c.get, post


def refused(r, status: int, *words: str) -> dict:
    """The error shape with one Chinese message containing `words`."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False and body["error"] and HAN.search(body["message"]), body
    for w in words:
        assert w in body["message"] + "".join(v["message"] for v in body["violations"]), (w, body)
    return body


# -- overdue and reports -------------------------------------------------------------------------

def test_overdue_as_of_and_branch(world, login):
    get, _ = _api(login("town"))
    now = get("/api/overdue").json()
    assert now["today"] == "2026-11-25" and now["total"] >= 1
    assert {b["name"] for b in now["branches"]} == {"贺丰村党支部", "东王村党支部"}
    # the fresh candidate's first talk (due 2026-11-01) is not yet overdue on 2026-10-31, overdue the day after
    before = get("/api/overdue", params={"as_of": "2026-10-31", "branch": world.b1}).json()
    after = get("/api/overdue", params={"as_of": "2026-11-02", "branch": world.b1}).json()
    fresh = lambda board: [i for i in board["list"] if i["candidate_id"] == world.fresh]  # noqa: E731
    assert not fresh(before) and fresh(after)
    refused(get("/api/overdue", params={"as_of": "2026-13-40"}), 422, "截至日期")
    refused(get("/api/overdue", params={"branch": world.b3}), 403, "党支部")
    refused(get("/api/overdue", params={"branch": world.township}), 404, "党支部")
    sec_get, _ = _api(login("sec"))
    assert {b["name"] for b in sec_get("/api/overdue").json()["branches"]} == {"贺丰村党支部"}
    # a superscript digit is a "digit" to str.isdigit() that int() refuses: the pages say 404, not 500
    assert get("/overdue", params={"branch": "³"}).status_code == get("/reports", params={"org": "³"}).status_code == 404


def test_report_json_periods_and_refusals(world, login):
    get, _ = _api(login("town"))
    r = get("/api/reports", params={"org": world.township, "period": "2026H2"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["org"]["name"] == "南川乡党委" and data["period"]["key"] == "2026H2"
    assert HAN.search(data["paragraph"]) and data["totals"][0]["name"] and data["tables"]
    assert all(len(row["counts"]) == len(data["tables"][0]["columns"]) for t in data["tables"] for row in t["rows"])
    # the Chinese period code and a custom range, as the page reads them
    cn = get("/api/reports", params={"org": world.township, "period": "2026年下半年"}).json()
    assert cn["period"]["key"] == "2026H2" and cn["totals"] == data["totals"]
    rng = get("/api/reports", params={"org": world.township, "start": "2026-01-01", "end": "2026-06-30"}).json()
    assert (rng["period"]["start"], rng["period"]["end"]) == ("2026-01-01", "2026-06-30")
    refused(get("/api/reports", params={"org": world.township, "period": "明年春天"}), 422, "统计期间无法识别")
    refused(get("/api/reports", params={"org": world.township, "start": "2026-01-01"}), 422, "请填写开始日期和结束日期")
    refused(get("/api/reports", params={"org": world.b1, "period": "2031H1"}), 422)
    refused(get("/api/reports", params={"org": world.other_township}), 403)
    refused(get("/api/reports", params={"org": 999999}), 404)


# -- contacts and deliveries ---------------------------------------------------------------------

def _contacts(app):
    with app.uow(read_only=True) as uow:
        return [(c.id, c.name, c.email) for c in uow.contacts.in_orgs(None)]


def test_contacts_add_edit_remove(app, world, login):
    get, post = _api(login("town"))
    r = post("/api/contacts", json={"org_id": world.b1, "name": "王书记", "email": "wang@example.com"})
    assert r.status_code == 200, r.text
    c = r.json()["contact"]
    assert (c["org_name"], c["role_name"], c["name"]) == ("贺丰村党支部", "党支部书记", "王书记")
    listed = {o["name"]: o for o in get("/api/contacts").json()["orgs"]}
    assert [x["name"] for x in listed["贺丰村党支部"]["contacts"]] == ["王书记"]
    assert get(f"/api/contacts/{c['id']}").json()["email"] == "wang@example.com"
    before = _contacts(app)
    refused(post(f"/api/contacts/{c['id']}", json={"name": "王书记", "email": "not-an-address"}), 422, "电子邮箱格式不对")
    refused(post("/api/contacts", json={"org_id": world.b1, "name": " "}), 422, "请填写提醒接收人的姓名")
    refused(post("/api/contacts", json={"org_id": world.county, "name": "某"}), 422, "党支部或乡镇党委")
    refused(post("/api/contacts", json={"org_id": world.b3, "name": "某"}), 403, "无权登记“北庄村党支部”")
    refused(post("/api/contacts", json={"org_id": 0, "name": "某"}), 422, "请选择组织")
    # webhooks into the server's machine or network are refused as typed (SSRF; address_policy.py)
    refused(post("/api/contacts", json={"org_id": world.b1, "name": "某", "webhook": "http://169.254.169.254/latest"}),
            422, "链路本地地址")
    refused(post("/api/contacts", json={"org_id": world.b1, "name": "某", "webhook": "http://10.0.0.8:8080/x"}),
            422, "内部网络")
    assert _contacts(app) == before
    assert post(f"/api/contacts/{c['id']}", json={"name": "王新", "webhook": "https://hook.example.com/x"}).json()["ok"]
    assert get(f"/api/contacts/{c['id']}").json()["name"] == "王新"
    # the secretary reads but does not change
    sget, spost = _api(login("sec"))
    assert sget(f"/api/contacts/{c['id']}").status_code == 200
    refused(spost(f"/api/contacts/{c['id']}/remove"), 403, "无权修改")
    refused(spost("/api/contacts", json={"org_id": world.b1, "name": "某"}), 403, "无权登记")
    assert post(f"/api/contacts/{c['id']}/remove").json()["contact"]["name"] == "王新"
    refused(get(f"/api/contacts/{c['id']}"), 404, "找不到这个提醒接收人")


def test_deliveries_filter_and_retry(app, world, setup, login):
    ids = setup  # outbox rows in each state; dead ones on b1 and b3
    get, post = _api(login("town"))
    log = get("/api/deliveries").json()
    assert log["states"]["dead"] == "已停止重试" and log["total"] == len(log["items"]) >= 4
    assert {i["org_name"] for i in log["items"]} <= {"南川乡党委", "贺丰村党支部", "东王村党支部"}  # not b3's
    dead = get("/api/deliveries", params={"state": "dead"}).json()
    assert [i["recipient"] for i in dead["items"]] == ["贺丰书记"] and HAN.search(dead["items"][0]["last_error"])
    assert [i["recipient"] for i in get("/api/deliveries", params={"org": world.b2}).json()["items"]] == ["东王书记"]
    refused(get("/api/deliveries", params={"state": "lost"}), 404, "没有这种发送状态")
    refused(get("/api/deliveries", params={"org": world.other_township}), 403, "无权查看")
    sget, spost = _api(login("sec"))
    assert {i["org_name"] for i in sget("/api/deliveries").json()["items"]} == {"贺丰村党支部"}
    refused(spost("/api/deliveries/retry", json={"ids": [ids["dead_b1"]]}), 403, "无权重新发送")
    assert post("/api/deliveries/retry", json={"ids": [ids["dead_b1"], ids["dead_b3"]]}).json() == {"ok": True, "queued": 1}
    with app.uow(read_only=True) as uow:
        states = {r.id: r.status for r in uow.outbox.list()}
    assert (states[ids["dead_b1"]], states[ids["dead_b3"]]) == ("pending", "dead")


# -- ledger import ---------------------------------------------------------------------------------

def _ledger(app, tmp_path, bad: bool = False) -> bytes:
    """Rows headed by the township's layout (township_layout: cpc_2026@2 on the test clock)."""
    L = township_layout(app)
    rows = [ledger_row(L, name="甲正式", branch="贺丰村党支部", steps=clean_path(D, date(2015, 3, 1)), stage="正式党员"),
            ledger_row(L, name="乙积极", branch="东王村", steps=clean_path(D, date(2016, 4, 1), until="mentors_assigned"))]
    if bad:
        rows.append(ledger_row(L, name="丙有误", branch="贺丰村党支部", gender="未知",
                               steps=clean_path(D, date(2016, 4, 1), until="mentors_assigned")))
    return write_ledger(tmp_path / "台账.xlsx", L, rows).read_bytes()


def _counts(app):
    with app.uow(read_only=True) as uow:
        return uow.candidates.count(), uow.events.count(), len(uow.people.list()), len(uow.imports.list())


def _upload(post, org, data: bytes, name="南川乡台账.xlsx"):
    return post("/api/imports", data={"org": str(org)}, files={"file": (name, io.BytesIO(data), "application/octet-stream")})


def test_import_upload_preview_confirm_undo(app, world, login, tmp_path):
    get, post = _api(login("town"))
    assert [o["name"] for o in get("/api/imports").json()["orgs"]] == ["南川乡党委"]
    before = _counts(app)
    r = _upload(post, world.township, _ledger(app, tmp_path, bad=True))
    assert r.status_code == 200, r.text
    p = r.json()
    assert [x["name"] for x in p["planned"]] == ["甲正式", "乙积极"] and p["errors"] == 1
    bad = p["error_list"][0]
    assert bad["row"] and bad["column"] and HAN.search(bad["message"])
    assert get(f"/api/imports/preview/{p['token']}").json()["candidates"] == p["candidates"]
    # with a bad row the confirm is refused, as on the page, and nothing is imported
    refused(post(f"/api/imports/preview/{p['token']}/confirm", json={}), 422, "未导入任何记录")
    assert _counts(app) == before
    done = post(f"/api/imports/preview/{p['token']}/confirm", json={"skip_bad_rows": True}).json()
    assert (done["candidates"], done["skipped"]) == (2, 1)
    assert get("/api/imports").json()["imports"][0]["file"] == "南川乡台账.xlsx"
    assert get(f"/api/imports/{done['import_id']}").json()["undone"] is False
    assert post(f"/api/imports/{done['import_id']}/undo").json()["candidates"] == 2
    refused(post(f"/api/imports/{done['import_id']}/undo"), 422, "已于")
    assert _counts(app)[:3] == before[:3]


def test_import_refusals(app, world, login, tmp_path):
    get, post = _api(login("town"))
    before = _counts(app)
    refused(_upload(post, world.township, b"\x00\x01binary"), 422, "既不是 Excel")
    refused(_upload(post, world.township, "姓名,性别\n张\x02三,男\n".encode(), "台账.csv"), 422, "控制字符")
    refused(_upload(post, world.other_township, _ledger(app, tmp_path)), 403)
    refused(_upload(post, 999999, _ledger(app, tmp_path)), 404)
    refused(post("/api/imports", data={"org": str(world.township)}), 422, "文件")
    refused(get("/api/imports/preview/AAAAAAAAAAAAAAAAAAAAAA"), 404, "重新上传")
    token = _upload(post, world.township, _ledger(app, tmp_path)).json()["token"]
    assert post(f"/api/imports/preview/{token}/discard").json() == {"ok": True}
    refused(post(f"/api/imports/preview/{token}/confirm"), 404)
    assert _counts(app) == before and not any((tmp_path / "uploads").iterdir())  # refused uploads are not kept
    sget, spost = _api(login("sec"))
    refused(sget("/api/imports"), 403, "乡镇党委组织委员")
    refused(_upload(spost, world.township, _ledger(app, tmp_path)), 403, "乡镇党委组织委员")
    assert _counts(app) == before


# -- plans -----------------------------------------------------------------------------------------

def test_plans_set_and_show(app, world, login):
    get, post = _api(login("town"))
    r = post("/api/plans", json={"org_id": world.township, "year": 2026, "admit": "3", "shares": {"female": "40"},
                                 "tags": [{"name": "致富带头人", "value": "1"}], "note": "年初计划"})
    assert r.status_code == 200, r.text
    v = get("/api/plans", params={"org": world.township, "year": 2026}).json()
    assert v["plan"]["admit_target"] == 3 and v["editable"] is True and v["year"] == 2026
    labels = [ln["label"] for ln in v["lines"]]
    assert any("女" in x for x in labels) and any("致富带头人" in x for x in labels)
    assert all(ln["gap"] for ln in v["lines"])
    before = get_plan(app, world.township)
    body = refused(post("/api/plans", json={"org_id": world.township, "year": 2026, "admit": "x",
                                            "shares": {"female": "150"}}), 422, "计划发展党员数")
    assert len(body["violations"]) == 2
    refused(post("/api/plans", json={"org_id": world.township, "year": 2026, "admit": "1", "shares": {"old": "5"}}),
            422, "占比目标只能是")
    refused(post("/api/plans", json={"org_id": world.other_township, "year": 2026, "admit": "1"}), 403, "无权查看“北川乡党委”")
    refused(get("/api/plans", params={"year": 3000}), 422, "超出范围")
    assert get_plan(app, world.township) == before
    sget, spost = _api(login("sec"))
    assert sget("/api/plans").json()["org"]["name"] == "贺丰村党支部"
    refused(sget("/api/plans", params={"org": world.township}), 403)
    refused(spost("/api/plans", json={"org_id": world.b1, "year": 2026, "admit": "1"}), 403, "无权设定")


# -- holidays --------------------------------------------------------------------------------------

def test_holidays_preview_and_load(app, world, login):
    get, post = _api(login("admin"))
    assert get("/api/holidays").json() == {"years": []}
    p = post("/api/holidays/preview", json={"text": EXAMPLE, "name": "国务院办公厅通知"}).json()
    assert p["year"] == 2027 and p["holidays"] and HAN.search(p["holidays"][0])
    assert loaded_years(app) == []
    refused(post("/api/holidays/load", json={"text": "year: 2027\nholidays: [nope]"}), 422)
    refused(post("/api/holidays/preview", json={"text": ""}), 422, "请粘贴或上传节假日安排")
    assert loaded_years(app) == []
    done = post("/api/holidays/load", json={"text": EXAMPLE}).json()
    assert done["ok"] and done["year"] == 2027
    assert [y["year"] for y in get("/api/holidays").json()["years"]] == [2027]
    tget, tpost = _api(login("town"))
    assert [y["year"] for y in tget("/api/holidays").json()["years"]] == [2027]
    refused(tpost("/api/holidays/load", json={"text": EXAMPLE}), 403, "系统管理员")
    refused(tpost("/api/holidays/preview", json={}), 403, "系统管理员")


# -- the OpenAPI document --------------------------------------------------------------------------

def test_every_new_operation_and_field_is_described_in_chinese(web):
    from web.routes import api_tools

    doc = web.openapi()
    schemas = doc["components"]["schemas"]
    missing: list[str] = []

    def fields(where: str, schema: dict, seen: set) -> None:
        for sub in [schema, *schema.get("anyOf", []), schema.get("items", {})]:
            name = sub.get("$ref", "").rsplit("/", 1)[-1]
            if name and name not in seen:
                seen.add(name)
                for key, prop in schemas[name].get("properties", {}).items():
                    if not HAN.search(prop.get("description", "")):
                        missing.append(f"{where} {name}.{key}")
                    fields(where, prop, seen)

    paths = {r.path for r in api_tools.api.routes}
    assert len(paths) == 17
    for path in paths:
        for method, op in doc["paths"][path].items():
            where = f"{method.upper()} {path}"
            assert HAN.search(op["summary"]), where
            missing += [f"{where} ?{p['name']}" for p in op.get("parameters", []) if not HAN.search(p.get("description", ""))]
            for content in op.get("requestBody", {}).get("content", {}).values():
                fields(where, content["schema"], set())
    assert missing == []


def test_the_api_refuses_with_the_page_s_own_message(app, world, login):
    """Bad input on a page and in the API: the same Chinese sentence (the page's 400 → the API's
    422), and nothing changed."""
    c = login("town")
    get, post = _api(c)
    admin = login("admin")
    _, admin_post = _api(admin)
    cases = [  # (page response, API response)
        (c.get("/overdue", params={"as_of": "2026-02-30"}), get("/api/overdue", params={"as_of": "2026-02-30"})),
        (c.get("/reports", params={"org": world.b1, "period": "明年春天"}),
         get("/api/reports", params={"org": world.b1, "period": "明年春天"})),
        (c.get("/reports", params={"org": world.b1, "period": "range", "end": "2026-06-30"}),
         get("/api/reports", params={"org": world.b1, "period": "range", "end": "2026-06-30"})),
        (c.form("/contacts", {"org_id": str(world.b1), "name": "王", "email": "wang@"}),
         post("/api/contacts", json={"org_id": world.b1, "name": "王", "email": "wang@"})),
        (c.form("/plans", {"org": str(world.b1), "year": "2026", "admit": "-1", "share_female": "120"}),
         post("/api/plans", json={"org_id": world.b1, "year": 2026, "admit": "-1", "shares": {"female": "120"}})),
        (admin.form("/holidays", {"action": "preview", "text": "year: 2027\nholidays: [2027-02-30]"}),
         admin_post("/api/holidays/preview", json={"text": "year: 2027\nholidays: [2027-02-30]"})),
    ]
    for page, api in cases:
        assert page.status_code == 400 and api.status_code == 422, (page.status_code, api.text)
        messages = [v["message"] for v in api.json()["violations"]]
        assert messages and HAN.search(messages[0])
        for m in messages:
            assert m in page.text, (m, api.request.url)
    with app.uow(read_only=True) as uow:
        assert uow.contacts.in_orgs(None) == [] and uow.plans.list_for(world.b1) == [] and uow.holidays.all() == {}
