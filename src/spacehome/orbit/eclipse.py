"""Earth's shadow: when an object enters and leaves the penumbra and the umbra, orbit by orbit.

Geometry (a conical shadow of a spherical Earth, Montenbruck & Gill, *Satellite Orbits*, §3.4.2):
seen from the satellite, the Earth's disc has angular radius ``b = asin(R_E / |r|)`` and the Sun's
disc ``a = asin(R_sun / |s - r|)``; ``c`` is the angle between their centres. With
``f = c - b``:

- ``f > +a``: sunlit; ``-a < f < +a``: penumbra (the Sun partly hidden); ``f < -a``: umbra;
- ``f = 0``: the Sun's centre on the Earth's limb — the boundary Skyfield's ``is_sunlit``
  computes (a line from the satellite to the Sun's centre grazing a sphere of radius
  ``ERAD`` = 6378.1366 km), which the tests compare against.

Search: ``f`` is sampled on a grid of 1/40 orbit, each orbit's minimum is refined, and every
boundary is then a bracketed root between that minimum and the neighbouring maxima, all orbits at
once (see :mod:`spacehome.orbit.search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import require_utc
from spacehome.errors import ValidationError

from . import search
from .elements import satrec
from .propagation import require_propagated
from .sun import SUN_RADIUS_KM, SunTable
from .timebase import Instants, offset_datetimes

FloatArray = NDArray[np.float64]

#: Earth radius of the shadow cylinder/cone (km): Skyfield's ERAD (IERS 2010), so that the
#: geometric boundary is exactly what ``is_sunlit`` computes.
EARTH_RADIUS_KM = 6378.1366


class Lighting(StrEnum):
    SUNLIT = "sunlit"
    PENUMBRA = "penumbra"
    UMBRA = "umbra"


@dataclass(frozen=True)
class Eclipse:
    """One passage through Earth's shadow. ``None``: outside the searched data."""

    penumbra_entry: datetime | None
    umbra_entry: datetime | None
    shadow_entry: datetime | None  # the Sun's centre sets behind the Earth (is_sunlit → False)
    deepest: datetime
    shadow_exit: datetime | None
    umbra_exit: datetime | None
    penumbra_exit: datetime | None
    beta_deg: float  # solar beta angle: the Sun's elevation above the orbit plane

    @property
    def umbra_s(self) -> float | None:
        return _span(self.umbra_entry, self.umbra_exit)

    @property
    def penumbra_s(self) -> float | None:
        """Total time in the Earth's shadow, partial or full (penumbra entry to exit)."""
        return _span(self.penumbra_entry, self.penumbra_exit)

    @property
    def shadow_s(self) -> float | None:
        return _span(self.shadow_entry, self.shadow_exit)


def _span(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() if a is not None and b is not None else None


@dataclass
class ShadowModel:
    """Shadow geometry of one object over one window (times are seconds from ``start``)."""

    elements: ElementSet
    start: datetime
    sun: SunTable

    @classmethod
    def over(cls, elements: ElementSet, start: datetime, first_s: float, last_s: float) -> ShadowModel:
        return cls(elements, start, SunTable.covering(start, first_s, last_s))

    def __post_init__(self) -> None:
        self._sat = satrec(self.elements)

    def states(self, offsets_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Satellite TEME position and velocity, and the Sun in TEME, at ``offsets_s``."""
        instants = Instants.at(self.start, offsets_s)
        e, r, v = self._sat.sgp4_array(instants.jd_utc, instants.fr_utc)
        require_propagated(self.elements, instants, e)
        return r, v, self.sun.teme_km(offsets_s)

    def geometry(self, offsets_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``f = c - b`` and the Sun's apparent radius ``a`` (radians) at ``offsets_s``."""
        r, _, s = self.states(offsets_s)
        return shadow_geometry(r, s)

    def level(self, offsets_s: FloatArray, k: FloatArray) -> FloatArray:
        """``f - k·a``: zero on the umbra (k = -1), centre (0) and penumbra (+1) boundaries."""
        f, a = self.geometry(offsets_s)
        return f - k * a


def shadow_geometry(r_km: FloatArray, sun_km: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(c - b, a)`` in radians for satellite positions ``r_km`` and Sun positions (``(..., 3)``)."""
    d = sun_km - r_km
    r_norm = np.sqrt(np.einsum("...j,...j->...", r_km, r_km))
    d_norm = np.sqrt(np.einsum("...j,...j->...", d, d))
    cos_c = -np.einsum("...j,...j->...", r_km, d) / (r_norm * d_norm)
    c = np.arccos(np.clip(cos_c, -1.0, 1.0))
    b = np.arcsin(np.minimum(EARTH_RADIUS_KM / r_norm, 1.0))
    a = np.arcsin(SUN_RADIUS_KM / d_norm)
    return c - b, a


def lighting(f: FloatArray, a: FloatArray) -> NDArray[np.str_]:
    """Classify ``f``, ``a`` from :func:`shadow_geometry` as sunlit / penumbra / umbra."""
    return np.where(f >= a, Lighting.SUNLIT.value,
                    np.where(f > -a, Lighting.PENUMBRA.value, Lighting.UMBRA.value))


def grid_step_s(elements: ElementSet, per_orbit: int = 40) -> float:
    """Coarse search step: ``1/per_orbit`` of a revolution, shortened for eccentric orbits so the
    step is as fine at perigee (where the geometry changes fastest) as on a circular orbit."""
    e = elements.eccentricity
    return elements.period_min * 60.0 / per_orbit * (1.0 - e) ** 1.5 / (1.0 + e) ** 0.5


def _search_grid(
    elements: ElementSet, start: datetime, end: datetime,
) -> tuple[datetime, float, FloatArray, ShadowModel]:
    """The checked window, its length (s), the coarse grid (one orbit of margin each side) and
    the Sun/shadow model covering it: shared by the eclipse and night-side searches."""
    start = require_utc(start, "start time")
    end = require_utc(end, "end time")
    duration_s = (end - start).total_seconds()
    if duration_s <= 0:
        raise ValidationError(f"the search window ends ({end:%Y-%m-%dT%H:%M:%SZ}) before it starts ({start:%Y-%m-%dT%H:%M:%SZ}): give a positive number of days")
    margin_s = elements.period_min * 60.0
    step_s = grid_step_s(elements)
    count = int(np.ceil((duration_s + 2 * margin_s) / step_s)) + 1
    grid = np.linspace(-margin_s, duration_s + margin_s, count)
    return start, duration_s, grid, ShadowModel.over(elements, start, grid[0], grid[-1])


def find_eclipses(elements: ElementSet, start: datetime, end: datetime) -> list[Eclipse]:
    """Every passage through the Earth's shadow overlapping ``[start, end]``, in time order."""
    start, duration_s, grid, model = _search_grid(elements, start, end)
    f_grid, _ = model.geometry(grid)

    # Each orbit's deepest point: a grid minimum of f, refined.
    (i_min,) = search.grid_maxima(-f_grid)
    t_min, _neg_f = search.refine_maxima(
        lambda t: -model.geometry(t)[0], grid[i_min - 1], grid[i_min], grid[i_min + 1]
    )
    # Bracket ends: the grid maxima of f on either side (or the grid's ends).
    (i_max,) = search.grid_maxima(f_grid)
    max_times = np.concatenate(([grid[0]], grid[i_max], [grid[-1]]))
    right_idx = np.searchsorted(max_times, t_min, side="right")
    left = max_times[right_idx - 1]
    right = max_times[np.minimum(right_idx, len(max_times) - 1)]

    f_min, a_min = model.geometry(t_min)
    in_shadow = f_min < a_min  # at least partly: the penumbra is entered
    t_min, left, right = t_min[in_shadow], left[in_shadow], right[in_shadow]

    boundaries: dict[str, tuple[FloatArray, FloatArray]] = {}
    for name, k in (("penumbra", 1.0), ("shadow", 0.0), ("umbra", -1.0)):
        boundaries[name] = _crossings(model, k, left, t_min, right)

    r, v, s = model.states(t_min) if t_min.size else (np.empty((0, 3)),) * 3
    h = np.cross(r, v)
    beta = np.degrees(np.arcsin(
        np.einsum("ij,ij->i", h, s) / (np.linalg.norm(h, axis=1) * np.linalg.norm(s, axis=1))
    )) if t_min.size else np.empty(0)

    times = {
        name: offset_datetimes(start, np.concatenate(pair))
        for name, pair in boundaries.items()
    }
    deepest = offset_datetimes(start, t_min)
    n = t_min.size

    eclipses = []
    for i in range(t_min.size):
        p_in, p_out = boundaries["penumbra"][0][i], boundaries["penumbra"][1][i]
        # Keep passages overlapping the window (unknown ends count as overlapping).
        if (not np.isnan(p_out) and p_out < 0.0) or (not np.isnan(p_in) and p_in > duration_s):
            continue
        moment = deepest[i]
        assert moment is not None
        eclipses.append(Eclipse(
            penumbra_entry=times["penumbra"][i],
            umbra_entry=times["umbra"][i],
            shadow_entry=times["shadow"][i],
            deepest=moment,
            shadow_exit=times["shadow"][n + i],
            umbra_exit=times["umbra"][n + i],
            penumbra_exit=times["penumbra"][n + i],
            beta_deg=float(beta[i]),
        ))
    return eclipses


def _crossings(
    model: ShadowModel, k: float, left: FloatArray, deepest: FloatArray, right: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Entry and exit offsets of the ``f = k·a`` boundary around each minimum (NaN if none)."""
    entry = np.full(deepest.shape, np.nan)
    exit_ = np.full(deepest.shape, np.nan)
    if deepest.size == 0:
        return entry, exit_
    ks = np.full(deepest.shape, k)
    g_mid = model.level(deepest, ks)
    g_left = model.level(left, ks)
    g_right = model.level(right, ks)
    inside = g_mid < 0.0
    has_entry = inside & (g_left > 0.0)
    has_exit = inside & (g_right > 0.0)
    entry[has_entry] = search.refine_roots(
        model.level, left[has_entry], deepest[has_entry], ks[has_entry]
    )
    exit_[has_exit] = search.refine_roots(
        model.level, deepest[has_exit], right[has_exit], ks[has_exit]
    )
    return entry, exit_


def lighting_at(elements: ElementSet, moment: datetime) -> tuple[Lighting, float]:
    """Sunlit, penumbra or umbra at ``moment``, and the Sun's elevation above the Earth's limb
    as seen from the object (degrees; negative when the Sun's centre is hidden)."""
    model = ShadowModel.over(elements, require_utc(moment), 0.0, 0.0)
    f, a = model.geometry(np.zeros(1))
    return Lighting(str(lighting(f, a)[0])), float(np.degrees(f[0]))


def find_night_side(
    elements: ElementSet, start: datetime, end: datetime,
) -> list[tuple[datetime | None, datetime | None]]:
    """When the object is over the night side: the Sun's centre below the horizon at the point
    beneath it, every interval overlapping ``[start, end]`` as (entry, exit) (``None``: outside
    the window's margin of one orbit).

    The horizon is the plane normal to the geocentric direction of the object (``r·s < 0``), the
    boundary of Earth's day and night hemispheres without refraction; the geodetic vertical
    differs from it by at most 0.19°, a few seconds of orbital motion. For a low orbit the night
    side starts before and ends after the Earth's shadow (which needs the object itself hidden).
    """
    start, duration_s, grid, model = _search_grid(elements, start, end)

    def sun_height(t: FloatArray) -> FloatArray:
        r, _, s = model.states(t)
        return np.einsum("ij,ij->i", r, s) / (np.linalg.norm(r, axis=1) * np.linalg.norm(s, axis=1))

    g = sun_height(grid)
    night = g < 0.0
    (flip,) = np.nonzero(night[1:] != night[:-1])
    t_cross = search.refine_roots(sun_height, grid[flip], grid[flip + 1])
    entering = night[flip + 1]
    entries = list(t_cross[entering])
    exits = list(t_cross[~entering])
    if night[0]:
        entries.insert(0, np.nan)
    if night[-1]:
        exits.append(np.nan)
    out: list[tuple[datetime | None, datetime | None]] = []
    moments_in = offset_datetimes(start, np.array(entries, dtype=np.float64))
    moments_out = offset_datetimes(start, np.array(exits, dtype=np.float64))
    for a, b, ta, tb in zip(entries, exits, moments_in, moments_out, strict=True):
        if (not np.isnan(b) and b < 0.0) or (not np.isnan(a) and a > duration_s):
            continue
        out.append((ta, tb))
    return out
