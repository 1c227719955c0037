"""Development plans (发展党员计划): one row per organisation and year."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..tables import development_plan
from .base import Repository
from .on_conflict import upsert

_p = development_plan.c


@dataclass(frozen=True)
class PlanRow:
    id: int
    org_id: int
    year: int
    admit_target: int
    targets: dict[str, Any]
    note: str | None
    updated_at: datetime


def _row(r) -> PlanRow:
    return PlanRow(r.id, r.org_id, r.year, r.admit_target, dict(r.targets or {}), r.note, r.updated_at)


class PlanRepo(Repository):
    __slots__ = ()

    def set(self, org_id: int, year: int, admit_target: int, targets: Mapping[str, Any], note: str | None,
            now: datetime) -> None:
        """Insert or replace the plan of `org_id` for `year`."""
        stmt = upsert(self.conn, development_plan, ["org_id", "year"], ["admit_target", "targets", "note", "updated_at"])
        self.conn.execute(stmt, {"org_id": org_id, "year": year, "admit_target": admit_target,
                                 "targets": dict(targets), "note": note, "updated_at": now})

    def get(self, org_id: int, year: int) -> PlanRow | None:
        r = self.conn.execute(select(development_plan).where(_p.org_id == org_id, _p.year == year)).first()
        return _row(r) if r is not None else None

    def list_for(self, org_id: int) -> list[PlanRow]:
        rows = self.conn.execute(select(development_plan).where(_p.org_id == org_id).order_by(_p.year)).all()
        return [_row(r) for r in rows]
