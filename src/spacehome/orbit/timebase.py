"""One timescale and one ephemeris, from bundled data, and the time arrays SGP4 needs.

Times inside the orbit engine are seconds of Terrestrial Time (TT) since a start instant, as
``float64``: uniform (no leap seconds), precise to well under a microsecond over years, and what
the searches step and refine on. :class:`Instants` turns such offsets into the three views the
kernels need, computed once per array:

- UTC Julian dates (``jd_utc`` + ``fr_utc``) for SGP4, which takes the element epoch as UTC
  (AIAA 2006-6753), exactly as Skyfield feeds it;
- UT1 Julian dates for Greenwich mean sidereal time (the TEME → ITRS rotation);
- TT Julian dates for the Sun's position.

The timescale is Skyfield's built-in one (leap seconds and ΔT/UT1 shipped inside Skyfield); the
Sun comes from JPL's DE421 shipped by the ``skyfield-data`` package. Nothing downloads, and
nothing is loaded at import: both are built on first use and cached per process.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from spacehome.domain.instant import require_utc

if TYPE_CHECKING:
    from skyfield.timelib import Time, Timescale

DAY_S = 86400.0
#: Julian date of the Unix epoch, 1970-01-01T00:00:00 UTC.
_JD_UNIX = 2440587.5

FloatArray = NDArray[np.float64]


@cache
def timescale() -> Timescale:
    """Skyfield's timescale from the leap-second and UT1 tables bundled with Skyfield."""
    from skyfield.api import load

    return load.timescale(builtin=True)


@cache
def ephemeris() -> Any:
    """JPL DE421 (1899–2053) from the ``skyfield-data`` package: nothing downloads."""
    import skyfield_data
    from skyfield.api import Loader

    with warnings.catch_warnings():
        # skyfield-data warns that its copy of finals2000A.all is old; spacehome takes UT1 from
        # Skyfield's built-in tables instead, and DE421 itself does not expire.
        warnings.simplefilter("ignore", RuntimeWarning)
        directory = skyfield_data.get_skyfield_data_path()
    return Loader(directory, verbose=False, expire=False)("de421.bsp")


def skyfield_time(moment: datetime) -> Time:
    """A Skyfield ``Time`` for an aware datetime."""
    return timescale().from_datetime(require_utc(moment))


@dataclass(frozen=True)
class Instants:
    """An array of instants: ``start`` plus ``offsets_s`` seconds of TT."""

    start: datetime
    offsets_s: FloatArray
    jd_utc: FloatArray
    fr_utc: FloatArray
    jd_ut1: FloatArray
    fr_ut1: FloatArray
    jd_tt: FloatArray
    fr_tt: FloatArray

    @classmethod
    def at(cls, start: datetime, offsets_s: NDArray[np.floating[Any]] | list[float] | float) -> Instants:
        """Instants ``offsets_s`` TT seconds after ``start`` (an aware datetime)."""
        start = require_utc(start, "start time")
        offsets = np.atleast_1d(np.asarray(offsets_s, dtype=np.float64))
        ts = timescale()
        t0 = ts.from_datetime(start)
        whole = np.full(offsets.shape, t0.whole)
        t = ts.tt_jd(whole, t0.tt_fraction + offsets / DAY_S)
        # What Skyfield hands SGP4: UTC as a Julian date (the leap-second offset removed).
        fr_utc = t.tai_fraction - t._leap_seconds() / DAY_S
        return cls(
            start=start,
            offsets_s=offsets,
            jd_utc=t.whole,
            fr_utc=np.asarray(fr_utc, dtype=np.float64),
            jd_ut1=t.whole,
            fr_ut1=np.asarray(t.ut1_fraction, dtype=np.float64),
            jd_tt=t.whole,
            fr_tt=np.asarray(t.tt_fraction, dtype=np.float64),
        )

    @classmethod
    def span(cls, start: datetime, end: datetime, step_s: float) -> Instants:
        """From ``start`` to ``end`` inclusive at ``step_s`` (the last step may be shorter)."""
        duration_s = (require_utc(end, "end time") - require_utc(start, "start time")).total_seconds()
        count = int(np.floor(duration_s / step_s)) + 1
        offsets = np.arange(count, dtype=np.float64) * step_s
        if offsets[-1] < duration_s:
            offsets = np.append(offsets, duration_s)
        return cls.at(start, offsets)

    def __len__(self) -> int:
        return int(self.offsets_s.shape[0])

    def datetime_at(self, index: int) -> datetime:
        """The ``index``-th instant as an aware UTC datetime (microsecond precision)."""
        moment = offset_datetimes(self.start, self.offsets_s[index : index + 1])[0]
        assert moment is not None
        return moment

    def skyfield(self) -> Time:
        """The same instants as a Skyfield ``Time`` array (for cross-checks)."""
        return timescale().tt_jd(self.jd_tt, self.fr_tt)


def offset_datetimes(start: datetime, offsets_s: FloatArray) -> list[datetime | None]:
    """Many TT offsets from ``start`` as UTC datetimes at once (``None`` for NaN offsets).

    Exact across leap seconds: the offsets are corrected by the change in TAI − UTC.
    """
    start = require_utc(start)
    offsets = np.asarray(offsets_s, dtype=np.float64)
    out: list[datetime | None] = [None] * offsets.size
    known = np.flatnonzero(~np.isnan(offsets))
    if known.size == 0:
        return out
    ts = timescale()
    t0 = ts.from_datetime(start)
    t = ts.tt_jd(np.full(known.size, t0.whole), t0.tt_fraction + offsets[known] / DAY_S)
    leap = np.asarray(t._leap_seconds()) - float(t0._leap_seconds())
    utc_s = offsets[known] - leap
    micro = np.round(utc_s * 1e6).astype(np.int64)
    for i, us in zip(known.tolist(), micro.tolist(), strict=True):
        out[i] = start + timedelta(microseconds=us)
    return out
