"""Passes of one object over many observers: rise, culmination and set, all observers at once.

The events are defined exactly as Skyfield's ``EarthSatellite.find_events`` defines them, so the
two can be compared event for event:

1. the topocentric elevation is sampled on Skyfield's grid (1/20 of an orbit, at most 6 h,
   from one step before the start to one step after the end);
2. every local maximum is refined; those at or above the observer's mask are culminations;
3. the observer is tested above/below the mask at the start, at each kept culmination, half-way
   between them, and at the end; wherever that flips, the crossing is refined into a rise or set.

Skyfield does this one observer at a time and refines each event to half a second by repeated
sampling. Here the satellite is propagated once per step for every observer and once onto a
fine table interpolated by cubic Hermite polynomials; every bracket of every observer is then
refined together, by safeguarded Newton steps on ``sin(elevation)`` whose slopes (and
curvatures, for culminations) come exactly from the interpolating polynomials, to a
millisecond.
Elevation is geometric (no refraction), relative to the WGS84 ellipsoid normal, as in Skyfield.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from math import tau
from typing import Any

import numpy as np
from numpy.typing import NDArray

from spacehome.domain.elements import ElementSet
from spacehome.domain.geo import check_latitude_longitude
from spacehome.domain.instant import require_utc
from spacehome.errors import ValidationError

from . import frames, search
from .eclipse import shadow_geometry
from .elements import satrec
from .propagation import require_propagated
from .sun import SunTable
from .timebase import DAY_S, Instants, offset_datetimes

FloatArray = NDArray[np.float64]

RISE, CULMINATION, SET = 0, 1, 2

#: Sun altitude below which the sky is dark enough to see a satellite (civil twilight), degrees.
DARK_SKY_SUN_ALTITUDE_DEG = -6.0
#: Sampling step used to decide whether (and when) a pass is visible to the naked eye, seconds.
VISIBILITY_STEP_S = 5.0


@dataclass(frozen=True)
class Observer:
    """A place on the ground (WGS84) with its elevation mask."""

    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    min_elevation_deg: float = 0.0

    def __post_init__(self) -> None:
        check_latitude_longitude(self.latitude_deg, self.longitude_deg)
        if not -500.0 <= self.altitude_m <= 9000.0:
            raise ValidationError(
                f"altitude {self.altitude_m} m is out of range: use metres above the WGS84 ellipsoid in [-500, 9000]"
            )
        if not -90.0 < self.min_elevation_deg < 90.0:
            raise ValidationError(
                f"minimum elevation {self.min_elevation_deg}° is out of range: use degrees in [0, 90)"
            )


@dataclass(frozen=True)
class PassPoint:
    time: datetime
    azimuth_deg: float
    elevation_deg: float
    range_km: float


@dataclass(frozen=True)
class Visibility:
    """Naked-eye visibility: the object sunlit while the observer's Sun is below -6°."""

    visible: bool
    start: datetime | None = None
    end: datetime | None = None
    #: At the visible sample with the smallest magnitude; None when no standard magnitude is known.
    best_magnitude: float | None = None
    best_time: datetime | None = None
    max_visible_elevation_deg: float | None = None


@dataclass(frozen=True)
class Pass:
    """One pass above an observer's mask. ``rise``/``set`` are None outside the window."""

    observer: int
    rise: PassPoint | None
    culmination: PassPoint
    set: PassPoint | None
    culminations: tuple[PassPoint, ...]
    visibility: Visibility | None = None

    @property
    def duration_s(self) -> float | None:
        if self.rise is None or self.set is None:
            return None
        return (self.set.time - self.rise.time).total_seconds()


@dataclass(frozen=True)
class Events:
    """Skyfield-style events for one observer: TT seconds from the start and codes 0/1/2."""

    offsets_s: FloatArray
    kinds: NDArray[np.int8]


class Topocentric:
    """One satellite seen from many observers (the vectorised heart of the pass search)."""

    def __init__(
        self, elements: ElementSet, observers: Sequence[Observer], start: datetime,
    ) -> None:
        self.elements = elements
        self.start = require_utc(start, "start time")
        self.sat = satrec(elements)
        lat = np.array([o.latitude_deg for o in observers], dtype=np.float64)
        lon = np.array([o.longitude_deg for o in observers], dtype=np.float64)
        alt_km = np.array([o.altitude_m for o in observers], dtype=np.float64) / 1000.0
        self.site_km = frames.observer_itrs(lat, lon, alt_km)  # (K, 3)
        self.basis = frames.enu_basis(lat, lon)  # (K, 3, 3)
        self.mask_deg = np.array([o.min_elevation_deg for o in observers], dtype=np.float64)
        self.sin_mask = np.sin(np.radians(self.mask_deg))
        self.up = np.ascontiguousarray(self.basis[:, 2, :])
        self.table: HermiteTable | None = None

    def sat_itrs(self, offsets_s: NDArray[np.floating[Any]]) -> tuple[FloatArray, Instants]:
        instants = Instants.at(self.start, offsets_s)
        e, r, _ = self.sat.sgp4_array(instants.jd_utc, instants.fr_utc)
        require_propagated(self.elements, instants, e)
        theta, _ = frames.gmst82(instants.jd_ut1, instants.fr_ut1)
        r_itrs, _ = frames.teme_to_itrs(r, theta)
        return r_itrs, instants

    def sine_elevation_grid(self, offsets_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``sin(elevation)`` for every observer × time, shape ``(K, N)``, and the positions (km).

        Written as matrix products (``ρ·up = r·up − site·up``, ``|ρ|² = |r|² − 2 r·site +
        |site|²``) so that BLAS does the observers × times work. The sine is monotonic in the
        elevation, so its grid maxima and mask crossings are the elevation's; no ``arcsin``.
        """
        r, _ = self.sat_itrs(offsets_s)
        u = self.up @ r.T
        u -= np.einsum("kj,kj->k", self.up, self.site_km)[:, None]
        rho2 = self.site_km @ r.T
        rho2 *= -2.0
        rho2 += np.einsum("nj,nj->n", r, r)[None, :]
        rho2 += np.einsum("kj,kj->k", self.site_km, self.site_km)[:, None]
        np.sqrt(rho2, out=rho2)
        u /= rho2
        return u, r

    def tabulate(self, first_s: float, last_s: float) -> None:
        """Propagate once onto a fine table; later look-ups interpolate it (see :class:`HermiteTable`)."""
        step_s = table_step_s(self.elements)
        count = int(np.ceil((last_s - first_s) / step_s)) + 1
        offsets = first_s + np.arange(-2, count + 3) * step_s
        r_itrs, _ = self.sat_itrs(offsets)  # raises the propagation error with time and reason
        self.table = HermiteTable(first_s, step_s, r_itrs)

    def look(self, offsets_s: FloatArray, observer: NDArray[np.intp]) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Azimuth, elevation (deg) and range (km) for paired times and observer indices."""
        if self.table is not None:
            r = self.table.position_km(offsets_s)
        else:
            r, _ = self.sat_itrs(offsets_s)
        rho = r - self.site_km[observer]
        return frames.azimuth_elevation(rho, self.basis[observer])

    def elevation(self, offsets_s: FloatArray, observer: FloatArray) -> FloatArray:
        """Elevation (deg) for paired times and observer indices (floats, for SciPy's ``args``)."""
        k = observer.astype(np.intp)
        r = self.table.position_km(offsets_s) if self.table is not None else self.sat_itrs(offsets_s)[0]
        rho = r - np.take(self.site_km, k, axis=0)
        u = np.einsum("nj,nj->n", rho, np.take(self.basis[:, 2, :], k, axis=0))
        return np.degrees(np.arcsin(u / np.sqrt(np.einsum("nj,nj->n", rho, rho))))

    def sine_elevation(self, offsets_s: FloatArray, k: NDArray[np.intp]) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``g = sin(elevation)`` and its first two time derivatives, from the Hermite table.

        With ``ρ`` the range vector, ``u = ρ·up`` and ``ρ = |ρ|``: ``g = u/ρ``,
        ``g' = u'/ρ − u ρ'/ρ²`` and ``g'' = u''/ρ − 2u'ρ'/ρ² − u ρ''/ρ² + 2u ρ'²/ρ³``, where
        ``ρ' = ρ·ṙ/ρ`` and ``ρ'' = (|ṙ|² + ρ·r̈ − ρ'²)/ρ``.
        """
        assert self.table is not None
        r, v, a = self.table.motion(offsets_s)
        up = np.take(self.up, k, axis=0)
        rho = r - np.take(self.site_km, k, axis=0)
        dist = np.sqrt(np.einsum("nj,nj->n", rho, rho))
        u = np.einsum("nj,nj->n", rho, up)
        du = np.einsum("nj,nj->n", v, up)
        ddu = np.einsum("nj,nj->n", a, up)
        ddist = np.einsum("nj,nj->n", rho, v) / dist
        dddist = (np.einsum("nj,nj->n", v, v) + np.einsum("nj,nj->n", rho, a) - ddist * ddist) / dist
        g = u / dist
        dg = (du - g * ddist) / dist
        ddg = (ddu - 2.0 * dg * ddist - g * dddist) / dist
        return g, dg, ddg


class HermiteTable:
    """Earth-fixed positions at a fixed step, interpolated by cubic Hermite polynomials.

    Node derivatives come from the positions themselves (fourth-order central differences), not
    from SGP4's velocities: SGP4's velocity is not exactly the derivative of its position (the
    deep-space terms differ by ~1e-5 relative), which would make the error grow with the step
    instead of its fourth power. With :func:`table_step_s` the interpolation error is at the
    centimetre level for low orbits; the tests check it against direct SGP4 calls.
    """

    def __init__(self, first_s: float, step_s: float, r_km: FloatArray) -> None:
        """``r_km`` holds nodes ``first_s - 2h .. last + 2h`` (two extra on each side)."""
        self.first_s = first_s
        self.step_s = step_s
        slope = (r_km[:-4] - 8.0 * r_km[1:-3] + 8.0 * r_km[3:-1] - r_km[4:]) / 12.0  # h·r'
        p = r_km[2:-2]
        p0, p1 = p[:-1], p[1:]
        m0, m1 = slope[:-1], slope[1:]
        self.coefficients = np.concatenate(
            [p0, m0, 3 * (p1 - p0) - 2 * m0 - m1, 2 * (p0 - p1) + m0 + m1], axis=1
        )  # (intervals, 12): x y z of the constant, linear, quadratic and cubic terms

    def position_km(self, offsets_s: FloatArray) -> FloatArray:
        x = (np.asarray(offsets_s, dtype=np.float64) - self.first_s) / self.step_s
        i = np.clip(x.astype(np.intp), 0, self.coefficients.shape[0] - 1)
        s = (x - i)[:, None]
        c = np.take(self.coefficients, i, axis=0)
        out = c[:, 9:12] * s
        out += c[:, 6:9]
        out *= s
        out += c[:, 3:6]
        out *= s
        out += c[:, 0:3]
        return out

    def motion(self, offsets_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Position (km), velocity (km/s) and acceleration (km/s²) of the interpolating cubic."""
        x = (np.asarray(offsets_s, dtype=np.float64) - self.first_s) / self.step_s
        i = np.clip(x.astype(np.intp), 0, self.coefficients.shape[0] - 1)
        s = (x - i)[:, None]
        c = np.take(self.coefficients, i, axis=0)
        c0, c1, c2, c3 = c[:, 0:3], c[:, 3:6], c[:, 6:9], c[:, 9:12]
        h = self.step_s
        r = ((c3 * s + c2) * s + c1) * s + c0
        v = ((3.0 * c3 * s + 2.0 * c2) * s + c1) / h
        a = (6.0 * c3 * s + 2.0 * c2) / (h * h)
        return r, v, a


def table_step_s(elements: ElementSet) -> float:
    """1/100 of an orbit (at most 4 min), shortened for eccentric orbits so perigee is sampled as finely."""
    e = elements.eccentricity
    step = elements.period_min * 60.0 / 100.0 * (1.0 - e) ** 1.5 / (1.0 + e) ** 0.5
    return min(step, 240.0)


def skyfield_step_s(elements: ElementSet) -> float:
    """Skyfield's ``find_events`` sampling step: 1/20 orbit, at most a quarter day (seconds)."""
    orbits_per_day = satrec(elements).no_kozai / tau * 24 * 60
    step_days = min(0.05 / max(orbits_per_day, 1.0), 0.25)
    return step_days * DAY_S


def find_events(
    elements: ElementSet, observers: Sequence[Observer], start: datetime, end: datetime,
) -> tuple[Topocentric, list[Events]]:
    """Rise / culmination / set events of one object for every observer (Skyfield's semantics)."""
    start = require_utc(start, "start time")
    end = require_utc(end, "end time")
    duration_s = (end - start).total_seconds()
    if duration_s <= 0:
        raise ValidationError(
            f"the search window ends ({end:%Y-%m-%dT%H:%M:%SZ}) before it starts: give a positive number of days"
        )
    if not observers:
        raise ValidationError("no observers given: name a city, a station, or --lat/--lon")
    topo = Topocentric(elements, observers, start)
    k_count = len(observers)

    # 1. Skyfield's grid, one step beyond each end.
    step_days = skyfield_step_s(elements) / DAY_S
    steps = int(duration_s / DAY_S / step_days) + 3
    real_step_s = duration_s / steps
    grid = np.linspace(-real_step_s, duration_s + real_step_s, steps + 2)
    sine, r_grid = topo.sine_elevation_grid(grid)
    topo.tabulate(grid[0], grid[-1])

    def slope_and_curvature(t: FloatArray, k: NDArray[np.intp]) -> tuple[FloatArray, FloatArray]:
        _, dg, ddg = topo.sine_elevation(t, k)
        return dg, ddg

    def above_and_slope(t: FloatArray, k: NDArray[np.intp]) -> tuple[FloatArray, FloatArray]:
        g, dg, _ = topo.sine_elevation(t, k)
        return g - topo.sin_mask[k], dg

    # 2. Culminations: refined grid maxima inside the window, at or above the mask. A maximum
    #    is where the slope of sin(elevation) changes sign inside its bracket of two steps.
    k_max, i_max = search.grid_maxima(sine)
    reachable = _may_reach_mask(topo, r_grid, real_step_s, k_max, i_max)
    k_max, i_max = k_max[reachable], i_max[reachable]
    lo, hi = grid[i_max - 1], grid[i_max + 1]
    slope_lo, _ = slope_and_curvature(lo, k_max)
    slope_hi, _ = slope_and_curvature(hi, k_max)
    regular = (slope_lo > 0.0) & (slope_hi < 0.0)
    t_max = np.empty(k_max.shape)
    t_max[regular] = search.newton_roots(
        slope_and_curvature, lo[regular], hi[regular], k_max[regular],
        first_guess=_parabola_vertex(grid, sine, k_max[regular], i_max[regular]),
        negative_at_lo=np.zeros(int(regular.sum()), dtype=bool),
        xatol=search.MAXIMUM_TOLERANCE_S,
    )
    if not regular.all():  # a flat or kinked bracket: derivative-free maximisation
        odd = ~regular
        t_max[odd], _ = search.refine_maxima(
            topo.elevation, lo[odd], grid[i_max[odd]], hi[odd], k_max[odd].astype(np.float64)
        )
    g_max, _, _ = topo.sine_elevation(t_max, k_max)
    keep = (t_max >= 0.0) & (t_max <= duration_s) & (g_max >= topo.sin_mask[k_max])
    k_max, t_max = k_max[keep], t_max[keep]
    order = np.lexsort((t_max, k_max))
    k_max, t_max = k_max[order], t_max[order]

    # 3. Rises and sets between: test points (start, midpoints, culminations, end) per observer.
    counts = np.bincount(k_max, minlength=k_count)
    points_k: list[NDArray[np.intp]] = []
    points_t: list[FloatArray] = []
    split = np.split(t_max, np.cumsum(counts)[:-1])
    for k, maxima in enumerate(split):
        doublets = np.repeat(np.concatenate(([0.0], maxima, [duration_s])), 2)
        pts = (doublets[:-1] + doublets[1:]) / 2.0
        points_t.append(pts)
        points_k.append(np.full(pts.shape, k, dtype=np.intp))
    pt = np.concatenate(points_t)
    pk = np.concatenate(points_k)
    below = above_and_slope(pt, pk)[0] < 0.0
    flips = np.flatnonzero((below[1:] != below[:-1]) & (pk[1:] == pk[:-1]))
    k_cross = pk[flips]
    lo, hi = _narrow_to_grid(
        grid, sine >= topo.sin_mask[:, None], pt[flips], pt[flips + 1], ~below[flips], k_cross
    )
    t_cross = search.newton_roots(above_and_slope, lo, hi, k_cross, negative_at_lo=below[flips])
    kind_cross = np.where(below[flips + 1], SET, RISE).astype(np.int8)

    events = []
    all_k = np.concatenate((k_max, k_cross))
    all_t = np.concatenate((t_max, t_cross))
    all_kind = np.concatenate((np.full(t_max.shape, CULMINATION, dtype=np.int8), kind_cross))
    order = np.lexsort((all_t, all_k))
    all_k, all_t, all_kind = all_k[order], all_t[order], all_kind[order]
    bounds = np.searchsorted(all_k, np.arange(k_count + 1))
    for k in range(k_count):
        sl = slice(bounds[k], bounds[k + 1])
        events.append(Events(offsets_s=all_t[sl], kinds=all_kind[sl]))
    return topo, events


def _parabola_vertex(
    grid: FloatArray, values: FloatArray, k: NDArray[np.intp], i: NDArray[np.intp],
) -> FloatArray:
    """Where the parabola through the grid values at ``i − 1, i, i + 1`` peaks (a first guess)."""
    y0, y1, y2 = values[k, i - 1], values[k, i], values[k, i + 1]
    curvature = y0 - 2.0 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(curvature < 0.0, 0.5 * (y0 - y2) / curvature, 0.0)
    return grid[i] + np.clip(shift, -1.0, 1.0) * (grid[i + 1] - grid[i])


def _narrow_to_grid(
    grid: FloatArray, above: NDArray[np.bool_], lo: FloatArray, hi: FloatArray,
    lo_above: NDArray[np.bool_], k: NDArray[np.intp],
) -> tuple[FloatArray, FloatArray]:
    """Shrink each crossing bracket to the grid step holding its only sign change, if it has one.

    ``above`` is the mask test on the grid (observers × times) and ``lo_above`` the test at each
    bracket's start (its end has the opposite sign). Along ``lo``, the grid times strictly
    inside, and ``hi``, the test flips an odd number of times; where it flips exactly once, the
    crossing lies in that step and the bracket becomes it. Otherwise (several crossings between
    samples) the bracket is left as it was, so the root found is the one the wide bracket gives.
    """
    k_count, n = above.shape
    first = np.searchsorted(grid, lo, side="right")  # first grid time > lo
    last = np.searchsorted(grid, hi, side="left") - 1  # last grid time < hi
    inside = (last >= first) & (first < n) & (last >= 0)
    first_c, last_c = np.minimum(first, n - 1), np.clip(last, 0, n - 1)
    changes = np.zeros((k_count, n), dtype=np.int64)
    changes[:, :-1] = above[:, 1:] != above[:, :-1]
    cumulative = np.concatenate(([0], np.cumsum(changes.ravel())))
    row = k * n
    at_first, at_last = above[k, first_c], above[k, last_c]
    enter = lo_above != at_first
    leave = at_last == lo_above  # the end's sign is ~lo_above
    between = cumulative[row + last_c] - cumulative[row + first_c]
    single = inside & (enter.astype(np.int64) + between + leave.astype(np.int64) == 1)
    new_lo, new_hi = lo.copy(), hi.copy()
    pick = single & enter
    new_hi[pick] = grid[first_c[pick]]
    pick = single & leave
    new_lo[pick] = grid[last_c[pick]]
    pick = single & ~enter & ~leave
    j = np.searchsorted(cumulative, cumulative[row[pick] + first_c[pick]] + 1, side="left") - 1 - row[pick]
    new_lo[pick], new_hi[pick] = grid[j], grid[j + 1]
    return new_lo, new_hi


#: Smallest geocentric radius of an observer (km): the WGS84 polar radius less 0.5 km of depth.
_MIN_SITE_RADIUS_KM = 6356.752 - 0.5
#: Largest angle between the geodetic and geocentric verticals (deg), plus rounding margin.
_VERTICAL_MARGIN_DEG = 0.25


def _may_reach_mask(
    topo: Topocentric, r_grid: FloatArray, step_s: float,
    k_max: NDArray[np.intp], i_max: NDArray[np.intp],
) -> NDArray[np.bool_]:
    """Which grid maxima could possibly reach their observer's mask (a rigorous bound).

    Let ``λ`` be the Earth-central angle between the observer and the satellite. The satellite
    can be at elevation ``m`` only if ``λ ≤ acos(R·cos m / r) − m``, and ``λ`` changes no faster
    than the angular rate ``|v|/|r|`` of the satellite's direction. Within the bracket
    ``[t(i−1), t(i+1)]`` of a grid maximum, ``λ`` is therefore at least
    ``min(λ(i−1) + λ(i), λ(i) + λ(i+1))/2 − h·ω/2``. Maxima whose bound exceeds the visible
    cap are skipped before refinement: they can never be culminations.
    """
    if k_max.size == 0:
        return np.zeros(0, dtype=bool)
    r_norm = np.linalg.norm(r_grid, axis=1)
    site_unit = topo.site_km / np.linalg.norm(topo.site_km, axis=1)[:, None]
    rate = np.max(np.linalg.norm(np.diff(r_grid, axis=0), axis=1) / step_s / r_norm[:-1])
    omega_h = rate * step_s * 1.5  # 50 % margin on the sampled rate bound

    def central(i: NDArray[np.intp]) -> FloatArray:
        cos = np.einsum("nj,nj->n", r_grid[i], site_unit[k_max]) / r_norm[i]
        return np.arccos(np.clip(cos, -1.0, 1.0))

    lam_prev, lam_mid, lam_next = central(i_max - 1), central(i_max), central(i_max + 1)
    bound = np.minimum(lam_prev + lam_mid, lam_mid + lam_next) / 2.0 - omega_h / 2.0
    r_peak = np.maximum.reduce([r_norm[i_max - 1], r_norm[i_max], r_norm[i_max + 1]]) + 10.0
    mask = np.radians(np.minimum(topo.mask_deg[k_max], 89.0) - _VERTICAL_MARGIN_DEG)
    cap = np.arccos(np.clip(_MIN_SITE_RADIUS_KM * np.cos(mask) / r_peak, -1.0, 1.0)) - mask
    return np.asarray(bound <= cap)


def find_passes(
    elements: ElementSet,
    observers: Sequence[Observer],
    start: datetime,
    end: datetime,
    *,
    visibility: bool = True,
    standard_magnitude: float | None = None,
) -> list[list[Pass]]:
    """Passes per observer, each with its look angles and (optionally) naked-eye visibility."""
    topo, events = find_events(elements, observers, start, end)
    ks = np.concatenate([np.full(e.offsets_s.shape, k) for k, e in enumerate(events)]) if events else np.empty(0)
    ts = np.concatenate([e.offsets_s for e in events]) if events else np.empty(0)
    az, el, rng = topo.look(ts, ks.astype(np.intp)) if ts.size else (ts, ts, ts)
    times = offset_datetimes(topo.start, ts)

    points: list[list[tuple[int, PassPoint]]] = []
    i = 0
    for e in events:
        row = []
        for kind in e.kinds.tolist():
            moment = times[i]
            assert moment is not None
            row.append((kind, PassPoint(moment, float(az[i]), float(el[i]), float(rng[i]))))
            i += 1
        points.append(row)

    passes = [_assemble(k, row) for k, row in enumerate(points)]
    if visibility:
        passes = _with_visibility(topo, passes, standard_magnitude)
    return passes


def _assemble(observer: int, row: list[tuple[int, PassPoint]]) -> list[Pass]:
    out: list[Pass] = []
    rise: PassPoint | None = None
    peaks: list[PassPoint] = []
    started = False
    for kind, point in row:
        if kind == RISE:
            rise, peaks, started = point, [], True
        elif kind == CULMINATION:
            peaks.append(point)
            started = True
        else:  # SET
            if peaks:
                out.append(_make(observer, rise, peaks, point))
            rise, peaks, started = None, [], False
    if started and peaks:
        out.append(_make(observer, rise, peaks, None))
    return out


def _make(observer: int, rise: PassPoint | None, peaks: list[PassPoint], set_: PassPoint | None) -> Pass:
    best = max(peaks, key=lambda p: p.elevation_deg)
    return Pass(observer=observer, rise=rise, culmination=best, set=set_, culminations=tuple(peaks))


def phase_function(phase_angle_rad: FloatArray) -> FloatArray:
    """Diffuse (Lambertian) sphere, normalised to 1 at 90° phase: ``(π − φ) cos φ + sin φ``."""
    return (np.pi - phase_angle_rad) * np.cos(phase_angle_rad) + np.sin(phase_angle_rad)


def _with_visibility(
    topo: Topocentric, passes: list[list[Pass]], standard_magnitude: float | None,
) -> list[list[Pass]]:
    flat = [(k, j, p) for k, row in enumerate(passes) for j, p in enumerate(row)]
    if not flat:
        return passes
    start = topo.start
    window_lo: list[float] = []
    window_hi: list[float] = []
    for _, _, p in flat:
        first = p.rise.time if p.rise else p.culmination.time
        last = p.set.time if p.set else p.culmination.time
        window_lo.append((first - start).total_seconds())
        window_hi.append((last - start).total_seconds())
    sample_t: list[FloatArray] = []
    sample_pass: list[FloatArray] = []
    for n, (lo, hi) in enumerate(zip(window_lo, window_hi, strict=True)):
        count = max(int(np.ceil((hi - lo) / VISIBILITY_STEP_S)) + 1, 2)
        sample_t.append(np.linspace(lo, hi, count))
        sample_pass.append(np.full(count, n))
    t = np.concatenate(sample_t)
    which = np.concatenate(sample_pass)
    observer = np.array([flat[n][0] for n in range(len(flat))])[which]

    instants = Instants.at(start, t)
    e, r_teme, _ = topo.sat.sgp4_array(instants.jd_utc, instants.fr_utc)
    require_propagated(topo.elements, instants, e)
    theta, _ = frames.gmst82(instants.jd_ut1, instants.fr_ut1)
    sun_teme = SunTable.covering(start, float(t.min()), float(t.max())).teme_km(t)
    f_shadow, _ = shadow_geometry(r_teme, sun_teme)
    sat_itrs, _ = frames.teme_to_itrs(r_teme, theta)
    sun_itrs, _ = frames.teme_to_itrs(sun_teme, theta)
    site = topo.site_km[observer]
    basis = topo.basis[observer]
    _, el, rng = frames.azimuth_elevation(sat_itrs - site, basis)
    _, sun_el, _ = frames.azimuth_elevation(sun_itrs - site, basis)
    sunlit = f_shadow > 0.0
    visible = sunlit & (sun_el < DARK_SKY_SUN_ALTITUDE_DEG) & (el >= topo.mask_deg[observer])

    magnitude = np.full(t.shape, np.nan)
    if standard_magnitude is not None:
        to_sun = sun_itrs - sat_itrs
        to_obs = site - sat_itrs
        cos_phase = np.einsum("ij,ij->i", to_sun, to_obs) / (
            np.linalg.norm(to_sun, axis=1) * np.linalg.norm(to_obs, axis=1)
        )
        phase = np.arccos(np.clip(cos_phase, -1.0, 1.0))
        with np.errstate(divide="ignore"):
            magnitude = (
                standard_magnitude + 5.0 * np.log10(rng / 1000.0) - 2.5 * np.log10(phase_function(phase))
            )

    moments = offset_datetimes(start, t)
    result = [list(row) for row in passes]
    bounds = np.searchsorted(which, np.arange(len(flat) + 1))
    for n, (k, j, p) in enumerate(flat):
        sl = slice(bounds[n], bounds[n + 1])
        vis = visible[sl]
        if not vis.any():
            info = Visibility(visible=False)
        else:
            idx = np.flatnonzero(vis) + bounds[n]
            mags = magnitude[idx]
            best = int(idx[np.nanargmin(mags)]) if standard_magnitude is not None else int(idx[np.argmax(el[idx])])
            info = Visibility(
                visible=True,
                start=moments[int(idx[0])],
                end=moments[int(idx[-1])],
                best_magnitude=float(magnitude[best]) if standard_magnitude is not None else None,
                best_time=moments[best],
                max_visible_elevation_deg=float(el[idx].max()),
            )
        result[k][j] = Pass(p.observer, p.rise, p.culmination, p.set, p.culminations, info)
    return result
