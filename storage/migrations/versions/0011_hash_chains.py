"""Hash chains: `prev_hash`/`hash` on the event and audit logs, the `chain_head` table.

Existing rows get their hashes here (storage/chain.py): events chained per candidate in seq
order, audit rows in id order, and the audit chain's head is recorded. The columns are nullable
so no table is rebuilt (SQLite would copy the whole event log); verify reports a row without
a hash as broken.

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from storage.chain import AUDIT_CHAIN, audit_hash, canonical_json, event_hash, superseded_seq, timestamp_text
from storage.tables import JSONType

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels = None
depends_on = None

_BATCH = 5000

_event = sa.table(
    "event", sa.column("id", sa.BigInteger), sa.column("candidate_id", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("kind", sa.String), sa.column("step", sa.String), sa.column("occurred_on", sa.Date),
    sa.column("recorded_at", sa.DateTime), sa.column("actor", sa.String), sa.column("evidence", JSONType),
    sa.column("supersedes", sa.BigInteger), sa.column("reason", sa.Text), sa.column("late", sa.Boolean),
    sa.column("definition_key", sa.String), sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)
_audit = sa.table(
    "audit_log", sa.column("id", sa.BigInteger), sa.column("at", sa.DateTime), sa.column("user_id", sa.Integer),
    sa.column("username", sa.String), sa.column("action", sa.String), sa.column("target_kind", sa.String),
    sa.column("target_id", sa.String), sa.column("detail", JSONType), sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
_head = sa.table("chain_head", sa.column("name", sa.String), sa.column("rows", sa.BigInteger),
                 sa.column("hash", sa.String))


def _update(bind, table, rows: list[dict]) -> None:
    if rows:
        bind.execute(sa.update(table).where(table.c.id == sa.bindparam("b_id"))
                     .values(prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash")), rows)
        rows.clear()


def _pages(bind, query, after):
    """The rows of `query` (ordered, limited to a page) page by page: keyset paging keeps memory flat
    and never reads a table while this connection updates it."""
    where = None
    while True:
        page = bind.execute(query if where is None else query.where(where)).fetchall()
        yield from page
        if len(page) < _BATCH:
            return
        where = after(page[-1])


def _hash_events(bind) -> None:
    e = _event.c
    query = (sa.select(e.id, e.candidate_id, e.seq, e.kind, e.step, e.occurred_on, e.recorded_at, e.actor, e.evidence,
                       e.supersedes, e.reason, e.late, e.definition_key)
             .order_by(e.candidate_id, e.seq).limit(_BATCH))
    pending: list[dict] = []
    cid, prev, seq_of = None, None, {}
    for r in _pages(bind, query, lambda r: sa.tuple_(e.candidate_id, e.seq) > sa.tuple_(r.candidate_id, r.seq)):
        if r.candidate_id != cid:
            cid, prev, seq_of = r.candidate_id, None, {}
        h = event_hash(prev, r.candidate_id, r.seq, r.kind, r.step, r.occurred_on.isoformat(),
                       timestamp_text(r.recorded_at), r.actor, canonical_json(r.evidence),
                       superseded_seq(r.supersedes, seq_of), r.reason, bool(r.late), r.definition_key)
        seq_of[r.id] = r.seq
        pending.append({"b_id": r.id, "b_prev": prev, "b_hash": h})
        prev = h
        if len(pending) >= _BATCH:
            _update(bind, _event, pending)
    _update(bind, _event, pending)


def _hash_audit(bind) -> None:
    a = _audit.c
    query = (sa.select(a.id, a.at, a.user_id, a.username, a.action, a.target_kind, a.target_id, a.detail)
             .order_by(a.id).limit(_BATCH))
    pending: list[dict] = []
    prev, count = None, 0
    for r in _pages(bind, query, lambda r: a.id > r.id):
        count += 1
        h = audit_hash(prev, r.at, r.user_id, r.username, r.action, r.target_kind, r.target_id, r.detail)
        pending.append({"b_id": r.id, "b_prev": prev, "b_hash": h})
        prev = h
        if len(pending) >= _BATCH:
            _update(bind, _audit, pending)
    _update(bind, _audit, pending)
    bind.execute(sa.insert(_head).values(name=AUDIT_CHAIN, rows=count, hash=prev))


def upgrade() -> None:
    for table in ("event", "audit_log"):
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
            batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    op.create_table(
        "chain_head",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_chain_head"),
    )
    bind = op.get_bind()
    _hash_events(bind)
    _hash_audit(bind)


def downgrade() -> None:
    op.drop_table("chain_head")
    for table in ("audit_log", "event"):
        with op.batch_alter_table(table, recreate="auto") as batch:
            batch.drop_column("hash")
            batch.drop_column("prev_hash")
