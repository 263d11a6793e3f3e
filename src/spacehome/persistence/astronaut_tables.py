"""Astronaut opportunities' tables: programs, candidates, their seats on missions, their audit log.

Rows are storage, not domain values: ``astronaut_store`` converts between these rows and the
domain's ``Opportunity``, ``Candidate``, ``Seat`` and ``AuditEntry`` in one place. Enumerated
values are stored as their ``.value`` text and checked by CHECK constraints. Revision ``0006``
creates these tables (spelled out there, not imported).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from spacehome.domain.astronaut_opportunities import (
    AssignmentStatus,
    AuditField,
    SelectionStage,
    TrainingStatus,
)

from .tables import Base, UTCDateTime, big_id

STAGE_VALUES = tuple(s.value for s in SelectionStage)
TRAINING_VALUES = tuple(s.value for s in TrainingStatus)
ASSIGNMENT_VALUES = tuple(s.value for s in AssignmentStatus)
FIELD_VALUES = tuple(f.value for f in AuditField)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"



class AstronautProgramRow(Base):
    """A program bringing astronauts from a partner country or region (``sources``: JSON ids)."""

    __tablename__ = "astronaut_programs"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    agreement: Mapped[str] = mapped_column(Text)
    flight_mission: Mapped[str | None] = mapped_column(Text)
    flight_note: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(JSON)


class AstronautCandidateRow(Base):
    """A candidate; ``version`` is the compare-and-set counter (seats change it too)."""

    __tablename__ = "astronaut_candidates"
    __table_args__ = (
        CheckConstraint(_one_of("selection_stage", STAGE_VALUES), name="selection_stage"),
        CheckConstraint(_one_of("training_status", TRAINING_VALUES), name="training_status"),
        CheckConstraint("version >= 1", name="version"),
        UniqueConstraint("program_id", "alias"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    program_id: Mapped[str] = mapped_column(Text, ForeignKey("astronaut_programs.id"))
    alias: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    name_public: Mapped[bool] = mapped_column(Boolean)
    country: Mapped[str] = mapped_column(String(2))
    astronaut_id: Mapped[str | None] = mapped_column(Text)
    selection_stage: Mapped[str] = mapped_column(String(32))
    training_status: Mapped[str] = mapped_column(String(32))
    sources: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AstronautAssignmentRow(Base):
    """A candidate's seat on one mission: the primary key is the one-seat-per-mission rule."""

    __tablename__ = "astronaut_assignments"
    __table_args__ = (CheckConstraint(_one_of("status", ASSIGNMENT_VALUES), name="status"),)

    candidate_id: Mapped[str] = mapped_column(
        Text, ForeignKey("astronaut_candidates.id"), primary_key=True
    )
    mission_id: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AstronautAuditRow(Base):
    """One change of one candidate (append-only)."""

    __tablename__ = "astronaut_audit"
    __table_args__ = (
        CheckConstraint(_one_of("field", FIELD_VALUES), name="field"),
        Index(None, "candidate_id", "at"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    candidate_id: Mapped[str] = mapped_column(Text, ForeignKey("astronaut_candidates.id"))
    actor: Mapped[str] = mapped_column(Text)
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    field: Mapped[str] = mapped_column(String(32))
    from_value: Mapped[str] = mapped_column(Text)
    to_value: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text)


__all__ = [
    "AstronautAssignmentRow",
    "AstronautAuditRow",
    "AstronautCandidateRow",
    "AstronautProgramRow",
]
