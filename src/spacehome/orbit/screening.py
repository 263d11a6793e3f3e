"""Conjunction screening: primaries against a catalog over a window, on SGP4.

The screen is the classic filter chain, each stage cheaper than the next and none able to drop
an approach under the threshold ``D`` (default 5 km) that the next would have found:

1. **Apogee/perigee.** A pair can only come within ``D`` if the radial shells they sweep over
   the window overlap to within ``D``. The primary's shell is measured on its own propagated
   grid. A secondary's is its SGP4 mean ``a(1 − e) .. a(1 + e)`` (``Satrec.am``/``em``) read
   every 12 h through the window, widened by the largest change between two readings (drag
   terms are polynomials in time: with negative B* the mean orbit can rise, then fall) and by
   :func:`radial_pad_km` for the difference between mean and osculating radius (short-period
   J2 terms; lunisolar terms on large eccentric orbits). An object sgp4 loses during the window
   is decaying and keeps no lower edge. Measured on the July 2024 public catalog (the station's
   7-day window from its epoch, 120 s steps, the 23,569 objects with perigee under 3,000 km
   that sgp4 keeps to the end): no propagated radius comes within 9.4 km of the padded shell's
   edges, i.e. the osculating radius leaves the mean shell by at most ~11 km against a pad of
   at least 20 km.
2. **Orbit path** (Hoots, Crawford & Roehrich 1984). Two objects can only meet where their
   orbit *paths* (the curves, wherever on them the objects are) come within ``D``; two paths in
   different planes come close only near the mutual line of nodes, so a pair whose radii at
   both node crossings differ by more than ``D`` (plus allowances) is dropped. Made strict by
   reading the geometry at the shell's sample instants (:class:`MeanOrbits`: SGP4's mean
   ``a, e, i, Ω, ω``, ``Satrec.am/em/im/Om/om``; each sample stands for the times nearer to it
   than to the next) and bounding, per object and sample, (a) the angle ``β`` between the true
   position and the sample's plane: the plane's turn to either neighbouring sample (J2
   precesses it by up to ~5°/day, differently per object) plus :data:`ORBIT_PATH_PLANE_RAD`;
   (b) the error of the position's in-plane angle from the sample's perigee: the perigee's and
   node's turns plus :data:`ORBIT_PATH_ANGLE_RAD`; (c) the radius error against the sample's
   ellipse ``p/(1 + e cos f)``: :func:`radial_pad_km` plus the change of ``p`` and ``e``.
   Then, with ``I`` the planes' relative inclination and ``k`` their line of nodes, a pair
   within ``D`` has ``|r_A·n_B| ≤ D + z_A + z_B`` (``z = β·R`` the out-of-plane allowances,
   ``R`` the largest radius where the two can meet), so each object is within an angle
   ``arcsin((D + z_A + z_B)/(ρ sin I))`` of the *same* node (``ρ`` its least in-plane
   radius; at opposite nodes they would be thousands of km apart along ``k``), and there
   ``||r_A| − |r_B|| ≤ D``: the radius ranges of the two padded ellipses over those windows
   (widened by (b)) must overlap within ``D`` at one node. A pair is dropped only when they
   overlap at neither node at every sample. Not judged (kept): windows over ±30° (nearly
   coplanar orbits: the line of nodes is ill-defined), ``e >`` :data:`ORBIT_PATH_MAX_E`, and
   deep-space orbits (``a >`` :data:`ORBIT_PATH_MAX_A_KM`, a period over 225 min: SDP4's
   lunisolar terms are absent from the mean elements), and objects sgp4 refuses at a sample.
   Measured on the July 2024 public catalog (the station's 7-day window, every object every
   300 s): for near-Earth objects the sample-to-sample turn of the plane alone covers the
   plane allowance and the radial band holds with at least 9.4 km to spare. Deep-space
   orbits up to 45,000 km stayed inside allowances too, by a thinner margin (0.0017 rad), and
   beyond that both failed; they are left unjudged on purpose, for safety over speed. On that
   catalog the filter drops the station's non-intersecting near-Earth pairs (counted in
   ``ScreeningStats.after_orbit_path``) at a cost of ~0.1 s.
3. **Coarse time search.** Each surviving secondary (in blocks of :data:`BLOCK_OBJECTS`, so
   memory stays bounded whatever the catalog size) is propagated with sgp4's ``SatrecArray`` on
   a grid of step ``h`` (default :data:`COARSE_STEP_S`). Every grid interval where the range
   rate changes sign from negative to positive (``ρ·ρ̇ < 0`` at the left end, ``≥ 0`` at the
   right) holds a local minimum of range. It can hide an approach under ``D`` only if
   ``(ρ₀ + ρ₁ − V·h)/2 ≤ D``, since range changes at most at the relative speed ``V``; ``V`` is
   bounded per interval by the sum of the two inertial speeds at its ends plus ``2·g₀·h``
   (no speed can change faster than surface gravity, ``g₀ ≈ 9.8 m/s²``). That is the *speed
   gate*: strict, and at LEO speeds (``V`` up to ~15.6 km/s head-on) with ``h = 120 s`` it keeps
   every minimum whose sampled range is below ~1,100 km.
   Why a sign change cannot be missed: an interval would hide a minimum only if it also held a
   maximum (two sign changes). Range extrema between two Earth orbiters are separated by a
   sizeable fraction of an orbit (node crossings, or the relative-motion ellipse of co-orbiting
   objects: half a period apart, ≥ 40 min for anything in orbit), far longer than ``h``. The
   one exception, objects flying in formation with nearly zero relative speed, is what
   :func:`co_orbiting` finds; callers list those as attached.
4. **Interpolated minimum.** Within each gated interval the relative position is a cubic
   Hermite polynomial from the two end states (positions *and* velocities, both from SGP4); its
   minimum distance is found by bracketed Newton steps (:func:`spacehome.orbit.search.newton_roots`
   on ``p·p'``). The interpolation error is ``h⁴/384·max|p⁗|`` with ``|p⁗| ≲ 2·n⁴·r`` (``n`` the
   mean motion, or the angular rate at perigee): about 12 m in LEO at ``h = 120 s``, ~30 m at
   the perigee of a transfer orbit. Intervals whose interpolated miss is under
   ``D`` + :data:`INTERPOLATION_MARGIN_KM` (1 km, over thirty times that bound) go on.
5. **Refinement** (:func:`refine_event`). The time of closest approach is the zero of the
   exact SGP4 range rate ``ρ·ρ̇`` inside the interval, by SciPy's ``brentq`` to
   :data:`TCA_TOLERANCE_S`; miss distance, its components in the primary's RTN frame and the relative speed are taken there. Events
   with miss distance over ``D`` are dropped.

The chain is checked against a brute force that skips every filter (every 5 s, every object,
refined on range by ``minimize_scalar``): on the public catalog, the station, the first 6 h
and a 200 km threshold, the same 497 approaches, TCAs within 2.1 ms and misses within 1 mm
(``benchmarks/screening.py --check-hours 6 --check-threshold-km 200``); the tests do the same
on generated catalogs with planted conjunctions.

Times inside are TT seconds from the window start (:mod:`spacehome.orbit.timebase`); SGP4 gets
UTC Julian dates from :class:`~spacehome.orbit.timebase.Instants`, and a refined time inside a
grid interval is that interval's UTC date plus the offset (exact unless a leap second falls in
those two minutes). Only minima strictly inside the window are events.

Objects that cannot be propagated (sgp4 error codes: decayed, eccentricity out of range) are
reported as :class:`ScreeningFailure` with the reason and the first failing time; approaches
before the failure are still screened.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sgp4.api import Satrec, SatrecArray

from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import require_utc
from spacehome.errors import ValidationError

from .elements import satrec
from .propagation import reason
from .search import newton_roots
from .timebase import DAY_S, Instants, offset_datetimes

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Default screening window and miss-distance threshold (issue 7).
DEFAULT_DAYS = 7.0
DEFAULT_THRESHOLD_KM = 5.0
#: Coarse grid step (s). See the module docstring for why no approach hides between samples.
COARSE_STEP_S = 120.0
#: Secondaries propagated together: (block, grid, 3) float64 states stay at a few tens of MB.
BLOCK_OBJECTS = 256
#: Added to the threshold when gating on the interpolated miss distance (km).
INTERPOLATION_MARGIN_KM = 1.0
#: TCA refinement tolerance (s).
TCA_TOLERANCE_S = 1e-6
#: Spacing (s) of the instants at which the apogee/perigee filter reads each mean orbit.
SHELL_SAMPLE_S = 12 * 3600.0
#: Default distance under which a secondary counts as co-orbiting for the whole window (km).
CO_ORBIT_KM = 0.5
#: Orbit-path filter: allowance (rad) for the osculating plane leaving the mean one, added to the
#: plane's turn between samples (measured on the public catalog: see the module docstring).
ORBIT_PATH_PLANE_RAD = 0.005
#: Orbit-path filter: allowance (rad) for the position's in-plane angle (from the mean perigee)
#: leaving the mean orbit's, added to the perigee's turn between samples.
ORBIT_PATH_ANGLE_RAD = 0.02
#: Orbit-path filter: orbits more eccentric than this, or larger (mean semi-major axis, km) than a
#: near-Earth orbit of SGP4 (period under 225 min: the deep-space branch adds lunisolar terms
#: the mean elements leave out, and its allowances rest on measurement alone), are not judged
#: (the pair is kept).
ORBIT_PATH_MAX_E = 0.8
ORBIT_PATH_MAX_A_KM = (398600.8 * (225.0 * 60.0 / (2.0 * np.pi)) ** 2) ** (1.0 / 3.0)  # 12,255 km
#: Orbit-path filter: a pair is not judged at a sample whose node windows exceed ±30°.
_MAX_WINDOW_SINE = 0.5
#: WGS72 equatorial radius (km), the unit of sgp4's ``a`` and ``am``.
_RE_KM = 6378.135
#: Surface gravity (km/s²): no orbiting object's speed changes faster.
SURFACE_GRAVITY_KM_S2 = 398600.8 / _RE_KM**2


def radial_pad_km(a_km: FloatArray, e: FloatArray) -> FloatArray:
    """How far SGP4's osculating radius may leave the mean shell ``a(1 ± e)`` (km)."""
    return 20.0 + 0.01 * a_km * e


@dataclass(frozen=True)
class Conjunction:
    """One close approach: ``secondary`` as seen from ``primary`` at the TCA."""

    primary: int
    secondary: int
    primary_name: str | None
    secondary_name: str | None
    tca: datetime
    miss_km: float
    radial_km: float
    in_track_km: float
    cross_track_km: float
    relative_speed_km_s: float


@dataclass(frozen=True)
class ScreeningFailure:
    """An object sgp4 cannot propagate over (part of) the window."""

    catalog_number: int
    name: str | None
    code: int
    reason: str
    #: First failing grid instant; the window's end for an object the apogee/perigee filter left
    #: out (it fails somewhere before); None when sgp4 refuses the element set itself.
    at: datetime | None


@dataclass
class ScreeningStats:
    """Counts after each filter, summed over primaries (pairs, not objects)."""

    pairs: int = 0
    after_apogee_perigee: int = 0
    after_orbit_path: int = 0
    range_minima: int = 0
    after_speed_gate: int = 0
    after_interpolation: int = 0
    events: int = 0


@dataclass(frozen=True)
class ScreeningResult:
    start: datetime
    end: datetime
    threshold_km: float
    events: list[Conjunction]
    failures: list[ScreeningFailure]
    stats: ScreeningStats = field(default_factory=ScreeningStats)


@dataclass(frozen=True)
class CoOrbit:
    """A secondary that stays within ``max_range_km`` of the primary for the whole window."""

    primary: int
    secondary: int
    secondary_name: str | None
    max_range_km: float
    mean_range_km: float


def rtn_components(
    r_km: FloatArray, v_km_s: FloatArray, d_km: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``d`` in the RTN frame of the state ``(r, v)``: radial, in-track (transverse), cross-track.

    ``R = r/|r|``, ``N = r×v/|r×v|``, ``T = N×R``; arrays broadcast over leading axes.
    """
    r_hat = r_km / np.linalg.norm(r_km, axis=-1, keepdims=True)
    h = np.cross(r_km, v_km_s)
    n_hat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    t_hat = np.cross(n_hat, r_hat)
    return (
        np.einsum("...j,...j->...", d_km, r_hat),
        np.einsum("...j,...j->...", d_km, t_hat),
        np.einsum("...j,...j->...", d_km, n_hat),
    )


def _check_window(
    days: float, threshold_km: float, step_s: float, what: str = "miss-distance threshold",
) -> None:
    if not np.isfinite(days) or days <= 0:
        raise ValidationError(f"screening window is {days} days; give a positive number of days")
    if not np.isfinite(threshold_km) or threshold_km <= 0:
        raise ValidationError(f"{what} is {threshold_km} km; give a positive distance in km")
    if not 0 < step_s <= 300:
        raise ValidationError(
            f"coarse step is {step_s} s; use 1-300 s (the screen's no-miss argument assumes "
            "a step far below an orbit)"
        )


@dataclass(frozen=True)
class MeanOrbits:
    """SGP4's mean elements (``Satrec.am``/``em``/``im``/``Om``/``om``, updated by every
    ``sgp4()`` call) of each object at each sample instant: ``(samples, objects)`` arrays, NaN
    where sgp4 refused the object (``codes`` holds its error code there)."""

    a_km: FloatArray
    e: FloatArray
    inc: FloatArray
    node: FloatArray
    argp: FloatArray
    codes: NDArray[np.int64]


def mean_orbits(sats: Sequence[Satrec], samples: Instants) -> MeanOrbits:
    """The mean orbit of each of ``sats`` at each of ``samples`` (see :class:`MeanOrbits`)."""
    m = len(sats)
    k = len(samples)
    values = np.full((5, k, m), np.nan)
    codes = np.zeros((k, m), dtype=np.int64)
    for j in range(k):
        jd, fr = float(samples.jd_utc[j]), float(samples.fr_utc[j])
        for i, sat in enumerate(sats):
            code, _, _ = sat.sgp4(jd, fr)
            if code == 0:
                values[:, j, i] = (sat.am * _RE_KM, sat.em, sat.im, sat.Om, sat.om)
            else:
                codes[j, i] = code
    return MeanOrbits(values[0], values[1], values[2], values[3], values[4], codes)


def _shell(orbits: MeanOrbits) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Lowest and highest radius (km) each object's mean orbit can reach over the window, and
    sgp4's status at the window's end.

    The mean ``a(1 ± e)`` is read from sgp4 (``Satrec.am``/``em``) at every sample instant
    (the window's start, every :data:`SHELL_SAMPLE_S`, its end): SGP4's drag terms are
    polynomials in time from the epoch, so the mean orbit may rise then fall (negative B*)
    inside the window, and a window far from the epoch is far from the epoch's shell. Between
    samples the shell is widened by the largest change seen between two samples, then by
    :func:`radial_pad_km`. An object sgp4 loses at some sample is decaying: its low edge is
    minus infinity (it can pass through any shell below on the way down).
    """
    q = orbits.a_km * (1.0 - orbits.e)
    big_q = orbits.a_km * (1.0 + orbits.e)
    codes = orbits.codes
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: refused at every sample
        step_q = np.nanmax(np.abs(np.diff(q, axis=0)), axis=0, initial=0.0)
        step_big = np.nanmax(np.abs(np.diff(big_q, axis=0)), axis=0, initial=0.0)
        a_mid = 0.5 * (np.nanmax(big_q, axis=0) + np.nanmin(q, axis=0))
        e_max = (np.nanmax(big_q, axis=0) - np.nanmin(q, axis=0)) / (2.0 * a_mid)
        pad = radial_pad_km(a_mid, e_max)
        low = np.nanmin(q, axis=0) - step_q - pad
        high = np.nanmax(big_q, axis=0) + step_big + pad
    lost = codes.any(axis=0)
    low[lost] = -np.inf
    high[np.isnan(high)] = np.inf
    return low, high, codes[-1]


def _wrap(angle: FloatArray) -> FloatArray:
    """Angles (rad) into ``[-π, π)``."""
    return np.asarray((angle + np.pi) % (2.0 * np.pi) - np.pi, dtype=np.float64)


def _adjacent(step: FloatArray) -> FloatArray:
    """Per sample, the larger change over the sampling intervals on either side of it:
    ``step`` is ``(samples - 1, objects)``, the result ``(samples, objects)``."""
    before = np.concatenate([step[:1], step], axis=0)
    after = np.concatenate([step, step[-1:]], axis=0)
    return np.asarray(np.maximum(before, after), dtype=np.float64)


@dataclass(frozen=True)
class OrbitPaths:
    """Each object's mean orbit path at each sample instant, with the allowances of the
    orbit-path filter (``(samples, objects)`` arrays; vectors ``(samples, objects, 3)``)."""

    normal: FloatArray  # unit angular momentum: the plane
    node: FloatArray  # unit vector to the ascending node on the equator
    ahead: FloatArray  # normal × node: in the plane, 90° ahead of the node
    p_km: FloatArray  # semi-latus rectum a(1 - e²)
    e: FloatArray
    argp: FloatArray
    #: Bound (rad) on the angle between the true position and the sample's plane over the
    #: times the sample stands for; on the in-plane angle error (rad) of the position measured
    #: from the sample's perigee; and on the radius error (km) against the sample's ellipse.
    plane_pad: FloatArray
    angle_pad: FloatArray
    radial_pad: FloatArray
    #: False for objects the filter must not judge (sgp4 refused them at some sample, or too
    #: eccentric for the allowances).
    usable: NDArray[np.bool_]


def orbit_paths(orbits: MeanOrbits) -> OrbitPaths:
    """The orbit-path filter's geometry from the sampled mean orbits (module docstring, stage 2)."""
    inc, node, e = orbits.inc, orbits.node, orbits.e
    ci, si, cn, sn = np.cos(inc), np.sin(inc), np.cos(node), np.sin(node)
    normal = np.stack([si * sn, -si * cn, ci], axis=-1)
    to_node = np.stack([cn, sn, np.zeros_like(cn)], axis=-1)
    ahead = np.cross(normal, to_node)
    p_km = orbits.a_km * (1.0 - e * e)
    with np.errstate(invalid="ignore"):
        tilt = 2.0 * np.arcsin(np.minimum(np.linalg.norm(np.diff(normal, axis=0), axis=-1) / 2.0, 1.0))
        turn = np.abs(_wrap(np.diff(orbits.argp, axis=0))) + np.abs(_wrap(np.diff(node, axis=0)))
        d_p = np.abs(np.diff(p_km, axis=0))
        d_e = np.abs(np.diff(e, axis=0))
        plane_pad = _adjacent(tilt) + ORBIT_PATH_PLANE_RAD
        angle_pad = _adjacent(turn) + ORBIT_PATH_ANGLE_RAD
        radial_pad = (
            radial_pad_km(orbits.a_km, e)
            + _adjacent(d_p) / (1.0 - e) + p_km * _adjacent(d_e) / (1.0 - e) ** 2
        )
        usable = (
            (orbits.codes == 0).all(axis=0)
            & (e <= ORBIT_PATH_MAX_E).all(axis=0)
            & (orbits.a_km <= ORBIT_PATH_MAX_A_KM).all(axis=0)
            & np.isfinite(plane_pad + angle_pad + radial_pad).all(axis=0)
        )
    return OrbitPaths(normal, to_node, ahead, p_km, e, orbits.argp, plane_pad, angle_pad,
                      radial_pad, usable)


def _radius_range(
    p_km: FloatArray, e: FloatArray, centre: FloatArray, half: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Least and greatest radius ``p / (1 + e cos f)`` for true anomalies ``f`` within ``half`` of
    ``centre``."""
    c1, c2 = np.cos(centre - half), np.cos(centre + half)
    top = np.where(np.abs(_wrap(centre)) <= half, 1.0, np.maximum(c1, c2))
    bottom = np.where(np.abs(_wrap(centre - np.pi)) <= half, -1.0, np.minimum(c1, c2))
    return p_km / (1.0 + e * top), p_km / (1.0 + e * bottom)


def orbit_paths_apart(
    primary: OrbitPaths,
    primary_low: float,
    primary_high: float,
    others: OrbitPaths,
    others_low: FloatArray,
    others_high: FloatArray,
    threshold_km: float,
) -> NDArray[np.bool_]:
    """Which of ``others`` (all their columns) cannot come within ``threshold_km`` of the
    one-object ``primary`` (its column 0) at any time of the window, by the orbit-path filter.

    ``*_low``/``*_high`` are the padded radial shells (:func:`_shell`). See the module
    docstring (stage 2) for the argument; True only where it proves the pair apart at every
    sample.
    """
    d = threshold_km
    n_p, n_s = primary.normal[:, :1], others.normal
    across = np.cross(n_p, n_s)
    sin_i = np.linalg.norm(across, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        reach = np.minimum(primary_high, others_high) + d  # largest radius where they can meet
        z_p = primary.plane_pad[:, :1] * reach
        z_s = others.plane_pad * reach
        in_p = np.maximum(primary_low, others_low - d) - z_p  # least in-plane radius
        in_s = np.maximum(others_low, primary_low - d) - z_s
        out = d + z_p + z_s
        s_p = np.where(in_p > 0.0, out / (in_p * sin_i), np.inf)
        s_s = np.where(in_s > 0.0, out / (in_s * sin_i), np.inf)
        judged = (s_p <= _MAX_WINDOW_SINE) & (s_s <= _MAX_WINDOW_SINE)
        w_p = np.arcsin(np.minimum(s_p, _MAX_WINDOW_SINE))
        w_s = np.arcsin(np.minimum(s_s, _MAX_WINDOW_SINE))
        # the two at opposite nodes are further apart than their distances along the node line
        judged &= in_p * np.cos(w_p) + in_s * np.cos(w_s) > d
        line = across / sin_i[..., None]
        u_p = np.arctan2(
            np.einsum("...j,...j->...", line, primary.ahead[:, :1]),
            np.einsum("...j,...j->...", line, primary.node[:, :1]),
        )
        u_s = np.arctan2(
            np.einsum("...j,...j->...", line, others.ahead),
            np.einsum("...j,...j->...", line, others.node),
        )
        apart = judged & primary.usable[0] & others.usable[None, :]
        for side in (0.0, np.pi):
            lo_p, hi_p = _radius_range(
                primary.p_km[:, :1], primary.e[:, :1], u_p + side - primary.argp[:, :1],
                w_p + primary.angle_pad[:, :1],
            )
            lo_s, hi_s = _radius_range(
                others.p_km, others.e, u_s + side - others.argp, w_s + others.angle_pad,
            )
            lo_p, hi_p = lo_p - primary.radial_pad[:, :1], hi_p + primary.radial_pad[:, :1]
            lo_s, hi_s = lo_s - others.radial_pad, hi_s + others.radial_pad
            apart &= (lo_s - hi_p > d) | (lo_p - hi_s > d)
    return np.asarray(apart.all(axis=0), dtype=np.bool_)


def _columns(paths: OrbitPaths, idx: IntArray) -> OrbitPaths:
    return OrbitPaths(
        paths.normal[:, idx], paths.node[:, idx], paths.ahead[:, idx], paths.p_km[:, idx],
        paths.e[:, idx], paths.argp[:, idx], paths.plane_pad[:, idx], paths.angle_pad[:, idx],
        paths.radial_pad[:, idx], paths.usable[idx],
    )


def _first_failure(status: NDArray[np.uint8]) -> tuple[IntArray, IntArray]:
    rows = np.flatnonzero(status.any(axis=1))
    cols = np.array([int(np.flatnonzero(status[r])[0]) for r in rows], dtype=np.intp)
    return rows, cols


def _failure(s: ElementSet, code: int, grid: Instants | None, col: int) -> ScreeningFailure:
    return ScreeningFailure(
        catalog_number=s.catalog_number,
        name=s.name,
        code=code,
        reason=reason(code),
        at=grid.datetime_at(col) if grid is not None else None,
    )


def hermite_minimum(
    p0: FloatArray, v0: FloatArray, p1: FloatArray, v1: FloatArray, h: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Minimum distance (km) and its fraction ``s ∈ [0, 1]`` of the interval, for relative
    motion interpolated by the cubic Hermite polynomial through both end states."""
    hv0 = h[:, None] * v0
    hv1 = h[:, None] * v1
    c0, c1 = p0, hv0
    c2 = -3.0 * p0 - 2.0 * hv0 + 3.0 * p1 - hv1
    c3 = 2.0 * p0 + hv0 - 2.0 * p1 + hv1

    def poly(s: FloatArray, k: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        s_ = s[:, None]
        p = c0[k] + s_ * (c1[k] + s_ * (c2[k] + s_ * c3[k]))
        dp = c1[k] + s_ * (2.0 * c2[k] + 3.0 * s_ * c3[k])
        ddp = 2.0 * c2[k] + 6.0 * s_ * c3[k]
        return p, dp, ddp

    def f_and_slope(s: FloatArray, k: IntArray) -> tuple[FloatArray, FloatArray]:
        p, dp, ddp = poly(s, k)
        return (
            np.einsum("ij,ij->i", p, dp),
            np.einsum("ij,ij->i", dp, dp) + np.einsum("ij,ij->i", p, ddp),
        )

    n = p0.shape[0]
    which = np.arange(n, dtype=np.intp)
    s = newton_roots(
        f_and_slope, np.zeros(n), np.ones(n), which,
        negative_at_lo=np.ones(n, dtype=bool), xatol=1e-7,
    )
    p, _, _ = poly(s, which)
    return np.linalg.norm(p, axis=-1), s


class Refiner:
    """Exact SGP4 range rate of one pair near one grid interval, for ``brentq``."""

    def __init__(self, primary: Satrec, secondary: Satrec, jd: float, fr: float, t0: float):
        self.p, self.s, self.jd, self.fr, self.t0 = primary, secondary, jd, fr, t0

    def states(self, t: float) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        fr = self.fr + (t - self.t0) / DAY_S
        _, rp, vp = self.p.sgp4(self.jd, fr)
        _, rs, vs = self.s.sgp4(self.jd, fr)
        return np.array(rp), np.array(vp), np.array(rs), np.array(vs)

    def range_rate(self, t: float) -> float:
        fr = self.fr + (t - self.t0) / DAY_S
        _, rp, vp = self.p.sgp4(self.jd, fr)
        _, rs, vs = self.s.sgp4(self.jd, fr)
        return sum((b - a) * (d - c) for a, b, c, d in zip(rp, rs, vp, vs, strict=True))


def refine_event(
    primary: ElementSet,
    primary_sat: Satrec,
    secondary: ElementSet,
    secondary_sat: Satrec,
    start: datetime,
    jd: float,
    fr: float,
    t_lo: float,
    t_hi: float,
    threshold_km: float,
    *,
    check_left: bool = False,
) -> Conjunction | None:
    """The approach of ``secondary`` to ``primary`` inside the grid interval ``[t_lo, t_hi]``
    (TT seconds from ``start``; ``jd + fr`` is the UTC Julian date at ``t_lo``), or None.

    The TCA is the zero of the exact SGP4 range rate, by ``brentq`` to :data:`TCA_TOLERANCE_S`
    (stage 5 of the module docstring). None when the exact range rate is still negative at
    ``t_hi`` (or, with ``check_left``, already non-negative at ``t_lo``): the grid saw a sign
    change the exact ends do not; and None when the miss is over ``threshold_km``.
    """
    from scipy.optimize import brentq

    ref = Refiner(primary_sat, secondary_sat, jd, fr, t_lo)
    if check_left and ref.range_rate(t_lo) >= 0.0:
        return None
    if ref.range_rate(t_hi) < 0.0:  # the grid saw a sign change; trust exact ends
        return None
    tca = float(brentq(ref.range_rate, t_lo, t_hi, xtol=TCA_TOLERANCE_S))
    a_r, a_v, b_r, b_v = ref.states(tca)
    d = b_r - a_r
    miss_km = float(np.linalg.norm(d))
    if miss_km > threshold_km:
        return None
    rad, intr, cross = rtn_components(a_r, a_v, d)
    moment = offset_datetimes(start, np.array([tca]))[0]
    assert moment is not None
    return Conjunction(
        primary=primary.catalog_number,
        secondary=secondary.catalog_number,
        primary_name=primary.name,
        secondary_name=secondary.name,
        tca=moment,
        miss_km=miss_km,
        radial_km=float(rad),
        in_track_km=float(intr),
        cross_track_km=float(cross),
        relative_speed_km_s=float(np.linalg.norm(b_v - a_v)),
    )


def screen(
    primaries: Sequence[ElementSet],
    catalog: Iterable[ElementSet],
    start: datetime,
    *,
    days: float = DEFAULT_DAYS,
    threshold_km: float = DEFAULT_THRESHOLD_KM,
    step_s: float = COARSE_STEP_S,
    exclude: Iterable[int] = (),
    block: int = BLOCK_OBJECTS,
) -> ScreeningResult:
    """Every approach under ``threshold_km`` between each primary and the catalog objects over
    ``[start, start + days]``, sorted by TCA.

    Catalog objects with a primary's catalog number, or listed in ``exclude`` (for example the
    objects :func:`co_orbiting` found attached), are not screened against it. Objects sgp4
    cannot propagate are reported in ``failures`` (once each), never fatal.
    """
    start = require_utc(start, "screening start")
    _check_window(days, threshold_km, step_s)
    end = start + timedelta(days=days)
    grid = Instants.span(start, end, step_s)
    window_s = (end - start).total_seconds()
    shell_samples = Instants.at(
        start, np.append(np.arange(0.0, window_s, SHELL_SAMPLE_S), window_s)
    )
    offsets = grid.offsets_s
    dt = np.diff(offsets)
    excluded = set(exclude)

    sets = list(catalog)
    sats = [satrec(s) for s in sets]
    failures: dict[int, ScreeningFailure] = {}
    usable = np.ones(len(sets), dtype=bool)
    for i, (s, sat) in enumerate(zip(sets, sats, strict=True)):
        if sat.error != 0:
            failures[s.catalog_number] = _failure(s, int(sat.error), None, 0)
            usable[i] = False
    orbits = mean_orbits(sats, shell_samples)
    low, high, end_codes = _shell(orbits)
    paths = orbit_paths(orbits)
    numbers = np.array([s.catalog_number for s in sets], dtype=np.int64)

    stats = ScreeningStats()
    events: list[Conjunction] = []
    for prim in primaries:
        p_sat = satrec(prim)
        e_p, r_p, v_p = SatrecArray([p_sat]).sgp4(grid.jd_utc, grid.fr_utc)
        if e_p.any():
            first = int(np.flatnonzero(e_p[0])[0])
            failures.setdefault(
                prim.catalog_number, _failure(prim, int(e_p[0, first]), grid, first)
            )
            continue
        rp, vp = r_p[0], v_p[0]
        speed_p = np.linalg.norm(vp, axis=-1)
        radius_p = np.linalg.norm(rp, axis=-1)
        keep = usable & (numbers != prim.catalog_number)
        if excluded:
            keep &= ~np.isin(numbers, list(excluded))
        stats.pairs += int(keep.sum())
        keep &= (low - threshold_km <= radius_p.max()) & (high + threshold_km >= radius_p.min())
        stats.after_apogee_perigee += int(keep.sum())
        p_orbits = mean_orbits([p_sat], shell_samples)
        p_low, p_high, _ = _shell(p_orbits)
        shelled = np.flatnonzero(keep)
        apart = orbit_paths_apart(
            orbit_paths(p_orbits), float(p_low[0]), float(p_high[0]),
            _columns(paths, shelled), low[shelled], high[shelled], threshold_km,
        )
        keep[shelled[apart]] = False
        chosen = np.flatnonzero(keep)
        stats.after_orbit_path += chosen.size

        for lo in range(0, chosen.size, block):
            idx = chosen[lo : lo + block]
            status, r, v = SatrecArray([sats[i] for i in idx]).sgp4(grid.jd_utc, grid.fr_utc)
            if status.any():
                rows, cols = _first_failure(status)
                for fail_row, fail_col in zip(rows.tolist(), cols.tolist(), strict=True):
                    obj = sets[idx[fail_row]]
                    failures.setdefault(
                        obj.catalog_number,
                        _failure(obj, int(status[fail_row, fail_col]), grid, fail_col),
                    )
                bad = status != 0
                r[bad] = np.nan
                v[bad] = np.nan
            r -= rp  # relative position and velocity, in place
            speed_s = np.linalg.norm(v, axis=-1)
            v -= vp
            f = np.einsum("ijk,ijk->ij", r, v)
            rng = np.linalg.norm(r, axis=-1)
            row, col = np.nonzero((f[:, :-1] < 0.0) & (f[:, 1:] >= 0.0))
            stats.range_minima += row.size
            total = speed_s + speed_p
            v_bound = np.maximum(total[row, col], total[row, col + 1]) + 2.0 * SURFACE_GRAVITY_KM_S2 * dt[col]
            gate = 0.5 * (rng[row, col] + rng[row, col + 1] - v_bound * dt[col]) <= threshold_km
            row, col = row[gate], col[gate]
            stats.after_speed_gate += row.size
            if row.size == 0:
                continue
            miss, _ = hermite_minimum(
                r[row, col], v[row, col], r[row, col + 1], v[row, col + 1], dt[col]
            )
            near = miss <= threshold_km + INTERPOLATION_MARGIN_KM
            row, col = row[near], col[near]
            stats.after_interpolation += row.size
            for k, c in zip(row.tolist(), col.tolist(), strict=True):
                ev = refine_event(
                    prim, p_sat, sets[idx[k]], sats[idx[k]], start,
                    float(grid.jd_utc[c]), float(grid.fr_utc[c]),
                    float(offsets[c]), float(offsets[c + 1]), threshold_km,
                )
                if ev is not None:
                    events.append(ev)
    # Objects the apogee/perigee filter left out are not propagated on the grid; one that sgp4
    # cannot take to the window's end is still reported (its first failure lies before the end).
    for i in np.flatnonzero(usable & (end_codes != 0)).tolist():
        obj = sets[i]
        if obj.catalog_number not in failures:
            failures[obj.catalog_number] = ScreeningFailure(
                obj.catalog_number, obj.name, int(end_codes[i]), reason(int(end_codes[i])), end
            )
    events.sort(key=lambda e: (e.tca, e.primary, e.secondary))
    stats.events = len(events)
    return ScreeningResult(
        start=start,
        end=end,
        threshold_km=threshold_km,
        events=events,
        failures=sorted(failures.values(), key=lambda f: f.catalog_number),
        stats=stats,
    )


def co_orbiting(
    primary: ElementSet,
    catalog: Iterable[ElementSet],
    start: datetime,
    *,
    days: float = DEFAULT_DAYS,
    within_km: float = CO_ORBIT_KM,
    step_s: float = 60.0,
) -> list[CoOrbit]:
    """Catalog objects that stay within ``within_km`` of ``primary`` for the whole window.

    These are vehicles flying attached to (or in tight formation with) the primary, such as a
    docked ship's or a module's own element set: callers list them as attached rather than as
    conjunctions. Co-orbiting objects drift by metres per second at most, so the range sampled
    every ``step_s`` (60 s) misses its true maximum by well under a metre per 0.01 m/s of drift
    speed. An object that fails to propagate anywhere in the window is not co-orbiting.
    """
    start = require_utc(start, "co-orbit start")
    _check_window(days, within_km, step_s, "co-orbit distance")
    end = start + timedelta(days=days)
    grid = Instants.span(start, end, step_s)
    e_p, r_p, _ = SatrecArray([satrec(primary)]).sgp4(grid.jd_utc, grid.fr_utc)
    if e_p.any():
        col = int(np.flatnonzero(e_p[0])[0])
        raise ValidationError(
            f"{primary.label()} cannot be propagated at {grid.datetime_at(col):%Y-%m-%dT%H:%M:%SZ}"
            f": {reason(int(e_p[0, col]))}; use a newer element set"
        )
    rp = r_p[0]
    radius = np.linalg.norm(rp, axis=-1)
    sets = [s for s in catalog if s.catalog_number != primary.catalog_number]
    sats = [satrec(s) for s in sets]
    # Cheap shell test first (mean orbits at the window's start and end): a co-orbiting object
    # sweeps the primary's shell.
    low, high, _ = _shell(mean_orbits(sats, Instants.at(start, [0.0, (end - start).total_seconds()])))
    shell = (low <= radius.max() + within_km) & (high >= radius.min() - within_km)
    # Then a sparse look (every 30th sample, ~30 min at 60 s): most same-shell objects are
    # thousands of km away at some point of it.
    sparse = slice(None, None, 30)
    for_sparse = np.flatnonzero(shell)
    if for_sparse.size:
        e_s, r_s, _ = SatrecArray([sats[i] for i in for_sparse]).sgp4(
            np.ascontiguousarray(grid.jd_utc[sparse]), np.ascontiguousarray(grid.fr_utc[sparse])
        )
        far = (np.linalg.norm(r_s - rp[sparse], axis=-1) > within_km) | (e_s != 0)
        shell[for_sparse[far.any(axis=1)]] = False
    out: list[CoOrbit] = []
    chosen = np.flatnonzero(shell)
    for lo in range(0, chosen.size, BLOCK_OBJECTS):
        idx = chosen[lo : lo + BLOCK_OBJECTS]
        status, r, _ = SatrecArray([sats[i] for i in idx]).sgp4(grid.jd_utc, grid.fr_utc)
        rng = np.linalg.norm(r - rp, axis=-1)
        rng[status != 0] = np.inf
        worst = rng.max(axis=1)
        for k in np.flatnonzero(worst <= within_km).tolist():
            s = sets[idx[k]]
            out.append(
                CoOrbit(
                    primary=primary.catalog_number,
                    secondary=s.catalog_number,
                    secondary_name=s.name,
                    max_range_km=float(worst[k]),
                    mean_range_km=float(rng[k].mean()),
                )
            )
    return out

