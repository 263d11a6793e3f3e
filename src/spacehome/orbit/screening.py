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
2. **Coarse time search.** Each surviving secondary (in blocks of :data:`BLOCK_OBJECTS`, so
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
3. **Interpolated minimum.** Within each gated interval the relative position is a cubic
   Hermite polynomial from the two end states (positions *and* velocities, both from SGP4); its
   minimum distance is found by bracketed Newton steps (:func:`spacehome.orbit.search.newton_roots`
   on ``p·p'``). The interpolation error is ``h⁴/384·max|p⁗|`` with ``|p⁗| ≲ 2·n⁴·r`` (``n`` the
   mean motion, or the angular rate at perigee): about 12 m in LEO at ``h = 120 s``, ~30 m at
   the perigee of a transfer orbit. Intervals whose interpolated miss is under
   ``D`` + :data:`INTERPOLATION_MARGIN_KM` (1 km, over thirty times that bound) go on.
4. **Refinement.** The time of closest approach is the zero of the exact SGP4 range rate
   ``ρ·ρ̇`` inside the interval, by SciPy's ``brentq`` to :data:`TCA_TOLERANCE_S`; miss distance,
   its components in the primary's RTN frame and the relative speed are taken there. Events
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


def _shell(
    sats: Sequence[Satrec], samples: Instants,
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
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
    m = len(sats)
    k = len(samples)
    q = np.full((k, m), np.nan)
    big_q = np.full((k, m), np.nan)
    codes = np.zeros((k, m), dtype=np.int64)
    for j in range(k):
        jd, fr = float(samples.jd_utc[j]), float(samples.fr_utc[j])
        for i, sat in enumerate(sats):
            code, _, _ = sat.sgp4(jd, fr)
            if code == 0:
                a, e = sat.am * _RE_KM, sat.em
                q[j, i] = a * (1.0 - e)
                big_q[j, i] = a * (1.0 + e)
            else:
                codes[j, i] = code
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
    from scipy.optimize import brentq

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
    low, high, end_codes = _shell(sats, shell_samples)
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
        chosen = np.flatnonzero(keep)
        stats.after_apogee_perigee += chosen.size

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
                sec = sets[idx[k]]
                ref = Refiner(
                    p_sat, sats[idx[k]], float(grid.jd_utc[c]), float(grid.fr_utc[c]),
                    float(offsets[c]),
                )
                t_lo, t_hi = float(offsets[c]), float(offsets[c + 1])
                if ref.range_rate(t_hi) < 0.0:  # the grid saw a sign change; trust exact ends
                    continue
                tca = float(brentq(ref.range_rate, t_lo, t_hi, xtol=TCA_TOLERANCE_S))
                a_r, a_v, b_r, b_v = ref.states(tca)
                d = b_r - a_r
                miss_km = float(np.linalg.norm(d))
                if miss_km > threshold_km:
                    continue
                rad, intr, cross = rtn_components(a_r, a_v, d)
                moment = offset_datetimes(start, np.array([tca]))[0]
                assert moment is not None
                events.append(
                    Conjunction(
                        primary=prim.catalog_number,
                        secondary=sec.catalog_number,
                        primary_name=prim.name,
                        secondary_name=sec.name,
                        tca=moment,
                        miss_km=miss_km,
                        radial_km=float(rad),
                        in_track_km=float(intr),
                        cross_track_km=float(cross),
                        relative_speed_km_s=float(np.linalg.norm(b_v - a_v)),
                    )
                )
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
    low, high, _ = _shell(sats, Instants.at(start, [0.0, (end - start).total_seconds()]))
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

