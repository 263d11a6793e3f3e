"""Replanning: freeze what has happened, change the problem, and compare the new plan to the old.

These are generic operations on a :class:`Problem` and its previous :class:`Solution`; the
station layer (:mod:`spacehome.increment.disruptions`) turns a disruption (a cargo ship
delayed, a debris-avoidance manoeuvre, a crew member unavailable, a rack failure) into them.

- :func:`freeze` pins every activity that started before ``now`` (done or in progress) to its
  start and its chosen resources, drops optional activities that were not scheduled and whose
  time has passed, keeps everything else free but not earlier than ``now``, and records the old
  plan as the baseline for the stability criterion. Bundles then bind only what is still to
  come: a setup already done does not force a run that can no longer happen.
- :func:`with_outage`, :func:`with_fixed_activity`, :func:`with_delay` are the edits.
- :func:`compare` reports moved, added, removed and unchanged activities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from spacehome.errors import ValidationError
from spacehome.planning.problem import (
    Activity,
    BaselineEntry,
    CapacityStep,
    Criterion,
    Demand,
    Exclusion,
    Objective,
    Problem,
    Resource,
    Solution,
    Window,
)

#: Default weight of one moved activity against one unit of value in a replanning objective.
STABILITY_WEIGHT = 10


def freeze(problem: Problem, previous: Solution, now: int, *, stability_weight: int = STABILITY_WEIGHT) -> Problem:
    """The problem from ``now`` on, with the past and the activities in progress fixed."""
    if not 0 <= now <= problem.horizon:
        raise ValidationError(f"replanning time {now} is outside the horizon 0..{problem.horizon} {problem.time_unit}")
    placed = previous.by_activity()
    started = {s.activity for s in previous.assignments if s.start < now}
    activities: list[Activity] = []
    for a in problem.activities:
        done = placed.get(a.id)
        if done is not None and done.start < now:
            activities.append(_pin(a, done.start, done.resources))
        elif a.fixed_start is not None:
            activities.append(a)
        else:
            latest_end = problem.horizon if a.deadline is None else min(a.deadline, problem.horizon)
            release = max(a.release, now)
            if release + a.duration > latest_end:
                if a.optional:
                    continue  # its chance has passed
                raise ValidationError(
                    f"activity '{a.id}' was not started by {now} {problem.time_unit} and can no longer "
                    f"meet its deadline {latest_end}; replan from an earlier time or relax it"
                )
            activities.append(replace(a, release=release))
    kept = {a.id for a in activities}
    open_ = {a.id for a in activities if a.fixed_start is None or a.id not in started}
    weights = dict(problem.objective.weights)
    weights[Criterion.STABILITY] = max(weights.get(Criterion.STABILITY, 0), stability_weight)
    return replace(
        problem,
        activities=tuple(activities),
        precedences=tuple(p for p in problem.precedences if p.before in kept and p.after in kept),
        bundles=tuple(  # over what is still to come: what has started is a fact now
            replace(b, activities=tuple(x for x in b.activities if x in open_))
            for b in problem.bundles
            if sum(x in open_ for x in b.activities) > 1
        ),
        exclusions=tuple(
            replace(x, first=tuple(i for i in x.first if i in kept), second=tuple(i for i in x.second if i in kept))
            for x in problem.exclusions
        ),
        objective=Objective(weights=weights, lexicographic=problem.objective.lexicographic),
        baseline=tuple(
            BaselineEntry(s.activity, s.start, s.resources) for s in previous.assignments if s.activity in kept
        ),
    )


def _pin(a: Activity, start: int, resources: tuple[str, ...]) -> Activity:
    demands = tuple(
        Demand(options=(chosen,), amount=d.amount) for d, chosen in zip(a.demands, resources, strict=False)
    )
    return replace(a, fixed_start=start, release=min(a.release, start), demands=demands or a.demands, optional=False)


def with_outage(problem: Problem, resource_id: str, start: int, end: int) -> Problem:
    """The resource has no capacity in ``[start, end)`` (a crew member sick, a rack failed)."""
    if end <= start:
        raise ValidationError(f"outage of '{resource_id}' ends ({end}) before it starts ({start})")

    def edit(r: Resource) -> Resource:
        before = r.capacity_at(end)
        steps = [s for s in r.profile if not start <= s.time <= end]
        steps += [CapacityStep(start, 0), CapacityStep(end, before)] if end < problem.horizon else [CapacityStep(start, 0)]
        return replace(r, profile=tuple(sorted(steps, key=lambda s: s.time)))

    return _edit_resource(problem, resource_id, edit)


def _edit_resource(problem: Problem, resource_id: str, edit: Callable[[Resource], Resource]) -> Problem:
    if resource_id not in {r.id for r in problem.resources}:
        known = ", ".join(sorted(r.id for r in problem.resources))
        raise ValidationError(f"unknown resource '{resource_id}'; the plan has: {known}")
    return replace(problem, resources=tuple(edit(r) if r.id == resource_id else r for r in problem.resources))


def with_fixed_activity(problem: Problem, activity: Activity, *, excludes_tag: str | None = None) -> Problem:
    """Insert a fixed activity; if ``excludes_tag`` is given, no activity with that tag may overlap it."""
    if activity.fixed_start is None:
        raise ValidationError(f"inserted activity '{activity.id}' needs a fixed start")
    if activity.id in {a.id for a in problem.activities}:
        raise ValidationError(f"an activity '{activity.id}' already exists; give the new one another id")
    exclusions = problem.exclusions
    if excludes_tag is not None:
        tagged = tuple(a.id for a in problem.activities if excludes_tag in a.tags)
        if tagged:
            exclusions += (Exclusion(first=tagged, second=(activity.id,), label=f"{excludes_tag} vs {activity.id}"),)
    return replace(problem, activities=(*problem.activities, activity), exclusions=exclusions)


def fits(a: Activity, horizon: int) -> bool:
    """Whether the activity can still be placed at all: release, deadline, windows, horizon."""
    latest_end = horizon if a.deadline is None else min(a.deadline, horizon)
    if a.fixed_start is not None:
        starts_ok = a.release <= a.fixed_start and a.fixed_start + a.duration <= latest_end
        return starts_ok and (not a.windows or any(w.contains(a.fixed_start, a.fixed_start + a.duration) for w in a.windows))
    if a.release + a.duration > latest_end:
        return False
    return not a.windows or any(max(w.start, a.release) + a.duration <= min(w.end, latest_end) for w in a.windows)


def with_delay(problem: Problem, delay: int, *, move: str | None = None, release: str | None = None) -> Problem:
    """A late arrival: activities tagged ``move`` shift entirely by ``delay`` (start, release,
    deadline, windows: the vehicle's own docking and unpacking); other activities tagged
    ``release`` may only start ``delay`` later (the experiments its cargo enables).

    Optional activities that can no longer fit are left out (and reported as removed by
    :func:`compare`); so are shifted events that leave the horizon.
    """
    if delay < 0:
        raise ValidationError(f"a delay must not be negative, not {delay}")
    found = False
    out: list[Activity] = []
    for a in problem.activities:
        if move is not None and move in a.tags:
            found = True
            a = replace(
                a,
                release=a.release + delay,
                deadline=None if a.deadline is None else a.deadline + delay,
                fixed_start=None if a.fixed_start is None else a.fixed_start + delay,
                windows=tuple(Window(w.start + delay, w.end + delay) for w in a.windows),
            )
            if a.fixed_start is not None and a.fixed_start + a.duration > problem.horizon:
                continue  # moved beyond the horizon: no longer part of this increment
            if a.deadline is not None and a.deadline > problem.horizon and not fits(a, problem.horizon):
                a = replace(a, deadline=problem.horizon)
        elif release is not None and release in a.tags:
            found = True
            a = replace(a, release=a.release + delay)
        if a.optional and not fits(a, problem.horizon):
            continue  # can no longer happen in time
        out.append(a)
    if not found:
        names = " or ".join(t for t in (move, release) if t)
        raise ValidationError(f"no activity is tagged {names}; check the vehicle or tag name")
    return replace(problem, activities=tuple(out))


@dataclass(frozen=True)
class Move:
    activity: str
    old_start: int | None
    new_start: int | None
    old_resources: tuple[str, ...] = ()
    new_resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Difference:
    """How a new plan differs from the previous one, activity by activity."""

    moved: tuple[Move, ...]
    added: tuple[Move, ...]
    removed: tuple[Move, ...]
    unchanged: int

    def summary(self) -> Mapping[str, int]:
        return {"moved": len(self.moved), "added": len(self.added), "removed": len(self.removed), "unchanged": self.unchanged}


def compare(previous: Solution, new: Solution) -> Difference:
    old = previous.by_activity()
    now = new.by_activity()
    moved: list[Move] = []
    added: list[Move] = []
    removed: list[Move] = []
    unchanged = 0
    for key in sorted(old.keys() | now.keys()):
        a, b = old.get(key), now.get(key)
        if a is None and b is not None:
            added.append(Move(key, None, b.start, (), b.resources))
        elif b is None and a is not None:
            removed.append(Move(key, a.start, None, a.resources, ()))
        elif a is not None and b is not None:
            if a.start != b.start or a.resources != b.resources:
                moved.append(Move(key, a.start, b.start, a.resources, b.resources))
            else:
                unchanged += 1
    return Difference(tuple(moved), tuple(added), tuple(removed), unchanged)
