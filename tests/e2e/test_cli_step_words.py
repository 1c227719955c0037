"""The CLI takes the words a secretary uses: step names (whole or a part only one step has) and
the fields' Chinese labels as `--set` keys (issue 15, item 5)."""
from __future__ import annotations

import re


from tests.e2e import Cli, World


def applicant(cli: Cli, w: World) -> int:
    return cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")["candidate_id"]


def test_a_step_by_part_of_its_name_and_fields_by_their_labels(cli, w):
    cid = applicant(cli, w)
    out = cli.json("step", cid, "党组织派人", "--date", "2016-03-15", "--set", "谈话人=李书记", "--set", "谈话记录=态度端正")
    assert out["event"]["step"] == "first_talk"
    assert out["event"]["evidence"] == {"talker": "李书记", "notes": "态度端正"}
    out = cli.json("step", cid, "确定入党积极分子", "--date", "2016-04-11", "--set", "推荐方式=党员推荐")
    assert out["event"]["step"] == "activist_selection" and out["event"]["evidence"]["method"]
    cli("step", cid, "4", "--date", "2016-04-20")
    # a people field by its label: the mentors are checked as the engine checks them (full members)
    out = cli.json("step", cid, "培养联系人", "--date", "2016-04-20", "--set", f"培养联系人={w.mentors[0]},{w.mentors[1]}")
    assert out["event"]["step"] == "mentors_assigned" and out["event"]["evidence"]["mentors"] == list(w.mentors)
    cli("step", cid, "培养联系人", "--date", "2016-04-21", "--set", f"培养联系人={w.applicant}", code=2)


def test_talk_is_answered_with_the_two_talks_and_nothing_is_written(cli, w):
    cid = applicant(cli, w)
    before = cli.json("show", cid)
    r = cli("step", cid, "谈话", "--date", "2016-03-15", "--set", "谈话人=李书记", code=2)
    assert r.output.strip() == "“谈话”可能指：第2步 党组织派人谈话、第16步 上级党委派人谈话，请写明步骤编号"
    assert cli.json("show", cid) == before
    out = cli.json("step", cid, "谈话", "--date", "2016-03-15", code=2)
    assert out["violations"][0]["code"] == "step.ambiguous"


def test_an_unknown_label_lists_the_labels_in_chinese(cli, w):
    cid = applicant(cli, w)
    r = cli("step", cid, "2", "--date", "2016-03-15", "--set", "谈话者=李书记", code=2)
    line = r.output.strip()
    assert line.startswith("党组织派人谈话没有“谈话者”这一记录项，可填写：“谈话人”、“谈话记录”")
    assert not re.search(r"[A-Za-z_]{2,}", line)
    # the English key still works, and a missing field is named by its label only
    r = cli("step", cid, "2", "--date", "2016-03-15", "--set", "谈话记录=好", code=2)
    assert r.output.strip() == "党组织派人谈话须记录“谈话人”（细则第七条）"
    cli("step", cid, "2", "--date", "2016-03-15", "--set", "talker=李书记")
