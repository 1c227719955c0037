"""Ledger imports (台账导入): one row per confirmed import, so it can be undone as a whole.

The import's write path is a bulk one (100k candidates, ~2 M events): ids are allocated up front
here (PostgreSQL: `nextval` of each table's sequence; SQLite: after max(id) while the import holds
the write lock), then `storage/bulk_load.py` writes the rows as tuples (executemany / COPY) inside
the caller's one transaction. Undo deletes what an import created.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, insert, or_, select, text, update

from ..tables import branch_tenure, candidate, deadline, event, finding, import_batch, milestone, outbox, person
from .base import Repository

_b = import_batch.c
_BATCH_COLUMNS = tuple(import_batch.c)


class ImportRepo(Repository):
    __slots__ = ()

    # -- the batch row ---------------------------------------------------------------------------
    def add(self, *, file_name: str, sha256: str, org_id: int | None, actor: str, rows: int,
            summary: Mapping[str, Any], now: datetime) -> int:
        stmt = insert(import_batch).values(file_name=file_name, sha256=sha256, org_id=org_id, actor=actor,
                                           status="confirmed", rows=rows, summary=dict(summary), created_at=now)
        return self.conn.execute(stmt.returning(_b.id)).scalar_one()

    def get(self, import_id: int):
        return self.conn.execute(select(*_BATCH_COLUMNS).where(_b.id == import_id)).first()

    def confirmed_with_sha(self, sha256: str, org_id: int | None):
        return self.conn.execute(
            select(*_BATCH_COLUMNS).where(_b.sha256 == sha256, _b.status == "confirmed", _b.org_id == org_id)
            .order_by(_b.id)
        ).first()

    def list(self) -> list:
        return list(self.conn.execute(select(*_BATCH_COLUMNS).order_by(_b.id)))

    def set_summary(self, import_id: int, summary: Mapping[str, Any]) -> None:
        self.conn.execute(update(import_batch).where(_b.id == import_id).values(summary=dict(summary)))

    def mark_undone(self, import_id: int, now: datetime) -> None:
        self.conn.execute(update(import_batch).where(_b.id == import_id).values(status="undone", undone_at=now))

    # -- ids ---------------------------------------------------------------------------------------
    def allocate_ids(self, table_name: str, n: int) -> list[int]:
        """`n` fresh primary keys of `person` or `candidate` for explicit-id inserts.

        SQLite: the caller already holds the write lock (the batch row is inserted first), so
        max(id)+1… is ours. PostgreSQL: taken from the table's sequence (safe with other writers)."""
        if n <= 0:
            return []
        table = {"person": person, "candidate": candidate}[table_name]
        if self.conn.dialect.name == "postgresql":
            rows = self.conn.execute(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table_name, "n": n},
            )
            return [r[0] for r in rows]
        start = self.conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
        return list(range(start, start + n))

    # -- undo --------------------------------------------------------------------------------------
    def _candidate_ids(self, import_id: int):
        return select(candidate.c.id).where(candidate.c.import_id == import_id).scalar_subquery()

    def later_changes(self, import_id: int) -> dict[str, int]:
        """What was recorded after the import on what it created: imported candidates changed
        since (their version moved on from 1), and new candidacies of imported people."""
        c = candidate.c
        changed = self.conn.execute(
            select(func.count()).where(c.import_id == import_id, c.version != 1)).scalar_one()
        imported_people = select(person.c.id).where(person.c.import_id == import_id)
        others = self.conn.execute(
            select(func.count()).where(c.person_id.in_(imported_people),
                                       or_(c.import_id.is_(None), c.import_id != import_id))).scalar_one()
        first = self.conn.execute(
            select(c.id).where(c.import_id == import_id, c.version != 1).order_by(c.id).limit(5)).scalars().all()
        return {"changed": changed, "other_candidacies": others, "examples": list(first)}

    def people_created(self, import_id: int) -> set[int]:
        """Ids of the people the import created."""
        return set(self.conn.execute(select(person.c.id).where(person.c.import_id == import_id)).scalars())

    def steps_recorded_since(self, import_id: int, since: datetime):
        """(candidate_id, seq, definition_key, step, evidence) of the step records and corrections
        entered since `since` on candidates the import did not create, streamed: the ones that may
        name a person the import created (a sponsor, a mentor)."""
        e = event.c
        stmt = (select(e.candidate_id, e.seq, e.definition_key, e.step, e.evidence)
                .where(e.recorded_at >= since, e.kind.in_(("step", "correct")), e.step.is_not(None),
                       e.candidate_id.not_in(self._candidate_ids(import_id)))
                .order_by(e.id).execution_options(yield_per=1000))
        yield from self.conn.execute(stmt)

    def delete_created(self, import_id: int) -> dict[str, int]:
        """Delete every row the import created, children first. Returns counts per table."""
        ids = self._candidate_ids(import_id)
        counts = {}
        counts["findings"] = self.conn.execute(
            delete(finding).where(or_(finding.c.import_id == import_id, finding.c.candidate_id.in_(ids)))).rowcount
        counts["outbox"] = self.conn.execute(delete(outbox).where(outbox.c.candidate_id.in_(ids))).rowcount
        counts["deadlines"] = self.conn.execute(delete(deadline).where(deadline.c.candidate_id.in_(ids))).rowcount
        counts["milestones"] = self.conn.execute(delete(milestone).where(milestone.c.candidate_id.in_(ids))).rowcount
        # a branch history only exists after a transfer recorded since the import (not counted:
        # it is part of the milestones)
        self.conn.execute(delete(branch_tenure).where(branch_tenure.c.candidate_id.in_(ids)))
        counts["events"] = self.conn.execute(delete(event).where(event.c.candidate_id.in_(ids))).rowcount
        counts["candidates"] = self.conn.execute(delete(candidate).where(candidate.c.import_id == import_id)).rowcount
        counts["people"] = self.conn.execute(
            delete(person).where(person.c.import_id == import_id,
                                 ~exists().where(candidate.c.person_id == person.c.id))).rowcount
        return counts
