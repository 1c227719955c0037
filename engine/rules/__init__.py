"""Rules as small functions that say whether they are broken.

Each guard takes a `Check` (everything about the step being recorded) and returns the violations
it finds. "Not before" rules and fact rules (age, sponsors, votes…) are guards; "within" rules are
deadlines (engine.timing) and never block.
"""
from __future__ import annotations

from typing import Callable

from engine.errors import Violation
from engine.rules.check import Check
from engine.rules.facts import extension, not_if, passed, public_notice, training
from engine.rules.people import count, full_members, min_age
from engine.rules.time_guards import not_before
from engine.rules.vote import vote
from workflows.model import RuleSpec

Guard = Callable[[RuleSpec, Check], list[Violation]]

GUARDS: dict[str, Guard] = {
    "not_before": not_before,
    "min_age": min_age,
    "full_members": full_members,
    "count": count,
    "vote": vote,
    "passed": passed,
    "training": training,
    "public_notice": public_notice,
    "not_if": not_if,
    "extension": extension,
}


def check_rules(c: Check) -> list[Violation]:
    found: list[Violation] = []
    for rule in c.step.rules:
        guard = GUARDS.get(rule.kind)
        if guard is not None:
            found.extend(guard(rule, c))
    return found


__all__ = ["Check", "GUARDS", "check_rules"]
