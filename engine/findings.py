"""A compliance finding: a rule that recorded history broke, kept as found (never refused, never hidden).

Two sources make them: the ledger import (history entered after the fact, engine.backfill) and a
correction whose new date or record breaks a rule of the step or of a later one (engine.decide).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Finding:
    step: str | None
    rule: str  # the violated rule's code: "not_before", "min_age", "date.order", "late"
    article: str
    message: str  # Chinese
    occurred_on: date  # the date of the act that broke the rule
    kind: str = "guard"  # "guard" (stored as a finding) | "late" (the event is marked late)

    def as_dict(self) -> dict:
        return {"step": self.step, "rule": self.rule, "article": self.article, "message": self.message,
                "occurred_on": self.occurred_on.isoformat(), "kind": self.kind}
