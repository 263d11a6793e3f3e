"""The cooperation program's tables: accounts, calls, proposals, audit log, attachments, review.

Rows are storage, not domain values: ``program_store`` converts between these rows and the
domain's ``Call``, ``Proposal`` and ``AuditEntry`` in one place. Column names carry their units
(``crew_hours``, ``upmass_kg``), as in :data:`spacehome.domain.program.RESOURCE_UNITS`. Enumerated
values (roles, states, modalities) are stored as their ``.value`` text.

Ids are text: calls carry the id their programme office gives them (``cycle-2``); accounts and
proposals get an opaque random id from the store (32 hex digits), which also serves as the
domain's string id. A reviewer's id is the id of their account (``reviewers.user_id``).

This module registers its tables on :class:`spacehome.persistence.tables.Base`; ``tables``
imports it, so ``Base.metadata`` always holds every table. Revision ``0002`` creates them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from spacehome.domain.program import ProposalState, Role

from .tables import Base, UTCDateTime, big_id

#: CHECK expressions, shared with revision 0002 by value (the revision spells them out itself).
ROLE_VALUES = tuple(role.value for role in Role)
STATE_VALUES = tuple(state.value for state in ProposalState)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"



class UserRow(Base):
    """An account: who may log in, with which role (``partner_org``: the partner's institution)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLE_VALUES), name="role"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(Text)
    partner_org: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallRow(Base):
    """A call for proposals with its resource envelope and eligible countries (ISO alpha-2)."""

    __tablename__ = "calls"
    __table_args__ = (CheckConstraint("version >= 1", name="version"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    modalities: Mapped[list[str]] = mapped_column(JSON)  # Modality values, sorted
    eligible_countries: Mapped[list[str]] = mapped_column(JSON)  # alpha-2 codes, sorted
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    crew_hours: Mapped[float] = mapped_column(Double)
    rack_months: Mapped[float] = mapped_column(Double)
    adapter_months: Mapped[float] = mapped_column(Double)
    upmass_kg: Mapped[float] = mapped_column(Double)
    downlink_gb: Mapped[float] = mapped_column(Double)
    version: Mapped[int] = mapped_column(Integer)


class ProposalRow(Base):
    """A proposal: its lead institution, its request (units in the names), its state.

    ``version`` is the optimistic-concurrency counter: every write sets it to ``version + 1`` in
    the same statement that checks the version the writer read.
    """

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(_one_of("state", STATE_VALUES), name="state"),
        CheckConstraint("version >= 1", name="version"),
        Index(None, "call_id", "created_at"),
        Index(None, "partner_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    call_id: Mapped[str] = mapped_column(Text, ForeignKey("calls.id"))
    partner_id: Mapped[str] = mapped_column(Text, ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(Text)
    discipline: Mapped[str] = mapped_column(Text)
    modality: Mapped[str] = mapped_column(String(32))
    abstract: Mapped[str] = mapped_column(Text)
    lead_institution: Mapped[str] = mapped_column(Text)
    lead_country: Mapped[str] = mapped_column(String(2))
    crew_hours: Mapped[float] = mapped_column(Double)
    rack_months: Mapped[float] = mapped_column(Double)
    adapter_months: Mapped[float] = mapped_column(Double)
    upmass_kg: Mapped[float] = mapped_column(Double)
    downlink_gb: Mapped[float] = mapped_column(Double)
    state: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProposalPartnerRow(Base):
    """A partner institution of a proposal's team, in team order (``position`` from 1)."""

    __tablename__ = "proposal_partners"

    proposal_id: Mapped[str] = mapped_column(
        Text, ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))


class AuditLogRow(Base):
    """One state change of one proposal (append-only): who, in which role, when, from, to, why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "proposal_id", "at"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    proposal_id: Mapped[str] = mapped_column(Text, ForeignKey("proposals.id"))
    actor: Mapped[str] = mapped_column(Text)
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    why: Mapped[str] = mapped_column(Text)


class AttachmentRow(Base):
    """A stored file, content-addressed: ``stored_path`` is relative to the attachment store."""

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(Text)
    stored_path: Mapped[str] = mapped_column(Text)


class ProposalAttachmentRow(Base):
    """A file attached to a proposal under the name the partner gave it (one file per name)."""

    __tablename__ = "proposal_attachments"

    proposal_id: Mapped[str] = mapped_column(
        Text, ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    filename: Mapped[str] = mapped_column(Text, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("attachments.sha256"))


class ReviewerRow(Base):
    """A member of the reviewer pool; the id is their account's id.

    ``declared_proposals`` (proposal ids) and ``declared_institutions`` (names) are JSON lists.
    """

    __tablename__ = "reviewers"

    user_id: Mapped[str] = mapped_column(Text, ForeignKey("users.id"), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    institution: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    declared_proposals: Mapped[list[str]] = mapped_column(JSON)
    declared_institutions: Mapped[list[str]] = mapped_column(JSON)


class ReviewRow(Base):
    """One reviewer's scores for one proposal (``scores``: JSON object criterion -> score)."""

    __tablename__ = "reviews"

    proposal_id: Mapped[str] = mapped_column(Text, ForeignKey("proposals.id"), primary_key=True)
    reviewer_id: Mapped[str] = mapped_column(
        Text, ForeignKey("reviewers.user_id"), primary_key=True
    )
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = [
    "ROLE_VALUES",
    "STATE_VALUES",
    "AttachmentRow",
    "AuditLogRow",
    "CallRow",
    "ProposalAttachmentRow",
    "ProposalPartnerRow",
    "ProposalRow",
    "ReviewRow",
    "ReviewerRow",
    "UserRow",
]
