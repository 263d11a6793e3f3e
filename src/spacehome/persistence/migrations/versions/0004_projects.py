"""Projects: projects, their audit log, and their data products.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Spelled out rather than imported from ``project_tables`` (a revision is a snapshot). Constraint
names follow ``tables.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = (
    "'selected', 'development', 'hardware_delivered', 'launched', 'operating', 'completed', "
    "'cancelled'"
)
_SELECTIONS = "'unconditional', 'conditional', 'unknown'"
_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("acronym", sa.Text(), nullable=False),
        sa.Column("discipline", sa.Text(), nullable=False),
        sa.Column("institutions", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=True),
        sa.Column("selection", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("state_note", sa.Text(), nullable=False),
        sa.Column("launched_on", sa.Text(), nullable=True),
        sa.Column("cycle", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=True),
        sa.Column("proposal_id", sa.Text(), nullable=True),
        sa.Column("planner_key", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_projects_owner_id_users"),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name="fk_projects_proposal_id_proposals"
        ),
        sa.UniqueConstraint("proposal_id", name="uq_projects_proposal_id"),
        sa.UniqueConstraint("planner_key", name="uq_projects_planner_key"),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_projects_state"),
        sa.CheckConstraint(f"selection IN ({_SELECTIONS})", name="ck_projects_selection"),
        sa.CheckConstraint("version >= 1", name="ck_projects_version"),
    )
    op.create_index("ix_projects_owner_id", "projects", ["owner_id"])
    op.create_table(
        "project_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project_id", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("launched_on", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_project_audit"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_project_audit_project_id_projects"
        ),
    )
    op.create_index("ix_project_audit_project_id_at", "project_audit", ["project_id", "at"])
    op.create_table(
        "data_products",
        sa.Column("project_id", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("delivered_at", _TZ, nullable=False),
        sa.Column("embargo_until", _TZ, nullable=False),
        sa.Column("delivered_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "sha256", name="pk_data_products"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_data_products_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["attachments.sha256"], name="fk_data_products_sha256_attachments"
        ),
        sa.UniqueConstraint("project_id", "filename", name="uq_data_products_project_id_filename"),
    )


def downgrade() -> None:
    op.drop_table("data_products")
    op.drop_index("ix_project_audit_project_id_at", table_name="project_audit")
    op.drop_table("project_audit")
    op.drop_index("ix_projects_owner_id", table_name="projects")
    op.drop_table("projects")
