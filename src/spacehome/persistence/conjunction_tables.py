"""Stored conjunction events and their assessments (screens and CDMs), for Pc over time.

An **event** is one close approach of a pair of objects: the same pair within
:data:`~spacehome.persistence.conjunction_store.SAME_EVENT_WINDOW` of one TCA. Each screen
that finds it, and each CDM about it, adds one **assessment**: when it was made, where it came
from, its TCA, miss distance (with radial, in-track and cross-track parts), relative speed and
Pc (or why there is none). The event row keeps the latest assessment's TCA and miss for lists;
assessments are append-only, so an event's history (Pc over time) is its assessments in the
order they were made.

``inputs`` holds what a later step needs to work on the event again without the source files:
for a screen, both element sets; for a CDM, the message's view (states and RTN covariances).

This module registers its tables on :class:`spacehome.persistence.tables.Base`; ``tables``
imports it. Revision ``0007`` creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base, UTCDateTime, big_id

#: Where an assessment comes from.
SOURCE_VALUES = ("screen", "cdm")



class ConjunctionEventRow(Base):
    """One close approach of a pair, with its latest TCA and miss distance."""

    __tablename__ = "conjunction_events"
    __table_args__ = (
        CheckConstraint("primary_number <> secondary_number", name="pair"),
        CheckConstraint("miss_km >= 0", name="miss"),
        Index(None, "primary_number", "secondary_number", "tca"),
        Index(None, "tca"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    primary_number: Mapped[int] = mapped_column(BigInteger)
    primary_name: Mapped[str | None] = mapped_column(Text)
    secondary_number: Mapped[int] = mapped_column(BigInteger)
    secondary_name: Mapped[str | None] = mapped_column(Text)
    tca: Mapped[datetime] = mapped_column(UTCDateTime)
    miss_km: Mapped[float] = mapped_column(Double)
    pc: Mapped[float | None] = mapped_column(Double)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assessments: Mapped[int] = mapped_column(Integer)


class ConjunctionAssessmentRow(Base):
    """One assessment of an event (append-only)."""

    __tablename__ = "conjunction_assessments"
    __table_args__ = (
        CheckConstraint(
            f"source IN ({', '.join(repr(v) for v in SOURCE_VALUES)})", name="source"
        ),
        CheckConstraint("miss_km >= 0", name="miss"),
        CheckConstraint("pc IS NULL OR (pc >= 0 AND pc <= 1)", name="pc"),
        Index(None, "event_id", "assessed_at"),
        Index(None, "source", "source_ref"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(Text, ForeignKey("conjunction_events.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(Text)
    tca: Mapped[datetime] = mapped_column(UTCDateTime)
    miss_km: Mapped[float] = mapped_column(Double)
    radial_km: Mapped[float | None] = mapped_column(Double)
    in_track_km: Mapped[float | None] = mapped_column(Double)
    cross_track_km: Mapped[float | None] = mapped_column(Double)
    relative_speed_km_s: Mapped[float | None] = mapped_column(Double)
    pc: Mapped[float | None] = mapped_column(Double)
    pc_method: Mapped[str | None] = mapped_column(Text)
    pc_estimated: Mapped[bool | None] = mapped_column(Boolean)
    pc_note: Mapped[str | None] = mapped_column(Text)
    hard_body_radius_m: Mapped[float | None] = mapped_column(Double)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
