"""Orbit use cases: where the station is, its eclipses, ground contacts, visible passes, and the
element-set history behind them. Every view is JSON-ready (plain dicts, ISO UTC times) and
states which element set it used and how old it was at the requested time.
"""

from __future__ import annotations

import tomllib
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from spacehome.domain.elements import ElementSet, Provenance
from spacehome.domain.instant import format_utc, require_utc
from spacehome.errors import NotFoundError, SpacehomeError, ValidationError
from spacehome.orbit import eclipse, passes
from spacehome.orbit.elements import from_tle
from spacehome.orbit.formats import parse_elements, read_elements
from spacehome.orbit.propagation import require_propagated, track
from spacehome.orbit.timebase import Instants
from spacehome.persistence.element_history import ElementHistory
from spacehome.persistence.engine import open_database
from spacehome.record.brightness import DerivedMagnitude, station_standard_magnitude
from spacehome.record.ground_stations import GroundStation, find_stations, load_ground_stations
from spacehome.record.places import Place

JSON = dict[str, Any]

#: NORAD catalog number of Tianhe, the object CelesTrak's "CSS (TIANHE)" sets describe.
STATION_CATALOG_NUMBER = 48274
#: Beyond this age the station may have manoeuvred (reboosts, avoidance) since the epoch.
STALE_AFTER_DAYS = 3.0
#: Beyond this age predictions are unreliable; the warning says how to update.
VERY_STALE_AFTER_DAYS = 30.0
#: Longest search window a command accepts (days).
MAX_DAYS = 366.0
CELESTRAK_GP_URL = "https://celestrak.org/NORAD/elements/gp.php"
NETWORK_TIMEOUT_S = 15.0


class NetworkError(SpacehomeError):
    """A download that could not be made (offline, timeout, server error)."""


# --- element sets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Chosen:
    """The element set a computation uses, and where it came from."""

    elements: ElementSet
    origin: str
    obtained_at: datetime | None


def embedded_element_sets() -> list[tuple[ElementSet, Provenance]]:
    """The real element sets shipped in ``record/data/element_sets.toml``."""
    text = (resources.files("spacehome.record") / "data" / "element_sets.toml").read_text("utf-8")
    data = tomllib.loads(text)
    out = []
    for entry in data["element_set"]:
        elements = from_tle(entry["line1"], entry["line2"], entry["name"])
        out.append((elements, Provenance(source=entry["source"], obtained_at=entry["obtained_at"])))
    return out


def element_history(database_url: str | None = None) -> ElementHistory:
    """The element-set history (created and migrated on first use), with the embedded sets.

    The embedded sets are added once per engine (per database and process), not on every call:
    every orbit read goes through here, and each add is a write transaction.
    """
    engine = open_database(database_url)
    history = ElementHistory(engine)
    if engine not in _SEEDED:
        for elements, provenance in embedded_element_sets():
            history.add([elements], provenance)
        _SEEDED.add(engine)
    return history


_SEEDED: weakref.WeakSet[Engine] = weakref.WeakSet()


def choose_elements(
    at: datetime,
    *,
    tle_file: Path | None = None,
    catalog_number: int = STATION_CATALOG_NUMBER,
    database_url: str | None = None,
) -> Chosen:
    """The element set whose epoch is nearest to ``at``: from ``tle_file`` if given, else from the
    history. (SGP4 is most accurate near its epoch, before or after it. ``tle history --at``
    shows the set that was *current* at an instant — the latest epoch at or before it.)"""
    at = require_utc(at, "time")
    if tle_file is not None:
        result = read_elements(tle_file)
        candidates = [s for s in result.sets if s.catalog_number == catalog_number]
        if not candidates and len({s.catalog_number for s in result.sets}) == 1:
            candidates = list(result.sets)
        if not candidates:
            numbers = sorted({s.catalog_number for s in result.sets})
            raise NotFoundError(
                f"{tle_file} holds no element set for catalog number {catalog_number} "
                f"(it has {', '.join(map(str, numbers[:8]))}{' ...' if len(numbers) > 8 else ''}): "
                "give a file with the station's set, or one object only"
            )
        best = min(candidates, key=lambda s: abs(s.age_at(at)))
        return Chosen(best, f"file {tle_file}", None)
    stored_sets = element_history(database_url).history(catalog_number)
    stored = min(stored_sets, key=lambda s: abs(s.elements.age_at(at))) if stored_sets else None
    if stored is None:
        raise NotFoundError(
            f"no element set is stored for catalog number {catalog_number}: "
            "run 'spacehome tle update' (online) or 'spacehome tle import FILE'"
        )
    return Chosen(stored.elements, stored.provenance.source, stored.provenance.obtained_at)


def staleness(elements: ElementSet, at: datetime) -> JSON:
    """The element set's age at ``at``, with the warning its age calls for."""
    age_days = elements.age_at(at).total_seconds() / 86400.0
    magnitude = abs(age_days)
    when = "old" if age_days >= 0 else "in the future of the requested time"
    if magnitude > VERY_STALE_AFTER_DAYS:
        level = "very-stale"
        message = (
            f"WARNING: the element set (epoch {format_utc(elements.epoch)}) is {magnitude:.1f} days "
            f"{when}: positions and pass times can be wrong by many minutes, because the station manoeuvres "
            "and drag varies. Update with 'spacehome tle update' (online) or "
            "'spacehome tle import FILE' (a TLE or OMM file from CelesTrak or Space-Track)."
        )
    elif magnitude > STALE_AFTER_DAYS:
        level = "stale"
        message = (
            f"the element set is {magnitude:.1f} days {when}: the station may have manoeuvred since; "
            "'spacehome tle update' fetches a newer one"
        )
    else:
        level, message = "fresh", None
    return {"age_days": round(age_days, 3), "level": level, "warning": message}


def _elements_view(chosen: Chosen, at: datetime) -> JSON:
    e = chosen.elements
    return {
        "name": e.name,
        "catalog_number": e.catalog_number,
        "epoch": format_utc(e.epoch),
        "origin": chosen.origin,
        "obtained_at": format_utc(chosen.obtained_at) if chosen.obtained_at else None,
        **staleness(e, at),
    }


def _window(start: datetime, days: float) -> tuple[datetime, datetime]:
    start = require_utc(start, "--from")
    if not days > 0:
        raise ValidationError(f"--days {days} is not positive: give a number of days like 1 or 0.5")
    if days > MAX_DAYS:
        raise ValidationError(f"--days {days} is too long: at most {MAX_DAYS:.0f} days per request")
    return start, start + timedelta(days=days)


def _t(value: datetime | None) -> str | None:
    return format_utc(value) if value is not None else None


# --- where ----------------------------------------------------------------------------------


def where_view(at: datetime, *, tle_file: Path | None = None, database_url: str | None = None) -> JSON:
    """Sub-satellite point, altitude, speed, sunlight, next shadow entry/exit, element-set age."""
    at = require_utc(at, "--at")
    chosen = choose_elements(at, tle_file=tle_file, database_url=database_url)
    es = chosen.elements
    instants = Instants.at(at, [0.0])
    tr = track([es], instants)
    require_propagated(es, instants, tr.status[0])
    light, sun_above_limb_deg = eclipse.lighting_at(es, at)
    ahead = eclipse.find_eclipses(es, at, at + timedelta(days=1))
    current = next(
        (x for x in ahead if x.shadow_exit is not None and x.shadow_exit > at
         and (x.shadow_entry is None or x.shadow_entry <= at)), None,
    )
    upcoming = next((x for x in ahead if x.shadow_entry is not None and x.shadow_entry > at), None)
    return {
        "object": es.name or str(es.catalog_number),
        "at": format_utc(at),
        "latitude_deg": round(float(tr.latitude_deg[0, 0]), 4),
        "longitude_deg": round(float(tr.longitude_deg[0, 0]), 4),
        "altitude_km": round(float(tr.altitude_km[0, 0]), 3),
        "speed_km_s": round(float(tr.speed_km_s[0, 0]), 4),
        "lighting": light.value,
        "sun_above_earth_limb_deg": round(sun_above_limb_deg, 3),
        "in_shadow_until": _t(current.shadow_exit) if current else None,
        "next_shadow_entry": _t(upcoming.shadow_entry) if upcoming else None,
        "next_shadow_exit": _t(upcoming.shadow_exit) if upcoming else None,
        "element_set": _elements_view(chosen, at),
    }


# --- eclipses -------------------------------------------------------------------------------


def eclipses_view(
    start: datetime, days: float, *, tle_file: Path | None = None, database_url: str | None = None,
) -> JSON:
    """Umbra and penumbra entry/exit per orbit, durations, and the solar beta angle."""
    start, end = _window(start, days)
    chosen = choose_elements(start, tle_file=tle_file, database_url=database_url)
    found = eclipse.find_eclipses(chosen.elements, start, end)
    rows = [
        {
            "penumbra_entry": _t(x.penumbra_entry),
            "umbra_entry": _t(x.umbra_entry),
            "umbra_exit": _t(x.umbra_exit),
            "penumbra_exit": _t(x.penumbra_exit),
            "shadow_entry": _t(x.shadow_entry),
            "shadow_exit": _t(x.shadow_exit),
            "umbra_duration_s": None if x.umbra_s is None else round(x.umbra_s, 1),
            "shadow_duration_s": None if x.penumbra_s is None else round(x.penumbra_s, 1),
            "beta_deg": round(x.beta_deg, 2),
        }
        for x in found
    ]
    return {
        "object": chosen.elements.name or str(chosen.elements.catalog_number),
        "from": format_utc(start),
        "to": format_utc(end),
        "model": "conical shadow of a spherical Earth (R = 6378.1366 km), Sun radius 695,700 km, DE421",
        "eclipses": rows,
        "element_set": _elements_view(chosen, start),
    }


# --- contacts -------------------------------------------------------------------------------


def contacts_view(
    start: datetime,
    days: float,
    *,
    station_names: Sequence[str] = (),
    stations_file: Path | None = None,
    tle_file: Path | None = None,
    database_url: str | None = None,
) -> JSON:
    """Acquisition, loss, maximum elevation and duration per ground station; daily totals."""
    start, end = _window(start, days)
    stations = load_ground_stations(stations_file)
    if station_names:
        stations = find_stations(stations, station_names)
    chosen = choose_elements(start, tle_file=tle_file, database_url=database_url)
    observers = [
        passes.Observer(s.name, s.latitude_deg, s.longitude_deg, s.altitude_m, s.min_elevation_deg)
        for s in stations
    ]
    found = passes.find_passes(chosen.elements, observers, start, end, visibility=False)
    contacts = []
    intervals: list[tuple[datetime, datetime]] = []
    per_station_day: dict[tuple[str, str], float] = {}
    for station, row in zip(stations, found, strict=True):
        for p in row:
            aos = p.rise.time if p.rise else start
            los = p.set.time if p.set else end
            contacts.append({
                "station": station.id,
                "acquisition": format_utc(aos),
                "acquisition_in_window": p.rise is not None,
                "loss": format_utc(los),
                "loss_in_window": p.set is not None,
                "max_elevation_deg": round(p.culmination.elevation_deg, 2),
                "max_elevation_at": format_utc(p.culmination.time),
                "duration_s": round((los - aos).total_seconds(), 1),
            })
            intervals.append((aos, los))
            for day, seconds in _split_by_day(aos, los):
                key = (station.id, day)
                per_station_day[key] = per_station_day.get(key, 0.0) + seconds
    contacts.sort(key=lambda c: (c["acquisition"], c["station"]))
    union_by_day: dict[str, float] = {}
    for aos, los in _merge(intervals):
        for day, seconds in _split_by_day(aos, los):
            union_by_day[day] = union_by_day.get(day, 0.0) + seconds
    days_list = sorted({d for _, d in per_station_day} | set(union_by_day))
    return {
        "object": chosen.elements.name or str(chosen.elements.catalog_number),
        "from": format_utc(start),
        "to": format_utc(end),
        "stations": [_station_view(s) for s in stations],
        "contacts": contacts,
        "daily_totals": [
            {
                "day": d,
                "any_station_s": round(union_by_day.get(d, 0.0), 1),
                "by_station_s": {
                    s.id: round(per_station_day.get((s.id, d), 0.0), 1) for s in stations
                },
            }
            for d in days_list
        ],
        "element_set": _elements_view(chosen, start),
    }


def _station_view(s: GroundStation) -> JSON:
    return {
        "id": s.id,
        "name": s.name,
        "country": s.country,
        "latitude_deg": s.latitude_deg,
        "longitude_deg": s.longitude_deg,
        "altitude_m": s.altitude_m,
        "altitude_known": s.altitude_known,
        "min_elevation_deg": s.min_elevation_deg,
        "min_elevation_source": s.min_elevation_source,
        "sources": [src.url for src in s.sources],
    }


def _split_by_day(a: datetime, b: datetime) -> list[tuple[str, float]]:
    out = []
    while a < b:
        midnight = datetime(a.year, a.month, a.day, tzinfo=UTC) + timedelta(days=1)
        stop = min(b, midnight)
        out.append((a.date().isoformat(), (stop - a).total_seconds()))
        a = stop
    return out


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


# --- passes ---------------------------------------------------------------------------------


def passes_view(
    place: Place,
    start: datetime,
    days: float,
    *,
    visible_only: bool = False,
    min_elevation_deg: float = 10.0,
    standard_magnitude: float | None = None,
    tle_file: Path | None = None,
    database_url: str | None = None,
) -> JSON:
    """Passes over a place: rise, culmination, set; naked-eye visibility and brightness."""
    start, end = _window(start, days)
    if not 0.0 <= min_elevation_deg < 90.0:
        raise ValidationError(
            f"--min-elevation-deg {min_elevation_deg} is out of range: use degrees in [0, 90)"
        )
    chosen = choose_elements(start, tle_file=tle_file, database_url=database_url)
    observer = passes.Observer(
        place.name, place.latitude_deg, place.longitude_deg, place.elevation_m, min_elevation_deg
    )
    # Magnitudes are computed relative to the standard geometry (1000 km, 90° phase); the standard
    # magnitude is then added: the user's, or else the derived CSS estimate where it applies.
    found = passes.find_passes(chosen.elements, [observer], start, end, standard_magnitude=0.0)[0]
    estimate = station_standard_magnitude()
    std_source: str | None
    if standard_magnitude is not None:
        std_mag: float | None = standard_magnitude
        std_source = "user"
    elif estimate.applies_to(chosen.elements.catalog_number, start):
        std_mag, std_source = estimate.value, "derived"
    else:
        std_mag, std_source = None, None
    rows = []
    for p in found:
        vis = p.visibility
        if visible_only and not (vis and vis.visible):
            continue
        offset = vis.best_magnitude if vis and vis.visible else None
        rows.append({
            "rise": _point(p.rise, place),
            "culmination": _point(p.culmination, place),
            "set": _point(p.set, place),
            "duration_s": None if p.duration_s is None else round(p.duration_s, 1),
            "visible": bool(vis and vis.visible),
            "visible_from": _t(vis.start) if vis else None,
            "visible_to": _t(vis.end) if vis else None,
            "brightness": None if offset is None else {
                "at": _t(vis.best_time) if vis else None,
                "relative_to_standard_mag": round(offset, 2),
                "magnitude": None if std_mag is None else round(std_mag + offset, 1),
                "standard_magnitude_source": std_source,
            },
        })
    return {
        "object": chosen.elements.name or str(chosen.elements.catalog_number),
        "place": {
            "name": place.label if place.geonameid is not None else place.name,
            "latitude_deg": place.latitude_deg,
            "longitude_deg": place.longitude_deg,
            "elevation_m": place.elevation_m,
            "timezone": place.timezone,
            "timezone_source": place.timezone_source,
        },
        "from": format_utc(start),
        "to": format_utc(end),
        "min_elevation_deg": min_elevation_deg,
        "visibility_rule": "object sunlit (Sun's centre above the Earth's limb) while the Sun is below -6° at the observer",
        "standard_magnitude": std_mag,
        "standard_magnitude_source": std_source,
        "standard_magnitude_estimate": _estimate_view(
            estimate, std_source, chosen.elements.catalog_number
        ),
        "brightness_note": _brightness_note(std_source, estimate),
        "passes": rows,
        "element_set": _elements_view(chosen, start),
    }


def _estimate_view(estimate: DerivedMagnitude, source: str | None, catalog_number: int) -> JSON:
    """The derived CSS standard magnitude, with its range, method and sources, and whether (or
    why not) it was used."""
    if source == "derived":
        why_not = None
    elif source == "user":
        why_not = "--standard-magnitude was given"
    elif catalog_number not in estimate.catalog_numbers:
        why_not = f"it describes the CSS, and this element set is catalog number {catalog_number}"
    else:
        since = _t(estimate.applies_from)
        why_not = f"it describes the completed station (from {since}); the window starts earlier"
    return {
        "status": "derived",
        "value": estimate.value,
        "low": estimate.low,
        "high": estimate.high,
        "uncertainty": estimate.uncertainty,
        "convention": "1000 km range, 90° phase",
        "configuration": estimate.configuration,
        "method": estimate.method,
        "note": estimate.note,
        "document": estimate.document,
        "applies_from": _t(estimate.applies_from),
        "used": source == "derived",
        "not_used_because": why_not,
        "sources": [{"id": c.id, "title": c.title, "url": c.url} for c in estimate.sources],
    }


def _brightness_note(source: str | None, estimate: DerivedMagnitude) -> str:
    law = (
        "magnitude = standard magnitude + 5 log10(range/1000 km) - 2.5 log10(sin φ + (π-φ) cos φ), "
        "diffuse-sphere phase law (McCants; Vallerie 1963), at the brightest visible moment. "
    )
    if source == "user":
        return law + "Standard magnitude: the one given with --standard-magnitude."
    if source == "derived":
        return law + (
            f"No standard magnitude is published for the CSS; the estimate {estimate.value:+.1f} "
            f"(derived, ±{estimate.uncertainty:.1f}; range {estimate.low:+.1f} to {estimate.high:+.1f}) "
            f"comes from the station's dimensions by McCants' 'd' method, see {estimate.document}. "
            "Single passes can differ from it by a magnitude or more (attitude, glints)."
        )
    return law + (
        "No standard magnitude is known for this object at this time, so only the offset from it "
        "is given; set --standard-magnitude to get magnitudes."
    )


def _point(point: passes.PassPoint | None, place: Place) -> JSON | None:
    if point is None:
        return None
    return {
        "time": format_utc(point.time),
        "local_time": place.local(point.time).isoformat(timespec="seconds"),
        "azimuth_deg": round(point.azimuth_deg, 1),
        "elevation_deg": round(point.elevation_deg, 1),
        "range_km": round(point.range_km, 1),
    }


# --- element-set history ----------------------------------------------------------------------


def import_view(path: Path, now: datetime, *, database_url: str | None = None) -> JSON:
    """Load an element-set file into the history; report good and bad records."""
    result = read_elements(path)
    history = element_history(database_url)
    report = history.add(result.sets, Provenance(source=f"file:{path.resolve()}", obtained_at=now))
    return {
        "file": str(path),
        "format": result.format,
        "read": len(result.sets),
        "added": report.added,
        "already_known": report.already_known,
        "problems": [str(p) for p in result.problems],
    }


Fetch = Callable[[str, float], str]


def _fetch(url: str, timeout_s: float) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": "spacehome (tle update)"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        body: bytes = response.read(50 * 1024 * 1024)
    return body.decode("utf-8")


def update_view(
    now: datetime,
    *,
    catalog_numbers: Sequence[int] = (STATION_CATALOG_NUMBER,),
    group: str | None = None,
    fetch: Fetch | None = None,
    database_url: str | None = None,
) -> JSON:
    """Fetch current sets from CelesTrak's GP service (OMM JSON) into the history.

    ``fetch(url, timeout_s) -> text`` defaults to an HTTPS GET; tests pass their own.
    """
    fetch = fetch or _fetch
    queries = [f"GROUP={group}"] if group else [f"CATNR={n}" for n in catalog_numbers]
    history = element_history(database_url)
    totals: JSON = {"source": CELESTRAK_GP_URL, "requests": [], "added": 0, "already_known": 0}
    for query in queries:
        url = f"{CELESTRAK_GP_URL}?{query}&FORMAT=json"
        try:
            text = fetch(url, NETWORK_TIMEOUT_S)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NetworkError(
                f"cannot reach celestrak.org ({reason}): this machine seems offline; nothing was "
                "changed. Download a TLE/OMM file elsewhere and run 'spacehome tle import FILE'"
            ) from None
        if not text.strip() or text.strip() == "No GP data found":
            raise NotFoundError(f"CelesTrak has no element sets for {query}: check the number or group")
        result = parse_elements(text)
        report = history.add(result.sets, Provenance(source=url, obtained_at=now))
        totals["requests"].append({
            "url": url, "read": len(result.sets), "added": report.added,
            "problems": [str(p) for p in result.problems],
        })
        totals["added"] += report.added
        totals["already_known"] += report.already_known
    return totals


def history_view(catalog_number: int, at: datetime, *, database_url: str | None = None) -> JSON:
    """Every stored set of one object, and which one is current at ``at``."""
    history = element_history(database_url)
    stored = history.history(catalog_number)
    if not stored:
        raise NotFoundError(f"no element set is stored for catalog number {catalog_number}")
    current = history.current_at(catalog_number, at)
    return {
        "catalog_number": catalog_number,
        "at": format_utc(at),
        "sets": [
            {
                "epoch": format_utc(s.elements.epoch),
                "name": s.elements.name,
                "source": s.provenance.source,
                "obtained_at": format_utc(s.provenance.obtained_at),
                "current": current is not None and s.content_sha256 == current.content_sha256,
                "sha256": s.content_sha256,
            }
            for s in stored
        ],
    }


