"""Passes against Skyfield's ``EarthSatellite.find_events``, plus the invariants of a pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from skyfield.api import wgs84

from spacehome.errors import ValidationError
from spacehome.orbit.passes import (
    CULMINATION,
    RISE,
    SET,
    Observer,
    Pass,
    Topocentric,
    find_events,
    find_passes,
)
from spacehome.orbit.propagation import itrs_states
from spacehome.orbit.timebase import Instants

#: Every event time within this of Skyfield's (Skyfield refines to half a second).
EVENT_TIME_TOL_S = 1.0
#: Skyfield's rise/set bracket: it returns the late end of a bracket at most this wide.
SKYFIELD_BRACKET_S = 0.5
#: Slack on that bracket for float Julian dates and our own millisecond refinement.
BRACKET_SLACK_S = 0.01
#: Elevation at a rise or set equals the observer's mask to within this.
MASK_TOL_DEG = 0.01
#: The Hermite table reproduces direct SGP4 positions to within this.
HERMITE_TOL_M = 1.0
#: The Sun's altitude per Skyfield (apparent) may differ from spacehome's geometric one by
#: aberration and light time (~0.006 deg).
SUN_ALTITUDE_TOL_DEG = 0.01
#: Civil twilight: the sky is dark enough to see a satellite below this solar altitude.
DARK_SKY_DEG = -6.0
#: "Local noon": the Sun's hour angle within this many hours of the meridian.
NOON_HOURS = 1.0

SEARCH_DAYS = 4

OBSERVERS = [
    Observer("equator, Ecuadorian Andes", 0.0, -78.5, 2850.0, 0.0),
    Observer("40 N, Beijing", 40.0, 116.4, 50.0, 0.0),
    Observer("40 S, Patagonia", -40.0, -63.0, 20.0, 0.0),
    Observer("60 N, Helsinki", 60.2, 24.9, 20.0, 0.0),
    Observer("Cape Town, 5 deg mask", -33.9, 18.4, 10.0, 5.0),
    Observer("Ngari, 5100 m, 10 deg mask", 32.3, 80.0, 5100.0, 10.0),
    Observer("McMurdo", -77.85, 166.67, 10.0, 0.0),
    Observer("Washington", 38.9, -77.0, 100.0, 0.0),
]

OBJECTS = ["css", "molniya", "gps", "geo"]


def _topos(observer: Observer) -> Any:
    return wgs84.latlon(
        observer.latitude_deg, observer.longitude_deg, elevation_m=observer.altitude_m
    )


@dataclass(frozen=True)
class EventComparison:
    key: str
    start: datetime
    end: datetime
    ours: list[tuple[np.ndarray, np.ndarray]]  # per observer: (offsets_s, kinds)
    theirs: list[tuple[np.ndarray, np.ndarray]]


@pytest.fixture(scope="module", params=OBJECTS)
def events(request, case, ts, tt_seconds) -> EventComparison:
    obj = case(request.param)
    start, end = obj.start, obj.start + timedelta(days=SEARCH_DAYS)
    _, found = find_events(obj.elements, OBSERVERS, start, end)
    ours = [(e.offsets_s, e.kinds.astype(np.int64)) for e in found]
    t0, t1 = ts.from_datetime(start), ts.from_datetime(end)
    theirs = []
    for observer in OBSERVERS:
        t, kinds = obj.satellite.find_events(
            _topos(observer), t0, t1, altitude_degrees=observer.min_elevation_deg
        )
        theirs.append((tt_seconds(t, t0) if len(kinds) else np.empty(0), kinds.astype(np.int64)))
    return EventComparison(request.param, start, end, ours, theirs)


def test_event_codes_match_skyfield(events):
    total = 0
    for observer, (_, ours), (_, theirs) in zip(OBSERVERS, events.ours, events.theirs, strict=True):
        assert ours.tolist() == theirs.tolist(), f"{events.key} over {observer.name}"
        total += theirs.size
    assert total > 0


def _paired(events: EventComparison, kinds: tuple[int, ...]) -> tuple[np.ndarray, list[str]]:
    """Our offset minus Skyfield's for every event of the given kinds (codes must agree)."""
    diffs: list[float] = []
    where: list[str] = []
    for observer, (ours_t, ours_k), (theirs_t, theirs_k) in zip(
        OBSERVERS, events.ours, events.theirs, strict=True
    ):
        assert ours_k.tolist() == theirs_k.tolist(), f"{events.key} over {observer.name}"
        chosen = np.isin(theirs_k, kinds)
        diffs.extend((ours_t[chosen] - theirs_t[chosen]).tolist())
        where.extend(
            f"{observer.name}, kind {k} at +{s:.1f} s"
            for k, s in zip(theirs_k[chosen].tolist(), theirs_t[chosen].tolist(), strict=True)
        )
    return np.array(diffs), where


def test_rise_and_set_times_match_skyfield(events):
    diffs, where = _paired(events, (RISE, SET))
    if events.key == "geo":
        assert diffs.size == 0  # a geostationary object never rises or sets
        return
    assert diffs.size > 0
    worst = int(np.argmax(np.abs(diffs)))
    assert abs(diffs[worst]) < EVENT_TIME_TOL_S, f"{where[worst]}: off by {diffs[worst]:.3f} s"
    # Sharper: the true crossing lies inside Skyfield's last bracket, which ends at its answer.
    assert diffs.min() > -SKYFIELD_BRACKET_S - BRACKET_SLACK_S, where[int(np.argmin(diffs))]
    assert diffs.max() < BRACKET_SLACK_S, where[int(np.argmax(diffs))]


def test_culmination_times_match_skyfield(events):
    diffs, where = _paired(events, (CULMINATION,))
    assert diffs.size > 0
    worst = int(np.argmax(np.abs(diffs)))
    assert abs(diffs[worst]) < EVENT_TIME_TOL_S, (
        f"{events.key}, {where[worst]}: culmination off Skyfield by {diffs[worst]:.3f} s "
        f"({np.sum(np.abs(diffs) >= EVENT_TIME_TOL_S)} of {diffs.size} beyond {EVENT_TIME_TOL_S} s)"
    )


def test_observer_that_never_sees_the_css_has_no_events(case, ts):
    """At 77.85 S the CSS (41.5 deg inclination) stays below the horizon: nothing, as Skyfield."""
    obj = case("css")
    mcmurdo = next(o for o in OBSERVERS if o.name == "McMurdo")
    end = obj.start + timedelta(days=SEARCH_DAYS)
    _, found = find_events(obj.elements, [mcmurdo], obj.start, end)
    assert found[0].kinds.size == 0
    assert found[0].offsets_s.size == 0
    _, kinds = obj.satellite.find_events(
        _topos(mcmurdo), ts.from_datetime(obj.start), ts.from_datetime(end)
    )
    assert kinds.size == 0


# --- invariants of find_passes ----------------------------------------------------------------


@pytest.fixture(scope="module", params=OBJECTS)
def passes(request, case) -> tuple[str, list[list[Pass]]]:
    obj = case(request.param)
    found = find_passes(
        obj.elements, OBSERVERS, obj.start, obj.start + timedelta(days=SEARCH_DAYS)
    )
    return request.param, found


def test_pass_shape(passes):
    key, found = passes
    assert len(found) == len(OBSERVERS)
    assert sum(len(row) for row in found) > 0
    for k, row in enumerate(found):
        observer = OBSERVERS[k]
        previous_end = None
        for p in row:
            assert p.observer == k
            if p.rise is not None:
                assert p.rise.time < p.culmination.time
            if p.set is not None:
                assert p.culmination.time < p.set.time
            if p.rise is not None and p.set is not None:
                assert p.duration_s == pytest.approx((p.set.time - p.rise.time).total_seconds())
            for peak in p.culminations:
                if p.rise is not None:
                    assert p.rise.time < peak.time
                if p.set is not None:
                    assert peak.time < p.set.time
                assert peak.elevation_deg >= observer.min_elevation_deg
            assert p.culmination.elevation_deg == max(c.elevation_deg for c in p.culminations)
            # Passes do not overlap.
            first = p.rise.time if p.rise else p.culmination.time
            if previous_end is not None:
                assert first > previous_end, f"{key} over {observer.name}"
            previous_end = p.set.time if p.set else p.culmination.time


def test_pass_look_angles(passes):
    key, found = passes
    for k, row in enumerate(found):
        mask = OBSERVERS[k].min_elevation_deg
        for p in row:
            points = [q for q in (p.rise, p.set) if q is not None]
            for q in points:
                assert q.elevation_deg == pytest.approx(mask, abs=MASK_TOL_DEG), key
            for q in [*points, *p.culminations]:
                assert 0.0 <= q.azimuth_deg < 360.0
                assert q.range_km > 0.0
            assert p.culmination.elevation_deg >= mask
            assert p.culmination.elevation_deg <= 90.0


def test_event_sequence_never_rises_twice(events):
    """Rise, one or more culminations, set; a window may open or close mid-pass."""
    for observer, (_, kinds) in zip(OBSERVERS, events.ours, strict=True):
        up: bool | None = None  # unknown before the first event
        for kind in kinds.tolist():
            if kind == RISE:
                assert up is not True, f"{events.key} over {observer.name}: two rises"
                up = True
            elif kind == SET:
                assert up is not False, f"{events.key} over {observer.name}: two sets"
                up = False
            else:
                assert kind == CULMINATION
                assert up is not False, f"{events.key} over {observer.name}: culmination below"


# --- the Hermite table ------------------------------------------------------------------------


@pytest.mark.parametrize("key", OBJECTS)
def test_hermite_table_matches_direct_sgp4(case, key):
    obj = case(key)
    topo = Topocentric(obj.elements, OBSERVERS[:1], obj.start)
    topo.tabulate(0.0, 86400.0)
    assert topo.table is not None
    offsets = np.random.default_rng(2026).uniform(0.0, 86400.0, 3000)
    direct, _, status = itrs_states(obj.elements, Instants.at(obj.start, offsets))
    assert not status.any()
    error_m = np.linalg.norm(topo.table.position_km(offsets) - direct, axis=1) * 1000.0
    assert error_m.max() < HERMITE_TOL_M, (
        f"{key}: interpolated position off direct SGP4 by {error_m.max():.3f} m "
        f"(table step {topo.table.step_s:.1f} s)"
    )


# --- naked-eye visibility ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def css_passes(case) -> list[list[Pass]]:
    obj = case("css")
    return find_passes(obj.elements, OBSERVERS, obj.start, obj.start + timedelta(days=SEARCH_DAYS))


def test_visible_passes_are_sunlit_under_a_dark_sky(css_passes, case, ts, eph):
    obj = case("css")
    checked = 0
    for k, row in enumerate(css_passes):
        topos = _topos(OBSERVERS[k])
        for p in row:
            vis = p.visibility
            assert vis is not None
            if not vis.visible:
                assert vis.start is None
                assert vis.end is None
                continue
            assert vis.start is not None
            assert vis.end is not None
            assert vis.best_time is not None
            assert vis.start <= vis.best_time <= vis.end
            first = p.rise.time if p.rise else p.culmination.time
            last = p.set.time if p.set else p.culmination.time
            assert first <= vis.start <= vis.end <= last
            t = ts.from_datetime(vis.start + (vis.end - vis.start) / 2)
            assert bool(obj.satellite.at(t).is_sunlit(eph)), f"{OBSERVERS[k].name} {vis.start}"
            sun_alt = (eph["earth"] + topos).at(t).observe(eph["sun"]).apparent().altaz()[0]
            assert sun_alt.degrees < DARK_SKY_DEG + SUN_ALTITUDE_TOL_DEG
            sat_alt = (obj.satellite - topos).at(t).altaz()[0]
            assert sat_alt.degrees >= OBSERVERS[k].min_elevation_deg - MASK_TOL_DEG
            checked += 1
    assert checked >= 3, "the window should hold some visible CSS passes"


def test_a_pass_at_local_noon_is_never_visible(css_passes, ts, eph):
    noon = 0
    for k, row in enumerate(css_passes):
        topos = _topos(OBSERVERS[k])
        for p in row:
            t = ts.from_datetime(p.culmination.time)
            sun = (eph["earth"] + topos).at(t).observe(eph["sun"]).apparent()
            hour_angle, _, _ = sun.hadec()
            if abs((hour_angle.hours + 12.0) % 24.0 - 12.0) < NOON_HOURS:
                assert sun.altaz()[0].degrees > 0.0
                assert p.visibility is not None
                assert not p.visibility.visible, f"{OBSERVERS[k].name} at {p.culmination.time}"
                noon += 1
    assert noon >= 3, "the window should hold some passes around local noon"


# --- input validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "altitude_m", "mask"),
    [(95.0, 0.0, 0.0, 0.0), (-90.5, 0.0, 0.0, 0.0), (0.0, 200.0, 0.0, 0.0),
     (0.0, -180.5, 0.0, 0.0), (95.0, 200.0, 0.0, 0.0), (0.0, 0.0, 20000.0, 0.0),
     (0.0, 0.0, 0.0, 90.0)],
)
def test_invalid_observers_are_rejected(latitude, longitude, altitude_m, mask):
    with pytest.raises(ValidationError):
        Observer("nowhere", latitude, longitude, altitude_m, mask)


def test_find_events_needs_observers_and_a_window(case):
    obj = case("css")
    with pytest.raises(ValidationError):
        find_events(obj.elements, [], obj.start, obj.start + timedelta(days=1))
    with pytest.raises(ValidationError):
        find_events(obj.elements, OBSERVERS, obj.start, obj.start - timedelta(hours=1))
