"""The served application on a real (SQLite) database: first admin, login, public read endpoints."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from spacehome.api.main import build_app
from spacehome.cli import main
from spacehome.services import accounts

NOW = datetime(2026, 9, 7, tzinfo=UTC)
FAST = accounts.Passwords(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("SPACEHOME_DATABASE_URL", database_url)  # SQLite and PostgreSQL
    return TestClient(build_app())


def test_first_admin_logs_in_and_is_created_once(client: TestClient) -> None:
    store = accounts.program_store()
    password = accounts.ensure_admin(store, now=NOW, passwords=FAST)
    assert password is not None
    assert len(password) >= accounts.MIN_PASSWORD_LENGTH
    assert accounts.ensure_admin(store, now=NOW, passwords=FAST) is None
    r = client.post("/api/v1/auth/token", data={"username": "admin", "password": password})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "admin"
    bad = client.post("/api/v1/auth/token", data={"username": "admin", "password": "wrong password!"})
    assert bad.status_code == 401
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_station_and_where_are_public_and_match_the_cli_views(client: TestClient) -> None:
    r = client.get("/api/v1/station", params={"at": "2022-12-01T00:00:00Z"})
    assert r.status_code == 200
    crew = [p["name"] for p in r.json()["crew"]]
    assert len(crew) == 6  # the first in-orbit handover: Shenzhou-14 and -15 aboard together
    w = client.get("/api/v1/orbit/where", params={"at": "2026-09-06T12:00:00Z"})
    assert w.status_code == 200
    assert w.json()["latitude_deg"] == pytest.approx(-41.348, abs=1e-3)
    assert w.json()["element_set"]["catalog_number"] == 48274


def test_passes_for_a_city_and_errors_as_problems(client: TestClient) -> None:
    r = client.get("/api/v1/orbit/passes", params={"city": "Beijing", "from": "2026-09-06T00:00:00Z", "days": 3, "visible_only": True})
    assert r.status_code == 200
    view = r.json()
    assert view["passes"]
    assert all(p["visible"] for p in view["passes"])
    for params, status, needle in [
        ({"city": "Beijing", "from": "2026-09-06T00:00:00"}, 422, "zone"),
        ({"city": "Nowhere-on-Earth-City"}, 404, "Nowhere-on-Earth-City"),
        ({"lat": 95, "lon": 0}, 422, "lat"),
        ({"city": "Beijing", "days": 400}, 422, "days"),
        ({}, 422, "city"),
    ]:
        bad = client.get("/api/v1/orbit/passes", params=params)
        assert bad.status_code == status, (params, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert needle in bad.text
        assert "Traceback" not in bad.text


def test_openapi_lists_the_read_endpoints(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    for path in ("/api/v1/station", "/api/v1/orbit/where", "/api/v1/orbit/passes", "/api/v1/orbit/eclipses", "/api/v1/orbit/contacts"):
        assert path in doc["paths"]


def test_cli_db_upgrade_and_users_create(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    r = runner.invoke(main.app, ["db", "upgrade"])
    assert r.exit_code == 0
    assert "newest schema revision" in r.stdout
    assert (
        "reference data from the station record: 9 first-cycle projects, 2 astronaut programs, "
        "4 candidates (15 added now)" in r.stdout
    )
    again = runner.invoke(main.app, ["db", "upgrade"])
    assert again.exit_code == 0
    assert "(0 added now)" in again.stdout  # idempotent
    answers = iter(["a long enough password", "a long enough password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    r = runner.invoke(main.app, ["users", "create", "kenya-lead", "--role", "partner", "--partner-org", "University of Nairobi", "--json"])
    assert r.exit_code == 0, r.stderr
    assert '"role": "partner"' in r.stdout
    user = accounts.program_store().get_user_by_username("kenya-lead")
    assert user is not None
    assert FAST.verify("a long enough password", user.password_hash)
    for args, needle in [
        (["users", "create", "x1", "--role", "astronaut"], "unknown role 'astronaut'"),
        (["users", "create", "x2", "--role", "partner"], "--partner-org"),
        (["users", "create", "kenya-lead", "--role", "reviewer"], "kenya-lead"),
    ]:
        answers = iter(["a long enough password"] * 2)
        r = runner.invoke(main.app, args)
        assert r.exit_code == 2, (args, r.stdout)
        assert needle in r.stderr
    answers = iter(["short", "short"])
    r = runner.invoke(main.app, ["users", "create", "x3", "--role", "reviewer"])
    assert r.exit_code == 2
    assert "at least 12" in r.stderr


def test_page_bounds_are_checked_before_the_database(client: TestClient) -> None:
    # found by Schemathesis: an offset beyond SQLite's 64-bit integers was a server error
    for params in ({"offset": 9223372036854775808}, {"offset": -1}, {"limit": 0}, {"limit": 501}):
        r = client.get("/api/v1/calls", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/calls", params={"offset": 1_000_000_000}).json()["items"] == []
