"""Review workflow: reviewer assignments and per-call review settings (stage, double-anonymous).

Revision ID: 0003
Revises: 0002
Create Date: 2026-09-08

Spelled out rather than imported from ``review_tables`` (a revision is a snapshot). Constraint
names follow ``tables.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_assignments",
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("reviewer_id", sa.Text(), nullable=False),
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("assigned_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", "reviewer_id", name="pk_review_assignments"),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name="fk_review_assignments_proposal_id_proposals"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["reviewers.user_id"],
            name="fk_review_assignments_reviewer_id_reviewers",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_review_assignments_call_id_calls"
        ),
    )
    op.create_index("ix_review_assignments_reviewer_id", "review_assignments", ["reviewer_id"])
    op.create_index("ix_review_assignments_call_id", "review_assignments", ["call_id"])
    op.create_table(
        "call_review_settings",
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("double_anonymous", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("call_id", name="pk_call_review_settings"),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_call_review_settings_call_id_calls"
        ),
        sa.CheckConstraint(
            "stage IN ('individual', 'panel', 'decided')", name="ck_call_review_settings_stage"
        ),
    )


def downgrade() -> None:
    op.drop_table("call_review_settings")
    op.drop_index("ix_review_assignments_call_id", table_name="review_assignments")
    op.drop_index("ix_review_assignments_reviewer_id", table_name="review_assignments")
    op.drop_table("review_assignments")
