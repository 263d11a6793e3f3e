"""Review endpoints: the reviewer pool, assignment, a reviewer's proposals and scores, ranking.

=============================================  ==========================  =======================
``POST /reviewers``                            program_officer, admin      a reviewer's profile
``GET /reviewers/me``                          reviewer                    one's own profile
``POST /reviewers/me/conflicts``               reviewer                    declare more conflicts
``PUT /calls/{id}/review-settings``            program_officer, admin      stage, double-anonymous
``GET /calls/{id}/review-settings``            program_officer, admin
``POST /calls/{id}/review-assignments``        program_officer, admin      assign and store
``GET /calls/{id}/review-assignments``         program_officer, admin
``GET /reviews/assigned``                      reviewer                    (redacted if anonymous)
``PUT /proposals/{id}/reviews/mine``           reviewer                    scores and comment
``GET /proposals/{id}/reviews``                program_officer, admin,     as ``may_see_review``
                                               reviewer
``GET /calls/{id}/ranking``                    program_officer, admin      aggregate, trimmed
=============================================  ==========================  =======================

Anonymous callers get 401 and other roles (partners, planners, the public) 403 on every one of
them. A reviewer asking about a proposal not assigned to them, or one they are conflicted on,
gets 404 (see :mod:`spacehome.services.reviews`). The criteria are
:data:`spacehome.services.reviews.DEFAULT_CRITERIA`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field

from spacehome.api import problems
from spacehome.api.security import User, request_now, require_roles
from spacehome.domain.program import Role
from spacehome.domain.program_review import (
    ProposalAggregate,
    ProposalView,
    Reviewer,
    ReviewStage,
)
from spacehome.services.reviews import ReviewService, ReviewSettings, StoredReview

OFFICERS = (Role.PROGRAM_OFFICER, Role.ADMIN)

# Module level: with postponed annotations FastAPI resolves these names in the module's globals.
Officer = Annotated[User, Depends(require_roles(*OFFICERS))]
ReviewerUser = Annotated[User, Depends(require_roles(Role.REVIEWER))]
Reader = Annotated[User, Depends(require_roles(*OFFICERS, Role.REVIEWER))]


class ReviewerIn(BaseModel):
    user_id: str = Field(description="The id of an existing, active reviewer account.")
    name: str | None = Field(default=None, description="Display name (default: the username).")
    institution: str
    country: str = Field(description="ISO 3166-1 alpha-2 code.")
    declared_proposals: list[str] = Field(default_factory=list)
    declared_institutions: list[str] = Field(default_factory=list)


class ReviewerOut(BaseModel):
    id: str
    name: str
    institution: str
    country: str
    declared_proposals: list[str]
    declared_institutions: list[str]


class ConflictsIn(BaseModel):
    proposals: list[str] = Field(default_factory=list, description="Proposal ids.")
    institutions: list[str] = Field(default_factory=list, description="Institution names.")


class SettingsIn(BaseModel):
    double_anonymous: bool = False
    stage: ReviewStage = ReviewStage.INDIVIDUAL


class SettingsOut(BaseModel):
    call_id: str
    double_anonymous: bool
    stage: ReviewStage


class AssignIn(BaseModel):
    per_proposal: int = Field(default=3, ge=1, le=20)
    capacity: int | None = Field(
        default=None, ge=0, description="Most proposals per reviewer (default: no bound)."
    )


class AssignmentOut(BaseModel):
    call_id: str
    reviewers: dict[str, list[str]] = Field(description="Proposal id -> reviewer ids.")
    load: dict[str, int] | None = Field(
        default=None, description="Reviewer id -> number of proposals (when just assigned)."
    )
    status: str | None = None


class TeamMemberOut(BaseModel):
    name: str
    country: str


class ProposalViewOut(BaseModel):
    id: str
    call_id: str
    title: str
    discipline: str
    modality: str
    abstract: str
    request: dict[str, float]
    team: list[TeamMemberOut] | None = Field(description="Lead first; null when anonymised.")
    countries: list[str]
    anonymised: bool


class ReviewIn(BaseModel):
    scores: dict[str, float] = Field(description="Criterion name -> score (1 to 5).")
    comment: str = ""


class ReviewOut(BaseModel):
    proposal_id: str
    reviewer_id: str
    scores: dict[str, float]
    comment: str
    submitted_at: datetime


class ScoredReviewOut(BaseModel):
    reviewer_id: str
    total: float
    adjusted: float
    normalised: bool
    trimmed: bool


class RankedOut(BaseModel):
    rank: int
    proposal_id: str
    aggregate: float
    count: int
    raw_mean: float
    trimmed: list[str]
    reviews: list[ScoredReviewOut]


class CriterionOut(BaseModel):
    name: str
    weight: float
    low: float
    high: float


class RankingOut(BaseModel):
    call_id: str
    trim: int
    criteria: list[CriterionOut]
    ranking: list[RankedOut]


def _reviewer_out(reviewer: Reviewer) -> ReviewerOut:
    return ReviewerOut(
        id=reviewer.id,
        name=reviewer.name,
        institution=reviewer.institution,
        country=reviewer.country,
        declared_proposals=sorted(reviewer.declared_proposals),
        declared_institutions=sorted(reviewer.declared_institutions),
    )


def _settings_out(settings: ReviewSettings) -> SettingsOut:
    return SettingsOut(
        call_id=settings.call_id,
        double_anonymous=settings.double_anonymous,
        stage=settings.stage,
    )


def _view_out(view: ProposalView) -> ProposalViewOut:
    return ProposalViewOut(
        id=view.id,
        call_id=view.call_id,
        title=view.title,
        discipline=view.discipline,
        modality=view.modality.value,
        abstract=view.abstract,
        request=view.request.amounts(),
        team=None
        if view.team is None
        else [TeamMemberOut(name=m.name, country=m.country) for m in view.team.institutions],
        countries=list(view.countries),
        anonymised=view.anonymised,
    )


def _review_out(stored: StoredReview) -> ReviewOut:
    review = stored.review
    return ReviewOut(
        proposal_id=review.proposal_id,
        reviewer_id=review.reviewer_id,
        scores=dict(review.scores),
        comment=review.comment,
        submitted_at=stored.submitted_at,
    )


def _ranked_out(rank: int, result: ProposalAggregate) -> RankedOut:
    dropped = set(result.trimmed)
    return RankedOut(
        rank=rank,
        proposal_id=result.proposal_id,
        aggregate=result.aggregate,
        count=result.count,
        raw_mean=result.raw_mean,
        trimmed=list(result.trimmed),
        reviews=[
            ScoredReviewOut(
                reviewer_id=s.reviewer_id,
                total=s.total,
                adjusted=s.adjusted,
                normalised=s.normalised,
                trimmed=s.reviewer_id in dropped,
            )
            for s in result.reviews
        ],
    )


def router(database_url: str | None) -> APIRouter:
    """The review endpoints on the database at ``database_url`` (include under ``/api/v1``)."""
    r = APIRouter(tags=["program review"], responses=problems.PROBLEM_RESPONSES)
    service: list[ReviewService] = []

    def reviews() -> ReviewService:
        if not service:  # opened (and migrated) on first use, then shared
            service.append(ReviewService.open(database_url))
        return service[0]

    @r.post("/reviewers", status_code=status.HTTP_201_CREATED, summary="Add a reviewer profile")
    def add_reviewer(body: ReviewerIn, user: Officer) -> ReviewerOut:
        """A profile for an existing reviewer account: institution, country, declared conflicts."""
        return _reviewer_out(
            reviews().add_reviewer(
                body.user_id,
                name=body.name,
                institution=body.institution,
                country=body.country,
                declared_proposals=body.declared_proposals,
                declared_institutions=body.declared_institutions,
            )
        )

    @r.get("/reviewers/me", summary="My reviewer profile")
    def my_profile(user: ReviewerUser) -> ReviewerOut:
        return _reviewer_out(reviews().reviewer(user.id))

    @r.post("/reviewers/me/conflicts", summary="Declare conflicts of interest on my profile")
    def declare(body: ConflictsIn, user: ReviewerUser) -> ReviewerOut:
        """Adds to the declared conflicts (proposal ids, institution names); never removes."""
        return _reviewer_out(
            reviews().declare_conflicts(
                user.id, proposals=body.proposals, institutions=body.institutions
            )
        )

    @r.get("/calls/{call_id}/review-settings", summary="A call's review stage and anonymity")
    def get_settings(call_id: str, user: Officer) -> SettingsOut:
        return _settings_out(reviews().settings(call_id))

    @r.put("/calls/{call_id}/review-settings", summary="Set a call's review stage and anonymity")
    def put_settings(call_id: str, body: SettingsIn, user: Officer) -> SettingsOut:
        """``double_anonymous``: reviewers see no team and no countries. ``stage``: individual
        (reviewers score alone), panel (reviewers of a proposal read each other's reviews),
        decided."""
        return _settings_out(
            reviews().set_settings(
                call_id, double_anonymous=body.double_anonymous, stage=body.stage
            )
        )

    @r.post("/calls/{call_id}/review-assignments", summary="Assign reviewers to a call")
    def assign(call_id: str, body: AssignIn, user: Officer, request: Request) -> AssignmentOut:
        """Every submitted or under-review proposal gets ``per_proposal`` reviewers without a
        conflict of interest, load balanced (CP-SAT); stored in one transaction, replacing the
        call's earlier assignment (409 once reviews exist; 422 when not enough reviewers)."""
        result = reviews().assign(
            call_id, now=request_now(request), per_proposal=body.per_proposal, capacity=body.capacity
        )
        return AssignmentOut(
            call_id=call_id,
            reviewers={p: list(ids) for p, ids in result.reviewers.items()},
            load=dict(result.load),
            status=result.status,
        )

    @r.get("/calls/{call_id}/review-assignments", summary="A call's stored assignment")
    def assignments(call_id: str, user: Officer) -> AssignmentOut:
        service_ = reviews()
        service_.settings(call_id)  # 404 for an unknown call
        stored = service_.reviews.assignments_of_call(call_id)
        return AssignmentOut(call_id=call_id, reviewers={p: list(i) for p, i in stored.items()})

    @r.get("/reviews/assigned", summary="The proposals assigned to me for review")
    def assigned(user: ReviewerUser) -> list[ProposalViewOut]:
        """Only assigned proposals without a conflict of interest; without team and countries
        when the call is double-anonymous."""
        return [_view_out(view) for view in reviews().assigned_to(user.id)]

    @r.put("/proposals/{proposal_id}/reviews/mine", summary="Write my review of a proposal")
    def put_review(
        proposal_id: str, body: ReviewIn, user: ReviewerUser, request: Request
    ) -> ReviewOut:
        """Scores for every criterion (1 to 5) and a comment; only at the individual stage (409
        otherwise); 404 for a proposal not assigned to me or one I am conflicted on."""
        return _review_out(
            reviews().submit_review(
                user.id, proposal_id, body.scores, body.comment, now=request_now(request)
            )
        )

    @r.get("/proposals/{proposal_id}/reviews", summary="The reviews of a proposal I may read")
    def proposal_reviews(proposal_id: str, user: Reader) -> list[ReviewOut]:
        """Officers and admins: all. Reviewers: their own, and the others' from the panel stage."""
        return [_review_out(s) for s in reviews().visible_reviews(user.id, user.role, proposal_id)]

    @r.get("/calls/{call_id}/ranking", summary="The call's proposals ranked by aggregate score")
    def call_ranking(
        call_id: str,
        user: Officer,
        trim: Annotated[int, Query(ge=0, le=10, description="Reviews dropped at each end")] = 1,
    ) -> RankingOut:
        """Severity-normalised, trimmed aggregate per proposal, best first; each review's total,
        adjusted score and whether it was trimmed."""
        service_ = reviews()
        ranked = service_.ranking(call_id, trim=trim)
        return RankingOut(
            call_id=call_id,
            trim=trim,
            criteria=[
                CriterionOut(name=c.name, weight=c.weight, low=c.low, high=c.high)
                for c in service_.criteria
            ],
            ranking=[_ranked_out(i, a) for i, a in enumerate(ranked, start=1)],
        )

    return r
