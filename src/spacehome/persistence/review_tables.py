"""The review tables added by revision ``0003``: reviewer assignments and per-call review settings.

``reviewers`` and ``reviews`` themselves are declared in :mod:`program_tables` (revision 0002);
this module adds what the review workflow needs on top of them:

* ``review_assignments``: which reviewer reviews which proposal of which call (one row per pair);
  a review may only be written for an assigned pair (checked by ``review_store``/``services``);
* ``call_review_settings``: a call's review stage (``individual``, ``panel``, ``decided``) and
  whether its review is double-anonymous. A call without a row is single-anonymous, at the
  individual stage.

Registered on :class:`spacehome.persistence.tables.Base` (``tables`` imports this module).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from spacehome.domain.program_review import ReviewStage

from .tables import Base, UTCDateTime

#: The stage values, spelled out again by revision 0003.
STAGE_VALUES = tuple(stage.value for stage in ReviewStage)


class ReviewAssignmentRow(Base):
    """One reviewer assigned to one proposal (``call_id`` is the proposal's call, for lookups)."""

    __tablename__ = "review_assignments"
    __table_args__ = (Index(None, "reviewer_id"), Index(None, "call_id"))

    proposal_id: Mapped[str] = mapped_column(Text, ForeignKey("proposals.id"), primary_key=True)
    reviewer_id: Mapped[str] = mapped_column(
        Text, ForeignKey("reviewers.user_id"), primary_key=True
    )
    call_id: Mapped[str] = mapped_column(Text, ForeignKey("calls.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallReviewSettingsRow(Base):
    """How a call is reviewed: its stage and whether reviewers see the proposing team."""

    __tablename__ = "call_review_settings"
    __table_args__ = (
        CheckConstraint(f"stage IN ({', '.join(repr(v) for v in STAGE_VALUES)})", name="stage"),
    )

    call_id: Mapped[str] = mapped_column(Text, ForeignKey("calls.id"), primary_key=True)
    double_anonymous: Mapped[bool] = mapped_column(Boolean)
    stage: Mapped[str] = mapped_column(String(16))


__all__ = ["STAGE_VALUES", "CallReviewSettingsRow", "ReviewAssignmentRow"]
