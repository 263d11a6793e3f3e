"""Solve and replan jobs started from the dashboard: one at a time, in a background thread,
with progress, and the validated plan stored when done.

A job is either

``solve``
    generate an increment scenario (``days``, ``seed``, ``start``), build its problem and solve it
    (CP-SAT or greedy, ``time_limit_s``), exactly as ``spacehome plan scenario`` + ``plan solve``;
``replan``
    take a stored plan (the current one unless ``plan_id`` is given), apply one disruption of the
    kinds :mod:`spacehome.increment.disruptions` supports, and solve again with CP-SAT, as
    ``spacehome plan replan``.

Either way the plan goes through :meth:`~spacehome.services.plans.PlanService.store_plan`, which
runs the independent validator before anything is written; it can then be published (the request
may ask for that with ``publish``). Jobs live in memory (the last :data:`KEPT_JOBS`); a server
restart forgets them, never the plans they stored. Jobs are deterministic for equal inputs (fixed
seed, one solver configuration) and bounded (``time_limit_s`` ≤ :data:`MAX_TIME_LIMIT_S`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from spacehome.domain.instant import format_utc, require_utc
from spacehome.errors import ConflictError, NotFoundError, SpacehomeError, ValidationError
from spacehome.increment import disruptions
from spacehome.increment.build import build_problem, crew_resource
from spacehome.increment.generate import generate_scenario
from spacehome.increment.scenario import scenario_to_data
from spacehome.planning.files import PlanFile, plan_from_data, plan_to_data
from spacehome.planning.problem import Problem, Solution, relative_gap
from spacehome.planning.solver import Progress, SolveOptions
from spacehome.services.orbit import choose_elements
from spacehome.services.plan import DEFAULT_START, SOLVERS
from spacehome.services.plans import PlanService, instant
from spacehome.services.station import default_record

JSON = dict[str, Any]

#: The longest solve a job may ask for (seconds).
MAX_TIME_LIMIT_S: Final = 120
#: Increment lengths a solve job may ask for (days), as the scenario generator allows.
MIN_DAYS: Final = 3
MAX_DAYS: Final = 90
#: How many finished jobs are remembered.
KEPT_JOBS: Final = 20
#: CP-SAT workers per job (the machine has two cores and serves the API meanwhile).
WORKERS: Final = 2
KINDS: Final = ("solve", "replan")


@dataclass
class Job:
    id: str
    kind: str
    params: JSON
    created_by: str
    created_at: datetime
    t0: float
    status: str = "running"  # running, succeeded, failed
    phase: str = "queued"
    elapsed_s: float | None = None  # set when finished
    objective: float | None = None
    bound: float | None = None
    solutions: int = 0
    result: JSON | None = None
    error: str | None = None
    log: list[str] = field(default_factory=list)


def _time_limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIME_LIMIT_S:
        raise ValidationError(
            f"time_limit_s {value!r} is out of range: give whole seconds from 1 to {MAX_TIME_LIMIT_S}",
            field="time_limit_s",
        )
    return value


def check_request(data: Mapping[str, Any], plans: PlanService) -> JSON:
    """The job's parameters, checked (a :class:`ValidationError` names the field at fault)."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValidationError(f"kind {kind!r} is unknown: use solve or replan", field="kind")
    limit = _time_limit(data.get("time_limit_s", 10))
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**31 - 1:
        raise ValidationError(f"seed {seed!r} must be a whole number from 0 to 2147483647", field="seed")
    publish = bool(data.get("publish", False))
    if kind == "solve":
        days = data.get("days", MIN_DAYS)
        if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
            raise ValidationError(f"days {days!r} is out of range: give {MIN_DAYS} to {MAX_DAYS} days", field="days")
        solver = data.get("solver", "cp-sat")
        if solver not in SOLVERS:
            raise ValidationError(f"solver {solver!r} is unknown: use {' or '.join(SOLVERS)}", field="solver")
        raw_start = data.get("start") or DEFAULT_START
        try:
            start = instant(raw_start, "start") if isinstance(raw_start, str) else require_utc(raw_start, "start")
        except ValidationError as exc:
            raise ValidationError(str(exc), field="start") from None
        if start.second or start.microsecond:
            raise ValidationError("start must be on a whole minute (seconds 0): round it", field="start")
        return {"kind": kind, "days": days, "seed": seed, "start": start, "solver": solver,
                "time_limit_s": limit, "publish": publish}
    plan_id = data.get("plan_id")
    if plan_id is None:
        current = plans.current_plan()
        if current is None:
            raise ValidationError("there is no current plan to replan: give plan_id or publish a plan", field="plan_id")
        plan_id = current["id"]
    else:
        try:
            plans.read_plan(str(plan_id))
        except NotFoundError:
            raise ValidationError(f"plan_id {plan_id!r}: no such stored plan; pick one from the list", field="plan_id") from None
    raw = data.get("disruption")
    if not isinstance(raw, Mapping):
        raise ValidationError("a replan needs a disruption: give its kind and times", field="disruption.kind")
    cleaned = {k: v for k, v in raw.items() if v is not None and v != ""}
    try:
        (event,) = disruptions.parse_disruptions(cleaned, source="disruption")
    except ValidationError as exc:
        message = str(exc)
        keys = ("kind", "vehicle", "crew", "rack", "delay_min", "duration_min", "end_min", "at_min", "start_min")
        key = next((k for k in keys if f"'{k}'" in message), "start_min" if "before it starts" in message else "kind")
        raise ValidationError(message, field=f"disruption.{key}") from None
    return {"kind": kind, "plan_id": str(plan_id), "disruption": cleaned, "event": event, "seed": seed,
            "time_limit_s": limit, "publish": publish}


def _check_subject(problem: Problem, event: disruptions.Disruption) -> None:
    ids = {r.id for r in problem.resources}
    if event.kind == "crew-unavailable" and crew_resource(event.subject) not in ids:
        known = sorted(r.split(":", 1)[1] for r in ids if r.startswith("crew:"))
        raise ValidationError(
            f"crew {event.subject!r} is not in this plan: use one of {', '.join(known)}", field="disruption.crew"
        )
    if event.kind == "rack-failure" and f"rack:{event.subject}" not in ids:
        known = sorted(r.split(":", 1)[1] for r in ids if r.startswith("rack:"))
        raise ValidationError(
            f"rack {event.subject!r} is not in this plan: use one of {', '.join(known)}", field="disruption.rack"
        )
    if event.kind == "cargo-delay" and not any(f"vehicle:{event.subject}" in a.tags for a in problem.activities):
        raise ValidationError(
            f"vehicle {event.subject!r} has no activity in this plan: name a cargo ship of the increment",
            field="disruption.vehicle",
        )


class PlanJobs:
    """Runs one plan job at a time in a background thread, and remembers the last few."""

    def __init__(self, plans: PlanService, database_url: str | None,
                 spawn: Callable[[Callable[[], None]], None] | None = None) -> None:
        self.plans = plans
        self.database_url = database_url
        self.lock = threading.Lock()
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.spawn = spawn or (lambda fn: threading.Thread(target=fn, name="plan-job", daemon=True).start())

    def start(self, data: Mapping[str, Any], *, by: str, now: datetime) -> JSON:
        """Check the request, then start the job (409 while another one runs)."""
        params = check_request(data, self.plans)
        if params["kind"] == "replan":  # refuse a disruption the plan cannot take before starting
            plan = plan_from_data(self.plans.plan_document(params["plan_id"]))
            _check_subject(plan.problem, params["event"])
            if params["event"].at_min > plan.problem.horizon:
                raise ValidationError(
                    f"the disruption comes at minute {params['event'].at_min}, after the plan ends "
                    f"(minute {plan.problem.horizon})", field="disruption.at_min")
        with self.lock:
            running = next((j for j in self.jobs.values() if j.status == "running"), None)
            if running is not None:
                raise ConflictError(
                    f"job {running.id} ({running.kind}) is still running: wait for it to finish, then start another"
                )
            job = Job(id=uuid.uuid4().hex[:16], kind=params["kind"], params=params, created_by=by,
                      created_at=require_utc(now, "now"), t0=time.monotonic())
            self.jobs[job.id] = job
            while len(self.jobs) > KEPT_JOBS:
                oldest = next(iter(self.jobs))
                if self.jobs[oldest].status == "running":
                    break
                self.jobs.popitem(last=False)
        self.spawn(lambda: self._run(job))
        return self.view(job)

    def get(self, job_id: str) -> JSON:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                raise NotFoundError(f"no plan job {job_id!r}: jobs are kept in memory until the server restarts")
            return self.view(job)

    def list_jobs(self) -> JSON:
        with self.lock:
            return {"items": [self.view(j) for j in reversed(self.jobs.values())]}

    # --- running ------------------------------------------------------------------------------

    def _set(self, job: Job, **changes: Any) -> None:
        with self.lock:
            for key, value in changes.items():
                setattr(job, key, value)

    def _on_progress(self, job: Job) -> Callable[[Progress], None]:
        def report(p: Progress) -> None:
            self._set(job, objective=p.objective, bound=p.bound, solutions=p.solutions)

        return report

    def _run(self, job: Job) -> None:
        try:
            if job.kind == "solve":
                problem, solution, meta, name = self._solve(job)
            else:
                problem, solution, meta, name = self._replan(job)
            if not solution.assignments:
                raise ValidationError(
                    f"the solver found no plan ({solution.status}) within {job.params['time_limit_s']} s: "
                    "give a longer time limit" + (f"; {solution.conflicts[0]}" if solution.conflicts else "")
                )
            self._set(job, phase="validating and storing", objective=solution.objective, bound=solution.bound)
            elapsed = time.monotonic() - job.t0
            when = job.created_at + timedelta(seconds=round(elapsed, 3))
            stored = self.plans.store_plan(plan_to_data(PlanFile(problem, solution, meta)), name=name,
                                           created_by=job.created_by, now=when, source=f"job {job.id}")
            if job.params["publish"]:
                self._set(job, phase="publishing")
                stored = self.plans.publish(stored["id"], by=job.created_by, now=when)
            result = {
                "plan": stored,
                "status": str(solution.status),
                "solver": solution.solver,
                "objective": solution.objective,
                "bound": solution.bound,
                "gap": solution.gap,
                "scheduled": len(solution.assignments),
                "unplaced": len(solution.unplaced),
                "solve_wall_s": round(solution.wall_s, 3),
            }
            self._set(job, status="succeeded", phase="done", result=result, elapsed_s=time.monotonic() - job.t0)
        except SpacehomeError as exc:
            self._set(job, status="failed", phase="failed", error=str(exc), elapsed_s=time.monotonic() - job.t0)
        except Exception as exc:  # a job never takes the server down; it says what went wrong
            self._set(job, status="failed", phase="failed", error=f"unexpected error: {type(exc).__name__}: {exc}",
                      elapsed_s=time.monotonic() - job.t0)

    def _options(self, job: Job) -> SolveOptions:
        return SolveOptions(time_limit_s=float(job.params["time_limit_s"]), workers=WORKERS, seed=job.params["seed"])

    def _solve(self, job: Job) -> tuple[Problem, Solution, JSON, str]:
        p = job.params
        self._set(job, phase="generating the scenario")
        chosen = choose_elements(p["start"], database_url=self.database_url)
        scenario = generate_scenario(default_record(), chosen.elements, start=p["start"], days=p["days"], seed=p["seed"])
        self._set(job, phase="building the problem")
        problem = build_problem(scenario)
        self._set(job, phase="solving")
        engine = SOLVERS[p["solver"]]()
        solution = engine.solve(problem, self._options(job), self._on_progress(job))
        meta = {"scenario": scenario_to_data(scenario), "solver": engine.name, "objective": "value",
                "time_limit_s": p["time_limit_s"], "seed": p["seed"], "workers": WORKERS, "job": job.id}
        name = f"{p['days']}-day increment from {format_utc(p['start'])[:10]}, seed {p['seed']} ({engine.name})"
        return problem, solution, meta, name

    def _replan(self, job: Job) -> tuple[Problem, Solution, JSON, str]:
        p = job.params
        self._set(job, phase="applying the disruption")
        record = self.plans.read_plan(p["plan_id"])
        plan = plan_from_data(self.plans.plan_document(p["plan_id"]), source=f"plan {p['plan_id']}")
        event: disruptions.Disruption = p["event"]
        problem, _kept, _now = disruptions.apply(plan.problem, plan.solution, [event])
        self._set(job, phase="solving")
        engine = SOLVERS["cp-sat"]()
        solution = engine.solve(problem, self._options(job), self._on_progress(job))
        meta = {**plan.meta, "replanned_from": p["plan_id"], "disruptions": [vars(event)], "job": job.id}
        return problem, solution, meta, f"{record['name']}, replanned: {event.description}"[:200]

    # --- views ----------------------------------------------------------------------------------

    def view(self, job: Job) -> JSON:
        """A job as JSON (call with the lock held or on a job no thread changes any more)."""
        elapsed = job.elapsed_s if job.elapsed_s is not None else time.monotonic() - job.t0
        limit = job.params["time_limit_s"]
        params = {k: (format_utc(v) if isinstance(v, datetime) else v) for k, v in job.params.items() if k != "event"}
        if job.status == "running":
            # the time limit bounds the search; the steps around it take a few seconds at most
            fraction = min(0.99, elapsed / (limit + 2.0)) if job.phase == "solving" else min(0.99, elapsed / (limit + 5.0))
        else:
            fraction = 1.0
        return {
            "id": job.id,
            "kind": job.kind,
            "params": params,
            "created_by": job.created_by,
            "created_at": format_utc(job.created_at),
            "status": job.status,
            "phase": job.phase,
            "elapsed_s": round(elapsed, 2),
            "time_limit_s": limit,
            "fraction": round(fraction, 3),
            "objective": job.objective,
            "bound": job.bound,
            "gap": relative_gap(job.objective, job.bound),
            "solutions": job.solutions,
            "result": job.result,
            "error": job.error,
        }


__all__ = ["MAX_TIME_LIMIT_S", "PlanJobs", "check_request"]
