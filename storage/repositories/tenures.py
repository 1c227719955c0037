"""Branch tenures: where a transferred candidate was before (engine/milestones.py `Tenure`).

Written only by a transfer or by a correction that changes the log's transfers (rare: the step
path never touches this table), read by reports (reports/query.py) and checked by `verify`.
The date the current branch was joined is `milestone.held_from`, kept here beside them.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from sqlalchemy import delete, insert, select, update

from engine import Tenure

from ..tables import branch_tenure, milestone
from .base import Repository

_t = branch_tenure.c


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


class TenureRepo(Repository):
    __slots__ = ()

    def history(self, candidate_id: int) -> tuple[list[Tenure], date | None]:
        """(past tenures in order, the date the current branch was joined) as stored."""
        past = [Tenure(b, _day(f), _day(u)) for b, f, u in self.conn.execute(
            select(_t.branch_id, _t.held_from, _t.held_until)
            .where(_t.candidate_id == candidate_id).order_by(_t.ordinal))]
        since = self.conn.execute(
            select(milestone.c.held_from).where(milestone.c.candidate_id == candidate_id)).scalar_one_or_none()
        return past, _day(since)

    def put(self, candidate_id: int, past: Sequence[Tenure], since: date | None,
            was: tuple[list[Tenure], date | None] | None = None) -> bool:
        """Make the stored history equal to (`past`, `since`); False when it already was (nothing
        written). `was`: the stored history, if the caller has just read it."""
        if (self.history(candidate_id) if was is None else was) == (list(past), since):
            return False
        self.conn.execute(delete(branch_tenure).where(_t.candidate_id == candidate_id))
        if past:
            self.conn.execute(insert(branch_tenure), [
                {"candidate_id": candidate_id, "ordinal": i, "branch_id": t.branch_id, "held_from": t.held_from,
                 "held_until": t.held_until} for i, t in enumerate(past, start=1)])
        self.conn.execute(update(milestone).where(milestone.c.candidate_id == candidate_id).values(held_from=since))
        return True

    def delete_for(self, candidate_ids: list[int]) -> None:
        self.conn.execute(delete(branch_tenure).where(_t.candidate_id.in_(candidate_ids)))

    def iter_all(self) -> Iterator[tuple[int, Tenure]]:
        """(candidate_id, tenure) of every row, by candidate and order held (for verify)."""
        for cid, b, f, u in self.conn.execute(
                select(_t.candidate_id, _t.branch_id, _t.held_from, _t.held_until)
                .order_by(_t.candidate_id, _t.ordinal)):
            yield cid, Tenure(b, _day(f), _day(u))
