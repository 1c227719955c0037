"""Installing a process definition from the admin page: checked, stored with its YAML, audit-logged,
used at once by the web process and by any other process (a CLI command's fresh App, a scheduler
started before it) without a restart; a published key never changes content."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from services.app import App
from services.integrity.audit_log import entries
from services.casework.candidates import complete_step, register_applicant
from services.organisation.directory import add_org
from services.demo.sample_evidence import sample_evidence
from storage.tables import workflow_definition
from tests.web.test_web_admin import GOOD

VARIANT = GOOD  # the township variant the admin page test checks (公示 10 天)
VARIANT_KEY = "cpc_2014_notice10@1"

NATIONAL = """\
id: cpc_2026
version: 9
extends: cpc_2026@2
title: 中国共产党发展党员工作细则（2026年修订，第九版）
effective_from: 2026-11-01
"""


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _check(client, yaml_text: str, file_name: str = "upload.yaml"):
    return client.post("/admin/definitions/check", files={"file": (file_name, yaml_text.encode(), "text/yaml")},
                       data={"csrf_token": client.csrf()})


def _install_form(page: str) -> dict[str, str]:
    """The hidden fields of the install form on a successful check page (what a browser posts)."""
    form = re.search(r'<form method="post" action="/admin/definitions/install".*?</form>', page, re.S)
    assert form, "no install form on the page"
    f = form[0]
    text = re.search(r'name="text" value="([^"]*)"', f)[1]
    return {"name": html.unescape(re.search(r'name="name" value="([^"]*)"', f)[1]),
            "sha256": re.search(r'name="sha256" value="([^"]*)"', f)[1],
            "text": html.unescape(text).replace("\n", "\r\n")}  # a browser sends line breaks as CRLF


def _install(client, yaml_text: str, file_name: str = "upload.yaml"):
    checked = _check(client, yaml_text, file_name)
    assert checked.status_code == 200, checked.text
    return client.form("/admin/definitions/install", _install_form(checked.text))


def _stored(app, key: str):
    with app.uow(read_only=True) as uow:
        return uow.connection.execute(
            select(workflow_definition.c.sha256, workflow_definition.c.source, workflow_definition.c.source_name)
            .where(workflow_definition.c.key == key)).first()


def _url(app) -> str:
    return app.engine.url.render_as_string(hide_password=False)


def _installs(app) -> list[dict]:
    return [e for e in entries(app, target_kind="workflow_definition") if e["action"] == "definition.install"]


def test_check_offers_install_then_install_is_used_everywhere(app, login, world):
    a = login("admin")
    checked = _check(a, VARIANT, "notice10.yaml")
    assert checked.status_code == 200
    assert "notice10.yaml：校验通过：cpc_2014_notice10@1（乡镇变体）尚未发布，可以安装" in _text(checked.text)
    assert VARIANT_KEY not in app.registry and _stored(app, VARIANT_KEY) is None  # checking installs nothing

    r = a.form("/admin/definitions/install", _install_form(checked.text))
    assert r.status_code == 303 and r.headers["location"] == f"/admin/definitions/{VARIANT_KEY}"
    page = a.get(r.headers["location"])
    assert "已安装 cpc_2014_notice10@1" in page.text and "notice10.yaml（网页安装）" in page.text
    assert "网页安装" in a.get("/admin/definitions").text

    # the running web process uses it at once: a township can choose it, a candidate registers on it
    defn = app.registry.get(VARIANT_KEY)
    sha, source, name = _stored(app, VARIANT_KEY)
    assert (sha, source, name) == (defn.sha256, VARIANT, "notice10.yaml")  # the YAML as checked (LF)
    [audit] = _installs(app)
    assert (audit["username"], audit["target_id"], audit["detail"]["sha256"]) == ("admin", VARIANT_KEY, sha)
    assert audit["user_id"] is not None

    # a fresh process (what every CLI command builds) reads it from the database
    cli = App.open(_url(app), migrate=False)
    cli.clock = app.clock
    try:
        assert VARIANT_KEY in cli.registry.keys()
        assert cli.registry.get(VARIANT_KEY).sha256 == sha
        add_org(cli, "t9", "西川乡党委", "township", None, "c", "cpc_2014_notice10")
        branch = add_org(cli, "b9", "西川村党支部", "branch", "rural", "t9")
        with cli.uow() as uow:
            person = uow.people.add(name="周婷", gender="女", birth_date=date(1996, 3, 1))
        cid = register_applicant(cli, person_id=person, branch_id=branch, occurred_on=date(2025, 3, 3),
                                 actor="命令行").candidate_id
        complete_step(cli, cid, "first_talk", occurred_on=date(2025, 3, 20), actor="命令行",
                      evidence=sample_evidence("first_talk", date(2025, 3, 20), cal=cli.calendar))
        with cli.uow(read_only=True) as uow:
            row = uow.candidates.get(cid)
        assert row.definition_key == VARIANT_KEY
    finally:
        cli.close()
    # and the web process shows that candidate with the installed definition's steps
    page = _text(a.get(f"/candidates/{cid}").text)
    assert "周婷" in page and "确定发展对象" in page


def test_a_cli_process_uses_the_installed_version(app, login, world):
    """The real command line, in its own process, after an install through the web."""
    assert _install(login("admin"), VARIANT, "notice10.yaml").status_code == 303
    with app.uow() as uow:
        person = uow.people.add(name="郑洁", gender="女", birth_date=date(1995, 6, 1))
    env = {**os.environ, "PARTYFLOW_ACTOR": "命令行"}
    env.pop("PARTYFLOW_DATABASE_URL", None)

    def cli(*args: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "cli.main", "--db", _url(app), "--json", *args],
                              capture_output=True, text=True, env=env, timeout=120,
                              cwd=Path(__file__).resolve().parents[2])
        assert done.returncode == 0, done.stderr + done.stdout
        return json.loads(done.stdout)

    cli("org", "add", "--code", "t9", "--name", "西川乡党委", "--level", "township", "--parent", "c",
        "--variant", "cpc_2014_notice10")  # refused if the process did not know the variant
    cli("org", "add", "--code", "b9", "--name", "西川村党支部", "--level", "branch", "--kind", "rural", "--parent", "t9")
    cid = cli("apply", "--person", str(person), "--branch", "b9", "--date", "2025-03-03")["candidate_id"]
    cli("step", str(cid), "first_talk", "--date", "2025-03-20", "--set", "talker=王书记")
    with app.uow(read_only=True) as uow:
        row = uow.candidates.get(cid)
    assert row.definition_key == VARIANT_KEY and "first_talk" in row.state["done"]


def test_a_running_process_picks_up_an_installed_version(app, login, world):
    """A process started before the install (the scheduler) finds the new key when it meets it,
    and the new national version by date once its list is re-read; pinned candidates stay put."""
    scheduler = App.open(_url(app), migrate=False)
    scheduler.clock = app.clock
    try:
        assert "cpc_2026@9" not in scheduler.registry.keys()
        assert app.registry.for_date(date(2026, 11, 20)).key == "cpc_2026@3"
        a = login("admin")
        r = _install(a, NATIONAL, "cpc_2026_v9.yaml")
        assert r.status_code == 303, r.text
        # the web process: new registrations from 2026-11-01 get version 9 at once
        assert app.registry.for_date(date(2026, 11, 20)).key == "cpc_2026@9"
        assert app.registry.for_date(date(2026, 10, 31)).key == "cpc_2026@3"
        with app.uow(read_only=True) as uow:
            pinned = uow.candidates.get(world.fresh).definition_key
        assert pinned == "cpc_2026@3"
        # the other process: an exact key it does not know is looked up at once …
        assert scheduler.definition("cpc_2026@9").effective_from == date(2026, 11, 1)
        # … and its choice by date follows after its list is re-read
        scheduler.definitions_ttl = 0
        assert scheduler.registry.for_date(date(2026, 11, 20)).key == "cpc_2026@9"
    finally:
        scheduler.close()

    # a candidate registered before stays on version 3 when it advances; a new one gets version 9
    sec = login("sec")
    complete_step(app, world.fresh, "first_talk", occurred_on=date(2026, 11, 20), actor="测试",
                  evidence=sample_evidence("first_talk", date(2026, 11, 20), cal=app.calendar))
    with app.uow() as uow:
        person = uow.people.add(name="吴倩", gender="女", birth_date=date(1997, 1, 1))
    new = register_applicant(app, person_id=person, branch_id=world.b1, occurred_on=date(2026, 11, 20),
                             actor="测试").candidate_id
    with app.uow(read_only=True) as uow:
        assert uow.candidates.get(world.fresh).definition_key == "cpc_2026@3"
        assert uow.candidates.get(new).definition_key == "cpc_2026@9"
    assert sec.get(f"/candidates/{new}").status_code == 200


def test_reinstalling_the_same_content_changes_nothing(app, login, world):
    a = login("admin")
    assert _install(a, VARIANT, "notice10.yaml").status_code == 303
    # the check page now says it is published, and offers no install
    again = _check(a, VARIANT.replace("title:", "# a comment changes nothing\ntitle:"), "again.yaml")
    assert again.status_code == 200 and "与已发布的 cpc_2014_notice10@1 内容完全相同，无需安装" in _text(again.text)
    assert 'action="/admin/definitions/install"' not in again.text
    # posting the install form again (an old tab): a no-op, no second audit row
    token_form = {"name": "notice10.yaml", "sha256": app.registry.get(VARIANT_KEY).sha256, "text": VARIANT}
    r = a.form("/admin/definitions/install", token_form)
    assert r.status_code == 303 and r.headers["location"] == "/admin/definitions"
    assert "已发布且内容完全相同，未作改动" in a.get("/admin/definitions").text
    assert len(_installs(app)) == 1 and _stored(app, VARIANT_KEY)[2] == "notice10.yaml"
    # a shipped file's version posted as is: nothing written either
    shipped = (Path(__file__).resolve().parents[2] / "workflows/local/cpc_2014_notice7.yaml").read_text("utf-8")
    r = a.form("/admin/definitions/install", {"name": "n7.yaml", "sha256": "", "text": shipped})
    assert r.status_code == 303 and len(_installs(app)) == 1
    assert _stored(app, "cpc_2014_notice7@1") is None or _stored(app, "cpc_2014_notice7@1")[1] is None


def test_a_published_key_never_changes_content(app, login, world):
    a = login("admin")
    # a shipped version's key with other content
    changed = VARIANT.replace("cpc_2014_notice10", "cpc_2014_notice7")
    r = a.form("/admin/definitions/install", {"name": "n7.yaml", "sha256": "", "text": changed})
    assert r.status_code == 400
    assert "流程定义 cpc_2014_notice7@1 已发布且内容不同：已发布的版本不能修改" in _text(r.text)
    assert _stored(app, "cpc_2014_notice7@1") is None
    # an installed version's key with other content
    assert _install(a, VARIANT, "notice10.yaml").status_code == 303
    other = VARIANT.replace("days: 10", "days: 12")
    r = _check(a, other, "notice12.yaml")
    assert r.status_code == 400 and "已发布的版本不能修改" in _text(r.text)
    r = a.form("/admin/definitions/install", {"name": "notice12.yaml", "sha256": "", "text": other})
    assert r.status_code == 400 and "已发布的版本不能修改" in _text(r.text)
    assert _stored(app, VARIANT_KEY)[1] == VARIANT and len(_installs(app)) == 1
    # a stored snapshot only (a pinned version whose file is gone) counts as published too
    with app.uow() as uow:
        uow.definitions.ensure("cpc_2014_gone@1", "f" * 64, {"id": "cpc_2014_gone"}, app.utcnow())
    gone = VARIANT.replace("cpc_2014_notice10", "cpc_2014_gone")
    r = a.form("/admin/definitions/install", {"name": "gone.yaml", "sha256": "", "text": gone})
    assert r.status_code == 400 and "cpc_2014_gone@1 已发布且内容不同" in _text(r.text)
    assert _stored(app, "cpc_2014_gone@1")[1] is None


def test_install_checks_again(app, login, world):
    a = login("admin")
    checked = _check(a, VARIANT, "notice10.yaml")
    form = _install_form(checked.text)
    # the text was changed after the check: refused, nothing installed
    r = a.form("/admin/definitions/install", {**form, "text": form["text"].replace("days: 10", "days: 11")})
    assert r.status_code == 400 and "内容与校验时不同（sha256 不符），请重新校验后再安装" in _text(r.text)
    # a broken text posted straight to install: every problem by line, nothing installed
    r = a.form("/admin/definitions/install", {"name": "bad.yaml", "sha256": "",
                                              "text": VARIANT.replace("target_selection", "no_such_step")})
    assert r.status_code == 400 and re.search(r"<code>bad\.yaml:\d+</code>", r.text)
    r = a.form("/admin/definitions/install", {"name": "", "sha256": "", "text": ""})
    assert r.status_code == 400 and "文件为空" in r.text
    # without the CSRF token
    r = a.post("/admin/definitions/install", data=form, follow_redirects=False)
    assert r.status_code == 403
    assert VARIANT_KEY not in app.registry and _stored(app, VARIANT_KEY) is None and _installs(app) == []


def test_only_the_administrator_installs(app, login, world):
    for role in ("sec", "com", "town", "county"):
        c = login(role)
        r = c.form("/admin/definitions/install", {"name": "n.yaml", "sha256": "", "text": VARIANT})
        assert r.status_code == 403, role
    assert VARIANT_KEY not in app.registry and _stored(app, VARIANT_KEY) is None and _installs(app) == []


def test_a_broken_installed_row_does_not_stop_a_process(app, world, caplog):
    """A stored YAML that no longer loads is left out with a warning; the files' versions still work."""
    with app.uow() as uow:
        uow.definitions.ensure("broken@1", "0" * 64, {"id": "broken"}, app.utcnow())
        uow.connection.execute(workflow_definition.update().where(workflow_definition.c.key == "broken@1")
                               .values(source="id: broken\nversion: 1\nextends: nowhere@3\n", source_name="b.yaml"))
    fresh = App.open(_url(app), migrate=False)
    try:
        with caplog.at_level("WARNING", logger="partyflow.definitions"):
            keys = fresh.registry.keys()
        assert "broken@1" not in keys and "cpc_2014@1" in keys
        assert any("b.yaml（网页安装）" in r.getMessage() and "nowhere@3" in r.getMessage() for r in caplog.records)
    finally:
        fresh.close()


def test_downgrade_keeps_installed_versions(app, login, world):
    """Migration 0006 cannot be undone while a version installed from the web exists (its YAML
    would go, and no process could load the candidates' rules)."""
    from storage.db import current_revision, downgrade, head_revision, upgrade

    assert _install(login("admin"), VARIANT, "notice10.yaml").status_code == 303
    app.close()
    with pytest.raises(RuntimeError, match="网页安装的流程定义（cpc_2014_notice10@1），降级会删除其 YAML 原文"):
        downgrade(app.engine, "0005")
    assert current_revision(app.engine) == head_revision() and _stored(app, VARIANT_KEY)[1] == VARIANT
    with app.engine.begin() as conn:
        conn.execute(workflow_definition.update().values(source=None, source_name=None))
    downgrade(app.engine, "0005")
    assert current_revision(app.engine) == "0005"
    upgrade(app.engine)
    assert _stored(app, VARIANT_KEY)[1] is None  # the snapshot row itself stays
