"""Fixtures for the API tests: a frozen clock, cheap Argon2, a few users, an app and a client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from spacehome.api.app import API_PREFIX, ApiSettings, answer_options, create_app
from spacehome.api.security import InMemoryUserStore, User
from spacehome.domain.program import Role
from spacehome.services.accounts import Passwords

SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery staple"


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    """Argon2id with the smallest legal cost, so the suite stays fast."""
    return Passwords(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def password_hash(passwords: Passwords) -> str:
    return passwords.hash(PASSWORD)


@pytest.fixture
def users(password_hash: str) -> InMemoryUserStore:
    return InMemoryUserStore(
        [
            User(
                id="u1",
                username="alice",
                role=Role.PARTNER,
                password_hash=password_hash,
                partner_org="INTA",
            ),
            User(id="u2", username="rita", role=Role.REVIEWER, password_hash=password_hash),
            User(id="u3", username="root", role=Role.ADMIN, password_hash=password_hash),
            User(
                id="u4",
                username="gone",
                role=Role.PLANNER,
                password_hash=password_hash,
                active=False,
            ),
        ]
    )


@pytest.fixture
def settings() -> ApiSettings:
    return ApiSettings(token_secret=SECRET)


@pytest.fixture
def app(
    settings: ApiSettings, users: InMemoryUserStore, clock: FrozenClock, passwords: Passwords
) -> FastAPI:
    return create_app(settings, users, clock=clock, passwords=passwords)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


def planner_and_partner_client(
    router: APIRouter, password_hash: str, passwords: Passwords, now: datetime,
) -> TestClient:
    """A client of an app with one router and two users: planner ``pat`` and partner ``alice``
    (INTA), its clock frozen at ``now``."""
    users = InMemoryUserStore([
        User(id="u-pat", username="pat", role=Role.PLANNER, password_hash=password_hash),
        User(id="u-alice", username="alice", role=Role.PARTNER, password_hash=password_hash, partner_org="INTA"),
    ])
    app = create_app(ApiSettings(token_secret=SECRET), users, clock=FrozenClock(now), passwords=passwords)
    app.include_router(router, prefix=API_PREFIX)
    answer_options(app)
    return TestClient(app, raise_server_exceptions=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
