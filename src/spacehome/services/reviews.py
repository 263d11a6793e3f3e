"""The review workflow: the reviewer pool, conflict-free assignment, scoring, visibility, ranking.

The rules are the domain's (:mod:`spacehome.domain.program_review`): conflicts of interest
(:func:`~spacehome.domain.program_review.conflicts`), the weighted total and its aggregation
(severity normalisation, trimmed mean), who may see a review
(:func:`~spacehome.domain.program_review.may_see_review`) and the double-anonymous view
(:func:`~spacehome.domain.program_review.redact_for_reviewer`). Assignment is
:func:`spacehome.program.assignment.assign_reviewers` (CP-SAT), which applies the same conflict
rule. This module joins them to the stores.

Criteria
    The repository states no criteria of its own, so the program uses :data:`DEFAULT_CRITERIA`:
    scientific merit (weight 0.4), feasibility on the station (0.3), international cooperation
    (0.2), outreach (0.1), each scored 1 to 5. A review must score each of them, within the scale.

Who sees what
    * A reviewer sees, and may score, only the proposals assigned to them **and** on which they
      have no conflict of interest (a conflict declared after the assignment counts). Any other
      proposal is answered as not found (404), never as forbidden, so that a reviewer learns
      nothing about proposals outside their assignment.
    * Scores are written only while the call is at the individual stage; a reviewer reads
      other reviewers' reviews only from the panel stage on (the domain's rule).
    * When the call is double-anonymous (a per-call setting, :class:`ReviewSettings`), a
      reviewer's view of a proposal has no team and no countries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from spacehome.domain.program import Proposal, ProposalState, Role
from spacehome.domain.program_review import (
    Criterion,
    ProposalAggregate,
    ProposalView,
    Review,
    Reviewer,
    ReviewStage,
    aggregate,
    check_no_conflict,
    conflicts,
    may_see_review,
    ranking,
    redact_for_reviewer,
    weighted_total,
)
from spacehome.errors import ConflictError, NotFoundError
from spacehome.persistence.engine import open_database
from spacehome.persistence.program_store import MAX_PAGE_SIZE, ProgramStore
from spacehome.persistence.review_store import ReviewSettings, ReviewStore, StoredReview
from spacehome.program import assignment

#: The program's review criteria (weights sum to 1; every criterion is scored 1 to 5).
DEFAULT_CRITERIA: Final = (
    Criterion("scientific merit", 0.4),
    Criterion("feasibility on the station", 0.3),
    Criterion("international cooperation", 0.2),
    Criterion("outreach", 0.1),
)

#: The proposal states that take part in review (assignment and ranking).
REVIEWED_STATES: Final = frozenset({ProposalState.SUBMITTED, ProposalState.UNDER_REVIEW})

__all__ = [
    "DEFAULT_CRITERIA",
    "REVIEWED_STATES",
    "AssignmentResult",
    "ReviewService",
    "ReviewSettings",
    "StoredReview",
]


@dataclass(frozen=True)
class AssignmentResult:
    """The stored assignment of a call: proposal id -> reviewer ids, loads, solver status."""

    call_id: str
    reviewers: Mapping[str, tuple[str, ...]]
    load: Mapping[str, int]
    status: str


class ReviewService:
    """The review workflow over one database."""

    def __init__(
        self,
        program: ProgramStore,
        reviews: ReviewStore,
        criteria: Sequence[Criterion] = DEFAULT_CRITERIA,
    ) -> None:
        self.program = program
        self.reviews = reviews
        self.criteria = tuple(criteria)

    @classmethod
    def open(cls, database_url: str | None = None) -> ReviewService:
        """The service on the project database (created and migrated on first use)."""
        engine = open_database(database_url)
        return cls(ProgramStore(engine), ReviewStore(engine))

    # --- the pool -------------------------------------------------------------------------------

    def add_reviewer(
        self,
        user_id: str,
        *,
        institution: str,
        country: str,
        name: str | None = None,
        declared_proposals: Sequence[str] = (),
        declared_institutions: Sequence[str] = (),
    ) -> Reviewer:
        """Create the profile of an existing reviewer account (its name defaults to the username)."""
        account = self.program.get_user_by_id(user_id)
        if account is None:
            raise NotFoundError(f"no user with id {user_id!r}: create the reviewer account first")
        reviewer = Reviewer(
            id=user_id,
            name=(name or "").strip() or account.username,
            institution=" ".join(institution.split()),
            country=country,
            declared_proposals=frozenset(p.strip() for p in declared_proposals if p.strip()),
            declared_institutions=frozenset(
                " ".join(i.split()) for i in declared_institutions if i.strip()
            ),
        )
        return self.reviews.add_reviewer(reviewer)

    def reviewer(self, reviewer_id: str) -> Reviewer:
        found = self.reviews.get_reviewer(reviewer_id)
        if found is None:
            raise NotFoundError(
                f"account {reviewer_id!r} has no reviewer profile: a program officer creates it"
            )
        return found

    def declare_conflicts(
        self, reviewer_id: str, *, proposals: Sequence[str] = (), institutions: Sequence[str] = ()
    ) -> Reviewer:
        """Add conflicts to a reviewer's own profile (declared conflicts are never removed)."""
        return self.reviews.declare_conflicts(
            reviewer_id,
            proposals=[p for p in proposals if p.strip()],
            institutions=[i for i in institutions if i.strip()],
        )

    # --- settings -------------------------------------------------------------------------------

    def settings(self, call_id: str) -> ReviewSettings:
        return self.reviews.get_settings(call_id)

    def set_settings(
        self, call_id: str, *, double_anonymous: bool, stage: ReviewStage
    ) -> ReviewSettings:
        return self.reviews.set_settings(ReviewSettings(call_id, double_anonymous, stage))

    # --- assignment -----------------------------------------------------------------------------

    def assign(
        self,
        call_id: str,
        *,
        now: datetime,
        per_proposal: int = 3,
        capacity: int | None = None,
        time_limit_s: float = 10.0,
    ) -> AssignmentResult:
        """Assign ``per_proposal`` reviewers without a conflict of interest to every submitted or
        under-review proposal of the call, load balanced, and store the result (replacing the
        call's earlier assignment, which is refused once reviews exist).

        ``capacity`` bounds each reviewer's load (default: no bound beyond the number of
        proposals; the solver still spreads the load as evenly as it can).
        """
        self.program.get_call(call_id)
        proposals = self._reviewed_proposals(call_id)
        pool = self.reviews.list_reviewers()
        limit = len(proposals) if capacity is None else capacity
        result = assignment.assign_reviewers(
            [
                assignment.Reviewer(
                    id=r.id,
                    institution=r.institution,
                    country=r.country,
                    declared_conflicts=tuple(
                        sorted(r.declared_proposals | r.declared_institutions)
                    ),
                    capacity=limit,
                )
                for r in pool
            ],
            [
                assignment.Proposal(
                    id=p.id,
                    institutions=tuple(m.name for m in p.team.institutions),
                    countries=p.team.countries,
                )
                for p in proposals
            ],
            per_proposal=per_proposal,
            time_limit_s=time_limit_s,
        )
        by_id = {r.id: r for r in pool}
        for proposal in proposals:  # the domain's rule, once more, before anything is stored
            for reviewer_id in result.reviewers[proposal.id]:
                check_no_conflict(by_id[reviewer_id], proposal)
        stored = self.reviews.replace_assignments(call_id, result.reviewers, now=now)
        return AssignmentResult(call_id, stored, dict(result.load), result.status)

    def _reviewed_proposals(self, call_id: str) -> list[Proposal]:
        found: list[Proposal] = []
        offset = 0
        while True:
            page = self.program.list_proposals(call_id=call_id, limit=MAX_PAGE_SIZE, offset=offset)
            found += [s.proposal for s in page.items if s.proposal.state in REVIEWED_STATES]
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return found

    # --- a reviewer's work ----------------------------------------------------------------------

    def assigned_to(self, reviewer_id: str) -> list[ProposalView]:
        """The proposals assigned to the reviewer and not conflicted, as the reviewer sees them."""
        reviewer = self.reviewer(reviewer_id)
        views: list[ProposalView] = []
        anonymous: dict[str, bool] = {}
        for proposal_id in self.reviews.assignments_of_reviewer(reviewer_id):
            proposal = self.program.get_proposal(proposal_id).proposal
            if conflicts(reviewer, proposal):
                continue
            if proposal.call_id not in anonymous:
                anonymous[proposal.call_id] = self.settings(proposal.call_id).double_anonymous
            views.append(
                redact_for_reviewer(ProposalView.of(proposal), anonymous[proposal.call_id])
            )
        return views

    def _reviewable(self, reviewer_id: str, proposal_id: str) -> Proposal:
        """The proposal, if assigned to the reviewer without conflict; else not found (404)."""
        hidden = NotFoundError(
            f"proposal {proposal_id!r} is not among the proposals assigned to you for review"
        )
        reviewer = self.reviews.get_reviewer(reviewer_id)
        if reviewer is None or not self.reviews.is_assigned(proposal_id, reviewer_id):
            raise hidden
        proposal = self.program.get_proposal(proposal_id).proposal
        if conflicts(reviewer, proposal):
            raise hidden
        return proposal

    def submit_review(
        self,
        reviewer_id: str,
        proposal_id: str,
        scores: Mapping[str, float],
        comment: str,
        *,
        now: datetime,
    ) -> StoredReview:
        """Write (or rewrite) the reviewer's review; only while the call is at the individual
        stage, only for an assigned, unconflicted proposal, every criterion scored within scale."""
        proposal = self._reviewable(reviewer_id, proposal_id)
        stage = self.settings(proposal.call_id).stage
        if stage is not ReviewStage.INDIVIDUAL:
            raise ConflictError(
                f"call {proposal.call_id!r} is at the {stage.value} stage: reviews can be "
                "written only at the individual stage"
            )
        review = Review.of(reviewer_id, proposal_id, scores, comment.strip())
        weighted_total(review, self.criteria)  # every criterion, within its scale
        return self.reviews.put_review(review, now=now)

    def visible_reviews(self, viewer_id: str, role: Role, proposal_id: str) -> list[StoredReview]:
        """The proposal's reviews the viewer may read (:func:`may_see_review`).

        Officers and admins: all. Reviewers: only for a proposal assigned to them without
        conflict (else 404); their own review, and the others' from the panel stage on.
        Anyone else: none.
        """
        if role is Role.REVIEWER:
            proposal = self._reviewable(viewer_id, proposal_id)
        else:
            proposal = self.program.get_proposal(proposal_id).proposal
        stage = self.settings(proposal.call_id).stage
        return [
            stored
            for stored in self.reviews.reviews_of_proposal(proposal_id)
            if may_see_review(role, viewer_id, stored.review, stage)
        ]

    # --- ranking --------------------------------------------------------------------------------

    def ranking(self, call_id: str, *, trim: int = 1) -> tuple[ProposalAggregate, ...]:
        """The call's reviewed proposals, best first: :func:`aggregate` over all the call's reviews
        with :data:`DEFAULT_CRITERIA`, then :func:`ranking`."""
        reviews = [stored.review for stored in self.reviews.reviews_of_call(call_id)]
        return ranking(aggregate(reviews, self.criteria, trim=trim))
