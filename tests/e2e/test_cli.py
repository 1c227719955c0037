"""The CLI's contract: refusals are Chinese lines naming the article and change nothing; `--json`
shapes are stable; `--preview` writes nothing; conflicts and unknown ids have their exit codes."""
from __future__ import annotations

import json
import textwrap

import pytest

from tests.e2e import Cli, World

COMMAND_KEYS = {"ok", "preview", "candidate_id", "version", "event", "stage", "stage_before", "violations",
                "warnings", "next_steps", "stage_name", "stage_before_name", "definition_key"}
EVENT_KEYS = {"seq", "kind", "step", "step_name", "occurred_on", "recorded_at", "actor", "evidence", "supersedes",
              "reason", "late", "definition_key", "number", "kind_name"}
OUTLOOK_KEYS = {"step", "number", "name", "actor", "earliest", "due", "hard_due", "recurring", "citation",
                "waiting_for", "waiting_for_names"}


def activist(cli: Cli, w: World) -> int:
    """A candidate who became an activist on 2016-04-11, filed, with two mentors."""
    cid = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")["candidate_id"]
    cli("step", cid, "2", "--date", "2016-03-15", "--set", "talker=支部书记")
    cli("step", cid, "3", "--date", "2016-04-11", "--set", "method=党员推荐")
    cli("step", cid, "4", "--date", "2016-04-20")
    cli("step", cid, "5", "--date", "2016-04-20", "--set", f"mentors={w.mentors[0]},{w.mentors[1]}")
    return cid


TARGET_TOO_EARLY = ("step", "{cid}", "target_selection", "--date", "2016-06-01", "--set", "opinions_heard=听取意见",
                    "--set", "notice_start=2016-05-16", "--set", "notice_end=2016-05-20")


def _args(template, **kw):
    return [a.format(**kw) for a in template]


# ------------------------------------------------------------------ refusals


def test_a_refused_step_is_one_chinese_line_naming_the_article_and_changes_nothing(cli, w):
    cid = activist(cli, w)
    before = cli.json("show", cid)
    r = cli(*_args(TARGET_TOO_EARLY, cid=cid), code=2)
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1
    assert "培养考察未满一年" in lines[0] and "第十三条" in lines[0] and "2017-04-11" in lines[0]
    assert "Traceback" not in r.output
    assert cli.json("show", cid) == before


def test_a_refusal_with_json_is_a_document_on_stdout(cli, w):
    cid = activist(cli, w)
    out = cli.json(*_args(TARGET_TOO_EARLY, cid=cid), code=2)
    assert out["ok"] is False and out["error"] == "refused"
    [v] = out["violations"]
    assert set(v) == {"code", "message", "article", "earliest"}
    assert v["code"] == "not_before" and v["article"] == "第十三条" and v["earliest"] == "2017-04-11"


def test_every_violation_is_reported_on_its_own_line(cli, w):
    cid = activist(cli, w)
    # a sponsor who is not a member, a missing notice, and too early: all at once
    r = cli("step", cid, "7", "--date", "2016-06-01", "--set", "opinions_heard=x", code=2)
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) >= 2
    assert any("公示开始日期" in x for x in lines)


def test_a_step_in_the_future_is_refused(cli, w):
    cid = activist(cli, w)
    r = cli("step", cid, "6", "--date", "2018-08-02", "--set", "assessment=好", code=2)
    assert "晚于今天" in r.output and "2018-08-01" in r.output


def test_unknown_candidate(cli, w):
    r = cli("show", "999", code=2)
    assert r.output.strip() == "找不到候选人 999"
    r = cli("step", "999", "2", "--date", "2016-03-15", "--set", "talker=x", code=2)
    assert "找不到候选人 999" in r.output
    assert cli.json("withdraw", "999", "--date", "2016-03-15", "--reason", "x", code=2)["violations"][0]["code"] == "candidate.unknown"


def test_unknown_step_names_the_valid_ones(cli, w):
    cid = activist(cli, w)
    r = cli("step", cid, "no_such_step", "--date", "2016-05-01", code=2)
    assert "没有步骤“no_such_step”" in r.output and "7.确定发展对象" in r.output  # names, not keys
    r = cli("step", cid, "26", "--date", "2016-05-01", code=2)
    assert "没有第 26 步" in r.output
    r = cli("step", cid, "报上级党委备案", "--date", "2016-05-01", code=2)
    assert "“报上级党委备案”可能指：第4步 报上级党委备案、第8步 报上级党委备案，请写明步骤编号" in r.output


def test_bad_input_is_refused_in_chinese(cli, w):
    cid = activist(cli, w)
    assert "不是有效日期" in cli("step", cid, "6", "--date", "2016-13-45", code=2).output
    assert "--set 应写成" in cli("step", cid, "6", "--date", "2016-05-01", "--set", "assessment", code=2).output
    assert "没有“bogus”这一记录项" in cli("step", cid, "6", "--date", "2016-05-01", "--set", "assessment=好",
                                          "--set", "bogus=1", code=2).output
    # a sponsor vote that is not a vote
    r = cli("person", "add", "--name", "某", "--gender", "X", "--birth", "1990-01-01", code=2)
    assert "性别" in r.output


def test_bad_options_give_usage_in_chinese_and_exit_2(cli, w):
    r = cli("step", "1", "2", code=2)  # --date missing
    assert "错误：缺少选项 '--date'" in r.output and "用法：" in r.output
    r = cli("apply", "--person", "abc", "--branch", "B1", "--date", "2016-03-01", code=2)
    assert "'--person' 的值无效：应为整数" in r.output and "Traceback" not in r.output
    assert "没有选项 --bogus" in cli("show", "1", "--bogus", code=2).output
    assert "没有命令“nosuch”" in cli("nosuch", code=2).output
    typo = cli("shw", code=2).output  # typer's "Did you mean" suggestion, in Chinese too
    assert "没有命令“shw”（是否要用：show）" in typo and "Did you mean" not in typo
    assert "显示本帮助并退出" in cli("step", "--help").output


def test_org_rules(cli, w):
    assert "已存在" in cli("org", "add", "--code", "B1", "--name", "重复", "--level", "branch", "--parent", "T1", code=2).output
    r = cli("org", "add", "--code", "B9", "--name", "挂错了", "--level", "branch", "--parent", "C1", code=2)
    assert "上级应为乡镇党委" in r.output and "第二十六条" in r.output
    assert "找不到组织" in cli("org", "add", "--code", "B9", "--name", "x", "--level", "branch", "--parent", "NOPE", code=2).output
    assert "层级" in cli("org", "add", "--code", "X", "--name", "x", "--level", "village", code=2).output
    orgs = cli.json("org", "list")
    assert [o["code"] for o in orgs] == ["C1", "T1", "B1", "B2"]
    assert set(orgs[2]) == {"id", "code", "name", "level", "level_name", "kind", "kind_name", "parent_code", "workflow_variant"}
    assert orgs[2]["parent_code"] == "T1" and orgs[2]["level_name"] == "党支部"


def test_a_township_variant_is_used_for_new_applications(cli, w):
    cli("org", "variant", "T1", "cpc_2014_notice7")
    assert cli.json("org", "list")[1]["workflow_variant"] == "cpc_2014_notice7"
    assert "不是乡镇变体" in cli("org", "variant", "T1", "cpc_2026", code=2).output
    out = cli.json("apply", "--person", w.applicant, "--branch", "B1", "--date", "2016-03-01")
    assert out["definition_key"] == "cpc_2014_notice7@2"  # the variant's highest version in force
    cli("org", "variant", "T1", "--clear")
    assert cli.json("org", "list")[1]["workflow_variant"] is None


def test_people(cli, w):
    people = cli.json("person", "list")
    assert len(people) == 5
    assert set(people[0]) == {"id", "name", "gender", "birth_date", "ethnicity", "education", "occupation", "tags",
                              "party_status", "party_status_name", "rights_suspended", "branch_code"}
    assert people[-1]["tags"] == ["青年农民", "致富带头人"] and people[-1]["party_status_name"] == "群众"
    assert [p["name"] for p in cli.json("person", "list", "--branch", "T1")] == ["王培养", "李培养", "张介绍", "赵介绍"]
    assert "须指定所在党支部" in cli("person", "add", "--name", "某", "--gender", "男", "--birth", "1980-01-01",
                                  "--party-status", "full_member", code=2).output


# ------------------------------------------------------------------ shapes


def test_command_json_shape(cli, w):
    out = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")
    assert set(out) == COMMAND_KEYS
    assert out["ok"] and not out["preview"] and out["version"] == 1 and out["stage"] == "applicant"
    assert out["stage_before"] == "new" and out["definition_key"] == "cpc_2014@3"
    assert set(out["event"]) == EVENT_KEYS and out["event"]["step"] == "application" and out["event"]["number"] == 1
    [nxt] = out["next_steps"]
    assert set(nxt) == OUTLOOK_KEYS
    assert nxt["step"] == "first_talk" and nxt["due"]["date"] == "2016-04-01"
    assert nxt["due"]["article"] == "第七条" and nxt["due"]["citation"] == "细则第七条" and nxt["due"]["provisional"] is False


def test_show_json_shape(cli, w):
    cid = activist(cli, w)
    data = cli.json("show", cid)
    assert set(data) == {"person", "candidate", "timeline", "next_steps", "late"}
    assert set(data["person"]) == {"id", "name", "gender", "birth_date", "ethnicity", "education", "occupation", "tags",
                                   "party_status"}
    assert set(data["candidate"]) == {"id", "branch", "definition_key", "definition_title", "stage", "stage_name",
                                      "version", "applied_on", "ended_on", "probation_end", "extensions", "extension_months",
                                      "pending_resolution"}
    c = data["candidate"]
    assert c["pending_resolution"] is None  # no branch meeting's resolution waits for the township
    assert c["branch"] == {"id": c["branch"]["id"], "code": "B1", "name": "红星村党支部"}
    assert c["stage"] == "activist" and c["stage_name"] == "入党积极分子" and c["version"] == 5
    assert c["definition_title"] == "中国共产党发展党员工作细则（2014年）规则第3版"
    assert [e["step"] for e in data["timeline"]] == ["application", "first_talk", "activist_selection", "activist_filing",
                                                    "mentors_assigned"]
    assert set(data["timeline"][0]) >= EVENT_KEYS | {"evidence_summary", "status", "corrected_by", "voided_by"}
    assert data["timeline"][4]["evidence_summary"] == "培养联系人：王培养、李培养"
    target = next(s for s in data["next_steps"] if s["step"] == "target_selection")
    assert target["earliest"]["date"] == "2017-04-11" and target["earliest"]["citation"] == "细则第十三条"
    assert "满1年" in target["earliest"]["text"]


def test_show_human(cli, w):
    cid = activist(cli, w)
    text = cli("show", cid).stdout
    for expected in ("刘小红", "红星村党支部", "入党积极分子", "办理记录", "指定培养联系人", "王培养、李培养",
                     "最早可办理日期", "最迟办理日期", "依据条款", "2017-04-11", "细则第十三条"):
        assert expected in text


def test_list_groups_by_stage_and_a_township_includes_its_branches(cli, w):
    a = activist(cli, w)
    pid = cli.json("person", "add", "--name", "新申请", "--gender", "男", "--birth", "1990-01-01")["id"]
    b = cli.json("apply", "--person", pid, "--branch", "B2", "--date", "2018-07-01")["candidate_id"]
    items = cli.json("list", "--org", "T1")
    assert [i["id"] for i in items] == [a, b]
    assert set(items[0]) == {"id", "person_id", "name", "branch", "stage", "stage_name", "definition_key", "applied_on",
                             "version", "next_steps", "next_due", "late"}
    assert items[1]["next_due"] == {"date": "2018-08-01", "step": "first_talk", "number": 2, "name": "党组织派人谈话"}
    assert [i["id"] for i in cli.json("list", "--org", "B2")] == [b]
    assert [i["id"] for i in cli.json("list", "--stage", "入党积极分子")] == [a]
    assert [i["id"] for i in cli.json("list", "--stage", "applicant")] == [b]
    text = cli("list").stdout
    assert text.index("入党申请人（1 人）") < text.index("入党积极分子（1 人）")
    assert "2. 党组织派人谈话" in text  # the step number whether the next step has a due date or not
    assert "没有阶段" in cli("list", "--stage", "党员", code=2).output


def test_overdue(cli, w):
    cid = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")["candidate_id"]
    assert cli.json("overdue", "--as-of", "2016-04-01") == []
    [item] = cli.json("overdue", "--as-of", "2016-04-11", "--org", "T1")
    assert set(item) == {"candidate_id", "person_id", "name", "branch", "stage", "stage_name", "step", "number",
                         "step_name", "actor", "kind", "kind_name", "due_on", "days_overdue", "provisional", "article", "citation"}
    assert item["candidate_id"] == cid and item["step_name"] == "党组织派人谈话" and item["due_on"] == "2016-04-01"
    assert item["days_overdue"] == 10 and item["article"] == "第七条" and item["citation"] == "细则第七条"
    text = cli("overdue", "--as-of", "2016-04-11").stdout
    assert "党组织派人谈话" in text and "细则第七条" in text
    # recording it late is allowed, and flagged
    out = cli.json("step", cid, "2", "--date", "2016-04-08", "--set", "talker=支部书记")
    assert out["event"]["late"] is True and any(x.startswith("逾期") for x in out["warnings"])
    r = cli("step", cid, "3", "--date", "2016-04-11", "--set", "method=党员推荐")
    assert "逾期" not in r.stdout
    assert cli.json("show", cid)["late"] == [{"step": "first_talk", "step_name": "党组织派人谈话", "due_on": "2016-04-01"}]
    assert cli.json("overdue", "--as-of", "2016-04-11") == []


# ------------------------------------------------------------------ preview and conflicts


def test_preview_writes_nothing(cli, w):
    r = cli("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01", "--preview")
    assert r.stdout.startswith("【预演，未写入】")
    assert cli.json("list") == []
    cid = activist(cli, w)
    before = cli.json("show", cid)
    r = cli("step", cid, "6", "--date", "2016-10-10", "--set", "assessment=表现良好", "--preview")
    assert r.stdout.startswith("【预演，未写入】") and "培养教育考察" in r.stdout
    out = cli.json("step", cid, "6", "--date", "2016-10-10", "--set", "assessment=表现良好", "--preview")
    assert out["ok"] and out["preview"] is True and out["event"]["step"] == "cultivation"
    assert cli.json("show", cid) == before
    # a refused preview is refused like the real thing
    assert "培养考察未满一年" in cli(*_args(TARGET_TOO_EARLY, cid=cid), "--preview", code=2).output


def test_a_stale_version_is_a_conflict(cli, w):
    cid = activist(cli, w)  # version 5
    before = cli.json("show", cid)
    r = cli("step", cid, "6", "--date", "2016-10-10", "--set", "assessment=好", "--expect-version", "4", code=3)
    assert "已被他人修改" in r.output
    assert cli.json("show", cid) == before
    out = cli.json("step", cid, "6", "--date", "2016-10-10", "--set", "assessment=好", "--expect-version", "4", code=3)
    assert out["ok"] is False and out["error"] == "conflict"
    cli("step", cid, "6", "--date", "2016-10-10", "--set", "assessment=好", "--expect-version", "5")


def test_a_lost_race_is_a_conflict(cli, w, monkeypatch):
    """Two clerks read version N; the second write loses (ConcurrentModification from storage)."""
    from services.casework import candidates
    from storage.errors import ConcurrentModification

    cid = activist(cli, w)

    def lose(*a, **k):
        raise ConcurrentModification(cid, 5)

    monkeypatch.setattr(candidates, "complete_step", lose)
    r = cli("step", cid, "6", "--date", "2016-10-10", "--set", "assessment=好", code=3)
    assert "已被他人修改" in r.output and "Traceback" not in r.output


# ------------------------------------------------------------------ corrections


def test_correct_and_void(cli, w):
    cid = activist(cli, w)
    out = cli.json("correct", cid, "4", "--date", "2016-04-22", "--set", "filing_no=备字〔2016〕7号", "--reason", "日期录错")
    assert out["ok"] and out["event"]["kind"] == "correct" and out["event"]["supersedes"] == 4
    out = cli.json("step", cid, "6", "--date", "2016-10-10", "--set", "assessment=好")
    cli("void", cid, str(out["event"]["seq"]), "--reason", "误录")
    data = cli.json("show", cid)
    by_seq = {e["seq"]: e for e in data["timeline"]}
    assert by_seq[4]["status"] == "corrected" and by_seq[4]["corrected_by"] == [6]
    assert by_seq[6]["kind"] == "correct" and by_seq[6]["occurred_on"] == "2016-04-22"
    assert by_seq[7]["status"] == "voided" and by_seq[7]["voided_by"] == 8
    text = cli("show", cid).stdout
    assert "已更正" in text and "已作废" in text
    assert "原因" in cli("void", cid, "3", "--reason", " ", code=2).output
    assert "不能作废" in cli("void", cid, "1", "--reason", "x", code=2).output


def test_migrate(cli, w):
    cid = activist(cli, w)
    assert "早于施行日期" in cli("migrate", cid, "cpc_2026@1", "--date", "2018-07-01", "--reason", "x", code=2).output
    cli.today = "2026-06-01"  # the revision is in force from 2026-05-19
    out = cli.json("migrate", cid, "cpc_2026@1", "--date", "2026-06-01", "--reason", "乡党委决定按新细则办理", "--preview")
    assert out["ok"] and out["definition_key"] == "cpc_2026@1"
    assert cli.json("show", cid)["candidate"]["definition_key"] == "cpc_2014@3"
    assert "未找到流程定义" in cli("migrate", cid, "nope@1", "--date", "2018-07-01", "--reason", "x", code=2).output


# ------------------------------------------------------------------ definitions and the process table


def test_steps_table(cli):
    text = cli("steps", "--definition", "cpc_2014@1", db=False).stdout
    for expected in ("确定发展对象", "细则第十三条", "支部大会讨论", "上级党委审批",
                     "细则第二十五条", "公示不少于"):
        assert expected in text
    assert "target_selection" not in text  # steps are typed by number or name; ids only in --json
    data = cli.json("steps", "--definition", "cpc_2014@1", db=False)
    assert data["key"] == "cpc_2014@1" and len(data["steps"]) == 25
    s7 = data["steps"][6]
    assert s7["number"] == 7 and s7["id"] == "target_selection" and s7["stage_name"] == "发展对象"
    assert s7["actor_name"] == "党支部委员会"
    assert s7["rules"][0]["kind"] == "not_before" and s7["rules"][0]["article"] == "第十三条"
    assert s7["rules"][0]["text"] == "“推荐和确定入党积极分子”满1年后方可办理"
    assert s7["rules"][1]["text"] == "公示不少于5个工作日，期满后方可办理" and s7["rules"][1]["citation"] == "本地规定"
    assert data["probation"] == {"after": "admission_meeting", "months": 12, "article": "第三十二条", "citation": "细则第三十二条"}
    d26 = cli.json("steps", "--definition", "cpc_2026@1", db=False)
    assert d26["probation"]["article"] == "第三十一条"
    notice = next(r for r in d26["steps"][6]["rules"] if r["kind"] == "public_notice")
    assert notice["unverified"] is True and notice["citation"] == "细则第十三条，未核实"
    assert "未找到流程定义" in cli("steps", "--definition", "nope@9", db=False, code=2).output


def test_steps_default_is_the_definition_in_force_today(cli):
    assert cli.json("steps", db=False)["key"] == "cpc_2014@3"  # today is 2018-08-01: each id's highest version
    cli.today = "2026-05-10"
    assert cli.json("steps", db=False)["key"] == "cpc_2014@3"
    cli.today = "2026-05-11"  # cpc_2026@3 is in force from the revision's issue (第四十四条)
    assert cli.json("steps", db=False)["key"] == "cpc_2026@3"


def test_definitions_list(cli):
    items = cli.json("definitions", db=False)
    keys = [d["key"] for d in items]
    assert {"cpc_2014@1", "cpc_2026@1", "cpc_2014_notice7@1"} <= set(keys)
    d = next(x for x in items if x["key"] == "cpc_2014@1")
    assert d == {"key": "cpc_2014@1", "id": "cpc_2014", "version": 1, "title": "中国共产党发展党员工作细则（2014年）",
                 "effective_from": "2014-06-10", "local": False, "extends": None, "steps": 25,
                 "installed": False}
    text = cli("definitions", db=False).stdout
    assert "2014-06-10" in text and "乡镇变体" in text and "cpc_2026@1" in text


BROKEN = textwrap.dedent("""\
    id: broken_def
    version: 1
    title: 坏的定义
    effective_from: 2020-01-01
    roles:
      applicant: 申请人
    stages:
      - {id: applicant, name: 入党申请人}
    end_states: []
    steps:
      - id: application
        number: 1
        name: 递交入党申请书
        stage: applicant
        actor: nobody
        enters: applicant
        rules:
          - {kind: min_agee, years: 18, article: 第五条, confidence: V}
      - id: first_talk
        number: 2
        name: 谈话
        stage: applicantt
        actor: applicant
        requires: [applicatoin]
    """)


def test_definitions_validate_lists_every_problem_with_file_and_line(cli, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    r = cli("definitions", "validate", path, db=False, code=1)
    lines = [x for x in r.output.splitlines() if x.strip()]
    problems = [x for x in lines if x.startswith(f"{path}:")]
    assert len(problems) >= 4
    assert f"{path}:15:" in r.output and "nobody" in r.output
    assert f"{path}:18:" in r.output and "min_age" in r.output
    assert f"{path}:24:" in r.output and "applicatoin" in r.output
    out = cli.json("definitions", "validate", path, db=False, code=1)
    assert out["ok"] is False and len(out["problems"]) == len(problems)
    assert set(out["problems"][0]) == {"file", "line", "message"}


def test_definitions_validate_accepts_a_good_file(cli):
    from workflows.registry import default_paths

    local = next(p for p in default_paths() if p.name == "cpc_2014_notice7.yaml")
    r = cli("definitions", "validate", local, db=False)
    assert "定义有效" in r.stdout and "cpc_2014_notice7@1" in r.stdout


INSTALLED = textwrap.dedent("""\
    id: cpc_2014_notice9
    version: 1
    extends: cpc_2014@1
    local: true
    title: 乡镇变体：公示9个工作日
    steps:
      target_selection:
        rules:
          public_notice:
            working_days: 9
    """)


def test_definition_commands_see_the_versions_installed_in_the_database(cli, tmp_path):
    """A version installed on the web admin page lives in the database, not in a file: `definitions`,
    `steps` and `definitions validate` (an override extending it) read it from --db, and reading
    never creates a database that does not exist."""
    from services.app import App
    from services.organisation.definitions import install_upload

    cli("init")
    app = App.open(cli.url, migrate=False)
    try:
        done = install_upload(app, "notice9.yaml", INSTALLED.encode(), expected_sha256=None, user_id=None,
                              username="admin")
    finally:
        app.close()
    assert done["ok"] and done["installed"], done
    items = {d["key"]: d for d in cli.json("definitions")}
    assert items["cpc_2014_notice9@1"]["installed"] is True and items["cpc_2014_notice9@1"]["local"] is True
    assert items["cpc_2014@1"]["installed"] is False
    assert "网页安装" in next(x for x in cli("definitions", "list").stdout.splitlines() if "cpc_2014_notice9@1" in x)
    table = cli.json("steps", "--definition", "cpc_2014_notice9@1")
    notice = next(r for r in table["steps"][6]["rules"] if r["kind"] == "public_notice")
    assert notice["text"] == "公示不少于9个工作日，期满后方可办理"
    extending = tmp_path / "v2.yaml"
    extending.write_text(INSTALLED.replace("version: 1\nextends: cpc_2014@1", "version: 2\nextends: cpc_2014_notice9@1"),
                         encoding="utf-8")
    assert cli.json("definitions", "validate", extending)["key"] == "cpc_2014_notice9@2"
    # the files alone without the database; a database that does not exist is not created
    missing = tmp_path / "none.db"
    keys = [d["key"] for d in cli.json("--db", f"sqlite:///{missing}", "definitions", db=False)]
    assert "cpc_2014_notice9@1" not in keys and "cpc_2014@1" in keys and not missing.exists()
    r = cli("definitions", "validate", extending, "--db", f"sqlite:///{missing}", db=False, code=1)
    assert "cpc_2014_notice9@1" in r.output and not missing.exists()


# ------------------------------------------------------------------ holidays, init, verify, global options


def test_holidays_load(cli, w, tmp_path):
    good = tmp_path / "2027.yaml"
    good.write_text("year: 2027\nsource: 测试\nholidays:\n  - 2027-01-01\n  - 2027-02-05 ~ 2027-02-11\n"
                    "workdays:\n  - 2027-02-14\n", encoding="utf-8")
    out = cli.json("holidays", "load", good)
    assert out == {"ok": True, "year": 2027, "holidays": 8, "workdays": 1, "source": "测试", "recomputed": 0}
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nholidays:\n  - 2027-02-30\n", encoding="utf-8")
    r = cli("holidays", "load", bad, code=2)
    assert "第 3 行" in r.output and "2027-02-30" in r.output


def test_init_and_the_db_option_after_the_command(cli, tmp_path):
    other = tmp_path / "other.db"
    r = cli("init", "--db", f"sqlite:///{other}", db=False)
    assert str(other) in r.stdout and other.exists()
    out = cli.json("org", "list", "--db", f"sqlite:///{other}", db=False)
    assert out == []


def test_env_var_database_url(cli, tmp_path, monkeypatch):
    path = tmp_path / "env.db"
    monkeypatch.setenv("PARTYFLOW_DATABASE_URL", f"sqlite:///{path}")
    r = cli("init", db=False)
    assert str(path) in r.stdout


def test_verify(cli, w):
    pytest.importorskip("services.integrity.verify")
    activist(cli, w)
    out = cli.json("verify")
    assert out["ok"] is True and out["candidates"] == 1 and out["events"] == 5 and out["mismatches"] == []
    assert "全部一致" in cli("verify").stdout


def test_global_json_before_the_command(cli, w):
    r = cli("--json", "org", "list")
    assert json.loads(r.stdout)[0]["code"] == "C1"


def test_a_notice_counted_on_an_unknown_year_is_marked_until_the_year_is_loaded(cli, w, tmp_path):
    """公示 over 2027-01-01 (元旦) while 2027's schedule is unknown: five Monday-to-Friday days end
    01-07, so the step is recorded, and says it is a provisional result wherever it is shown."""
    cid = activist(cli, w)
    cli.today = "2027-03-01"
    args = ("step", cid, "7", "--date", "2027-01-11", "--set", "opinions_heard=听取党小组和群众意见",
            "--set", "notice_start=2027-01-01", "--set", "notice_end=2027-01-07")
    out = cli.json(*args)
    assert out["ok"] and any(w.startswith("临时结果") and "2027年节假日安排未载入" in w for w in out["warnings"])
    item = cli.json("show", cid)["timeline"][-1]
    assert item["step"] == "target_selection" and "2027-01-07" in item["provisional"]
    assert "临时结果" in cli("show", cid).stdout
    year = tmp_path / "2027.yaml"
    year.write_text("year: 2027\nsource: 测试\nholidays:\n  - 2027-01-01\n", encoding="utf-8")
    cli("holidays", "load", year)
    item = cli.json("show", cid)["timeline"][-1]
    assert item["provisional"] is None  # the official schedule counts: 01-01 is off, five days end 01-08
    assert "应至少公示至 2027-01-08" in item["compliance"] and "2027-01-07" in item["compliance"]
    text = cli("show", cid).stdout
    assert "临时结果" not in text and "公示期不足" in text


def test_provisional_dates_are_marked():
    """A date counted Mon–Fri for a year whose holidays are not published is marked as such."""
    from io import StringIO

    from rich.console import Console

    from cli import render
    from engine.calendar import WorkdayCalendar

    step = {"step": "x", "number": 7, "name": "确定发展对象", "citation": "细则第十三条", "hard_due": None, "recurring": None,
            "earliest": {"date": "2027-01-08", "provisional": True, "article": "第十三条", "rule": "not_before",
                         "citation": "细则第十三条"},
            "due": {"date": "2027-01-01", "provisional": False, "citation": "细则第十三条"}}
    buf = StringIO()
    Console(file=buf, width=300).print(render.next_steps_table([step], WorkdayCalendar()))
    assert "2027-01-08（暂按周一至周五推算）" in buf.getvalue()
    # a due date says it is inclusive and what its day is: 元旦 by law, the year's arrangement unknown
    assert "2027-01-01（含当日，元旦；2027 年节假日安排尚未载入）" in buf.getvalue()


def test_demo_refuses_a_database_that_holds_records(cli, w):
    """The demo builds its township from nothing: on a database with records it says so in one
    Chinese line and writes nothing (it used to stop with a UNIQUE-constraint traceback)."""
    before = cli.json("org", "list")
    result = cli("demo", "--db", cli.url, code=2, db=False)
    assert "已有组织和人员记录" in result.stderr and "Traceback" not in result.output
    data = cli.json("demo", "--db", cli.url, code=2, db=False)
    assert data["ok"] is False and data["violations"][0]["code"] == "demo.database_not_empty"
    assert cli.json("org", "list") == before


# ------------------------------------------------------------------ --db


def test_db_takes_a_plain_file_path_as_well_as_a_url(tmp_path, monkeypatch):
    """People type a path more often than a URL: `--db ./pf.db` is that SQLite file."""
    monkeypatch.chdir(tmp_path)
    by_path = Cli("./pf.db")
    by_path("init")
    by_path("org", "add", "--code", "C1", "--name", "青山县委", "--level", "county")
    assert (tmp_path / "pf.db").exists()
    by_url = Cli(f"sqlite:///{tmp_path / 'pf.db'}")
    assert [o["code"] for o in by_url.json("org", "list")] == ["C1"]


@pytest.mark.parametrize("address, words", [
    ("foo://bar", "不支持的数据库类型 foo"),
    ("postgresql://u@h:notaport/db", "不是有效的数据库 URL"),
])
def test_an_unreadable_db_address_is_one_chinese_line_and_no_traceback(tmp_path, address, words):
    r = Cli(address)("list", code=None)
    assert r.exit_code != 0
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "数据库地址" in lines[0] and words in lines[0], r.output
    assert "Traceback" not in r.output


def test_an_old_sqlite_library_is_one_chinese_line_and_changes_nothing(tmp_path, monkeypatch):
    import sqlite3

    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))  # e.g. Ubuntu 20.04's
    r = Cli(str(tmp_path / "pf.db"))("init", code=None)
    assert r.exit_code != 0 and "Traceback" not in r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "SQLite 版本为 3.31.1，低于 partyflow 所需的 3.35.0" in lines[0], r.output
    assert not (tmp_path / "pf.db").exists()


def test_demo_refuses_an_unreadable_db_address_in_one_line():
    r = Cli("foo://bar")("demo", "--db", "foo://bar", code=2, db=False)
    assert "不支持的数据库类型 foo" in r.output and "Traceback" not in r.output


def test_a_suspended_member_cannot_sponsor_until_their_rights_are_restored(cli, w):
    """第十四条: a member under 留党察看 cannot be a sponsor; the CLI records the suspension and its lifting."""
    sponsor = w.sponsors[0]
    out = cli.json("person", "suspend", sponsor, "--reason", "县纪委处分决定（留党察看一年）")
    assert out == {"ok": True, "id": int(sponsor), "name": out["name"], "rights_suspended": True}
    listed = {p["id"]: p for p in cli.json("person", "list")}
    assert listed[int(sponsor)]["rights_suspended"] is True and "权利停止" in cli("person", "list").stdout
    assert "无需变更" in cli("person", "suspend", sponsor, "--reason", "x", code=2).output
    assert "须记录" in cli("person", "suspend", sponsor, "--reason", " ", code=2).output
    assert "不是党员" in cli("person", "suspend", w.applicant, "--reason", "x", code=2).output
    cid = activist(cli, w)
    for step, on, sets in (("7", "2017-04-11", ["opinions_heard=听取意见", "notice_start=2017-03-27", "notice_end=2017-03-31"]),
                           ("8", "2017-04-12", [])):
        cli("step", cid, step, "--date", on, *[a for s in sets for a in ("--set", s)])
    sponsors = ["--set", f"sponsors={w.sponsors[0]},{w.sponsors[1]}"]
    refused = cli("step", cid, "9", "--date", "2017-04-20", *sponsors, code=2)
    assert "留党察看" in refused.output and "第十四条" in refused.output
    cli("person", "restore", sponsor, "--reason", "处分期满，恢复党员权利")
    cli("step", cid, "9", "--date", "2017-04-20", *sponsors)


def test_a_mistyped_db_file_is_refused_not_created(cli, w, tmp_path):
    """Only init (and demo, serve --demo) make a database: elsewhere a missing file is one Chinese
    line saying what to do, and no empty database appears."""
    typo = tmp_path / "partyflw.db"
    for args in (("show", "1"), ("list",), ("verify",), ("org", "add", "--code", "X", "--name", "某县委", "--level", "county")):
        r = cli("--db", str(typo), *args, code=2, db=False)
        assert "不存在：请先运行 partyflow init" in r.output and "Traceback" not in r.output
        assert not typo.exists()
    assert cli.json("show", "1", code=2)["violations"][0]["code"] == "candidate.unknown"  # the real one is there
    cli("init", "--db", str(typo), db=False)
    assert cli("--db", str(typo), "org", "list", db=False).exit_code == 0
