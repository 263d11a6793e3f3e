"""Stored increment plans: add a validated plan, read it back, query its activities, publish it.

:class:`PlanStore` takes and returns the records defined here (standard-library values, times
aware UTC); rows and records meet only in the ``_..._from_row`` / ``_..._values`` functions at the
end of this module. The store does not validate plans against their problems: that is the
independent validator's job (:mod:`spacehome.planning.validate`), run by the service before it
calls :meth:`PlanStore.add`. The store keeps what the database can check: a verdict of
``valid``, a horizon that ends after it starts, activities inside it, and bounded sizes.

Rules kept here:

* every write is one transaction: a plan and all its activities and resources are written
  together or not at all; publishing is one insert into the publication log;
* plans are immutable; the *current* plan is the newest publication (one at a time by
  definition); publishing an older plan again makes it current again;
* times are given by the caller (``now``): the store reads no clock.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, Select, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from spacehome.domain.instant import require_utc
from spacehome.errors import NotFoundError, ValidationError

from .engine import write_session
from .plan_tables import (
    SOLVER_STATUS_VALUES,
    TIME_UNIT_VALUES,
    PlanActivityResourceRow,
    PlanActivityRow,
    PlanPublicationRow,
    PlanRow,
)

#: The most items one page returns.
MAX_PAGE_SIZE: Final = 500
#: The largest page offset.
MAX_OFFSET: Final = 1_000_000_000
#: The most scheduled activities one stored plan may hold (a 90-day increment has ~10^4).
MAX_ACTIVITIES: Final = 200_000
#: The largest offset from the horizon start (a 32-bit column; 68 years in seconds).
MAX_OFFSET_UNITS: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class PlannedActivity:
    """A scheduled activity of a plan: when it runs (UTC and the plan's offsets), what it is."""

    activity_id: str
    label: str
    kind: str
    project_key: str | None
    experiment_key: str | None
    start_at: datetime
    end_at: datetime
    start_offset: int
    end_offset: int
    resources: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewPlan:
    """What :meth:`PlanStore.add` stores: a plan the validator found valid, with its activities."""

    name: str
    created_by: str
    problem_name: str
    problem_sha256: str
    scenario_sha256: str | None
    horizon_start: datetime
    horizon_end: datetime
    time_unit: str
    solver: str
    solver_status: str
    objective: float | None
    bound: float | None
    activity_count: int
    unplaced_count: int
    document: str
    activities: tuple[PlannedActivity, ...]
    validator_verdict: str = "valid"


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """A stored plan's header (without its activities and document)."""

    id: str
    name: str
    created_at: datetime
    created_by: str
    problem_name: str
    problem_sha256: str
    scenario_sha256: str | None
    horizon_start: datetime
    horizon_end: datetime
    time_unit: str
    solver: str
    solver_status: str
    objective: float | None
    bound: float | None
    validator_verdict: str
    activity_count: int
    scheduled_count: int
    unplaced_count: int


@dataclass(frozen=True, slots=True)
class Publication:
    """One entry of the publication log: ``plan_id`` became current at ``published_at``."""

    plan_id: str
    published_at: datetime
    published_by: str


@dataclass(frozen=True, slots=True)
class PlanPage:
    """One page of plans, newest first, and ``total``: how many there are in all."""

    items: tuple[PlanRecord, ...]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class ActivityPage:
    """One page of a plan's activities by start time, and ``total``: how many match in all."""

    items: tuple[PlannedActivity, ...]
    total: int
    limit: int
    offset: int


class PlanStore:
    """Stored plans in one database (``engine`` migrated). Each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)

    def add(self, plan: NewPlan, *, now: datetime) -> PlanRecord:
        """Store a validated plan with all its activities (one transaction) and return its header."""
        _check_new(plan)
        row = PlanRow(
            id=uuid.uuid4().hex,
            created_at=require_utc(now, "now"),
            scheduled_count=len(plan.activities),
            **_plan_values(plan),
        )
        with self._writing() as session:
            session.add(row)
            session.flush()  # the plan first: activities refer to it
            if plan.activities:
                session.execute(
                    insert(PlanActivityRow), [_activity_values(row.id, a) for a in plan.activities]
                )
                resources = [
                    {"plan_id": row.id, "activity_id": a.activity_id, "position": k, "resource_id": r}
                    for a in plan.activities
                    for k, r in enumerate(a.resources)
                ]
                if resources:
                    session.execute(insert(PlanActivityResourceRow), resources)
        return _record_from_row(row)

    def get(self, plan_id: str) -> PlanRecord:
        """The plan with this id (NotFoundError when there is none)."""
        with self._reads() as session:
            return _record_from_row(_plan_row(session, plan_id))

    def document(self, plan_id: str) -> str:
        """The stored plan file (JSON text) of a plan."""
        with self._reads() as session:
            return _plan_row(session, plan_id).document

    def list_plans(self, *, limit: int = 50, offset: int = 0) -> PlanPage:
        """A page of plans, newest first, with the total (read in one transaction)."""
        _check_page(limit, offset)
        query = (
            select(PlanRow)
            .order_by(PlanRow.created_at.desc(), PlanRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self._reads() as session, session.begin():
            total = session.execute(select(func.count()).select_from(PlanRow)).scalar_one()
            items = tuple(_record_from_row(row) for row in session.scalars(query))
        return PlanPage(items=items, total=int(total), limit=limit, offset=offset)

    def activities(
        self,
        plan_id: str,
        *,
        project_key: str | None = None,
        resource: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ActivityPage:
        """A page of a plan's activities by start time (then id), with the number that match.

        Filters: ``project_key`` (the ``project:`` tag), ``resource`` (held by the activity),
        and the time range: activities that overlap ``[start, end)`` (either bound optional).
        """
        _check_page(limit, offset)
        conditions: list[Any] = [PlanActivityRow.plan_id == plan_id]
        if project_key is not None:
            conditions.append(PlanActivityRow.project_key == project_key)
        if start is not None:
            conditions.append(PlanActivityRow.end_at > require_utc(start, "from"))
        if end is not None:
            conditions.append(PlanActivityRow.start_at < require_utc(end, "to"))
        if resource is not None:
            holders = select(PlanActivityResourceRow.activity_id).where(
                PlanActivityResourceRow.plan_id == plan_id,
                PlanActivityResourceRow.resource_id == resource,
            )
            conditions.append(PlanActivityRow.activity_id.in_(holders))
        page: Select[PlanActivityRow] = (
            select(PlanActivityRow)
            .where(*conditions)
            .order_by(PlanActivityRow.start_at, PlanActivityRow.activity_id)
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(PlanActivityRow).where(*conditions)
        with self._reads() as session, session.begin():
            _plan_row(session, plan_id)
            total = session.execute(count).scalar_one()
            rows = list(session.scalars(page))
            held = _resources_of(session, plan_id, [row.activity_id for row in rows])
            items = tuple(_activity_from_row(row, held[row.activity_id]) for row in rows)
        return ActivityPage(items=items, total=int(total), limit=limit, offset=offset)

    def publish(self, plan_id: str, *, now: datetime, by: str) -> Publication:
        """Make a stored plan the current one (one insert into the publication log)."""
        published = Publication(plan_id, require_utc(now, "now"), by)
        with self._writing() as session:
            _plan_row(session, plan_id)
            session.execute(
                insert(PlanPublicationRow).values(
                    plan_id=plan_id, published_at=published.published_at, published_by=by
                )
            )
        return published

    def current(self) -> tuple[PlanRecord, Publication] | None:
        """The current plan (the newest publication) and its publication; ``None`` before any."""
        query = (
            select(PlanPublicationRow)
            .order_by(PlanPublicationRow.published_at.desc(), PlanPublicationRow.id.desc())
            .limit(1)
        )
        with self._reads() as session, session.begin():
            publication = session.scalars(query).first()
            if publication is None:
                return None
            plan = _plan_row(session, publication.plan_id)
            return _record_from_row(plan), Publication(
                publication.plan_id, publication.published_at, publication.published_by
            )

    def _writing(self) -> AbstractContextManager[Session]:
        return write_session(self._engine)


# --- checks -------------------------------------------------------------------------------------


def _check_page(limit: int, offset: int) -> None:
    if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"page limit {limit!r} is out of range: give 1..{MAX_PAGE_SIZE}")
    if isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise ValidationError(f"page offset {offset!r} is out of range: give 0..{MAX_OFFSET}")


def _check_new(plan: NewPlan) -> None:
    if plan.validator_verdict != "valid":
        raise ValidationError(
            f"plan {plan.name!r} is not valid ({plan.validator_verdict}): only plans the validator "
            "accepts are stored; fix it and run 'spacehome plan check'"
        )
    if not plan.name.strip():
        raise ValidationError("the plan's name is empty: give it a name")
    if plan.solver_status not in SOLVER_STATUS_VALUES:
        raise ValidationError(
            f"solver status {plan.solver_status!r} is unknown: use one of {', '.join(SOLVER_STATUS_VALUES)}"
        )
    if plan.time_unit not in TIME_UNIT_VALUES:
        raise ValidationError(
            f"time unit {plan.time_unit!r} cannot be stored: a stored plan counts in min or s"
        )
    start = require_utc(plan.horizon_start, "horizon start")
    if require_utc(plan.horizon_end, "horizon end") <= start:
        raise ValidationError("the plan's horizon ends before it starts: check the problem's horizon")
    if len(plan.activities) > MAX_ACTIVITIES:
        raise ValidationError(
            f"the plan schedules {len(plan.activities)} activities, more than {MAX_ACTIVITIES}: "
            "split the increment"
        )
    texts = [plan.name, plan.created_by, plan.problem_name, plan.solver, plan.scenario_sha256 or ""]
    for a in plan.activities:
        texts += [a.activity_id, a.label, a.kind, a.project_key or "", a.experiment_key or ""]
        texts += [*a.resources, *a.groups]
    bad = next((text for text in texts if "\x00" in text), None)
    if bad is not None:
        raise ValidationError(
            f"the plan holds the text {bad!r} with a NUL character, which the database cannot "
            "store: remove it from names, ids and labels"
        )
    seen: set[str] = set()
    for a in plan.activities:
        if a.activity_id in seen:
            raise ValidationError(f"activity {a.activity_id!r} is scheduled twice: keep one")
        seen.add(a.activity_id)
        if not 0 <= a.start_offset <= a.end_offset <= MAX_OFFSET_UNITS:
            raise ValidationError(
                f"activity {a.activity_id!r} runs {a.start_offset}..{a.end_offset}: offsets must "
                f"be 0 <= start <= end <= {MAX_OFFSET_UNITS}"
            )


# --- rows <-> records ---------------------------------------------------------------------------


def _plan_row(session: Session, plan_id: str) -> PlanRow:
    row = session.get(PlanRow, plan_id)
    if row is None:
        raise NotFoundError(f"no plan with id {plan_id!r}: check the id (GET /plans lists them)")
    return row


def _resources_of(
    session: Session, plan_id: str, activity_ids: Sequence[str]
) -> dict[str, list[str]]:
    held: dict[str, list[str]] = defaultdict(list)
    if not activity_ids:
        return held
    query = (
        select(PlanActivityResourceRow)
        .where(
            PlanActivityResourceRow.plan_id == plan_id,
            PlanActivityResourceRow.activity_id.in_(activity_ids),
        )
        .order_by(PlanActivityResourceRow.activity_id, PlanActivityResourceRow.position)
    )
    for row in session.scalars(query):
        held[row.activity_id].append(row.resource_id)
    return held


def _plan_values(plan: NewPlan) -> dict[str, Any]:
    return {
        "name": plan.name.strip(),
        "created_by": plan.created_by,
        "problem_name": plan.problem_name,
        "problem_sha256": plan.problem_sha256,
        "scenario_sha256": plan.scenario_sha256,
        "horizon_start": plan.horizon_start,
        "horizon_end": plan.horizon_end,
        "time_unit": plan.time_unit,
        "solver": plan.solver,
        "solver_status": plan.solver_status,
        "objective": plan.objective,
        "bound": plan.bound,
        "validator_verdict": plan.validator_verdict,
        "activity_count": plan.activity_count,
        "unplaced_count": plan.unplaced_count,
        "document": plan.document,
    }


def _record_from_row(row: PlanRow) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        created_by=row.created_by,
        problem_name=row.problem_name,
        problem_sha256=row.problem_sha256,
        scenario_sha256=row.scenario_sha256,
        horizon_start=row.horizon_start,
        horizon_end=row.horizon_end,
        time_unit=row.time_unit,
        solver=row.solver,
        solver_status=row.solver_status,
        objective=row.objective,
        bound=row.bound,
        validator_verdict=row.validator_verdict,
        activity_count=row.activity_count,
        scheduled_count=row.scheduled_count,
        unplaced_count=row.unplaced_count,
    )


def _activity_values(plan_id: str, a: PlannedActivity) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "activity_id": a.activity_id,
        "label": a.label,
        "kind": a.kind,
        "project_key": a.project_key,
        "experiment_key": a.experiment_key,
        "start_at": require_utc(a.start_at, "activity start"),
        "end_at": require_utc(a.end_at, "activity end"),
        "start_offset": a.start_offset,
        "end_offset": a.end_offset,
        "groups": list(a.groups),
    }


def _activity_from_row(row: PlanActivityRow, resources: Sequence[str]) -> PlannedActivity:
    return PlannedActivity(
        activity_id=row.activity_id,
        label=row.label,
        kind=row.kind,
        project_key=row.project_key,
        experiment_key=row.experiment_key,
        start_at=row.start_at,
        end_at=row.end_at,
        start_offset=row.start_offset,
        end_offset=row.end_offset,
        resources=tuple(resources),
        groups=tuple(row.groups),
    )


__all__ = [
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "ActivityPage",
    "NewPlan",
    "PlanPage",
    "PlanRecord",
    "PlanStore",
    "PlannedActivity",
    "Publication",
]
