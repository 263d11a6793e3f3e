"""Portfolio selection for a call: the review scores, the envelope and the breadth rules, joined.

The pool
    The call's **shortlisted** proposals. When the call has none shortlisted yet, its
    **under-review** proposals instead (so an officer can see the portfolio before shortlisting);
    ``pool`` in the result says which. Proposals in any other state are not considered, and a
    proposal in the pool without any review is left out (it has no score); each of them still
    gets an explanation.

Scores and resources
    A candidate's score is its aggregate in :meth:`ReviewService.ranking` (severity-normalised,
    trimmed mean over :data:`~spacehome.services.reviews.DEFAULT_CRITERIA`, ``trim`` as there);
    its request is the proposal's resource request; the envelope is the call's. Countries are
    the team's (lead and partners), least developed countries are
    :func:`spacehome.record.ldc.least_developed_countries`.

No side effects
    Selecting changes no proposal state and stores nothing: the program officer applies the
    decisions through the proposal transitions endpoint (``POST /proposals/{id}/transitions``).
    Rules that no portfolio can meet raise :class:`~spacehome.errors.ValidationError` (422).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from spacehome.domain.program import Proposal, ProposalState
from spacehome.persistence.program_store import MAX_PAGE_SIZE
from spacehome.program.selection import (
    RESOURCES,
    BreadthRules,
    Candidate,
    Envelope,
    select_portfolio,
)
from spacehome.record.ldc import least_developed_countries
from spacehome.services.reviews import ReviewService

__all__ = ["NOT_CONSIDERED", "NO_REVIEWS", "CallSelection", "ProposalOutcome", "SelectionService"]

#: Kinds of explanation given here, besides those of :mod:`spacehome.program.selection`.
NOT_CONSIDERED: Final = "not-considered"
NO_REVIEWS: Final = "no-reviews"

Pool = Literal["shortlisted", "under_review"]


@dataclass(frozen=True)
class ProposalOutcome:
    """Why one proposal of the call was or was not selected."""

    proposal_id: str
    state: str
    score: float | None  # the aggregate review score; None when not a candidate
    selected: bool
    kind: str
    reason: str
    loss: float | None = None
    loss_at_least: float | None = None
    dropped: tuple[str, ...] = ()
    added: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallSelection:
    """The selection for a call; ``outcomes`` has every proposal of the call, oldest first."""

    call_id: str
    pool: Pool
    rules: BreadthRules
    status: str
    objective: float
    bound: float
    selected: tuple[str, ...]
    usage: Mapping[str, float]
    envelope: Mapping[str, float]
    countries: tuple[str, ...]
    ldc_proposals: int
    outcomes: tuple[ProposalOutcome, ...]


class SelectionService:
    """Selection over the review service's stores (reads only)."""

    def __init__(self, reviews: ReviewService) -> None:
        self.reviews = reviews

    @classmethod
    def open(cls, database_url: str | None = None) -> SelectionService:
        return cls(ReviewService.open(database_url))

    def _proposals(self, call_id: str) -> list[Proposal]:
        found: list[Proposal] = []
        offset = 0
        while True:
            page = self.reviews.program.list_proposals(
                call_id=call_id, limit=MAX_PAGE_SIZE, offset=offset
            )
            found += [s.proposal for s in page.items]
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return found

    def select(
        self,
        call_id: str,
        rules: BreadthRules,
        *,
        time_limit_s: float = 10.0,
        seed: int = 0,
        trim: int = 1,
    ) -> CallSelection:
        """Run :func:`select_portfolio` on the call's pool (see the module docstring)."""
        call = self.reviews.program.get_call(call_id)  # 404 for an unknown call
        proposals = self._proposals(call_id)
        shortlisted = any(p.state is ProposalState.SHORTLISTED for p in proposals)
        pool: Pool = "shortlisted" if shortlisted else "under_review"
        pool_state = ProposalState.SHORTLISTED if shortlisted else ProposalState.UNDER_REVIEW
        scores = {a.proposal_id: a.aggregate for a in self.reviews.ranking(call_id, trim=trim)}

        candidates: list[Candidate] = []
        outcomes: dict[str, ProposalOutcome] = {}
        for p in proposals:
            if p.state is not pool_state:
                why = (
                    f"not considered: the proposal is {p.state.value}; selection takes the "
                    f"call's {pool.replace('_', '-')} proposals"
                )
                outcomes[p.id] = ProposalOutcome(
                    p.id, p.state.value, None, False, NOT_CONSIDERED, why
                )
            elif p.id not in scores:
                why = "left out: the proposal has no reviews, so it has no score"
                outcomes[p.id] = ProposalOutcome(p.id, p.state.value, None, False, NO_REVIEWS, why)
            else:
                candidates.append(
                    Candidate(
                        id=p.id,
                        score=scores[p.id],
                        countries=p.team.countries,
                        lead_country=p.team.lead.country,
                        request={k: v for k, v in p.request.amounts().items() if v},
                    )
                )
        envelope = call.envelope.amounts()
        result = select_portfolio(
            candidates,
            Envelope(**{r: envelope.get(r, 0.0) for r in RESOURCES}),
            rules,
            least_developed_countries(),
            time_limit_s=time_limit_s,
            seed=seed,
        )
        states = {p.id: p.state.value for p in proposals}
        for c, e in zip(candidates, result.explanations, strict=True):
            outcomes[c.id] = ProposalOutcome(
                c.id,
                states[c.id],
                c.score,
                e.selected,
                e.kind,
                e.reason,
                e.loss,
                e.loss_at_least,
                e.dropped,
                e.added,
            )
        return CallSelection(
            call_id=call_id,
            pool=pool,
            rules=rules,
            status=result.status,
            objective=result.objective,
            bound=result.bound,
            selected=result.selected,
            usage=dict(result.usage),
            envelope={r: envelope.get(r, 0.0) for r in RESOURCES},
            countries=result.countries,
            ldc_proposals=result.ldc_proposals,
            outcomes=tuple(outcomes[p.id] for p in proposals),
        )
