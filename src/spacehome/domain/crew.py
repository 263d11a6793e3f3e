"""People in space: who was aboard when, their flights, and their cumulative days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .instant import When
from .presence import Certainty, presence
from .record import StationRecord
from .station import CrewAssignment, Mission

_DAY_S = 86_400.0


@dataclass(frozen=True)
class Stay:
    """One person's stay aboard the station: from their ship's docking to their ride home's
    undocking (a different ship after a swap)."""

    person: str
    mission: Mission
    assignment: CrewAssignment
    returns_on: Mission
    arrival: When
    departure: When | None


@dataclass(frozen=True)
class Aboard:
    stay: Stay
    certainty: Certainty


@dataclass(frozen=True)
class Flight:
    """One person's flight, launch to landing, with its length in days (bounds when unknown)."""

    person: str
    mission: Mission
    assignment: CrewAssignment
    returns_on: Mission
    launch: When
    landing: When | None
    days_min: float
    days_max: float | None  # None: not landed by the end of the record


def stays(record: StationRecord) -> tuple[Stay, ...]:
    """Every crew stay aboard the China Space Station, in launch order."""
    result: list[Stay] = []
    for mission in record.station_missions:
        for assignment in mission.crew:
            returns_on = record.mission(assignment.returns_on)
            arrival = mission.first_arrival or When.between(
                mission.launch.when.lower, None, note=f"{mission.name} docking not in the record"
            )
            result.append(
                Stay(
                    person=assignment.person,
                    mission=mission,
                    assignment=assignment,
                    returns_on=returns_on,
                    arrival=arrival,
                    departure=returns_on.final_departure,
                )
            )
    return tuple(result)


def aboard_at(record: StationRecord, instant: datetime) -> tuple[Aboard, ...]:
    """Who was aboard at ``instant``, certainly or possibly (the caller checks record coverage)."""
    result = []
    for stay in stays(record):
        certainty = presence(stay.arrival, stay.departure, instant)
        if certainty is not None:
            result.append(Aboard(stay=stay, certainty=certainty))
    return tuple(result)


def flights(record: StationRecord, person: str) -> tuple[Flight, ...]:
    """All of one person's flights in the record, station era or before, in launch order."""
    record.astronaut(person)  # raises NotFoundError for an unknown id
    end_of_record = record.meta.complete_through
    result = []
    for mission in record.missions:
        for assignment in mission.crew:
            if assignment.person != person:
                continue
            returns_on = record.mission(assignment.returns_on)
            launch = mission.launch.when
            landing = returns_on.end
            days_min, days_max = _length_days(launch, landing, end_of_record)
            result.append(
                Flight(
                    person=person,
                    mission=mission,
                    assignment=assignment,
                    returns_on=returns_on,
                    launch=launch,
                    landing=landing,
                    days_min=days_min,
                    days_max=days_max,
                )
            )
    return tuple(sorted(result, key=lambda f: _sort_key(f.launch)))


def cumulative_days(record: StationRecord, person: str) -> tuple[float, float | None]:
    """Days in space over every recorded flight: ``(at least, at most)``; at most is ``None``
    while a flight has no recorded landing (still in space at the end of the record)."""
    total_min = 0.0
    total_max: float | None = 0.0
    for flight in flights(record, person):
        total_min += flight.days_min
        if total_max is not None and flight.days_max is not None:
            total_max += flight.days_max
        else:
            total_max = None
    return total_min, total_max


def _length_days(
    launch: When, landing: When | None, end_of_record: datetime
) -> tuple[float, float | None]:
    """Flight length in days: ``(at least, at most)``; at most is ``None`` while not landed."""
    if launch.lower is None or launch.upper is None:
        return 0.0, None
    if landing is None or landing.upper is None:
        # No landing in the record: in space at least until the end of the record.
        low_end = max(end_of_record, landing.lower or end_of_record) if landing else end_of_record
        return max(0.0, _days(launch.upper, low_end)), None
    days_min = max(0.0, _days(launch.upper, landing.lower or launch.upper))
    return days_min, _days(launch.lower, landing.upper)


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / _DAY_S


def _sort_key(when: When) -> datetime:
    key = when.lower or when.upper
    assert key is not None, "every launch in the record has a time or a bound"
    return key
