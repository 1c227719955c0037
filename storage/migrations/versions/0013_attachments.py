"""材料: attached files and a township's material-list choice (issue 18).

`attachment`: one row per file attached to a candidate (or one of its steps) as a material; the
bytes are in the object store (storage/objects), content-addressed. `organisation.material_list`:
the township's material-list override (workflows/materials/local), like `workflow_variant`.

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels = None
depends_on = None

_SOURCES = ("upload", "generated")


def upgrade() -> None:
    op.add_column("organisation", sa.Column("material_list", sa.String(64), nullable=True))
    op.create_table(
        "attachment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("material", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("generated_kind", sa.String(64), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("object_key", sa.String(200), nullable=False),
        sa.Column("thumbnail_key", sa.String(200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("file_kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_by", sa.String(100), nullable=True),
        sa.Column("removed_reason", sa.String(500), nullable=True),
        sa.CheckConstraint("source IN ('upload', 'generated')", name=op.f("ck_attachment_source")),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name="fk_attachment_candidate_id_candidate"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_attachment_user_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_attachment"),
    )
    op.create_index("ix_attachment_candidate_id_material", "attachment", ["candidate_id", "material"])
    op.create_index("ix_attachment_sha256", "attachment", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_attachment_sha256", table_name="attachment")
    op.drop_index("ix_attachment_candidate_id_material", table_name="attachment")
    op.drop_table("attachment")
    # A plain DROP COLUMN (SQLite >= 3.35): a batch rebuild would drop `organisation`, which the
    # other tables' foreign keys refuse while SQLite enforces them.
    op.drop_column("organisation", "material_list")
