"""Conjunction events: store what screens and CDMs find, list them, show one, plan its avoidance.

- :func:`record_screen` stores each approach a screen found as an assessment of its event
  (:class:`~spacehome.persistence.conjunction_store.ConjunctionStore`: the same pair within ten
  minutes of one TCA is the same event), with both element sets, so the event can be worked
  on later without the catalog file.
- :func:`import_cdm` reads a CCSDS CDM (KVN or XML) and stores it as an assessment of its event
  with the **Pc computed from the CDM's own covariances** (Foster's 2D method; Chan's series
  alongside): the RTN position covariances of both objects are rotated into the CDM's inertial
  frame with each object's own state, and the combined hard-body radius is the one given, else
  the sum of the radii of the ``AREA_PC`` circles the CDM gives (one object's alone when only it
  has one), else the labelled policy default. The Pc the CDM itself states is kept next
  to it. A CDM imported again (same originator and MESSAGE_ID) is not stored twice.
- :func:`events_view` and :func:`event_view` are the JSON read models of the API, the CLI and
  the dashboard: the list by TCA, and one event with its assessments in the order they were made
  (miss distance and Pc over time) and the latest miss geometry.
- :func:`avoidance_for_event` builds the avoidance problem of a stored event
  (:class:`~spacehome.orbit.avoidance.Encounter`): both element sets from the newest screen
  that found it; the covariances from the newest CDM about it (its RTN covariances rotated with
  our own SGP4 states at the TCA, so the frames agree) or else from the measured element-set
  covariance model (:mod:`spacehome.services.tle_covariance`; labelled estimated) when it
  covers both objects. Without either it says what to do.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import format_utc, parse_instant
from spacehome.errors import ValidationError
from spacehome.orbit.avoidance import Encounter, encounter_from_model, sgp4_state
from spacehome.orbit.cdm import Conjunction as Cdm
from spacehome.orbit.cdm import conjunction_view, read_cdm
from spacehome.orbit.collision import (
    ElementSetCovarianceModel,
    collision_probability,
    covariance_rtn_to_inertial,
)
from spacehome.orbit.screening import Conjunction
from spacehome.persistence.conjunction_store import (
    Assessment,
    ConjunctionStore,
    EventRecord,
    NewAssessment,
    Recorded,
)
from spacehome.persistence.engine import open_database

from .tle_covariance import model_types

JSON = dict[str, Any]

#: The combined hard-body radius (m) used when nothing else gives one: a labelled policy default.
#: The station's solar wings span more than 55 m (Wentian; css_facts.md), so a sphere around the
#: station has a radius of at least 27.5 m; rounded up to 30 m, the other object's size neglected
#: (debris sizes are not in element sets). Override it per command (``--hard-body-radius-m``).
DEFAULT_HARD_BODY_RADIUS_M = 30.0
HARD_BODY_RADIUS_NOTE = (
    "policy default 30 m: the station's solar wings span over 55 m (Wentian), so its enclosing "
    "sphere has a radius of at least 27.5 m; the other object's size is not known"
)


def _store(database_url: str | None) -> ConjunctionStore:
    return ConjunctionStore(open_database(database_url))


# --- element sets in JSON ------------------------------------------------------------------------


def elements_json(s: ElementSet) -> JSON:
    """An element set as JSON (every field; the epoch ISO 8601 with Z)."""
    out = dataclasses.asdict(s)
    out["epoch"] = format_utc(s.epoch)
    return out


def elements_from_json(data: Mapping[str, Any]) -> ElementSet:
    """The element set :func:`elements_json` wrote."""
    fields = {f.name for f in dataclasses.fields(ElementSet)}
    values = {k: v for k, v in data.items() if k in fields}
    values["epoch"] = parse_instant(str(data["epoch"]), "element-set epoch")
    return ElementSet(**values)


# --- recording -----------------------------------------------------------------------------------


def record_screen(
    events: Sequence[Conjunction], pcs: Sequence[JSON], sets: Mapping[int, ElementSet],
    origin: str, *, now: datetime, database_url: str | None = None,
) -> list[Recorded]:
    """Store each screened approach (with its Pc view) as an assessment of its event."""
    new = []
    for e, pc in zip(events, pcs, strict=True):
        new.append(
            NewAssessment(
                primary_number=e.primary, primary_name=e.primary_name,
                secondary_number=e.secondary, secondary_name=e.secondary_name,
                source="screen", source_ref=f"screen of {origin}", tca=e.tca, miss_km=e.miss_km,
                radial_km=e.radial_km, in_track_km=e.in_track_km, cross_track_km=e.cross_track_km,
                relative_speed_km_s=e.relative_speed_km_s, pc=pc.get("value"),
                pc_method=pc.get("method"), pc_estimated=pc.get("estimated"),
                pc_note=pc.get("note") or pc.get("source"),
                hard_body_radius_m=pc.get("hard_body_radius_m"),
                inputs={
                    "primary": elements_json(sets[e.primary]),
                    "secondary": elements_json(sets[e.secondary]),
                },
            )
        )
    return _store(database_url).record(new, now=now)


def _norad(designator: str, which: str) -> int:
    text = designator.strip()
    if not text.isdigit() or not 1 <= int(text) <= 999_999_999:
        raise ValidationError(
            f"the CDM's {which} OBJECT_DESIGNATOR {designator!r} is not a NORAD catalog number: "
            "spacehome keeps conjunction events by NORAD number"
        )
    return int(text)


def cdm_pc(cdm: Cdm, hard_body_radius_m: float | None = None) -> JSON:
    """The Pc of a CDM from its own covariances (Foster, with Chan's), and the hard-body radius used."""
    o1, o2 = cdm.object1, cdm.object2
    if o1.ref_frame != o2.ref_frame:
        return {"value": None, "method": None, "estimated": False, "hard_body_radius_m": None,
                "note": f"not computed: the objects' states are in different frames ({o1.ref_frame}, {o2.ref_frame})"}
    if hard_body_radius_m is not None:
        radius, why = float(hard_body_radius_m), "given"
    elif o1.hard_body_radius_m is not None and o2.hard_body_radius_m is not None:
        radius, why = o1.hard_body_radius_m + o2.hard_body_radius_m, "from both objects' AREA_PC"
    elif o1.hard_body_radius_m is not None or o2.hard_body_radius_m is not None:
        given, other = ("OBJECT1", "OBJECT2") if o1.hard_body_radius_m is not None else ("OBJECT2", "OBJECT1")
        radius = float(o1.hard_body_radius_m or o2.hard_body_radius_m or 0.0)
        why = f"from {given}'s AREA_PC; {other} gives none (its size is not known, taken as 0)"
    else:
        radius, why = DEFAULT_HARD_BODY_RADIUS_M, HARD_BODY_RADIUS_NOTE
    covs = []
    for o in (o1, o2):
        rtn_km2 = np.asarray(o.position_covariance_rtn_m2, dtype=np.float64) / 1e6
        covs.append(covariance_rtn_to_inertial(rtn_km2, o.position_km, o.velocity_km_s))
    result = collision_probability(
        o1.position_km, o1.velocity_km_s, covs[0], o2.position_km, o2.velocity_km_s, covs[1],
        radius, estimated=False, covariance_source=f"CDM {cdm.message_id}",
    )
    return {
        "value": result.pc, "pc_chan": result.pc_chan, "pc_max": result.pc_max,
        "method": "Foster 2D from the CDM's covariances", "estimated": False,
        "hard_body_radius_m": radius, "hard_body_radius_source": why,
        "stated_in_cdm": cdm.collision_probability,
        "stated_method": cdm.collision_probability_method,
        "note": None,
    }


def import_cdm(
    source: str | Path, *, now: datetime, database_url: str | None = None,
    hard_body_radius_m: float | None = None,
) -> JSON:
    """Read a CDM and store it as an assessment of its event; the view of what was stored."""
    cdm = read_cdm(source)
    first = _norad(cdm.object1.designator, "OBJECT1")
    second = _norad(cdm.object2.designator, "OBJECT2")
    pc = cdm_pc(cdm, hard_body_radius_m)
    view = conjunction_view(cdm)
    rtn = cdm.relative_position_rtn_m
    speed = cdm.relative_speed_m_s
    assessment = NewAssessment(
        primary_number=first, primary_name=cdm.object1.name or None,
        secondary_number=second, secondary_name=cdm.object2.name or None,
        source="cdm", source_ref=f"{cdm.originator} {cdm.message_id}", tca=cdm.tca,
        miss_km=cdm.miss_distance_m / 1000.0,
        radial_km=None if rtn is None else rtn[0] / 1000.0,
        in_track_km=None if rtn is None else rtn[1] / 1000.0,
        cross_track_km=None if rtn is None else rtn[2] / 1000.0,
        relative_speed_km_s=None if speed is None else speed / 1000.0,
        pc=pc["value"], pc_method=pc["method"], pc_estimated=False,
        pc_note=pc["note"] or f"combined hard-body radius {pc['hard_body_radius_m']:g} m ({pc['hard_body_radius_source']})",
        hard_body_radius_m=pc["hard_body_radius_m"],
        inputs={"cdm": view},
    )
    (recorded,) = _store(database_url).record([assessment], now=now)
    return {
        "event_id": recorded.event_id,
        "new_event": recorded.new_event,
        "already_imported": recorded.duplicate,
        "message_id": cdm.message_id,
        "originator": cdm.originator,
        "tca": format_utc(cdm.tca),
        "miss_km": cdm.miss_distance_m / 1000.0,
        "pc": pc,
    }


# --- reading -------------------------------------------------------------------------------------


def _event_json(e: EventRecord) -> JSON:
    return {
        "id": e.id,
        "primary": {"catalog_number": e.primary_number, "name": e.primary_name},
        "secondary": {"catalog_number": e.secondary_number, "name": e.secondary_name},
        "tca": format_utc(e.tca),
        "miss_km": e.miss_km,
        "pc": e.pc,
        "first_seen_at": format_utc(e.first_seen_at),
        "updated_at": format_utc(e.updated_at),
        "assessments": e.assessments,
    }


def _assessment_json(a: Assessment, event: EventRecord) -> JSON:
    out: JSON = {
        "id": a.id,
        "assessed_at": format_utc(a.assessed_at),
        "source": a.source,
        "source_ref": a.source_ref,
        "tca": format_utc(a.tca),
        "hours_to_tca": round((a.tca - a.assessed_at).total_seconds() / 3600.0, 3),
        "miss_km": a.miss_km,
        "radial_km": a.radial_km,
        "in_track_km": a.in_track_km,
        "cross_track_km": a.cross_track_km,
        "relative_speed_km_s": a.relative_speed_km_s,
        "pc": a.pc,
        "pc_method": a.pc_method,
        "pc_estimated": a.pc_estimated,
        "pc_note": a.pc_note,
        "hard_body_radius_m": a.hard_body_radius_m,
    }
    if a.source == "screen":
        p, s = a.inputs["primary"], a.inputs["secondary"]
        out["element_sets"] = {
            "primary_epoch": p["epoch"], "secondary_epoch": s["epoch"],
        }
    else:
        cdm = a.inputs["cdm"]
        swapped = str(cdm["object1"]["designator"]).strip() != str(event.primary_number)
        out["cdm"] = {
            "message_id": cdm["message_id"], "originator": cdm["originator"],
            "creation_date": cdm["creation_date"],
            "stated_pc": cdm["collision_probability"],
            "primary_sigma_rtn_m": cdm["object2" if swapped else "object1"]["sigma_rtn_m"],
            "secondary_sigma_rtn_m": cdm["object1" if swapped else "object2"]["sigma_rtn_m"],
        }
    return out


def events_view(
    *, database_url: str | None = None, tca_from: datetime | None = None,
    tca_to: datetime | None = None, object_number: int | None = None, limit: int = 50,
    offset: int = 0,
) -> JSON:
    """A page of stored events by TCA."""
    page = _store(database_url).list_events(
        tca_from=tca_from, tca_to=tca_to, object_number=object_number, limit=limit, offset=offset
    )
    return {
        "items": [_event_json(e) for e in page.items],
        "total": page.total, "limit": page.limit, "offset": page.offset,
    }


def event_view(event_id: str, *, database_url: str | None = None) -> JSON:
    """One event: the latest state, its assessments oldest first, and the latest miss geometry."""
    event, assessments = _store(database_url).get(event_id)
    history = [_assessment_json(a, event) for a in assessments]
    latest = assessments[-1]
    return {
        **_event_json(event),
        "geometry": {
            "tca": format_utc(latest.tca),
            "miss_km": latest.miss_km,
            "radial_km": latest.radial_km,
            "in_track_km": latest.in_track_km,
            "cross_track_km": latest.cross_track_km,
            "relative_speed_km_s": latest.relative_speed_km_s,
            "source": latest.source,
        },
        "history": history,
    }


# --- avoidance -----------------------------------------------------------------------------------


def _newest(assessments: Sequence[Assessment], source: str) -> Assessment | None:
    found = [a for a in assessments if a.source == source]
    return found[-1] if found else None


def avoidance_for_event(
    event_id: str, *, database_url: str | None = None,
    covariance_model: ElementSetCovarianceModel | None = None,
    hard_body_radius_m: float | None = None,
) -> tuple[Encounter, JSON]:
    """The avoidance problem of a stored event, and where its inputs came from."""
    _, assessments = _store(database_url).get(event_id)
    screened = _newest(assessments, "screen")
    if screened is None:
        raise ValidationError(
            f"event {event_id} has no element sets (only CDMs about it): run "
            "'spacehome conjunctions screen' over its TCA so both objects' element sets are known"
        )
    primary = elements_from_json(screened.inputs["primary"])
    secondary = elements_from_json(screened.inputs["secondary"])
    tca = screened.tca
    cdm_row = _newest(assessments, "cdm")
    origin: JSON = {
        "element_sets": f"screen assessed {format_utc(screened.assessed_at)} ({screened.source_ref})",
        "tca": format_utc(tca),
    }
    if cdm_row is not None:
        cdm = cdm_row.inputs["cdm"]
        objects = {int(str(cdm[k]["designator"]).strip()): cdm[k] for k in ("object1", "object2")}
        covs = []
        for elements in (primary, secondary):
            o = objects.get(elements.catalog_number)
            if o is None:
                raise ValidationError(
                    f"the CDM {cdm['message_id']} of event {event_id} is not about NORAD "
                    f"{elements.catalog_number}: import a CDM for this pair"
                )
            r, v = sgp4_state(elements, tca)
            rtn_km2 = np.asarray(o["position_covariance_rtn_m2"], dtype=np.float64) / 1e6
            covs.append(covariance_rtn_to_inertial(rtn_km2, r, v))
        if hard_body_radius_m is not None:
            radius, why = hard_body_radius_m, "given"
        elif cdm_row.hard_body_radius_m is not None:
            radius, why = cdm_row.hard_body_radius_m, cdm_row.pc_note or "from the CDM import"
        else:
            radius, why = DEFAULT_HARD_BODY_RADIUS_M, HARD_BODY_RADIUS_NOTE
        encounter = Encounter(
            primary, secondary, tca, covs[0], covs[1], radius, estimated=False,
            covariance_source=f"CDM {cdm['originator']} {cdm['message_id']}",
        )
        origin |= {"covariance": encounter.covariance_source, "hard_body_radius": why}
        return encounter, origin
    if covariance_model is None:
        raise ValidationError(
            f"event {event_id} has no covariance: import a CDM about it ('spacehome cdm import "
            "FILE'); element sets carry none and no element-set covariance model is given"
        )
    kinds, uncovered = model_types(covariance_model, [primary, secondary])
    if uncovered is not None:
        raise ValidationError(
            f"event {event_id} has no covariance: the element-set covariance model does not cover "
            f"it ({uncovered}); import a CDM about it ('spacehome cdm import FILE')"
        )
    radius = hard_body_radius_m if hard_body_radius_m is not None else DEFAULT_HARD_BODY_RADIUS_M
    kind_p, kind_s = kinds
    encounter = encounter_from_model(primary, secondary, tca, covariance_model, kind_p, kind_s, radius)
    origin |= {
        "covariance": f"estimated: {covariance_model.source}",
        "hard_body_radius": "given" if hard_body_radius_m is not None else HARD_BODY_RADIUS_NOTE,
    }
    return encounter, origin


def check_hard_body_radius(value: float | None) -> float | None:
    if value is not None and (not math.isfinite(value) or value <= 0.0):
        raise ValidationError(
            f"--hard-body-radius-m {value} is not a radius: give a positive number of metres like 30"
        )
    return value


__all__ = [
    "DEFAULT_HARD_BODY_RADIUS_M",
    "avoidance_for_event",
    "cdm_pc",
    "check_hard_body_radius",
    "elements_from_json",
    "elements_json",
    "event_view",
    "events_view",
    "import_cdm",
    "record_screen",
]


