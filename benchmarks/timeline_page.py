"""Benchmark: the Timeline page with 1,000+ scheduled activities in a real browser.

Runs the real server (``build_app`` under uvicorn on a loopback port, a temporary SQLite file),
stores and publishes a 30-day plan (greedy; ≥ 1,000 scheduled activities), and drives Debian's
chromium through Playwright:

- navigation → ``performance.mark("timeline:rendered")`` (the page marks it when the chart is
  first drawn), median and p90 over ``--runs`` loads; as the reference in the same run, a bare
  page's (``/login``) DOMContentLoaded;
- panning: a mouse drag across the chart for ``--pan-s`` seconds while the page records frame
  times with ``requestAnimationFrame``: median and p95 frame interval and frames over 50 ms.

    .venv/bin/python benchmarks/timeline_page.py [--runs 10] [--pan-s 2]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

PASSWORD = "bench-password-not-secret-1234"
SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"
CHROMIUM = "/usr/bin/chromium"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def seed(database_url: str) -> tuple[str, int]:
    from spacehome.increment.build import build_problem
    from spacehome.increment.generate import generate_scenario
    from spacehome.increment.scenario import scenario_to_data
    from spacehome.planning.files import PlanFile, plan_to_data
    from spacehome.planning.greedy import GreedySolver
    from spacehome.planning.solver import SolveOptions
    from spacehome.services import accounts
    from spacehome.services.orbit import choose_elements
    from spacehome.services.plan import DEFAULT_START
    from spacehome.services.plans import PlanService
    from spacehome.services.reference import load_reference_data
    from spacehome.services.station import default_record

    now = datetime.now(UTC)
    load_reference_data(database_url, now=now)
    accounts.create_account(accounts.program_store(database_url), "planner", "planner", PASSWORD, now=now,
                            passwords=accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1))
    scenario = generate_scenario(default_record(), choose_elements(DEFAULT_START).elements,
                                 start=DEFAULT_START, days=30, seed=3)
    problem = build_problem(scenario)
    solution = GreedySolver().solve(problem, SolveOptions(time_limit_s=10, seed=3))
    service = PlanService.open(database_url)
    view = service.store_plan(plan_to_data(PlanFile(problem, solution, {"scenario": scenario_to_data(scenario)})),
                              name="benchmark: 30 days", created_by="bench", now=now)
    service.publish(view["id"], by="bench", now=now)
    return view["id"], len(solution.assignments)


def serve(database_url: str, root: Path) -> AbstractContextManager[str]:
    """The real server on a loopback port (a context manager yielding its URL)."""
    from spacehome.api.app import ApiSettings
    from spacehome.api.loopback import serving
    from spacehome.api.main import build_app
    from spacehome.services.attachments import BlobStore

    app = build_app(database_url, ApiSettings(token_secret=SECRET), blobs=BlobStore(root / "blobs"))
    return serving(app)


RECORD = """() => {
  window.__frames = [];
  window.__recording = true;
  const tick = (t) => { window.__frames.push(t); if (window.__recording) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pan-s", type=float, default=2.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="spacehome-timeline-bench-"))
    database_url = f"sqlite:///{root / 'bench.sqlite3'}"
    t0 = time.perf_counter()
    plan_id, scheduled = seed(database_url)
    print(f"seeded a 30-day plan with {scheduled} scheduled activities in {time.perf_counter() - t0:.1f} s")
    with serve(database_url, root) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 800}, timezone_id="UTC")
        page = context.new_page()
        page.goto("/login?next=/timeline")
        page.get_by_label("Username").fill("planner")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/timeline")
        page.wait_for_selector("body[data-timeline-rendered='true']", timeout=30_000)  # warm-up
        rendered: list[float] = []
        bare: list[float] = []
        for _ in range(args.runs):
            page.goto("/timeline")
            page.wait_for_selector("body[data-timeline-rendered='true']", timeout=30_000)
            rendered.append(page.evaluate("performance.getEntriesByName('timeline:rendered')[0].startTime"))
            page.goto("/login")
            page.wait_for_load_state("load")
            bare.append(page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"))
        page.goto("/timeline")
        page.wait_for_selector("body[data-timeline-rendered='true']", timeout=30_000)
        count = page.evaluate("document.querySelector('#timeline-canvas').timelineChart.view.activities.length")
        box = page.locator("#timeline-canvas").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] * 0.8, box["y"] + 300
        page.evaluate(RECORD)
        page.mouse.move(x, y)
        page.mouse.down()
        end = time.monotonic() + args.pan_s
        step = 0
        while time.monotonic() < end:
            step += 1
            page.mouse.move(x - (step % 120) * 6, y)
            time.sleep(0.008)
        page.mouse.up()
        frames = page.evaluate("() => { window.__recording = false; return window.__frames; }")
        browser.close()
    intervals = [b - a for a, b in itertools.pairwise(frames)]
    print("command: .venv/bin/python benchmarks/timeline_page.py " + " ".join(sys.argv[1:]))
    print(f"activities drawn: {count} (plan {plan_id})")
    print(f"navigation -> timeline:rendered: median {statistics.median(rendered):.0f} ms, "
          f"p90 {_pct(rendered, 0.9):.0f} ms over {len(rendered)} loads")
    print(f"reference, bare page (/login) DOMContentLoaded: median {statistics.median(bare):.0f} ms, "
          f"p90 {_pct(bare, 0.9):.0f} ms")
    print(f"pan for {args.pan_s:.1f} s: {len(intervals)} frames, median interval {statistics.median(intervals):.1f} ms, "
          f"p95 {_pct(intervals, 0.95):.1f} ms, frames over 50 ms: {sum(1 for i in intervals if i > 50)}")


if __name__ == "__main__":
    main()
