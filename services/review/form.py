"""The committee's form for a sent-up step, read from the step's definition: its nature (审批 or
备案, workflows/review.yaml), the step's own text and document-number fields (required or not), and
only what the step does not define itself — a separate 审批意见 and 批复文号 for an approval."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from services.casework.user_commands import quick_fields
from workflows.model import StepSpec
from workflows.review import is_filing, verb

_QUICK_TYPES = ("text", "docref")


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    required: bool
    docref: bool  # a number (文号, 编号): a short one-line input


@dataclass(frozen=True)
class ReviewForm:
    verb: str  # 审批 / 备案: the button, the title, the confirmation and the flash
    fields: tuple[FormField, ...]  # the step's own fields, in the definition's order
    opinion: str | None  # label of a separate opinion to ask ("审批意见"), None: the step's own or none
    opinion_required: bool
    doc_no: str | None  # label of a separate document number ("批复文号"), None: the step has its own
    own_opinion: str | None  # name of the step's own 意见 field, which is the record's opinion


def _own_opinion(fields) -> str | None:
    return next((f.name for f in fields if f.required and f.label.endswith("意见")), None)


def review_form(step: StepSpec) -> ReviewForm | None:
    """The quick form of `step` in the queue; None when it needs the full step form (numbers,
    people, votes, dates among its required fields)."""
    if quick_fields(step) is None:
        return None
    outcome = step.outcome.field if step.outcome else None
    fields = tuple(FormField(f.name, f.label, f.required, f.type == "docref") for f in step.evidence
                   if f.name != outcome and f.type in _QUICK_TYPES)
    own = _own_opinion(fields)
    filing = is_filing(step)
    has_doc = any(f.docref and f.label.endswith("文号") for f in fields)  # its own 备案文号: no 批复文号
    return ReviewForm(
        verb=verb(step), fields=fields,
        opinion=None if own or filing else "审批意见", opinion_required=not filing and own is None,
        doc_no=None if has_doc else "批复文号", own_opinion=own)


def form_evidence(step: StepSpec, form: ReviewForm, values: Mapping[str, str]) -> dict[str, Any]:
    """The step's evidence from the form as typed: its fields (an empty optional one left out) and
    its outcome positive."""
    evidence: dict[str, Any] = {f.name: values.get(f.name, "") for f in form.fields
                                if f.required or values.get(f.name)}
    if step.outcome:
        evidence[step.outcome.field] = True
    return evidence
