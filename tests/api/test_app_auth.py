"""The application: OpenAPI 3.1 under /api/v1, health, and the OAuth2 password flow end to end."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from spacehome.api.app import ApiSettings, create_app
from spacehome.api.security import InMemoryUserStore
from spacehome.services.accounts import Passwords

from .conftest import PASSWORD, FrozenClock, bearer, login

TOKEN = "/api/v1/auth/token"


def test_health(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_is_3_1_under_api_v1_with_the_security_scheme(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert TOKEN in document["paths"]
    assert "/api/v1/auth/me" in document["paths"]
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == TOKEN
    assert document["paths"]["/api/v1/auth/me"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    errors = document["paths"][TOKEN]["post"]["responses"]["4XX"]["content"]
    assert list(errors) == ["application/problem+json"]
    # FastAPI's own 422 HTTPValidationError shape is never sent, so it is not documented.
    assert "422" not in document["paths"][TOKEN]["post"]["responses"]


def test_docs_are_served_and_old_paths_are_not(client: TestClient) -> None:
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 404


def test_login_and_me(client: TestClient) -> None:
    response = client.post(TOKEN, data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {"id": "u1", "username": "alice", "role": "partner", "partner_org": "INTA"}


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong"), ("nobody", PASSWORD), ("gone", PASSWORD), ("Alice", PASSWORD)],
    ids=["wrong-password", "unknown-user", "disabled-user", "case-matters"],
)
def test_login_failures_look_alike(client: TestClient, username: str, password: str) -> None:
    response = client.post(TOKEN, data={"username": username, "password": password})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "Incorrect username or password."


def test_login_form_fields_are_required(client: TestClient) -> None:
    response = client.post(TOKEN, data={"username": "alice"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid body field 'password'")


def test_me_needs_a_login(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


def test_expired_token_is_401_problem(client: TestClient, clock: FrozenClock) -> None:
    token = login(client, "rita")
    clock.advance(minutes=30)
    response = client.get("/api/v1/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "expired" in response.json()["detail"]


def test_tampered_token_is_401_problem(client: TestClient) -> None:
    token = login(client, "rita")
    header, payload, signature = token.split(".")
    forged = ".".join(
        [header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature]
    )
    response = client.get("/api/v1/auth/me", headers=bearer(forged))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_token_from_another_secret_is_refused(
    users: InMemoryUserStore, clock: FrozenClock, passwords: Passwords, client: TestClient
) -> None:
    other = TestClient(
        create_app(ApiSettings(token_secret="z" * 40), users, clock=clock, passwords=passwords)
    )
    token = login(other, "alice")
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401


def test_rate_limit_429_then_reset_after_window(client: TestClient, clock: FrozenClock) -> None:
    for _ in range(5):
        assert (
            client.post(TOKEN, data={"username": "alice", "password": "guess"}).status_code == 401
        )
        clock.advance(seconds=1)
    blocked = client.post(TOKEN, data={"username": "alice", "password": PASSWORD})
    assert blocked.status_code == 429  # even the right password: otherwise guessing goes on
    assert blocked.headers["content-type"] == "application/problem+json"
    assert blocked.headers["retry-after"] == str(5 * 60 - 5)
    clock.advance(seconds=5 * 60 - 5)
    assert client.post(TOKEN, data={"username": "alice", "password": PASSWORD}).status_code == 200


def test_rate_limit_is_per_username(client: TestClient) -> None:
    for _ in range(5):
        client.post(TOKEN, data={"username": "alice", "password": "guess"})
    assert client.post(TOKEN, data={"username": "alice", "password": PASSWORD}).status_code == 429
    assert client.post(TOKEN, data={"username": "rita", "password": PASSWORD}).status_code == 200


def test_rate_limit_per_address(
    users: InMemoryUserStore, clock: FrozenClock, passwords: Passwords
) -> None:
    settings = ApiSettings(token_secret="y" * 40, login_failures_per_address=3)
    client = TestClient(create_app(settings, users, clock=clock, passwords=passwords))
    for name in ("a", "b", "c"):
        client.post(TOKEN, data={"username": name, "password": "guess"})
    assert client.post(TOKEN, data={"username": "rita", "password": PASSWORD}).status_code == 429


def test_login_upgrades_an_outdated_hash(
    users: InMemoryUserStore, clock: FrozenClock, passwords: Passwords
) -> None:
    stronger = Passwords(time_cost=2, memory_cost=16, parallelism=1)
    client = TestClient(
        create_app(ApiSettings(token_secret="x" * 40), users, clock=clock, passwords=stronger)
    )
    before = users.get_by_id("u2")
    assert before is not None
    assert stronger.needs_rehash(before.password_hash)
    login(client, "rita")
    after = users.get_by_id("u2")
    assert after is not None
    assert not stronger.needs_rehash(after.password_hash)
    assert stronger.verify(PASSWORD, after.password_hash)


def test_without_a_secret_a_random_one_is_used(
    users: InMemoryUserStore, passwords: Passwords, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="spacehome.api.app"):
        first = TestClient(create_app(ApiSettings(), users, passwords=passwords))
        second = TestClient(create_app(ApiSettings(), users, passwords=passwords))
    assert "random" in caplog.text
    token = login(first, "alice")
    assert first.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    assert second.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401


def test_custom_lifetime_is_reported(
    users: InMemoryUserStore, clock: FrozenClock, passwords: Passwords
) -> None:
    settings = ApiSettings(token_secret="w" * 40, token_lifetime=timedelta(minutes=5))
    client = TestClient(create_app(settings, users, clock=clock, passwords=passwords))
    response = client.post(TOKEN, data={"username": "alice", "password": PASSWORD})
    assert response.json()["expires_in"] == 300
