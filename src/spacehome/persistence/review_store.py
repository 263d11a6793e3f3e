"""The review workflow in the database: the reviewer pool, assignments, reviews, call settings.

:class:`ReviewStore` holds domain values (:class:`~spacehome.domain.program_review.Reviewer`,
:class:`~spacehome.domain.program_review.Review`) and two small records of its own
(:class:`ReviewSettings`, :class:`StoredReview`). As in ``program_store``, every public write is
one transaction (``BEGIN IMMEDIATE`` on SQLite) and times are given by the caller.

The store keeps the data consistent (a reviewer profile belongs to an active reviewer account;
assignments name proposals of their call; a review needs an assignment); the review rules
themselves (conflicts of interest, criteria, visibility) are the domain's and are applied by
``spacehome.services.reviews``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from spacehome.domain.instant import require_utc
from spacehome.domain.program import Role
from spacehome.domain.program_review import Review, Reviewer, ReviewStage
from spacehome.errors import ConflictError, NotFoundError, ValidationError

from .engine import write_session
from .program_tables import CallRow, ProposalRow, ReviewerRow, ReviewRow, UserRow
from .review_tables import CallReviewSettingsRow, ReviewAssignmentRow


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """How a call is reviewed. The default (no row stored): single-anonymous, individual stage."""

    call_id: str
    double_anonymous: bool = False
    stage: ReviewStage = ReviewStage.INDIVIDUAL


@dataclass(frozen=True, slots=True)
class StoredReview:
    """A review with the time it was (last) submitted."""

    review: Review
    submitted_at: datetime


class ReviewStore:
    """The review workflow's records; ``engine`` must be migrated (``open_database`` does it)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)

    # --- the reviewer pool ----------------------------------------------------------------------

    def add_reviewer(self, reviewer: Reviewer) -> Reviewer:
        """Store the profile of an active reviewer account (``reviewer.id`` is the account id).

        An unknown account is a NotFoundError; a non-reviewer or inactive account a
        ValidationError; a profile that already exists a ConflictError.
        """
        try:
            with self._writing() as session:
                user = session.get(UserRow, reviewer.id)
                if user is None:
                    raise NotFoundError(f"no user with id {reviewer.id!r}: check the account id")
                if user.role != Role.REVIEWER.value or not user.active:
                    raise ValidationError(
                        f"user {user.username!r} is not an active reviewer account: "
                        "create the account with the reviewer role first"
                    )
                if session.get(ReviewerRow, reviewer.id) is not None:
                    raise ConflictError(
                        f"user {user.username!r} already has a reviewer profile: "
                        "declare further conflicts on it instead"
                    )
                session.add(_reviewer_row(reviewer))
        except IntegrityError:  # a concurrent insert of the same profile
            raise ConflictError(
                f"reviewer {reviewer.id!r} already has a profile: declare conflicts on it instead"
            ) from None
        return reviewer

    def get_reviewer(self, reviewer_id: str) -> Reviewer | None:
        """The reviewer profile of this account, or ``None``."""
        with self._reads() as session:
            row = session.get(ReviewerRow, reviewer_id)
            return None if row is None else _reviewer_from_row(row)

    def list_reviewers(self, *, active_only: bool = True) -> list[Reviewer]:
        """The pool in id order; by default only profiles whose account is active."""
        query = select(ReviewerRow).join(UserRow, UserRow.id == ReviewerRow.user_id)
        if active_only:
            query = query.where(UserRow.active.is_(True), UserRow.role == Role.REVIEWER.value)
        with self._reads() as session:
            return [
                _reviewer_from_row(row)
                for row in session.scalars(query.order_by(ReviewerRow.user_id))
            ]

    def declare_conflicts(
        self, reviewer_id: str, *, proposals: Sequence[str] = (), institutions: Sequence[str] = ()
    ) -> Reviewer:
        """Add declared conflicts to a profile (never removes any) and return the profile."""
        with self._writing() as session:
            row = session.get(ReviewerRow, reviewer_id)
            if row is None:
                raise NotFoundError(
                    f"no reviewer profile for account {reviewer_id!r}: a program officer creates it"
                )
            current = _reviewer_from_row(row)
            updated = Reviewer(
                id=current.id,
                name=current.name,
                institution=current.institution,
                country=current.country,
                declared_proposals=current.declared_proposals | {p.strip() for p in proposals},
                declared_institutions=current.declared_institutions
                | {" ".join(i.split()) for i in institutions},
            )
            row.declared_proposals = sorted(p for p in updated.declared_proposals if p)
            row.declared_institutions = sorted(i for i in updated.declared_institutions if i)
            return _reviewer_from_row(row)

    # --- call settings --------------------------------------------------------------------------

    def get_settings(self, call_id: str) -> ReviewSettings:
        """The call's review settings (the defaults when none were stored); unknown call: 404."""
        with self._reads() as session:
            _require_call(session, call_id)
            row = session.get(CallReviewSettingsRow, call_id)
            return ReviewSettings(call_id) if row is None else _settings_from_row(row)

    def set_settings(self, settings: ReviewSettings) -> ReviewSettings:
        """Store a call's review settings (insert or replace)."""
        with self._writing() as session:
            _require_call(session, settings.call_id)
            row = session.get(CallReviewSettingsRow, settings.call_id)
            if row is None:
                row = CallReviewSettingsRow(call_id=settings.call_id)
                session.add(row)
            row.double_anonymous = bool(settings.double_anonymous)
            row.stage = ReviewStage(settings.stage).value
        return settings

    # --- assignments ----------------------------------------------------------------------------

    def replace_assignments(
        self, call_id: str, reviewers: Mapping[str, Sequence[str]], *, now: datetime
    ) -> dict[str, tuple[str, ...]]:
        """Replace the call's assignments (proposal id -> reviewer ids) in one transaction.

        Refused (ConflictError) once any review of the call's proposals was written: the reviews
        were made under the current assignment. Every proposal must belong to the call and every
        reviewer must have a profile.
        """
        at = require_utc(now, "now")
        with self._writing() as session:
            _require_call(session, call_id)
            reviewed = session.scalar(
                select(
                    exists().where(
                        ReviewRow.proposal_id == ProposalRow.id, ProposalRow.call_id == call_id
                    )
                )
            )
            if reviewed:
                raise ConflictError(
                    f"call {call_id!r} already has reviews: its assignments can no longer be "
                    "replaced"
                )
            proposal_ids = sorted(reviewers)
            if proposal_ids:
                query = select(ProposalRow.id, ProposalRow.call_id).where(
                    ProposalRow.id.in_(proposal_ids)
                )
                found = {pid: cid for pid, cid in session.execute(query)}
                for proposal_id in proposal_ids:
                    if found.get(proposal_id) != call_id:
                        raise ValidationError(
                            f"proposal {proposal_id!r} is not a proposal of call {call_id!r}: "
                            "assign only the call's proposals"
                        )
            names = sorted({r for ids in reviewers.values() for r in ids})
            if names:
                known = set(
                    session.scalars(
                        select(ReviewerRow.user_id).where(ReviewerRow.user_id.in_(names))
                    )
                )
                missing = [r for r in names if r not in known]
                if missing:
                    raise NotFoundError(
                        f"reviewer {missing[0]!r} has no reviewer profile: create it first"
                    )
            session.execute(
                delete(ReviewAssignmentRow).where(ReviewAssignmentRow.call_id == call_id)
            )
            rows = [
                {"proposal_id": p, "reviewer_id": r, "call_id": call_id, "assigned_at": at}
                for p in proposal_ids
                for r in sorted(set(reviewers[p]))
            ]
            if rows:
                session.execute(insert(ReviewAssignmentRow), rows)
        return {p: tuple(sorted(set(reviewers[p]))) for p in proposal_ids}

    def assignments_of_call(self, call_id: str) -> dict[str, tuple[str, ...]]:
        """Proposal id -> assigned reviewer ids (sorted), for the proposals of the call."""
        query = (
            select(ReviewAssignmentRow.proposal_id, ReviewAssignmentRow.reviewer_id)
            .where(ReviewAssignmentRow.call_id == call_id)
            .order_by(ReviewAssignmentRow.proposal_id, ReviewAssignmentRow.reviewer_id)
        )
        result: dict[str, list[str]] = {}
        with self._reads() as session:
            for proposal_id, reviewer_id in session.execute(query):
                result.setdefault(proposal_id, []).append(reviewer_id)
        return {p: tuple(r) for p, r in result.items()}

    def assignments_of_reviewer(self, reviewer_id: str) -> list[str]:
        """The ids of the proposals assigned to this reviewer, sorted."""
        query = (
            select(ReviewAssignmentRow.proposal_id)
            .where(ReviewAssignmentRow.reviewer_id == reviewer_id)
            .order_by(ReviewAssignmentRow.proposal_id)
        )
        with self._reads() as session:
            return list(session.scalars(query))

    def is_assigned(self, proposal_id: str, reviewer_id: str) -> bool:
        with self._reads() as session:
            return session.get(ReviewAssignmentRow, (proposal_id, reviewer_id)) is not None

    # --- reviews --------------------------------------------------------------------------------

    def put_review(self, review: Review, *, now: datetime) -> StoredReview:
        """Write (insert or replace) a reviewer's review of an assigned proposal."""
        at = require_utc(now, "now")
        with self._writing() as session:
            if session.get(ReviewAssignmentRow, (review.proposal_id, review.reviewer_id)) is None:
                raise NotFoundError(
                    f"reviewer {review.reviewer_id!r} is not assigned to proposal "
                    f"{review.proposal_id!r}: only assigned reviewers review a proposal"
                )
            row = session.get(ReviewRow, (review.proposal_id, review.reviewer_id))
            if row is None:
                row = ReviewRow(proposal_id=review.proposal_id, reviewer_id=review.reviewer_id)
                session.add(row)
            row.scores = dict(review.scores)
            row.comment = review.comment
            row.submitted_at = at
        return StoredReview(review, at)

    def reviews_of_proposal(self, proposal_id: str) -> list[StoredReview]:
        """The proposal's reviews in reviewer-id order."""
        query = (
            select(ReviewRow)
            .where(ReviewRow.proposal_id == proposal_id)
            .order_by(ReviewRow.reviewer_id)
        )
        with self._reads() as session:
            return [_stored_review(row) for row in session.scalars(query)]

    def reviews_of_call(self, call_id: str) -> list[StoredReview]:
        """Every review of the call's proposals, by proposal id then reviewer id."""
        query = (
            select(ReviewRow)
            .join(ProposalRow, ProposalRow.id == ReviewRow.proposal_id)
            .where(ProposalRow.call_id == call_id)
            .order_by(ReviewRow.proposal_id, ReviewRow.reviewer_id)
        )
        with self._reads() as session:
            _require_call(session, call_id)
            return [_stored_review(row) for row in session.scalars(query)]

    # --- transactions ---------------------------------------------------------------------------

    def _writing(self) -> AbstractContextManager[Session]:
        return write_session(self._engine)


# --- rows <-> domain values ---------------------------------------------------------------------


def _require_call(session: Session, call_id: str) -> None:
    if session.get(CallRow, call_id) is None:
        raise NotFoundError(f"no call with id {call_id!r}: check the id")


def _reviewer_row(reviewer: Reviewer) -> ReviewerRow:
    return ReviewerRow(
        user_id=reviewer.id,
        name=reviewer.name,
        institution=reviewer.institution,
        country=reviewer.country,
        declared_proposals=sorted(reviewer.declared_proposals),
        declared_institutions=sorted(reviewer.declared_institutions),
    )


def _reviewer_from_row(row: ReviewerRow) -> Reviewer:
    return Reviewer(
        id=row.user_id,
        name=row.name,
        institution=row.institution,
        country=row.country,
        declared_proposals=frozenset(row.declared_proposals),
        declared_institutions=frozenset(row.declared_institutions),
    )


def _settings_from_row(row: CallReviewSettingsRow) -> ReviewSettings:
    return ReviewSettings(row.call_id, row.double_anonymous, ReviewStage(row.stage))


def _stored_review(row: ReviewRow) -> StoredReview:
    review = Review.of(row.reviewer_id, row.proposal_id, row.scores, row.comment)
    return StoredReview(review, row.submitted_at)


__all__ = ["ReviewSettings", "ReviewStore", "StoredReview"]
