"""Shared fixtures for the orbit-engine tests: real element sets, and Skyfield as the reference.

Objects (each with a search start near its own epoch, so SGP4 runs where it is meant to):

- ``css``: a real TLE of the China Space Station (Tianhe), epoch 2026-09-06;
- ``molniya``: Molniya 1-29 (catalog 08195, e = 0.688, 12 h) from Vallado's verification file;
- ``gps``: a GPS satellite (catalog 28129, MEO, 12 h, nearly circular), same file;
- ``geo``: a geostationary satellite (catalog 28626), same file.

Vallado's file ships inside the ``sgp4`` package (``SGP4-VER.TLE``), so nothing is downloaded.
Skyfield objects are built from the very same two lines with Skyfield's builtin timescale and
DE421 from ``skyfield-data``.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import numpy as np
import pytest
from skyfield.api import EarthSatellite, load

from spacehome.domain.elements import ElementSet
from spacehome.orbit.elements import from_tle
from spacehome.orbit.timebase import ephemeris

CSS_NAME = "CSS (TIANHE)"
CSS_LINE1 = "1 48274U 21035A   26249.26095405  .00013514  00000+0  16863-3 0  9990"
CSS_LINE2 = "2 48274  41.4675 189.8186 0002350 260.0025 100.0548 15.59622579305827"
#: A quarter of an hour before the CSS element-set epoch (2026-09-06 06:15:46 UTC).
CSS_START = datetime(2026, 9, 6, 6, 0, tzinfo=UTC)

DAY_S = 86400.0


@cache
def vallado_lines() -> dict[str, tuple[str, str]]:
    """Vallado's SGP4 verification TLEs by 5-digit catalog number (first occurrence; the
    start/stop/step columns after column 69 are cut off)."""
    text = (importlib.resources.files("sgp4") / "SGP4-VER.TLE").read_text()
    lines = [line[:69] for line in text.splitlines() if line[:2] in ("1 ", "2 ")]
    out: dict[str, tuple[str, str]] = {}
    for line1, line2 in zip(lines[::2], lines[1::2], strict=True):
        assert line1[2:7] == line2[2:7]
        out.setdefault(line1[2:7], (line1, line2))
    return out


@dataclass(frozen=True)
class OrbitCase:
    """One object: spacehome's element set and Skyfield's satellite from the same lines."""

    key: str
    line1: str
    line2: str
    elements: ElementSet
    satellite: Any  # skyfield EarthSatellite
    start: datetime


#: key -> (catalog number in Vallado's file, or None for the CSS; search start, near the epoch)
_CASES: dict[str, tuple[str | None, datetime]] = {
    "css": (None, CSS_START),
    "molniya": ("08195", datetime(2006, 6, 25, 8, 0, tzinfo=UTC)),
    "gps": ("28129", datetime(2006, 6, 24, 14, 0, tzinfo=UTC)),
    "geo": ("28626", datetime(2006, 6, 25, 12, 0, tzinfo=UTC)),
}


@cache
def _skyfield_timescale() -> Any:
    return load.timescale(builtin=True)


@cache
def orbit_case(key: str) -> OrbitCase:
    catalog, start = _CASES[key]
    if catalog is None:
        line1, line2, name = CSS_LINE1, CSS_LINE2, CSS_NAME
        elements = from_tle(line1, line2, name)
    else:
        line1, line2 = vallado_lines()[catalog]
        name = f"VALLADO {catalog}"
        # strict=False: Vallado's file is reference data, read exactly as sgp4 reads it.
        elements = from_tle(line1, line2, name, strict=False)
    satellite = EarthSatellite(line1, line2, name, _skyfield_timescale())
    return OrbitCase(key, line1, line2, elements, satellite, start)


def tle_checksum(line: str) -> str:
    """The TLE checksum digit of the first 68 columns (digits, and 1 for each minus sign)."""
    total = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68])
    return str(total % 10)


@pytest.fixture(scope="session")
def ts() -> Any:
    """Skyfield's builtin timescale (the reference's clock)."""
    return _skyfield_timescale()


@pytest.fixture(scope="session")
def eph() -> Any:
    """JPL DE421 from skyfield-data, as spacehome loads it."""
    return ephemeris()


@pytest.fixture(scope="session")
def case() -> Callable[[str], OrbitCase]:
    """``case("css" | "molniya" | "gps" | "geo")`` -> :class:`OrbitCase` (built once)."""
    return orbit_case


@pytest.fixture(scope="session")
def css() -> OrbitCase:
    return orbit_case("css")


@pytest.fixture(scope="session")
def vallado() -> dict[str, tuple[str, str]]:
    return vallado_lines()


@pytest.fixture(scope="session")
def checksum() -> Callable[[str], str]:
    return tle_checksum


def _tt_seconds(t: Any, t0: Any) -> np.ndarray:
    """TT seconds from Skyfield time ``t0`` to Skyfield time(s) ``t``, without losing digits
    to large Julian dates (whole and fractional parts are differenced separately)."""
    whole = np.asarray(t.whole, dtype=np.float64) - float(t0.whole)
    fraction = np.asarray(t.tt_fraction, dtype=np.float64) - float(t0.tt_fraction)
    return np.atleast_1d(whole * DAY_S + fraction * DAY_S)


@pytest.fixture(scope="session")
def tt_seconds() -> Callable[[Any, Any], np.ndarray]:
    return _tt_seconds
