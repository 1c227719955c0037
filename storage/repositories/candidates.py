"""Candidates: the engine's projection of a candidacy, one row each, under an optimistic lock.

get / add / update / for_person / latest_id_for_person / iter_all are on the per-step hot path (or
replay), so they are hot statements.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, literal_column, select, update

from ..errors import ConcurrentModification, NotFound
from ..tables import candidate, deadline, event, person
from .base import Repository, in_branches
from .hot import CODECS, Codec, HotStatement, execute, insert_id, stream
from .rows import CandidateRow

_c = candidate.c
_COLUMNS = (
    _c.id, _c.person_id, _c.branch_id, _c.definition_key, _c.stage, _c.state, _c.version,
    _c.applied_on, _c.updated_at,
)  # = CandidateRow's fields
_get = HotStatement(select(*_COLUMNS).where(_c.id == bindparam("b_id")))
# a step's read: the row and the head of its event chain (seq, hash) in one statement, through the
# (candidate_id, seq) index — the step's event links to that hash (storage/chain.py)
_last = event.alias("last_event")
_head_seq = select(func.max(_last.c.seq)).where(_last.c.candidate_id == _c.id).correlate_except(_last).scalar_subquery()
_head_hash = select(event.c.hash).where(event.c.candidate_id == _c.id, event.c.seq == _head_seq).scalar_subquery()
# ... and the candidate's deadline rows as one JSON array of [step, kind, branch_id, due_on, provisional,
# article] (what DeadlineRepo.replace diffs against): one statement a step fewer. Per dialect: SQLite's
# json_group_array gives "[]" for no rows and the values as stored (ISO text, 0/1); PostgreSQL's
# json_agg gives NULL for none and ISO text for the dates (converted back in `get_for_step`).
_d = deadline.c
_DEADLINE_KEY = (_d.step, _d.kind, _d.branch_id, _d.due_on, _d.provisional, _d.article)
_get_for_step = {
    "sqlite": HotStatement(select(
        *_COLUMNS, _head_seq, _head_hash,
        select(func.json_group_array(func.json_array(*_DEADLINE_KEY)))
        .where(_d.candidate_id == _c.id).scalar_subquery(),
    ).where(_c.id == bindparam("b_id"))),
    "postgresql": HotStatement(select(
        *_COLUMNS, _head_seq, _head_hash,
        select(func.json_agg(func.json_build_array(*_DEADLINE_KEY)))
        .where(_d.candidate_id == _c.id).scalar_subquery(),
    ).where(_c.id == bindparam("b_id"))),
}
_all_by_id = HotStatement(select(*_COLUMNS).order_by(_c.id))
_exists = select(_c.id).where(_c.id == bindparam("b_id"))
_insert = HotStatement(
    insert(candidate)
    .values({name: bindparam(name) for name in (
        "person_id", "branch_id", "definition_key", "stage", "state", "version", "applied_on", "updated_at"
    )}),
    returning_id=True,
)
_new_values = {
    "state": bindparam("b_state", type_=_c.state.type),
    "version": _c.version + literal_column("1"),
    "updated_at": bindparam("b_updated_at", type_=_c.updated_at.type),
}
_at_expected_version = (_c.id == bindparam("b_id"), _c.version == bindparam("b_version"))
# stage and branch_id are indexed (branch_id, stage): SQLite rewrites an index entry whenever its
# column is SET, even to the same value (one more page per commit), so each is SET only when it
# moves — most steps change neither. Keyed by (sets stage, sets branch).
_updates = {
    (with_stage, with_branch): HotStatement(update(candidate).where(*_at_expected_version).values({
        **_new_values,
        **({"stage": bindparam("b_stage")} if with_stage else {}),
        **({"branch_id": bindparam("b_branch_id")} if with_branch else {}),
    }))
    for with_stage in (False, True) for with_branch in (False, True)
}
# the rare update that also re-dates the application or re-pins the definition (NULL keeps a column)
_update_pinning = HotStatement(
    update(candidate).where(*_at_expected_version).values({
        **_new_values,
        "stage": func.coalesce(bindparam("b_stage", type_=_c.stage.type), _c.stage),
        "branch_id": func.coalesce(bindparam("b_branch_id", type_=_c.branch_id.type), _c.branch_id),
        "applied_on": func.coalesce(bindparam("b_applied_on", type_=_c.applied_on.type), _c.applied_on),
        "definition_key": func.coalesce(bindparam("b_definition_key", type_=_c.definition_key.type), _c.definition_key),
    })
)
_of_person = HotStatement(select(*_COLUMNS).where(_c.person_id == bindparam("b_person_id")).order_by(_c.id))
_lock_person = select(person.c.id).where(person.c.id == bindparam("b_person_id")).with_for_update()
_latest_of_person = HotStatement(select(func.max(_c.id)).where(_c.person_id == bindparam("b_person_id")))
_later = candidate.alias("later")
# (candidate id, its person's party_status) for each person's latest candidacy, by candidate id
_latest_person_status = HotStatement(
    select(_c.id, person.c.party_status)
    .select_from(candidate.join(person, person.c.id == _c.person_id))
    .where(~exists().where(_later.c.person_id == _c.person_id, _later.c.id > _c.id))
    .order_by(_c.id)
)
_count = select(func.count()).select_from(candidate)


def _decode(codec: Codec, r) -> CandidateRow:
    return CandidateRow(r[0], r[1], r[2], r[3], r[4], codec.json_out(r[5]), r[6], codec.date_out(r[7]),
                        codec.dt_out(r[8]))


# built once: a select and its IN list cost more to build than to run for a page's ids
_many = select(*_COLUMNS).where(_c.id.in_(bindparam("ids", expanding=True)))

class CandidateRepo(Repository):
    """Candidate projection rows, guarded by an optimistic version counter."""

    __slots__ = ()

    def add(
        self,
        person_id: int,
        branch_id: int,
        definition_key: str,
        stage: str,
        state: Mapping[str, Any],
        applied_on: date,
        now: datetime,
    ) -> int:
        codec = CODECS[self.conn.dialect.name]
        return insert_id(self.conn, _insert, {
            "person_id": person_id,
            "branch_id": branch_id,
            "definition_key": definition_key,
            "stage": stage,
            "state": codec.json_in(state),
            "version": 1,
            "applied_on": codec.date_in(applied_on),
            "updated_at": codec.dt_in(now),
        })

    def get(self, candidate_id: int) -> CandidateRow | None:
        row = execute(self.conn, _get, {"b_id": candidate_id}).fetchone()
        return None if row is None else _decode(CODECS[self.conn.dialect.name], row)

    def take_for_projection(self, candidate_id: int) -> None:
        """Lock the candidate's row and move its version on, before a projection of it is rewritten
        outside a step (the holiday load's recompute): taken in a step's own order (the candidate
        row first), so a step that read the row before waits, then fails its version check and is
        recorded again on what this transaction wrote, instead of diffing stale deadline rows."""
        self.conn.execute(update(candidate).where(_c.id == candidate_id).values(version=_c.version + 1))

    def get_for_step(self, candidate_id: int) -> tuple[CandidateRow, tuple[int, str], list] | None:
        """`get`, the head of the candidate's event chain, (last seq, its hash), and its deadline
        rows' keys and values in one read: what a step appends to (`EventRepo.append(head=...)`)
        and what its deadline diff starts from (`DeadlineRepo.replace(existing=...)`)."""
        name = self.conn.dialect.name
        row = execute(self.conn, _get_for_step[name], {"b_id": candidate_id}).fetchone()
        if row is None:
            return None
        codec = CODECS[name]
        rows = row[11]
        if name == "sqlite":
            rows = codec.json_out(rows)
        elif rows is None:
            rows = []
        else:  # JSON has no date: ISO text back to what psycopg gives for the column
            rows = [(r[0], r[1], r[2], date.fromisoformat(r[3]), r[4], r[5]) for r in rows]
        return _decode(codec, row), (row[9], row[10]), rows

    def get_many(self, candidate_ids: Iterable[int]) -> dict[int, CandidateRow]:
        """{id: row} of those of `candidate_ids` that exist, in one query per thousand ids (a page
        of a queue, its badges)."""
        ids = list(dict.fromkeys(candidate_ids))
        out: dict[int, CandidateRow] = {}
        for start in range(0, len(ids), 1000):  # a typed select: SQLAlchemy decodes the JSON and dates
            for r in self.conn.execute(_many, {"ids": ids[start:start + 1000]}):
                out[r[0]] = CandidateRow(*r)
        return out

    def update(
        self,
        candidate_id: int,
        expected_version: int,
        *,
        stage: str | None,
        state: Mapping[str, Any],
        branch_id: int | None = None,
        now: datetime,
        applied_on: date | None = None,
        definition_key: str | None = None,
    ) -> int:
        """Write the new projection if nobody else did since `expected_version` was read.

        `stage=None` and `branch_id=None` keep the column (pass them only when they move: each
        is indexed); `applied_on` (a corrected application date) and `definition_key` (a
        migration or its void) are written only when given. Returns the new version; raises
        ConcurrentModification when the version moved on, NotFound when the candidate does not
        exist.
        """
        codec = CODECS[self.conn.dialect.name]
        params = {
            "b_id": candidate_id,
            "b_version": expected_version,
            "b_state": codec.json_in(state),
            "b_updated_at": codec.dt_in(now),
        }
        if applied_on is not None or definition_key is not None:
            params["b_stage"] = stage
            params["b_branch_id"] = branch_id
            params["b_applied_on"] = None if applied_on is None else codec.date_in(applied_on)
            params["b_definition_key"] = definition_key
            cursor = execute(self.conn, _update_pinning, params)
        else:
            if stage is not None:
                params["b_stage"] = stage
            if branch_id is not None:
                params["b_branch_id"] = branch_id
            cursor = execute(self.conn, _updates[stage is not None, branch_id is not None], params)
        if cursor.rowcount != 1:
            if self.conn.execute(_exists, {"b_id": candidate_id}).first() is None:
                raise NotFound("候选人", candidate_id)
            raise ConcurrentModification(candidate_id, expected_version)
        return expected_version + 1

    def for_person(self, person_id: int, *, lock: bool = False) -> list[CandidateRow]:
        """The person's candidacies by id. `lock=True` first locks the person row (PostgreSQL;
        SQLite's write transaction already serialises writers) so two registrations of the
        same person cannot both see "no live candidacy"."""
        if lock and self.conn.dialect.name == "postgresql":
            self.conn.execute(_lock_person, {"b_person_id": person_id})
        codec = CODECS[self.conn.dialect.name]
        return [_decode(codec, r) for r in execute(self.conn, _of_person, {"b_person_id": person_id}).fetchall()]

    def latest_id_for_person(self, person_id: int) -> int | None:
        """Id of the person's most recent candidacy (the one `person.party_status` follows)."""
        return execute(self.conn, _latest_of_person, {"b_person_id": person_id}).fetchone()[0]

    def iter_latest_person_status(self, batch: int = 1000) -> Iterator[tuple[int, str]]:
        """(candidate id, person.party_status) of every person's latest candidacy, by candidate
        id, streamed (for verify)."""
        for row in stream(self.conn, _latest_person_status, {}, batch):
            yield row[0], row[1]

    def list(
        self,
        branch_ids: Iterable[int] | None = None,
        stage: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[CandidateRow]:
        stmt = in_branches(select(*_COLUMNS), _c.branch_id, branch_ids)
        if stage is not None:
            stmt = stmt.where(_c.stage == stage)
        stmt = stmt.order_by(_c.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [CandidateRow(*row) for row in self.conn.execute(stmt)]

    def ids_on_definition(self, key: str, branch_ids: Iterable[int] | None = None) -> list[int]:
        """Ids of the candidates pinned to definition version `key` (a migration's work list)."""
        stmt = in_branches(select(_c.id), _c.branch_id, branch_ids).where(_c.definition_key == key).order_by(_c.id)
        return [r[0] for r in self.conn.execute(stmt)]

    def iter_all(self, batch: int = 1000) -> Iterator[CandidateRow]:
        """Every candidate by id, streamed `batch` rows at a time (for verify)."""
        codec = CODECS[self.conn.dialect.name]
        for row in stream(self.conn, _all_by_id, {}, batch):
            yield _decode(codec, row)

    def count(self) -> int:
        return self.conn.execute(_count).scalar_one()
