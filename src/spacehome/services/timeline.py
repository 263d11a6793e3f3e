"""The Timeline page's read model: one stored plan as lanes, resource profiles, orbit bands,
unscheduled activities with their reasons, and shares per country.

Everything comes from the stored plan file (problem and solution, as the validator accepted them)
except the orbit bands, which the orbit engine computes for the plan's horizon
(:func:`spacehome.services.orbit.eclipses_view` and :func:`~spacehome.services.orbit.contacts_view`).

The view is compact because a 30-day plan has 1,500+ scheduled activities: each activity is listed
once (``activities``) and lanes refer to it by index, as activities refer to ``resources`` by
index; every time is an integer number of seconds from ``horizon.start`` (ISO 8601 UTC): ``s`` and
``e`` of an activity, ``t`` of a profile step, both ends of a band (clipped to the horizon).

Lanes: one per crew member (its work on ``crew:<id>`` and its crew-day items on ``crew-day:<id>``,
which never overlap), one per rack, one per external adapter, a ``downlink`` lane for the
activities that hold the downlink, and an ``other`` lane for scheduled activities that hold none of
those (fixed station events without crew, for example).

Profiles (step functions ``[t, used, capacity]``; a step holds until the next one): payload power
(the resource tagged ``power``), downlink rate (tagged ``downlink``) and onboard storage (the
problem's first storage: ``[t, level, capacity]``). A profile the plan's problem does not model is
listed with ``modelled: false`` and no steps; nothing is invented.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from spacehome.domain.instant import format_utc
from spacehome.increment.shares import shares
from spacehome.planning.files import PlanFile, plan_from_data
from spacehome.planning.problem import Activity, Problem, Resource, Solution, activities_by_id
from spacehome.services import orbit
from spacehome.services.plans import UNIT_SECONDS, PlanService, activity_kind, activity_tag, instant

JSON = dict[str, Any]

#: Lane kinds, in the order the page shows them.
LANE_KINDS: Final = ("crew", "rack", "adapter", "downlink", "other")
#: How many plans' views are kept in memory (plans are immutable, so a view never goes stale).
CACHED_PLANS: Final = 4
#: How long orbit bands are reused (seconds): a newer element set may be imported meanwhile.
BANDS_TTL_S: Final = 600.0
#: Orbit bands are computed for at most this many days from the horizon start.
MAX_BAND_DAYS: Final = int(orbit.MAX_DAYS)


def _lane_kind(resource: Resource) -> str | None:
    return next((k for k in ("crew", "rack", "adapter") if k in resource.tags), None)


def _activities_and_lanes(problem: Problem, solution: Solution, unit_s: int) -> tuple[list[JSON], list[JSON]]:
    acts = activities_by_id(problem.activities)
    resource_index = {r.id: i for i, r in enumerate(problem.resources)}
    lane_of: dict[str, JSON] = {}
    lanes: list[JSON] = []
    crew_day_lane: dict[str, JSON] = {}
    for r in problem.resources:
        kind = _lane_kind(r)
        if kind is None:
            continue
        lane: JSON = {"id": r.id, "label": r.label or r.id, "kind": kind, "items": []}
        lane_of[r.id] = lane
        if kind == "crew":
            crew_day_lane[f"crew-day:{r.id.split(':', 1)[1]}"] = lane
        lanes.append(lane)
    downlink_ids = {r.id for r in problem.resources if "downlink" in r.tags}
    downlink_lane: JSON = {"id": "downlink", "label": "Downlink", "kind": "downlink", "items": []}
    other_lane: JSON = {"id": "other", "label": "Other station activities", "kind": "other", "items": []}
    lanes.sort(key=lambda lane: LANE_KINDS.index(lane["kind"]))
    activities: list[JSON] = []
    for index, s in enumerate(sorted(solution.assignments, key=lambda a: (a.start, a.activity))):
        activity = acts.get(s.activity)
        view: JSON = {
            "id": s.activity,
            "label": (activity.label if activity and activity.label else s.activity),
            "kind": activity_kind(activity) if activity else "activity",
            "s": s.start * unit_s,
            "e": s.end * unit_s,
            "resources": [resource_index[r] for r in s.resources if r in resource_index],
        }
        if activity is not None:
            project = activity_tag(activity, "project:")
            if project:
                view["project"] = project
            experiment = activity_tag(activity, "experiment:")
            if experiment:
                view["experiment"] = experiment
            if activity.value:
                view["value"] = activity.value
        activities.append(view)
        placed = False
        for rid in dict.fromkeys(s.resources):
            found = lane_of.get(rid) or crew_day_lane.get(rid)
            if found is not None:
                found["items"].append(index)
                placed = True
            elif rid in downlink_ids:
                downlink_lane["items"].append(index)
                placed = True
        if not placed:
            other_lane["items"].append(index)
    for extra in (downlink_lane, other_lane):
        if extra["items"]:
            lanes.append(extra)
    return activities, lanes


def _resource_profile(
    resource: Resource, problem: Problem, acts: Mapping[str, Activity], solution: Solution, unit_s: int
) -> list[list[int]]:
    delta: dict[int, int] = {}
    for s in solution.assignments:
        activity = acts.get(s.activity)
        if activity is None:
            continue
        for demand, chosen in zip(activity.demands, s.resources, strict=False):
            if chosen == resource.id:
                delta[s.start] = delta.get(s.start, 0) + demand.amount
                delta[s.end] = delta.get(s.end, 0) - demand.amount
    times = sorted({0, *delta, *(step.time for step in resource.profile if step.time < problem.horizon)})
    steps: list[list[int]] = []
    used = 0
    for t in times:
        used += delta.get(t, 0)
        capacity = resource.capacity_at(t)
        if not steps or steps[-1][1] != used or steps[-1][2] != capacity:
            steps.append([t * unit_s, used, capacity])
    return steps


def _storage_profile(
    problem: Problem, acts: Mapping[str, Activity], solution: Solution, unit_s: int
) -> list[list[int]]:
    storage = problem.storages[0]
    delta: dict[int, int] = {}
    for s in solution.assignments:
        activity = acts.get(s.activity)
        if activity is None:
            continue
        for effect in activity.effects:
            if effect.storage == storage.id:
                at = s.start if effect.at == "start" else s.end
                delta[at] = delta.get(at, 0) + effect.delta
    level = storage.initial
    steps = [[0, level, storage.capacity]]
    for t in sorted(delta):
        level += delta[t]
        if t == 0:
            steps[0][1] = level
        elif level != steps[-1][1]:
            steps.append([t * unit_s, level, storage.capacity])
    return steps


def _profiles(problem: Problem, solution: Solution, unit_s: int) -> list[JSON]:
    acts = activities_by_id(problem.activities)
    out: list[JSON] = []
    for tag, label, unit in (("power", "Payload power", "W"), ("downlink", "Downlink rate", "Mbit/min")):
        resource = next((r for r in problem.resources if tag in r.tags), None)
        if resource is None:
            out.append({"id": tag, "label": label, "unit": unit, "modelled": False,
                        "note": f"the plan's problem has no {tag} resource", "steps": []})
            continue
        out.append({"id": tag, "label": label, "unit": unit, "modelled": True,
                    "resource": resource.id, "steps": _resource_profile(resource, problem, acts, solution, unit_s)})
    if problem.storages:
        storage = problem.storages[0]
        out.append({"id": "storage", "label": "Onboard storage", "unit": "Mbit", "modelled": True,
                    "resource": storage.id, "steps": _storage_profile(problem, acts, solution, unit_s)})
    else:
        out.append({"id": "storage", "label": "Onboard storage", "unit": "Mbit", "modelled": False,
                    "note": "the plan's problem has no storage", "steps": []})
    return out


def _unscheduled(problem: Problem, solution: Solution) -> list[JSON]:
    acts = activities_by_id(problem.activities)
    rows = []
    for u in solution.unplaced:
        activity = acts.get(u.activity)
        row: JSON = {
            "activity": u.activity,
            "label": (activity.label if activity and activity.label else u.activity),
            "kind": activity_kind(activity) if activity else "activity",
            "optional": bool(activity.optional) if activity else True,
            "reason": u.reason,
        }
        if activity is not None:
            row["project"] = activity_tag(activity, "project:")
            row["value"] = activity.value
        rows.append(row)
    return rows


def plan_timeline(plan: PlanFile) -> JSON:
    """Everything of the view that comes from the plan file alone (no orbit bands, no record)."""
    problem, solution = plan.problem, plan.solution
    unit_s = UNIT_SECONDS[problem.time_unit]
    epoch = instant(str(problem.epoch), "problem.epoch")
    activities, lanes = _activities_and_lanes(problem, solution, unit_s)
    groups = {g.id: g.label for g in problem.groups}
    return {
        "horizon": {
            "start": format_utc(epoch),
            "end": format_utc(epoch + timedelta(seconds=problem.horizon * unit_s)),
            "seconds": problem.horizon * unit_s,
        },
        "resources": [{"id": r.id, "label": r.label or r.id} for r in problem.resources],
        "lanes": lanes,
        "activities": activities,
        "profiles": _profiles(problem, solution, unit_s),
        "unscheduled": _unscheduled(problem, solution),
        "shares": [
            {**{k: v for k, v in vars(s).items()}, "label": groups.get(s.country, s.country)}
            for s in shares(problem, solution)
        ],
    }


def _offset(text: str | None, start: datetime, default: int, covered: int) -> int:
    """Seconds from ``start`` (clipped to the covered span); ``default`` when unknown."""
    if text is None:
        return default
    return min(max(round((instant(text, "band") - start).total_seconds()), 0), covered)


def orbit_bands(start: datetime, end: datetime, *, database_url: str | None) -> JSON:
    """Eclipses (shadow entry to exit) and ground contacts per station over ``[start, end)``, as
    seconds from ``start``, computed by the orbit engine with the element set it chooses."""
    span_s = round((end - start).total_seconds())
    days = min(span_s / 86400.0, float(MAX_BAND_DAYS))
    eclipses = orbit.eclipses_view(start, days, database_url=database_url)
    contacts = orbit.contacts_view(start, days, database_url=database_url)
    covered = round(days * 86400)
    by_station: dict[str, list[list[int]]] = {s["id"]: [] for s in contacts["stations"]}
    for c in contacts["contacts"]:
        by_station[c["station"]].append([_offset(c["acquisition"], start, 0, covered), _offset(c["loss"], start, covered, covered)])
    return {
        "covered_seconds": covered,
        "eclipses": [
            [_offset(x["shadow_entry"], start, 0, covered), _offset(x["shadow_exit"], start, covered, covered)]
            for x in eclipses["eclipses"]
        ],
        "eclipse_model": eclipses["model"],
        "stations": [
            {"id": s["id"], "name": s["name"], "country": s["country"], "contacts": by_station[s["id"]]}
            for s in contacts["stations"]
        ],
        "element_set": eclipses["element_set"],
    }


class _Lru:
    """A small thread-safe cache with optional expiry."""

    def __init__(self, size: int, ttl_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.ttl_s, self.clock = size, ttl_s, clock
        self.items: OrderedDict[Any, tuple[float, JSON]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], JSON]) -> JSON:
        with self.lock:
            hit = self.items.get(key)
            if hit is not None and (self.ttl_s is None or self.clock() - hit[0] < self.ttl_s):
                self.items.move_to_end(key)
                return hit[1]
        value = make()
        with self.lock:
            self.items[key] = (self.clock(), value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


class TimelineService:
    """The Timeline view of stored plans on one database."""

    def __init__(self, plans: PlanService, database_url: str | None) -> None:
        self.plans = plans
        self.database_url = database_url
        self._views = _Lru(CACHED_PLANS)
        self._bands = _Lru(CACHED_PLANS, BANDS_TTL_S)

    def _plan_part(self, plan_id: str) -> JSON:
        return plan_timeline(plan_from_data(self.plans.plan_document(plan_id), source=f"plan {plan_id}"))

    def timeline(self, plan_id: str) -> JSON:
        """The whole view of one stored plan (404 for an unknown id)."""
        plan = self.plans.read_plan(plan_id)
        part = self._views.get(plan_id, lambda: self._plan_part(plan_id))
        start = instant(part["horizon"]["start"], "horizon.start")
        end = instant(part["horizon"]["end"], "horizon.end")
        bands = self._bands.get(
            (start, end), lambda: orbit_bands(start, end, database_url=self.database_url)
        )
        return {"plan": plan, **part, "bands": bands}


def lane_items(view: JSON, lane_id: str) -> Iterable[JSON]:
    """The activities of one lane of a view (for tests and tools)."""
    lane = next(lane for lane in view["lanes"] if lane["id"] == lane_id)
    return [view["activities"][i] for i in lane["items"]]


__all__ = ["TimelineService", "lane_items", "orbit_bands", "plan_timeline"]
