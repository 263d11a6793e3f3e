"""The station as it is and as it was: snapshots, missions and the event timeline."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from spacehome.domain.crew import Aboard
from spacehome.domain.instant import format_utc
from spacehome.domain.presence import Certainty
from spacehome.domain.record import StationRecord
from spacehome.domain.snapshot import station_at
from spacehome.domain.station import Mission, MissionKind
from spacehome.domain.timeline import events_between
from spacehome.errors import ValidationError
from spacehome.record.loader import load_record

from .serialize import JSON, fact, utc, when


@cache
def default_record() -> StationRecord:
    """The record shipped with spacehome, loaded and validated once per process."""
    return load_record()


def station_view(record: StationRecord, at: datetime) -> JSON:
    snap = station_at(record, at)
    return {
        "requested_at": utc(snap.requested_at),
        "state_at": utc(snap.state_at),
        "record_complete_through": utc(snap.complete_through),
        "beyond_record": snap.beyond_record,
        "station": record.station.name,
        "modules": [
            {
                "id": m.module.id,
                "name": m.module.name,
                "role": m.module.role,
                "attached_at": m.port,
                "since": when(m.since),
                "certainty": m.certainty.value,
            }
            for m in snap.modules
        ],
        "ports": [
            {
                "port": p.port.id,
                "name": p.port.name,
                "occupant": None if p.occupant is None else _vehicle_ref(p.occupant),
                "since": when(p.since),
                "until": when(p.until),
                "certainty": None if p.certainty is None else p.certainty.value,
            }
            for p in snap.ports
        ],
        "crew_count": sum(1 for a in snap.crew if a.certainty is Certainty.CERTAIN),
        "crew": [aboard_view(record, a) for a in snap.crew],
        "free_flying": [_vehicle_ref(m) for m in snap.free_flying],
        "racks": [
            {"id": r.id, "name": r.name, "module": r.module, "discipline": r.discipline}
            for r in snap.racks
        ],
        "notes": list(snap.notes),
    }


def aboard_view(record: StationRecord, aboard: Aboard) -> JSON:
    stay = aboard.stay
    person = record.astronaut(stay.person)
    return {
        "id": person.id,
        "name": person.name,
        "nationality": person.nationality,
        "region": person.region or None,
        "role": stay.assignment.role.value,
        "mission": stay.mission.name,
        "returns_on": stay.returns_on.name,
        "arrived": when(stay.arrival),
        "departs": when(stay.departure),
        "certainty": aboard.certainty.value,
    }


def _vehicle_ref(mission: Mission) -> JSON:
    return {"id": mission.id, "name": mission.name, "kind": mission.kind.value}


def missions_view(
    record: StationRecord,
    kind: str | None = None,
    year: int | None = None,
    include_earlier: bool = False,
) -> list[JSON]:
    if kind is not None and kind not in {k.value for k in MissionKind}:
        raise ValidationError(f"--kind {kind!r} is not one of crewed, cargo, module")
    result = []
    for mission in record.missions:
        if mission.station != "css" and not include_earlier:
            continue
        if kind is not None and mission.kind.value != kind:
            continue
        launch = mission.launch.when
        if year is not None and (launch.lower is None or launch.lower.year != year):
            continue
        result.append(mission_view(record, mission))
    return result


def mission_view(record: StationRecord, mission: Mission) -> JSON:
    return {
        "id": mission.id,
        "name": mission.name,
        "kind": mission.kind.value,
        "spacecraft": mission.spacecraft,
        "station": mission.station,
        "launch": when(mission.launch.when),
        "launch_vehicle": fact(mission.launch.vehicle),
        "launch_vehicle_serial": fact(mission.launch.serial),
        "launch_site": fact(mission.launch.site),
        "berthings": [
            {
                "port": b.port,
                "port_fact": None if b.port_fact is None else fact(b.port_fact),
                "start": when(b.start),
                "end": when(b.end),
            }
            for b in mission.berthings
        ],
        "end_kind": mission.end_kind.value,
        "end": when(mission.end),
        "landing_site": fact(mission.landing_site),
        "crewed_at_launch": mission.crewed_at_launch,
        "crew": [
            {
                "id": a.person,
                "name": record.astronaut(a.person).name,
                "role": fact(a.role),
                "returns_on": a.returns_on,
            }
            for a in mission.crew
        ],
        "cargo_mass_kg": fact(mission.cargo_mass_kg),
        "norad_id": fact(mission.norad_id),
        "cospar_id": fact(mission.cospar_id),
        "sources": list(mission.sources),
        "notes": list(mission.notes),
    }


def timeline_view(record: StationRecord, start: datetime, end: datetime) -> JSON:
    if end < start:
        raise ValidationError("--to is before --from; give a window that ends after it starts")
    items = events_between(record, start, end)
    notes = []
    if end > record.meta.complete_through:
        notes.append(
            f"record ends {format_utc(record.meta.complete_through)}; events after that are "
            "not in the record"
        )
    return {
        "from": utc(start),
        "to": utc(end),
        "record_complete_through": utc(record.meta.complete_through),
        "events": [
            {
                "when": when(e.when),
                "kind": e.kind.value,
                "mission": e.mission.name,
                "mission_id": e.mission.id,
                "port": e.port or None,
                "detail": e.detail,
            }
            for e in items
        ],
        "notes": notes,
    }
