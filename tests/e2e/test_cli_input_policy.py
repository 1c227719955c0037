"""Issue 17, finding 5: each reproduction of "CLI input is checked less than the web form" is now
one Chinese line naming the field, exit 2, nothing written; the preview refuses what the real
command refuses; `partyflow --db x.db demo` writes to x.db."""
from __future__ import annotations

import pytest

from tests.e2e import Cli
from tests.e2e.test_cli_vote import _to_meeting

PERSON = ("person", "add", "--gender", "男", "--birth", "1990-01-01", "--by", "测试")


@pytest.fixture
def cli(tmp_path) -> Cli:
    c = Cli(f"sqlite:///{tmp_path / 'partyflow.db'}")
    c("init")
    return c


def _refused(r, *words: str) -> None:
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and r.exception is None or isinstance(r.exception, SystemExit)
    for w in words:
        assert w in r.output, r.output


@pytest.mark.parametrize("args,words", [
    (("--name", "张三", "--birth", "1800-01-01"), ("出生日期", "不合理")),
    (("--name", "张三", "--email", "notanemail"), ("电子邮箱“notanemail”格式不对",)),
    (("--name", "张三", "--phone", "'; DROP TABLE person;--"), ("联系电话", "格式不对")),
    (("--name", "\u202e\u200b\ufeff王"), ("姓名", "不可见")),
    (("--name", "王" * 40000), ("姓名不能超过 40 字",)),
    (("--name", "\x1b[31m王\x1b[0m"), ("姓名", "不可见")),
    (("--name", "a\udced\udcb3\udcbf"), ("姓名", "不可见")),  # $'a\xed\xb3\xbf' as Python decodes argv
    (("--name", "张三", "--education", "其他（\u202e养蜂）"), ("学历", "不可见")),
    (("--name", "张三", "--party-status", "\udcff"), ("政治面貌",)),  # echoed back: printable, no UnicodeEncodeError
])
def test_person_add_refuses_each_hostile_value(cli, args, words):
    argv = list(PERSON)
    for opt, value in zip(args[::2], args[1::2]):
        if opt in argv:
            argv[argv.index(opt) + 1] = value
        else:
            argv += [opt, value]
    _refused(cli(*argv, code=None), *words)
    assert cli.json("person", "list") == []


def test_a_valid_email_is_kept(cli):
    pid = cli.json(*PERSON, "--name", "张三", "--email", " wang@example.cn ")["id"]
    assert pid and cli.json("person", "list")[0]["name"] == "张三"


@pytest.mark.parametrize("address", ["mysql://x", "mysql://u:secret@h/db", "postgresql+psycopg2://h/db", "oracle://x"])
def test_an_unsupported_database_kind_is_one_line_naming_the_supported_kinds(address):
    for argv in (["--db", address, "list"], ["list", "--db", address], ["--db", address, "definitions"]):
        r = Cli(address)(*argv, code=None, db=False)
        _refused(r, "SQLite", "PostgreSQL", "不支持的数据库类型")
        assert len([x for x in r.output.splitlines() if x.strip()]) == 1 and "secret" not in r.output


def test_a_huge_vote_is_refused_in_the_preview_as_in_the_real_run(tmp_path):
    from tests.e2e import world

    cli = Cli(f"sqlite:///{tmp_path / 'p.db'}")
    w = world(cli)
    cid = _to_meeting(cli, w)
    before = cli.json("show", cid)["timeline"]
    for value, words in (("vote=99999999999999999999,4,4,0,0", "数值过大"), ("resolution=" + "同" * 40000, "不能超过 2000 字")):
        sets = {"vote": "vote=4,4,4,0,0", "resolution": "resolution=同意", value.split("=")[0]: value}
        for extra in (("--preview",), ()):
            r = cli("step", cid, "admission_meeting", "--date", "2017-06-20", "--set", sets["vote"],
                    "--set", sets["resolution"], *extra, code=None)
            _refused(r, words)
            assert "将记录" not in r.output
    assert cli.json("show", cid)["timeline"] == before


def test_demo_uses_the_global_db(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the user data dir must stay untouched
    target = tmp_path / "x.db"
    r = Cli(str(target))("demo", "--candidates", "2", code=0)
    assert target.exists() and str(target) in r.output
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("demo.db"))
    again = Cli(str(target))("demo", "--candidates", "2", code=2)  # it is no longer empty: refused
    assert "演示只能在空数据库中运行" in again.output


def test_demo_refuses_a_silly_number_of_candidates(tmp_path):
    r = Cli(str(tmp_path / "d.db"))("demo", "--candidates", "99999999999999999999", code=None)
    _refused(r, "--candidates")
    assert not (tmp_path / "d.db").exists()


@pytest.mark.parametrize("address, words", [
    ("postgresql://u@127.0.0.1:1/x", ("无法连接数据库服务器 127.0.0.1:1", "连接被拒绝")),
    ("postgresql://no_such_role_pf@127.0.0.1:5432/test", ("数据库用户“no_such_role_pf”不存在",)),
])
def test_a_database_that_cannot_be_reached_is_told_in_chinese(address, words):
    """Connection failures name what is wrong in Chinese and what to check — not the driver's English
    (the second case needs the local PostgreSQL, which answers that the role does not exist)."""
    r = Cli(address)("--db", address, "list", code=None, db=False)
    assert r.exit_code != 0 and "Traceback" not in r.output
    for w in words:
        assert w in r.output, r.output
    assert "--db / PARTYFLOW_DATABASE_URL" in r.output
    assert not any(e in r.output for e in ("connection failed", "Connection refused", "FATAL", "does not exist"))


def test_an_unrecognised_database_error_is_still_chinese():
    from sqlalchemy.exc import OperationalError

    from storage.db_errors import explain

    text = explain(OperationalError("SELECT 1", {}, Exception("something odd happened")))
    assert text.startswith("连接数据库失败") and "odd" not in text
