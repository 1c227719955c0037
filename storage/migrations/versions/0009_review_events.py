"""Review events: the branch's 报送 (submit) and the township's 退回 (return) join the candidate's log.

A return reopens the steps it names (engine/review.py), so it belongs in the log that replay folds,
not in the audit log where it lived before; a submission is logged beside it so the thread
(报送 → 退回 → 再报送 → 审批) reads from the log alone. Only the event kind's CHECK changes.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

from typing import Sequence, Union

from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels = None
depends_on = None

_OLD = ("step", "withdraw", "disqualify", "reconsider", "cancel_probation", "transfer", "transfer_out", "death",
        "not_selected", "correct", "void", "migrate")
_NEW = (*_OLD, "submit", "return")


def _in(values: tuple[str, ...]) -> str:
    return f"kind IN ({', '.join(repr(v) for v in values)})"


def _swap(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("event", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_event_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_event_kind"), _in(values))


def upgrade() -> None:
    _swap(_NEW)


def downgrade() -> None:
    op.execute("DELETE FROM event WHERE kind IN ('submit', 'return')")
    _swap(_OLD)
