"""The Projects page in a real browser: the partner countries on the world map, the project list
filtered by a country (map click and select), a project's details for a visitor (embargoed data
hidden, said so) and for its team (stage history, schedule, data products with a download link),
and the page at phone width."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pytest

from spacehome.domain.program import Modality, ProposalState, Role
from spacehome.domain.projects import ProjectState
from spacehome.persistence.engine import open_database
from spacehome.persistence.project_store import ProjectStore
from spacehome.services import accounts
from spacehome.services.program import Actor, ProgramService
from spacehome.services.projects import ProjectService

from .conftest import Live, login, shoot

CALL_ID: Final = "projects-page-e2e"
TITLE: Final = "Projects page: cooling loop samples"
PRODUCT: Final = "cooling-loop-run-1.csv"
PRODUCT_BYTES: Final = b"time_s,temperature_c\n0,21.5\n60,22.0\n"


def _seed(live: Live) -> str:
    """partner-ke's operating project (from a selected proposal) with one embargoed data product
    delivered by the planner; idempotent (a second call finds the project)."""
    store = accounts.program_store(live.database_url)
    partner = store.get_user_by_username("partner-ke")
    officer_user = store.get_user_by_username("officer")
    planner_user = store.get_user_by_username("planner")
    assert partner is not None
    assert officer_user is not None
    assert planner_user is not None
    projects_store = ProjectStore(open_database(live.database_url))
    for stored in projects_store.list_projects(owner_id=partner.id, limit=500, offset=0).items:
        if stored.project.title == TITLE:
            return stored.project.id
    now = datetime.now(UTC).replace(microsecond=0)
    owner = Actor(partner.id, Role.PARTNER)
    officer = Actor(officer_user.id, Role.PROGRAM_OFFICER)
    program = ProgramService.open(live.database_url)
    program.create_call(
        call_id=CALL_ID,
        title="Projects page e2e cycle",
        modalities=[Modality.OWN_EXPERIMENT],
        opens_at=(now - timedelta(days=1)).isoformat(),
        closes_at=(now + timedelta(days=60)).isoformat(),
        envelope={"crew_hours": 500, "upmass_kg": 500, "downlink_gb": 100},
        eligible_countries=None,
        now=now,
    )
    proposal = program.create_proposal(
        owner,
        CALL_ID,
        title=TITLE,
        discipline="thermal engineering",
        modality=Modality.OWN_EXPERIMENT,
        team={"lead": {"name": "University of Nairobi", "country": "KE"}},
        request={"crew_hours": 10},
        abstract="",
        now=now,
    ).proposal.id
    for actor, to in (
        (owner, ProposalState.SUBMITTED),
        (officer, ProposalState.UNDER_REVIEW),
        (officer, ProposalState.SHORTLISTED),
        (officer, ProposalState.SELECTED),
    ):
        version = program.read_proposal(actor, proposal).version
        program.change_state(actor, proposal, to, why="", expected_version=version, now=now)
    service = ProjectService.open(live.database_url, blobs_root=live.blobs)
    project = service.create(officer, proposal, planner_key="projects-page-e2e", now=now).project.id
    for to, ship in (
        (ProjectState.DEVELOPMENT, None),
        (ProjectState.HARDWARE_DELIVERED, None),
        (ProjectState.LAUNCHED, "tianzhou-8"),
        (ProjectState.OPERATING, None),
    ):
        _, version = service.read(officer, project)
        service.change_state(
            officer, project, to, why="e2e", launched_on=ship, expected_version=version, now=now
        )
    service.deliver(
        Actor(planner_user.id, Role.PLANNER),
        project,
        PRODUCT,
        io.BytesIO(PRODUCT_BYTES),
        embargo_until=None,
        now=now,
    )
    return project


@pytest.fixture(scope="module")
def project_id(live: Live) -> str:
    pid = _seed(live)
    live.ids["projects-page-project"] = pid
    return pid


def _card(page: Any, text: str) -> Any:
    return page.locator(".project-card").filter(has=page.get_by_role("heading", name=text))


def test_a_visitor_sees_the_partner_countries_on_the_map_and_filters_the_projects(
    page: Any, project_id: str
) -> None:
    page.goto("/projects")
    kenya = page.locator('#partner-map .map-country[data-id="404"]')
    kenya.wait_for()
    assert "partner" in (kenya.get_attribute("class") or "")
    for numeric in ("404", "604", "380", "756", "682", "586"):  # KE PE IT CH SA PK
        assert "partner" in (page.locator(f'.map-country[data-id="{numeric}"]').get_attribute("class") or "")
    assert "partner" not in (page.locator('.map-country[data-id="840"]').get_attribute("class") or "")  # USA
    assert "Kenya" in (page.locator("#partner-map").get_attribute("aria-label") or "")
    assert "Kenya: " in (kenya.locator("title").text_content() or "")
    for title in ("BARIDI SANA", "I.R.M.A.", "POLAR-2"):
        assert _card(page, title).count() == 1, title
    assert page.get_by_text("Unidentified project (title not in the sources)").count() >= 1
    shoot(page, "projects")

    # keyboard path: the select
    page.get_by_label("Show the projects of").select_option("KE")
    heading = page.locator("#projects-heading")
    assert heading.inner_text().startswith("Projects with Kenya")
    assert _card(page, "BARIDI SANA").count() == 1
    assert _card(page, "POLAR-2").count() == 0
    assert "country=KE" in page.url
    assert "is-selected" in (kenya.get_attribute("class") or "")

    # a click on the map: Peru
    page.locator('.map-country[data-id="604"]').click(force=True)
    assert heading.inner_text().startswith("Projects with Peru")
    assert _card(page, "I.R.M.A.").count() == 1
    assert page.get_by_label("Show the projects of").input_value() == "PE"
    page.get_by_role("button", name="Show all projects").click()
    assert heading.inner_text().startswith("All projects")

    # the table has the same data
    page.get_by_text("Partner countries as a table").click()
    row = page.locator("#country-table tbody tr").filter(has=page.get_by_role("rowheader", name="Kenya"))
    assert "KE / 404" in row.inner_text()


def test_a_visitor_is_told_that_embargoed_data_is_hidden(page: Any, project_id: str) -> None:
    page.goto("/projects?country=KE")
    card = _card(page, TITLE)
    card.get_by_role("button", name="Show details").click()
    detail = card.locator(".project-detail")
    detail.get_by_text("No public data products.").wait_for()
    assert "Embargoed data products are hidden from you" in detail.inner_text()
    assert detail.get_by_role("link", name="Log in").count() >= 1
    assert detail.get_by_role("link", name="Download").count() == 0
    assert PRODUCT not in detail.inner_text()


def test_the_team_sees_its_project_s_history_and_data_products_with_a_download_link(
    page: Any, project_id: str
) -> None:
    login(page, "partner-ke", next_path="/projects")
    card = _card(page, TITLE)
    card.wait_for()
    assert "Your team" in card.inner_text()
    assert "State: Operating" in card.inner_text()
    card.get_by_role("button", name="Show details").click()
    detail = card.locator(".project-detail")
    link = detail.get_by_role("link", name=f"Download {PRODUCT}")
    link.wait_for()
    href = link.get_attribute("href")
    assert href == f"/api/v1/projects/{project_id}/data-products/" + hashlib.sha256(PRODUCT_BYTES).hexdigest()
    assert "embargoed" in detail.inner_text()
    assert f"{len(PRODUCT_BYTES)} B" in detail.inner_text()
    history = detail.locator("table").first
    assert "State: Operating" in history.inner_text()
    assert "tianzhou-8" in history.inner_text()
    response = page.request.get(href)
    assert response.status == 200
    assert response.body() == PRODUCT_BYTES
    card.scroll_into_view_if_needed()
    shoot(page, "projects-team")
    page.get_by_label("Only my team\u2019s projects").check()
    assert page.locator("#projects-heading").inner_text().startswith("Your team\u2019s projects (")
    assert _card(page, TITLE).count() == 1
    assert _card(page, "BARIDI SANA").count() == 0


def test_the_page_fits_a_phone(browser: Any, live: Live, project_id: str) -> None:
    context = browser.new_context(base_url=live.url, viewport={"width": 375, "height": 740}, timezone_id="UTC")
    try:
        phone = context.new_page()
        errors: list[str] = []
        phone.on("pageerror", lambda error: errors.append(str(error)))
        phone.goto("/projects")
        phone.locator('#partner-map .map-country.partner').first.wait_for()
        _card(phone, "BARIDI SANA").wait_for()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px screen"
        shoot(phone, "projects-phone")
        assert not errors, errors
    finally:
        context.close()


def test_seeding_twice_finds_the_same_project(live: Live, project_id: str) -> None:
    assert _seed(live) == project_id
    assert Path(live.blobs).is_dir()


def test_a_country_without_projects_says_what_links_it(page: Any) -> None:
    page.goto("/projects?country=PK")
    heading = page.locator("#projects-heading")
    heading.wait_for()
    assert heading.inner_text() == "Projects with Pakistan (0)"
    assert "linked to the station by an agreement or an astronaut program" in page.locator("#project-list").inner_text()
    assert page.get_by_label("Show the projects of").input_value() == "PK"


def test_an_api_error_is_shown_as_a_readable_message(page: Any) -> None:
    problem = '{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"the database is being migrated: try again in a minute"}'
    page.route(
        "**/api/v1/partner-countries",
        lambda route: route.fulfill(status=503, content_type="application/problem+json", body=problem),
    )
    page.goto("/projects")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == "the database is being migrated: try again in a minute"
    assert page.get_by_role("button", name="Try again").count() == 1
