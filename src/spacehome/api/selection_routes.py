"""Selection endpoint: the portfolio of highest total review score within a call's envelope.

=============================================  ==========================  =======================
``POST /calls/{id}/selection``                 program_officer, admin      compute, store nothing
=============================================  ==========================  =======================

The pool is the call's shortlisted proposals, or its under-review ones when none is shortlisted
yet (``pool`` in the answer says which); see :mod:`spacehome.services.selection`. The answer
changes no proposal state: the officer applies the decisions through
``POST /proposals/{id}/transitions``. Breadth rules that no portfolio can meet: 422. Anonymous
callers get 401, other roles 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from spacehome.api import problems
from spacehome.api.security import User, require_roles
from spacehome.domain.program import Role
from spacehome.program.selection import BreadthRules
from spacehome.services.selection import CallSelection, SelectionService

Officer = Annotated[User, Depends(require_roles(Role.PROGRAM_OFFICER, Role.ADMIN))]


class SelectionIn(BaseModel):
    min_countries: int = Field(
        default=0, ge=0, le=1000, description="Least number of countries (lead or partner)."
    )
    ldc_min_share: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Least share of the selected proposals led by or including a least "
        "developed country.",
    )
    time_limit_s: float = Field(default=10.0, gt=0.0, le=30.0, description="Solver time limit, seconds (at most 30: the request holds a worker).")


class UsageOut(BaseModel):
    used: float
    envelope: float


class OutcomeOut(BaseModel):
    proposal_id: str
    state: str
    score: float | None = Field(description="Aggregate review score; null when not a candidate.")
    selected: bool
    kind: str = Field(
        description="selected, does-not-fit, excluded, tied, incompatible, undecided, "
        "not-considered (not in the pool) or no-reviews."
    )
    reason: str
    loss: float | None = None
    loss_at_least: float | None = None
    dropped: list[str]
    added: list[str]


class SelectionOut(BaseModel):
    call_id: str
    pool: str = Field(description="shortlisted, or under_review when none is shortlisted.")
    min_countries: int
    ldc_min_share: float
    status: str = Field(description="OPTIMAL, FEASIBLE or UNKNOWN.")
    objective: float
    bound: float
    selected: list[str]
    usage: dict[str, UsageOut]
    countries: list[str]
    ldc_proposals: int
    proposals: list[OutcomeOut] = Field(description="Every proposal of the call, oldest first.")
    applied: bool = Field(default=False, description="Always false: no proposal state was changed.")


def _out(s: CallSelection) -> SelectionOut:
    return SelectionOut(
        call_id=s.call_id,
        pool=s.pool,
        min_countries=s.rules.min_countries,
        ldc_min_share=s.rules.ldc_min_share,
        status=s.status,
        objective=s.objective,
        bound=s.bound,
        selected=list(s.selected),
        usage={r: UsageOut(used=s.usage[r], envelope=s.envelope[r]) for r in s.envelope},
        countries=list(s.countries),
        ldc_proposals=s.ldc_proposals,
        proposals=[
            OutcomeOut(
                proposal_id=o.proposal_id,
                state=o.state,
                score=o.score,
                selected=o.selected,
                kind=o.kind,
                reason=o.reason,
                loss=o.loss,
                loss_at_least=o.loss_at_least,
                dropped=list(o.dropped),
                added=list(o.added),
            )
            for o in s.outcomes
        ],
    )


def router(database_url: str | None) -> APIRouter:
    """The selection endpoint on the database at ``database_url`` (include under ``/api/v1``)."""
    r = APIRouter(tags=["program selection"], responses=problems.PROBLEM_RESPONSES)
    service: list[SelectionService] = []

    def selection() -> SelectionService:
        if not service:  # opened (and migrated) on first use, then shared
            service.append(SelectionService.open(database_url))
        return service[0]

    @r.post("/calls/{call_id}/selection", summary="Choose the call's portfolio (changes nothing)")
    def select(call_id: str, body: SelectionIn, user: Officer) -> SelectionOut:
        """The shortlisted (else under-review) proposals with review scores, chosen to maximise
        the total score within the call's envelope and the breadth rules (CP-SAT, exact), with an
        explanation for every proposal of the call. No state changes: apply the decisions
        through the transitions endpoint. 422 when the rules cannot be met."""
        rules = BreadthRules(min_countries=body.min_countries, ldc_min_share=body.ldc_min_share)
        return _out(selection().select(call_id, rules, time_limit_s=body.time_limit_s))

    return r
