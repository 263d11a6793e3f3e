"""Stored increment plans: list, read, query activities, upload (validated), publish.

=========================================  =============================================
``GET  /plans``                            planner, program_officer, admin (newest first)
``GET  /plans/current``                    planner, program_officer, admin (404 before any)
``GET  /plans/{id}``                       planner, program_officer, admin
``GET  /plans/{id}/activities``            planner, program_officer, admin; filters
                                           ``project``, ``resource``, ``from``, ``to``
``GET  /plans/{id}/document``              planner, program_officer, admin: the plan file
``POST /plans``                            planner, admin: ``{"name", "plan"}``, the plan file
                                           (``spacehome-plan/1``, problem embedded)
``POST /plans/{id}/publish``               planner, admin: make it the current plan
=========================================  =============================================

Anonymous callers get 401, other roles 403 (a partner will see its own projects' activities
through the project endpoints, :meth:`~spacehome.services.plans.PlanService.activities_for_project`).
An upload is read in chunks up to :data:`~spacehome.services.plans.MAX_PLAN_BYTES` (413 beyond);
it is checked by the independent validator before anything is written: a plan that violates its
problem is a 422 naming the first violations in one line. Plans are immutable, so publishing
needs no ``If-Match``: it appends to the publication log, and the newest publication is current.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError
from starlette.concurrency import run_in_threadpool

from spacehome.api.problems import PROBLEM_RESPONSES, one_line
from spacehome.api.reads import INSTANT
from spacehome.api.security import User, request_now, require_roles
from spacehome.domain.program import Role
from spacehome.errors import NotFoundError
from spacehome.persistence.plan_store import MAX_OFFSET, MAX_PAGE_SIZE
from spacehome.services.plans import MAX_PLAN_BYTES, PlanService, instant

JSON = dict[str, Any]

#: The longest plan name.
MAX_NAME_LENGTH = 200
#: Names, ids and keys: printable text (no control characters, which the database may refuse).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"


class PlanUpload(BaseModel):
    """A plan to store: a name and the plan file's JSON object."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=MAX_NAME_LENGTH, pattern=TEXT_PATTERN, description="e.g. 'increment 7, v2'"
    )
    plan: dict[str, Any] = Field(
        description="The plan file (format spacehome-plan/1, problem embedded); see docs/plan-format.md"
    )


_UPLOAD_SCHEMA: JSON = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "plan"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH, "pattern": TEXT_PATTERN},
        "plan": {"type": "object", "description": "the plan file (spacehome-plan/1)"},
    },
}

_readers = require_roles(Role.PLANNER, Role.PROGRAM_OFFICER, Role.ADMIN)
_writers = require_roles(Role.PLANNER, Role.ADMIN)

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Key = Annotated[str | None, Query(min_length=1, max_length=200, pattern=TEXT_PATTERN)]
PlanId = Annotated[str, Path(min_length=1, max_length=64, pattern=TEXT_PATTERN)]


async def read_body(request: Request, max_bytes: int, what: str) -> bytes:
    """The request body, refused with 413 as soon as it passes ``max_bytes`` (read in chunks)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the {what} is {declared} bytes, more than the limit of {max_bytes}: send less at a time",
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"the {what} is more than the limit of {max_bytes} bytes: send less at a time",
            )
    return bytes(body)


def _upload(body: bytes) -> PlanUpload:
    try:
        return PlanUpload.model_validate_json(body)
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            one_line(f"{where}: {first['msg']}: send {{\"name\": \"...\", \"plan\": {{...plan file...}}}}"),
        ) from None


def router(database_url: str | None) -> APIRouter:
    service = PlanService.open(database_url)
    r = APIRouter(tags=["plans"], responses=PROBLEM_RESPONSES)

    @r.get("/plans", summary="Stored plans, newest first (planner, program_officer, admin)")
    def list_plans(
        _: Annotated[User, Depends(_readers)], limit: Limit = 50, offset: Offset = 0
    ) -> JSON:
        return service.list_plans(limit=limit, offset=offset)

    @r.get("/plans/current", summary="The current (published) plan")
    def current_plan(_: Annotated[User, Depends(_readers)]) -> JSON:
        view = service.current_plan()
        if view is None:
            raise NotFoundError("no plan is published yet: publish one with POST /plans/{id}/publish")
        return view

    @r.get("/plans/{plan_id}", summary="One stored plan: horizon, solver outcome, validator verdict")
    def get_plan(plan_id: PlanId, _: Annotated[User, Depends(_readers)]) -> JSON:
        return service.read_plan(plan_id)

    @r.get(
        "/plans/{plan_id}/activities",
        summary="A plan's scheduled activities by start time, filtered by project, resource and time",
    )
    def plan_activities(
        plan_id: PlanId,
        _: Annotated[User, Depends(_readers)],
        project: Key = None,
        resource: Key = None,
        start: Annotated[str | None, Query(alias="from", max_length=64, json_schema_extra=INSTANT)] = None,
        end: Annotated[str | None, Query(alias="to", max_length=64, json_schema_extra=INSTANT)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> JSON:
        return service.plan_activities(
            plan_id,
            project_key=project,
            resource=resource,
            start=instant(start, "from") if start is not None else None,
            end=instant(end, "to") if end is not None else None,
            limit=limit,
            offset=offset,
        )

    @r.get("/plans/{plan_id}/document", summary="The stored plan file (spacehome-plan/1)")
    def plan_document(plan_id: PlanId, _: Annotated[User, Depends(_readers)]) -> JSON:
        return service.plan_document(plan_id)

    @r.post(
        "/plans",
        status_code=status.HTTP_201_CREATED,
        summary="Store a plan after the independent validator accepts it (planner, admin)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _UPLOAD_SCHEMA}},
            }
        },
    )
    async def store_plan(
        request: Request, response: Response, user: Annotated[User, Depends(_writers)]
    ) -> JSON:
        upload = _upload(await read_body(request, MAX_PLAN_BYTES, "plan"))
        view: JSON = await run_in_threadpool(
            service.store_plan,
            upload.plan,
            name=upload.name,
            created_by=user.id,
            now=request_now(request),
        )
        response.headers["Location"] = str(request.url_for("get_plan", plan_id=view["id"]))
        return view

    @r.post("/plans/{plan_id}/publish", summary="Make a stored plan the current one (planner, admin)")
    def publish(plan_id: PlanId, request: Request, user: Annotated[User, Depends(_writers)]) -> JSON:
        return service.publish(plan_id, by=user.id, now=request_now(request))

    return r
