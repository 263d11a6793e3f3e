"""Reading element-set files: TLE (2/3-line), CCSDS OMM (KVN, XML), CelesTrak JSON and CSV.

Every reader returns the good element sets and one :class:`ElementProblem` per bad record, so one
corrupt set never hides the rest of a catalog; only text from which nothing at all can be read
raises :class:`~spacehome.errors.ValidationError`. Parsing is the maintained libraries' work:
sgp4's ``twoline2rv`` and alpha-5 helpers for TLEs, the ``ccsds-ndm`` package for CCSDS OMM in
KVN and XML, the standard library's ``json`` and ``csv`` for CelesTrak's formats. What this
module adds is strict validation whose messages say where (line, column, field), what was
expected, and how to fix it.

Sources for the rules:

* TLE layout: the column table in Vallado, Crawford, Hujsak & Kelso, "Revisiting Spacetrack
  Report #3", AIAA 2006-6753, appendix; CelesTrak's "NORAD Two-Line Element Set Format"; the
  alpha-5 catalog-number extension as implemented by ``sgp4.alpha5``.
* OMM keywords, units and mandatory metadata: CCSDS 502.0-B-3 (Orbit Data Messages), section 4;
  CelesTrak's GP data formats (JSON and CSV carry the same keywords, without the metadata).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

from sgp4.api import WGS72, Satrec  # type: ignore[import-untyped, unused-ignore]

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.orbit.elements import from_omm, from_tle

T = TypeVar("T")

#: The formats :func:`parse_elements` reads, by the name it reports in ``ParseResult.format``.
FORMATS: Final = ("tle", "omm-kvn", "omm-xml", "omm-json", "omm-csv")
#: The largest file :func:`read_elements` accepts (a full public catalog as XML is ~40 MB).
MAX_FILE_BYTES: Final = 50 * 1024 * 1024

_ACCEPTED = (
    "accepted formats are TLE (2- or 3-line), CCSDS OMM as KVN or XML, "
    "and CelesTrak OMM JSON or CSV"
)


@dataclass(frozen=True)
class ElementProblem:
    """One record of a file that could not be read, and why.

    ``record`` counts every record the reader met, good or bad, from 1; ``line`` and ``column``
    are 1-based positions in the file (``None`` where the format has none to give).
    """

    record: int
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            where = f"record {self.record}"
        elif self.column is None:
            where = f"line {self.line}"
        else:
            where = f"line {self.line}, column {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ParseResult:
    """The element sets read from one text, the records that failed, and the format read."""

    sets: tuple[ElementSet, ...]
    problems: tuple[ElementProblem, ...]
    format: str


class TleError(ValidationError):
    """A TLE that breaks the format: which line (1 or 2), which column, and what is wrong."""

    def __init__(self, tle_line: int, column: int | None, detail: str) -> None:
        self.tle_line = tle_line
        self.column = column
        self.detail = detail
        where = f"TLE line {tle_line}" + (f", column {column}" if column is not None else "")
        super().__init__(f"{where}: {detail}")


class FieldError(ValidationError):
    """A bad OMM field; ``key`` names the keyword so a reader can point at its line."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


# --------------------------------------------------------------------------------------------
# Field values shared by TLE and OMM


def omm_value(fields: Mapping[str, object], key: str, kind: Callable[..., T] | type) -> Any:
    """One required OMM field converted to ``kind`` (int, float or datetime).

    Raises :class:`FieldError` (a :class:`~spacehome.errors.ValidationError`) naming ``key``.
    ``EPOCH`` may be a calendar date (``2026-09-06T06:15:46.429920``) or, as CCSDS allows, a
    day-of-year date (``2026-249T06:15:46.429920``); a missing zone means UTC, since the OMM's
    time system is UTC.
    """
    raw = fields.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldError(key, f"OMM field {key} is missing; every element set needs it")
    if kind is datetime:
        return _omm_epoch(key, raw)
    try:
        return kind(str(raw).strip()) if kind is not float else float(str(raw).strip())
    except ValueError as exc:
        expected = "an integer" if kind is int else "a number"
        raise FieldError(key, f"OMM field {key} {raw!r} is not {expected}") from exc


_ORDINAL_DATE = re.compile(r"^(\d{4})-(\d{3})(T.*)?$")


def _omm_epoch(key: str, raw: object) -> datetime:
    text = str(raw).strip()
    text = text[:-1] if text.endswith("Z") else text
    try:
        ordinal = _ORDINAL_DATE.match(text)
        if ordinal:
            year, day, rest = int(ordinal[1]), int(ordinal[2]), ordinal[3] or "T00:00:00"
            if not 1 <= day <= (366 if _is_leap(year) else 365):
                raise ValueError(f"day {day} of {year}")
            date = datetime(year, 1, 1) + timedelta(days=day - 1)  # noqa: DTZ001 (zone below)
            text = date.strftime("%Y-%m-%d") + rest
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise FieldError(
            key,
            f"OMM field {key} {raw!r} is not a date; expected YYYY-MM-DDTHH:MM:SS.ffffff "
            "or YYYY-DDDTHH:MM:SS.ffffff (UTC)",
        ) from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def element_range_problem(key: str, value: float) -> str | None:
    """Why an element value (OMM keyword and units) is impossible, or ``None`` if it is fine."""
    if key == "ECCENTRICITY" and not 0.0 <= value < 1.0:
        return (
            f"eccentricity {value:g} is outside 0 <= e < 1; SGP4 models closed orbits only "
            "(e >= 1 is an escape trajectory, e < 0 has no meaning) — check the value"
        )
    if key == "INCLINATION" and not 0.0 <= value <= 180.0:
        return (
            f"inclination {value:g} deg is outside 0 .. 180 deg; a retrograde orbit is written "
            "90 .. 180, never beyond — check the value"
        )
    if key in _ANGLE_NAMES and not 0.0 <= value <= 360.0:
        return (
            f"{_ANGLE_NAMES[key]} {value:g} deg is outside 0 .. 360 deg; reduce the angle "
            "into that range"
        )
    if key == "MEAN_MOTION":
        if not value > 0.0:
            return (
                f"mean motion {value:g} rev/day must be greater than 0; an orbiting object "
                "goes round at least once in a while — check the value"
            )
        if value >= 20.0:
            return (
                f"mean motion {value:g} rev/day is 20 or more: faster than a grazing orbit "
                "(a circular orbit at the Earth's surface makes about 17 rev/day), so no "
                "satellite can have it — check the value"
            )
    return None


_ANGLE_NAMES = {
    "RA_OF_ASC_NODE": "right ascension of the ascending node",
    "ARG_OF_PERICENTER": "argument of perigee",
    "MEAN_ANOMALY": "mean anomaly",
}


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --------------------------------------------------------------------------------------------
# TLE


@dataclass(frozen=True)
class _Field:
    first: int  # 1-based columns, inclusive
    last: int
    name: str
    pattern: str  # one character class per column, see _char_ok
    shape: str  # the expected format, for messages


# Column layout of the two lines (Vallado et al. 2006, appendix). Pattern classes:
# 'd' digit; 'D' digit, or a blank when only blanks precede it in the field (right-justified);
# '.' decimal point; 's' sign (blank, + or -); 'e' exponent sign (+ or -); 'c' first character
# of a catalog number (digit, alpha-5 letter, or a blank of a right-justified number); 'k' classification; 'x' designator character.
_LINE1: Final = (
    _Field(
        3, 7, "catalog number", "cDDDd", "5 digits (older files right-justify with blanks), or alpha-5 (a letter, not I or O, and 4 digits)"
    ),
    _Field(8, 8, "classification", "k", "U, C or S"),
    _Field(10, 17, "international designator", "xxxxxxxx", "YYNNNPPP, e.g. 21035A"),
    _Field(19, 20, "epoch year", "dd", "YY"),
    _Field(21, 32, "epoch day of year", "DDd.dddddddd", "DDD.DDDDDDDD"),
    _Field(34, 43, "first derivative of mean motion", "s.dddddddd", "±.NNNNNNNN rev/day²"),
    _Field(
        45, 52, "second derivative of mean motion", "sddddded", "±NNNNN±N, assumed decimal point"
    ),
    _Field(54, 61, "BSTAR drag term", "sddddded", "±NNNNN±N, assumed decimal point"),
    _Field(63, 63, "ephemeris type", "d", "one digit, 0"),
    _Field(65, 68, "element set number", "DDDd", "up to 4 digits"),
    _Field(69, 69, "checksum", "d", "one digit"),
)
_LINE2: Final = (
    _Field(
        3, 7, "catalog number", "cDDDd", "5 digits (older files right-justify with blanks), or alpha-5 (a letter, not I or O, and 4 digits)"
    ),
    _Field(9, 16, "inclination", "DDd.dddd", "NNN.NNNN degrees"),
    _Field(18, 25, "right ascension of the ascending node", "DDd.dddd", "NNN.NNNN degrees"),
    _Field(27, 33, "eccentricity", "ddddddd", "NNNNNNN, assumed leading decimal point"),
    _Field(35, 42, "argument of perigee", "DDd.dddd", "NNN.NNNN degrees"),
    _Field(44, 51, "mean anomaly", "DDd.dddd", "NNN.NNNN degrees"),
    _Field(53, 63, "mean motion", "Dd.dddddddd", "NN.NNNNNNNN rev/day"),
    _Field(64, 68, "revolution number at epoch", "DDDDd", "up to 5 digits"),
    _Field(69, 69, "checksum", "d", "one digit"),
)
_LAYOUT: Final = {1: _LINE1, 2: _LINE2}
_ALPHA5_LETTERS: Final = frozenset("ABCDEFGHJKLMNPQRSTUVWXYZ")  # A-Z without I and O
_SHIFT_HINT = (
    "a missing or extra character shifts every field after it; "
    "compare the line with the 69-column TLE layout"
)


def check_tle(line1: str, line2: str) -> None:
    """Validate the two lines of a TLE strictly; raise :class:`TleError` on the first fault.

    Checked, in this order: the line numbers in column 1 and the exact length of 69 characters
    (trailing blanks and CR ignored); the fixed column layout (blanks between fields, decimal
    points, digits, signs, alpha-5 catalog numbers); the same catalog number on both lines; the
    modulo-10 checksums in column 69; the epoch (day of year 1.0 .. 366.99999999, day 366 only
    in a leap year); the ephemeris type (4 means SGP4-XP, which SGP4 cannot propagate); the
    element ranges (0 <= e < 1, inclination 0 .. 180 deg, the other angles 0 .. 360 deg, mean
    motion above 0 and below 20 rev/day). Finally sgp4's own ``twoline2rv`` must accept the
    lines. The error (a :class:`~spacehome.errors.ValidationError`) names the line and column.
    """
    lines = {1: line1.rstrip(), 2: line2.rstrip()}
    for number, line in lines.items():
        _check_number_and_length(number, line)
    for number, line in lines.items():
        _check_layout(number, line)
    if lines[1][2:7] != lines[2][2:7]:
        raise TleError(
            2,
            3,
            f"catalog number {lines[2][2:7]!r} (columns 3-7) differs from line 1's "
            f"{lines[1][2:7]!r}; both lines must come from the same element set — the lines "
            "may have been paired from different sets",
        )
    for number, line in lines.items():
        _check_checksum(number, line)
    _check_epoch(lines[1])
    if lines[1][62] == "4":
        raise TleError(
            1,
            63,
            "ephemeris type 4 marks SGP4-XP elements, which only the SGP4-XP propagator "
            "reproduces; spacehome propagates with SGP4 — fetch the standard (type 0) elements",
        )
    for key, first, last in (
        ("INCLINATION", 9, 16),
        ("RA_OF_ASC_NODE", 18, 25),
        ("ECCENTRICITY", 27, 33),
        ("ARG_OF_PERICENTER", 35, 42),
        ("MEAN_ANOMALY", 44, 51),
        ("MEAN_MOTION", 53, 63),
    ):
        text = lines[2][first - 1 : last]
        value = float("0." + text) if key == "ECCENTRICITY" else float(text)
        problem = element_range_problem(key, value)
        if problem is not None:
            raise TleError(2, first, f"{problem} (columns {first}-{last})")
    try:
        Satrec.twoline2rv(lines[1], lines[2], WGS72)
    except ValueError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "format error"
        raise TleError(
            1, None, f"sgp4 cannot read this TLE ({first_line}); compare it with the TLE layout"
        ) from exc


def _check_number_and_length(number: int, line: str) -> None:
    if not line:
        raise TleError(number, 1, f"line {number} is empty; a TLE line has 69 characters")
    if line[0] != str(number):
        raise TleError(
            number,
            1,
            f"column 1 holds {line[0]!r}; line {number} of a TLE starts with '{number}' — the "
            "lines may be swapped, or a title line is out of place",
        )
    if len(line) != 69:
        raise TleError(
            number,
            70 if len(line) > 69 else len(line) + 1,
            f"the line is {len(line)} characters long (trailing blanks removed); a TLE line is "
            "exactly 69: 68 of data and the checksum digit in column 69 — a character was lost "
            "or added, or the line was wrapped or cut",
        )


def _check_layout(number: int, line: str) -> None:
    fields = _LAYOUT[number]
    covered: dict[int, _Field] = {}
    for f in fields:
        for column in range(f.first, f.last + 1):
            covered[column] = f
    for column in range(2, 69 + 1):
        ch = line[column - 1]
        owner = covered.get(column)
        if owner is None:
            if ch != " ":
                before = max(
                    (g for g in fields if g.last < column), key=lambda g: g.last, default=None
                )
                after = min(
                    (g for g in fields if g.first > column), key=lambda g: g.first, default=None
                )
                between = (
                    f"it separates the {before.name} from the {after.name}"
                    if before is not None and after is not None
                    else "it follows the line number"
                )
                raise TleError(
                    number,
                    column,
                    f"column {column} must be blank ({between}) but holds {ch!r}; {_SHIFT_HINT}",
                )
            continue
        kind = owner.pattern[column - owner.first]
        leading = line[owner.first - 1 : column - 1]
        if not _char_ok(kind, ch, leading):
            raise TleError(number, column, _layout_message(owner, column, kind, ch))


def _char_ok(kind: str, ch: str, leading: str) -> bool:
    if kind == "d":
        return ch.isdigit() and ch.isascii()
    if kind == "D":
        return (ch.isdigit() and ch.isascii()) or (ch == " " and leading.strip() == "")
    if kind == ".":
        return ch == "."
    if kind == "s":
        return ch in " +-"
    if kind == "e":
        return ch in "+-"
    if kind == "c":  # a blank: an older right-justified number such as '  350'
        return (ch.isdigit() and ch.isascii()) or ch in _ALPHA5_LETTERS or ch == " "
    if kind == "k":
        return ch in "UCS"
    if kind == "x":
        return ch == " " or (ch.isascii() and (ch.isdigit() or ch.isupper()))
    raise AssertionError(f"unknown layout class {kind!r}")


def _layout_message(f: _Field, column: int, kind: str, ch: str) -> str:
    span = f"column {f.first}" if f.first == f.last else f"columns {f.first}-{f.last}"
    where = f"the {f.name} ({span}, format {f.shape})"
    if kind == ".":
        return f"column {column} must hold the decimal point of {where} but holds {ch!r}; {_SHIFT_HINT}"
    if kind == "c":
        return (
            f"column {column} holds {ch!r}, which cannot start {where}: use a digit, or an "
            "alpha-5 letter A-Z other than I and O (A0000 = 100000)"
        )
    if kind == "k":
        return f"column {column} holds {ch!r}, which is not a valid {f.name}; use U, C or S"
    if kind in "se":
        signs = "a blank, + or -" if kind == "s" else "+ or -"
        return f"column {column} must hold the sign ({signs}) of {where} but holds {ch!r}; {_SHIFT_HINT}"
    if kind == "x":
        return f"column {column} holds {ch!r} inside {where}; only digits, capitals and blanks belong there"
    if f.first == f.last:
        return f"column {column} must hold the {f.name} ({f.shape}) but holds {ch!r}"
    return f"column {column} holds {ch!r} where a digit of {where} belongs; {_SHIFT_HINT}"


def _tle_checksum(line: str) -> int:
    """Modulo-10 sum of columns 1-68: digits count their value, '-' counts 1, all else 0."""
    return sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68]) % 10


def _check_checksum(number: int, line: str) -> None:
    expected = _tle_checksum(line)
    given = int(line[68])
    if given != expected:
        raise TleError(
            number,
            69,
            f"checksum is {given} but the line's digits sum to {expected} (mod 10); "
            "re-download the element set or fix the digit",
        )


def _check_epoch(line1: str) -> None:
    yy = int(line1[18:20])
    year = (1900 if yy >= 57 else 2000) + yy  # the TLE convention: 57-99 are 1957-1999
    day = float(line1[20:32])
    text = line1[20:32].strip()
    if not 1.0 <= day < 367.0:
        raise TleError(
            1,
            21,
            f"epoch day of year {text} (columns 21-32) is outside 1.0 .. 366.99999999; "
            "day 1.0 is January 1 at 0h UTC — check the epoch",
        )
    if day >= 366.0 and not _is_leap(year):
        raise TleError(
            1,
            21,
            f"epoch day of year {text} (columns 21-32) does not exist: {year} is not a leap year, "
            "so its last day is 365 — check the epoch year (columns 19-20) and day",
        )


# --------------------------------------------------------------------------------------------
# Reading text


def parse_elements(text: str, *, format: str | None = None) -> ParseResult:
    """Read every element set in ``text``; see the module docstring for the formats.

    ``format`` is one of :data:`FORMATS`, or ``None`` to detect it: XML starts with ``<``, JSON
    with ``[`` or ``{``, KVN has a ``CCSDS_OMM_VERS`` line, CSV a header naming ``OBJECT_NAME``
    or ``NORAD_CAT_ID``; anything else is read as TLE. Bad records become
    :class:`ElementProblem` entries; :class:`~spacehome.errors.ValidationError` is raised only
    when nothing can be read at all.
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark is not content
    if format is None:
        format = _detect(text)
    elif format not in FORMATS:
        raise ValidationError(
            f"unknown element-set format {format!r}; use one of {', '.join(FORMATS)} "
            "or leave it out to detect the format"
        )
    readers: dict[str, Callable[[str], Iterator[ElementSet | ElementProblem]]] = {
        "tle": _read_tle,
        "omm-kvn": _read_kvn,
        "omm-xml": _read_xml,
        "omm-json": _read_json,
        "omm-csv": _read_csv,
    }
    items = list(readers[format](text))
    sets = tuple(item for item in items if isinstance(item, ElementSet))
    problems = tuple(item for item in items if isinstance(item, ElementProblem))
    if not sets:
        if problems:
            more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
            raise ValidationError(
                f"no element set could be read as {format}: {problems[0]}{more}; {_ACCEPTED}"
            )
        raise ValidationError(f"no element set found in the {format} text; {_ACCEPTED}")
    return ParseResult(sets=sets, problems=problems, format=format)


def read_elements(path: Path, *, format: str | None = None) -> ParseResult:
    """:func:`parse_elements` on a UTF-8 text file of at most 50 MB."""
    path = Path(path)
    try:
        if path.is_dir():
            raise ValidationError(f"{path} is a directory; give the path of an element-set file")
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationError(f"element-set file {path} does not exist; check the path") from None
    except OSError as exc:
        raise ValidationError(
            f"cannot read element-set file {path} ({exc.strerror}); check its permissions"
        ) from None
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"element-set file {path} is {size / 1e6:.1f} MB, over the 50 MB limit; "
            "split it into smaller files"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"cannot read element-set file {path} ({exc.strerror}); check its permissions"
        ) from None
    if b"\x00" in data:
        raise ValidationError(
            f"{path} is not a text file (it holds NUL bytes); element sets are UTF-8 text"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None
    try:
        return parse_elements(text, format=format)
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc.message}") from None


_KVN_HEADER = re.compile(r"^\s*CCSDS_OMM_VERS\s*=")
_OTHER_CCSDS = re.compile(r"^\s*CCSDS_([A-Z]+)_VERS\s*=", re.MULTILINE)
_CSV_KEYS = ("OBJECT_NAME", "NORAD_CAT_ID")


def _detect(text: str) -> str:
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ValidationError(f"the element-set text is empty; {_ACCEPTED}")
    if stripped[0] == "<":
        return "omm-xml"
    if stripped[0] in "[{":
        return "omm-json"
    lines = stripped.splitlines()
    if any(_KVN_HEADER.match(line) for line in lines):
        return "omm-kvn"
    header = lines[0].upper()
    if "," in header and any(key in header for key in _CSV_KEYS):
        return "omm-csv"
    if any(_tle_line_number(line.rstrip()) for line in lines):
        return "tle"
    other = _OTHER_CCSDS.search(stripped)
    if other:
        raise ValidationError(
            f"this is a CCSDS {other[1]} message, not an OMM; only OMM element sets can be read"
        )
    raise ValidationError(
        f"cannot tell the format of this text (it starts {lines[0][:40]!r}); {_ACCEPTED}"
    )


def _tle_line_number(line: str) -> int | None:
    """1 or 2 for a TLE data line, ``None`` for anything else (a title, a comment)."""
    if line[:2] in ("1 ", "2 ") or (line[:1] in ("1", "2") and len(line) >= 60):
        return int(line[0])
    return None


def _read_tle(text: str) -> Iterator[ElementSet | ElementProblem]:
    """2- and 3-line sets, titles with or without ``0 ``, blank and ``#`` comment lines skipped."""
    record = 0
    title: tuple[int, str] | None = None
    first: tuple[int, str, tuple[int, str] | None] | None = None

    def dangling_title(at: tuple[int, str]) -> ElementProblem:
        return ElementProblem(
            record,
            at[0],
            1,
            f"title line {at[1][:30]!r} is not followed by a TLE line 1; a title (optionally "
            "prefixed '0 ') must come directly before the line 1 of its set",
        )

    def orphan_line1(at: tuple[int, str, tuple[int, str] | None]) -> ElementProblem:
        return ElementProblem(
            record,
            at[0],
            1,
            "this TLE line 1 has no line 2 after it; its line 2 (starting '2 ', same catalog "
            "number) must follow — the file may be cut short or a line deleted",
        )

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kind = _tle_line_number(line)
        if kind is None:
            if first is not None:
                record += 1
                yield orphan_line1(first)
                first = None
            if title is not None:
                record += 1
                yield dangling_title(title)
            title = (number, line)
        elif kind == 1:
            if first is not None:
                record += 1
                yield orphan_line1(first)
            first = (number, line, title)
            title = None
        else:
            record += 1
            if first is None:
                title = None
                yield ElementProblem(
                    record,
                    number,
                    1,
                    "this TLE line 2 has no line 1 before it; a line 1 (starting '1 ', same "
                    "catalog number) must come directly before it",
                )
                continue
            yield _tle_record(record, first, (number, line))
            first = None
    if first is not None:
        record += 1
        yield orphan_line1(first)
    if title is not None:
        record += 1
        yield dangling_title(title)


def _tle_record(
    record: int, first: tuple[int, str, tuple[int, str] | None], second: tuple[int, str]
) -> ElementSet | ElementProblem:
    number1, line1, title = first
    number2, line2 = second
    name = None
    if title is not None:
        name = title[1].strip()
        name = name[2:].strip() if name.startswith("0 ") else name
    try:
        return from_tle(line1, line2, name)
    except TleError as exc:
        line = number1 if exc.tle_line == 1 else number2
        return ElementProblem(record, line, exc.column, exc.detail)
    except ValidationError as exc:
        return ElementProblem(record, number1, None, exc.message)


# --------------------------------------------------------------------------------------------
# OMM: shared checks

#: Metadata keywords CCSDS 502.0-B-3 makes mandatory in KVN and XML, with the value SGP4 needs.
_METADATA: Final = {
    "CENTER_NAME": (
        "EARTH",
        "SGP4 elements are Earth-centred; spacehome reads only CENTER_NAME = EARTH",
    ),
    "REF_FRAME": (
        "TEME",
        "SGP4 mean elements are defined in TEME (CCSDS 502.0-B-3, table 4-1 note); mean "
        "elements cannot be rotated into another frame — ask the provider for SGP4/TEME elements",
    ),
    "TIME_SYSTEM": (
        "UTC",
        "SGP4 element-set epochs are UTC and spacehome reads EPOCH as UTC; convert the epoch "
        "to UTC and set TIME_SYSTEM = UTC",
    ),
    "MEAN_ELEMENT_THEORY": (
        "SGP4",
        "mean elements belong to the theory that fitted them, and SGP4 on elements of another "
        "theory (SGP4-XP, DSST, ...) gives wrong positions — fetch SGP4 elements",
    ),
}


def _check_omm_metadata(fields: Mapping[str, object], *, required: bool) -> None:
    for key, (wanted, why) in _METADATA.items():
        raw = fields.get(key)
        value = str(raw).strip().upper() if raw is not None else ""
        if not value:
            if required:
                raise FieldError(
                    key,
                    f"OMM field {key} is missing; CCSDS 502.0-B-3 requires it "
                    f"({key} = {wanted} for SGP4 elements)",
                )
            continue
        if value != wanted:
            raise FieldError(key, f"OMM {key} is {str(raw).strip()!r}, not {wanted}: {why}")
    ephemeris = str(fields.get("EPHEMERIS_TYPE") or "").strip()
    if ephemeris == "4":
        raise FieldError(
            "EPHEMERIS_TYPE",
            "OMM EPHEMERIS_TYPE 4 marks SGP4-XP elements, which only the SGP4-XP propagator "
            "reproduces; spacehome propagates with SGP4 — fetch the standard (type 0) elements",
        )


def _omm_record(
    record: int,
    fields: Mapping[str, object],
    line_of: Callable[[str | None], int | None],
    *,
    metadata_required: bool,
) -> ElementSet | ElementProblem:
    try:
        _check_omm_metadata(fields, required=metadata_required)
        return from_omm(fields)
    except FieldError as exc:
        return ElementProblem(record, line_of(exc.key), None, exc.message)
    except ValidationError as exc:
        return ElementProblem(record, line_of(None), None, exc.message)


class _Lines:
    """1-based line numbers of offsets into one text, counted once for offsets met in order."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1

    def at(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def _library_message(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= 200 else first[:197] + "..."


def _xsdata_fields(parts: Iterable[object]) -> dict[str, object]:
    """Flatten ccsds-ndm's xsdata objects (metadata, meanElements, tleParameters) to keywords."""
    fields: dict[str, object] = {}
    for part in parts:
        if part is None or not dataclasses.is_dataclass(part):
            continue
        for f in dataclasses.fields(part):
            value = getattr(part, f.name)
            if value is None or isinstance(value, list):
                continue
            if dataclasses.is_dataclass(value) and hasattr(value, "value"):
                value = value.value  # a quantity with units: the units are fixed by the schema
            fields[str(f.metadata.get("name", f.name.upper()))] = value
    return fields


def _omm_fields(message: object) -> dict[str, object]:
    """Keywords of one parsed OMM (``Omm`` of any schema version ccsds-ndm knows)."""
    segment = getattr(getattr(message, "body", None), "segment", None)
    data = getattr(segment, "data", None)
    if segment is None or data is None:
        kind = type(message).__name__
        raise ValidationError(f"this CCSDS message is {kind}, not an OMM; only OMM can be read")
    return _xsdata_fields(
        (
            getattr(segment, "metadata", None),
            getattr(data, "mean_elements", None),
            getattr(data, "tle_parameters", None),
        )
    )


def _parse_ndm(text: str, *, kvn: bool) -> object:
    """ccsds-ndm's object tree for one KVN or XML text.

    The library is imported here, not at module import: its generated schema classes take
    about half a second to load, which a TLE-only run (or the CLI's start) should not pay.
    """
    if kvn:
        from ccsds_ndm.ndm_kvn_io import NdmKvnIo  # type: ignore[import-untyped, unused-ignore]

        parse: Callable[[str], object] = NdmKvnIo().from_string
    else:
        from ccsds_ndm.ndm_xml_io import NdmXmlIo  # type: ignore[import-untyped, unused-ignore]

        parse = NdmXmlIo().from_string
    # xsdata warns and keeps the raw string when a value does not convert; the conversion in
    # from_omm then reports it with the field's name, so the warning would only be noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return parse(text)


# --------------------------------------------------------------------------------------------
# OMM: KVN


_KVN_VERSIONS = ("2.0", "3.0")  # what ccsds-ndm reads (OMM of ODM 2.0 and 3.0)
_KVN_KEY = re.compile(r"^\s*([A-Z][A-Z0-9_]*)\s*=")


def _read_kvn(text: str) -> Iterator[ElementSet | ElementProblem]:
    """One OMM per ``CCSDS_OMM_VERS`` header (a KVN OMM holds one segment)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _KVN_HEADER.match(line)]
    if not starts:
        yield ElementProblem(1, None, None, "no CCSDS_OMM_VERS line; a KVN OMM starts with one")
        return
    bounds = list(zip([0, *starts[1:]], [*starts[1:], len(lines)], strict=True))
    for record, (lo, hi) in enumerate(bounds, start=1):
        header_line = starts[record - 1] + 1
        key_lines: dict[str, int] = {}
        for i in range(lo, hi):
            match = _KVN_KEY.match(lines[i])
            if match:
                key_lines.setdefault(match[1], i + 1)
        chunk = "\n".join(lines[lo:hi]) + "\n"
        try:
            fields = _omm_fields(_parse_ndm(chunk, kvn=True))
        except ValidationError as exc:
            yield ElementProblem(record, header_line, None, exc.message)
            continue
        except Exception as exc:
            version = lines[header_line - 1].split("=", 1)[1].strip()
            fix = (
                "fix it against CCSDS 502.0-B-3"
                if version in _KVN_VERSIONS
                else f"CCSDS_OMM_VERS {version} is not read; write OMM 2.0 or 3.0"
            )
            yield ElementProblem(
                record,
                _line_quoted_in(exc, lines, lo, hi, default=header_line),
                None,
                f"this OMM is not valid KVN ({_library_message(exc)}); {fix}",
            )
            continue

        def line_of(
            key: str | None, key_lines: dict[str, int] = key_lines, at: int = header_line
        ) -> int:
            return key_lines.get(key, at) if key is not None else at

        yield _omm_record(record, fields, line_of, metadata_required=True)


def _line_quoted_in(exc: Exception, lines: list[str], lo: int, hi: int, *, default: int) -> int:
    """The line holding the value a library error quotes (``... float: '4x1.5'``), if any."""
    quoted = re.search(r"'([^']+)'", str(exc))
    if quoted:
        for i in range(lo, hi):
            if quoted[1] in lines[i]:
                return i + 1
    return default


# --------------------------------------------------------------------------------------------
# OMM: XML


_OMM_ELEMENT = re.compile(r"<((?:[A-Za-z_][\w.-]*:)?omm)\b.*?</\1\s*>", re.DOTALL)


def _read_xml(text: str) -> Iterator[ElementSet | ElementProblem]:
    """A single ``<omm>``, or an ``<ndm>`` combined file of several (CelesTrak's XML)."""
    spans = [(m.start(), m.end()) for m in _OMM_ELEMENT.finditer(text)]
    try:
        root = _parse_ndm(text, kvn=False)
    except Exception as exc:
        # The whole document failed: read each <omm> on its own so one bad one is one problem.
        if not spans:
            yield ElementProblem(
                1,
                None,
                None,
                f"no readable OMM in this XML ({_library_message(exc)}); expected <omm> "
                "elements as in CCSDS 502.0-B-3 (NDM/XML)",
            )
            return
        lines = _Lines(text)
        for record, (lo, hi) in enumerate(spans, start=1):
            yield _xml_record(record, text[lo:hi], lines.at(lo), None)
        return
    messages = list(getattr(root, "omm", [root]))
    if not messages:
        yield ElementProblem(1, None, None, "this NDM holds no <omm>; there is nothing to read")
        return
    if len(spans) != len(messages):
        spans = []
    lines = _Lines(text)
    for record, message in enumerate(messages, start=1):
        lo, hi = spans[record - 1] if spans else (0, len(text))
        yield _xml_record(record, text[lo:hi], lines.at(lo), message)


def _xml_record(
    record: int, chunk: str, start_line: int, message: object | None
) -> ElementSet | ElementProblem:

    def line_of(key: str | None) -> int:
        if key is not None:
            match = re.search(rf"<{re.escape(key)}[\s>/]", chunk)
            if match:
                return start_line + chunk.count("\n", 0, match.start())
        return start_line

    try:
        if message is None:
            message = _parse_ndm(chunk, kvn=False)
        fields = _omm_fields(message)
    except ValidationError as exc:
        return ElementProblem(record, start_line, None, exc.message)
    except Exception as exc:
        return ElementProblem(
            record,
            start_line,
            None,
            f"this <omm> is not valid OMM XML ({_library_message(exc)}); "
            "fix it against CCSDS 502.0-B-3",
        )
    return _omm_record(record, fields, line_of, metadata_required=True)


# --------------------------------------------------------------------------------------------
# OMM: CelesTrak JSON and CSV


def _read_json(text: str) -> Iterator[ElementSet | ElementProblem]:
    """A list of objects with OMM keywords (or one object); values numbers or strings."""
    decoder = json.JSONDecoder()
    items: list[tuple[int, int, object]] = []  # (start, end, value)
    position = _skip_space(text, 0)
    failure: ElementProblem | None = None
    try:
        if text.startswith("[", position):
            position = _skip_space(text, position + 1)
            while not text.startswith("]", position):
                value, end = decoder.raw_decode(text, position)
                items.append((position, end, value))
                position = _skip_space(text, end)
                if text.startswith(",", position):
                    position = _skip_space(text, position + 1)
                elif not text.startswith("]", position):
                    raise json.JSONDecodeError("expected ',' or ']'", text, position)
            position += 1
        else:
            value, end = decoder.raw_decode(text, position)
            items.append((position, end, value))
            position = end
        position = _skip_space(text, position)
        if position < len(text):
            raise json.JSONDecodeError("unexpected text after the JSON value", text, position)
    except json.JSONDecodeError as exc:
        failure = ElementProblem(
            len(items) + 1,
            exc.lineno,
            exc.colno,
            f"JSON syntax error: {exc.msg}; nothing after this point could be read — fix the "
            "JSON (CelesTrak's format is a list of objects with OMM keywords)",
        )
    lines = _Lines(text)
    for record, (lo, hi, value) in enumerate(items, start=1):
        start_line = lines.at(lo)
        if not isinstance(value, dict):
            yield ElementProblem(
                record,
                start_line,
                None,
                f"this JSON record is a {type(value).__name__}, not an object; each record "
                "must be an object of OMM keywords such as NORAD_CAT_ID and EPOCH",
            )
            continue
        fields = {str(k).strip().upper(): v for k, v in value.items()}
        chunk = text[lo:hi]

        def line_of(key: str | None, chunk: str = chunk, start_line: int = start_line) -> int:
            if key is not None:
                at = chunk.find(f'"{key}"')
                if at >= 0:
                    return start_line + chunk.count("\n", 0, at)
            return start_line

        yield _omm_record(record, fields, line_of, metadata_required=False)
    if failure is not None:
        yield failure


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n\ufeff":
        position += 1
    return position


def _read_csv(text: str) -> Iterator[ElementSet | ElementProblem]:
    """CelesTrak's CSV: a header row of OMM keywords, then one row per element set."""
    body = text.lstrip("\r\n")
    skipped = text[: len(text) - len(body)].count("\n")  # blank lines before the header
    reader = csv.DictReader(io.StringIO(body))
    if not reader.fieldnames:
        yield ElementProblem(1, 1, None, "the CSV has no header row of OMM keywords")
        return
    header = [name.strip().upper() for name in reader.fieldnames]
    reader.fieldnames = header
    for record, row in enumerate(reader, start=1):
        line = skipped + reader.line_num
        extra = row.pop(None, None)
        missing = [key for key, value in row.items() if value is None]
        if extra or missing:
            count = len(header) + len(extra or []) - len(missing)
            yield ElementProblem(
                record,
                line,
                None,
                f"this CSV row has {count} fields but the header names {len(header)}; "
                "a comma inside a value must be quoted",
            )
            continue
        fields: dict[str, object] = dict(row)

        def line_of(key: str | None, line: int = line) -> int:
            return line

        yield _omm_record(record, fields, line_of, metadata_required=False)
