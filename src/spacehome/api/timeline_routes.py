"""API endpoints for the Timeline page: one plan's timeline, and solve/replan jobs.

=============================================  ===================================================
``GET  /plans/current/timeline``               planner, program_officer, admin (404 before any
                                               plan is published)
``GET  /plans/{id}/timeline``                  planner, program_officer, admin: lanes, resource
                                               profiles, orbit bands, unscheduled, shares
``POST /plan-jobs``                            planner, admin: start a solve or replan job (202;
                                               409 while another job runs)
``GET  /plan-jobs``                            planner, admin: the jobs this server remembers
``GET  /plan-jobs/{job_id}``                   planner, admin: a job's phase and progress
=============================================  ===================================================

Anonymous callers get 401, other roles 403. The timeline is served as compact JSON (see
:mod:`spacehome.services.timeline`); jobs are described in :mod:`spacehome.services.plan_jobs`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from spacehome.api.plan_routes import TEXT_PATTERN, PlanId
from spacehome.api.problems import PROBLEM_RESPONSES
from spacehome.api.security import User, request_now, require_roles
from spacehome.domain.program import Role
from spacehome.errors import NotFoundError
from spacehome.services.plan_jobs import MAX_DAYS, MAX_TIME_LIMIT_S, MIN_DAYS, PlanJobs
from spacehome.services.plans import PlanService
from spacehome.services.timeline import TimelineService

JSON = dict[str, Any]

_readers = require_roles(Role.PLANNER, Role.PROGRAM_OFFICER, Role.ADMIN)
_writers = require_roles(Role.PLANNER, Role.ADMIN)

JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]
Minutes = Annotated[int | None, Field(ge=0, le=1_000_000)]
Subject = Annotated[str | None, Field(min_length=1, max_length=100, pattern=TEXT_PATTERN)]

_TIMELINE_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The plan's timeline (times after horizon.start in seconds from it)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class DisruptionIn(BaseModel):
    """One disruption, as in a disruption file (times in minutes from the increment start)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["cargo-delay", "debris-avoidance", "crew-unavailable", "rack-failure"]
    vehicle: Subject = None
    crew: Subject = None
    rack: Subject = None
    delay_min: Minutes = None
    start_min: Minutes = None
    duration_min: Minutes = None
    end_min: Minutes = None
    at_min: Minutes = None


class PlanJobIn(BaseModel):
    """A solve of a new increment scenario, or a replan of a stored plan around a disruption."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["solve", "replan"]
    days: int = Field(MIN_DAYS, ge=MIN_DAYS, le=MAX_DAYS, description="solve: increment length")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    start: str | None = Field(
        None, max_length=64, description="solve: increment start (default 2026-09-07T00:00:00Z)",
        json_schema_extra={"format": "date-time", "example": "2026-09-07T00:00:00Z"},
    )
    solver: Literal["cp-sat", "greedy"] = "cp-sat"
    time_limit_s: int = Field(10, ge=1, le=MAX_TIME_LIMIT_S)
    plan_id: str | None = Field(
        None, min_length=1, max_length=64, pattern=TEXT_PATTERN, description="replan: default the current plan"
    )
    disruption: DisruptionIn | None = None
    publish: bool = Field(False, description="publish the stored plan when the job succeeds")


def _json(data: JSON) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False),
        media_type="application/json",
    )


def router(database_url: str | None) -> APIRouter:
    plans = PlanService.open(database_url)
    timelines = TimelineService(plans, database_url)
    jobs = PlanJobs(plans, database_url)
    r = APIRouter(tags=["timeline"], responses=PROBLEM_RESPONSES)

    @r.get("/plans/current/timeline", summary="The current plan's timeline", responses=_TIMELINE_OK)
    def current_timeline(_: Annotated[User, Depends(_readers)]) -> Response:
        current = plans.current_plan()
        if current is None:
            raise NotFoundError("no plan is published yet: publish one with POST /plans/{id}/publish")
        return _json(timelines.timeline(current["id"]))

    @r.get(
        "/plans/{plan_id}/timeline",
        summary="A stored plan as lanes, resource profiles, orbit bands, unscheduled items and shares",
        responses=_TIMELINE_OK,
    )
    def plan_timeline(plan_id: PlanId, _: Annotated[User, Depends(_readers)]) -> Response:
        return _json(timelines.timeline(plan_id))

    @r.post(
        "/plan-jobs",
        status_code=status.HTTP_202_ACCEPTED,
        summary="Start a solve or replan job (planner, admin); 409 while another one runs",
    )
    def start_job(
        body: PlanJobIn, request: Request, response: Response, user: Annotated[User, Depends(_writers)]
    ) -> JSON:
        data = body.model_dump()
        if body.disruption is not None:
            data["disruption"] = body.disruption.model_dump(exclude_none=True)
        view = jobs.start(data, by=user.id, now=request_now(request))
        response.headers["Location"] = str(request.url_for("get_job", job_id=view["id"]))
        return view

    @r.get("/plan-jobs", summary="The plan jobs this server remembers, newest first (planner, admin)")
    def list_jobs(_: Annotated[User, Depends(_writers)]) -> JSON:
        return jobs.list_jobs()

    @r.get("/plan-jobs/{job_id}", summary="A plan job's phase, progress and result (planner, admin)")
    def get_job(job_id: JobId, _: Annotated[User, Depends(_writers)]) -> JSON:
        return jobs.get(job_id)

    return r
