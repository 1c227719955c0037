"""Moving every candidate on one rule version to another (the township's explicit decision).

Why one transaction per candidate: each move is that candidate's own audited `migrate` event (the
same use case as `partyflow migrate`); a candidate refused (its candidacy is over, it is already
on the target…) is reported and the others still move. A move that carries a resolution over to
the higher committee (engine/resolution.py) is listed, so the township knows what to approve.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from engine.errors import DomainError
from engine.process import process_for
from services.app import App
from services.candidates import migrate
from services.queries import pending_resolution


@dataclass
class MigrationReport:
    """What a bulk migration did (or, previewed, would do)."""

    from_key: str
    to_key: str
    preview: bool
    moved: list[int] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)  # {candidate_id, name, text}
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {candidate_id, name, reason}

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.from_key, "to": self.to_key, "preview": self.preview, "moved": len(self.moved),
                "moved_ids": self.moved, "pending": self.pending, "skipped": self.skipped}


def migrate_all(app: App, from_key: str, to_key: str, *, occurred_on: date, actor: str, reason: str,
                preview: bool = False, branch_ids: Iterable[int] | None = None) -> MigrationReport:
    """Migrate each candidate pinned to `from_key` (within `branch_ids`, None = all) to `to_key`."""
    app.definition(from_key)  # unknown versions are refused before anything happens
    target = app.definition(to_key)
    with app.uow(read_only=True) as uow:
        ids = uow.candidates.ids_on_definition(from_key, branch_ids)
        names = {cid: _name(uow, cid) for cid in ids}
    report = MigrationReport(from_key, to_key, preview)
    for cid in ids:
        try:
            result = migrate(app, cid, to_key, occurred_on=occurred_on, actor=actor, reason=reason, preview=preview)
        except DomainError as e:
            report.skipped.append({"candidate_id": cid, "name": names[cid],
                                   "reason": "；".join(v.message for v in e.violations)})
            continue
        report.moved.append(cid)
        waiting = pending_resolution(process_for(target), result.decision.state)
        if waiting is not None:
            report.pending.append({"candidate_id": cid, "name": names[cid], "text": waiting["text"]})
    return report


def _name(uow, cid: int) -> str:
    row = uow.candidates.get(cid)
    person = uow.people.get(row.person_id) if row else None
    return person.name if person else ""
