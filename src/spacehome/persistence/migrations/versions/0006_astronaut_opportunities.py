"""Astronaut opportunities: programs, candidates, their mission assignments and audit log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Spelled out rather than imported from ``astronaut_tables`` (a revision is a snapshot). Constraint
names follow ``tables.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)

_STAGES = (
    "'applied', 'preliminary', 'secondary', 'final', 'shortlisted', 'selected', "
    "'not_selected', 'withdrawn'"
)
_TRAINING = "'unknown', 'not_started', 'in_training', 'qualified', 'flown'"
_ASSIGNMENTS = "'planned', 'confirmed', 'flown', 'cancelled'"
_FIELDS = "'candidate', 'selection_stage', 'training_status', 'assignment'"


def upgrade() -> None:
    op.create_table(
        "astronaut_programs",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.Column("flight_mission", sa.Text(), nullable=True),
        sa.Column("flight_note", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_astronaut_programs"),
    )
    op.create_table(
        "astronaut_candidates",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("program_id", sa.Text(), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("name_public", sa.Boolean(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("astronaut_id", sa.Text(), nullable=True),
        sa.Column("selection_stage", sa.String(length=32), nullable=False),
        sa.Column("training_status", sa.String(length=32), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_astronaut_candidates"),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["astronaut_programs.id"],
            name="fk_astronaut_candidates_program_id_astronaut_programs",
        ),
        sa.UniqueConstraint("program_id", "alias", name="uq_astronaut_candidates_program_id_alias"),
        sa.CheckConstraint(
            f"selection_stage IN ({_STAGES})", name="ck_astronaut_candidates_selection_stage"
        ),
        sa.CheckConstraint(
            f"training_status IN ({_TRAINING})", name="ck_astronaut_candidates_training_status"
        ),
        sa.CheckConstraint("version >= 1", name="ck_astronaut_candidates_version"),
    )
    op.create_table(
        "astronaut_assignments",
        sa.Column("candidate_id", sa.Text(), nullable=False),
        sa.Column("mission_id", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("assigned_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("candidate_id", "mission_id", name="pk_astronaut_assignments"),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["astronaut_candidates.id"],
            name="fk_astronaut_assignments_candidate_id_astronaut_candidates",
        ),
        sa.CheckConstraint(f"status IN ({_ASSIGNMENTS})", name="ck_astronaut_assignments_status"),
    )
    op.create_table(
        "astronaut_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("candidate_id", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("effective_at", _TZ, nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("from_value", sa.Text(), nullable=False),
        sa.Column("to_value", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_astronaut_audit"),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["astronaut_candidates.id"],
            name="fk_astronaut_audit_candidate_id_astronaut_candidates",
        ),
        sa.CheckConstraint(f"field IN ({_FIELDS})", name="ck_astronaut_audit_field"),
    )
    op.create_index("ix_astronaut_audit_candidate_id_at", "astronaut_audit", ["candidate_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_astronaut_audit_candidate_id_at", table_name="astronaut_audit")
    op.drop_table("astronaut_audit")
    op.drop_table("astronaut_assignments")
    op.drop_table("astronaut_candidates")
    op.drop_table("astronaut_programs")
