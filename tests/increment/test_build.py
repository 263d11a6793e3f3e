"""The builder: a problem check_problem accepts, with the station's structure in it."""

from __future__ import annotations

from collections import Counter

import pytest

from spacehome.domain.elements import ElementSet
from spacehome.domain.record import StationRecord
from spacehome.errors import ValidationError
from spacehome.increment.build import build_problem, crew_day_items, local_offsets
from spacehome.increment.generate import generate_scenario
from spacehome.increment.scenario import Scenario
from spacehome.planning.files import check_problem, problem_from_data, problem_to_data
from spacehome.planning.problem import Criterion, Problem

from .conftest import START


@pytest.fixture(scope="module")
def month(record: StationRecord, elements: ElementSet) -> Scenario:
    return generate_scenario(record, elements, start=START, days=30, seed=1)


@pytest.fixture(scope="module")
def problem(month: Scenario) -> Problem:
    return build_problem(month)


def _tagged(problem: Problem, tag: str) -> list[str]:
    return [a.id for a in problem.activities if tag in a.tags]


def test_problem_passes_check_problem(problem: Problem) -> None:
    check_problem(problem)
    assert problem_from_data(problem_to_data(problem)) == problem


def test_a_month_has_over_a_thousand_activities(problem: Problem) -> None:
    assert len(problem.activities) >= 1000
    counts = Counter(t for a in problem.activities for t in a.tags if t in ("crew-day", "run", "fixed-event"))
    assert counts["crew-day"] > 500
    assert counts["run"] > 100
    assert counts["fixed-event"] >= 5


def test_build_is_deterministic(month: Scenario, problem: Problem) -> None:
    assert build_problem(month) == problem


def test_resources_and_tags(month: Scenario, problem: Problem) -> None:
    by_tag = Counter(t for r in problem.resources for t in r.tags if t in ("crew", "rack", "adapter", "crew-day"))
    assert by_tag["crew"] == by_tag["crew-day"] == len(month.crew)
    assert by_tag["rack"] == len(month.racks)
    assert by_tag["adapter"] == len(month.adapters)
    ids = {r.id for r in problem.resources}
    assert {"power", "downlink"} <= ids
    assert [s.id for s in problem.storages] == ["onboard-storage"]
    assert all(r.capacity == 1 for r in problem.resources if set(r.tags) & {"crew", "rack", "adapter"})


def test_crew_day_items_take_the_crew_out_of_service(month: Scenario, problem: Problem) -> None:
    items = crew_day_items(month)
    resources = {r.id: r for r in problem.resources}
    for member in month.crew:
        crew = resources[f"crew:{member.id}"]
        assert crew.capacity_at(member.aboard_from_min - 1) == 0 or member.aboard_from_min == 0
        if member.aboard_to_min < month.horizon_min:
            assert crew.capacity_at(member.aboard_to_min) == 0
        names = Counter(name for name, _ in items[member.id])
        assert names["sleep"] >= 1
        assert names["conference"] >= 1
        for _, (a, b) in items[member.id]:
            assert crew.capacity_at(a) == 0
            assert crew.capacity_at(b - 1) == 0
    crew_day = [a for a in problem.activities if "crew-day" in a.tags]
    assert all(a.fixed_start is not None and not a.optional for a in crew_day)
    assert all(d.options[0].startswith("crew-day:") for a in crew_day for d in a.demands)


def test_exercise_is_about_two_hours_a_day(month: Scenario) -> None:
    items = crew_day_items(month)
    member = month.crew[0]
    minutes = sum(b - a for name, (a, b) in items[member.id] if name.startswith("exercise"))
    days_aboard = (member.aboard_to_min - member.aboard_from_min) / 1440
    assert minutes / days_aboard == pytest.approx(120, abs=15)


def test_work_caps_per_local_day_and_week(month: Scenario, problem: Problem) -> None:
    day, week = local_offsets(month)
    assert day == 16 * 60  # 2026-09-07 00:00 UTC is 08:00 in Beijing; the next midnight is 16 h later
    assert week == day + 6 * 1440  # the next local Monday 00:00 is 2026-09-14 00:00 BJT
    caps = Counter((c.resource, c.period) for c in problem.work_caps)
    for member in month.crew:
        assert caps[(f"crew:{member.id}", 1440)] == 1
        assert caps[(f"crew:{member.id}", 10080)] == 1
    daily = {c.limit for c in problem.work_caps if c.period == 1440}
    assert daily == {month.crew_day.daily_work_cap_min}


def test_experiment_run_structure(month: Scenario, problem: Problem) -> None:
    acts = {a.id: a for a in problem.activities}
    x = next(x for x in month.experiments if x.qualification == "payload-specialist" and x.quiet)
    stem = f"x:{x.id}:0"
    setup, run, teardown, downlink = (acts[f"{stem}:{step}"] for step in ("setup", "run", "teardown", "downlink"))
    assert all(a.optional for a in (setup, run, teardown, downlink))
    assert run.value == x.value
    assert setup.value == 0
    assert {"run", "quiet", f"experiment:{x.id}", f"project:{x.project}"} <= set(run.tags)
    rack = f"rack:{x.location}"
    assert all(a.demands[0].options == (rack,) for a in (setup, run, teardown))
    crew_options = setup.demands[1].options
    assert crew_options
    assert all(o.startswith("crew:") for o in crew_options)
    specialists = {f"crew:{c.id}" for c in month.crew if "payload-specialist" in c.qualifications}
    assert set(crew_options) <= specialists
    assert any(d.options == ("power",) and d.amount == x.power_w for d in run.demands)
    assert run.effects[0].delta == x.data_mbit
    assert downlink.effects[0].delta == -x.data_mbit
    assert downlink.demands[0].options == ("downlink",)
    assert downlink.duration == -(-x.data_mbit // month.data.downlink_mbit_per_min)
    contacts = set(month.orbit.contacts_min)
    assert all(any(a <= w.start and w.end <= b for a, b in contacts) for w in downlink.windows)
    pairs = {(p.before, p.after): p for p in problem.precedences}
    assert pairs[(setup.id, run.id)].max_lag == month.ops.setup_to_run_max_gap_min
    assert (run.id, teardown.id) in pairs
    assert (run.id, downlink.id) in pairs
    assert any(set(b.activities) == {setup.id, run.id, teardown.id, downlink.id} for b in problem.bundles)
    shares = dict(run.shares)
    assert sum(shares.values()) == 100
    assert set(shares) == set(next(p for p in month.projects if p.id == x.project).countries)


def test_quiet_runs_exclude_disturbances(problem: Problem) -> None:
    disturbing = set(_tagged(problem, "disturbance"))
    assert disturbing
    quiet = set(_tagged(problem, "quiet"))
    assert problem.exclusions
    for ex in problem.exclusions:
        assert set(ex.first) <= quiet
        assert set(ex.second) <= disturbing


def test_lighting_windows(month: Scenario, problem: Problem) -> None:
    acts = {a.id: a for a in problem.activities}
    dark = next(x for x in month.experiments if x.lighting == "eclipse")
    run = acts[f"x:{dark.id}:0:run"]
    umbra = month.orbit.umbra_min
    assert run.windows
    assert all(any(a <= w.start and w.end <= b for a, b in umbra) for w in run.windows)
    lit = next(x for x in month.experiments if x.lighting == "sunlit")
    run = acts[f"x:{lit.id}:0:run"]
    assert all(
        not (a < w.end and w.start < b) for w in run.windows for a, b in month.orbit.eclipses_min
    )
    night = next(x for x in month.experiments if x.lighting == "night")
    run = acts[f"x:{night.id}:0:run"]
    assert run.windows
    assert all(any(a <= w.start and w.end <= b for a, b in month.orbit.night_min) for w in run.windows)


def test_cargo_and_sample_return(month: Scenario, problem: Problem) -> None:
    acts = {a.id: a for a in problem.activities}
    x = next(x for x in month.experiments if x.cargo and x.returns_on)
    cargo, ship = month.vehicle(x.cargo), month.vehicle(x.returns_on)  # type: ignore[arg-type]
    assert cargo.dock_min is not None
    assert ship.undock_min is not None
    for k in range(len(x.runs_min)):
        setup, teardown = acts[f"x:{x.id}:{k}:setup"], acts[f"x:{x.id}:{k}:teardown"]
        assert setup.release >= cargo.dock_min + cargo.unpack_min
        assert teardown.deadline is not None
        assert teardown.deadline <= ship.undock_min - month.ops.sample_stowage_margin_min
        assert f"cargo:{cargo.id}" in setup.tags
        assert f"return:{ship.id}" in teardown.tags
    assert _tagged(problem, f"cargo:{cargo.id}")


def test_eva_holds_its_crew_and_replaces_their_crew_day(month: Scenario, problem: Problem) -> None:
    eva = next(e for e in month.events if e.kind == "eva")
    activity = next(a for a in problem.activities if a.id == f"ev:{eva.id}")
    assert activity.fixed_start == eva.start_min
    assert {"fixed-event", "disturbance", "eva"} <= set(activity.tags)
    assert {d.options for d in activity.demands} == {(f"crew:{c}",) for c in eva.crew}
    items = crew_day_items(month)
    span = (eva.start_min, eva.start_min + eva.duration_min)
    for person in eva.crew:
        assert not any(a < span[1] and span[0] < b for _, (a, b) in items[person])


def test_groups_are_countries_with_entitlements(month: Scenario, problem: Problem) -> None:
    assert {g.id for g in problem.groups} == {e.country for e in month.entitlements}
    total = sum(a.value for a in problem.activities)
    assert sum(g.entitlement for g in problem.groups) == pytest.approx(total, rel=0.01)


def test_objectives(month: Scenario) -> None:
    assert build_problem(month).objective.weights == {Criterion.VALUE: 1}
    fair = build_problem(month, objective="fairness-then-value").objective
    assert fair.lexicographic == (Criterion.FAIRNESS, Criterion.VALUE)
    assert build_problem(month, objective="fairness").objective.weights == {Criterion.FAIRNESS: 1}
    with pytest.raises(ValidationError, match="unknown objective 'speed'"):
        build_problem(month, objective="speed")
