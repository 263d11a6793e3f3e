"""Read models of the dashboard's Program page: a reviewer's desk and a call's review board.

Both join what the review workflow (:mod:`spacehome.services.reviews`) already stores, so the page
needs one request instead of one per proposal; they change nothing and apply the same visibility
rules as the review endpoints:

* :func:`reviewer_desk` — the proposals assigned to the reviewer **without** a conflict of
  interest (redacted when the call is double-anonymous), each with the call's review stage and the
  reviewer's own review if written; plus the criteria and their scale.
* :func:`review_board` — for program officers: every proposal of a call with its state, assigned
  reviewers, each review's per-criterion scores, the per-criterion means and the ranking (the
  same aggregate as ``GET /calls/{id}/ranking``).

Views are JSON-ready dicts (times ISO 8601 with ``Z``).
"""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean
from typing import Any

from spacehome.domain.instant import format_utc
from spacehome.domain.program import Proposal, ProposalState, Role
from spacehome.domain.program_review import ProposalView, Review, ReviewStage, may_see_review
from spacehome.persistence.program_store import MAX_PAGE_SIZE
from spacehome.services.reviews import ReviewService, StoredReview

JSON = dict[str, Any]

__all__ = ["criteria_view", "review_board", "reviewer_desk"]


def criteria_view(service: ReviewService) -> list[JSON]:
    """The review criteria: name, weight and the score scale (``low`` to ``high``)."""
    return [
        {"name": c.name, "weight": c.weight, "low": c.low, "high": c.high} for c in service.criteria
    ]


def _resources(view_request: Any) -> dict[str, float]:
    amounts: dict[str, float] = view_request.amounts()
    return amounts


def _proposal_for_reviewer(view: ProposalView) -> JSON:
    team = None
    if view.team is not None:
        team = [{"name": m.name, "country": m.country} for m in view.team.institutions]
    return {
        "id": view.id,
        "call_id": view.call_id,
        "title": view.title,
        "discipline": view.discipline,
        "modality": view.modality.value,
        "abstract": view.abstract,
        "request": _resources(view.request),
        "team": team,
        "countries": list(view.countries),
        "anonymised": view.anonymised,
    }


def _review(stored: StoredReview) -> JSON:
    review: Review = stored.review
    return {
        "reviewer_id": review.reviewer_id,
        "scores": dict(review.scores),
        "comment": review.comment,
        "submitted_at": format_utc(stored.submitted_at),
    }


def reviewer_desk(service: ReviewService, reviewer_id: str) -> JSON:
    """A reviewer's assigned, unconflicted proposals with their own reviews (see module doc).

    ``profile`` is false when no program officer has created the reviewer's profile yet (then no
    proposal can have been assigned)."""
    profile = service.reviews.get_reviewer(reviewer_id)
    items: list[JSON] = []
    if profile is not None:
        for view in service.assigned_to(reviewer_id):
            settings = service.settings(view.call_id)
            mine = [
                s
                for s in service.reviews.reviews_of_proposal(view.id)
                if s.review.reviewer_id == reviewer_id
                and may_see_review(Role.REVIEWER, reviewer_id, s.review, settings.stage)
            ]
            items.append(
                {
                    "proposal": _proposal_for_reviewer(view),
                    "stage": settings.stage.value,
                    "may_write": settings.stage is ReviewStage.INDIVIDUAL,
                    "review": _review(mine[0]) if mine else None,
                }
            )
    return {
        "profile": profile is not None,
        "reviewer_id": reviewer_id,
        "criteria": criteria_view(service),
        "items": items,
    }


def _call_proposals(service: ReviewService, call_id: str) -> list[Proposal]:
    found: list[Proposal] = []
    offset = 0
    while True:
        page = service.program.list_proposals(call_id=call_id, limit=MAX_PAGE_SIZE, offset=offset)
        found += [s.proposal for s in page.items]
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return found


def review_board(service: ReviewService, call_id: str, *, trim: int = 1) -> JSON:
    """Every proposal of the call with its reviews, per-criterion means and rank (officers).

    Rows come ranked first (best first), then the proposals without a score in the order they
    were created; drafts are listed too (state ``draft``) so the officer sees the whole call."""
    service.program.get_call(call_id)  # NotFoundError (404) for an unknown call
    settings = service.settings(call_id)
    proposals = _call_proposals(service, call_id)
    assigned = service.reviews.assignments_of_call(call_id)
    ranked = {
        a.proposal_id: (rank, a) for rank, a in enumerate(service.ranking(call_id, trim=trim), 1)
    }
    names: dict[str, str] = {}

    def name_of(reviewer_id: str) -> str:
        if reviewer_id not in names:
            found = service.reviews.get_reviewer(reviewer_id)
            names[reviewer_id] = found.name if found is not None else reviewer_id
        return names[reviewer_id]

    by_proposal: dict[str, list[StoredReview]] = defaultdict(list)
    for stored in service.reviews.reviews_of_call(call_id):
        if may_see_review(Role.PROGRAM_OFFICER, "", stored.review, settings.stage):
            by_proposal[stored.review.proposal_id].append(stored)

    rows: list[JSON] = []
    for p in proposals:
        written = by_proposal.get(p.id, [])
        per_criterion: dict[str, list[float]] = defaultdict(list)
        for stored in written:
            for criterion, score in stored.review.scores:
                per_criterion[criterion].append(score)
        place = ranked.get(p.id)
        scored = {s.reviewer_id: s for s in place[1].reviews} if place else {}
        dropped = set(place[1].trimmed) if place else set()
        rows.append(
            {
                "proposal_id": p.id,
                "title": p.title,
                "state": p.state.value,
                "lead": {"name": p.team.lead.name, "country": p.team.lead.country},
                "countries": list(p.team.countries),
                "request": _resources(p.request),
                "reviewers": [{"id": rid, "name": name_of(rid)} for rid in assigned.get(p.id, ())],
                "rank": place[0] if place else None,
                "aggregate": place[1].aggregate if place else None,
                "raw_mean": place[1].raw_mean if place else None,
                "criteria_means": {
                    c.name: fmean(per_criterion[c.name]) if per_criterion[c.name] else None
                    for c in service.criteria
                },
                "reviews": [
                    {
                        **_review(stored),
                        "reviewer_name": name_of(stored.review.reviewer_id),
                        "total": scored[stored.review.reviewer_id].total
                        if stored.review.reviewer_id in scored
                        else None,
                        "adjusted": scored[stored.review.reviewer_id].adjusted
                        if stored.review.reviewer_id in scored
                        else None,
                        "trimmed": stored.review.reviewer_id in dropped,
                    }
                    for stored in sorted(written, key=lambda s: s.review.reviewer_id)
                ],
            }
        )
    order = {p.id: i for i, p in enumerate(proposals)}
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, order[r["proposal_id"]]))
    return {
        "call_id": call_id,
        "stage": settings.stage.value,
        "double_anonymous": settings.double_anonymous,
        "trim": trim,
        "criteria": criteria_view(service),
        "submitted": sum(p.state is ProposalState.SUBMITTED for p in proposals),
        "items": rows,
    }
