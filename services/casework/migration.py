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

from engine.errors import DomainError, Violation
from engine.process import process_for
from services.app import App
from services.casework.candidates import migrate
from services.casework.queries import pending_resolution


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
    """Migrate each candidate pinned to `from_key` (within `branch_ids`, None = all) to `to_key`.

    What holds for every candidate alike — the versions, the date, the reason — is checked once
    up front and refused with one message per problem (codes in FIELDS), nothing written: not one
    identical refusal per candidate."""
    target = check_request(app, from_key, to_key, occurred_on, reason)
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


# the form field each up-front refusal belongs to (web/routes/admin.py shows it there)
FIELDS = {"migrate.from": "from_key", "migrate.to": "to_key", "migrate.date": "occurred_on",
          "migrate.reason": "reason"}


def check_request(app: App, from_key: str, to_key: str, occurred_on: date, reason: str):
    """The target definition, or a refusal of what would refuse every candidate the same way."""
    found: list[Violation] = []
    versions = "、".join(f"{k}（{app.definition(k).title}）" for k in app.registry.keys())
    source = target = None
    for code, key, what in (("migrate.from", from_key, "原版本"), ("migrate.to", to_key, "目标版本")):
        try:
            d = app.definition(key)
        except LookupError:
            found.append(Violation(code, f"没有版本代号为“{key}”的流程（{what}），可用：{versions}"))
            continue
        source, target = (d, target) if code == "migrate.from" else (source, d)
    if source is not None and target is not None and source.key == target.key:
        found.append(Violation("migrate.to", f"目标版本与原版本相同（{target.title}）"))
    today = app.today()
    if occurred_on > today:
        found.append(Violation("migrate.date", f"迁移日期 {occurred_on} 晚于今天（{today}），请填写乡镇党委决定的日期"))
    elif target is not None and occurred_on < target.effective_from:
        found.append(Violation("migrate.date", f"{target.title}自 {target.effective_from} 起施行，"
                                              f"迁移日期 {occurred_on} 早于施行日期", "", target.effective_from))
    if not (reason or "").strip():
        found.append(Violation("migrate.reason", "迁移须写明乡镇党委的决定或原因"))
    if found:
        raise DomainError(found)
    return target


def _name(uow, cid: int) -> str:
    row = uow.candidates.get(cid)
    person = uow.people.get(row.person_id) if row else None
    return person.name if person else ""
