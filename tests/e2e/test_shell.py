"""The dashboard's shell in a real browser: login, role navigation, logout, errors by the field."""

from __future__ import annotations

from typing import Any

from .conftest import PASSWORD, Live, login, shoot


def test_login_shows_the_roles_navigation_and_logout_returns_to_the_public_view(page: Any) -> None:
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Timeline").count() == 0  # not for visitors
    login(page, "planner", next_path="/station")
    assert page.get_by_test_id("account").inner_text().startswith("planner")
    assert nav.get_by_role("link", name="Timeline").count() == 1
    assert nav.get_by_role("link", name="Station").get_attribute("aria-current") == "page"
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/")
    page.get_by_role("link", name="Log in").wait_for()
    assert nav.get_by_role("link", name="Timeline").count() == 0


def test_a_wrong_password_is_shown_next_to_the_password_field(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("planner")
    page.get_by_label("Password").fill(PASSWORD + "-wrong")
    page.get_by_role("button", name="Log in").click()
    message = page.locator("#f-password-error")
    message.wait_for()
    assert message.inner_text() == "Incorrect username or password."
    assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"
    assert "f-password-error" in (page.get_by_label("Password").get_attribute("aria-describedby") or "")
    shoot(page, "login-error")


def test_a_page_for_planners_sends_a_visitor_to_login_and_refuses_a_partner(page: Any) -> None:
    page.goto("/timeline")
    page.wait_for_url("**/login?next=/timeline")
    login(page, "partner-ke", next_path="/program")
    response = page.goto("/timeline")
    assert response is not None
    assert response.status == 403
    assert "for admin, planner, program officer" in page.get_by_role("alert").inner_text()


def test_the_session_cookie_is_http_only_and_strict(page: Any, live: Live) -> None:
    login(page, "officer", next_path="/program")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "spacehome_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"


def test_the_navigation_fits_a_phone(browser: Any, live: Live) -> None:
    context = browser.new_context(base_url=live.url, viewport={"width": 375, "height": 740})
    try:
        phone = context.new_page()
        phone.goto("/station")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px screen"
        shoot(phone, "phone-station")
    finally:
        context.close()
