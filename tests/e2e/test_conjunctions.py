"""The Conjunctions page in a real browser: a planner lists the events of the shared synthetic
scenario (a screen, then a CDM about the closest approach), opens the closest (its miss distance as
the API gives it, the geometry, the Pc chart with a screen "not computed" and a CDM value, the
threshold), loads the avoidance options, and imports another CDM that adds a point; the problems
of the API are shown next to the button or the field; a partner is refused, a visitor sent to log
in; and the page fits a phone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest

from conjunction_samples import START, cdm_for, write_catalog
from spacehome.orbit.cdm import write_cdm
from spacehome.services.conjunction_events import import_cdm
from spacehome.services.conjunctions import screen_view

from .conftest import Live, login, shoot

#: The closest approach of the scenario (its id is the pair and the TCA to the second).
CLOSEST: Final = "48274-90001-20260907T053001"


@pytest.fixture(scope="module")
def conjunction_events(live: Live, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The scenario's events, screened two hours ago and the closest one with a CDM an hour ago
    (once per server: found again through ``live.ids``); and a second CDM about it to upload."""
    folder = tmp_path_factory.mktemp("conjunctions")
    catalog = write_catalog(folder / "catalog.3le")
    now = datetime.now(UTC).replace(microsecond=0)
    if "conjunctions" not in live.ids:
        view = screen_view(START, days=0.25, threshold_km=15, catalog_file=catalog,
                           database_url=live.database_url, store_at=now - timedelta(hours=2))
        closest = min(view["events"], key=lambda e: e["miss_km"])
        assert closest["id"] == CLOSEST
        first = import_cdm(write_cdm(cdm_for(closest["tca"], closest["miss_km"], catalog)),
                           now=now - timedelta(hours=1), database_url=live.database_url)
        assert first["event_id"] == CLOSEST
        live.ids["conjunctions"] = str(len(view["events"]))
        live.ids["conjunctions_tca"] = closest["tca"]
        live.ids["conjunctions_miss_km"] = repr(closest["miss_km"])
    tca, miss_km = live.ids["conjunctions_tca"], float(live.ids["conjunctions_miss_km"])
    second = folder / "second.kvn"
    second.write_text(write_cdm(cdm_for(tca, miss_km, catalog, message_id="TEST-2")), encoding="utf-8")
    broken = folder / "broken.kvn"
    broken.write_text(second.read_text(encoding="utf-8").replace("MISS_DISTANCE", "MISS_DISTANT"), encoding="utf-8")
    return {"events": int(live.ids["conjunctions"]), "second_cdm": second, "broken_cdm": broken}


def _open_list(page: Any) -> None:
    login(page, "planner", next_path="/conjunctions")
    page.locator(".conj-table tbody tr").first.wait_for()


def _metres(km: float) -> str:
    return f"{km * 1000:,.0f} m"


def _pc(pc: float) -> str:
    """A Pc as the page writes it (JavaScript's toExponential(1): 7.0e-4)."""
    return "0" if pc == 0 else f"{pc:.1e}".replace("e-0", "e-").replace("e+00", "e+0")


def test_a_planner_opens_the_closest_event_reads_its_pc_and_avoidance_and_imports_a_cdm(
    page: Any, conjunction_events: dict[str, Any]
) -> None:
    _open_list(page)
    rows = page.locator(".conj-table tbody tr")
    assert rows.count() == conjunction_events["events"]
    # by TCA first; sorted by miss distance, the closest comes first
    tcas = [r.get_attribute("data-event-id") for r in rows.all()]
    assert tcas == sorted(tcas)
    page.get_by_role("button", name="Miss distance").click()
    assert page.locator("th[aria-sort='ascending']").inner_text().startswith("Miss distance")
    first = rows.first
    assert first.get_attribute("data-event-id") == CLOSEST
    first.get_by_role("button").click()
    page.wait_for_selector("body[data-conjunction-rendered='true']")
    assert page.url.endswith(f"/conjunctions?event={CLOSEST}")
    assert rows.first.get_attribute("aria-current") == "true"

    api = page.request.get(f"/api/v1/conjunctions/{CLOSEST}").json()
    assert page.get_by_test_id("geometry-miss").inner_text() == _metres(api["geometry"]["miss_km"])
    assert page.locator("dd[data-fact='miss-distance']").inner_text() == _metres(api["miss_km"])
    # the CDM gives no R/T/N: said in a sentence, and the screen's vector is drawn instead
    assert api["geometry"]["radial_km"] is None
    assert "gives no relative position" in page.locator(".geo-null").inner_text()
    screen = api["history"][0]
    assert page.locator(".geo-svg").count() == 1
    assert _metres(screen["radial_km"]) in page.locator(".geo-rtn").inner_text()

    # one mark per assessment, as the API gives it: a value, or "not computed" under the axis
    points = page.locator(".pc-svg .pc-point")
    assert points.count() == len(api["history"]) == 2
    for point, row, a in zip(points.all(), page.locator(".conj-history tbody tr").all(), api["history"], strict=True):
        assert point.get_attribute("data-source") == a["source"]
        classes = point.get_attribute("class") or ""
        if a["pc"] is None:
            assert point.get_attribute("data-pc") == ""
            assert "pc-point-nc" in classes
            assert "not computed" in row.inner_text()
        else:
            assert float(point.get_attribute("data-pc")) == pytest.approx(a["pc"])
            assert "pc-point-nc" not in classes
            assert _pc(a["pc"]) in row.inner_text()
    assert [p.get_attribute("data-source") for p in points.all()] == ["screen", "cdm"]
    assert api["history"][1]["pc"] > 1e-4  # the CDM's Pc is a value, above the threshold
    assert page.locator(".pc-svg .pc-threshold").count() == 1
    assert "threshold 1.0e-4" in page.locator(".pc-svg").text_content()
    shoot(page, "conjunctions")

    page.get_by_role("button", name="Find avoidance options").click()
    options = page.locator(".avoid-table tbody tr")
    options.first.wait_for()
    assert options.count() >= 1
    assert "prograde" in options.first.inner_text() or "retrograde" in options.first.inner_text()
    assert "A manoeuvre is needed" in page.locator(".avoid-result").inner_text()
    for row in options.all():  # each new Pc is written so that it reads below the threshold
        cells = row.locator("td").all_inner_texts()
        assert len(cells) == 6, cells
        assert float(cells[5]) < 1e-4, cells

    # a broken CDM: the API's one-line problem next to the field; then another CDM adds a point
    upload = page.get_by_label("CDM file (KVN or XML)")
    upload.set_input_files(str(conjunction_events["broken_cdm"]))
    page.get_by_role("button", name="Import the CDM").click()
    error = page.locator("#f-cdm-error")
    error.wait_for()
    assert "MISS_DISTANT" in error.inner_text()
    assert upload.get_attribute("aria-invalid") == "true"
    upload.set_input_files(str(conjunction_events["second_cdm"]))
    page.get_by_role("button", name="Import the CDM").click()
    page.locator(".cdm-result .notice-success").wait_for()
    assert "TEST-2" in page.locator(".cdm-result").inner_text()
    page.wait_for_function("() => document.querySelectorAll('.pc-svg .pc-point').length === 3")
    assert page.locator(".pc-svg .pc-point-cdm").count() == 2
    assert page.locator(".conj-history tbody tr").count() == 3
    assert page.locator("#f-cdm-error").count() == 0
    shoot(page, "conjunctions-after-import")


def test_a_pc_not_computed_is_drawn_as_such_and_the_avoidance_problem_is_shown_by_the_button(
    page: Any, conjunction_events: dict[str, Any]
) -> None:
    """A screen without a covariance (its Pc null) and an event without a CDM (the avoidance
    endpoint's 422): the event and the problem are the API's own answers, with the screen's Pc
    set to null and the avoidance answered by the problem the API gives for an event without a
    covariance, so the page's handling is checked whatever covariance model is configured."""
    _open_list(page)
    other = page.locator(".conj-table tbody tr").nth(0)  # the first by TCA: screened only
    other_id = other.get_attribute("data-event-id")
    assert other_id != CLOSEST
    real = page.request.get(f"/api/v1/conjunctions/{other_id}").json()
    for a in real["history"]:
        a |= {"pc": None, "pc_method": None, "pc_estimated": None, "pc_note": "not computed: element sets carry no covariance"}
    real["pc"] = None
    page.route(f"**/api/v1/conjunctions/{other_id}", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(real)))
    problem = {
        "type": "about:blank", "title": "Unprocessable Content", "status": 422,
        "detail": f"event {other_id} has no covariance: import a CDM about it ('spacehome cdm import FILE')",
    }
    page.route(f"**/api/v1/conjunctions/{other_id}/avoidance*", lambda route: route.fulfill(status=422, content_type="application/problem+json", body=json.dumps(problem)))
    other.click()
    page.wait_for_selector("body[data-conjunction-rendered='true']")
    assert page.locator(".pc-svg .pc-point").count() == len(real["history"])
    assert page.locator(".pc-svg .pc-point-nc").count() == len(real["history"])
    assert page.locator(".pc-svg .pc-point-nc").first.get_attribute("data-pc") == ""
    assert "not computed" in page.locator(".pc-svg").text_content()
    assert "not computed" in page.locator(".conj-history tbody tr").first.inner_text()
    assert page.locator("dd[data-fact='latest-pc']").inner_text() == "not computed"
    page.get_by_role("button", name="Find avoidance options").click()
    status = page.locator("#avoid-status[role='alert']")
    status.wait_for()
    assert status.inner_text() == problem["detail"]
    assert page.locator(".avoid-table").count() == 0


def test_no_events_says_how_they_get_there(page: Any, conjunction_events: dict[str, Any]) -> None:
    empty = '{"items": [], "total": 0, "limit": 200, "offset": 0}'
    page.route("**/api/v1/conjunctions?*", lambda route: route.fulfill(status=200, content_type="application/json", body=empty))
    login(page, "planner", next_path="/conjunctions")
    message = page.locator(".conj-list .notice-info")
    message.wait_for()
    assert "spacehome conjunctions screen" in message.inner_text()
    assert "spacehome cdm import" in message.inner_text()


def test_a_partner_is_refused_and_a_visitor_sent_to_log_in(page: Any) -> None:
    page.goto("/conjunctions")
    page.wait_for_url("**/login?next=/conjunctions")
    login(page, "partner-ke", next_path="/program")
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Conjunctions").count() == 0
    response = page.goto("/conjunctions")
    assert response is not None
    assert response.status == 403
    assert "for admin, planner" in page.get_by_role("alert").inner_text()


def test_the_page_fits_a_phone(browser: Any, live: Live, conjunction_events: dict[str, Any]) -> None:
    context = browser.new_context(base_url=live.url, viewport={"width": 375, "height": 740}, timezone_id="UTC")
    errors: list[str] = []
    try:
        phone = context.new_page()
        phone.on("pageerror", lambda error: errors.append(str(error)))
        login(phone, "planner", next_path="/conjunctions")
        phone.goto(f"/conjunctions?event={CLOSEST}")
        phone.wait_for_selector("body[data-conjunction-rendered='true']")
        phone.locator(".pc-svg").wait_for()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px screen"
        assert phone.locator(".pc-svg").bounding_box()["width"] <= 375
        shoot(phone, "conjunctions-phone")
    finally:
        context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"
