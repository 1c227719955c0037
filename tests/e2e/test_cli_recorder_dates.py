"""Issue 16 item 5 on the command line: the recorder is a named person (never the OS login), and
due dates read inclusive with what their day is (a holiday, a rest day, an unloaded year)."""
from __future__ import annotations

import json

import pytest

from tests.e2e import Cli, World


@pytest.fixture
def nobody(monkeypatch, tmp_path):
    """No recorder anywhere: no $PARTYFLOW_ACTOR and an empty config file location."""
    monkeypatch.delenv("PARTYFLOW_ACTOR", raising=False)
    monkeypatch.setenv("PARTYFLOW_CONFIG", str(tmp_path / "cfg" / "config.json"))
    return tmp_path / "cfg" / "config.json"


def _apply(cli: Cli, w: World, *extra, code=0):
    return cli("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2018-03-01", *extra, code=code)


def _actors(cli: Cli) -> list[str]:
    items = cli.json("list")
    return [e["actor"] for i in items for e in cli.json("show", i["id"])["timeline"]]


# ------------------------------------------------------------------ the recorder


def test_a_write_without_a_recorder_is_refused_and_writes_nothing(cli, w, nobody):
    result = _apply(cli, w, code=2)
    assert "未指明录入人，本次未写入" in result.stderr and "--by" in result.stderr
    assert "PARTYFLOW_ACTOR" in result.stderr and "partyflow config set recorder" in result.stderr
    assert "Traceback" not in result.output
    assert cli.json("list") == []
    out = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2018-03-01", code=2)
    assert out["ok"] is False and out["violations"][0]["code"] == "recorder.missing"
    # the other writes that record a person: refused the same way, before anything happens
    r = cli("person", "add", "--name", "周新", "--gender", "男", "--birth", "1990-01-01", code=2)
    assert "未指明录入人" in r.stderr
    r = cli("user", "add", "li", "--name", "李书记", "--password-stdin", code=2)
    assert "未指明录入人" in r.stderr and "密码" not in r.output  # refused before asking for a password


def test_reads_and_previews_need_no_recorder(cli, w, nobody):
    cli("list")
    cli("overdue")
    preview = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2018-03-01", "--preview")
    assert preview["preview"] is True
    assert cli.json("list") == []


def test_by_then_env_then_config(cli, w, nobody, monkeypatch):
    cli("config", "set", "recorder", "张三")
    assert json.loads(nobody.read_text(encoding="utf-8")) == {"recorder": "张三"}
    cid = _apply(cli, w) and cli.json("list")[0]["id"]
    monkeypatch.setenv("PARTYFLOW_ACTOR", "李四")  # the environment wins over the file
    cli("step", cid, "2", "--date", "2018-03-10", "--set", "谈话人=李书记")
    cli("correct", cid, 2, "--date", "2018-03-11", "--reason", "日期录错", "--by", "王五")  # --by wins over both
    cli("correct", cid, 2, "--date", "2018-03-12", "--reason", "再核对", "--actor", "赵六")  # the old name still works
    assert _actors(cli) == ["张三", "李四", "王五", "赵六"]
    assert "root" not in cli("show", cid).stdout


def test_config_set_show_unset(cli, nobody):
    assert "未设置" in cli("config", "show").stdout
    cli("config", "set", "默认录入人", "贺丰村党支部书记 王建国")  # the Chinese key works too
    shown = cli.json("config", "show")
    assert shown["recorder"] == "贺丰村党支部书记 王建国" and shown["file"] == str(nobody)
    assert "已删除默认录入人设置" in cli("config", "unset", "recorder").stdout
    assert cli.json("config", "show")["recorder"] is None
    assert "没有保存默认录入人设置" in cli("config", "unset", "recorder").stdout


@pytest.mark.parametrize(("args", "message"), [
    (("config", "set", "colour", "红"), "没有“colour”这一设置项，可设置：recorder（默认录入人）"),
    (("config", "set", "recorder", "张\n三"), "录入人姓名应为一行文字"),
    (("config", "set", "recorder", "张" * 41), "不超过 40 个字"),
])
def test_config_refuses_bad_input(cli, nobody, args, message):
    assert message in cli(*args, code=2).stderr
    assert not nobody.exists()


def test_a_broken_config_file_is_named(cli, w, nobody):
    nobody.parent.mkdir(parents=True)
    nobody.write_text("[不是设置", encoding="utf-8")
    r = _apply(cli, w, code=2)
    assert f"设置文件 {nobody} 无法读取" in r.stderr and cli.json("list") == []


# ------------------------------------------------------------------ due dates with their day


def _candidate_applied(cli: Cli, w: World, on: str, today: str) -> int:
    cli.today = today
    pid = cli.json("person", "add", "--name", "陈新", "--gender", "女", "--birth", "1995-01-01")["id"]
    return cli.json("apply", "--person", pid, "--branch", w.branch, "--date", on)["candidate_id"]


@pytest.mark.parametrize(("applied", "today", "shown"), [
    ("2025-12-01", "2025-12-10", "2026-01-01（含当日，元旦假期）"),         # 元旦: said, not moved
    ("2025-12-05", "2025-12-10", "2026-01-05（含当日）"),                    # the working day after the break
    ("2026-01-14", "2026-01-20", "2026-02-14（含当日）"),                    # 调休上班 Saturday: not a rest day
    ("2026-02-07", "2026-02-10", "2026-03-07（含当日，周六休息日）"),        # an ordinary Saturday
    ("2026-12-01", "2026-12-10", "2027-01-01（含当日，元旦；2027 年节假日安排尚未载入）"),
])
def test_show_says_the_due_day(cli, w, applied, today, shown):
    cid = _candidate_applied(cli, w, applied, today)  # the first talk is due one month later (第七条)
    text = cli("show", cid).stdout
    assert shown in text and "最迟办理日期" in text
    assert cli.json("show", cid)["next_steps"][0]["due"]["date"] == shown[:10]  # the date itself is as computed


def test_overdue_says_the_due_day_and_the_last_day_is_not_late(cli, w):
    cid = _candidate_applied(cli, w, "2025-12-01", "2025-12-10")
    cli.today = "2026-01-05"
    assert cli.json("overdue", "--as-of", "2026-01-01") == []  # the due day itself is allowed
    text = cli("overdue", "--as-of", "2026-01-02").stdout
    assert "2026-01-01（含当日，元旦假期）" in text and str(cid) in text and "最迟办理日期" in text
