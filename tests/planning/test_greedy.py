"""The greedy baseline: valid plans (checked by the independent validator), determinism, bundles,
reasons, and the earliest-start search against each kind of constraint."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import subprocess
import sys
from dataclasses import replace

import pytest

from spacehome.planning.files import check_problem
from spacehome.planning.greedy import GreedySolver
from spacehome.planning.problem import (
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
from spacehome.planning.validate import objective_terms, validate, weighted_objective


def synthetic(seed: int, n: int = 40, horizon: int = 2880, *, mandatory: float = 0.3) -> Problem:
    """A random problem with every kind of constraint (crew with sleep, racks, a power profile,
    a data storage, windows, deadlines, precedences with lags, bundles, exclusions, work caps,
    fairness groups and a baseline)."""
    rng = random.Random(seed)
    days = horizon // 1440 + 1
    crew = [
        Resource(f"crew-{k}", 1, profile=tuple(
            step for d in range(days) for step in (CapacityStep(d * 1440, 1), CapacityStep(d * 1440 + 960, 0))
            if step.time < horizon
        ))
        for k in range(4)
    ]
    racks = [Resource(f"rack-{k}") for k in range(3)]
    power = Resource("power", 3000, profile=tuple(
        CapacityStep(t + dt, c) for t in range(0, horizon, 92) for dt, c in ((0, 3000), (55, 1800)) if t + dt < horizon
    ))
    acts = []
    for i in range(n):
        d = rng.choice([0, 5, 15, 30, 45, 60, 90, 120])
        release = rng.randrange(0, horizon - 240)
        deadline = min(horizon, release + d + rng.randrange(60, horizon)) if rng.random() < 0.3 else None
        end = deadline or horizon
        windows: list[Window] = []
        if rng.random() < 0.2:
            for _ in range(rng.randrange(1, 4)):
                a = rng.randrange(release, max(release + 1, end - d))
                b = min(end, a + d + rng.randrange(0, 400))
                if b - a >= d:
                    windows.append(Window(a, b))
        demands = []
        if rng.random() < 0.8:
            demands.append(Demand(tuple(r.id for r in rng.sample(crew, rng.randrange(1, 5)))))
        if rng.random() < 0.4:
            demands.append(Demand((rng.choice(racks).id,)))
        if rng.random() < 0.5:
            demands.append(Demand(("power",), rng.randrange(50, 900)))
        effects: tuple[Effect, ...] = ()
        roll = rng.random()
        if roll < 0.2:
            effects = (Effect("disk", rng.randrange(10, 80), "end"),)
        elif roll < 0.35:
            effects = (Effect("disk", -rng.randrange(10, 60), "start"),)
        shares: tuple[tuple[str, int], ...] = ()
        if rng.random() < 0.7:
            g = rng.sample(["g1", "g2", "g3"], 2)
            pct = rng.randrange(0, 101)
            shares = ((g[0], pct), (g[1], 100 - pct))
        optional = rng.random() >= mandatory
        fixed = rng.randrange(release, end - d + 1) if not optional and not windows and rng.random() < 0.1 else None
        acts.append(Activity(f"a{i}", d, release, deadline, tuple(windows), tuple(demands), effects, optional,
                             rng.randrange(0, 100), shares, fixed))
    ids = [a.id for a in acts]
    precedences = []
    for _ in range(n // 4):
        i, j = sorted(rng.sample(range(n), 2))
        precedences.append(Precedence(ids[i], ids[j], rng.choice([0, 0, 5, 30]), rng.choice([None, None, 600])))
    bundles = [Bundle(tuple(ids[k : k + rng.randrange(2, 4)])) for k in rng.sample(range(n - 3), max(1, n // 20))]
    quiet = rng.sample(ids, 8)  # an activity on both sides would exclude itself
    return Problem(
        name=f"synthetic-{seed}",
        horizon=horizon,
        activities=tuple(acts),
        resources=(*crew, *racks, power),
        storages=(Storage("disk", 600, 100),),
        precedences=tuple(precedences),
        bundles=tuple(bundles),
        exclusions=(Exclusion(tuple(quiet[:4]), tuple(quiet[4:]), "no-vibration"),),
        work_caps=(WorkCap("crew-0", 1440, 400), WorkCap("crew-1", 1440, 300, offset=120)),
        groups=(Group("g1", 500), Group("g2", 300), Group("g3", 200)),
        objective=Objective({Criterion.VALUE: 3, Criterion.MAKESPAN: 1, Criterion.FAIRNESS: 1, Criterion.STABILITY: 5}),
        baseline=tuple(BaselineEntry(ids[k], acts[k].release) for k in range(0, n, 7)),
    )


def solve(problem: Problem, **options: float) -> Solution:
    return GreedySolver().solve(problem, SolveOptions(**options))  # type: ignore[arg-type]


def digest(solution: Solution) -> str:
    data = [
        [(a.activity, a.start, a.end, a.resources) for a in solution.assignments],
        [(u.activity, u.reason) for u in solution.unplaced],
        solution.objective,
        str(solution.status),
    ]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


# -- validity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_greedy_plans_are_valid(seed: int) -> None:
    problem = synthetic(seed, n=30 + seed % 5 * 10, horizon=1440 * (1 + seed % 3), mandatory=0.1 + seed % 4 * 0.1)
    check_problem(problem)
    solution = solve(problem)
    found = validate(problem, solution, require_reasons=True)
    missing = {v.activities[0] for v in found if v.kind == "missing-mandatory"}
    assert [v for v in found if v.kind != "missing-mandatory"] == []
    reasons = {u.activity: u.reason for u in solution.unplaced}
    placed = {a.activity for a in solution.assignments}
    assert placed | set(reasons) == {a.id for a in problem.activities}
    assert not placed & set(reasons)
    assert all(reasons.values())
    assert {i for i, r in reasons.items() if r.startswith("mandatory; ")} == missing
    assert solution.status is (Status.UNKNOWN if missing else Status.FEASIBLE)
    terms = objective_terms(problem, solution.assignments)
    assert solution.objective == weighted_objective(problem.objective, terms)
    assert solution.bound is None
    assert solution.gap is None
    assert solution.solver == "greedy"
    assert len(placed) > len(problem.activities) // 3


@pytest.mark.parametrize("seed", range(6))
def test_greedy_places_every_mandatory_activity_on_an_easy_problem(seed: int) -> None:
    problem = synthetic(100 + seed, n=25, horizon=4320, mandatory=0.3)
    # drop the hard bits: releases, windows, deadlines, fixed starts, effects and maximum lags
    easy = replace(
        problem,
        activities=tuple(
            replace(a, release=0, windows=(), deadline=None, fixed_start=None, effects=()) for a in problem.activities
        ),
        precedences=tuple(replace(p, max_lag=None) for p in problem.precedences),
    )
    solution = solve(easy)
    assert solution.status is Status.FEASIBLE
    assert validate(easy, solution, require_reasons=True) == []


def test_the_input_is_not_mutated() -> None:
    problem = synthetic(3, n=60)
    before = copy.deepcopy(problem)
    solve(problem)
    assert problem == before


def test_deterministic_in_process() -> None:
    problem = synthetic(5, n=80)
    assert digest(solve(problem)) == digest(solve(problem))


def test_deterministic_across_hash_seeds() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from test_greedy import synthetic, solve, digest;"
        "print(digest(solve(synthetic(9, n=80))))"
    )
    here = os.path.dirname(__file__)
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True, env=env, check=False)
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout.strip())
    outputs.add(digest(solve(synthetic(9, n=80))))
    assert len(outputs) == 1


def test_a_month_of_minutes_with_1200_activities() -> None:
    problem = synthetic(11, n=1200, horizon=43_200, mandatory=0.2)
    solution = solve(problem)
    assert [v for v in validate(problem, solution) if v.kind != "missing-mandatory"] == []
    assert len(solution.assignments) > 800


# -- the search, one constraint at a time -------------------------------------------------------


def one(problem: Problem, activity: str) -> Assignment:
    return solve(problem).by_activity()[activity]


def test_earliest_start_after_release_and_busy_resources() -> None:
    problem = Problem(
        "p",
        100,
        activities=(
            Activity("first", 10, release=3, demands=(Demand(("r",)),)),
            Activity("second", 10, demands=(Demand(("r",)),)),
        ),
        resources=(Resource("r"),),
    )
    plan = solve(problem).by_activity()
    # mandatory activities go by deadline, then release: 'second' is placed first
    assert (plan["first"].start, plan["second"].start) == (10, 0)


def test_capacity_profile_steps_and_first_free_option() -> None:
    problem = Problem(
        "p",
        100,
        activities=(
            Activity("big", 10, demands=(Demand(("power",), 6),)),
            Activity("crew", 5, demands=(Demand(("a", "b")), Demand(("a", "b")))),
        ),
        resources=(
            Resource("power", 10, profile=(CapacityStep(0, 4), CapacityStep(20, 8), CapacityStep(25, 4), CapacityStep(40, 10))),
            Resource("a", 1, profile=(CapacityStep(0, 0), CapacityStep(7, 1))),
            Resource("b"),
        ),
    )
    plan = solve(problem).by_activity()
    assert plan["big"].start == 40  # [20, 25) is too short for 10 minutes
    assert plan["crew"] == Assignment("crew", 7, 12, ("a", "b"))


def test_windows_deadline_and_fixed_start() -> None:
    problem = Problem(
        "p",
        100,
        activities=(
            Activity("fixed", 10, fixed_start=22, demands=(Demand(("r",)),)),
            Activity("win", 10, windows=(Window(0, 8), Window(20, 40), Window(60, 90)), demands=(Demand(("r",)),)),
            Activity("late", 5, release=30, deadline=45, demands=(Demand(("r",)),)),
        ),
        resources=(Resource("r"),),
    )
    plan = solve(problem).by_activity()
    assert plan["fixed"].start == 22
    assert plan["win"].start == 60  # [20, 40) holds [22, 32) of 'fixed', so neither side fits 10
    assert plan["late"].start == 32


def test_work_cap_pushes_to_the_next_period() -> None:
    problem = Problem(
        "p",
        300,
        activities=tuple(Activity(f"w{k}", 30, demands=(Demand(("r",)),)) for k in range(3)),
        resources=(Resource("r"),),
        work_caps=(WorkCap("r", 100, 60),),
    )
    plan = solve(problem).by_activity()
    assert [plan[f"w{k}"].start for k in range(3)] == [0, 30, 100]


def test_storage_drain_waits_for_the_fill() -> None:
    problem = Problem(
        "p",
        100,
        activities=(
            Activity("drain", 5, effects=(Effect("disk", -8, "start"),)),
            Activity("fill", 10, release=20, fixed_start=20, effects=(Effect("disk", 6, "end"),)),
            Activity("overflow", 5, optional=True, effects=(Effect("disk", 9, "end"),)),
        ),
        storages=(Storage("disk", 10, initial=3),),
    )
    solution = solve(problem)
    plan = solution.by_activity()
    assert plan["drain"].start == 30  # level 3 + 6 at 30, then −8
    # +9 at any time takes the level (3, then 9, then 1) above 10 somewhere before 30
    assert plan["overflow"].end >= 30
    assert validate(problem, solution) == []


def test_exclusion_and_precedence_lags() -> None:
    problem = Problem(
        "p",
        200,
        activities=(
            Activity("exercise", 30),
            Activity("photo", 10),
            Activity("setup", 10),
            Activity("run", 20),
        ),
        precedences=(Precedence("setup", "run", min_lag=15, max_lag=40),),
        exclusions=(Exclusion(("exercise",), ("photo",), "vibration"),),
    )
    plan = solve(problem).by_activity()
    assert plan["exercise"].start == 0
    assert plan["photo"].start == 30
    assert plan["run"].start == plan["setup"].end + 15


def test_a_maximum_lag_moves_the_predecessor_or_fails_the_successor() -> None:
    # 'b' must start within 20 of the end of 'a', and 'q' is busy over [10, 60): 'a' moves to 30
    problem = Problem(
        "p",
        200,
        activities=(
            Activity("a", 10, demands=(Demand(("r",)),)),
            Activity("blocker", 50, release=10, fixed_start=10, demands=(Demand(("q",)),)),
            Activity("b", 10, optional=True, demands=(Demand(("q",)),)),
        ),
        resources=(Resource("r"), Resource("q")),
        precedences=(Precedence("a", "b", 0, 20),),
    )
    solution = solve(problem)
    plan = solution.by_activity()
    assert plan["b"].start == 60
    assert plan["a"].end >= 40
    assert validate(problem, solution, require_reasons=True) == []
    # with 'q' busy to the horizon 'b' cannot go anywhere; 'a' (mandatory) still goes
    forever = replace(problem, activities=(
        problem.activities[0],
        replace(problem.activities[1], duration=190),
        problem.activities[2],
    ))
    solution = solve(forever)
    assert set(solution.by_activity()) == {"a", "blocker"}
    assert [u.activity for u in solution.unplaced] == ["b"]
    assert validate(forever, solution, require_reasons=True) == []


def test_mandatory_activities_go_first_and_optional_ones_by_value_density() -> None:
    problem = Problem(
        "p",
        30,
        activities=(
            Activity("cheap", 10, optional=True, value=1, demands=(Demand(("r",)),)),
            Activity("rich", 10, optional=True, value=50, demands=(Demand(("r",)),)),
            Activity("must", 20, demands=(Demand(("r",)),)),
        ),
        resources=(Resource("r"),),
    )
    solution = solve(problem)
    plan = solution.by_activity()
    assert plan["must"].start == 0
    assert plan["rich"].start == 20
    assert "cheap" not in plan
    reasons = {u.activity: u.reason for u in solution.unplaced}
    assert "'r'" in reasons["cheap"]


def test_bundles_are_all_or_nothing() -> None:
    problem = Problem(
        "p",
        100,
        activities=(
            Activity("setup", 10, optional=True, value=5, demands=(Demand(("r",)),)),
            Activity("run", 10, optional=True, value=5, demands=(Demand(("r",)),)),
            Activity("teardown", 10, optional=True, value=5, demands=(Demand(("gone",)),)),
            Activity("other", 10, optional=True, value=1, demands=(Demand(("r",)),)),
        ),
        resources=(Resource("r"), Resource("gone", 1, profile=(CapacityStep(0, 0), CapacityStep(15, 1), CapacityStep(25, 0)))),
        precedences=(Precedence("setup", "run"), Precedence("run", "teardown")),
        bundles=(Bundle(("setup", "run", "teardown")),),
    )
    solution = solve(problem)
    plan = solution.by_activity()
    # teardown would have to lie in [15, 25), after setup and run (20 minutes): impossible
    assert set(plan) == {"other"}
    assert plan["other"].start == 0
    reasons = {u.activity: u.reason for u in solution.unplaced}
    assert set(reasons) == {"setup", "run", "teardown"}
    assert "needs" in reasons["setup"] or "teardown" in reasons["setup"]
    assert validate(problem, solution, require_reasons=True) == []


def test_a_bundle_is_retried_later_when_a_later_member_fails() -> None:
    # 'b' needs the rack, free only from 50: 'a' at 0 leaves 'b' outside the max lag; moving 'a'
    # later (a retry) lets both fit
    problem = Problem(
        "p",
        200,
        activities=(
            Activity("a", 10, optional=True, value=5, demands=(Demand(("crew",)),)),
            Activity("b", 10, optional=True, value=5, demands=(Demand(("rack",)),)),
        ),
        resources=(Resource("crew"), Resource("rack", 1, profile=(CapacityStep(0, 0), CapacityStep(50, 1)))),
        precedences=(Precedence("a", "b", 0, 5),),
        bundles=(Bundle(("a", "b")),),
    )
    plan = solve(problem).by_activity()
    assert set(plan) == {"a", "b"}
    assert plan["b"].start >= 50


def test_unplaced_reasons_name_the_cause() -> None:
    problem = Problem(
        "p",
        60,
        activities=(
            Activity("hog", 60, demands=(Demand(("r",)),)),
            Activity("starved", 10, optional=True, demands=(Demand(("r",)),)),
            Activity("after", 5, optional=True),
            Activity("must", 10, demands=(Demand(("r",)),)),
        ),
        resources=(Resource("r"),),
        precedences=(Precedence("starved", "after"),),
    )
    solution = solve(problem)
    assert solution.status is Status.UNKNOWN
    reasons = {u.activity: u.reason for u in solution.unplaced}
    assert set(reasons) == {"starved", "after", "must"}
    assert "'r'" in reasons["starved"]
    assert "starved" in reasons["after"]
    assert reasons["must"].startswith("mandatory; ")
    assert "'r'" in reasons["must"]
    found = validate(problem, solution, require_reasons=True)
    assert [(v.kind, v.activities) for v in found] == [("missing-mandatory", ("must",))]


def test_an_optional_predecessor_of_a_mandatory_activity_is_placed_first() -> None:
    problem = Problem(
        "p",
        40,
        activities=(
            Activity("nice", 20, optional=True, value=100, demands=(Demand(("r",)),)),
            Activity("prep", 10, optional=True, value=0, demands=(Demand(("r",)),)),
            Activity("must", 10, deadline=40, demands=(Demand(("r",)),)),
        ),
        resources=(Resource("r"),),
        precedences=(Precedence("prep", "must"),),
    )
    solution = solve(problem)
    plan = solution.by_activity()
    assert solution.status is Status.FEASIBLE
    assert (plan["prep"].start, plan["must"].start, plan["nice"].start) == (0, 10, 20)


def test_baseline_starts_are_kept_when_stability_counts() -> None:
    base = Problem(
        "p",
        100,
        activities=(Activity("x", 10, demands=(Demand(("a", "b")),)), Activity("y", 10, demands=(Demand(("a", "b")),))),
        resources=(Resource("a"), Resource("b")),
        baseline=(BaselineEntry("x", 40, ("b",)), BaselineEntry("y", 60)),
        objective=Objective({Criterion.MAKESPAN: 1, Criterion.STABILITY: 10}),
    )
    plan = solve(base).by_activity()
    assert plan["x"] == Assignment("x", 40, 50, ("b",))
    assert plan["y"].start == 60
    without = solve(replace(base, objective=Objective({Criterion.MAKESPAN: 1}))).by_activity()
    assert without["x"].start == 0
    assert without["y"].start == 0


def test_zero_duration_activities_and_empty_problems() -> None:
    problem = Problem(
        "p",
        10,
        activities=(Activity("hold", 10, demands=(Demand(("r",)),)), Activity("mark", 0, demands=(Demand(("r",)),))),
        resources=(Resource("r"),),
    )
    plan = solve(problem).by_activity()
    assert plan["mark"].start == 0
    assert plan["mark"].end == 0
    empty = solve(Problem("empty", 5))
    assert empty.status is Status.FEASIBLE
    assert empty.assignments == ()
    assert empty.objective == 0


def test_lexicographic_objective_states_the_first_criterion_maximised() -> None:
    problem = Problem(
        "p",
        50,
        activities=(Activity("x", 10, value=7), Activity("y", 5, release=20, value=3)),
        objective=Objective(lexicographic=(Criterion.MAKESPAN, Criterion.VALUE)),
    )
    assert solve(problem).objective == -25.0
    by_value = replace(problem, objective=Objective(lexicographic=(Criterion.VALUE,)))
    assert solve(by_value).objective == 10.0


def test_progress_is_reported_once() -> None:
    seen: list[Progress] = []
    problem = synthetic(2, n=20, mandatory=0.0)
    solution = GreedySolver().solve(problem, SolveOptions(), seen.append)
    assert len(seen) == 1
    assert seen[0].objective == solution.objective
    assert seen[0].bound is None


def test_the_time_limit_leaves_optional_work_untried() -> None:
    problem = synthetic(4, n=60, mandatory=0.2)
    solution = solve(problem, time_limit_s=0.0)
    full = solve(problem)
    assert len(solution.assignments) < len(full.assignments)
    reasons = {u.activity: u.reason for u in solution.unplaced}
    assert any("time limit" in r for r in reasons.values())
    assert [v for v in validate(problem, solution, require_reasons=True) if v.kind != "missing-mandatory"] == []


# -- the event-point search is exact for one activity -------------------------------------------


def _background_and_newcomer(seed: int) -> Problem:
    """A valid plan frozen into fixed activities (placed in time order, so each fits when it is
    placed), plus one optional newcomer 'x' that the greedy places last."""
    rng = random.Random(seed)
    source = synthetic(500 + seed, n=40, horizon=720, mandatory=0.0)
    source = replace(source, precedences=(), bundles=(), exclusions=(), baseline=(), work_caps=(WorkCap("crew-0", 240, 100),))
    plan = solve(source)
    fixed = []
    for asg in sorted(plan.assignments, key=lambda a: (a.start, a.activity)):
        act = source.activity(asg.activity)
        fixed.append(replace(
            act,
            release=asg.start,
            deadline=None,
            windows=(),
            fixed_start=asg.start,
            optional=False,
            demands=tuple(Demand((r,), d.amount) for r, d in zip(asg.resources, act.demands, strict=True)),
        ))
    d = rng.choice([0, 10, 30, 60])
    effects = [Effect("disk", rng.choice([-250, -120, 150, 450]), rng.choice(["start", "end"]))]
    if rng.random() < 0.4:
        effects.append(Effect("disk", rng.choice([-100, 80]), rng.choice(["start", "end"])))
    windows = (Window(100, 300), Window(400, 650)) if rng.random() < 0.4 else ()
    newcomer = Activity(
        "x",
        d,
        release=rng.choice([0, 0, 150, 300]),
        windows=windows,
        demands=(Demand(tuple(rng.sample(["crew-0", "crew-1", "crew-2", "crew-3"], 2))), Demand(("power",), rng.choice([0, 900, 1700]))),
        effects=tuple(effects),
        optional=True,
        value=0,
    )
    others = [a.id for a in fixed]
    return replace(
        source,
        activities=(*fixed, newcomer),
        exclusions=(Exclusion(("x",), tuple(rng.sample(others, min(3, len(others))))),),
        objective=Objective({Criterion.VALUE: 1}),
    )


@pytest.mark.parametrize("seed", range(10))
def test_the_search_finds_the_earliest_feasible_start(seed: int) -> None:
    problem = _background_and_newcomer(seed)
    check_problem(problem)
    solution = solve(problem)
    plan = solution.by_activity()
    background = tuple(a for a in solution.assignments if a.activity != "x")
    assert len(background) == len(problem.activities) - 1  # every fixed activity went in
    x = problem.activity("x")
    first: Assignment | None = None
    for t in range(x.release, problem.horizon - x.duration + 1):
        if x.windows and not any(w.contains(t, t + x.duration) for w in x.windows):
            continue
        for crew in x.demands[0].options:
            trial = Assignment("x", t, t + x.duration, (crew, "power"))
            if validate(problem, Solution(Status.FEASIBLE, "brute", (*background, trial))) == []:
                first = trial
                break
        if first is not None:
            break
    assert plan.get("x") == first
