"""Person profiles and the span of a candidacy on the milestone rows, so the period report reads
one table and picks its rows with two comparisons (issue 4).

`person_profile` holds each distinct combination of the values reports break down by; every
milestone row gets its person's profile id and birth date (both fixed once a person is recorded),
and the first and (once ended) last of its dates (engine/milestones.py: first_on, closed_on); all
filled here for existing rows. The index on milestone (branch_id, admitted_on) replaces the one on
branch_id alone and answers "the last admission of each branch" with one index probe a branch.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "person_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("gender", sa.String(4), nullable=False),
        sa.Column("education", sa.String(64), nullable=False),
        sa.Column("ethnicity", sa.String(32), nullable=False),
        sa.Column("occupation", sa.String(100), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_person_profile"),
        sa.UniqueConstraint("key", name="uq_person_profile_key"),
    )
    op.add_column("milestone", sa.Column("profile_id", sa.Integer(), nullable=True))
    op.add_column("milestone", sa.Column("birth_date", sa.Date(), nullable=True))
    op.add_column("milestone", sa.Column("first_on", sa.Date(), nullable=True))
    op.add_column("milestone", sa.Column("closed_on", sa.Date(), nullable=True))
    _backfill()
    with op.batch_alter_table("milestone") as b:
        b.alter_column("profile_id", existing_type=sa.Integer(), nullable=False)
        b.alter_column("birth_date", existing_type=sa.Date(), nullable=False)
        b.create_foreign_key("fk_milestone_profile_id_person_profile", "person_profile", ["profile_id"], ["id"])
    op.drop_index("ix_milestone_branch_id", table_name="milestone")
    op.create_index("ix_milestone_branch_admitted", "milestone", ["branch_id", "admitted_on"])


def _backfill() -> None:
    """Each existing milestone row gets its person's profile and birth date, and the span of its
    dates (as engine/milestones.py computes it: closed once ended or a full member), a batch at a time
    (keyset on candidate_id, so a county-sized table is never held in memory)."""
    from storage.repositories.profiles import ProfileRepo, profile_of
    from storage.tables import milestone, person

    conn = op.get_bind()
    m, p = milestone.c, person.c
    dates = (m.applied_on, m.activist_on, m.target_on, m.admitted_on, m.probation_from, m.full_on, m.extended_on,
             m.ended_on)
    page = (sa.select(m.candidate_id, m.end_stage, *dates, p.gender, p.education, p.ethnicity, p.occupation, p.tags,
                      p.birth_date)
            .select_from(milestone.join(person, p.id == m.person_id))
            .where(m.candidate_id > sa.bindparam("b_after")).order_by(m.candidate_id).limit(BATCH))
    update = (sa.update(milestone).where(m.candidate_id == sa.bindparam("b_cid"))
              .values(profile_id=sa.bindparam("b_profile"), birth_date=sa.bindparam("b_birth", type_=sa.Date()),
                      first_on=sa.bindparam("b_first", type_=sa.Date()),
                      closed_on=sa.bindparam("b_closed", type_=sa.Date())))
    profiles = ProfileRepo(conn)
    after = 0
    while rows := conn.execute(page, {"b_after": after}).all():
        ids = profiles.ids_for(profile_of(r) for r in rows)
        conn.execute(update, [_values(r, ids[profile_of(r)], len(dates)) for r in rows])
        after = rows[-1].candidate_id


def _values(row, profile_id: int, n_dates: int) -> dict:
    known = [d for d in row[2:2 + n_dates] if d is not None]
    return {"b_cid": row.candidate_id, "b_profile": profile_id, "b_birth": row.birth_date,
            "b_first": min(known, default=None),
            "b_closed": max(known, default=None) if row.end_stage or row.full_on else None}


def downgrade() -> None:
    op.drop_index("ix_milestone_branch_admitted", table_name="milestone")
    op.create_index("ix_milestone_branch_id", "milestone", ["branch_id"])
    with op.batch_alter_table("milestone") as b:
        b.drop_constraint("fk_milestone_profile_id_person_profile", type_="foreignkey")
        b.drop_column("birth_date")
        b.drop_column("closed_on")
        b.drop_column("first_on")
        b.drop_column("profile_id")
    op.drop_table("person_profile")
