"""The scheduling problem and its solution: plain, frozen values (standard library only).

This is the generic core of the increment planner. Nothing here knows about the station: a
problem is activities, resources, storages and constraints on an integer time axis; the station
layer (:mod:`spacehome.increment`) compiles an increment into one, and PSPLIB instances compile
into one too. Solvers (:mod:`spacehome.planning.cpsat`, :mod:`spacehome.planning.greedy`) read a
:class:`Problem` and return a :class:`Solution`; the validator
(:mod:`spacehome.planning.validate`) checks any solution against the problem without sharing
code with the solvers.

Time
    Integers from 0 to ``horizon`` in the unit named by ``Problem.time_unit`` (``"min"`` for
    station increments, ``"s"`` where seconds matter, ``"period"`` for PSPLIB's abstract
    periods). Intervals are half-open: an activity starting at ``s`` with duration ``d``
    occupies ``[s, s + d)``. ``Problem.epoch`` (ISO 8601 UTC), when given, is the instant of
    time 0.

Semantics (what every solver honours and the validator checks)
    - An activity that is not ``optional`` must be scheduled; an optional one may be left out.
    - ``release <= start``, ``start + duration <= deadline`` (if given), and if ``windows`` are
      given the whole activity lies inside one of them. ``fixed_start`` pins the start.
    - Each :class:`Demand` takes ``amount`` of exactly one of its ``options`` (resource ids) for
      the whole activity; the solution names the chosen one, in demand order.
    - At every time ``t`` the total amount of a resource in use is at most its capacity at ``t``
      (:meth:`Resource.capacity_at`). A capacity-1 resource is a unary resource (a crew member, a
      rack); larger ones are cumulative (power in W, downlink rate).
    - :class:`WorkCap`: for each period ``[offset + k·period, offset + (k+1)·period)``, the sum of
      the durations of the activities holding the resource *and starting in that period* is at
      most ``limit``.
    - :class:`Storage`: every scheduled activity's :class:`Effect` changes the level at its start
      or end; the level, starting at ``initial``, stays within ``[0, capacity]`` at all times
      (effects at the same instant apply together).
    - :class:`Precedence` ``before → after``: when both are scheduled,
      ``start(after) >= end(before) + min_lag`` and, if ``max_lag`` is given,
      ``start(after) <= end(before) + max_lag``. If ``after`` is scheduled, ``before`` must be
      too.
    - :class:`Bundle`: all of its activities are scheduled, or none.
    - :class:`Exclusion`: no activity of ``first`` overlaps any activity of ``second``.

Objective (maximised): see :class:`Objective`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

#: Version tag written into every problem and plan file.
PROBLEM_FORMAT = "spacehome-problem/1"
PLAN_FORMAT = "spacehome-plan/1"

#: Fairness ratios are integers in CP-SAT: delivered / entitled scaled by this.
RATIO_SCALE = 1000


@dataclass(frozen=True)
class Window:
    """Half-open ``[start, end)`` on the problem's time axis."""

    start: int
    end: int

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


@dataclass(frozen=True)
class CapacityStep:
    """From ``time`` on, the resource's capacity is ``capacity`` (until the next step)."""

    time: int
    capacity: int


@dataclass(frozen=True)
class Resource:
    """A renewable resource with a capacity that may change over time.

    ``profile`` steps override ``capacity`` from their time on (sorted by time). A crew member
    asleep, a rack under repair, power in eclipse, a downlink rate that is zero outside ground
    contacts: all are steps.
    """

    id: str
    capacity: int = 1
    profile: tuple[CapacityStep, ...] = ()
    label: str = ""
    tags: tuple[str, ...] = ()

    def capacity_at(self, time: int) -> int:
        value = self.capacity
        for step in self.profile:
            if step.time > time:
                break
            value = step.capacity
        return value

    def max_capacity(self) -> int:
        return max([self.capacity, *(s.capacity for s in self.profile)])


@dataclass(frozen=True)
class Demand:
    """``amount`` of exactly one resource among ``options`` for the activity's whole duration."""

    options: tuple[str, ...]
    amount: int = 1


@dataclass(frozen=True)
class Effect:
    """Changes a storage's level by ``delta`` at the activity's ``at`` (``"start"`` or ``"end"``)."""

    storage: str
    delta: int
    at: str = "end"


@dataclass(frozen=True)
class Activity:
    """One thing to schedule.

    ``shares`` splits the activity's ``value`` among fairness groups, in percent (summing to 100
    when given), for example the partner countries of the project it belongs to.
    """

    id: str
    duration: int
    release: int = 0
    deadline: int | None = None
    windows: tuple[Window, ...] = ()
    demands: tuple[Demand, ...] = ()
    effects: tuple[Effect, ...] = ()
    optional: bool = False
    value: int = 0
    shares: tuple[tuple[str, int], ...] = ()
    fixed_start: int | None = None
    label: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Precedence:
    before: str
    after: str
    min_lag: int = 0
    max_lag: int | None = None


@dataclass(frozen=True)
class Bundle:
    """All or none of ``activities`` are scheduled (setup, run and teardown of one experiment)."""

    activities: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    """No activity of ``first`` may overlap any activity of ``second``."""

    first: tuple[str, ...]
    second: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class WorkCap:
    """Per period, total duration of activities holding ``resource`` and starting in it ≤ ``limit``."""

    resource: str
    period: int
    limit: int
    offset: int = 0
    label: str = ""


@dataclass(frozen=True)
class Storage:
    """A level that activities fill and drain (onboard data storage, in the problem's units)."""

    id: str
    capacity: int
    initial: int = 0
    label: str = ""


@dataclass(frozen=True)
class Group:
    """A fairness group (a country, a project) and its entitlement, in value units."""

    id: str
    entitlement: int
    label: str = ""


class Criterion(StrEnum):
    VALUE = "value"  # total value of scheduled activities (maximise)
    MAKESPAN = "makespan"  # end of the last scheduled activity (minimise)
    FAIRNESS = "fairness"  # minimum over groups of delivered / entitlement (maximise)
    STABILITY = "stability"  # activities moved against the baseline (minimise)


@dataclass(frozen=True)
class Objective:
    """What the solver optimises.

    ``weights`` is an explicit weighted combination, maximised::

        value·w_value − makespan·w_makespan + ratio·w_fairness − moved·w_stability

    where ``ratio`` is ``min_g delivered_g · RATIO_SCALE // entitlement_g``. If ``lexicographic``
    is given instead, the criteria are optimised one after another in that order, each later one
    holding the earlier ones at their optimum (``weights`` is then ignored).
    """

    weights: Mapping[Criterion, int] = field(default_factory=lambda: {Criterion.VALUE: 1})
    lexicographic: tuple[Criterion, ...] = ()


@dataclass(frozen=True)
class BaselineEntry:
    """Where an activity was in the previous plan (for the stability criterion)."""

    activity: str
    start: int
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    name: str
    horizon: int
    time_unit: str = "min"
    epoch: str | None = None
    activities: tuple[Activity, ...] = ()
    resources: tuple[Resource, ...] = ()
    storages: tuple[Storage, ...] = ()
    precedences: tuple[Precedence, ...] = ()
    bundles: tuple[Bundle, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    work_caps: tuple[WorkCap, ...] = ()
    groups: tuple[Group, ...] = ()
    objective: Objective = field(default_factory=Objective)
    baseline: tuple[BaselineEntry, ...] = ()

    def activity(self, activity_id: str) -> Activity:
        for a in self.activities:
            if a.id == activity_id:
                return a
        raise KeyError(activity_id)


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"  # no feasible solution found within the limits


@dataclass(frozen=True)
class Assignment:
    """A scheduled activity: its start, end and chosen resource for each demand (in order)."""

    activity: str
    start: int
    end: int
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unplaced:
    """An activity the solution does not schedule, and why."""

    activity: str
    reason: str


@dataclass(frozen=True)
class Solution:
    """What a solver returns. ``objective`` and ``bound`` are in the objective's own units.

    ``gap`` is ``|bound − objective| / max(1, |objective|)`` (0 when proven optimal, ``None``
    when unknown). ``conflicts`` names the constraints that make an infeasible problem
    infeasible, one line each, when the solver can tell.
    """

    status: Status
    solver: str
    assignments: tuple[Assignment, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    wall_s: float = 0.0
    conflicts: tuple[str, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)

    def by_activity(self) -> dict[str, Assignment]:
        return {a.activity: a for a in self.assignments}


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(bound - objective) / max(1.0, abs(objective))


def activities_by_id(activities: Sequence[Activity]) -> dict[str, Activity]:
    return {a.id: a for a in activities}
