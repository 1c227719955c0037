"""The command line after the review of issue 16 (findings 8, 10–13): a broken config file does not
block a write that names its recorder, and says what is wrong with it in Chinese."""
from __future__ import annotations

import pytest

from tests.e2e import Cli, World


@pytest.fixture
def broken(monkeypatch, tmp_path):
    """No $PARTYFLOW_ACTOR and a config file that is not JSON."""
    path = tmp_path / "cfg.json"
    path.write_text("[不是设置", encoding="utf-8")
    monkeypatch.delenv("PARTYFLOW_ACTOR", raising=False)
    monkeypatch.setenv("PARTYFLOW_CONFIG", str(path))
    return path


def _apply(cli: Cli, w: World, *extra, code=0):
    return cli("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2018-03-01", *extra, code=code)


def test_by_wins_over_a_broken_config_file(w, cli, broken):
    _apply(cli, w, "--by", "李四")
    assert [i["id"] for i in cli.json("list")] != []


def test_a_broken_config_file_is_named_in_chinese(w, cli, broken):
    r = _apply(cli, w, code=2)
    assert f"设置文件 {broken} 无法读取（第 1 行第 2 列格式有误）" in r.stderr
    assert "Error" not in r.output and cli.json("list") == []


# ------------------------------------------------------------------ migrate-all (finding 8)


def _two_candidates(cli: Cli, w: World) -> list[int]:
    other = cli.json("person", "add", "--name", "陈新", "--gender", "女", "--birth", "1995-01-01")["id"]
    return [cli.json("apply", "--person", p, "--branch", w.branch, "--date", "2018-03-01")["candidate_id"]
            for p in (w.applicant, other)]


@pytest.mark.parametrize(("args", "message"), [
    (("cpc_2014@2", "cpc_2026@2", "--date", "2018-07-01", "--reason", "乡镇党委决定"),
     "自 2026-05-11 起施行，迁移日期 2018-07-01 早于施行日期"),
    (("cpc_2014@2", "cpc_2014@1", "--date", "2018-08-02", "--reason", "乡镇党委决定"), "迁移日期 2018-08-02 晚于今天（2018-08-01）"),
    (("cpc_2014@2", "cpc_2014@1", "--date", "2018-07-01", "--reason", " "), "迁移须写明乡镇党委的决定或原因"),
    (("cpc_2014@2", "cpc_2099@1", "--date", "2018-07-01", "--reason", "乡镇党委决定"), "没有版本代号为“cpc_2099@1”的流程（目标版本）"),
])
def test_migrate_all_refuses_once_what_holds_for_everyone(cli, w, args, message):
    ids = _two_candidates(cli, w)
    r = cli("migrate-all", *args, code=2)
    assert r.stderr.strip().splitlines() == [next(line for line in r.stderr.splitlines() if message in line)]
    assert "已迁移" not in r.output and "未迁移" not in r.output
    assert {cli.json("show", c)["candidate"]["definition_key"] for c in ids} == {"cpc_2014@2"}


def test_migrate_all_preview_says_nothing_was_written(cli, w):
    ids = _two_candidates(cli, w)
    out = cli("migrate-all", "cpc_2014@2", "cpc_2014@1", "--date", "2018-07-01", "--reason", "乡镇党委决定", "--preview").stdout
    assert out.startswith("【预演，未写入】") and "将迁移 2 名候选人到" in out
    assert {cli.json("show", c)["candidate"]["definition_key"] for c in ids} == {"cpc_2014@2"}


def test_the_notice7_versions_have_distinct_titles():
    """Two versions a township chooses between on the admin page cannot read the same (finding 9)."""
    from workflows.registry import Registry

    reg = Registry.default()
    one, two = (reg.get(k).title for k in ("cpc_2014_notice7@1", "cpc_2014_notice7@2"))
    assert one != two and two == "中国共产党发展党员工作细则（2014年）规则第2版 — 乡镇变体：公示7天"
