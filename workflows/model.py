"""The in-memory shape of a process definition, as the engine reads it.

The loader (`workflows.loader`) turns YAML into these frozen objects after validating them; the
engine never sees YAML. Everything is immutable so one loaded definition can be shared by every
candidate pinned to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from typing import Any, Mapping

# Evidence field types the engine knows how to check and the CLI how to parse.
FIELD_TYPES = frozenset(
    {
        "date",  # ISO date
        "text",  # free text
        "int",  # non-negative integer
        "bool",  # yes / no
        "choice",  # one of `choices`
        "person",  # one person id
        "people",  # list of person ids (min_items / max_items)
        "vote",  # {should_attend, present, yes, no, abstain, written}
        "docref",  # document reference (serial number, file name)
        "org",  # organisation id (branch)
    }
)

# Rule kinds and the parameters each one takes (the loader validates against this table).
RULE_KINDS: Mapping[str, frozenset[str]] = {
    # guards ("not before"): refuse the step before the date
    "not_before": frozenset({"after", "years", "months", "days", "working_days"}),
    # deadlines ("within"): never block, mark lateness; `max_months` with `reason_field` is the
    # special-case ceiling (第二十五条: 3 months, at most 6 with a recorded reason)
    # `when_resolved` (on an approval step): the deadline counts only while the pending resolution
    # decided one of these values (the 3 months of 第三十四条 are the text's for a conversion only)
    "due_within": frozenset(
        {"after", "years", "months", "weeks", "days", "working_days", "max_months", "reason_field", "remind_days",
         "escalate_after_days", "when_resolved"}
    ),
    # recurring duty: an entry due every N months from an anchor until a step is done. Without
    # `periods` the k-th entry is due at anchor + k×N months (cpc_2014@1); with `periods` one entry
    # is due in each period of N months — "from_anchor" (anchor + (k-1)N, anchor + kN], or
    # "calendar" (calendar quarters/half-years…, N divides 12) — and an entry covers the period it
    # falls in, so two entries in one half-year do not cover the next (第十一条).
    "recurring": frozenset({"every_months", "after", "until", "remind_days", "escalate_after_days", "periods"}),
    # person-level guards
    "min_age": frozenset({"years"}),
    "full_members": frozenset({"field"}),
    "count": frozenset({"field", "min", "max"}),
    "vote": frozenset({"field"}),
    "passed": frozenset({"field"}),
    "training": frozenset({"days_field", "hours_field", "min_days", "min_hours", "waiver_field"}),
    # 公示: N working days (or N calendar days, local variants) recorded as a fact on the step
    "public_notice": frozenset({"working_days", "days", "start_field", "end_field", "objections_field", "after"}),
    # guard: the step cannot pass while a bool evidence field is true (pre-review: leaving within 3 months)
    "not_if": frozenset({"field"}),
    "extension": frozenset({"field", "min_months", "max_months", "times"}),
}

# Dates that rules may be anchored on besides step ids.
COMPUTED_ANCHORS = frozenset({"probation_end"})


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from. `confidence` is process.md's tag: V, W, R or L (local practice)."""

    article: str  # e.g. "第十三条"; may be "" for local practice
    confidence: str = "R"
    unverified: bool = False  # 2026 changes reported but not verified
    note: str = ""
    source: str = ""  # where the article and its wording were checked (docs/rule-sources.md)

    def label(self) -> str:
        """Chinese reference as shown to users, e.g. "细则第十三条"; "本地规定" only for local practice
        (confidence L): a national step whose article process.md does not give is not local."""
        if self.article:
            return f"细则{self.article}"
        return "本地规定" if self.confidence == "L" else "细则未标明条款"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: str  # Chinese label shown in the CLI/web
    required: bool = True
    choices: tuple[str, ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    choice_labels: Mapping[str, str] = field(default_factory=dict)  # choice code -> Chinese label
    min: int | None = None  # an int field's bounds (a training of 400 days is a typing error, not a fact)
    max: int | None = None

    def choice_label(self, value: Any) -> str:
        return self.choice_labels.get(str(value), str(value))


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    params: Mapping[str, Any]
    citation: Citation
    message: str | None = None  # optional Chinese message override (str.format with rule params)
    line: int = 0  # source line, for error reports
    id: str = ""  # the rule's id in its step (overrides patch rules by it; reports name it)


@dataclass(frozen=True)
class Outcome:
    """The evidence field that decides whether a recorded step counts as passed.

    `field` is a bool/choice/vote field. `positive` lists the values that count as passed (for a
    vote field the vote result decides). `negative` says what a negative result does: "stay" (the
    step stays open and may be recorded again) or "rejected" (the candidate moves to `rejected`).
    `effects` maps choice values to special effects ("extend_probation", "cancel_probation").
    `approved_by` (a later step with a bool outcome) makes the result a *resolution*: an adopted
    one completes this step, but what it decides (the positive result, or its effect) happens only
    when that step approves it; a refusal sends the step back to be decided again (党章第七条:
    conversion, extension and cancellation all need the higher organisation's approval).
    """

    field: str
    positive: tuple[Any, ...] = (True,)
    negative: str = "stay"
    effects: Mapping[str, str] = field(default_factory=dict)
    approved_by: str | None = None
    means: str = ""  # what a negative result means, in the rule's words (named by refusals of later steps)


@dataclass(frozen=True)
class StepSpec:
    id: str
    number: int
    name: str  # Chinese name, e.g. "确定发展对象"
    stage: str  # the stage the step belongs to
    actor: str  # role id
    requires: tuple[str, ...] = ()
    enters: str | None = None  # stage entered when this step is completed (positively)
    evidence: tuple[FieldSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    citation: Citation = Citation("")
    outcome: Outcome | None = None
    repeatable: bool = False  # e.g. cultivation entries every half year
    optional: bool = False  # a local step that may be skipped
    line: int = 0

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.evidence if f.name == name), None)


@dataclass(frozen=True)
class StageSpec:
    id: str
    name: str  # Chinese


@dataclass(frozen=True)
class Definition:
    """One version of the process. `key` ("cpc_2014@1") is what a candidate is pinned to."""

    id: str
    version: int
    title: str
    effective_from: date
    stages: tuple[StageSpec, ...]
    end_states: tuple[StageSpec, ...]
    roles: Mapping[str, str]  # role id -> Chinese name
    steps: tuple[StepSpec, ...]
    reconsider_reopens: tuple[str, ...] = ()  # steps reopened when a rejected candidate is reconsidered
    # probation: `probation_months` counted from step `probation_after` (第三十二条: from the branch
    # meeting, not the approval); the computed anchor "probation_end" adds any extension.
    probation_after: str = "admission_meeting"
    probation_months: int = 12
    probation_citation: Citation = Citation("第三十二条", "V")
    extends: str | None = None
    local: bool = False  # a township variant: chosen explicitly, never by date
    source: str = ""  # file path(s) it was loaded from
    sha256: str = ""  # digest of the merged definition, stored with pinned candidates

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @cached_property
    def _step_index(self) -> dict[str, StepSpec]:
        return {s.id: s for s in self.steps}

    def step(self, step_id: str) -> StepSpec:
        return self._step_index[step_id]

    def has_step(self, step_id: str) -> bool:
        return step_id in self._step_index

    def stage_name(self, stage_id: str) -> str:
        for s in (*self.stages, *self.end_states):
            if s.id == stage_id:
                return s.name
        return stage_id
