"""International cooperation: UN member states, the UNOOSA-CMSA cycle, projects, agreements.

Countries are ISO 3166-1 alpha-2 codes throughout; names are looked up at the record's edge.
"""

from __future__ import annotations

from dataclasses import dataclass

from .facts import Fact
from .instant import When


@dataclass(frozen=True)
class Country:
    alpha2: str
    alpha3: str
    name: str
    un_member: bool


@dataclass(frozen=True)
class Institution:
    name: str
    country: str  # alpha-2
    role: str  # "lead" | "partner"
    note: str = ""


@dataclass(frozen=True)
class Project:
    """A project selected in a cooperation cycle. Unknown titles or partners stay unknown."""

    id: str
    number: int
    cycle: str
    title: Fact[str]
    acronym: str
    institutions: tuple[Institution, ...]
    countries: Fact[tuple[str, ...]]
    selection: Fact[str]  # "selected" | "conditionally selected"
    status: Fact[str]  # where it stands, as far as sources say
    discipline: str
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cycle:
    """A call for proposals run jointly by UNOOSA and the China Manned Space Agency."""

    id: str
    name: str
    memorandum_signed: When
    announced: When
    proposals_due: When
    modalities: tuple[str, ...]
    proposals_received: Fact[int]
    proposing_countries: Fact[int]
    shortlisted: Fact[int]
    shortlisted_on: When
    results_announced: When
    results_venue: str
    projects_selected: Fact[int]
    selected_unconditionally: Fact[int]
    selected_conditionally: Fact[int]
    selected_countries: tuple[str, ...]  # alpha-2
    selected_entities: Fact[int]
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Agreement:
    """A cooperation agreement between the Chinese human spaceflight program and a partner."""

    id: str
    partner: str  # agency or organisation name
    country: str  # alpha-2, or "" for an international organisation
    title: str
    signed: When
    place: str
    summary: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    name: Fact[str]
    status: str
    note: str = ""


@dataclass(frozen=True)
class AstronautProgram:
    """A program that brings astronauts from outside the mainland corps to the station."""

    id: str
    name: str
    country: str  # alpha-2 of the partner state or region
    agreement: str  # Agreement id or ""
    milestones: tuple[tuple[When, str], ...]
    candidates: tuple[Candidate, ...]
    flight: Fact[str]  # mission id or description
    flown_by: tuple[str, ...]  # Astronaut ids who have flown through it
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
