"""Element sets: the append-only history of SGP4 mean elements per object.

Revision ID: 0001
Revises:
Create Date: 2026-09-06

Types are spelled out here rather than imported from ``tables``: a revision is a snapshot of the
schema at the time it was written. ``DateTime(timezone=True)`` is the storage of
``tables.UTCDateTime`` (``timestamp with time zone`` on PostgreSQL, UTC text on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "element_sets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("catalog_number", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("international_designator", sa.Text(), nullable=True),
        sa.Column("epoch", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mean_motion_rev_per_day", sa.Double(), nullable=False),
        sa.Column("eccentricity", sa.Double(), nullable=False),
        sa.Column("inclination_deg", sa.Double(), nullable=False),
        sa.Column("raan_deg", sa.Double(), nullable=False),
        sa.Column("arg_perigee_deg", sa.Double(), nullable=False),
        sa.Column("mean_anomaly_deg", sa.Double(), nullable=False),
        sa.Column("bstar_per_earth_radius", sa.Double(), nullable=False),
        sa.Column("mean_motion_dot_rev_per_day2", sa.Double(), nullable=False),
        sa.Column("mean_motion_ddot_rev_per_day3", sa.Double(), nullable=False),
        sa.Column("element_set_number", sa.Integer(), nullable=True),
        sa.Column("rev_at_epoch", sa.Integer(), nullable=True),
        sa.Column("classification", sa.String(length=1), nullable=False),
        sa.Column("line1", sa.Text(), nullable=True),
        sa.Column("line2", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("obtained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_element_sets"),
        sa.UniqueConstraint(
            "catalog_number",
            "content_sha256",
            name="uq_element_sets_catalog_number_content_sha256",
        ),
    )
    op.create_index(
        "ix_element_sets_catalog_number_epoch", "element_sets", ["catalog_number", "epoch"]
    )


def downgrade() -> None:
    op.drop_index("ix_element_sets_catalog_number_epoch", table_name="element_sets")
    op.drop_table("element_sets")
