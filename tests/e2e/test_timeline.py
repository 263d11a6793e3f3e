"""The Timeline page in a real browser: a planner opens a 30-day plan (lanes with the crew's names,
orbit bands, an activity's details on click, the list view, unscheduled items, shares), starts a
small solve job and sees its progress reach done; and the page fits a phone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from spacehome.increment.build import build_problem
from spacehome.increment.generate import generate_scenario
from spacehome.increment.scenario import scenario_to_data
from spacehome.planning.files import PlanFile, plan_to_data
from spacehome.planning.greedy import GreedySolver
from spacehome.planning.solver import SolveOptions
from spacehome.services.orbit import choose_elements
from spacehome.services.plan import DEFAULT_START
from spacehome.services.plans import PlanService
from spacehome.services.station import default_record

from .conftest import Live, login, shoot

PLAN_NAME = "e2e timeline: 30-day increment (greedy, seed 3)"
#: Seeding (scenario, greedy solve, validation, storage) must stay well under this (seconds).


@pytest.fixture(scope="module")
def thirty_day_plan(live: Live) -> dict[str, Any]:
    """A 30-day plan stored and published once per server (idempotent: found by its name)."""
    service = PlanService.open(live.database_url)
    if "timeline_plan" in live.ids:
        return service.read_plan(live.ids["timeline_plan"])
    chosen = choose_elements(DEFAULT_START, database_url=live.database_url)
    scenario = generate_scenario(default_record(), chosen.elements, start=DEFAULT_START, days=30, seed=3)
    problem = build_problem(scenario)
    solution = GreedySolver().solve(problem, SolveOptions(time_limit_s=10, seed=3))
    data = plan_to_data(PlanFile(problem, solution, {"scenario": scenario_to_data(scenario)}))
    now = datetime.now(UTC)
    view = service.store_plan(data, name=PLAN_NAME, created_by="e2e", now=now)
    view = service.publish(view["id"], by="e2e", now=now)
    live.ids["timeline_plan"] = view["id"]
    view["crew"] = [c.name for c in scenario.crew]
    return view


def _open(page: Any, plan: dict[str, Any]) -> None:
    login(page, "planner", next_path="/timeline")
    page.locator("#f-plan").select_option(plan["id"])
    page.wait_for_selector("body[data-timeline-rendered='true']")
    page.wait_for_function("(id) => document.querySelector('#f-plan').value === id", arg=plan["id"])
    page.locator("#timeline-canvas").wait_for()


def test_a_planner_opens_a_30_day_timeline_and_reads_an_activity(page: Any, thirty_day_plan: dict[str, Any]) -> None:
    _open(page, thirty_day_plan)
    info = page.locator("#plan-info").inner_text()
    assert "2026-09-07 00:00 UTC to 2026-10-07 00:00 UTC (30 d 0 h)" in info
    canvas = page.locator("#timeline-canvas")
    label = canvas.get_attribute("aria-label") or ""
    for name in ("Zhang Zhiyuan", "Zhu Yangzhu", "Lai Ka-ying"):
        assert name in label
    assert "eclipse and ground-contact bands" in label
    # lanes, bands and profiles are drawn: the chart reports its rows
    rows = page.evaluate(
        "() => { const c = document.querySelector('#timeline-canvas'); return c.height > 600 && c.width > 600; }"
    )
    assert rows
    # the whole 30 days, then a click on an activity shows its details
    page.get_by_role("button", name="Show the whole plan").click()
    page.wait_for_selector(".timeline-window:has-text('Showing 2026-09-07 00:00 UTC to 2026-10-07 00:00 UTC.')")
    page.get_by_role("button", name="Show one day").click()
    page.get_by_role("button", name="Show list view").click()
    first = page.locator("#list-view tbody tr").first
    first.wait_for()
    title = first.locator("button").inner_text()
    first.locator("button").click()
    assert page.locator("#details-title").inner_text() == title
    assert "UTC" in page.locator(".timeline-details").inner_text()
    # keyboard: focus the chart, select the next visible activity with n, zoom and pan
    canvas.focus()
    before = page.locator(".timeline-window").inner_text()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(t) => document.querySelector('.timeline-window').textContent !== t", arg=before)
    page.keyboard.press("n")
    assert page.locator("#details-title").inner_text() != "Activity details"
    page.get_by_role("button", name="Show the whole plan").click()
    assert page.get_by_role("heading", name="Shares per country").is_visible()
    assert page.locator("#unscheduled-title").inner_text().startswith("Unscheduled (")
    shoot(page, "timeline")


def test_a_click_on_the_chart_shows_that_activity(page: Any, thirty_day_plan: dict[str, Any]) -> None:
    _open(page, thirty_day_plan)
    # where the chart draws the first visible experiment run (its own layout, no pixel guessing)
    target = page.evaluate(
        """() => {
            const chart = document.querySelector('#timeline-canvas').timelineChart;
            for (const row of chart.layout.rows) {
                if (row.type !== 'lane') continue;
                for (const i of row.lane.items) {
                    const a = chart.view.activities[i];
                    if (a.kind === 'run' && a.s >= chart.t0 && a.e <= chart.t1) {
                        return {x: (chart.x(a.s) + chart.x(a.e)) / 2, y: row.y + row.h / 2, label: a.label};
                    }
                }
            }
            return null;
        }"""
    )
    assert target is not None
    page.locator("#timeline-canvas").click(position={"x": target["x"], "y": target["y"]})
    assert page.locator("#details-title").inner_text() == target["label"]
    assert page.locator("#details-title").inner_text() != "Activity details"
    assert "Starts" in page.locator(".timeline-details").inner_text()


def test_a_planner_runs_a_small_solve_and_sees_it_finish(page: Any, thirty_day_plan: dict[str, Any]) -> None:
    _open(page, thirty_day_plan)
    jobs = page.locator("form.job-form")
    jobs.get_by_label("Days").fill("3")
    jobs.get_by_label("Seed").fill("11")
    jobs.get_by_label("Solver").select_option("greedy")
    jobs.get_by_label("Time limit (s)").fill("5")
    jobs.get_by_role("button", name="Start job").click()
    page.locator("#job-progress").wait_for()
    page.wait_for_selector("#job-phase[data-status='succeeded']", timeout=60_000)
    assert page.locator("#job-progress").get_attribute("value") == "1"
    assert "Done: feasible plan by greedy" in page.locator(".job-status").inner_text()
    page.get_by_role("button", name="Open the new plan").click()
    page.wait_for_function(
        "() => document.querySelector('#f-plan').selectedOptions[0].textContent.startsWith('3-day increment')"
    )
    page.wait_for_selector("#plan-info:has-text('2026-09-10 00:00 UTC')")


def test_bad_job_inputs_are_shown_next_to_their_fields(page: Any, thirty_day_plan: dict[str, Any]) -> None:
    _open(page, thirty_day_plan)
    jobs = page.locator("form.job-form")
    jobs.get_by_label("Days").fill("2")
    jobs.get_by_role("button", name="Start job").click()
    message = page.locator("#f-days-error")
    message.wait_for()
    assert "greater than or equal to 3" in message.inner_text()
    assert jobs.get_by_label("Days").get_attribute("aria-invalid") == "true"


def test_the_timeline_fits_a_phone(browser: Any, live: Live, thirty_day_plan: dict[str, Any]) -> None:
    context = browser.new_context(base_url=live.url, viewport={"width": 375, "height": 740}, timezone_id="UTC")
    try:
        phone = context.new_page()
        _open(phone, thirty_day_plan)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px screen"
        shoot(phone, "timeline-phone")
    finally:
        context.close()
