"""Reports and the ledger: milestone rows, development plans, ledger imports and findings (issue 4).

Existing candidates get their milestone row computed from their stored snapshot (the engine's
`milestones()`; `verify` checks it against the replay afterwards).

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from storage.tables import UTCDateTime

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id", name="fk_import_batch_org_id_organisation"), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("summary", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(_in("status", ("confirmed", "undone")), name="ck_import_batch_status"),
        sa.PrimaryKeyConstraint("id", name="pk_import_batch"),
    )
    op.add_column("person", sa.Column("import_id", sa.Integer(), nullable=True))
    op.add_column("candidate", sa.Column("import_id", sa.Integer(), nullable=True))
    op.create_table(
        "milestone",
        sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("candidate.id", name="fk_milestone_candidate_id_candidate"), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id", name="fk_milestone_person_id_person"), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        *(sa.Column(c, sa.Date(), nullable=True) for c in (
            "applied_on", "activist_on", "target_on", "admitted_on", "probation_from", "full_on", "extended_on", "ended_on")),
        sa.Column("end_stage", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("candidate_id", name="pk_milestone"),
    )
    op.create_index("ix_milestone_branch_id", "milestone", ["branch_id"])
    op.create_index("ix_milestone_admitted_on", "milestone", ["admitted_on"])
    op.create_table(
        "development_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id", name="fk_development_plan_org_id_organisation"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("admit_target", sa.Integer(), nullable=False),
        sa.Column("targets", JSONType, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_development_plan"),
        sa.UniqueConstraint("org_id", "year", name="uq_development_plan_org_id_year"),
    )
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("candidate.id", name="fk_finding_candidate_id_candidate"), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("import_batch.id", name="fk_finding_import_id_import_batch"), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("article", sa.String(64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in("source", ("import", "correction")), name="ck_finding_source"),
        sa.PrimaryKeyConstraint("id", name="pk_finding"),
    )
    op.create_index("ix_finding_branch_id_occurred_on", "finding", ["branch_id", "occurred_on"])
    op.create_index("ix_finding_candidate_id", "finding", ["candidate_id"])
    op.create_index("ix_event_late_occurred_on", "event", ["occurred_on"],
                    sqlite_where=sa.text("late = 1"), postgresql_where=sa.text("late"))
    _backfill_milestones()


_COLUMNS_0003 = ("branch_id", "applied_on", "activist_on", "target_on", "admitted_on", "probation_from", "full_on",
                 "extended_on", "ended_on", "end_stage")


def _backfill_milestones() -> None:
    """Milestone rows for the candidates that exist already, from their snapshots."""
    from engine import CandidateState, milestones
    from workflows.registry import Registry

    conn = op.get_bind()
    milestone_0003 = sa.table("milestone", *(sa.column(c) for c in ("candidate_id", "person_id", *_COLUMNS_0003)))
    registry = None
    rows = conn.execute(sa.text("SELECT id, person_id, state FROM candidate ORDER BY id")).all()
    batch = []
    for cid, person_id, state in rows:
        registry = registry or Registry.default()
        if isinstance(state, str):
            import json
            state = json.loads(state)
        st = CandidateState.from_dict(state)
        row = milestones(st, registry.get(st.definition_key)).as_row()
        # the columns of this revision only (later ones add theirs and fill them: 0005)
        batch.append({"candidate_id": cid, "person_id": person_id, **{k: row[k] for k in _COLUMNS_0003}})
        if len(batch) >= 5000:
            conn.execute(sa.insert(milestone_0003), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(milestone_0003), batch)


def downgrade() -> None:
    op.drop_index("ix_event_late_occurred_on", table_name="event")
    op.drop_index("ix_finding_candidate_id", table_name="finding")
    op.drop_index("ix_finding_branch_id_occurred_on", table_name="finding")
    op.drop_table("finding")
    op.drop_table("development_plan")
    op.drop_index("ix_milestone_admitted_on", table_name="milestone")
    op.drop_index("ix_milestone_branch_id", table_name="milestone")
    op.drop_table("milestone")
    # plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35): batch mode would copy the table, which
    # foreign keys pointing at it forbid once it holds rows
    op.drop_column("candidate", "import_id")
    op.drop_column("person", "import_id")
    op.drop_table("import_batch")
