"""What a command returns to an entrypoint: the decision plus where it landed, as a stable dict.

The `as_dict` shape is the documented `--json` output (docs/cli.md); change it only additively.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: reading a candidate need not load the engine's decisions
    from engine import Decision, Event


def event_dict(e: Event, step_names: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "kind": e.kind,
        "step": e.step,
        "step_name": (step_names or {}).get(e.step or "", None),
        "occurred_on": e.occurred_on.isoformat(),
        "recorded_at": e.recorded_at.isoformat(timespec="seconds"),
        "actor": e.actor,
        "evidence": dict(e.evidence),
        "supersedes": e.supersedes,
        "reason": e.reason,
        "late": e.late,
        "definition_key": e.definition_key,
    }


@dataclass
class CommandResult:
    candidate_id: int | None
    version: int | None
    preview: bool
    decision: Decision

    def as_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "ok": d.ok,
            "preview": self.preview,
            "candidate_id": self.candidate_id,
            "version": self.version,
            "event": event_dict(d.event) if d.event else None,
            "stage": d.state.stage if d.state else None,
            "stage_before": d.before.stage if d.before else None,
            "violations": [v.as_dict() for v in d.violations],
            "warnings": list(d.warnings),
            "next_steps": [o.as_dict() for o in d.outlook],
        }
