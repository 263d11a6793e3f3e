"""Conjunction events: the list, one event with its history, CDM import, avoidance options.

=============================================  ===============================================
``GET /conjunctions``                          planner, admin: stored events by TCA (``from``,
                                               ``to``, ``norad`` filters), latest miss and Pc
``GET /conjunctions/{event_id}``               planner, admin: one event, its latest miss
                                               geometry and every assessment in order (miss
                                               and Pc over time)
``POST /conjunctions/cdm``                     planner, admin: a CCSDS CDM (KVN or XML text, up
                                               to 1 MB) stored as an assessment of its event,
                                               with the Pc from its own covariances
``GET /conjunctions/{event_id}/avoidance``     planner, admin: along-track manoeuvre options
                                               that bring the Pc below ``threshold``
=============================================  ===============================================

Conjunction data is operational: the public and partners do not see it. Times are ISO 8601
with a zone; an unknown event is a 404 problem; a malformed CDM a 422 problem in one line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from spacehome.api import problems
from spacehome.api.plan_routes import read_body
from spacehome.api.reads import INSTANT
from spacehome.api.security import User, require_roles
from spacehome.domain.program import Role
from spacehome.errors import ValidationError
from spacehome.orbit.avoidance import DEFAULT_PC_THRESHOLD
from spacehome.services import avoidance, conjunction_events
from spacehome.services.plans import instant

JSON = dict[str, Any]

#: The largest CDM accepted (a CDM is a few kB; XML with comments stays far below this).
MAX_CDM_BYTES = 1_000_000
_operations = require_roles(Role.PLANNER, Role.ADMIN)
EventId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9]+-[0-9]+-[0-9]{8}T[0-9]{6}(-2)?$")]
Instant = Annotated[str | None, Query(max_length=64, json_schema_extra=INSTANT)]


def _now(request: Request) -> datetime:
    moment: datetime = request.app.state.security.clock()
    return moment.replace(microsecond=0)


def router(database_url: str | None) -> APIRouter:
    r = APIRouter(tags=["conjunctions"], responses=problems.PROBLEM_RESPONSES)

    @r.get("/conjunctions", summary="Stored conjunction events by TCA (planner, admin)")
    def events(
        _: Annotated[User, Depends(_operations)],
        tca_from: Annotated[str | None, Query(alias="from", max_length=64, json_schema_extra=INSTANT)] = None,
        tca_to: Annotated[str | None, Query(alias="to", max_length=64, json_schema_extra=INSTANT)] = None,
        norad: Annotated[int | None, Query(ge=1, le=999_999_999, description="Only events of this object")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    ) -> JSON:
        return conjunction_events.events_view(
            database_url=database_url,
            tca_from=instant(tca_from, "from") if tca_from else None,
            tca_to=instant(tca_to, "to") if tca_to else None,
            object_number=norad, limit=limit, offset=offset,
        )

    @r.get("/conjunctions/{event_id}", summary="One event with its assessments (planner, admin)")
    def event(_: Annotated[User, Depends(_operations)], event_id: EventId) -> JSON:
        return conjunction_events.event_view(event_id, database_url=database_url)

    @r.post(
        "/conjunctions/cdm",
        summary="Store a CCSDS CDM (KVN or XML) with the Pc from its covariances (planner, admin)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"text/plain": {"schema": {"type": "string", "maxLength": MAX_CDM_BYTES}}},
            }
        },
    )
    async def import_cdm(
        request: Request,
        _: Annotated[User, Depends(_operations)],
        hard_body_radius_m: Annotated[
            float | None, Query(gt=0, le=10_000, description="Combined hard-body radius, m")
        ] = None,
    ) -> JSON:
        body = await read_body(request, MAX_CDM_BYTES, "CDM")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("the CDM is not UTF-8 text: send the KVN or XML message") from None
        if not text.strip():
            raise ValidationError("the CDM is empty: send the KVN or XML message as the body")
        view: JSON = await run_in_threadpool(
            conjunction_events.import_cdm, text, now=_now(request), database_url=database_url,
            hard_body_radius_m=hard_body_radius_m,
        )
        return view

    @r.get(
        "/conjunctions/{event_id}/avoidance",
        summary="Along-track manoeuvre options for an event (planner, admin)",
    )
    async def avoidance_options(
        _: Annotated[User, Depends(_operations)],
        event_id: EventId,
        threshold: Annotated[float, Query(gt=0, lt=1)] = DEFAULT_PC_THRESHOLD,
        hard_body_radius_m: Annotated[float | None, Query(gt=0, le=10_000)] = None,
    ) -> JSON:
        view: JSON = await run_in_threadpool(
            avoidance.event_avoidance, event_id, threshold=threshold,
            hard_body_radius_m=hard_body_radius_m, database_url=database_url,
        )
        return view

    return r
