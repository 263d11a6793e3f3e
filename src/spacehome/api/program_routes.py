"""Calls and proposals of the cooperation program, with roles and per-object authorisation.

===========================================  ===========================================
``GET  /calls``, ``GET /calls/{id}``         everyone (no login)
``POST /calls``                              program_officer, admin
``POST /calls/{id}/proposals``               partner (the caller owns the new draft)
``GET  /proposals``                          partner (its own only), program_officer, admin
``GET  /proposals/{id}``                     owning partner, program_officer, admin
``PATCH /proposals/{id}``                    owning partner, drafts only, If-Match
``POST /proposals/{id}/transitions``         owning partner (submit, withdraw); program_officer,
                                             admin (review stages); If-Match
``GET  /proposals/{id}/audit``               owning partner, program_officer, admin
===========================================  ===========================================

Anonymous callers get 401 on everything but the calls; roles not listed get 403 (reviewers reach
the proposals assigned to them through the review endpoints, not here). A partner asking for
another partner's proposal gets **404, not 403**: the answer is the same as for an id that does
not exist, so proposal ids do not leak between partners.

Single proposals carry ``ETag: "<version>"``; PATCH and transitions need it back in ``If-Match``
(missing: 428, stale: 412). Domain refusals: an illegal transition 409, the wrong role for a
transition 403 (:class:`~spacehome.domain.program.RoleError`), a submission after the deadline
409 (:class:`~spacehome.domain.program.DeadlineError`). The clock is
``app.state.security.clock``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from spacehome.api.concurrency import check_if_match, etag_for
from spacehome.api.problems import PROBLEM_RESPONSES
from spacehome.api.responses import json_response
from spacehome.api.security import User, actor_of, request_now, require_roles
from spacehome.domain.program import Modality, ProposalState, Role
from spacehome.persistence.program_store import MAX_OFFSET, MAX_PAGE_SIZE
from spacehome.services.program import (
    ProgramService,
    call_etag,
    proposal_view,
)

JSON = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstitutionIn(_Strict):
    name: str = Field(min_length=1, max_length=300)
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. KE", min_length=2, max_length=2)


class TeamIn(_Strict):
    lead: InstitutionIn
    partners: list[InstitutionIn] = Field(default_factory=list, max_length=50)


class CallIn(_Strict):
    id: str = Field(min_length=1, max_length=100, description="e.g. 'cycle-2'")
    title: str = Field(min_length=1, max_length=300)
    modalities: list[Modality] = Field(min_length=1)
    opens_at: str = Field(description="ISO 8601 instant with a zone, e.g. 2026-01-01T00:00:00Z")
    closes_at: str = Field(description="ISO 8601 instant with a zone, after opens_at")
    envelope: dict[str, float] = Field(
        description="crew_hours (h), rack_months, adapter_months, upmass_kg (kg), downlink_gb (GB)"
    )
    eligible_countries: list[str] | None = Field(
        default=None,
        description="ISO alpha-2 codes, all UN member states; leave out for every UN member state",
    )


class ProposalIn(_Strict):
    title: str = Field(min_length=1, max_length=300)
    discipline: str = Field(min_length=1, max_length=200)
    modality: Modality
    team: TeamIn
    request: dict[str, float] = Field(
        description="crew_hours (h), rack_months, adapter_months, upmass_kg (kg), downlink_gb (GB)"
    )
    abstract: str = Field(default="", max_length=20_000)


class ProposalPatch(_Strict):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    discipline: str | None = Field(default=None, min_length=1, max_length=200)
    modality: Modality | None = None
    team: TeamIn | None = None
    request: dict[str, float] | None = None
    abstract: str | None = Field(default=None, max_length=20_000)


class TransitionIn(_Strict):
    to: ProposalState
    why: str = Field(default="", max_length=2_000)


_officers = require_roles(Role.PROGRAM_OFFICER, Role.ADMIN)
_partner = require_roles(Role.PARTNER)
_proposal_readers = require_roles(Role.PARTNER, Role.PROGRAM_OFFICER, Role.ADMIN)

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


def router(database_url: str | None) -> APIRouter:
    service = ProgramService.open(database_url)
    r = APIRouter(tags=["cooperation program"], responses=PROBLEM_RESPONSES)

    def _proposal_response(response: Response, stored: Any) -> JSON:
        response.headers["ETag"] = etag_for(stored.version)
        return proposal_view(stored)

    # --- calls ----------------------------------------------------------------------------------

    @r.get("/calls", summary="Calls for proposals, by opening time (public)", response_model=JSON)
    def list_calls(request: Request, limit: Limit = 50, offset: Offset = 0) -> Response:
        # Serialised here: a page of calls holds thousands of country codes, and FastAPI's
        # generic response handling walked them in Python (about half the request's time).
        return json_response(service.list_calls(now=request_now(request), limit=limit, offset=offset))

    @r.get("/calls/{call_id}", summary="One call for proposals (public)")
    def get_call(call_id: str, request: Request, response: Response) -> JSON:
        view = service.get_call(call_id, now=request_now(request))
        response.headers["ETag"] = etag_for(call_etag(view))
        return view

    @r.post(
        "/calls",
        status_code=status.HTTP_201_CREATED,
        summary="Open a call for proposals (program_officer, admin)",
    )
    def create_call(
        body: CallIn,
        request: Request,
        response: Response,
        _: Annotated[User, Depends(_officers)],
    ) -> JSON:
        view = service.create_call(
            call_id=body.id,
            title=body.title,
            modalities=body.modalities,
            opens_at=body.opens_at,
            closes_at=body.closes_at,
            envelope=body.envelope,
            eligible_countries=body.eligible_countries,
            now=request_now(request),
        )
        response.headers["Location"] = str(request.url_for("get_call", call_id=view["id"]))
        response.headers["ETag"] = etag_for(call_etag(view))
        return view

    # --- proposals ------------------------------------------------------------------------------

    @r.post(
        "/calls/{call_id}/proposals",
        status_code=status.HTTP_201_CREATED,
        summary="Start a draft proposal to a call (partner; the caller owns it)",
    )
    def create_proposal(
        call_id: str,
        body: ProposalIn,
        request: Request,
        response: Response,
        user: Annotated[User, Depends(_partner)],
    ) -> JSON:
        stored = service.create_proposal(
            actor_of(user),
            call_id,
            title=body.title,
            discipline=body.discipline,
            modality=body.modality,
            team=body.team.model_dump(),
            request=body.request,
            abstract=body.abstract,
            now=request_now(request),
        )
        response.headers["Location"] = str(
            request.url_for("get_proposal", proposal_id=stored.proposal.id)
        )
        return _proposal_response(response, stored)

    @r.get(
        "/proposals",
        summary="Proposals: a partner's own; every one for program_officer and admin",
    )
    def list_proposals(
        user: Annotated[User, Depends(_proposal_readers)],
        call_id: str | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> JSON:
        return service.list_proposals(actor_of(user), call_id=call_id, limit=limit, offset=offset)

    @r.get(
        "/proposals/{proposal_id}",
        summary="One proposal (owning partner, program_officer, admin; others' ids are 404)",
    )
    def get_proposal(
        proposal_id: str,
        response: Response,
        user: Annotated[User, Depends(_proposal_readers)],
    ) -> JSON:
        return _proposal_response(response, service.read_proposal(actor_of(user), proposal_id))

    @r.patch(
        "/proposals/{proposal_id}",
        summary="Edit a draft (owning partner; If-Match required)",
    )
    def update_proposal(
        proposal_id: str,
        body: ProposalPatch,
        request: Request,
        response: Response,
        user: Annotated[User, Depends(_partner)],
        if_match: Annotated[str | None, Header()] = None,
    ) -> JSON:
        actor = actor_of(user)
        current = service.read_proposal(actor, proposal_id)
        check_if_match(if_match, etag_for(current.version))
        changes = body.model_dump(exclude_unset=True)
        if any(value is None for value in changes.values()):
            nulls = sorted(k for k, v in changes.items() if v is None)
            raise HTTPException(
                422,
                detail=f"field '{nulls[0]}' cannot be null: leave it out to keep it unchanged",
            )
        stored = service.update_proposal(
            actor,
            proposal_id,
            expected_version=current.version,
            changes=changes,
            now=request_now(request),
        )
        return _proposal_response(response, stored)

    @r.post(
        "/proposals/{proposal_id}/transitions",
        summary="Change a proposal's state (submit/withdraw: owner; review stages: officers)",
    )
    def transition(
        proposal_id: str,
        body: TransitionIn,
        request: Request,
        response: Response,
        user: Annotated[User, Depends(_proposal_readers)],
        if_match: Annotated[str | None, Header()] = None,
    ) -> JSON:
        actor = actor_of(user)
        current = service.read_proposal(actor, proposal_id)
        check_if_match(if_match, etag_for(current.version))
        stored = service.change_state(
            actor,
            proposal_id,
            body.to,
            why=body.why,
            expected_version=current.version,
            now=request_now(request),
        )
        return _proposal_response(response, stored)

    @r.get(
        "/proposals/{proposal_id}/audit",
        summary="Every state change of a proposal: who, when, from, to, why",
    )
    def audit(proposal_id: str, user: Annotated[User, Depends(_proposal_readers)]) -> JSON:
        return service.audit(actor_of(user), proposal_id)

    return r
