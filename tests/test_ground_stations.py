"""Ground stations: the bundled set loads and cites its sources; every check on load is triggered by
a broken copy, and the message names file, record and field; lookup by id or name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pycountry
import pytest

from spacehome.errors import NotFoundError, RecordError
from spacehome.record.ground_stations import (
    GroundStation,
    find_stations,
    load_ground_stations,
)

BUNDLED = resources.files("spacehome.record") / "data" / "ground_stations.toml"

ONE = """\
[[station]]
id = "home"
name = "Home antenna"
country = "NAM"
latitude_deg = -22.5
longitude_deg = 14.5
altitude_m = 10.0
altitude_known = true
min_elevation_deg = 10.0
min_elevation_source = "my own horizon survey"
"""


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    target = tmp_path / "ground_stations.toml"
    target.write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


def fails(
    path: Path, record: str, field: str, problem: str, *, require_sources: bool = True
) -> RecordError:
    with pytest.raises(RecordError) as caught:
        load_ground_stations(path, require_sources=require_sources)
    error = caught.value
    assert (error.file, error.record, error.field) == (str(path), record, field), str(error)
    assert problem in error.problem, str(error)
    for part in (str(path), record, field):
        assert part in str(error)
    assert "\n" not in str(error)
    return error


# --- the bundled file ----------------------------------------------------------------------------
def test_the_bundled_file_loads_and_every_station_cites_a_source() -> None:
    stations = load_ground_stations()
    assert 6 <= len(stations) <= 10
    for station in stations:
        assert station.sources, station.id
        for source in station.sources:
            assert source.url.startswith("http"), (station.id, source.url)
            assert source.quote.strip(), station.id
        for text in (station.operator, station.note, station.min_elevation_source):
            assert text.strip(), station.id


def test_the_bundled_file_uses_real_country_codes_and_says_when_altitude_is_assumed() -> None:
    for station in load_ground_stations():
        assert pycountry.countries.get(alpha_3=station.country) is not None, station.country
        if station.altitude_assumed:
            assert station.altitude_m == 0.0, station.id
            assert "altitude" in station.note.lower(), station.id
        if station.min_elevation_source.startswith("assumed"):
            assert station.min_elevation_deg == 5.0, station.id


def test_a_copy_of_the_bundled_file_loads_the_same(bundled_copy: Path) -> None:
    assert load_ground_stations(bundled_copy, require_sources=True) == load_ground_stations()


def test_a_users_file_may_leave_out_sources_operator_and_note(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(ONE, encoding="utf-8")
    (station,) = load_ground_stations(path)
    assert station == GroundStation(
        id="home",
        name="Home antenna",
        country="NAM",
        latitude_deg=-22.5,
        longitude_deg=14.5,
        altitude_m=10.0,
        altitude_known=True,
        min_elevation_deg=10.0,
        min_elevation_source="my own horizon survey",
        operator="",
        note="",
        sources=(),
    )


# --- every check, on a broken copy ---------------------------------------------------------------
def test_a_missing_key_is_named(bundled_copy: Path) -> None:
    edit(bundled_copy, 'id = "malindi"\nname = "Malindi"\n', 'id = "malindi"\n')
    fails(bundled_copy, "station 'malindi'", "name", "missing")


def test_a_missing_key_in_a_users_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(ONE.replace("altitude_known = true\n", ""), encoding="utf-8")
    fails(path, "station 'home'", "altitude_known", "missing", require_sources=False)


def test_an_unknown_key_is_refused(bundled_copy: Path) -> None:
    edit(bundled_copy, 'id = "karachi"\n', 'id = "karachi"\nelevation_m = 8.0\n')
    fails(bundled_copy, "station 'karachi'", "elevation_m", "unknown field")


def test_an_unknown_key_in_a_source_is_refused(bundled_copy: Path) -> None:
    edit(
        bundled_copy,
        '{ url = "https://sco.wikipedia.org/wiki/Karachi", quote',
        '{ url = "https://sco.wikipedia.org/wiki/Karachi", title = "Karachi", quote',
    )
    fails(bundled_copy, "station 'karachi'", "sources[2].title", "unknown field")


def test_latitude_outside_minus_90_to_90_is_refused(bundled_copy: Path) -> None:
    edit(bundled_copy, "latitude_deg = -22.574746", "latitude_deg = -122.574746")
    fails(bundled_copy, "station 'swakopmund'", "latitude_deg", "outside -90..90")


def test_longitude_outside_minus_180_to_180_is_refused(bundled_copy: Path) -> None:
    edit(bundled_copy, "longitude_deg = 130.7706", "longitude_deg = 230.7706")
    fails(bundled_copy, "station 'jiamusi'", "longitude_deg", "outside -180..180")


def test_an_elevation_mask_outside_0_to_90_is_refused(bundled_copy: Path) -> None:
    text = bundled_copy.read_text(encoding="utf-8")
    start = text.index('id = "santiago"')
    at = text.index("min_elevation_deg = 5.0", start)
    broken = text[:at] + "min_elevation_deg = -1.0" + text[at + len("min_elevation_deg = 5.0") :]
    bundled_copy.write_text(broken, encoding="utf-8")
    fails(bundled_copy, "station 'santiago'", "min_elevation_deg", "outside 0..90")


def test_a_duplicate_id_is_refused(bundled_copy: Path) -> None:
    edit(bundled_copy, 'id = "karachi"', 'id = "malindi"')
    fails(bundled_copy, "station 'malindi'", "id", "used twice")


def test_empty_sources_are_refused_in_the_bundled_file(bundled_copy: Path) -> None:
    text = bundled_copy.read_text(encoding="utf-8")
    start = text.index('id = "neuquen"')
    at = text.index("sources = [", start)
    bundled_copy.write_text(text[:at] + "sources = []\n", encoding="utf-8")
    fails(bundled_copy, "station 'neuquen'", "sources", "at least one")


def test_the_bundled_file_itself_is_loaded_strictly(bundled_copy: Path) -> None:
    # Without require_sources a copy with empty sources loads: the rule belongs to the bundled set.
    text = bundled_copy.read_text(encoding="utf-8")
    at = text.index("sources = [", text.index('id = "neuquen"'))
    bundled_copy.write_text(text[:at] + "sources = []\n", encoding="utf-8")
    assert load_ground_stations(bundled_copy)[-1].sources == ()


def test_a_wrong_type_is_named(bundled_copy: Path) -> None:
    edit(bundled_copy, "altitude_m = 730.853", 'altitude_m = "730.853"')
    fails(bundled_copy, "station 'santiago'", "altitude_m", "expected a number")


def test_a_country_that_is_not_alpha_3_is_refused(bundled_copy: Path) -> None:
    edit(bundled_copy, 'country = "KEN"', 'country = "KE"')
    fails(bundled_copy, "station 'malindi'", "country", "alpha-3")


def test_an_id_that_is_not_a_slug_is_refused(bundled_copy: Path) -> None:
    edit(bundled_copy, 'id = "weinan"', 'id = "Weinan Station"')
    fails(bundled_copy, "station 'Weinan Station'", "id", "slug")


def test_invalid_toml_is_reported_as_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(ONE + "name = \n", encoding="utf-8")
    fails(path, "(file)", "(syntax)", "not valid TOML", require_sources=False)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    fails(tmp_path / "nowhere.toml", "(file)", "(file)", "not found", require_sources=False)


# --- lookup --------------------------------------------------------------------------------------
def test_find_by_id_or_name_ignoring_case_and_accents() -> None:
    stations = load_ground_stations()
    found = find_stations(stations, ["SWAKOPMUND", "Neuquén", "espacio lejano", "Karachi"])
    assert [s.id for s in found] == ["swakopmund", "neuquen", "karachi"]


def test_find_keeps_the_order_asked_and_returns_each_station_once() -> None:
    stations = load_ground_stations()
    found = find_stations(stations, ["santiago", "kashi", "Santiago"])
    assert [s.id for s in found] == ["santiago", "kashi"]


def test_find_an_unknown_name_lists_the_available_ids() -> None:
    stations = load_ground_stations()
    with pytest.raises(NotFoundError) as caught:
        find_stations(stations, ["kashi", "Goldstone"])
    message = str(caught.value)
    assert "'Goldstone'" in message
    for station in stations:
        assert station.id in message
