"""API endpoints for the Station page of the dashboard: what its time slider needs.

``GET /station/history`` (public) gives the span the slider covers, from the core module's launch
to the end of the record, and the events that change the station's configuration, each with its
instant and a one-line label; the page then reads ``GET /station?at=`` for the drawing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from spacehome.api import problems
from spacehome.api.responses import json_response
from spacehome.services import station_history

JSON = dict[str, Any]


def router(database_url: str | None) -> APIRouter:
    r = APIRouter(tags=["station and orbit (public)"], responses=problems.PROBLEM_RESPONSES)

    @r.get(
        "/station/history",
        summary="The station's configuration history: the span of the record and the events that change it",
        response_model=JSON,
    )
    def history() -> Response:
        # The record is fixed for the life of the process, so is this view (built once).
        return json_response(
            station_history.default_history(), headers={"Cache-Control": "public, max-age=300"}
        )

    return r
