"""A branch meeting's vote through the CLI: 应到 against the branch roll (a warning, in the preview
and the real run, human and --json) and the attendees without a vote (refused when they voted).

The world's branch B1 has four full members (tests/e2e/__init__.py)."""
from __future__ import annotations

from tests.e2e.test_cli_full_road import _to, not_materials, road

ROLL_NOTE = ("应到会有表决权的正式党员填写 5 人，本支部名册上 2017-06-20 有表决权的正式党员 4 人："
             "王培养、李培养、张介绍、赵介绍")


def _to_meeting(cli, w) -> int:
    cid = cli.json("apply", "--person", w.applicant, "--branch", w.branch, "--date", "2016-03-01")["candidate_id"]
    steps = road(w)
    _to(cli, cid, steps[:next(i for i, s in enumerate(steps) if s[0] == "admission_meeting")])
    return cid


def _meeting(cli, cid, vote, *more, code=0):
    return cli("step", cid, "admission_meeting", "--date", "2017-06-20", "--set", f"vote={vote}",
               "--set", "resolution=同意接收为预备党员", *more, code=code)


def test_should_attend_off_the_roll_warns_in_preview_and_real_run(cli, w):
    cid = _to_meeting(cli, w)
    shown = _meeting(cli, cid, "5,4,4,0,0,预备党员=1", "--preview").output
    assert ROLL_NOTE in shown.replace("\n", "")
    preview = cli.json("step", cid, "admission_meeting", "--date", "2017-06-20", "--set", "vote=5,4,4,0,0",
                       "--set", "resolution=同意", "--preview")
    assert any(x.startswith(ROLL_NOTE) for x in preview["warnings"]) and preview["preview"]
    out = cli.json("step", cid, "admission_meeting", "--date", "2017-06-20", "--set", "vote=5,4,4,0,0,预备党员=1",
                   "--set", "resolution=同意")
    assert out["ok"] and any(x.startswith(ROLL_NOTE) for x in out["warnings"])
    timeline = cli.json("show", cid)["timeline"]
    meeting = next(e for e in timeline if e["step"] == "admission_meeting")
    assert "应到5 实到4 赞成4 反对0 弃权0 到会预备党员1" in meeting["evidence_summary"]


def test_should_attend_on_the_roll_gives_no_warning(cli, w):
    cid = _to_meeting(cli, w)
    out = cli.json("step", cid, "admission_meeting", "--date", "2017-06-20", "--set", "vote=4,3,3,0,0,无表决权=1",
                   "--set", "resolution=同意")
    assert out["ok"] and not_materials(out["warnings"]) == []


def test_votes_of_attendees_without_a_vote_are_refused(cli, w):
    cid = _to_meeting(cli, w)
    refused = _meeting(cli, cid, "4,3,4,0,0,预备党员=1", code=2)
    text = refused.output.replace("\n", "")
    assert "多于有表决权的到会党员与书面表决人数之和 3" in text and "第二十一条" in text and "Traceback" not in text
    out = cli.json("show", cid)
    assert "admission_meeting" not in {e["step"] for e in out["timeline"]}
