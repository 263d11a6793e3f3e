"""Astronaut opportunities: foreign candidates, their selection and training, their missions.

Standard library only: the rules, not the storage. The persistence layer stores these values, the
services call the checks here before every write, and nothing here reads files, clocks or
databases. Every refusal is a :mod:`spacehome.errors` error with a one-line message.

Where the enumerations come from (record ``astronaut_programs.toml``; sources in
``css_facts.md``): the CMSEO–SUPARCO agreement of 2025-02-28 sets a **three-stage selection** —
a preliminary selection in Pakistan, then a secondary and a final selection in China — after
which two candidates were **shortlisted** (2026-02-07) to train for six months, one of whom is
to fly as a payload specialist. The Hong Kong and Macao payload specialists went through the
fourth astronaut batch's selection and were **selected** (2024-06-11). Hence:

``SelectionStage`` — the furthest point a candidate has reached:
``applied`` (application received), ``preliminary`` (in the preliminary selection),
``secondary`` (passed the preliminary, in the secondary selection), ``final`` (passed the
secondary, in the final selection), ``shortlisted`` (passed the final selection, chosen to
train; not yet chosen to fly), ``selected`` (chosen as an astronaut who may be assigned to a
flight), and the two ends ``not_selected`` (the selecting side dropped the candidate, a reason
is required) and ``withdrawn`` (the candidate or partner left, a reason is required).

``TrainingStatus``: ``not_started``, ``in_training``, ``qualified`` (training for flight
complete), ``flown``, and ``unknown`` — the sources do not say (the Macao payload specialist);
an officer replaces it once a source does.

Assignment to a mission (:func:`check_assignment`): only a ``selected`` candidate; a
``planned`` or ``confirmed`` seat needs training ``in_training`` or ``qualified``, a ``flown``
one ``qualified`` or ``flown``; one seat per candidate per mission (a second request for the
same mission changes that seat's status along :data:`ASSIGNMENT_TRANSITIONS`), and at most one
planned-or-confirmed seat per candidate at a time. The mission is a crewed mission of the
station record or a *future* Shenzhou flight that the record does not hold yet; a future one
can only be ``planned``, ``confirmed`` or ``cancelled``, never ``flown`` (what flew is in the
record).

Only program officers and admins change stages, training and seats (:data:`OFFICERS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from spacehome.errors import ConflictError, ValidationError

from .instant import format_utc, require_utc
from .program import Role, RoleError, country_code


class SelectionStage(Enum):
    APPLIED = "applied"
    PRELIMINARY = "preliminary"
    SECONDARY = "secondary"
    FINAL = "final"
    SHORTLISTED = "shortlisted"
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"
    WITHDRAWN = "withdrawn"


class TrainingStatus(Enum):
    UNKNOWN = "unknown"
    NOT_STARTED = "not_started"
    IN_TRAINING = "in_training"
    QUALIFIED = "qualified"
    FLOWN = "flown"


class AssignmentStatus(Enum):
    PLANNED = "planned"  # announced as intended, or inferred by a source: not a fact yet
    CONFIRMED = "confirmed"  # officially announced crew
    FLOWN = "flown"
    CANCELLED = "cancelled"


class AuditField(Enum):
    """What an audit entry changed."""

    CANDIDATE = "candidate"  # the candidate record was created (from "" to "created")
    SELECTION_STAGE = "selection_stage"
    TRAINING_STATUS = "training_status"
    ASSIGNMENT = "assignment"  # to: "<mission id>:<assignment status>"


_St = SelectionStage
_Tr = TrainingStatus
_As = AssignmentStatus

SELECTION_TRANSITIONS: Mapping[SelectionStage, frozenset[SelectionStage]] = {
    _St.APPLIED: frozenset({_St.PRELIMINARY, _St.NOT_SELECTED, _St.WITHDRAWN}),
    _St.PRELIMINARY: frozenset({_St.SECONDARY, _St.NOT_SELECTED, _St.WITHDRAWN}),
    _St.SECONDARY: frozenset({_St.FINAL, _St.NOT_SELECTED, _St.WITHDRAWN}),
    # The fourth batch went straight from the final selection to selected; Pakistan shortlisted.
    _St.FINAL: frozenset({_St.SHORTLISTED, _St.SELECTED, _St.NOT_SELECTED, _St.WITHDRAWN}),
    _St.SHORTLISTED: frozenset({_St.SELECTED, _St.NOT_SELECTED, _St.WITHDRAWN}),
    _St.SELECTED: frozenset({_St.WITHDRAWN}),
    _St.NOT_SELECTED: frozenset(),
    _St.WITHDRAWN: frozenset(),
}
"""Legal selection changes: ``SELECTION_TRANSITIONS[current]`` is what ``current`` may become."""

TRAINING_TRANSITIONS: Mapping[TrainingStatus, frozenset[TrainingStatus]] = {
    # The sources are silent: an officer records what a later source says.
    _Tr.UNKNOWN: frozenset({_Tr.NOT_STARTED, _Tr.IN_TRAINING, _Tr.QUALIFIED, _Tr.FLOWN}),
    _Tr.NOT_STARTED: frozenset({_Tr.IN_TRAINING}),
    _Tr.IN_TRAINING: frozenset({_Tr.QUALIFIED}),
    _Tr.QUALIFIED: frozenset({_Tr.FLOWN}),
    # A second flight needs mission training again.
    _Tr.FLOWN: frozenset({_Tr.IN_TRAINING}),
}
"""Legal training changes."""

ASSIGNMENT_TRANSITIONS: Mapping[AssignmentStatus, frozenset[AssignmentStatus]] = {
    _As.PLANNED: frozenset({_As.CONFIRMED, _As.FLOWN, _As.CANCELLED}),
    _As.CONFIRMED: frozenset({_As.FLOWN, _As.CANCELLED}),
    _As.FLOWN: frozenset(),
    _As.CANCELLED: frozenset({_As.PLANNED}),
}
"""Legal changes of one seat's status (a new seat starts in any status but ``cancelled``)."""

OFFICERS: frozenset[Role] = frozenset({Role.PROGRAM_OFFICER, Role.ADMIN})
"""Who may create candidates and change stages, training and seats."""

REASON_REQUIRED: frozenset[SelectionStage] = frozenset({_St.NOT_SELECTED, _St.WITHDRAWN})
"""Selection stages whose audit entry must say why."""

PUBLIC_STAGES: frozenset[SelectionStage] = frozenset({_St.SHORTLISTED, _St.SELECTED})
"""Stages the selecting side announces: candidates at earlier stages (applicants) and those who
left are personal data the public does not see."""

TRAINING_NEEDS_STAGE: frozenset[SelectionStage] = frozenset({_St.SHORTLISTED, _St.SELECTED})
"""Training starts once a candidate is shortlisted (Pakistan: shortlisted, then six months)."""

ACTIVE_SEATS: frozenset[AssignmentStatus] = frozenset({_As.PLANNED, _As.CONFIRMED})

#: The largest future Shenzhou number accepted beyond the record's latest (about ten years of
#: two crew flights a year): a typo like ``shenzhou-240`` is refused, not stored.
FUTURE_SHENZHOU_SPAN = 20

_SHENZHOU = re.compile(r"shenzhou-([1-9][0-9]{0,3})")


def _names(values: Iterable[Enum], kind: type[Enum]) -> str:
    chosen = set(values)
    return ", ".join(str(v.value) for v in kind if v in chosen) or "none"


def check_role(actor_role: Role, what: str) -> None:
    """Refuse anyone but a program officer or an admin (:class:`RoleError`, the API's 403)."""
    if actor_role not in OFFICERS:
        raise RoleError(
            f"role '{actor_role.value}' may not {what}: only program_officer or admin may"
        )


def parse_stage(value: str) -> SelectionStage:
    try:
        return SelectionStage(value)
    except ValueError:
        raise ValidationError(
            f"selection stage {value!r} is unknown: use one of {_names(SelectionStage, SelectionStage)}"
        ) from None


def parse_training(value: str) -> TrainingStatus:
    try:
        return TrainingStatus(value)
    except ValueError:
        raise ValidationError(
            f"training status {value!r} is unknown: use one of {_names(TrainingStatus, TrainingStatus)}"
        ) from None


# ---------------------------------------------------------------------------------------------
# Programs and candidates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opportunity:
    """A program that brings astronauts from a partner country or region to the station.

    ``country`` is ISO 3166-1 alpha-2 (``CN`` for the Hong Kong and Macao program, as in the
    record); ``agreement`` an agreement id of the record or ``""``; ``flight_mission`` the
    program's flight when the sources name it, else ``None`` with ``flight_note`` saying what is
    and is not known.
    """

    id: str
    name: str
    country: str
    agreement: str
    sources: tuple[str, ...]
    flight_mission: str | None = None
    flight_note: str = ""

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValidationError("a program has an empty id: give it an id such as 'pakistan'")
        if not self.name.strip():
            raise ValidationError(f"program {self.id!r} has an empty name: give it a name")
        object.__setattr__(
            self, "country", country_code(self.country, f"program {self.id!r} country")
        )
        object.__setattr__(self, "sources", tuple(self.sources))


@dataclass(frozen=True)
class Candidate:
    """A foreign (or SAR) astronaut candidate of one program.

    ``alias`` is a non-identifying label unique in the program (``Pakistani candidate 1``);
    ``name`` is ``None`` when the sources do not give it. ``name_public`` says whether the name
    has been published (the public sees it only then). ``country`` is ISO 3166-1 alpha-2 of the
    country or region the candidate comes from (``HK`` and ``MO`` are the SARs' ISO codes).
    """

    id: str
    program_id: str
    alias: str
    country: str
    name: str | None = None
    name_public: bool = False
    astronaut_id: str | None = None
    selection_stage: SelectionStage = SelectionStage.APPLIED
    training_status: TrainingStatus = TrainingStatus.NOT_STARTED
    sources: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValidationError("a candidate has an empty id: give it an id")
        alias = " ".join(self.alias.split())
        if not alias:
            raise ValidationError(
                f"candidate {self.id!r} has an empty alias: give a label such as 'Pakistani candidate 3'"
            )
        object.__setattr__(self, "alias", alias)
        name = None if self.name is None else " ".join(self.name.split()) or None
        object.__setattr__(self, "name", name)
        if name is None and self.name_public:
            raise ValidationError(
                f"candidate {self.id!r} has no name but name_public is true: give the published "
                "name or set name_public to false"
            )
        object.__setattr__(
            self, "country", country_code(self.country, f"candidate {self.id!r} country")
        )
        object.__setattr__(self, "sources", tuple(self.sources))

    @property
    def name_known(self) -> bool:
        return self.name is not None

    @property
    def public(self) -> bool:
        """True when the public may see this candidate (see :data:`PUBLIC_STAGES`)."""
        return self.selection_stage in PUBLIC_STAGES

    @property
    def display_name(self) -> str:
        """The published name, or the alias marked as such: the public never sees a private name."""
        if self.name is not None and self.name_public:
            return self.name
        return f"{self.alias} (name not published)"


@dataclass(frozen=True)
class AuditEntry:
    """One change of one candidate: who, in which role, when recorded (``at``), when it happened
    in the world (``effective_at``, from the source; ``at`` when not given), what, from, to, why."""

    candidate_id: str
    actor: str
    actor_role: Role
    at: datetime
    effective_at: datetime
    field: AuditField
    from_value: str
    to_value: str
    why: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "audit time"))
        object.__setattr__(self, "effective_at", require_utc(self.effective_at, "effective_at"))


def _effective(now: datetime, effective_at: datetime | None) -> tuple[datetime, datetime]:
    instant = require_utc(now, "now")
    if effective_at is None:
        return instant, instant
    effective = require_utc(effective_at, "effective_at")
    if effective > instant:
        raise ValidationError(
            f"effective_at {format_utc(effective)} is after now ({format_utc(instant)}): a change "
            "is recorded once it has happened; give its date or leave effective_at out"
        )
    return instant, effective


def _entry_basics(candidate_id: str, actor: str) -> str:
    if not candidate_id.strip():
        raise ValidationError("the candidate id is empty: give the id of the candidate to change")
    if not actor.strip():
        raise ValidationError("the actor is empty: give the id of the account making the change")
    return actor.strip()


def creation_entry(
    candidate: Candidate,
    *,
    now: datetime,
    actor: str,
    actor_role: Role,
    why: str = "",
    effective_at: datetime | None = None,
) -> AuditEntry:
    """The audit entry of a new candidate (checked: officers only)."""
    check_role(actor_role, "create astronaut candidates")
    who = _entry_basics(candidate.id, actor)
    at, effective = _effective(now, effective_at)
    return AuditEntry(
        candidate.id,
        who,
        actor_role,
        at,
        effective,
        AuditField.CANDIDATE,
        "",
        "created",
        " ".join(why.split()),
    )


def change_selection(
    candidate: Candidate,
    target: SelectionStage,
    *,
    now: datetime,
    actor: str,
    actor_role: Role,
    why: str = "",
    effective_at: datetime | None = None,
) -> AuditEntry:
    """Check a selection change and return its audit entry.

    Checked in this order: times aware (else ValidationError); the change is in
    :data:`SELECTION_TRANSITIONS` (else ConflictError, 409); the role (else RoleError, 403); a
    reason for the stages in :data:`REASON_REQUIRED` (else ValidationError).
    """
    at, effective = _effective(now, effective_at)
    current = candidate.selection_stage
    if target not in SELECTION_TRANSITIONS[current]:
        raise ConflictError(
            f"a candidate at selection stage '{current.value}' cannot move to '{target.value}'; "
            f"allowed from {current.value}: {_names(SELECTION_TRANSITIONS[current], SelectionStage)}"
        )
    check_role(actor_role, "change a candidate's selection stage")
    who = _entry_basics(candidate.id, actor)
    reason = " ".join(why.split())
    if target in REASON_REQUIRED and not reason:
        raise ValidationError(
            f"moving candidate {candidate.id!r} to '{target.value}' needs a reason: say why in 'why'"
        )
    return AuditEntry(
        candidate.id,
        who,
        actor_role,
        at,
        effective,
        AuditField.SELECTION_STAGE,
        current.value,
        target.value,
        reason,
    )


def change_training(
    candidate: Candidate,
    target: TrainingStatus,
    *,
    now: datetime,
    actor: str,
    actor_role: Role,
    why: str = "",
    effective_at: datetime | None = None,
) -> AuditEntry:
    """Check a training change and return its audit entry.

    Legal change (:data:`TRAINING_TRANSITIONS`, else 409); role (else 403); training beyond
    ``not_started`` only for candidates in :data:`TRAINING_NEEDS_STAGE`, and ``flown`` only for
    ``selected`` ones (else ConflictError, 409).
    """
    at, effective = _effective(now, effective_at)
    current = candidate.training_status
    if target not in TRAINING_TRANSITIONS[current]:
        raise ConflictError(
            f"a candidate with training status '{current.value}' cannot move to '{target.value}'; "
            f"allowed from {current.value}: {_names(TRAINING_TRANSITIONS[current], TrainingStatus)}"
        )
    check_role(actor_role, "change a candidate's training status")
    who = _entry_basics(candidate.id, actor)
    stage = candidate.selection_stage
    if target is not _Tr.NOT_STARTED and stage not in TRAINING_NEEDS_STAGE:
        raise ConflictError(
            f"candidate {candidate.id!r} is at selection stage '{stage.value}': training is "
            "recorded only for shortlisted or selected candidates; move the selection stage first"
        )
    if target is _Tr.FLOWN and stage is not _St.SELECTED:
        raise ConflictError(
            f"candidate {candidate.id!r} is '{stage.value}', not selected: only a selected "
            "astronaut can have flown; move the selection stage to selected first"
        )
    return AuditEntry(
        candidate.id,
        who,
        actor_role,
        at,
        effective,
        AuditField.TRAINING_STATUS,
        current.value,
        target.value,
        " ".join(why.split()),
    )


# ---------------------------------------------------------------------------------------------
# Missions and seats
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissionCatalog:
    """The crewed missions a candidate can be assigned to.

    ``crewed`` are the ids of the record's crewed missions; ``other`` the ids of its uncrewed
    ones (named in the refusal). A Shenzhou id past the record's latest Shenzhou (by at most
    :data:`FUTURE_SHENZHOU_SPAN`) is a planned future mission.
    """

    crewed: frozenset[str]
    other: frozenset[str] = frozenset()

    @property
    def latest_shenzhou(self) -> int:
        numbers = [int(m.group(1)) for i in self.crewed if (m := _SHENZHOU.fullmatch(i))]
        return max(numbers, default=0)

    def is_future(self, mission_id: str) -> bool:
        """True for a Shenzhou flight after the record's latest one (within the span)."""
        match = _SHENZHOU.fullmatch(mission_id)
        if match is None or mission_id in self.crewed:
            return False
        latest = self.latest_shenzhou
        return latest < int(match.group(1)) <= latest + FUTURE_SHENZHOU_SPAN

    def check(self, mission_id: str) -> None:
        """Refuse a mission that is neither a crewed record mission nor a future Shenzhou."""
        if mission_id in self.crewed or self.is_future(mission_id):
            return
        latest = self.latest_shenzhou
        if mission_id in self.other:
            raise ValidationError(
                f"mission {mission_id!r} carries no crew: assign candidates to a crewed mission "
                f"such as shenzhou-{latest}"
            )
        raise ValidationError(
            f"mission {mission_id!r} is not a crewed mission of the record nor a future Shenzhou "
            f"flight: use a record id such as 'shenzhou-{latest}' or 'shenzhou-{latest + 1}' to "
            f"'shenzhou-{latest + FUTURE_SHENZHOU_SPAN}' for a planned one"
        )


@dataclass(frozen=True)
class Seat:
    """A candidate's seat on one mission; ``source`` says who announced or inferred it."""

    candidate_id: str
    mission_id: str
    status: AssignmentStatus
    source: str
    assigned_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "assigned_at", require_utc(self.assigned_at, "assigned_at"))
        object.__setattr__(self, "updated_at", require_utc(self.updated_at, "updated_at"))

    @property
    def confirmed(self) -> bool:
        """True when the seat is a fact (officially confirmed or flown), not a plan."""
        return self.status in (_As.CONFIRMED, _As.FLOWN)


def check_assignment(
    candidate: Candidate,
    mission_id: str,
    status: AssignmentStatus,
    *,
    seats: Iterable[Seat],
    missions: MissionCatalog,
    now: datetime,
    actor: str,
    actor_role: Role,
    source: str,
    why: str = "",
    effective_at: datetime | None = None,
) -> AuditEntry:
    """Check a new seat, or a change of an existing seat's status, and return its audit entry.

    Order: times; mission known (else ValidationError, 422); role (else 403); the rules of the
    module docstring (else ConflictError, 409). ``seats`` are the candidate's current seats.
    """
    at, effective = _effective(now, effective_at)
    missions.check(mission_id)
    check_role(actor_role, "assign candidates to missions")
    who = _entry_basics(candidate.id, actor)
    if not source.strip():
        raise ValidationError(
            "an assignment needs its source: name the announcement or the source id it comes from"
        )
    held = {seat.mission_id: seat for seat in seats}
    existing = held.get(mission_id)
    if existing is not None:
        allowed = ASSIGNMENT_TRANSITIONS[existing.status]
        if status not in allowed:
            raise ConflictError(
                f"candidate {candidate.id!r} already has a '{existing.status.value}' seat on "
                f"{mission_id!r} (one seat per mission); it may become only "
                f"{_names(allowed, AssignmentStatus)}"
            )
    elif status is _As.CANCELLED:
        raise ConflictError(
            f"candidate {candidate.id!r} has no seat on {mission_id!r} to cancel: assign one first"
        )
    if status is _As.FLOWN and missions.is_future(mission_id):
        raise ConflictError(
            f"mission {mission_id!r} is not in the station record yet: a seat on it can be "
            "planned or confirmed, not flown; add the flight to the record first"
        )
    if status is not _As.CANCELLED:
        stage, training = candidate.selection_stage, candidate.training_status
        if stage is not _St.SELECTED:
            raise ConflictError(
                f"candidate {candidate.id!r} is at selection stage '{stage.value}': only selected "
                "candidates can be assigned to a mission; move the selection stage to selected first"
            )
        needed = (
            {_Tr.QUALIFIED, _Tr.FLOWN} if status is _As.FLOWN else {_Tr.IN_TRAINING, _Tr.QUALIFIED}
        )
        if training not in needed:
            raise ConflictError(
                f"candidate {candidate.id!r} has training status '{training.value}': a "
                f"'{status.value}' seat needs {_names(needed, TrainingStatus)}"
            )
        if status in ACTIVE_SEATS:
            others = sorted(
                s.mission_id
                for s in held.values()
                if s.status in ACTIVE_SEATS and s.mission_id != mission_id
            )
            if others:
                raise ConflictError(
                    f"candidate {candidate.id!r} already holds a seat on {others[0]!r}: cancel "
                    "it or mark it flown before planning another"
                )
    before = "" if existing is None else f"{mission_id}:{existing.status.value}"
    return AuditEntry(
        candidate.id,
        who,
        actor_role,
        at,
        effective,
        AuditField.ASSIGNMENT,
        before,
        f"{mission_id}:{status.value}",
        " ".join(why.split()),
    )


__all__ = [
    "ASSIGNMENT_TRANSITIONS",
    "OFFICERS",
    "PUBLIC_STAGES",
    "REASON_REQUIRED",
    "SELECTION_TRANSITIONS",
    "TRAINING_TRANSITIONS",
    "AssignmentStatus",
    "AuditEntry",
    "AuditField",
    "Candidate",
    "MissionCatalog",
    "Opportunity",
    "Seat",
    "SelectionStage",
    "TrainingStatus",
    "change_selection",
    "change_training",
    "check_assignment",
    "check_role",
    "creation_entry",
    "parse_stage",
    "parse_training",
]
