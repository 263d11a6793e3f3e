"""End-to-end fixtures: the real server on a loopback port and a real browser driving it.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``; ``make test`` installs it with apt)
driven by Playwright for Python through ``executable_path`` — Playwright's own browser downloads are
never used. Without chromium the e2e tests are skipped with the reason, except under ``CI``, where
they fail: CI must run them.

One server per test session (:func:`live`): :func:`spacehome.api.main.build_app` on a private
SQLite file, the station record's reference data, a fixed token secret, and the accounts of
:data:`ACCOUNTS` (all with :data:`PASSWORD`). Tests that need more data (an open call, a plan) add
it through the services with ``live.database_url`` before they open a page.

Each test gets a fresh browser context (no cookies) at laptop size; :func:`shoot` saves a
full-page screenshot in ``test-output/e2e/`` (``SPACEHOME_TEST_OUTPUT`` names another folder).
A page that throws an uncaught JavaScript error fails its test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest

from spacehome.api.app import ApiSettings
from spacehome.api.loopback import serving
from spacehome.api.main import build_app
from spacehome.services import accounts
from spacehome.services.attachments import BlobStore
from spacehome.services.reference import load_reference_data

CHROMIUM: Final = Path(os.environ.get("SPACEHOME_CHROMIUM", "/usr/bin/chromium"))
PASSWORD: Final = "e2e-password-not-secret-1234"
SECRET: Final = "e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz"
#: username -> (role, partner organisation)
ACCOUNTS: Final = {
    "partner-ke": ("partner", "University of Nairobi"),
    "partner-pe": ("partner", "Pontificia Universidad Católica del Perú"),
    "reviewer-1": ("reviewer", None),
    "reviewer-2": ("reviewer", None),
    "officer": ("program_officer", None),
    "planner": ("planner", None),
    "admin-e2e": ("admin", None),
}
OUTPUT: Final = Path(
    os.environ.get("SPACEHOME_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")
) / "e2e"


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    message = (
        f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package "
        "(or run `apt-get install chromium`)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so the browser tests must run)")
    pytest.skip(message)


@dataclass
class Live:
    """The running server: its address, database, and the ids tests record along the way."""

    url: str
    database_url: str
    blobs: Path
    ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    _require_chromium()
    root = tmp_path_factory.mktemp("e2e-server")
    database_url = f"sqlite:///{root / 'spacehome.sqlite3'}"
    now = datetime.now(UTC)
    load_reference_data(database_url, now=now)
    store = accounts.program_store(database_url)
    fast = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
    for username, (role, org) in ACCOUNTS.items():
        accounts.create_account(
            store, username, role, PASSWORD, now=now, partner_org=org, passwords=fast
        )
    app = build_app(
        database_url, ApiSettings(token_secret=SECRET), blobs=BlobStore(root / "blobs")
    )
    with serving(app) as url:
        yield Live(url=url, database_url=database_url, blobs=root / "blobs")


@pytest.fixture(scope="session")
def browser(live: Live) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live: Live) -> Iterator[Any]:
    """A fresh context (no cookies) at laptop size; uncaught JavaScript errors fail the test."""
    context = browser.new_context(
        base_url=live.url, viewport={"width": 1280, "height": 800}, timezone_id="UTC"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


def shoot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``test-output/e2e/<name>.png``."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, username: str, *, next_path: str = "/") -> None:
    """Log in through the login form and wait for the page it leads to."""
    page.goto(f"/login?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_path}")
    page.get_by_test_id("account").wait_for()
