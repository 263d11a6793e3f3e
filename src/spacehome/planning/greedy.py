"""The greedy baseline: a serial list scheduler with event-point search.

It places activities one at a time, each at its earliest feasible start, and never moves a
placement once its unit is complete. It is fast (about a second for a 30-day increment of
~1,200 activities in minutes), deterministic and honours every constraint, so it gives the
CP-SAT solver a yardstick and the planner an answer when CP-SAT has no time to run. It proves
nothing: a mandatory activity it cannot place makes the status UNKNOWN, not INFEASIBLE.

Order
    Activities are grouped into *units*: the members of a bundle, and activities linked by a
    precedence with a maximum lag, are one unit (overlapping ones merge, and so do units tied up
    in a precedence cycle). Mandatory units come first (those with a fixed start first, then by
    earliest deadline); an optional activity that a mandatory one needs (a predecessor, a bundle
    partner) counts as mandatory. Optional units follow by value per unit of duration × demand
    (each demand's amount relative to the largest capacity among its options). The order is
    topological: an activity's predecessors are always decided before it is.

Placing a unit
    All members together, each at its earliest feasible start after its predecessors; if one
    misses the latest start a maximum lag gives it, the unit is rolled back and retried with its
    first member later by the overshoot (a few times). Failing that, members are placed one by
    one and then any incomplete bundle, and anything whose predecessor is missing, is taken out
    again: bundles are always all-or-nothing. A second and third pass retry what failed, since
    later placements (a drain of a storage, say) can open room that was not there before.

Search
    For one activity, candidate starts come from its release, window starts and the ends of
    whatever blocked the previous candidate (a busy stretch of a resource, a work-cap period, a
    storage event, an excluded activity), never from a minute-by-minute scan. Resources are step
    functions of free capacity (capacity profile minus use), kept as sorted breakpoint lists.

A stability objective (a baseline and a non-zero ``stability`` weight, or ``stability`` in a
lexicographic objective) makes it try each activity's baseline start and resources first.
"""

from __future__ import annotations

import heapq
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from spacehome.planning.explain import OBJECTIVE_REASON, explain_unplaced
from spacehome.planning.problem import (
    Activity,
    Assignment,
    BaselineEntry,
    Criterion,
    Problem,
    Solution,
    Status,
    Unplaced,
)
from spacehome.planning.solver import Progress, ProgressCallback, SolveOptions
from spacehome.planning.validate import objective_terms, weighted_objective

#: Larger than any time on a problem's axis (a "never" for jumps).
_NEVER = 1 << 62
_MINUS_INF = -(1 << 62)
#: How often a unit is retried with its first member pushed later, after a later member failed.
_BUNDLE_RETRIES = 25
#: ... and at most about this many placements in all for one unit (a long chain retries less).
_RETRY_PLACEMENTS = 500
_DEFAULT_OPTIONS = SolveOptions()
#: Passes over the activities: later passes retry what failed, since later placements (a drain
#: of a storage, say) can open room that was not there when an activity was first tried.
_PASSES = 3


class GreedySolver:
    """Serial list scheduling: earliest feasible start, mandatory activities first."""

    name = "greedy"

    def solve(
        self,
        problem: Problem,
        options: SolveOptions = _DEFAULT_OPTIONS,
        progress: ProgressCallback | None = None,
    ) -> Solution:
        started = time.perf_counter()
        state = _State(problem)
        state.run(deadline=started + max(0.0, options.time_limit_s))
        assignments = tuple(
            Assignment(a.id, s, s + a.duration, state.chosen[a.id])
            for a in problem.activities
            if (s := state.start.get(a.id)) is not None
        )
        reasons = _reasons(problem, assignments, state.reasons)
        unplaced = tuple(
            Unplaced(a.id, reason) for a in problem.activities if (reason := reasons.get(a.id)) is not None
        )
        terms = objective_terms(problem, assignments)
        objective = _stated_objective(problem, terms)
        failed_mandatory = [a.id for a in problem.activities if not a.optional and a.id not in state.start]
        status = Status.UNKNOWN if failed_mandatory else Status.FEASIBLE
        wall = time.perf_counter() - started
        if progress is not None:
            progress(Progress(wall_s=wall, objective=objective, bound=None, solutions=0 if failed_mandatory else 1))
        # the same keys as the CP-SAT solver's metrics
        metrics = {
            "value": terms["value"],
            "makespan": terms["makespan"],
            "fairness": terms["fairness"],
            "stability": terms["moved"],
            "scheduled": float(len(assignments)),
            "unplaced": float(len(unplaced)),
        }
        return Solution(
            status=status,
            solver=self.name,
            assignments=assignments,
            unplaced=unplaced,
            objective=objective,
            bound=None,
            gap=None,
            wall_s=wall,
            metrics=metrics,
        )


def _reasons(problem: Problem, assignments: Sequence[Assignment], own: dict[str, str]) -> dict[str, str]:
    """Why each activity is not in the plan: :func:`~spacehome.planning.explain.explain_unplaced`
    (the reasons every solver gives, worked out from the finished plan), or the greedy search's
    own finding where that says the activity would still fit (it was tried when it did not), with
    ``mandatory;`` in front for activities that had to be scheduled."""
    explained = explain_unplaced(problem, assignments)
    placed = {a.activity for a in assignments}
    out: dict[str, str] = {}
    for a in problem.activities:
        if a.id in placed:
            continue
        reason = explained.get(a.id, OBJECTIVE_REASON)
        if reason == OBJECTIVE_REASON and a.id in own:
            reason = own[a.id].removeprefix("mandatory; ")
        out[a.id] = reason if a.optional else f"mandatory; {reason}"
    return out


def _stated_objective(problem: Problem, terms: dict[str, float]) -> float:
    """The weighted objective; for a lexicographic one, the first criterion, as maximised."""
    objective = problem.objective
    if not objective.lexicographic:
        return weighted_objective(objective, terms)
    first = objective.lexicographic[0]
    sign = -1.0 if first in (Criterion.MAKESPAN, Criterion.STABILITY) else 1.0
    key = {Criterion.VALUE: "value", Criterion.MAKESPAN: "makespan", Criterion.FAIRNESS: "fairness",
           Criterion.STABILITY: "moved"}[first]
    return sign * terms[key]


# -- data structures ---------------------------------------------------------------------------


class _Steps:
    """A step function on the integers: ``values[i]`` holds on ``[times[i], times[i + 1])``."""

    __slots__ = ("times", "values")

    def __init__(self, base: int, steps: Sequence[tuple[int, int]] = ()) -> None:
        self.times = [_MINUS_INF]
        self.values = [base]
        for t, v in steps:
            if t == self.times[-1]:
                self.values[-1] = v
            else:
                self.times.append(t)
                self.values.append(v)

    def _split(self, t: int) -> int:
        i = bisect_left(self.times, t)
        if i < len(self.times) and self.times[i] == t:
            return i
        self.times.insert(i, t)
        self.values.insert(i, self.values[i - 1])
        return i

    def add(self, start: int, end: int, delta: int) -> None:
        if end <= start or delta == 0:
            return
        i = self._split(start)
        j = self._split(end)
        values = self.values
        for k in range(i, j):
            values[k] += delta

    def blocked_until(self, start: int, end: int, need: int) -> int | None:
        """``None`` if the value is ≥ ``need`` all over ``[start, end)``; else the end of the
        first stretch (from the first failing segment on) where it is not, which is the
        earliest start at which that stretch no longer gets in the way."""
        times, values = self.times, self.values
        n = len(times)
        i = bisect_right(times, start) - 1
        while i < n and times[i] < end:
            if values[i] < need:
                j = i + 1
                while j < n and values[j] < need:
                    j += 1
                return times[j] if j < n else _NEVER
            i += 1
        return None


class _Level:
    """A storage level: events (time → total delta), levels after each event time, suffix extrema."""

    def __init__(self, initial: int, capacity: int) -> None:
        self.initial = initial
        self.capacity = capacity
        self.events: dict[int, int] = {}
        self.times: list[int] = []
        self.levels: list[int] = []
        self.sufmin: list[int] = []
        self.sufmax: list[int] = []

    def add(self, t: int, delta: int) -> None:
        self.events[t] = self.events.get(t, 0) + delta
        self._rebuild()

    def _rebuild(self) -> None:
        self.times = sorted(self.events)
        level = self.initial
        self.levels = []
        for t in self.times:
            level += self.events[t]
            self.levels.append(level)
        n = len(self.levels)
        self.sufmin = [0] * n
        self.sufmax = [0] * n
        lo, hi = _NEVER, -_NEVER
        for k in range(n - 1, -1, -1):
            lo = min(lo, self.levels[k])
            hi = max(hi, self.levels[k])
            self.sufmin[k], self.sufmax[k] = lo, hi

    def _at(self, t: int) -> int:
        i = bisect_right(self.times, t) - 1
        return self.levels[i] if i >= 0 else self.initial

    def fits(self, changes: Sequence[tuple[int, int]]) -> bool:
        """Whether adding ``changes`` (time, delta), sorted by time, keeps the level in range."""
        offset = 0
        times = self.times
        for j, (t, delta) in enumerate(changes):
            offset += delta
            if offset == 0 or (j + 1 < len(changes) and changes[j + 1][0] == t):
                continue
            lo = hi = self._at(t)
            first = bisect_right(times, t)
            if j + 1 == len(changes):
                if first < len(times):
                    lo, hi = min(lo, self.sufmin[first]), max(hi, self.sufmax[first])
            else:
                stop = bisect_left(times, changes[j + 1][0])
                for k in range(first, stop):
                    lv = self.levels[k]
                    lo, hi = min(lo, lv), max(hi, lv)
            if lo + offset < 0 or hi + offset > self.capacity:
                return False
        return True

    def earliest(self, delta: int) -> int:
        """The earliest time at which a single change by ``delta`` keeps the level in range from
        then on (whether it fits is monotone in the time for one change); ``_NEVER`` if none."""
        if delta == 0:
            return _MINUS_INF
        n = len(self.levels)
        # event levels from index ``lo`` on are all fine with the change (the suffix extrema are
        # monotone, so a binary search finds the first such index)
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            bad = self.sufmax[mid] + delta > self.capacity if delta > 0 else self.sufmin[mid] + delta < 0
            if bad:
                lo = mid + 1
            else:
                hi = mid
        if lo == n and n > 0:
            return _NEVER
        if lo > 0:
            return self.times[lo]
        if 0 <= self.initial + delta <= self.capacity:
            return _MINUS_INF
        return self.times[0] if n else _NEVER

    def next_change(self, x: int) -> int:
        """The first ``y > x`` at which the events at or after ``y`` differ from those for ``x``."""
        if x in self.events:
            return x + 1
        i = bisect_right(self.times, x)
        return self.times[i] if i < len(self.times) else _NEVER


class _Blocked(NamedTuple):
    """A candidate start that does not fit: the next start worth trying, and what blocked it."""

    next: int
    cause: str


@dataclass
class _Unit:
    members: list[str]
    mandatory: bool = False
    key: tuple[float, ...] = ()
    succ: set[int] = field(default_factory=set)
    npred: int = 0


# -- the scheduler -----------------------------------------------------------------------------


class _State:
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.acts: dict[str, Activity] = {a.id: a for a in problem.activities}
        self.index = {a.id: k for k, a in enumerate(problem.activities)}
        self.start: dict[str, int] = {}
        self.chosen: dict[str, tuple[str, ...]] = {}
        self.reasons: dict[str, str] = {}
        self.failed: set[str] = set()
        self.unit_of: dict[str, int] = {}

        self.free: dict[str, _Steps] = {
            r.id: _Steps(r.capacity, [(s.time, s.capacity) for s in r.profile]) for r in problem.resources
        }
        self.maxcap = {r.id: r.max_capacity() for r in problem.resources}
        self.caps_on: dict[str, list[int]] = defaultdict(list)
        for k, cap in enumerate(problem.work_caps):
            self.caps_on[cap.resource].append(k)
        self.cap_used: list[dict[int, int]] = [defaultdict(int) for _ in problem.work_caps]
        self.levels = {s.id: _Level(s.initial, s.capacity) for s in problem.storages}
        # exclusions: per side a step function that is 1 where free, below 1 where taken
        self.excl: list[tuple[_Steps, _Steps]] = [(_Steps(1), _Steps(1)) for _ in problem.exclusions]
        self.excl_check: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.excl_mark: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for k, x in enumerate(problem.exclusions):
            for side, ids in ((0, x.first), (1, x.second)):
                for i in dict.fromkeys(ids):
                    self.excl_mark[i].append((k, side))
                    self.excl_check[i].append((k, 1 - side))
        self.preds: dict[str, list[tuple[str, int, int | None]]] = defaultdict(list)
        self.succs: dict[str, list[tuple[str, int, int | None]]] = defaultdict(list)
        for p in problem.precedences:
            self.preds[p.after].append((p.before, p.min_lag, p.max_lag))
            self.succs[p.before].append((p.after, p.min_lag, p.max_lag))
        self.partners: dict[str, list[str]] = defaultdict(list)
        for bundle in problem.bundles:
            for i in bundle.activities:
                self.partners[i].extend(j for j in bundle.activities if j != i and j not in self.partners[i])
        self.allowed = {a.id: _allowed_starts(a, problem.horizon) for a in problem.activities}
        stability = Criterion.STABILITY in problem.objective.lexicographic or (
            not problem.objective.lexicographic and problem.objective.weights.get(Criterion.STABILITY, 0) > 0
        )
        self.baseline: dict[str, BaselineEntry] = (
            {b.activity: b for b in problem.baseline if b.activity in self.acts} if stability else {}
        )

    # -- order ---------------------------------------------------------------------------------

    def units(self) -> list[_Unit]:
        ids = [a.id for a in self.problem.activities]
        parent = {i: i for i in ids}

        def find(i: str) -> str:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        links = [(b.activities[0], other) for b in self.problem.bundles for other in b.activities[1:]]
        links += [(p.before, p.after) for p in self.problem.precedences if p.max_lag is not None]
        for one, other in links:
            ra, rb = find(one), find(other)
            if ra != rb:
                parent[max(ra, rb, key=self.index.__getitem__)] = min(ra, rb, key=self.index.__getitem__)
        groups: dict[str, list[str]] = {}
        for i in ids:
            groups.setdefault(find(i), []).append(i)
        # strongly connected components of the group graph (precedences between groups)
        gid = {i: root for root, members in groups.items() for i in members}
        roots = list(groups)
        edges: dict[str, list[str]] = {r: [] for r in roots}
        for prec in self.problem.precedences:
            ga, gb = gid[prec.before], gid[prec.after]
            if ga != gb and gb not in edges[ga]:
                edges[ga].append(gb)
        comp = _scc(roots, edges)
        merged: dict[int, list[str]] = {}
        for r in roots:
            merged.setdefault(comp[r], []).extend(groups[r])
        units = [_Unit(sorted(m, key=self.index.__getitem__)) for _, m in sorted(merged.items())]
        for k, u in enumerate(units):
            for i in u.members:
                self.unit_of[i] = k
        for prec in self.problem.precedences:
            ua, ub = self.unit_of[prec.before], self.unit_of[prec.after]
            if ua != ub and ub not in units[ua].succ:
                units[ua].succ.add(ub)
                units[ub].npred += 1
        # mandatory: holds a non-optional activity, or precedes a mandatory unit
        preds_of: dict[int, list[int]] = defaultdict(list)
        for k, u in enumerate(units):
            for s in u.succ:
                preds_of[s].append(k)
        stack = [k for k, u in enumerate(units) if any(not self.acts[i].optional for i in u.members)]
        for k in stack:
            units[k].mandatory = True
        while stack:
            k = stack.pop()
            for pk in preds_of[k]:
                if not units[pk].mandatory:
                    units[pk].mandatory = True
                    stack.append(pk)
        for u in units:
            u.key = self._key(u)
        return units

    def _key(self, unit: _Unit) -> tuple[float, ...]:
        acts = [self.acts[i] for i in unit.members]
        first = float(self.index[unit.members[0]])
        if unit.mandatory:
            fixed = 0.0 if any(a.fixed_start is not None for a in acts) else 1.0
            horizon = self.problem.horizon
            deadline = min(horizon if a.deadline is None else a.deadline for a in acts)
            release = min(a.release for a in acts)
            return (0.0, fixed, float(deadline), float(release), first)
        value = sum(a.value for a in acts)
        size = 0.0
        for a in acts:
            load = sum(d.amount / max(1, max(self.maxcap[o] for o in d.options)) for d in a.demands)
            size += max(a.duration, 1) * (load if load > 0 else 1.0)
        return (1.0, -value / size, -float(value), first)

    def order(self, units: list[_Unit]) -> list[int]:
        npred = [u.npred for u in units]
        heap = [(u.key, k) for k, u in enumerate(units) if npred[k] == 0]
        heapq.heapify(heap)
        out: list[int] = []
        while heap:
            _, k = heapq.heappop(heap)
            out.append(k)
            for s in sorted(units[k].succ):
                npred[s] -= 1
                if npred[s] == 0:
                    heapq.heappush(heap, (units[s].key, s))
        return out

    def member_order(self, unit: _Unit) -> list[str]:
        """Members in precedence order (Kahn, ties by problem order; cycles in problem order)."""
        members = unit.members
        inside = set(members)
        indeg = dict.fromkeys(members, 0)
        for i in members:
            for after, _, _ in self.succs.get(i, ()):
                if after in inside:
                    indeg[after] += 1
        heap = [(self.index[i], i) for i in members if indeg[i] == 0]
        heapq.heapify(heap)
        out: list[str] = []
        while heap:
            _, i = heapq.heappop(heap)
            out.append(i)
            for after, _, _ in self.succs.get(i, ()):
                if after in inside:
                    indeg[after] -= 1
                    if indeg[after] == 0:
                        heapq.heappush(heap, (self.index[after], after))
        placed = set(out)
        out.extend(i for i in members if i not in placed)
        return out

    # -- the run -------------------------------------------------------------------------------

    def run(self, deadline: float) -> None:
        units = self.units()
        pending = self.order(units)
        for _pass in range(_PASSES):
            for k in pending:
                self.failed.difference_update(units[k].members)
            failed: list[int] = []
            for k in pending:
                unit = units[k]
                if not unit.mandatory and time.perf_counter() > deadline:
                    for i in unit.members:
                        self.reasons[i] = "optional; not tried: the time limit was reached"
                        self.failed.add(i)
                    failed.append(k)
                elif not self.place_unit(unit):
                    failed.append(k)
            if len(failed) == len(pending):
                break  # nothing changed, so another pass would fail the same way
            pending = failed

    def place_unit(self, unit: _Unit) -> bool:
        """Place the unit's members that are not placed yet; True if all of them are now.

        First all together, retried a few times with the first member later when a later one
        misses its window (a maximum lag); then, failing that, each member on its own, keeping
        only complete bundles and activities whose predecessors are placed.
        """
        members = [i for i in self.member_order(unit) if i not in self.start]
        push = _MINUS_INF
        retries = min(_BUNDLE_RETRIES, _RETRY_PLACEMENTS // max(1, len(members))) if len(members) > 1 else 0
        for _attempt in range(retries + 1):
            placed, shift = self.attempt(members, push)
            if len(placed) == len(members):
                for i in members:
                    self.reasons.pop(i, None)
                return True
            first_start = self.start[placed[0]] if placed else None
            for i in reversed(placed):
                self.uncommit(i)
            if first_start is None or shift is None:
                break
            push = first_start + max(1, shift)
        # one by one, in order
        done: list[str] = []
        for i in members:
            found = self.find(i, _MINUS_INF)
            if isinstance(found, str):
                self.failed.add(i)
                self.reasons[i] = found
            else:
                self.commit(i, *found)
                done.append(i)
        # then drop what lost a bundle partner or a predecessor, until nothing changes
        changed = True
        while changed:
            changed = False
            for i in list(done):
                lost = next((j for j in self.partners.get(i, ()) if j not in self.start), None)
                lost = lost or next((j for j, _, _ in self.preds.get(i, ()) if j not in self.start), None)
                if lost is None:
                    continue
                self.uncommit(i)
                done.remove(i)
                self.failed.add(i)
                why = self.reasons.get(lost, "")
                self.reasons[i] = f"placed together with '{lost}', which could not be placed" + (f": {why}" if why else "")
                changed = True
        for i in done:
            self.reasons.pop(i, None)
        return len(done) == len(members)

    def attempt(self, members: list[str], push: int) -> tuple[list[str], int | None]:
        """Place ``members`` in order, stopping at the first that does not fit: the ones placed,
        and by how much the failed one overshot its latest start (when a lag bounded it)."""
        placed: list[str] = []
        for n, i in enumerate(members):
            bounds = self.bounds(i, push if n == 0 else _MINUS_INF)
            if isinstance(bounds, str):
                return placed, None
            lb, ub = bounds
            found = self.search(i, lb, ub)
            if isinstance(found, str):
                shift = None
                if n > 0 and ub < _NEVER:
                    late = self.search(i, lb, _NEVER)
                    if not isinstance(late, str):
                        shift = late[0] - ub
                return placed, shift
            self.commit(i, *found)
            placed.append(i)
        return placed, None

    def find(self, act_id: str, push: int) -> tuple[int, tuple[str, ...]] | str:
        """The earliest feasible (start, resources) from ``push`` on, or why there is none."""
        bounds = self.bounds(act_id, push)
        if isinstance(bounds, str):
            return bounds
        return self.search(act_id, *bounds)

    def bounds(self, act_id: str, push: int) -> tuple[int, int] | str:
        """The earliest and latest start the placed neighbours allow (lags both ways)."""
        d = self.acts[act_id].duration
        lb, ub = push, _NEVER
        for before, min_lag, max_lag in self.preds.get(act_id, ()):
            if before in self.start:
                end = self.start[before] + self.acts[before].duration
                lb = max(lb, end + min_lag)
                if max_lag is not None:
                    ub = min(ub, end + max_lag)
            elif before in self.failed:
                return f"needs '{before}' first, which is not scheduled"
        for after, min_lag, max_lag in self.succs.get(act_id, ()):
            if after in self.start:
                s_after = self.start[after]
                ub = min(ub, s_after - min_lag - d)
                if max_lag is not None:
                    lb = max(lb, s_after - max_lag - d)
        return lb, ub

    def search(self, act_id: str, lb: int, ub: int) -> tuple[int, tuple[str, ...]] | str:
        """The earliest feasible (start, resources) with a start in ``[lb, ub]``, or why none."""
        act = self.acts[act_id]
        allowed = self.allowed[act_id]
        if not allowed:
            return "release, deadline and windows leave no start time"
        if lb > ub:
            return "the lags to placed activities leave no start time"
        base = self.baseline.get(act_id)
        if base is not None and lb <= base.start <= ub and _snap(allowed, base.start) == base.start:
            hit = self.check(act, base.start, base.resources)
            if not isinstance(hit, _Blocked):
                return base.start, hit
        blocks: dict[str, int] = defaultdict(int)
        t = _snap(allowed, lb)
        while t is not None and t <= ub:
            hit = self.check(act, t, ())
            if not isinstance(hit, _Blocked):
                return t, hit
            blocks[hit.cause] += 1
            t = _snap(allowed, max(hit.next, t + 1))
        lo = max(lb, allowed[0][0])
        hi = min(ub, allowed[-1][1])
        if not blocks:
            return f"no start in [{lo}, {hi}] is allowed by its release, deadline, windows and lags"
        causes = sorted(blocks.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = "; ".join(c for c, _ in causes[:3])
        return f"no start in [{lo}, {hi}] is free: blocked by {shown}"

    def check(self, act: Activity, t: int, prefer: Sequence[str]) -> tuple[str, ...] | _Blocked:
        """The resources, one per demand, if ``act`` fits at ``t``; else why not."""
        d = act.duration
        e = t + d
        if d > 0:
            for k, side in self.excl_check.get(act.id, ()):
                until = self.excl[k][side].blocked_until(t, e, 1)
                if until is not None:
                    label = self.problem.exclusions[k].label
                    return _Blocked(until, f"exclusion {label!r}" if label else "an exclusion with placed activities")
        picked: list[str] = []
        extra: dict[str, int] = defaultdict(int)
        for n, demand in enumerate(act.demands):
            options = list(demand.options)
            if n < len(prefer) and prefer[n] in options:
                options.remove(prefer[n])
                options.insert(0, prefer[n])
            best_jump = _NEVER
            cause = ""
            for r in options:
                jump = 0
                why = ""
                if d > 0 and demand.amount > 0:
                    until = self.free[r].blocked_until(t, e, demand.amount + extra[r])
                    if until is not None:
                        jump, why = until, f"capacity of {'/'.join(demand.options)}"
                if r not in picked:
                    for k in self.caps_on.get(r, ()):
                        cap = self.problem.work_caps[k]
                        period = (t - cap.offset) // cap.period
                        if self.cap_used[k][period] + d > cap.limit:
                            jump = max(jump, cap.offset + (period + 1) * cap.period)
                            why = why or f"work cap on '{r}'"
                if not why:
                    picked.append(r)
                    extra[r] += demand.amount
                    break
                if jump < best_jump or not cause:
                    best_jump, cause = min(best_jump, jump), why
            else:
                return _Blocked(best_jump, cause)
        if act.effects:
            per_storage: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for eff in act.effects:
                per_storage[eff.storage].append((t if eff.at == "start" else e, eff.delta))
            for sid, changes in per_storage.items():
                level = self.levels[sid]
                if not level.fits(sorted(changes)):
                    if len(changes) == 1:
                        at, delta = changes[0]
                        jump = level.earliest(delta) - (at - t)
                    else:
                        jump = min(level.next_change(t), level.next_change(e) - d)
                    return _Blocked(jump, f"storage '{sid}' limits")
        return tuple(picked)

    def commit(self, act_id: str, t: int, resources: tuple[str, ...]) -> None:
        self._apply(act_id, t, resources, 1)
        self.start[act_id] = t
        self.chosen[act_id] = resources

    def uncommit(self, act_id: str) -> None:
        self._apply(act_id, self.start.pop(act_id), self.chosen.pop(act_id), -1)

    def _apply(self, act_id: str, t: int, resources: tuple[str, ...], sign: int) -> None:
        act = self.acts[act_id]
        e = t + act.duration
        for r, demand in zip(resources, act.demands, strict=True):
            self.free[r].add(t, e, -sign * demand.amount)
        for r in dict.fromkeys(resources):
            for k in self.caps_on.get(r, ()):
                cap = self.problem.work_caps[k]
                self.cap_used[k][(t - cap.offset) // cap.period] += sign * act.duration
        for k, side in self.excl_mark.get(act_id, ()):
            self.excl[k][side].add(t, e, -sign)
        for eff in act.effects:
            self.levels[eff.storage].add(t if eff.at == "start" else e, sign * eff.delta)


def _allowed_starts(act: Activity, horizon: int) -> list[tuple[int, int]]:
    """Sorted, disjoint inclusive ranges of starts allowed by release, deadline, horizon, windows
    and a fixed start."""
    lo = max(0, act.release)
    hi = min(horizon, horizon if act.deadline is None else act.deadline) - act.duration
    if act.fixed_start is not None:
        lo, hi = max(lo, act.fixed_start), min(hi, act.fixed_start)
    if lo > hi:
        return []
    if not act.windows:
        return [(lo, hi)]
    ranges = sorted(
        (max(lo, w.start), min(hi, w.end - act.duration))
        for w in act.windows
        if max(lo, w.start) <= min(hi, w.end - act.duration)
    )
    merged: list[tuple[int, int]] = []
    for a, b in ranges:
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _snap(allowed: list[tuple[int, int]], t: int) -> int | None:
    """The smallest allowed start ≥ ``t``, or ``None``."""
    i = bisect_right(allowed, (t, _NEVER)) - 1
    if i >= 0 and allowed[i][0] <= t <= allowed[i][1]:
        return t
    i += 1
    return allowed[i][0] if i < len(allowed) else None


def _scc(nodes: list[str], edges: dict[str, list[str]]) -> dict[str, int]:
    """Strongly connected components (iterative Tarjan), numbered in order of discovery."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comp: dict[str, int] = {}
    counter = 0
    ncomp = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            v, i = work[-1]
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            succ = edges[v]
            if i < len(succ):
                work[-1] = (v, i + 1)
                w = succ[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
    return comp
