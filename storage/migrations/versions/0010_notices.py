"""In-app notices (站内通知): the `notice` table and the outbox's `inapp` channel.

The outbox gains a channel whose delivery is a `notice` row for one web user (written in the
transaction that marks the row sent) and the review loop's notice kinds (报送, 退回, 审批通过,
审批不通过). Only the outbox's two CHECKs change; the notice table is new.

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels = None
depends_on = None

_OLD_CHANNELS = ("email", "webhook", "console")
_NEW_CHANNELS = (*_OLD_CHANNELS, "inapp")
_OLD_KINDS = ("reminder", "overdue", "escalation", "report")
_NEW_KINDS = (*_OLD_KINDS, "submitted", "returned", "approved", "refused")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# 0002 named the outbox's CHECKs once too often (its explicit names went through the naming
# convention again); the new ones get the names storage/tables.py gives them, and a downgrade
# puts the old ones back as they were.
_OLD_NAME = "ck_outbox_ck_outbox_{}"
_NEW_NAME = "ck_outbox_{}"


def _swap(channels: tuple[str, ...], kinds: tuple[str, ...], old: str, new: str) -> None:
    with op.batch_alter_table("outbox", recreate="auto") as batch:
        batch.drop_constraint(op.f(old.format("channel")), type_="check")
        batch.drop_constraint(op.f(old.format("kind")), type_="check")
        batch.create_check_constraint(op.f(new.format("channel")), _in("channel", channels))
        batch.create_check_constraint(op.f(new.format("kind")), _in("kind", kinds))


def upgrade() -> None:
    _swap(_NEW_CHANNELS, _NEW_KINDS, _OLD_NAME, _NEW_NAME)
    op.create_table(
        "notice",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(_in("kind", _NEW_KINDS), name=op.f("ck_notice_kind")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_notice_user_id_app_user", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_notice"),
        sa.UniqueConstraint("key", name="uq_notice_key"),
    )
    op.create_index("ix_notice_user_id_id", "notice", ["user_id", "id"])
    op.create_index("ix_notice_unread_user_id", "notice", ["user_id"], sqlite_where=sa.text("read_at IS NULL"),
                    postgresql_where=sa.text("read_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_notice_unread_user_id", table_name="notice")
    op.drop_index("ix_notice_user_id_id", table_name="notice")
    op.drop_table("notice")
    new_kinds = ", ".join(repr(k) for k in _NEW_KINDS if k not in _OLD_KINDS)
    op.execute(f"DELETE FROM outbox WHERE channel = 'inapp' OR kind IN ({new_kinds})")
    _swap(_OLD_CHANNELS, _OLD_KINDS, _NEW_NAME, _OLD_NAME)
