"""Public read endpoints: the station record and the orbit products, the same views as the CLI.

Times are ISO 8601 with a zone (``2026-09-06T00:00:00Z``); a time without one is a 422 problem.
The orbit endpoints state the element set used and its age, with the staleness warning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from spacehome.api import problems
from spacehome.api.responses import json_response
from spacehome.domain.instant import parse_instant
from spacehome.errors import ValidationError
from spacehome.record.places import place_from_coordinates, resolve_city
from spacehome.services import orbit, station

JSON = dict[str, Any]
MAX_DAYS = 30.0


def _instant(text: str | None, what: str, request: Request) -> datetime:
    if text is None:
        clock = request.app.state.security.clock
        return clock().replace(microsecond=0)  # type: ignore[no-any-return]
    return parse_instant(text, what)


#: A time parameter: RFC 3339 date-time, so with a zone (a time without one is refused).
INSTANT = {"format": "date-time", "example": "2026-09-06T00:00:00Z"}


def router(database_url: str | None) -> APIRouter:
    r = APIRouter(tags=["station and orbit (public)"], responses=problems.PROBLEM_RESPONSES)

    @r.get("/station", summary="The station at an instant: modules, ports, vehicles, crew aboard, racks", response_model=JSON)
    def station_at(request: Request, at: Annotated[str | None, Query(description="Instant with a zone (default: now)", json_schema_extra=INSTANT)] = None) -> Response:
        # Serialised here (see api.responses): the public page most often read.
        return json_response(station.station_view(station.default_record(), _instant(at, "at", request)))

    @r.get("/orbit/where", summary="Where the station is: sub-point, altitude, speed, sunlight, next shadow")
    def where(request: Request, at: Annotated[str | None, Query(description="Instant with a zone (default: now)", json_schema_extra=INSTANT)] = None) -> JSON:
        return orbit.where_view(_instant(at, "at", request), database_url=database_url)

    @r.get("/orbit/eclipses", summary="Umbra and penumbra per orbit, and the solar beta angle")
    def eclipses(
        request: Request,
        start: Annotated[str | None, Query(alias="from", description="Start with a zone (default: now)", json_schema_extra=INSTANT)] = None,
        days: Annotated[float, Query(gt=0, le=MAX_DAYS)] = 1.0,
    ) -> JSON:
        return orbit.eclipses_view(_instant(start, "from", request), days, database_url=database_url)

    @r.get("/orbit/contacts", summary="Ground-station contacts with acquisition, loss and maximum elevation")
    def contacts(
        request: Request,
        start: Annotated[str | None, Query(alias="from", description="Start with a zone (default: now)", json_schema_extra=INSTANT)] = None,
        days: Annotated[float, Query(gt=0, le=MAX_DAYS)] = 1.0,
        station_name: Annotated[list[str] | None, Query(alias="station")] = None,
    ) -> JSON:
        return orbit.contacts_view(
            _instant(start, "from", request), days, station_names=station_name or (), database_url=database_url
        )

    @r.get("/orbit/passes", summary="Passes over a city or a place, with naked-eye visibility and brightness")
    def passes_over(
        request: Request,
        city: Annotated[str | None, Query(min_length=1, description="City name (offline gazetteer); or give lat and lon")] = None,
        lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
        lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
        alt_m: float = 0.0,
        start: Annotated[str | None, Query(alias="from", description="Start with a zone (default: now)", json_schema_extra=INSTANT)] = None,
        days: Annotated[float, Query(gt=0, le=MAX_DAYS)] = 3.0,
        visible_only: bool = False,
        min_elevation_deg: Annotated[float, Query(ge=0, lt=90)] = 10.0,
    ) -> JSON:
        if city is not None:
            place = resolve_city(city)
        elif lat is not None and lon is not None:
            place = place_from_coordinates(lat, lon, alt_m)
        else:
            raise ValidationError("give city=NAME, or lat and lon in degrees")
        return orbit.passes_view(
            place, _instant(start, "from", request), days, visible_only=visible_only,
            min_elevation_deg=min_elevation_deg, database_url=database_url,
        )

    return r
