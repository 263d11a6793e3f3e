"""A chosen avoidance option goes into the increment plan as a debris-avoidance disruption."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from plan_samples import tiny_plan
from spacehome.domain.instant import parse_instant
from spacehome.errors import ValidationError
from spacehome.orbit.avoidance import AvoidanceOption
from spacehome.planning.files import PlanFile, read_plan
from spacehome.planning.validate import validate
from spacehome.services import plan as plan_service
from spacehome.services.avoidance import insert_avoidance

EPOCH = datetime(2026, 9, 7, tzinfo=UTC)


def option(burn: datetime, dv: float | None = 0.05) -> AvoidanceOption:
    return AvoidanceOption(burn_time=burn, lead_s=5540.0, lead_orbits=1.0, delta_v_m_s=dv,
                           after=None, monotonic=True, model="numerical")


def quiet_overlaps(plan: PlanFile, start: int, end: int) -> list[str]:
    quiet = {a.id for a in plan.problem.activities if "quiet" in a.tags}
    return [s.activity for s in plan.solution.assignments
            if s.activity in quiet and s.start < end and s.end > start]


def tiny_quiet_plan() -> PlanFile:
    """The tiny plan with experiment B (120-150 min on the rack) made a microgravity-quiet run."""
    base = tiny_plan()
    acts = tuple(replace(a, tags=(*a.tags, "quiet")) if a.id == "exp-b-run-1" else a
                 for a in base.problem.activities)
    return replace(base, problem=replace(base.problem, activities=acts))


def test_quiet_run_moves_out_of_the_burn_window() -> None:
    plan = tiny_quiet_plan()
    assert validate(plan.problem, plan.solution) == []
    burn = EPOCH + timedelta(minutes=135, seconds=20)
    result = insert_avoidance(plan, option(burn), margin_min=15, decided_at=EPOCH + timedelta(minutes=30),
                              time_limit_s=5.0, workers=1)
    window = result.view["window"]
    assert (window["start_min"], window["end_min"]) == (120, 151)  # floor/ceil of 135.33 ∓ 15
    new = result.plan
    assert validate(new.problem, new.solution) == []
    assert result.view["violations"] == []
    assert quiet_overlaps(new, 120, 151) == []
    after = new.solution.by_activity()
    assert "exp-b-run-1" in after  # moved, not dropped
    assert after["exp-b-run-1"].start != 120
    dam = [s for s in new.solution.assignments if s.activity.startswith("dam-")]
    assert [(s.start, s.end) for s in dam] == [(120, 151)]
    assert "exp-b-run-1" in result.view["difference"]["moved_activities"]
    assert new.meta["avoidance"]["delta_v_m_s"] == 0.05


def test_option_view_mapping_is_accepted() -> None:
    plan = tiny_quiet_plan()
    result = insert_avoidance(plan, {"burn_time": "2026-09-07T02:15:00Z", "delta_v_m_s": -0.03},
                              time_limit_s=5.0, workers=1)
    assert result.view["window"]["start_min"] == 120
    assert quiet_overlaps(result.plan, 120, 150) == []


@pytest.fixture(scope="module")
def three_day_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanFile:
    work = tmp_path_factory.mktemp("avoid")
    plan_service.scenario_view(work / "scenario.json", days=3, seed=7)
    plan_service.solve_view(work / "scenario.json", work / "plan.json", solver="greedy",
                            time_limit_s=5.0, workers=1, compare_greedy=False)
    return read_plan(work / "plan.json")


def test_three_day_plan_replanned_around_a_burn(three_day_plan: PlanFile) -> None:
    plan = three_day_plan
    assert validate(plan.problem, plan.solution) == []
    epoch = parse_instant(plan.problem.epoch or "")
    quiet = {a.id for a in plan.problem.activities if "quiet" in a.tags}
    runs = sorted((s for s in plan.solution.assignments if s.activity in quiet and s.start > 600),
                  key=lambda s: s.start)
    assert runs, "the 3-day scenario (seed 7) has microgravity-quiet runs"
    target = runs[0]
    burn = epoch + timedelta(minutes=(target.start + target.end) / 2)  # in the middle of a quiet run
    result = insert_avoidance(plan, option(burn), margin_min=20,
                              decided_at=epoch + timedelta(minutes=target.start - 120),
                              time_limit_s=10.0, workers=1)
    w = result.view["window"]
    new = result.plan
    assert result.view["status"] in ("optimal", "feasible")
    assert validate(new.problem, new.solution) == []
    assert quiet_overlaps(new, w["start_min"], w["end_min"]) == []
    assert any(s.activity.startswith("dam-") for s in new.solution.assignments)
    assert target.activity not in {s.activity for s in new.solution.assignments} or (
        new.solution.by_activity()[target.activity].start != target.start
    )


@pytest.mark.parametrize(
    ("opt", "kwargs", "words"),
    [
        (option(EPOCH + timedelta(hours=2), dv=None), {}, "no manoeuvre"),
        (option(EPOCH - timedelta(hours=2)), {}, "outside the plan"),
        (option(EPOCH + timedelta(days=3)), {}, "outside the plan"),
        (option(EPOCH + timedelta(hours=2)), {"margin_min": 0}, "margin"),
        (option(EPOCH + timedelta(hours=2)), {"decided_at": EPOCH + timedelta(hours=3)}, "decision time"),
    ],
)
def test_bad_insertion_is_a_validation_error(opt: AvoidanceOption, kwargs: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        insert_avoidance(tiny_quiet_plan(), opt, **kwargs)


def test_plan_without_epoch_is_refused() -> None:
    plan = tiny_quiet_plan()
    plan = replace(plan, problem=replace(plan.problem, epoch=None))
    with pytest.raises(ValidationError, match="no epoch"):
        insert_avoidance(plan, option(EPOCH + timedelta(hours=2)))
