"""Ground stations: where the station can be heard from, read from a TOML file and validated.

``load_ground_stations()`` reads the sourced default set shipped in ``data/ground_stations.toml``;
``load_ground_stations(path)`` reads a file of your own (same format; ``sources`` may be left out
there). Any problem raises :class:`~spacehome.errors.RecordError` naming the file, the record and
the field. ``find_stations`` picks stations by id or name, ignoring case and accents.

Coordinates are geodetic WGS84 degrees (north and east positive); ``altitude_m`` is metres. When no
source gives the altitude the file says ``altitude_known = false`` and the value is an assumption
(the bundled file then uses 0 and says so in ``note``).
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from spacehome.errors import NotFoundError, RecordError

BUNDLED_FILE = "ground_stations.toml"
SCHEMA = 1

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_COUNTRY = re.compile(r"[A-Z]{3}")
_TOP_LEVEL = frozenset({"schema", "station"})
_SOURCE_KEYS = frozenset({"url", "quote"})
# Keys every station needs; `operator`, `note` and `sources` may be left out of a user's file.
_REQUIRED = (
    "id",
    "name",
    "country",
    "latitude_deg",
    "longitude_deg",
    "altitude_m",
    "altitude_known",
    "min_elevation_deg",
    "min_elevation_source",
)
_OPTIONAL = ("operator", "note", "sources")
_KEYS = frozenset(_REQUIRED + _OPTIONAL)


@dataclass(frozen=True)
class StationSource:
    """Where a station's facts come from: an address and a short verbatim quote."""

    url: str
    quote: str


@dataclass(frozen=True)
class GroundStation:
    """One ground station. Latitude/longitude in degrees (WGS84), altitude in metres."""

    id: str
    name: str
    country: str  # ISO 3166-1 alpha-3
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    altitude_known: bool  # False: altitude_m is an assumption, not a sourced value
    min_elevation_deg: float
    min_elevation_source: str
    operator: str
    note: str
    sources: tuple[StationSource, ...]

    @property
    def altitude_assumed(self) -> bool:
        return not self.altitude_known


def load_ground_stations(
    path: Path | None = None, *, require_sources: bool | None = None
) -> tuple[GroundStation, ...]:
    """Read and validate a ground-station file; ``None`` reads the bundled default set.

    ``require_sources`` (default: true for the bundled file, false for yours) makes every station
    name at least one source, with ``operator`` and ``note`` present.
    """
    if path is None:
        resource = resources.files("spacehome.record") / "data" / BUNDLED_FILE
        text = resource.read_text(encoding="utf-8")
        strict = True if require_sources is None else require_sources
        return _parse(text, BUNDLED_FILE, strict)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordError(file, "(file)", "(file)", "not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(file, "(file)", "(file)", f"cannot be read: {exc}") from None
    return _parse(text, file, bool(require_sources))


def find_stations(
    stations: Sequence[GroundStation], names: Sequence[str]
) -> tuple[GroundStation, ...]:
    """The stations whose id or name matches each of ``names`` (case and accents ignored).

    Results follow the order of ``names``; a station asked for twice is returned once.
    """
    index: dict[str, GroundStation] = {}
    for station in stations:
        index.setdefault(_fold(station.id), station)
        index.setdefault(_fold(station.name), station)
    found: list[GroundStation] = []
    for name in names:
        match = index.get(_fold(name))
        if match is None:
            available = ", ".join(s.id for s in stations) or "(none)"
            raise NotFoundError(f"no ground station {name!r}; available ids: {available}")
        if match not in found:
            found.append(match)
    return tuple(found)


# --- parsing -------------------------------------------------------------------------------------
def _parse(text: str, file: str, strict: bool) -> tuple[GroundStation, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecordError(file, "(file)", "(syntax)", f"not valid TOML: {exc}") from None
    extra = sorted(set(data) - _TOP_LEVEL)
    if extra:
        raise RecordError(
            file, "(file)", extra[0], "unknown key; expected `schema = 1` and [[station]] tables"
        )
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise RecordError(file, "(file)", "schema", f"expected schema = {SCHEMA}, got {schema!r}")
    raw_stations = data.get("station")
    if not isinstance(raw_stations, list) or not raw_stations:
        raise RecordError(file, "(file)", "station", "expected one or more [[station]] tables")
    result: list[GroundStation] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_stations, start=1):
        station = _station(raw, file, number, strict)
        if station.id in seen:
            raise RecordError(
                file, _label(raw, number), "id", f"the id {station.id!r} is used twice"
            )
        seen.add(station.id)
        result.append(station)
    return tuple(result)


def _label(raw: Any, number: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
        return f"station '{raw['id']}'"
    return f"station #{number}"


def _station(raw: Any, file: str, number: int, strict: bool) -> GroundStation:
    record = _label(raw, number)

    def error(field: str, problem: str) -> RecordError:
        return RecordError(file, record, field, problem)

    if not isinstance(raw, dict):
        raise error("(record)", "expected a table")
    extra = sorted(set(raw) - _KEYS)
    if extra:
        raise error(extra[0], f"unknown field; expected one of {sorted(_KEYS)}")
    required = _REQUIRED + _OPTIONAL if strict else _REQUIRED
    for key in required:
        if key not in raw:
            raise error(key, "missing; add it (the header of the bundled file explains each field)")

    def text(key: str, default: str = "") -> str:
        value = raw.get(key, default)
        if not isinstance(value, str):
            raise error(key, f"expected text, got {value!r}")
        if (strict or key in _REQUIRED) and not value.strip():
            raise error(key, "is empty")
        return value

    def number_(key: str, low: float, high: float, what: str) -> float:
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise error(key, f"expected a number, got {value!r}")
        result = float(value)
        if not math.isfinite(result):
            raise error(key, f"expected a finite number, got {value!r}")
        if not low <= result <= high:
            raise error(key, f"{result:g} is outside {low:g}..{high:g} ({what})")
        return result

    station_id = text("id")
    if not _ID.fullmatch(station_id):
        raise error("id", f"{station_id!r} is not a lowercase slug (letters, digits, hyphens)")
    country = text("country")
    if not _COUNTRY.fullmatch(country):
        raise error("country", f"{country!r} is not an ISO 3166-1 alpha-3 code such as 'CHN'")
    altitude_known = raw["altitude_known"]
    if not isinstance(altitude_known, bool):
        raise error("altitude_known", f"expected true or false, got {altitude_known!r}")
    sources = _sources(raw.get("sources", []), error)
    if strict and not sources:
        raise error("sources", "no sources: every bundled station must cite at least one")
    return GroundStation(
        id=station_id,
        name=text("name"),
        country=country,
        latitude_deg=number_("latitude_deg", -90.0, 90.0, "degrees north"),
        longitude_deg=number_("longitude_deg", -180.0, 180.0, "degrees east"),
        altitude_m=number_("altitude_m", -math.inf, math.inf, "metres"),
        altitude_known=altitude_known,
        min_elevation_deg=number_("min_elevation_deg", 0.0, 90.0, "degrees above the horizon"),
        min_elevation_source=text("min_elevation_source"),
        operator=text("operator"),
        note=text("note"),
        sources=sources,
    )


def _sources(value: Any, error: Callable[[str, str], RecordError]) -> tuple[StationSource, ...]:
    if not isinstance(value, list):
        raise error("sources", "expected a list of { url = ..., quote = ... } tables")
    result = []
    for i, item in enumerate(value):
        field = f"sources[{i}]"
        if not isinstance(item, dict):
            raise error(field, "expected a { url = ..., quote = ... } table")
        extra = sorted(set(item) - _SOURCE_KEYS)
        if extra:
            raise error(f"{field}.{extra[0]}", "unknown field; expected url and quote")
        for key in sorted(_SOURCE_KEYS):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise error(f"{field}.{key}", "missing or empty; give the text")
        result.append(StationSource(url=item["url"], quote=item["quote"]))
    return tuple(result)


def _fold(text: str) -> str:
    """Case-, accent- and separator-insensitive form: 'Neuquén' -> 'neuquen', 'xi-an' -> 'xi an'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", bare).strip()
