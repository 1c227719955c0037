"""The reminder commands as a user meets them: every mistake is one Chinese line and exit 2, never
a traceback, and nothing is written (review findings 11, 14 and 23)."""
from __future__ import annotations

import pytest

from tests.e2e import Cli, World, world


@pytest.fixture
def cli(tmp_path, monkeypatch) -> Cli:
    for name in ("PARTYFLOW_TEMPLATE_DIR", "PARTYFLOW_WEBHOOK_FORMAT", "PARTYFLOW_SMTP_HOST", "PARTYFLOW_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    return Cli(f"sqlite:///{tmp_path / 'partyflow.db'}")


@pytest.fixture
def w(cli) -> World:
    return world(cli)


def refused(cli: Cli, *args: str, want: str) -> str:
    """Run, expect exit 2 and exactly one line (no traceback) containing `want`."""
    r = cli(*args, code=2)
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and want in lines[0], r.output
    assert "Traceback" not in r.output and "Error" not in r.output
    return lines[0]


def queue(cli: Cli) -> dict:
    return cli.json("reminders")["counts"]


def with_overdue(cli: Cli, w: World) -> int:
    """An application of 2018-06-01: its first talk was due 2018-07-01, overdue on 2018-08-01 (today)."""
    cli("contact", "add", "--org", w.branch, "--role", "branch_secretary", "--name", "红星村书记",
        "--email", "shuji@hongxing.example")
    return cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2018-06-01")["candidate_id"]


# -- finding 11: no real notices for a future day ----------------------------------------------


def test_scan_of_a_future_day_is_refused_and_writes_nothing(cli, w):
    with_overdue(cli, w)
    refused(cli, "scan", "--as-of", "2018-08-02", want="晚于今天")
    assert queue(cli) == {}
    preview = cli.json("scan", "--as-of", "2018-09-01", "--dry-run")
    assert preview["dry_run"] and preview["notices"] >= 1 and preview["created"] == 0
    assert queue(cli) == {}
    created = cli.json("scan", "--as-of", "2018-08-01")["created"]  # today is allowed
    assert created >= 1 and queue(cli) == {"pending": created}


def test_scan_reads_only_what_is_new_and_full_reads_everything(cli, w):
    """Issue 19: the second scan reads only what changed since the first; --full reads the backlog."""
    with_overdue(cli, w)
    first = cli.json("scan", "--as-of", "2018-07-14")  # due 07-01: 13 days overdue
    assert first["full"] and first["examined"] == 1
    again = cli.json("scan", "--as-of", "2018-07-15")  # 14 days: the escalation is new
    assert (again["full"], again["since"], again["examined"], again["created"]) == (False, "2018-07-14", 1, 1)
    assert cli.json("scan", "--as-of", "2018-08-01")["examined"] == 0  # nothing crosses a threshold
    same = cli("scan", "--as-of", "2018-08-01").output
    assert "自 2018-08-01 以来的新情况" in same and "到期/逾期事项 0 项" in same
    full = cli("scan", "--as-of", "2018-08-01", "--full").output
    assert "全量" in full and "到期/逾期事项 1 项" in full and "新写入 0 条" in full


# -- finding 14: Chinese lines instead of tracebacks -------------------------------------------


@pytest.mark.parametrize("args", [("show", "99999999999999999999"), ("show", "2147483648"),
                                  ("step", "99999999999999999999", "2", "--date", "2018-07-01")])
def test_ids_beyond_the_database_are_refused(cli, w, args):
    refused(cli, *args, want="超出范围")


def test_apply_with_a_huge_person_id_is_refused(cli, w):
    refused(cli, "apply", "--person", "99999999999999999999", "--branch", w.branch, "--date", "2018-06-01",
            want="超出范围")
    assert cli.json("list") == cli.json("list")  # nothing broke; the database still answers


@pytest.mark.parametrize("value, want", [("a,b", "“a”"), ("1.5", "“1.5”"), ("-3", "“-3”"), (",", "请填写"),
                                         ("99999999999999999999", "超出范围")])
def test_retry_with_bad_ids_is_refused(cli, w, value, want):
    refused(cli, "reminders", "--retry", value, want=want)


def test_retry_of_listed_ids_and_all(cli, w):
    assert cli.json("reminders", "--retry", "1，2")["requeued"] == 0  # Chinese comma accepted
    assert cli.json("reminders", "--retry", "ALL")["requeued"] == 0


@pytest.mark.parametrize("args, want", [
    (("--scan-at", "25:00"), "0–23"),
    (("--scan-at", "06:60"), "0–59"),
    (("--scan-at", "six"), "HH:MM"),
    (("--dispatch-interval", "0"), "--dispatch-interval"),
    (("--dispatch-interval", "-5"), "--dispatch-interval"),
    (("--lease", "0"), "--lease"),
])
def test_scheduler_options_are_checked_before_the_catch_up_scan(cli, w, args, want):
    with_overdue(cli, w)
    refused(cli, "scheduler", "run", *args, want=want)
    assert queue(cli) == {}  # the catch-up scan did not run


@pytest.mark.parametrize("env, value, want", [
    ("PARTYFLOW_TEMPLATE_DIR", "/nonexistent/partyflow-templates", "/nonexistent/partyflow-templates"),
    ("PARTYFLOW_WEBHOOK_FORMAT", "foo", "PARTYFLOW_WEBHOOK_FORMAT"),
    ("PARTYFLOW_WEBHOOK_TIMEOUT", "soon", "PARTYFLOW_WEBHOOK_TIMEOUT"),
])
@pytest.mark.parametrize("command", [("dispatch",), ("dispatch", "--dry-run"), ("scheduler", "run")])
def test_delivery_configuration_errors_are_one_line(cli, w, monkeypatch, env, value, want, command):
    with_overdue(cli, w)
    monkeypatch.setenv(env, value)
    line = refused(cli, *command, want=want)
    assert line.startswith("发送设置有误")
    assert queue(cli) == {}


# -- finding 23: contacts through the service ----------------------------------------------------


@pytest.mark.parametrize("extra, want", [
    (("--name", ""), "姓名不能为空"),
    (("--name", "书记", "--webhook", "notaurl"), "http://"),
    (("--name", "书记", "--email", "shuji.example"), "电子邮箱"),
    (("--name", "书记", "--webhook", "http://169.254.169.254/latest/meta-data"), "链路本地地址"),  # SSRF
    (("--name", "书记", "--webhook", "http://192.168.1.20/sms"), "内部网络"),
    (("--name", "书记", "--role", "township_officer"), "乡镇党委"),
])
def test_contact_add_refusals(cli, w, extra, want):
    args = ["contact", "add", "--org", w.branch, "--role", "branch_secretary", *extra]
    if extra.count("--role"):
        args = ["contact", "add", "--org", w.branch, *extra]
    refused(cli, *args, want=want)
    assert cli.json("contact", "list") == []


def test_contact_add_and_list(cli, w):
    out = cli.json("contact", "add", "--org", w.township, "--role", "township_officer", "--name", "组织委员",
                   "--webhook", "https://hook.example/t")
    assert out["ok"] and out["id"]
    [c] = cli.json("contact", "list")
    assert (c["org"], c["role"], c["name"], c["webhook"], c["email"]) == (
        w.township, "township_officer", "组织委员", "https://hook.example/t", None)
    text = cli("contact", "list").output
    assert "红星乡党委" in text and "乡镇党委组织委员" in text
