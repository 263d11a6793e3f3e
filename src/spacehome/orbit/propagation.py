"""SGP4 propagation over objects × times, with failures reported as data.

The kernels run sgp4's C++ ``SatrecArray`` over a block of objects and all times at once, then
rotate into the Earth-fixed frame and convert to WGS84 geodetic coordinates in place. A catalog
is processed in blocks of objects so the working set stays in cache and memory stays bounded.

An object that cannot be propagated (decayed, bad elements) never aborts a batch: its rows are
NaN and ``status`` holds sgp4's error code (see :func:`reason`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sgp4.api import SGP4_ERRORS, SatrecArray

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError

from . import frames
from .elements import satrec
from .timebase import Instants, offset_datetimes

FloatArray = NDArray[np.float64]
StatusArray = NDArray[np.uint8]

#: Objects per block in catalog-wide kernels (keeps a block's arrays within a few MB).
BLOCK_OBJECTS = 64

_REASONS = {0: "ok", **{int(code): str(text) for code, text in SGP4_ERRORS.items()}}


class PropagationError(ValidationError):
    """The element set cannot be propagated over the requested time."""


def require_propagated(elements: ElementSet, instants: Instants, status: NDArray[Any]) -> None:
    """Raise one teaching error, naming the first failing instant, if any status is non-zero."""
    bad = np.flatnonzero(status)
    if bad.size:
        i = int(bad[0])
        moment = offset_datetimes(instants.start, instants.offsets_s[i : i + 1])[0]
        assert moment is not None
        raise PropagationError(
            f"{elements.label()} cannot be propagated at {moment:%Y-%m-%dT%H:%M:%SZ}: "
            f"{reason(int(status[i]))}; use a newer element set (spacehome tle update)"
        )


def reason(code: int) -> str:
    """Plain-language meaning of a propagation status code (0 = ok, 1–6 = sgp4's errors)."""
    return _REASONS.get(int(code), f"unknown sgp4 error code {code}")


@dataclass(frozen=True)
class TemeStates:
    """Positions and velocities in SGP4's TEME frame, shape ``(objects, times, 3)``."""

    r_km: FloatArray
    v_km_s: FloatArray
    status: StatusArray

    @staticmethod
    def reason(code: int) -> str:
        return reason(code)


def propagate_teme(sets: Sequence[ElementSet], jd: FloatArray, fr: FloatArray) -> TemeStates:
    """Run SGP4 for every element set at every UTC Julian date ``jd + fr``."""
    sats = SatrecArray([satrec(s) for s in sets])
    status, r, v = sats.sgp4(np.asarray(jd, dtype=np.float64), np.asarray(fr, dtype=np.float64))
    # sgp4 leaves a decayed object's last (sub-surface) state in place; a failed point is NaN here.
    failed = status != 0
    r[failed] = np.nan
    v[failed] = np.nan
    return TemeStates(r_km=r, v_km_s=v, status=status.astype(np.uint8))


@dataclass(frozen=True)
class Track:
    """Geodetic positions of objects over times (WGS84), shape ``(objects, times)``."""

    catalog_numbers: NDArray[np.int64]
    instants: Instants
    latitude_deg: FloatArray
    longitude_deg: FloatArray
    altitude_km: FloatArray
    speed_km_s: FloatArray  # inertial speed (TEME)
    status: StatusArray

    def failures(self) -> list[tuple[int, int, str]]:
        """``(catalog_number, first failing time index, reason)`` for every object that failed."""
        out = []
        for row in np.flatnonzero(self.status.any(axis=1)):
            first = int(np.flatnonzero(self.status[row])[0])
            code = int(self.status[row, first])
            out.append((int(self.catalog_numbers[row]), first, reason(code)))
        return out


def track(sets: Sequence[ElementSet], instants: Instants, *, block: int = BLOCK_OBJECTS) -> Track:
    """Geodetic latitude, longitude, altitude and speed of every object at every instant."""
    m = len(sets)
    n = len(instants)
    lat = np.empty((m, n))
    lon = np.empty((m, n))
    alt = np.empty((m, n))
    speed = np.empty((m, n))
    status = np.empty((m, n), dtype=np.uint8)
    theta, _ = frames.gmst82(instants.jd_ut1, instants.fr_ut1)
    cos_t = np.cos(theta)
    sin_t = np.sin(theta)
    sats = [satrec(s) for s in sets]
    for lo in range(0, m, block):
        hi = min(lo + block, m)
        e, r, v = SatrecArray(sats[lo:hi]).sgp4(instants.jd_utc, instants.fr_utc)
        x = r[..., 0]
        y = r[..., 1]
        xi = cos_t * x + sin_t * y
        yi = cos_t * y - sin_t * x
        lat[lo:hi], lon[lo:hi], alt[lo:hi] = frames.geodetic(xi, yi, r[..., 2])
        speed[lo:hi] = np.sqrt(np.einsum("...j,...j->...", v, v))
        status[lo:hi] = e
        if e.any():  # sgp4 leaves a decayed object's last state in place: make failures NaN
            failed = e != 0
            for out in (lat, lon, alt, speed):
                out[lo:hi][failed] = np.nan
    return Track(
        catalog_numbers=np.array([s.catalog_number for s in sets], dtype=np.int64),
        instants=instants,
        latitude_deg=lat,
        longitude_deg=lon,
        altitude_km=alt,
        speed_km_s=speed,
        status=status,
    )


def itrs_states(
    elements: ElementSet, instants: Instants,
) -> tuple[FloatArray, FloatArray, StatusArray]:
    """One object's Earth-fixed position (km) and velocity (km/s), shape ``(times, 3)``."""
    sat = satrec(elements)
    e, r, v = sat.sgp4_array(instants.jd_utc, instants.fr_utc)
    failed = e != 0
    r[failed] = np.nan
    v[failed] = np.nan
    theta, theta_dot = frames.gmst82(instants.jd_ut1, instants.fr_ut1)
    r_itrs, v_itrs = frames.teme_to_itrs(r, theta, v, theta_dot)
    assert v_itrs is not None
    return r_itrs, v_itrs, np.asarray(e, dtype=np.uint8)


def ground_track(
    elements: ElementSet, start: datetime, *, orbits: float = 1.0, step_s: float = 30.0,
) -> Track:
    """The sub-satellite track for ``orbits`` revolutions from ``start`` (for maps)."""
    if orbits <= 0:
        raise ValidationError(f"orbits must be positive, got {orbits}: ask for at least 0.1")
    duration_s = orbits * elements.period_min * 60.0
    count = int(np.ceil(duration_s / step_s)) + 1
    instants = Instants.at(start, np.linspace(0.0, duration_s, count))
    return track([elements], instants)
