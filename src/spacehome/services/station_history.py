"""The station's configuration history: the span a time slider covers and the events that
change what the station looks like (modules berthing and moving, ships docking and leaving, the
crews that come and go with them), all derived from the record."""

from __future__ import annotations

from functools import cache

from spacehome.domain.crew import Stay, stays
from spacehome.domain.instant import When
from spacehome.domain.record import StationRecord
from spacehome.domain.station import Mission, MissionKind
from spacehome.domain.timeline import Event, EventKind, events

from .serialize import JSON, utc, when
from .station import default_record

#: The kinds of event after which the station looks different (a launch only counts for the
#: core module: the station begins with it).
CONFIGURATION_KINDS = (EventKind.DOCKING, EventKind.RELOCATION, EventKind.UNDOCKING)


def history_view(record: StationRecord) -> JSON:
    """The slider's span and every configuration-changing event, in time order.

    The span starts at the core module's launch and ends where the record stops
    (``meta.complete_through``): after that instant the record says nothing, and the station
    view shows the last recorded state with a note, so the slider goes no further.
    """
    return _history_view(record)


@cache
def default_history() -> JSON:
    """The history of the record shipped with spacehome, built once per process."""
    return _history_view(default_record())


def _history_view(record: StationRecord) -> JSON:
    core = record.mission(record.core_module.id)
    start = core.launch.when.value
    assert start is not None, "the core module's launch is known"
    by_arrival: dict[str, list[Stay]] = {}
    by_departure: dict[str, list[Stay]] = {}
    for stay in stays(record):
        by_arrival.setdefault(stay.mission.id, []).append(stay)
        by_departure.setdefault(stay.returns_on.id, []).append(stay)
    items = []
    for event in events(record):
        if event.kind is EventKind.LAUNCH and event.mission.id == core.id:
            items.append(_event(record, event, [], [], _launch_label(core)))
        elif event.kind in CONFIGURATION_KINDS:
            arriving = by_arrival.get(event.mission.id, []) if event.kind is EventKind.DOCKING else []
            departing = (
                by_departure.get(event.mission.id, []) if event.kind is EventKind.UNDOCKING else []
            )
            items.append(_event(record, event, arriving, departing, _label(record, event, arriving, departing)))
    return {
        "station": record.station.name,
        "start": utc(start),
        "end": utc(record.meta.complete_through),
        "end_note": record.meta.coverage_note,
        "ports": [{"port": p.id, "name": p.name, "docking": p.docking} for p in record.ports],
        "events": items,
    }


def _event(
    record: StationRecord, event: Event, arriving: list[Stay], departing: list[Stay], label: str
) -> JSON:
    previous = _previous_port(event)
    return {
        "at": utc(event.when.value),
        "when": when(event.when),
        "kind": event.kind.value,
        "mission_id": event.mission.id,
        "mission": event.mission.name,
        "mission_kind": event.mission.kind.value,
        "port": event.port or None,
        "from_port": previous,
        "crew_arriving": [_person(record, s) for s in arriving],
        "crew_departing": [_person(record, s) for s in departing],
        "label": label,
    }


def _person(record: StationRecord, stay: Stay) -> JSON:
    person = record.astronaut(stay.person)
    return {"id": person.id, "name": person.name, "nationality": person.nationality}


def _previous_port(event: Event) -> str | None:
    if event.kind is not EventKind.RELOCATION:
        return None
    ports = [b.port for b in event.mission.berthings]
    starts = [b.start for b in event.mission.berthings]
    index = starts.index(event.when)
    return ports[index - 1]


def _port_phrase(port: str) -> str:
    return "the port-side port" if port == "port" else f"the {port} port"


def _names(record: StationRecord, people: list[Stay]) -> str:
    return ", ".join(record.astronaut(s.person).name for s in people)


def _launch_label(core: Mission) -> str:
    vehicle = " ".join(v for v in (core.launch.vehicle.value, core.launch.serial.value) if v)
    return f"{core.name} core module launched{' on ' + vehicle if vehicle else ''}: the station begins"


def _label(record: StationRecord, event: Event, arriving: list[Stay], departing: list[Stay]) -> str:
    name = event.mission.name
    crew_ship = event.mission.kind is MissionKind.CREWED
    if event.kind is EventKind.DOCKING:
        verb = "berthed" if event.mission.kind is MissionKind.MODULE else "docked"
        text = f"{name} {verb} at {_port_phrase(event.port)}"
        if arriving:
            text += f" with {_names(record, arriving)}"
        elif crew_ship:
            text += ", uncrewed"
        return text + _unknown(event.when)
    if event.kind is EventKind.RELOCATION:
        before = _previous_port(event)
        assert before is not None
        return f"{name} moved from {_port_phrase(before)} to {_port_phrase(event.port)}" + _unknown(
            event.when
        )
    text = f"{name} undocked from {_port_phrase(event.port)}"
    if departing:
        text += f" taking {_names(record, departing)} home"
    elif crew_ship:
        text += ", uncrewed"
    return text + _unknown(event.when)


def _unknown(moment: When) -> str:
    if moment.value is not None:
        return ""
    bounds = [
        f"{word} {utc(bound)}"
        for word, bound in (("after", moment.earliest), ("before", moment.latest))
        if bound is not None
    ]
    return f" (time not in the record{': ' + ' and '.join(bounds) if bounds else ''})"
