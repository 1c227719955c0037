"""`partyflow demo` ends with the web accounts and how to log in; `serve --today`'s clock."""
from __future__ import annotations

import json
from datetime import date, timedelta

from typer.testing import CliRunner

from cli.main import app as cli_app
from services.app import App
from services.accounts.users import authenticate


def test_demo_creates_the_web_accounts_and_says_how_to_log_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(cli_app, ["demo", "--db", url])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"partyflow --db {url} serve --today 2018-06-30" in out and "http://127.0.0.1:8000/" in out
    assert "shuji01" in out and "zuzhi" in out and "nanchuan-demo" in out and "乡镇党委组织委员" in out
    pf = App.open(url)
    try:
        assert authenticate(pf, "zuzhi", "nanchuan-demo", "127.0.0.1").username == "zuzhi"
    finally:
        pf.close()


def test_demo_json_lists_the_accounts(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(cli_app, ["demo", "--db", url, "--json"])
    web = json.loads(result.stdout)["web"]
    assert web["url"] == "http://127.0.0.1:8000/" and web["serve"].endswith("serve --today 2018-06-30")
    assert {a["username"] for a in web["accounts"]} >= {"shuji01", "zuzhi", "xianwei", "admin"}


def test_simulated_clock_starts_on_the_day_and_runs_on():
    from cli.web_cmds import _simulated_clock

    clock = _simulated_clock(date(2018, 6, 30))
    first = clock()
    assert first.date() == date(2018, 6, 30) and first.tzinfo is not None
    assert timedelta(0) <= clock() - first < timedelta(seconds=5)


def test_serve_refuses_a_bad_today(tmp_path):
    result = CliRunner().invoke(cli_app, ["serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--no-scheduler",
                                          "--today", "2018-02-30"])
    assert result.exit_code == 2 and "2018-02-30" in result.output
