"""The in-memory shape of the material lists (材料清单): what each step needs on paper.

Why frozen and separate from `workflows.model`: a material list is an overlay on a pinned
definition version (docs/materials.md), loaded from its own files and shared read-only by every
candidate on that version; the definition itself — and its sha256 — never changes for it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

from workflows.model import Citation

# Kinds of generated documents (文书) that can stand for a material. The ids are shared with the
# document generator; the names are what users read.
GENERATED_KINDS: Mapping[str, str] = {
    "activist_filing_report": "入党积极分子备案报告",
    "target_filing_report": "发展对象备案报告（请示）",
    "target_notice": "发展对象公示",
    "probationary_notice": "拟接收预备党员公示",
    "conversion_notice": "预备党员转正公示",
    "review_inquiry_letter": "政治审查函调函",
    "admission_resolution": "支部大会决议（接收预备党员）",
    "conversion_resolution": "支部大会决议（预备党员转正）",
    "approval_reply": "上级党委审批意见（批复）",
    "extension_decision": "延长预备期决定",
    "cancellation_decision": "取消预备党员资格决定",
    "archive_index": "档案目录",
}

# What a missing material does at a step that needs it: a warning, or a guard that refuses it.
MISSING_MODES = ("warn", "block")

# Conditions under which a material applies at all, read from the candidate's state: most
# candidates never get an extension or a cancellation, and a branch meeting that resolved to extend
# adopted no conversion resolution (engine/materials.py evaluates them).
CONDITIONS: Mapping[str, str] = {
    "extended": "决议延长预备期时",
    "cancelled": "决议取消预备党员资格时",
    "converted": "支部大会决议转为正式党员时",
}


@dataclass(frozen=True)
class MaterialSpec:
    """One material: produced at `step` by role `by`; `needed_by` steps look at it (a review, an approval)."""

    id: str
    name: str  # Chinese, as on the form: 入党申请书
    step: str
    required: bool = True
    by: str = ""  # role id of the definition (who produces it)
    generated: str | None = None  # a GENERATED_KINDS id that can stand for it
    needed_by: tuple[str, ...] = ()
    missing: str = "warn"  # "warn" | "block" (at the needed_by steps)
    repeat: bool = False  # several files expected (思想汇报)
    citation: Citation = Citation("")
    local: bool = False  # added by a township's override
    when: str | None = None  # a CONDITIONS key: due only when the candidate's record shows it

    @property
    def generated_name(self) -> str:
        return GENERATED_KINDS.get(self.generated or "", "")


@dataclass(frozen=True)
class CatalogueStep:
    """What the completeness needs of a definition step: its name (for messages) and order."""

    id: str
    number: int
    name: str
    requires: tuple[str, ...] = ()
    repeatable: bool = False


@dataclass(frozen=True)
class MaterialCatalogue:
    """The materials of one definition version (+ a township's override), in step order.

    `key` names what it is built from ("cpc_2014@2", "cpc_2014@2+nanchuan_thought_reports");
    `list_key` is the national list it came from (the nearest listed version for a version that
    has none of its own, e.g. one installed on the web admin page).
    """

    key: str
    items: tuple[MaterialSpec, ...] = ()
    steps: tuple[CatalogueStep, ...] = ()
    list_key: str = ""
    override: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)  # role id -> Chinese name

    @cached_property
    def _by_id(self) -> dict[str, MaterialSpec]:
        return {m.id: m for m in self.items}

    @cached_property
    def _steps(self) -> dict[str, CatalogueStep]:
        return {s.id: s for s in self.steps}

    def get(self, material_id: str) -> MaterialSpec:
        try:
            return self._by_id[material_id]
        except KeyError:
            raise LookupError(f"材料清单 {self.key} 中没有材料“{material_id}”") from None

    def __contains__(self, material_id: object) -> bool:
        return material_id in self._by_id

    @cached_property
    def _by_step(self) -> dict[str, tuple[MaterialSpec, ...]]:
        out: dict[str, list[MaterialSpec]] = {}
        for m in self.items:
            out.setdefault(m.step, []).append(m)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _needed(self) -> dict[str, tuple[MaterialSpec, ...]]:
        out: dict[str, list[MaterialSpec]] = {}
        for m in self.items:
            for n in m.needed_by:
                out.setdefault(n, []).append(m)
        return {k: tuple(v) for k, v in out.items()}

    def for_step(self, step_id: str) -> tuple[MaterialSpec, ...]:
        """The materials produced at a step, in list order (looked up: completeness asks per step
        and candidate, a whole queue at a time)."""
        return self._by_step.get(step_id, ())

    def needed_at(self, step_id: str) -> tuple[MaterialSpec, ...]:
        """The materials a step looks at (its `needed_by` names it)."""
        return self._needed.get(step_id, ())

    def stand_in_for(self, step_id: str, kind: str) -> MaterialSpec | None:
        """The material of `step_id` a generated document of `kind` stands for (None: none does).

        Why by step: one kind can serve several materials (`approval_reply` is both the admission
        and the conversion 批复), so a generated document is filed under a material id."""
        return next((m for m in self.items if m.step == step_id and m.generated == kind), None)

    def step_name(self, step_id: str) -> str:
        s = self._steps.get(step_id)
        return s.name if s is not None else step_id

    def step(self, step_id: str) -> CatalogueStep | None:
        return self._steps.get(step_id)
