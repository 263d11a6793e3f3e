"""Problem and plan files (JSON), read with teaching errors, and the problem's semantic checks.

A plan file holds the problem it solves, so ``spacehome plan check plan.json`` needs nothing
else; see ``docs/plan-format.md``. Parsing is Pydantic's (``TypeAdapter`` over the frozen
dataclasses of :mod:`spacehome.planning.problem`); the message of the first error names the
field path, for example ``activities[12].duration: Input should be a valid integer``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

from spacehome.errors import ValidationError
from spacehome.planning.problem import PLAN_FORMAT, PROBLEM_FORMAT, Problem, Solution


@dataclass(frozen=True)
class PlanFile:
    """A plan as stored: the problem, the solution, and free-form metadata (scenario, solver)."""

    problem: Problem
    solution: Solution
    meta: Mapping[str, Any] = field(default_factory=dict)


@cache
def _problem_adapter() -> TypeAdapter[Problem]:
    return TypeAdapter(Problem)


@cache
def _solution_adapter() -> TypeAdapter[Solution]:
    return TypeAdapter(Solution)


def _where(error: PydanticError) -> str:
    first = error.errors()[0]
    path = ""
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"{path or 'top level'}: {first['msg']}"


def problem_from_data(data: Any, *, source: str = "problem") -> Problem:
    """A :class:`Problem` from JSON-like data, checked (:func:`check_problem`)."""
    if isinstance(data, Mapping):
        data = {k: v for k, v in data.items() if k != "format"}
    try:
        problem = _problem_adapter().validate_python(data)
    except PydanticError as exc:
        raise ValidationError(f"{source}: {_where(exc)}; see docs/plan-format.md") from None
    check_problem(problem, source=source)
    return problem


def problem_to_data(problem: Problem) -> dict[str, Any]:
    data: dict[str, Any] = {"format": PROBLEM_FORMAT}
    data.update(_problem_adapter().dump_python(problem, mode="json"))
    return data


def solution_to_data(solution: Solution) -> dict[str, Any]:
    return _solution_adapter().dump_python(solution, mode="json")  # type: ignore[no-any-return]


def solution_from_data(data: Any, *, source: str = "plan") -> Solution:
    try:
        return _solution_adapter().validate_python(data)
    except PydanticError as exc:
        raise ValidationError(f"{source}: solution.{_where(exc)}; see docs/plan-format.md") from None


def plan_to_data(plan: PlanFile) -> dict[str, Any]:
    return {
        "format": PLAN_FORMAT,
        "meta": dict(plan.meta),
        "problem": problem_to_data(plan.problem),
        "solution": solution_to_data(plan.solution),
    }


def plan_from_data(data: Any, *, source: str = "plan") -> PlanFile:
    if not isinstance(data, Mapping) or data.get("format") != PLAN_FORMAT:
        raise ValidationError(
            f"{source}: not a spacehome plan (expected \"format\": \"{PLAN_FORMAT}\"); "
            "make one with 'spacehome plan solve'"
        )
    for key in ("problem", "solution"):
        if key not in data:
            raise ValidationError(f"{source}: the plan has no '{key}' section; see docs/plan-format.md")
    meta = data.get("meta", {})
    if not isinstance(meta, Mapping):
        raise ValidationError(f"{source}: 'meta' must be an object")
    return PlanFile(
        problem=problem_from_data(data["problem"], source=f"{source}: problem"),
        solution=solution_from_data(data["solution"], source=source),
        meta=dict(meta),
    )


def read_json(path: Path, *, what: str, max_bytes: int = 200_000_000) -> Any:
    """JSON from ``path`` with one-line errors (missing, too large, not JSON)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such {what} file; check the path") from None
    if path.is_dir():
        raise ValidationError(f"{path} is a directory; give the {what} file")
    if size > max_bytes:
        raise ValidationError(f"{path}: {size} bytes is larger than the {max_bytes}-byte limit for a {what} file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValidationError(f"{path}: not UTF-8 text; a {what} file is JSON") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


def write_json(path: Path, data: Any) -> None:
    """Write atomically: a partial file never replaces a good one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_plan(path: Path) -> PlanFile:
    return plan_from_data(read_json(path, what="plan"), source=str(path))


def write_plan(path: Path, plan: PlanFile) -> None:
    write_json(path, plan_to_data(plan))


def check_problem(problem: Problem, *, source: str = "problem") -> None:
    """Refuse a problem no solver could make sense of, naming the first offending item.

    Checked: unique ids; non-negative durations, amounts and lags; windows, release and deadline
    inside the horizon and wide enough for the duration; references to known activities,
    resources, storages and groups; shares summing to 100; positive periods and capacities.
    A problem that passes may still be infeasible (that is the solver's answer to give).
    """

    def fail(message: str) -> None:
        raise ValidationError(f"{source}: {message}")

    if problem.horizon <= 0:
        fail(f"horizon is {problem.horizon}; it must be a positive number of {problem.time_unit}")
    for kind, ids in (
        ("activity", [a.id for a in problem.activities]),
        ("resource", [r.id for r in problem.resources]),
        ("storage", [s.id for s in problem.storages]),
        ("group", [g.id for g in problem.groups]),
    ):
        dup = [i for i, n in Counter(ids).items() if n > 1]
        if dup:
            fail(f"{kind} id '{dup[0]}' is used {Counter(ids)[dup[0]]} times; ids must be unique")
    activities = {a.id for a in problem.activities}
    resources = {r.id: r for r in problem.resources}
    storages = {s.id for s in problem.storages}
    groups = {g.id for g in problem.groups}
    unit = problem.time_unit

    for r in problem.resources:
        if r.capacity < 0 or any(s.capacity < 0 for s in r.profile):
            fail(f"resource '{r.id}' has a negative capacity")
        times = [s.time for s in r.profile]
        if times != sorted(times):
            fail(f"resource '{r.id}': capacity steps must be sorted by time")
    for s in problem.storages:
        if s.capacity < 0 or not 0 <= s.initial <= s.capacity:
            fail(f"storage '{s.id}': need 0 <= initial ({s.initial}) <= capacity ({s.capacity})")
    for g in problem.groups:
        if g.entitlement <= 0:
            fail(f"group '{g.id}': entitlement must be positive, not {g.entitlement}")

    for a in problem.activities:
        where = f"activity '{a.id}'"
        if a.duration < 0:
            fail(f"{where}: duration {a.duration} is negative; give a length in {unit} >= 0")
        if a.value < 0:
            fail(f"{where}: value {a.value} is negative")
        if a.release < 0:
            fail(f"{where}: release {a.release} is before time 0")
        latest_end = problem.horizon if a.deadline is None else min(a.deadline, problem.horizon)
        if a.release + a.duration > latest_end:
            fail(
                f"{where}: cannot fit: release {a.release} + duration {a.duration} > "
                f"{'deadline' if a.deadline is not None and a.deadline < problem.horizon else 'horizon'} {latest_end} {unit}"
            )
        if a.windows and not any(
            max(w.start, a.release) + a.duration <= min(w.end, latest_end) for w in a.windows
        ):
            fail(f"{where}: none of its {len(a.windows)} windows can hold {a.duration} {unit} between release and deadline")
        if a.fixed_start is not None and not (
            a.release <= a.fixed_start and a.fixed_start + a.duration <= latest_end
        ):
            fail(f"{where}: fixed start {a.fixed_start} is outside release/deadline")
        for d in a.demands:
            if not d.options:
                fail(f"{where}: a demand lists no resource")
            if d.amount < 0:
                fail(f"{where}: demand amount {d.amount} is negative")
            for option in d.options:
                if option not in resources:
                    fail(f"{where}: unknown resource '{option}'; known: {_some(resources)}")
            if all(d.amount > resources[o].max_capacity() for o in d.options):
                fail(f"{where}: needs {d.amount} of {'/'.join(d.options)}, more than its capacity ever is")
        for e in a.effects:
            if e.storage not in storages:
                fail(f"{where}: unknown storage '{e.storage}'; known: {_some(storages)}")
            if e.at not in ("start", "end"):
                fail(f"{where}: effect 'at' must be 'start' or 'end', not '{e.at}'")
        if a.shares:
            for group_id, pct in a.shares:
                if group_id not in groups:
                    fail(f"{where}: unknown group '{group_id}'; known: {_some(groups)}")
                if pct < 0:
                    fail(f"{where}: negative share for '{group_id}'")
            if sum(p for _, p in a.shares) != 100:
                fail(f"{where}: shares sum to {sum(p for _, p in a.shares)}, not 100")

    for p in problem.precedences:
        for ref in (p.before, p.after):
            if ref not in activities:
                fail(f"precedence {p.before} -> {p.after}: unknown activity '{ref}'")
        if p.max_lag is not None and p.max_lag < p.min_lag:
            fail(f"precedence {p.before} -> {p.after}: max_lag {p.max_lag} < min_lag {p.min_lag}")
    for b in problem.bundles:
        for ref in b.activities:
            if ref not in activities:
                fail(f"bundle {list(b.activities)}: unknown activity '{ref}'")
    for x in problem.exclusions:
        for ref in (*x.first, *x.second):
            if ref not in activities:
                fail(f"exclusion {x.label or ''}: unknown activity '{ref}'")
        both = set(x.first) & set(x.second)
        if both:
            fail(f"exclusion {x.label or ''}: activity '{sorted(both)[0]}' is on both sides; an activity cannot exclude itself")
    for c in problem.work_caps:
        if c.resource not in resources:
            fail(f"work cap on unknown resource '{c.resource}'")
        if c.period <= 0 or c.limit < 0:
            fail(f"work cap on '{c.resource}': period must be positive and limit non-negative")


def _some(names: Mapping[str, Any] | set[str]) -> str:
    listed = sorted(names)
    text = ", ".join(listed[:8])
    return text + (f" … ({len(listed)} in all)" if len(listed) > 8 else "") if listed else "none"
