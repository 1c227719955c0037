"""`partyflow person add` checks 学历/职业/民族/类别 against the category lists the reports count
(services/people), with the same message as the web, and writes nothing when it refuses; values on
record from before the lists stay readable."""
from __future__ import annotations

from datetime import date

import pytest

from services.app import App
from tests.e2e import Cli


@pytest.fixture
def cli(tmp_path) -> Cli:
    c = Cli(f"sqlite:///{tmp_path / 'partyflow.db'}")
    c("init")
    return c


def _names(cli: Cli) -> list[str]:
    return [p["name"] for p in cli.json("person", "list")]


@pytest.mark.parametrize("option,value,words", [
    ("--education", "本科", "学历“本科”不在统计类别中"),
    ("--occupation", "农民", "职业“农民”不在统计类别中"),
    ("--ethnicity", "汉人", "民族“汉人”不在统计类别中"),
    ("--tag", "致富能手", "类别“致富能手”不在统计类别中"),
    ("--phone", "12345", "联系电话“12345”格式不对"),
])
def test_person_add_refuses_an_unlisted_value(cli, option, value, words):
    r = cli("person", "add", "--name", "张秀英", "--gender", "女", "--birth", "1995-03-10", option, value, code=2)
    assert words in r.output and ("其他" in r.output or option == "--phone")  # the way out is named
    assert _names(cli) == []  # nothing written


def test_person_add_takes_listed_values_and_other_with_a_note(cli):
    out = cli.json("person", "add", "--name", "张秀英", "--gender", "女", "--birth", "1995-03-10", "--ethnicity", "回",
                   "--education", "其他:私塾", "--occupation", "农牧渔民", "--tag", "致富带头人", "--tag", "其他（养蜂）")
    [p] = cli.json("person", "list")
    assert p["id"] == out["id"]
    assert (p["ethnicity"], p["education"], p["occupation"], p["tags"]) == ("回族", "其他（私塾）", "农牧渔民",
                                                                            ["致富带头人", "其他（养蜂）"])


def test_values_on_record_before_the_lists_stay_readable(cli):
    app = App.open(cli.url)
    with app.uow() as uow:  # as typed before the lists (or imported from a ledger)
        uow.people.add(name="老党员", gender="男", birth_date=date(1960, 1, 1), education="高中", occupation="农民",
                       tags=["致富能手"])
    app.close()
    [p] = cli.json("person", "list")
    assert (p["education"], p["occupation"], p["tags"]) == ("高中", "农民", ["致富能手"])
    assert "老党员" in cli("person", "list").output
