"""Element sets on SGP4: build a :class:`~spacehome.domain.elements.ElementSet` from a TLE or
OMM fields, and turn one into sgp4's ``Satrec``.

Parsing whole files (TLE, OMM KVN/XML, CelesTrak JSON/CSV) with per-record error reports lives in
:mod:`spacehome.orbit.formats`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from math import pi

from sgp4.api import WGS72, Satrec

from spacehome.domain.elements import MAX_ALPHA5, ElementSet
from spacehome.errors import ValidationError

#: Epoch origin used by ``Satrec.sgp4init`` (days since 1949 December 31 00:00 UTC).
_SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)
_DEG = pi / 180.0
# Unit conversions for the mean-motion derivatives, from SGP4.cpp (and sgp4.omm):
# OMM gives rev/day^2 and rev/day^3; sgp4init wants rad/min^2 and rad/min^3.
_NDOT_UNITS = 1036800.0 / pi
_NDDOT_UNITS = 2985984000.0 / 2.0 / pi


def from_tle(line1: str, line2: str, name: str | None = None) -> ElementSet:
    """Build from the two lines of a TLE (already checked by ``formats.check_tle``)."""
    sat = Satrec.twoline2rv(line1, line2, WGS72)
    designator = line1[9:17].strip()
    return ElementSet(
        catalog_number=sat.satnum,
        name=(name.strip() or None) if name is not None else None,
        international_designator=_designator_from_tle(designator) if designator else None,
        epoch=_epoch_from_satrec(sat),
        mean_motion_rev_per_day=float(line2[52:63]),
        eccentricity=sat.ecco,
        inclination_deg=float(line2[8:16]),
        raan_deg=float(line2[17:25]),
        arg_perigee_deg=float(line2[34:42]),
        mean_anomaly_deg=float(line2[43:51]),
        bstar_per_earth_radius=sat.bstar,
        mean_motion_dot_rev_per_day2=sat.ndot * _NDOT_UNITS,
        mean_motion_ddot_rev_per_day3=sat.nddot * _NDDOT_UNITS,
        element_set_number=sat.elnum,
        rev_at_epoch=sat.revnum,
        classification=sat.classification or "U",
        line1=line1,
        line2=line2,
    )


def from_omm(fields: Mapping[str, object]) -> ElementSet:
    """Build from OMM keywords (CCSDS names, as in CelesTrak's JSON and CSV).

    Values may be strings or numbers. Required: ``NORAD_CAT_ID``, ``EPOCH``, ``MEAN_MOTION``,
    ``ECCENTRICITY``, ``INCLINATION``, ``RA_OF_ASC_NODE``, ``ARG_OF_PERICENTER``,
    ``MEAN_ANOMALY``, ``BSTAR``, ``MEAN_MOTION_DOT``, ``MEAN_MOTION_DDOT``.
    """
    from spacehome.orbit.formats import omm_value  # local: formats imports this module

    return ElementSet(
        catalog_number=int(omm_value(fields, "NORAD_CAT_ID", int)),
        name=_optional_str(fields.get("OBJECT_NAME")),
        international_designator=_optional_str(fields.get("OBJECT_ID")),
        epoch=omm_value(fields, "EPOCH", datetime),
        mean_motion_rev_per_day=omm_value(fields, "MEAN_MOTION", float),
        eccentricity=omm_value(fields, "ECCENTRICITY", float),
        inclination_deg=omm_value(fields, "INCLINATION", float),
        raan_deg=omm_value(fields, "RA_OF_ASC_NODE", float),
        arg_perigee_deg=omm_value(fields, "ARG_OF_PERICENTER", float),
        mean_anomaly_deg=omm_value(fields, "MEAN_ANOMALY", float),
        bstar_per_earth_radius=omm_value(fields, "BSTAR", float),
        mean_motion_dot_rev_per_day2=omm_value(fields, "MEAN_MOTION_DOT", float),
        mean_motion_ddot_rev_per_day3=omm_value(fields, "MEAN_MOTION_DDOT", float),
        element_set_number=_optional_int(fields.get("ELEMENT_SET_NO")),
        rev_at_epoch=_optional_int(fields.get("REV_AT_EPOCH")),
        classification=_optional_str(fields.get("CLASSIFICATION_TYPE")) or "U",
    )


def satrec(elements: ElementSet) -> Satrec:
    """The SGP4 model for ``elements`` (WGS72 constants, improved mode, as Vallado)."""
    if elements.line1 is not None and elements.line2 is not None:
        return Satrec.twoline2rv(elements.line1, elements.line2, WGS72)
    sat = Satrec()
    epoch_days = (elements.epoch - _SGP4_EPOCH0).total_seconds() / 86400.0
    # sgp4 keeps the catalog number in 5 alpha-5 characters; larger numbers (9-digit OMM ids)
    # are carried by the ElementSet instead, and sgp4 gets 0, which it does not use.
    satnum = elements.catalog_number if elements.catalog_number <= MAX_ALPHA5 else 0
    sat.sgp4init(
        WGS72,
        "i",
        satnum,
        epoch_days,
        elements.bstar_per_earth_radius,
        elements.mean_motion_dot_rev_per_day2 / _NDOT_UNITS,
        elements.mean_motion_ddot_rev_per_day3 / _NDDOT_UNITS,
        elements.eccentricity,
        elements.arg_perigee_deg * _DEG,
        elements.inclination_deg * _DEG,
        elements.mean_anomaly_deg * _DEG,
        elements.mean_motion_rev_per_day / 720.0 * pi,
        elements.raan_deg * _DEG,
    )
    return sat


def _epoch_from_satrec(sat: Satrec) -> datetime:
    """The TLE epoch as an aware UTC datetime, to the microsecond."""
    year = sat.epochyr + (2000 if sat.epochyr < 57 else 1900)
    start = datetime(year, 1, 1, tzinfo=UTC)
    return start + timedelta(days=sat.epochdays - 1.0)


def _designator_from_tle(designator: str) -> str:
    """TLE ``21035A`` → OMM ``2021-035A`` (years 57-99 are 19xx, per the TLE convention)."""
    if len(designator) < 5 or not designator[:5].isdigit():
        return designator
    yy = int(designator[:2])
    year = (1900 if yy >= 57 else 2000) + yy
    return f"{year}-{designator[2:5]}{designator[5:]}"


def _optional_str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _optional_int(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise ValidationError(f"expected an integer, got {value!r}") from exc
