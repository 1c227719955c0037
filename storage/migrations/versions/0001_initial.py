"""Initial schema: organisations, people, candidates, the event log, deadlines, definitions, holidays.

Written by hand to mirror storage/tables.py; test_migrations.py checks that autogenerate finds
no difference. Later revisions must never edit this file — add a new one.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Frozen copies of the value lists as of this revision (tables.py may grow; this must not).
ORG_LEVELS = ("county", "township", "branch")
ORG_KINDS = ("rural", "organ", "enterprise", "school", "community", "other")
GENDERS = ("男", "女")
PARTY_STATUSES = ("none", "probationary", "full_member")
EVENT_KINDS = (
    "step", "withdraw", "disqualify", "reconsider", "cancel_probation", "transfer", "transfer_out",
    "death", "not_selected", "correct", "void", "migrate",
)
DEADLINE_KINDS = ("due", "earliest", "recurring")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _event_id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("workflow_variant", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("code", name=op.f("uq_organisation_code")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["organisation.id"], name=op.f("fk_organisation_parent_id_organisation")
        ),
        sa.CheckConstraint(_in("level", ORG_LEVELS), name=op.f("ck_organisation_level")),
        sa.CheckConstraint(_in("kind", ORG_KINDS), name=op.f("ck_organisation_kind")),
    )
    op.create_index(op.f("ix_organisation_parent_id"), "organisation", ["parent_id"])

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("gender", sa.String(4), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("ethnicity", sa.String(32), nullable=False, server_default="汉族"),
        sa.Column("education", sa.String(64), nullable=True),
        sa.Column("occupation", sa.String(100), nullable=True),
        sa.Column("tags", _json(), nullable=False, server_default=sa.text("'[]'")),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("party_status", sa.String(16), nullable=False, server_default="none"),
        sa.Column("rights_suspended", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.ForeignKeyConstraint(["branch_id"], ["organisation.id"], name=op.f("fk_person_branch_id_organisation")),
        sa.CheckConstraint(_in("gender", GENDERS), name=op.f("ck_person_gender")),
        sa.CheckConstraint(_in("party_status", PARTY_STATUSES), name=op.f("ck_person_party_status")),
    )
    op.create_index(op.f("ix_person_name"), "person", ["name"])
    op.create_index(op.f("ix_person_branch_id"), "person", ["branch_id"])

    op.create_table(
        "candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("definition_key", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("state", _json(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_candidate_person_id_person")),
        sa.ForeignKeyConstraint(["branch_id"], ["organisation.id"], name=op.f("fk_candidate_branch_id_organisation")),
    )
    op.create_index(op.f("ix_candidate_person_id"), "candidate", ["person_id"])
    op.create_index(op.f("ix_candidate_branch_id_stage"), "candidate", ["branch_id", "stage"])

    op.create_table(
        "event",
        sa.Column("id", _event_id(), autoincrement=True, nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("supersedes", _event_id(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("definition_key", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name=op.f("fk_event_candidate_id_candidate")),
        sa.ForeignKeyConstraint(["supersedes"], ["event.id"], name=op.f("fk_event_supersedes_event")),
        sa.UniqueConstraint("candidate_id", "seq", name=op.f("uq_event_candidate_id_seq")),
        sa.CheckConstraint(_in("kind", EVENT_KINDS), name=op.f("ck_event_kind")),
    )

    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("article", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline")),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name=op.f("fk_deadline_candidate_id_candidate")),
        sa.UniqueConstraint("candidate_id", "step", "kind", name=op.f("uq_deadline_candidate_id_step_kind")),
        sa.CheckConstraint(_in("kind", DEADLINE_KINDS), name=op.f("ck_deadline_kind")),
    )
    op.create_index(op.f("ix_deadline_kind_due_on"), "deadline", ["kind", "due_on"])

    op.create_table(
        "workflow_definition",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_workflow_definition")),
    )

    op.create_table(
        "holiday_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_holiday_year")),
    )


def downgrade() -> None:
    # children before parents: foreign keys are enforced on both backends
    op.drop_table("holiday_year")
    op.drop_table("workflow_definition")
    op.drop_index(op.f("ix_deadline_kind_due_on"), table_name=op.f("deadline"))
    op.drop_table("deadline")
    op.drop_table("event")
    op.drop_index(op.f("ix_candidate_branch_id_stage"), table_name=op.f("candidate"))
    op.drop_index(op.f("ix_candidate_person_id"), table_name=op.f("candidate"))
    op.drop_table("candidate")
    op.drop_index(op.f("ix_person_branch_id"), table_name=op.f("person"))
    op.drop_index(op.f("ix_person_name"), table_name=op.f("person"))
    op.drop_table("person")
    op.drop_index(op.f("ix_organisation_parent_id"), table_name=op.f("organisation"))
    op.drop_table("organisation")
