"""Increment planning use cases: scenario, solve, check, replan, show, export.

Each returns a JSON-ready view; the command line renders it, the API will serve it. Every plan
that a solver returns goes through the independent validator before it is written, and the
file records the scenario it came from so it can be replanned later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spacehome.domain.instant import format_utc, require_utc
from spacehome.errors import ValidationError
from spacehome.increment import disruptions
from spacehome.increment.build import build_problem
from spacehome.increment.generate import generate_scenario
from spacehome.increment.scenario import (
    read_scenario,
    scenario_to_data,
    write_scenario,
)
from spacehome.increment.shares import shares
from spacehome.planning import export, replan
from spacehome.planning.files import PlanFile, read_json, read_plan, write_json, write_plan
from spacehome.planning.problem import Problem, Solution
from spacehome.planning.solver import ProgressCallback, SolveOptions, Solver
from spacehome.planning.validate import validate
from spacehome.services.orbit import choose_elements, staleness
from spacehome.services.station import default_record

JSON = dict[str, Any]

#: Default increment start: the first midnight after the embedded element set's epoch
#: (2026-09-06), so a scenario made without --start is the same on every machine and day.
DEFAULT_START = datetime(2026, 9, 7, tzinfo=UTC)

def _cpsat() -> Solver:
    from spacehome.planning.cpsat import CpSatSolver  # OR-Tools loads in 0.4 s: only when solving

    return CpSatSolver()


def _greedy() -> Solver:
    from spacehome.planning.greedy import GreedySolver

    return GreedySolver()


SOLVERS: dict[str, Callable[[], Solver]] = {"cp-sat": _cpsat, "greedy": _greedy}


def scenario_view(
    out: Path, *, days: int, seed: int, start: datetime | None = None,
    tle_file: Path | None = None, database_url: str | None = None,
) -> JSON:
    start = require_utc(start or DEFAULT_START, "--start")
    chosen = choose_elements(start, tle_file=tle_file, database_url=database_url)
    scenario = generate_scenario(default_record(), chosen.elements, start=start, days=days, seed=seed)
    problem = build_problem(scenario)
    write_scenario(out, scenario)
    return {
        "scenario": str(out),
        "start": format_utc(start),
        "days": days,
        "seed": seed,
        **_problem_counts(problem),
        "crew": [c.name for c in scenario.crew],
        "experiments": len(scenario.experiments),
        "projects": len(scenario.projects),
        "element_set": staleness(chosen.elements, start),
    }


def _problem_counts(problem: Problem) -> JSON:
    return {
        "activities": len(problem.activities),
        "optional_activities": sum(a.optional for a in problem.activities),
        "resources": len(problem.resources),
        "horizon_min": problem.horizon,
    }


def _options(time_limit_s: float, seed: int, workers: int) -> SolveOptions:
    if time_limit_s <= 0:
        raise ValidationError(f"--time-limit-s {time_limit_s} must be positive")
    if workers < 1:
        raise ValidationError(f"--workers {workers} must be at least 1")
    return SolveOptions(time_limit_s=time_limit_s, workers=workers, seed=seed)


def _solver(name: str) -> Solver:
    if name not in SOLVERS:
        raise ValidationError(f"unknown solver '{name}'; use one of {', '.join(SOLVERS)}")
    return SOLVERS[name]()


def solve_view(
    scenario_path: Path, out: Path, *, time_limit_s: float = 60.0, seed: int = 0, workers: int = 2,
    solver: str = "cp-sat", objective: str = "value", compare_greedy: bool = True,
    progress: ProgressCallback | None = None,
) -> JSON:
    options = _options(time_limit_s, seed, workers)
    engine = _solver(solver)
    scenario = read_scenario(scenario_path)
    problem = build_problem(scenario, objective=objective)
    solution = engine.solve(problem, options, progress)
    view = _solution_view(problem, solution)
    if compare_greedy and solver != "greedy":
        t0 = time.perf_counter()
        baseline = _greedy().solve(problem, options)
        view["greedy"] = {
            "objective": baseline.objective,
            "scheduled": len(baseline.assignments),
            "wall_s": round(time.perf_counter() - t0, 3),
        }
    meta = {
        "scenario": scenario_to_data(scenario),
        "solver": engine.name,
        "objective": objective,
        "time_limit_s": time_limit_s,
        "seed": seed,
        "workers": workers,
    }
    if solution.assignments or not solution.conflicts:
        write_plan(out, PlanFile(problem, solution, meta))
        view["plan"] = str(out)
    return view


def _solution_view(problem: Problem, solution: Solution) -> JSON:
    # Every plan a solver returns goes through the independent validator; an infeasible answer
    # has no plan to check.
    violations = validate(problem, solution) if solution.assignments else []
    return {
        "status": str(solution.status),
        "solver": solution.solver,
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "wall_s": round(solution.wall_s, 3),
        "scheduled": len(solution.assignments),
        **_problem_counts(problem),
        "unplaced": [{"activity": u.activity, "reason": u.reason} for u in solution.unplaced],
        "conflicts": list(solution.conflicts),
        "violations": [_violation(v) for v in violations],
        "shares": [_share(s) for s in shares(problem, solution)] if solution.assignments else [],
        "metrics": dict(solution.metrics),
    }


def _violation(v: Any) -> JSON:
    return {"kind": v.kind, "message": v.message, "activities": list(v.activities)}


def _share(s: Any) -> JSON:
    return {k: v for k, v in vars(s).items()}


def check_view(plan_path: Path) -> JSON:
    plan = read_plan(plan_path)
    violations = validate(plan.problem, plan.solution)
    return {
        "plan": str(plan_path),
        "valid": not violations,
        "checked_activities": len(plan.problem.activities),
        "scheduled": len(plan.solution.assignments),
        "violations": [_violation(v) for v in violations],
    }


def replan_view(
    plan_path: Path, disruption_path: Path, out: Path, *, time_limit_s: float = 10.0, seed: int = 0,
    workers: int = 2, progress: ProgressCallback | None = None,
) -> JSON:
    options = _options(time_limit_s, seed, workers)
    plan = read_plan(plan_path)
    events = disruptions.parse_disruptions(read_json(disruption_path, what="disruption"), source=str(disruption_path))
    problem, _aborted, now = disruptions.apply(plan.problem, plan.solution, events)
    solution = _cpsat().solve(problem, options, progress)
    view = _solution_view(problem, solution)
    diff = replan.compare(plan.solution, solution)
    view["replanned_at_min"] = now
    view["disruptions"] = [d.description for d in events]
    view["difference"] = {
        **diff.summary(),
        "moved_activities": [
            {"activity": m.activity, "from": m.old_start, "to": m.new_start,
             "resources_from": list(m.old_resources), "resources_to": list(m.new_resources)}
            for m in diff.moved
        ],
        "removed_activities": [m.activity for m in diff.removed],
        "added_activities": [m.activity for m in diff.added],
    }
    if solution.assignments:
        meta = {**plan.meta, "replanned_from": str(plan_path), "disruptions": [vars(d) for d in events]}
        write_plan(out, PlanFile(problem, solution, meta))
        view["plan"] = str(out)
    return view


def show_view(plan_path: Path) -> JSON:
    """Lanes per crew member and per rack (what holds it, when) and the shares per country."""
    plan = read_plan(plan_path)
    problem, solution = plan.problem, plan.solution
    acts = {a.id: a for a in problem.activities}
    lanes: list[JSON] = []
    for r in problem.resources:
        if not {"crew", "rack", "adapter"} & set(r.tags):
            continue
        items = sorted(
            (s for s in solution.assignments if r.id in s.resources), key=lambda s: (s.start, s.activity)
        )
        lanes.append({
            "resource": r.id,
            "label": r.label or r.id,
            "kind": next(t for t in ("crew", "rack", "adapter") if t in r.tags),
            "busy_min": sum(s.end - s.start for s in items),
            "items": [
                {"activity": s.activity, "label": acts[s.activity].label if s.activity in acts else s.activity,
                 "start": s.start, "end": s.end}
                for s in items
            ],
        })
    return {
        "plan": str(plan_path),
        "name": problem.name,
        "epoch": problem.epoch,
        "horizon_min": problem.horizon,
        "status": str(solution.status),
        "objective": solution.objective,
        "gap": solution.gap,
        "lanes": lanes,
        "shares": [_share(s) for s in shares(problem, solution)],
        "unplaced": len(solution.unplaced),
    }


def export_view(plan_path: Path, fmt: str, out: Path, *, by: str = "crew") -> JSON:
    plan = read_plan(plan_path)
    if fmt == "csv":
        out.write_text(export.to_csv(plan.problem, plan.solution), encoding="utf-8")
        return {"written": [str(out)]}
    if fmt == "json":
        write_json(out, {"assignments": [vars(a) for a in plan.solution.assignments]})
        return {"written": [str(out)]}
    if fmt == "ics":
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in export.calendars(plan.problem, plan.solution, by=by).items():
            path = out / f"{name.replace(':', '-')}.ics"
            path.write_bytes(data)
            written.append(str(path))
        return {"written": written}
    raise ValidationError(f"unknown export format '{fmt}'; use csv, json or ics")
