"""The served application: security on the project database, and every router under /api/v1."""

from __future__ import annotations

import os

from fastapi import FastAPI

from spacehome.api import (
    astronaut_routes,
    attachment_routes,
    conjunction_routes,
    dashboard,
    element_routes,
    now_routes,
    partner_routes,
    plan_routes,
    program_page_routes,
    program_routes,
    project_routes,
    reads,
    review_routes,
    selection_routes,
    station_history_routes,
    timeline_routes,
)
from spacehome.api.app import API_PREFIX, ApiSettings, answer_options, create_app
from spacehome.api.users import DatabaseUserStore
from spacehome.services.accounts import program_store
from spacehome.services.attachments import BlobStore


def build_app(
    database_url: str | None = None, settings: ApiSettings | None = None, *, blobs: BlobStore | None = None,
) -> FastAPI:
    """The application on the database at ``database_url`` (default: the embedded SQLite file);
    ``blobs`` is where attachments go (default: the user data directory, see services.attachments)."""
    store = program_store(database_url)
    if settings is None:  # SPACEHOME_TOKEN_SECRET keeps tokens valid across restarts and workers
        settings = ApiSettings(token_secret=os.environ.get("SPACEHOME_TOKEN_SECRET") or None)
    app = create_app(settings, DatabaseUserStore(store))
    app.include_router(reads.router(database_url), prefix=API_PREFIX)
    app.include_router(program_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(attachment_routes.router(database_url, blobs=blobs), prefix=API_PREFIX)
    app.include_router(review_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(selection_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(project_routes.router(database_url, blobs=blobs), prefix=API_PREFIX)
    app.include_router(element_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(conjunction_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(plan_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(astronaut_routes.router(database_url), prefix=API_PREFIX)
    # The dashboard's own read models (one module per page) and the pages themselves.
    app.include_router(now_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(station_history_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(timeline_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(program_page_routes.router(database_url), prefix=API_PREFIX)
    app.include_router(partner_routes.router(database_url), prefix=API_PREFIX)
    dashboard.install(app)
    answer_options(app)
    return app
