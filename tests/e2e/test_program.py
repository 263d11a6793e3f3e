"""The Program page end to end: a partner writes, uploads and submits; another partner cannot open
it; the officer moves it to review and assigns reviewers; a reviewer scores it; the officer ranks
and runs the selection. One ordered flow on this module's own call (``e2e-program-call``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spacehome.domain.program import Modality
from spacehome.errors import NotFoundError
from spacehome.services import accounts
from spacehome.services.program import ProgramService
from spacehome.services.reviews import ReviewService

from .conftest import Live, login, shoot

CALL_ID = "e2e-program-call"
CALL_TITLE = "E2E program call (test data)"
TITLE = "E2E microgravity crystal growth"
#: Reviewer profiles of this module (test data): username -> (institution, country).
REVIEWERS = {
    "reviewer-1": ("E2E Reviewing Institute One", "CL"),
    "reviewer-2": ("E2E Reviewing Institute Two", "TH"),
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def program_call(live: Live) -> str:
    """The module's call (open now, closing in 30 days) and reviewer profiles, added once."""
    now = datetime.now(UTC).replace(microsecond=0)
    program = ProgramService.open(live.database_url)
    try:
        program.store.get_call(CALL_ID)
    except NotFoundError:
        program.create_call(
            call_id=CALL_ID,
            title=CALL_TITLE,
            modalities=[Modality.OWN_EXPERIMENT, Modality.FACILITY],
            opens_at=(now - timedelta(days=1)).isoformat(),
            closes_at=(now + timedelta(days=30)).isoformat(),
            envelope={"crew_hours": 40, "rack_months": 6, "upmass_kg": 50, "downlink_gb": 100},
            eligible_countries=None,
            now=now,
        )
    store = accounts.program_store(live.database_url)
    reviews = ReviewService.open(live.database_url)
    for username, (institution, country) in REVIEWERS.items():
        user = store.get_user_by_username(username)
        assert user is not None
        if reviews.reviews.get_reviewer(user.id) is None:
            reviews.add_reviewer(user.id, institution=institution, country=country)
    return CALL_ID


def _unconflicted_reviewers(live: Live) -> int:
    """Reviewers in the shared pool without a conflict with a Kenyan University of Nairobi team
    (other modules may add profiles; assigning all of them makes reviewer-1 one of them)."""
    pool = ReviewService.open(live.database_url).reviews.list_reviewers()
    return sum(
        1
        for r in pool
        if r.country != "KE"
        and "nairobi" not in r.institution.casefold()
        and not r.declared_institutions
        and not r.declared_proposals
    )


def _logout(page: Any) -> None:
    page.context.clear_cookies()


def test_program_flow(page: Any, live: Live, program_call: str) -> None:
    from playwright.sync_api import expect

    # (1) partner-ke writes a proposal; a missing title is refused next to the field.
    login(page, "partner-ke", next_path="/program")
    expect(page.get_by_role("tab", name="My proposals")).to_have_attribute("aria-selected", "true")
    page.get_by_role("button", name="New proposal").click()
    form = page.locator("form.proposal-form")
    form.get_by_label("Call").select_option(program_call)
    form.get_by_label("Discipline").fill("microgravity materials science")
    form.get_by_label("Modality").select_option("own_experiment")
    form.get_by_label("Abstract").fill(
        "Protein crystals grown in microgravity, compared with ground controls."
    )
    expect(form.get_by_role("textbox", name="Lead institution", exact=True)).to_have_value(
        "University of Nairobi"
    )
    form.get_by_label("Country of the lead institution").fill("KE")
    page.get_by_role("button", name="Add a partner institution").click()
    form.get_by_label("Partner institution 1").fill("E2E Partner University")
    form.get_by_label("Country of partner 1").fill("pe")
    form.get_by_label("Crew time (h)").fill("400")
    form.get_by_role("button", name="Save draft").click()
    title_error = form.locator("#f-title-error")
    expect(title_error).to_have_text(re.compile("title"))
    expect(form.get_by_role("textbox", name="Title", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(form.get_by_role("textbox", name="Title", exact=True)).to_be_focused()

    # The API's own 422 (more crew time than the whole envelope) lands next to the request.
    form.get_by_role("textbox", name="Title", exact=True).fill(TITLE)
    form.get_by_role("button", name="Save draft").click()
    request_error = form.locator("fieldset.request .field-error")
    expect(request_error).to_contain_text("exceeds")
    expect(title_error).to_have_count(0)
    form.get_by_label("Crew time (h)").fill("12")
    form.get_by_label("Upmass (kg)").fill("8")
    form.get_by_role("button", name="Save draft").click()

    detail = page.locator("article.proposal-detail")
    expect(detail.locator("h3")).to_contain_text(TITLE)
    expect(detail.locator(".state-badge").first).to_have_text("Draft")
    proposal_id = detail.get_attribute("data-proposal")
    assert proposal_id

    # Not a PDF: the API's refusal is shown next to the file field.
    detail.get_by_label("Attach a file").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"plain text, not a PDF"}
    )
    detail.get_by_role("button", name="Upload").click()
    expect(page.locator("form.upload-form .field-error")).to_be_visible()
    page.get_by_label("Attach a file").set_input_files(
        {"name": "experiment-plan.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("ul.attachments")).to_contain_text("experiment-plan.pdf")

    page.get_by_role("button", name="Submit proposal").click()
    detail = page.locator("article.proposal-detail")
    expect(detail.locator("h3 .state-badge")).to_have_text("Submitted")
    expect(detail.locator("table.history")).to_contain_text("Draft →")
    row = page.locator(f'#my-proposals tr[data-proposal="{proposal_id}"]')
    expect(row.locator(".state-badge")).to_have_text("Submitted")
    expect(page.get_by_label("Attach a file")).to_have_count(0)  # files only while a draft
    shoot(page, "program-partner")

    # (2) partner-pe cannot open partner-ke's proposal: the page says so and shows nothing of it.
    _logout(page)
    login(page, "partner-pe", next_path="/program")
    page.goto(f"/program?proposal={proposal_id}")
    expect(page.get_by_text("No such proposal, or it is not yours")).to_be_visible()
    expect(page.get_by_text(TITLE)).to_have_count(0)

    # (3) the officer moves it to review and assigns reviewers through the page.
    _logout(page)
    login(page, "officer", next_path="/program")
    page.get_by_role("tab", name="Review and selection").click()
    page.get_by_label("Call", exact=True).select_option(program_call)
    officer_row = page.locator(f'#officer-proposal-table tr[data-proposal="{proposal_id}"]')
    expect(officer_row.locator(".state-badge")).to_have_text("Submitted")
    officer_row.get_by_role("button", name=re.compile("Move to review")).click()
    officer_row = page.locator(f'#officer-proposal-table tr[data-proposal="{proposal_id}"]')
    expect(officer_row.locator(".state-badge")).to_have_text("Under review")
    page.get_by_label("Reviewers per proposal").fill(str(_unconflicted_reviewers(live)))
    page.get_by_role("button", name="Assign reviewers").click()
    expect(page.get_by_text(re.compile(r"Reviewers assigned to \d+ proposal"))).to_be_visible()
    officer_row = page.locator(f'#officer-proposal-table tr[data-proposal="{proposal_id}"]')
    expect(officer_row).to_contain_text("reviewer-1")

    # (4) reviewer-1 scores every criterion and submits.
    _logout(page)
    login(page, "reviewer-1", next_path="/program")
    expect(page.get_by_role("tab", name="My reviews")).to_have_attribute("aria-selected", "true")
    page.locator(f'#assigned tr[data-proposal="{proposal_id}"]').get_by_role("button").click()
    score_form = page.locator("form.score-form")
    criteria = score_form.locator("fieldset.criterion")
    assert criteria.count() == 4
    for i, score in enumerate([5, 4, 4, 3]):
        criteria.nth(i).get_by_role("radio", name=str(score)).check()
    score_form.get_by_label("Comment").fill("Clear plan; feasible in one increment.")
    score_form.get_by_role("button", name="Submit review").click()
    expect(page.locator(".review-detail .submitted-state")).to_contain_text("Review submitted")
    expect(page.locator(f'#assigned tr[data-proposal="{proposal_id}"]')).to_contain_text(
        "Submitted"
    )
    shoot(page, "program-reviewer")

    # (5) the officer sees the ranking, runs the selection and reads the explanation.
    _logout(page)
    login(page, "officer", next_path="/program")
    page.get_by_role("tab", name="Review and selection").click()
    page.get_by_label("Call", exact=True).select_option(program_call)
    ranking = page.locator("#ranking")
    expect(ranking).to_contain_text(TITLE)
    # weighted total of (5, 4, 4, 3) on 1..5: 0.4*1 + 0.3*0.75 + 0.2*0.75 + 0.1*0.5 = 0.825
    expect(ranking.locator("tbody tr").filter(has_text=TITLE)).to_contain_text("0.825")
    page.get_by_role("button", name="Run the selection").click()
    outcome = page.locator(f'#selection-outcomes tr[data-proposal="{proposal_id}"]')
    expect(outcome).to_have_attribute("data-kind", "selected")
    expect(page.locator(".explanation")).to_contain_text("Nothing was changed")
    shoot(page, "program-officer")

    # The officer applies the decision on the proposal itself: shortlist, then select; a
    # rejection without a reason is refused next to the reason field.
    page.locator(f'#officer-proposal-table tr[data-proposal="{proposal_id}"]').get_by_role(
        "button"
    ).first.click()
    decision = page.locator("form.decision-form")
    decision.get_by_label("New state").select_option("shortlisted")
    decision.get_by_role("button", name="Apply").click()
    officer_row = page.locator(f'#officer-proposal-table tr[data-proposal="{proposal_id}"]')
    expect(officer_row.locator(".state-badge")).to_have_text("Shortlisted")
    decision = page.locator("form.decision-form")
    decision.get_by_label("New state").select_option("rejected")
    decision.get_by_role("button", name="Apply").click()
    expect(decision.locator(".field-error")).to_contain_text("Say why")
    decision.get_by_label("New state").select_option("selected")
    decision.get_by_role("button", name="Apply").click()
    expect(officer_row.locator(".state-badge")).to_have_text("Selected")

    # The page at phone width: no sideways scrolling of the page itself.
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_timeout(100)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
    shoot(page, "program-phone")


def test_calls_are_public(page: Any, live: Live, program_call: str) -> None:
    """A visitor without a login reads the calls and a call's detail, and is offered the login;
    the tabs work with the keyboard."""
    from playwright.sync_api import expect

    page.goto(f"/program?call={program_call}")
    expect(page.get_by_role("tab", name="Calls")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab")).to_have_count(1)
    detail = page.locator(".call-detail")
    expect(detail.locator("h3")).to_contain_text(CALL_TITLE)
    expect(detail.locator('[data-phase="open"]')).to_be_visible()
    expect(detail).to_contain_text("in 30 days")
    expect(detail).to_contain_text("40 h")
    expect(detail).to_contain_text("Own experiment")
    login_link = page.locator("#page").get_by_role("link", name="log in", exact=True)
    expect(login_link).to_have_attribute("href", "/login?next=%2Fprogram%3Fcall%3De2e-program-call")
    expect(detail.get_by_role("button", name=re.compile("Write a proposal"))).to_have_count(0)


def test_partner_page_at_phone_width(page: Any, live: Live, program_call: str) -> None:
    """The partner's form at 375 px: no sideways page scroll; arrow keys move between tabs."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 375, "height": 740})
    login(page, "partner-pe", next_path="/program")
    mine = page.get_by_role("tab", name="My proposals")
    expect(mine).to_have_attribute("aria-selected", "true")
    mine.focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Calls")).to_be_focused()
    expect(page.get_by_role("tab", name="Calls")).to_have_attribute("aria-selected", "true")
    row = page.locator(".calls-table tbody tr").filter(has_text=CALL_TITLE)
    row.get_by_role("button").click()
    page.get_by_role("button", name="Write a proposal to this call").click()
    expect(page.locator("form.proposal-form")).to_be_visible()
    expect(page.locator("form.proposal-form").get_by_label("Call")).to_have_value(program_call)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
    shoot(page, "program-partner-phone")


def test_an_officer_publishes_a_call_from_the_page(
    page: Any, live: Live, program_call: str
) -> None:
    """The officer's call form: a missing field is shown next to it; a complete one publishes
    the call, which the calls table then lists."""
    from playwright.sync_api import expect

    login(page, "officer", next_path="/program?tab=calls")
    summary = page.locator("details.new-call > summary")  # folded: there are calls already
    summary.click()
    form = page.locator("form.new-call-form")
    form.get_by_label("Title").fill("E2E officer's call (test data)")
    form.get_by_label("Crew time (h)").fill("25")
    form.get_by_role("button", name="Publish the call").click()
    expect(form.locator("#f-id-error")).to_have_text("Required.")
    expect(form.get_by_label("Call id")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Call id").fill("e2e-officer-call")
    form.get_by_role("button", name="Publish the call").click()
    row = page.locator(".calls-table tbody tr").filter(has_text="E2E officer's call (test data)")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("25 h")
    # the same id again: the API's refusal is shown in the form
    page.locator("details.new-call > summary").click()
    form = page.locator("form.new-call-form")
    form.get_by_label("Call id").fill("e2e-officer-call")
    form.get_by_label("Title").fill("A duplicate")
    form.get_by_label("Crew time (h)").fill("5")
    form.get_by_role("button", name="Publish the call").click()
    expect(form.locator(".form-error")).to_contain_text("e2e-officer-call")
