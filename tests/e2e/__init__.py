"""End-to-end tests: the `partyflow` CLI as a user runs it, on a real SQLite file, "today" frozen.

`Cli` runs one command per call (each opens the database afresh, as a shell user would) and
`world` sets up a township with two branches, four full members and one applicant.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from freezegun import freeze_time
from typer.testing import CliRunner

from cli.main import app

# 10:00 in Asia/Shanghai: the App's clock is Shanghai time, freezegun's string is UTC.
DEFAULT_TODAY = "2018-08-01"


@dataclass
class Cli:
    url: str
    today: str = DEFAULT_TODAY
    runner: CliRunner = field(default_factory=CliRunner)

    def __call__(self, *args: Any, code: int | None = 0, db: bool = True):
        """Run `partyflow --db URL args...`; check the exit code unless `code=None`."""
        argv = (["--db", self.url] if db else []) + [str(a) for a in args]
        with freeze_time(f"{self.today} 02:00:00"):
            result = self.runner.invoke(app, argv)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        if code is not None:
            assert result.exit_code == code, f"exit {result.exit_code} != {code} for {argv}\n{result.output}"
        return result

    def json(self, *args: Any, code: int | None = 0, db: bool = True) -> Any:
        result = self(*args, "--json", code=code, db=db)
        return json.loads(result.stdout)


@dataclass
class World:
    township: str = "T1"
    branch: str = "B1"
    other_branch: str = "B2"
    mentors: tuple[int, int] = (0, 0)
    sponsors: tuple[int, int] = (0, 0)
    applicant: int = 0


def world(cli: Cli) -> World:
    """A county, a township, two village branches, four full members and an applicant born 1995."""
    cli("init")
    cli("org", "add", "--code", "C1", "--name", "青山县委", "--level", "county")
    cli("org", "add", "--code", "T1", "--name", "红星乡党委", "--level", "township", "--kind", "rural", "--parent", "C1")
    cli("org", "add", "--code", "B1", "--name", "红星村党支部", "--level", "branch", "--kind", "rural", "--parent", "T1")
    cli("org", "add", "--code", "B2", "--name", "东风村党支部", "--level", "branch", "--kind", "rural", "--parent", "T1")
    ids = []
    for name in ("王培养", "李培养", "张介绍", "赵介绍"):
        out = cli.json("person", "add", "--name", name, "--gender", "男", "--birth", "1968-03-02",
                       "--party-status", "full_member", "--branch", "B1")
        ids.append(out["id"])
    applicant = cli.json("person", "add", "--name", "刘小红", "--gender", "女", "--birth", "1995-06-01",
                         "--education", "大专", "--occupation", "农牧渔民", "--tag", "青年农民", "--tag", "致富带头人")["id"]
    return World(mentors=(ids[0], ids[1]), sponsors=(ids[2], ids[3]), applicant=applicant)
