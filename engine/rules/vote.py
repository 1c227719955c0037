"""Branch meeting votes (第二十条、第二十一条; 第三十三条 for conversion).

`should_attend` counts voting full members (not probationary members, not members whose rights are
suspended). Valid meeting: 2 × present > should_attend. Passed: 2 × yes > should_attend. Written
votes of absent members count as votes, not as presence. Attendees without a vote (列席的预备党员,
members under 留党察看 or with rights suspended) may be recorded beside the six counts; they are in
none of them, and a record whose numbers only add up if they voted or were counted is refused.

`roll_notes` compares 应到 with the branch's roll on the meeting date when the service looked it
up (`Context.roll`): a difference is a warning (the roll may be incomplete: an imported ledger
carries candidates, not always every member). A large difference (`roll_mismatch`: 500 on a roll
of 7) is refused until the recorder ticks 「应到人数与名册不符，已核实无误」, which the vote keeps.
"""
from __future__ import annotations

from typing import Any, Mapping

from engine.context import Context
from engine.errors import Violation
from engine.evidence import VOTE_ROLL_CHECKED, VOTE_ROLL_CHECKED_LABEL
from engine.rules.check import Check
from workflows.model import RuleSpec, StepSpec

ROLL_NAMES_SHOWN = 30  # a warning names the roll; a larger branch is cut with 等
ROLL_SLACK = 20  # 应到 may differ from the roll by this many (or by the roll's size) with a note only


def roll_mismatch(should: int, on_roll: int) -> bool:
    """Whether 应到 differs from the roll by more than 20 and more than the roll itself (500 on a
    roll of 7): a roll may lack some members (an imported ledger carries candidates, not always
    every member), but not more than it holds — a typing error, so the recorder confirms it."""
    return abs(should - on_roll) > max(ROLL_SLACK, on_roll)


def vote_passed(v: Mapping[str, Any]) -> bool:
    return 2 * int(v["yes"]) > int(v["should_attend"])


def _cite(rule: RuleSpec) -> str:
    """Who may vote is said in 第二十条、第二十一条; the conversion meeting's rule (第三十三条) refers to them."""
    if rule.citation.article == "第二十条":
        return "细则第二十条、第二十一条"
    return f"{rule.citation.label()}；表决权见细则第二十条、第二十一条"


def _non_voters(v: Mapping[str, Any]) -> tuple[int, str]:
    """(how many attended without a vote, who they were in words)."""
    prob, none = int(v.get("probationary_present", 0)), int(v.get("no_rights_present", 0))
    words = "、".join(w for n, w in ((prob, f"预备党员{prob}人"), (none, f"无表决权党员{none}人")) if n)
    return prob + none, words


def vote(rule: RuleSpec, c: Check) -> list[Violation]:
    v = c.evidence.get(rule.params["field"])
    if not isinstance(v, dict):
        return []  # evidence validation reports the missing field
    art = rule.citation.article
    should, present, written = int(v["should_attend"]), int(v["present"]), int(v.get("written", 0))
    cast = int(v["yes"]) + int(v["no"]) + int(v["abstain"])
    others, who = _non_voters(v)
    if present > should:
        if others and present - others <= should:  # 实到 counted the attendees without a vote
            return [Violation("vote.rights", (
                f"实到人数（{present}）多于应到人数（{should}）：实到只计到会的有表决权的正式党员，"
                f"到会的{who}没有表决权，不计入应到、实到（{_cite(rule)}）"), art)]
        return [Violation("vote.numbers", c.message(rule, f"实到人数（{present}）不能多于应到人数（{should}）"), art)]
    if written > should - present:
        return [Violation("vote.numbers", c.message(rule, f"书面表决人数（{written}）不能多于缺席人数（{should - present}）"), art)]
    if cast > present + written:
        if others and cast <= present + written + others:  # adds up only if those without a vote voted
            return [Violation("vote.rights", (
                f"赞成、反对、弃权票合计 {cast} 票，多于有表决权的到会党员与书面表决人数之和 {present + written}；"
                f"到会的{who}不能参加表决，其意见不计入票数（{_cite(rule)}）"), art)]
        return [
            Violation(
                "vote.numbers",
                c.message(rule, f"赞成、反对、弃权票合计 {cast} 票，多于实到与书面表决人数之和 {present + written}"),
                art,
            )
        ]
    roll = c.ctx.roll
    if (roll is not None and roll.recorded and not v.get(VOTE_ROLL_CHECKED)
            and roll_mismatch(should, len(roll.voters))):
        return [Violation("vote.roll", (
            f"应到会有表决权的正式党员填写 {should} 人，本支部名册上 {roll.on} 有表决权的正式党员 {len(roll.voters)} 人，"
            f"相差较大：请核对应到人数；如名册不全、填写无误，请勾选「{VOTE_ROLL_CHECKED_LABEL}」后再记录（{_cite(rule)}）"), art)]
    if 2 * present <= should:
        return [
            Violation(
                "vote.quorum",
                c.message(
                    rule,
                    f"到会有表决权的正式党员（{present}人）未超过应到会人数（{should}人）的半数，会议无效",
                ),
                art,
            )
        ]
    return []


def tally_notes(step: StepSpec, evidence: Mapping[str, Any]) -> list[str]:
    """A warning where fewer votes were cast than there were voters (实到 + 书面): every member with
    a vote at the meeting votes 赞成, 反对 or 弃权, so a shortfall is usually a miscount — the
    resolution and its 决议 print these numbers. Not a refusal: the minutes may record a member who
    left before the vote."""
    notes = []
    for rule in step.rules:
        v = evidence.get(rule.params.get("field", "")) if rule.kind == "vote" else None
        if not isinstance(v, Mapping):
            continue
        voters = int(v["present"]) + int(v.get("written", 0))
        cast = int(v["yes"]) + int(v["no"]) + int(v["abstain"])
        if cast < voters:
            notes.append(f"赞成、反对、弃权票合计 {cast} 票，少于实到与书面表决人数之和 {voters}：请核对票数"
                         f"（到会有表决权的党员未表示赞成或反对的，计为弃权；{_cite(rule)}）")
    return notes


def _names(names: tuple[str, ...]) -> str:
    shown = "、".join(names[:ROLL_NAMES_SHOWN])
    return shown + ("等" if len(names) > ROLL_NAMES_SHOWN else "")


def roll_notes(step: StepSpec, evidence: Mapping[str, Any], ctx: Context) -> list[str]:
    """Warnings where a recorded 应到 differs from the branch's roll on the meeting date (or, once,
    that the branch has no roll to check against). Nothing when the roll was not looked up."""
    roll = ctx.roll
    if roll is None:
        return []
    notes = []
    for rule in step.rules:
        v = evidence.get(rule.params.get("field", "")) if rule.kind == "vote" else None
        if not isinstance(v, Mapping):
            continue
        if not roll.recorded:
            return [f"提示：本支部未登记党员名册，应到会人数未能核对（{_cite(rule)}）"]
        should, on_roll = int(v["should_attend"]), len(roll.voters)
        if should == on_roll:
            continue
        text = (f"应到会有表决权的正式党员填写 {should} 人，本支部名册上 {roll.on} 有表决权的正式党员 {on_roll} 人"
                + (f"：{_names(roll.voters)}" if roll.voters else ""))
        if roll.probationary and should == on_roll + len(roll.probationary):
            text += f"；填写的应到人数似乎包括了预备党员（{_names(roll.probationary)}），预备党员没有表决权"
        if v.get(VOTE_ROLL_CHECKED):
            text += "；记录人已核实应到人数无误"
        notes.append(f"{text}（{_cite(rule)}；留党察看、停止党员权利按当前登记核对）")
    return notes
