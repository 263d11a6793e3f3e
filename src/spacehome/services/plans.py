"""Stored plans: store a validated plan, list and read plans, query activities, publish.

A plan is stored only if the independent validator (:func:`spacehome.planning.validate.validate`)
finds no violation of its problem; otherwise nothing is written and the refusal names the first
violations in one line. A stored plan keeps its whole file (problem embedded) and its scheduled
activities with absolute UTC times, so they can be queried by project, resource and time.

Every function returns JSON-ready views (times ISO 8601 with ``Z``). Role rules (who may list,
store or publish plans) are the API's; :meth:`PlanService.activities_for_project` is the view a
project's owning partner will get of the current plan, once the caller has checked that the
partner owns the project whose ``planner_key`` it passes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from spacehome.domain.instant import format_utc, parse_instant, require_utc
from spacehome.errors import ValidationError
from spacehome.persistence.engine import open_database
from spacehome.persistence.plan_store import (
    MAX_ACTIVITIES,
    MAX_OFFSET_UNITS,
    NewPlan,
    PlannedActivity,
    PlanRecord,
    PlanStore,
    Publication,
)
from spacehome.planning.files import (
    PlanFile,
    plan_from_data,
    plan_to_data,
    problem_to_data,
    read_json,
)
from spacehome.planning.problem import Activity, Problem, Status
from spacehome.planning.validate import validate

JSON = dict[str, Any]

#: Seconds per unit of the plan's time axis, for the units a stored plan may use.
UNIT_SECONDS: Final = {"min": 60, "s": 1}
#: The longest plan horizon stored (days); an increment is at most 90 days.
MAX_HORIZON_DAYS: Final = 400
#: The largest plan file accepted (bytes): a 90-day increment plan is a few megabytes.
MAX_PLAN_BYTES: Final = 32 * 1000 * 1000
#: How many violations a refusal names.
VIOLATIONS_SHOWN: Final = 3
#: Activity kinds, read from the station layer's tags (the first one found wins).
KINDS: Final = ("setup", "run", "teardown", "downlink", "unpack", "fixed-event", "crew-day")


def instant(text: str, what: str) -> datetime:
    """An ISO 8601 instant with a zone, as aware UTC; a naive one, or one whose UTC value falls
    outside years 1..9999, is refused with a ValidationError (never an OverflowError)."""
    try:
        return parse_instant(text, what)
    except OverflowError:
        raise ValidationError(
            f"{what} {text!r} is out of range in UTC: give an instant between years 1 and 9999"
        ) from None


def canonical_sha256(data: Any) -> str:
    """SHA-256 (hex) of JSON data written canonically (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def activity_tag(activity: Activity, prefix: str) -> str | None:
    """The value of an activity's first tag starting with ``prefix`` ("project:" -> the key)."""
    return next((t[len(prefix):] for t in activity.tags if t.startswith(prefix)), None)


def activity_kind(activity: Activity) -> str:
    """The activity's kind (:data:`KINDS`) from the station layer's tags, else "activity"."""
    return next((k for k in KINDS if k in activity.tags), "activity")


def new_plan(plan: PlanFile, *, name: str, created_by: str, source: str = "plan") -> NewPlan:
    """The record to store for ``plan``, after the independent validator found it valid.

    Refused (:class:`~spacehome.errors.ValidationError`, one line): a plan with violations (the
    first :data:`VIOLATIONS_SHOWN` are named), an infeasible answer, a problem without an epoch
    or in abstract periods (no dates), a horizon over :data:`MAX_HORIZON_DAYS` days.
    """
    problem, solution = plan.problem, plan.solution
    try:  # JSON has no NaN or Infinity: such a number could be stored but never served again
        document = json.dumps(plan_to_data(plan), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise ValidationError(
            f"{source}: the plan holds a number that is NaN or infinite: give finite numbers "
            "(objective, bound, gap, wall_s, metrics, meta)"
        ) from None
    if solution.status is Status.INFEASIBLE:
        raise ValidationError(f"{source}: the solver found the problem infeasible: there is no plan to store")
    unit_s = UNIT_SECONDS.get(problem.time_unit)
    if unit_s is None or problem.epoch is None:
        raise ValidationError(
            f"{source}: a stored plan needs dates: problem.time_unit must be min or s (it is "
            f"{problem.time_unit!r}) and problem.epoch an instant (it is {problem.epoch!r})"
        )
    epoch = instant(problem.epoch, f"{source}: problem.epoch")
    if not 0 < problem.horizon * unit_s <= MAX_HORIZON_DAYS * 86400 or problem.horizon > MAX_OFFSET_UNITS:
        raise ValidationError(
            f"{source}: the horizon of {problem.horizon} {problem.time_unit} is longer than "
            f"{MAX_HORIZON_DAYS} days: store one increment at a time"
        )
    try:
        horizon_end = epoch + timedelta(seconds=problem.horizon * unit_s)
    except OverflowError:
        raise ValidationError(
            f"{source}: the horizon from problem.epoch {problem.epoch} ends after the year 9999: "
            "check the epoch"
        ) from None
    if len(solution.assignments) > MAX_ACTIVITIES:
        raise ValidationError(
            f"{source}: {len(solution.assignments)} assignments, more than {MAX_ACTIVITIES}: "
            "split the increment"
        )
    violations = validate(problem, solution)
    if violations:
        shown = "; ".join(f"{v.kind}: {v.message}" for v in violations[:VIOLATIONS_SHOWN])
        more = f" (and {len(violations) - VIOLATIONS_SHOWN} more)" if len(violations) > VIOLATIONS_SHOWN else ""
        raise ValidationError(
            f"{source}: the validator found {len(violations)} violation(s), nothing was stored: "
            f"{shown}{more}; fix the plan ('spacehome plan check' lists them all)"
        )
    activities = {a.id: a for a in problem.activities}
    planned = []
    for assignment in solution.assignments:
        activity = activities[assignment.activity]  # the validator checked every id
        planned.append(
            PlannedActivity(
                activity_id=activity.id,
                label=activity.label or activity.id,
                kind=activity_kind(activity),
                project_key=activity_tag(activity, "project:"),
                experiment_key=activity_tag(activity, "experiment:"),
                start_at=epoch + timedelta(seconds=assignment.start * unit_s),
                end_at=epoch + timedelta(seconds=assignment.end * unit_s),
                start_offset=assignment.start,
                end_offset=assignment.end,
                resources=tuple(assignment.resources),
                groups=tuple(group for group, _ in activity.shares),
            )
        )
    scenario = plan.meta.get("scenario")
    return NewPlan(
        name=name,
        created_by=created_by,
        problem_name=problem.name,
        problem_sha256=problem_sha256(problem),
        scenario_sha256=canonical_sha256(scenario) if isinstance(scenario, Mapping) else None,
        horizon_start=epoch,
        horizon_end=horizon_end,
        time_unit=problem.time_unit,
        solver=solution.solver,
        solver_status=str(solution.status),
        objective=solution.objective,
        bound=solution.bound,
        activity_count=len(problem.activities),
        unplaced_count=len(solution.unplaced),
        document=document,
        activities=tuple(planned),
    )


def problem_sha256(problem: Problem) -> str:
    """The identity of a problem: the SHA-256 of its canonical JSON (plan-format.md)."""
    return canonical_sha256(problem_to_data(problem))


# --- views --------------------------------------------------------------------------------------


def plan_view(record: PlanRecord, current: Publication | None = None) -> JSON:
    return {
        "id": record.id,
        "name": record.name,
        "created_at": format_utc(record.created_at),
        "created_by": record.created_by,
        "problem": {
            "name": record.problem_name,
            "sha256": record.problem_sha256,
            "scenario_sha256": record.scenario_sha256,
        },
        "horizon": {
            "start": format_utc(record.horizon_start),
            "end": format_utc(record.horizon_end),
            "time_unit": record.time_unit,
        },
        "solver": record.solver,
        "solver_status": record.solver_status,
        "objective": record.objective,
        "bound": record.bound,
        "validator_verdict": record.validator_verdict,
        "activities": record.activity_count,
        "scheduled": record.scheduled_count,
        "unplaced": record.unplaced_count,
        "current": current is not None and current.plan_id == record.id,
        "published_at": (
            format_utc(current.published_at)
            if current is not None and current.plan_id == record.id
            else None
        ),
    }


def activity_view(a: PlannedActivity) -> JSON:
    return {
        "activity": a.activity_id,
        "label": a.label,
        "kind": a.kind,
        "project_key": a.project_key,
        "experiment_key": a.experiment_key,
        "start": format_utc(a.start_at),
        "end": format_utc(a.end_at),
        "duration_s": int((a.end_at - a.start_at).total_seconds()),
        "start_offset": a.start_offset,
        "end_offset": a.end_offset,
        "resources": list(a.resources),
        "groups": list(a.groups),
    }


def _page(items: list[JSON], total: int, limit: int, offset: int) -> JSON:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


# --- the use cases ------------------------------------------------------------------------------


class PlanService:
    """Stored plans on one database."""

    def __init__(self, engine: Engine) -> None:
        self.store = PlanStore(engine)

    @classmethod
    def open(cls, database_url: str | None = None) -> PlanService:
        """The service on the project database (created and migrated on first use)."""
        return cls(open_database(database_url))

    def _publication(self) -> Publication | None:
        current = self.store.current()
        return None if current is None else current[1]

    def store_plan(
        self, data: Any, *, name: str, created_by: str, now: datetime, source: str = "plan"
    ) -> JSON:
        """Check a plan document (``spacehome-plan/1`` data) with the validator and store it.

        Nothing is written when the plan is malformed or violates its problem.
        """
        plan = plan_from_data(data, source=source)
        record = self.store.add(new_plan(plan, name=name, created_by=created_by, source=source), now=now)
        return plan_view(record, self._publication())

    def store_plan_file(
        self, path: Path, *, name: str | None, created_by: str, now: datetime, publish: bool = False
    ) -> JSON:
        """Store the plan file at ``path`` (named after the file unless ``name`` is given)."""
        data = read_json(path, what="plan", max_bytes=MAX_PLAN_BYTES)
        view = self.store_plan(data, name=name or path.stem, created_by=created_by, now=now, source=str(path))
        if publish:
            view = self.publish(view["id"], by=created_by, now=now)
        return view

    def list_plans(self, *, limit: int, offset: int) -> JSON:
        page = self.store.list_plans(limit=limit, offset=offset)
        current = self._publication()
        return _page([plan_view(p, current) for p in page.items], page.total, page.limit, page.offset)

    def read_plan(self, plan_id: str) -> JSON:
        return plan_view(self.store.get(plan_id), self._publication())

    def current_plan(self) -> JSON | None:
        """The current plan's view, or ``None`` before any plan was published."""
        current = self.store.current()
        return None if current is None else plan_view(*current)

    def plan_document(self, plan_id: str) -> JSON:
        """The stored plan file, as it would be written by ``spacehome plan solve``."""
        data: JSON = json.loads(self.store.document(plan_id))
        return data

    def plan_activities(
        self,
        plan_id: str,
        *,
        project_key: str | None = None,
        resource: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> JSON:
        """A page of a plan's activities by start time, optionally of one project or resource,
        overlapping ``[start, end)``."""
        _check_range(start, end)
        page = self.store.activities(
            plan_id, project_key=project_key, resource=resource, start=start, end=end,
            limit=limit, offset=offset,
        )
        view = _page([activity_view(a) for a in page.items], page.total, page.limit, page.offset)
        return {"plan": plan_id, **view}

    def publish(self, plan_id: str, *, by: str, now: datetime) -> JSON:
        """Make a stored plan the current one; the previous current plan stops being current."""
        publication = self.store.publish(plan_id, now=now, by=by)
        return plan_view(self.store.get(plan_id), publication)

    def activities_for_project(
        self,
        planner_key: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> JSON:
        """When a project's activities run in the current plan (``plan`` is ``None``, and the
        page empty, before any plan is published). ``planner_key`` is the project's id in the
        scenarios (the activities' ``project:<key>`` tag)."""
        _check_range(start, end)
        current = self.store.current()
        if current is None:
            return {"plan": None, "project_key": planner_key, **_page([], 0, limit, offset)}
        record, publication = current
        page = self.store.activities(
            record.id, project_key=planner_key, start=start, end=end, limit=limit, offset=offset
        )
        return {
            "plan": {
                "id": record.id,
                "name": record.name,
                "published_at": format_utc(publication.published_at),
            },
            "project_key": planner_key,
            **_page([activity_view(a) for a in page.items], page.total, page.limit, page.offset),
        }


def _check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and require_utc(end, "to") <= require_utc(start, "from"):
        raise ValidationError(
            f"'to' ({format_utc(end)}) is not after 'from' ({format_utc(start)}): give a later 'to'"
        )


__all__ = [
    "MAX_PLAN_BYTES",
    "PlanService",
    "activity_view",
    "canonical_sha256",
    "instant",
    "new_plan",
    "plan_view",
    "problem_sha256",
]
