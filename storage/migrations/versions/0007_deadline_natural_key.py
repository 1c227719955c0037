"""Deadline rows keyed by what they are — (candidate, step, kind) — without a surrogate id.

A step that moves a deadline wrote three b-trees on SQLite: the rowid table, the UNIQUE
(candidate_id, step, kind) index and the (kind, due_on) index. The natural key becomes the primary
key and, on SQLite, the table a WITHOUT ROWID table clustered on it, so the table and its key are
one b-tree: one page fewer in the WAL for each deadline a step adds, removes or re-keys, and one
b-tree search fewer. On PostgreSQL the id column and its index go (the key was unique already).

The scan index gains `branch_id` as a last column: township reports count overdue and next-period
rows per branch from the index alone (a WITHOUT ROWID row is found by its key, not a rowid).

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels = None
depends_on = None

_KINDS = "kind IN ('due', 'earliest', 'recurring')"
_COLUMNS = "candidate_id, branch_id, step, kind, due_on, provisional, article"


def _sqlite_table(name: str, *, with_id: bool) -> str:
    key = ("id INTEGER NOT NULL, " if with_id else "")
    constraints = (
        "CONSTRAINT pk_deadline PRIMARY KEY (id), "
        "CONSTRAINT uq_deadline_candidate_id_step_kind UNIQUE (candidate_id, step, kind), "
        if with_id else "CONSTRAINT pk_deadline PRIMARY KEY (candidate_id, step, kind), "
    )
    return (
        f"CREATE TABLE {name} ({key}"
        "candidate_id INTEGER NOT NULL, branch_id INTEGER NOT NULL, step VARCHAR(64) NOT NULL, "
        "kind VARCHAR(16) NOT NULL, due_on DATE NOT NULL, provisional BOOLEAN DEFAULT false NOT NULL, "
        f"article VARCHAR(64), {constraints}"
        "CONSTRAINT fk_deadline_candidate_id_candidate FOREIGN KEY(candidate_id) REFERENCES candidate (id), "
        f"CONSTRAINT ck_deadline_kind CHECK ({_KINDS}))" + ("" if with_id else " WITHOUT ROWID")
    )


def _rebuild_sqlite(*, with_id: bool) -> None:
    """SQLite cannot change a table's key in place: a new table, the rows copied, then renamed
    (foreign keys are not checked on a rename; every candidate_id stays as it was)."""
    op.execute(_sqlite_table("deadline_new", with_id=with_id))
    op.execute(f"INSERT INTO deadline_new ({_COLUMNS}) SELECT {_COLUMNS} FROM deadline ORDER BY candidate_id, step, kind")
    op.execute("DROP TABLE deadline")
    op.execute("ALTER TABLE deadline_new RENAME TO deadline")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(with_id=False)
    else:
        op.drop_index("ix_deadline_kind_due_on", table_name="deadline")
        op.drop_constraint("uq_deadline_candidate_id_step_kind", "deadline", type_="unique")
        op.drop_constraint("pk_deadline", "deadline", type_="primary")
        op.drop_column("deadline", "id")
        op.create_primary_key("pk_deadline", "deadline", ["candidate_id", "step", "kind"])
    op.create_index("ix_deadline_kind_due_on_branch_id", "deadline", ["kind", "due_on", "branch_id"])


def downgrade() -> None:
    op.drop_index("ix_deadline_kind_due_on_branch_id", table_name="deadline")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(with_id=True)  # ids are given anew, in key order
    else:
        op.drop_constraint("pk_deadline", "deadline", type_="primary")
        op.add_column("deadline", sa.Column("id", sa.Integer(), sa.Identity(), nullable=False))
        op.create_primary_key("pk_deadline", "deadline", ["id"])
        op.create_unique_constraint("uq_deadline_candidate_id_step_kind", "deadline", ["candidate_id", "step", "kind"])
    op.create_index("ix_deadline_kind_due_on", "deadline", ["kind", "due_on"])
