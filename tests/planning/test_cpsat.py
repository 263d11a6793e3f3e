"""CP-SAT solver: exact against brute force on tiny instances, plus conflicts, determinism, progress.

The brute force here is written from the semantics in :mod:`spacehome.planning.problem` alone:
it enumerates every presence, start time and resource choice of every activity, checks every
constraint directly (minute by minute) and scores the objective itself. Every CP-SAT plan is
also checked by that checker and by :func:`spacehome.planning.validate.validate`.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import random
from collections.abc import Callable, Sequence

import pytest

from spacehome.errors import ValidationError
from spacehome.planning import cpsat as cpsat_module
from spacehome.planning.cpsat import CpSatSolver
from spacehome.planning.explain import OBJECTIVE_REASON, explain_unplaced
from spacehome.planning.files import check_problem
from spacehome.planning.problem import (
    RATIO_SCALE,
    Activity,
    Assignment,
    BaselineEntry,
    Bundle,
    CapacityStep,
    Criterion,
    Demand,
    Effect,
    Exclusion,
    Group,
    Objective,
    Precedence,
    Problem,
    Resource,
    Solution,
    Status,
    Storage,
    Window,
    WorkCap,
)
from spacehome.planning.solver import Progress, SolveOptions
from spacehome.planning.validate import validate

FAST = SolveOptions(time_limit_s=10, workers=1, seed=0)
FAST2 = SolveOptions(time_limit_s=10, workers=2, seed=3)

Plan = dict[str, tuple[int, tuple[str, ...]]]  # activity -> (start, resources)


# -- an independent checker and scorer ---------------------------------------------------------


def check(problem: Problem, plan: Plan, *, partial: bool = False) -> str | None:
    """The first violated constraint of ``plan`` (None if none). ``partial``: only what the
    activities decided so far can already break (used to prune the brute force)."""
    acts = {a.id: a for a in problem.activities}
    res = {r.id: r for r in problem.resources}
    H = problem.horizon
    for aid, (s, rs) in plan.items():
        a = acts[aid]
        e = s + a.duration
        if s < a.release or e > H or s < 0:
            return f"{aid} outside release/horizon"
        if a.deadline is not None and e > a.deadline:
            return f"{aid} after deadline"
        if a.windows and not any(w.start <= s and e <= w.end for w in a.windows):
            return f"{aid} outside windows"
        if a.fixed_start is not None and s != a.fixed_start:
            return f"{aid} not at fixed start"
        if len(rs) != len(a.demands) or any(
            r not in d.options for r, d in zip(rs, a.demands, strict=True)
        ):
            return f"{aid} bad resources"
    for t in range(H):
        use: dict[str, int] = {}
        for aid, (s, rs) in plan.items():
            a = acts[aid]
            if s <= t < s + a.duration:
                for r, d in zip(rs, a.demands, strict=True):
                    use[r] = use.get(r, 0) + d.amount
        for r, u in use.items():
            if u > res[r].capacity_at(t):
                return f"{r} over capacity at {t}"
    for x in problem.exclusions:
        for i in x.first:
            for j in x.second:
                if i != j and i in plan and j in plan:
                    si, sj = plan[i][0], plan[j][0]
                    if si < sj + acts[j].duration and sj < si + acts[i].duration:
                        return f"{i} overlaps {j}"
    for p in problem.precedences:
        if p.before in plan and p.after in plan:
            gap = plan[p.after][0] - (plan[p.before][0] + acts[p.before].duration)
            if gap < p.min_lag or (p.max_lag is not None and gap > p.max_lag):
                return f"lag {p.before}->{p.after}"
    if partial:
        return None
    for a in problem.activities:
        if not a.optional and a.id not in plan:
            return f"{a.id} missing"
    for p in problem.precedences:
        if p.after in plan and p.before not in plan:
            return f"{p.after} without {p.before}"
    for b in problem.bundles:
        if len({i in plan for i in b.activities}) > 1:
            return "bundle split"
    for c in problem.work_caps:
        per: dict[int, int] = {}
        for aid, (s, rs) in plan.items():
            if c.resource in rs:
                k = (s - c.offset) // c.period
                per[k] = per.get(k, 0) + acts[aid].duration
        if any(v > c.limit for v in per.values()):
            return f"work cap {c.resource}"
    for st in problem.storages:
        for t in range(H + 1):
            level = st.initial
            for aid, (s, _) in plan.items():
                a = acts[aid]
                for ef in a.effects:
                    if ef.storage == st.id and (s if ef.at == "start" else s + a.duration) <= t:
                        level += ef.delta
            if not 0 <= level <= st.capacity:
                return f"storage {st.id} at {t}"
    return None


def terms(problem: Problem, plan: Plan) -> dict[Criterion, int]:
    acts = {a.id: a for a in problem.activities}
    value = sum(acts[i].value for i in plan)
    makespan = max((s + acts[i].duration for i, (s, _) in plan.items()), default=0)
    ratio = 0
    if problem.groups:
        ratios = []
        for g in problem.groups:
            exact = sum(
                acts[i].value * pct for i in plan for gid, pct in acts[i].shares if gid == g.id
            )
            ratios.append(exact * RATIO_SCALE // (100 * g.entitlement))
        ratio = min(ratios)
    moved = 0
    for e in problem.baseline:
        now = plan.get(e.activity)
        if now is None or now[0] != e.start or (e.resources and now[1] != e.resources):
            moved += 1
    return {
        Criterion.VALUE: value,
        Criterion.MAKESPAN: makespan,
        Criterion.FAIRNESS: ratio,
        Criterion.STABILITY: moved,
    }


def weighted(problem: Problem, plan: Plan) -> int:
    t = terms(problem, plan)
    w = problem.objective.weights
    return (
        t[Criterion.VALUE] * w.get(Criterion.VALUE, 0)
        - t[Criterion.MAKESPAN] * w.get(Criterion.MAKESPAN, 0)
        + t[Criterion.FAIRNESS] * w.get(Criterion.FAIRNESS, 0)
        - t[Criterion.STABILITY] * w.get(Criterion.STABILITY, 0)
    )


def lex_key(problem: Problem, plan: Plan) -> tuple[int, ...]:
    t = terms(problem, plan)
    sign = {
        Criterion.VALUE: 1,
        Criterion.MAKESPAN: -1,
        Criterion.FAIRNESS: 1,
        Criterion.STABILITY: -1,
    }
    return tuple(sign[c] * t[c] for c in problem.objective.lexicographic)


def brute_force(
    problem: Problem, score: Callable[[Problem, Plan], object]
) -> tuple[object, Plan] | None:
    """The best plan by ``score`` over every presence, start and resource choice; None if none."""
    acts = list(problem.activities)
    best: list[tuple[object, Plan]] = []

    def choices(a: Activity) -> list[tuple[int, tuple[str, ...]] | None]:
        out: list[tuple[int, tuple[str, ...]] | None] = [None] if a.optional else []
        for s in range(problem.horizon - a.duration + 1):
            for rs in itertools.product(*(d.options for d in a.demands)):
                out.append((s, tuple(rs)))
        return out

    options = [choices(a) for a in acts]

    def dfs(k: int, plan: Plan) -> None:
        if k == len(acts):
            if check(problem, plan) is None:
                value = score(problem, plan)
                if not best or value > best[0][0]:  # type: ignore[operator]
                    best[:] = [(value, dict(plan))]
            return
        for c in options[k]:
            if c is None:
                dfs(k + 1, plan)
                continue
            plan[acts[k].id] = c
            if check(problem, plan, partial=True) is None:
                dfs(k + 1, plan)
            del plan[acts[k].id]

    dfs(0, {})
    return best[0] if best else None


def as_plan(solution: Solution) -> Plan:
    return {x.activity: (x.start, x.resources) for x in solution.assignments}


def assert_valid(problem: Problem, solution: Solution) -> None:
    assert solution.status in (Status.OPTIMAL, Status.FEASIBLE), solution.status
    for x in solution.assignments:
        assert x.end == x.start + problem.activity(x.activity).duration
    assert check(problem, as_plan(solution)) is None, check(problem, as_plan(solution))
    assert validate(problem, solution, require_reasons=True) == []
    placed = {x.activity for x in solution.assignments}
    assert {u.activity for u in solution.unplaced} == {a.id for a in problem.activities} - placed


# -- random tiny instances ---------------------------------------------------------------------


def tiny(seed: int, *, objective: Objective | None = None, storage: bool | None = None) -> Problem:
    """A random instance that passes :func:`check_problem` (retrying with derived seeds)."""
    for attempt in itertools.count():
        problem = _tiny(random.Random(seed * 1000 + attempt), seed, objective, storage)
        try:
            check_problem(problem)
        except ValidationError:
            continue
        return problem
    raise AssertionError("unreachable")


def _tiny(
    rng: random.Random, seed: int, objective: Objective | None, storage: bool | None
) -> Problem:
    H = rng.randint(6, 10)
    n = rng.randint(2, 4)
    resources = [
        Resource("u"),
        Resource("w", profile=(CapacityStep(rng.randint(0, H - 1), 0), CapacityStep(H - 1, 1))),
        Resource("v", 2, profile=(CapacityStep(rng.randint(1, H - 2), rng.choice((0, 1))),)),
    ]
    acts = []
    for i in range(n):
        d = rng.choice((0, 1, 2, 2, 3, 3, 4)) if i else rng.randint(1, 3)
        demands = []
        kind = rng.random()
        if kind < 0.45:
            demands.append(Demand(("u", "w")))
        elif kind < 0.7:
            demands.append(Demand(("u",)))
        if rng.random() < 0.5:
            demands.append(Demand(("v",), rng.randint(1, 2)))
        release = min(rng.choice((0, 0, rng.randint(0, 3))), H - d)
        deadline = rng.choice((None, None, rng.randint(release + d, H)))
        windows: tuple[Window, ...] = ()
        if rng.random() < 0.25:
            m = rng.randint(1, H - 1)
            windows = (Window(0, m), Window(rng.randint(0, m), H))
        fixed = None
        if rng.random() < 0.12:
            hi = min(H, deadline if deadline is not None else H) - d
            if hi >= release and not windows:
                fixed = rng.randint(release, hi)
        effects: tuple[Effect, ...] = ()
        if storage if storage is not None else rng.random() < 0.4:
            effects = (Effect("s", rng.choice((-2, -1, 1, 2, 3)), rng.choice(("start", "end"))),)
        acts.append(
            Activity(
                f"a{i}",
                d,
                release=release,
                deadline=deadline,
                windows=windows,
                demands=tuple(demands),
                effects=effects,
                optional=rng.random() < 0.7,
                value=rng.randint(0, 9),
                fixed_start=fixed,
                shares=(("g1", 100),) if i % 2 else (("g1", 30), ("g2", 70)),
            )
        )
    ids = [a.id for a in acts]
    precedences = []
    for _ in range(rng.randint(0, 2)):
        b, a = rng.sample(ids, 2)
        lo = rng.randint(0, 2)
        precedences.append(Precedence(b, a, lo, rng.choice((None, lo + rng.randint(0, 3)))))
    bundles = (Bundle(tuple(rng.sample(ids, 2))),) if rng.random() < 0.2 else ()
    exclusions = (Exclusion((ids[0],), tuple(ids[1:2])),) if rng.random() < 0.25 else ()
    caps = (WorkCap("u", rng.randint(3, 6), rng.randint(1, 4)),) if rng.random() < 0.3 else ()
    storages = (
        (Storage("s", rng.randint(2, 5), rng.randint(0, 2)),)
        if any(a.effects for a in acts)
        else ()
    )
    return Problem(
        name=f"tiny{seed}",
        horizon=H,
        activities=tuple(acts),
        resources=tuple(resources),
        storages=storages,
        precedences=tuple(precedences),
        bundles=bundles,
        exclusions=exclusions,
        work_caps=caps,
        groups=(Group("g1", 10), Group("g2", 7)),
        objective=objective or Objective(),
    )


def compare_with_brute_force(problem: Problem, options: SolveOptions = FAST) -> Solution:
    solution = CpSatSolver().solve(problem, options)
    lexicographic = bool(problem.objective.lexicographic)
    best = brute_force(problem, lex_key if lexicographic else weighted)
    if best is None:
        assert solution.status is Status.INFEASIBLE, (problem.name, solution)
        assert solution.conflicts, problem.name
        assert solution.assignments == ()
        return solution
    assert solution.status is Status.OPTIMAL, (problem.name, solution.status)
    assert_valid(problem, solution)
    plan = as_plan(solution)
    if lexicographic:
        assert lex_key(problem, plan) == best[0], (problem.name, plan, best)
        assert solution.objective == best[0][0]  # type: ignore[index]
    else:
        assert weighted(problem, plan) == best[0], (problem.name, plan, best)
        assert solution.objective == best[0]
    assert solution.bound == solution.objective
    assert solution.gap == 0.0
    return solution


SEEDS = range(60)


@pytest.mark.parametrize("chunk", range(3))
def test_value_objective_matches_brute_force(chunk: int) -> None:
    statuses = set()
    for seed in SEEDS[chunk::3]:
        statuses.add(compare_with_brute_force(tiny(seed)).status)
    assert Status.OPTIMAL in statuses


def test_some_tiny_instances_are_infeasible_and_agree() -> None:
    infeasible = 0
    for seed in range(100, 130):
        problem = tiny(seed)
        problem = dataclasses.replace(
            problem,
            activities=tuple(dataclasses.replace(a, optional=False) for a in problem.activities),
        )
        if compare_with_brute_force(problem).status is Status.INFEASIBLE:
            infeasible += 1
    assert infeasible >= 3


@pytest.mark.parametrize("chunk", range(2))
def test_makespan_objective_matches_brute_force(chunk: int) -> None:
    for seed in range(200 + chunk, 240, 2):
        weights = (
            {Criterion.MAKESPAN: 1} if seed % 3 else {Criterion.VALUE: 2, Criterion.MAKESPAN: 1}
        )
        compare_with_brute_force(tiny(seed, objective=Objective(weights=weights)))


def test_fairness_objective_matches_brute_force() -> None:
    for seed in range(300, 330):
        weights = (
            {Criterion.FAIRNESS: 1} if seed % 2 else {Criterion.FAIRNESS: 2, Criterion.VALUE: 1}
        )
        compare_with_brute_force(tiny(seed, objective=Objective(weights=weights)))


def test_storage_instances_match_brute_force_with_two_workers() -> None:
    for seed in range(400, 425):
        compare_with_brute_force(tiny(seed, storage=True), FAST2)


def test_lexicographic_matches_brute_force_and_a_dominating_weighting() -> None:
    for seed in range(500, 525):
        base = tiny(seed)
        order = (
            (Criterion.VALUE, Criterion.MAKESPAN)
            if seed % 2
            else (Criterion.FAIRNESS, Criterion.VALUE)
        )
        lex = compare_with_brute_force(
            dataclasses.replace(base, objective=Objective(lexicographic=order))
        )
        if lex.status is Status.INFEASIBLE:
            continue
        # value first, then makespan == value·(H + 1) − makespan, since makespan ≤ H
        if order[0] is Criterion.VALUE:
            big = {Criterion.VALUE: base.horizon + 1, Criterion.MAKESPAN: 1}
            w = CpSatSolver().solve(
                dataclasses.replace(base, objective=Objective(weights=big)), FAST
            )
            t_lex, t_w = terms(base, as_plan(lex)), terms(base, as_plan(w))
            assert (t_lex[Criterion.VALUE], t_lex[Criterion.MAKESPAN]) == (
                t_w[Criterion.VALUE],
                t_w[Criterion.MAKESPAN],
            )
            assert lex.metrics["lex0.value"] == t_lex[Criterion.VALUE]
            assert lex.metrics["lex1.makespan"] == -t_lex[Criterion.MAKESPAN]


def test_stability_against_brute_force_and_a_feasible_baseline_moves_nothing() -> None:
    checked = 0
    for seed in range(600, 630):
        base = tiny(seed)
        first = CpSatSolver().solve(base, FAST)
        if first.status is Status.INFEASIBLE:
            continue
        rng = random.Random(seed)
        baseline = tuple(BaselineEntry(x.activity, x.start, x.resources) for x in first.assignments)
        # the plan itself as the baseline: nothing needs to move
        keep = dataclasses.replace(
            base, baseline=baseline, objective=Objective(weights={Criterion.STABILITY: 1})
        )
        again = CpSatSolver().solve(keep, FAST)
        assert again.status is Status.OPTIMAL
        assert again.objective == 0
        assert again.metrics["moved"] == 0
        assert_valid(keep, again)
        # a shuffled baseline (some entries without resources, one unknown activity): brute force
        shuffled = (
            *(
                BaselineEntry(
                    e.activity,
                    rng.randint(0, base.horizon - 1),
                    e.resources if rng.random() < 0.5 else (),
                )
                for e in baseline
            ),
            BaselineEntry("gone", 0),
        )
        objective = Objective(weights={Criterion.STABILITY: 2, Criterion.VALUE: 1})
        compare_with_brute_force(dataclasses.replace(base, baseline=shuffled, objective=objective))
        checked += 1
    assert checked >= 10


def test_warm_start_path_matches_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the greedy incumbent and the 'strictly better' cut (used on big problems)."""
    monkeypatch.setattr(cpsat_module, "WARM_START_ACTIVITIES", 0)
    used = 0
    for seed in range(700, 730):
        objective = (
            Objective(lexicographic=(Criterion.VALUE, Criterion.MAKESPAN))
            if seed % 3 == 0
            else None
        )
        solution = compare_with_brute_force(tiny(seed, objective=objective))
        used += "warm_start" in solution.metrics
    assert used >= 10


# -- infeasibility and conflicts ---------------------------------------------------------------


def test_two_mandatory_on_a_unary_resource_in_a_short_window() -> None:
    problem = Problem(
        name="clash",
        horizon=20,
        activities=(
            Activity("x", 4, windows=(Window(2, 8),), demands=(Demand(("rack1",)),)),
            Activity("y", 4, windows=(Window(3, 9),), demands=(Demand(("rack1",)),)),
            Activity("z", 3, demands=(Demand(("rack2",)),), optional=True, value=5),
            Activity("q", 2, release=15),
        ),
        resources=(Resource("rack1", tags=("rack",)), Resource("rack2", tags=("rack",))),
    )
    before = copy.deepcopy(problem)
    solution = CpSatSolver().solve(problem, FAST2)
    assert problem == before
    assert solution.status is Status.INFEASIBLE
    assert solution.objective is None
    assert set(solution.conflicts) == {
        "activity 'x' must be scheduled",
        "activity 'y' must be scheduled",
        "activity 'x' must lie within its windows [2, 8)",
        "activity 'y' must lie within its windows [3, 9)",
        "rack 'rack1' capacity 1",
    }
    assert {u.activity for u in solution.unplaced} == {"x", "y", "z", "q"}


def test_impossible_max_lag_is_named() -> None:
    problem = Problem(
        name="lag",
        horizon=30,
        activities=(
            Activity("prep", 2, fixed_start=0),
            Activity("run", 3, release=10),
            Activity("other", 5, optional=True, value=3),
        ),
        precedences=(Precedence("prep", "run", 1, 4),),
    )
    solution = CpSatSolver().solve(problem, FAST)
    assert solution.status is Status.INFEASIBLE
    assert "precedence prep -> run (min lag 1, max lag 4)" in solution.conflicts
    assert "activity 'run' must lie within release 10" in solution.conflicts
    assert "activity 'run' must be scheduled" in solution.conflicts
    assert not any("other" in c for c in solution.conflicts)


def test_capacity_profile_work_cap_and_storage_conflicts_are_named() -> None:
    profile = Problem(
        name="profile",
        horizon=10,
        activities=(Activity("p", 4, demands=(Demand(("power",), 3),)),),
        resources=(
            Resource("power", 5, (CapacityStep(2, 2), CapacityStep(7, 5)), tags=("power",)),
        ),
    )
    solution = CpSatSolver().solve(profile, FAST)
    assert solution.status is Status.INFEASIBLE
    assert "power 'power' capacity profile" in solution.conflicts
    cap = Problem(
        name="cap",
        horizon=20,
        activities=(
            Activity("c1", 4, demands=(Demand(("crew",)),), deadline=10),
            Activity("c2", 4, demands=(Demand(("crew",)),), deadline=10),
        ),
        resources=(Resource("crew", tags=("crew",)),),
        work_caps=(WorkCap("crew", 10, 6, label="day"),),
    )
    solution = CpSatSolver().solve(cap, FAST)
    assert solution.status is Status.INFEASIBLE
    assert "work cap on 'crew': at most 6 per 10 [day]" in solution.conflicts
    store = Problem(
        name="store",
        horizon=10,
        activities=(Activity("dump", 2, effects=(Effect("ssd", -5, "start"),)),),
        storages=(Storage("ssd", 10, 2),),
    )
    solution = CpSatSolver().solve(store, FAST)
    assert solution.status is Status.INFEASIBLE
    assert solution.conflicts == (
        "activity 'dump' must be scheduled",
        "storage 'ssd' level within [0, 10]",
    )


def test_fixed_activities_overlapping_on_a_resource_or_in_an_exclusion() -> None:
    problem = Problem(
        name="fixed",
        horizon=10,
        activities=(
            Activity("sleep", 5, fixed_start=0, demands=(Demand(("crew",)),)),
            Activity("meal", 2, fixed_start=4, demands=(Demand(("crew",)),)),
        ),
        resources=(Resource("crew", tags=("crew",)),),
    )
    solution = CpSatSolver().solve(problem, FAST)
    assert solution.status is Status.INFEASIBLE
    assert "crew 'crew' capacity 1" in solution.conflicts
    excl = dataclasses.replace(
        problem,
        resources=(Resource("crew", 2),),
        exclusions=(Exclusion(("sleep",), ("meal",), "quiet"),),
    )
    solution = CpSatSolver().solve(excl, FAST)
    assert solution.status is Status.INFEASIBLE
    assert "exclusion quiet: no overlap" in solution.conflicts


# -- behaviour ---------------------------------------------------------------------------------


def medium(seed: int = 5, n: int = 70) -> Problem:
    """Two days in minutes: crew routine fixed, optional sessions with alternatives."""
    rng = random.Random(seed)
    acts = []
    crew = ["c1", "c2", "c3"]
    for c in crew:
        for day in range(2):
            acts.append(
                Activity(f"sleep-{c}-{day}", 480, fixed_start=day * 1440, demands=(Demand((c,)),))
            )
    for i in range(n):
        day = rng.randrange(2)
        acts.append(
            Activity(
                f"s{i}",
                rng.randint(30, 120),
                windows=(Window(day * 1440, (day + 1) * 1440),),
                demands=(
                    Demand(tuple(rng.sample(crew, 2))),
                    Demand((f"r{rng.randrange(4)}",)),
                    Demand(("power",), rng.choice((100, 200))),
                ),
                optional=True,
                value=rng.randint(1, 20),
                effects=(Effect("ssd", rng.randint(1, 30)),),
            )
        )
    for k in range(8):
        acts.append(
            Activity(
                f"dump{k}",
                10,
                optional=True,
                value=1,
                demands=(Demand(("dl",), 1),),
                effects=(Effect("ssd", -120, "start"),),
            )
        )
    resources = [Resource(c) for c in crew] + [Resource(f"r{k}") for k in range(4)]
    resources.append(
        Resource(
            "power",
            500,
            tuple(CapacityStep(t, 300 if (t // 90) % 2 else 500) for t in range(0, 2880, 90)),
        )
    )
    resources.append(
        Resource(
            "dl",
            1,
            (
                CapacityStep(0, 0),
                *(
                    s
                    for k in range(6)
                    for s in (CapacityStep(400 * k + 200, 1), CapacityStep(400 * k + 230, 0))
                ),
            ),
        )
    )
    return Problem(
        name="medium",
        horizon=2880,
        activities=tuple(acts),
        resources=tuple(resources),
        storages=(Storage("ssd", 400, 50),),
        work_caps=tuple(WorkCap(c, 1440, 900) for c in crew),
    )


def test_same_seed_and_workers_give_identical_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    # a small deterministic budget, so the deterministic limit (not the wall-clock safety net,
    # which loaded test machines could reach) ends the search well inside the time limit
    monkeypatch.setattr(cpsat_module, "DTIME_MAX_RATE", 0.05)
    problem = medium(n=30)  # under WARM_START_ACTIVITIES: every plan comes from CP-SAT
    options = SolveOptions(time_limit_s=3, workers=2, seed=11)
    one = CpSatSolver().solve(problem, options)
    two = CpSatSolver().solve(problem, options)
    assert_valid(problem, one)
    assert one.metrics["wall_limit_hit"] == 0
    assert one.metrics["solutions"] > 3  # an improving search, cut short by the deterministic limit
    assert one.assignments == two.assignments
    assert one.objective == two.objective
    assert one.unplaced == two.unplaced


def test_input_is_not_mutated_and_progress_is_monotone() -> None:
    problem = dataclasses.replace(
        medium(seed=2, n=60),
        baseline=(BaselineEntry("s1", 10, ("c1", "r0", "power")),),
        objective=Objective(weights={Criterion.VALUE: 3, Criterion.STABILITY: 1}),
    )
    before = copy.deepcopy(problem)
    seen: list[Progress] = []
    solution = CpSatSolver().solve(
        problem, SolveOptions(time_limit_s=1, workers=2, seed=1), seen.append
    )
    assert problem == before
    assert_valid(problem, solution)
    assert seen
    objectives = [p.objective for p in seen if p.objective is not None]
    assert objectives == sorted(objectives)
    assert [p.solutions for p in seen] == sorted(p.solutions for p in seen)
    assert [p.wall_s for p in seen] == sorted(p.wall_s for p in seen)
    for p in seen:
        if p.objective is not None and p.bound is not None:
            assert p.bound >= p.objective
    assert solution.objective is not None
    assert objectives[-1] <= solution.objective
    assert solution.metrics["first_solution_s"] == pytest.approx(
        min(p.wall_s for p in seen if p.solutions), abs=1e-9
    )
    for key in ("scheduled", "unplaced", "branches", "conflicts", "value", "moved", "solutions"):
        assert key in solution.metrics
    assert solution.metrics["scheduled"] == len(solution.assignments)
    assert solution.gap == pytest.approx(
        abs(solution.bound - solution.objective) / max(1.0, abs(solution.objective))
    )


def test_a_failing_progress_callback_surfaces() -> None:
    def boom(_: Progress) -> None:
        raise RuntimeError("ui went away")

    problem = Problem(
        name="one", horizon=10, activities=(Activity("a", 3, optional=True, value=2),)
    )
    with pytest.raises(RuntimeError, match="ui went away"):
        CpSatSolver().solve(problem, FAST, boom)


def test_trivial_problems() -> None:
    empty = Problem(name="empty", horizon=5)
    solution = CpSatSolver().solve(empty, FAST)
    assert solution.status is Status.OPTIMAL
    assert solution.objective == 0
    assert solution.assignments == ()
    fixed_only = Problem(
        name="fixed",
        horizon=10,
        activities=(
            Activity("a", 3, fixed_start=2, demands=(Demand(("r",)),)),
            Activity("b", 0, fixed_start=3, demands=(Demand(("r",)),)),  # empty: uses nothing
        ),
        resources=(Resource("r"),),
        objective=Objective(weights={Criterion.MAKESPAN: 1}),
    )
    solution = CpSatSolver().solve(fixed_only, FAST)
    assert solution.status is Status.OPTIMAL
    assert solution.objective == -5
    assert_valid(fixed_only, solution)


def test_gap_limit_and_lexicographic_progress() -> None:
    problem = dataclasses.replace(
        medium(seed=4, n=60),
        objective=Objective(lexicographic=(Criterion.VALUE, Criterion.MAKESPAN)),
    )
    seen: list[Progress] = []
    options = SolveOptions(time_limit_s=1, workers=2, seed=0, gap_limit=0.5)
    solution = CpSatSolver().solve(problem, options, seen.append)
    assert_valid(problem, solution)
    assert solution.gap is not None
    assert solution.gap <= 0.5
    assert solution.objective == solution.metrics["value"]  # the first criterion
    objectives = [p.objective for p in seen if p.objective is not None]
    assert objectives == sorted(objectives)
    assert objectives[-1] == solution.objective


# -- explain_unplaced --------------------------------------------------------------------------


def _asg(problem: Problem, aid: str, start: int, resources: Sequence[str] = ()) -> Assignment:
    return Assignment(aid, start, start + problem.activity(aid).duration, tuple(resources))


def test_explain_reasons() -> None:
    problem = Problem(
        name="why",
        horizon=100,
        activities=(
            Activity("busy", 50, fixed_start=0, demands=(Demand(("crew",)),)),
            Activity(
                "late",
                10,
                windows=(Window(0, 40),),
                demands=(
                    Demand(
                        ("crew", "crew2"),
                    ),
                ),
                optional=True,
            ),
            Activity("pre", 10, optional=True, release=95 - 10, deadline=95),
            Activity("post", 5, optional=True),
            Activity("capped", 10, release=50, demands=(Demand(("crew",)),), optional=True),
            Activity("fill", 5, release=60, effects=(Effect("ssd", 8),), optional=True),
            Activity("free", 5, optional=True),
            Activity(
                "partner", 5, optional=True, windows=(Window(0, 40),), demands=(Demand(("crew",)),)
            ),
            Activity("buddy", 5, optional=True),
        ),
        resources=(
            Resource("crew"),
            Resource("crew2", profile=(CapacityStep(0, 0), CapacityStep(60, 1))),
        ),
        storages=(Storage("ssd", 10, 5),),
        precedences=(Precedence("pre", "post"),),
        bundles=(Bundle(("partner", "buddy")),),
        work_caps=(WorkCap("crew", 100, 55),),
    )
    placed = [_asg(problem, "busy", 0, ["crew"])]
    reasons = explain_unplaced(problem, placed)
    assert reasons["late"] == "no slot: 'crew' / 'crew2' busy or unavailable in all of its windows"
    assert reasons["post"] == "needs 'pre', which is not scheduled"
    assert reasons["capped"] == "would break the work cap on 'crew' (55 per 100)"
    assert reasons["fill"] == "would break the limits of storage 'ssd' (level within 0..10)"
    assert reasons["free"] == OBJECTIVE_REASON
    assert reasons["pre"] == OBJECTIVE_REASON
    assert reasons["buddy"] == "needs 'partner', which is not scheduled"
    assert reasons["partner"].startswith("no slot: 'crew'")
    assert list(reasons) == [a.id for a in problem.activities if a.id != "busy"]


def test_explain_blames_the_bundle_member_that_does_not_fit() -> None:
    problem = Problem(
        name="bundle",
        horizon=100,
        activities=(
            Activity("setup", 10, optional=True),
            Activity("run", 10, optional=True, demands=(Demand(("rack",)),)),
            Activity("teardown", 10, optional=True),
            Activity("later", 5, optional=True),
        ),
        resources=(Resource("rack", profile=(CapacityStep(0, 0),)),),
        precedences=(
            Precedence("setup", "run"),
            Precedence("run", "teardown"),
            Precedence("teardown", "later"),
        ),
        bundles=(Bundle(("setup", "run", "teardown")),),
    )
    reasons = explain_unplaced(problem, [])
    assert reasons == {
        "setup": "needs 'run', which is not scheduled",
        "run": "no slot: 'rack' busy or unavailable in all of its windows",
        "teardown": "needs 'run', which is not scheduled",
        "later": "needs 'teardown', which is not scheduled",
    }


def test_explain_names_lags_and_exclusions() -> None:
    problem = Problem(
        name="why2",
        horizon=50,
        activities=(
            Activity("a", 5, fixed_start=0),
            Activity("b", 5, optional=True, release=20),
            Activity("c", 10, optional=True, windows=(Window(10, 25),)),
        ),
        precedences=(Precedence("a", "b", 0, 10),),
    )
    reasons = explain_unplaced(problem, [_asg(problem, "a", 0)])
    assert reasons["b"].startswith("no slot: the precedence after 'a' (min lag 0, max lag 10)")
    assert reasons["c"] == OBJECTIVE_REASON
    blocked = dataclasses.replace(
        problem,
        activities=(*problem.activities, Activity("d", 20, fixed_start=8)),
        exclusions=(Exclusion(("c",), ("d",)),),
    )
    reasons = explain_unplaced(blocked, [_asg(blocked, "a", 0), _asg(blocked, "d", 8)])
    assert (
        reasons["c"] == "no slot: the activities it is excluded from ('d') cover all of its windows"
    )
