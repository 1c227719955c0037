"""Branch meeting votes (第二十条、第二十一条; 第三十三条 for conversion).

`should_attend` counts voting full members (not probationary members, not members whose rights are
suspended). Valid meeting: 2 × present > should_attend. Passed: 2 × yes > should_attend. Written
votes of absent members count as votes, not as presence.
"""
from __future__ import annotations

from typing import Any, Mapping

from engine.errors import Violation
from engine.rules.check import Check
from workflows.model import RuleSpec


def vote_passed(v: Mapping[str, Any]) -> bool:
    return 2 * int(v["yes"]) > int(v["should_attend"])


def vote(rule: RuleSpec, c: Check) -> list[Violation]:
    v = c.evidence.get(rule.params["field"])
    if not isinstance(v, dict):
        return []  # evidence validation reports the missing field
    art = rule.citation.article
    should, present, written = int(v["should_attend"]), int(v["present"]), int(v.get("written", 0))
    cast = int(v["yes"]) + int(v["no"]) + int(v["abstain"])
    if present > should:
        return [Violation("vote.numbers", c.message(rule, f"实到人数（{present}）不能多于应到人数（{should}）"), art)]
    if written > should - present:
        return [Violation("vote.numbers", c.message(rule, f"书面表决人数（{written}）不能多于缺席人数（{should - present}）"), art)]
    if cast > present + written:
        return [
            Violation(
                "vote.numbers",
                c.message(rule, f"赞成、反对、弃权票合计 {cast} 票，多于实到与书面表决人数之和 {present + written}"),
                art,
            )
        ]
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
