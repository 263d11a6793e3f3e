"""Conjunction events and their assessments (screens and CDMs).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Spelled out rather than imported from ``conjunction_tables`` (a revision is a snapshot).
Constraint names follow ``tables.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conjunction_events",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("primary_number", sa.BigInteger(), nullable=False),
        sa.Column("primary_name", sa.Text(), nullable=True),
        sa.Column("secondary_number", sa.BigInteger(), nullable=False),
        sa.Column("secondary_name", sa.Text(), nullable=True),
        sa.Column("tca", _TZ, nullable=False),
        sa.Column("miss_km", sa.Double(), nullable=False),
        sa.Column("pc", sa.Double(), nullable=True),
        sa.Column("first_seen_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("assessments", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conjunction_events"),
        sa.CheckConstraint("primary_number <> secondary_number", name="ck_conjunction_events_pair"),
        sa.CheckConstraint("miss_km >= 0", name="ck_conjunction_events_miss"),
    )
    op.create_index(
        "ix_conjunction_events_primary_number_secondary_number_tca",
        "conjunction_events",
        ["primary_number", "secondary_number", "tca"],
    )
    op.create_index("ix_conjunction_events_tca", "conjunction_events", ["tca"])
    op.create_table(
        "conjunction_assessments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("assessed_at", _TZ, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.Text(), nullable=False),
        sa.Column("tca", _TZ, nullable=False),
        sa.Column("miss_km", sa.Double(), nullable=False),
        sa.Column("radial_km", sa.Double(), nullable=True),
        sa.Column("in_track_km", sa.Double(), nullable=True),
        sa.Column("cross_track_km", sa.Double(), nullable=True),
        sa.Column("relative_speed_km_s", sa.Double(), nullable=True),
        sa.Column("pc", sa.Double(), nullable=True),
        sa.Column("pc_method", sa.Text(), nullable=True),
        sa.Column("pc_estimated", sa.Boolean(), nullable=True),
        sa.Column("pc_note", sa.Text(), nullable=True),
        sa.Column("hard_body_radius_m", sa.Double(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conjunction_assessments"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["conjunction_events.id"],
            name="fk_conjunction_assessments_event_id_conjunction_events",
        ),
        sa.CheckConstraint("source IN ('screen', 'cdm')", name="ck_conjunction_assessments_source"),
        sa.CheckConstraint("miss_km >= 0", name="ck_conjunction_assessments_miss"),
        sa.CheckConstraint(
            "pc IS NULL OR (pc >= 0 AND pc <= 1)", name="ck_conjunction_assessments_pc"
        ),
    )
    op.create_index(
        "ix_conjunction_assessments_event_id_assessed_at",
        "conjunction_assessments",
        ["event_id", "assessed_at"],
    )
    op.create_index(
        "ix_conjunction_assessments_source_source_ref",
        "conjunction_assessments",
        ["source", "source_ref"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_conjunction_assessments_source_source_ref", table_name="conjunction_assessments"
    )
    op.drop_index(
        "ix_conjunction_assessments_event_id_assessed_at", table_name="conjunction_assessments"
    )
    op.drop_table("conjunction_assessments")
    op.drop_index("ix_conjunction_events_tca", table_name="conjunction_events")
    op.drop_index(
        "ix_conjunction_events_primary_number_secondary_number_tca",
        table_name="conjunction_events",
    )
    op.drop_table("conjunction_events")
