"""A short increment solved end to end: CP-SAT plan, validator, per-country shares."""

from __future__ import annotations

import pytest

from spacehome.domain.elements import ElementSet
from spacehome.domain.record import StationRecord
from spacehome.increment.build import build_problem
from spacehome.increment.generate import generate_scenario
from spacehome.increment.shares import shares
from spacehome.planning.cpsat import CpSatSolver
from spacehome.planning.problem import Problem, Solution, Status
from spacehome.planning.solver import SolveOptions
from spacehome.planning.validate import validate

from .conftest import START


@pytest.fixture(scope="module")
def solved(record: StationRecord, elements: ElementSet) -> tuple[Problem, Solution]:
    scenario = generate_scenario(record, elements, start=START, days=3, seed=1)
    problem = build_problem(scenario)
    solution = CpSatSolver().solve(problem, SolveOptions(time_limit_s=10, workers=2, seed=0))
    return problem, solution


def test_three_days_solve_to_a_valid_plan(solved: tuple[Problem, Solution]) -> None:
    problem, solution = solved
    assert solution.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert validate(problem, solution) == []
    placed = solution.by_activity()
    for a in problem.activities:
        if not a.optional:
            assert a.id in placed, a.id
    runs = [a for a in problem.activities if "run" in a.tags]
    assert sum(a.id in placed for a in runs) >= len(runs) // 2


def test_shares_sum_to_the_plan(solved: tuple[Problem, Solution]) -> None:
    problem, solution = solved
    report = shares(problem, solution)
    acts = {a.id: a for a in problem.activities}
    crew = {r.id for r in problem.resources if "crew" in r.tags}
    racks = {r.id for r in problem.resources if {"rack", "adapter"} & set(r.tags)}
    value = crew_min = rack_min = mbit = 0.0
    for x in solution.assignments:
        a = acts[x.activity]
        if not a.shares:
            continue
        value += a.value
        crew_min += sum(x.end - x.start for r in x.resources if r in crew)
        rack_min += sum(x.end - x.start for r in x.resources if r in racks)
        if "downlink" in a.tags:
            mbit += -sum(e.delta for e in a.effects)
    assert value > 0
    assert crew_min > 0
    assert rack_min > 0
    assert mbit > 0
    assert sum(c.value for c in report) == pytest.approx(value, abs=0.01)
    assert sum(c.crew_min for c in report) == pytest.approx(crew_min, abs=0.01)
    assert sum(c.rack_min for c in report) == pytest.approx(rack_min, abs=0.01)
    assert sum(c.downlink_mbit for c in report) == pytest.approx(mbit, abs=0.01)
    assert sum(c.entitlement_pct for c in report) == pytest.approx(100.0, abs=0.01)
    assert sum(c.value_pct for c in report) == pytest.approx(100.0, abs=0.01)
    assert {c.country for c in report} == {g.id for g in problem.groups}
    assert solution.objective == pytest.approx(value)
    china = next(c for c in report if c.country == "CN")
    assert china.ratio == pytest.approx(china.value / china.entitlement, abs=1e-3)


def test_shares_without_storage_count_rate_times_duration(
    record: StationRecord, elements: ElementSet, solved: tuple[Problem, Solution]
) -> None:
    problem, solution = solved
    scenario = generate_scenario(record, elements, start=START, days=3, seed=1)
    bare = build_problem(scenario, storage=False)
    assert bare.storages == ()
    assert not any(a.effects for a in bare.activities)
    with_storage = {c.country: c.downlink_mbit for c in shares(problem, solution)}
    without = {c.country: c.downlink_mbit for c in shares(bare, solution)}
    rate = next(r for r in bare.resources if r.id == "downlink").max_capacity()
    for country, mbit in with_storage.items():
        assert mbit <= without[country] < mbit + rate * 10  # whole minutes at the full rate
