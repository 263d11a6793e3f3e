"""The tables of the project database, as SQLAlchemy 2 typed declarative rows.

Rows are storage, not domain values: ``element_history`` converts between ``ElementSetRow`` and the
domain's ``ElementSet`` in one pair of functions, and nothing outside ``persistence`` sees a row.
Column names are the domain's field names, units included (``inclination_deg``), so a column reads
the same in SQL, in Python and in JSON.

Every schema change here needs a new revision under ``migrations/versions``; a test compares the
migrated database with these declarations on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from spacehome.domain.instant import require_utc

#: Deterministic constraint names on every backend, so later migrations can name what they alter
#: (SQLite's batch mode needs names to drop or replace a constraint).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every spacehome table (one ``MetaData`` for the whole database)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def big_id() -> Any:
    """The type of an autoincrementing id: BIGINT on PostgreSQL; INTEGER on SQLite, where only
    that spelling aliases the rowid."""
    return BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as UTC and read back as an aware UTC ``datetime`` on every backend.

    PostgreSQL keeps it in ``timestamp with time zone`` and returns it in the session's zone;
    SQLite has no zone-aware type, so the value is stored as naive UTC text (which also sorts in
    time order). Either way the value read back carries ``tzinfo=UTC``. A naive ``datetime`` is
    refused (:class:`spacehome.errors.NaiveTimeError`) rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = require_utc(value, "time stored in the database")
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: stored as UTC by process_bind_param
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ElementSetRow(Base):
    """One element set of one object, as obtained from one source (append-only).

    The numeric columns carry the domain's OMM units (CCSDS 502.0-B-3). ``content_sha256`` is the
    hash of the canonical element content (``element_history.content_sha256``): the same set
    imported twice, from the same or another source, is stored once.
    """

    __tablename__ = "element_sets"
    __table_args__ = (
        UniqueConstraint("catalog_number", "content_sha256"),
        Index(None, "catalog_number", "epoch"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    # NORAD catalog number; 9 digits once the catalog passes the alpha-5 range.
    catalog_number: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(Text)
    international_designator: Mapped[str | None] = mapped_column(Text)
    epoch: Mapped[datetime] = mapped_column(UTCDateTime)
    mean_motion_rev_per_day: Mapped[float] = mapped_column(Double)
    eccentricity: Mapped[float] = mapped_column(Double)
    inclination_deg: Mapped[float] = mapped_column(Double)
    raan_deg: Mapped[float] = mapped_column(Double)
    arg_perigee_deg: Mapped[float] = mapped_column(Double)
    mean_anomaly_deg: Mapped[float] = mapped_column(Double)
    bstar_per_earth_radius: Mapped[float] = mapped_column(Double)
    mean_motion_dot_rev_per_day2: Mapped[float] = mapped_column(Double)
    mean_motion_ddot_rev_per_day3: Mapped[float] = mapped_column(Double)
    element_set_number: Mapped[int | None] = mapped_column(Integer)
    rev_at_epoch: Mapped[int | None] = mapped_column(Integer)
    classification: Mapped[str] = mapped_column(String(1))
    line1: Mapped[str | None] = mapped_column(Text)
    line2: Mapped[str | None] = mapped_column(Text)
    # Provenance: where the set came from and when it was obtained there.
    source: Mapped[str] = mapped_column(Text)
    obtained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_sha256: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return (
            f"ElementSetRow(id={self.id}, catalog_number={self.catalog_number}, epoch={self.epoch})"
        )


# The program's tables live in their own module and register themselves on Base; importing it here
# keeps Base.metadata complete for the migrations and the schema comparison test. At the end on
# purpose: program_tables imports Base and UTCDateTime from this module.
from . import astronaut_tables as astronaut_tables  # noqa: E402
from . import conjunction_tables as conjunction_tables  # noqa: E402
from . import plan_tables as plan_tables  # noqa: E402
from . import program_tables as program_tables  # noqa: E402
from . import project_tables as project_tables  # noqa: E402
from . import review_tables as review_tables  # noqa: E402
