"""What users ask the engine to do. Plain data; `engine.decide` says whether and how."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from engine.errors import refuse


@dataclass(slots=True)  # one per step (slots, no frozen __setattr__): treat as immutable
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


def resolve_step_ref(definition, ref: str) -> str:
    """A step id from what a user typed: the id, its number (1–25) or its unique Chinese name.

    Resolved against the candidate's own (pinned) definition inside the command's transaction.
    An unknown reference is returned as typed: the engine then names it and lists the valid ones.
    """
    ref = ref.strip()
    if ref.isdigit():
        for s in definition.steps:
            if s.number == int(ref):
                return s.id
        raise refuse("step.number", f"步骤编号应为 1–{max(s.number for s in definition.steps)}，没有第 {ref} 步")
    if definition.has_step(ref):
        return ref
    by_name = [s for s in definition.steps if s.name == ref]
    if len(by_name) == 1:
        return by_name[0].id
    if len(by_name) > 1:
        options = "、".join(f"{s.number}（{s.id}）" for s in by_name)
        raise refuse("step.ambiguous", f"“{ref}”对应多个步骤：{options}，请用编号或 id")
    return ref
