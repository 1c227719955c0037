"""A loaded definition as plain data in the YAML format, and the hash of that data.

Why: a candidate is pinned to a definition's key and to the sha256 of its merged content, so the
hash must change with content and never with comments or layout; and an override patches its base
in this same plain shape.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from workflows.model import Citation, Definition, FieldSpec, RuleSpec, StepSpec


def definition_to_data(d: Definition) -> dict[str, Any]:
    """The merged definition as plain data in the YAML format (no lines, no source, no hash)."""
    data: dict[str, Any] = {
        "id": d.id,
        "version": d.version,
        "title": d.title,
        "effective_from": d.effective_from.isoformat(),
    }
    if d.extends:
        data["extends"] = d.extends
    if d.local:
        data["local"] = True
    data["roles"] = dict(d.roles)
    data["stages"] = [{"id": s.id, "name": s.name} for s in d.stages]
    data["end_states"] = [{"id": s.id, "name": s.name} for s in d.end_states]
    data["reconsider_reopens"] = list(d.reconsider_reopens)
    data["probation"] = {
        "after": d.probation_after,
        "months": d.probation_months,
        **_citation_data(d.probation_citation, "article"),
    }
    data["steps"] = [_step_data(s) for s in d.steps]
    return data


def digest(d: Definition) -> str:
    """sha256 of the canonical JSON of the merged definition: what a pinned candidate stores."""
    blob = json.dumps(definition_to_data(d), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _step_data(s: StepSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "number": s.number, "name": s.name, "stage": s.stage, "actor": s.actor}
    if s.requires:
        out["requires"] = list(s.requires)
    if s.enters:
        out["enters"] = s.enters
    if s.citation != Citation(""):
        out["article"] = _citation_data(s.citation, "number")
    if s.evidence:
        out["evidence"] = [_field_data(f) for f in s.evidence]
    if s.rules:
        out["rules"] = [_rule_data(r) for r in s.rules]
    if s.outcome is not None:
        o = s.outcome
        out["outcome"] = {"field": o.field, "positive": _plain(o.positive), "negative": o.negative}
        if o.effects:
            out["outcome"]["effects"] = dict(o.effects)
        if o.approved_by:
            out["outcome"]["approved_by"] = o.approved_by
        if o.means:
            out["outcome"]["means"] = o.means
    if s.repeatable:
        out["repeatable"] = True
    if s.optional:
        out["optional"] = True
    return out


def _field_data(f: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "type": f.type, "label": f.label}
    if not f.required:
        out["required"] = False
    if f.choices:
        out["choices"] = list(f.choices)
    if f.choice_labels:
        out["choice_labels"] = dict(f.choice_labels)
    if f.min_items is not None:
        out["min_items"] = f.min_items
    if f.max_items is not None:
        out["max_items"] = f.max_items
    if f.min is not None:
        out["min"] = f.min
    if f.max is not None:
        out["max"] = f.max
    return out


def _rule_data(r: RuleSpec) -> dict[str, Any]:
    """A rule's citation is written flat in the rule, after its parameters."""
    out: dict[str, Any] = {"id": r.id or r.kind, "kind": r.kind}
    out.update({k: _plain(v) for k, v in r.params.items()})
    out.update(_citation_data(r.citation, "article"))
    if r.message:
        out["message"] = r.message
    return out


def _citation_data(c: Citation, number_key: str) -> dict[str, Any]:
    """`number_key`: a step writes its article as {number: …}, rules and probation as article: …."""
    out: dict[str, Any] = {number_key: c.article, "confidence": c.confidence}
    if c.unverified:
        out["unverified"] = True
    if c.note:
        out["note"] = c.note
    if c.source:
        out["source"] = c.source
    return out


def _plain(v: Any) -> Any:
    """Tuples and read-only mappings of the frozen model as JSON-able lists and dicts."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    return v
