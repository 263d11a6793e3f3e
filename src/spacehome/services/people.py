"""Astronauts: who was aboard, their flights and cumulative days in space."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from spacehome.domain.crew import aboard_at, cumulative_days, flights
from spacehome.domain.instant import format_utc, require_utc
from spacehome.domain.record import StationRecord
from spacehome.domain.station import Astronaut
from spacehome.errors import NotFoundError, ValidationError

from .serialize import JSON, fact, when
from .station import aboard_view


def crew_view(
    record: StationRecord, aboard: datetime | None = None, nationality: str | None = None
) -> JSON:
    """All astronauts in the record, or those aboard at an instant; optionally by nationality."""
    code = _country_code(record, nationality) if nationality else None
    notes: list[str] = []
    if aboard is None:
        people = [astronaut_summary(record, a) for a in record.astronauts]
    else:
        instant = require_utc(aboard, "--aboard-at")
        end = record.meta.complete_through
        if instant > end:
            notes.append(
                f"record ends {format_utc(end)}; crew after that unknown. {record.meta.coverage_note}"
            )
            people = []
        else:
            people = [aboard_view(record, a) for a in aboard_at(record, instant)]
    if code is not None:
        people = [p for p in people if code in (p["nationality"], p["region"])]
    return {
        "aboard_at": None if aboard is None else format_utc(require_utc(aboard)),
        "nationality": code,
        "people": people,
        "notes": notes,
    }


def astronaut_summary(record: StationRecord, astronaut: Astronaut) -> JSON:
    days_min, days_max = cumulative_days(record, astronaut.id)
    return {
        "id": astronaut.id,
        "name": astronaut.name,
        "nationality": astronaut.nationality,
        "region": astronaut.region or None,
        "flights": len(flights(record, astronaut.id)),
        "days_in_space_min": round(days_min, 3),
        "days_in_space_max": None if days_max is None else round(days_max, 3),
    }


def astronaut_view(record: StationRecord, name: str) -> JSON:
    astronaut = find_astronaut(record, name)
    _days_min, days_max = cumulative_days(record, astronaut.id)
    notes = []
    if days_max is None:
        notes.append(
            f"still in space at the end of the record ({format_utc(record.meta.complete_through)}): "
            "the total is a lower bound"
        )
    return {
        **astronaut_summary(record, astronaut),
        "aliases": list(astronaut.aliases),
        "name_zh": astronaut.name_zh or None,
        "nationality_name": record.country_name(astronaut.nationality),
        "region_name": record.country_name(astronaut.region) if astronaut.region else None,
        "flight_list": [
            {
                "mission": f.mission.name,
                "mission_id": f.mission.id,
                "role": fact(f.assignment.role),
                "launch": when(f.launch),
                "landing": when(f.landing),
                "returned_on": f.returns_on.name,
                "days_min": round(f.days_min, 3),
                "days_max": None if f.days_max is None else round(f.days_max, 3),
            }
            for f in flights(record, astronaut.id)
        ],
        "sources": list(astronaut.sources),
        "notes": list(astronaut.notes) + notes,
    }


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def find_astronaut(record: StationRecord, name: str) -> Astronaut:
    """By id, name or alias, ignoring case, spaces, hyphens and accents."""
    wanted = _fold(name)
    if not wanted:
        raise ValidationError('give an astronaut\'s name, e.g. `spacehome astronaut "Wang Yaping"`')
    for astronaut in record.astronauts:
        keys = {astronaut.id, astronaut.name, astronaut.name_zh, *astronaut.aliases}
        if wanted in {_fold(k) for k in keys if k}:
            return astronaut
    close = [a.name for a in record.astronauts if wanted[:4] and wanted[:4] in _fold(a.name)]
    hint = f"; did you mean {', '.join(close)}?" if close else "; `spacehome crew` lists everyone"
    raise NotFoundError(f"no astronaut named {name!r} in the record{hint}")


def _country_code(record: StationRecord, code: str) -> str:
    text = code.strip().upper()
    for country in record.countries.values():
        if text in (country.alpha2, country.alpha3):
            return country.alpha2
    raise ValidationError(
        f"--nationality {code!r} is not an ISO 3166-1 country code; use e.g. CN, HK or PAK"
    )
