"""Projects of the cooperation program and their data products: the pure rules.

Standard library only. A *project* is what a selected proposal becomes (or a project of the real
first UNOOSA-CMSA cycle, loaded as reference data with no owning account). Its life cycle::

    selected -> development -> hardware_delivered -> launched -> operating -> completed
        \\            \\                 \\                \\           \\
         +------------+-----------------+----------------+-----------+--> cancelled

* ``cancelled`` is terminal and reachable from every state before ``completed``. It is
  warranted because real projects do stop short of flight (funding withdrawn, hardware not
  qualified, a launch lost); without it such a project would sit for ever in an intermediate
  state that claims it is still going on. A cancellation must say why.
* Only program officers and admins move a project (:data:`MOVERS`): the state records what the
  program office has verified (hardware received, manifested, running). The owning partner
  sees the project and its audit trail but moves nothing.
* ``launched`` needs the cargo ship that carried the hardware (``launched_on``: a mission id of
  the station record, e.g. ``tianzhou-8``; the service checks it against the record's missions,
  this module only that it is given). No other transition takes a ship.
* Every change is an :class:`ProjectAuditEntry` (who, in which role, when, from, to, why, the
  ship); the creation is an entry ``None -> selected`` (or the sourced state for reference data).

*Data products* are files the operations side delivers for a project (program officers,
admins, planners). Each has an embargo: until ``embargo_until`` only the owning partner and the
program office see it; from then on everyone does, including the public. The default embargo is
:data:`DEFAULT_EMBARGO_MONTHS` calendar months after delivery, a policy default, not a fact of
the real program; an uploader may give another date (from delivery up to
:data:`MAX_EMBARGO_YEARS` years later).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from spacehome.errors import ConflictError, ValidationError

from .instant import format_utc, require_utc
from .program import Role, RoleError, TeamInstitution


class ProjectState(Enum):
    SELECTED = "selected"
    DEVELOPMENT = "development"
    HARDWARE_DELIVERED = "hardware_delivered"
    LAUNCHED = "launched"
    OPERATING = "operating"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Selection(Enum):
    """How the project was selected: outright, on conditions, or (reference data) not sourced."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    UNKNOWN = "unknown"


_P = ProjectState

TRANSITIONS: Final[Mapping[ProjectState, frozenset[ProjectState]]] = {
    _P.SELECTED: frozenset({_P.DEVELOPMENT, _P.CANCELLED}),
    _P.DEVELOPMENT: frozenset({_P.HARDWARE_DELIVERED, _P.CANCELLED}),
    _P.HARDWARE_DELIVERED: frozenset({_P.LAUNCHED, _P.CANCELLED}),
    _P.LAUNCHED: frozenset({_P.OPERATING, _P.CANCELLED}),
    _P.OPERATING: frozenset({_P.COMPLETED, _P.CANCELLED}),
    _P.COMPLETED: frozenset(),
    _P.CANCELLED: frozenset(),
}
"""Legal state changes: ``TRANSITIONS[current]`` is the set of states ``current`` may become."""

MOVERS: Final = frozenset({Role.PROGRAM_OFFICER, Role.ADMIN})
"""Who may change a project's state (every transition)."""

REASON_REQUIRED: Final = frozenset({_P.CANCELLED})
"""States whose audit entry must say why."""

DATA_STATES: Final = frozenset({_P.OPERATING, _P.COMPLETED})
"""States in which a project can receive data products (its experiment has run on board)."""

DEFAULT_EMBARGO_MONTHS: Final = 12
"""Policy default: data products stay with the project's team for 12 months after delivery."""

MAX_EMBARGO_YEARS: Final = 10
"""The longest embargo accepted, counted from delivery (a bound, so no file is hidden for ever)."""


def _names(states: Iterable[ProjectState]) -> str:
    chosen = set(states)
    return ", ".join(s.value for s in ProjectState if s in chosen) or "none (it is final)"


def allowed_targets(current: ProjectState) -> tuple[ProjectState, ...]:
    """The states ``current`` may become, in declaration order."""
    return tuple(s for s in ProjectState if s in TRANSITIONS[current])


def check_transition(
    current: ProjectState,
    target: ProjectState,
    *,
    actor_role: Role,
    launched_on: str | None,
) -> None:
    """Refuse an illegal state change; return ``None`` when it is allowed.

    In this order: the change is in :data:`TRANSITIONS` (else :class:`ConflictError`); the role
    is in :data:`MOVERS` (else :class:`RoleError`); ``launched_on`` is given exactly when the
    target is ``launched`` (else :class:`ValidationError`).
    """
    if target not in TRANSITIONS[current]:
        raise ConflictError(
            f"a project in state '{current.value}' cannot become '{target.value}'; "
            f"allowed from {current.value}: {_names(TRANSITIONS[current])}"
        )
    if actor_role not in MOVERS:
        who = " or ".join(r.value for r in Role if r in MOVERS)
        raise RoleError(
            f"role '{actor_role.value}' may not move a project from '{current.value}' to "
            f"'{target.value}': only {who} may"
        )
    ship = (launched_on or "").strip()
    if target is _P.LAUNCHED and not ship:
        raise ValidationError(
            "moving a project to 'launched' needs the cargo ship that carried it: give "
            "'launched_on', a mission of the station record such as tianzhou-8"
        )
    if target is not _P.LAUNCHED and ship:
        raise ValidationError(
            f"'launched_on' is only given when a project becomes 'launched', not "
            f"'{target.value}': leave it out"
        )


@dataclass(frozen=True)
class ProjectAuditEntry:
    """One state change of one project; ``from_state`` is ``None`` for its creation."""

    project_id: str
    actor: str
    actor_role: Role
    at: datetime
    from_state: ProjectState | None
    to_state: ProjectState
    why: str
    launched_on: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "audit time"))


def transition(
    project_id: str,
    current: ProjectState,
    target: ProjectState,
    *,
    now: datetime,
    actor: str,
    actor_role: Role,
    why: str = "",
    launched_on: str | None = None,
) -> ProjectAuditEntry:
    """Check the change (see :func:`check_transition`) and return its audit entry.

    ``actor`` is the acting account's id; ``why`` is one line (whitespace collapsed) and is
    required for the states in :data:`REASON_REQUIRED`.
    """
    instant = require_utc(now, "now")
    check_transition(current, target, actor_role=actor_role, launched_on=launched_on)
    if not project_id.strip():
        raise ValidationError("the project id is empty: give the id of the project to change")
    if not actor.strip():
        raise ValidationError("the actor is empty: give the id of the account making the change")
    reason = " ".join(why.split())
    if target in REASON_REQUIRED and not reason:
        raise ValidationError(
            f"moving project {project_id!r} to '{target.value}' needs a reason: say why in 'why'"
        )
    return ProjectAuditEntry(
        project_id=project_id,
        actor=actor.strip(),
        actor_role=actor_role,
        at=instant,
        from_state=current,
        to_state=target,
        why=reason,
        launched_on=(launched_on or "").strip() or None,
    )


@dataclass(frozen=True)
class Project:
    """A project. ``title`` and ``countries`` are ``None`` where the sources do not say.

    ``institutions`` lists the lead first (empty when unidentified); ``owner_id`` is the owning
    partner account (``None`` for reference data); ``planner_key`` is the id the project has in
    planner scenarios (the record's project id for the first cycle); ``cycle`` is the call id, or
    the record's cycle id for reference data; ``source`` says where the project came from.
    """

    id: str
    title: str | None
    discipline: str
    institutions: tuple[TeamInstitution, ...]
    countries: tuple[str, ...] | None
    selection: Selection
    state: ProjectState
    cycle: str
    source: str
    owner_id: str | None = None
    proposal_id: str | None = None
    planner_key: str | None = None
    acronym: str = ""
    launched_on: str | None = None
    state_note: str = ""
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValidationError("a project has an empty id: give it an id")
        object.__setattr__(self, "institutions", tuple(self.institutions))
        if self.countries is not None:
            object.__setattr__(self, "countries", tuple(sorted(set(self.countries))))

    @property
    def is_reference(self) -> bool:
        """True for reference data (no owning account; every field from public sources)."""
        return self.owner_id is None


def check_data_delivery(project_id: str, state: ProjectState) -> None:
    """Refuse a data product for a project whose experiment has not run (see :data:`DATA_STATES`)."""
    if state not in DATA_STATES:
        raise ConflictError(
            f"project {project_id!r} is '{state.value}': data products are delivered once it is "
            f"{' or '.join(s.value for s in ProjectState if s in DATA_STATES)}"
        )


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole calendar months, the day clamped to the month's end (Feb 29 -> 28)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def embargo_end(delivered_at: datetime, requested: datetime | None = None) -> datetime:
    """When a product delivered at ``delivered_at`` becomes public.

    ``requested`` (aware) when given, else :data:`DEFAULT_EMBARGO_MONTHS` months after delivery.
    A requested end before delivery, or more than :data:`MAX_EMBARGO_YEARS` years after it, is
    refused; an end equal to the delivery makes the product public at once.
    """
    delivered = require_utc(delivered_at, "delivery time")
    if requested is None:
        return add_months(delivered, DEFAULT_EMBARGO_MONTHS)
    end = require_utc(requested, "embargo_until")
    if end < delivered:
        raise ValidationError(
            f"embargo_until {format_utc(end)} is before the delivery at {format_utc(delivered)}: "
            "give a time at or after the delivery (equal: public at once)"
        )
    latest = add_months(delivered, 12 * MAX_EMBARGO_YEARS)
    if end > latest:
        raise ValidationError(
            f"embargo_until {format_utc(end)} is more than {MAX_EMBARGO_YEARS} years after the "
            f"delivery: give a time up to {format_utc(latest)}"
        )
    return end


@dataclass(frozen=True)
class DataProduct:
    """A file delivered for a project: its checksum, size, type, name, and embargo."""

    project_id: str
    sha256: str
    filename: str
    size_bytes: int
    media_type: str
    delivered_at: datetime
    embargo_until: datetime
    delivered_by: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "delivered_at", require_utc(self.delivered_at, "delivered_at"))
        object.__setattr__(self, "embargo_until", require_utc(self.embargo_until, "embargo_until"))

    def is_public(self, now: datetime) -> bool:
        """True once the embargo has ended: ``now >= embargo_until``."""
        return require_utc(now, "now") >= self.embargo_until


__all__ = [
    "DATA_STATES",
    "DEFAULT_EMBARGO_MONTHS",
    "MAX_EMBARGO_YEARS",
    "MOVERS",
    "REASON_REQUIRED",
    "TRANSITIONS",
    "DataProduct",
    "Project",
    "ProjectAuditEntry",
    "ProjectState",
    "Selection",
    "add_months",
    "allowed_targets",
    "check_data_delivery",
    "check_transition",
    "embargo_end",
    "transition",
]
