"""The station at an instant: modules, ports, crew aboard, racks, free-flying visitors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from spacehome.errors import ValidationError

from .crew import Aboard, aboard_at
from .instant import When, format_utc, require_utc
from .presence import Certainty, presence
from .record import StationRecord
from .station import Mission, MissionKind, Module, Port, Rack


@dataclass(frozen=True)
class AttachedModule:
    module: Module
    port: str  # "core" for Tianhe, else the Tianhe port it is berthed at
    since: When
    certainty: Certainty


@dataclass(frozen=True)
class PortState:
    port: Port
    occupant: Mission | None
    since: When | None
    until: When | None
    certainty: Certainty | None


@dataclass(frozen=True)
class StationSnapshot:
    requested_at: datetime
    state_at: datetime  # the requested instant, or the end of the record if that is earlier
    complete_through: datetime
    beyond_record: bool
    modules: tuple[AttachedModule, ...]
    ports: tuple[PortState, ...]
    crew: tuple[Aboard, ...]
    racks: tuple[Rack, ...]
    free_flying: tuple[Mission, ...]  # launched to the station, not (yet) berthed
    notes: tuple[str, ...]


def station_at(record: StationRecord, instant: datetime) -> StationSnapshot:
    """What the station looked like at ``instant`` (aware), as far as the record knows."""
    requested = require_utc(instant, "--at")
    core = record.mission(record.core_module.id)
    core_launch = core.launch.when.value
    assert core_launch is not None, "the core module's launch is known"
    if requested < core_launch:
        raise ValidationError(
            f"the station did not exist at {format_utc(requested)}: the record starts with the "
            f"{core.name} launch at {format_utc(core_launch)}; ask for a later time"
        )
    end_of_record = record.meta.complete_through
    beyond = requested > end_of_record
    at = end_of_record if beyond else requested
    notes: list[str] = []
    if beyond:
        notes.append(
            f"record ends {format_utc(end_of_record)}; what happened after that is unknown. "
            f"Showing the last recorded state. {record.meta.coverage_note}"
        )

    modules = [AttachedModule(record.core_module, "core", core.launch.when, Certainty.CERTAIN)]
    for module in record.modules[1:]:
        mission = record.mission(module.id)
        for berthing in mission.berthings:
            certainty = presence(berthing.start, berthing.end, at)
            if certainty is not None:
                modules.append(AttachedModule(module, berthing.port, berthing.start, certainty))
    attached_ids = {m.module.id for m in modules}

    ports = []
    for port in record.ports:
        state = PortState(port, None, None, None, None)
        for mission in record.station_missions:
            for berthing in mission.berthings:
                if berthing.port != port.id:
                    continue
                certainty = presence(berthing.start, berthing.end, at)
                if certainty is None:
                    continue
                if state.certainty is Certainty.CERTAIN and certainty is Certainty.POSSIBLE:
                    continue
                state = PortState(port, mission, berthing.start, berthing.end, certainty)
        ports.append(state)

    free = []
    for mission in record.station_missions:
        if mission.kind is MissionKind.MODULE:
            continue
        launched = mission.launch.when.certainly_before(at)
        arrived = mission.first_arrival is not None and mission.first_arrival.certainly_before(at)
        ended = mission.end is not None and mission.end.certainly_before(at)
        if launched and not arrived and not ended:
            free.append(mission)
            if not mission.berthings:
                notes.append(f"{mission.name} was launched; its docking is not in the record")

    in_flight = {m.id for m in free}
    crew = tuple(a for a in aboard_at(record, at) if a.stay.mission.id not in in_flight)
    for mission in free:
        names = [record.astronaut(c.person).name for c in mission.crew]
        if names:
            notes.append(f"in flight aboard {mission.name}, not yet docked: {', '.join(names)}")
    if any(a.certainty is Certainty.POSSIBLE for a in crew):
        notes.append("'possibly' marks people or ships whose arrival or departure time is unknown")
    racks = tuple(r for r in record.racks if r.module in attached_ids)
    for module in record.modules:
        if module.id not in attached_ids:
            continue
        named = sum(1 for r in racks if r.module == module.id)
        positions = module.rack_positions.value
        if positions is not None and positions > named:
            notes.append(
                f"{module.name}: {positions - named} of {positions} rack positions have no "
                "name in the sources"
            )
    return StationSnapshot(
        requested_at=requested,
        state_at=at,
        complete_through=end_of_record,
        beyond_record=beyond,
        modules=tuple(modules),
        ports=tuple(ports),
        crew=crew,
        racks=racks,
        free_flying=tuple(free),
        notes=tuple(notes),
    )
