"""Accessibility of every page, checked by axe-core (Deque's engine, installed from npm with the
dashboard's assets) in the real browser: no WCAG 2.1 A or AA violation — labels, names, roles,
contrast, landmarks, language — on any page as the role that uses it.

axe is injected into the page by the test (the context bypasses the page's Content Security
Policy for that one script; the pages themselves never load it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest

from .conftest import Live, login
from .test_conjunctions import CLOSEST, conjunction_events  # noqa: F401 - the fixture: events to show
from .test_timeline import thirty_day_plan  # noqa: F401 - the fixture, so the Timeline has a plan

AXE: Final = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
TAGS: Final = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

#: (who, path, what must be on screen before the check)
PAGES: Final = [
    (None, "/", "#page:not([aria-busy])"),
    (None, "/station", "#page:not([aria-busy])"),
    (None, "/program", "#page:not([aria-busy])"),
    (None, "/projects", "#page:not([aria-busy])"),
    (None, "/login", "form"),
    ("partner-ke", "/program?tab=mine", "#page:not([aria-busy])"),
    ("reviewer-1", "/program?tab=review", "#page:not([aria-busy])"),
    ("officer", "/program?tab=officer", "#page:not([aria-busy])"),
    ("planner", "/timeline", "body[data-timeline-rendered='true']"),
    ("planner", f"/conjunctions?event={CLOSEST}", "body[data-conjunction-rendered='true']"),
]


@pytest.fixture
def axe_page(browser: Any, live: Live) -> Any:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make test` (npm ci in web/)")
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(("who", "path", "ready"), PAGES, ids=[f"{w or 'visitor'} {p}" for w, p, _ in PAGES])
def test_no_wcag_violations(
    axe_page: Any, who: str | None, path: str, ready: str, thirty_day_plan: dict[str, Any],  # noqa: F811
    conjunction_events: dict[str, Any],  # noqa: F811
) -> None:
    page = axe_page
    if who is not None:
        login(page, who, next_path=path)
    else:
        page.goto(path)
    page.wait_for_selector(ready, state="attached")
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])}× e.g. {v['nodes'][0]['target']}"
        for v in result["violations"]
    ]
    assert not found, "\n".join(found)
    assert len(result["passes"]) > 10  # axe did check the page
