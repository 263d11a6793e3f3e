"""Cooperation program: accounts, calls, proposals, audit log, attachments, reviewers, reviews.

Revision ID: 0002
Revises: 0001
Create Date: 2026-09-07

Types and CHECK lists are spelled out here rather than imported from ``program_tables``: a
revision is a snapshot of the schema at the time it was written. ``DateTime(timezone=True)`` is
the storage of ``tables.UTCDateTime``. Constraint names follow ``tables.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLES = "'public', 'partner', 'reviewer', 'program_officer', 'planner', 'admin'"
_STATES = (
    "'draft', 'submitted', 'under_review', 'shortlisted', 'selected', "
    "'conditionally_selected', 'rejected', 'withdrawn'"
)
_TZ = sa.DateTime(timezone=True)


def _resources() -> list[sa.Column[float]]:
    return [
        sa.Column(name, sa.Double(), nullable=False)
        for name in ("crew_hours", "rack_months", "adapter_months", "upmass_kg", "downlink_gb")
    ]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("partner_org", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint(f"role IN ({_ROLES})", name="ck_users_role"),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("modalities", sa.JSON(), nullable=False),
        sa.Column("eligible_countries", sa.JSON(), nullable=False),
        sa.Column("opens_at", _TZ, nullable=False),
        sa.Column("closes_at", _TZ, nullable=False),
        *_resources(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.CheckConstraint("version >= 1", name="ck_calls_version"),
    )
    op.create_table(
        "proposals",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("discipline", sa.Text(), nullable=False),
        sa.Column("modality", sa.String(length=32), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("lead_institution", sa.Text(), nullable=False),
        sa.Column("lead_country", sa.String(length=2), nullable=False),
        *_resources(),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_proposals"),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_proposals_call_id_calls"),
        sa.ForeignKeyConstraint(["partner_id"], ["users.id"], name="fk_proposals_partner_id_users"),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_proposals_state"),
        sa.CheckConstraint("version >= 1", name="ck_proposals_version"),
    )
    op.create_index("ix_proposals_call_id_created_at", "proposals", ["call_id", "created_at"])
    op.create_index("ix_proposals_partner_id_created_at", "proposals", ["partner_id", "created_at"])
    op.create_table(
        "proposal_partners",
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("institution", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", "position", name="pk_proposal_partners"),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name="fk_proposal_partners_proposal_id_proposals",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=False),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name="fk_audit_log_proposal_id_proposals"
        ),
    )
    op.create_index("ix_audit_log_proposal_id_at", "audit_log", ["proposal_id", "at"])
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("stored_path", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_attachments"),
    )
    op.create_table(
        "proposal_attachments",
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", "filename", name="pk_proposal_attachments"),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name="fk_proposal_attachments_proposal_id_proposals",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["attachments.sha256"], name="fk_proposal_attachments_sha256_attachments"
        ),
    )
    op.create_table(
        "reviewers",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("institution", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("declared_proposals", sa.JSON(), nullable=False),
        sa.Column("declared_institutions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_reviewers"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_reviewers_user_id_users"),
    )
    op.create_table(
        "reviews",
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("reviewer_id", sa.Text(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", "reviewer_id", name="pk_reviews"),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name="fk_reviews_proposal_id_proposals"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewers.user_id"], name="fk_reviews_reviewer_id_reviewers"
        ),
    )


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("reviewers")
    op.drop_table("proposal_attachments")
    op.drop_table("attachments")
    op.drop_index("ix_audit_log_proposal_id_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("proposal_partners")
    op.drop_index("ix_proposals_partner_id_created_at", table_name="proposals")
    op.drop_index("ix_proposals_call_id_created_at", table_name="proposals")
    op.drop_table("proposals")
    op.drop_table("calls")
    op.drop_table("users")
