"""A synthetic one-day plan shared by the plan store, plan API, project API, CLI and matrix tests.

Two experiments of two projects (``project:proj-a``, ``project:proj-b``) on one rack, and a fixed
meal; epoch 2026-09-07T00:00:00Z. ``overlap=True`` puts experiment B on the rack while A still
holds it, which the validator must refuse.
"""

from __future__ import annotations

from spacehome.planning.files import PlanFile
from spacehome.planning.problem import (
    Activity,
    Assignment,
    Demand,
    Group,
    Problem,
    Resource,
    Solution,
    Status,
)


def tiny_plan(*, overlap: bool = False, name: str = "tiny increment (synthetic)") -> PlanFile:
    """A synthetic one-day plan: two experiments of two projects on one rack, and a fixed meal."""
    problem = Problem(
        name=name,
        horizon=1440,
        time_unit="min",
        epoch="2026-09-07T00:00:00Z",
        resources=(Resource(id="crew:a", capacity=1), Resource(id="rack:r1", capacity=1)),
        groups=(Group("KE", 10), Group("PE", 5)),
        activities=(
            Activity(
                id="exp-a-run-1", duration=60, demands=(Demand(("crew:a",)), Demand(("rack:r1",))),
                optional=True, value=10, shares=(("KE", 100),), label="Experiment A #1",
                tags=("experiment:exp-a", "project:proj-a", "run"),
            ),
            Activity(
                id="exp-b-run-1", duration=30, demands=(Demand(("rack:r1",)),), optional=True,
                value=5, shares=(("PE", 100),), label="Experiment B #1",
                tags=("experiment:exp-b", "project:proj-b", "run"),
            ),
            Activity(id="lunch", duration=30, demands=(Demand(("crew:a",)),), fixed_start=720, tags=("crew-day",)),
        ),
    )
    b_start = 100 if overlap else 120  # 100: on the rack while experiment A still holds it
    solution = Solution(
        status=Status.OPTIMAL,
        solver="hand",
        assignments=(
            Assignment("exp-a-run-1", 60, 120, ("crew:a", "rack:r1")),
            Assignment("exp-b-run-1", b_start, b_start + 30, ("rack:r1",)),
            Assignment("lunch", 720, 750, ("crew:a",)),
        ),
        objective=15.0,
        bound=15.0,
        gap=0.0,
    )
    return PlanFile(problem, solution, {"scenario": {"synthetic": True, "days": 1}})
