"""CCSDS Conjunction Data Messages (CDM, CCSDS 508.0-B-1): read and write, KVN and XML.

Parsing and serialising are the maintained ``ccsds-ndm`` package's work (its NDM/XML 4.0 schema
classes, CDM 1.0). What this module adds is a small frozen value, :class:`Conjunction`, with what
a conjunction assessment needs, and strict validation: ``ccsds-ndm`` is lenient (a missing
mandatory keyword becomes ``None``, an unknown keyword is dropped, an XML number that does not
convert stays a string), so every mandatory keyword, number, unit and enumerated value is checked
here and a failure raises :class:`~spacehome.errors.ValidationError` naming the keyword, its line,
and how to fix it.

Conventions (CCSDS 508.0-B-1, sections 3.3-3.5):

* Times are UTC (the CDM's only time system); calendar (``YYYY-MM-DDThh:mm:ss.d``) or day-of-year
  (``YYYY-DDDThh:mm:ss.d``) form; read into aware ``datetime`` values.
* Miss distance and the relative position are in metres, relative speed and velocity in m/s; the
  relative state is object 2 minus object 1 in object 1's RTN frame.
* Each object's state vector at TCA is in km and km/s in its ``REF_FRAME`` (EME2000, GCRF, ITRF).
* The covariance is RTN, lower triangle, in m², m²/s and m²/s². The value keeps the 3x3 position
  part as a matrix and the 15 velocity terms as they are (the standard makes all 21 mandatory);
  a value built without velocity terms is written with zeros there and a COMMENT saying so.
* CDM 1.0 has no hard-body-radius keyword; ``AREA_PC`` (m², "the actual area of the object"
  used for the probability) is kept, and the hard-body radius is the radius of the circle of that
  area, ``sqrt(AREA_PC / pi)``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Final, Literal

from spacehome.errors import ValidationError

#: Bytes read from a CDM file at most (a CDM is a few kilobytes).
MAX_FILE_BYTES: Final = 1024 * 1024
#: Enumerations of CCSDS 508.0-B-1 that the value keeps as text.
REF_FRAMES: Final = ("EME2000", "GCRF", "ITRF")
OBJECT_TYPES: Final = ("PAYLOAD", "ROCKET BODY", "DEBRIS", "UNKNOWN", "OTHER")
COVARIANCE_METHODS: Final = ("CALCULATED", "DEFAULT")
MANEUVERABLE: Final = ("YES", "NO", "N/A")

Matrix3 = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]
Vector3 = tuple[float, float, float]

_POSITION_COV: Final = ("CR_R", "CT_R", "CT_T", "CN_R", "CN_T", "CN_N")
_VELOCITY_COV: Final = (
    ("CRDOT_R", "m**2/s"), ("CRDOT_T", "m**2/s"), ("CRDOT_N", "m**2/s"),
    ("CRDOT_RDOT", "m**2/s**2"),
    ("CTDOT_R", "m**2/s"), ("CTDOT_T", "m**2/s"), ("CTDOT_N", "m**2/s"),
    ("CTDOT_RDOT", "m**2/s**2"), ("CTDOT_TDOT", "m**2/s**2"),
    ("CNDOT_R", "m**2/s"), ("CNDOT_T", "m**2/s"), ("CNDOT_N", "m**2/s"),
    ("CNDOT_RDOT", "m**2/s**2"), ("CNDOT_TDOT", "m**2/s**2"), ("CNDOT_NDOT", "m**2/s**2"),
)  # fmt: skip
_NO_VELOCITY_COVARIANCE: Final = (
    "velocity covariance terms not available: written as zero, do not use them"
)


@dataclass(frozen=True)
class CdmObject:
    """One of the two objects of a conjunction (``OBJECT1`` or ``OBJECT2``) at TCA."""

    designator: str
    name: str
    international_designator: str
    object_type: str | None  # one of OBJECT_TYPES
    ref_frame: str  # one of REF_FRAMES
    position_km: Vector3
    velocity_km_s: Vector3
    #: RTN position covariance, m² (symmetric; CR_R, CT_R, CT_T, CN_R, CN_T, CN_N).
    position_covariance_rtn_m2: Matrix3
    #: The 15 velocity terms in CCSDS order (CRDOT_R .. CNDOT_NDOT), m²/s and m²/s², if known.
    velocity_covariance_terms: tuple[float, ...] | None = None
    area_pc_m2: float | None = None
    catalog_name: str = "SATCAT"
    ephemeris_name: str = "NONE"
    covariance_method: str = "CALCULATED"  # one of COVARIANCE_METHODS
    maneuverable: str = "N/A"  # one of MANEUVERABLE

    @property
    def hard_body_radius_m(self) -> float | None:
        """Radius of the circle of area ``AREA_PC``, or ``None`` when the CDM gives none."""
        return None if self.area_pc_m2 is None else math.sqrt(self.area_pc_m2 / math.pi)

    @property
    def sigmas_rtn_m(self) -> Vector3:
        """Standard deviations in radial, in-track (transverse) and cross-track (normal), m."""
        c = self.position_covariance_rtn_m2
        return (math.sqrt(c[0][0]), math.sqrt(c[1][1]), math.sqrt(c[2][2]))


@dataclass(frozen=True)
class Conjunction:
    """What a conjunction assessment needs from one CDM."""

    message_id: str
    creation_date: datetime
    originator: str
    tca: datetime
    miss_distance_m: float
    object1: CdmObject
    object2: CdmObject
    message_for: str | None = None
    relative_speed_m_s: float | None = None
    relative_position_rtn_m: Vector3 | None = None
    relative_velocity_rtn_m_s: Vector3 | None = None
    collision_probability: float | None = None
    collision_probability_method: str | None = None

    @property
    def objects(self) -> tuple[CdmObject, CdmObject]:
        return (self.object1, self.object2)


# --------------------------------------------------------------------------------------------
# Reading


def read_cdm(source: str | Path) -> Conjunction:
    """The conjunction in a CDM: a :class:`~pathlib.Path` to a file, or the message text.

    KVN or XML is told from the text (XML starts with ``<``). Raises
    :class:`~spacehome.errors.ValidationError` naming the keyword and line at fault.
    """
    text = (_read_file(source) if isinstance(source, Path) else source).lstrip("\ufeff")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ValidationError(
            "the CDM is empty; a CDM starts with CCSDS_CDM_VERS = 1.0 (KVN) or <cdm> (XML)"
        )
    if stripped.startswith("<"):
        return _read_xml(text)
    if re.search(r"^\s*CCSDS_CDM_VERS\s*=", text, re.MULTILINE):
        return _read_kvn(text)
    other = re.search(r"^\s*CCSDS_([A-Z]+)_VERS\s*=", text, re.MULTILINE)
    if other:
        raise ValidationError(
            f"this is a CCSDS {other[1]} message, not a CDM; give a conjunction data message"
        )
    first = stripped.splitlines()[0][:40]
    one_line = not isinstance(source, Path) and "\n" not in stripped.strip()
    hint = " (to read a file, pass a Path)" if one_line else ""
    raise ValidationError(
        f"this is not a CDM (it starts {first!r}){hint}; a KVN CDM starts with "
        "CCSDS_CDM_VERS = 1.0, an XML one with <cdm>"
    )


def _read_file(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValidationError(
                f"{path} is {size} bytes; a CDM is a few kilobytes — is this the right file?"
            )
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(f"CDM file {path} does not exist; check the path") from None
    except IsADirectoryError:
        raise ValidationError(f"{path} is a directory; give a CDM file") from None
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{path} is not UTF-8 text (byte {exc.start}); a CDM is ASCII text"
        ) from None


LineOf = Callable[[int, str], int | None]  # (section 0 relative / 1 / 2, keyword) -> line


_KVN_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def _read_kvn(text: str) -> Conjunction:
    lines = text.splitlines()
    known = _keywords()
    key_lines: dict[tuple[int, str], int] = {}
    section = 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("COMMENT"):
            continue
        match = _KVN_LINE.match(line)
        if not match:
            raise ValidationError(
                f"CDM line {number}: {stripped[:40]!r} is not KEYWORD = value; every KVN line is a "
                "keyword, '=' and a value, a COMMENT or blank (CCSDS 508.0-B-1, 4.2)"
            )
        key = match[1]
        if key != key.upper() or key not in known:
            raise ValidationError(
                f"CDM line {number}: unknown keyword {key}; CDM 1.0 keywords are upper case as in "
                "CCSDS 508.0-B-1 tables 3-1 to 3-5 — check the spelling"
            )
        if key == "OBJECT":
            value = match[2].upper()
            section = {"OBJECT1": 1, "OBJECT2": 2}.get(value, 0)
            if section == 0 or (section, key) in key_lines:
                raise ValidationError(
                    f"CDM line {number}: OBJECT = {match[2]} is out of place; a CDM has OBJECT = "
                    "OBJECT1 and then OBJECT = OBJECT2, once each"
                )
        if (section, key) in key_lines:
            raise ValidationError(
                f"CDM line {number}: {key} appears again (first on line {key_lines[(section, key)]}); "
                "give each keyword once per section"
            )
        key_lines[(section, key)] = number

    def line_of(where: int, key: str) -> int | None:
        return key_lines.get((where, key))

    from ccsds_ndm.ndm_kvn_io import NdmKvnIo  # type: ignore[import-untyped, unused-ignore]

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = NdmKvnIo().from_string(_with_units(lines))
    except Exception as exc:  # the library's ValueError/TypeError/KeyError, one line
        raise ValidationError(_library_failure(exc, lines)) from None
    return _conjunction(tree, line_of)


def _with_units(lines: list[str]) -> str:
    """The KVN with the standard's units written where a line omits them.

    CCSDS 508.0-B-1 makes the bracketed units optional in KVN; ccsds-ndm needs them for most
    quantities (covariance terms, state vector), so they are supplied here from its own schema.
    """
    out = []
    for line in lines:
        match = _KVN_LINE.match(line)
        if match and match[1] in _UNITS and "[" not in match[2]:
            line = f"{line.rstrip()} [{_UNITS[match[1]]}]"
        out.append(line)
    return "\n".join(out) + "\n"


def _library_failure(exc: Exception, lines: list[str]) -> str:
    message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    quoted = re.search(r"'([^']+)'", message)
    where = ""
    if quoted:
        for number, line in enumerate(lines, start=1):
            match = _KVN_LINE.match(line)
            if match and (
                match[2] == quoted[1]
                or re.search(rf"(^|[\s\[]){re.escape(quoted[1])}([\s\]]|$)", match[2])
            ):
                where = f"line {number} ({match[1]}): "
                break
    hint = "check the value and its [units] against CCSDS 508.0-B-1"
    if "required keyword-only argument: 'units'" in message:
        kind = message.split(".", 1)[0]
        return (
            f"CDM: a {kind} value has no [units]; ccsds-ndm needs the units of covariance and "
            "other quantities written out — add them in brackets, e.g. CRDOT_R = 0.0 [m**2/s]"
        )
    if "valid" in message and "Units" in message:
        hint = "write the units the standard gives for this keyword, or none"
    elif "is not a valid" in message:
        hint = "write one of the values CCSDS 508.0-B-1 lists for this keyword"
    return f"CDM {where}{message}; {hint}"


def _read_xml(text: str) -> Conjunction:
    try:
        # Well-formedness only; CPython's expat (>= 2.4.1) refuses entity-expansion attacks.
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise ValidationError(
            f"CDM XML line {line}, column {column + 1}: not well-formed ({str(exc).split(':')[0]}); "
            "the file may be cut short — every element must be closed"
        ) from None
    tag = root.tag.rsplit("}", 1)[-1]
    if tag != "cdm":
        raise ValidationError(f"the XML root element is <{tag}>, not <cdm>; give a single CDM")
    segments = [m.start() for m in re.finditer(r"<(?:\w+:)?segment[\s>]", text)]

    def line_of(where: int, key: str) -> int | None:
        start = 0 if where == 0 else (segments[where - 1] if len(segments) >= where else 0)
        end = segments[0] if where == 0 and segments else len(text)
        match = re.compile(rf"<(?:\w+:)?{re.escape(key)}[\s>/]").search(text, start, end)
        return None if match is None else text.count("\n", 0, match.start()) + 1

    from ccsds_ndm.ndm_xml_io import NdmXmlIo  # type: ignore[import-untyped, unused-ignore]

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = NdmXmlIo().from_string(text)
    except TypeError as exc:
        missing = re.search(r"argument: '(\w+)'", str(exc))
        owner = re.match(r"(\w+)\.__init__", str(exc))
        if missing:
            name = _xml_name(owner[1] if owner else "", missing[1])
            raise ValidationError(
                f"CDM XML: mandatory element <{name}> is missing"
                + (f" in <{owner[1]}>" if owner else "")
                + "; add it (CCSDS 508.0-B-1 lists it as mandatory)"
            ) from None
        raise ValidationError(
            f"CDM XML: {str(exc)[:200]}; fix it against CCSDS 508.0-B-1"
        ) from None
    except Exception as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ValidationError(f"CDM XML: {message}; fix it against CCSDS 508.0-B-1") from None
    return _conjunction(tree, line_of)


def _xml_name(owner: str, attribute: str) -> str:
    """The element name of a schema class's attribute (``tca`` -> ``TCA``), for messages."""
    from ccsds_ndm.models.ndmxml4 import (  # type: ignore[import-untyped, unused-ignore]
        ndmxml_4_0_0_cdm_1_0 as cdm_module,
    )

    cls = getattr(cdm_module, owner, None)
    if cls is not None and dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            if f.name == attribute:
                return str(f.metadata.get("name", attribute.upper()))
    return attribute.upper()


# --------------------------------------------------------------------------------------------
# The object tree -> the value, checking as we go


class _Reader:
    def __init__(self, line_of: LineOf) -> None:
        self.line_of = line_of

    def where(self, section: int, key: str) -> str:
        line = self.line_of(section, key)
        part = ("", "OBJECT1 ", "OBJECT2 ")[section]
        return f"CDM {part}{key}" + (f" (line {line})" if line is not None else "")

    def missing(self, section: int, key: str) -> ValidationError:
        part = ("", " in the OBJECT1 section", " in the OBJECT2 section")[section]
        return ValidationError(
            f"CDM keyword {key} is missing{part}; it is mandatory (CCSDS 508.0-B-1) — add it"
        )

    def text(self, section: int, key: str, value: object, *, required: bool = True) -> str | None:
        if isinstance(value, Enum):
            value = value.value
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.missing(section, key)
            return None
        return str(value).strip()

    def choice(
        self,
        section: int,
        key: str,
        value: object,
        allowed: tuple[str, ...],
        *,
        required: bool = True,
    ) -> str | None:
        text = self.text(section, key, value, required=required)
        if text is None:
            return None
        if text.upper() not in allowed:
            raise ValidationError(
                f"{self.where(section, key)}: {text!r} is not one of {', '.join(allowed)}"
            )
        return text.upper()

    def number(
        self, section: int, key: str, value: object, *, required: bool = True
    ) -> float | None:
        if value is None:
            if required:
                raise self.missing(section, key)
            return None
        if isinstance(value, bool) or not isinstance(value, float | int):
            raise ValidationError(
                f"{self.where(section, key)}: {value!r} is not a number; write it as 123.4 or 1.234E+02"
            )
        number = float(value)
        if not math.isfinite(number):
            raise ValidationError(f"{self.where(section, key)}: {value!r} is not a finite number")
        return number

    def quantity(
        self, section: int, key: str, q: object, unit: str, *, required: bool = True
    ) -> float | None:
        if q is None:
            if required:
                raise self.missing(section, key)
            return None
        units = getattr(q, "units", None)
        units = units.value if isinstance(units, Enum) else units
        if units is not None and units != unit:
            raise ValidationError(
                f"{self.where(section, key)}: units [{units}] are wrong; write [{unit}] or none"
            )
        return self.number(section, key, getattr(q, "value", None), required=required)

    def time(
        self, section: int, key: str, value: object, *, required: bool = True
    ) -> datetime | None:
        text = self.text(section, key, value, required=required)
        return None if text is None else _parse_time(text, self.where(section, key))


_ORDINAL = re.compile(r"^(\d{4})-(\d{3})(T.*)?$")


def _parse_time(text: str, where: str) -> datetime:
    raw = text[:-1] if text.endswith("Z") else text
    try:
        ordinal = _ORDINAL.match(raw)
        if ordinal:
            year, day = int(ordinal[1]), int(ordinal[2])
            start = datetime(year, 1, 1, tzinfo=UTC)
            if not 1 <= day <= (start.replace(year=year + 1) - start).days:
                raise ValueError(day)
            raw = (start + timedelta(days=day - 1)).strftime("%Y-%m-%d") + (ordinal[3] or "")
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"{where}: {text!r} is not a time; write YYYY-MM-DDThh:mm:ss.ddd or YYYY-DDDThh:mm:ss.ddd (UTC)"
        ) from None
    if value.tzinfo is not None and value.utcoffset() != timedelta(0):
        raise ValidationError(
            f"{where}: {text!r} has a zone offset; CDM times are UTC, write them without one"
        )
    return value.replace(tzinfo=UTC)


def _conjunction(tree: Any, line_of: LineOf) -> Conjunction:
    r = _Reader(line_of)
    header, body = getattr(tree, "header", None), getattr(tree, "body", None)
    if type(tree).__name__ != "Cdm" or header is None or body is None:
        raise ValidationError("this message is not a CDM; give a conjunction data message")
    rel = getattr(body, "relative_metadata_data", None)
    if rel is None:
        raise r.missing(0, "TCA")
    segments = list(getattr(body, "segment", None) or [])
    objects: list[CdmObject] = []
    for section in (1, 2):
        segment = next(
            (
                s
                for s in segments
                if _enum_text(getattr(getattr(s, "metadata", None), "object_value", None))
                == f"OBJECT{section}"
            ),
            None,
        )
        if segment is None or getattr(segment, "data", None) is None:
            raise ValidationError(
                f"the CDM has no OBJECT{section} section; a CDM describes two objects, "
                "OBJECT = OBJECT1 and OBJECT = OBJECT2, each with metadata, state vector and covariance"
            )
        objects.append(_object(r, section, segment))
    rsv = getattr(rel, "relative_state_vector", None)
    rel_pos = rel_vel = None
    if rsv is not None:
        rel_pos = _vector(
            r,
            0,
            rsv,
            ("relative_position_r", "relative_position_t", "relative_position_n"),
            "RELATIVE_POSITION_",
            "m",
        )
        rel_vel = _vector(
            r,
            0,
            rsv,
            ("relative_velocity_r", "relative_velocity_t", "relative_velocity_n"),
            "RELATIVE_VELOCITY_",
            "m/s",
        )
    pc = r.number(0, "COLLISION_PROBABILITY", rel.collision_probability, required=False)
    if pc is not None and not 0.0 <= pc <= 1.0:
        raise ValidationError(
            f"{r.where(0, 'COLLISION_PROBABILITY')}: {pc:g} is not a probability; it lies in 0 .. 1"
        )
    miss = r.quantity(0, "MISS_DISTANCE", rel.miss_distance, "m")
    assert miss is not None
    if miss < 0.0:
        raise ValidationError(
            f"{r.where(0, 'MISS_DISTANCE')}: {miss:g} m is negative; a distance is 0 or more"
        )
    creation, tca = r.time(0, "CREATION_DATE", header.creation_date), r.time(0, "TCA", rel.tca)
    message_id, originator = (
        r.text(0, "MESSAGE_ID", header.message_id),
        r.text(0, "ORIGINATOR", header.originator),
    )
    assert creation is not None
    assert tca is not None
    assert message_id is not None
    assert originator is not None
    return Conjunction(
        message_id=message_id,
        creation_date=creation,
        originator=originator,
        tca=tca,
        miss_distance_m=miss,
        object1=objects[0],
        object2=objects[1],
        message_for=r.text(0, "MESSAGE_FOR", header.message_for, required=False),
        relative_speed_m_s=r.quantity(
            0, "RELATIVE_SPEED", rel.relative_speed, "m/s", required=False
        ),
        relative_position_rtn_m=rel_pos,
        relative_velocity_rtn_m_s=rel_vel,
        collision_probability=pc,
        collision_probability_method=r.text(
            0, "COLLISION_PROBABILITY_METHOD", rel.collision_probability_method, required=False
        ),
    )


def _enum_text(value: object) -> str | None:
    value = value.value if isinstance(value, Enum) else value
    return None if value is None else str(value).upper()


def _vector(
    r: _Reader, section: int, owner: object, attrs: tuple[str, str, str], prefix: str, unit: str
) -> Vector3:
    values = []
    for attr in attrs:
        key = prefix + attr.rsplit("_", 1)[-1].upper() if prefix else attr.upper()
        value = r.quantity(section, key, getattr(owner, attr, None), unit)
        assert value is not None
        values.append(value)
    return (values[0], values[1], values[2])


def _object(r: _Reader, section: int, segment: Any) -> CdmObject:
    meta, data = segment.metadata, segment.data
    sv, cov = getattr(data, "state_vector", None), getattr(data, "covariance_matrix", None)
    if sv is None:
        raise r.missing(section, "X")
    if cov is None:
        raise r.missing(section, "CR_R")
    position = _vector(r, section, sv, ("x", "y", "z"), "", "km")
    velocity = _vector(r, section, sv, ("x_dot", "y_dot", "z_dot"), "", "km/s")
    p = {
        key: r.quantity(section, key, getattr(cov, key.lower(), None), "m**2")
        for key in _POSITION_COV
    }
    matrix: Matrix3 = (
        (p["CR_R"], p["CT_R"], p["CN_R"]),  # type: ignore[assignment]
        (p["CT_R"], p["CT_T"], p["CN_T"]),
        (p["CN_R"], p["CN_T"], p["CN_N"]),
    )
    for i, key in enumerate(("CR_R", "CT_T", "CN_N")):
        if matrix[i][i] < 0.0:
            raise ValidationError(
                f"{r.where(section, key)}: a variance cannot be negative ({matrix[i][i]:g} m²)"
            )
    velocity_terms = tuple(
        float(r.quantity(section, key, getattr(cov, key.lower(), None), unit) or 0.0)
        for key, unit in _VELOCITY_COV
    )
    extra = getattr(data, "additional_parameters", None)
    area = r.quantity(section, "AREA_PC", getattr(extra, "area_pc", None), "m**2", required=False)
    if area is not None and area < 0.0:
        raise ValidationError(
            f"{r.where(section, 'AREA_PC')}: an area cannot be negative ({area:g} m²)"
        )
    designator = r.text(section, "OBJECT_DESIGNATOR", meta.object_designator)
    name = r.text(section, "OBJECT_NAME", meta.object_name)
    intl = r.text(section, "INTERNATIONAL_DESIGNATOR", meta.international_designator)
    frame = r.choice(section, "REF_FRAME", meta.ref_frame, REF_FRAMES)
    assert designator is not None
    assert name is not None
    assert intl is not None
    assert frame is not None
    return CdmObject(
        designator=designator,
        name=name,
        international_designator=intl,
        object_type=r.choice(
            section, "OBJECT_TYPE", meta.object_type, OBJECT_TYPES, required=False
        ),
        ref_frame=frame,
        position_km=position,
        velocity_km_s=velocity,
        position_covariance_rtn_m2=matrix,
        velocity_covariance_terms=velocity_terms,
        area_pc_m2=area,
        catalog_name=r.text(section, "CATALOG_NAME", meta.catalog_name) or "",
        ephemeris_name=r.text(section, "EPHEMERIS_NAME", meta.ephemeris_name) or "",
        covariance_method=r.choice(
            section, "COVARIANCE_METHOD", meta.covariance_method, COVARIANCE_METHODS
        )
        or "",
        maneuverable=r.choice(section, "MANEUVERABLE", meta.maneuverable, MANEUVERABLE) or "",
    )


_KEYWORDS: set[str] = set()
#: The standard's unit of each keyword that has one (``X``: ``km``), from the same classes.
_UNITS: dict[str, str] = {}


def _keywords() -> set[str]:
    """Every KVN keyword of CDM 1.0, from ccsds-ndm's schema classes (leaf element names)."""
    if _KEYWORDS:
        return _KEYWORDS
    from ccsds_ndm.models.ndmxml4 import ndmxml_4_0_0_master_4_0 as master  # type: ignore[import-untyped, unused-ignore]

    def walk(cls: Any) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            name = str(f.metadata.get("name", f.name))
            kinds = [
                t for t in typing.get_args(hints[f.name]) or (hints[f.name],) if t is not type(None)
            ]
            kinds = [typing.get_args(t)[0] if typing.get_origin(t) is list else t for t in kinds]
            nested = [
                t
                for t in kinds
                if dataclasses.is_dataclass(t)
                and "value" not in {g.name for g in dataclasses.fields(t)}
            ]
            if nested:
                for t in nested:
                    walk(t)
            elif f.metadata.get("type") != "Attribute":
                _KEYWORDS.add(name)
                for t in kinds:
                    if dataclasses.is_dataclass(t) and name not in _UNITS:
                        units = typing.get_type_hints(t).get("units")
                        enums = [
                            u
                            for u in typing.get_args(units) or (units,)
                            if isinstance(u, type) and issubclass(u, Enum)
                        ]
                        if enums:
                            _UNITS[name] = next(iter(enums[0])).value

    walk(master.Cdm)
    _KEYWORDS.update({"CCSDS_CDM_VERS", "COMMENT"})
    return _KEYWORDS


# --------------------------------------------------------------------------------------------
# Writing


def write_cdm(value: Conjunction, format: Literal["kvn", "xml"] = "kvn") -> str:
    """The CDM text of ``value`` as KVN or XML (CDM 1.0), written by ``ccsds-ndm``."""
    if format not in ("kvn", "xml"):
        raise ValidationError(f"CDM format {format!r} is unknown; write 'kvn' or 'xml'")
    tree = _tree(value)
    if format == "xml":
        from ccsds_ndm.ndm_xml_io import NdmXmlIo  # type: ignore[import-untyped, unused-ignore]

        return str(NdmXmlIo().to_string(tree))
    from ccsds_ndm.ndm_kvn_io import NdmKvnIo  # type: ignore[import-untyped, unused-ignore]

    return str(NdmKvnIo().to_string(tree))


def _time_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _tree(value: Conjunction) -> Any:
    from ccsds_ndm.models.ndmxml4 import ndmxml_4_0_0_cdm_1_0 as c  # type: ignore[import-untyped, unused-ignore]
    from ccsds_ndm.models.ndmxml4 import ndmxml_4_0_0_common_4_0 as common  # type: ignore[import-untyped, unused-ignore]
    from ccsds_ndm.models.ndmxml4 import ndmxml_4_0_0_master_4_0 as master  # type: ignore[import-untyped, unused-ignore]

    def m(x: float) -> Any:
        return common.LengthTypeUo(value=float(x), units=common.LengthUnits("m"))

    def ms(x: float) -> Any:
        return c.DvType(value=float(x), units=c.DvUnits("m/s"))

    relative_state = None
    if value.relative_position_rtn_m is not None or value.relative_velocity_rtn_m_s is not None:
        pos = value.relative_position_rtn_m or (0.0, 0.0, 0.0)
        vel = value.relative_velocity_rtn_m_s or (0.0, 0.0, 0.0)
        relative_state = c.RelativeStateVectorType(
            relative_position_r=m(pos[0]), relative_position_t=m(pos[1]), relative_position_n=m(pos[2]),
            relative_velocity_r=ms(vel[0]), relative_velocity_t=ms(vel[1]), relative_velocity_n=ms(vel[2]),
        )  # fmt: skip
    relative = c.RelativeMetadataData(
        tca=_time_text(value.tca),
        miss_distance=m(value.miss_distance_m),
        relative_speed=None if value.relative_speed_m_s is None else ms(value.relative_speed_m_s),
        relative_state_vector=relative_state,
        collision_probability=value.collision_probability,
        collision_probability_method=value.collision_probability_method,
    )

    def segment(number: int, o: CdmObject) -> Any:
        cov = o.position_covariance_rtn_m2
        terms: dict[str, Any] = {}
        for key, (i, j) in zip(
            _POSITION_COV, ((0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)), strict=True
        ):
            terms[key.lower()] = c.M2Type(value=float(cov[i][j]), units=c.M2Units("m**2"))
        velocity = o.velocity_covariance_terms or (0.0,) * len(_VELOCITY_COV)
        for (key, unit), x in zip(_VELOCITY_COV, velocity, strict=True):
            kind = (c.M2SType, c.M2SUnits) if unit == "m**2/s" else (c.M2S2Type, c.M2S2Units)
            terms[key.lower()] = kind[0](value=float(x), units=kind[1](unit))
        comments = [] if o.velocity_covariance_terms is not None else [_NO_VELOCITY_COVARIANCE]
        position, velocity_km_s = o.position_km, o.velocity_km_s
        return c.CdmSegment(
            metadata=c.CdmMetadata(
                object_value=c.ObjectType(f"OBJECT{number}"),
                object_designator=o.designator,
                catalog_name=o.catalog_name,
                object_name=o.name,
                international_designator=o.international_designator,
                object_type=None
                if o.object_type is None
                else common.ObjectDescriptionType(o.object_type),
                ephemeris_name=o.ephemeris_name,
                covariance_method=c.CovarianceMethodType(o.covariance_method),
                maneuverable=c.ManeuverableType(o.maneuverable),
                ref_frame=c.ReferenceFrameType(o.ref_frame),
            ),
            data=c.CdmData(
                additional_parameters=None
                if o.area_pc_m2 is None
                else c.AdditionalParametersType(
                    area_pc=common.AreaType(
                        value=float(o.area_pc_m2), units=common.AreaUnits("m**2")
                    )
                ),
                state_vector=c.CdmStateVectorType(
                    x=common.PositionTypeUr(
                        value=float(position[0]), units=common.PositionUnits("km")
                    ),
                    y=common.PositionTypeUr(
                        value=float(position[1]), units=common.PositionUnits("km")
                    ),
                    z=common.PositionTypeUr(
                        value=float(position[2]), units=common.PositionUnits("km")
                    ),
                    x_dot=common.VelocityTypeUr(
                        value=float(velocity_km_s[0]), units=common.VelocityUnits("km/s")
                    ),
                    y_dot=common.VelocityTypeUr(
                        value=float(velocity_km_s[1]), units=common.VelocityUnits("km/s")
                    ),
                    z_dot=common.VelocityTypeUr(
                        value=float(velocity_km_s[2]), units=common.VelocityUnits("km/s")
                    ),
                ),
                covariance_matrix=c.CdmCovarianceMatrixType(comment=comments, **terms),
            ),
        )

    try:
        return master.Cdm(
            header=c.CdmHeader(
                creation_date=_time_text(value.creation_date),
                originator=value.originator,
                message_for=value.message_for,
                message_id=value.message_id,
            ),
            body=c.CdmBody(
                relative_metadata_data=relative,
                segment=[segment(1, value.object1), segment(2, value.object2)],
            ),
        )
    except ValueError as exc:  # an enumerated value outside the standard's list
        raise ValidationError(
            f"cannot write this CDM: {exc}; use the values CCSDS 508.0-B-1 lists"
        ) from None


# --------------------------------------------------------------------------------------------
# Views


def conjunction_view(value: Conjunction) -> dict[str, Any]:
    """A JSON-ready summary: times as ISO 8601 with Z, sigmas and hard-body radius in metres."""

    def obj(o: CdmObject) -> dict[str, Any]:
        return {
            "designator": o.designator,
            "name": o.name,
            "international_designator": o.international_designator,
            "object_type": o.object_type,
            "ref_frame": o.ref_frame,
            "maneuverable": o.maneuverable,
            "covariance_method": o.covariance_method,
            "position_km": list(o.position_km),
            "velocity_km_s": list(o.velocity_km_s),
            "position_covariance_rtn_m2": [list(row) for row in o.position_covariance_rtn_m2],
            "sigma_rtn_m": list(o.sigmas_rtn_m),
            "area_pc_m2": o.area_pc_m2,
            "hard_body_radius_m": o.hard_body_radius_m,
        }

    def iso(t: datetime) -> str:
        return t.astimezone(UTC).isoformat().replace("+00:00", "Z")

    return {
        "message_id": value.message_id,
        "creation_date": iso(value.creation_date),
        "originator": value.originator,
        "message_for": value.message_for,
        "tca": iso(value.tca),
        "miss_distance_m": value.miss_distance_m,
        "relative_speed_m_s": value.relative_speed_m_s,
        "relative_position_rtn_m": None
        if value.relative_position_rtn_m is None
        else list(value.relative_position_rtn_m),
        "relative_velocity_rtn_m_s": None
        if value.relative_velocity_rtn_m_s is None
        else list(value.relative_velocity_rtn_m_s),
        "collision_probability": value.collision_probability,
        "collision_probability_method": value.collision_probability_method,
        "object1": obj(value.object1),
        "object2": obj(value.object2),
    }
