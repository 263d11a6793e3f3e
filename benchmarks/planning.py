"""Increment planner: a 30-day scenario solved by CP-SAT against the greedy baseline, then replanned.

Targets (issue 4): at least 1,000 activities; a first feasible plan in at most 10 s; a gap to the
best bound of at most 2 % at 60 s; the value against the greedy baseline on the same scenario;
replanning after each disruption kind in at most 10 s, with the count of moved activities.
Every plan goes through the independent validator.

    .venv/bin/python benchmarks/planning.py [--days 30] [--seed 1] [--time-limit-s 60]
                                            [--replan-limit-s 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import _common as common

from spacehome.increment import disruptions
from spacehome.increment.build import build_problem
from spacehome.increment.generate import generate_scenario
from spacehome.planning import cpsat, replan
from spacehome.planning.cpsat import CpSatSolver
from spacehome.planning.greedy import GreedySolver
from spacehome.planning.solver import Progress, SolveOptions
from spacehome.planning.validate import validate
from spacehome.services.station import default_record

FIRST_TARGET_S = 10.0
GAP_TARGET = 0.02
REPLAN_TARGET_S = 10.0
MIN_ACTIVITIES = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default="2026-09-07T00:00Z")
    parser.add_argument("--time-limit-s", type=float, default=60.0)
    parser.add_argument("--replan-limit-s", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    common.header("Increment planner: CP-SAT vs greedy, and replanning")
    start = common.parse_utc(args.start)
    t0 = time.perf_counter()
    scenario = generate_scenario(default_record(), common.css(), start=start, days=args.days, seed=args.seed)
    problem = build_problem(scenario)
    built_s = time.perf_counter() - t0
    n = len(problem.activities)
    print(
        f"scenario  {args.days} days from {start:%Y-%m-%dT%H:%MZ}, seed {args.seed}: {n} activities "
        f"({sum(a.optional for a in problem.activities)} optional), {len(problem.resources)} resources, "
        f"{len(scenario.experiments)} experiments; generated and built in {built_s:.2f} s"
    )

    first: list[float] = []

    def progress(p: Progress) -> None:
        if p.objective is not None and not first:
            first.append(p.wall_s)

    options = SolveOptions(time_limit_s=args.time_limit_s, workers=args.workers, seed=0)
    solution = CpSatSolver().solve(problem, options, progress)
    violations = validate(problem, solution)

    # The same solve without the greedy warm start: how fast CP-SAT's own search finds a plan.
    cold_first: list[float] = []

    def cold_progress(p: Progress) -> None:
        if p.objective is not None and not cold_first:
            cold_first.append(p.wall_s)

    saved = cpsat.WARM_START_ACTIVITIES
    cpsat.WARM_START_ACTIVITIES = 10**9
    try:
        cold = CpSatSolver().solve(problem, options, cold_progress)
    finally:
        cpsat.WARM_START_ACTIVITIES = saved
    cold_violations = validate(problem, cold)
    t1 = time.perf_counter()
    greedy = GreedySolver().solve(problem, options)
    greedy_s = time.perf_counter() - t1
    greedy_violations = validate(problem, greedy)
    first_s = first[0] if first else solution.metrics.get("first_solution_s")

    rows: list[list[Any]] = [
        ["CP-SAT", str(solution.status), solution.objective, solution.bound,
         "-" if solution.gap is None else f"{solution.gap:.2%}", len(solution.assignments),
         f"{solution.wall_s:.1f}", len(violations)],
        ["CP-SAT without greedy warm start", str(cold.status), cold.objective, cold.bound,
         "-" if cold.gap is None else f"{cold.gap:.2%}", len(cold.assignments),
         f"{cold.wall_s:.1f}", len(cold_violations)],
        ["greedy baseline", str(greedy.status), greedy.objective, "-", "-", len(greedy.assignments),
         f"{greedy_s:.2f}", len(greedy_violations)],
    ]
    print()
    print(common.table(["solver", "status", "objective", "bound", "gap", "scheduled", "wall s", "violations"], rows))
    ratio = (solution.objective or 0) / greedy.objective if greedy.objective else float("nan")
    print(
        f"\nfirst feasible plan after {first_s if first_s is None else round(first_s, 2)} s "
        f"(target <= {FIRST_TARGET_S:g} s; the greedy warm start); CP-SAT's own search alone: "
        f"{round(cold_first[0], 2) if cold_first else None} s"
    )
    print(f"value against greedy: {ratio:.3f}x ({solution.objective} vs {greedy.objective})")

    # --- Replanning: one disruption of each kind, at a third of the increment.
    horizon = problem.horizon
    at = horizon // 3
    crew = scenario.crew[0].id
    busy: dict[str, int] = {}
    for a in solution.assignments:
        for r in a.resources:
            if r.startswith("rack:"):
                busy[r] = busy.get(r, 0) + a.end - a.start
    rack = max(busy, key=lambda r: busy[r]).removeprefix("rack:")
    cargo = [v for v in scenario.vehicles if v.kind == "cargo" and v.dock_min is not None and v.dock_min > at]
    kinds: list[dict[str, Any]] = [
        {"kind": "debris-avoidance", "start_min": at + 30, "duration_min": 30, "at_min": at},
        {"kind": "crew-unavailable", "crew": crew, "start_min": at, "duration_min": 2 * 1440},
        {"kind": "rack-failure", "rack": rack, "start_min": at},
    ]
    if cargo:
        kinds.append({"kind": "cargo-delay", "vehicle": cargo[0].id, "delay_min": 2 * 1440, "at_min": at})
    else:
        cargo_any = [v for v in scenario.vehicles if v.kind == "cargo" and v.dock_min is not None]
        if cargo_any:
            kinds.append({"kind": "cargo-delay", "vehicle": cargo_any[0].id, "delay_min": 2 * 1440,
                          "at_min": max(0, (cargo_any[0].dock_min or 0) - 1440)})
    replan_rows: list[list[Any]] = []
    replan_ok = True
    for item in kinds:
        events = disruptions.parse_disruptions(item)
        t2 = time.perf_counter()
        frozen, _aborted, now = disruptions.apply(problem, solution, events)
        new = CpSatSolver().solve(frozen, SolveOptions(time_limit_s=args.replan_limit_s, workers=args.workers, seed=0))
        elapsed = time.perf_counter() - t2
        diff = replan.compare(solution, new)
        bad = len(validate(frozen, new))
        ok = elapsed <= REPLAN_TARGET_S + 0.5 and new.assignments and bad == 0
        replan_ok &= bool(ok)
        replan_rows.append([
            item["kind"], now, str(new.status), f"{elapsed:.2f}", diff.summary()["moved"],
            diff.summary()["removed"], diff.summary()["added"], "-" if new.gap is None else f"{new.gap:.2%}", bad,
        ])
    print()
    print(common.table(
        ["disruption", "at min", "status", "wall s", "moved", "removed", "added", "gap", "violations"], replan_rows
    ))

    checks = {
        f">= {MIN_ACTIVITIES} activities": n >= MIN_ACTIVITIES,
        f"first feasible <= {FIRST_TARGET_S:g} s": first_s is not None and first_s <= FIRST_TARGET_S,
        f"gap <= {GAP_TARGET:.0%} at {args.time_limit_s:g} s": solution.gap is not None and solution.gap <= GAP_TARGET,
        "no validator violations": not violations and not cold_violations,
        f"first feasible without warm start <= {FIRST_TARGET_S:g} s": bool(cold_first) and cold_first[0] <= FIRST_TARGET_S,
        f"every replanning <= {REPLAN_TARGET_S:g} s, valid": replan_ok and len(replan_rows) == 4,
    }
    print()
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    verdict = "PASS" if all(checks.values()) else "FAIL"
    print(f"\n{verdict}: increment planner benchmark ({stamp})")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
