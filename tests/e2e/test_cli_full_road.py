"""One applicant from `apply` to `archive` through the CLI alone, plus a withdrawal and transfers.

Dates follow tests/helpers.py TIMELINE (a lawful 2016–2018 sequence), with one cultivation entry
and one probation entry so all 25 steps appear; "today" is 2018-08-01.
"""
from __future__ import annotations

import pytest

from tests.e2e import Cli, world


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'partyflow.db'}")


def road(w) -> list[tuple[str, str, list[str]]]:
    """(step as typed — id or number, date, --set values) for steps 2–25 in a lawful order."""
    m, s = w.mentors, w.sponsors
    return [
        ("2", "2016-03-15", ["talker=支部书记", "notes=了解入党动机"]),
        ("activist_selection", "2016-04-11", ["method=党员推荐", "decision=支委会研究确定"]),
        ("4", "2016-04-20", ["filing_no=备字〔2016〕1号"]),
        ("mentors_assigned", "2016-04-20", [f"mentors={m[0]},{m[1]}"]),
        ("6", "2016-10-10", ["assessment=表现良好，按时递交思想汇报", "assessor=王培养"]),
        # 公示 2017-04-10..04-14: five working days, ended before the selection (2017-04-20)
        ("target_selection", "2017-04-20", ["opinions_heard=听取党小组、培养联系人、党员和群众意见",
                                            "notice_start=2017-04-10", "notice_end=2017-04-14", "objections=无"]),
        ("8", "2017-04-25", ["filing_no=备字〔2017〕3号"]),
        ("sponsors", "2017-04-25", [f"sponsors={s[0]},{s[1]}"]),
        ("10", "2017-05-10", ["contents=政治态度、政治历史、遵纪守法、直系亲属", "conclusion=政审〔2017〕5号", "passed=是"]),
        ("training", "2017-05-20", ["organiser=红星乡党委", "days=3", "hours=24", "passed=是"]),
        ("12", "2017-06-01", ["opinion=条件成熟，同意提交预审"]),
        ("pre_review", "2017-06-09", ["result=预审合格", "passed=是", "form_no=志愿书〔2017〕5号"]),
        ("14", "2017-06-15", ["form_no=ZYS201700005"]),
        # 应到 = the branch roll (world: four full members; no warning), 第二十条
        ("admission_meeting", "2017-06-20", ["vote=4,4,4,0,0", "resolution=同意接收为预备党员"]),
        ("16", "2017-07-03", ["talker=乡党委组织委员", "opinion=入党动机端正"]),
        ("admission_approval", "2017-07-10", ["approved=是", "decision_vote=党委会集体讨论，一致同意"]),
        ("18", "2017-07-20", ["filing_no=县备〔2017〕12号"]),
        ("branch_assignment", "2017-07-20", ["party_group=第一党小组"]),
        ("20", "2017-07-20", ["organiser=红星乡党委"]),
        ("probation_education", "2017-12-15", ["assessment=继续教育考察，表现良好"]),
        ("22", "2018-06-13", ["letter=转正申请书"]),  # from a week before 预备期满 (cpc_2014@3, 第三十三条)
        ("conversion_meeting", "2018-06-20", ["vote=应到=4,实到=3,赞成=3,反对=0,弃权=0,预备党员=1", "decision=convert"]),
        ("24", "2018-07-10", ["approved=是"]),
        ("archive", "2018-07-16", ["location=乡党委档案室", "checklist=志愿书、申请书、政审材料、转正申请书、培养考察材料"]),
    ]


def not_materials(warnings: list[str]) -> list[str]:
    """The warnings other than the national material list's (this road attaches no files)."""
    return [w for w in warnings if not w.startswith("缺少材料：")]


def test_apply_to_archive_through_the_cli(cli):
    w = world(cli)
    out = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01", "--actor", "红星村支书")
    assert out["ok"] and out["stage"] == "applicant"
    cid = out["candidate_id"]
    version = out["version"]

    for step, on, sets in road(w):
        args = ["step", cid, step, "--date", on, "--actor", "红星村支书", "--expect-version", version]
        for kv in sets:
            args += ["--set", kv]
        out = cli.json(*args)
        assert out["ok"], out
        if step == "conversion_meeting":  # a resolution: it waits for the township (党章第七条, cpc_2014@2)
            [warning] = not_materials(out["warnings"])
            assert "按期转为正式党员，须报上级党委审批，批准后生效" in warning, warning
            assert out["stage"] == "probationary"
            pending = cli.json("show", cid)["candidate"]["pending_resolution"]
            assert (pending["step"], pending["approver"], pending["decision"], pending["on"]) == (
                "conversion_meeting", "conversion_approval", "convert", on)
        elif step == "24":  # the approval carries the resolution out
            assert not_materials(out["warnings"]) == ["批准支部大会 2018-06-20 的决议：按期转为正式党员"], out["warnings"]
        else:
            assert not_materials(out["warnings"]) == [], (step, out["warnings"])  # nothing late on this road
        if step == "pre_review":  # no file attached on this road: the national list warns, never blocks
            assert "缺少材料：上级党委预审需要的“政治审查结论（政审材料）”尚未上传（细则第十六条）" in out["warnings"]
        assert out["version"] == version + 1
        version = out["version"]
        if step == "target_selection":
            assert out["stage"] == "development_target" and out["stage_name"] == "发展对象"
        if step == "admission_approval":
            assert out["stage"] == "probationary"

    assert out["stage"] == "full_member" and out["next_steps"] == []

    shown = cli.json("show", cid)
    assert shown["candidate"]["pending_resolution"] is None  # carried out by step 24
    assert shown["candidate"]["stage"] == "full_member"
    assert shown["candidate"]["stage_name"] == "正式党员"
    assert shown["candidate"]["probation_end"] == "2018-06-20"  # one year from the branch meeting
    timeline = shown["timeline"]
    assert len(timeline) == 25
    assert sorted(e["number"] for e in timeline) == list(range(1, 26))
    assert all(e["status"] == "effective" and not e["late"] for e in timeline)
    assert timeline[0]["step_name"] == "递交入党申请书"
    sponsors = next(e for e in timeline if e["step"] == "sponsors")
    assert "张介绍" in sponsors["evidence_summary"] and "赵介绍" in sponsors["evidence_summary"]
    assert shown["next_steps"] == [] and shown["late"] == []
    assert shown["person"]["party_status"] == "full_member"

    # the human view tells the same story
    text = cli("show", cid).stdout
    assert "正式党员" in text and "材料归档" in text and "没有待办步骤" in text

    listed = cli.json("list", "--org", w.township)
    assert [(c["id"], c["stage"]) for c in listed] == [(cid, "full_member")]
    assert "正式党员" in cli("list").stdout

    report = cli.json("verify")
    assert report["ok"] and report["candidates"] == 1 and report["events"] == 25


def _apply(cli, w, name, branch="B1"):
    pid = cli.json("person", "add", "--name", name, "--gender", "男", "--birth", "1996-02-03")["id"]
    return cli.json("apply", "--person", pid, "--branch", branch, "--date", "2018-03-01")["candidate_id"]


def test_withdraw_through_the_cli(cli):
    w = world(cli)
    cid = _apply(cli, w, "陈撤回")
    cli("step", cid, "2", "--date", "2018-03-10", "--set", "talker=支部书记")
    out = cli.json("withdraw", cid, "--date", "2018-05-02", "--reason", "本人书面申请撤回")
    assert out["ok"] and out["stage"] == "withdrawn" and out["stage_name"] == "已撤回"
    assert out["event"]["kind"] == "withdraw" and out["event"]["reason"] == "本人书面申请撤回"
    shown = cli.json("show", cid)
    assert shown["candidate"]["stage"] == "withdrawn" and shown["candidate"]["ended_on"] == "2018-05-02"
    assert shown["next_steps"] == []
    # nothing more can be recorded for a closed application
    r = cli("step", cid, "3", "--date", "2018-06-01", "--set", "method=党员推荐", code=2)
    assert "已撤回" in r.output
    assert cli.json("overdue", "--as-of", "2018-07-31") == []


def test_transfer_to_another_branch_through_the_cli(cli):
    w = world(cli)
    cid = _apply(cli, w, "孙转接")
    cli("step", cid, "first_talk", "--date", "2018-03-10", "--set", "talker=支部书记")
    cli("step", cid, "activist_selection", "--date", "2018-04-02", "--set", "method=群团组织推优")
    out = cli.json("transfer", cid, "--to", w.other_branch, "--date", "2018-06-01", "--reason", "外出务工，组织关系转至东风村")
    assert out["ok"] and out["stage"] == "activist"
    assert any("第十二条" in x for x in out["warnings"])  # cultivation time counts on
    shown = cli.json("show", cid)
    assert shown["candidate"]["branch"]["code"] == "B2"
    assert "东风村党支部" in shown["timeline"][-1]["evidence_summary"]
    assert [c["id"] for c in cli.json("list", "--org", "B2")] == [cid]
    assert cli.json("list", "--org", "B1") == []
    # the time in the old branch counts: a year after activist selection, not after the transfer
    r = cli("step", cid, "target_selection", "--date", "2018-07-02", "--set", "opinions_heard=x",
            "--set", "notice_start=2018-06-11", "--set", "notice_end=2018-06-15", code=2)
    assert "2019-04-02" in r.output


def test_transfer_out_of_the_deployment(cli):
    w = world(cli)
    cid = _apply(cli, w, "周转出")
    preview = cli("transfer", cid, "--out", "--date", "2018-05-01", "--reason", "组织关系转出本县", "--preview")
    assert preview.stdout.startswith("【预演，未写入】")
    assert cli.json("show", cid)["candidate"]["stage"] == "applicant"
    out = cli.json("transfer", cid, "--out", "--date", "2018-05-01", "--reason", "组织关系转出本县")
    assert out["ok"] and out["stage"] == "transferred_out" and out["stage_name"] == "已转出"
    assert cli.json("show", cid)["candidate"]["stage"] == "transferred_out"
    assert "只能选一个" in cli("transfer", cid, "--out", "--to", "B2", "--date", "2018-05-01", "--reason", "x", code=2).output
    assert "--to" in cli("transfer", cid, "--date", "2018-05-01", "--reason", "x", code=2).output


def _to(cli, cid, steps):
    for step, on, sets in steps:
        args = ["step", cid, step, "--date", on]
        for kv in sets:
            args += ["--set", kv]
        out = cli.json(*args)
        assert out["ok"], (step, out)
    return out


def test_the_other_exceptional_paths_through_the_cli(cli):
    w = world(cli)
    road_ = {s: (s, on, sets) for s, on, sets in road(w)}

    # not selected (an applicant never recommended), and death
    a = _apply(cli, w, "吴未选")
    assert cli.json("not-selected", a, "--date", "2018-06-01", "--reason", "长期未被确定为入党积极分子")["stage"] == "not_selected"
    d = _apply(cli, w, "郑去世")
    assert cli.json("death", d, "--date", "2018-04-01", "--reason", "病故")["stage"] == "deceased"

    # disqualify an activist
    q = _apply(cli, w, "冯取消")
    cli("step", q, "2", "--date", "2018-03-10", "--set", "talker=支部书记")
    cli("step", q, "3", "--date", "2018-04-02", "--set", "method=党员推荐")
    refused = cli("disqualify", q, "--date", "2018-05-01", "--reason", " ", code=2)
    assert "须记录原因" in refused.output
    assert cli.json("disqualify", q, "--date", "2018-05-01", "--reason", "培养期间违反纪律")["stage"] == "disqualified"

    # a failed branch vote, then reconsidered; then probation cancelled by the township
    cid = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")["candidate_id"]
    steps = list(road_.values())
    upto = [s for s in steps if s[0] not in ("6", "probation_education")]
    i = next(k for k, s in enumerate(upto) if s[0] == "admission_meeting")
    _to(cli, cid, upto[:i])
    failed = cli.json("step", cid, "admission_meeting", "--date", "2017-06-20", "--set", "vote=16,12,8,4,0",
                      "--set", "resolution=未获通过")
    assert failed["stage"] == "rejected" and any("未通过" in x for x in failed["warnings"])
    assert cli.json("reconsider", cid, "--date", "2017-09-01", "--reason", "支委会研究，条件已成熟")["stage"] == "development_target"
    again = _to(cli, cid, [("admission_meeting", "2017-09-10", ["vote=16,9,9,0,0", "resolution=同意"]),
                           ("16", "2017-09-20", ["talker=组织委员", "opinion=同意"]),
                           ("admission_approval", "2017-10-10", ["approved=是"])])
    assert again["stage"] == "probationary"
    out = cli.json("cancel-probation", cid, "--date", "2018-03-01", "--reason", "预备期间不履行党员义务，经支部大会讨论并报乡党委批准")
    assert out["stage"] == "probation_cancelled"
    assert cli.json("show", cid)["person"]["party_status"] == "none"
    assert cli.json("verify")["ok"]
