"""The web dashboard: pages served on the API's origin, each a thin shell around one ES module.

Every page is the same HTML shell (:func:`page_html`): the header with the navigation the
visitor's role allows, a ``<main>`` the page's module fills from the ``/api/v1`` endpoints, the
session's CSRF token in ``<meta name="csrf-token">`` and the account in ``<body data-...>``. The
shell is rendered here, not by JavaScript, so the navigation is right before any script runs and
a page that needs a login redirects to ``/login?next=...`` instead of flashing.

Assets: our own (HTML-free JavaScript modules, CSS, icons) are package data under
``spacehome/api/web/static`` and served at ``/static``. Third-party browser code and map data
(d3-geo, topojson-client, world-atlas) are never committed: ``make run`` and ``make test``
install them from the npm registry with ``npm ci`` into ``web/node_modules`` at the repository
root (``SPACEHOME_WEB_ASSETS`` names another ``node_modules``), and :data:`VENDOR` lists the only
files served from there, at ``/vendor/<name>``. Nothing is loaded from a CDN; the Content
Security Policy allows this origin only.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from spacehome.api import problems
from spacehome.api.security import SecurityContext, Session, security_context, session_of
from spacehome.domain.program import Role

WEB_DIR: Final = Path(__file__).parent / "web"
STATIC_DIR: Final = WEB_DIR / "static"
ASSETS_ENV: Final = "SPACEHOME_WEB_ASSETS"

#: Served name -> path inside ``node_modules`` (the only third-party files the dashboard serves).
VENDOR: Final = {
    "d3-array.min.js": "d3-array/dist/d3-array.min.js",
    "d3-geo.min.js": "d3-geo/dist/d3-geo.min.js",
    "topojson-client.min.js": "topojson-client/dist/topojson-client.min.js",
    "countries-110m.json": "world-atlas/countries-110m.json",
}
#: The classic scripts a map page loads before its module (they define ``d3`` and ``topojson``).
MAP_SCRIPTS: Final = ("d3-array.min.js", "d3-geo.min.js", "topojson-client.min.js")

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # the shell holds the session's CSRF token
}

PLAN_READERS: Final = frozenset({Role.PLANNER, Role.PROGRAM_OFFICER, Role.ADMIN})
OPERATIONS: Final = frozenset({Role.PLANNER, Role.ADMIN})


@dataclass(frozen=True)
class Page:
    """One dashboard page: its path, module name (``static/js/<name>.js``, ``css/<name>.css``),
    title, who may open it (None: everyone) and whether it draws world maps."""

    path: str
    name: str
    title: str
    roles: frozenset[Role] | None = None
    maps: bool = False
    in_nav: bool = True


PAGES: Final = (
    Page("/", "now", "Now", maps=True),
    Page("/station", "station", "Station"),
    Page("/timeline", "timeline", "Timeline", roles=PLAN_READERS),
    Page("/conjunctions", "conjunctions", "Conjunctions", roles=OPERATIONS),
    Page("/program", "program", "Program"),
    Page("/projects", "projects", "Projects", maps=True),
    Page("/login", "login", "Log in", in_nav=False),
)

ROLE_LABELS: Final = {
    Role.PUBLIC: "visitor",
    Role.PARTNER: "partner",
    Role.REVIEWER: "reviewer",
    Role.PROGRAM_OFFICER: "program officer",
    Role.PLANNER: "planner",
    Role.ADMIN: "admin",
}


def vendor_dir() -> Path | None:
    """The ``node_modules`` holding the dashboard's third-party assets, or None if not installed."""
    configured = os.environ.get(ASSETS_ENV, "").strip()
    candidates = [Path(configured)] if configured else []
    # An editable install (make run): src/spacehome/api/dashboard.py -> repository root.
    candidates += [parent / "web" / "node_modules" for parent in Path(__file__).resolve().parents]
    return next((c for c in candidates if (c / VENDOR["d3-geo.min.js"]).is_file()), None)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _nav(page: Page, session: Session | None) -> str:
    role = session.user.role if session else Role.PUBLIC
    links = []
    for other in PAGES:
        if not other.in_nav or (other.roles is not None and role not in other.roles):
            continue
        current = ' aria-current="page"' if other is page else ""
        links.append(f'<li><a href="{other.path}"{current}>{_e(other.title)}</a></li>')
    if session is None:
        here = "" if page.name == "login" else f"?next={_e(page.path)}"
        account = f'<a class="button button-quiet" href="/login{here}">Log in</a>'
    else:
        who = _e(session.user.username)
        account = (
            f'<span class="account" data-testid="account">{who} '
            f'<span class="role-badge">{_e(ROLE_LABELS[role])}</span></span>'
            '<button type="button" class="button button-quiet" id="logout">Log out</button>'
        )
    return (
        '<nav class="site-nav" aria-label="Main">'
        '<a class="brand" href="/"><img src="/static/img/logo.svg" alt="" width="28" height="28">'
        "<span>spacehome</span></a>"
        f'<ul class="nav-links">{"".join(links)}</ul>'
        f'<div class="nav-account">{account}</div></nav>'
    )


def page_html(page: Page, session: Session | None, *, refusal: str | None = None) -> str:
    """The shell of ``page`` for this visitor; ``refusal`` replaces the page's module with a
    message (a page the visitor's role may not open)."""
    user = session.user if session else None
    body_data = {
        "page": page.name,
        "role": (user.role.value if user else Role.PUBLIC.value),
        "username": user.username if user else "",
        "partner-org": (user.partner_org or "") if user else "",
    }
    attrs = " ".join(f'data-{key}="{_e(value)}"' for key, value in body_data.items())
    scripts = "".join(
        f'<script src="/vendor/{name}" defer></script>' for name in (MAP_SCRIPTS if page.maps else ())
    )
    module = "" if refusal else f'<script type="module" src="/static/js/{page.name}.js"></script>'
    content = (
        f'<p class="notice notice-error" role="alert">{_e(refusal)}</p>'
        if refusal
        else '<div id="page" class="page" aria-busy="true"><p class="loading">Loading…</p></div>'
        '<noscript><p class="notice notice-error">This dashboard needs JavaScript; the same '
        'data is in the API at <a href="/api/v1/docs">/api/v1/docs</a>.</p></noscript>'
    )
    csrf = session.csrf if session else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(page.title)} · spacehome</title>"
        f'<meta name="csrf-token" content="{_e(csrf)}">'
        '<link rel="icon" href="/static/img/logo.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/css/base.css">'
        f'<link rel="stylesheet" href="/static/css/{page.name}.css">'
        f"{scripts}{module}</head>"
        f"<body {attrs}>"
        '<a class="skip-link" href="#main">Skip to content</a>'
        f'<header class="site-header">{_nav(page, session)}</header>'
        f'<main id="main" tabindex="-1"><h1 id="page-title">{_e(page.title)}</h1>{content}</main>'
        '<div id="live" class="visually-hidden" aria-live="polite"></div>'
        '<footer class="site-footer"><p>spacehome — operations and the international program of '
        'the China Space Station. Data: the station record (sourced), CelesTrak element sets. '
        '<a href="/api/v1/docs">API</a></p></footer>'
        "</body></html>"
    )


def _page_route(page: Page):  # type: ignore[no-untyped-def]
    def serve(
        request: Request, context: Annotated[SecurityContext, Depends(security_context)]
    ) -> Response:
        session = session_of(request, context)
        role = session.user.role if session else Role.PUBLIC
        if page.roles is not None and role not in page.roles:
            if session is None:
                return RedirectResponse(f"/login?next={page.path}", status_code=303)
            allowed = ", ".join(sorted(ROLE_LABELS[r] for r in page.roles))
            refusal = (
                f"The {page.title} page is for {allowed}; you are logged in as "
                f"{ROLE_LABELS[role]}. Log out and log in with another account to open it."
            )
            return HTMLResponse(
                page_html(page, session, refusal=refusal), status_code=403, headers=PAGE_HEADERS
            )
        return HTMLResponse(page_html(page, session), headers=PAGE_HEADERS)

    serve.__name__ = f"page_{page.name}"
    return serve


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)
    for page in PAGES:
        r.add_api_route(page.path, _page_route(page), methods=["GET"], response_class=HTMLResponse)

    @r.get("/vendor/{name}")
    def vendor(name: str) -> Response:
        if name not in VENDOR:
            return problems.problem_response(404, f"no dashboard asset named '{name}'")
        root = vendor_dir()
        if root is None:
            return problems.problem_response(
                404,
                "the dashboard's map assets are not installed: run `make run` (it installs them "
                f"with npm into web/node_modules), or set {ASSETS_ENV} to a node_modules folder",
            )
        return FileResponse(
            root / VENDOR[name], headers={"Cache-Control": "public, max-age=86400"}
        )

    return r


def install(app: FastAPI) -> None:
    """Serve the dashboard's pages, its own static files and the npm-installed assets."""
    app.include_router(router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
