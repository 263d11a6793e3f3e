"""API endpoints for the dashboard's Now page (public).

====================  ==================================================================
``GET /now``          everyone: the station at an instant (default: now by the app clock):
                      sub-point, altitude, speed, lighting, the ground track from one orbit
                      before to two after (sunlit or in shadow), the subsolar point, the
                      element set and its age, the crew aboard and the ports' occupants
``GET /places``       everyone: gazetteer cities whose name starts with ``q``, largest first,
                      each with the label ``GET /orbit/passes?city=`` reads back
====================  ==================================================================
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from spacehome.api import problems
from spacehome.api.reads import INSTANT
from spacehome.api.responses import json_response
from spacehome.api.security import request_now
from spacehome.domain.instant import parse_instant
from spacehome.errors import ValidationError
from spacehome.services import now

JSON = dict[str, Any]


def _at(text: str | None, request: Request) -> datetime:
    if text is None:
        return request_now(request).replace(microsecond=0)
    try:
        return parse_instant(text, "at")
    except ValidationError as exc:
        raise ValidationError(exc.message, field="at") from None


def router(database_url: str | None) -> APIRouter:
    r = APIRouter(tags=["dashboard: now (public)"], responses=problems.PROBLEM_RESPONSES)

    @r.get(
        "/now",
        summary="The station now: position, ground track with shadow, subsolar point, element-set age, crew and ports",
        response_model=JSON,
    )
    def station_now(
        request: Request,
        at: Annotated[str | None, Query(description="Instant with a zone (default: now)", json_schema_extra=INSTANT)] = None,
    ) -> Response:
        # Serialised here (see api.responses): about 600 track points.
        return json_response(now.now_view(_at(at, request), database_url=database_url))

    @r.get("/places", summary="Cities of the offline gazetteer whose name starts with q, for a search box", response_model=JSON)
    def places(
        q: Annotated[str, Query(min_length=1, max_length=100, description="Start of a city's name, e.g. 'Nair'")],
        limit: Annotated[int, Query(ge=1, le=now.MAX_PLACES)] = 10,
    ) -> Response:
        return json_response(now.places_view(q, limit))

    return r
