"""Milestones: the narrow per-candidate row of the dates reports count (engine/milestones.py).

Written only when a milestone changes (about six of 25 steps), so the step path pays for it
rarely; reports aggregate it with SQL, `verify` streams it against the replay.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import delete, select

from ..tables import milestone
from .base import Repository
from .hot import HotStatement, stream
from .on_conflict import upsert

_m = milestone.c
COLUMNS = (
    "branch_id", "applied_on", "activist_on", "target_on", "admitted_on", "probation_from", "full_on",
    "extended_on", "ended_on", "end_stage",
)  # = engine.Milestones' fields
_NAMES = tuple(c.name for c in milestone.c)
_DATES = frozenset(COLUMNS) - {"branch_id", "end_stage"}
_all = HotStatement(select(milestone).order_by(_m.candidate_id))


def _plain(values) -> dict[str, Any]:
    """A row as {column: value} with dates as `date` on both backends."""
    out = dict(zip(_NAMES, values))
    for k in _DATES:
        v = out.get(k)
        if isinstance(v, str):
            out[k] = date.fromisoformat(v)
    return out


class MilestoneRepo(Repository):
    __slots__ = ()

    def put(self, candidate_id: int, person_id: int, values: Mapping[str, Any]) -> None:
        """Insert or overwrite the candidate's milestone row."""
        stmt = upsert(self.conn, milestone, ["candidate_id"], ["person_id", *COLUMNS])
        self.conn.execute(stmt, {"candidate_id": candidate_id, "person_id": person_id, **values})

    def get(self, candidate_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(milestone).where(_m.candidate_id == candidate_id)).first()
        return _plain(row) if row is not None else None

    def delete_for(self, candidate_ids: list[int]) -> None:
        self.conn.execute(delete(milestone).where(_m.candidate_id.in_(candidate_ids)))

    def iter_all(self, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """Every row ordered by candidate_id, streamed (for verify's merge with the log)."""
        for row in stream(self.conn, _all, {}, batch):
            yield _plain(row)
