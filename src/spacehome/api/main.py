"""The served application: security on the project database, and every router under /api/v1."""

from __future__ import annotations

import os

from fastapi import FastAPI

from spacehome.api import reads
from spacehome.api.app import API_PREFIX, ApiSettings, create_app
from spacehome.api.users import DatabaseUserStore
from spacehome.services.accounts import program_store


def build_app(database_url: str | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """The application on the database at ``database_url`` (default: the embedded SQLite file)."""
    store = program_store(database_url)
    if settings is None:  # SPACEHOME_TOKEN_SECRET keeps tokens valid across restarts and workers
        settings = ApiSettings(token_secret=os.environ.get("SPACEHOME_TOKEN_SECRET") or None)
    app = create_app(settings, DatabaseUserStore(store))
    app.include_router(reads.router(database_url), prefix=API_PREFIX)
    return app
