"""The station's hardware and the flights that visit it: modules, ports, racks, missions, crews.

Plain frozen dataclasses. Numbers carry their unit in the field name. Every value that sources
could disagree on, or may not give, is a :class:`~spacehome.domain.facts.Fact`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .facts import Fact
from .instant import When


class MissionKind(StrEnum):
    CREWED = "crewed"  # Shenzhou crew ships (also when one flies up empty, as Shenzhou-22 did)
    CARGO = "cargo"  # Tianzhou
    MODULE = "module"  # station modules


class EndKind(StrEnum):
    LANDING = "landing"  # a capsule came home
    REENTRY = "reentry"  # destroyed on a controlled re-entry
    NONE = "none"  # still in orbit, or its end is not in the record


class Role(StrEnum):
    COMMANDER = "commander"
    PILOT = "pilot"
    FLIGHT_ENGINEER = "flight engineer"
    PAYLOAD_SPECIALIST = "payload specialist"


@dataclass(frozen=True)
class Site:
    """A launch or landing site."""

    id: str
    name: str
    kind: str  # "launch" | "landing"
    country: str  # ISO 3166-1 alpha-2
    sources: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Port:
    """A docking or berthing port of the Tianhe core module."""

    id: str
    name: str
    location: str
    docking: bool  # False for the zenith EVA hatch
    role: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Berthing:
    """A stay of a vehicle or module at one Tianhe port.

    ``end`` is ``None`` while no departure is recorded: the vehicle is still there at the end of
    the record as far as the record knows.
    """

    port: str
    start: When
    end: When | None = None
    port_fact: Fact[str] | None = None  # the port with its sources when they disagree


@dataclass(frozen=True)
class Launch:
    when: When
    vehicle: Fact[str]  # "Long March 2F"
    serial: Fact[str]  # "Y12"
    site: Fact[str]  # a Site id


@dataclass(frozen=True)
class CrewAssignment:
    """One person on one mission: their role and the ship that brings them home."""

    person: str  # Astronaut id
    role: Fact[str]
    returns_on: str  # Mission id of the ship they land in (a different one after a swap)
    note: str = ""


@dataclass(frozen=True)
class Mission:
    """A flight: a Shenzhou, a Tianzhou, a module launch, or an earlier Chinese crewed flight."""

    id: str
    name: str
    kind: MissionKind
    spacecraft: str  # "Shenzhou", "Tianzhou", "Tianhe", ...
    station: str  # "css" for the China Space Station; "tiangong-1", "tiangong-2", "none" before
    launch: Launch
    berthings: tuple[Berthing, ...]
    end_kind: EndKind
    end: When | None  # landing or re-entry; None when the record has none
    landing_site: Fact[str]
    crew: tuple[CrewAssignment, ...]
    crewed_at_launch: bool
    cargo_mass_kg: Fact[float]
    norad_id: Fact[int]
    cospar_id: Fact[str]
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
    defined_in: str = ""  # the data file, for error messages

    @property
    def first_arrival(self) -> When | None:
        return self.berthings[0].start if self.berthings else None

    @property
    def final_departure(self) -> When | None:
        return self.berthings[-1].end if self.berthings else None


@dataclass(frozen=True)
class Airlock:
    name: str
    purpose: str
    note: str = ""


@dataclass(frozen=True)
class RoboticArm:
    name: str
    length_m: Fact[float]
    degrees_of_freedom: Fact[int]
    max_payload_kg: Fact[float]
    note: str = ""


@dataclass(frozen=True)
class SolarArrays:
    wings: Fact[int]
    wing_length_m: Fact[float]
    wing_area_m2: Fact[float]
    power_w: Fact[float]
    note: str = ""


@dataclass(frozen=True)
class Module:
    """A pressurised station module: its specification. Its flight is a :class:`Mission`."""

    id: str
    name: str
    name_zh: str
    role: str
    launch_mass_kg: Fact[float]
    in_orbit_mass_kg: Fact[float]
    length_m: Fact[float]
    max_diameter_m: Fact[float]
    pressurised_volume_m3: Fact[float]
    habitable_volume_m3: Fact[float]
    sections: tuple[str, ...]
    airlocks: tuple[Airlock, ...]
    robotic_arms: tuple[RoboticArm, ...]
    solar_arrays: SolarArrays
    rack_positions: Fact[int]
    external_adapters: Fact[int]
    crew_facilities: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Rack:
    """A science experiment rack (cabinet) inside a module."""

    id: str
    name: str
    name_zh: str
    abbreviation: str
    module: str
    discipline: str
    description: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Astronaut:
    id: str
    name: str
    aliases: tuple[str, ...]
    name_zh: str  # "" where no source gives it
    nationality: str  # ISO 3166-1 alpha-2 of the state ("CN")
    region: str  # ISO 3166-1 alpha-2 of a special administrative region ("HK", "MO") or ""
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
