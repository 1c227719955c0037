"""Accounts and roles (services/accounts/users.py, services/accounts/access.py), the CLI commands and demo accounts."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from engine.errors import DomainError
from services.accounts.access import principal_for
from services.integrity.audit_log import entries
from services.demo.accounts import DEMO_PASSWORD, create_demo_accounts
from services.accounts.users import authenticate, change_role, create_user, list_users


def test_roles_need_an_organisation_of_the_right_level(app, world):
    with pytest.raises(DomainError, match="应属于党支部"):
        create_user(app, "x1", "某", "password-1", [("branch_secretary", "t")])
    with pytest.raises(DomainError, match="须指定所属组织"):
        create_user(app, "x2", "某", "password-1", [("township_officer", None)])
    with pytest.raises(DomainError, match="角色“boss”无效"):
        create_user(app, "x3", "某", "password-1", [("boss", None)])
    with pytest.raises(DomainError, match="用户名应为"):
        create_user(app, "a b", "某", "password-1")
    assert list_users(app) == []  # nothing half-made


def test_principal_scopes(app, world, users):
    sec = principal_for(app, users["sec"]["id"])
    assert sec.scope() == [world.b1] and sec.can_act(world.b1, "branch_meeting") and not sec.can_act(world.b1, "township")
    town = principal_for(app, users["town"]["id"])
    assert town.scope() == sorted([world.b1, world.b2])
    assert town.can_act(world.b2, "township") and town.can_act(world.b2, "county_org_dept")
    assert not town.can_act(world.b2, "branch_committee") and not town.can_act(world.b3, "township")
    county = principal_for(app, users["county"]["id"])
    assert county.scope() == sorted([world.b1, world.b2, world.b3]) and not county.acts_anywhere("branch")
    assert not county.acts_anywhere("township")
    admin = principal_for(app, users["admin"]["id"])
    assert admin.scope() is None and admin.can_act(world.b3, "township")


def test_secretary_of_two_branches(app, world):
    u = create_user(app, "two", "两支部书记", "password-1", [("branch_secretary", "b1"), ("branch_secretary", "b2")])
    assert principal_for(app, u["id"]).scope() == sorted([world.b1, world.b2])
    change_role(app, "two", "branch_secretary", "b2", add=False, by="admin")
    assert principal_for(app, u["id"]).scope() == [world.b1]
    with pytest.raises(DomainError, match="没有这一角色"):
        change_role(app, "two", "branch_secretary", "b2", add=False)
    actions = [e["action"] for e in entries(app, target_kind="user", target_id=u["id"])]
    assert actions == ["user.role_remove", "user.create"]


def test_user_commands(app, world, db_url):
    runner = CliRunner()
    r = runner.invoke(cli, ["user", "add", "li", "--name", "李书记", "--role", "branch_secretary", "--org", "b1",
                            "--password-stdin", "--db", db_url], input="secret-pass-1\n")
    assert r.exit_code == 0, r.output
    assert "李书记" in r.output and "党支部书记（贺丰村党支部）" in r.output
    r = runner.invoke(cli, ["user", "role", "add", "li", "--role", "township_officer", "--org", "b1", "--db", db_url])
    assert r.exit_code == 2 and "应属于乡镇党委" in r.output
    r = runner.invoke(cli, ["user", "role", "add", "li", "--role", "county_viewer", "--org", "c", "--db", db_url])
    assert r.exit_code == 0
    r = runner.invoke(cli, ["--json", "user", "list", "--db", db_url])
    assert [x["role"] for x in __import__("json").loads(r.output)[0]["roles"]] == ["branch_secretary", "county_viewer"]
    r = runner.invoke(cli, ["user", "add", "wang", "--name", "王", "--password-stdin", "--db", db_url], input="short\n")
    assert r.exit_code == 2 and "密码至少 8 位" in r.output
    assert authenticate(app, "li", "secret-pass-1", "127.0.0.1").username == "li"
    assert entries(app, target_kind="user")[-1]["username"].startswith("命令行")


def test_demo_accounts(app):
    import random
    from services.demo import build_township

    town = build_township(app, random.Random(1))
    made = create_demo_accounts(app, town)
    names = [m[0] for m in made]
    assert names[:2] == ["shuji01", "shuji02"] and names[-3:] == ["zuzhi", "xianwei", "admin"]
    assert len([n for n in names if n.startswith("shuji")]) == (len(town["branches"]) + 1) // 2
    user = authenticate(app, "shuji01", DEMO_PASSWORD, "127.0.0.1")
    assert principal_for(app, user.id).scope() == sorted(town["branches"][:2])
    assert all(m[1] == DEMO_PASSWORD for m in made)
