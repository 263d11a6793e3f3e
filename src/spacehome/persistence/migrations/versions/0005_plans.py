"""Stored plans: plans, their scheduled activities and resources, and the publication log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Spelled out rather than imported from ``plan_tables`` (a revision is a snapshot). Constraint
names follow ``tables.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("problem_name", sa.Text(), nullable=False),
        sa.Column("problem_sha256", sa.String(length=64), nullable=False),
        sa.Column("scenario_sha256", sa.String(length=64), nullable=True),
        sa.Column("horizon_start", _TZ, nullable=False),
        sa.Column("horizon_end", _TZ, nullable=False),
        sa.Column("time_unit", sa.String(length=8), nullable=False),
        sa.Column("solver", sa.Text(), nullable=False),
        sa.Column("solver_status", sa.String(length=16), nullable=False),
        sa.Column("objective", sa.Double(), nullable=True),
        sa.Column("bound", sa.Double(), nullable=True),
        sa.Column("validator_verdict", sa.String(length=16), nullable=False),
        sa.Column("activity_count", sa.Integer(), nullable=False),
        sa.Column("scheduled_count", sa.Integer(), nullable=False),
        sa.Column("unplaced_count", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
        sa.CheckConstraint(
            "solver_status IN ('optimal', 'feasible', 'infeasible', 'unknown')",
            name="ck_plans_solver_status",
        ),
        sa.CheckConstraint("validator_verdict = 'valid'", name="ck_plans_validator_verdict"),
        sa.CheckConstraint("time_unit IN ('min', 's')", name="ck_plans_time_unit"),
        sa.CheckConstraint("horizon_end > horizon_start", name="ck_plans_horizon"),
    )
    op.create_index("ix_plans_created_at", "plans", ["created_at"])
    op.create_table(
        "plan_activities",
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("project_key", sa.Text(), nullable=True),
        sa.Column("experiment_key", sa.Text(), nullable=True),
        sa.Column("start_at", _TZ, nullable=False),
        sa.Column("end_at", _TZ, nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "activity_id", name="pk_plan_activities"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name="fk_plan_activities_plan_id_plans"),
        sa.CheckConstraint("end_offset >= start_offset", name="ck_plan_activities_offsets"),
    )
    op.create_index(
        "ix_plan_activities_plan_id_start_at", "plan_activities", ["plan_id", "start_at"]
    )
    op.create_index(
        "ix_plan_activities_plan_id_project_key_start_at",
        "plan_activities",
        ["plan_id", "project_key", "start_at"],
    )
    op.create_table(
        "plan_activity_resources",
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "plan_id", "activity_id", "position", name="pk_plan_activity_resources"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id", "activity_id"],
            ["plan_activities.plan_id", "plan_activities.activity_id"],
            name="fk_plan_activity_resources_plan_id_activity_id_plan_activities",
        ),
    )
    op.create_index(
        "ix_plan_activity_resources_plan_id_resource_id",
        "plan_activity_resources",
        ["plan_id", "resource_id"],
    )
    op.create_table(
        "plan_publications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("plan_id", sa.Text(), nullable=False),
        sa.Column("published_at", _TZ, nullable=False),
        sa.Column("published_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plan_publications"),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name="fk_plan_publications_plan_id_plans"
        ),
    )
    op.create_index(
        "ix_plan_publications_published_at", "plan_publications", ["published_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_plan_publications_published_at", table_name="plan_publications")
    op.drop_table("plan_publications")
    op.drop_index(
        "ix_plan_activity_resources_plan_id_resource_id", table_name="plan_activity_resources"
    )
    op.drop_table("plan_activity_resources")
    op.drop_index("ix_plan_activities_plan_id_project_key_start_at", table_name="plan_activities")
    op.drop_index("ix_plan_activities_plan_id_start_at", table_name="plan_activities")
    op.drop_table("plan_activities")
    op.drop_index("ix_plans_created_at", table_name="plans")
    op.drop_table("plans")
