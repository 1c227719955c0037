"""The event log: append-only, one `seq` per candidate, the source every projection is rebuilt from.

append / list_for / iter_all are on the per-step hot path (or replay), so they are hot statements.
Each candidate's rows form a hash chain in seq order (storage/chain.py): `append` reads the
previous row's hash through the (candidate_id, seq) index and writes `prev_hash` and `hash`.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..chain import canonical_json, event_hash, timestamp_text
from ..errors import ConcurrentModification
from ..tables import event
from .base import Repository
from .hot import CODECS, Codec, HotStatement, _date_iso, execute, insert_id, stream
from .rows import EventRow

_e = event.c
_COLUMNS = (
    _e.id, _e.candidate_id, _e.seq, _e.kind, _e.step, _e.occurred_on, _e.recorded_at, _e.actor,
    _e.evidence, _e.supersedes, _e.reason, _e.late, _e.definition_key,
)  # = EventRow's fields
_INSERT_COLUMNS = (*(c.name for c in _COLUMNS[1:]), "prev_hash", "hash")
_insert = HotStatement(
    insert(event).values({name: bindparam(name) for name in _INSERT_COLUMNS}), returning_id=True
)
# a step's event (no correction, no reason): the two NULLs are left out instead of bound (cheaper
# on sqlite3, see hot.Codec.bool_in)
_PLAIN_COLUMNS = tuple(n for n in _INSERT_COLUMNS if n not in ("supersedes", "reason"))
_insert_plain = HotStatement(
    insert(event).values({name: bindparam(name) for name in _PLAIN_COLUMNS}), returning_id=True
)
_of_candidate = HotStatement(select(*_COLUMNS).where(_e.candidate_id == bindparam("b_cid")).order_by(_e.seq))
# several candidates' logs (a queue page's threads): a typed select built once, an expanding IN
_of_candidates = (select(*_COLUMNS).where(_e.candidate_id.in_(bindparam("ids", expanding=True)))
                  .order_by(_e.candidate_id, _e.seq))
_all_in_log_order = HotStatement(select(*_COLUMNS).order_by(_e.candidate_id, _e.seq))
# the previous row of the candidate's hash chain: one look-up in the (candidate_id, seq) index
_hash_at = HotStatement(select(_e.hash).where(_e.candidate_id == bindparam("b_cid"), _e.seq == bindparam("b_seq")))
# the chains in log order, with what verify needs to check them
_chains = HotStatement(select(*_COLUMNS, _e.prev_hash, _e.hash).order_by(_e.candidate_id, _e.seq))
_next_seq = select(func.coalesce(func.max(_e.seq), 0) + 1).where(_e.candidate_id == bindparam("b_cid"))
_count = select(func.count()).select_from(event)
_SQLITE = CODECS["sqlite"]
_SEQ_CONSTRAINT = "uq_event_candidate_id_seq"


def _is_seq_conflict(exc: IntegrityError) -> bool:
    diag = getattr(exc.orig, "diag", None)  # psycopg names the violated constraint
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == _SEQ_CONSTRAINT
    return "event.candidate_id, event.seq" in str(exc.orig)  # sqlite3's wording


def _decode(codec: Codec, r) -> EventRow:
    return EventRow(r[0], r[1], r[2], r[3], r[4], codec.date_out(r[5]), codec.dt_out(r[6]), r[7],
                    codec.json_out(r[8]), r[9], r[10], bool(r[11]), r[12])


def previous_hash(conn, candidate_id: int, seq: int) -> str | None:
    """The hash of the row before `seq` in the candidate's chain (None for the first row)."""
    if seq <= 1:
        return None
    row = execute(conn, _hash_at, {"b_cid": candidate_id, "b_seq": seq - 1}).fetchone()
    return None if row is None else row[0]


class EventRepo(Repository):
    """The append-only event log. Deliberately has no update or delete: corrections are new
    events (`kind='correct'|'void'`, `supersedes=<event id>`)."""

    __slots__ = ()

    def append(
        self,
        candidate_id: int,
        seq: int,
        kind: str,
        step: str | None,
        occurred_on: date,
        recorded_at: datetime,
        actor: str,
        evidence: Any,
        *,
        definition_key: str,
        supersedes: int | None = None,
        reason: str | None = None,
        late: bool = False,
        head: tuple[int | None, str | None] | None = None,
    ) -> int:
        """Append one event; a taken `seq` means another writer got there first. `head`: the
        chain's (last seq, its hash) as read in this transaction (`CandidateRepo.get_for_step`),
        which spares the look-up of the previous hash when it is the row before `seq`."""
        codec = CODECS[self.conn.dialect.name]
        params = {
            "candidate_id": candidate_id,
            "seq": seq,
            "kind": kind,
            "step": step,
            "occurred_on": codec.date_in(occurred_on),
            "recorded_at": codec.dt_in(recorded_at),
            "actor": actor,
            "evidence": codec.json_in({} if evidence is None else evidence),
            "late": codec.bool_in(late),
            "definition_key": definition_key,
        }
        if supersedes is None and reason is None:
            stmt = _insert_plain
        else:
            stmt = _insert
            params["supersedes"] = supersedes
            params["reason"] = reason
        if head is not None and head[0] == seq - 1:
            prev = params["prev_hash"] = head[1]
        else:
            prev = params["prev_hash"] = previous_hash(self.conn, candidate_id, seq)
        params["hash"] = event_hash(
            prev, candidate_id, seq, kind, step, _date_iso(occurred_on),
            params["recorded_at"] if codec is _SQLITE else timestamp_text(recorded_at), actor,
            canonical_json({} if evidence is None else evidence),
            None if supersedes is None else self._seq_of(candidate_id, supersedes), reason, late, definition_key,
        )
        try:
            event_id = insert_id(self.conn, stmt, params)
        except IntegrityError as exc:
            if _is_seq_conflict(exc):
                raise ConcurrentModification(candidate_id) from exc
            raise
        return event_id

    def _seq_of(self, candidate_id: int, event_id: int) -> int:
        """The seq of the candidate's record `event_id` (-1 if it is not one): what a correction's
        hash names instead of the row id (storage/chain.py)."""
        seq = self.conn.execute(select(_e.seq).where(_e.id == event_id, _e.candidate_id == candidate_id)).scalar()
        return -1 if seq is None else seq

    def list_for(self, candidate_id: int) -> list[EventRow]:
        codec = CODECS[self.conn.dialect.name]
        rows = execute(self.conn, _of_candidate, {"b_cid": candidate_id}).fetchall()
        return [_decode(codec, r) for r in rows]

    def list_for_many(self, candidate_ids: Iterable[int]) -> dict[int, list[EventRow]]:
        """{candidate id: its log in seq order} of `candidate_ids`, one query per thousand ids
        instead of one per candidate; a candidate without events is left out."""
        ids = list(dict.fromkeys(candidate_ids))
        out: dict[int, list[EventRow]] = {}
        for start in range(0, len(ids), 1000):
            for r in self.conn.execute(_of_candidates, {"ids": ids[start:start + 1000]}):
                out.setdefault(r[1], []).append(EventRow(*r))
        return out

    def iter_all(self, batch: int = 1000) -> Iterator[EventRow]:
        """The whole log ordered by (candidate_id, seq), streamed with flat memory (for replay).

        Group per candidate with `itertools.groupby(..., key=attrgetter("candidate_id"))`.
        """
        codec = CODECS[self.conn.dialect.name]
        for row in stream(self.conn, _all_in_log_order, {}, batch):
            yield _decode(codec, row)

    def iter_chains(self, batch: int = 1000) -> Iterator[tuple[EventRow, str | None, str | None]]:
        """(row, prev_hash, hash) for the whole log in chain order (candidate, seq), streamed."""
        codec = CODECS[self.conn.dialect.name]
        for row in stream(self.conn, _chains, {}, batch):
            yield _decode(codec, row), row[13], row[14]

    def next_seq(self, candidate_id: int) -> int:
        return self.conn.execute(_next_seq, {"b_cid": candidate_id}).scalar_one()

    def count(self) -> int:
        return self.conn.execute(_count).scalar_one()
