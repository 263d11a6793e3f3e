"""Use cases of astronaut opportunities: programs, foreign candidates, their selection, training
and seats on missions, with what each role may see.

(The record's flown astronauts are :mod:`spacehome.services.people`; this module is about the
candidates of the partner programs, which the database holds and officers change.)

Views are JSON-ready dicts; the acting account is an :class:`~spacehome.services.program.Actor`.
The API maps the errors: NotFoundError 404, ValidationError 422, ConflictError 409, RoleError
403, :class:`~spacehome.persistence.astronaut_store.StaleCandidateError` 412.

Visibility (candidate data is personal data): program officers and admins see everything. Every
other role — public, partners, reviewers, planners — sees what the selecting side has announced:
only candidates at a stage in :data:`~spacehome.domain.astronaut_opportunities.PUBLIC_STAGES`
(shortlisted, selected), a name only when it is published (else the alias, marked "name not
published"), and only confirmed or flown seats (a planned seat is not a fact). A candidate they
may not see is *not found*, exactly like an id that does not exist.

The reference data (:func:`load_reference_candidates`) are the record's programs and candidates
(``record/data/astronaut_programs.toml``): two programs, four candidates, one flown seat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine

from spacehome.domain.astronaut_opportunities import (
    PUBLIC_STAGES,
    SELECTION_TRANSITIONS,
    TRAINING_TRANSITIONS,
    AssignmentStatus,
    AuditEntry,
    Candidate,
    MissionCatalog,
    Opportunity,
    Seat,
    SelectionStage,
    TrainingStatus,
    check_assignment,
    creation_entry,
    parse_stage,
    parse_training,
)
from spacehome.domain.instant import format_utc, parse_instant
from spacehome.domain.program import Role
from spacehome.domain.record import StationRecord
from spacehome.domain.station import MissionKind
from spacehome.errors import NotFoundError, RecordError, ValidationError
from spacehome.persistence.astronaut_store import (
    AstronautStore,
    NewCandidate,
    StoredCandidate,
)
from spacehome.persistence.engine import open_database

from .program import OFFICERS, Actor
from .station import default_record

JSON = dict[str, Any]

#: Who writes the reference data into the audit log.
RECORD_LOADER: Final = Actor(id="station-record", role=Role.ADMIN)

#: What the record's free-text candidate statuses mean, per program, in the record's order:
#: (status text, country or region of the candidate, alias, selection stage, training status).
#: The texts are compared: a record change that this table does not cover is refused rather
#: than guessed (add its row here).
REFERENCE_CANDIDATES: Final[
    dict[str, tuple[tuple[str, str, str, SelectionStage, TrainingStatus], ...]]
] = {
    "pakistan": (
        # Shortlisted 2026-02-07 after assessments at the Astronaut Centre of China; six months of
        # training follow (china-in-space-2026-02). Which of the two flies is not published.
        (
            "shortlisted 2026-02-07; in training",
            "PK",
            "Pakistani candidate 1",
            SelectionStage.SHORTLISTED,
            TrainingStatus.IN_TRAINING,
        ),
        (
            "shortlisted 2026-02-07; in training",
            "PK",
            "Pakistani candidate 2",
            SelectionStage.SHORTLISTED,
            TrainingStatus.IN_TRAINING,
        ),
    ),
    "hong-kong-macao": (
        # Fourth batch, 2024-06-11: one payload specialist from Hong Kong, one from Macao.
        (
            "flew on Shenzhou-23",
            "HK",
            "Hong Kong payload specialist",
            SelectionStage.SELECTED,
            TrainingStatus.FLOWN,
        ),
        # The sources give neither the Macao specialist's name nor the state of the training.
        (
            "selected 2024-06-11; flight not in the sources",
            "MO",
            "Macao payload specialist",
            SelectionStage.SELECTED,
            TrainingStatus.UNKNOWN,
        ),
    ),
}

_RECORD_FILE = "astronaut_programs.toml"


def is_officer(actor: Actor) -> bool:
    return actor.role in OFFICERS


def mission_catalog(record: StationRecord) -> MissionCatalog:
    """The record's crewed station missions (assignable) and the rest (named in refusals)."""
    crewed = frozenset(
        m.id for m in record.missions if m.kind is MissionKind.CREWED and m.station == "css"
    )
    return MissionCatalog(crewed=crewed, other=frozenset(m.id for m in record.missions) - crewed)


# --- reference data -----------------------------------------------------------------------------


def reference_data(
    record: StationRecord, *, now: datetime
) -> tuple[list[Opportunity], list[NewCandidate]]:
    """The record's programs and candidates as domain values, each candidate with its creation
    audit entry and (when the record names its flight) its flown seat, checked by the domain."""
    programs: list[Opportunity] = []
    candidates: list[NewCandidate] = []
    catalog = mission_catalog(record)
    for program in record.programs:
        flight = program.flight
        programs.append(
            Opportunity(
                id=program.id,
                name=program.name,
                country=program.country,
                agreement=program.agreement,
                sources=program.sources,
                flight_mission=flight.value,
                flight_note=flight.note,
            )
        )
        table = REFERENCE_CANDIDATES.get(program.id)
        texts = [c.status for c in program.candidates]
        if table is None or [row[0] for row in table] != texts:
            raise RecordError(
                _RECORD_FILE,
                f"program '{program.id}'",
                "candidates",
                f"statuses {texts} are not those services.astronauts.REFERENCE_CANDIDATES "
                "encodes: add what they mean there",
            )
        flown_names = {record.astronaut(a).name: a for a in program.flown_by}
        for number, (raw, row) in enumerate(zip(program.candidates, table, strict=True), start=1):
            status_text, country, alias, stage, training = row
            name = raw.name.value
            astronaut_id = flown_names.get(name) if name is not None else None
            candidate = Candidate(
                id=f"{program.id}-{number}",
                program_id=program.id,
                alias=alias,
                country=country,
                name=name,
                name_public=name is not None,
                astronaut_id=astronaut_id,
                selection_stage=stage,
                training_status=training,
                sources=raw.name.sources if name is not None else program.sources,
                note="; ".join(
                    part for part in (f"record: {status_text}", raw.name.note, raw.note) if part
                ),
            )
            audit = [
                creation_entry(
                    candidate,
                    now=now,
                    actor=RECORD_LOADER.id,
                    actor_role=RECORD_LOADER.role,
                    why=f"loaded from the station record ({_RECORD_FILE})",
                )
            ]
            seats: list[Seat] = []
            if astronaut_id is not None and flight.value is not None:
                source = ", ".join(flight.sources) or "station record"
                audit.append(
                    check_assignment(
                        candidate,
                        flight.value,
                        AssignmentStatus.FLOWN,
                        seats=(),
                        missions=catalog,
                        now=now,
                        actor=RECORD_LOADER.id,
                        actor_role=RECORD_LOADER.role,
                        source=source,
                        why=f"loaded from the station record ({_RECORD_FILE}: flown_by)",
                    )
                )
                seats.append(
                    Seat(candidate.id, flight.value, AssignmentStatus.FLOWN, source, now, now)
                )
            candidates.append(NewCandidate(candidate, tuple(seats), tuple(audit)))
    return programs, candidates


def load_reference_candidates(
    database_url: str | None, *, now: datetime, record: StationRecord | None = None
) -> JSON:
    """Load the record's programs and candidates into the database, in one transaction.

    Idempotent: what is stored already (by id) is kept, so a second load adds nothing and an
    officer's later changes survive. Returns ``{"programs_added", "candidates_added",
    "programs", "candidates"}`` (the last two: how many the record holds).
    """
    chosen = record if record is not None else default_record()
    programs, candidates = reference_data(chosen, now=now)
    added_programs, added_candidates = AstronautStore(open_database(database_url)).load_reference(
        programs, candidates
    )
    return {
        "programs_added": added_programs,
        "candidates_added": added_candidates,
        "programs": len(programs),
        "candidates": len(candidates),
    }


# --- views --------------------------------------------------------------------------------------


def _seat_view(seat: Seat, full: bool) -> JSON:
    view: JSON = {
        "mission_id": seat.mission_id,
        "status": seat.status.value,
        "confirmed": seat.confirmed,
        "source": seat.source,
    }
    if full:
        view["assigned_at"] = format_utc(seat.assigned_at)
        view["updated_at"] = format_utc(seat.updated_at)
    return view


def candidate_view(stored: StoredCandidate, actor: Actor) -> JSON:
    """The full record for officers; the published facts for everyone else."""
    c = stored.candidate
    full = is_officer(actor)
    published = c.name is not None and c.name_public
    view: JSON = {
        "id": c.id,
        "program_id": c.program_id,
        "country": c.country,
        "display_name": c.display_name,
        "name": c.name if (full or published) else None,
        "name_published": published,
        "selection_stage": c.selection_stage.value,
        "training_status": c.training_status.value,
        "assignments": [_seat_view(s, full) for s in stored.seats if full or s.confirmed],
    }
    if full:
        view.update(
            {
                "alias": c.alias,
                "name_known": c.name_known,
                "astronaut_id": c.astronaut_id,
                "sources": list(c.sources),
                "note": c.note,
                "next_selection_stages": [
                    s.value for s in SelectionStage if s in SELECTION_TRANSITIONS[c.selection_stage]
                ],
                "next_training_statuses": [
                    s.value for s in TrainingStatus if s in TRAINING_TRANSITIONS[c.training_status]
                ],
                "version": stored.version,
                "created_at": format_utc(stored.created_at),
                "updated_at": format_utc(stored.updated_at),
            }
        )
    return view


def _audit_view(entry: AuditEntry) -> JSON:
    return {
        "at": format_utc(entry.at),
        "effective_at": format_utc(entry.effective_at),
        "actor": entry.actor,
        "actor_role": entry.actor_role.value,
        "field": entry.field.value,
        "from": entry.from_value,
        "to": entry.to_value,
        "why": entry.why,
    }


# --- the use cases ------------------------------------------------------------------------------


class AstronautService:
    """Astronaut programs and candidates on one database, checked against one station record."""

    def __init__(self, engine: Engine, record: StationRecord | None = None) -> None:
        self.store = AstronautStore(engine)
        self.record = record if record is not None else default_record()
        self.missions = mission_catalog(self.record)

    @classmethod
    def open(cls, database_url: str | None = None) -> AstronautService:
        """The service on the project database (created and migrated on first use)."""
        return cls(open_database(database_url))

    @staticmethod
    def _stages(actor: Actor) -> tuple[SelectionStage, ...] | None:
        """The stages ``actor`` may see (``None``: every stage)."""
        return None if is_officer(actor) else tuple(s for s in SelectionStage if s in PUBLIC_STAGES)

    def list_opportunities(self, actor: Actor) -> JSON:
        """Every program with its country, agreement, flight and the candidates ``actor`` sees,
        counted by selection stage."""
        stages = self._stages(actor)
        agreements = {a.id: a for a in self.record.agreements}
        counts = self.store.counts(stages)
        items = []
        for program in self.store.list_programs():
            mine = counts.get(program.id, {})
            by_stage = {s.value: 0 for s in SelectionStage}
            for (stage, _), number in mine.items():
                by_stage[stage.value] += number
            agreement = agreements.get(program.agreement)
            items.append(
                {
                    "id": program.id,
                    "name": program.name,
                    "country": program.country,
                    "agreement": None
                    if agreement is None
                    else {
                        "id": agreement.id,
                        "title": agreement.title,
                        "signed": None
                        if agreement.signed.value is None
                        else format_utc(agreement.signed.value),
                    },
                    "flight": {
                        "mission_id": program.flight_mission,
                        "known": program.flight_mission is not None,
                        "note": program.flight_note,
                    },
                    "sources": list(program.sources),
                    "candidates": {
                        "total": sum(mine.values()),
                        "by_stage": by_stage,
                        "flown": sum(
                            n
                            for (_, training), n in mine.items()
                            if training is TrainingStatus.FLOWN
                        ),
                    },
                }
            )
        return {"items": items, "total": len(items)}

    def list_candidates(
        self, actor: Actor, *, program_id: str | None, limit: int, offset: int
    ) -> JSON:
        page, total = self.store.list_candidates(
            program_id=program_id, stages=self._stages(actor), limit=limit, offset=offset
        )
        return {
            "items": [candidate_view(s, actor) for s in page],
            "total": total,
            "limit": limit,
            "offset": offset,
        }

    def read_candidate(self, actor: Actor, candidate_id: str) -> StoredCandidate:
        """The candidate if ``actor`` may see it; otherwise NotFoundError (ids do not leak)."""
        stored = self.store.get_candidate(candidate_id)
        if is_officer(actor) or stored.candidate.selection_stage in PUBLIC_STAGES:
            return stored
        raise NotFoundError(f"no astronaut candidate with id {candidate_id!r}: check the id")

    def create_candidate(
        self,
        actor: Actor,
        *,
        program_id: str,
        alias: str,
        country: str,
        name: str | None,
        name_public: bool,
        sources: Sequence[str],
        note: str,
        why: str,
        now: datetime,
    ) -> StoredCandidate:
        return self.store.create_candidate(
            program_id=program_id,
            alias=alias,
            country=country,
            name=name,
            name_public=name_public,
            sources=sources,
            note=note,
            now=now,
            actor=actor.id,
            actor_role=actor.role,
            why=why,
        )

    def change(
        self,
        actor: Actor,
        candidate_id: str,
        *,
        field: str,
        to: str,
        why: str,
        effective_at: str | None,
        expected_version: int,
        now: datetime,
    ) -> StoredCandidate:
        """Change the selection stage (``field="selection_stage"``) or the training status."""
        self.read_candidate(actor, candidate_id)
        effective = None if effective_at is None else parse_instant(effective_at, "effective_at")
        common: dict[str, Any] = {
            "expected_version": expected_version,
            "now": now,
            "actor": actor.id,
            "actor_role": actor.role,
            "why": why,
            "effective_at": effective,
        }
        if field == "selection_stage":
            return self.store.change_selection(candidate_id, parse_stage(to), **common)
        if field == "training_status":
            return self.store.change_training(candidate_id, parse_training(to), **common)
        raise ValidationError(
            f"field {field!r} cannot be changed here: use selection_stage or training_status"
        )

    def assign(
        self,
        actor: Actor,
        candidate_id: str,
        *,
        mission_id: str,
        status: AssignmentStatus,
        source: str,
        why: str,
        effective_at: str | None,
        expected_version: int,
        now: datetime,
    ) -> StoredCandidate:
        """Give a seat on a mission, or change the seat's status (see the domain's rules)."""
        self.read_candidate(actor, candidate_id)
        effective = None if effective_at is None else parse_instant(effective_at, "effective_at")
        return self.store.assign(
            candidate_id,
            mission_id.strip(),
            status,
            missions=self.missions,
            source=source,
            expected_version=expected_version,
            now=now,
            actor=actor.id,
            actor_role=actor.role,
            why=why,
            effective_at=effective,
        )

    def audit(self, actor: Actor, candidate_id: str) -> JSON:
        self.read_candidate(actor, candidate_id)
        entries = [_audit_view(e) for e in self.store.audit_trail(candidate_id)]
        return {"candidate_id": candidate_id, "items": entries, "total": len(entries)}


__all__ = [
    "REFERENCE_CANDIDATES",
    "AstronautService",
    "candidate_view",
    "load_reference_candidates",
    "mission_catalog",
    "reference_data",
]
