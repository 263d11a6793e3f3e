"""The CP-SAT solver: the scheduling problem as an OR-Tools constraint model with intervals.

Model (the main solve)
    - One start variable per activity whose domain already holds release, deadline, horizon,
      windows and ``fixed_start``: with fixed durations, "inside one of the windows" is exactly
      "start in the union of ``[w.start, w.end − duration]``", which CP-SAT keeps as a domain
      with holes. That is smaller and propagates better than one optional interval per window.
    - Presence: a constant for mandatory activities (and everything a mandatory activity needs
      through precedences and bundles), otherwise one Boolean per bundle class (bundle members
      share it: "all or none" for free).
    - Fixed load: activities that are mandatory with a fixed start are constants. Their
      single-option demands and the capacity profiles make one *residual* capacity per resource;
      every other activity's start domain loses the starts at which a demand could not be met
      against it (a crew member asleep, downlink outside contacts) or at which it would overlap
      a fixed activity it is excluded from; an alternative resource gets its own allowed domain,
      enforced by its option literal. Fixed activities then never appear in the resource
      constraints (they would only slow the disjunctive propagators down).
    - Demands: one optional interval per option sharing the activity's start, exactly one
      present when the activity is; a single option reuses the activity's interval.
    - Resources: ``AddNoOverlap`` when no two demands can ever share the resource (capacity 1,
      or every amount above half the residual maximum); otherwise ``AddCumulative`` at the
      maximum residual capacity, with fixed blocker intervals taking ``max − residual(t)``.
      A resource that can never be overloaded gets no constraint.
    - Pools: resources linked by alternatives (the crew) also get one redundant cumulative over
      the activities' own intervals at the summed residual capacity, so the solver sees "two of
      four crew members are free" before choosing who.
    - Work caps: for each activity that may hold the resource, one literal per period it can
      start in (``Σ_k z_k = holds``, ``z_k ⇒ start ∈ period k``); a linear constraint per period,
      left out when it cannot bind.
    - Storage: ``AddReservoirConstraintWithActive`` with the initial level as an event at 0
      (expanded by CP-SAT only when small; the propagator is used beyond
      :data:`RESERVOIR_EXPANSION_LIMIT` events, an expansion being quadratic).
    - Precedences: the lags are enforced when both ends are present; ``present(after) ⇒
      present(before)``. Exclusions: pairwise ``AddNoOverlap`` between non-fixed activities.
    - Objective: ``value·w − makespan·w + ratio·w − moved·w`` maximised (see
      :class:`~spacehome.planning.problem.Objective`; ``ratio·100·entitlement_g ≤
      RATIO_SCALE·Σ value·pct``, ``moved = |baseline| − Σ stay``), or lexicographic: one solve
      per criterion, each then held at the value found (``≥``) with the solution as a hint.
    - Warm start: problems of :data:`WARM_START_ACTIVITIES` activities or more first run the
      greedy solver (validated by :func:`spacehome.planning.validate.validate`); its plan is the
      incumbent and CP-SAT is asked for a strictly better one (a cut on the first objective, not
      a hint: a hint steers the search back to the greedy plan). If CP-SAT proves there is
      none, the greedy plan is optimal. A baseline, when given, is passed as a hint.

Determinism
    ``random_seed`` and ``num_workers`` come from :class:`SolveOptions`. With several workers
    CP-SAT's default portfolio shares solutions at thread-timing-dependent moments, so the search
    is made a function of the input with ``interleave_search`` (the deterministic batched loop;
    ``max_deterministic_time`` alone is not enough), and the solve stops on a *deterministic*
    time limit: ``time_limit_s`` × a rate that depends on the model's size only
    (:func:`_dtime_rate`), because CP-SAT's deterministic time undercounts the scheduling
    propagators by one to two orders of magnitude on big models. The interleaved loop checks
    that limit between batches (each a few tasks per worker), so it overshoots by up to a batch:
    a fraction of a second on small models, tens of seconds on a heavy 30-day one. A wall-clock
    limit alone would truncate the same search at a load-dependent point; the wall clock is kept
    only as a safety net at :data:`WALL_SAFETY` × the limit + 2 s. If that fires first (a slow
    or loaded machine), the plan is still valid but may not repeat, and
    ``metrics["wall_limit_hit"]`` is 1. So ``time_limit_s`` is a budget in nominal seconds:
    the wall time is usually below it, and at most 1.5 × it + 2 s.

Infeasibility
    Only after the main solve proves infeasibility, diagnostic models put an enforcement literal
    on each group of constraints (each mandatory activity, each activity's time limits, each
    precedence, bundle, exclusion, resource capacity, capacity profile, work cap and storage)
    and solve under those assumptions; the groups in ``SufficientAssumptionsForInfeasibility``
    (then shrunk one by one while time allows) are the conflicts, one readable line each (see
    :func:`diagnose`).

Reported objective
    ``Solution.objective`` is the true objective of the returned plan, recomputed from its
    assignments (:func:`spacehome.planning.explain.criteria`), and ``bound`` is CP-SAT's bound,
    both in the maximised sign. In lexicographic mode they are those of the *first* criterion
    (the one that dominates); every stage's value and bound is in ``metrics`` as
    ``lex<i>.<criterion>`` and ``lex<i>.<criterion>.bound``, and the status is OPTIMAL only when
    every stage was proven optimal. Progress in lexicographic mode likewise reports the first
    criterion, so it never decreases.

Metrics
    ``scheduled``, ``unplaced``, ``value``, ``makespan``, ``fairness``, ``moved`` (the plan's
    criteria), ``branches``, ``conflicts``, ``solutions``, ``first_solution_s`` (wall time of the
    first plan, the warm start's included), ``deterministic_time``, ``wall_limit_hit``,
    ``warm_start`` (the greedy plan's objective), ``build_s``, ``explain_s``, and the model's
    ``variables``, ``constraints`` and ``intervals``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from spacehome.planning.explain import (
    SIGN,
    Spans,
    blocked_starts,
    capacity_segments,
    criteria,
    explain_unplaced,
    intersect,
    merge,
    residual_segments,
    shortfall_segments,
    start_domain,
    subtract,
    weighted_objective,
)
from spacehome.planning.problem import (
    RATIO_SCALE,
    Activity,
    Assignment,
    Criterion,
    Problem,
    Resource,
    Solution,
    Status,
    Unplaced,
    WorkCap,
    relative_gap,
)
from spacehome.planning.solver import Progress, ProgressCallback, SolveOptions

#: Deterministic time granted per second of ``time_limit_s`` is ``DTIME_SCALE / intervals``,
#: kept within ``[DTIME_MIN_RATE, DTIME_MAX_RATE]`` (see :func:`_dtime_rate`).
DTIME_SCALE = 50.0
DTIME_MIN_RATE = 0.005
DTIME_MAX_RATE = 0.25
#: The wall-clock safety net, as a multiple of ``time_limit_s`` (plus two seconds).
WALL_SAFETY = 1.5
#: Share of the time limit the diagnostic solves (naming conflicts) may use, at least
#: DIAGNOSIS_MIN_S: the first diagnostic solve of a 3-day station scenario needs about 2 s of
#: wall time (mostly presolve) before it can prove anything, and a slower or busier machine more.
DIAGNOSIS_SHARE = 0.5
DIAGNOSIS_MIN_S = 10.0
DIAG_DTIME_PER_SECOND = 0.2
#: Reservoirs with more events than this use CP-SAT's propagator instead of an expansion.
RESERVOIR_EXPANSION_LIMIT = 100
#: Models with more intervals than this skip presolve probing.
BIG_MODEL_INTERVALS = 1000
#: Problems with at least this many activities start from the greedy plan (see ``_warm_start``).
WARM_START_ACTIVITIES = 50

_DEFAULT_OPTIONS = SolveOptions()

Lit = Any  # a CP-SAT Boolean variable, its negation, or a Python bool constant
Expr = Any  # a CP-SAT linear expression or an int


@dataclass
class _Option:
    resource: str
    amount: int
    literal: Lit
    interval: Any | None  # occupies the resource (None when duration or amount is 0)


@dataclass(frozen=True)
class _Group:
    """A group of constraints the diagnostic model can switch off, and what it names."""

    literal: Any
    label: str
    names: frozenset[str]  # activities it mentions
    time_limits: bool  # an activity's release/deadline/windows/fixed start


@dataclass
class _Act:
    activity: Activity
    index: int
    present: Lit
    start: Expr
    domain: Spans
    fixed: bool  # mandatory with a constant start
    interval: Any | None = None
    demands: list[list[_Option]] = field(default_factory=list)


def _is_const(lit: Lit) -> bool:
    return isinstance(lit, bool)


def _kind(resource: Resource) -> str:
    return resource.tags[0] if resource.tags else "resource"


def _lag_text(min_lag: int, max_lag: int | None) -> str:
    if max_lag is not None:
        return f" (min lag {min_lag}, max lag {max_lag})"
    return f" (min lag {min_lag})" if min_lag else ""


def _spans_text(spans: Iterable[tuple[int, int]]) -> str:
    return ", ".join(f"[{a}, {b})" for a, b in spans)


def _time_text(problem: Problem, a: Activity) -> str | None:
    """The activity's own time limits in words, or None if only the horizon bounds it."""
    if a.fixed_start is not None:
        return f"activity '{a.id}' must start at {a.fixed_start}"
    parts = []
    if a.release > 0:
        parts.append(f"release {a.release}")
    if a.deadline is not None and a.deadline < problem.horizon:
        parts.append(f"deadline {a.deadline}")
    if a.windows:
        parts.append(f"its windows {_spans_text((w.start, w.end) for w in a.windows)}")
    if not parts:
        return None
    return f"activity '{a.id}' must lie within " + " and ".join(parts)


def _cap_label(cap: WorkCap) -> str:
    text = f"work cap on '{cap.resource}': at most {cap.limit} per {cap.period}"
    if cap.offset:
        text += f" (offset {cap.offset})"
    return f"{text} [{cap.label}]" if cap.label else text


def _domain(spans: Spans) -> Domain:
    return Domain.from_intervals([[a, b - 1] for a, b in spans])


class _Builder:
    """Builds the CP-SAT model of a problem; ``diagnostic`` puts assumption literals on groups."""

    use_pools = True

    def __init__(
        self, problem: Problem, *, diagnostic: bool = False, relax: frozenset[str] | None = None
    ) -> None:
        self.problem = problem
        self.diagnostic = diagnostic
        self.relax = relax  # diagnostic: activities whose time limits are a group (None: all)
        self.model = cp_model.CpModel()
        self.groups: list[_Group] = []  # diagnostic only
        self.infeasible: str | None = None  # set when the main model is infeasible by construction
        self.horizon = problem.horizon
        self.resources = {r.id: r for r in problem.resources}
        self.max_cap = {
            r.id: max(c for _, _, c in capacity_segments(r, self.horizon))
            for r in problem.resources
        }
        self.acts: dict[str, _Act] = {}
        self.makespan: Any | None = None
        self.ratio: Any | None = None
        self.moved: Expr | None = None
        self.intervals = 0
        self.reservoir_events = 0
        self._build()

    # -- helpers --

    def _interval(self, start: Expr, size: int, name: str) -> Any:
        self.intervals += 1
        return self.model.new_fixed_size_interval_var(start, size, name)

    def _optional_interval(self, start: Expr, size: int, present: Lit, name: str) -> Any:
        self.intervals += 1
        return self.model.new_optional_fixed_size_interval_var(start, size, present, name)

    def group(self, label: str, names: Iterable[str] = (), *, time_limits: bool = False) -> Lit:
        lit = self.model.new_bool_var(f"g{len(self.groups)}")
        self.groups.append(_Group(lit, label, frozenset(names), time_limits))
        return lit

    def require(self, lits: Sequence[Lit]) -> list[Lit] | None:
        """Drops constant-true literals; None when one is constant false (never enforced)."""
        out = []
        for lit in lits:
            if _is_const(lit):
                if not lit:
                    return None
            else:
                out.append(lit)
        return out

    def implies(self, a: Lit, b: Lit, also: Sequence[Lit] = ()) -> None:
        """``a ∧ also ⇒ b`` with constants folded."""
        cond = self.require([a, *also])
        if cond is None:
            return
        if _is_const(b):
            if b:
                return
            if not cond:
                self.fail("a required activity can never be scheduled")
                return
            self.model.add_bool_or([x.Not() for x in cond])
            return
        self.model.add_bool_or([*(x.Not() for x in cond), b])

    def fail(self, why: str) -> None:
        if self.infeasible is None:
            self.infeasible = why

    def conj(self, lits: Sequence[Lit], name: str) -> Lit:
        """A literal equal to the conjunction of ``lits`` (constants folded)."""
        rest = self.require(lits)
        if rest is None:
            return False
        if not rest:
            return True
        if len(rest) == 1:
            return rest[0]
        y = self.model.new_bool_var(name)
        for x in rest:
            self.model.add_implication(y, x)
        self.model.add_bool_or([y, *(x.Not() for x in rest)])
        return y

    def enforce(self, ct: Any, lits: Sequence[Lit]) -> None:
        if lits:
            ct.only_enforce_if(list(lits))

    # -- the model --

    def _build(self) -> None:
        p = self.problem
        acts = p.activities
        by_id = {a.id: a for a in acts}

        # Presence classes: bundles share one literal (main model); the closure of "mandatory"
        # through precedences (after ⇒ before) and bundles is constant true.
        parent = {a.id: a.id for a in acts}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        if not self.diagnostic:
            for b in p.bundles:
                for other in b.activities[1:]:
                    ra, rb = find(b.activities[0]), find(other)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
        mandatory: set[str] = set()
        if not self.diagnostic:
            members: dict[str, list[str]] = defaultdict(list)
            for a in acts:
                members[find(a.id)].append(a.id)
            preds: dict[str, list[str]] = defaultdict(list)
            for pr in p.precedences:
                preds[pr.after].append(pr.before)
            todo = [a.id for a in acts if not a.optional]
            while todo:
                x = todo.pop()
                if x in mandatory:
                    continue
                mandatory.add(x)
                todo.extend(members[find(x)])
                todo.extend(preds[x])

        # Static load (fixed, mandatory, single-option demands) → forbidden starts.
        fixed = {
            a.id
            for a in acts
            if a.id in mandatory and a.fixed_start is not None and start_domain(p, a)
        }
        usage: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        excluded_busy: dict[str, list[tuple[int, int]]] = defaultdict(list)
        if not self.diagnostic:
            for a in acts:
                if a.id in fixed and a.duration > 0:
                    fs = a.fixed_start
                    assert fs is not None
                    for dem in a.demands:
                        if len(dem.options) == 1 and dem.amount > 0:
                            usage[dem.options[0]].append((fs, fs + a.duration, dem.amount))
            for excl in p.exclusions:
                for side, others in ((excl.first, excl.second), (excl.second, excl.first)):
                    for i in side:
                        ai = by_id[i]
                        if i in fixed and ai.duration > 0 and ai.fixed_start is not None:
                            for j in others:
                                if j not in fixed:
                                    excluded_busy[j].append(
                                        (ai.fixed_start, ai.fixed_start + ai.duration)
                                    )
        self.static_usage = usage
        self.fixed = fixed
        shortfall_cache: dict[tuple[str, int], Spans] = {}

        def shortfall(rid: str, amount: int) -> Spans:
            key = (rid, amount)
            if key not in shortfall_cache:
                shortfall_cache[key] = shortfall_segments(
                    self.resources[rid], self.horizon, usage.get(rid, ()), amount
                )
            return shortfall_cache[key]

        def restrict(dom: Spans, segments: Spans, d: int) -> Spans:
            if not dom or d <= 0 or not segments:
                return dom
            return subtract(dom, blocked_starts(segments, d, dom[0][0], dom[-1][1]))

        # Domains and presence.
        class_lit: dict[str, Lit] = {}
        impossible: set[str] = set()
        domains: dict[str, Spans] = {}
        option_domains: dict[tuple[str, int, str], Spans] = {}
        for a in acts:
            d = a.duration
            if self.diagnostic and (self.relax is None or a.id in self.relax):
                dom: Spans = [(0, self.horizon - d + 1)] if d <= self.horizon else []
            elif self.diagnostic:
                dom = start_domain(p, a)
            else:
                dom = start_domain(p, a)
                if d > 0:
                    if a.id not in fixed:
                        dom = restrict(dom, merge(excluded_busy.get(a.id, ())), d)
                    for k, dem in enumerate(a.demands):
                        valid = [
                            o
                            for o in dem.options
                            if o in self.resources and dem.amount <= self.max_cap[o]
                        ]
                        if (
                            dem.amount <= 0
                            or not valid
                            or (a.id in fixed and len(dem.options) == 1)
                        ):
                            continue  # (a fixed activity's single-option demand is the static load)
                        per = {o: restrict(dom, shortfall(o, dem.amount), d) for o in valid}
                        allowed = merge(s for o in valid for s in per[o])
                        dom = intersect(dom, allowed)
                        if len(valid) > 1:
                            for o in valid:
                                option_domains[a.id, k, o] = per[o]
            for dem in a.demands:
                if not any(
                    o in self.resources and dem.amount <= self.max_cap[o] for o in dem.options
                ):
                    dom = []
            domains[a.id] = dom
            if not dom:
                impossible.add(a.id)
        classes: dict[str, list[str]] = defaultdict(list)
        for a in acts:
            classes[find(a.id)].append(a.id)
        for a in acts:
            root = find(a.id)
            if root in class_lit:
                continue
            cls = classes[root]
            if any(b in impossible for b in cls):
                if any(b in mandatory for b in cls):
                    self.fail(f"activity '{a.id}' has no start time where it can fit")
                class_lit[root] = False
            elif a.id in mandatory:
                class_lit[root] = True
            else:
                class_lit[root] = self.model.new_bool_var(f"p_{a.id}")

        for idx, a in enumerate(acts):
            present = class_lit[find(a.id)]
            dom = domains[a.id]
            d = a.duration
            if present is False:
                self.acts[a.id] = _Act(a, idx, False, dom[0][0] if dom else 0, dom, False)
                continue
            if len(dom) == 1 and dom[0][1] - dom[0][0] == 1:
                start: Expr = dom[0][0]
            else:
                start = self.model.new_int_var_from_domain(_domain(dom), f"s_{a.id}")
            rec = _Act(a, idx, present, start, dom, a.id in fixed)
            if d > 0:
                if present is True:
                    rec.interval = self._interval(start, d, f"i_{a.id}")
                else:
                    rec.interval = self._optional_interval(start, d, present, f"i_{a.id}")
            self.acts[a.id] = rec

        if self.diagnostic:
            for a in acts:
                rec = self.acts[a.id]
                if not a.optional:
                    self.implies(
                        self.group(f"activity '{a.id}' must be scheduled", [a.id]), rec.present
                    )
                if self.relax is not None and a.id not in self.relax:
                    continue  # its time limits are in its start domain
                text = _time_text(p, a)
                dom = start_domain(p, a)
                if text is not None and rec.present is not False:
                    lit = self.group(text, [a.id], time_limits=True)
                    if not dom:
                        self.implies(rec.present, False, [lit])
                    else:
                        self.enforce(
                            self.model.add_linear_expression_in_domain(rec.start, _domain(dom)),
                            [lit],
                        )

        self._demands(option_domains)
        self._resources()
        if self.use_pools and not self.diagnostic:
            self._pools()
        self._precedences()
        self._bundles()
        self._exclusions(fixed)
        self._work_caps()
        self._storages()
        self._objective_terms()

    def _demands(self, option_domains: dict[tuple[str, int, str], Spans]) -> None:
        cap_lit: dict[str, Lit] = {}
        for rec in self.acts.values():
            a = rec.activity
            if rec.present is False:
                continue
            for k, dem in enumerate(a.demands):
                valid = [
                    o for o in dem.options if o in self.resources and dem.amount <= self.max_cap[o]
                ]
                options: list[_Option] = []
                if len(valid) == 1:
                    options.append(_Option(valid[0], dem.amount, rec.present, rec.interval))
                else:
                    lits = [self.model.new_bool_var(f"x_{a.id}_{k}_{o}") for o in valid]
                    if rec.present is True:
                        self.model.add_exactly_one(lits)
                    else:
                        self.model.add(sum(lits) == rec.present)
                    for o, lit in zip(valid, lits, strict=True):
                        iv = None
                        if a.duration > 0:
                            iv = self._optional_interval(
                                rec.start, a.duration, lit, f"i_{a.id}_{k}_{o}"
                            )
                        dom_o = option_domains.get((a.id, k, o))
                        if dom_o is not None:
                            here = intersect(rec.domain, dom_o)
                            if not here:
                                self.model.add_bool_or([lit.Not()])
                            elif here != rec.domain:
                                self.model.add_linear_expression_in_domain(
                                    rec.start, _domain(here)
                                ).only_enforce_if(lit)
                        options.append(_Option(o, dem.amount, lit, iv))
                if self.diagnostic:
                    for opt in options:
                        if opt.interval is None or opt.amount <= 0:
                            continue
                        if opt.resource not in cap_lit:
                            r = self.resources[opt.resource]
                            cap_lit[opt.resource] = self.group(
                                f"{_kind(r)} '{r.id}' capacity {self.max_cap[r.id]}"
                            )
                        y = self.conj(
                            [opt.literal, cap_lit[opt.resource]], f"y_{a.id}_{k}_{opt.resource}"
                        )
                        opt.interval = self._optional_interval(
                            rec.start, a.duration, y, f"j_{a.id}_{k}_{opt.resource}"
                        )
                rec.demands.append(options)

    def _resources(self) -> None:
        users: dict[str, list[tuple[Any, int]]] = defaultdict(list)
        for rec in self.acts.values():
            for options in rec.demands:
                static = rec.fixed and len(options) == 1 and not self.diagnostic
                for opt in options:
                    if opt.interval is not None and opt.amount > 0 and not static:
                        users[opt.resource].append((opt.interval, opt.amount))
        for r in self.problem.resources:
            if self.diagnostic:
                segments = capacity_segments(r, self.horizon)
            else:
                # Fixed load and profile become one residual capacity; every other interval's
                # start domain already avoids the times where the residual is short of its amount.
                segments = residual_segments(r, self.horizon, self.static_usage.get(r.id, ()))
                low = min(segments, key=lambda x: x[2])
                if low[2] < 0:
                    self.fail(f"fixed activities overload '{r.id}' at time {low[0]}")
                    continue
            ivs = users.get(r.id)
            if not ivs:
                continue
            cmax = max(c for _, _, c in segments)
            amounts = [m for _, m in ivs]
            if not self.diagnostic:
                if sum(amounts) <= min(c for _, _, c in segments):
                    continue  # can never bind
                if 2 * min(amounts) > cmax:
                    # no two can ever overlap, and each alone fits where its domain lets it start
                    self.model.add_no_overlap([iv for iv, _ in ivs])
                    continue
            dips = [(a, b, cmax - c) for a, b, c in segments if c < cmax]
            lit: Lit = True
            if dips and self.diagnostic:
                lit = self.group(f"{_kind(r)} '{r.id}' capacity profile")
            blockers = []
            for a, b, m in dips:
                if lit is True:
                    blockers.append((self._interval(a, b - a, f"b_{r.id}_{a}"), m))
                else:
                    blockers.append((self._optional_interval(a, b - a, lit, f"b_{r.id}_{a}"), m))
            every = ivs + blockers
            if cmax == 1:
                self.model.add_no_overlap([iv for iv, _ in every])
            else:
                self.model.add_cumulative([iv for iv, _ in every], [m for _, m in every], cmax)

    def _pools(self) -> None:
        """Redundant cumulatives over resources linked by alternatives (a crew pool).

        Each demand whose options all lie in a pool uses ``amount`` of the pool's total residual
        capacity for the activity's whole interval, whichever option it takes; this lets the
        solver see "two of the four crew members are asleep" without choosing who does what.
        """
        parent = {r.id: r.id for r in self.problem.resources}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        multi = False
        for rec in self.acts.values():
            for options in rec.demands:
                if len(options) > 1:
                    multi = True
                    for o in options[1:]:
                        ra, rb = find(options[0].resource), find(o.resource)
                        if ra != rb:
                            parent[max(ra, rb)] = min(ra, rb)
        if not multi:
            return
        members: dict[str, list[str]] = defaultdict(list)
        for r in self.problem.resources:
            members[find(r.id)].append(r.id)
        for root, rids in members.items():
            if len(rids) < 2:
                continue
            pool = set(rids)
            ivs: list[tuple[Any, int]] = []
            for rec in self.acts.values():
                if rec.interval is None:
                    continue
                for options in rec.demands:
                    static = rec.fixed and len(options) == 1
                    if (
                        options
                        and not static
                        and options[0].amount > 0
                        and {o.resource for o in options} <= pool
                    ):
                        ivs.append((rec.interval, options[0].amount))
            if len(ivs) < 2:
                continue
            deltas: dict[int, int] = defaultdict(int)
            for rid in rids:
                prev = 0
                for a, _, c in residual_segments(
                    self.resources[rid], self.horizon, self.static_usage.get(rid, ())
                ):
                    deltas[a] += c - prev
                    prev = c
            level = 0
            segs: list[tuple[int, int, int]] = []
            times = sorted(deltas)
            for k, t in enumerate(times):
                level += deltas[t]
                segs.append((t, times[k + 1] if k + 1 < len(times) else self.horizon, level))
            cmax = max(c for _, _, c in segs)
            blockers = [
                (self._interval(a, b - a, f"pool_{root}_{a}"), cmax - c)
                for a, b, c in segs
                if c < cmax and b > a
            ]
            every = ivs + blockers
            self.model.add_cumulative([iv for iv, _ in every], [m for _, m in every], cmax)

    def _precedences(self) -> None:
        for pr in self.problem.precedences:
            b, a = self.acts[pr.before], self.acts[pr.after]
            extra: list[Lit] = []
            if self.diagnostic:
                label = f"precedence {pr.before} -> {pr.after}{_lag_text(pr.min_lag, pr.max_lag)}"
                extra = [self.group(label, [pr.before, pr.after])]
            self.implies(a.present, b.present, extra)
            cond = self.require([a.present, b.present, *extra])
            if cond is None:
                continue
            end_b = b.start + b.activity.duration
            self.enforce(self.model.add(a.start >= end_b + pr.min_lag), cond)
            if pr.max_lag is not None:
                self.enforce(self.model.add(a.start <= end_b + pr.max_lag), cond)

    def _bundles(self) -> None:
        if not self.diagnostic:
            return  # the members share one presence literal
        for bundle in self.problem.bundles:
            if len(bundle.activities) < 2:
                continue
            lit = self.group(
                f"bundle {', '.join(repr(i) for i in bundle.activities)} (all or none)",
                bundle.activities,
            )
            first = self.acts[bundle.activities[0]].present
            for other in bundle.activities[1:]:
                self.implies(first, self.acts[other].present, [lit])
                self.implies(self.acts[other].present, first, [lit])

    def _exclusions(self, fixed: set[str]) -> None:
        done: set[tuple[str, str]] = set()
        for n, x in enumerate(self.problem.exclusions):
            lit: Lit = True
            if self.diagnostic:
                name = (
                    x.label
                    or f"{', '.join(repr(i) for i in x.first)} vs {', '.join(repr(i) for i in x.second)}"
                )
                lit = self.group(f"exclusion {name}: no overlap", [*x.first, *x.second])
            for i in x.first:
                for j in x.second:
                    ai, aj = self.acts[i], self.acts[j]
                    if ai.interval is None or aj.interval is None:
                        continue  # absent or zero duration: never overlaps
                    if i == j:
                        continue  # an activity does not overlap itself
                    key = (min(i, j), max(i, j))
                    if not self.diagnostic:
                        if key in done:
                            continue
                        done.add(key)
                        if i in fixed and j in fixed:
                            si, sj = ai.activity.fixed_start, aj.activity.fixed_start
                            assert si is not None
                            assert sj is not None
                            if si < sj + aj.activity.duration and sj < si + ai.activity.duration:
                                self.fail(
                                    f"fixed activities '{i}' and '{j}' overlap but exclude each other"
                                )
                            continue
                        if i in fixed or j in fixed:
                            continue  # already forbidden time for the other
                        self.model.add_no_overlap([ai.interval, aj.interval])
                    else:
                        cond = self.require([lit, ai.present, aj.present])
                        if cond is None:
                            continue
                        order = self.model.new_bool_var(f"o{n}_{i}_{j}")
                        self.model.add(ai.start + ai.activity.duration <= aj.start).only_enforce_if(
                            [*cond, order]
                        )
                        self.model.add(aj.start + aj.activity.duration <= ai.start).only_enforce_if(
                            [*cond, order.Not()]
                        )

    def _work_caps(self) -> None:
        for cap in self.problem.work_caps:
            lit: Lit = self.group(_cap_label(cap)) if self.diagnostic else True
            periods: dict[int, list[tuple[int, Lit]]] = defaultdict(list)
            for rec in self.acts.values():
                a = rec.activity
                if rec.present is False or a.duration <= 0:
                    continue
                holds = [
                    o.literal for opts in rec.demands for o in opts if o.resource == cap.resource
                ]
                if not holds:
                    continue
                if any(h is True for h in holds):
                    hold: Lit = True
                elif len(holds) == 1:
                    hold = holds[0]
                else:
                    hold = self.model.new_bool_var(f"h_{a.id}_{cap.resource}")
                    self.model.add_max_equality(hold, holds)
                ks = sorted(
                    {
                        k
                        for s, e in rec.domain
                        for k in range(
                            (s - cap.offset) // cap.period, (e - 1 - cap.offset) // cap.period + 1
                        )
                    }
                )
                if len(ks) == 1:
                    periods[ks[0]].append((a.duration, hold))
                    continue
                zs = []
                for k in ks:
                    lo = cap.offset + k * cap.period
                    span = intersect(rec.domain, [(lo, lo + cap.period)])
                    z = self.model.new_bool_var(f"z_{a.id}_{cap.resource}_{k}")
                    self.model.add_linear_expression_in_domain(
                        rec.start, _domain(span)
                    ).only_enforce_if(z)
                    zs.append(z)
                    periods[k].append((a.duration, z))
                self.model.add(sum(zs) == (1 if hold is True else hold))
            for _k, items in sorted(periods.items()):
                if sum(d for d, _ in items) <= cap.limit:
                    continue
                ct = self.model.add(sum(d * z for d, z in items) <= cap.limit)
                self.enforce(ct, [] if lit is True else [lit])

    def _storages(self) -> None:
        for s in self.problem.storages:
            times: list[Expr] = [0]
            changes: list[int] = [s.initial]
            lit: Lit = True
            events: list[tuple[Expr, int, Lit]] = []
            for rec in self.acts.values():
                if rec.present is False:
                    continue
                for e in rec.activity.effects:
                    if e.storage == s.id and e.delta:
                        t = rec.start if e.at == "start" else rec.start + rec.activity.duration
                        events.append((t, e.delta, rec.present))
            if not events:
                continue
            if not self.diagnostic:
                up = sum(dl for _, dl, _ in events if dl > 0)
                down = sum(dl for _, dl, _ in events if dl < 0)
                if s.initial + up <= s.capacity and s.initial + down >= 0:
                    continue  # can never bind
            else:
                lit = self.group(f"storage '{s.id}' level within [0, {s.capacity}]")
            actives: list[Lit] = [lit]
            for t, dl, present in events:
                times.append(t)
                changes.append(dl)
                actives.append(self.conj([present, lit], f"a_{s.id}_{len(actives)}"))
            self.model.add_reservoir_constraint_with_active(times, changes, actives, 0, s.capacity)
            self.reservoir_events += len(times)

    # -- objective --

    def needed(self) -> set[Criterion]:
        obj = self.problem.objective
        if obj.lexicographic:
            return {Criterion(c) for c in obj.lexicographic}
        return {Criterion(c) for c, w in obj.weights.items() if w}

    def _objective_terms(self) -> None:
        if self.diagnostic:
            return
        need = self.needed()
        live = [r for r in self.acts.values() if r.present is not False]
        if Criterion.MAKESPAN in need:
            lb = max(
                (r.domain[0][0] + r.activity.duration for r in live if r.present is True), default=0
            )
            self.makespan = self.model.new_int_var(lb, self.horizon, "makespan")
            for r in live:
                if r.domain[-1][1] - 1 + r.activity.duration <= lb:
                    continue
                self.enforce(
                    self.model.add(self.makespan >= r.start + r.activity.duration),
                    self.require([r.present]) or [],
                )
        if Criterion.FAIRNESS in need and self.problem.groups:
            ub = None
            terms: dict[str, list[tuple[int, Lit]]] = defaultdict(list)
            for r in live:
                for gid, pct in r.activity.shares:
                    if r.activity.value * pct:
                        terms[gid].append((r.activity.value * pct, r.present))
            for g in self.problem.groups:
                top = sum(c for c, _ in terms[g.id]) * RATIO_SCALE // (100 * g.entitlement)
                ub = top if ub is None else min(ub, top)
            self.ratio = self.model.new_int_var(0, ub or 0, "fairness")
            for g in self.problem.groups:
                delivered = sum(c * lit for c, lit in terms[g.id])
                self.model.add(100 * g.entitlement * self.ratio <= RATIO_SCALE * delivered)
        if Criterion.STABILITY in need and self.problem.baseline:
            stays: list[Lit] = []
            for n, e in enumerate(self.problem.baseline):
                rec = self.acts.get(e.activity)
                if (
                    rec is None
                    or rec.present is False
                    or not any(a <= e.start < b for a, b in rec.domain)
                ):
                    continue
                conds: list[Lit] = [rec.present]
                if e.resources:
                    if len(e.resources) != len(rec.demands):
                        continue
                    ok = True
                    for options, rid in zip(rec.demands, e.resources, strict=True):
                        match = [o.literal for o in options if o.resource == rid]
                        if not match:
                            ok = False
                            break
                        conds.append(match[0])
                    if not ok:
                        continue
                stay = self.model.new_bool_var(f"stay{n}")
                for c in self.require(conds) or []:
                    self.model.add_implication(stay, c)
                if not isinstance(rec.start, int):
                    self.model.add(rec.start == e.start).only_enforce_if(stay)
                stays.append(stay)
            self.moved = len(self.problem.baseline) - sum(stays)

    def criterion(self, c: Criterion) -> Expr:
        """The criterion as a model expression, in the maximised sign."""
        if c is Criterion.VALUE:
            return sum(
                r.activity.value * r.present
                for r in self.acts.values()
                if r.activity.value and r.present is not False
            )
        if c is Criterion.MAKESPAN:
            return -self.makespan if self.makespan is not None else 0
        if c is Criterion.FAIRNESS:
            return self.ratio if self.ratio is not None else 0
        return -self.moved if self.moved is not None else 0

    def weighted(self) -> Expr:
        return sum(
            w * self.criterion(Criterion(c)) for c, w in self.problem.objective.weights.items() if w
        )

    def hint(self, placed: Sequence[tuple[str, int, tuple[str, ...]]], *, absent_rest: bool) -> int:
        """Hint ``(activity, start, resources)`` placements (a baseline, a greedy plan).

        Placements the model cannot take (start outside the domain, unknown resource) are
        skipped; ``absent_rest`` also hints every other optional activity absent. Returns the
        number of activities hinted present.
        """
        hints: dict[int, tuple[Any, int]] = {}

        def put(var: Any, value: int) -> None:
            if not _is_const(var) and not isinstance(var, int):
                hints.setdefault(var.index, (var, value))

        count = 0
        seen: set[str] = set()
        for aid, start, resources in placed:
            rec = self.acts.get(aid)
            if rec is None or rec.present is False or aid in seen:
                continue
            if not any(a <= start < b for a, b in rec.domain):
                continue
            seen.add(aid)
            count += 1
            put(rec.present, 1)
            put(rec.start, start)
            if len(resources) == len(rec.demands):
                for options, rid in zip(rec.demands, resources, strict=True):
                    if len(options) > 1 and any(o.resource == rid for o in options):
                        for o in options:
                            put(o.literal, int(o.resource == rid))
        if absent_rest:
            for rec in self.acts.values():
                if rec.activity.id not in seen:
                    put(rec.present, 0)
        for var, value in hints.values():
            self.model.add_hint(var, value)
        return count


def _bool(value: Any, lit: Lit) -> bool:
    if _is_const(lit):
        return bool(lit)
    return bool(value.boolean_value(lit))


def _assignments(b: _Builder, solver: cp_model.CpSolver) -> list[Assignment]:
    out = []
    for rec in b.acts.values():
        if not _bool(solver, rec.present):
            continue
        start = rec.start if isinstance(rec.start, int) else int(solver.value(rec.start))
        chosen = []
        for options in rec.demands:
            pick = next(
                (o.resource for o in options if _bool(solver, o.literal)),
                options[0].resource if options else "",
            )
            chosen.append(pick)
        out.append(Assignment(rec.activity.id, start, start + rec.activity.duration, tuple(chosen)))
    order = {a.id: i for i, a in enumerate(b.problem.activities)}
    out.sort(key=lambda x: (x.start, order[x.activity]))
    return out


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Counts solutions, timestamps the first, and forwards progress (thread-safe).

    Progress reports the first stage's objective (maximised sign), never decreasing, and a bound
    never below it. Once the first stage is done (lexicographic), both are held at its result.
    """

    def __init__(self, t0: float, progress: ProgressCallback | None, state: dict[str, Any]) -> None:
        super().__init__()
        self.t0 = t0
        self.progress = progress
        self.state = state
        self.lock: threading.Lock = state["lock"]
        self.held: tuple[float, float] | None = None
        self.solver: cp_model.CpSolver | None = None  # the solve under way, to stop it

    def incumbent(self, objective: float) -> None:
        """A plan found outside CP-SAT (the warm start)."""
        with self.lock:
            self._solution(objective, None)

    def hold(self, objective: float, bound: float) -> None:
        with self.lock:
            self.held = (objective, max(bound, objective))

    def final(self, objective: float, bound: float) -> None:
        """The last report: the returned plan's objective and the final bound."""
        with self.lock:
            best = self.state["best"]
            best = objective if best is None else max(best, objective)
            self._emit(
                Progress(
                    time.perf_counter() - self.t0, best, max(bound, best), self.state["solutions"]
                )
            )
            if self.state["error"] is not None:
                raise self.state["error"]

    def on_solution_callback(self) -> None:
        with self.lock:
            if self.held is not None:
                self._solution(*self.held)
            else:
                self._solution(float(self.objective_value), float(self.best_objective_bound))

    def on_bound(self, bound: float) -> None:
        with self.lock:
            if self.held is not None:
                return
            best = self.state["best"]
            shown = float(bound) if best is None else max(float(bound), best)
            self._emit(
                Progress(time.perf_counter() - self.t0, best, shown, self.state["solutions"])
            )

    def _solution(self, objective: float, bound: float | None) -> None:
        now = time.perf_counter() - self.t0
        self.state["solutions"] += 1
        if self.state["first_s"] is None:
            self.state["first_s"] = now
        best = self.state["best"]
        best = objective if best is None else max(best, objective)
        self.state["best"] = best
        self._emit(
            Progress(
                now, best, None if bound is None else max(bound, best), self.state["solutions"]
            )
        )

    def _emit(self, p: Progress) -> None:
        if self.progress is None or self.state["error"] is not None:
            return
        try:
            self.progress(p)
        except BaseException as exc:  # re-raised after the solve
            self.state["error"] = exc
            if self.solver is not None:
                self.solver.stop_search()


def _stopped_by_wall(solver: cp_model.CpSolver, code: Any, options: SolveOptions) -> bool:
    """Did the wall-clock safety net, rather than the deterministic limit, end this solve?"""
    if code not in (cp_model.FEASIBLE, cp_model.UNKNOWN):
        return False  # proven: the limits played no part
    if solver.deterministic_time >= solver.parameters.max_deterministic_time:
        return False
    if code == cp_model.FEASIBLE and options.gap_limit > 0:
        gap = relative_gap(solver.objective_value, solver.best_objective_bound)
        return gap is None or gap > options.gap_limit
    return True


def _dtime_rate(b: _Builder) -> float:
    """Deterministic time granted per second of the time limit, from the model's size.

    CP-SAT's deterministic time undercounts the scheduling propagators, whose cost grows with
    the number of intervals: measured on two cores with ``interleave_search``, a model of about
    200 intervals accrues some 0.3 units a wall second, a 30-day increment of 3,500–4,500
    intervals 0.02–0.06. The rate is a function of the model alone, so the stopping point (and
    the plan) is the same on every run; it is set low enough that, overshoot included, the
    deterministic limit rather than the wall-clock net usually ends the search.
    """
    return min(DTIME_MAX_RATE, max(DTIME_MIN_RATE, DTIME_SCALE / max(1, b.intervals)))


def _parameters(
    solver: cp_model.CpSolver, b: _Builder, options: SolveOptions, dtime: float, wall: float
) -> None:
    prm = solver.parameters
    prm.num_workers = max(1, options.workers)
    prm.random_seed = options.seed
    if options.workers > 1:
        prm.interleave_search = True  # the only deterministic multi-worker loop
    prm.max_deterministic_time = max(0.01, dtime)
    prm.max_time_in_seconds = max(0.5, wall)
    if options.gap_limit > 0:
        prm.relative_gap_limit = options.gap_limit
    _model_parameters(solver, b)


def _model_parameters(solver: cp_model.CpSolver, b: _Builder) -> None:
    prm = solver.parameters
    # Expanding a reservoir creates a Boolean per pair of events: fine for a few dozen, ruinous
    # for hundreds (the native time-tabling propagator is used instead).
    prm.expand_reservoir_constraints = b.reservoir_events <= RESERVOIR_EXPANSION_LIMIT
    if b.intervals > BIG_MODEL_INTERVALS:
        # presolve probing on big scheduling models costs tens of seconds of wall time for
        # little deterministic time (the disjunctive propagators dominate)
        prm.cp_model_probing_level = 0


_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
}


class CpSatSolver:
    """The exact solver: OR-Tools CP-SAT over interval variables (see the module docstring)."""

    name = "cp-sat"

    def solve(
        self,
        problem: Problem,
        options: SolveOptions = _DEFAULT_OPTIONS,
        progress: ProgressCallback | None = None,
    ) -> Solution:
        t0 = time.perf_counter()
        b = _Builder(problem)
        metrics: dict[str, float] = {
            "build_s": time.perf_counter() - t0,
            "variables": float(len(b.model.proto.variables)),
            "constraints": float(len(b.model.proto.constraints)),
            "intervals": float(b.intervals),
        }
        if b.infeasible is not None:
            return self._infeasible(problem, options, t0, metrics)

        obj = problem.objective
        stages: list[Criterion | None] = [Criterion(c) for c in obj.lexicographic] or [None]

        def stage_expr(builder: _Builder, c: Criterion | None) -> Expr:
            return builder.weighted() if c is None else builder.criterion(c)

        def plan_value(plan: Sequence[Assignment], c: Criterion | None) -> int:
            values = criteria(problem, plan)
            return weighted_objective(obj, values) if c is None else SIGN[c] * values[c]

        if problem.baseline:
            b.hint(
                [(e.activity, e.start, e.resources) for e in problem.baseline], absent_rest=False
            )

        state: dict[str, Any] = {
            "lock": threading.Lock(),
            "solutions": 0,
            "first_s": None,
            "best": None,
            "error": None,
        }
        watcher = _Watcher(t0, progress, state)

        # Warm start (big problems): the greedy plan is the incumbent, and CP-SAT looks for a
        # strictly better one; if there is none, the greedy plan is the answer.
        warm = (
            _warm_start(problem, options)
            if len(problem.activities) >= WARM_START_ACTIVITIES
            else None
        )
        cut: int | None = None
        if warm is not None:
            cut = plan_value(warm, stages[0])
            b.model.add(stage_expr(b, stages[0]) >= cut + 1)
            metrics["warm_start"] = float(cut)
            watcher.incumbent(float(cut))

        total_dtime = options.time_limit_s * _dtime_rate(b)
        total_wall = options.time_limit_s * WALL_SAFETY + 2.0
        best: list[Assignment] | None = None
        held: list[tuple[Criterion | None, int]] = []  # stages done: criterion held at value
        proven = True
        first_bound: float | None = None
        branches = conflicts = 0
        dtime_used = 0.0
        wall_hit = False
        for n, crit in enumerate(stages):
            expr = stage_expr(b, crit)
            b.model.maximize(expr)
            solver = cp_model.CpSolver()
            left = len(stages) - n
            spent = time.perf_counter() - t0
            _parameters(
                solver, b, options, (total_dtime - dtime_used) / left, (total_wall - spent) / left
            )
            solver.best_bound_callback = watcher.on_bound
            watcher.solver = solver
            code = solver.solve(b.model, watcher)
            if state["error"] is not None:
                raise state["error"]
            dtime_used += solver.deterministic_time
            branches += solver.num_branches
            conflicts += solver.num_conflicts
            wall_hit = wall_hit or _stopped_by_wall(solver, code, options)
            status = _STATUS.get(code)
            if status is None:
                raise RuntimeError(
                    f"CP-SAT rejected the model: {solver.status_name(code)} {b.model.validate()}"
                )
            label = "weighted" if crit is None else str(crit)
            if n == 0 and cut is not None and status in (Status.INFEASIBLE, Status.UNKNOWN):
                # nothing better than the warm start: it is the plan (optimal if proven)
                assert warm is not None
                best, value = list(warm), cut
                bound = (
                    float(cut)
                    if status is Status.INFEASIBLE
                    else max(float(cut), solver.best_objective_bound)
                )
                proven = status is Status.INFEASIBLE
                if len(stages) > 1:  # later stages need a model without the cut
                    b = _Builder(problem)
                    b.hint([(x.activity, x.start, x.resources) for x in warm], absent_rest=True)
            elif status is Status.INFEASIBLE and n == 0:
                metrics.update(branches=float(branches), conflicts=float(conflicts))
                return self._infeasible(problem, options, t0, metrics)
            elif status not in (Status.OPTIMAL, Status.FEASIBLE):
                proven = False
                break  # no (better) solution this stage: keep what we have
            else:
                best = _assignments(b, solver)
                value = round(solver.objective_value)
                bound = float(solver.best_objective_bound)
                proven = proven and status is Status.OPTIMAL
                if n + 1 < len(stages):
                    b.model.clear_hints()  # type: ignore[no-untyped-call]
                    for i, v in enumerate(solver.response_proto.solution):
                        b.model.add_hint(b.model.get_int_var_from_proto_index(i), v)
            if len(stages) > 1:
                metrics[f"lex{n}.{label}"] = float(value)
                metrics[f"lex{n}.{label}.bound"] = bound
            if n == 0:
                first_bound = bound
                watcher.hold(float(value), bound)
            held.append((crit, value))
            if n + 1 < len(stages):
                for c, v in held:
                    b.model.add(stage_expr(b, c) >= v)

        metrics.update(
            branches=float(branches),
            conflicts=float(conflicts),
            solutions=float(state["solutions"]),
            deterministic_time=dtime_used,
            wall_limit_hit=float(wall_hit),
        )
        if state["first_s"] is not None:
            metrics["first_solution_s"] = float(state["first_s"])
        if best is None:
            reason = "not scheduled: no feasible plan was found within the time limit"
            metrics.update(scheduled=0.0, unplaced=float(len(problem.activities)))
            return Solution(
                status=Status.UNKNOWN,
                solver=self.name,
                unplaced=tuple(Unplaced(a.id, reason) for a in problem.activities),
                wall_s=time.perf_counter() - t0,
                metrics=metrics,
            )
        values_now = criteria(problem, best)
        for c, v in values_now.items():
            metrics[_METRIC[c]] = float(v)
        objective = float(plan_value(best, stages[0]))
        bound_out = (
            objective
            if proven
            else max(first_bound if first_bound is not None else objective, objective)
        )
        t_explain = time.perf_counter()
        reasons = explain_unplaced(problem, best)
        metrics["explain_s"] = time.perf_counter() - t_explain
        metrics.update(scheduled=float(len(best)), unplaced=float(len(reasons)))
        watcher.final(objective, bound_out)
        return Solution(
            status=Status.OPTIMAL if proven else Status.FEASIBLE,
            solver=self.name,
            assignments=tuple(best),
            unplaced=tuple(Unplaced(i, r) for i, r in reasons.items()),
            objective=objective,
            bound=bound_out,
            gap=relative_gap(objective, bound_out),
            wall_s=time.perf_counter() - t0,
            metrics=metrics,
        )

    def _infeasible(
        self, problem: Problem, options: SolveOptions, t0: float, metrics: dict[str, float]
    ) -> Solution:
        budget = max(DIAGNOSIS_MIN_S, options.time_limit_s * DIAGNOSIS_SHARE)
        conflicts = diagnose(problem, options, budget)
        reason = "not scheduled: the problem is infeasible (see the conflicts)"
        metrics.update(scheduled=0.0, unplaced=float(len(problem.activities)))
        return Solution(
            status=Status.INFEASIBLE,
            solver=self.name,
            unplaced=tuple(Unplaced(a.id, reason) for a in problem.activities),
            wall_s=time.perf_counter() - t0,
            conflicts=conflicts,
            metrics=metrics,
        )


_METRIC = {
    Criterion.VALUE: "value",
    Criterion.MAKESPAN: "makespan",
    Criterion.FAIRNESS: "fairness",
    Criterion.STABILITY: "moved",
}


def _warm_start(problem: Problem, options: SolveOptions) -> list[Assignment] | None:
    """The greedy plan, if it schedules every mandatory activity and validates; else None."""
    from spacehome.planning.greedy import GreedySolver
    from spacehome.planning.validate import validate

    # a generous limit: the greedy stops trying optional work at its deadline, which would
    # make the warm start (and so the plan) depend on the machine; it needs about a second
    quick = SolveOptions(time_limit_s=max(10.0, options.time_limit_s), workers=1, seed=options.seed)
    sol = GreedySolver().solve(problem, quick)
    if sol.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return None
    if any(v.kind != "objective-mismatch" for v in validate(problem, sol)):
        return None
    return list(sol.assignments)


def diagnose(
    problem: Problem, options: SolveOptions = _DEFAULT_OPTIONS, budget_s: float = 10.0
) -> tuple[str, ...]:
    """Name the groups of constraints that together make ``problem`` infeasible.

    Two diagnostic models, each with an assumption literal per group of constraints. The first
    holds every activity's time limits (release, deadline, windows, fixed start) hard, so it is
    as compact as the main model; its conflict names the activities involved. The second makes
    the time limits of just those activities groups too, so a window or a fixed start that takes
    part in the conflict is named as well. Each conflict is CP-SAT's sufficient set of
    assumptions, then shrunk by dropping one group at a time while the rest stays infeasible and
    time allows. Returns labels in problem order; empty if infeasibility was not proven in time.
    """
    t0 = time.perf_counter()

    def left() -> float:
        return budget_s - (time.perf_counter() - t0)

    first = _Builder(problem, diagnostic=True, relax=frozenset())
    # The first conflict matters most (it names the activities); the second only refines it.
    core = _conflict(first, list(range(len(first.groups))), options, lambda: left() * 0.7)
    if core is None:
        return ()
    labels = {first.groups[k].label for k in core}
    involved = frozenset(n for k in core for n in first.groups[k].names)
    second = _Builder(problem, diagnostic=True, relax=involved)
    wanted = [
        k
        for k, g in enumerate(second.groups)
        if g.label in labels or (g.time_limits and g.names <= involved)
    ]
    core2 = _conflict(second, wanted, options, left)
    if core2 is None:
        return tuple(first.groups[k].label for k in core)
    return tuple(second.groups[k].label for k in core2)


def _conflict(
    b: _Builder, candidates: list[int], options: SolveOptions, budget: Callable[[], float]
) -> list[int] | None:
    """A (shrunk) subset of the candidate groups whose assumptions are infeasible, or None."""
    by_var = {g.literal.index: k for k, g in enumerate(b.groups)}
    t0 = time.perf_counter()
    total = max(0.5, budget())

    def run(groups: Sequence[int], share: float) -> list[int] | None:
        b.model.clear_assumptions()
        b.model.add_assumptions([b.groups[k].literal for k in groups])
        solver = cp_model.CpSolver()
        room = max(0.05, (total - (time.perf_counter() - t0)) * share)
        _model_parameters(solver, b)
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = options.seed
        solver.parameters.max_deterministic_time = room * DIAG_DTIME_PER_SECOND
        solver.parameters.max_time_in_seconds = room
        if solver.solve(b.model) != cp_model.INFEASIBLE:
            return None
        found = sorted(
            {by_var[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_var}
        )
        return found or sorted(groups)

    core = run(candidates, 0.8)  # the proof itself; shrinking it comes second
    if core is None:
        return None
    for k in list(core):
        if k not in core or time.perf_counter() - t0 > total * 0.9:
            continue
        trial = [j for j in core if j != k]
        smaller = run(trial, 0.2)
        if smaller is not None:
            core = sorted(set(smaller) & set(trial)) or trial
    return core
