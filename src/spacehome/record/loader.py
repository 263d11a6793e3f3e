"""Load the station record from its TOML files, validate it, and build the domain model.

``load_record()`` reads the files shipped inside the package; ``load_record(path)`` reads a copy
(tests break copies on purpose). Any problem raises :class:`~spacehome.errors.RecordError` naming
the file, the record and the field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pycountry

from spacehome.domain.bounds import deduce_bounds
from spacehome.domain.consistency import check_consistency
from spacehome.domain.cooperation import (
    Agreement,
    AstronautProgram,
    Candidate,
    Country,
    Cycle,
    Institution,
    Project,
)
from spacehome.domain.facts import Fact, Source
from spacehome.domain.record import RecordMeta, StationFacts, StationRecord
from spacehome.domain.station import (
    Airlock,
    Astronaut,
    Berthing,
    CrewAssignment,
    EndKind,
    Launch,
    Mission,
    MissionKind,
    Module,
    Port,
    Rack,
    RoboticArm,
    Role,
    Site,
    SolarArrays,
)
from spacehome.errors import RecordError

from .tables import Table

SCHEMA = 1
FILES = (
    "record.toml",
    "sources.toml",
    "sites.toml",
    "ports.toml",
    "modules.toml",
    "racks.toml",
    "missions.toml",
    "early_flights.toml",
    "astronauts.toml",
    "un_members.toml",
    "cooperation.toml",
    "astronaut_programs.toml",
)
_ROLES = {role.value for role in Role}


def load_record(directory: Path | None = None) -> StationRecord:
    """Read, validate and cross-check every data file; return the immutable record."""
    if directory is None:
        with resources.as_file(resources.files("spacehome.record") / "data") as path:
            return _Loader(Path(path)).load()
    return _Loader(directory).load()


class _Loader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.cited: list[tuple[str, str, str, str]] = []  # (source id, file, record, field)

    # --- file handling ---------------------------------------------------------------------------
    def read(self, name: str) -> dict[str, Any]:
        path = self.directory / name
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError:
            raise RecordError(name, "(file)", "(file)", f"not found in {self.directory}") from None
        except tomllib.TOMLDecodeError as exc:
            raise RecordError(name, "(file)", "(syntax)", f"not valid TOML: {exc}") from None
        schema = data.get("schema")
        if schema != SCHEMA:
            raise RecordError(
                name, "(file)", "schema", f"expected schema = {SCHEMA}, got {schema!r}"
            )
        return data

    @contextmanager
    def record(self, data: Any, file: str, label: str) -> Iterator[Table]:
        table = Table(data, file, label)
        yield table
        table.finish()
        self.cited.extend((sid, file, label, fld) for sid, fld in table.sources_seen)

    def items(self, data: dict[str, Any], key: str, file: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise RecordError(file, "(file)", key, "expected [[" + key + "]] tables")
        return value

    # --- the whole record ------------------------------------------------------------------------
    def load(self) -> StationRecord:
        meta, station = self.load_meta()
        sources = self.load_sources()
        sites = self.load_sites()
        ports = self.load_ports()
        modules, module_missions = self.load_modules()
        racks = self.load_racks()
        missions = self.load_missions("missions.toml") + self.load_missions("early_flights.toml")
        astronauts = self.load_astronauts()
        countries = self.load_countries()
        cycles, projects, agreements = self.load_cooperation()
        programs = self.load_programs()
        all_missions = tuple(sorted(module_missions + missions, key=lambda m: _launch_key(m)))
        record = StationRecord(
            meta=meta,
            station=station,
            sources=sources,
            sites=sites,
            ports=ports,
            modules=modules,
            racks=racks,
            missions=all_missions,
            astronauts=astronauts,
            countries=countries,
            cycles=cycles,
            projects=projects,
            agreements=agreements,
            programs=programs,
        )
        self.check_references(record)
        check_consistency(record)
        return deduce_bounds(record)

    def load_meta(self) -> tuple[RecordMeta, StationFacts]:
        file = "record.toml"
        data = self.read(file)
        with self.record(data.get("meta"), file, "meta") as t:
            meta = RecordMeta(
                version=t.text("version"),
                complete_through=t.instant("complete_through"),
                coverage_note=t.text("coverage_note"),
            )
        with self.record(data.get("station"), file, "station") as t:
            station = StationFacts(
                name=t.text("name"),
                names=t.texts("names"),
                configuration=t.text("configuration"),
                assembly_completed=t.when("assembly_completed"),
                crew_nominal=t.fact("crew_nominal", int),
                crew_max=t.fact("crew_max", int),
                design_life_years=t.fact("design_life_years", float),
                mass_kg=t.fact("mass_kg", float),
                pressurised_volume_m3=t.fact("pressurised_volume_m3", float),
                inclination_deg=t.fact("inclination_deg", float),
                altitude_km=t.fact("altitude_km", str),
                norad_id=t.integer("norad_id"),
                sources=t.sources(),
            )
        return meta, station

    def load_sources(self) -> dict[str, Source]:
        file = "sources.toml"
        data = self.read(file)
        table = data.get("source", {})
        result = {}
        for source_id, body in table.items():
            with self.record(body, file, f"source '{source_id}'") as t:
                reliability = t.text("reliability", "secondary")
                if reliability not in {"primary", "secondary", "low"}:
                    raise t.error("reliability", "expected primary, secondary or low")
                result[source_id] = Source(
                    id=source_id,
                    title=t.text("title"),
                    url=t.text("url"),
                    publisher=t.text("publisher", ""),
                    published=t.text("published", ""),
                    reliability=reliability,
                )
        return result

    def load_sites(self) -> dict[str, Site]:
        file = "sites.toml"
        data = self.read(file)
        result = {}
        for raw in self.items(data, "site", file):
            with self.record(raw, file, f"site '{raw.get('id', '?')}'") as t:
                site = Site(
                    id=t.text("id"),
                    name=t.text("name"),
                    kind=t.text("kind"),
                    country=t.text("country"),
                    sources=t.sources(),
                    note=t.text("note", ""),
                )
            result[site.id] = site
        return result

    def load_ports(self) -> tuple[Port, ...]:
        file = "ports.toml"
        data = self.read(file)
        result = []
        for raw in self.items(data, "port", file):
            with self.record(raw, file, f"port '{raw.get('id', '?')}'") as t:
                result.append(
                    Port(
                        id=t.text("id"),
                        name=t.text("name"),
                        location=t.text("location"),
                        docking=t.boolean("docking"),
                        role=t.text("role"),
                        sources=t.sources(),
                    )
                )
        return tuple(result)

    def load_modules(self) -> tuple[tuple[Module, ...], tuple[Mission, ...]]:
        file = "modules.toml"
        data = self.read(file)
        modules, missions = [], []
        for raw in self.items(data, "module", file):
            with self.record(raw, file, f"module '{raw.get('id', '?')}'") as t:
                module_id = t.text("id")
                name = t.text("name")
                sources = t.sources()
                arrays = t.sub(t.raw("solar_arrays"), "solar_arrays")
                solar = SolarArrays(
                    wings=arrays.fact("wings", int),
                    wing_length_m=arrays.fact("wing_length_m", float),
                    wing_area_m2=arrays.fact("wing_area_m2", float),
                    power_w=arrays.fact("power_w", float),
                    note=arrays.text("note", ""),
                )
                arrays.finish()
                airlocks = []
                for a in t.tables("airlock", []):
                    airlocks.append(Airlock(a.text("name"), a.text("purpose"), a.text("note", "")))
                    a.finish()
                arms = []
                for a in t.tables("arm", []):
                    arms.append(
                        RoboticArm(
                            name=a.text("name"),
                            length_m=a.fact("length_m", float),
                            degrees_of_freedom=a.fact("degrees_of_freedom", int),
                            max_payload_kg=a.fact("max_payload_kg", float),
                            note=a.text("note", ""),
                        )
                    )
                    a.finish()
                modules.append(
                    Module(
                        id=module_id,
                        name=name,
                        name_zh=t.text("name_zh"),
                        role=t.text("role"),
                        launch_mass_kg=t.fact("launch_mass_kg", float),
                        in_orbit_mass_kg=t.fact("in_orbit_mass_kg", float),
                        length_m=t.fact("length_m", float),
                        max_diameter_m=t.fact("max_diameter_m", float),
                        pressurised_volume_m3=t.fact("pressurised_volume_m3", float),
                        habitable_volume_m3=t.fact("habitable_volume_m3", float),
                        sections=t.texts("sections"),
                        airlocks=tuple(airlocks),
                        robotic_arms=tuple(arms),
                        solar_arrays=solar,
                        rack_positions=t.fact("rack_positions", int),
                        external_adapters=t.fact("external_adapters", int),
                        crew_facilities=t.text("crew_facilities"),
                        sources=sources,
                    )
                )
                missions.append(
                    Mission(
                        id=module_id,
                        name=name,
                        kind=MissionKind.MODULE,
                        spacecraft=name,
                        station="css",
                        launch=self.launch(t),
                        berthings=self.berthings(t),
                        end_kind=EndKind.NONE,
                        end=None,
                        landing_site=Fact.unknown("not applicable: a module stays in orbit"),
                        crew=(),
                        crewed_at_launch=False,
                        cargo_mass_kg=Fact.unknown("not applicable"),
                        norad_id=t.fact("norad_id", int),
                        cospar_id=t.fact("cospar_id", str),
                        sources=sources + t.sources("berthing_sources", []),
                        defined_in=file,
                    )
                )
        if not modules:
            raise RecordError(
                file, "(file)", "module", "no modules: the core module must come first"
            )
        return tuple(modules), tuple(missions)

    def launch(self, t: Table) -> Launch:
        site = t.fact("launch_site", str)
        return Launch(
            when=t.when("launch_utc"),
            vehicle=t.fact("launch_vehicle", str),
            serial=t.fact("launch_vehicle_serial", str),
            site=site,
        )

    def berthings(self, t: Table) -> tuple[Berthing, ...]:
        result = []
        for b in t.tables("berthings"):
            port = b.fact("port", str)
            result.append(
                Berthing(
                    port=port.value or "",
                    start=b.when("start"),
                    end=b.when("end") if b.has("end") else None,
                    port_fact=port,
                )
            )
            b.finish()
        return tuple(result)

    def load_racks(self) -> tuple[Rack, ...]:
        file = "racks.toml"
        data = self.read(file)
        result = []
        for raw in self.items(data, "rack", file):
            with self.record(raw, file, f"rack '{raw.get('id', '?')}'") as t:
                result.append(
                    Rack(
                        id=t.text("id"),
                        name=t.text("name"),
                        name_zh=t.text("name_zh"),
                        abbreviation=t.text("abbreviation"),
                        module=t.text("module"),
                        discipline=t.text("discipline"),
                        description=t.text("description"),
                        sources=t.sources(),
                    )
                )
        return tuple(result)

    def load_missions(self, file: str) -> tuple[Mission, ...]:
        data = self.read(file)
        result = []
        for raw in self.items(data, "mission", file):
            with self.record(raw, file, f"mission '{raw.get('id', '?')}'") as t:
                mission_id = t.text("id")
                kind_text = t.text("kind")
                try:
                    kind = MissionKind(kind_text)
                except ValueError:
                    raise t.error("kind", "expected crewed, cargo or module") from None
                end_kind_text = t.text("end_kind")
                try:
                    end_kind = EndKind(end_kind_text)
                except ValueError:
                    raise t.error("end_kind", "expected landing, reentry or none") from None
                crew = []
                for c in t.tables("crew", []):
                    role = c.fact("role", str)
                    if role.value is not None and role.value not in _ROLES:
                        raise c.error(
                            "role", f"expected one of {sorted(_ROLES)} or {{ unknown = true }}"
                        )
                    crew.append(
                        CrewAssignment(
                            person=c.text("person"),
                            role=role,
                            returns_on=c.text("returns_on", mission_id),
                            note=c.text("note", ""),
                        )
                    )
                    c.finish()
                if kind is MissionKind.CARGO:
                    cargo = t.fact("cargo_mass_kg", float)
                else:
                    cargo = t.fact(
                        "cargo_mass_kg", float, {"unknown": True, "note": "not applicable"}
                    )
                result.append(
                    Mission(
                        id=mission_id,
                        name=t.text("name"),
                        kind=kind,
                        spacecraft=t.text("spacecraft"),
                        station=t.text("station"),
                        launch=self.launch(t),
                        berthings=self.berthings(t),
                        end_kind=end_kind,
                        end=t.when("end_utc") if t.has("end_utc") else None,
                        landing_site=t.fact("landing_site", str),
                        crew=tuple(crew),
                        crewed_at_launch=t.boolean("crewed_at_launch"),
                        cargo_mass_kg=cargo,
                        norad_id=t.fact("norad_id", int),
                        cospar_id=t.fact("cospar_id", str),
                        sources=t.sources(),
                        notes=t.texts("notes", []),
                        defined_in=file,
                    )
                )
                if t.data.get("station") not in {"css", "earlier"}:
                    raise t.error("station", "expected css or earlier")
        return tuple(result)

    def load_astronauts(self) -> tuple[Astronaut, ...]:
        file = "astronauts.toml"
        data = self.read(file)
        result = []
        for raw in self.items(data, "astronaut", file):
            with self.record(raw, file, f"astronaut '{raw.get('id', '?')}'") as t:
                astronaut = Astronaut(
                    id=t.text("id"),
                    name=t.text("name"),
                    aliases=t.texts("aliases", []),
                    name_zh=t.text("name_zh", ""),
                    nationality=t.text("nationality"),
                    region=t.text("region", ""),
                    sources=t.sources(),
                    notes=t.texts("notes", []),
                )
                for key, code in (
                    ("nationality", astronaut.nationality),
                    ("region", astronaut.region),
                ):
                    if code and pycountry.countries.get(alpha_2=code) is None:
                        raise t.error(key, f"{code!r} is not an ISO 3166-1 alpha-2 code")
            result.append(astronaut)
        return tuple(result)

    def load_countries(self) -> dict[str, Country]:
        file = "un_members.toml"
        data = self.read(file)
        with self.record(data, file, "members") as t:
            t.raw("schema")
            t.sources()
            t.raw("as_of")
            members = t.texts("members")
            t.texts("observers", [])  # read so the key is allowed; observers are not members
        member_set = set()
        for code in members:
            if pycountry.countries.get(alpha_3=code) is None:
                raise RecordError(
                    file, "members", "members", f"{code!r} is not an ISO 3166-1 alpha-3 code"
                )
            if code in member_set:
                raise RecordError(file, "members", "members", f"{code!r} is listed twice")
            member_set.add(code)
        if len(member_set) != 193:
            raise RecordError(
                file,
                "members",
                "members",
                f"the UN has 193 member states; the file lists {len(member_set)}",
            )
        result = {}
        for country in pycountry.countries:
            name = getattr(country, "common_name", None) or country.name
            result[country.alpha_2] = Country(
                alpha2=country.alpha_2,
                alpha3=country.alpha_3,
                name=name,
                un_member=country.alpha_3 in member_set,
            )
        return result

    def load_cooperation(
        self,
    ) -> tuple[tuple[Cycle, ...], tuple[Project, ...], tuple[Agreement, ...]]:
        file = "cooperation.toml"
        data = self.read(file)
        cycles = []
        for raw in self.items(data, "cycle", file):
            with self.record(raw, file, f"cycle '{raw.get('id', '?')}'") as t:
                cycles.append(
                    Cycle(
                        id=t.text("id"),
                        name=t.text("name"),
                        memorandum_signed=t.when("memorandum_signed"),
                        announced=t.when("announced"),
                        proposals_due=t.when("proposals_due"),
                        modalities=t.texts("modalities"),
                        proposals_received=t.fact("proposals_received", int),
                        proposing_countries=t.fact("proposing_countries", int),
                        shortlisted=t.fact("shortlisted", int),
                        shortlisted_on=t.when("shortlisted_on"),
                        results_announced=t.when("results_announced"),
                        results_venue=t.text("results_venue"),
                        projects_selected=t.fact("projects_selected", int),
                        selected_unconditionally=t.fact("selected_unconditionally", int),
                        selected_conditionally=t.fact("selected_conditionally", int),
                        selected_countries=t.texts("selected_countries"),
                        selected_entities=t.fact("selected_entities", int),
                        sources=t.sources() + t.sources("selected_countries_sources", []),
                        notes=t.texts("notes", []),
                    )
                )
        projects = []
        for raw in self.items(data, "project", file):
            with self.record(raw, file, f"project '{raw.get('id', '?')}'") as t:
                institutions = []
                for i in t.tables("institutions"):
                    institutions.append(
                        Institution(
                            i.text("name"), i.text("country"), i.text("role"), i.text("note", "")
                        )
                    )
                    i.finish()
                status = t.fact("status", str)
                projects.append(
                    Project(
                        id=t.text("id"),
                        number=t.integer("number"),
                        cycle=t.text("cycle"),
                        title=t.fact("title", str),
                        acronym=t.text("acronym"),
                        institutions=tuple(institutions),
                        countries=t.fact_texts("countries"),
                        selection=t.fact("selection", str),
                        status=status,
                        discipline=t.text("discipline"),
                        sources=t.sources(),
                        notes=t.texts("notes", []),
                    )
                )
        agreements = []
        for raw in self.items(data, "agreement", file):
            with self.record(raw, file, f"agreement '{raw.get('id', '?')}'") as t:
                agreements.append(
                    Agreement(
                        id=t.text("id"),
                        partner=t.text("partner"),
                        country=t.text("country"),
                        title=t.text("title"),
                        signed=t.when("signed"),
                        place=t.text("place"),
                        summary=t.text("summary"),
                        sources=t.sources(),
                    )
                )
        return tuple(cycles), tuple(projects), tuple(agreements)

    def load_programs(self) -> tuple[AstronautProgram, ...]:
        file = "astronaut_programs.toml"
        data = self.read(file)
        result = []
        for raw in self.items(data, "program", file):
            with self.record(raw, file, f"program '{raw.get('id', '?')}'") as t:
                milestones = []
                for m in t.tables("milestones"):
                    milestones.append((m.when("when"), m.text("what")))
                    m.finish()
                candidates = []
                for c in t.tables("candidates"):
                    candidates.append(
                        Candidate(c.fact("name", str), c.text("status"), c.text("note", ""))
                    )
                    c.finish()
                result.append(
                    AstronautProgram(
                        id=t.text("id"),
                        name=t.text("name"),
                        country=t.text("country"),
                        agreement=t.text("agreement"),
                        milestones=tuple(milestones),
                        candidates=tuple(candidates),
                        flight=t.fact("flight", str),
                        flown_by=t.texts("flown_by"),
                        sources=t.sources(),
                        notes=t.texts("notes", []),
                    )
                )
        return tuple(result)

    # --- cross-file references -------------------------------------------------------------------
    def check_references(self, record: StationRecord) -> None:
        for source_id, file, label, fld in self.cited:
            if source_id not in record.sources:
                raise RecordError(
                    file, label, fld, f"cites {source_id!r}, which is not in sources.toml"
                )
        _unique("modules.toml", "module", [m.id for m in record.modules])
        _unique("missions.toml", "mission", [m.id for m in record.missions])
        _unique("astronauts.toml", "astronaut", [a.id for a in record.astronauts])
        _unique("racks.toml", "rack", [r.id for r in record.racks])
        port_ids = {p.id for p in record.ports}
        module_ids = {m.id for m in record.modules}
        mission_ids = {m.id for m in record.missions}
        people = {a.id for a in record.astronauts}
        for rack in record.racks:
            if rack.module not in module_ids:
                raise RecordError(
                    "racks.toml", f"rack '{rack.id}'", "module", f"no module {rack.module!r}"
                )
        for mission in record.missions:
            label = f"mission '{mission.id}'"
            site = mission.launch.site.value
            if site is not None and site not in record.sites:
                raise RecordError(
                    mission.defined_in, label, "launch_site", f"no site {site!r} in sites.toml"
                )
            landing = mission.landing_site.value
            if (
                landing is not None
                and mission.end_kind is not EndKind.NONE
                and landing not in record.sites
            ):
                raise RecordError(
                    mission.defined_in, label, "landing_site", f"no site {landing!r} in sites.toml"
                )
            for i, berthing in enumerate(mission.berthings):
                if berthing.port not in port_ids:
                    raise RecordError(
                        mission.defined_in,
                        label,
                        f"berthings[{i}].port",
                        f"no port {berthing.port!r}; ports are {sorted(port_ids)}",
                    )
            for i, assignment in enumerate(mission.crew):
                if assignment.person not in people:
                    raise RecordError(
                        mission.defined_in,
                        label,
                        f"crew[{i}].person",
                        f"no astronaut {assignment.person!r} in astronauts.toml",
                    )
                if assignment.returns_on not in mission_ids:
                    raise RecordError(
                        mission.defined_in,
                        label,
                        f"crew[{i}].returns_on",
                        f"no mission {assignment.returns_on!r}",
                    )
        countries = record.countries
        for project in record.projects:
            for code in project.countries.value or ():
                if code not in countries:
                    raise RecordError(
                        "cooperation.toml",
                        f"project '{project.id}'",
                        "countries",
                        f"{code!r} is not an ISO 3166-1 alpha-2 code",
                    )
            for i, inst in enumerate(project.institutions):
                if inst.country not in countries:
                    raise RecordError(
                        "cooperation.toml",
                        f"project '{project.id}'",
                        f"institutions[{i}].country",
                        f"{inst.country!r} is not an ISO code",
                    )
        for cycle in record.cycles:
            for code in cycle.selected_countries:
                if code not in countries:
                    raise RecordError(
                        "cooperation.toml",
                        f"cycle '{cycle.id}'",
                        "selected_countries",
                        f"{code!r} is not an ISO 3166-1 alpha-2 code",
                    )


def _unique(file: str, kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise RecordError(file, f"{kind} '{item}'", "id", "the same id is used twice")
        seen.add(item)


def _launch_key(mission: Mission) -> datetime:
    key = mission.launch.when.lower or mission.launch.when.upper
    assert key is not None
    return key
