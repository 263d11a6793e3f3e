"""All-vs-all conjunction screening of a catalog over a window, on SGP4, in independent slices.

Every pair of catalog objects is screened once (the lower catalog number is the event's
``primary``, whose RTN frame the miss is resolved in) over ``[start, start + hours]`` for every
approach under the threshold ``D`` (default 5 km). A catalog of 26,000 objects has 340 million
pairs, so pairs are never enumerated. All objects are propagated with SGP4 on a grid of step
``H`` (:data:`STEP_S`, 60 s); between grid instants, :data:`SUBSTEPS` − 1 further *search
instants* (every ``h = H/3`` = 20 s) take each object's position from the cubic Hermite
polynomial through its two grid states. At every search instant the positions go into a k-d
tree (SciPy's ``cKDTree``: space cut into nested boxes, the adaptive form of binning into
cubes) that returns *exactly* the pairs within a radius; only those pairs go on.

Why no approach under ``D`` is missed:

1. **Spatial search.** Let a pair reach ``ρ(t) ≤ D`` at ``t`` in grid interval ``c``. The
   nearest search instant of that interval (its ends included) is at most ``h/2`` from ``t``,
   and in between the range changes at most at the relative speed, itself at most the sum of
   the two inertial speeds. Each object's speed anywhere in the interval is at most the larger
   of its two grid speeds plus ``g₀·H/2`` (no orbiting object's speed changes faster than
   surface gravity ``g₀``): call it ``v̂``. So at that search instant
   ``ρ ≤ D + (v̂_i + v̂_j)·h/2`` (+ ``g₀h²/2``) — plus :data:`INTERPOLATION_KM` (1 km) for the
   interpolated positions, whose error is ``H⁴/384·max|r⁗| ≈ H⁴n⁴r/384``: 0.4 m in LEO and
   ~1 m at the perigee of a transfer orbit at ``H`` = 60 s. The pair is *flagged* for
   interval ``c`` (a grid instant flags both intervals it bounds). The tree's radius uses the
   largest ``v̂`` at that instant; objects faster than :data:`FAST_KM_S` (eccentric orbits
   near perigee, under 1 % of the catalog) would inflate it for everyone, so slow pairs come
   from one query with the slow radius, ``D + (2·v̂_slow,max + g₀h)·h/2`` ≈ 170 km at
   ``h`` = 20 s, and each fast object is queried with its own radius
   ``D + (v̂_f + v̂_max + g₀h)·h/2``; :func:`close_pairs` returns exactly the pairs within the
   per-pair bound. In cube terms: cubes of side at least ``D + V_max·h/2``, neighbours
   included. Each such pair is then kept only if its relative motion could reach ``D`` within
   ``h/2`` of the instant: the straight line ``p + w·τ`` (relative position and velocity
   there — exact at grid instants, from the Hermite polynomial and its derivative between
   them, velocity error ~2 cm/s) comes within ``D`` + 1 km + ``a·(h/2)²`` for some
   ``|τ| ≤ h/2``, ``a`` the relative-acceleration bound of step 3. On the public catalog this
   keeps one pair in 150.
2. **Minimum inside the interval.** As in :mod:`spacehome.orbit.screening`, a local range
   minimum lies in an interval where ``ρ·ρ̇`` goes from negative to non-negative at the exact
   grid states; range extrema of two Earth orbiters are a large fraction of an orbit apart
   (≥ 40 min), far more than ``H``, so an interval never hides a minimum between two ends of
   the same sign — except for objects flying in formation (nearly no relative motion; see
   :func:`co_orbiting_pairs`), whose TCA is ill-defined anyway: pairs that stay within
   :data:`~spacehome.orbit.screening.CO_ORBIT_KM` for the whole window (docked vehicles,
   formation flyers) are found once, before slicing, listed in ``co_orbiting`` and not
   screened by any slice, so serial and sliced runs agree.
3. **Linear gate.** Over each half interval the relative motion departs from the straight
   line through the nearer grid state by at most ``a·τ²/2`` with the relative acceleration
   ``a ≤ 2.02·g₀`` (two bodies, each under surface gravity, 1 % for J2): the pair goes on only
   if the closest point of either half-line, less ``a·(H/2)²`` ≈ 17.8 km (twice that bound),
   is within ``D``.
4. **Interpolated and exact minimum.** Then the screening chain's own stages, reused from
   :mod:`spacehome.orbit.screening`: the cubic Hermite minimum of the relative motion (gate
   ``D`` + 1 km) and ``brentq`` on the exact SGP4 range rate to
   :data:`~spacehome.orbit.screening.TCA_TOLERANCE_S`; events over ``D`` are dropped.

**Partitioning.** The grid (``H`` from ``start``, the last step possibly shorter) is cut into
slices of whole grid intervals (:func:`plan_slices`, default one hour each). A slice owns its
intervals: it propagates its grid instants (both ends included), flags pairs and examines only
its own intervals, so each interval is examined exactly once. Every number depends only on the
grid instant or the interval (SGP4 is evaluated element by element), so :func:`screen_slice`
results do not depend on which process runs them: a serial loop and a Dask cluster give the
same, deterministically sorted, event lists (:func:`merge`). Inside a slice, grid instants are
propagated for all objects at once in chunks of :data:`CHUNK_INSTANTS` (about 75 MB for
26,000 objects).

Objects sgp4 cannot propagate are reported once, at their first failing grid instant, and take
no part in the search from the interval before it on. Checked against a brute force over every
pair (sgp4 every 2 s, refined on range) in ``tests/orbit/test_allvsall.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sgp4.api import SatrecArray

from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import require_utc
from spacehome.errors import ValidationError

from .elements import satrec
from .propagation import reason
from .screening import (
    CO_ORBIT_KM,
    DEFAULT_THRESHOLD_KM,
    INTERPOLATION_MARGIN_KM,
    SURFACE_GRAVITY_KM_S2,
    Conjunction,
    CoOrbit,
    ScreeningFailure,
    co_orbiting,
    hermite_minimum,
    refine_event,
)
from .timebase import Instants

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Default grid step (s) of the SGP4 propagation, as in screening (the range-minimum argument).
STEP_S = 60.0
#: Search instants per grid step: positions there are cubic Hermite interpolations of the grid
#: states, and the spatial search's radius shrinks with the spacing (``STEP_S / SUBSTEPS``).
SUBSTEPS = 3
#: Added to the threshold in the spatial search for the interpolation error (km).
INTERPOLATION_KM = 1.0
#: Default slice length (s): the unit of work handed to one task.
SLICE_S = 3600.0
#: Grid instants propagated together for the whole catalog inside a slice.
CHUNK_INSTANTS = 60
#: Speed (km/s) above which an object gets its own search radius (LEO circular speed is 7.8).
FAST_KM_S = 8.0
#: Largest window accepted (hours).
MAX_HOURS = 24.0 * 31
#: Bound on the relative acceleration of two objects (km/s²): each feels at most surface
#: gravity, plus 1 % for J2 and everything smaller.
_ACCEL_KM_S2 = 2.02 * SURFACE_GRAVITY_KM_S2


@dataclass
class AllVsAllStats:
    objects: int = 0
    pairs: int = 0
    #: (pair, search instant) from the spatial search, and those left by the linear test.
    near_pairs: int = 0
    flagged: int = 0
    #: (pair, grid interval) examined.
    intervals: int = 0
    range_minima: int = 0
    after_linear_gate: int = 0
    after_interpolation: int = 0
    events: int = 0

    def add(self, other: AllVsAllStats) -> None:
        for name in (
            "near_pairs", "flagged", "intervals", "range_minima", "after_linear_gate", "after_interpolation",
            "events",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class SlicePart:
    """What one slice found (:func:`screen_slice`)."""

    first_interval: int
    stop_interval: int
    events: list[Conjunction]
    failures: list[ScreeningFailure]
    stats: AllVsAllStats


@dataclass(frozen=True)
class AllVsAllResult:
    start: datetime
    end: datetime
    threshold_km: float
    step_s: float
    slices: int
    events: list[Conjunction]
    failures: list[ScreeningFailure]
    stats: AllVsAllStats = field(default_factory=AllVsAllStats)
    #: Pairs that stay within ``CO_ORBIT_KM`` of each other for the whole window (docked
    #: vehicles, formation flyers; ``primary`` the lower catalog number): not conjunctions, so
    #: their approaches are left out of ``events``.
    co_orbiting: list[CoOrbit] = field(default_factory=list)


def check_window(hours: float, threshold_km: float, step_s: float, slice_s: float) -> None:
    """Bad windows raise :class:`ValidationError` with a one-line message."""
    if not np.isfinite(hours) or not 0 < hours <= MAX_HOURS:
        raise ValidationError(
            f"all-vs-all window is {hours} hours; give a positive number up to {MAX_HOURS:g}"
        )
    if not np.isfinite(threshold_km) or not 0 < threshold_km <= 100.0:
        raise ValidationError(
            f"miss-distance threshold is {threshold_km} km; give a distance in (0, 100] km"
        )
    if not np.isfinite(step_s) or not 1.0 <= step_s <= 120.0:
        raise ValidationError(f"coarse step is {step_s} s; use 1-120 s")
    if not np.isfinite(slice_s) or slice_s < step_s:
        raise ValidationError(f"slice length is {slice_s} s; use at least one step ({step_s} s)")


def grid_offsets(hours: float, step_s: float) -> FloatArray:
    """The window's grid, seconds from its start: every ``step_s``, its end included."""
    duration_s = hours * 3600.0
    count = int(np.floor(duration_s / step_s)) + 1
    offsets = np.arange(count, dtype=np.float64) * step_s
    if offsets[-1] < duration_s:
        offsets = np.append(offsets, duration_s)
    return offsets


def plan_slices(hours: float, step_s: float = STEP_S, slice_s: float = SLICE_S) -> list[tuple[int, int]]:
    """Grid-interval ranges ``[first, stop)`` of the slices, covering the window once."""
    intervals = grid_offsets(hours, step_s).size - 1
    per = max(1, round(slice_s / step_s))
    return [(lo, min(lo + per, intervals)) for lo in range(0, intervals, per)]


def unique_catalog(catalog: Iterable[ElementSet]) -> list[ElementSet]:
    """One element set per catalog number (the latest epoch), sorted by catalog number."""
    best: dict[int, ElementSet] = {}
    for s in catalog:
        kept = best.get(s.catalog_number)
        if kept is None or s.epoch > kept.epoch:
            best[s.catalog_number] = s
    return [best[k] for k in sorted(best)]


def close_pairs(
    r: FloatArray, speed: FloatArray, threshold_km: float, step_s: float,
) -> tuple[IntArray, IntArray]:
    """Index pairs ``i < j`` (into ``r``) with ``|r_i − r_j| ≤ D + (v_i + v_j + g₀h)·h/2``.

    ``r`` (n, 3) and ``speed`` (n,) are one grid instant's positions and speeds of the objects
    still propagating. See the module docstring (step 1) for why this holds every approach.
    """
    from scipy.spatial import cKDTree

    n = r.shape[0]
    if n < 2:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    slack = SURFACE_GRAVITY_KM_S2 * step_s
    fast = speed > FAST_KM_S
    slow_idx = np.flatnonzero(~fast)
    fast_idx = np.flatnonzero(fast)
    tree = cKDTree(r, balanced_tree=False, compact_nodes=False)
    found_i: list[IntArray] = []
    found_j: list[IntArray] = []
    if slow_idx.size >= 2:
        v_slow = float(speed[slow_idx].max())
        radius = threshold_km + (2.0 * v_slow + slack) * step_s / 2.0
        p = tree.query_pairs(radius, output_type="ndarray")
        p = p[~fast[p[:, 0]] & ~fast[p[:, 1]]]  # pairs with a fast object: below
        found_i.append(p[:, 0].astype(np.intp))
        found_j.append(p[:, 1].astype(np.intp))
    if fast_idx.size:
        v_max = float(speed.max())
        radii = threshold_km + (speed[fast_idx] + v_max + slack) * step_s / 2.0
        hits = tree.query_ball_point(r[fast_idx], radii)
        for f, neighbours in zip(fast_idx.tolist(), hits, strict=True):
            nb = np.asarray(neighbours, dtype=np.intp)
            # fast–slow pairs once (from the fast side), fast–fast pairs once (f < j)
            nb = nb[(nb != f) & (~fast[nb] | (nb > f))]
            found_i.append(np.minimum(nb, f))
            found_j.append(np.maximum(nb, f))
    i = np.concatenate(found_i) if found_i else np.empty(0, dtype=np.intp)
    j = np.concatenate(found_j) if found_j else np.empty(0, dtype=np.intp)
    rho = np.linalg.norm(r[i] - r[j], axis=-1)
    keep = rho <= threshold_km + (speed[i] + speed[j] + slack) * step_s / 2.0
    return i[keep], j[keep]


def _segment_distance(p: FloatArray, w: FloatArray, span: FloatArray | float) -> FloatArray:
    """``min |p + w·τ|`` over ``τ ∈ [0, span]`` (rows of ``p``, ``w``)."""
    ww = np.einsum("ij,ij->i", w, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.clip(-np.einsum("ij,ij->i", p, w) / ww, 0.0, span)
    tau = np.where(ww > 0.0, tau, 0.0)
    return np.linalg.norm(p + w * tau[:, None], axis=1)


def _substep_weights(substeps: int) -> FloatArray:
    """Cubic Hermite basis ``h00, h10, h01, h11`` at ``s = m/substeps`` for ``m = 0 .. substeps``."""
    u = np.arange(substeps + 1, dtype=np.float64) / substeps
    return np.stack([
        2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u, -2 * u**3 + 3 * u**2, u**3 - u**2,
    ], axis=1)


def _substep_slopes(substeps: int) -> FloatArray:
    """Derivatives (per unit ``s``) of the Hermite basis at ``s = m/substeps``."""
    u = np.arange(substeps + 1, dtype=np.float64) / substeps
    return np.stack([6 * u**2 - 6 * u, 3 * u**2 - 4 * u + 1, -6 * u**2 + 6 * u, 3 * u**2 - 2 * u], axis=1)


def screen_slice(
    catalog: Sequence[ElementSet],
    start: datetime,
    hours: float,
    first_interval: int,
    stop_interval: int,
    *,
    threshold_km: float = DEFAULT_THRESHOLD_KM,
    step_s: float = STEP_S,
    substeps: int = SUBSTEPS,
    chunk: int = CHUNK_INSTANTS,
    exclude_pairs: Iterable[tuple[int, int]] = (),
) -> SlicePart:
    """Every approach under ``threshold_km`` with its TCA in grid intervals
    ``[first_interval, stop_interval)`` of the window, among all pairs of ``catalog`` except
    ``exclude_pairs`` (catalog numbers, either order: the co-orbiting pairs of
    :func:`co_orbiting_pairs`, decided on the whole window).

    ``catalog`` must hold one element set per catalog number (:func:`unique_catalog`); events
    are sorted by (TCA, primary, secondary).
    """
    start = require_utc(start, "all-vs-all start")
    offsets = grid_offsets(hours, step_s)
    if not 0 <= first_interval < stop_interval <= offsets.size - 1:
        raise ValidationError(
            f"slice [{first_interval}, {stop_interval}) is outside the window's "
            f"{offsets.size - 1} grid intervals"
        )
    sets = list(catalog)
    sats = [satrec(s) for s in sets]
    failures: dict[int, ScreeningFailure] = {}
    alive = np.ones(len(sets), dtype=bool)
    for k, (s, sat) in enumerate(zip(sets, sats, strict=True)):
        if sat.error != 0:
            failures[s.catalog_number] = ScreeningFailure(
                s.catalog_number, s.name, int(sat.error), reason(int(sat.error)), None,
            )
            alive[k] = False
    usable = np.flatnonzero(alive)
    numbers = np.array([sets[k].catalog_number for k in usable.tolist()], dtype=np.int64)
    excluded = _pair_keys(exclude_pairs)
    array = SatrecArray([sats[k] for k in usable.tolist()])
    n_obj = np.int64(len(usable))
    weights = _substep_weights(substeps)
    slopes = _substep_slopes(substeps)
    stats = AllVsAllStats()
    events: list[Conjunction] = []

    lo = first_interval
    while lo < stop_interval:
        hi = min(lo + chunk, stop_interval)  # intervals [lo, hi), grid instants lo .. hi
        instants = Instants.at(start, offsets[lo : hi + 1])
        status, r, v = array.sgp4(instants.jd_utc, instants.fr_utc)
        bad = status != 0
        if bad.any():
            for row in np.flatnonzero(bad.any(axis=1)).tolist():
                col = int(np.flatnonzero(bad[row])[0])
                obj = sets[int(usable[row])]
                if obj.catalog_number not in failures:
                    failures[obj.catalog_number] = ScreeningFailure(
                        obj.catalog_number, obj.name, int(status[row, col]),
                        reason(int(status[row, col])), instants.datetime_at(col),
                    )
            # an object is dropped from its first failure on (sgp4 may recover spuriously)
            bad = np.maximum.accumulate(bad, axis=1)
            r[bad] = np.nan
            v[bad] = np.nan
        speed = np.linalg.norm(v, axis=-1)
        h = np.diff(offsets[lo : hi + 1])
        # the fastest each object can be anywhere in each interval
        v_top = np.fmax(speed[:, :-1], speed[:, 1:]) + SURFACE_GRAVITY_KM_S2 * h / 2.0

        # 1. flags at every search instant -> (pair, interval) candidates
        keys: list[NDArray[np.int64]] = []
        everyone = np.arange(len(usable))
        for c in range(hi - lo):
            ok = everyone if not bad.any() else np.flatnonzero(~(bad[:, c] | bad[:, c + 1]))
            r0, r1 = r[ok, c], r[ok, c + 1]
            hv0, hv1 = h[c] * v[ok, c], h[c] * v[ok, c + 1]
            last = substeps if c == hi - lo - 1 else substeps - 1
            for m in range(last + 1):
                w = weights[m]
                if m == 0:
                    pos = r0
                elif m == substeps:
                    pos = r1
                else:
                    pos = w[0] * r0 + w[1] * hv0 + w[2] * r1 + w[3] * hv1
                # a grid instant also stands for the interval before it
                near = [c] if 0 < m < substeps else ([c - 1, c] if m == 0 else [c, c + 1])
                near = [x for x in near if 0 <= x < hi - lo]
                if len(near) == 1:
                    vb = v_top[ok, near[0]]
                else:
                    vb = np.fmax(v_top[ok, near[0]], v_top[ok, near[1]])
                sub = float(h[near].max()) / substeps
                i, j = close_pairs(pos, vb, threshold_km + INTERPOLATION_KM, sub)
                stats.near_pairs += i.size
                if i.size:
                    # relative motion near the instant: straight line plus bounded acceleration
                    if m == 0:
                        vel_i, vel_j = v[ok[i], c], v[ok[j], c]
                    elif m == substeps:
                        vel_i, vel_j = v[ok[i], c + 1], v[ok[j], c + 1]
                    else:
                        d = slopes[m] / h[c]
                        vel_i = d[0] * r0[i] + d[1] * hv0[i] + d[2] * r1[i] + d[3] * hv1[i]
                        vel_j = d[0] * r0[j] + d[1] * hv0[j] + d[2] * r1[j] + d[3] * hv1[j]
                    p_ij, w_ij = pos[j] - pos[i], vel_j - vel_i
                    closest = np.minimum(
                        _segment_distance(p_ij, w_ij, sub / 2.0),
                        _segment_distance(p_ij, -w_ij, sub / 2.0),
                    )
                    keep = closest - _ACCEL_KM_S2 * (sub / 2.0) ** 2 <= threshold_km + INTERPOLATION_KM
                    i, j = i[keep], j[keep]
                stats.flagged += i.size
                pair = ok[i].astype(np.int64) * n_obj + ok[j]
                for x in near:
                    keys.append(np.int64(x) * n_obj * n_obj + pair)
        if not keys:
            lo = hi
            continue
        key = np.sort(np.concatenate(keys))
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        row_j = (key % n_obj).astype(np.intp)
        row_i = ((key // n_obj) % n_obj).astype(np.intp)
        col_c = (key // (n_obj * n_obj)).astype(np.intp)
        if excluded.size:
            screened = ~np.isin(_pair_key(numbers[row_i], numbers[row_j]), excluded)
            row_i, row_j, col_c = row_i[screened], row_j[screened], col_c[screened]
        stats.intervals += row_i.size

        # 2. a range minimum inside the interval, within reach of the threshold
        p0 = r[row_j, col_c] - r[row_i, col_c]
        w0 = v[row_j, col_c] - v[row_i, col_c]
        p1 = r[row_j, col_c + 1] - r[row_i, col_c + 1]
        w1 = v[row_j, col_c + 1] - v[row_i, col_c + 1]
        f0 = np.einsum("ij,ij->i", p0, w0)
        f1 = np.einsum("ij,ij->i", p1, w1)
        sign = (f0 < 0.0) & (f1 >= 0.0)
        stats.range_minima += int(sign.sum())
        sel = np.flatnonzero(sign)
        half = h[col_c[sel]] / 2.0
        lowest = np.minimum(
            _segment_distance(p0[sel], w0[sel], half), _segment_distance(p1[sel], -w1[sel], half)
        )
        sel = sel[lowest - _ACCEL_KM_S2 * half**2 <= threshold_km]
        stats.after_linear_gate += sel.size
        if sel.size:
            # 3. interpolated minimum, then the exact one
            miss, _ = hermite_minimum(p0[sel], w0[sel], p1[sel], w1[sel], h[col_c[sel]])
            sel = sel[miss <= threshold_km + INTERPOLATION_MARGIN_KM]
            stats.after_interpolation += sel.size
        for m in sel.tolist():
            a, b, c = int(usable[row_i[m]]), int(usable[row_j[m]]), int(col_c[m])
            if sets[a].catalog_number > sets[b].catalog_number:
                a, b = b, a  # the lower catalog number is the primary
            ev = refine_event(
                sets[a], sats[a], sets[b], sats[b], start,
                float(instants.jd_utc[c]), float(instants.fr_utc[c]),
                float(instants.offsets_s[c]), float(instants.offsets_s[c + 1]), threshold_km,
                check_left=True,
            )
            if ev is not None:
                events.append(ev)
        lo = hi

    events.sort(key=_event_key)
    stats.events = len(events)
    return SlicePart(
        first_interval=first_interval,
        stop_interval=stop_interval,
        events=events,
        failures=sorted(failures.values(), key=lambda f: f.catalog_number),
        stats=stats,
    )


def _pair_key(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """One integer per unordered pair of catalog numbers (alpha-5 numbers stay under 2**20)."""
    return np.asarray(np.minimum(a, b) * (1 << 32) + np.maximum(a, b), dtype=np.int64)


def _pair_keys(pairs: Iterable[tuple[int, int]]) -> NDArray[np.int64]:
    listed = np.array([tuple(p) for p in pairs], dtype=np.int64).reshape(-1, 2)
    return np.unique(_pair_key(listed[:, 0], listed[:, 1]))


def co_orbiting_pairs(
    catalog: Sequence[ElementSet],
    start: datetime,
    hours: float,
    *,
    within_km: float = CO_ORBIT_KM,
) -> list[CoOrbit]:
    """Pairs of ``catalog`` (one element set per catalog number) that stay within
    ``within_km`` of each other for the whole window ``[start, start + hours]``.

    A cheap pre-pass, run once for the whole window (never per slice, so a serial run and a
    sliced one exclude the same pairs): a pair that stays that close is that close at the
    window's start, so the candidates are the pairs within ``within_km`` there (a k-d tree over
    all positions); each candidate is then checked over the whole window by
    :func:`~spacehome.orbit.screening.co_orbiting` (sampled every 60 s; an object that fails
    to propagate anywhere in the window is not co-orbiting). Sorted by (primary, secondary),
    the lower catalog number as ``primary``.
    """
    from scipy.spatial import cKDTree

    start = require_utc(start, "co-orbit start")
    sets = list(catalog)
    sats = [satrec(s) for s in sets]
    alive = [k for k, sat in enumerate(sats) if sat.error == 0]
    if len(alive) < 2:
        return []
    first = Instants.at(start, [0.0])
    status, r, _ = SatrecArray([sats[k] for k in alive]).sgp4(first.jd_utc, first.fr_utc)
    ok = np.flatnonzero(status[:, 0] == 0)
    found = cKDTree(r[ok, 0]).query_pairs(within_km, output_type="ndarray")
    partners: dict[int, list[int]] = {}
    for i, j in found.tolist():
        a, b = sorted((alive[int(ok[i])], alive[int(ok[j])]), key=lambda k: sets[k].catalog_number)
        partners.setdefault(a, []).append(b)
    out: list[CoOrbit] = []
    for a in sorted(partners, key=lambda k: sets[k].catalog_number):
        try:
            out.extend(co_orbiting(
                sets[a], [sets[b] for b in partners[a]], start, days=hours / 24.0,
                within_km=within_km,
            ))
        except ValidationError:  # the lower-numbered object fails somewhere in the window
            continue
    return sorted(out, key=lambda c: (c.primary, c.secondary))


def _event_key(e: Conjunction) -> tuple[datetime, int, int, float]:
    return (e.tca, e.primary, e.secondary, e.miss_km)


def merge(
    parts: Iterable[SlicePart], start: datetime, hours: float, threshold_km: float,
    step_s: float, objects: int, *, co_orbit: Sequence[CoOrbit] = (),
) -> AllVsAllResult:
    """One result from the slices, whatever order they come in: events sorted by (TCA,
    primary, secondary), each object's earliest failure; ``co_orbit`` (the pairs the slices
    were told to leave out, :func:`co_orbiting_pairs`) is reported as the co-orbiting pairs."""
    parts = sorted(parts, key=lambda p: p.first_interval)
    stats = AllVsAllStats(objects=objects, pairs=objects * (objects - 1) // 2)
    events: list[Conjunction] = []
    failures: dict[int, ScreeningFailure] = {}
    for part in parts:
        events.extend(part.events)
        stats.add(part.stats)
        for f in part.failures:
            kept = failures.get(f.catalog_number)
            if kept is None or (kept.at is not None and (f.at is None or f.at < kept.at)):
                failures[f.catalog_number] = f
    events.sort(key=_event_key)
    start = require_utc(start, "all-vs-all start")
    return AllVsAllResult(
        start=start,
        end=start + timedelta(hours=hours),
        threshold_km=threshold_km,
        step_s=step_s,
        slices=len(parts),
        events=events,
        failures=sorted(failures.values(), key=lambda f: f.catalog_number),
        stats=stats,
        co_orbiting=sorted(co_orbit, key=lambda c: (c.primary, c.secondary)),
    )


def all_vs_all(
    catalog: Iterable[ElementSet],
    start: datetime,
    hours: float,
    *,
    threshold_km: float = DEFAULT_THRESHOLD_KM,
    step_s: float = STEP_S,
    slice_s: float = SLICE_S,
    co_orbit_km: float | None = CO_ORBIT_KM,
) -> AllVsAllResult:
    """Every approach under ``threshold_km`` between any two catalog objects over
    ``[start, start + hours]``, serially, slice after slice (the same slices, and so the same
    result, as a cluster run).

    Pairs that stay within ``co_orbit_km`` for the whole window (:func:`co_orbiting_pairs`)
    are listed in ``co_orbiting`` and left out of ``events``; ``co_orbit_km=None`` screens
    every pair."""
    start = require_utc(start, "all-vs-all start")
    check_window(hours, threshold_km, step_s, slice_s)
    sets = unique_catalog(catalog)
    co = [] if co_orbit_km is None else co_orbiting_pairs(sets, start, hours, within_km=co_orbit_km)
    pairs = [(c.primary, c.secondary) for c in co]
    parts = [
        screen_slice(
            sets, start, hours, lo, hi, threshold_km=threshold_km, step_s=step_s,
            exclude_pairs=pairs,
        )
        for lo, hi in plan_slices(hours, step_s, slice_s)
    ]
    return merge(parts, start, hours, threshold_km, step_s, len(sets), co_orbit=co)
