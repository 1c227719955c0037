"""Deadlines: a projection of the log (what the engine computed), scanned for due and overdue work.

replace / list_for run on every step, so they are hot statements; the reports are not.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, Integer, bindparam, delete, func, insert, select, text, update

from ..tables import OVERDUE_KINDS, candidate, change_marker, deadline, person
from .base import Repository, in_branches
from .hot import CODECS, Codec, HotStatement, execute, execute_many, stream
from .rows import ScanRow, DeadlineDiff, DeadlineRow, OverdueRow

_d = deadline.c
_COLUMNS = (
    _d.candidate_id, _d.branch_id, _d.step, _d.kind, _d.due_on, _d.provisional, _d.article,
)  # = DeadlineRow's fields
_of_candidate = HotStatement(
    select(*_COLUMNS).where(_d.candidate_id == bindparam("b_cid")).order_by(_d.due_on, _d.step, _d.kind)
)
_insert = HotStatement(
    insert(deadline).values({name: bindparam(name) for name in (
        "candidate_id", "branch_id", "step", "kind", "due_on", "provisional", "article"
    )})
)
# a row is addressed by its key (candidate, step, kind): the table's primary key (migration 0007)
_at_key = (_d.candidate_id == bindparam("b_cid"), _d.step == bindparam("b_old_step"), _d.kind == bindparam("b_old_kind"))
_update = HotStatement(
    update(deadline)
    .where(*_at_key)
    .values(
        branch_id=bindparam("b_branch_id"),
        due_on=bindparam("b_due_on", type_=_d.due_on.type),
        provisional=bindparam("b_provisional", type_=_d.provisional.type),
        article=bindparam("b_article"),
        changed=change_marker(),  # the daily scan reads rows changed since its last run
    )
)
# what `replace` compares: the key, then the values a diff may change (raw driver values)
_keys_of_candidate = HotStatement(
    select(_d.step, _d.kind, _d.branch_id, _d.due_on, _d.provisional, _d.article)
    .where(_d.candidate_id == bindparam("b_cid"))
)
# a row that is no longer due becomes a new one in place: one UPDATE instead of DELETE + INSERT
# (no second search of the key's b-tree; on the schema floor ~15 % more steps/s)
_reuse = HotStatement(
    update(deadline)
    .where(*_at_key)
    .values(
        step=bindparam("b_step"),
        kind=bindparam("b_kind"),
        branch_id=bindparam("b_branch_id"),
        due_on=bindparam("b_due_on", type_=_d.due_on.type),
        provisional=bindparam("b_provisional", type_=_d.provisional.type),
        article=bindparam("b_article"),
        changed=change_marker(),
    )
)
_all_by_candidate = HotStatement(select(*_COLUMNS).order_by(_d.candidate_id, _d.step, _d.kind))
_delete = HotStatement(delete(deadline).where(*_at_key))
_count = select(func.count()).select_from(deadline)
_OVERDUE_COLUMNS = (
    *_COLUMNS, candidate.c.stage, person.c.id, person.c.name, candidate.c.definition_key
)  # = OverdueRow's fields
_with_candidate_and_person = deadline.join(candidate, candidate.c.id == _d.candidate_id).join(
    person, person.c.id == candidate.c.person_id
)


def _decode(codec: Codec, r) -> DeadlineRow:
    return DeadlineRow(r[0], r[1], r[2], r[3], codec.date_out(r[4]), bool(r[5]), r[6])


@functools.lru_cache(maxsize=256)
def _diff(inserted: int, updated: int, deleted: int) -> DeadlineDiff:
    """A step's diff is one of a few shapes; DeadlineDiff is immutable, so they are shared."""
    return DeadlineDiff(inserted, updated, deleted)


def _spec_fields(item: Any) -> tuple[str, str, date, bool, str | None]:
    """(step, kind, due_on, provisional, article) of a DeadlineSpec-like object or a mapping."""
    try:
        return item.step, item.kind, item.due_on, bool(item.provisional), item.article
    except AttributeError:
        if not isinstance(item, Mapping):
            raise
    return item["step"], item["kind"], item["due_on"], bool(item.get("provisional", False)), item.get("article")


class DeadlineRepo(Repository):
    """Deadline projection rows (computed by the engine, rebuilt by verify)."""

    __slots__ = ()

    def replace(self, candidate_id: int, branch_id: int, rows: Iterable[Any], *, fresh: bool = False,
                existing: Iterable[tuple] | None = None) -> DeadlineDiff:
        """Make the candidate's deadlines equal to `rows`, writing only the difference.

        `rows` holds DeadlineSpec / DeadlineRow objects or mappings with step, kind, due_on,
        provisional, article; (step, kind) must be unique. A step usually changes one or two
        deadlines, so a diff is a couple of statements instead of delete-all + insert-all; a row
        that goes and a row that comes are one UPDATE of the old row (the counts still say one
        deleted, one inserted). `fresh=True`: the candidate was just created and has no rows
        yet (nothing to read). `existing`: the candidate's rows as (step, kind, branch_id, due_on,
        provisional, article) driver values, read earlier in this transaction
        (`CandidateRepo.get_for_step`), instead of reading them here.
        """
        conn = self.conn
        codec = CODECS[conn.dialect.name]
        date_in, bool_in = codec.date_in, codec.bool_in
        if fresh:
            existing = ()
        elif existing is None:
            existing = execute(conn, _keys_of_candidate, {"b_cid": candidate_id}).fetchall()
        existing = {(r[0], r[1]): r for r in existing}
        inserts: list[tuple] = []
        updates: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for item in rows:
            step, kind, due_on, provisional, article = _spec_fields(item)
            key = (step, kind)
            if key in seen:
                raise ValueError(f"duplicate deadline {key!r} for candidate {candidate_id}")
            seen.add(key)
            due = date_in(due_on)  # raw values compare as stored: ISO text on SQLite, dates on PostgreSQL
            old = existing.pop(key, None)
            if old is None:
                inserts.append((step, kind, due, bool_in(provisional), article))
            elif old[2] != branch_id or old[3] != due or bool(old[4]) != provisional or old[5] != article:
                updates.append({"b_cid": candidate_id, "b_old_step": step, "b_old_kind": kind, "b_branch_id": branch_id,
                                "b_due_on": due, "b_provisional": bool_in(provisional), "b_article": article})
        gone = list(existing)  # (step, kind) keys no longer due
        reused = min(len(gone), len(inserts))
        if reused:
            execute_many(conn, _reuse, [
                {"b_cid": candidate_id, "b_old_step": old_step, "b_old_kind": old_kind, "b_step": step, "b_kind": kind,
                 "b_branch_id": branch_id, "b_due_on": due, "b_provisional": provisional, "b_article": article}
                for (old_step, old_kind), (step, kind, due, provisional, article) in zip(gone, inserts)
            ])
        if len(gone) > reused:
            execute_many(conn, _delete, [{"b_cid": candidate_id, "b_old_step": old_step, "b_old_kind": old_kind}
                                         for old_step, old_kind in gone[reused:]])
        if len(inserts) > reused:
            execute_many(conn, _insert, [
                {"candidate_id": candidate_id, "branch_id": branch_id, "step": step, "kind": kind, "due_on": due,
                 "provisional": provisional, "article": article}
                for step, kind, due, provisional, article in inserts[reused:]
            ])
        if updates:
            execute_many(conn, _update, updates)
        return _diff(len(inserts), len(updates), len(gone))

    def provisional_candidates(self) -> list[int]:
        """Candidates with a deadline counted on a provisional (Mon–Fri) calendar: the ones to
        recompute when an administrator loads a year's official schedule."""
        stmt = select(_d.candidate_id).where(_d.provisional.is_(True)).distinct().order_by(_d.candidate_id)
        return [r[0] for r in self.conn.execute(stmt)]

    def list_for(self, candidate_id: int) -> list[DeadlineRow]:
        codec = CODECS[self.conn.dialect.name]
        rows = execute(self.conn, _of_candidate, {"b_cid": candidate_id}).fetchall()
        return [_decode(codec, r) for r in rows]

    def iter_all(self, batch: int = 1000) -> Iterator[DeadlineRow]:
        """Every deadline ordered by candidate_id, streamed with flat memory (for verify: merge
        with the event log like `EventRepo.iter_all`)."""
        codec = CODECS[self.conn.dialect.name]
        for row in stream(self.conn, _all_by_candidate, {}, batch):
            yield _decode(codec, row)

    def due_between(
        self, kind: str, start: date, end: date, branch_ids: Iterable[int] | None = None
    ) -> list[DeadlineRow]:
        """Deadlines of `kind` with start <= due_on <= end (both inclusive)."""
        stmt = select(*_COLUMNS).where(_d.kind == kind, _d.due_on >= start, _d.due_on <= end)
        stmt = in_branches(stmt, _d.branch_id, branch_ids).order_by(_d.due_on, _d.candidate_id, _d.step)
        return [DeadlineRow(*r) for r in self.conn.execute(stmt)]

    def overdue(self, as_of: date, branch_ids: Iterable[int] | None = None) -> list[OverdueRow]:
        """'due' and 'recurring' deadlines with due_on < as_of, with the stage, person and definition key."""
        stmt = (
            select(*_OVERDUE_COLUMNS)
            .select_from(_with_candidate_and_person)
            .where(_d.kind.in_(OVERDUE_KINDS), _d.due_on < as_of)
        )
        stmt = in_branches(stmt, _d.branch_id, branch_ids).order_by(_d.due_on, _d.candidate_id, _d.step)
        return [OverdueRow(*r) for r in self.conn.execute(stmt)]

    def due_until(self, until: date) -> list[ScanRow]:
        """'due' and 'recurring' deadlines falling on or before `until` (the full scan's horizon),
        through the (kind, due_on) index: the cost follows the number due, not the candidates."""
        return self._scan_rows([_d.due_on <= until])

    def due_in(self, ranges: Iterable[tuple[date, date]]) -> list[ScanRow]:
        """'due' and 'recurring' deadlines with lo <= due_on <= hi for one of the (lo, hi) ranges
        (the daily scan's thresholds crossed since its last run): one (kind, due_on) index range each."""
        out: list[ScanRow] = []
        for lo, hi in ranges:
            out.extend(self._scan_rows([_d.due_on >= lo, _d.due_on <= hi]))
        return out

    def change_mark(self) -> tuple[int, list[int]]:
        """Where rows written from now on will be found (storage.tables.change_marker): PostgreSQL
        (the xmax of this statement's snapshot, the xids in progress at it): every row this
        transaction cannot see from here on has changed >= xmax or one of those xids; SQLite (the
        database clock in ms, []): read under the write lock, so every row stamped earlier is
        committed and visible — and the clock is read until it has ticked past every such row
        (≤ 1 ms), so `changed >= mark` finds exactly the rows written after this scan: none of
        what it reads now is read again next time (a write in the same millisecond was)."""
        if self.conn.dialect.name == "postgresql":
            xmax, xip = self.conn.execute(text(
                "SELECT pg_snapshot_xmax(s)::text::bigint, "
                "ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x ORDER BY 1) "
                "FROM pg_current_snapshot() AS s")).one()
            return int(xmax), [int(x) for x in xip]
        clock = select(change_marker())
        first = now = int(self.conn.execute(clock).scalar_one())
        while now <= first:  # a condition on the clock, not a sleep: the next millisecond
            now = int(self.conn.execute(clock).scalar_one())
        return now, []

    def changed_since(self, mark: int, in_flight: Iterable[int] = ()) -> list[ScanRow]:
        """'due' and 'recurring' deadlines written or changed at or after a `change_mark()`
        (changed >= mark, or by one of the transactions in flight then), through ix_deadline_changed."""
        out = self._scan_rows([_d.changed >= mark])
        xids = sorted(set(in_flight))
        if xids:
            out.extend(self._scan_rows([_d.changed.in_(xids), _d.changed < mark]))
        return out

    def _scan_rows(self, where: list) -> list[ScanRow]:
        """Scan rows of 'due' and 'recurring' deadlines matching `where`, with the candidate's
        definition and the person's name.

        Two reads on PostgreSQL: its planner misjudges the date range (old 'earliest' rows skew
        the estimate) and would scan candidate and person in full for a join; the deadline rows
        first, then their candidates by primary key, keeps it on the indexes.
        """
        if self.conn.dialect.name != "postgresql":
            stmt = (
                select(_d.candidate_id, _d.branch_id, _d.step, _d.kind, _d.due_on, _d.provisional, _d.article,
                       candidate.c.definition_key, person.c.name)
                .select_from(_with_candidate_and_person)
                .where(_d.kind.in_(OVERDUE_KINDS), *where)
                .order_by(_d.due_on, _d.candidate_id, _d.step)
            )
            return [ScanRow(*r) for r in self.conn.execute(stmt)]
        rows = self.conn.execute(
            select(_d.candidate_id, _d.branch_id, _d.step, _d.kind, _d.due_on, _d.provisional, _d.article)
            .where(_d.kind.in_(OVERDUE_KINDS), *where)
            .order_by(_d.due_on, _d.candidate_id, _d.step)
        ).all()
        ids = sorted({r[0] for r in rows})
        who = {}
        if ids:
            who = {cid: (key, name) for cid, key, name in self.conn.execute(
                select(candidate.c.id, candidate.c.definition_key, person.c.name)
                .select_from(candidate.join(person, person.c.id == candidate.c.person_id))
                .where(candidate.c.id == func.any(bindparam("ids", value=ids, type_=ARRAY(Integer))))
            )}
        return [ScanRow(*r, *who[r[0]]) for r in rows if r[0] in who]

    def count(self) -> int:
        return self.conn.execute(_count).scalar_one()
