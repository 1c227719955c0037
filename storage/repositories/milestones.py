"""Milestones: the narrow per-candidate row of the dates reports count (engine/milestones.py).

Written only when a milestone changes (about six of 25 steps), so the step path pays for it
rarely; reports aggregate it with SQL, `verify` streams it against the replay.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from ..tables import milestone
from .base import Repository
from .hot import CODECS, HotStatement, execute, execute_many, stream

_m = milestone.c
COLUMNS = (
    "branch_id", "applied_on", "activist_on", "target_on", "admitted_on", "probation_from", "full_on",
    "extended_on", "ended_on", "end_stage",
)  # = engine.Milestones' fields
_NAMES = tuple(c.name for c in milestone.c)
_DATES = frozenset(COLUMNS) - {"branch_id", "end_stage"}
_all = HotStatement(select(milestone).order_by(_m.candidate_id))
_insert = HotStatement(insert(milestone).values({n: bindparam(n) for n in ("candidate_id", "person_id", *COLUMNS)}))
_update = HotStatement(
    update(milestone).where(_m.candidate_id == bindparam("b_cid"))
    .values({n: bindparam(f"b_{n}", type_=_m[n].type) for n in ("person_id", *COLUMNS)})
)


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

    def _params(self, values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
        date_in = CODECS[self.conn.dialect.name].date_in
        return {f"{prefix}{k}": (date_in(v) if k in _DATES and v is not None else v) for k, v in values.items()}

    def put(self, candidate_id: int, person_id: int, values: Mapping[str, Any]) -> None:
        """Overwrite the candidate's milestone row (insert it if missing). A hot statement: it runs
        on the step path whenever a milestone changes."""
        params = self._params({"person_id": person_id, **values}, "b_")
        params["b_cid"] = candidate_id
        if execute(self.conn, _update, params).rowcount == 0:
            self.add_many([{"candidate_id": candidate_id, "person_id": person_id, **values}])

    def add_many(self, rows: list[Mapping[str, Any]]) -> None:
        """Insert new rows ({candidate_id, person_id, *COLUMNS}) in one driver call (imports)."""
        execute_many(self.conn, _insert, [self._params(r) for r in rows])

    def get(self, candidate_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(milestone).where(_m.candidate_id == candidate_id)).first()
        return _plain(row) if row is not None else None

    def delete_for(self, candidate_ids: list[int]) -> None:
        self.conn.execute(delete(milestone).where(_m.candidate_id.in_(candidate_ids)))

    def iter_all(self, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """Every row ordered by candidate_id, streamed (for verify's merge with the log)."""
        for row in stream(self.conn, _all, {}, batch):
            yield _plain(row)
