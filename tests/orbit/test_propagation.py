"""Propagation, frames and geodetic coordinates against Skyfield as the independent reference."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from skyfield.api import wgs84
from skyfield.framelib import itrs
from skyfield.toposlib import ITRSPosition
from skyfield.units import Distance

from spacehome.errors import ValidationError
from spacehome.orbit import frames
from spacehome.orbit.elements import from_tle
from spacehome.orbit.propagation import ground_track, itrs_states, propagate_teme, track
from spacehome.orbit.timebase import Instants

#: Positions (track, ITRS states) must agree with Skyfield to this many metres.
POSITION_TOL_M = 1.0
#: ITRS velocities must agree with Skyfield to this (km/s): 1 mm/s.
VELOCITY_TOL_KM_S = 1e-6
#: Geodetic conversion must recover a WGS84 point to this many metres.
GEODETIC_TOL_M = 1e-3
#: Skyfield's own inverse (three fixed-point iterations) is only good to ~3 mm at the ground,
#: so comparing against it directly needs this much room.
SKYFIELD_INVERSE_TOL_M = 5e-3
#: observer_itrs against Skyfield's wgs84.latlon(...).itrs_xyz: 1 micrometre.
OBSERVER_TOL_KM = 1e-9
#: A ground track's geodetic latitude may exceed the inclination by the geodetic-vs-geocentric
#: difference (< 0.2 deg).
GROUND_TRACK_LATITUDE_MARGIN_DEG = 0.2

WGS84_B_KM = 6378.137 * (1.0 - 1.0 / 298.257223563)


def _geodetic_errors_m(
    lat_deg: np.ndarray, lon_deg: np.ndarray, h_km: np.ndarray,
    ref_lat_deg: np.ndarray, ref_lon_deg: np.ndarray, ref_h_km: np.ndarray, xyz_km: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude and height differences in metres: angles times the distance from the
    geocentre (latitude) and from the rotation axis (longitude)."""
    r_m = np.linalg.norm(xyz_km, axis=0) * 1000.0
    p_m = np.hypot(xyz_km[0], xyz_km[1]) * 1000.0
    d_lat = np.radians(np.asarray(lat_deg) - ref_lat_deg) * r_m
    d_lon = np.radians((np.asarray(lon_deg) - ref_lon_deg + 180.0) % 360.0 - 180.0) * p_m
    d_h = (np.asarray(h_km) - ref_h_km) * 1000.0
    return np.abs(d_lat), np.abs(d_lon), np.abs(d_h)


# --- propagation against Skyfield ------------------------------------------------------------


def test_track_matches_skyfield_geographic_position_over_a_day(css, ts):
    instants = Instants.span(css.start, css.start + timedelta(days=1), 30.0)
    result = track([css.elements], instants)
    assert result.status.shape == (1, len(instants))
    assert not result.status.any()

    t = ts.from_datetime(css.start)
    t = ts.tt_jd(np.full(len(instants), t.whole), t.tt_fraction + instants.offsets_s / 86400.0)
    position = css.satellite.at(t)
    reference = wgs84.geographic_position_of(position)
    d_lat, d_lon, d_h = _geodetic_errors_m(
        result.latitude_deg[0], result.longitude_deg[0], result.altitude_km[0],
        reference.latitude.degrees, reference.longitude.degrees, reference.elevation.km,
        position.frame_xyz(itrs).km,
    )
    assert d_lat.max() < POSITION_TOL_M, f"latitude off by {d_lat.max():.4f} m"
    assert d_lon.max() < POSITION_TOL_M, f"longitude off by {d_lon.max():.4f} m"
    assert d_h.max() < POSITION_TOL_M, f"altitude off by {d_h.max():.4f} m"
    # Sanity of the values themselves: the CSS flies at 370-400 km, at ~7.7 km/s.
    assert 350.0 < result.altitude_km.min() < result.altitude_km.max() < 420.0
    assert 7.6 < result.speed_km_s.min() < result.speed_km_s.max() < 7.75


@pytest.mark.parametrize("key", ["css", "molniya", "gps", "geo"])
def test_itrs_states_match_skyfield_itrs_frame(case, ts, key):
    obj = case(key)
    instants = Instants.span(obj.start, obj.start + timedelta(days=1), 120.0)
    r, v, status = itrs_states(obj.elements, instants)
    assert not status.any()
    t = instants.skyfield()
    ref_r, ref_v = obj.satellite.at(t).frame_xyz_and_velocity(itrs)
    dr_m = np.linalg.norm(r - ref_r.km.T, axis=1) * 1000.0
    dv = np.linalg.norm(v - ref_v.km_per_s.T, axis=1)
    assert dr_m.max() < POSITION_TOL_M, f"ITRS position off by {dr_m.max():.4f} m"
    assert dv.max() < VELOCITY_TOL_KM_S, f"ITRS velocity off by {dv.max() * 1e6:.4f} mm/s"


def test_instants_skyfield_times_match_the_datetimes(ts, css):
    """Instants.skyfield() are the same instants as Skyfield builds from the datetimes."""
    instants = Instants.span(css.start, css.start + timedelta(hours=6), 600.0)
    moments = [instants.datetime_at(i) for i in range(len(instants))]
    reference = ts.from_datetimes(moments)
    ours = instants.skyfield()
    diff_s = ((ours.whole - reference.whole) + (ours.tt_fraction - reference.tt_fraction)) * 86400
    assert np.abs(diff_s).max() < 2e-6  # datetimes carry microseconds


# --- geodetic coordinates --------------------------------------------------------------------

_LATITUDES = np.concatenate([
    np.linspace(-90.0, 90.0, 181),
    [-89.9999, -89.99, 89.99, 89.9999, 89.999999, -0.0001, 0.0001],
])
_ALTITUDES_KM = [-0.4, 0.0, 0.4, 9.0, 400.0, 2000.0, 20200.0, 35786.0]


def _wgs84_points(altitude_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20260906)
    lat = _LATITUDES
    lon = rng.uniform(-180.0, 180.0, lat.size)
    h = np.full(lat.size, altitude_km)
    xyz = wgs84.latlon(lat, lon, elevation_m=h * 1000.0).itrs_xyz.km  # (3, N)
    return lat, lon, h, xyz


@pytest.mark.parametrize("altitude_km", _ALTITUDES_KM)
def test_geodetic_recovers_skyfield_wgs84_points(altitude_km):
    """ITRS built by Skyfield's wgs84.latlon (the exact forward model) converts back to the same
    latitude, longitude and height, from the ground to GEO, at every latitude."""
    lat, lon, h, xyz = _wgs84_points(altitude_km)
    got_lat, got_lon, got_h = frames.geodetic(xyz[0], xyz[1], xyz[2])
    d_lat, d_lon, d_h = _geodetic_errors_m(got_lat, got_lon, got_h, lat, lon, h, xyz)
    worst = np.argmax(d_lat)
    assert d_lat.max() < GEODETIC_TOL_M, (
        f"latitude off by {d_lat.max() * 1000:.3f} mm at {lat[worst]} deg, {altitude_km} km"
    )
    assert d_lon.max() < GEODETIC_TOL_M, f"longitude off by {d_lon.max() * 1000:.3f} mm"
    assert d_h.max() < GEODETIC_TOL_M, f"height off by {d_h.max() * 1000:.3f} mm"


def test_geodetic_matches_skyfield_geographic_position_of(ts):
    """Against Skyfield's own (iterative) ITRS -> WGS84 conversion, ground to GEO."""
    points = [_wgs84_points(h) for h in _ALTITUDES_KM]
    xyz = np.concatenate([p[3] for p in points], axis=1)
    got_lat, got_lon, got_h = frames.geodetic(xyz[0], xyz[1], xyz[2])
    reference = wgs84.geographic_position_of(ITRSPosition(Distance(km=xyz)).at(ts.tt_jd(2461290.0)))
    d_lat, d_lon, d_h = _geodetic_errors_m(
        got_lat, got_lon, got_h,
        reference.latitude.degrees, reference.longitude.degrees, reference.elevation.km, xyz,
    )
    worst = np.argmax(d_lat)
    altitude = np.concatenate([p[2] for p in points])[worst]
    assert d_lat.max() < SKYFIELD_INVERSE_TOL_M, (
        f"latitude off Skyfield's by {d_lat.max() * 1000:.3f} mm at {altitude} km altitude"
    )
    assert d_lon.max() < SKYFIELD_INVERSE_TOL_M
    assert d_h.max() < SKYFIELD_INVERSE_TOL_M


@pytest.mark.parametrize("z_km", [7000.0, -7000.0, 6356.752314245179])
def test_geodetic_on_the_rotation_axis(ts, z_km):
    """A point exactly over a pole (x = y = 0) is at latitude +-90 and height |z| - b."""
    x = np.zeros(1)
    lat, _, h = frames.geodetic(x, x, np.array([z_km]))
    reference = wgs84.geographic_position_of(
        ITRSPosition(Distance(km=np.array([[0.0], [0.0], [z_km]]))).at(ts.tt_jd(2461290.0))
    )
    assert lat[0] == pytest.approx(np.sign(z_km) * 90.0, abs=1e-9)
    assert lat[0] == pytest.approx(reference.latitude.degrees[0], abs=1e-9)
    assert h[0] == pytest.approx(abs(z_km) - WGS84_B_KM, abs=GEODETIC_TOL_M / 1000.0)


def test_observer_itrs_equals_skyfield_latlon():
    rng = np.random.default_rng(7)
    lat = np.concatenate([rng.uniform(-90.0, 90.0, 200), [-90.0, 90.0, 0.0]])
    lon = np.concatenate([rng.uniform(-180.0, 180.0, 200), [0.0, 180.0, -180.0]])
    alt_km = np.concatenate([rng.uniform(-0.5, 9.0, 200), [0.0, 4.0, 0.0]])
    got = frames.observer_itrs(lat, lon, alt_km)
    reference = wgs84.latlon(lat, lon, elevation_m=alt_km * 1000.0).itrs_xyz.km.T
    np.testing.assert_allclose(got, reference, rtol=0.0, atol=OBSERVER_TOL_KM)


# --- failures as data ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def doomed(css, checksum):
    """The CSS elements with B* = 0.5 /earth radii under catalog 99999: it decays within hours."""
    line1 = "1 99999" + css.line1[7:53] + " 50000-0" + css.line1[61:68]
    line2 = "2 99999" + css.line2[7:68]
    line1 += checksum(line1)
    line2 += checksum(line2)
    return from_tle(line1, line2, "DOOMED")


def test_a_decaying_object_fails_alone_in_its_batch(css, doomed):
    instants = Instants.span(css.start, css.start + timedelta(days=3), 60.0)
    batch = track([css.elements, doomed, css.elements], instants)
    alone = track([css.elements], instants)
    assert batch.status.shape == (3, len(instants))
    # The neighbours are untouched: no failures and exactly what they give on their own.
    for row in (0, 2):
        assert not batch.status[row].any()
        np.testing.assert_array_equal(batch.latitude_deg[row], alone.latitude_deg[0])
        np.testing.assert_array_equal(batch.altitude_km[row], alone.altitude_km[0])
    # The doomed object is flagged, and reported once with its catalog number and a reason.
    assert batch.status[1].any()
    assert not batch.status[1, 0]  # still fine at the start
    failures = batch.failures()
    assert [f[0] for f in failures] == [99999]
    first = failures[0][1]
    assert first == int(np.flatnonzero(batch.status[1])[0])
    assert "decayed" in failures[0][2] or "eccentricity" in failures[0][2]


def _failing_batch(css, doomed, vallado, which):
    """``(sets, instants)``: a healthy object first, then one that fails inside the window."""
    if which == "doomed css":
        return [css.elements, doomed], Instants.span(
            css.start, css.start + timedelta(days=3), 60.0
        )
    catalog = which.split()[1]
    bad = from_tle(*vallado[catalog], strict=False)
    fine = from_tle(*vallado["28057"], strict=False)  # a sun-synchronous LEO of the same era
    return [fine, bad], Instants.span(bad.epoch, bad.epoch + timedelta(hours=12), 60.0)


_FAILING = ["doomed css", "vallado 28872", "vallado 29141"]


@pytest.mark.parametrize("which", _FAILING)
def test_track_failed_instants_are_nan(css, doomed, vallado, which):
    """Wherever sgp4 reports an error the object's row is NaN (never a position under ground)."""
    sets, instants = _failing_batch(css, doomed, vallado, which)
    result = track(sets, instants)
    assert not result.status[0].any()
    assert np.isfinite(result.latitude_deg[0]).all()
    failed = result.status[1] != 0
    assert failed.any(), "the test object should fail somewhere in the window"
    codes = sorted(set(result.status[1][failed].tolist()))
    for name, values in (("latitude", result.latitude_deg[1]),
                         ("longitude", result.longitude_deg[1]),
                         ("altitude", result.altitude_km[1]),
                         ("speed", result.speed_km_s[1])):
        finite = np.isfinite(values[failed])
        assert not finite.any(), (
            f"{finite.sum()} of {failed.sum()} failed instants (codes {codes}) have a finite "
            f"{name}, e.g. altitude {result.altitude_km[1][failed][finite][:3]} km"
        )
    # Where sgp4 is happy the values are finite.
    assert np.isfinite(result.latitude_deg[1][~failed]).all()


@pytest.mark.parametrize("which", _FAILING)
def test_propagate_teme_failed_instants_are_nan(css, doomed, vallado, which):
    sets, instants = _failing_batch(css, doomed, vallado, which)
    states = propagate_teme(sets, instants.jd_utc, instants.fr_utc)
    assert not states.status[0].any()
    assert np.isfinite(states.r_km[0]).all()
    failed = states.status[1] != 0
    assert failed.any()
    assert np.isnan(states.r_km[1][failed]).all()
    assert np.isnan(states.v_km_s[1][failed]).all()
    assert np.isfinite(states.r_km[1][~failed]).all()


@pytest.mark.parametrize("which", _FAILING)
def test_itrs_states_failed_instants_are_nan(css, doomed, vallado, which):
    sets, instants = _failing_batch(css, doomed, vallado, which)
    r, v, status = itrs_states(sets[1], instants)
    failed = status != 0
    assert failed.any()
    codes = sorted(set(status[failed].tolist()))
    finite = np.isfinite(r[failed]).any(axis=1)
    radius = np.linalg.norm(r[failed][finite], axis=1)
    assert not finite.any(), (
        f"{finite.sum()} of {failed.sum()} failed instants (codes {codes}) have a finite "
        f"position, e.g. radius {radius[:3]} km (Earth's is 6378 km)"
    )
    assert np.isnan(v[failed]).all()
    assert np.isfinite(r[~failed]).all()


# --- ground track ----------------------------------------------------------------------------


def test_ground_track_for_two_orbits(css):
    result = ground_track(css.elements, css.start, orbits=2, step_s=30.0)
    offsets = result.instants.offsets_s
    period_s = css.elements.period_min * 60.0
    assert result.instants.start == css.start
    assert offsets[0] == 0.0
    assert offsets[-1] == pytest.approx(2.0 * period_s, abs=1e-6)
    assert np.diff(offsets).max() <= 30.0 + 1e-9
    assert not result.status.any()
    lat = result.latitude_deg[0]
    limit = css.elements.inclination_deg + GROUND_TRACK_LATITUDE_MARGIN_DEG
    assert np.abs(lat).max() <= limit
    # Two orbits reach both turning latitudes.
    assert lat.max() > css.elements.inclination_deg - 0.5
    assert lat.min() < -(css.elements.inclination_deg - 0.5)
    assert (result.longitude_deg >= -180.0).all()
    assert (result.longitude_deg <= 180.0).all()


@pytest.mark.parametrize("orbits", [0.0, -1.0])
def test_ground_track_needs_positive_orbits(css, orbits):
    with pytest.raises(ValidationError):
        ground_track(css.elements, css.start, orbits=orbits)
