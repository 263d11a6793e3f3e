"""Element sets as plain values: SGP4 mean elements of one object at one epoch.

The value is pure (standard library only) so every layer can hold it: the orbit engine builds
and propagates it (``spacehome.orbit.elements``), persistence stores its history, the API serves
it. Fields are in the units of the CCSDS OMM standard (502.0-B-3), as CelesTrak's GP service
publishes them. When the set came from a TLE, the two original lines are kept, because SGP4 on
the exact lines is what Vallado's verification data was produced with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .instant import require_utc

#: The largest catalog number the TLE's alpha-5 scheme can carry; larger ones need OMM.
MAX_ALPHA5 = 339_999


@dataclass(frozen=True, slots=True)
class ElementSet:
    """SGP4 mean elements of one object at one epoch (OMM units, TEME frame)."""

    catalog_number: int
    name: str | None
    international_designator: str | None
    epoch: datetime
    mean_motion_rev_per_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar_per_earth_radius: float
    mean_motion_dot_rev_per_day2: float
    mean_motion_ddot_rev_per_day3: float
    element_set_number: int | None = None
    rev_at_epoch: int | None = None
    classification: str = "U"
    line1: str | None = field(default=None, repr=False)
    line2: str | None = field(default=None, repr=False)
    #: The catalog's object type when the source gives one (OMM ``OBJECT_TYPE`` as Space-Track
    #: serves it: ``PAYLOAD``, ``ROCKET BODY``, ``DEBRIS``, ``UNKNOWN``); TLEs carry none.
    object_type: str | None = None

    def __post_init__(self) -> None:
        require_utc(self.epoch, "element-set epoch")

    @property
    def period_min(self) -> float:
        """Nominal orbital period in minutes (from the mean motion)."""
        return 1440.0 / self.mean_motion_rev_per_day

    def age_at(self, when: datetime) -> timedelta:
        """How old this element set is at ``when`` (negative before its epoch)."""
        return require_utc(when, "time") - self.epoch

    def label(self) -> str:
        """``NAME (catalog number)``, for messages."""
        return f"{self.name} ({self.catalog_number})" if self.name else str(self.catalog_number)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where and when an element set was obtained (for the append-only history)."""

    source: str  # a URL, a file path, or "embedded:<what>"
    obtained_at: datetime

    def __post_init__(self) -> None:
        require_utc(self.obtained_at, "obtained_at")
