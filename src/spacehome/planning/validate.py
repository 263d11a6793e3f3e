"""The independent checker: does a solution honour every constraint of its problem?

This is a separate code path from every solver (an import-linter contract forbids it from
importing :mod:`~spacehome.planning.cpsat`, :mod:`~spacehome.planning.greedy` or
:mod:`~spacehome.planning.explain`), so a bug in a solver's model cannot hide itself here. It
reads the semantics in :mod:`spacehome.planning.problem` literally and reports *every* violated
constraint, each as a :class:`Violation` naming its kind and the activities involved.

Kinds (``Violation.kind``)
    ``unknown-activity``, ``duplicate-assignment``, ``unplaced-scheduled`` (an activity both
    scheduled and listed unplaced), ``duplicate-unplaced``, ``missing-mandatory``, ``duration``,
    ``horizon``, ``release``, ``deadline``, ``window``, ``fixed-start``, ``demand``,
    ``capacity``, ``work-cap``, ``storage``, ``precedence``, ``max-lag``,
    ``precedence-missing``, ``bundle``, ``exclusion``, ``objective-mismatch`` and, only when
    asked for (``require_reasons=True``), ``unplaced-unlisted``.

Conventions
    - When an activity is assigned twice, the first assignment is the one checked; the others
      are reported as ``duplicate-assignment`` and otherwise ignored. Assignments of unknown
      activities are reported and otherwise ignored.
    - An activity occupies ``[start, end)`` as the solution states it (so a wrong duration is
      reported once, as ``duration``, and the occupancy checks use what the plan says). Empty
      intervals occupy nothing: they never use capacity and never overlap.
    - Capacity and storage are checked with sweeps over event points (starts, ends, profile
      steps), never per time unit, so a 30-day plan in minutes checks in milliseconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacehome.planning.problem import (
    RATIO_SCALE,
    Activity,
    Assignment,
    Criterion,
    Objective,
    Problem,
    Resource,
    Solution,
)

#: Objective terms are compared with this relative tolerance (they are integers in practice).
OBJECTIVE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Violation:
    """One violated constraint: what kind, a one-line description, and the activities involved."""

    kind: str
    message: str
    activities: tuple[str, ...]


def objective_terms(problem: Problem, assignments: Iterable[Assignment]) -> dict[str, float]:
    """The four criteria of :class:`~spacehome.planning.problem.Objective` for a set of assignments.

    ``value``: total value of the scheduled activities. ``makespan``: latest end (0 when nothing
    is scheduled). ``fairness``: ``min_g delivered_g · RATIO_SCALE // entitlement_g`` where
    ``delivered_g = Σ value · pct // 100`` over scheduled activities sharing with ``g`` (0 when
    the problem has no groups). ``moved``: baseline entries whose activity is not scheduled, or
    starts elsewhere, or holds other resources (compared only when the entry lists resources:
    an entry without them records the start alone). Unknown activities count for nothing; an
    activity assigned twice counts once (its first assignment).
    """
    known = {a.id: a for a in problem.activities}
    chosen: dict[str, Assignment] = {}
    for asg in assignments:
        if asg.activity in known and asg.activity not in chosen:
            chosen[asg.activity] = asg
    value = sum(known[i].value for i in chosen)
    makespan = max((asg.end for asg in chosen.values()), default=0)
    delivered_pct: dict[str, int] = defaultdict(int)  # value x percent, exact
    for i in chosen:
        act = known[i]
        for group, pct in act.shares:
            delivered_pct[group] += act.value * pct
    fairness = min(
        (delivered_pct[g.id] * RATIO_SCALE // (100 * g.entitlement) for g in problem.groups if g.entitlement > 0),
        default=0,
    )
    moved = 0
    for entry in problem.baseline:
        placed = chosen.get(entry.activity)
        if (
            placed is None
            or placed.start != entry.start
            or (entry.resources and tuple(placed.resources) != tuple(entry.resources))
        ):
            moved += 1
    return {
        "value": float(value),
        "makespan": float(makespan),
        "fairness": float(fairness),
        "moved": float(moved),
    }


def weighted_objective(objective: Objective, terms: dict[str, float]) -> float:
    """``value·w_value − makespan·w_makespan + ratio·w_fairness − moved·w_stability``."""
    w = objective.weights
    return (
        terms["value"] * w.get(Criterion.VALUE, 0)
        - terms["makespan"] * w.get(Criterion.MAKESPAN, 0)
        + terms["fairness"] * w.get(Criterion.FAIRNESS, 0)
        - terms["moved"] * w.get(Criterion.STABILITY, 0)
    )


def validate(problem: Problem, solution: Solution, *, require_reasons: bool = False) -> list[Violation]:
    """Every constraint of ``problem`` that ``solution`` violates (empty when the plan is valid).

    ``require_reasons`` also reports activities that are neither scheduled nor listed in
    ``solution.unplaced`` (the :class:`~spacehome.planning.solver.Solver` contract asks solvers
    to say what they left out and why).
    """
    return _Checker(problem, solution).run(require_reasons=require_reasons)


class _Checker:
    def __init__(self, problem: Problem, solution: Solution) -> None:
        self.problem = problem
        self.solution = solution
        self.out: list[Violation] = []
        self.acts: dict[str, Activity] = {a.id: a for a in problem.activities}
        self.resources: dict[str, Resource] = {r.id: r for r in problem.resources}
        self.by_id: dict[str, Assignment] = {}
        self.unit = problem.time_unit

    def add(self, kind: str, message: str, activities: Iterable[str]) -> None:
        self.out.append(Violation(kind, message, tuple(activities)))

    def run(self, *, require_reasons: bool) -> list[Violation]:
        self.check_identity(require_reasons)
        self.check_times()
        self.check_demands()
        self.check_capacity()
        self.check_work_caps()
        self.check_storages()
        self.check_precedences()
        self.check_bundles()
        self.check_exclusions()
        self.check_objective()
        return self.out

    # -- which activities are scheduled ------------------------------------------------------

    def check_identity(self, require_reasons: bool) -> None:
        counts: dict[str, int] = defaultdict(int)
        for asg in self.solution.assignments:
            if asg.activity not in self.acts:
                self.add(
                    "unknown-activity",
                    f"assignment of unknown activity '{asg.activity}'; the problem has no such activity",
                    (asg.activity,),
                )
                continue
            counts[asg.activity] += 1
            if counts[asg.activity] == 1:
                self.by_id[asg.activity] = asg
            elif counts[asg.activity] == 2:
                self.add(
                    "duplicate-assignment",
                    f"activity '{asg.activity}' is assigned more than once; schedule it once",
                    (asg.activity,),
                )
        listed: dict[str, int] = defaultdict(int)
        for u in self.solution.unplaced:
            listed[u.activity] += 1
            if listed[u.activity] > 1:
                if listed[u.activity] == 2:
                    self.add(
                        "duplicate-unplaced",
                        f"activity '{u.activity}' is listed as unplaced more than once",
                        (u.activity,),
                    )
                continue
            if u.activity not in self.acts:
                self.add(
                    "unknown-activity",
                    f"unplaced entry for unknown activity '{u.activity}'; the problem has no such activity",
                    (u.activity,),
                )
            elif u.activity in self.by_id:
                self.add(
                    "unplaced-scheduled",
                    f"activity '{u.activity}' is scheduled and also listed as unplaced ({u.reason!r})",
                    (u.activity,),
                )
        for act in self.problem.activities:
            if act.id in self.by_id:
                continue
            if not act.optional:
                self.add(
                    "missing-mandatory",
                    f"mandatory activity '{act.id}' is not scheduled",
                    (act.id,),
                )
            elif require_reasons and act.id not in listed:
                self.add(
                    "unplaced-unlisted",
                    f"activity '{act.id}' is neither scheduled nor listed as unplaced with a reason",
                    (act.id,),
                )

    # -- one activity at a time --------------------------------------------------------------

    def check_times(self) -> None:
        horizon, unit = self.problem.horizon, self.unit
        for act_id, asg in self.by_id.items():
            act = self.acts[act_id]
            s, e = asg.start, asg.end
            if e - s != act.duration:
                self.add(
                    "duration",
                    f"'{act_id}' runs [{s}, {e}), {e - s} {unit}, but its duration is {act.duration} {unit}",
                    (act_id,),
                )
            if s < 0 or e > horizon:
                self.add(
                    "horizon",
                    f"'{act_id}' runs [{s}, {e}), outside the horizon [0, {horizon}) {unit}",
                    (act_id,),
                )
            if s < act.release:
                self.add(
                    "release",
                    f"'{act_id}' starts at {s}, before its release {act.release}",
                    (act_id,),
                )
            if act.deadline is not None and e > act.deadline:
                self.add(
                    "deadline",
                    f"'{act_id}' ends at {e}, after its deadline {act.deadline}",
                    (act_id,),
                )
            if act.windows and not any(w.contains(s, e) for w in act.windows):
                shown = ", ".join(f"[{w.start}, {w.end})" for w in act.windows[:4])
                more = f" … ({len(act.windows)} in all)" if len(act.windows) > 4 else ""
                self.add(
                    "window",
                    f"'{act_id}' runs [{s}, {e}), inside none of its windows {shown}{more}",
                    (act_id,),
                )
            if act.fixed_start is not None and s != act.fixed_start:
                self.add(
                    "fixed-start",
                    f"'{act_id}' starts at {s}, but its start is fixed at {act.fixed_start}",
                    (act_id,),
                )

    def check_demands(self) -> None:
        for act_id, asg in self.by_id.items():
            act = self.acts[act_id]
            if len(asg.resources) != len(act.demands):
                self.add(
                    "demand",
                    f"'{act_id}' names {len(asg.resources)} resources for its {len(act.demands)} "
                    "demands; name one per demand, in demand order",
                    (act_id,),
                )
                continue
            for k, (res, demand) in enumerate(zip(asg.resources, act.demands, strict=True)):
                if res not in demand.options:
                    self.add(
                        "demand",
                        f"'{act_id}' demand {k + 1} uses '{res}', not one of its options "
                        f"{'/'.join(demand.options)}",
                        (act_id,),
                    )

    def _usages(self) -> dict[str, list[tuple[int, int, int, str]]]:
        """Per resource: (start, end, amount, activity) of every non-empty use in the plan."""
        usage: dict[str, list[tuple[int, int, int, str]]] = defaultdict(list)
        for act_id, asg in self.by_id.items():
            act = self.acts[act_id]
            if asg.end <= asg.start:
                continue
            for res, demand in zip(asg.resources, act.demands, strict=False):
                if res in self.resources and demand.amount > 0:
                    usage[res].append((asg.start, asg.end, demand.amount, act_id))
        return usage

    # -- resources ---------------------------------------------------------------------------

    def check_capacity(self) -> None:
        for res_id, uses in self._usages().items():
            self._sweep_capacity(self.resources[res_id], uses)

    def _sweep_capacity(self, res: Resource, uses: list[tuple[int, int, int, str]]) -> None:
        delta: dict[int, int] = defaultdict(int)
        starting: dict[int, list[int]] = defaultdict(list)
        ending: dict[int, list[int]] = defaultdict(list)
        for k, (s, e, amount, _) in enumerate(uses):
            delta[s] += amount
            delta[e] -= amount
            starting[s].append(k)
            ending[e].append(k)
        cap_at: dict[int, int] = {}
        for step in res.profile:
            cap_at[step.time] = step.capacity  # the last step at a time wins
        points = sorted(set(delta) | set(cap_at))
        load, cap = 0, res.capacity
        active: set[int] = set()
        run_start: int | None = None
        run_members: set[int] = set()
        run_peak: tuple[int, int] = (0, 0)  # (excess, load) at the worst point
        run_cap = 0
        for t in points:
            load += delta.get(t, 0)
            if t in cap_at:
                cap = cap_at[t]
            active.difference_update(ending.get(t, ()))
            active.update(starting.get(t, ()))
            over = load > 0 and load > cap
            if over:
                if run_start is None:
                    run_start, run_members, run_peak, run_cap = t, set(), (0, 0), cap
                run_members |= active
                if load - cap > run_peak[0]:
                    run_peak, run_cap = (load - cap, load), cap
            elif run_start is not None:
                self._report_capacity(res, run_start, t, run_peak[1], run_cap, run_members, uses)
                run_start = None
        # the sweep ends with every use ended, so a run is always closed above

    def _report_capacity(
        self,
        res: Resource,
        start: int,
        end: int,
        load: int,
        cap: int,
        members: set[int],
        uses: list[tuple[int, int, int, str]],
    ) -> None:
        names = _unique(uses[k][3] for k in sorted(members, key=lambda k: (uses[k][0], k)))
        self.add(
            "capacity",
            f"resource '{res.id}' is over capacity during [{start}, {end}): {load} in use where "
            f"capacity is {cap}, by {_list(names)}",
            names,
        )

    def check_work_caps(self) -> None:
        holders: dict[str, list[str]] = defaultdict(list)
        for act_id, asg in self.by_id.items():
            for res in _unique(asg.resources):
                holders[res].append(act_id)
        for cap in self.problem.work_caps:
            if cap.period <= 0:
                continue
            per_period: dict[int, list[str]] = defaultdict(list)
            for act_id in holders.get(cap.resource, ()):
                k = (self.by_id[act_id].start - cap.offset) // cap.period
                per_period[k].append(act_id)
            for k in sorted(per_period):
                members = per_period[k]
                total = sum(self.by_id[i].end - self.by_id[i].start for i in members)
                if total > cap.limit:
                    lo = cap.offset + k * cap.period
                    name = f" ({cap.label})" if cap.label else ""
                    self.add(
                        "work-cap",
                        f"work cap on '{cap.resource}'{name}: activities starting in "
                        f"[{lo}, {lo + cap.period}) total {total} {self.unit}, over the limit "
                        f"{cap.limit}, by {_list(members)}",
                        members,
                    )

    def check_storages(self) -> None:
        events: dict[str, dict[int, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
        for act_id, asg in self.by_id.items():
            for eff in self.acts[act_id].effects:
                t = asg.start if eff.at == "start" else asg.end
                events[eff.storage][t].append((eff.delta, act_id))
        for storage in self.problem.storages:
            timeline = events.get(storage.id)
            if not timeline:
                continue
            level = storage.initial
            run: tuple[int, str, int, list[str]] | None = None  # (since, side, worst, activities)
            for t in sorted(timeline):
                level += sum(d for d, _ in timeline[t])
                side = "below 0" if level < 0 else ("above capacity" if level > storage.capacity else "")
                if run is not None and side != run[1]:
                    self._report_storage(storage.id, storage.capacity, run, t)
                    run = None
                if side:
                    here = [a for _, a in timeline[t]]
                    if run is None:
                        run = (t, side, level, here)
                    else:
                        worst = min(run[2], level) if side == "below 0" else max(run[2], level)
                        run = (run[0], side, worst, run[3] + here)
            if run is not None:
                self._report_storage(storage.id, storage.capacity, run, None)

    def _report_storage(
        self, storage: str, capacity: int, run: tuple[int, str, int, list[str]], until: int | None
    ) -> None:
        since, side, worst, members = run
        names = _unique(members)
        span = f"from {since} until {until}" if until is not None else f"from {since} on"
        self.add(
            "storage",
            f"storage '{storage}' is {side} {span}: level reaches {worst} (allowed 0..{capacity}), "
            f"after effects of {_list(names)}",
            names,
        )

    # -- relations between activities --------------------------------------------------------

    def check_precedences(self) -> None:
        for p in self.problem.precedences:
            before, after = self.by_id.get(p.before), self.by_id.get(p.after)
            if after is None:
                continue
            if before is None:
                if p.before in self.acts:
                    self.add(
                        "precedence-missing",
                        f"'{p.after}' is scheduled but its predecessor '{p.before}' is not; "
                        f"schedule '{p.before}' or leave '{p.after}' out",
                        (p.before, p.after),
                    )
                continue
            earliest = before.end + p.min_lag
            if after.start < earliest:
                self.add(
                    "precedence",
                    f"'{p.after}' starts at {after.start}, before '{p.before}' ends ({before.end}) "
                    f"+ min lag {p.min_lag} = {earliest}",
                    (p.before, p.after),
                )
            if p.max_lag is not None and after.start > before.end + p.max_lag:
                self.add(
                    "max-lag",
                    f"'{p.after}' starts at {after.start}, later than '{p.before}' ends ({before.end}) "
                    f"+ max lag {p.max_lag} = {before.end + p.max_lag}",
                    (p.before, p.after),
                )

    def check_bundles(self) -> None:
        for b in self.problem.bundles:
            done = [a for a in b.activities if a in self.by_id]
            if done and len(done) != len(b.activities):
                missing = [a for a in b.activities if a not in self.by_id]
                self.add(
                    "bundle",
                    f"bundle {_list(b.activities)} is partly scheduled: {_list(done)} without "
                    f"{_list(missing)}; schedule all of them or none",
                    b.activities,
                )

    def check_exclusions(self) -> None:
        for x in self.problem.exclusions:
            label = f" '{x.label}'" if x.label else ""
            for a, b in _overlapping_pairs(self._intervals(x.first), self._intervals(x.second)):
                sa, sb = self.by_id[a], self.by_id[b]
                self.add(
                    "exclusion",
                    f"exclusion{label}: '{a}' [{sa.start}, {sa.end}) overlaps '{b}' "
                    f"[{sb.start}, {sb.end})",
                    (a, b),
                )

    def _intervals(self, ids: Sequence[str]) -> list[tuple[int, int, str]]:
        out = []
        for i in _unique(ids):
            asg = self.by_id.get(i)
            if asg is not None and asg.end > asg.start:
                out.append((asg.start, asg.end, i))
        return out

    # -- objective -----------------------------------------------------------------------------

    def check_objective(self) -> None:
        objective = self.problem.objective
        stated = self.solution.objective
        if stated is None or objective.lexicographic:
            return
        terms = objective_terms(self.problem, self.solution.assignments)
        actual = weighted_objective(objective, terms)
        if not math.isclose(stated, actual, rel_tol=OBJECTIVE_TOLERANCE, abs_tol=OBJECTIVE_TOLERANCE):
            shown = ", ".join(f"{k} {v:g}" for k, v in terms.items())
            self.add(
                "objective-mismatch",
                f"the solution states objective {stated:g} but the plan's is {actual:g} ({shown})",
                (),
            )


def _overlapping_pairs(
    first: list[tuple[int, int, str]], second: list[tuple[int, int, str]]
) -> list[tuple[str, str]]:
    """Pairs (a in first, b in second, a ≠ b) whose non-empty half-open intervals overlap."""
    events = sorted([(s, e, i, 0) for s, e, i in first] + [(s, e, i, 1) for s, e, i in second])
    active: tuple[list[tuple[int, str]], list[tuple[int, str]]] = ([], [])
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for s, e, name, side in events:
        for lst in active:
            lst[:] = [(end, n) for end, n in lst if end > s]
        for _, other in active[1 - side]:
            pair = (name, other) if side == 0 else (other, name)
            if pair[0] != pair[1] and pair not in seen:
                seen.add(pair)
                pairs.append(pair)
        active[side].append((e, name))
    return pairs


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _list(names: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (f" … ({len(names)} in all)" if len(names) > limit else "")
