"""The daily scan reads only new work (issue 19): a change marker on deadline rows and a watermark per job.

`deadline.changed`: which transaction (PostgreSQL: its xid as bigint) or when (SQLite: the database
clock in ms) a row was written or last changed; the default on every insert (bulk loads and COPY
too), set explicitly by the repository's UPDATEs; indexed. Rows present before this migration get 0:
a deployment's first scan after it has no watermark and is a full scan anyway.
`job_watermark`: per job, the last day it completed and the change marker it read up to.

SQLite cannot add a column whose default is an expression (ALTER TABLE ADD COLUMN allows only
constants), so the WITHOUT ROWID table is rebuilt as in 0007; PostgreSQL adds the column with a
constant default (no table rewrite) and then sets the expression as its default.

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels = None
depends_on = None

_KINDS = "kind IN ('due', 'earliest', 'recurring')"
_COLUMNS = "candidate_id, branch_id, step, kind, due_on, provisional, article"
_PG_MARKER = "(pg_current_xact_id()::text::bigint)"
_SQLITE_MARKER = "(CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))"  # = storage.tables.change_marker


def _sqlite_table(name: str, *, changed: bool) -> str:
    return (
        f"CREATE TABLE {name} ("
        "candidate_id INTEGER NOT NULL, branch_id INTEGER NOT NULL, step VARCHAR(64) NOT NULL, "
        "kind VARCHAR(16) NOT NULL, due_on DATE NOT NULL, provisional BOOLEAN DEFAULT false NOT NULL, "
        "article VARCHAR(64), "
        + (f"changed BIGINT DEFAULT {_SQLITE_MARKER} NOT NULL, " if changed else "")
        + "CONSTRAINT pk_deadline PRIMARY KEY (candidate_id, step, kind), "
        "CONSTRAINT fk_deadline_candidate_id_candidate FOREIGN KEY(candidate_id) REFERENCES candidate (id), "
        f"CONSTRAINT ck_deadline_kind CHECK ({_KINDS})) WITHOUT ROWID"
    )


def _rebuild_sqlite(*, changed: bool) -> None:
    op.drop_index("ix_deadline_kind_due_on_branch_id", table_name="deadline")
    op.execute(_sqlite_table("deadline_new", changed=changed))
    if changed:
        op.execute(f"INSERT INTO deadline_new ({_COLUMNS}, changed) SELECT {_COLUMNS}, 0 FROM deadline "
                   "ORDER BY candidate_id, step, kind")
    else:
        op.execute(f"INSERT INTO deadline_new ({_COLUMNS}) SELECT {_COLUMNS} FROM deadline "
                   "ORDER BY candidate_id, step, kind")
    op.execute("DROP TABLE deadline")
    op.execute("ALTER TABLE deadline_new RENAME TO deadline")
    op.create_index("ix_deadline_kind_due_on_branch_id", "deadline", ["kind", "due_on", "branch_id"])


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(changed=True)
    else:
        op.add_column("deadline", sa.Column("changed", sa.BigInteger(), nullable=False, server_default="0"))
        op.alter_column("deadline", "changed", server_default=sa.text(_PG_MARKER))
    op.create_index("ix_deadline_changed", "deadline", ["changed"])
    op.create_table(
        "job_watermark",
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("changed", sa.BigInteger(), nullable=False),
        sa.Column("in_flight", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job", name="pk_job_watermark"),
    )
    op.create_index("ix_outbox_pending_id", "outbox", ["id"], sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_id", table_name="outbox")
    op.drop_table("job_watermark")
    op.drop_index("ix_deadline_changed", table_name="deadline")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(changed=False)
    else:
        op.drop_column("deadline", "changed")
