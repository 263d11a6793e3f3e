"""The dashboard's Now page: where the station is, its ground track, who is aboard, in one view.

:func:`now_view` answers everything the page's first render needs in one call:

- the sub-satellite point, altitude, speed and lighting at the instant (the same SGP4 track and
  shadow geometry as :func:`spacehome.services.orbit.where_view`);
- the ground track from one orbit before to two orbits after the instant, a point every
  :data:`TRACK_STEP_S` seconds, each flagged sunlit or in Earth's shadow (the Sun's centre above
  or below the Earth's limb seen from the station: the boundary the eclipse service's
  ``shadow_entry``/``shadow_exit`` times are);
- the subsolar point (for the day/night terminator);
- the element set used and its age, with the orbit service's staleness warning;
- the crew aboard and the ports' occupants from the station record (its last recorded state when
  the instant is after the record ends, which the view says).

When no stored element set reaches the instant (SGP4 fails years away from a set's epoch), the
orbit part is ``null`` and ``orbit_problem`` says why; the record's part and the subsolar point
still answer.

The track is computed for the whole minute the instant falls in and kept (a small per-process
cache keyed by element set and minute), so a page loaded by many visitors in the same minute
computes it once; the position at the instant itself is always computed afresh.

:func:`places_view` suggests gazetteer cities for a search box (prefix match on the city's name,
largest first), each with the label :func:`spacehome.record.places.resolve_city` reads back.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import format_utc, require_utc
from spacehome.domain.record import StationRecord
from spacehome.errors import NotFoundError, ValidationError
from spacehome.orbit import eclipse, frames
from spacehome.orbit.propagation import PropagationError, require_propagated, track
from spacehome.orbit.sun import EPHEMERIS_FIRST, EPHEMERIS_LAST, SunTable
from spacehome.orbit.timebase import Instants, offset_datetimes
from spacehome.record.places import cities_starting_with

from . import orbit, station

JSON = dict[str, Any]
FloatArray = NDArray[np.float64]

#: Spacing of the ground-track points (s): the browser interpolates between them.
TRACK_STEP_S = 30.0
#: The track covers this many orbits before and after the instant.
ORBITS_BEFORE = 1.0
ORBITS_AFTER = 2.0
#: Track windows kept in memory (one per element set and minute).
CACHE_SIZE = 32
#: The track reaches this far from the instant (well over three orbits).
_MARGIN = timedelta(days=1)
#: Most suggestions :func:`places_view` returns.
MAX_PLACES = 20


# --- the station now ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Track:
    points: list[JSON]
    first: datetime
    last: datetime


_cache: OrderedDict[tuple[ElementSet, datetime], _Track] = OrderedDict()
_lock = threading.Lock()


def now_view(at: datetime, *, database_url: str | None = None) -> JSON:
    """Everything the Now page shows at ``at`` (see the module docstring)."""
    at = require_utc(at, "at")
    if not EPHEMERIS_FIRST + _MARGIN <= at <= EPHEMERIS_LAST - _MARGIN:
        raise ValidationError(
            f"at {format_utc(at)} is outside {EPHEMERIS_FIRST + _MARGIN:%Y-%m-%d} to "
            f"{EPHEMERIS_LAST - _MARGIN:%Y-%m-%d}, the span the Sun's ephemeris (JPL DE421) covers "
            "with the track's margin: choose an instant inside it",
            field="at",
        )
    record = station.default_record()
    snapshot = station.station_view(record, at)
    view: JSON = {
        "at": format_utc(at),
        "object": None,
        "orbit_problem": None,
        "position": None,
        "subsolar": _subsolar_at(at),
        "period_min": None,
        "track": None,
        "element_set": None,
        "station": _station_part(record, snapshot),
    }
    try:
        chosen = orbit.choose_elements(at, database_url=database_url)
        view.update(_orbit_part(chosen, at))
    except (PropagationError, NotFoundError) as exc:
        # No set, or none that reaches this instant (decades before or after its epoch): the
        # record's part still answers; the page says why the map has no station.
        view["orbit_problem"] = exc.message
    return view


def _orbit_part(chosen: orbit.Chosen, at: datetime) -> JSON:
    es = chosen.elements
    element_set = {
        "name": es.name,
        "catalog_number": es.catalog_number,
        "epoch": format_utc(es.epoch),
        "origin": chosen.origin,
        "obtained_at": format_utc(chosen.obtained_at) if chosen.obtained_at else None,
        **orbit.staleness(es, at),
    }
    # The instant itself: position, altitude, speed, lighting, and the subsolar point.
    here = Instants.at(at, [0.0])
    tr = track([es], here)
    require_propagated(es, here, tr.status[0])
    model = eclipse.ShadowModel.over(es, at, 0.0, 0.0)
    r_teme, _, sun_teme = model.states(np.zeros(1))
    f, a = eclipse.shadow_geometry(r_teme, sun_teme)
    light = str(eclipse.lighting(f, a)[0])
    path = _track(chosen, at)
    return {
        "object": es.name or str(es.catalog_number),
        "element_set": element_set,
        "position": {
            "latitude_deg": round(float(tr.latitude_deg[0, 0]), 4),
            "longitude_deg": round(float(tr.longitude_deg[0, 0]), 4),
            "altitude_km": round(float(tr.altitude_km[0, 0]), 3),
            "speed_km_s": round(float(tr.speed_km_s[0, 0]), 4),
            "lighting": light,
            "sunlit": bool(f[0] >= 0.0),
        },
        "period_min": round(es.period_min, 3),
        "track": {
            "from": format_utc(path.first),
            "to": format_utc(path.last),
            "step_s": TRACK_STEP_S,
            "orbits_before": ORBITS_BEFORE,
            "orbits_after": ORBITS_AFTER,
            "sunlit_rule": "sunlit: the Sun's centre is above the Earth's limb seen from the station "
                           "(conical shadow of a spherical Earth, as the eclipse service)",
            "points": path.points,
        },
    }


def _station_part(record: StationRecord, snapshot: JSON) -> JSON:
    return {
        "state_at": snapshot["state_at"],
        "record_complete_through": snapshot["record_complete_through"],
        "beyond_record": snapshot["beyond_record"],
        "crew_count": snapshot["crew_count"],
        "crew": [
            {
                "id": c["id"],
                "name": c["name"],
                "nationality": c["nationality"],
                "nationality_name": record.country_name(c["nationality"]),
                "region": c["region"],
                "region_name": record.country_name(c["region"]) if c["region"] else None,
                "role": c["role"],
                "mission": c["mission"],
                "arrived": c["arrived"]["value"] if c["arrived"] else None,
                "certainty": c["certainty"],
            }
            for c in snapshot["crew"]
        ],
        "ports": [
            {
                "port": p["port"],
                "name": p["name"],
                "occupant": p["occupant"],
                "since": p["since"]["value"] if p["since"] else None,
                "certainty": p["certainty"],
            }
            for p in snapshot["ports"]
        ],
        "notes": snapshot["notes"],
    }


def _track(chosen: orbit.Chosen, at: datetime) -> _Track:
    """The ground track around the minute ``at`` falls in (cached per element set and minute)."""
    minute = at.replace(second=0, microsecond=0)
    es = chosen.elements
    key = (es, minute)  # the whole element set (frozen): two sets of one epoch never mix
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    computed = _compute_track(chosen, minute)
    with _lock:
        _cache[key] = computed
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return computed


def _compute_track(chosen: orbit.Chosen, minute: datetime) -> _Track:
    es = chosen.elements
    period_s = es.period_min * 60.0
    before = math.ceil(period_s * ORBITS_BEFORE / TRACK_STEP_S)
    # One step more after: the instant is up to a minute past ``minute``.
    after = math.ceil((period_s * ORBITS_AFTER + 60.0) / TRACK_STEP_S)
    offsets = np.arange(-before, after + 1, dtype=np.float64) * TRACK_STEP_S
    instants = Instants.at(minute, offsets)
    tr = track([es], instants)
    require_propagated(es, instants, tr.status[0])
    model = eclipse.ShadowModel.over(es, minute, float(offsets[0]), float(offsets[-1]))
    f, _a = model.geometry(offsets)
    times = offset_datetimes(minute, offsets)
    lat = np.round(tr.latitude_deg[0], 3).tolist()
    lon = np.round(tr.longitude_deg[0], 3).tolist()
    alt = np.round(tr.altitude_km[0], 1).tolist()
    points = [
        {"t": format_utc(_whole_second(t)), "lat": la, "lon": lo, "alt_km": al, "sunlit": bool(s)}
        for t, la, lo, al, s in zip(times, lat, lon, alt, (f >= 0.0).tolist(), strict=True)
        if t is not None
    ]
    first, last = times[0], times[-1]
    assert first is not None
    assert last is not None
    return _Track(points=points, first=_whole_second(first), last=_whole_second(last))


def _whole_second(moment: datetime) -> datetime:
    """Rounded to the second (TT-offset instants land within microseconds of whole UTC seconds)."""
    rounded = moment + timedelta(microseconds=500_000)
    return rounded.replace(microsecond=0)


def _subsolar_at(at: datetime) -> JSON:
    """The subsolar point: geocentric latitude and longitude of the Sun's direction (degrees),
    Earth-fixed (TEME rotated by Greenwich mean sidereal time, as the track)."""
    instants = Instants.at(at, [0.0])
    sun_teme_km = SunTable.covering(at, 0.0, 0.0).teme_km(np.zeros(1))
    theta, _ = frames.gmst82(instants.jd_ut1, instants.fr_ut1)
    itrs, _v = frames.teme_to_itrs(sun_teme_km, theta)
    x, y, z = (float(c) for c in itrs[0])
    latitude = math.degrees(math.atan2(z, math.hypot(x, y)))
    longitude = math.degrees(math.atan2(y, x))
    return {"latitude_deg": round(latitude, 4), "longitude_deg": round(longitude, 4)}


# --- places for the search box ---------------------------------------------------------------


def places_view(query: str, limit: int = 10) -> JSON:
    """Gazetteer cities whose name starts with ``query`` (case, accents, punctuation ignored),
    largest first, each with the label ``GET /orbit/passes?city=`` reads back."""
    name = query.split(",")[0]
    if not any(c.isalnum() for c in name):
        raise ValidationError(
            "q has no letters or digits: type the start of a city name, like 'Nair' for Nairobi",
            field="q",
        )
    if not 1 <= limit <= MAX_PLACES:
        raise ValidationError(f"limit {limit} is out of range: give 1 to {MAX_PLACES}", field="limit")
    found = [
        {
            "label": place.label,
            "name": place.name,
            "country_code": place.country_code,
            "country_name": place.country_name,
            "admin1": place.admin1,
            "latitude_deg": place.latitude_deg,
            "longitude_deg": place.longitude_deg,
            "timezone": place.timezone,
            "population": place.population,
        }
        for place in cities_starting_with(name, limit)
    ]
    return {"query": query, "places": found}
