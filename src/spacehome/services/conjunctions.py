"""Conjunction screening use case: the station (or other primaries) against a catalog.

:func:`screen_view` gathers the inputs the numerics in :mod:`spacehome.orbit.screening` need and
returns a JSON-ready view:

- **Catalog**: a TLE/3LE/OMM file (read with :func:`spacehome.orbit.formats.read_elements`; of
  several sets of one object the one whose epoch is nearest the window start, as SGP4 is best
  near its epoch either side), or without one every object in the element-set history (database
  plus embedded sets), each with the set current at the window start
  (:meth:`~spacehome.persistence.element_history.ElementHistory.current_at`: the latest epoch at
  or before it, else the earliest after it).
- **Primaries** by NORAD id (default the station, 48274). When the catalog holds a primary's own
  set that one is used, so the whole screen shares one epoch; otherwise the stored set nearest
  the window start; neither is a :class:`~spacehome.errors.ValidationError`.
- **Attached objects** are not conjunctions: for the station, the modules and the ships docked
  at its ports at the window start according to the station record
  (:func:`spacehome.services.station.station_view`), with their NORAD ids when the record has
  them (it never guesses one), and for every primary the catalog objects
  :func:`~spacehome.orbit.screening.co_orbiting` finds within 0.5 km for the whole window. They
  are listed with the reason and left out of the events.
- **Collision probability** from element sets is *estimated*: the covariance of each object
  comes from the element-set covariance model measured by spacehome from public element-set
  histories (:func:`spacehome.services.tle_covariance.load_tle_covariance`; by object type and
  element-set age, LEO only, see ``record/data/tle_covariance.toml`` for data, method and
  limits), the object type from the OMM ``OBJECT_TYPE`` or the catalog name
  (:func:`spacehome.orbit.tle_accuracy.object_type_of`; the station is a payload in the
  catalog), and the combined hard-body radius is the labelled policy default
  (:data:`~spacehome.services.conjunction_events.DEFAULT_HARD_BODY_RADIUS_M`) unless one is
  given. An event whose objects have no type, a type without figures, or an orbit outside LEO
  says why it has no Pc. The Pc from a CDM's own covariances comes with ``cdm import``
  (:mod:`spacehome.services.conjunction_events`).
- **Failures** (objects sgp4 cannot propagate, unreadable records of the file) are listed, never
  fatal.

The catalog is screened in chunks so a caller can show progress; the events are the same as one
call of :func:`~spacehome.orbit.screening.screen` over the whole catalog (every pair is screened
on its own), merged and sorted by TCA.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import format_utc, require_utc
from spacehome.domain.record import StationRecord
from spacehome.errors import ValidationError
from spacehome.orbit.avoidance import sgp4_state
from spacehome.orbit.collision import ElementSetCovarianceModel, ObjectType
from spacehome.orbit.formats import read_elements
from spacehome.orbit.screening import (
    BLOCK_OBJECTS,
    DEFAULT_DAYS,
    DEFAULT_THRESHOLD_KM,
    Conjunction,
    ScreeningFailure,
    ScreeningStats,
    co_orbiting,
    screen,
)

from .conjunction_events import (
    DEFAULT_HARD_BODY_RADIUS_M,
    HARD_BODY_RADIUS_NOTE,
    check_hard_body_radius,
    record_screen,
)
from .orbit import MAX_DAYS, STATION_CATALOG_NUMBER, element_history, staleness
from .station import default_record, station_view
from .tle_covariance import load_tle_covariance, model_types

JSON = dict[str, Any]
#: Reports ``(objects screened, objects in the catalog)`` after each chunk.
ProgressCallback = Callable[[int, int], None]

#: Catalog objects screened per call of :func:`screen` (progress granularity).
CHUNK_OBJECTS = 8 * BLOCK_OBJECTS
#: Why events carry no Pc when the screen is asked not to estimate one.
PC_NOT_COMPUTED = "not computed: asked for no estimate (element sets carry no covariance)"
#: Why all-vs-all events carry no Pc.
PC_NOT_IN_ALL_VS_ALL = (
    "not computed in all-vs-all screening: screen the objects of interest with "
    "'conjunctions screen --primary N' for an estimated Pc, or import a CDM"
)


def _check_inputs(days: float, threshold_km: float, primaries: Sequence[int]) -> None:
    if not math.isfinite(days) or days <= 0:
        raise ValidationError(f"--days {days} is not positive: give a number of days like 7 or 0.5")
    if days > MAX_DAYS:
        raise ValidationError(f"--days {days} is too long: at most {MAX_DAYS:.0f} days per screen")
    if not math.isfinite(threshold_km) or threshold_km <= 0:
        raise ValidationError(
            f"--threshold-km {threshold_km} is not positive: give a distance in km like 5"
        )
    if not primaries:
        raise ValidationError("no primary given: give at least one NORAD id with --primary")
    for number in primaries:
        if isinstance(number, bool) or not 1 <= number <= 999_999_999:
            raise ValidationError(f"--primary {number!r} is not a NORAD catalog number (1..999999999)")


def _nearest_per_object(sets: Sequence[ElementSet], at: datetime) -> dict[int, ElementSet]:
    best: dict[int, ElementSet] = {}
    for s in sets:
        held = best.get(s.catalog_number)
        if held is None or abs(s.age_at(at)) < abs(held.age_at(at)):
            best[s.catalog_number] = s
    return best


def _load_catalog(
    start: datetime, catalog_file: Path | None, database_url: str | None,
) -> tuple[dict[int, ElementSet], str, list[JSON]]:
    """The catalog (one set per object), where it came from, and unreadable records."""
    if catalog_file is not None:
        result = read_elements(catalog_file)
        problems = [
            {"catalog_number": None, "name": None, "code": None,
             "reason": " ".join(str(p).split()), "at": None}
            for p in result.problems
        ]
        return _nearest_per_object(result.sets, start), f"file {catalog_file}", problems
    history = element_history(database_url)
    sets = []
    for number in history.catalog_numbers():
        stored = history.current_at(number, start)
        if stored is not None:
            sets.append(stored.elements)
    return _nearest_per_object(sets, start), "stored element sets", []


def _primary_set(
    number: int, catalog: Mapping[int, ElementSet], origin: str, start: datetime,
    database_url: str | None,
) -> tuple[ElementSet, str]:
    if number in catalog:
        return catalog[number], origin
    history = element_history(database_url).history(number)
    if not history:
        raise ValidationError(
            f"no element set for NORAD {number} in the catalog ({origin}) nor stored: check the "
            "number, or give a catalog that holds it"
        )
    stored = min(history, key=lambda s: abs(s.elements.age_at(start)))
    return stored.elements, f"stored ({stored.provenance.source})"


def _record_attached(record: StationRecord, start: datetime) -> tuple[list[JSON], list[str]]:
    """Modules and docked ships at ``start`` per the station record, with their NORAD ids."""
    view = station_view(record, start)
    out: list[JSON] = []
    notes: list[str] = []
    if view["beyond_record"]:
        notes.append(
            f"the station record ends {view['record_complete_through']}: attached vehicles are "
            f"taken from its last state ({view['state_at']})"
        )
    for m in view["modules"]:
        norad = record.mission(m["id"]).norad_id.value
        if norad == STATION_CATALOG_NUMBER:
            continue  # the primary itself (Tianhe)
        where = (
            "the core" if m["attached_at"] == "core"
            else f"Tianhe ({record.port(m['attached_at']).name})"
        )
        out.append({
            "catalog_number": norad, "name": m["name"], "kind": "module",
            "reason": f"module berthed at {where} per the station record",
            "certainty": m["certainty"],
        })
    for p in view["ports"]:
        occupant = p["occupant"]
        if occupant is None or occupant["kind"] == "module":
            continue
        norad = record.mission(occupant["id"]).norad_id.value
        possibly = " (possibly)" if p["certainty"] == "possible" else ""
        out.append({
            "catalog_number": norad, "name": occupant["name"], "kind": occupant["kind"],
            "reason": f"docked at Tianhe ({p['name']}){possibly} per the station record",
            "certainty": p["certainty"],
        })
    for entry in out:
        if entry["catalog_number"] is None:
            notes.append(
                f"{entry['name']} is attached but the record has no NORAD id for it: if the "
                "catalog holds it, only the co-orbit test can keep it out of the events"
            )
    return out, notes


def _event_view(
    e: Conjunction, pc: JSON,
) -> JSON:
    return {
        "id": f"{e.primary}-{e.secondary}-{e.tca:%Y%m%dT%H%M%S}",
        "primary": {"catalog_number": e.primary, "name": e.primary_name},
        "secondary": {"catalog_number": e.secondary, "name": e.secondary_name},
        "tca": format_utc(e.tca),
        "miss_km": e.miss_km,
        "radial_km": e.radial_km,
        "in_track_km": e.in_track_km,
        "cross_track_km": e.cross_track_km,
        "relative_speed_km_s": e.relative_speed_km_s,
        "pc": pc,
    }


def _failure_view(f: ScreeningFailure) -> JSON:
    return {
        "catalog_number": f.catalog_number,
        "name": f.name,
        "code": f.code,
        "reason": f.reason,
        "at": None if f.at is None else format_utc(f.at),
    }


def _estimated_pc(
    e: Conjunction, sets: Mapping[int, ElementSet], model: ElementSetCovarianceModel,
    given_types: Mapping[int, ObjectType], hard_body_radius_m: float,
) -> JSON:
    a, b = sets[e.primary], sets[e.secondary]
    kinds, why = model_types(model, [a, b], given_types)
    if why is not None:
        return {"value": None, "estimated": True, "source": model.source, "note": f"not computed: {why}"}
    kind_a, kind_b = kinds
    r1, v1 = sgp4_state(a, e.tca)
    r2, v2 = sgp4_state(b, e.tca)
    day = 86400.0
    result = model.collision_probability(
        r1, v1, kind_a, a.age_at(e.tca).total_seconds() / day,
        r2, v2, kind_b, b.age_at(e.tca).total_seconds() / day,
        hard_body_radius_m,
    )
    return {"value": result.pc, "estimated": True, "source": model.source,
            "method": "Foster 2D, estimated covariances", "hard_body_radius_m": hard_body_radius_m,
            "object_types": [str(kind_a), str(kind_b)], "note": None}


def screen_view(
    start: datetime,
    *,
    days: float = DEFAULT_DAYS,
    threshold_km: float = DEFAULT_THRESHOLD_KM,
    primaries: Sequence[int] = (STATION_CATALOG_NUMBER,),
    catalog_file: Path | None = None,
    database_url: str | None = None,
    record: StationRecord | None = None,
    covariance_model: ElementSetCovarianceModel | None = None,
    object_types: Mapping[int, ObjectType] | None = None,
    hard_body_radius_m: float | None = None,
    progress: ProgressCallback | None = None,
    store_at: datetime | None = None,
    estimate_pc: bool = True,
) -> JSON:
    """Close approaches of each primary with the catalog over ``[start, start + days]``.

    See the module docstring for where the catalog, the primaries and the attached objects come
    from. ``progress`` is called with ``(screened, total)`` catalog objects after each chunk.
    With ``store_at`` (the time of the assessment) every event is stored as an assessment of its
    conjunction event (:func:`spacehome.services.conjunction_events.record_screen`), and its
    ``id`` is the stored event's.
    """
    start = require_utc(start, "--from")
    primaries = list(dict.fromkeys(primaries))
    _check_inputs(days, threshold_km, primaries)
    check_hard_body_radius(hard_body_radius_m)
    radius_note = "given" if hard_body_radius_m is not None else HARD_BODY_RADIUS_NOTE
    radius = hard_body_radius_m if hard_body_radius_m is not None else DEFAULT_HARD_BODY_RADIUS_M
    if estimate_pc and covariance_model is None:
        covariance_model = load_tle_covariance()
    if not estimate_pc:
        covariance_model = None
    catalog, origin, problems = _load_catalog(start, catalog_file, database_url)
    chosen = [
        _primary_set(n, catalog, origin, start, database_url) for n in primaries
    ]
    record = record if record is not None else default_record()

    notes: list[str] = [
        f"NORAD {p.catalog_number} is not in the catalog: its {where} set (epoch "
        f"{format_utc(p.epoch)}) is used"
        for p, where in chosen
        if where != origin
    ]
    attached: list[JSON] = []
    excluded: dict[int, set[int]] = {}
    failures: dict[int, JSON] = {}
    for (prim, _), number in zip(chosen, primaries, strict=True):
        listed: dict[int | None, JSON] = {}
        unnumbered: list[JSON] = []
        if number == STATION_CATALOG_NUMBER:
            from_record, record_notes = _record_attached(record, start)
            notes.extend(record_notes)
            for entry in from_record:
                entry = {"primary": number, **entry, "max_range_km": None}
                if entry["catalog_number"] is None:
                    unnumbered.append(entry)
                else:
                    listed[entry["catalog_number"]] = entry
        try:
            flying = co_orbiting(prim, catalog.values(), start, days=days)
        except ValidationError as exc:
            failures.setdefault(number, {
                "catalog_number": number, "name": prim.name, "code": None,
                "reason": exc.message, "at": None,
            })
            flying = []
        for c in flying:
            why = (
                f"co-orbiting: within {c.max_range_km * 1000.0:,.0f} m of NORAD {number} for the "
                "whole window"
            )
            if c.secondary in listed:
                listed[c.secondary]["reason"] += f"; {why}"
                listed[c.secondary]["max_range_km"] = c.max_range_km
            else:
                listed[c.secondary] = {
                    "primary": number, "catalog_number": c.secondary, "name": c.secondary_name,
                    "kind": "co-orbiting", "reason": why, "certainty": None,
                    "max_range_km": c.max_range_km,
                }
        attached.extend(unnumbered)
        attached.extend(listed.values())
        excluded[number] = {n for n in listed if n is not None}

    objects = list(catalog.values())
    total = len(objects)
    events: list[Conjunction] = []
    stats = ScreeningStats()
    for (prim, _), number in zip(chosen, primaries, strict=True):
        if number in failures:
            continue
        done = 0
        for lo in range(0, max(total, 1), CHUNK_OBJECTS):
            chunk = objects[lo : lo + CHUNK_OBJECTS]
            result = screen(
                [prim], chunk, start, days=days, threshold_km=threshold_km,
                exclude=excluded[number],
            )
            events.extend(result.events)
            for f in result.failures:
                failures.setdefault(f.catalog_number, _failure_view(f))
            for key in vars(stats):
                setattr(stats, key, getattr(stats, key) + getattr(result.stats, key))
            done += len(chunk)
            if progress is not None:
                progress(done + total * primaries.index(number), total * len(primaries))
    events.sort(key=lambda e: (e.tca, e.primary, e.secondary))

    sets = {**catalog, **{p.catalog_number: p for p, _ in chosen}}
    pcs: list[JSON] = []
    for e in events:
        if covariance_model is None:
            pcs.append({"value": None, "estimated": None, "source": None, "note": PC_NOT_COMPUTED})
        else:
            pcs.append(_estimated_pc(e, sets, covariance_model, object_types or {}, radius))
    event_views = [_event_view(e, pc) for e, pc in zip(events, pcs, strict=True)]
    if store_at is not None:
        recorded = record_screen(
            events, pcs, sets, origin, now=store_at, database_url=database_url
        )
        for view, rec in zip(event_views, recorded, strict=True):
            view["id"] = rec.event_id
            view["new_event"] = rec.new_event
    return {
        "from": format_utc(start),
        "to": format_utc(start + timedelta(days=days)),
        "days": days,
        "threshold_km": threshold_km,
        "catalog": {"origin": origin, "objects": total},
        "primaries": [
            {
                "catalog_number": p.catalog_number,
                "name": p.name,
                "epoch": format_utc(p.epoch),
                "origin": where,
                **staleness(p, start),
            }
            for p, where in chosen
        ],
        "events": event_views,
        "attached": attached,
        "failures": sorted(failures.values(), key=lambda f: f["catalog_number"])
        + problems,
        "collision_probability": (
            {"computed": False, "reason": PC_NOT_COMPUTED}
            if covariance_model is None
            else {"computed": True, "estimated": True, "source": covariance_model.source,
                  "hard_body_radius_m": radius, "hard_body_radius_source": radius_note}
        ),
        "stats": dict(vars(stats)),
        "notes": notes,
    }


def all_vs_all_view(
    catalog_file: Path, start: datetime, hours: float, *, threshold_km: float = DEFAULT_THRESHOLD_KM,
    scheduler: str | None = None, workers: int | None = None,
) -> JSON:
    """Every close approach between any two objects of a catalog file over ``hours``: on a new
    local Dask cluster (``scheduler`` None), the cluster at ``scheduler``, or ``"serial"``."""
    from spacehome.services import conjunction_cluster  # Dask loads only for this command

    result = read_elements(catalog_file)
    problems = [{"catalog_number": None, "name": None, "code": None,
                 "reason": " ".join(str(p).split()), "at": None} for p in result.problems]
    found = conjunction_cluster.run_all_vs_all(
        result.sets, start, hours, threshold_km, scheduler, n_workers=workers
    )
    no_pc: JSON = {"value": None, "estimated": None, "source": None, "note": PC_NOT_IN_ALL_VS_ALL}
    names = {s.catalog_number: s.name for s in result.sets}
    return {
        "catalog": {"origin": f"file {catalog_file}", "objects": found.stats.objects},
        "from": format_utc(found.start),
        "to": format_utc(found.end),
        "threshold_km": found.threshold_km,
        "run_on": "serial" if scheduler == conjunction_cluster.SERIAL else (scheduler or "a local Dask cluster"),
        "events": [_event_view(e, no_pc) for e in found.events],
        "co_orbiting": [
            {"objects": [
                {"catalog_number": c.primary, "name": names.get(c.primary)},
                {"catalog_number": c.secondary, "name": c.secondary_name},
            ], "max_range_km": c.max_range_km,
             "reason": f"within {c.max_range_km * 1000.0:,.0f} m of each other for the whole window: "
                       "attached or flying in formation, not a conjunction"}
            for c in found.co_orbiting
        ],
        "failed": [*problems, *(_failure_view(f) for f in found.failures)],
    }


__all__ = ["PC_NOT_COMPUTED", "PC_NOT_IN_ALL_VS_ALL", "all_vs_all_view", "screen_view"]
