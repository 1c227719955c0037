"""Web application (issue 5): user accounts, their roles, login attempts and the audit log.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from storage.tables import UTCDateTime

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
EventId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
USER_ROLES = ("branch_secretary", "branch_committee", "township_officer", "county_viewer", "admin")


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("password_changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.UniqueConstraint("username", name="uq_app_user_username"),
    )
    op.create_table(
        "user_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", name="fk_user_role_user_id_app_user",
                                                         ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id", name="fk_user_role_org_id_organisation"),
                  nullable=True),
        sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in USER_ROLES)})", name="ck_user_role_role"),
        sa.PrimaryKeyConstraint("id", name="pk_user_role"),
        sa.UniqueConstraint("user_id", "role", "org_id", name="uq_user_role_user_id_role_org_id"),
    )
    op.create_table(
        "login_attempt",
        sa.Column("id", EventId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempt"),
    )
    op.create_index("ix_login_attempt_username_ip_at", "login_attempt", ["username", "ip", "at"])
    op.create_table(
        "audit_log",
        sa.Column("id", EventId, autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", name="fk_audit_log_user_id_app_user"),
                  nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_kind", sa.String(32), nullable=True),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("detail", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_target_kind_target_id", "audit_log", ["target_kind", "target_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_index("ix_audit_log_target_kind_target_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_login_attempt_username_ip_at", table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_table("user_role")
    op.drop_table("app_user")
