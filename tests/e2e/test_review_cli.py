"""The review loop on the command line: submit → return (reopening) → thread → refusals with exit 2
that change nothing → approve with opinion and 批复文号 (--json shapes in docs/cli.md)."""
from __future__ import annotations

from tests.e2e import Cli, World


def _activist_ready_for_filing(cli: Cli, w: World) -> int:
    cid = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")["candidate_id"]
    cli("step", cid, "2", "--date", "2016-03-15", "--set", "talker=支部书记")
    cli("step", cid, "3", "--date", "2016-04-11", "--set", "method=党员推荐")
    return cid


def test_submit_return_approve(cli, w):
    cid = _activist_ready_for_filing(cli, w)
    sent = cli.json("submit", cid, "4", "--note", "推荐材料齐全", "--date", "2016-04-12")
    assert sent["event"]["kind"] == "submit" and sent["event"]["step"] == "activist_filing"
    again = cli("submit", cid, "4", "--date", "2016-04-12", code=2)
    assert "已于 2016-04-12 报送" in again.output
    ambiguous = cli("return", cid, "报上级党委备案", "--reason", "x", code=2)
    assert "第4步 报上级党委备案、第8步 报上级党委备案" in ambiguous.output
    # 谈话 cannot be redone by a return: 确定入党积极分子 needs it and changed the stage (更正 is the way)
    dragged = cli("return", cid, "4", "--reason", "x", "--reopen", "2", code=2)
    assert "不能要求重新办理“党组织派人谈话”" in dragged.output
    back = cli.json("return", cid, "4", "--reason", "推荐材料缺少党员推荐表", "--date", "2016-04-13")
    assert back["event"]["kind"] == "return" and back["event"]["evidence"]["reopened"] == []
    thread = cli.json("thread", cid)
    t = next(t for t in thread if t["step"] == "activist_filing")
    assert t["status"] == "returned" and [e["kind"] for e in t["entries"]] == ["submit", "return"]
    assert t["entries"][1]["text"] == "推荐材料缺少党员推荐表"
    # a returned item cannot be recorded until it is sent again; nothing changes
    before = cli.json("show", cid)["timeline"]
    refused = cli("approve", cid, "4", "--opinion", "同意", "--date", "2016-04-14", code=2)
    assert "退回党支部" in refused.output
    no_reason = cli("return", cid, "4", "--reason", " ", code=2)
    assert "须填写原因" in no_reason.output
    assert cli.json("show", cid)["timeline"] == before
    # send again with the missing form, approve
    cli("submit", cid, "4", "--date", "2016-04-15", "--note", "已补党员推荐表")
    done = cli.json("approve", cid, "4", "--opinion", "同意备案", "--doc-no", "南组备〔2016〕3号", "--date", "2016-04-20")
    assert done["event"]["evidence"]["review"] == {"opinion": "同意备案", "doc_no": "南组备〔2016〕3号"}
    t = next(t for t in cli.json("thread", cid) if t["step"] == "activist_filing")
    assert [e["kind"] for e in t["entries"]] == ["submit", "return", "submit", "approve"]
    text = cli("thread", cid).output
    assert "批复文号：南组备〔2016〕3号" in text and "推荐材料缺少党员推荐表" in text
    assert cli.json("verify")["ok"] is True


def test_a_branch_step_is_not_sent_up(cli, w):
    cid = _activist_ready_for_filing(cli, w)
    out = cli("submit", cid, "3", code=None)
    assert out.exit_code != 0 and "不经报送审核" in out.output and "Traceback" not in out.output


def test_a_filing_needs_no_opinion(cli, w):
    """备案 is not 审批: `approve` files step 4 with its own 备案文号 and no --opinion, and says 已备案."""
    cid = _activist_ready_for_filing(cli, w)
    cli("submit", cid, "4", "--date", "2016-04-12")
    out = cli("approve", cid, "4", "--date", "2016-04-20", "--set", "filing_no=南组备〔2016〕3号")
    assert "已备案：报上级党委备案（2016-04-20）" in out.output
    last = cli.json("show", cid)["timeline"][-1]
    assert last["step"] == "activist_filing" and "备案文号：南组备〔2016〕3号" in last["evidence_summary"]
    t = next(t for t in cli.json("thread", cid) if t["step"] == "activist_filing")
    assert t["status_name"] == "已备案" and t["entries"][-1]["kind_name"] == "备案"
