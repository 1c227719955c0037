"""Candidates: the engine's projection of a candidacy, one row each, under an optimistic lock.

get / add / update / iter_all are on the per-step hot path, so they are hot statements.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, literal_column, select, update

from ..errors import ConcurrentModification, NotFound
from ..tables import candidate
from .base import Repository, in_branches
from .hot import CODECS, Codec, HotStatement, execute, insert_id, stream
from .rows import CandidateRow

_c = candidate.c
_COLUMNS = (
    _c.id, _c.person_id, _c.branch_id, _c.definition_key, _c.stage, _c.state, _c.version,
    _c.applied_on, _c.updated_at,
)  # = CandidateRow's fields
_get = HotStatement(select(*_COLUMNS).where(_c.id == bindparam("b_id")))
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
    "stage": bindparam("b_stage"),
    "state": bindparam("b_state", type_=_c.state.type),
    "version": _c.version + literal_column("1"),
    "updated_at": bindparam("b_updated_at", type_=_c.updated_at.type),
}
_at_expected_version = (_c.id == bindparam("b_id"), _c.version == bindparam("b_version"))
_update = HotStatement(update(candidate).where(*_at_expected_version).values(_new_values))
_update_moving_branch = HotStatement(
    update(candidate).where(*_at_expected_version).values({**_new_values, "branch_id": bindparam("b_branch_id")})
)
_count = select(func.count()).select_from(candidate)


def _decode(codec: Codec, r) -> CandidateRow:
    return CandidateRow(r[0], r[1], r[2], r[3], r[4], codec.json_out(r[5]), r[6], codec.date_out(r[7]),
                        codec.dt_out(r[8]))


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

    def update(
        self,
        candidate_id: int,
        expected_version: int,
        *,
        stage: str,
        state: Mapping[str, Any],
        branch_id: int | None = None,
        now: datetime,
    ) -> int:
        """Write the new projection if nobody else did since `expected_version` was read.

        `branch_id=None` keeps the branch. Returns the new version; raises ConcurrentModification
        when the version moved on, NotFound when the candidate does not exist.
        """
        codec = CODECS[self.conn.dialect.name]
        params = {
            "b_id": candidate_id,
            "b_version": expected_version,
            "b_stage": stage,
            "b_state": codec.json_in(state),
            "b_updated_at": codec.dt_in(now),
        }
        if branch_id is None:
            cursor = execute(self.conn, _update, params)
        else:
            params["b_branch_id"] = branch_id
            cursor = execute(self.conn, _update_moving_branch, params)
        if cursor.rowcount != 1:
            if self.conn.execute(_exists, {"b_id": candidate_id}).first() is None:
                raise NotFound("候选人", candidate_id)
            raise ConcurrentModification(candidate_id, expected_version)
        return expected_version + 1

    def set_definition_key(self, candidate_id: int, key: str) -> None:
        """Re-pin a candidate (an explicit migration, recorded in the log by the caller)."""
        self.conn.execute(update(candidate).where(_c.id == candidate_id).values(definition_key=key))

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

    def iter_all(self, batch: int = 1000) -> Iterator[CandidateRow]:
        """Every candidate by id, streamed `batch` rows at a time (for verify)."""
        codec = CODECS[self.conn.dialect.name]
        for row in stream(self.conn, _all_by_id, {}, batch):
            yield _decode(codec, row)

    def count(self) -> int:
        return self.conn.execute(_count).scalar_one()
