"""Database guards against two duplicates a check in the service could not stop under concurrency.

`application_claim`: the keys a registration claims for the person's open application (the
person row; name, gender and birth date in the branch; and, unless 确认是另一人, in any branch),
one primary key each, so two registrations racing past the service's duplicate check cannot both
commit (docs/storage.md "Open applications"). Nothing is backfilled: an application registered
before this revision holds no key, and needs none — the service's check (which runs before the
insert, in the same transaction) finds it; the keys only decide between registrations running at
the same time. Existing duplicates (two open applications of one person) therefore do not stop
the upgrade; `verify` / the county's review finds them as before.

`uq_attachment_live_file`: one live file per candidate, step, material and SHA-256 (a retried
upload returns the file on record, docs/materials.md). Copies already filed twice would violate
it, so the upgrade first marks every later copy removed — the row and the bytes are kept, as for
any removal, with the reason 重复上传的同一文件 (the earliest copy stays) — and then builds the index.
A downgrade drops the index but does not bring those copies back.

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels = None
depends_on = None

DUPLICATE_REASON = "重复上传的同一文件（同一候选人、同一材料、内容相同），升级时自动移除，保留最早上传的一份"
DUPLICATE_BY = "系统（数据库升级）"

_REMOVE_LATER_COPIES = sa.text(
    "UPDATE attachment SET removed_at = :now, removed_by = :by, removed_reason = :reason "
    "WHERE removed_at IS NULL AND EXISTS (SELECT 1 FROM attachment AS earlier WHERE earlier.removed_at IS NULL "
    "AND earlier.candidate_id = attachment.candidate_id AND coalesce(earlier.step, '') = coalesce(attachment.step, '') "
    "AND coalesce(earlier.material, '') = coalesce(attachment.material, '') AND earlier.sha256 = attachment.sha256 "
    "AND earlier.id < attachment.id)"
)


def upgrade() -> None:
    op.create_table(
        "application_claim",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name="fk_application_claim_candidate_id_candidate"),
        sa.PrimaryKeyConstraint("key", name="pk_application_claim"),
    )
    op.create_index("ix_application_claim_candidate_id", "application_claim", ["candidate_id"])
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC, as every timestamp is stored
    op.get_bind().execute(_REMOVE_LATER_COPIES, {"now": now, "by": DUPLICATE_BY, "reason": DUPLICATE_REASON})
    op.create_index(
        "uq_attachment_live_file", "attachment",
        ["candidate_id", sa.text("coalesce(step, '')"), sa.text("coalesce(material, '')"), "sha256"],
        unique=True, sqlite_where=sa.text("removed_at IS NULL"), postgresql_where=sa.text("removed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_attachment_live_file", table_name="attachment")
    op.drop_index("ix_application_claim_candidate_id", table_name="application_claim")
    op.drop_table("application_claim")
