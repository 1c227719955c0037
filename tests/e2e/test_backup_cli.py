"""`partyflow backup` / `partyflow restore` as the county's IT person runs them: the demo to a file
and back into a new database, then verify; bad input is one Chinese line and exit 2, never a
traceback, and writes nothing."""
from __future__ import annotations

import pytest

from services.app import App
from services.demo import run_demo
from tests.e2e import Cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo township and its backup (built once: the commands below only read them)."""
    folder = tmp_path_factory.mktemp("cli_backup")
    source = Cli(f"sqlite:///{folder / 'source.db'}")
    app = App.open(source.url)
    run_demo(app, candidates=6)
    app.close()
    source("backup", "--out", folder / "pf.pfbackup")
    return folder, source


def test_backup_then_restore_gives_the_same_township(demo, tmp_path):
    folder, source = demo
    target = Cli(f"sqlite:///{tmp_path / 'restored.db'}")
    out = target("restore", folder / "pf.pfbackup").stdout
    assert "已恢复到" in out and "6 名候选人" in out and "全部一致" in out
    assert target("verify").exit_code == 0
    for cid in (1, 3, 6):
        assert target.json("show", cid) == source.json("show", cid)
    assert target.json("list") == source.json("list")


def test_restore_reports_in_json(demo, tmp_path):
    folder, _ = demo
    out = Cli(f"sqlite:///{tmp_path / 'restored.db'}").json("restore", folder / "pf.pfbackup")
    assert out["ok"] is True and out["verify"]["ok"] is True and out["counts"]["candidate"] == 6


def _refused(cli: Cli, *args) -> str:
    result = cli(*args, code=2)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_bad_input_is_one_chinese_line_and_writes_nothing(demo, tmp_path):
    folder, source = demo
    fresh = Cli(f"sqlite:///{tmp_path / 'new.db'}")
    (tmp_path / "notes.txt").write_text("不是备份", encoding="utf-8")

    assert "不存在" in _refused(fresh, "restore", tmp_path / "missing.pfbackup")
    assert "不是 partyflow 备份文件" in _refused(fresh, "restore", tmp_path / "notes.txt")
    assert not (tmp_path / "new.db").exists()
    assert "不是空的" in _refused(source, "restore", folder / "pf.pfbackup")
    assert "不支持的数据库类型" in _refused(Cli("mysql://x/y"), "restore", folder / "pf.pfbackup")
    assert "不支持的数据库类型" in _refused(Cli("mysql://x/y"), "backup", "--out", tmp_path / "b.pfbackup")
    assert "已存在" in _refused(source, "backup", "--out", folder / "pf.pfbackup")
    assert "不存在" in _refused(fresh, "backup", "--out", tmp_path / "b.pfbackup")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
