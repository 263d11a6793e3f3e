"""``GET /api/v1/now`` and ``GET /api/v1/places`` (the dashboard's Now page).

The view's position must be the orbit service's at the same instant, its track's shadow flags the
eclipse service's, the subsolar point the Sun's (cross-checked with Skyfield), its crew and ports
the station record's, and its element-set warning the orbit service's; "now" is the app's clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spacehome.api import now_routes, reads
from spacehome.api.app import API_PREFIX, ApiSettings, create_app
from spacehome.api.security import InMemoryUserStore
from spacehome.record.places import resolve_city
from spacehome.services import orbit, station

SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
#: Near the embedded element set's epoch (2026-09-06T06:15Z): the set is fresh here.
AT = datetime(2026, 9, 6, 12, 0, 0, tzinfo=UTC)
#: The app's frozen clock: 88 days after the epoch, so the set is very stale.
CLOCK = datetime(2026, 12, 3, 14, 0, 17, tzinfo=UTC)


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('now') / 'spacehome.sqlite3'}"


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    app: FastAPI = create_app(
        ApiSettings(token_secret=SECRET), InMemoryUserStore([]), clock=lambda: CLOCK
    )
    app.include_router(reads.router(database_url), prefix=API_PREFIX)
    app.include_router(now_routes.router(database_url), prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def view(client: TestClient) -> dict[str, Any]:
    response = client.get(f"{API_PREFIX}/now", params={"at": "2026-09-06T12:00:00Z"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_position_is_the_orbit_services_at_that_instant(view: dict[str, Any], database_url: str) -> None:
    where = orbit.where_view(AT, database_url=database_url)
    position = view["position"]
    assert view["at"] == "2026-09-06T12:00:00Z"
    assert view["object"] == "CSS (TIANHE)"
    assert position["latitude_deg"] == where["latitude_deg"]
    assert position["longitude_deg"] == where["longitude_deg"]
    assert position["altitude_km"] == where["altitude_km"]
    assert position["speed_km_s"] == where["speed_km_s"]
    assert position["lighting"] == where["lighting"]
    assert 370.0 < position["altitude_km"] < 400.0  # the station's recent altitude band
    assert abs(position["latitude_deg"]) <= 41.6  # inclination 41.47°


def test_the_track_spans_one_orbit_before_to_two_after_every_30_seconds(view: dict[str, Any]) -> None:
    track = view["track"]
    points = track["points"]
    period_s = view["period_min"] * 60.0
    assert 91.0 < view["period_min"] < 93.0
    times = [parse(p["t"]) for p in points]
    assert all((b - a) == timedelta(seconds=30) for a, b in itertools.pairwise(times))
    assert AT - timedelta(seconds=period_s + 30) <= times[0] <= AT - timedelta(seconds=period_s)
    assert times[-1] >= AT + timedelta(seconds=2 * period_s)
    assert track["from"] == points[0]["t"]
    assert track["to"] == points[-1]["t"]
    # The point at the instant is the position (rounded to 0.001°).
    (here,) = [p for p in points if parse(p["t"]) == AT]
    assert here["lat"] == pytest.approx(view["position"]["latitude_deg"], abs=6e-4)
    assert here["lon"] == pytest.approx(view["position"]["longitude_deg"], abs=6e-4)


def test_shadow_flags_match_the_eclipse_service(view: dict[str, Any], database_url: str) -> None:
    points = view["track"]["points"]
    first, last = parse(points[0]["t"]), parse(points[-1]["t"])
    days = (last - first).total_seconds() / 86400.0
    eclipses = orbit.eclipses_view(first, days, database_url=database_url)["eclipses"]
    spans = [
        (parse(e["shadow_entry"]), parse(e["shadow_exit"]))
        for e in eclipses if e["shadow_entry"] and e["shadow_exit"]
    ]
    assert len(spans) >= 2  # three orbits: two or three passages through the shadow
    margin = timedelta(seconds=2)
    checked_in = checked_out = 0
    for p in points:
        t = parse(p["t"])
        inside = any(a + margin < t < b - margin for a, b in spans)
        outside = all(t < a - margin or t > b + margin for a, b in spans)
        if inside:
            assert p["sunlit"] is False, p
            checked_in += 1
        elif outside:
            assert p["sunlit"] is True, p
            checked_out += 1
    assert checked_in > 50
    assert checked_out > 200


def test_the_subsolar_point_is_the_suns_direction() -> None:
    from skyfield.api import load, wgs84

    from spacehome.orbit.timebase import ephemeris

    client_app = create_app(ApiSettings(token_secret=SECRET), InMemoryUserStore([]), clock=lambda: CLOCK)
    client_app.include_router(now_routes.router(None), prefix=API_PREFIX)
    moment = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)
    with TestClient(client_app) as c:
        body = c.get(f"{API_PREFIX}/now", params={"at": "2026-06-21T12:00:00Z"}).json()
    eph = ephemeris()
    t = load.timescale(builtin=True).from_datetime(moment)
    sun = (eph["sun"] - eph["earth"]).at(t)
    lat, lon = wgs84.latlon_of(sun)
    # Geocentric vs geodetic latitude, TEME/GMST vs full rotation: well under 0.2°.
    assert body["subsolar"]["latitude_deg"] == pytest.approx(23.4, abs=0.1)  # June solstice
    assert body["subsolar"]["latitude_deg"] == pytest.approx(lat.degrees, abs=0.2)
    assert body["subsolar"]["longitude_deg"] == pytest.approx(lon.degrees, abs=0.2)


def test_the_element_set_is_fresh_near_its_epoch(view: dict[str, Any]) -> None:
    es = view["element_set"]
    assert es["catalog_number"] == 48274
    assert es["epoch"].startswith("2026-09-06T06:15:46")
    assert es["level"] == "fresh"
    assert es["warning"] is None
    assert 0.2 < es["age_days"] < 0.25


def test_without_at_it_is_now_by_the_app_clock_and_warns_the_set_is_very_stale(
    client: TestClient, database_url: str
) -> None:
    response = client.get(f"{API_PREFIX}/now")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["at"] == "2026-12-03T14:00:17Z"
    where = orbit.where_view(CLOCK, database_url=database_url)
    assert body["position"]["latitude_deg"] == where["latitude_deg"]
    assert body["position"]["longitude_deg"] == where["longitude_deg"]
    es = body["element_set"]
    assert es["level"] == "very-stale"
    assert es["age_days"] == pytest.approx(88.3, abs=0.05)
    assert es["warning"] == where["element_set"]["warning"]
    assert es["warning"].startswith("WARNING: the element set (epoch 2026-09-06")
    # After the record's end: the last recorded state, said so.
    assert body["station"]["beyond_record"] is True
    assert body["station"]["record_complete_through"] == "2026-05-24T15:08:00Z"
    assert any("record ends" in note for note in body["station"]["notes"])


def test_the_crew_and_ports_are_the_records_at_a_historical_instant(client: TestClient) -> None:
    response = client.get(f"{API_PREFIX}/now", params={"at": "2022-12-01T00:00:00Z"})
    assert response.status_code == 200, response.text
    body = response.json()
    st = body["station"]
    # No stored set reaches back to 2022 (the embedded ones are from 2026): no position, and why.
    assert body["position"] is None
    assert body["track"] is None
    assert "cannot be propagated at 2022-12-01T00:00:00Z" in body["orbit_problem"]
    assert body["subsolar"]["latitude_deg"] == pytest.approx(-21.8, abs=0.2)  # Sun's declination
    expected = station.station_view(station.default_record(), datetime(2022, 12, 1, tzinfo=UTC))
    assert st["crew_count"] == 6  # the first in-orbit handover: Shenzhou-14 and -15 aboard
    assert [c["name"] for c in st["crew"]] == [c["name"] for c in expected["crew"]]
    assert {c["name"] for c in st["crew"]} >= {"Chen Dong", "Liu Yang", "Cai Xuzhe", "Fei Junlong"}
    assert {c["mission"] for c in st["crew"]} == {"Shenzhou-14", "Shenzhou-15"}
    assert all(c["nationality"] == "CN" and c["nationality_name"] == "China" for c in st["crew"])
    assert st["beyond_record"] is False
    occupants = {p["port"]: (p["occupant"] or {}).get("name") for p in st["ports"]}
    assert occupants == {
        p["port"]: (p["occupant"] or {}).get("name") for p in expected["ports"]
    }
    assert occupants["port"] == "Mengtian"
    assert occupants["starboard"] == "Wentian"


@pytest.mark.parametrize(
    ("at", "fragment"),
    [
        ("2026-09-06T12:00:00", "has no time zone"),
        ("yesterday", "is not an ISO 8601 instant"),
        ("1850-01-01T00:00:00Z", "the Sun's ephemeris"),
    ],
)
def test_a_bad_at_is_a_422_naming_the_field(client: TestClient, at: str, fragment: str) -> None:
    response = client.get(f"{API_PREFIX}/now", params={"at": at})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert fragment in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["at"]


def test_places_suggest_cities_by_prefix_largest_first_with_labels_that_resolve(client: TestClient) -> None:
    response = client.get(f"{API_PREFIX}/places", params={"q": "nair"})
    assert response.status_code == 200, response.text
    (first, *_) = response.json()["places"]
    assert first["label"] == "Nairobi, KE-05"
    assert first["country_name"] == "Kenya"
    assert first["timezone"] == "Africa/Nairobi"
    assert resolve_city(first["label"]).geonameid == resolve_city("Nairobi").geonameid

    sao = client.get(f"{API_PREFIX}/places", params={"q": "Sao", "limit": 3}).json()["places"]
    assert len(sao) == 3
    assert sao[0]["name"] == "São Paulo"  # accents ignored, largest first
    populations = [p["population"] for p in sao]
    assert populations == sorted(populations, reverse=True)

    lima = client.get(f"{API_PREFIX}/places", params={"q": "Lima"}).json()["places"]
    assert lima[0]["label"] == "Lima, PE-LMA"
    assert lima[0]["timezone"] == "America/Lima"


def test_places_refuses_a_query_without_letters_next_to_the_field(client: TestClient) -> None:
    response = client.get(f"{API_PREFIX}/places", params={"q": "!!"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["q"]
    assert client.get(f"{API_PREFIX}/places", params={"q": "a", "limit": 0}).status_code == 422


def test_passes_for_the_page_carry_the_citys_zone_and_local_times(client: TestClient) -> None:
    response = client.get(
        f"{API_PREFIX}/orbit/passes",
        params={"city": "Nairobi, KE-05", "visible_only": "true", "days": 7, "from": "2026-12-03T00:00:00Z"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["place"]["timezone"] == "Africa/Nairobi"
    assert body["passes"]
    for p in body["passes"]:
        assert p["visible"] is True
        local = datetime.fromisoformat(p["culmination"]["local_time"])
        assert local.utcoffset() == timedelta(hours=3)  # EAT, no daylight saving
        assert local == parse(p["culmination"]["time"]).replace(microsecond=0)
