"""Process definitions installed from the web admin page: their YAML source beside the snapshot.

`workflow_definition` held only snapshots (key, sha256, merged body) of the versions candidates
were pinned to; the registry was read from files at start-up. A version installed through
`/admin/definitions` keeps its checked YAML here, and every process loads these rows beside the
files (services/app.py), so the CLI and the scheduler see it without copying a file anywhere.
Existing rows keep NULL (a snapshot of a shipped file's version).

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workflow_definition", sa.Column("source", sa.Text(), nullable=True))
    op.add_column("workflow_definition", sa.Column("source_name", sa.String(255), nullable=True))


def downgrade() -> None:
    """Refused while a version installed from the web exists: without its YAML no process could
    load it, and the candidates pinned to it would have no rules."""
    installed = op.get_bind().execute(
        sa.text("SELECT key FROM workflow_definition WHERE source IS NOT NULL ORDER BY key")).scalars().all()
    if installed:
        raise RuntimeError(
            f"数据库中有网页安装的流程定义（{'、'.join(installed)}），降级会删除其 YAML 原文，这些版本将无法加载；"
            "请先把它们作为文件放入 workflows/definitions/ 或 workflows/local/ 并清空 source 列")
    # plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35), as 0003 does: no table copy
    op.drop_column("workflow_definition", "source_name")
    op.drop_column("workflow_definition", "source")
