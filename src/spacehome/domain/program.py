"""The cooperation program's pure rules: calls, resources, teams, proposals and their life cycle.

Standard library only. The persistence layer stores these values, the API exposes them, and the
services call the checks here before every write; nothing in this module reads files, clocks or
databases. Every refusal is a :mod:`spacehome.errors` error with a one-line message that says what
is wrong and how to fix it.

Review, conflicts of interest, score aggregation and visibility live in
:mod:`spacehome.domain.program_review`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum, StrEnum
from typing import ClassVar

from spacehome.errors import ConflictError, ValidationError

from .instant import format_utc, require_utc


class RoleError(ConflictError):
    """A state change the actor's role is not allowed to make (the API answers 403)."""


class DeadlineError(ConflictError):
    """A submission outside the call's open window."""


class Role(StrEnum):
    """Who is acting. ``public`` is anyone without a login."""

    PUBLIC = "public"
    PARTNER = "partner"
    REVIEWER = "reviewer"
    PROGRAM_OFFICER = "program_officer"
    PLANNER = "planner"
    ADMIN = "admin"


class Modality(Enum):
    """How a project uses the station (the three modalities of the UNOOSA-CMSA calls)."""

    OWN_EXPERIMENT = "own_experiment"  # the partner's own experiment in a station rack
    FACILITY = "facility"  # use of a station facility
    EXTERNAL_EXPOSURE = "external_exposure"  # exposure outside the pressurised modules


# ---------------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------------

RESOURCE_UNITS: Mapping[str, str] = {
    "crew_hours": "h",
    "rack_months": "rack-months",
    "adapter_months": "adapter-months",
    "upmass_kg": "kg",
    "downlink_gb": "GB",
}


def _quantity(value: object, name: str, what: str) -> float:
    unit = RESOURCE_UNITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(
            f"{what} {name} is {value!r}, not a number: give it as a number of {unit}"
        )
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValidationError(
            f"{what} {name} is {value!r}: give a finite, non-negative number of {unit}"
        )
    return number


@dataclass(frozen=True)
class _Resources:
    crew_hours: float = 0.0
    rack_months: float = 0.0
    adapter_months: float = 0.0
    upmass_kg: float = 0.0
    downlink_gb: float = 0.0

    _WHAT: ClassVar[str] = "resource"

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _quantity(getattr(self, f.name), f.name, self._WHAT))

    def amounts(self) -> dict[str, float]:
        """Each quantity by name, in the order of :data:`RESOURCE_UNITS`."""
        return {name: float(getattr(self, name)) for name in RESOURCE_UNITS}

    def describe(self) -> str:
        """Human text, e.g. ``crew_hours 12 h, upmass_kg 30 kg`` (zero quantities left out)."""
        parts = [f"{n} {v:g} {RESOURCE_UNITS[n]}" for n, v in self.amounts().items() if v]
        return ", ".join(parts) or "nothing"


def _from_mapping(values: Mapping[str, object], what: str) -> dict[str, float]:
    unknown = sorted(set(values) - set(RESOURCE_UNITS))
    if unknown:
        known = ", ".join(f"{n} ({u})" for n, u in RESOURCE_UNITS.items())
        raise ValidationError(f"{what} has unknown quantity {unknown[0]!r}: use one of {known}")
    return {name: _quantity(values[name], name, what) for name in values}


@dataclass(frozen=True)
class ResourceEnvelope(_Resources):
    """What a call offers in total: every quantity finite and non-negative (zero: none offered)."""

    _WHAT: ClassVar[str] = "envelope"

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> ResourceEnvelope:
        """Build from ``{"crew_hours": 40, ...}``; unknown names and bad numbers are refused."""
        return cls(**_from_mapping(values, "envelope"))

    def shortfalls(self, request: ResourceRequest) -> tuple[str, ...]:
        """One line per quantity where ``request`` asks for more than this envelope holds."""
        offered = self.amounts()
        return tuple(
            f"{name} {asked:g} {RESOURCE_UNITS[name]} > {offered[name]:g} offered"
            for name, asked in request.amounts().items()
            if asked > offered[name]
        )


@dataclass(frozen=True)
class ResourceRequest(_Resources):
    """What one proposal asks for: every quantity finite and non-negative, at least one above zero."""

    _WHAT: ClassVar[str] = "request"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not any(self.amounts().values()):
            names = ", ".join(RESOURCE_UNITS)
            raise ValidationError(
                f"resource request asks for nothing: give at least one of {names} above zero",
                field="request",
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> ResourceRequest:
        """Build from ``{"crew_hours": 12, ...}``; unknown names and bad numbers are refused."""
        return cls(**_from_mapping(values, "request"))


# ---------------------------------------------------------------------------------------------
# Countries, institutions, teams
# ---------------------------------------------------------------------------------------------


def country_code(value: str, what: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased; anything else is refused."""
    code = _alpha2(value)
    if code is None:
        raise ValidationError(
            f"{what} {value!r} is not an ISO 3166-1 alpha-2 code: write two letters, e.g. KE or PE"
        )
    return code


@functools.lru_cache(maxsize=64)
def _country_set(codes: tuple[str, ...]) -> frozenset[str] | None:
    # Memoised: every call read back from the database re-checks its ~200 eligible countries,
    # and a page of calls mostly shares one list (all UN member states).
    normalised = [_alpha2(code) for code in codes]
    return None if None in normalised else frozenset(c for c in normalised if c is not None)


@functools.lru_cache(maxsize=1024)
def _alpha2(value: str) -> str | None:
    code = value.strip().upper()
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def institution_key(name: str) -> str:
    """The form institution names are compared in: case-folded, whitespace collapsed."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class TeamInstitution:
    """One institution of a proposing team, with its country (ISO 3166-1 alpha-2)."""

    name: str
    country: str

    def __post_init__(self) -> None:
        name = " ".join(self.name.split())
        if not name:
            raise ValidationError("an institution has an empty name: give its full name")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "country", country_code(self.country, f"country of {name!r}"))


@dataclass(frozen=True)
class Team:
    """A lead institution and its partner institutions; no institution twice."""

    lead: TeamInstitution
    partners: tuple[TeamInstitution, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "partners", tuple(self.partners))
        seen: set[str] = set()
        for member in self.institutions:
            key = institution_key(member.name)
            if key in seen:
                raise ValidationError(
                    f"institution {member.name!r} appears twice in the team: list it once"
                )
            seen.add(key)

    @property
    def institutions(self) -> tuple[TeamInstitution, ...]:
        """The lead first, then the partners in the order given."""
        return (self.lead, *self.partners)

    @property
    def countries(self) -> tuple[str, ...]:
        """The team's countries, sorted, each once."""
        return tuple(sorted({member.country for member in self.institutions}))


# ---------------------------------------------------------------------------------------------
# Calls
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A call for proposals.

    ``eligible_countries`` is the set of ISO alpha-2 codes whose institutions may propose (the UN
    member states; the caller supplies them, this module loads nothing). Proposals may be
    submitted while ``opens_at <= now < closes_at``.
    """

    id: str
    title: str
    modalities: frozenset[Modality]
    opens_at: datetime
    closes_at: datetime
    envelope: ResourceEnvelope
    eligible_countries: frozenset[str]

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValidationError("a call has an empty id: give it an id such as 'cycle-2'")
        if not self.title.strip():
            raise ValidationError(f"call {self.id!r} has an empty title: give it a title")
        modalities = frozenset(self.modalities)
        if not modalities:
            names = ", ".join(m.value for m in Modality)
            raise ValidationError(
                f"call {self.id!r} offers no modality: offer at least one of {names}"
            )
        object.__setattr__(self, "modalities", modalities)
        opens = require_utc(self.opens_at, f"call {self.id!r} opens_at")
        closes = require_utc(self.closes_at, f"call {self.id!r} closes_at")
        if closes <= opens:
            raise ValidationError(
                f"call {self.id!r} closes at {format_utc(closes)}, not after it opens at "
                f"{format_utc(opens)}: give a closing time after the opening time"
            )
        object.__setattr__(self, "opens_at", opens)
        object.__setattr__(self, "closes_at", closes)
        eligible = _country_set(tuple(self.eligible_countries))
        if eligible is None:  # name the first bad code
            what = f"call {self.id!r} eligible country"
            eligible = frozenset(country_code(code, what) for code in self.eligible_countries)
        if not eligible:
            raise ValidationError(
                f"call {self.id!r} has no eligible country: pass the UN member states' alpha-2 codes"
            )
        object.__setattr__(self, "eligible_countries", eligible)

    def is_open(self, now: datetime) -> bool:
        """True while proposals may be submitted: ``opens_at <= now < closes_at``."""
        instant = require_utc(now, "now")
        return self.opens_at <= instant < self.closes_at


def check_modality(modality: Modality, call: Call) -> None:
    """Refuse a modality the call does not offer."""
    if modality not in call.modalities:
        offered = ", ".join(m.value for m in Modality if m in call.modalities)
        raise ValidationError(
            f"call {call.id!r} does not offer modality '{modality.value}': choose one of {offered}",
            field="modality",
        )


def check_team(team: Team, call: Call) -> None:
    """Refuse a team with any institution from a country not eligible for the call."""
    for index, member in enumerate(team.institutions):
        if member.country not in call.eligible_countries:
            raise ValidationError(
                f"institution {member.name!r} is in {member.country}, which is not eligible for call "
                f"{call.id!r}: only UN member states may propose; remove it or correct its country",
                field="team.lead.country" if index == 0 else f"team.partners[{index - 1}].country",
            )


def check_request(request: ResourceRequest, call: Call) -> None:
    """Refuse a request that asks for more than the call's whole envelope (it could never fit)."""
    short = call.envelope.shortfalls(request)
    if short:
        raise ValidationError(
            f"request exceeds call {call.id!r}'s whole envelope ({'; '.join(short)}): ask for less",
            field="request",
        )


# ---------------------------------------------------------------------------------------------
# Proposals and their life cycle
# ---------------------------------------------------------------------------------------------


class ProposalState(Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    SHORTLISTED = "shortlisted"
    SELECTED = "selected"
    CONDITIONALLY_SELECTED = "conditionally_selected"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


_S = ProposalState

TRANSITIONS: Mapping[ProposalState, frozenset[ProposalState]] = {
    _S.DRAFT: frozenset({_S.SUBMITTED, _S.WITHDRAWN}),
    # A submitted proposal can be desk-rejected (e.g. found ineligible) before review.
    _S.SUBMITTED: frozenset({_S.UNDER_REVIEW, _S.REJECTED, _S.WITHDRAWN}),
    _S.UNDER_REVIEW: frozenset({_S.SHORTLISTED, _S.REJECTED, _S.WITHDRAWN}),
    _S.SHORTLISTED: frozenset({_S.SELECTED, _S.CONDITIONALLY_SELECTED, _S.REJECTED, _S.WITHDRAWN}),
    # Conditions met (selected) or not met (rejected).
    _S.CONDITIONALLY_SELECTED: frozenset({_S.SELECTED, _S.REJECTED}),
    _S.SELECTED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.WITHDRAWN: frozenset(),
}
"""Legal state changes: ``TRANSITIONS[current]`` is the set of states ``current`` may become."""

_PARTNER_ONLY = frozenset({Role.PARTNER})
_OFFICERS = frozenset({Role.PROGRAM_OFFICER, Role.ADMIN})

ROLES_FOR_TARGET: Mapping[ProposalState, frozenset[Role]] = {
    _S.SUBMITTED: _PARTNER_ONLY,
    _S.WITHDRAWN: _PARTNER_ONLY,
    _S.UNDER_REVIEW: _OFFICERS,
    _S.SHORTLISTED: _OFFICERS,
    _S.SELECTED: _OFFICERS,
    _S.CONDITIONALLY_SELECTED: _OFFICERS,
    _S.REJECTED: _OFFICERS,
}
"""Who may move a proposal into each state (admin may do what program officers do)."""

REASON_REQUIRED: frozenset[ProposalState] = frozenset({_S.REJECTED, _S.CONDITIONALLY_SELECTED})
"""States whose audit entry must say why (the partner is told the reason or the conditions)."""


def _names(states: Iterable[ProposalState]) -> str:
    chosen = set(states)
    return ", ".join(s.value for s in ProposalState if s in chosen) or "none"


def allowed_targets(current: ProposalState) -> tuple[ProposalState, ...]:
    """The states ``current`` may become, in declaration order."""
    return tuple(s for s in ProposalState if s in TRANSITIONS[current])


def check_transition(
    current: ProposalState,
    target: ProposalState,
    *,
    now: datetime,
    call: Call,
    actor_role: Role,
) -> None:
    """Refuse an illegal state change; return ``None`` when it is allowed.

    Checked in this order: ``now`` is aware (a naive time is a :class:`ValidationError`); the
    change is in :data:`TRANSITIONS` (else :class:`ConflictError`); ``actor_role`` is in
    :data:`ROLES_FOR_TARGET` (else :class:`RoleError`); a submission happens while the call is
    open, ``opens_at <= now < closes_at`` (else :class:`DeadlineError`).
    """
    instant = require_utc(now, "now")
    if target not in TRANSITIONS[current]:
        raise ConflictError(
            f"a proposal in state '{current.value}' cannot become '{target.value}'; "
            f"allowed from {current.value}: {_names(TRANSITIONS[current])}"
        )
    roles = ROLES_FOR_TARGET[target]
    if actor_role not in roles:
        who = " or ".join(r.value for r in Role if r in roles)
        raise RoleError(
            f"role '{actor_role.value}' may not move a proposal from '{current.value}' to "
            f"'{target.value}': only {who} may"
        )
    if target is _S.SUBMITTED:
        if instant >= call.closes_at:
            raise DeadlineError(
                f"call {call.id!r} closed at {format_utc(call.closes_at)} (now "
                f"{format_utc(instant)}): proposals can only be submitted before the deadline"
            )
        if instant < call.opens_at:
            raise DeadlineError(
                f"call {call.id!r} opens at {format_utc(call.opens_at)} (now "
                f"{format_utc(instant)}): keep the proposal as a draft and submit it then"
            )


@dataclass(frozen=True)
class AuditEntry:
    """One state change of one proposal: who, in which role, when, from, to, and why."""

    proposal_id: str
    actor: str
    actor_role: Role
    at: datetime
    from_state: ProposalState
    to_state: ProposalState
    why: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "audit time"))


def transition(
    proposal_id: str,
    current: ProposalState,
    target: ProposalState,
    *,
    now: datetime,
    call: Call,
    actor: str,
    actor_role: Role,
    why: str = "",
) -> AuditEntry:
    """Check the change (see :func:`check_transition`) and return its audit entry.

    ``actor`` is the acting account's id and may not be empty; ``why`` is one line (whitespace is
    collapsed) and is required when moving to a state in :data:`REASON_REQUIRED`.
    """
    check_transition(current, target, now=now, call=call, actor_role=actor_role)
    if not proposal_id.strip():
        raise ValidationError("the proposal id is empty: give the id of the proposal to change")
    if not actor.strip():
        raise ValidationError("the actor is empty: give the id of the account making the change")
    reason = " ".join(why.split())
    if target in REASON_REQUIRED and not reason:
        raise ValidationError(
            f"moving proposal {proposal_id!r} to '{target.value}' needs a reason: say why in 'why'",
            field="why",
        )
    return AuditEntry(
        proposal_id=proposal_id,
        actor=actor.strip(),
        actor_role=actor_role,
        at=require_utc(now, "now"),
        from_state=current,
        to_state=target,
        why=reason,
    )


def check_audit_trail(entries: Iterable[AuditEntry]) -> ProposalState:
    """Check that a proposal's audit entries chain (each starts where the last ended, starting
    from draft, in time order, all legal, one proposal) and return the state they end in."""
    state = _S.DRAFT
    last: AuditEntry | None = None
    for entry in entries:
        if last is not None and entry.proposal_id != last.proposal_id:
            raise ValidationError(
                f"audit trail mixes proposals {last.proposal_id!r} and {entry.proposal_id!r}: "
                "check one proposal's entries at a time"
            )
        if entry.from_state is not state:
            raise ValidationError(
                f"audit entry at {format_utc(entry.at)} starts from '{entry.from_state.value}' "
                f"but the proposal was '{state.value}': the trail is missing or reordering an entry"
            )
        if entry.to_state not in TRANSITIONS[state]:
            raise ValidationError(
                f"audit entry at {format_utc(entry.at)} records an illegal change "
                f"'{state.value}' -> '{entry.to_state.value}': the trail was not written by transition()"
            )
        if last is not None and entry.at < last.at:
            raise ValidationError(
                f"audit entry at {format_utc(entry.at)} is earlier than the one before it "
                f"({format_utc(last.at)}): order entries by time"
            )
        state, last = entry.to_state, entry
    return state


@dataclass(frozen=True)
class Proposal:
    """A proposal to a call. ``partner_id`` is the owning partner account."""

    id: str
    call_id: str
    title: str
    discipline: str
    modality: Modality
    team: Team
    request: ResourceRequest
    abstract: str = ""
    partner_id: str = ""
    state: ProposalState = ProposalState.DRAFT

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValidationError("a proposal has an empty id: give it an id")
        if not self.title.strip():
            raise ValidationError(
                f"proposal {self.id!r} has an empty title: give it a title", field="title"
            )


def check_proposal(proposal: Proposal, call: Call) -> None:
    """Everything a proposal must satisfy against its call before it is submitted: right call,
    offered modality, eligible team, and a request that fits inside the whole envelope."""
    if proposal.call_id != call.id:
        raise ValidationError(
            f"proposal {proposal.id!r} answers call {proposal.call_id!r}, not {call.id!r}: "
            "check it against its own call"
        )
    check_modality(proposal.modality, call)
    check_team(proposal.team, call)
    check_request(proposal.request, call)
