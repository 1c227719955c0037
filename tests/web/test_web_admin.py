"""Admin pages: organisations, users and roles, process definition versions (view, check an upload
with its problems line by line), the audit log with filters."""
from __future__ import annotations

import html
import re

from services.integrity.audit_log import entries
from services.accounts.users import get_user, list_users
from tests.web.web_support import PASSWORD, Client


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# ------------------------------------------------------------------ organisations

def test_org_tree_and_add(app, login, world):
    a = login("admin")
    page = _text(a.get("/admin/orgs").text)
    for name in ("镇原县委", "南川乡党委", "贺丰村党支部", "北庄村党支部"):
        assert name in page
    r = a.form("/admin/orgs", {"level": "branch", "code": "b9", "name": "新庄村党支部", "kind": "community",
                               "parent": "t"})
    assert r.status_code == 303
    with app.uow(read_only=True) as uow:
        org = uow.orgs.by_code("b9")
    assert (org.name, org.level, org.kind, org.parent_id) == ("新庄村党支部", "branch", "community", world.township)
    assert "已添加党支部：新庄村党支部（b9）" in a.get("/admin/orgs").text
    row = entries(app, target_kind="organisation", target_id=org.id)[0]
    assert (row["username"], row["action"]) == ("admin", "org.create")


def test_org_errors_next_to_the_field(app, login, world):
    a = login("admin")
    r = a.form("/admin/orgs", {"level": "branch", "code": "b1", "name": "重复", "kind": "rural", "parent": "t"})
    assert r.status_code == 400
    assert re.search(r'class="invalid">组织代码.*?<p class="field-error">组织代码“b1”已存在</p>', r.text, re.S)
    assert 'value="重复"' in r.text  # what was typed is kept
    r = a.form("/admin/orgs", {"level": "branch", "code": "b8", "name": "无上级", "kind": "rural", "parent": ""})
    assert r.status_code == 400 and "第二十六条" in r.text
    r = a.form("/admin/orgs", {"level": "branch", "code": "b8", "name": "挂在县下", "kind": "rural", "parent": "c"})
    assert r.status_code == 400 and "党支部的上级应为乡镇党委" in _text(r.text)
    with app.uow(read_only=True) as uow:
        assert uow.orgs.by_code("b8") is None


# ------------------------------------------------------------------ users and roles

def test_add_user_disable_and_roles(app, login, web, world, users):
    a = login("admin")
    r = a.form("/admin/users", {"username": "wang", "display_name": "王书记", "password": PASSWORD,
                                "role": "branch_secretary", "org": "b2"})
    assert r.status_code == 303, r.text
    u = get_user(app, "wang")
    assert [(x["role"], x["org_id"]) for x in u["roles"]] == [("branch_secretary", world.b2)]
    with Client(web) as w:
        assert w.login("wang").status_code == 303
        assert w.get(f"/candidates/{world.b2_candidate}").status_code == 200
        # a second role, then the first removed
        assert a.form("/admin/users/wang/roles", {"action": "add", "role": "branch_committee",
                                                  "org": "b1"}).status_code == 303
        assert w.get(f"/candidates/{world.fresh}").status_code == 200
        assert a.form("/admin/users/wang/roles", {"action": "remove", "role": "branch_secretary",
                                                  "org": str(world.b2)}).status_code == 303
        assert w.get(f"/candidates/{world.b2_candidate}").status_code == 403
        # disabled: out at the next request, and cannot log in again
        assert a.form("/admin/users/wang/active", {"active": "0"}).status_code == 303
        assert w.get("/", follow_redirects=False).status_code == 303
        assert w.login("wang").status_code == 401
    assert "已停用" in a.get("/admin/users").text
    changes = [(e["action"], e["username"]) for e in entries(app, target_kind="user", target_id=u["id"])
               if e["action"] != "login"]
    assert changes == [("user.disable", "admin"), ("user.role_remove", "admin"), ("user.role_add", "admin"),
                       ("user.create", "admin")]


def test_user_form_errors(app, login, users):
    a = login("admin")
    r = a.form("/admin/users", {"username": "x y", "display_name": "某", "password": PASSWORD,
                                "role": "branch_secretary", "org": "b1"})
    assert r.status_code == 400 and "用户名应为 2–64 位字母、数字或 _ . -" in r.text
    r = a.form("/admin/users", {"username": "zhao", "display_name": "赵", "password": "short",
                                "role": "branch_secretary", "org": "b1"})
    assert r.status_code == 400 and "密码至少 8 位" in r.text and "short" not in r.text
    r = a.form("/admin/users", {"username": "zhao", "display_name": "赵", "password": PASSWORD,
                                "role": "township_officer", "org": "b1"})
    assert r.status_code == 400 and "应属于乡镇党委" in _text(r.text)
    assert all(u["username"] != "zhao" for u in list_users(app))
    # refusals on existing accounts come back as a message on the list
    r = a.form("/admin/users/admin/active", {"active": "0"})
    assert r.status_code == 303 and "不能停用自己的账号" in a.get("/admin/users").text
    assert a.form("/admin/users/nobody/active", {"active": "0"}).status_code == 404
    a.form("/admin/users/sec/roles", {"action": "add", "role": "branch_secretary", "org": "b1"})
    assert "已有这一角色" in a.get("/admin/users").text


# ------------------------------------------------------------------ process definitions

def test_definition_versions_and_one_version(app, login, world):
    a = login("admin")
    page = a.get("/admin/definitions").text
    assert "cpc_2014@1" in page and "cpc_2014_notice7@1" in page and "cpc_2014_notice7@2" in page
    sha = app.registry.get("cpc_2014@3").sha256
    row = re.search(r'cpc_2014@3</a>.*?</tr>', page, re.S)[0]
    assert f'title="{sha}"' in row
    with app.uow(read_only=True) as uow:
        pinned = sum(uow.candidates.get(c).definition_key == "cpc_2014@3"
                     for c in (world.fresh, world.activist, world.review, world.b2_candidate, world.b3_candidate))
    assert pinned == 2 and "<td>2</td>" in row  # applied before 2026-05-11: pinned to the 2014 rules' version 3
    old = re.search(r'cpc_2014@1</a>.*?</tr>', page, re.S)[0]
    assert f'title="{app.registry.get("cpc_2014@1").sha256}"' in old and "<td>0</td>" in old  # nobody on @1
    one = a.get("/admin/definitions/cpc_2014@1")
    assert one.status_code == 200
    t = _text(one.text)
    assert "上级党委预审" in t and "细则第十三条" in t and "due_within" in t
    assert a.get("/admin/definitions/nope@9").status_code == 404


GOOD = """\
id: cpc_2014_notice10
version: 1
extends: cpc_2014@1
local: true
title: 乡镇变体：公示10天
steps:
  target_selection:
    rules:
      public_notice:
        working_days: null
        days: 10
"""

BAD = """\
id: cpc_2014_bad
version: 1
extends: cpc_2014@1
local: true
title: 有错误的变体
steps:
  target_selection:
    requires: [activist_filing, mentor_assigned]
  political_review:
    actor: nobody
"""


def test_upload_valid_is_checked_not_installed(app, login, world):
    a = login("admin")
    r = a.post("/admin/definitions/check", files={"file": ("notice10.yaml", GOOD.encode(), "text/yaml")},
               data={"csrf_token": a.csrf()})
    assert r.status_code == 200, r.text
    t = _text(r.text)
    assert "notice10.yaml：校验通过" in t and "可以安装" in t and "cpc_2014_notice10@1" in t
    assert 'action="/admin/definitions/install"' in r.text  # installing is a second, explicit step
    assert "cpc_2014_notice10@1" not in app.registry  # validated only (tests/web/test_web_definition_install.py)


def test_upload_with_errors_lists_every_problem_by_line(app, login, world):
    a = login("admin")
    r = a.post("/admin/definitions/check", files={"file": ("bad.yaml", BAD.encode(), "text/yaml")},
               data={"csrf_token": a.csrf()})
    assert r.status_code == 400
    problems = re.findall(r"<li><code>([^<]+)</code> ([^<]+)</li>", r.text)
    located = [(p, html.unescape(m)) for p, m in problems]
    assert len(located) >= 2
    assert located[0][0] == "bad.yaml:8" and "mentor_assigned" in located[0][1] and "mentors_assigned" in located[0][1]
    assert any(loc == "bad.yaml:10" and "nobody" in msg for loc, msg in located)
    assert "发现" in r.text and "未通过校验" in r.text


def test_upload_other_mistakes(app, login, world):
    a = login("admin")
    token = a.csrf()
    r = a.post("/admin/definitions/check", data={"csrf_token": token, "text": "id: [\n"})
    assert r.status_code == 400 and "粘贴的文本.yaml:" in r.text
    r = a.post("/admin/definitions/check", files={"file": ("gbk.yaml", "标题".encode("gbk"), "text/yaml")},
               data={"csrf_token": token})
    assert r.status_code == 400 and "不是 UTF-8 编码" in r.text
    # a published key with other content
    changed = GOOD.replace("cpc_2014_notice10", "cpc_2014_notice7")
    r = a.post("/admin/definitions/check", files={"file": ("n7.yaml", changed.encode(), "text/yaml")},
               data={"csrf_token": token})
    assert r.status_code == 400 and "已发布的版本不能修改" in r.text
    # without the CSRF token: refused
    r = a.post("/admin/definitions/check", files={"file": ("g.yaml", GOOD.encode(), "text/yaml")})
    assert r.status_code == 403


# ------------------------------------------------------------------ audit log

def test_audit_log_filters(app, login, world, users):
    a = login("admin")
    login("sec")
    page = _text(a.get("/admin/audit").text)
    assert "新建用户" in page and "登录" in page
    only_sec = _text(a.get("/admin/audit?user=sec").text)
    assert "sec" in only_sec and "新建用户" not in only_sec
    assert "没有记录" in a.get("/admin/audit?since=2026-11-26").text  # the clock says 2026-11-25
    assert "登录" in _text(a.get("/admin/audit?since=2026-11-25&until=2026-11-25").text)
    r = a.get("/admin/audit?since=2026-13-01")
    assert r.status_code == 400 and "格式应为" in r.text
    r = a.get("/admin/audit?since=2026-11-25&until=2026-11-01")
    assert r.status_code == 400 and "结束日期早于开始日期" in r.text
