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
