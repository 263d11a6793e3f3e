"""Read endpoints of the dashboard's Program page (views in :mod:`spacehome.services.program_page`).

=================================================  ==========================  ===================
``GET /program/review-criteria``                   everyone (no login)         criteria and scale
``GET /program/reviewer-desk``                     reviewer                    my assigned work
``GET /program/calls/{id}/review-board``           program_officer, admin      reviews and rank
=================================================  ==========================  ===================

They only read. The desk lists what ``GET /reviews/assigned`` lists (assigned, unconflicted,
redacted when double-anonymous) with the reviewer's own review; the board joins a call's
proposals, assignment, reviews (per-criterion) and ranking. Anonymous callers get 401 on the desk
and the board, other roles 403; an unknown call is 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from spacehome.api import problems
from spacehome.api.security import User, require_roles
from spacehome.domain.program import Role
from spacehome.services import program_page
from spacehome.services.reviews import ReviewService

JSON = dict[str, Any]

Officer = Annotated[User, Depends(require_roles(Role.PROGRAM_OFFICER, Role.ADMIN))]
ReviewerUser = Annotated[User, Depends(require_roles(Role.REVIEWER))]


def router(database_url: str | None) -> APIRouter:
    r = APIRouter(tags=["program page"], responses=problems.PROBLEM_RESPONSES)
    service: list[ReviewService] = []

    def reviews() -> ReviewService:
        if not service:  # opened (and migrated) on first use, then shared
            service.append(ReviewService.open(database_url))
        return service[0]

    @r.get("/program/review-criteria", summary="The review criteria and their score scale (public)")
    def criteria() -> list[JSON]:
        return program_page.criteria_view(reviews())

    @r.get("/program/reviewer-desk", summary="My assigned proposals with my reviews (reviewer)")
    def desk(user: ReviewerUser) -> JSON:
        """Assigned proposals without a conflict of interest (no team when double-anonymous),
        each with the call's review stage and my review if I wrote one; the criteria."""
        return program_page.reviewer_desk(reviews(), user.id)

    @r.get(
        "/program/calls/{call_id}/review-board",
        summary="A call's proposals with assignment, per-criterion scores and rank (officers)",
    )
    def board(
        call_id: str,
        user: Officer,
        trim: Annotated[int, Query(ge=0, le=10, description="Reviews dropped at each end")] = 1,
    ) -> JSON:
        return program_page.review_board(reviews(), call_id, trim=trim)

    return r
