"""Stored increment plans: the plan, its scheduled activities, their resources, and publications.

Rows are storage, not domain values: ``plan_store`` converts between these rows and its records
(:class:`~spacehome.persistence.plan_store.PlanRecord`, ``PlannedActivity``) in one place.

A plan is immutable once stored: it was checked by the independent validator before it was
written (``validator_verdict`` can only be ``valid``), and nothing updates it afterwards. Its
activities carry absolute UTC times (``start_at``/``end_at``, from the problem's epoch) next to
the plan's own integer offsets (``start_offset``/``end_offset`` in ``plans.time_unit``), so they
can be queried by project, resource and time without reading the plan document.

Which plan is *current* is the newest row of ``plan_publications`` (an append-only log: who
made which plan current, when). One current plan at a time follows from the definition, and
publishing is a single insert.

This module registers its tables on :class:`spacehome.persistence.tables.Base`; ``tables``
imports it. Revision ``0005`` creates them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base, UTCDateTime, big_id

#: Solver statuses a stored plan may carry (``spacehome.planning.problem.Status`` values).
SOLVER_STATUS_VALUES = ("optimal", "feasible", "infeasible", "unknown")
#: Time units of a stored plan's offsets (a plan in abstract periods has no dates to store).
TIME_UNIT_VALUES = ("min", "s")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"



class PlanRow(Base):
    """A validated plan: what it solves (problem hash), its horizon, solver outcome and document.

    ``document`` is the whole plan file (``spacehome-plan/1`` JSON, problem embedded), so a stored
    plan can be checked, exported or replanned with nothing else.
    """

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(_one_of("solver_status", SOLVER_STATUS_VALUES), name="solver_status"),
        CheckConstraint("validator_verdict = 'valid'", name="validator_verdict"),
        CheckConstraint(_one_of("time_unit", TIME_UNIT_VALUES), name="time_unit"),
        CheckConstraint("horizon_end > horizon_start", name="horizon"),
        Index(None, "created_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)
    problem_name: Mapped[str] = mapped_column(Text)
    problem_sha256: Mapped[str] = mapped_column(String(64))
    scenario_sha256: Mapped[str | None] = mapped_column(String(64))
    horizon_start: Mapped[datetime] = mapped_column(UTCDateTime)
    horizon_end: Mapped[datetime] = mapped_column(UTCDateTime)
    time_unit: Mapped[str] = mapped_column(String(8))
    solver: Mapped[str] = mapped_column(Text)
    solver_status: Mapped[str] = mapped_column(String(16))
    objective: Mapped[float | None] = mapped_column(Double)
    bound: Mapped[float | None] = mapped_column(Double)
    validator_verdict: Mapped[str] = mapped_column(String(16))
    activity_count: Mapped[int] = mapped_column(Integer)
    scheduled_count: Mapped[int] = mapped_column(Integer)
    unplaced_count: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)


class PlanActivityRow(Base):
    """One scheduled activity of a plan: when (UTC and offsets), what kind, which project.

    ``project_key`` is the ``project:<key>`` tag of the activity (the scenario's project id, which
    a cooperation project names as its ``planner_key``); ``experiment_key`` its
    ``experiment:<key>`` tag; ``groups`` the fairness groups (countries) its value is shared with.
    """

    __tablename__ = "plan_activities"
    __table_args__ = (
        CheckConstraint("end_offset >= start_offset", name="offsets"),
        Index(None, "plan_id", "start_at"),
        Index(None, "plan_id", "project_key", "start_at"),
    )

    plan_id: Mapped[str] = mapped_column(Text, ForeignKey("plans.id"), primary_key=True)
    activity_id: Mapped[str] = mapped_column(Text, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    project_key: Mapped[str | None] = mapped_column(Text)
    experiment_key: Mapped[str | None] = mapped_column(Text)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    groups: Mapped[list[str]] = mapped_column(JSON)


class PlanActivityResourceRow(Base):
    """A resource an activity holds (the chosen option of each demand, in demand order)."""

    __tablename__ = "plan_activity_resources"
    __table_args__ = (
        ForeignKeyConstraint(
            ["plan_id", "activity_id"],
            ["plan_activities.plan_id", "plan_activities.activity_id"],
        ),
        Index(None, "plan_id", "resource_id"),
    )

    plan_id: Mapped[str] = mapped_column(Text, primary_key=True)
    activity_id: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[str] = mapped_column(Text)


class PlanPublicationRow(Base):
    """One publication: ``plan_id`` became the current plan at ``published_at`` (append-only)."""

    __tablename__ = "plan_publications"
    __table_args__ = (Index(None, "published_at"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(Text, ForeignKey("plans.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(Text)
