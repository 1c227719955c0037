"""Completeness of a candidate's materials (材料) and the material guard — pure, no storage.

What is on file is passed in: `present` counts the uploaded files per material id, `generated` the
material ids for which a generated document (文书) has been attached as the stand-in. A material
is *due* once its step is done, or once a step that looks at it (`needed_by`) is open or done;
a material that applies only on a decision (`when`: an extension, a cancellation) is due as soon
as the record shows that decision. A missing `block` material refuses the steps that need it
(like any guard, dry runs included); a `warn` one is said with the step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from engine.errors import Violation
from engine.state import NEW, CandidateState
from workflows.materials.model import MaterialCatalogue, MaterialSpec

Presence = Mapping[str, int]  # material id -> number of files on record

PRESENT = "present"
GENERATED = "generated"
MISSING = "missing"
OPTIONAL_MISSING = "optional_missing"
NOT_DUE = "not_due"  # its step is open or ahead: nothing is missing yet

STATUS_LABELS: Mapping[str, str] = {
    PRESENT: "已上传",
    GENERATED: "以生成文书代替",
    MISSING: "缺少",
    OPTIONAL_MISSING: "未上传（可选）",
    NOT_DUE: "待上传",
}

@dataclass(frozen=True)
class MaterialFacts:
    """What the service found on file for one candidate; `Context.materials` (None: not looked up, no check)."""

    catalogue: MaterialCatalogue
    present: Presence = field(default_factory=dict)
    generated: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MaterialStatus:
    material: MaterialSpec
    status: str  # PRESENT | GENERATED | MISSING | OPTIONAL_MISSING | NOT_DUE
    count: int = 0  # files on record
    due: bool = False
    blocks: bool = False  # a `block` material a step still ahead needs (Completeness.blocking)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class StepMaterials:
    """One step's materials for one candidate."""

    step: str
    number: int
    name: str
    done: bool
    items: tuple[MaterialStatus, ...]


@dataclass(frozen=True)
class Completeness:
    rows: tuple[StepMaterials, ...] = ()
    required_due: int = 0
    required_present: int = 0  # present or stood in by a generated document

    @property
    def missing_required(self) -> list[MaterialSpec]:
        return [s.material for r in self.rows for s in r.items if s.status == MISSING]

    @property
    def blocking(self) -> list[MaterialSpec]:
        """The missing materials that still stop a step: `block` ones a step not yet done needs.
        Once every step that needs one is done (or the candidate left), it is only missing."""
        return [s.material for r in self.rows for s in r.items if s.status == MISSING and s.blocks]

    @property
    def complete(self) -> bool:
        return self.required_present == self.required_due

    @property
    def percent(self) -> int:
        """Required materials on file out of those due, rounded down (99.6 % is not complete)."""
        return 100 if not self.required_due else self.required_present * 100 // self.required_due


def condition_holds(when: str | None, state: CandidateState | None) -> bool:
    """Whether a material's `when` condition holds for `state` (None: unconditional)."""
    if when is None:
        return True
    if state is None:
        return False
    decision = state.pending.decision if state.pending is not None else None
    cancelled = state.stage == "probation_cancelled" or decision == "cancel"
    if when == "extended":
        return state.extensions > 0 or decision == "extend"
    if when == "cancelled":
        return cancelled
    if when == "converted":
        return not cancelled and decision != "extend"
    raise ValueError(f"unknown material condition {when!r}")


_IMPLIES_DECISION = frozenset({"extended", "cancelled"})  # the condition itself is the act on record


def _has(m: MaterialSpec, present: Presence, generated: frozenset[str]) -> tuple[int, bool]:
    return present.get(m.id, 0), m.id in generated


def open_steps(catalogue: MaterialCatalogue, state: CandidateState) -> set[str]:
    """Steps that can be done next: not done, every prerequisite done, the candidate still in process."""
    if state.ended_on is not None or state.stage == NEW:
        return set()
    return {s.id for s in catalogue.steps if s.id not in state.done and all(r in state.done for r in s.requires)}


def completeness(catalogue: MaterialCatalogue, state: CandidateState, present: Presence,
                 generated: frozenset[str] = frozenset()) -> Completeness:
    """Per step reached (done, open, or holding a due or uploaded material): each material's status."""
    opened = open_steps(catalogue, state)
    reached = opened | set(state.done)
    rows = []
    required_due = required_present = 0
    for step in catalogue.steps:  # the definition's order
        specs = catalogue.for_step(step.id)
        items = []
        for m in specs:
            if not condition_holds(m.when, state):
                continue
            count, stood_in = _has(m, present, generated)
            due = (step.id in state.done or (m.when in _IMPLIES_DECISION)
                   or any(n in reached for n in m.needed_by))
            status = (PRESENT if count else GENERATED if stood_in else NOT_DUE if not due
                      else MISSING if m.required else OPTIONAL_MISSING)
            if due and m.required:
                required_due += 1
                required_present += status in (PRESENT, GENERATED)
            ahead = m.missing == "block" and state.ended_on is None and any(n not in state.done for n in m.needed_by)
            items.append(MaterialStatus(m, status, count, due, ahead))
        if items and (step.id in reached or any(i.due or i.count or i.status == GENERATED for i in items)):
            rows.append(StepMaterials(step.id, step.number, step.name, step.id in state.done, tuple(items)))
    return Completeness(tuple(rows), required_due, required_present)


def _missing_at(catalogue: MaterialCatalogue, step_id: str, mode: str, present: Presence, generated: frozenset[str],
                state: CandidateState | None) -> list[MaterialSpec]:
    out = []
    for m in catalogue.needed_at(step_id):
        if m.missing != mode or not condition_holds(m.when, state):
            continue
        count, stood_in = _has(m, present, generated)
        if not count and not stood_in:
            out.append(m)
    return out


def material_violations(catalogue: MaterialCatalogue, step_id: str, present: Presence,
                        generated: frozenset[str] = frozenset(), *, state: CandidateState | None = None) -> list[Violation]:
    """The `block` materials `step_id` needs that are not on file: the step is refused.

    `state` decides the conditional materials (an extension decision); without it they are skipped."""
    step = catalogue.step_name(step_id)
    return [Violation("material.missing", f"{step}须先上传材料“{m.name}”（{m.citation.label()}）", m.citation.article)
            for m in _missing_at(catalogue, step_id, "block", present, generated, state)]


def material_warnings(catalogue: MaterialCatalogue, step_id: str, present: Presence,
                      generated: frozenset[str] = frozenset(), *, state: CandidateState | None = None) -> list[str]:
    """The `warn` materials `step_id` needs that are not on file, one sentence each."""
    step = catalogue.step_name(step_id)
    out = []
    for m in _missing_at(catalogue, step_id, "warn", present, generated, state):
        hint = f"，可附上系统生成的“{m.generated_name}”代替" if m.generated else ""
        out.append(f"缺少材料：{step}需要的“{m.name}”尚未上传（{m.citation.label()}）{hint}")
    return out
