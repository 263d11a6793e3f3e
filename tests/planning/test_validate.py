"""The validator: one hand-broken plan per violation kind, and a brute-force cross-check."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

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
    Unplaced,
    Window,
    WorkCap,
)
from spacehome.planning.validate import Violation, objective_terms, validate, weighted_objective

CREW = ("crew-a", "crew-b")

PROBLEM = Problem(
    name="tiny",
    horizon=100,
    activities=(
        Activity("A", 10, demands=(Demand(CREW), Demand(("power",), 5)), effects=(Effect("disk", 3, "end"),),
                 value=10, shares=(("g1", 100),)),
        Activity("B", 10, release=5, deadline=40, demands=(Demand(CREW),), optional=True, value=6,
                 shares=(("g1", 50), ("g2", 50))),
        Activity("C", 5, windows=(Window(20, 30), Window(60, 80)), demands=(Demand(("power",), 4),),
                 effects=(Effect("disk", -4, "start"),), optional=True, value=4, shares=(("g2", 100),)),
        Activity("D", 10, fixed_start=40, demands=(Demand(("crew-a",)),)),
        Activity("E", 5, optional=True, value=2),
        Activity("F", 5, optional=True, value=2),
        Activity("G", 0, optional=True),
        Activity("H", 5, optional=True, effects=(Effect("disk", -3, "start"),)),
    ),
    resources=(
        Resource("crew-a"),
        Resource("crew-b"),
        Resource("power", 10, profile=(CapacityStep(50, 4), CapacityStep(70, 10))),
    ),
    storages=(Storage("disk", 10, initial=2),),
    precedences=(Precedence("A", "C", 2, 50), Precedence("E", "F"), Precedence("B", "G")),
    bundles=(Bundle(("E", "F")),),
    exclusions=(Exclusion(("B",), ("E", "F"), "quiet"),),
    work_caps=(WorkCap("crew-b", 50, 15),),
    groups=(Group("g1", 10), Group("g2", 20)),
    objective=Objective({Criterion.VALUE: 1, Criterion.MAKESPAN: 1, Criterion.FAIRNESS: 1, Criterion.STABILITY: 1}),
    baseline=(BaselineEntry("A", 0, ("crew-a", "power")), BaselineEntry("B", 10, ("crew-b",))),
)

VALID = {
    "A": Assignment("A", 0, 10, ("crew-a", "power")),
    "B": Assignment("B", 10, 20, ("crew-b",)),
    "C": Assignment("C", 20, 25, ("power",)),
    "D": Assignment("D", 40, 50, ("crew-a",)),
    "E": Assignment("E", 25, 30),
    "F": Assignment("F", 30, 35),
    "G": Assignment("G", 20, 20),
}

# by hand: value 10+6+4+0+2+2+0 = 24; makespan 50; g1 gets 10 + 6·50//100 = 13 of 10 → 1300,
# g2 gets 3 + 4 = 7 of 20 → 350, so the ratio is 350; nothing moved. 24 − 50 + 350 − 0 = 324.
VALID_OBJECTIVE = 324.0


def plan(
    changes: dict[str, Assignment | None] | None = None,
    *,
    extra: tuple[Assignment, ...] = (),
    unplaced: tuple[Unplaced, ...] = (),
    objective: float | None = None,
) -> Solution:
    """The valid plan with some assignments replaced (or removed, with None)."""
    chosen = dict(VALID)
    for k, v in (changes or {}).items():
        if v is None:
            del chosen[k]
        else:
            chosen[k] = v
    return Solution(Status.FEASIBLE, "hand", tuple(chosen.values()) + extra, unplaced, objective)


def kinds(violations: list[Violation]) -> list[str]:
    return [v.kind for v in violations]


def test_the_hand_made_problem_passes_the_problem_checks() -> None:
    check_problem(PROBLEM)


def test_a_valid_plan_has_no_violations() -> None:
    assert validate(PROBLEM, plan(objective=VALID_OBJECTIVE)) == []
    assert validate(PROBLEM, plan(unplaced=(Unplaced("H", "optional"),)), require_reasons=True) == []


def test_objective_terms_by_hand() -> None:
    terms = objective_terms(PROBLEM, VALID.values())
    assert terms == {"value": 24.0, "makespan": 50.0, "fairness": 350.0, "moved": 0.0}
    assert weighted_objective(PROBLEM.objective, terms) == VALID_OBJECTIVE
    moved = objective_terms(PROBLEM, [VALID["A"], replace(VALID["B"], resources=("crew-a",))])
    assert moved["moved"] == 1  # B holds another crew member
    assert objective_terms(PROBLEM, [VALID["B"]])["moved"] == 1  # A left out
    assert objective_terms(PROBLEM, [])["makespan"] == 0
    # a baseline entry without resources records the start alone
    loose = replace(PROBLEM, baseline=(BaselineEntry("B", 10),))
    assert objective_terms(loose, [replace(VALID["B"], resources=("crew-a",))])["moved"] == 0
    assert objective_terms(loose, [replace(VALID["B"], start=11, end=21)])["moved"] == 1
    assert objective_terms(replace(PROBLEM, groups=()), VALID.values())["fairness"] == 0
    # an activity assigned twice or an unknown one counts once or not at all
    twice = [*VALID.values(), Assignment("A", 60, 70, ("crew-a", "power")), Assignment("Z", 0, 99)]
    assert objective_terms(PROBLEM, twice) == terms
    assert RATIO_SCALE == 1000


def test_fairness_is_floored_once_over_the_exact_shares() -> None:
    # g receives 5 · 33 % twice = 3.3 of its entitlement 10 → 330 (not 200 from flooring 1.65 to 1)
    problem = Problem(
        "shares",
        10,
        activities=(
            Activity("p", 1, value=5, shares=(("g", 33), ("h", 67))),
            Activity("q", 1, value=5, shares=(("g", 33), ("h", 67))),
        ),
        groups=(Group("g", 10), Group("h", 10)),
    )
    terms = objective_terms(problem, [Assignment("p", 0, 1), Assignment("q", 1, 2)])
    assert terms["fairness"] == 330  # g: 3.3 / 10 → 330; h: 6.7 / 10 → 670


# (kind, changes, extra assignments, the activities named)
CASES: list[tuple[str, dict[str, Assignment | None], tuple[Assignment, ...], tuple[str, ...]]] = [
    ("unknown-activity", {}, (Assignment("Z", 0, 1),), ("Z",)),
    ("duplicate-assignment", {}, (Assignment("G", 30, 30),), ("G",)),
    ("missing-mandatory", {"D": None}, (), ("D",)),
    ("duration", {"A": Assignment("A", 0, 9, ("crew-a", "power"))}, (), ("A",)),
    ("horizon", {"G": Assignment("G", 101, 101)}, (), ("G",)),
    ("release", {"B": Assignment("B", 4, 14, ("crew-b",))}, (), ("B",)),
    ("deadline", {"B": Assignment("B", 35, 45, ("crew-b",)), "G": Assignment("G", 45, 45)}, (), ("B",)),
    ("window", {"C": Assignment("C", 30, 35, ("power",))}, (), ("C",)),
    ("fixed-start", {"D": Assignment("D", 41, 51, ("crew-a",))}, (), ("D",)),
    ("demand", {"A": Assignment("A", 0, 10, ("crew-a",))}, (), ("A",)),
    ("demand", {"A": Assignment("A", 0, 10, ("power", "power"))}, (), ("A",)),
    ("capacity", {"B": Assignment("B", 5, 15, ("crew-a",))}, (), ("A", "B")),
    # the power profile drops to 4 at 50: A's 5 does not fit there
    (
        "capacity",
        {"A": Assignment("A", 50, 60, ("crew-a", "power")), "C": Assignment("C", 62, 67, ("power",))},
        (),
        ("A",),
    ),
    ("work-cap", {"A": Assignment("A", 0, 10, ("crew-b", "power"))}, (), ("A", "B")),
    ("storage", {}, (Assignment("H", 12, 17),), ("C",)),
    ("precedence", {"F": Assignment("F", 28, 33)}, (), ("E", "F")),
    ("max-lag", {"C": Assignment("C", 61, 66, ("power",))}, (), ("A", "C")),
    ("precedence-missing", {"B": None}, (), ("B", "G")),
    ("bundle", {"F": None}, (), ("E", "F")),
    ("exclusion", {"E": Assignment("E", 15, 20)}, (), ("B", "E")),
]


@pytest.mark.parametrize(
    ("kind", "changes", "extra", "names"), CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)]
)
def test_each_violation_kind_alone(
    kind: str, changes: dict[str, Assignment | None], extra: tuple[Assignment, ...], names: tuple[str, ...]
) -> None:
    found = validate(PROBLEM, plan(changes, extra=extra))
    assert kinds(found) == [kind], found
    assert found[0].activities == names
    assert found[0].message
    assert "\n" not in found[0].message


def test_capacity_reports_the_interval_and_the_load() -> None:
    (v,) = validate(PROBLEM, plan({"B": Assignment("B", 5, 15, ("crew-a",))}))
    assert "crew-a" in v.message
    assert "[5, 10)" in v.message
    assert "2 in use" in v.message
    (v,) = validate(
        PROBLEM,
        plan({"A": Assignment("A", 50, 60, ("crew-a", "power")), "C": Assignment("C", 62, 67, ("power",))}),
    )
    assert "power" in v.message
    assert "[50, 60)" in v.message
    assert "capacity is 4" in v.message


def test_storage_reports_when_and_the_level() -> None:
    (v,) = validate(PROBLEM, plan(extra=(Assignment("H", 12, 17),)))
    assert "below 0" in v.message
    assert "from 20" in v.message
    assert "-2" in v.message
    small = replace(PROBLEM, storages=(Storage("disk", 4, initial=2),))
    (v,) = validate(small, plan())
    assert v.kind == "storage"
    assert "above capacity" in v.message
    assert "from 10 until 20" in v.message
    assert v.activities == ("A",)


def test_a_storage_is_reported_once_per_stretch_out_of_range() -> None:
    # H drains 3 at 0 (level −1) until A fills 3 at 10 (level 2); C drains 4 at 20 (level −2)
    first, second = validate(PROBLEM, plan(extra=(Assignment("H", 0, 5),)))
    assert first.kind == second.kind == "storage"
    assert "from 0 until 10" in first.message
    assert first.activities == ("H",)
    assert "from 20 on" in second.message
    assert second.activities == ("C",)


def test_unplaced_inconsistencies() -> None:
    found = validate(PROBLEM, plan(unplaced=(Unplaced("B", "no crew"),)))
    assert kinds(found) == ["unplaced-scheduled"]
    assert found[0].activities == ("B",)
    found = validate(PROBLEM, plan(unplaced=(Unplaced("H", "x"), Unplaced("H", "y"))))
    assert kinds(found) == ["duplicate-unplaced"]
    found = validate(PROBLEM, plan(unplaced=(Unplaced("Q", "x"),)))
    assert kinds(found) == ["unknown-activity"]
    assert found[0].activities == ("Q",)
    assert validate(PROBLEM, plan()) == []
    found = validate(PROBLEM, plan(), require_reasons=True)
    assert kinds(found) == ["unplaced-unlisted"]
    assert found[0].activities == ("H",)


def test_objective_mismatch_only_when_stated_and_weighted() -> None:
    found = validate(PROBLEM, plan(objective=VALID_OBJECTIVE + 1))
    assert kinds(found) == ["objective-mismatch"]
    assert "324" in found[0].message
    assert "325" in found[0].message
    assert validate(PROBLEM, plan(objective=None)) == []
    lexi = replace(PROBLEM, objective=Objective(lexicographic=(Criterion.VALUE, Criterion.MAKESPAN)))
    assert validate(lexi, plan(objective=12345.0)) == []
    # the makespan weight alone: a PSPLIB-style objective is −makespan
    only_makespan = replace(PROBLEM, objective=Objective({Criterion.MAKESPAN: 1}))
    assert validate(only_makespan, plan(objective=-50.0)) == []


def test_every_violation_is_reported_at_once() -> None:
    broken = plan(
        {
            "A": Assignment("A", 50, 59, ("crew-b", "power")),  # duration, capacity (power 5 > 4)
            "B": Assignment("B", 50, 60, ("crew-b",)),  # deadline, capacity, work cap with A
            "D": None,  # missing-mandatory
            "E": Assignment("E", 52, 57),  # exclusion with B
            "F": Assignment("F", 55, 60),  # precedence E → F, exclusion with B
        },
        extra=(Assignment("Z", 0, 1),),
        objective=1.0,
    )
    found = validate(PROBLEM, broken)
    assert set(kinds(found)) >= {
        "unknown-activity",
        "missing-mandatory",
        "duration",
        "capacity",
        "precedence",
        "exclusion",
        "objective-mismatch",
        "work-cap",
    }
    pairs = {v.activities for v in found if v.kind == "exclusion"}
    assert pairs == {("B", "E"), ("B", "F")}


def test_empty_intervals_use_nothing_and_overlap_nothing() -> None:
    problem = Problem(
        "zero",
        10,
        activities=(
            Activity("m", 0, demands=(Demand(("r",), 5),)),
            Activity("x", 4, demands=(Demand(("r",), 1),)),
        ),
        resources=(Resource("r", 1),),
        exclusions=(Exclusion(("m",), ("x",)),),
    )
    solution = Solution(Status.FEASIBLE, "hand", (Assignment("m", 2, 2, ("r",)), Assignment("x", 0, 4, ("r",))))
    assert validate(problem, solution) == []


# -- a brute-force cross-check: per time unit, on small random plans -------------------------


def _random_case(rng: random.Random) -> tuple[Problem, Solution]:
    horizon = 40
    resources = (
        Resource("u", 1),
        Resource("c", 5, profile=(CapacityStep(10, 3), CapacityStep(25, 6), CapacityStep(25, 4))),
    )
    acts = []
    for k in range(8):
        demands = []
        if rng.random() < 0.7:
            demands.append(Demand(("u", "c"), rng.randint(0, 2)))
        if rng.random() < 0.6:
            demands.append(Demand(("c",), rng.randint(1, 3)))
        effects = (Effect("s", rng.randint(-3, 3), rng.choice(["start", "end"])),) if rng.random() < 0.6 else ()
        acts.append(Activity(f"a{k}", rng.randint(0, 8), demands=tuple(demands), effects=effects, optional=True))
    problem = Problem(
        "random",
        horizon,
        activities=tuple(acts),
        resources=resources,
        storages=(Storage("s", 5, initial=2),),
        exclusions=(Exclusion(("a0", "a1", "a2"), ("a3", "a4", "a5")),),
        work_caps=(WorkCap("c", 7, 6, offset=3),),
    )
    assignments = []
    for a in acts:
        if rng.random() < 0.85:
            s = rng.randint(0, horizon - a.duration)
            res = tuple(rng.choice(d.options) for d in a.demands)
            assignments.append(Assignment(a.id, s, s + a.duration, res))
    return problem, Solution(Status.FEASIBLE, "random", tuple(assignments))


def _naive(problem: Problem, solution: Solution) -> tuple[set[str], bool, set[str], set[tuple[str, str]]]:
    acts = {a.id: a for a in problem.activities}
    res = {r.id: r for r in problem.resources}
    over: set[str] = set()
    for t in range(problem.horizon):
        for r in res.values():
            users = [
                (asg.activity, d.amount)
                for asg in solution.assignments
                if asg.start <= t < asg.end
                for name, d in zip(asg.resources, acts[asg.activity].demands, strict=True)
                if name == r.id and d.amount > 0
            ]
            if sum(n for _, n in users) > r.capacity_at(t):
                over |= {a for a, _ in users}
    storage_bad = False
    st = problem.storages[0]
    for t in range(problem.horizon + 1):
        level = st.initial + sum(
            e.delta
            for asg in solution.assignments
            for e in acts[asg.activity].effects
            if (asg.start if e.at == "start" else asg.end) <= t
        )
        storage_bad |= not 0 <= level <= st.capacity
    cap = problem.work_caps[0]
    capped: set[str] = set()
    for k in range(-1, problem.horizon // cap.period + 1):
        lo = cap.offset + k * cap.period
        members = [a for a in solution.assignments if "c" in a.resources and lo <= a.start < lo + cap.period]
        if sum(a.end - a.start for a in members) > cap.limit:
            capped |= {a.activity for a in members}
    x = problem.exclusions[0]
    by = solution.by_activity()
    pairs = {
        (a, b)
        for a in x.first
        for b in x.second
        if a != b and a in by and b in by and by[a].start < by[b].end and by[b].start < by[a].end
        and by[a].end > by[a].start and by[b].end > by[b].start
    }
    return over, storage_bad, capped, pairs


@pytest.mark.parametrize("seed", range(60))
def test_sweeps_agree_with_a_per_time_unit_check(seed: int) -> None:
    problem, solution = _random_case(random.Random(seed))
    check_problem(problem)
    found = validate(problem, solution)
    over, storage_bad, capped, pairs = _naive(problem, solution)
    assert {a for v in found if v.kind == "capacity" for a in v.activities} == over
    assert any(v.kind == "storage" for v in found) == storage_bad
    assert {a for v in found if v.kind == "work-cap" for a in v.activities} == capped
    assert {v.activities for v in found if v.kind == "exclusion"} == pairs
    assert set(kinds(found)) <= {"capacity", "storage", "work-cap", "exclusion"}


def test_validation_is_fast_on_a_month_of_minutes() -> None:

    rng = random.Random(7)
    horizon = 43_200
    steps = tuple(CapacityStep(t, rng.choice([2000, 3000, 1500])) for t in range(0, horizon, 90))
    resources = (Resource("power", 3000, profile=steps), *(Resource(f"crew-{k}") for k in range(6)))
    acts = []
    assignments = []
    for k in range(1500):
        d = rng.randint(5, 120)
        s = rng.randint(0, horizon - d)
        crew = f"crew-{k % 6}"
        acts.append(
            Activity(f"a{k}", d, demands=(Demand(tuple(f"crew-{j}" for j in range(6))), Demand(("power",), 300)),
                     effects=(Effect("disk", rng.choice([-5, 7]), "end"),), optional=True, value=k % 17)
        )
        assignments.append(Assignment(f"a{k}", s, s + d, (crew, "power")))
    problem = Problem("month", horizon, activities=tuple(acts), resources=resources,
                      storages=(Storage("disk", 10_000, 5000),), work_caps=(WorkCap("crew-0", 1440, 480),))
    solution = Solution(Status.FEASIBLE, "random", tuple(assignments))
    found = validate(problem, solution)
    assert any(v.kind == "capacity" for v in found)
