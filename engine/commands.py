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


@dataclass(frozen=True)
class Submit:
    """The branch sends a step the higher committee does (备案, 预审, 审批…) for its review (报送)."""

    step: str
    occurred_on: date
    actor: str
    note: str = ""


@dataclass(frozen=True)
class Return:
    """The higher committee sends a submitted step back (退回) with a reason, reopening the branch's
    steps it names (and the done steps that need them)."""

    step: str
    occurred_on: date
    actor: str
    reason: str
    reopen: tuple[str, ...] = ()


Command = CompleteStep | Exceptional | Correct | Void | Migrate | Submit | Return


def resolve_step_ref(definition, ref: str) -> str:
    """A step id from what a user typed: the id, its number (1–25), its Chinese name, or a part of
    the name that only one step has (宣誓 → 入党宣誓).

    An exact name wins over a part (支部大会讨论 is step 15, though step 23's name contains it).
    A name or part that several steps share is refused, naming them by number and name ("谈话" →
    第2步 党组织派人谈话、第16步 上级党委派人谈话). Resolved against the candidate's own (pinned)
    definition inside the command's transaction. An unknown reference is returned as typed: the
    engine then names it and lists the valid ones.
    """
    ref = ref.strip()
    if ref.isdecimal():
        for s in definition.steps:
            if s.number == int(ref):
                return s.id
        raise refuse("step.number", f"步骤编号应为 1–{max(s.number for s in definition.steps)}，没有第 {ref} 步")
    if definition.has_step(ref) or not ref:
        return ref
    found = [s for s in definition.steps if s.name == ref] or [s for s in definition.steps if ref in s.name]
    if len(found) == 1:
        return found[0].id
    if found:
        options = "、".join(f"第{s.number}步 {s.name}" for s in found)
        raise refuse("step.ambiguous", f"“{ref}”可能指：{options}，请写明步骤编号")
    return ref
