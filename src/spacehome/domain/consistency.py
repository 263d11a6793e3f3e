"""Consistency checks run on every load: the record must describe a physically possible station.

Each failure raises :class:`~spacehome.errors.RecordError` naming the file, the record and the
field. Checks use only what is certain: an unknown time constrains nothing it cannot.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from spacehome.errors import RecordError

from .crew import aboard_at
from .instant import When, format_utc
from .presence import Certainty, certain_span, spans_overlap
from .record import StationRecord
from .station import Mission, MissionKind

SHENZHOU_SEATS = 3


def check_consistency(record: StationRecord) -> None:
    """Raise on the first contradiction found in ``record``."""
    ports = {p.id: p for p in record.ports}
    for mission in record.missions:
        _check_sequence(mission)
        for i, berthing in enumerate(mission.berthings):
            if not ports[berthing.port].docking:
                raise _error(
                    mission, f"berthings[{i}].port", f"port {berthing.port!r} takes no vehicles"
                )
    _check_ports(record)
    _check_people(record)
    _check_crews_and_ships(record)


def _error(mission: Mission, field: str, problem: str) -> RecordError:
    return RecordError(mission.defined_in, f"mission '{mission.id}'", field, problem)


def _before(a: When, b: When) -> bool:
    """``a`` certainly happened before ``b``."""
    return a.upper is not None and b.lower is not None and a.upper < b.lower


def _check_sequence(mission: Mission) -> None:
    """Launch, then each berthing in order, then the landing or re-entry."""
    launch = mission.launch.when
    previous: tuple[When, str] = (launch, "launch")
    for i, berthing in enumerate(mission.berthings):
        if _before(berthing.start, previous[0]):
            raise _error(
                mission,
                f"berthings[{i}].start",
                f"{berthing.start.describe()} is before the {previous[1]} ({previous[0].describe()})",
            )
        previous = (berthing.start, f"berthings[{i}].start")
        if berthing.end is not None:
            if _before(berthing.end, berthing.start):
                raise _error(
                    mission,
                    f"berthings[{i}].end",
                    f"undocking {berthing.end.describe()} is before docking {berthing.start.describe()}",
                )
            previous = (berthing.end, f"berthings[{i}].end")
        elif i < len(mission.berthings) - 1:
            raise _error(mission, f"berthings[{i}].end", "a stay followed by another needs an end")
    if mission.end is not None:
        if _before(mission.end, launch):
            raise _error(
                mission,
                "end_utc",
                f"{mission.end_kind.value} {mission.end.describe()} is before launch "
                f"{launch.describe()}",
            )
        if _before(mission.end, previous[0]):
            raise _error(
                mission,
                "end_utc",
                f"{mission.end_kind.value} {mission.end.describe()} is before the {previous[1]} "
                f"({previous[0].describe()})",
            )
        if mission.berthings and mission.berthings[-1].end is None and mission.end.is_known:
            raise _error(
                mission,
                "end_utc",
                "the mission ended but its last berthing has no end; add the undocking "
                "(`end = { unknown = true }` if no source gives it)",
            )


def _check_ports(record: StationRecord) -> None:
    """A port holds one vehicle at a time."""
    by_port: dict[str, list[tuple[tuple[datetime, datetime | None], Mission, int]]] = defaultdict(
        list
    )
    for mission in record.missions:
        for i, berthing in enumerate(mission.berthings):
            span = certain_span(berthing.start, berthing.end)
            if span is None:
                continue
            for other_span, other, j in by_port[berthing.port]:
                if other is not mission and spans_overlap(span, other_span):
                    until = "its departure" if other_span[1] is None else format_utc(other_span[1])
                    raise _error(
                        mission,
                        f"berthings[{i}].port",
                        f"port {berthing.port!r} already holds {other.name} (berthings[{j}]) from "
                        f"{format_utc(other_span[0])} until {until}: a port holds one vehicle at "
                        "a time",
                    )
            by_port[berthing.port].append((span, mission, i))


def _flight_span(
    record: StationRecord, mission: Mission, returns_on: str
) -> tuple[datetime, datetime | None] | None:
    ride_home = record.mission(returns_on)
    end = ride_home.end
    return certain_span(mission.launch.when, end)


def _check_people(record: StationRecord) -> None:
    """A person is aboard at most one vehicle at a time: their flights do not overlap."""
    flights: dict[str, list[tuple[tuple[datetime, datetime | None], Mission, int]]] = defaultdict(
        list
    )
    for mission in record.missions:
        for i, assignment in enumerate(mission.crew):
            span = _flight_span(record, mission, assignment.returns_on)
            if span is None:
                continue
            for other_span, other, _j in flights[assignment.person]:
                if spans_overlap(span, other_span):
                    raise _error(
                        mission,
                        f"crew[{i}].person",
                        f"{assignment.person} is already flying on {other.name} at that time: "
                        "a person is aboard one vehicle at a time",
                    )
            flights[assignment.person].append((span, mission, i))


def _check_crews_and_ships(record: StationRecord) -> None:
    """Crews aboard match ships docked: who flies up in a ship flies with it, comes home in a
    crew ship that was docked while they were aboard, and no ship carries more than its seats."""
    riders: dict[str, int] = defaultdict(int)
    for mission in record.missions:
        if mission.crew and not mission.crewed_at_launch:
            raise _error(mission, "crew", "the ship flew up uncrewed but lists a crew")
        if mission.crewed_at_launch and not mission.crew:
            raise _error(mission, "crew", "the ship flew up crewed but lists no crew")
        if len(mission.crew) > SHENZHOU_SEATS:
            raise _error(mission, "crew", f"{len(mission.crew)} people in {SHENZHOU_SEATS} seats")
        for i, assignment in enumerate(mission.crew):
            ride_home = record.mission(assignment.returns_on)
            riders[ride_home.id] += 1
            if ride_home.kind is not MissionKind.CREWED:
                raise _error(
                    mission,
                    f"crew[{i}].returns_on",
                    f"{ride_home.name} is not a crew ship: nobody comes home in it",
                )
            if ride_home is mission or mission.station != "css":
                continue
            arrival = mission.first_arrival
            departure = ride_home.final_departure
            if arrival is not None and departure is not None and _before(departure, arrival):
                raise _error(
                    mission,
                    f"crew[{i}].returns_on",
                    f"{ride_home.name} left the station ({departure.describe()}) before "
                    f"{assignment.person} arrived ({arrival.describe()})",
                )
            if not ride_home.berthings:
                raise _error(
                    mission,
                    f"crew[{i}].returns_on",
                    f"{ride_home.name} never docked at the station, so nobody can board it there",
                )
    for mission_id, count in riders.items():
        if count > SHENZHOU_SEATS:
            ship = record.mission(mission_id)
            raise _error(
                ship,
                "crew",
                f"{count} people return on {ship.name}, which has {SHENZHOU_SEATS} seats",
            )
    crew_max = record.station.crew_max.value
    if crew_max is None:
        return
    for mission in record.station_missions:
        arrival = mission.first_arrival
        if not mission.crew or arrival is None or arrival.upper is None:
            continue
        aboard = [a for a in aboard_at(record, arrival.upper) if a.certainty is Certainty.CERTAIN]
        if len(aboard) > crew_max:
            raise _error(
                mission,
                "crew",
                f"{len(aboard)} people aboard at {format_utc(arrival.upper)}; the station holds "
                f"at most {crew_max}",
            )
