"""The cooperation program in the database: accounts, calls, proposals and their audit log.

:class:`ProgramStore` holds domain values (:class:`~spacehome.domain.program.Call`,
:class:`~spacehome.domain.program.Proposal`, :class:`~spacehome.domain.program.AuditEntry`) and
account records; rows and domain values meet only in the ``_..._from_row`` / ``_..._values``
functions at the end of this module.

Rules kept here:

* every public write is one transaction (on SQLite a ``BEGIN IMMEDIATE`` one, so two writers queue
  instead of failing on a lock upgrade): nothing is ever half-written;
* optimistic concurrency: a proposal's ``version`` starts at 1 and each write sets it to
  ``version + 1`` with an ``UPDATE ... WHERE id = :id AND version = :expected`` (one statement,
  a compare-and-set); a stale version is a :class:`~spacehome.errors.ConflictError` (the API
  answers 412) and nothing is overwritten;
* state changes go through :func:`spacehome.domain.program.transition`; the new state and its
  audit entry are written in the same transaction;
* times are given by the caller (``now``): the store reads no clock, so a frozen clock in tests
  and services is the clock.

Eligibility: a call stores its ``eligible_countries`` with it (the list as published with the
call), so a call reads back exactly as it was added, whatever later changes to the list of UN
member states.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from spacehome.domain.instant import require_utc
from spacehome.domain.program import (
    RESOURCE_UNITS,
    AuditEntry,
    Call,
    Modality,
    Proposal,
    ProposalState,
    ResourceEnvelope,
    ResourceRequest,
    Role,
    Team,
    TeamInstitution,
    check_proposal,
    transition,
)
from spacehome.errors import ConflictError, NotFoundError, ValidationError

from .engine import single_statement_engine, write_session
from .program_tables import (
    AuditLogRow,
    CallRow,
    ProposalPartnerRow,
    ProposalRow,
    UserRow,
)

#: The most proposals one page of :meth:`ProgramStore.list_proposals` returns.
MAX_PAGE_SIZE: Final = 500
#: The largest page offset (a 64-bit database integer holds far more; this keeps it exact everywhere).
MAX_OFFSET: Final = 1_000_000_000

#: What :meth:`ProgramStore.update_proposal` may change (only while the proposal is a draft).
EDITABLE_FIELDS: Final = frozenset(
    {"title", "discipline", "modality", "abstract", "team", "request"}
)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """An account as stored. ``id`` is opaque (32 hex digits); ``partner_org`` names the partner
    institution a partner account acts for, else ``None``."""

    id: str
    username: str
    role: Role
    password_hash: str = field(repr=False)
    partner_org: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredProposal:
    """A proposal with its bookkeeping: ``version`` (the ETag the API hands out) and times."""

    proposal: Proposal
    version: int
    created_at: datetime
    updated_at: datetime


#: How many calls a store keeps converted (calls never change; a few exist per year).
CALL_CACHE_SIZE = 10_000
#: How long a page of the public list of calls is kept (seconds; see ProgramStore.list_calls).
CALL_PAGE_TTL_S = 1.0


@dataclass(frozen=True, slots=True)
class ProposalPage:
    """One page of proposals, oldest first, and ``total``: how many match in all."""

    items: tuple[StoredProposal, ...]
    total: int
    limit: int
    offset: int


class ProgramStore:
    """The cooperation program's records in one database.

    ``engine`` must be migrated (:func:`spacehome.persistence.engine.open_database` does both).
    Each method runs in its own transaction.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._one_statement = single_statement_engine(engine)
        self._calls: dict[str, Call] = {}  # calls are immutable: see list_calls
        self._pages: dict[tuple[int, int], tuple[float, tuple[Call, ...], int]] = {}

    # --- accounts -------------------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        role: Role,
        password_hash: str,
        *,
        now: datetime,
        partner_org: str | None = None,
        active: bool = True,
    ) -> UserRecord:
        """Store a new account and return it; a username already taken is a ConflictError."""
        name = username.strip()
        if not name or name != username or any(c.isspace() for c in name):
            raise ValidationError(
                f"username {username!r} is empty or contains spaces: choose one without spaces"
            )
        if not password_hash:
            raise ValidationError(f"user {name!r} has an empty password hash: hash the password")
        org = None if partner_org is None else " ".join(partner_org.split()) or None
        row = UserRow(
            id=uuid.uuid4().hex,
            username=name,
            role=Role(role).value,
            password_hash=password_hash,
            partner_org=org,
            active=active,
            created_at=require_utc(now, "now"),
        )
        try:
            with self._writing() as session:
                session.add(row)
        except IntegrityError:
            raise ConflictError(
                f"username {name!r} is already taken: choose another username"
            ) from None
        return _user_from_row(row)

    def get_user_by_username(self, username: str) -> UserRecord | None:
        """The account with this exact username, or ``None``."""
        with Session(self._one_statement) as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).first()
            return None if row is None else _user_from_row(row)

    def get_user_by_id(self, user_id: str) -> UserRecord | None:
        """The account with this id, or ``None``."""
        with Session(self._one_statement) as session:
            row = session.get(UserRow, user_id)
            return None if row is None else _user_from_row(row)

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Replace an account's password hash (after a rehash on login, or a reset)."""
        if not password_hash:
            raise ValidationError(f"user {user_id!r}: the new password hash is empty")
        with self._writing() as session:
            result = session.execute(
                update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash)
            )
            if _rowcount(result) != 1:
                raise NotFoundError(f"no user with id {user_id!r}: check the id")

    # --- calls ----------------------------------------------------------------------------------

    def add_call(self, call: Call) -> None:
        """Store a new call (its eligible countries with it); an id already used is refused."""
        self._pages.clear()
        try:
            with self._writing() as session:
                session.add(CallRow(**_call_values(call)))
        except IntegrityError:
            raise ConflictError(
                f"a call with id {call.id!r} already exists: give the new call another id"
            ) from None

    def get_call(self, call_id: str) -> Call:
        """The call with this id (NotFoundError when there is none)."""
        cached = self._calls.get(call_id)
        if cached is not None:
            return cached
        with self._reads() as session:
            return self._remember(_call_from_row(_call_row(session, call_id)))

    def list_calls(self, *, limit: int = 50, offset: int = 0) -> tuple[list[Call], int]:
        """A page of calls by opening time, then id, and how many there are in all.

        Calls never change once stored (there is no update), so each is converted from its row
        once per process and kept (:data:`CALL_CACHE_SIZE`): a page reads the ids and the total
        in one statement, and only calls not yet seen in a second one. This public list is the
        most read page of all, so a page is kept for :data:`CALL_PAGE_TTL_S` too: a call added
        through this store shows at once, one added by another process within that time.
        """
        if not 1 <= limit <= MAX_PAGE_SIZE or not 0 <= offset <= MAX_OFFSET:
            raise ValidationError(f"a page needs 1 <= limit <= {MAX_PAGE_SIZE} and 0 <= offset <= {MAX_OFFSET}")
        cached = self._pages.get((limit, offset))
        if cached is not None and cached[0] > time.monotonic():
            return list(cached[1]), cached[2]
        calls, total = self._read_call_page(limit, offset)
        if len(self._pages) >= CALL_CACHE_SIZE:
            self._pages.clear()
        self._pages[(limit, offset)] = (time.monotonic() + CALL_PAGE_TTL_S, tuple(calls), total)
        return calls, total

    def _read_call_page(self, limit: int, offset: int) -> tuple[list[Call], int]:
        # One statement: the page's ids and the total (a window count) from the same snapshot.
        page = (
            select(CallRow.id, func.count().over())
            .order_by(CallRow.opens_at, CallRow.id)
            .limit(limit)
            .offset(offset)
        )
        with self._one_statement.connect() as connection:  # Core: no ORM session for two columns
            rows = connection.execute(page).all()
            if not rows:
                # Past the end (or no calls): the window has no row to carry the total.
                total = connection.execute(select(func.count()).select_from(CallRow)).scalar_one()
                return [], int(total)
        ids = [call_id for call_id, _ in rows]
        missing = [call_id for call_id in ids if call_id not in self._calls]
        if missing:
            with self._reads() as session:
                for row in session.scalars(select(CallRow).where(CallRow.id.in_(missing))):
                    self._remember(_call_from_row(row))
        return [self._calls[call_id] for call_id in ids], int(rows[0][1])

    def _remember(self, call: Call) -> Call:
        if len(self._calls) >= CALL_CACHE_SIZE:
            self._calls.clear()
        self._calls[call.id] = call
        return call

    # --- proposals ------------------------------------------------------------------------------

    def create_proposal(
        self,
        *,
        call_id: str,
        partner_id: str,
        title: str,
        discipline: str,
        modality: Modality,
        team: Team,
        request: ResourceRequest,
        now: datetime,
        abstract: str = "",
    ) -> StoredProposal:
        """Store a new draft proposal (version 1) owned by partner account ``partner_id``.

        The proposal must fit its call (:func:`spacehome.domain.program.check_proposal`: offered
        modality, eligible team, request inside the whole envelope); the owner must be an active
        partner account.
        """
        created = require_utc(now, "now")
        proposal = Proposal(
            id=uuid.uuid4().hex,
            call_id=call_id,
            title=title.strip(),
            discipline=discipline.strip(),
            modality=modality,
            team=team,
            request=request,
            abstract=abstract,
            partner_id=partner_id,
        )
        with self._writing() as session:
            call = _call_from_row(_call_row(session, call_id))
            check_proposal(proposal, call)
            owner = session.get(UserRow, partner_id)
            if owner is None:
                raise NotFoundError(f"no user with id {partner_id!r}: check the owner's id")
            if owner.role != Role.PARTNER.value or not owner.active:
                raise ValidationError(
                    f"user {owner.username!r} is not an active partner account: "
                    "proposals are owned by partner accounts"
                )
            session.add(
                ProposalRow(
                    **_proposal_values(proposal),
                    state=ProposalState.DRAFT.value,
                    version=1,
                    created_at=created,
                    updated_at=created,
                )
            )
            session.flush()  # the proposal row first: the partner rows refer to it
            _write_partners(session, proposal)
        return StoredProposal(proposal, version=1, created_at=created, updated_at=created)

    def get_proposal(self, proposal_id: str) -> StoredProposal:
        """The proposal with this id (NotFoundError when there is none)."""
        with self._reads() as session:
            row = _proposal_row(session, proposal_id)
            return _stored_from_rows(row, _partners_of(session, [row.id])[row.id])

    def list_proposals(
        self,
        *,
        call_id: str | None = None,
        partner_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ProposalPage:
        """A page of proposals (of one call and/or one owner), oldest first, with the total.

        ``limit`` is 1..:data:`MAX_PAGE_SIZE`, ``offset`` 0..:data:`MAX_OFFSET`; the page and the total are
        read in one transaction.
        """
        if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"page limit {limit!r} is out of range: give 1..{MAX_PAGE_SIZE}")
        if isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
            raise ValidationError(f"page offset {offset!r} is out of range: give 0..{MAX_OFFSET}")
        conditions = []
        if call_id is not None:
            conditions.append(ProposalRow.call_id == call_id)
        if partner_id is not None:
            conditions.append(ProposalRow.partner_id == partner_id)
        page_query = (
            select(ProposalRow)
            .where(*conditions)
            .order_by(ProposalRow.created_at, ProposalRow.id)
            .limit(limit)
            .offset(offset)
        )
        count_query = select(func.count()).select_from(ProposalRow).where(*conditions)
        with self._reads() as session, session.begin():
            total = session.execute(count_query).scalar_one()
            rows = list(session.scalars(page_query))
            partners = _partners_of(session, [row.id for row in rows])
            items = tuple(_stored_from_rows(row, partners[row.id]) for row in rows)
        return ProposalPage(items=items, total=total, limit=limit, offset=offset)

    def update_proposal(
        self,
        proposal_id: str,
        expected_version: int,
        changes: Mapping[str, Any],
        *,
        now: datetime,
    ) -> StoredProposal:
        """Change a draft's fields (:data:`EDITABLE_FIELDS`) if it is still at ``expected_version``.

        The write is a compare-and-set on the version: a stale ``expected_version`` (someone else
        wrote first) is a ConflictError and nothing is overwritten. Only drafts can be edited;
        the changed proposal must still fit its call.
        """
        unknown = sorted(set(changes) - EDITABLE_FIELDS)
        if unknown:
            raise ValidationError(
                f"proposal field {unknown[0]!r} cannot be changed: change only "
                f"{', '.join(sorted(EDITABLE_FIELDS))}"
            )
        updated = require_utc(now, "now")
        with self._writing() as session:
            row = _proposal_row(session, proposal_id)
            current = _stored_from_rows(row, _partners_of(session, [row.id])[row.id])
            _check_version(proposal_id, row.version, expected_version)
            if row.state != ProposalState.DRAFT.value:
                raise ConflictError(
                    f"proposal {proposal_id!r} is '{row.state}': only drafts can be edited"
                )
            cleaned = {
                k: v.strip() if k in ("title", "discipline") else v for k, v in changes.items()
            }
            changed = dataclasses.replace(current.proposal, **cleaned)
            check_proposal(changed, _call_from_row(_call_row(session, row.call_id)))
            result = session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.id == proposal_id,
                    ProposalRow.version == expected_version,
                    ProposalRow.state == ProposalState.DRAFT.value,
                )
                .values(
                    **_proposal_values(changed),
                    version=ProposalRow.version + 1,
                    updated_at=updated,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result) != 1:
                raise _stale(proposal_id, expected_version)
            if changed.team != current.proposal.team:
                session.execute(
                    delete(ProposalPartnerRow).where(ProposalPartnerRow.proposal_id == proposal_id)
                )
                _write_partners(session, changed)
        return StoredProposal(
            changed, version=expected_version + 1, created_at=current.created_at, updated_at=updated
        )

    def change_state(
        self,
        proposal_id: str,
        target: ProposalState,
        *,
        now: datetime,
        actor: str,
        actor_role: Role,
        why: str = "",
        expected_version: int | None,
    ) -> StoredProposal:
        """Move a proposal to ``target`` and record the change in the audit log, atomically.

        The change is checked by :func:`spacehome.domain.program.transition` (legal change, role,
        deadline for a submission, reason where one is required); a submission is also checked
        against the call (:func:`spacehome.domain.program.check_proposal`). The new state and the
        audit entry are written in one transaction: if either fails, neither is written.
        ``expected_version`` is the version the caller read (``None``: the version read here);
        a stale one is a ConflictError.
        """
        with self._writing() as session:
            row = _proposal_row(session, proposal_id)
            stored = _stored_from_rows(row, _partners_of(session, [row.id])[row.id])
            expected = row.version if expected_version is None else expected_version
            _check_version(proposal_id, row.version, expected)
            call = _call_from_row(_call_row(session, row.call_id))
            entry = transition(
                proposal_id,
                stored.proposal.state,
                target,
                now=now,
                call=call,
                actor=actor,
                actor_role=actor_role,
                why=why,
            )
            if target is ProposalState.SUBMITTED:
                check_proposal(stored.proposal, call)
            result = session.execute(
                update(ProposalRow)
                .where(
                    ProposalRow.id == proposal_id,
                    ProposalRow.version == expected,
                    ProposalRow.state == entry.from_state.value,
                )
                .values(state=target.value, version=ProposalRow.version + 1, updated_at=entry.at)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result) != 1:
                raise _stale(proposal_id, expected)
            session.execute(insert(AuditLogRow).values(**_audit_values(entry)))
        return StoredProposal(
            dataclasses.replace(stored.proposal, state=target),
            version=expected + 1,
            created_at=stored.created_at,
            updated_at=entry.at,
        )

    def audit_trail(self, proposal_id: str) -> list[AuditEntry]:
        """Every state change of a proposal, oldest first (empty for an untouched draft)."""
        query = (
            select(AuditLogRow)
            .where(AuditLogRow.proposal_id == proposal_id)
            .order_by(AuditLogRow.at, AuditLogRow.id)
        )
        with self._reads() as session, session.begin():
            _proposal_row(session, proposal_id)
            return [_audit_from_row(row) for row in session.scalars(query)]

    # --- transactions ---------------------------------------------------------------------------

    def _writing(self) -> AbstractContextManager[Session]:
        return write_session(self._engine)


# --- rows <-> domain values ---------------------------------------------------------------------


def _rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count


def _check_version(proposal_id: str, stored: int, expected: int) -> None:
    if isinstance(expected, bool) or not isinstance(expected, int) or expected != stored:
        raise _stale(proposal_id, expected)


def _stale(proposal_id: str, expected: int) -> ConflictError:
    return ConflictError(
        f"proposal {proposal_id!r} is no longer at version {expected!r} (someone else changed "
        "it): read it again and redo the change"
    )


def _call_row(session: Session, call_id: str) -> CallRow:
    row = session.get(CallRow, call_id)
    if row is None:
        raise NotFoundError(f"no call with id {call_id!r}: check the id")
    return row


def _proposal_row(session: Session, proposal_id: str) -> ProposalRow:
    row = session.get(ProposalRow, proposal_id)
    if row is None:
        raise NotFoundError(f"no proposal with id {proposal_id!r}: check the id")
    return row


def _partners_of(session: Session, proposal_ids: Sequence[str]) -> dict[str, list[TeamInstitution]]:
    partners: dict[str, list[TeamInstitution]] = {pid: [] for pid in proposal_ids}
    if not proposal_ids:
        return partners
    query = (
        select(ProposalPartnerRow)
        .where(ProposalPartnerRow.proposal_id.in_(proposal_ids))
        .order_by(ProposalPartnerRow.proposal_id, ProposalPartnerRow.position)
    )
    for row in session.scalars(query):
        partners[row.proposal_id].append(TeamInstitution(row.institution, row.country))
    return partners


def _write_partners(session: Session, proposal: Proposal) -> None:
    rows = [
        {
            "proposal_id": proposal.id,
            "position": position,
            "institution": member.name,
            "country": member.country,
        }
        for position, member in enumerate(proposal.team.partners, start=1)
    ]
    if rows:
        session.execute(insert(ProposalPartnerRow), rows)


def _user_from_row(row: UserRow) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        password_hash=row.password_hash,
        partner_org=row.partner_org,
        active=row.active,
        created_at=row.created_at,
    )


def _call_values(call: Call) -> dict[str, Any]:
    return {
        "id": call.id,
        "title": call.title,
        "modalities": sorted(m.value for m in call.modalities),
        "eligible_countries": sorted(call.eligible_countries),
        "opens_at": call.opens_at,
        "closes_at": call.closes_at,
        **call.envelope.amounts(),
        "version": 1,
    }


def _call_from_row(row: CallRow) -> Call:
    return Call(
        id=row.id,
        title=row.title,
        modalities=frozenset(Modality(value) for value in row.modalities),
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        envelope=ResourceEnvelope(**{name: getattr(row, name) for name in RESOURCE_UNITS}),
        eligible_countries=frozenset(row.eligible_countries),
    )


def _proposal_values(proposal: Proposal) -> dict[str, Any]:
    """The proposal's own columns (not state, version or times; partners are rows of their own)."""
    return {
        "id": proposal.id,
        "call_id": proposal.call_id,
        "partner_id": proposal.partner_id,
        "title": proposal.title,
        "discipline": proposal.discipline,
        "modality": Modality(proposal.modality).value,
        "abstract": proposal.abstract,
        "lead_institution": proposal.team.lead.name,
        "lead_country": proposal.team.lead.country,
        **proposal.request.amounts(),
    }


def _stored_from_rows(row: ProposalRow, partners: Sequence[TeamInstitution]) -> StoredProposal:
    proposal = Proposal(
        id=row.id,
        call_id=row.call_id,
        title=row.title,
        discipline=row.discipline,
        modality=Modality(row.modality),
        team=Team(TeamInstitution(row.lead_institution, row.lead_country), tuple(partners)),
        request=ResourceRequest(**{name: getattr(row, name) for name in RESOURCE_UNITS}),
        abstract=row.abstract,
        partner_id=row.partner_id,
        state=ProposalState(row.state),
    )
    return StoredProposal(
        proposal, version=row.version, created_at=row.created_at, updated_at=row.updated_at
    )


def _audit_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "proposal_id": entry.proposal_id,
        "actor": entry.actor,
        "actor_role": entry.actor_role.value,
        "at": entry.at,
        "from_state": entry.from_state.value,
        "to_state": entry.to_state.value,
        "why": entry.why,
    }


def _audit_from_row(row: AuditLogRow) -> AuditEntry:
    return AuditEntry(
        proposal_id=row.proposal_id,
        actor=row.actor,
        actor_role=Role(row.actor_role),
        at=row.at,
        from_state=ProposalState(row.from_state),
        to_state=ProposalState(row.to_state),
        why=row.why,
    )


__all__ = [
    "EDITABLE_FIELDS",
    "MAX_PAGE_SIZE",
    "ProgramStore",
    "ProposalPage",
    "StoredProposal",
    "UserRecord",
]
