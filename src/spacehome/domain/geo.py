"""Positions on the Earth as plain numbers: the one check of latitude and longitude ranges."""

from __future__ import annotations

import math

from spacehome.errors import ValidationError


def check_latitude_longitude(latitude_deg: float, longitude_deg: float) -> None:
    """Refuse a latitude outside [-90, 90] or a longitude outside [-180, 180] (or NaN)."""
    if not (math.isfinite(latitude_deg) and -90.0 <= latitude_deg <= 90.0):
        raise ValidationError(
            f"latitude {float(latitude_deg)} is out of range: use degrees north in [-90, 90] (south is negative)"
        )
    if not (math.isfinite(longitude_deg) and -180.0 <= longitude_deg <= 180.0):
        raise ValidationError(
            f"longitude {float(longitude_deg)} is out of range: use degrees east in [-180, 180] (west is negative)"
        )
