"""`partyflow ledger export|import --preview|--confirm|undo` and `partyflow audit` as a user runs them."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.calendar import shift
from tests.e2e import Cli, world
from tests.ledger_helpers import clean_path, cpc2014, ledger_row, write_ledger

D = cpc2014()


@pytest.fixture
def cli(tmp_path) -> Cli:
    c = Cli(f"sqlite:///{tmp_path / 'partyflow.db'}")
    world(c)
    return c


def _file(tmp_path, *, bad=False):
    base = clean_path(D, date(2015, 3, 1), until="mentors_assigned")
    short = clean_path(D, date(2015, 3, 1), until="target_filing", overrides={
        **base, "target_selection": shift(base["activist_selection"], years=1) - timedelta(days=1)})
    rows = [ledger_row(D, name="陈短期", branch="红星村党支部", steps=short),
            ledger_row(D, name="林积极", branch="东风村", steps=base, birth="1993.7.8")]
    if bad:
        rows.append(ledger_row(D, name="错行", branch="无名村", steps=base))
    return write_ledger(tmp_path / "台账.xlsx", D, rows)


def test_preview_confirm_audit_export_undo(cli, tmp_path):
    path = _file(tmp_path)
    out = cli("ledger", "import", path, "--org", "T1", "--preview").stdout
    assert "将新建：候选人 2 名" in out and "细则第十三条" in out
    d = cli.json("ledger", "import", path, "--org", "T1", "--preview")
    assert d["ok"] and d["candidates"] == 2 and d["findings"] == 1 and d["error_list"] == []
    assert cli.json("list", "--org", "T1") == []  # the preview wrote nothing

    res = cli.json("ledger", "import", path, "--org", "T1", "--confirm")
    assert res["ok"] and res["candidates"] == 2 and res["findings"] == 1 and res["import_id"] == 1
    assert cli("verify").exit_code == 0

    a = cli.json("audit", "--org", "T1", "--period", "2016")
    assert a["total"] >= 1 and a["items"][0]["article"] == "第十三条" and a["period"]["key"] == "2016"
    text = cli("audit", "--org", "T1", "--period", "2016H1").stdout
    assert "陈短期" in text and "培养考察未满一年" in text

    xlsx = tmp_path / "out.xlsx"
    e = cli.json("ledger", "export", "--org", "T1", "--out", xlsx)
    assert e["rows"] == 2 and xlsx.exists()
    cli("ledger", "import", xlsx, "--org", "T1", "--confirm", code=2)  # same people again: needs confirmation

    u = cli.json("ledger", "undo", "1")
    assert u["candidates"] == 2 and u["people"] == 2
    assert cli.json("list", "--org", "T1") == []
    assert cli.json("ledger", "list")[0]["status"] == "undone"
    r = cli.json("ledger", "undo", "1", code=2)
    assert r["ok"] is False and "已于" in r["violations"][0]["message"]


def test_bad_rows_refuse_confirm_unless_skipped(cli, tmp_path):
    path = _file(tmp_path, bad=True)
    r = cli("ledger", "import", path, "--org", "T1", "--preview", code=1)
    assert "第 5 行「所在党支部」" in r.stdout and "无名村" in r.stdout
    r = cli("ledger", "import", path, "--org", "T1", "--confirm", code=2)
    assert "1 处错误" in r.stderr and "--skip-bad-rows" in r.stderr
    assert cli.json("list", "--org", "T1") == []
    res = cli.json("ledger", "import", path, "--org", "T1", "--confirm", "--skip-bad-rows")
    assert res["candidates"] == 2 and res["skipped_rows"] == [5]


def test_refusals_are_one_chinese_line(cli, tmp_path):
    notxlsx = tmp_path / "a.xlsx"
    notxlsx.write_bytes(b"hello")
    r = cli("ledger", "import", notxlsx, "--org", "T1", "--preview", code=2)
    assert r.stderr.strip() == "a.xlsx 不是 Excel（.xlsx）文件"
    r = cli("ledger", "import", _file(tmp_path), "--org", "B1", "--preview", code=2)
    assert "须导入到乡镇党委" in r.stderr
    r = cli("ledger", "import", _file(tmp_path), "--org", "T1", code=2)
    assert "--preview" in r.stderr
    r = cli("audit", "--org", "T1", "--period", "2018H3", code=2)
    assert "统计期间“2018H3”无法识别" in r.stderr
    r = cli("ledger", "import", tmp_path, "--org", "T1", "--preview", code=2)
    assert "不是文件" in r.stderr and "Traceback" not in r.output
    cli("ledger", "undo", "99", code=2)


def test_confirm_on_a_terminal_shows_the_progress_bar(cli, tmp_path, monkeypatch):
    """On a terminal, --confirm draws a rich bar on stderr: rows read and checked, then step
    records written (FORCE_COLOR makes rich treat the captured stderr as a terminal)."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    res = cli("ledger", "import", _file(tmp_path), "--org", "T1", "--confirm")
    assert "已导入" in res.stdout
    assert "读取并核对各行" in res.stderr and "写入步骤记录" in res.stderr


def test_import_and_undo_are_audited_by_the_named_recorder(cli, tmp_path):
    """The import and its undo each leave an audit row in their own transaction, naming who ran
    them from the command line (review of issue 17: the CLI wrote none)."""
    from services.app import App
    from services.integrity.audit_log import entries

    path = _file(tmp_path)
    cli("ledger", "import", path, "--org", "T1", "--confirm", "--by", "组织委员王")
    cli("ledger", "undo", "1", "--by", "组织委员王")
    app = App.open(cli.url)
    try:
        got = [(e["action"], e["username"], e["target_id"]) for e in entries(app, target_kind="import")]
    finally:
        app.close()
    assert got == [("ledger.undo", "命令行：组织委员王", "1"), ("ledger.import", "命令行：组织委员王", "1")]
    assert cli("verify").exit_code == 0
