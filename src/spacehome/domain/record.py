"""The station record: every fact group in one validated, immutable aggregate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from spacehome.errors import NotFoundError

from .cooperation import Agreement, AstronautProgram, Country, Cycle, Project
from .facts import Fact, Source
from .station import Astronaut, Mission, Module, Port, Rack, Site


@dataclass(frozen=True)
class StationFacts:
    """Station-level facts (not one module's)."""

    name: str
    names: tuple[str, ...]
    configuration: str
    assembly_completed: Fact[datetime]
    crew_nominal: Fact[int]
    crew_max: Fact[int]
    design_life_years: Fact[float]
    mass_kg: Fact[float]
    pressurised_volume_m3: Fact[float]
    inclination_deg: Fact[float]
    altitude_km: Fact[str]
    norad_id: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RecordMeta:
    """What the record covers.

    Every event up to ``complete_through`` is in the record; after it the record says nothing,
    and queries say so instead of extrapolating.
    """

    version: str
    complete_through: datetime
    coverage_note: str


@dataclass(frozen=True)
class StationRecord:
    meta: RecordMeta
    station: StationFacts
    sources: Mapping[str, Source]
    sites: Mapping[str, Site]
    ports: tuple[Port, ...]
    modules: tuple[Module, ...]
    racks: tuple[Rack, ...]
    missions: tuple[Mission, ...]
    astronauts: tuple[Astronaut, ...]
    countries: Mapping[str, Country]  # by alpha-2
    cycles: tuple[Cycle, ...]
    projects: tuple[Project, ...]
    agreements: tuple[Agreement, ...]
    programs: tuple[AstronautProgram, ...]
    _missions_by_id: Mapping[str, Mission] = field(init=False, repr=False, compare=False)
    _astronauts_by_id: Mapping[str, Astronaut] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_missions_by_id", MappingProxyType({m.id: m for m in self.missions})
        )
        object.__setattr__(
            self, "_astronauts_by_id", MappingProxyType({a.id: a for a in self.astronauts})
        )

    def mission(self, mission_id: str) -> Mission:
        try:
            return self._missions_by_id[mission_id]
        except KeyError:
            raise NotFoundError(
                f"no mission {mission_id!r} in the record; `spacehome missions` lists them"
            ) from None

    def astronaut(self, astronaut_id: str) -> Astronaut:
        try:
            return self._astronauts_by_id[astronaut_id]
        except KeyError:
            raise NotFoundError(
                f"no astronaut {astronaut_id!r} in the record; `spacehome crew` lists them"
            ) from None

    def port(self, port_id: str) -> Port:
        for port in self.ports:
            if port.id == port_id:
                return port
        raise NotFoundError(f"no port {port_id!r}; ports are {[p.id for p in self.ports]}")

    def module(self, module_id: str) -> Module:
        for module in self.modules:
            if module.id == module_id:
                return module
        raise NotFoundError(f"no module {module_id!r}; modules are {[m.id for m in self.modules]}")

    @property
    def core_module(self) -> Module:
        return self.modules[0]

    @property
    def station_missions(self) -> tuple[Mission, ...]:
        """Flights of the China Space Station era, launch order."""
        return tuple(m for m in self.missions if m.station == "css")

    def country_name(self, alpha2: str) -> str:
        country = self.countries.get(alpha2)
        return country.name if country else alpha2
