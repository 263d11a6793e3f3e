"""The Station page in a real browser: the drawing, the crew aboard and the time control."""

from __future__ import annotations

import re
from typing import Any

from .conftest import Live, shoot

HANDOVER = "2022-12-01T00:00:00Z"  # Shenzhou-14 and Shenzhou-15 crews aboard together


def _open(page: Any, at: str) -> None:
    page.goto(f"/station?at={at}")
    page.get_by_test_id("crew-list").wait_for()
    page.wait_for_function("!document.querySelector('.station-view[aria-busy]')")


def test_the_first_handover_shows_three_modules_three_ships_and_six_aboard(page: Any) -> None:
    _open(page, HANDOVER)
    drawing = page.get_by_role("img", name=re.compile("China Space Station at 2022-12-01 00:00 UTC"))
    label = drawing.get_attribute("aria-label") or ""
    assert "Tianhe core module, Wentian at the starboard port, Mengtian at the port-side port" in label
    assert "Shenzhou-15 at the forward port" in label
    assert "Shenzhou-14 at the nadir port" in label
    assert "Tianzhou-5 at the aft port" in label
    assert "6 people aboard" in label
    assert drawing.locator("rect.st-module").count() == 2  # Wentian and Mengtian, beside Tianhe
    assert drawing.locator("[data-vehicle]").count() == 5
    crew = page.get_by_test_id("crew-list").locator("li")
    assert crew.count() == 6
    names = crew.locator(".crew-name").all_inner_texts()
    assert {"Chen Dong", "Liu Yang", "Cai Xuzhe", "Fei Junlong", "Deng Qingming", "Zhang Lu"} == set(names)
    assert "(China)" in crew.first.inner_text()
    table = page.get_by_test_id("station-table")
    assert "Tianzhou-5" in table.locator("tr[data-port='aft']").inner_text()
    assert page.locator("#station-instant").inner_text() == "2022-12-01 00:00 UTC"
    shoot(page, "station")


def test_previous_event_and_the_keyboard_move_the_instant_and_change_the_drawing(page: Any) -> None:
    _open(page, HANDOVER)
    page.get_by_role("button", name="← Previous event").click()
    # The event before 2022-12-01 is Shenzhou-15's docking: only then were six aboard.
    page.wait_for_url("**/station?at=2022-11-29T21:42:00Z")
    assert page.locator("#station-instant").inner_text() == "2022-11-29 21:42 UTC"
    page.get_by_role("button", name="← Previous event").click()
    page.wait_for_url("**/station?at=2022-11-12T04:10:00Z")
    page.get_by_role("heading", name="Crew aboard (3)").wait_for()
    drawing = page.get_by_role("img", name=re.compile("2022-11-12 04:10 UTC"))
    assert "No one" not in (drawing.get_attribute("aria-label") or "")
    assert drawing.locator("[data-port='forward']").count() == 0  # Shenzhou-15 not there yet

    # Keyboard: back 30 days from 2022-11-12 with Page Down: Mengtian still at the forward port.
    slider = page.get_by_label("Time from Tianhe's launch to the end of the record")
    slider.focus()
    page.keyboard.press("PageDown")
    page.get_by_role("img", name=re.compile("2022-10-13 04:10 UTC")).wait_for()
    label = page.get_by_role("img", name=re.compile("2022-10-13")).get_attribute("aria-label") or ""
    assert "Mengtian" not in label
    assert "Wentian at the starboard port" in label
    assert slider.get_attribute("aria-valuetext") == "2022-10-13 04:10 UTC"
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**/station?at=2022-10-14T04:10:00Z")


def test_the_date_field_and_the_first_event(page: Any) -> None:
    _open(page, HANDOVER)
    field = page.get_by_label("Date and time (UTC)")
    field.fill("2022-08-01T12:00")
    page.get_by_role("img", name=re.compile("2022-08-01 12:00 UTC")).wait_for()
    label = page.get_by_role("img", name=re.compile("2022-08-01")).get_attribute("aria-label") or ""
    assert "Wentian at the forward port" in label  # berthed there before its relocation
    page.goto("/station?at=2021-04-29T03:23:15Z")
    page.get_by_role("img", name=re.compile("2021-04-29 03:23 UTC")).wait_for()
    assert page.get_by_role("button", name="← Previous event").is_disabled()
    assert page.get_by_text("No one aboard at this instant.").is_visible()


def test_a_link_without_a_zone_is_explained_and_the_end_of_the_record_is_shown(page: Any) -> None:
    page.goto("/station?at=2022-12-01T00:00")
    page.get_by_text("has no zone").wait_for()
    page.get_by_role("img", name=re.compile("2026-05-24 15:08 UTC")).wait_for()
    assert page.get_by_role("button", name="Next event →").is_disabled()


def test_the_station_page_fits_a_phone(browser: Any, live: Live) -> None:
    context = browser.new_context(base_url=live.url, viewport={"width": 375, "height": 740}, timezone_id="UTC")
    try:
        phone = context.new_page()
        errors: list[str] = []
        phone.on("pageerror", lambda error: errors.append(str(error)))
        _open(phone, HANDOVER)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px screen"
        box = phone.get_by_test_id("station-drawing").bounding_box()
        assert box is not None
        assert box["width"] <= 375
        shoot(phone, "station-phone")
        assert not errors, errors
    finally:
        context.close()


def test_wentian_at_the_forward_port_before_its_relocation(page: Any) -> None:
    _open(page, "2022-08-01T12:00:00Z")
    drawing = page.get_by_test_id("station-drawing")
    assert drawing.locator("[data-port='forward'][data-vehicle='wentian']").count() == 1
    assert drawing.locator("[data-port='starboard']").count() == 0
    shoot(page, "station-wentian-forward")
