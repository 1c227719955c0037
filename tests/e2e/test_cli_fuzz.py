"""Property-based CLI fuzz (issue 17, finding 5): every command registered on `cli.main.app` is run
with random and hostile arguments against a small fresh SQLite database. The properties:

- never an uncaught exception or a traceback (CliRunner's `exception` other than SystemExit, or
  "Traceback" in the output), and never a raw database failure for typed input (未写入任何内容：…,
  the input reached the database unchecked);
- a command that exits non-zero (a refusal, a conflict, a usage error) writes nothing: a checksum
  of every table is the same before and after.

Values: control, bidi, zero-width and ANSI characters, lone surrogates, huge and negative numbers,
impossible dates, unknown ids and codes, SQL-looking text, 40,000 characters, and plausible ones
(the world's codes, ids, steps and dates) so that commands also get past their first check. Paths
always point into the test's folder; HOME, XDG dirs and the config file too, so nothing outside it
is written.

Left out: `serve` and `scheduler run` (they run until stopped) and `demo` (a whole simulated
township per call: tests/e2e/test_cli_input_policy.py runs it with bad input). `user add` and
`user password` always get `--password-stdin` (getpass would read the terminal).

Bounded: EXAMPLES per command (PARTYFLOW_FUZZ_EXAMPLES for a deeper run), derandomized, no
shrinking; the failures are collected and listed together, each with its command line.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli.main import app
from tests.e2e import Cli, world

EXAMPLES = int(os.environ.get("PARTYFLOW_FUZZ_EXAMPLES") or 8)
SKIPPED = {("serve",), ("scheduler", "run"), ("demo",)}
PASSWORD_STDIN = {("user", "add"), ("user", "password")}
PATH_METAVARS = {"文件", "备份文件"}
PATH_NAMES = {"file", "out", "key", "public_key"}

HOSTILE = [
    "", " ", "0", "-1", "1", "2", "3", "7", "25", "2147483647", "2147483648", "99999999999999999999", "9" * 400,
    "1e9", "0x10", "³", "１", "NaN", "1,2,3", "5,4,4,0,0",
    "2018-03-10", "2016-03-01", "2017-06-20", "1800-01-01", "2018-02-30", "9999-12-31", "0000-00-00", "2018年3月10日",
    "C1", "T1", "B1", "B2", "c1", "cpc_2014@1", "cpc_2026@1", "cpc_2014@99", "first_talk", "admission_meeting",
    "宣誓", "谈话", "2017H2", "2018", "xlsx", "docx", "csv", "branch", "township", "county", "男", "女",
    "full_member", "none", "pending", "failed", "admin", "township_officer", "recorder",
    "'; DROP TABLE person;--", "1 OR 1=1", "\" OR \"\"=\"", "%", "_", "*", "..", "../..", "~",
    "\u202e\u200b\ufeff王", "\x1b[31m王\x1b[0m", "a\udced\udcb3\udcbf", "\udcff", "王\x00", "王\n建国", "\t=1+1",
    "王" * 41, "王" * 40000, "=HYPERLINK(\"http://evil.example\")", "mysql://x", "-", "--", "--help",
]
SET_KEYS = ["vote", "resolution", "talker", "notes", "谈话人", "表决结果", "mentors", "sponsors", "hours", "passed",
            "应到", "x", ""]


def _text() -> st.SearchStrategy[str]:
    any_char = st.characters(codec=None, exclude_categories=())  # surrogates and controls included
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.text(any_char, max_size=30),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.dates().map(lambda d: d.isoformat()),
    )


def _set_value() -> st.SearchStrategy[str]:
    return st.builds(lambda k, v: f"{k}={v}", st.sampled_from(SET_KEYS), _text()) | _text()


def _commands() -> list[tuple[tuple[str, ...], object]]:
    def walk(cmd, path):
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield path, cmd

    return sorted(walk(typer.main.get_command(app), ()), key=lambda c: c[0])


def _param_strategy(param, files: Path) -> st.SearchStrategy[list[str]]:
    """The argv pieces of one parameter ([] when left out)."""
    if getattr(param, "is_flag", False):
        return st.sampled_from([[], [param.opts[0]]])
    if param.metavar in PATH_METAVARS or param.name in PATH_NAMES:
        # a file in the test's folder: missing, or written by an earlier example, hostile names included
        name = st.one_of(st.sampled_from(["x.xlsx", "x.db", "x.csv", "x.yaml", "x.key", "x.json", "d", "\udcff.db",
                                          "王\x1b.xlsx", "a" * 300]),
                         st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=12))
        value = name.map(lambda n: str(files / n))
    else:
        value = _set_value() if param.name == "set_" else _text()
    positional = not param.opts[0].startswith("-")
    pieces = value.map(lambda v: [v] if positional else [param.opts[0], v])
    if getattr(param, "multiple", False):
        pieces = st.lists(pieces, max_size=3).map(lambda xs: [p for x in xs for p in x])
    if param.required or positional:
        return pieces
    return st.one_of(st.just([]), pieces)


def _argv_strategy(path: tuple[str, ...], cmd, files: Path) -> st.SearchStrategy[list[str]]:
    params = [p for p in cmd.params if not p.name.startswith("_pf")]
    parts = st.tuples(*(_param_strategy(p, files) for p in params)) if params else st.just(())
    extra = ["--password-stdin"] if path in PASSWORD_STDIN else []

    def build(pieces) -> list[str]:
        argv = [*path]
        options = [x for p, piece in zip(params, pieces) if p.opts[0].startswith("-") for x in piece]
        positional = [x for p, piece in zip(params, pieces) if not p.opts[0].startswith("-") for x in piece]
        # "--" before positionals: a value such as "-1" is an argument, not an unknown option
        return argv + options + extra + (["--", *positional] if positional else [])

    return st.builds(build, parts) | st.builds(lambda p: [*path, *extra, *p], st.lists(_text(), max_size=3))


def checksum(db: Path) -> str:
    """Every row of every table (SQLite's own ordering by rowid), hashed."""
    digest = hashlib.sha256()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table' order by name")]
        for t in tables:
            digest.update(t.encode())
            for row in con.execute(f'select * from "{t}"'):
                digest.update(repr(row).encode("utf-8", "surrogatepass"))
    finally:
        con.close()
    return digest.hexdigest()


@pytest.fixture
def fuzz_env(tmp_path, monkeypatch):
    """A small world (tests/e2e/__init__.py) with one candidate, and nothing written outside tmp_path."""
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "home"))
    monkeypatch.setenv("PARTYFLOW_CONFIG", str(tmp_path / "home" / "config.json"))
    monkeypatch.setenv("PARTYFLOW_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("PARTYFLOW_ACTOR", "测试")
    monkeypatch.delenv("PARTYFLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("PARTYFLOW_CHECKPOINT_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "partyflow.db"
    cli = Cli(f"sqlite:///{db}")
    w = world(cli)
    cli("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")
    cli("step", "1", "2", "--date", "2016-03-15", "--set", "talker=支部书记")
    files = tmp_path / "files"
    files.mkdir()
    return db, files


def test_every_cli_command_refuses_hostile_input_without_a_traceback_or_a_write(fuzz_env):
    db, files = fuzz_env
    runner = CliRunner()
    commands = [(p, c) for p, c in _commands() if p not in SKIPPED]
    assert len(commands) >= 55, [p for p, _ in commands]
    failures: list[str] = []
    runs = 0

    for path, cmd in commands:
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(argv=_argv_strategy(path, cmd, files))
        def run(argv):
            nonlocal runs
            runs += 1
            full = ["--db", str(db), *argv]
            before = checksum(db)
            result = runner.invoke(app, full, input="Fuzz-passw0rd-1234\nFuzz-passw0rd-1234\n")
            shown = " ".join(repr(a)[:60] for a in argv)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                failures.append(f"{shown}: {type(result.exception).__name__}: {str(result.exception)[:200]}")
            elif "Traceback" in result.output or "未写入任何内容：" in result.output:
                failures.append(f"{shown}: exit {result.exit_code}: {result.output[-300:]}")
            elif result.exit_code != 0 and checksum(db) != before:
                failures.append(f"{shown}: exit {result.exit_code} but the database changed: {result.output[-200:]}")

        run()
    assert runs >= len(commands) * 2
    unique = list(dict.fromkeys(failures))
    assert not failures, f"{len(unique)} failures, e.g.:\n" + "\n".join(unique[:25])
