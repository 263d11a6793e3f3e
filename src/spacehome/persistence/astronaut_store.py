"""Astronaut opportunities in the database: programs, candidates, seats and the audit log.

:class:`AstronautStore` holds domain values (:mod:`spacehome.domain.astronaut_opportunities`);
rows and domain values meet only in the ``_..._from_row`` / ``_..._values`` functions at the end.

Rules kept here, as in :mod:`spacehome.persistence.program_store`:

* every public write is one transaction (``write_session``: ``BEGIN IMMEDIATE`` on SQLite);
* a candidate's ``version`` starts at 1; every change of the candidate (stage, training, a seat)
  is an ``UPDATE ... WHERE id = :id AND version = :expected`` compare-and-set, and a stale
  version is a :class:`StaleCandidateError` (the API answers 412) with nothing written;
* every change is checked by the domain and written with its audit entry in the same
  transaction: if either fails, neither is written;
* times come from the caller (``now``); the store reads no clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from spacehome.domain.astronaut_opportunities import (
    AssignmentStatus,
    AuditEntry,
    AuditField,
    Candidate,
    MissionCatalog,
    Opportunity,
    Seat,
    SelectionStage,
    TrainingStatus,
    change_selection,
    change_training,
    check_assignment,
    creation_entry,
)
from spacehome.domain.program import Role
from spacehome.errors import ConflictError, NotFoundError, StaleError, ValidationError

from .astronaut_tables import (
    AstronautAssignmentRow,
    AstronautAuditRow,
    AstronautCandidateRow,
    AstronautProgramRow,
)
from .engine import write_session

#: The most candidates one page returns, and the largest offset.
MAX_PAGE_SIZE: Final = 500
MAX_OFFSET: Final = 1_000_000_000


class StaleCandidateError(StaleError):
    """The candidate changed between the caller's read and this write (the API answers 412)."""


@dataclass(frozen=True, slots=True)
class StoredCandidate:
    """A candidate with its seats and bookkeeping (``version``: the ETag the API hands out)."""

    candidate: Candidate
    seats: tuple[Seat, ...]
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewCandidate:
    """A candidate to store with the audit entry of its creation (see :meth:`AstronautStore.add_candidates`)."""

    candidate: Candidate
    seats: tuple[Seat, ...] = ()
    audit: tuple[AuditEntry, ...] = ()


class AstronautStore:
    """Astronaut programs and candidates in one migrated database; each method one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)

    # --- programs -------------------------------------------------------------------------------

    def list_programs(self) -> list[Opportunity]:
        """Every program, by id."""
        with self._reads() as session:
            rows = session.scalars(select(AstronautProgramRow).order_by(AstronautProgramRow.id))
            return [_program_from_row(row) for row in rows]

    def get_program(self, program_id: str) -> Opportunity:
        with self._reads() as session:
            return _program_from_row(_program_row(session, program_id))

    def load_reference(
        self, programs: Sequence[Opportunity], candidates: Sequence[NewCandidate]
    ) -> tuple[int, int]:
        """Add the programs and candidates not stored yet, all in one transaction (idempotent).

        What is already stored (by id) is left as it is, so an officer's later changes survive a
        reload. Returns how many programs and candidates were added. Two loaders racing on a
        fresh PostgreSQL database: the loser's transaction fails on a primary key and is retried
        once, when it finds everything stored.
        """
        try:
            return self._load_missing(programs, candidates)
        except IntegrityError:
            pass  # another loader committed first: what it wrote is skipped on the retry
        try:
            return self._load_missing(programs, candidates)
        except IntegrityError:
            raise ConflictError(
                "the reference candidates clash with stored ones (an alias or id is taken): "
                "rename the stored candidate's alias, then load again"
            ) from None

    def _load_missing(
        self, programs: Sequence[Opportunity], candidates: Sequence[NewCandidate]
    ) -> tuple[int, int]:
        with self._writing() as session:
            have_programs = set(session.scalars(select(AstronautProgramRow.id)))
            have_candidates = set(session.scalars(select(AstronautCandidateRow.id)))
            new_programs = [p for p in programs if p.id not in have_programs]
            for program in new_programs:
                session.add(AstronautProgramRow(**_program_values(program)))
            session.flush()
            new_candidates = [n for n in candidates if n.candidate.id not in have_candidates]
            for new in new_candidates:
                _insert_candidate(session, new)
        return len(new_programs), len(new_candidates)

    # --- candidates -----------------------------------------------------------------------------

    def create_candidate(
        self,
        *,
        program_id: str,
        alias: str,
        country: str,
        name: str | None,
        name_public: bool,
        sources: Sequence[str],
        note: str,
        now: datetime,
        actor: str,
        actor_role: Role,
        why: str = "",
    ) -> StoredCandidate:
        """Store a new candidate (stage applied, training not started, version 1) and its audit
        entry; the program must exist and the alias be free in it."""
        candidate = Candidate(
            id=uuid.uuid4().hex,
            program_id=program_id,
            alias=alias,
            country=country,
            name=name,
            name_public=name_public,
            sources=tuple(sources),
            note=" ".join(note.split()),
        )
        entry = creation_entry(candidate, now=now, actor=actor, actor_role=actor_role, why=why)
        try:
            with self._writing() as session:
                _program_row(session, program_id)
                _insert_candidate(session, NewCandidate(candidate, audit=(entry,)))
        except IntegrityError:
            raise ConflictError(
                f"program {program_id!r} already has a candidate called {candidate.alias!r}: "
                "give the new candidate another alias"
            ) from None
        return StoredCandidate(candidate, (), 1, entry.at, entry.at)

    def get_candidate(self, candidate_id: str) -> StoredCandidate:
        """The candidate with this id (NotFoundError when there is none)."""
        with self._reads() as session, session.begin():
            row = _candidate_row(session, candidate_id)
            return _stored(row, _seats_of(session, [row.id])[row.id])

    def list_candidates(
        self,
        *,
        program_id: str | None = None,
        stages: Sequence[SelectionStage] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[StoredCandidate], int]:
        """A page of candidates (of one program, at some stages), by program then alias, and the
        total; page and total are read in one transaction."""
        if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"page limit {limit!r} is out of range: give 1..{MAX_PAGE_SIZE}")
        if isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
            raise ValidationError(f"page offset {offset!r} is out of range: give 0..{MAX_OFFSET}")
        conditions = []
        if program_id is not None:
            conditions.append(AstronautCandidateRow.program_id == program_id)
        if stages is not None:
            conditions.append(AstronautCandidateRow.selection_stage.in_([s.value for s in stages]))
        page = (
            select(AstronautCandidateRow)
            .where(*conditions)
            .order_by(
                AstronautCandidateRow.program_id,
                AstronautCandidateRow.alias,
                AstronautCandidateRow.id,
            )
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(AstronautCandidateRow).where(*conditions)
        with self._reads() as session, session.begin():
            total = session.execute(count).scalar_one()
            rows = list(session.scalars(page))
            seats = _seats_of(session, [row.id for row in rows])
            return [_stored(row, seats[row.id]) for row in rows], int(total)

    def counts(
        self, stages: Sequence[SelectionStage] | None = None
    ) -> dict[str, dict[tuple[SelectionStage, TrainingStatus], int]]:
        """How many candidates each program has, by (selection stage, training status), counting
        only candidates at ``stages`` (``None``: all)."""
        query = select(
            AstronautCandidateRow.program_id,
            AstronautCandidateRow.selection_stage,
            AstronautCandidateRow.training_status,
            func.count(),
        ).group_by(
            AstronautCandidateRow.program_id,
            AstronautCandidateRow.selection_stage,
            AstronautCandidateRow.training_status,
        )
        if stages is not None:
            query = query.where(
                AstronautCandidateRow.selection_stage.in_([s.value for s in stages])
            )
        found: dict[str, dict[tuple[SelectionStage, TrainingStatus], int]] = {}
        with self._reads() as session:
            for program_id, stage, training, number in session.execute(query):
                key = (SelectionStage(stage), TrainingStatus(training))
                found.setdefault(program_id, {})[key] = int(number)
        return found

    def change_selection(
        self,
        candidate_id: str,
        target: SelectionStage,
        *,
        expected_version: int,
        now: datetime,
        actor: str,
        actor_role: Role,
        why: str = "",
        effective_at: datetime | None = None,
    ) -> StoredCandidate:
        """Move the selection stage (checked by the domain) and audit it, atomically."""

        def change(stored: StoredCandidate) -> tuple[Candidate, AuditEntry]:
            entry = change_selection(
                stored.candidate,
                target,
                now=now,
                actor=actor,
                actor_role=actor_role,
                why=why,
                effective_at=effective_at,
            )
            return replace(stored.candidate, selection_stage=target), entry

        return self._change(candidate_id, expected_version, change)

    def change_training(
        self,
        candidate_id: str,
        target: TrainingStatus,
        *,
        expected_version: int,
        now: datetime,
        actor: str,
        actor_role: Role,
        why: str = "",
        effective_at: datetime | None = None,
    ) -> StoredCandidate:
        """Move the training status (checked by the domain) and audit it, atomically."""

        def change(stored: StoredCandidate) -> tuple[Candidate, AuditEntry]:
            entry = change_training(
                stored.candidate,
                target,
                now=now,
                actor=actor,
                actor_role=actor_role,
                why=why,
                effective_at=effective_at,
            )
            return replace(stored.candidate, training_status=target), entry

        return self._change(candidate_id, expected_version, change)

    def assign(
        self,
        candidate_id: str,
        mission_id: str,
        status: AssignmentStatus,
        *,
        missions: MissionCatalog,
        source: str,
        expected_version: int,
        now: datetime,
        actor: str,
        actor_role: Role,
        why: str = "",
        effective_at: datetime | None = None,
    ) -> StoredCandidate:
        """Give the candidate a seat on ``mission_id`` or change that seat's status; the seat,
        the candidate's new version and the audit entry are written in one transaction."""
        source_text = " ".join(source.split())
        with self._writing() as session:
            row = _candidate_row(session, candidate_id)
            seats = _seats_of(session, [row.id])[row.id]
            stored = _stored(row, seats)
            _check_version(candidate_id, row.version, expected_version)
            entry = check_assignment(
                stored.candidate,
                mission_id,
                status,
                seats=seats,
                missions=missions,
                now=now,
                actor=actor,
                actor_role=actor_role,
                source=source_text,
                why=why,
                effective_at=effective_at,
            )
            _bump(session, candidate_id, expected_version, entry.at)
            existing = next((s for s in seats if s.mission_id == mission_id), None)
            if existing is None:
                session.execute(
                    insert(AstronautAssignmentRow).values(
                        candidate_id=candidate_id,
                        mission_id=mission_id,
                        status=status.value,
                        source=source_text,
                        assigned_at=entry.at,
                        updated_at=entry.at,
                    )
                )
                seat = Seat(candidate_id, mission_id, status, source_text, entry.at, entry.at)
            else:
                session.execute(
                    update(AstronautAssignmentRow)
                    .where(
                        AstronautAssignmentRow.candidate_id == candidate_id,
                        AstronautAssignmentRow.mission_id == mission_id,
                    )
                    .values(status=status.value, source=source_text, updated_at=entry.at)
                    .execution_options(synchronize_session=False)
                )
                seat = replace(existing, status=status, source=source_text, updated_at=entry.at)
            session.execute(insert(AstronautAuditRow).values(**_audit_values(entry)))
        others = tuple(s for s in seats if s.mission_id != mission_id)
        return StoredCandidate(
            stored.candidate,
            tuple(sorted((*others, seat), key=_seat_order)),
            expected_version + 1,
            stored.created_at,
            entry.at,
        )

    def audit_trail(self, candidate_id: str) -> list[AuditEntry]:
        """Every change of a candidate, oldest first (its creation included)."""
        query = (
            select(AstronautAuditRow)
            .where(AstronautAuditRow.candidate_id == candidate_id)
            .order_by(AstronautAuditRow.at, AstronautAuditRow.id)
        )
        with self._reads() as session, session.begin():
            _candidate_row(session, candidate_id)
            return [_audit_from_row(row) for row in session.scalars(query)]

    # --- helpers --------------------------------------------------------------------------------

    def _change(
        self,
        candidate_id: str,
        expected_version: int,
        change: Callable[[StoredCandidate], tuple[Candidate, AuditEntry]],
    ) -> StoredCandidate:
        with self._writing() as session:
            row = _candidate_row(session, candidate_id)
            stored = _stored(row, _seats_of(session, [row.id])[row.id])
            _check_version(candidate_id, row.version, expected_version)
            changed, entry = change(stored)
            result = session.execute(
                update(AstronautCandidateRow)
                .where(
                    AstronautCandidateRow.id == candidate_id,
                    AstronautCandidateRow.version == expected_version,
                )
                .values(
                    selection_stage=changed.selection_stage.value,
                    training_status=changed.training_status.value,
                    version=AstronautCandidateRow.version + 1,
                    updated_at=entry.at,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result) != 1:
                raise _stale(candidate_id, expected_version)
            session.execute(insert(AstronautAuditRow).values(**_audit_values(entry)))
        return StoredCandidate(
            changed, stored.seats, expected_version + 1, stored.created_at, entry.at
        )

    def _writing(self) -> AbstractContextManager[Session]:
        return write_session(self._engine)


# --- rows <-> domain values ---------------------------------------------------------------------


def _rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count


def _check_version(candidate_id: str, stored: int, expected: int) -> None:
    if isinstance(expected, bool) or not isinstance(expected, int) or expected != stored:
        raise _stale(candidate_id, expected)


def _stale(candidate_id: str, expected: int) -> StaleCandidateError:
    return StaleCandidateError(
        f"candidate {candidate_id!r} is no longer at version {expected!r} (someone else changed "
        "it): read it again and redo the change"
    )


def _bump(session: Session, candidate_id: str, expected: int, at: datetime) -> None:
    result = session.execute(
        update(AstronautCandidateRow)
        .where(AstronautCandidateRow.id == candidate_id, AstronautCandidateRow.version == expected)
        .values(version=AstronautCandidateRow.version + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        raise _stale(candidate_id, expected)


def _program_row(session: Session, program_id: str) -> AstronautProgramRow:
    row = session.get(AstronautProgramRow, program_id)
    if row is None:
        raise NotFoundError(
            f"no astronaut program with id {program_id!r}: list them at /astronaut-opportunities"
        )
    return row


def _candidate_row(session: Session, candidate_id: str) -> AstronautCandidateRow:
    row = session.get(AstronautCandidateRow, candidate_id)
    if row is None:
        raise NotFoundError(f"no astronaut candidate with id {candidate_id!r}: check the id")
    return row


def _seat_order(seat: Seat) -> tuple[datetime, str]:
    return seat.assigned_at, seat.mission_id


def _seats_of(session: Session, candidate_ids: Sequence[str]) -> dict[str, tuple[Seat, ...]]:
    found: dict[str, list[Seat]] = {cid: [] for cid in candidate_ids}
    if candidate_ids:
        query = (
            select(AstronautAssignmentRow)
            .where(AstronautAssignmentRow.candidate_id.in_(candidate_ids))
            .order_by(AstronautAssignmentRow.assigned_at, AstronautAssignmentRow.mission_id)
        )
        for row in session.scalars(query):
            found[row.candidate_id].append(
                Seat(
                    candidate_id=row.candidate_id,
                    mission_id=row.mission_id,
                    status=AssignmentStatus(row.status),
                    source=row.source,
                    assigned_at=row.assigned_at,
                    updated_at=row.updated_at,
                )
            )
    return {cid: tuple(seats) for cid, seats in found.items()}


def _insert_candidate(session: Session, new: NewCandidate) -> None:
    c = new.candidate
    created = new.audit[0].at if new.audit else None
    if created is None:
        raise ValidationError(
            f"candidate {c.id!r} has no creation audit entry: every candidate is stored with one"
        )
    session.add(
        AstronautCandidateRow(
            id=c.id,
            program_id=c.program_id,
            alias=c.alias,
            name=c.name,
            name_public=c.name_public,
            country=c.country,
            astronaut_id=c.astronaut_id,
            selection_stage=c.selection_stage.value,
            training_status=c.training_status.value,
            sources=list(c.sources),
            note=c.note,
            version=1,
            created_at=created,
            updated_at=created,
        )
    )
    session.flush()  # the candidate first: seats and audit rows refer to it
    for seat in new.seats:
        session.execute(
            insert(AstronautAssignmentRow).values(
                candidate_id=seat.candidate_id,
                mission_id=seat.mission_id,
                status=seat.status.value,
                source=seat.source,
                assigned_at=seat.assigned_at,
                updated_at=seat.updated_at,
            )
        )
    for entry in new.audit:
        session.execute(insert(AstronautAuditRow).values(**_audit_values(entry)))


def _program_values(program: Opportunity) -> dict[str, Any]:
    return {
        "id": program.id,
        "name": program.name,
        "country": program.country,
        "agreement": program.agreement,
        "flight_mission": program.flight_mission,
        "flight_note": program.flight_note,
        "sources": list(program.sources),
    }


def _program_from_row(row: AstronautProgramRow) -> Opportunity:
    return Opportunity(
        id=row.id,
        name=row.name,
        country=row.country,
        agreement=row.agreement,
        sources=tuple(row.sources),
        flight_mission=row.flight_mission,
        flight_note=row.flight_note,
    )


def _stored(row: AstronautCandidateRow, seats: tuple[Seat, ...]) -> StoredCandidate:
    candidate = Candidate(
        id=row.id,
        program_id=row.program_id,
        alias=row.alias,
        country=row.country,
        name=row.name,
        name_public=row.name_public,
        astronaut_id=row.astronaut_id,
        selection_stage=SelectionStage(row.selection_stage),
        training_status=TrainingStatus(row.training_status),
        sources=tuple(row.sources),
        note=row.note,
    )
    return StoredCandidate(candidate, seats, row.version, row.created_at, row.updated_at)


def _audit_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "candidate_id": entry.candidate_id,
        "actor": entry.actor,
        "actor_role": entry.actor_role.value,
        "at": entry.at,
        "effective_at": entry.effective_at,
        "field": entry.field.value,
        "from_value": entry.from_value,
        "to_value": entry.to_value,
        "why": entry.why,
    }


def _audit_from_row(row: AstronautAuditRow) -> AuditEntry:
    return AuditEntry(
        candidate_id=row.candidate_id,
        actor=row.actor,
        actor_role=Role(row.actor_role),
        at=row.at,
        effective_at=row.effective_at,
        field=AuditField(row.field),
        from_value=row.from_value,
        to_value=row.to_value,
        why=row.why,
    )


__all__ = [
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "AstronautStore",
    "NewCandidate",
    "StaleCandidateError",
    "StoredCandidate",
]
