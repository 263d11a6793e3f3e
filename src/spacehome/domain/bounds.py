"""Tighten the bounds of unknown times with what the rest of the record implies.

Run after the consistency checks (which use only stated times), so a deduction never hides a
contradiction. Each deduction follows from physics the checks enforce:

* a ship cannot undock before it docked, nor after it moved to another port or came home;
* a port holds one vehicle at a time, so a stay ends before the next vehicle's arrival there;
* a ship docks after its launch and lands after its last undocking.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from .record import StationRecord
from .station import Berthing, Mission


def deduce_bounds(record: StationRecord) -> StationRecord:
    arrivals: dict[str, list[datetime]] = defaultdict(list)  # port -> latest possible arrival
    for mission in record.missions:
        for berthing in mission.berthings:
            if berthing.start.upper is not None:
                arrivals[berthing.port].append(berthing.start.upper)
    missions = tuple(_deduce_mission(m, arrivals) for m in record.missions)
    return replace(record, missions=missions)


def _deduce_mission(mission: Mission, arrivals: dict[str, list[datetime]]) -> Mission:
    launch = mission.launch.when
    berthings: list[Berthing] = []
    for i, berthing in enumerate(mission.berthings):
        following = mission.berthings[i + 1] if i + 1 < len(mission.berthings) else None
        start = berthing.start.bounded(launch.lower, berthing.end.upper if berthing.end else None)
        end = berthing.end
        if end is not None and not end.is_known:
            latest_candidates = [
                t for t in arrivals[berthing.port] if start.lower is not None and t > start.lower
            ]
            if following is not None and following.start.upper is not None:
                latest_candidates.append(following.start.upper)
            if mission.end is not None and mission.end.upper is not None:
                latest_candidates.append(mission.end.upper)
            latest = min(latest_candidates) if latest_candidates else None
            end = end.bounded(start.lower, latest)
        berthings.append(replace(berthing, start=start, end=end))
    mission_end = mission.end
    if mission_end is not None and not mission_end.is_known:
        last = berthings[-1].end if berthings else None
        earliest = last.lower if last is not None and last.lower is not None else launch.lower
        mission_end = mission_end.bounded(earliest, None)
    return replace(mission, berthings=tuple(berthings), end=mission_end)
