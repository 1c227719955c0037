"""What users ask the engine to do. Plain data; `engine.decide` says whether and how."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping


@dataclass(frozen=True)
class CompleteStep:
    """Record that a step of the definition happened on `occurred_on` (the real date)."""

    step: str
    occurred_on: date
    actor: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exceptional:
    """An exceptional path: withdraw, not_selected, disqualify, reconsider, cancel_probation,
    death, transfer (to another branch of this deployment), transfer_out."""

    action: str
    occurred_on: date
    actor: str
    reason: str = ""
    to_branch_id: int | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Correct:
    """Replace a wrongly entered fact (event `seq`) with corrected date and/or evidence."""

    seq: int
    actor: str
    reason: str
    occurred_on: date | None = None
    evidence: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Void:
    """Declare event `seq` entered in error; the log keeps it, the state forgets it."""

    seq: int
    actor: str
    reason: str


@dataclass(frozen=True)
class Migrate:
    """Move a candidate to another definition version (an explicit township decision)."""

    to_key: str
    occurred_on: date
    actor: str
    reason: str


Command = CompleteStep | Exceptional | Correct | Void | Migrate
