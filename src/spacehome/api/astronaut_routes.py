"""Astronaut opportunities: partner programs, their candidates, selection, training and seats.

==============================================  ==============================================
``GET  /astronaut-opportunities``               everyone (no login): programs, countries, counts
``GET  /astronaut-candidates``                  everyone; officers see all, others the published
``GET  /astronaut-candidates/{id}``             everyone; others' unpublished candidates are 404
``POST /astronaut-candidates``                  program_officer, admin
``POST /astronaut-candidates/{id}/transitions`` program_officer, admin; If-Match
``POST /astronaut-candidates/{id}/assignments`` program_officer, admin; If-Match
``GET  /astronaut-candidates/{id}/audit``       program_officer, admin
==============================================  ==============================================

Candidate data is personal data: program officers and admins see the full record; the public,
partners, reviewers and planners see only what the selecting side has published (see
:mod:`spacehome.services.astronauts`), and a candidate they may not see is 404, like an unknown
id. Anonymous callers get 401 on the officer endpoints, other roles 403.

A candidate read by an officer carries ``ETag: "<version>"``; transitions and assignments need
it back in ``If-Match`` (missing: 428, stale: 412). Domain refusals: an illegal change 409, an
unknown or uncrewed mission 422, a time without a zone 422.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    Header,
    Path,
    Query,
    Request,
    Response,
    status,
)
from pydantic import BaseModel, ConfigDict, Field

from spacehome.api.concurrency import check_if_match, etag_for
from spacehome.api.problems import PROBLEM_RESPONSES
from spacehome.api.security import User, actor_of, current_user, request_now, require_roles
from spacehome.domain.astronaut_opportunities import AssignmentStatus
from spacehome.domain.program import Role
from spacehome.persistence.astronaut_store import (
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    StoredCandidate,
)
from spacehome.services.astronauts import AstronautService, candidate_view, is_officer
from spacehome.services.program import Actor

JSON = dict[str, Any]

#: Ids: the record's (``pakistan-1``) or the store's (32 hex digits).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
#: One line of printable text (no control characters, which PostgreSQL text may not hold).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
INSTANT = "ISO 8601 instant with a zone, e.g. 2026-02-07T00:00:00Z; not after now (default: now)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CandidateIn(_Strict):
    program_id: str = Field(min_length=1, max_length=100, pattern=ID_PATTERN)
    alias: str = Field(
        min_length=1,
        max_length=200,
        pattern=TEXT_PATTERN,
        description="a label unique in the program, e.g. 'Pakistani candidate 3'",
    )
    country: str = Field(
        min_length=2, max_length=2, description="ISO 3166-1 alpha-2 of the country or region"
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        pattern=TEXT_PATTERN,
        description="leave out when not known",
    )
    name_public: bool = Field(default=False, description="true once the name is published")
    sources: list[Annotated[str, Field(min_length=1, max_length=300, pattern=TEXT_PATTERN)]] = (
        Field(default_factory=list, max_length=20)
    )
    note: str = Field(default="", max_length=2_000, pattern=TEXT_PATTERN)
    why: str = Field(default="", max_length=2_000, pattern=TEXT_PATTERN)


class TransitionIn(_Strict):
    field: Literal["selection_stage", "training_status"]
    to: str = Field(
        min_length=1,
        max_length=32,
        description="a selection stage (applied ... withdrawn) or a training status",
    )
    why: str = Field(default="", max_length=2_000, pattern=TEXT_PATTERN)
    effective_at: str | None = Field(default=None, max_length=64, description=INSTANT)


class AssignmentIn(_Strict):
    mission_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="a crewed mission of the record (shenzhou-23) or a future Shenzhou",
    )
    status: AssignmentStatus
    source: str = Field(
        min_length=1,
        max_length=500,
        pattern=TEXT_PATTERN,
        description="the announcement or source id the seat comes from",
    )
    why: str = Field(default="", max_length=2_000, pattern=TEXT_PATTERN)
    effective_at: str | None = Field(default=None, max_length=64, description=INSTANT)


_officers = require_roles(Role.PROGRAM_OFFICER, Role.ADMIN)

Anyone = Annotated[User, Depends(current_user)]
Officer = Annotated[User, Depends(_officers)]
CandidateId = Annotated[str, Path(min_length=1, max_length=100, pattern=ID_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
IfMatch = Annotated[str | None, Header(max_length=1_000)]


def router(database_url: str | None) -> APIRouter:
    service = AstronautService.open(database_url)
    r = APIRouter(tags=["astronaut opportunities"], responses=PROBLEM_RESPONSES)

    def _answer(response: Response, stored: StoredCandidate, actor: Actor) -> JSON:
        if is_officer(actor):
            response.headers["ETag"] = etag_for(stored.version)
        return candidate_view(stored, actor)

    @r.get(
        "/astronaut-opportunities",
        summary="Astronaut programs of partner countries and regions, with candidate counts (public)",
    )
    def list_opportunities(user: Anyone) -> JSON:
        return service.list_opportunities(actor_of(user))

    @r.get(
        "/astronaut-candidates",
        summary="Astronaut candidates: all for officers, the published ones for everyone else",
    )
    def list_candidates(
        user: Anyone,
        program_id: Annotated[
            str | None, Query(min_length=1, max_length=100, pattern=ID_PATTERN)
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> JSON:
        return service.list_candidates(
            actor_of(user), program_id=program_id, limit=limit, offset=offset
        )

    @r.get(
        "/astronaut-candidates/{candidate_id}",
        summary="One astronaut candidate (unpublished ones are 404 except for officers)",
    )
    def get_candidate(candidate_id: CandidateId, response: Response, user: Anyone) -> JSON:
        actor = actor_of(user)
        return _answer(response, service.read_candidate(actor, candidate_id), actor)

    @r.post(
        "/astronaut-candidates",
        status_code=status.HTTP_201_CREATED,
        summary="Record a new candidate of a program, at stage applied (program_officer, admin)",
    )
    def create_candidate(
        body: CandidateIn, request: Request, response: Response, user: Officer
    ) -> JSON:
        actor = actor_of(user)
        stored = service.create_candidate(
            actor,
            program_id=body.program_id,
            alias=body.alias,
            country=body.country,
            name=body.name,
            name_public=body.name_public,
            sources=body.sources,
            note=body.note,
            why=body.why,
            now=request_now(request),
        )
        response.headers["Location"] = str(
            request.url_for("get_candidate", candidate_id=stored.candidate.id)
        )
        return _answer(response, stored, actor)

    @r.post(
        "/astronaut-candidates/{candidate_id}/transitions",
        summary="Change a candidate's selection stage or training status (officers; If-Match)",
    )
    def transition(
        candidate_id: CandidateId,
        body: TransitionIn,
        request: Request,
        response: Response,
        user: Officer,
        if_match: IfMatch = None,
    ) -> JSON:
        actor = actor_of(user)
        current = service.read_candidate(actor, candidate_id)
        check_if_match(if_match, etag_for(current.version))
        stored = service.change(
            actor,
            candidate_id,
            field=body.field,
            to=body.to,
            why=body.why,
            effective_at=body.effective_at,
            expected_version=current.version,
            now=request_now(request),
        )
        return _answer(response, stored, actor)

    @r.post(
        "/astronaut-candidates/{candidate_id}/assignments",
        summary="Give a candidate a seat on a mission, or change its status (officers; If-Match)",
    )
    def assign(
        candidate_id: CandidateId,
        body: AssignmentIn,
        request: Request,
        response: Response,
        user: Officer,
        if_match: IfMatch = None,
    ) -> JSON:
        actor = actor_of(user)
        current = service.read_candidate(actor, candidate_id)
        check_if_match(if_match, etag_for(current.version))
        stored = service.assign(
            actor,
            candidate_id,
            mission_id=body.mission_id,
            status=body.status,
            source=body.source,
            why=body.why,
            effective_at=body.effective_at,
            expected_version=current.version,
            now=request_now(request),
        )
        return _answer(response, stored, actor)

    @r.get(
        "/astronaut-candidates/{candidate_id}/audit",
        summary="Every change of a candidate: who, when, what, from, to, why (officers)",
    )
    def audit(candidate_id: CandidateId, user: Officer) -> JSON:
        return service.audit(actor_of(user), candidate_id)

    return r
