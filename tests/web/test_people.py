"""People in the web (/people): add a member who then is a mentor choice, correct a profile (audited
old → new), 留党察看 / 恢复, and the refusals — each bad field named, nothing written; the
registration form's category lists (/candidates/new)."""
from __future__ import annotations

import re
from datetime import date

import pytest

from services.integrity.audit_log import entries

MEMBER = {"name": "王建国", "gender": "男", "birth_date": "1970-01-01", "ethnicity": "回族", "education": "大学本科",
          "occupation": "农牧渔民", "tags": ["致富带头人", "其他"], "tags_other": "养蜂", "phone": "138 1234 5678",
          "party_status": "full_member"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _count(app) -> int:
    with app.uow(read_only=True) as uow:
        return len(uow.people.list())


def _field_error(html: str, name: str) -> str:
    """The message shown in the field block of the input/select named `name` ('' if none)."""
    for block in re.findall(r'<div class="field[^"]*invalid[^"]*">(.*?)</div>\s*(?=<div class="field|<p class="muted">民族|'
                            r'<button|</form>)', html, re.S):
        if f'name="{name}"' in block:
            m = re.search(r'<p class="field-error">(.*?)</p>', block, re.S)
            return m[1] if m else ""
    return ""


def test_added_member_is_listed_and_offered_as_mentor(app, login, world):
    c = login("sec")
    form = c.get("/people/new")
    assert form.status_code == 200
    assert f'<option value="{world.b1}" selected>' in form.text and "东王村" not in form.text  # own branch only
    assert "致富带头人" in form.text and "土家族" in form.text and "其他（请注明）" in form.text
    mentors = c.get(f"/candidates/{world.activist}/steps/mentors_assigned").text
    assert "王建国" not in mentors
    r = c.form("/people/new", {**MEMBER, "branch_id": str(world.b1)})
    assert r.status_code == 303, _text(r.text)
    listing = c.get(r.headers["location"])
    assert "王建国" in listing.text and "已添加：王建国（正式党员）" in listing.text
    with app.uow(read_only=True) as uow:
        [p] = uow.people.find_by_name("王建国")
    assert (p.branch_id, p.party_status, p.ethnicity, p.education, p.occupation, p.tags, p.phone) == (
        world.b1, "full_member", "回族", "大学本科", "农牧渔民", ["致富带头人", "其他（养蜂）"], "13812345678")
    row = entries(app, target_kind="person", target_id=p.id)[0]
    assert row["action"] == "person.add" and row["username"] == "sec" and row["detail"]["党支部"] == "贺丰村党支部"
    mentors = c.get(f"/candidates/{world.activist}/steps/mentors_assigned").text
    assert re.search(rf'value="{p.id}"[^>]*>\s*王建国（正式党员）', mentors)


def test_the_add_form_sent_twice_adds_once(app, login, world):
    """From an earlier review: 保存, the browser's Back, 保存 again added the person twice. The
    second sending adds nobody and links to the first; the API says the same (422)."""
    c = login("sec")
    first = c.form("/people/new", {**MEMBER, "branch_id": str(world.b1)})
    assert first.status_code == 303
    before = _count(app)
    again = c.form("/people/new", {**MEMBER, "branch_id": str(world.b1), "phone": ""})
    assert again.status_code == 409 and _count(app) == before
    with app.uow(read_only=True) as uow:
        [p] = uow.people.find_by_name("王建国")
    assert "王建国（男，1970-01-01 出生）已在贺丰村党支部的人员名单中，这次没有重复添加" in _text(again.text)
    assert f'href="/people/{p.id}">查看已有的记录' in again.text
    token = c.get("/api/me").json()["csrf_token"]
    body = {**{k: v for k, v in MEMBER.items() if k != "tags_other"}, "tags": ["致富带头人"], "branch_id": world.b1}
    api = c.post("/api/people", json=body, headers={"X-CSRF-Token": token})
    assert api.status_code == 422 and "没有重复添加" in api.text and _count(app) == before


def test_list_filters_by_status_and_name(app, login, world):
    c = login("sec")
    everyone = _text(c.get("/people").text)
    assert "党员零" in everyone and "张秀英" in everyone  # members and the branch's applicants
    assert "赵敏" not in everyone and "孙丽" not in everyone  # b2 and b3 applicants: another branch
    members = _text(c.get("/people?status=full_member").text)
    assert "党员零" in members and "张秀英" not in members
    masses = _text(c.get("/people?status=none").text)
    assert "张秀英" in masses and "党员零" not in masses
    found = _text(c.get("/people?q=秀").text)
    assert "张秀英" in found and "党员零" not in found and "共 1 人" in found
    town = _text(login("town").get("/people").text)
    assert "赵敏" in town and "孙丽" not in town  # the township: both its branches, not the other township
    assert "孙丽" in _text(login("county").get("/people").text)


def test_edit_profile_is_audited_with_old_and_new_values(app, login, world):
    with app.uow(read_only=True) as uow:
        [p] = uow.people.find_by_name("张秀英")  # the applicant of world.fresh (b1)
    c = login("town")
    page = c.get(f"/people/{p.id}")
    assert page.status_code == 200 and 'name="stamp"' in page.text
    stamp = re.search(r'name="stamp" value="([^"]+)"', page.text)[1]
    data = {"name": "张秀英", "gender": "女", "birth_date": "1995-05-01", "ethnicity": "汉族", "education": "大专",
            "occupation": "其他", "occupation_other": "个体经营", "phone": "0934-1234567", "stamp": stamp}
    r = c.form(f"/people/{p.id}", data)
    assert r.status_code == 303, _text(r.text)
    assert "学历：（空） → 大专" in c.get(f"/people/{p.id}").text
    with app.uow(read_only=True) as uow:
        after = uow.people.get(p.id)
        # the reports' copy of the profile follows the person (verify: no mismatch)
        assert list(uow.milestones.iter_person_mismatches()) == []
    assert (after.education, after.occupation, after.phone) == ("大专", "其他（个体经营）", "0934-1234567")
    row = entries(app, target_kind="person", target_id=p.id)[0]
    assert row["action"] == "person.edit" and row["username"] == "town"
    assert row["detail"]["学历"] == "（空） → 大专" and row["detail"]["职业"] == "（空） → 其他（个体经营）"
    assert "姓名" in row["detail"] and "民族" not in row["detail"]  # unchanged fields are not listed
    # the same stamp again: someone saved in between → 409, nothing written
    r = c.form(f"/people/{p.id}", {**data, "education": "研究生"})
    assert r.status_code == 409 and "已被他人修改" in r.text
    with app.uow(read_only=True) as uow:
        assert uow.people.get(p.id).education == "大专"


def test_value_on_record_before_the_lists_may_be_kept_but_not_typed_anew(app, login, world):
    with app.uow() as uow:
        pid = uow.people.add(name="老党员", gender="男", birth_date=date(1960, 1, 1), party_status="full_member",
                             branch_id=world.b1, education="高中", tags=["致富能手"])
    c = login("sec")
    page = c.get(f"/people/{pid}").text
    assert "原填写：高中" in page and "致富能手（原填写）" in page
    stamp = re.search(r'name="stamp" value="([^"]+)"', page)[1]
    base = {"name": "老党员", "gender": "男", "birth_date": "1960-01-01", "ethnicity": "汉族", "education": "高中",
            "tags": ["致富能手"], "phone": "13900001111", "stamp": stamp}
    assert c.form(f"/people/{pid}", base).status_code == 303  # the phone changes, the old values stay
    with app.uow(read_only=True) as uow:
        assert (uow.people.get(pid).education, uow.people.get(pid).tags) == ("高中", ["致富能手"])
    stamp = re.search(r'name="stamp" value="([^"]+)"', c.get(f"/people/{pid}").text)[1]
    r = c.form(f"/people/{pid}", {**base, "stamp": stamp, "education": "初中"})
    assert r.status_code == 400 and "学历“初中”不在统计类别中" in _field_error(r.text, "education")


BAD = [  # field, value, the words of its message
    ("name", "", "请填写姓名"),
    ("name", "张" * 41, "不能超过 40 字"),
    ("name", "王\u200b建国", "不可见的控制字符"),
    ("name", "王\u202e建国", "不可见的控制字符"),
    ("phone", "12345", "联系电话“12345”格式不对"),
    ("birth_date", "1800-01-01", "不合理"),
    ("birth_date", "2030-01-01", "晚于今天"),
    ("birth_date", "2020-02-30", "不是有效日期"),
    ("education", "本科", "学历“本科”不在统计类别中"),
    ("occupation", "农民", "职业“农民”不在统计类别中"),
    ("ethnicity", "汉人", "民族“汉人”不在统计类别中"),
    ("tags", "致富能手", "类别“致富能手”不在统计类别中"),
    ("gender", "X", "请选择性别"),
    ("occupation", "其他", "职业选“其他”时请注明"),
    ("branch_id", "", "请选择所在党支部"),
]


@pytest.mark.parametrize("field,value,words", BAD, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD)])
def test_each_bad_field_is_named_and_nothing_written(app, login, world, field, value, words):
    c = login("sec")
    before = _count(app)
    r = c.form("/people/new", {**MEMBER, "branch_id": str(world.b1), field: [value] if field == "tags" else value})
    assert r.status_code == 400, _text(r.text)
    assert words in _field_error(r.text, field), _text(r.text)
    assert _count(app) == before
    assert 'value="王建国"' in r.text or field == "name"  # what was typed stays in the form


def test_several_bad_fields_each_get_their_message(app, login, world):
    c = login("sec")
    r = c.form("/people/new", {**MEMBER, "branch_id": str(world.b1), "name": "", "phone": "1", "education": "本科"})
    assert r.status_code == 400
    assert _field_error(r.text, "name") and _field_error(r.text, "phone") and _field_error(r.text, "education")
    assert not _field_error(r.text, "occupation")


def test_foreign_people_and_branches_are_403_and_county_reads_only(app, login, world):
    with app.uow(read_only=True) as uow:
        b2_person = uow.people.find_by_name("赵敏")[0].id
        b3_person = uow.people.find_by_name("孙丽")[0].id
        member = uow.people.find_by_name("党员零")[0].id
    sec = login("sec")
    before = _count(app)
    assert sec.form("/people/new", {**MEMBER, "branch_id": str(world.b2)}).status_code == 403
    assert _count(app) == before
    assert sec.get(f"/people/{b2_person}").status_code == 403
    assert sec.form(f"/people/{b3_person}", {"name": "改名"}).status_code == 403
    assert sec.get("/people/999999").status_code == 404
    county = login("county")
    page = county.get(f"/people/{member}")
    assert page.status_code == 200 and "只能查看" in page.text and 'name="stamp"' not in page.text
    assert county.form(f"/people/{member}", {"name": "改名"}).status_code == 403
    assert county.get("/people/new").status_code == 403
    with app.uow(read_only=True) as uow:
        assert uow.people.get(member).name == "党员零"


def test_suspend_and_restore_a_member(app, login, world):
    member = world.members[1]
    c = login("sec")
    r = c.form(f"/people/{member}/rights", {"action": "suspend", "reason": ""})
    assert r.status_code == 400 and "依据" in _text(r.text)
    r = c.form(f"/people/{member}/rights", {"action": "suspend", "reason": "党委处分决定"})
    assert r.status_code == 303
    assert "留党察看" in c.get("/people?status=full_member").text
    with app.uow(read_only=True) as uow:
        assert uow.people.get(member).rights_suspended
    assert entries(app, target_kind="person", target_id=member)[0]["username"] == "sec"
    r = c.form(f"/people/{member}/rights", {"action": "restore", "reason": "处分期满"})
    assert r.status_code == 303
    with app.uow(read_only=True) as uow:
        assert not uow.people.get(member).rights_suspended
    assert login("county").form(f"/people/{member}/rights", {"action": "suspend", "reason": "x"}).status_code == 403


# ------------------------------------------------------------------ the registration form's lists

APPLICANT = {"name": "刘建国", "gender": "男", "birth_date": "1998-03-01", "applied_on": "2026-11-20",
             "ethnicity": "汉族", "education": "高中/中专", "occupation": "农牧渔民", "tags": ["青年农民"]}


def test_registration_offers_the_lists_and_refuses_unlisted_values(app, login, world):
    c = login("sec")
    form = c.get("/candidates/new").text
    for word in ("高中/中专", "农牧渔民", "致富带头人", "维吾尔族", "其他（请注明）"):
        assert word in form
    before = _count(app)
    r = c.form("/candidates/new", {**APPLICANT, "branch_id": str(world.b1), "tags": ["致富能手"]})
    assert r.status_code == 400 and "类别“致富能手”不在统计类别中" in _field_error(r.text, "tags")
    r = c.form("/candidates/new", {**APPLICANT, "branch_id": str(world.b1), "education": "高中"})
    assert r.status_code == 400 and "学历“高中”不在统计类别中" in _field_error(r.text, "education")
    assert _count(app) == before  # nothing written
    r = c.form("/candidates/new", {**APPLICANT, "branch_id": str(world.b1), "education": "其他",
                                   "education_other": "私塾", "tags": ["青年农民", "其他"], "tags_other": "养蜂"})
    assert r.status_code == 303, _text(r.text)
    with app.uow(read_only=True) as uow:
        [p] = uow.people.find_by_name("刘建国")
    assert (p.education, p.tags) == ("其他（私塾）", ["青年农民", "其他（养蜂）"])


def test_report_counts_the_registered_other_value_as_other(app, login, world):
    from services.reporting.period_report import build_report

    c = login("sec")
    r = c.form("/candidates/new", {**APPLICANT, "branch_id": str(world.b1), "education": "其他",
                                   "education_other": "自学大学课程", "occupation": "其他", "occupation_other": "村医"})
    assert r.status_code == 303
    report = build_report(app, "b1", "2026H2")
    applied = report.measures["applicants"]
    assert applied.count("education", "其他") == 1 and applied.count("education", "大学本科") == 0
    assert applied.count("occupation", "其他") == 1 and applied.count("occupation", "专业技术人员") == 0


# ------------------------------------------------------------------ the JSON API: the same refusals

def test_api_adds_lists_edits_and_refuses_like_the_pages(app, login, world):
    c = login("sec")
    token = {"X-CSRF-Token": c.get("/api/me").json()["csrf_token"]}
    body = {"name": "王建国", "gender": "男", "birth_date": "1970-01-01", "education": "本科", "tags": ["致富能手"],
            "phone": "1", "party_status": "full_member", "branch_id": world.b1}
    before = _count(app)
    r = c.post("/api/people", json=body, headers=token)
    assert r.status_code == 422
    assert {v["code"] for v in r.json()["violations"]} == {"person.education", "person.tags", "person.phone"}
    assert _count(app) == before  # nothing written
    r = c.post("/api/people", json={**body, "education": "大学本科", "tags": ["致富带头人"], "phone": None}, headers=token)
    assert r.status_code == 200 and r.json()["ok"]
    pid = r.json()["id"]
    assert [p["name"] for p in c.get("/api/people?q=建国").json()["people"]] == ["王建国"]
    person = c.get(f"/api/people/{pid}").json()
    assert (person["branch_name"], person["party_status_name"], person["tags"]) == ("贺丰村党支部", "正式党员", ["致富带头人"])
    edit = {k: person[k] for k in ("name", "gender", "birth_date", "ethnicity", "education", "occupation", "tags", "phone")}
    r = c.post(f"/api/people/{pid}", json={**edit, "occupation": "其他（养蜂）", "stamp": person["stamp"]}, headers=token)
    assert r.status_code == 200 and r.json()["changes"] == ["职业：（空） → 其他（养蜂）"]
    r = c.post(f"/api/people/{pid}", json={**edit, "education": "研究生", "stamp": person["stamp"]}, headers=token)
    assert r.status_code == 409  # the stamp read before the first edit
    assert c.post("/api/people", json={**body, "branch_id": world.b2}, headers=token).status_code == 403  # scope first
    r = c.post("/api/people", json={**body, "education": "大学本科", "tags": [], "phone": None, "branch_id": world.b2},
               headers=token)
    assert r.status_code == 403
    r = c.post(f"/api/people/{pid}/rights", json={"suspended": True, "reason": "处分决定"}, headers=token)
    assert r.status_code == 200 and r.json()["rights_suspended"] is True


def test_status_and_branch_of_someone_entered_by_hand_may_be_corrected(app, login, world):
    member = world.members[0]  # entered by hand: no application
    with app.uow(read_only=True) as uow:
        applicant = uow.people.find_by_name("张秀英")[0].id  # has an application in b1

    def form(c, pid):
        page = c.get(f"/people/{pid}").text
        with app.uow(read_only=True) as uow:
            p = uow.people.get(pid)
        return page, {"name": p.name, "gender": p.gender, "birth_date": p.birth_date.isoformat(), "ethnicity": p.ethnicity,
                      "stamp": re.search(r'name="stamp" value="([^"]+)"', page)[1]}

    sec = login("sec")
    page, data = form(sec, member)
    assert 'name="party_status"' in page and "东王村" not in page  # sec may move them only within its branch
    r = sec.form(f"/people/{member}", {**data, "party_status": "full_member", "branch_id": str(world.b2)})
    assert r.status_code == 403
    town = login("town")
    page, data = form(town, member)
    r = town.form(f"/people/{member}", {**data, "party_status": "probationary", "branch_id": str(world.b2)})
    assert r.status_code == 303
    with app.uow(read_only=True) as uow:
        moved = uow.people.get(member)
    assert (moved.party_status, moved.branch_id) == ("probationary", world.b2)
    detail = entries(app, target_kind="person", target_id=member)[0]["detail"]
    assert detail["政治面貌"] == "正式党员 → 预备党员" and detail["所在党支部"] == "贺丰村党支部 → 东王村党支部"
    assert sec.get(f"/people/{member}").status_code == 403  # now another branch's member
    page, data = form(town, applicant)
    assert 'name="party_status"' not in page and "随入党申请的办理（接收预备党员、转正、转接）而变化" in page
    r = town.form(f"/people/{applicant}", {**data, "party_status": "full_member", "branch_id": str(world.b1)})
    assert r.status_code == 422 and "随其入党申请的办理而变化" in r.text
    with app.uow(read_only=True) as uow:
        assert uow.people.get(applicant).party_status == "none"
