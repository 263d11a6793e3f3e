"""The Now page (public) in a real browser: the station's position moving on the map with its
track and the night side, the crew from the record, the element set's age, passes over a city in
its local time, and a phone-sized layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from spacehome.services import station

from .conftest import Live, shoot

POSITION = re.compile(r"^\d{1,2}\.\d\d° [NS]$")
LONGITUDE = re.compile(r"^\d{1,3}\.\d\d° [EW]$")


def _open(page: Any, path: str = "/") -> None:
    page.goto(path)
    page.locator('#page[data-rendered="true"]').wait_for()


def test_the_public_page_shows_the_stations_position_and_crew(page: Any, live: Live) -> None:
    _open(page)
    lat = page.get_by_test_id("position-lat").inner_text()
    lon = page.get_by_test_id("position-lon").inner_text()
    assert POSITION.match(lat), lat
    assert LONGITUDE.match(lon), lon
    assert page.get_by_test_id("position-alt").inner_text().endswith(" km")

    # The readout agrees with the API at about the same moment (the station moves ~0.07°/s).
    api = page.request.get("/api/v1/now").json()
    shown = float(lat.split("°")[0]) * (1 if lat.endswith("N") else -1)
    assert abs(shown - api["position"]["latitude_deg"]) < 1.5

    # The crew from the station record (its last recorded state: the record ends before today).
    expected = station.station_view(station.default_record(), datetime.now(UTC))
    crew = page.get_by_test_id("crew")
    for person in expected["crew"]:
        assert crew.get_by_text(person["name"], exact=True).is_visible()
    assert "China" in crew.inner_text()
    assert page.get_by_text("The station record ends").is_visible()

    # The map: a track (sunlit and shadow pieces), the night side and the station marker.
    svg = page.get_by_test_id("map")
    assert svg.get_attribute("role") == "img"
    assert "ground track" in (svg.get_attribute("aria-label") or "")
    assert svg.locator("polyline.now-track-sunlit").count() >= 2
    assert svg.locator("polyline.now-track-shadow").count() >= 2
    assert svg.locator("path.now-night").count() == 1
    marker = page.get_by_test_id("station-marker")
    assert marker.is_visible()
    before = marker.get_attribute("transform")
    page.wait_for_timeout(2200)
    assert marker.get_attribute("transform") != before  # it moves every second

    # The embedded element sets are from 2026-09-06: the age warning shows, as a warning.
    warning = page.get_by_test_id("element-set")
    assert "notice-warning" in (warning.get_attribute("class") or "")
    assert "days old" in warning.inner_text()
    assert "spacehome tle update" in warning.inner_text()

    # The ports table names what is docked.
    assert "Wentian" in page.get_by_test_id("ports").inner_text()
    rendered = page.evaluate("performance.getEntriesByName('now:rendered').length")
    assert rendered == 1
    shoot(page, "now")


def test_a_visitor_picks_a_city_and_sees_passes_in_its_local_time(page: Any, live: Live) -> None:
    _open(page)
    city = page.get_by_label("City", exact=True)
    city.fill("Nairo")
    page.locator('#now-city-options option[value="Nairobi, KE-05"]').wait_for(state="attached")
    city.fill("Nairobi, KE-05")
    with page.expect_response(lambda r: "/api/v1/orbit/passes" in r.url) as answer:
        page.get_by_role("button", name="Show passes").click()
    body = answer.value.json()
    assert body["place"]["timezone"] == "Africa/Nairobi"
    zone = page.get_by_test_id("passes-zone")
    zone.wait_for()
    assert "Africa/Nairobi" in zone.inner_text()
    if body["passes"]:
        table = page.get_by_test_id("passes")
        first_row = table.locator("tbody tr").first
        # The highest point's time, local (EAT = UTC+3) as the API's local_time says.
        local = body["passes"][0]["culmination"]["local_time"]
        assert local.endswith("+03:00")
        assert local[11:19] in first_row.inner_text()
        assert "GMT+3" in table.locator("thead").inner_text()
    else:
        assert page.get_by_text("No visible passes over Nairobi").is_visible()

    # Remembered: a reload shows the same city's passes without typing.
    page.reload()
    page.locator('#page[data-rendered="true"]').wait_for()
    assert page.get_by_label("City", exact=True).input_value() == "Nairobi, KE-05"
    page.get_by_test_id("passes-zone").wait_for()

    # An unknown city is explained next to the field.
    page.get_by_label("City", exact=True).fill("Qwxzzyville")
    page.get_by_role("button", name="Show passes").click()
    error = page.locator("#now-city-error")
    error.wait_for()
    assert "Qwxzzyville" in error.inner_text()
    assert page.get_by_label("City", exact=True).get_attribute("aria-invalid") == "true"


def test_a_historical_instant_shows_the_records_crew_and_says_why_there_is_no_position(page: Any) -> None:
    _open(page, "/?at=2022-12-01T00:00:00Z")
    crew = page.get_by_test_id("crew").inner_text()
    for name in ("Chen Dong", "Liu Yang", "Cai Xuzhe", "Fei Junlong", "Deng Qingming", "Zhang Lu"):
        assert name in crew
    assert page.get_by_text("Crew aboard (6)").is_visible()
    assert page.get_by_text("cannot be propagated").is_visible()
    assert page.get_by_test_id("position-lat").inner_text() == "unknown"
    assert page.get_by_test_id("station-marker").get_attribute("visibility") == "hidden"


def test_the_page_fits_a_phone(browser: Any, live: Live) -> None:
    context = browser.new_context(base_url=live.url, viewport={"width": 375, "height": 740}, timezone_id="UTC")
    errors: list[str] = []
    try:
        phone = context.new_page()
        phone.on("pageerror", lambda error: errors.append(str(error)))
        _open(phone)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px screen"
        assert phone.get_by_test_id("map").is_visible()
        assert POSITION.match(phone.get_by_test_id("position-lat").inner_text())
        shoot(phone, "now-phone")
    finally:
        context.close()
    assert not errors, errors


def test_the_page_refetches_the_station_every_few_minutes(page: Any) -> None:
    page.clock.install()
    _open(page)
    before = page.get_by_test_id("position-time").inner_text()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/now")) as again:
        page.clock.run_for("05:20")  # the 15 s check finds the data older than 5 minutes
    assert again.value.status == 200
    page.clock.run_for(2000)
    after = page.get_by_test_id("position-time").inner_text()
    assert after != before
    assert POSITION.match(page.get_by_test_id("position-lat").inner_text())
    assert page.get_by_test_id("map").locator("polyline.now-track").count() >= 4
