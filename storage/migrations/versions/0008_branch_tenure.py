"""Branch tenures: report figures stay with the branch where they happened after a transfer.

Before, a candidate's milestone row carried only their current branch, so a transfer moved every
figure of theirs — an admission approved in the first half-year included — to the receiving branch,
and a report already handed in changed when it was made again. `milestone.held_from` is the date
the current branch was joined (NULL: it received the application) and `branch_tenure` holds the
branches held before, each with its dates (engine/milestones.py `Tenure`). Existing candidates with
a transfer in their log get both from the log (corrections applied, voids removed).

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import json
from datetime import date, datetime
from itertools import groupby
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("milestone", sa.Column("held_from", sa.Date(), nullable=True))
    op.create_table(
        "branch_tenure",
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("held_from", sa.Date(), nullable=True),
        sa.Column("held_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name="fk_branch_tenure_candidate_id_candidate"),
        sa.PrimaryKeyConstraint("candidate_id", "ordinal", name="pk_branch_tenure"),
    )
    op.create_index("ix_branch_tenure_branch_id", "branch_tenure", ["branch_id"])
    _backfill()


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _backfill() -> None:
    """Tenures of the candidates whose log has a transfer, as the engine derives them."""
    from engine import Event, branch_history, effective_events

    conn = op.get_bind()
    tenure = sa.table("branch_tenure", sa.column("candidate_id", sa.Integer), sa.column("ordinal", sa.Integer),
                      sa.column("branch_id", sa.Integer), sa.column("held_from", sa.Date),
                      sa.column("held_until", sa.Date))
    milestone = sa.table("milestone", sa.column("candidate_id", sa.Integer), sa.column("held_from", sa.Date))
    # the logs of every candidate with a transfer, in one ordered read
    rows = conn.execute(sa.text(
        "SELECT candidate_id, id, seq, kind, step, occurred_on, evidence, supersedes FROM event "
        "WHERE candidate_id IN (SELECT candidate_id FROM event WHERE kind = 'transfer') "
        "ORDER BY candidate_id, seq")).all()
    for cid, log in groupby(rows, key=lambda r: r[0]):
        log = list(log)
        seq_of = {r[1]: r[2] for r in log}
        events = [Event(seq, kind, _day(on), datetime.min, "", step,
                        json.loads(ev) if isinstance(ev, str) else (ev or {}),
                        supersedes=seq_of.get(sup) if sup else None)
                  for _, _, seq, kind, step, on, ev, sup in log]
        past, since = branch_history(effective_events(events))
        if past:
            conn.execute(sa.insert(tenure), [
                {"candidate_id": cid, "ordinal": i, "branch_id": t.branch_id, "held_from": t.held_from,
                 "held_until": t.held_until} for i, t in enumerate(past, start=1)])
        conn.execute(sa.update(milestone).where(milestone.c.candidate_id == cid).values(held_from=since))

def downgrade() -> None:
    op.drop_index("ix_branch_tenure_branch_id", table_name="branch_tenure")
    op.drop_table("branch_tenure")
    op.drop_column("milestone", "held_from")
