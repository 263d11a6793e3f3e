"""Conjunction endpoints on SQLite and PostgreSQL: a screened event, a CDM posted as text (Pc
from its covariances, stored once), the event's history, avoidance options, and refusals
(malformed CDM, oversized body, unknown event, bad threshold) as one-line problems."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conjunction_samples import START, cdm_for, write_catalog
from spacehome.api.app import API_PREFIX
from spacehome.api.conjunction_routes import MAX_CDM_BYTES, router
from spacehome.orbit.cdm import write_cdm
from spacehome.services.accounts import Passwords
from spacehome.services.conjunctions import screen_view

from .conftest import PASSWORD, bearer, planner_and_partner_client

NOW = datetime(2026, 9, 7, 4, 0, tzinfo=UTC)
V1 = API_PREFIX


def _client(database_url: str, password_hash: str, passwords: Passwords) -> TestClient:
    return planner_and_partner_client(router(database_url), password_hash, passwords, NOW)


def _token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post(f"{V1}/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


def _problem(response: object, status: int, text: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert text in body["detail"], body
    assert "\n" not in body["detail"]


@pytest.mark.usefixtures("private_database")
def test_events_cdm_history_and_avoidance(
    database_url: str, password_hash: str, passwords: Passwords, tmp_path: Path,
) -> None:
    catalog = write_catalog(tmp_path / "catalog.3le")
    view = screen_view(START, days=0.25, threshold_km=15, catalog_file=catalog,
                       database_url=database_url, store_at=NOW)
    event = min(view["events"], key=lambda e: e["miss_km"])
    client = _client(database_url, password_hash, passwords)
    pat, alice = _token(client, "pat"), _token(client, "alice")

    listed = client.get(f"{V1}/conjunctions", headers=pat)
    assert listed.status_code == 200
    assert listed.json()["total"] == len(view["events"])
    narrow = client.get(f"{V1}/conjunctions", params={"from": event["tca"], "norad": 90001}, headers=pat).json()
    assert narrow["items"][0]["id"] == event["id"]
    assert client.get(f"{V1}/conjunctions", headers=alice).status_code == 403

    text = write_cdm(cdm_for(event["tca"], event["miss_km"], catalog))
    posted = client.post(f"{V1}/conjunctions/cdm", content=text.encode(), headers={**pat, "Content-Type": "text/plain"})
    assert posted.status_code == 200, posted.text
    assert posted.json()["event_id"] == event["id"]
    pc = posted.json()["pc"]["value"]
    assert pc > 1e-4
    again = client.post(f"{V1}/conjunctions/cdm", content=text.encode(), headers={**pat, "Content-Type": "text/plain"})
    assert again.json()["already_imported"] is True

    detail = client.get(f"{V1}/conjunctions/{event['id']}", headers=pat).json()
    assert [a["source"] for a in detail["history"]] == ["screen", "cdm"]
    assert detail["history"][1]["pc"] == pytest.approx(pc)
    assert detail["geometry"]["source"] == "cdm"

    options = client.get(f"{V1}/conjunctions/{event['id']}/avoidance", headers=pat)
    assert options.status_code == 200, options.text
    body = options.json()
    assert body["before"]["pc"] == pytest.approx(pc, rel=1e-6)
    assert body["manoeuvre_needed"] is True
    assert all(o["after"]["pc"] < 1e-4 for o in body["options"] if o["after"] is not None)

    _problem(client.get(f"{V1}/conjunctions/1-2-20260101T000000", headers=pat), 404, "no conjunction event")
    _problem(client.get(f"{V1}/conjunctions/{event['id']}/avoidance", params={"threshold": 2}, headers=pat), 422, "threshold")
    broken = text.replace("MISS_DISTANCE", "MISS_DISTANT")
    _problem(client.post(f"{V1}/conjunctions/cdm", content=broken.encode(), headers={**pat, "Content-Type": "text/plain"}), 422, "unknown keyword MISS_DISTANT")
    big = b"x" * (MAX_CDM_BYTES + 1)
    assert client.post(f"{V1}/conjunctions/cdm", content=big, headers={**pat, "Content-Type": "text/plain"}).status_code == 413
    _problem(client.post(f"{V1}/conjunctions/cdm", content=b"", headers={**pat, "Content-Type": "text/plain"}), 422, "empty")
    assert client.get(f"{V1}/conjunctions", headers=pat).json()["total"] == len(view["events"])  # nothing half-written
