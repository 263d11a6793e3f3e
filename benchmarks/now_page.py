"""The dashboard's Now page: time to first render in a real browser, on loopback.

Target (issue 6): the page shows the map, the station's position and the crew within 1000 ms of
navigation start (median). The real server (``build_app``, uvicorn in a thread, a temporary
SQLite database with the station record's reference data, like ``tests/e2e/conftest.py``)
serves ``/``; Debian's chromium (Playwright, headless) opens it ``--runs`` times, each in a fresh
browser context (empty cache). The page's module marks ``now:rendered`` (Performance API) once
the map, the position readout and the crew are on screen; the figure is that mark's time from
navigation start. The reference, measured in the same run and the same way: the
``DOMContentLoaded`` time of the login page (the same shell, one small module, no map, no API
call). One warm-up navigation (first use of the ephemeris and gazetteer in the server process)
is reported on its own and not counted.

It also times ``GET /api/v1/now`` alone (httpx, keep-alive): warm (the same minute again: the
track is cached per minute) and cold (a different minute each time, so the track is computed).

    .venv/bin/python benchmarks/now_page.py [--runs 15] [--api-repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from spacehome.api.app import ApiSettings
from spacehome.api.loopback import serving
from spacehome.api.main import build_app
from spacehome.services.attachments import BlobStore
from spacehome.services.reference import load_reference_data

BUDGET_MS = 1000.0
CHROMIUM = "/usr/bin/chromium"


def start_server(root: Path) -> AbstractContextManager[str]:
    """The real server on a loopback port (a context manager yielding its URL)."""
    database_url = f"sqlite:///{root / 'spacehome.sqlite3'}"
    load_reference_data(database_url, now=datetime.now(UTC))
    app = build_app(
        database_url,
        ApiSettings(token_secret="bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"),
        blobs=BlobStore(root / "blobs"),
    )
    return serving(app)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def row(name: str, values: list[float]) -> str:
    return (
        f"{name:<44} {statistics.median(values):8.1f} {percentile(values, 0.9):8.1f} "
        f"{min(values):8.1f} {max(values):8.1f} {len(values):5d}"
    )


def render_ms(browser: Any, url: str) -> float:
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto("/")
        page.locator('#page[data-rendered="true"]').wait_for(timeout=15_000)
        value: float = page.evaluate("performance.getEntriesByName('now:rendered')[0].startTime")
        return value
    finally:
        context.close()


def reference_ms(browser: Any, url: str) -> float:
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto("/login", wait_until="load")
        value: float = page.evaluate(
            "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
        )
        return value
    finally:
        context.close()


def api_times(url: str, repeat: int) -> tuple[list[float], list[float]]:
    warm: list[float] = []
    cold: list[float] = []
    base = datetime(2026, 9, 6, 12, 0, tzinfo=UTC)
    with httpx.Client(base_url=url) as client:
        client.get("/api/v1/now").raise_for_status()
        for i in range(repeat):
            t0 = time.perf_counter()
            client.get("/api/v1/now").raise_for_status()
            warm.append((time.perf_counter() - t0) * 1000)
            at = (base + timedelta(minutes=7 * i + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            t0 = time.perf_counter()
            client.get("/api/v1/now", params={"at": at}).raise_for_status()
            cold.append((time.perf_counter() - t0) * 1000)
    return warm, cold


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--api-repeat", type=int, default=30)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="spacehome-bench-now-") as tmp:
        with start_server(Path(tmp)) as url:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                try:
                    first = render_ms(browser, url)
                    renders: list[float] = []
                    references: list[float] = []
                    for _ in range(args.runs):
                        references.append(reference_ms(browser, url))
                        renders.append(render_ms(browser, url))
                finally:
                    browser.close()
            warm, cold = api_times(url, args.api_repeat)

    print(f"Now page on loopback, chromium headless, {args.runs} runs, fresh context each (ms)")
    print(f"{'':<44} {'median':>8} {'p90':>8} {'min':>8} {'max':>8} {'n':>5}")
    print(row("'/' navigation start -> now:rendered", renders))
    print(row("reference: /login DOMContentLoaded", references))
    print(row("GET /api/v1/now, warm (track cached)", warm))
    print(row("GET /api/v1/now, cold (track computed)", cold))
    print(f"first render in a fresh server process (warm-up, not counted): {first:.1f} ms")
    ratio = statistics.median(renders) / statistics.median(references)
    print(f"ratio render / reference (medians): {ratio:.2f}")
    ok = statistics.median(renders) <= BUDGET_MS
    print(f"{'PASS' if ok else 'FAIL'}: median {statistics.median(renders):.1f} ms, budget {BUDGET_MS:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
