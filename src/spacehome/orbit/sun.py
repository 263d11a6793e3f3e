"""The Sun's position for the orbit searches, as a table interpolated in SGP4's TEME frame.

The geocentric Sun (geometric, JPL DE421, as Skyfield's ``is_sunlit`` uses it) is computed by
Skyfield at nodes ``NODE_STEP_S`` apart and rotated into TEME with Skyfield's own TEME rotation.
In TEME the Sun moves about 1° a day, so linear interpolation between two-hour nodes is off by
under 3e-7 rad in direction — about 0.3 ms of a low orbit's motion. Searches then evaluate the
Sun at any time for the cost of an interpolation instead of an ephemeris lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from spacehome.errors import ValidationError

from .timebase import Instants, ephemeris

FloatArray = NDArray[np.float64]

NODE_STEP_S = 7200.0
#: IAU 2015 nominal solar radius (km), Resolution B3.
SUN_RADIUS_KM = 695_700.0


#: The span of JPL DE421 as shipped by skyfield-data (the Sun's position is known only inside it).
EPHEMERIS_FIRST = datetime(1899, 7, 30, tzinfo=UTC)
EPHEMERIS_LAST = datetime(2053, 10, 8, tzinfo=UTC)


def require_covered(start: datetime, first_s: float, last_s: float) -> None:
    """Refuse times the ephemeris does not cover, with a message that says what to do."""
    first = start + timedelta(seconds=float(first_s))
    last = start + timedelta(seconds=float(last_s))
    if first < EPHEMERIS_FIRST or last > EPHEMERIS_LAST:
        raise ValidationError(
            f"the Sun's position is known from {EPHEMERIS_FIRST:%Y-%m-%d} to {EPHEMERIS_LAST:%Y-%m-%d} "
            f"(JPL DE421); choose times inside that span (asked: {first:%Y-%m-%d} to {last:%Y-%m-%d})"
        )


@dataclass(frozen=True)
class SunTable:
    """Geocentric Sun in TEME (km) at nodes, for one search window."""

    start: datetime
    node_offsets_s: FloatArray
    sun_teme_km: FloatArray  # (nodes, 3)

    @classmethod
    def covering(cls, start: datetime, first_s: float, last_s: float) -> SunTable:
        """A table covering offsets ``first_s .. last_s`` from ``start`` (with a node of margin)."""
        from skyfield.nutationlib import iau2000b_radians
        from skyfield.sgp4lib import TEME

        lo = np.floor(first_s / NODE_STEP_S) - 1
        hi = np.ceil(last_s / NODE_STEP_S) + 1
        offsets = np.arange(lo, hi + 1) * NODE_STEP_S
        t = Instants.at(start, offsets).skyfield()
        # IAU 2000B nutation (1 mas, 77 terms) instead of 2000A: far below this table's needs,
        # and ~20x cheaper. Skyfield documents this substitution.
        t._nutation_angles_radians = iau2000b_radians(t)
        eph = ephemeris()
        require_covered(start, offsets[0], offsets[-1])
        gcrs = (eph["sun"] - eph["earth"]).at(t).position.km  # (3, nodes)
        rotation = TEME.rotation_at(t)  # (3, 3, nodes): TEME = R · GCRS
        teme = np.einsum("ijn,jn->ni", rotation, gcrs)
        return cls(start=start, node_offsets_s=offsets, sun_teme_km=teme)

    def teme_km(self, offsets_s: FloatArray) -> FloatArray:
        """The Sun in TEME (km) at ``offsets_s`` seconds after ``start``, shape ``(N, 3)``."""
        x = self.node_offsets_s
        out = np.empty((*np.shape(offsets_s), 3))
        for axis in range(3):
            out[..., axis] = np.interp(offsets_s, x, self.sun_teme_km[:, axis])
        return out

