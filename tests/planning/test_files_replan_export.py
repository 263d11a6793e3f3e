"""Problem and plan files, replanning edits and exports (hand-made plans, no solver)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from icalendar import Calendar

from spacehome.errors import ValidationError
from spacehome.planning import export, replan
from spacehome.planning.files import (
    PlanFile,
    problem_from_data,
    problem_to_data,
    read_plan,
    write_plan,
)
from spacehome.planning.problem import (
    Activity,
    Assignment,
    Bundle,
    Criterion,
    Demand,
    Precedence,
    Problem,
    Resource,
    Solution,
    Status,
    Unplaced,
    Window,
)


def small_problem() -> Problem:
    return Problem(
        name="tiny",
        horizon=600,
        time_unit="min",
        epoch="2026-12-01T00:00:00Z",
        resources=(
            Resource("ana", tags=("crew",)),
            Resource("ben", tags=("crew",)),
            Resource("rack-1", tags=("rack",)),
        ),
        activities=(
            Activity("setup", 30, demands=(Demand(("ana", "ben")), Demand(("rack-1",))), tags=("project:p1",), label="Setup"),
            Activity("run", 120, demands=(Demand(("rack-1",)),), optional=True, value=5, tags=("project:p1", "quiet")),
            Activity("other", 60, release=300, demands=(Demand(("ben",)),), tags=("project:p2",)),
        ),
        precedences=(Precedence("setup", "run", 0, 10),),
    )


def small_solution() -> Solution:
    return Solution(
        status=Status.FEASIBLE,
        solver="hand",
        assignments=(
            Assignment("setup", 0, 30, ("ana", "rack-1")),
            Assignment("run", 35, 155, ("rack-1",)),
            Assignment("other", 300, 360, ("ben",)),
        ),
    )


def test_problem_round_trips_through_json() -> None:
    p = small_problem()
    data = json.loads(json.dumps(problem_to_data(p)))
    assert data["format"] == "spacehome-problem/1"
    assert problem_from_data(data) == p


def test_plan_file_round_trips_and_writes_atomically(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = PlanFile(small_problem(), small_solution(), {"scenario": "x"})
    write_plan(path, plan)
    assert read_plan(path) == plan
    assert not (tmp_path / "plan.json.tmp").exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["activities"][0].update(duration=-5), "duration -5 is negative"),
        (lambda d: d["activities"][0].update(demands=[{"options": ["rack-9"]}]), "unknown resource 'rack-9'"),
        (lambda d: d["activities"][2].update(windows=[{"start": 10, "end": 40}]), "none of its 1 windows can hold 60"),
        (lambda d: d["activities"][2].update(release=590), "cannot fit"),
        (lambda d: d["activities"].append(dict(d["activities"][0])), "activity id 'setup' is used 2 times"),
        (lambda d: d["precedences"].append({"before": "setup", "after": "nope"}), "unknown activity 'nope'"),
        (lambda d: d["activities"][0].update(duration="long"), "activities[0].duration: Input should be a valid integer"),
        (lambda d: d.update(horizon=0), "horizon is 0"),
        (lambda d: d["exclusions"].append({"first": ["setup"], "second": ["run", "setup"]}), "'setup' is on both sides"),
    ],
)
def test_bad_problems_are_refused_with_one_line(edit, message: str) -> None:
    data = problem_to_data(small_problem())
    edit(data)
    with pytest.raises(ValidationError) as err:
        problem_from_data(data)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_read_plan_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"format": "something"}')
    with pytest.raises(ValidationError, match="not a spacehome plan"):
        read_plan(path)
    path.write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        read_plan(path)
    with pytest.raises(ValidationError, match="no such plan file"):
        read_plan(tmp_path / "missing.json")


def test_freeze_pins_the_past_and_releases_the_future() -> None:
    p = replan.freeze(small_problem(), small_solution(), now=100)
    setup, run, other = (p.activity(i) for i in ("setup", "run", "other"))
    assert setup.fixed_start == 0
    assert setup.demands[0].options == ("ana",)
    assert run.fixed_start == 35
    assert not run.optional
    assert other.fixed_start is None
    assert other.release == 300
    assert p.objective.weights[Criterion.STABILITY] == replan.STABILITY_WEIGHT
    assert {b.activity for b in p.baseline} == {"setup", "run", "other"}


def test_freeze_later_drops_an_optional_activity_whose_time_has_passed() -> None:
    sol = Solution(Status.FEASIBLE, "hand", assignments=(Assignment("setup", 0, 30, ("ana", "rack-1")),))
    problem = small_problem()
    problem = Problem(**{**problem.__dict__, "activities": (*problem.activities[:1], Activity("late", 50, deadline=200, optional=True, value=1), problem.activities[2])})
    frozen = replan.freeze(problem, sol, now=180)
    assert "late" not in {a.id for a in frozen.activities}


def test_freeze_refuses_a_mandatory_activity_that_can_no_longer_fit() -> None:
    sol = Solution(Status.FEASIBLE, "hand", assignments=())
    with pytest.raises(ValidationError, match="can no longer meet its deadline"):
        replan.freeze(small_problem(), sol, now=590)


def test_outage_sets_capacity_to_zero_then_restores_it() -> None:
    p = replan.with_outage(small_problem(), "ben", 100, 400)
    ben = next(r for r in p.resources if r.id == "ben")
    assert [ben.capacity_at(t) for t in (99, 100, 399, 400)] == [1, 0, 0, 1]
    with pytest.raises(ValidationError, match="unknown resource 'bob'"):
        replan.with_outage(small_problem(), "bob", 0, 10)


def test_inserted_fixed_activity_excludes_tagged_work() -> None:
    burn = Activity("dam", 20, fixed_start=200, tags=("disturbance",))
    p = replan.with_fixed_activity(small_problem(), burn, excludes_tag="quiet")
    assert p.exclusions[-1].first == ("run",)
    assert p.exclusions[-1].second == ("dam",)
    with pytest.raises(ValidationError, match="already exists"):
        replan.with_fixed_activity(p, burn)


def test_delay_moves_the_vehicle_and_releases_its_cargo_later() -> None:
    base = small_problem()
    dock = Activity("dock", 60, fixed_start=100, tags=("vehicle:tz",))
    unpack = Activity("unpack", 60, release=160, deadline=400, tags=("vehicle:tz", "cargo:tz"))
    late = Activity("late", 100, release=200, deadline=520, optional=True, value=1, tags=("cargo:tz",))
    problem = Problem(**{**base.__dict__, "activities": (*base.activities, dock, unpack, late)})
    p = replan.with_delay(problem, 300, move="vehicle:tz", release="cargo:tz")
    assert p.activity("dock").fixed_start == 400
    assert (p.activity("unpack").release, p.activity("unpack").deadline) == (460, 700)
    assert "late" not in {a.id for a in p.activities}  # 500 + 100 > 520: it cannot happen now
    assert p.activity("other").release == 300  # untouched
    with pytest.raises(ValidationError, match="no activity is tagged cargo:none"):
        replan.with_delay(small_problem(), 10, release="cargo:none")


def test_compare_counts_moves() -> None:
    new = Solution(
        Status.FEASIBLE, "hand",
        assignments=(Assignment("setup", 0, 30, ("ben", "rack-1")), Assignment("other", 300, 360, ("ben",)), Assignment("x", 1, 2)),
    )
    diff = replan.compare(small_solution(), new)
    assert [m.activity for m in diff.moved] == ["setup"]
    assert [m.activity for m in diff.added] == ["x"]
    assert [m.activity for m in diff.removed] == ["run"]
    assert diff.summary() == {"moved": 1, "added": 1, "removed": 1, "unchanged": 1}


def test_csv_lists_scheduled_then_unplaced_with_times() -> None:
    sol = Solution(**{**small_solution().__dict__, "unplaced": (Unplaced("zzz", "no slot"),)})
    rows = list(csv.DictReader(io.StringIO(export.to_csv(small_problem(), sol))))
    assert [r["activity"] for r in rows] == ["setup", "run", "other", "zzz"]
    assert rows[1]["start_utc"] == "2026-12-01T00:35:00Z"
    assert rows[1]["end_min"] == "155"
    assert rows[3]["scheduled"] == "no"
    assert rows[3]["reason"] == "no slot"


def test_calendars_per_crew_member_and_per_project() -> None:
    cals = export.calendars(small_problem(), small_solution(), by="crew")
    assert set(cals) == {"ana", "ben"}
    events = [c for c in Calendar.from_ical(cals["ana"]).walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["Setup"]
    assert events[0].decoded("dtstart").isoformat() == "2026-12-01T00:00:00+00:00"
    projects = export.calendars(small_problem(), small_solution(), by="project")
    assert set(projects) == {"p1", "p2"}
    assert len(Calendar.from_ical(projects["p1"]).walk("VEVENT")) == 2
    with pytest.raises(ValidationError, match="nothing in this plan is grouped by 'country'"):
        export.calendars(small_problem(), small_solution(), by="country")


def test_window_contains() -> None:
    assert Window(0, 10).contains(2, 10)
    assert not Window(0, 10).contains(2, 11)


def test_freeze_binds_bundles_only_over_what_is_still_to_come() -> None:
    problem = Problem(**{**small_problem().__dict__, "bundles": (Bundle(("setup", "run", "other")),)})
    frozen = replan.freeze(problem, small_solution(), now=20)  # setup has started; run, other not
    assert frozen.bundles == (Bundle(("run", "other")),)
    later = replan.freeze(problem, small_solution(), now=200)  # setup and run have started
    assert later.bundles == ()
