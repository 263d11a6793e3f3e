"""API endpoints for the Station page of the dashboard (to be written)."""

from __future__ import annotations

from fastapi import APIRouter

from spacehome.api import problems


def router(database_url: str | None) -> APIRouter:
    return APIRouter(responses=problems.PROBLEM_RESPONSES)
