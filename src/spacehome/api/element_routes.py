"""Element sets: the public history the orbit products are computed from, and imports.

=====================================  =====================================================
``GET /element-sets?norad=48274``      an object's sets, newest epoch first, paginated, each
                                       with its source and when it was obtained (public)
``GET /element-sets/current``          the set current at ``at`` (default now), among those
                                       obtained by ``known_by`` if given, with its age (public)
``POST /element-sets``                 planner, admin: TLE or OMM text (``text/plain``, up to
                                       5 MB) with ``source`` and ``obtained_at``; good records
                                       are stored, each bad one is reported in one line
=====================================  =====================================================

Times are ISO 8601 with a zone; a time without one is a 422 problem. ``norad`` defaults to the
station's core module Tianhe (48274), the object the orbit endpoints use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from starlette.concurrency import run_in_threadpool

from spacehome.api import problems
from spacehome.api.plan_routes import TEXT_PATTERN, read_body
from spacehome.api.reads import INSTANT
from spacehome.api.security import User, require_roles
from spacehome.domain.program import Role
from spacehome.errors import ValidationError
from spacehome.services.element_sets import (
    MAX_CATALOG_NUMBER,
    MAX_IMPORT_BYTES,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    ElementSetService,
)
from spacehome.services.orbit import STATION_CATALOG_NUMBER
from spacehome.services.plans import instant

JSON = dict[str, Any]

Norad = Annotated[
    int, Query(ge=1, le=MAX_CATALOG_NUMBER, description="NORAD catalog number (48274: Tianhe)")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

_importers = require_roles(Role.PLANNER, Role.ADMIN)


def _now(request: Request) -> datetime:
    moment: datetime = request.app.state.security.clock()
    return moment.replace(microsecond=0)


def router(database_url: str | None) -> APIRouter:
    reads = ElementSetService.open(database_url)
    r = APIRouter(tags=["element sets"], responses=problems.PROBLEM_RESPONSES)

    @r.get("/element-sets", summary="An object's element sets, newest epoch first, with provenance")
    def history(norad: Norad = STATION_CATALOG_NUMBER, limit: Limit = 50, offset: Offset = 0) -> JSON:
        return reads.history_page(norad, limit=limit, offset=offset)

    @r.get("/element-sets/current", summary="The element set current at an instant, as known then")
    def current(
        request: Request,
        norad: Norad = STATION_CATALOG_NUMBER,
        at: Annotated[
            str | None,
            Query(max_length=64, description="Instant with a zone (default: now)", json_schema_extra=INSTANT),
        ] = None,
        known_by: Annotated[
            str | None,
            Query(
                max_length=64,
                description="Count only sets obtained by this instant (with a zone)",
                json_schema_extra=INSTANT,
            ),
        ] = None,
    ) -> JSON:
        when = instant(at, "at") if at is not None else _now(request)
        known = instant(known_by, "known_by") if known_by is not None else None
        return reads.current(norad, at=when, known_by=known)

    @r.post(
        "/element-sets",
        summary="Import TLE or OMM text into the history (planner, admin)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"text/plain": {"schema": {"type": "string", "maxLength": MAX_IMPORT_BYTES}}},
            }
        },
        status_code=status.HTTP_200_OK,
    )
    async def import_sets(
        request: Request,
        _: Annotated[User, Depends(_importers)],
        source: Annotated[
            str,
            Query(
                min_length=1, max_length=500, pattern=TEXT_PATTERN,
                description="Where the text came from: a URL or a file name",
            ),
        ],
        obtained_at: Annotated[
            str | None,
            Query(max_length=64, description="When it was downloaded (default: now)", json_schema_extra=INSTANT),
        ] = None,
    ) -> JSON:
        body = await read_body(request, MAX_IMPORT_BYTES, "element-set text")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("the element-set text is not UTF-8: send TLE or OMM text") from None
        now = _now(request)
        obtained = instant(obtained_at, "obtained_at") if obtained_at is not None else now
        view: JSON = await run_in_threadpool(
            reads.import_text, text, source=source, obtained_at=obtained, now=now
        )
        return view

    return r
