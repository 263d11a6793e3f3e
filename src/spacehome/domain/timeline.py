"""Events of the station's history in a time window: launches, dockings, relocations,
undockings, landings and re-entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .instant import When, require_utc
from .record import StationRecord
from .station import EndKind, Mission


class EventKind(StrEnum):
    LAUNCH = "launch"
    DOCKING = "docking"
    RELOCATION = "relocation"
    UNDOCKING = "undocking"
    LANDING = "landing"
    REENTRY = "reentry"


@dataclass(frozen=True)
class Event:
    when: When
    kind: EventKind
    mission: Mission
    port: str  # "" when no port is involved
    detail: str


def events(record: StationRecord) -> tuple[Event, ...]:
    """Every event of the station era, in time order (unknown times by their earliest bound)."""
    result: list[Event] = []
    for mission in record.station_missions:
        result.append(
            Event(mission.launch.when, EventKind.LAUNCH, mission, "", _launch_detail(mission))
        )
        for i, berthing in enumerate(mission.berthings):
            if i == 0:
                result.append(
                    Event(
                        berthing.start,
                        EventKind.DOCKING,
                        mission,
                        berthing.port,
                        f"docked at the {berthing.port} port",
                    )
                )
            else:
                before = mission.berthings[i - 1].port
                result.append(
                    Event(
                        berthing.start,
                        EventKind.RELOCATION,
                        mission,
                        berthing.port,
                        f"moved from the {before} to the {berthing.port} port",
                    )
                )
            last = i == len(mission.berthings) - 1
            if berthing.end is not None and last:
                result.append(
                    Event(
                        berthing.end,
                        EventKind.UNDOCKING,
                        mission,
                        berthing.port,
                        f"undocked from the {berthing.port} port",
                    )
                )
        if mission.end is not None and mission.end_kind is not EndKind.NONE:
            kind = EventKind.LANDING if mission.end_kind is EndKind.LANDING else EventKind.REENTRY
            riders = [
                a.person for m in record.missions for a in m.crew if a.returns_on == mission.id
            ]
            detail = "landed" if kind is EventKind.LANDING else "re-entered"
            if kind is EventKind.LANDING:
                detail += f" with {', '.join(riders)}" if riders else " uncrewed"
            result.append(Event(mission.end, kind, mission, "", detail))
    return tuple(sorted(result, key=_key))


def events_between(record: StationRecord, start: datetime, end: datetime) -> tuple[Event, ...]:
    """Events that happened, or may have happened, within ``[start, end]``."""
    low = require_utc(start, "--from")
    high = require_utc(end, "--to")
    return tuple(
        e
        for e in events(record)
        if (e.when.upper is None or e.when.upper >= low)
        and (e.when.lower is None or e.when.lower <= high)
        and not (e.when.lower is None and e.when.upper is None)
    )


def _launch_detail(mission: Mission) -> str:
    vehicle = mission.launch.vehicle.value or "launch vehicle unknown"
    serial = mission.launch.serial.value
    text = f"launched on {vehicle}{' ' + serial if serial else ''}"
    if mission.kind.value == "crewed" and not mission.crewed_at_launch:
        text += ", uncrewed"
    return text


def _key(event: Event) -> tuple[datetime, int]:
    moment = event.when.lower or event.when.upper
    assert moment is not None
    order = list(EventKind).index(event.kind)
    return (moment, order)
