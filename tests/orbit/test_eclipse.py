"""Eclipses against Skyfield: ``is_sunlit`` searched with ``find_discrete`` is the reference."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from skyfield.searchlib import find_discrete

from spacehome.errors import ValidationError
from spacehome.orbit.eclipse import Eclipse, Lighting, find_eclipses, find_night_side, lighting_at

#: Shadow entry/exit (the Sun's centre on the Earth's limb) must match Skyfield to this.
SHADOW_TIME_TOL_S = 1.0
#: ... and in fact to this (both sides refine to about a millisecond).
SHADOW_TIME_TIGHT_TOL_S = 0.05
#: Slack when checking that penumbra and umbra bracket Skyfield's boundary: Skyfield's
#: find_discrete returns the late end of a 1 ms bracket.
BRACKET_SLACK_S = 0.002
#: Beta angle against an independent computation in the GCRS.
BETA_TOL_DEG = 0.01
#: Skyfield's sampling step for the reference search (seconds).
REFERENCE_STEP_S = 30.0
#: Random instants for lighting_at keep at least this far from any shadow boundary (seconds);
#: the CSS crosses the penumbra in ~9 s, so beyond this it is plainly sunlit or in umbra.
BOUNDARY_MARGIN_S = 30.0
#: The CSS spends 20 to 37 minutes in full shadow per orbit (beta 0..~60 deg at 390 km).
CSS_UMBRA_MIN_S = 20 * 60.0
CSS_UMBRA_MAX_S = 37 * 60.0

WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class ShadowComparison:
    key: str
    start: datetime
    end: datetime
    eclipses: list[Eclipse]
    #: spacehome's shadow entries (False) and exits (True) inside the window: (offset_s, sunlit)
    ours: list[tuple[float, bool]]
    #: Skyfield's: (offset_s, sunlit after the transition)
    theirs: list[tuple[float, bool]]


def _offset(start: datetime, moment: datetime) -> float:
    return (moment - start).total_seconds()


def _skyfield_transitions(obj: Any, ts: Any, eph: Any, start: datetime, end: datetime,
                          tt_seconds: Any) -> list[tuple[float, bool]]:
    sat = obj.satellite

    def sunlit(t: Any) -> Any:
        return sat.at(t).is_sunlit(eph)

    sunlit.step_days = REFERENCE_STEP_S / 86400.0  # type: ignore[attr-defined]
    t0 = ts.from_datetime(start)
    t, values = find_discrete(t0, ts.from_datetime(end), sunlit)
    # TT offsets equal UTC offsets here: no leap second inside these windows.
    offsets = tt_seconds(t, t0)
    return [(float(s), bool(v)) for s, v in zip(offsets, values, strict=True)]


@pytest.fixture(scope="module", params=["css", "molniya"])
def comparison(request, case, ts, eph, tt_seconds) -> ShadowComparison:
    obj = case(request.param)
    start, end = obj.start, obj.start + WINDOW
    eclipses = find_eclipses(obj.elements, start, end)
    ours: list[tuple[float, bool]] = []
    for e in eclipses:
        for moment, sunlit_after in ((e.shadow_entry, False), (e.shadow_exit, True)):
            if moment is not None and start <= moment <= end:
                ours.append((_offset(start, moment), sunlit_after))
    ours.sort()
    theirs = _skyfield_transitions(obj, ts, eph, start, end, tt_seconds)
    return ShadowComparison(request.param, start, end, eclipses, ours, theirs)


def test_same_shadow_transitions_as_skyfield(comparison):
    kinds_ours = [sunlit for _, sunlit in comparison.ours]
    kinds_theirs = [sunlit for _, sunlit in comparison.theirs]
    assert len(comparison.theirs) >= 6, "the window should hold several eclipses"
    assert kinds_ours == kinds_theirs


def test_shadow_entry_and_exit_times_match_skyfield(comparison):
    assert len(comparison.ours) == len(comparison.theirs)
    ours = np.array([s for s, _ in comparison.ours])
    theirs = np.array([s for s, _ in comparison.theirs])
    worst = np.abs(ours - theirs).max()
    assert worst < SHADOW_TIME_TOL_S, f"{comparison.key}: off Skyfield by {worst:.4f} s"
    assert worst < SHADOW_TIME_TIGHT_TOL_S, f"{comparison.key}: off Skyfield by {worst:.4f} s"


def test_penumbra_and_umbra_bracket_skyfield_boundary(comparison):
    """penumbra entry <= Skyfield's entry <= umbra entry; the reverse on the way out."""
    start = comparison.start
    theirs = np.array([s for s, _ in comparison.theirs])
    checked = 0
    for e in comparison.eclipses:
        assert e.penumbra_entry is not None
        assert e.shadow_entry is not None
        assert e.umbra_entry is not None
        assert e.umbra_exit is not None
        assert e.shadow_exit is not None
        assert e.penumbra_exit is not None
        assert (e.penumbra_entry < e.shadow_entry < e.umbra_entry < e.deepest
                < e.umbra_exit < e.shadow_exit < e.penumbra_exit)
        for lo, mid, hi in ((e.penumbra_entry, e.shadow_entry, e.umbra_entry),
                            (e.umbra_exit, e.shadow_exit, e.penumbra_exit)):
            ref = theirs[np.argmin(np.abs(theirs - _offset(start, mid)))]
            if not start <= mid <= comparison.end:
                continue
            assert _offset(start, lo) - BRACKET_SLACK_S <= ref <= _offset(start, hi) + BRACKET_SLACK_S
            checked += 1
    assert checked == len(comparison.theirs)


def test_eclipses_are_in_time_order_and_disjoint(comparison):
    eclipses = comparison.eclipses
    for a, b in itertools.pairwise(eclipses):
        assert a.penumbra_exit is not None
        assert b.penumbra_entry is not None
        assert a.penumbra_exit < b.penumbra_entry


def test_css_umbra_lasts_20_to_37_minutes(case):
    obj = case("css")
    eclipses = find_eclipses(obj.elements, obj.start, obj.start + WINDOW)
    durations = np.array([e.umbra_s for e in eclipses if e.umbra_s is not None])
    assert durations.size >= 45  # 15.6 orbits a day
    assert durations.min() > CSS_UMBRA_MIN_S, durations.min()
    assert durations.max() < CSS_UMBRA_MAX_S, durations.max()
    penumbra = np.array([e.penumbra_s for e in eclipses if e.penumbra_s is not None])
    assert (penumbra > durations.max()).any()


def test_beta_angle_matches_gcrs_computation(comparison, case, ts, eph):
    """Beta = the Sun's elevation above the orbit plane: asin(h . s / |h||s|), with h = r x v
    from Skyfield's GCRS position and velocity and s the geometric Sun from DE421."""
    obj = case(comparison.key)
    assert comparison.eclipses
    t = ts.from_datetimes([e.deepest for e in comparison.eclipses])
    position = obj.satellite.at(t)
    h = np.cross(position.position.km.T, position.velocity.km_per_s.T)
    sun = (eph["sun"] - eph["earth"]).at(t).position.km.T
    expected = np.degrees(np.arcsin(
        np.einsum("ij,ij->i", h, sun) / (np.linalg.norm(h, axis=1) * np.linalg.norm(sun, axis=1))
    ))
    got = np.array([e.beta_deg for e in comparison.eclipses])
    worst = np.abs(got - expected).max()
    assert worst < BETA_TOL_DEG, f"{comparison.key}: beta off by {worst:.5f} deg"


def test_lighting_at_agrees_with_is_sunlit(case, ts, eph, tt_seconds):
    """200 random instants over the CSS window, each at least BOUNDARY_MARGIN_S from a
    transition: sunlit exactly when Skyfield says so, otherwise in umbra."""
    obj = case("css")
    start, end = obj.start, obj.start + WINDOW
    boundaries = np.array([s for s, _ in _skyfield_transitions(obj, ts, eph, start, end, tt_seconds)])
    rng = np.random.default_rng(48274)
    candidates = rng.uniform(0.0, WINDOW.total_seconds(), 2000)
    distance = np.abs(candidates[:, None] - boundaries[None, :]).min(axis=1)
    offsets = candidates[distance > BOUNDARY_MARGIN_S][:200]
    assert offsets.size == 200
    moments = [start + timedelta(microseconds=round(s * 1e6)) for s in offsets]
    expected = obj.satellite.at(ts.from_datetimes(moments)).is_sunlit(eph)
    assert 0 < expected.sum() < expected.size  # both states are sampled
    for moment, sunlit in zip(moments, expected.tolist(), strict=True):
        state, sun_above_limb_deg = lighting_at(obj.elements, moment)
        assert state is (Lighting.SUNLIT if sunlit else Lighting.UMBRA), moment
        assert (sun_above_limb_deg > 0.0) is sunlit, moment


def test_find_eclipses_rejects_an_empty_window(case):
    obj = case("css")
    with pytest.raises(ValidationError):
        find_eclipses(obj.elements, obj.start, obj.start)



def test_night_side_boundaries_put_the_sun_on_the_sub_point_horizon_per_skyfield(case, ts, eph):
    """At every night-side entry and exit, the geometric Sun (DE421, Skyfield) is perpendicular to
    Skyfield's GCRS position of the station: r·s = 0 to within 0.3 s of orbital motion; inside,
    the Sun is below the sub-point horizon; every eclipse lies inside a night-side interval."""
    obj = case("css")
    start, end = obj.start, obj.start + WINDOW
    found = find_night_side(obj.elements, start, end)
    assert len(found) >= 14  # one per orbit
    edges = [m for pair in found for m in pair if m is not None]
    t = ts.from_datetimes(edges)
    r = obj.satellite.at(t).position.km.T
    s = (eph["sun"] - eph["earth"]).at(t).position.km.T
    cos = np.einsum("ij,ij->i", r, s) / (np.linalg.norm(r, axis=1) * np.linalg.norm(s, axis=1))
    assert np.abs(cos).max() < 0.3 * 0.00113  # rad: the station's angular rate × 0.3 s
    middles = [a + (b - a) / 2 for a, b in found if a is not None and b is not None]
    tm = ts.from_datetimes(middles)
    rm = obj.satellite.at(tm).position.km.T
    sm = (eph["sun"] - eph["earth"]).at(tm).position.km.T
    assert (np.einsum("ij,ij->i", rm, sm) < 0).all()
    for e in find_eclipses(obj.elements, start, end):
        if e.penumbra_entry is None or e.penumbra_exit is None:
            continue
        assert any(a is not None and b is not None and a < e.penumbra_entry and e.penumbra_exit < b for a, b in found)


def test_times_beyond_the_ephemeris_are_refused_with_a_message(case):
    from datetime import UTC

    start = datetime(2054, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="known from 1899-07-30 to 2053-10-08"):
        find_eclipses(case("css").elements, start, start + timedelta(days=1))
