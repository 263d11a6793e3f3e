"""The cooperation program's review rules: conflicts of interest, scoring, aggregation, visibility.

Standard library only, deterministic (no clocks, no randomness; ties broken by ids).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from spacehome.errors import ConflictError, ValidationError

from .program import (
    Modality,
    Proposal,
    ResourceRequest,
    Role,
    Team,
    country_code,
    institution_key,
)

# ---------------------------------------------------------------------------------------------
# Conflicts of interest
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewer:
    """A member of the reviewer pool, with the conflicts they declared themselves.

    ``declared_proposals`` are proposal ids; ``declared_institutions`` are institution names
    (compared case-insensitively, whitespace collapsed).
    """

    id: str
    name: str
    institution: str
    country: str
    declared_proposals: frozenset[str] = frozenset()
    declared_institutions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValidationError("a reviewer has an empty id: give the reviewer account's id")
        if not self.institution.strip():
            raise ValidationError(
                f"reviewer {self.id!r} has no institution: give it, conflicts are checked against it"
            )
        object.__setattr__(
            self, "country", country_code(self.country, f"reviewer {self.id!r} country")
        )
        object.__setattr__(self, "declared_proposals", frozenset(self.declared_proposals))
        object.__setattr__(self, "declared_institutions", frozenset(self.declared_institutions))


def conflicts(reviewer: Reviewer, proposal: Proposal) -> tuple[str, ...]:
    """Why ``reviewer`` may not review ``proposal``; the empty tuple means no conflict.

    Reasons, in this order: the reviewer's institution is one of the proposing institutions; the
    reviewer's country is one of the proposing countries; the reviewer declared the proposal; the
    reviewer declared one of the proposing institutions (one reason per institution, in team order).
    """
    team: Team = proposal.team
    return conflict_reasons(
        institution=reviewer.institution,
        country=reviewer.country,
        declared_proposals=reviewer.declared_proposals,
        declared_institutions=reviewer.declared_institutions,
        proposal_id=proposal.id,
        institutions=tuple(member.name for member in team.institutions),
        countries=tuple(team.countries),
    )


def conflict_reasons(
    *,
    institution: str,
    country: str,
    declared_proposals: Iterable[str],
    declared_institutions: Iterable[str],
    proposal_id: str,
    institutions: Sequence[str],
    countries: Iterable[str],
) -> tuple[str, ...]:
    """The conflict-of-interest rule on plain values (the one rule for review and assignment).

    Institutions compare by :func:`institution_key` (case and spacing ignored), countries as
    upper-case ISO codes.
    """
    reasons: list[str] = []
    own = institution_key(institution)
    for name in institutions:
        if institution_key(name) == own:
            reasons.append(f"same institution as proposer {name!r}")
    code = country.strip().upper()
    if code in {c.strip().upper() for c in countries}:
        reasons.append(f"same country as a proposer ({code})")
    if proposal_id in set(declared_proposals):
        reasons.append(f"declared a conflict with proposal {proposal_id!r}")
    declared = {institution_key(name) for name in declared_institutions}
    for name in institutions:
        if institution_key(name) in declared:
            reasons.append(f"declared a conflict with institution {name!r}")
    return tuple(reasons)


def check_no_conflict(reviewer: Reviewer, proposal: Proposal) -> None:
    """Refuse assigning ``reviewer`` to ``proposal`` when :func:`conflicts` finds any reason."""
    reasons = conflicts(reviewer, proposal)
    if reasons:
        raise ConflictError(
            f"reviewer {reviewer.id!r} cannot review proposal {proposal.id!r} "
            f"({'; '.join(reasons)}): assign another reviewer"
        )


# ---------------------------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """A stated review criterion: scores run from ``low`` to ``high``; ``weight`` is positive."""

    name: str
    weight: float
    low: float = 1.0
    high: float = 5.0

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValidationError("a criterion has an empty name: name it, e.g. 'scientific merit'")
        for label, value in (("weight", self.weight), ("low", self.low), ("high", self.high)):
            if not math.isfinite(value):
                raise ValidationError(
                    f"criterion {self.name!r} {label} is {value!r}: give a finite number"
                )
        if self.weight <= 0:
            raise ValidationError(
                f"criterion {self.name!r} has weight {self.weight:g}: give a positive weight"
            )
        if self.high <= self.low:
            raise ValidationError(
                f"criterion {self.name!r} scale {self.low:g}-{self.high:g} is empty: make high above low"
            )


@dataclass(frozen=True)
class Review:
    """One reviewer's scores for one proposal: ``scores`` pairs criterion names with scores,
    sorted by name (build it with :meth:`of`)."""

    reviewer_id: str
    proposal_id: str
    scores: tuple[tuple[str, float], ...]
    comment: str = ""

    @classmethod
    def of(
        cls, reviewer_id: str, proposal_id: str, scores: Mapping[str, float], comment: str = ""
    ) -> Review:
        return cls(reviewer_id, proposal_id, tuple(sorted(scores.items())), comment)

    def score(self, criterion: str) -> float:
        for name, value in self.scores:
            if name == criterion:
                return value
        raise ValidationError(
            f"review by {self.reviewer_id!r} of {self.proposal_id!r} has no score for "
            f"{criterion!r}: score every criterion"
        )


def _check_criteria(criteria: Sequence[Criterion]) -> None:
    if not criteria:
        raise ValidationError("no review criteria given: state at least one criterion")
    names = [c.name for c in criteria]
    for name in names:
        if names.count(name) > 1:
            raise ValidationError(f"criterion {name!r} is stated twice: state each criterion once")


def weighted_total(review: Review, criteria: Sequence[Criterion]) -> float:
    """A review's weighted total, a fraction of the best possible, in [0, 1].

    ``T = Σ_c w_c · (s_c − low_c) / (high_c − low_c) / Σ_c w_c``: each score is mapped onto [0, 1]
    by its criterion's scale, then averaged with the criteria weights. Every criterion must be
    scored, within its scale, and no other name may appear.
    """
    _check_criteria(criteria)
    stated = {c.name for c in criteria}
    where = f"review by {review.reviewer_id!r} of {review.proposal_id!r}"
    for name, _ in review.scores:
        if name not in stated:
            known = ", ".join(repr(c.name) for c in criteria)
            raise ValidationError(f"{where} scores unknown criterion {name!r}: use {known}")
    numerator: list[float] = []
    for criterion in criteria:
        value = review.score(criterion.name)
        if (
            isinstance(value, bool)
            or not math.isfinite(value)
            or not criterion.low <= value <= criterion.high
        ):
            raise ValidationError(
                f"{where} gives {criterion.name!r} {value!r}: score it from "
                f"{criterion.low:g} to {criterion.high:g}"
            )
        unit = (value - criterion.low) / (criterion.high - criterion.low)
        numerator.append(criterion.weight * unit)
    return math.fsum(numerator) / math.fsum(c.weight for c in criteria)


@dataclass(frozen=True)
class ScoredReview:
    """One review inside an aggregate: its weighted total, its severity-adjusted score, and
    whether the adjustment applied (``False``: the reviewer's raw total was used)."""

    reviewer_id: str
    proposal_id: str
    total: float
    adjusted: float
    normalised: bool


@dataclass(frozen=True)
class ProposalAggregate:
    """A proposal's aggregate score.

    ``aggregate`` is the (trimmed) mean of the adjusted scores, ``count`` the number of reviews,
    ``raw_mean`` the plain mean of the weighted totals of all its reviews, ``trimmed`` the ids of
    the reviewers whose reviews were dropped (lowest first, then highest), ``reviews`` every review
    in reviewer-id order.
    """

    proposal_id: str
    aggregate: float
    count: int
    raw_mean: float
    trimmed: tuple[str, ...]
    reviews: tuple[ScoredReview, ...]


def aggregate(
    reviews: Iterable[Review], criteria: Sequence[Criterion], *, trim: int = 1
) -> dict[str, ProposalAggregate]:
    """Aggregate reviews per proposal, normalising reviewer severity and trimming outliers.

    1. Weighted total ``T`` of every review (see :func:`weighted_total`), in [0, 1].
    2. Pooled mean ``μ`` and population standard deviation ``σ`` of all the totals given.
    3. Per reviewer ``ρ``: mean ``μ_ρ`` and population standard deviation ``σ_ρ`` of their totals
       over all the proposals they reviewed here. When they reviewed at least 2 proposals and
       ``σ_ρ > 0``, each of their reviews is adjusted to ``A = μ + σ · (T − μ_ρ) / σ_ρ`` (their
       z-score, put back on the pooled scale so it can be averaged with raw totals); otherwise
       ``A = T`` (too few reviews, or no spread, to judge their severity).
    4. Per proposal with ``n`` reviews: sort ``A`` ascending (ties by reviewer id); when
       ``trim > 0`` and ``n >= 2·trim + 2`` (at least 4 for the default ``trim=1``) drop the
       ``trim`` lowest and ``trim`` highest; ``aggregate`` is the mean of the rest.

    Returns one :class:`ProposalAggregate` per reviewed proposal, keyed and ordered by proposal
    id. A reviewer reviewing the same proposal twice is refused.
    """
    if isinstance(trim, bool) or not isinstance(trim, int) or trim < 0:
        raise ValidationError(f"trim is {trim!r}: give a whole number of reviews, 0 or more")
    given = tuple(reviews)
    seen: set[tuple[str, str]] = set()
    for review in given:
        key = (review.reviewer_id, review.proposal_id)
        if key in seen:
            raise ValidationError(
                f"reviewer {review.reviewer_id!r} reviewed proposal {review.proposal_id!r} twice: "
                "keep one review per reviewer and proposal"
            )
        seen.add(key)
    totals = [weighted_total(review, criteria) for review in given]
    if not given:
        return {}
    pooled_mean = statistics.fmean(totals)
    pooled_sd = statistics.pstdev(totals)

    by_reviewer: dict[str, list[float]] = {}
    for review, total in zip(given, totals, strict=True):
        by_reviewer.setdefault(review.reviewer_id, []).append(total)
    severity: dict[str, tuple[float, float] | None] = {}
    for reviewer_id, own in by_reviewer.items():
        spread = statistics.pstdev(own) if len(own) >= 2 else 0.0
        severity[reviewer_id] = (statistics.fmean(own), spread) if spread > 0 else None

    by_proposal: dict[str, list[ScoredReview]] = {}
    for review, total in zip(given, totals, strict=True):
        stats = severity[review.reviewer_id]
        if stats is None:
            adjusted, normalised = total, False
        else:
            mean, spread = stats
            adjusted, normalised = pooled_mean + pooled_sd * (total - mean) / spread, True
        by_proposal.setdefault(review.proposal_id, []).append(
            ScoredReview(review.reviewer_id, review.proposal_id, total, adjusted, normalised)
        )

    result: dict[str, ProposalAggregate] = {}
    for proposal_id in sorted(by_proposal):
        scored = sorted(by_proposal[proposal_id], key=lambda s: s.reviewer_id)
        ordered = sorted(scored, key=lambda s: (s.adjusted, s.reviewer_id))
        n = len(ordered)
        if trim > 0 and n >= 2 * trim + 2:
            kept = ordered[trim : n - trim]
            dropped = ordered[:trim] + ordered[n - trim :]
        else:
            kept, dropped = ordered, []
        result[proposal_id] = ProposalAggregate(
            proposal_id=proposal_id,
            aggregate=statistics.fmean(s.adjusted for s in kept),
            count=n,
            raw_mean=statistics.fmean(s.total for s in scored),
            trimmed=tuple(s.reviewer_id for s in dropped),
            reviews=tuple(scored),
        )
    return result


def ranking(aggregates: Mapping[str, ProposalAggregate]) -> tuple[ProposalAggregate, ...]:
    """Best first: by aggregate descending, then by proposal id."""
    return tuple(sorted(aggregates.values(), key=lambda a: (-a.aggregate, a.proposal_id)))


# ---------------------------------------------------------------------------------------------
# Visibility
# ---------------------------------------------------------------------------------------------


class ReviewStage(Enum):
    """Where a call's review stands: reviewers scoring alone, the panel meeting, decided."""

    INDIVIDUAL = "individual"
    PANEL = "panel"
    DECIDED = "decided"


def may_see_review(
    viewer_role: Role,
    viewer_id: str,
    review: Review,
    stage: ReviewStage,
    *,
    viewer_conflicted: bool = False,
) -> bool:
    """Whether a viewer may read a review (its scores and comment).

    * program officers and admins: every review, at every stage;
    * reviewers: their own review always; other reviewers' reviews only from the panel stage on,
      and never for a proposal they are conflicted on (``viewer_conflicted``);
    * partners: none. The choice made here is that partners never read reviews, even anonymised:
      they learn the decision and its stated reason (the audit entry's ``why``), nothing else;
    * public and planners: none.
    """
    if viewer_role in (Role.PROGRAM_OFFICER, Role.ADMIN):
        return True
    if viewer_role is Role.REVIEWER:
        if viewer_id and review.reviewer_id == viewer_id:
            return True
        return stage is not ReviewStage.INDIVIDUAL and not viewer_conflicted
    return False


@dataclass(frozen=True)
class ProposalView:
    """What a reviewer is shown of a proposal. ``team`` and ``countries`` are empty when the view
    is anonymised (double-anonymous review). The owning partner account is never shown."""

    id: str
    call_id: str
    title: str
    discipline: str
    modality: Modality
    abstract: str
    request: ResourceRequest
    team: Team | None
    countries: tuple[str, ...]
    anonymised: bool = False

    @classmethod
    def of(cls, proposal: Proposal) -> ProposalView:
        return cls(
            id=proposal.id,
            call_id=proposal.call_id,
            title=proposal.title,
            discipline=proposal.discipline,
            modality=proposal.modality,
            abstract=proposal.abstract,
            request=proposal.request,
            team=proposal.team,
            countries=proposal.team.countries,
        )


def redact_for_reviewer(view: ProposalView, double_anonymous: bool) -> ProposalView:
    """The view a reviewer gets: unchanged in single-anonymous mode; in double-anonymous mode the
    team (institution names) and the countries are removed. Free text (title, abstract) is kept
    as written; the call's instructions must ask proposers not to name themselves in it."""
    if not double_anonymous:
        return view
    return ProposalView(
        id=view.id,
        call_id=view.call_id,
        title=view.title,
        discipline=view.discipline,
        modality=view.modality,
        abstract=view.abstract,
        request=view.request,
        team=None,
        countries=(),
        anonymised=True,
    )
