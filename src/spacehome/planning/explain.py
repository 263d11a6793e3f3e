"""Why an activity is not in a plan, worked out without any solver; and a plan's criteria.

:func:`explain_unplaced` looks at a plan (its assignments) the way a planner would: for each
activity left out it asks, in this order,

1. does it need an activity that is not scheduled (a predecessor outside its bundles, or, when
   it would fit itself, a bundle partner that would not)? → ``needs 'x', which is not
   scheduled``
2. is there any start at all where it fits its release, deadline and windows, the lags to its
   scheduled predecessors, the activities it is excluded from, and where every demand has some
   option free (given the scheduled activities and the capacity profiles)? If not →
   ``no slot: …`` naming the resource, window, exclusion or precedence that closes it off
3. would it fit but break a work cap or a storage limit? → says which
4. otherwise → ``left out for the objective: the time it needs went to higher-value work``.

Everything is interval arithmetic on sets of start times (sorted, disjoint, half-open
``[a, b)`` pairs), so the cost is about activities × busy segments they overlap, not the length
of the horizon. The solvers (CP-SAT and greedy) share it, and CP-SAT also uses
:func:`start_domain`, :func:`capacity_segments` and :func:`shortfall_segments` to turn fixed
activities and capacity profiles into forbidden start times.

:func:`criteria` evaluates a plan's objective criteria (value, makespan, fairness ratio, moved
activities) exactly as :class:`~spacehome.planning.problem.Objective` defines them, and
:func:`weighted_objective` combines them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from spacehome.planning.problem import (
    RATIO_SCALE,
    Activity,
    Assignment,
    Criterion,
    Objective,
    Problem,
    Resource,
    WorkCap,
)

#: A set of integers as sorted, disjoint, non-adjacent half-open ``(start, end)`` pairs.
Spans = list[tuple[int, int]]

OBJECTIVE_REASON = "left out for the objective: the time it needs went to higher-value work"


# --- interval sets --------------------------------------------------------------------------


def merge(spans: Iterable[tuple[int, int]]) -> Spans:
    """Sorted, disjoint, non-adjacent spans covering the same integers (empty ones dropped)."""
    out: Spans = []
    for a, b in sorted(s for s in spans if s[0] < s[1]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def intersect(x: Spans, y: Spans) -> Spans:
    out: Spans = []
    i = j = 0
    while i < len(x) and j < len(y):
        a = max(x[i][0], y[j][0])
        b = min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(x: Spans, y: Spans) -> Spans:
    """``x`` without ``y`` (both merged)."""
    out: Spans = []
    j = 0
    for a, b in x:
        cur = a
        while j < len(y) and y[j][1] <= cur:
            j += 1
        k = j
        while k < len(y) and y[k][0] < b:
            if y[k][0] > cur:
                out.append((cur, y[k][0]))
            cur = max(cur, y[k][1])
            if cur >= b:
                break
            k += 1
        if cur < b:
            out.append((cur, b))
    return out


def union(x: Spans, y: Spans) -> Spans:
    return merge([*x, *y])


def size(x: Spans) -> int:
    return sum(b - a for a, b in x)


# --- time, capacity and usage ---------------------------------------------------------------


def latest_end(problem: Problem, activity: Activity) -> int:
    if activity.deadline is None:
        return problem.horizon
    return min(activity.deadline, problem.horizon)


def start_domain(problem: Problem, activity: Activity) -> Spans:
    """Start times allowed by release, deadline, horizon, windows and ``fixed_start``."""
    lo = max(0, activity.release)
    hi = latest_end(problem, activity)
    d = activity.duration
    if activity.windows:
        spans = [(max(w.start, lo), min(w.end, hi)) for w in activity.windows]
    else:
        spans = [(lo, hi)]
    starts = merge((a, b - d + 1) for a, b in spans if b - a >= d)
    if activity.fixed_start is not None:
        starts = intersect(starts, [(activity.fixed_start, activity.fixed_start + 1)])
    return starts


def capacity_segments(resource: Resource, horizon: int) -> list[tuple[int, int, int]]:
    """``(start, end, capacity)`` pieces covering ``[0, horizon)``, neighbours merged."""
    value = resource.capacity
    steps = list(resource.profile)
    i = 0
    while i < len(steps) and steps[i].time <= 0:
        value = steps[i].capacity
        i += 1
    out: list[tuple[int, int, int]] = []
    cur = 0
    for step in steps[i:]:
        if step.time >= horizon:
            break
        if step.capacity != value:
            if step.time > cur:
                out.append((cur, step.time, value))
            cur = step.time
            value = step.capacity
    out.append((cur, horizon, value))
    return out


def max_capacity(resource: Resource, horizon: int) -> int:
    return max(c for _, _, c in capacity_segments(resource, horizon))


def residual_segments(
    resource: Resource, horizon: int, usage: Iterable[tuple[int, int, int]]
) -> list[tuple[int, int, int]]:
    """``(start, end, capacity − usage)`` pieces covering ``[0, horizon)``; usage is ``(start, end, amount)``."""
    deltas: dict[int, int] = defaultdict(int)
    prev = 0
    for a, _, c in capacity_segments(resource, horizon):
        deltas[a] += c - prev
        prev = c
    for a, b, used in usage:
        if used and a < b and a < horizon and b > 0:
            deltas[max(a, 0)] -= used
            deltas[min(b, horizon)] += used
    out: list[tuple[int, int, int]] = []
    level = 0
    times = sorted(t for t in deltas if t < horizon)
    for k, t in enumerate(times):
        level += deltas[t]
        nxt = times[k + 1] if k + 1 < len(times) else horizon
        if out and out[-1][2] == level:
            out[-1] = (out[-1][0], nxt, level)
        else:
            out.append((t, nxt, level))
    return out


def shortfall_segments(
    resource: Resource, horizon: int, usage: Iterable[tuple[int, int, int]], amount: int
) -> Spans:
    """Times in ``[0, horizon)`` where capacity minus ``usage`` ``(start, end, amount)`` < ``amount``."""
    return merge((a, b) for a, b, c in residual_segments(resource, horizon, usage) if c < amount)


def blocked_starts(segments: Spans, duration: int, lo: int, hi: int) -> Spans:
    """Start times in ``[lo, hi)`` at which ``[s, s + duration)`` meets one of ``segments``."""
    if duration <= 0 or not segments or lo >= hi:
        return []
    ends = [b for _, b in segments]
    first = bisect_right(ends, lo)  # segments ending after lo
    out: Spans = []
    for a, b in segments[first:]:
        s0 = a - duration + 1
        if s0 >= hi:
            break
        out.append((max(s0, lo), min(b, hi)))
    return merge(out)


def _restrict(domain: Spans, segments: Spans, duration: int) -> Spans:
    if not domain:
        return []
    return subtract(domain, blocked_starts(segments, duration, domain[0][0], domain[-1][1]))


# --- criteria -------------------------------------------------------------------------------


def criteria(problem: Problem, assignments: Sequence[Assignment]) -> dict[Criterion, int]:
    """The plan's value, makespan, fairness ratio and moved count, as :class:`Objective` says.

    ``fairness`` is ``min_g delivered_g · RATIO_SCALE // entitlement_g`` with ``delivered_g`` the
    exact (percent-weighted) share of value, i.e. ``Σ value·pct · RATIO_SCALE // (100·entitlement)``;
    it is 0 without groups. ``stability`` counts baseline entries whose activity is now absent,
    starts elsewhere, or (when the baseline lists resources) uses other resources.
    """
    acts = {a.id: a for a in problem.activities}
    by_id = {x.activity: x for x in assignments}
    value = sum(acts[x.activity].value for x in assignments if x.activity in acts)
    makespan = max((x.end for x in assignments), default=0)
    fairness = 0
    if problem.groups:
        delivered: dict[str, int] = defaultdict(int)
        for x in assignments:
            a = acts.get(x.activity)
            if a is not None:
                for g, pct in a.shares:
                    delivered[g] += a.value * pct
        fairness = min(
            delivered[g.id] * RATIO_SCALE // (100 * g.entitlement) for g in problem.groups
        )
    moved = 0
    for e in problem.baseline:
        now = by_id.get(e.activity)
        if now is None or now.start != e.start or (e.resources and now.resources != e.resources):
            moved += 1
    return {
        Criterion.VALUE: value,
        Criterion.MAKESPAN: makespan,
        Criterion.FAIRNESS: fairness,
        Criterion.STABILITY: moved,
    }


#: The sign with which each criterion enters the maximised objective.
SIGN: Mapping[Criterion, int] = {
    Criterion.VALUE: 1,
    Criterion.MAKESPAN: -1,
    Criterion.FAIRNESS: 1,
    Criterion.STABILITY: -1,
}


def weighted_objective(objective: Objective, values: Mapping[Criterion, int]) -> int:
    """``value·w − makespan·w + ratio·w − moved·w`` (the lexicographic order is not used)."""
    return sum(SIGN[Criterion(c)] * w * values[Criterion(c)] for c, w in objective.weights.items())


# --- why not scheduled ----------------------------------------------------------------------


def _quote(ids: Iterable[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids)


class _Plan:
    """The scheduled activities of a plan, indexed for the slot checks."""

    def __init__(self, problem: Problem, assignments: Sequence[Assignment]) -> None:
        self.problem = problem
        self.acts = {a.id: a for a in problem.activities}
        self.resources = {r.id: r for r in problem.resources}
        self.storages = {s.id: s for s in problem.storages}
        self.placed = {x.activity: x for x in assignments if x.activity in self.acts}
        self.usage: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for x in self.placed.values():
            a = self.acts[x.activity]
            for demand, rid in zip(a.demands, x.resources, strict=False):
                self.usage[rid].append((x.start, x.end, demand.amount))
        self._short: dict[tuple[str, int], Spans] = {}
        self.top = {r.id: max_capacity(r, problem.horizon) for r in problem.resources}
        self.preds: dict[str, list[tuple[str, int, int | None]]] = defaultdict(list)
        for p in problem.precedences:
            self.preds[p.after].append((p.before, p.min_lag, p.max_lag))
        self.partners: dict[str, list[str]] = defaultdict(list)
        for bundle in problem.bundles:
            for i in bundle.activities:
                self.partners[i].extend(j for j in bundle.activities if j != i)
        self.excluded: dict[str, list[str]] = defaultdict(list)
        for x_ in problem.exclusions:
            for i in x_.first:
                self.excluded[i].extend(x_.second)
            for i in x_.second:
                self.excluded[i].extend(x_.first)
        self._cap_used: dict[tuple[int, int], int] = defaultdict(int)
        for ci, cap in enumerate(problem.work_caps):
            for x in self.placed.values():
                if cap.resource in x.resources:
                    self._cap_used[ci, (x.start - cap.offset) // cap.period] += x.end - x.start
        self._levels: dict[str, tuple[list[int], list[int]]] = {}

    def shortfall(self, rid: str, amount: int) -> Spans:
        key = (rid, amount)
        if key not in self._short:
            self._short[key] = shortfall_segments(
                self.resources[rid], self.problem.horizon, self.usage.get(rid, ()), amount
            )
        return self._short[key]

    # -- the slot check --

    def time_domain(self, a: Activity) -> tuple[Spans, str | None]:
        dom = start_domain(self.problem, a)
        for before, min_lag, max_lag in self.preds.get(a.id, ()):
            x = self.placed.get(before)
            if x is None:
                continue
            hi = x.end + max_lag + 1 if max_lag is not None else self.problem.horizon + 1
            narrowed = intersect(dom, [(x.end + min_lag, hi)])
            if not narrowed and dom:
                lag = f"min lag {min_lag}" + (f", max lag {max_lag}" if max_lag is not None else "")
                return (
                    [],
                    f"no slot: the precedence after '{before}' ({lag}) leaves no start in its windows",
                )
            dom = narrowed
        return dom, None

    def option_starts(self, a: Activity, dom: Spans, rid: str, amount: int) -> Spans:
        if rid not in self.resources or amount > self.top[rid]:
            return []
        if a.duration <= 0 or amount <= 0:
            return dom
        return _restrict(dom, self.shortfall(rid, amount), a.duration)

    def exclusion_starts(self, a: Activity, dom: Spans) -> Spans:
        if a.duration <= 0:
            return dom
        busy = merge(
            (x.start, x.end)
            for i in self.excluded.get(a.id, ())
            if (x := self.placed.get(i)) is not None
        )
        return _restrict(dom, busy, a.duration)

    def slots(self, a: Activity) -> tuple[list[list[tuple[str, Spans]]], Spans, str | None]:
        """Per demand, per option, the free starts; the combined free starts; or why none."""
        dom, why = self.time_domain(a)
        if why is not None:
            return [], [], why
        if not dom:
            return [], [], "no slot: its release, deadline and windows leave no start time"
        free = self.exclusion_starts(a, dom)
        if not free:
            names = _quote(i for i in dict.fromkeys(self.excluded[a.id]) if i in self.placed)
            return (
                [],
                [],
                f"no slot: the activities it is excluded from ({names}) cover all of its windows",
            )
        per_demand: list[list[tuple[str, Spans]]] = []
        for demand in a.demands:
            options = [
                (rid, self.option_starts(a, dom, rid, demand.amount)) for rid in demand.options
            ]
            per_demand.append(options)
            alone = intersect(dom, merge(s for _, o in options for s in o))
            if not alone:
                which = " / ".join(f"'{r}'" for r in demand.options)
                return [], [], f"no slot: {which} busy or unavailable in all of its windows"
            free = intersect(free, alone)
        if not free:
            needs = [" / ".join(f"'{r}'" for r in d.options) for d in a.demands]
            if len(needs) == 1:
                return (
                    [],
                    [],
                    f"no slot: {needs[0]} never free outside the activities it is excluded from",
                )
            return [], [], f"no slot: {' and '.join(needs)} are never free together in its windows"
        return per_demand, free, None

    # -- work caps and storage --

    def cap_free(self, a: Activity, rid: str, dom: Spans) -> tuple[Spans, str | None]:
        """Starts in ``dom`` where holding ``rid`` keeps every work cap on it; else the first cap hit."""
        out = dom
        hit: str | None = None
        for ci, cap in enumerate(self.problem.work_caps):
            if cap.resource != rid or not out:
                continue
            k0 = (out[0][0] - cap.offset) // cap.period
            k1 = (out[-1][1] - 1 - cap.offset) // cap.period
            closed = []
            for k in range(k0, k1 + 1):
                if self._cap_used[ci, k] + a.duration > cap.limit:
                    closed.append((cap.offset + k * cap.period, cap.offset + (k + 1) * cap.period))
            if closed:
                narrowed = subtract(out, merge(closed))
                if not narrowed and hit is None:
                    hit = _cap_text(cap)
                out = narrowed
        return out, hit

    def levels(self, sid: str) -> tuple[list[int], list[int]]:
        """Breakpoint times and the storage level from each (before any: the initial level)."""
        if sid not in self._levels:
            deltas: dict[int, int] = defaultdict(int)
            for x in self.placed.values():
                for e in self.acts[x.activity].effects:
                    if e.storage == sid:
                        deltas[x.start if e.at == "start" else x.end] += e.delta
            level = self.storages[sid].initial
            times, values = [], []
            for t in sorted(deltas):
                level += deltas[t]
                times.append(t)
                values.append(level)
            self._levels[sid] = (times, values)
        return self._levels[sid]

    def storage_ok(self, a: Activity, start: int) -> str | None:
        """None if adding ``a`` at ``start`` keeps every storage in range, else the storage hit."""
        by_storage: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for e in a.effects:
            if e.storage in self.storages and e.delta:
                by_storage[e.storage][start if e.at == "start" else start + a.duration] += e.delta
        for sid, deltas in by_storage.items():
            cap = self.storages[sid].capacity
            initial = self.storages[sid].initial
            times, values = self.levels(sid)
            points = sorted(deltas)
            extra = 0
            for k, t in enumerate(points):
                extra += deltas[t]
                end = points[k + 1] if k + 1 < len(points) else None
                # the level from t (inclusive) to end (exclusive): the value at t, then breakpoints
                i = bisect_right(times, t) - 1
                j = len(times) if end is None else bisect_left(times, end)
                seen = [values[i] if i >= 0 else initial, *values[max(i + 1, 0) : j]]
                if min(seen) + extra < 0 or max(seen) + extra > cap:
                    return sid
        return None

    def storage_candidates(self, a: Activity, free: Spans) -> Iterable[int]:
        """Starts where the storage check can change its answer (bounded per activity)."""
        points: set[int] = {s for s, _ in free}
        for e in a.effects:
            if e.storage not in self.storages:
                continue
            times, _ = self.levels(e.storage)
            shift = 0 if e.at == "start" else a.duration
            for t in times:
                points.add(t - shift)
                points.add(t - shift + 1)
        ok = [p for p in sorted(points) if _contains(free, p)]
        return ok[:5000]


def _contains(spans: Spans, t: int) -> bool:
    i = bisect_right(spans, t, key=lambda s: s[0]) - 1
    return i >= 0 and spans[i][0] <= t < spans[i][1]


def _cap_text(cap: WorkCap) -> str:
    text = f"the work cap on '{cap.resource}' ({cap.limit} per {cap.period})"
    return f"{text} [{cap.label}]" if cap.label else text


def explain_unplaced(problem: Problem, assignments: Sequence[Assignment]) -> dict[str, str]:
    """For each activity of ``problem`` not in ``assignments``, one line saying why.

    Independent of any solver: it checks the plan as given. Keys follow the problem's activity
    order.
    """
    plan = _Plan(problem, assignments)
    unplaced = [a for a in problem.activities if a.id not in plan.placed]
    own: dict[str, str] = {}

    def own_reason(a: Activity) -> str:
        if a.id in own:
            return own[a.id]
        per_demand, free, why = plan.slots(a)
        if why is None:
            why = _fit_reason(plan, a, per_demand, free)
        own[a.id] = why
        return why

    def outside_missing(aid: str) -> list[str]:
        """Unscheduled predecessors that are not bundle partners (those are all out together)."""
        mates = plan.partners.get(aid, ())
        return [b for b, _, _ in plan.preds.get(aid, ()) if b not in plan.placed and b not in mates]

    out: dict[str, str] = {}
    for a in unplaced:
        missing = outside_missing(a.id)
        if missing:
            out[a.id] = f"needs '{missing[0]}', which is not scheduled"
            continue
        mates = [m for m in plan.partners.get(a.id, ()) if m not in plan.placed and m in plan.acts]
        if not mates or own_reason(a) != OBJECTIVE_REASON:
            out[a.id] = own_reason(a)
            continue
        # a bundle left out although this member would fit: blame the member that did not
        blame = next(
            (
                m
                for m in mates
                if outside_missing(m) or own_reason(plan.acts[m]) != OBJECTIVE_REASON
            ),
            None,
        )
        out[a.id] = (
            OBJECTIVE_REASON if blame is None else f"needs '{blame}', which is not scheduled"
        )
    return out


def _fit_reason(
    plan: _Plan, a: Activity, per_demand: list[list[tuple[str, Spans]]], free: Spans
) -> str:
    """It has free starts: does a work cap or a storage limit close them all?"""
    with_caps = free
    cap_hit: str | None = None
    if plan.problem.work_caps and a.duration > 0:
        for options in per_demand:
            allowed: Spans = []
            for rid, starts in options:
                ok, hit = plan.cap_free(a, rid, intersect(starts, with_caps))
                cap_hit = cap_hit or hit
                allowed = union(allowed, ok)
            with_caps = intersect(with_caps, allowed)
            if not with_caps:
                return f"would break {cap_hit or 'the work caps on its resources'}"
    if a.effects and plan.storages:
        storage_hit: str | None = None
        for start in plan.storage_candidates(a, with_caps):
            sid = plan.storage_ok(a, start)
            if sid is None:
                return OBJECTIVE_REASON
            storage_hit = storage_hit or sid
        if storage_hit is not None:
            s = plan.storages[storage_hit]
            return (
                f"would break the limits of storage '{storage_hit}' (level within 0..{s.capacity})"
            )
    return OBJECTIVE_REASON
