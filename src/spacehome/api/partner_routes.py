"""API endpoints for the Projects page of the dashboard.

==================================  ==========================================================
``GET /partner-countries``          everyone (also without a login): each country the program
                                    links to the station (stored projects by their teams'
                                    countries, with their states; the record's agreements and
                                    astronaut programs), with ISO alpha-2 and numeric codes
==================================  ==========================================================

Projects appear in their public view only (no owner ids, no partner's team), the same for every
caller; see :mod:`spacehome.services.partner_countries`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from spacehome.api import problems
from spacehome.services.partner_countries import PartnerCountries

JSON = dict[str, Any]


def router(database_url: str | None) -> APIRouter:
    countries = PartnerCountries.open(database_url)
    r = APIRouter(tags=["projects"], responses=problems.PROBLEM_RESPONSES)

    @r.get(
        "/partner-countries",
        summary="Partner countries with their projects (and states), agreements and astronaut "
        "programs (public)",
    )
    def partner_countries() -> JSON:
        return countries.view()

    return r
