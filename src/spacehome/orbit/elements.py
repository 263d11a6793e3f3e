"""Element sets on SGP4: build a :class:`~spacehome.domain.elements.ElementSet` from a TLE or
OMM fields, and turn one into sgp4's ``Satrec``.

Parsing whole files (TLE, OMM KVN/XML, CelesTrak JSON/CSV) with per-record error reports lives in
:mod:`spacehome.orbit.formats`, which also holds the validation both constructors call
(``check_tle``, the OMM field conversions and the field-range checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from math import floor, isfinite, pi

from sgp4.alpha5 import from_alpha5  # type: ignore[import-untyped, unused-ignore]
from sgp4.api import WGS72, Satrec  # type: ignore[import-untyped, unused-ignore]

from spacehome.domain.elements import MAX_ALPHA5, ElementSet
from spacehome.errors import ValidationError

#: Epoch origin used by ``Satrec.sgp4init`` (days since 1949 December 31 00:00 UTC).
_SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)
#: Julian date of 2000 January 1 00:00 UTC (the TLE epoch arrives as ``jdsatepoch + jdsatepochF``).
_JD_2000 = 2451544.5
_J2000_MIDNIGHT = datetime(2000, 1, 1, tzinfo=UTC)
_DEG = pi / 180.0
# Unit conversions for the mean-motion derivatives, from SGP4.cpp (and sgp4.omm):
# OMM gives rev/day^2 and rev/day^3; sgp4init wants rad/min^2 and rad/min^3.
_NDOT_UNITS = 1036800.0 / pi
_NDDOT_UNITS = 2985984000.0 / 2.0 / pi
#: The largest catalog number OMM (NORAD_CAT_ID) can carry: 9 digits.
MAX_CATALOG_NUMBER = 999_999_999


def from_tle(line1: str, line2: str, name: str | None = None, *, strict: bool = True) -> ElementSet:
    """Build from the two lines of a TLE.

    The lines are first checked by :func:`spacehome.orbit.formats.check_tle` (layout, checksums,
    field ranges), which raises :class:`~spacehome.errors.ValidationError` naming the line and
    column. ``strict=False`` skips that check and only requires that sgp4 can read the lines; it
    exists for reference data such as Vallado's verification set, whose deliberately corrupted
    checksums are part of the test. Trailing whitespace and CR are ignored.
    """
    line1 = line1.rstrip()
    line2 = line2.rstrip()
    if strict:
        from spacehome.orbit.formats import check_tle  # local: formats imports this module

        check_tle(line1, line2)
    try:
        sat = Satrec.twoline2rv(line1, line2, WGS72)
    except ValueError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "format error"
        raise ValidationError(
            f"sgp4 cannot read this TLE ({first}); check it against the 69-column TLE layout"
        ) from exc
    designator = line1[9:17].strip()
    try:
        return ElementSet(
            catalog_number=int(from_alpha5(line1[2:7].strip())),
            name=(name.strip() or None) if name is not None else None,
            international_designator=_designator_from_tle(designator) if designator else None,
            epoch=_epoch_from_satrec(sat),
            mean_motion_rev_per_day=float(line2[52:63]),
            eccentricity=float("0." + line2[26:33].strip()),
            inclination_deg=float(line2[8:16]),
            raan_deg=float(line2[17:25]),
            arg_perigee_deg=float(line2[34:42]),
            mean_anomaly_deg=float(line2[43:51]),
            bstar_per_earth_radius=_tle_exponential(line1[53:61]),
            mean_motion_dot_rev_per_day2=float(line1[33:43].replace(" ", "")),
            mean_motion_ddot_rev_per_day3=_tle_exponential(line1[44:52]),
            element_set_number=int(line1[64:68]) if line1[64:68].strip() else None,
            rev_at_epoch=int(line2[63:68]) if line2[63:68].strip() else None,
            classification=line1[7:8].strip() or "U",
            line1=line1,
            line2=line2,
        )
    except (ValueError, IndexError) as exc:
        # Only reachable with strict=False: sgp4 accepted lines whose columns do not hold numbers.
        raise ValidationError(
            f"the TLE's fields are not at their columns ({exc}); run check_tle for the exact "
            "line and column, and fix it against the 69-column layout"
        ) from exc


def from_omm(fields: Mapping[str, object]) -> ElementSet:
    """Build from OMM keywords (CCSDS names, as in CelesTrak's JSON and CSV).

    Values may be strings or numbers. Required: ``NORAD_CAT_ID``, ``EPOCH`` (UTC),
    ``MEAN_MOTION``, ``ECCENTRICITY``, ``INCLINATION``, ``RA_OF_ASC_NODE``,
    ``ARG_OF_PERICENTER``, ``MEAN_ANOMALY``, ``BSTAR``, ``MEAN_MOTION_DOT``,
    ``MEAN_MOTION_DDOT``. The values are range-checked like a TLE's (eccentricity, angles, mean
    motion); a bad one raises :class:`~spacehome.errors.ValidationError` naming the keyword.
    Catalog numbers up to 999999999 are accepted (beyond the TLE's alpha-5 range).
    """
    from spacehome.orbit.formats import (  # local: formats imports this module
        FieldError,
        element_range_problem,
        omm_value,
    )

    catalog_number = int(omm_value(fields, "NORAD_CAT_ID", int))
    if not 0 <= catalog_number <= MAX_CATALOG_NUMBER:
        raise FieldError(
            "NORAD_CAT_ID",
            f"OMM field NORAD_CAT_ID is {catalog_number}; a catalog number is 0 .. "
            f"{MAX_CATALOG_NUMBER} (9 digits) — fix the number",
        )
    floats: dict[str, float] = {}
    for key in (
        "MEAN_MOTION",
        "ECCENTRICITY",
        "INCLINATION",
        "RA_OF_ASC_NODE",
        "ARG_OF_PERICENTER",
        "MEAN_ANOMALY",
        "BSTAR",
        "MEAN_MOTION_DOT",
        "MEAN_MOTION_DDOT",
    ):
        value = float(omm_value(fields, key, float))
        if not isfinite(value):
            raise FieldError(key, f"OMM field {key} is {value}; it must be a finite number")
        problem = element_range_problem(key, value)
        if problem is not None:
            raise FieldError(key, f"OMM field {key}: {problem}")
        floats[key] = value
    epoch = omm_value(fields, "EPOCH", datetime)
    return ElementSet(
        catalog_number=catalog_number,
        name=_optional_str(fields.get("OBJECT_NAME")),
        international_designator=_optional_str(fields.get("OBJECT_ID")),
        epoch=epoch,
        mean_motion_rev_per_day=floats["MEAN_MOTION"],
        eccentricity=floats["ECCENTRICITY"],
        inclination_deg=floats["INCLINATION"],
        raan_deg=floats["RA_OF_ASC_NODE"],
        arg_perigee_deg=floats["ARG_OF_PERICENTER"],
        mean_anomaly_deg=floats["MEAN_ANOMALY"],
        bstar_per_earth_radius=floats["BSTAR"],
        mean_motion_dot_rev_per_day2=floats["MEAN_MOTION_DOT"],
        mean_motion_ddot_rev_per_day3=floats["MEAN_MOTION_DDOT"],
        element_set_number=_optional_int(fields, "ELEMENT_SET_NO"),
        rev_at_epoch=_optional_int(fields, "REV_AT_EPOCH"),
        classification=_optional_str(fields.get("CLASSIFICATION_TYPE")) or "U",
        object_type=_object_type(fields.get("OBJECT_TYPE")),
    )


#: OMM ``OBJECT_TYPE`` values kept (Space-Track's GP class; CCSDS 502.0-B-3 leaves it free).
OBJECT_TYPES = ("PAYLOAD", "ROCKET BODY", "DEBRIS", "UNKNOWN")


def _object_type(raw: object) -> str | None:
    text = " ".join(str(raw).split()).upper() if raw is not None else ""
    return text if text in OBJECT_TYPES else None


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
    """The TLE epoch as an aware UTC datetime, to the microsecond.

    sgp4 splits the epoch into ``jdsatepoch`` (the Julian date of the epoch's 0h UTC) and
    ``jdsatepochF`` (the fraction of that day), so the fraction keeps all 8 decimals of the TLE's
    day-of-year (0.864 ms resolution) instead of losing them to a large float.
    """
    days = float(sat.jdsatepoch) - _JD_2000
    whole_days = floor(days)
    fraction_us = round((days - whole_days + float(sat.jdsatepochF)) * 86_400_000_000)
    return _J2000_MIDNIGHT + timedelta(days=whole_days, microseconds=fraction_us)


def _tle_exponential(text: str) -> float:
    """A TLE field with an assumed leading decimal point, e.g. `` 16863-3`` → 0.16863e-3."""
    sign = "-" if text[0] == "-" else ""
    return float(f"{sign}0.{text[1:6]}e{text[6:8].strip()}")


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


def _optional_int(fields: Mapping[str, object], key: str) -> int | None:
    value = fields.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    from spacehome.orbit.formats import FieldError

    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise FieldError(key, f"OMM field {key} is {value!r}; expected an integer") from exc
