"""Rule violations: what the engine says when a command breaks a rule.

A violation is data (so a dry run can list them all); `DomainError` carries them out of a real
command, and nothing has been written when it is raised.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Violation:
    code: str  # machine-readable: "not_before", "vote.quorum", "evidence.missing", ...
    message: str  # one Chinese sentence that names the rule and the article
    article: str = ""  # e.g. "第十三条" ("" for local practice or input errors)
    earliest: date | None = None  # for "not before" rules: the first date the step becomes possible

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "article": self.article,
            "earliest": self.earliest.isoformat() if self.earliest else None,
        }


class DomainError(Exception):
    """A command broke one or more rules; the caller must change nothing."""

    def __init__(self, violations: list[Violation] | tuple[Violation, ...]):
        self.violations = tuple(violations)
        super().__init__("；".join(v.message for v in self.violations))


def refuse(code: str, message: str, article: str = "", earliest: date | None = None) -> DomainError:
    """Shorthand for a single-violation error."""
    return DomainError([Violation(code, message, article, earliest)])
