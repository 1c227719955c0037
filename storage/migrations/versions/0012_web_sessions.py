"""Server-side web sessions and the login throttle's counters (issue 17, findings 3 and 4).

`web_session`: one row per signed-in browser, keyed by the SHA-256 of the cookie's token
(services/accounts/sessions.py). `login_throttle`: failed logins per account name and per address, locked
FOR UPDATE by a login (services/accounts/throttle.py). Both start empty: the signed cookies issued before
this revision carry no session token, so everyone signs in once more after the upgrade.

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels = None
depends_on = None

_REASONS = ("logout", "password", "disabled", "everywhere", "replaced")
_SCOPES = ("account", "address")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(16), nullable=True),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.CheckConstraint(_in("revoked_reason", _REASONS), name=op.f("ck_web_session_revoked_reason")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_web_session_user_id_app_user",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_web_session"),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("scope", _SCOPES), name=op.f("ck_login_throttle_scope")),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_updated_at", "login_throttle", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_updated_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.drop_index("ix_web_session_expires_at", table_name="web_session")
    op.drop_index("ix_web_session_user_id", table_name="web_session")
    op.drop_table("web_session")
