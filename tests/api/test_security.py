"""Passwords, tokens, the login rate limiter and the role dependencies, one piece at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient

from spacehome.api.security import (
    ANONYMOUS,
    InMemoryUserStore,
    LoginRateLimiter,
    Tokens,
    User,
    require_roles,
)
from spacehome.domain.program import Role
from spacehome.errors import NaiveTimeError, ValidationError
from spacehome.services.accounts import Passwords

from .conftest import PASSWORD, SECRET, FrozenClock, bearer, login

# --- passwords ------------------------------------------------------------------------------------


def test_hash_round_trip_and_wrong_password(passwords: Passwords) -> None:
    hashed = passwords.hash("s3cret")
    assert hashed.startswith("$argon2id$")
    assert "s3cret" not in hashed
    assert passwords.verify("s3cret", hashed)
    assert not passwords.verify("S3cret", hashed)


def test_each_hash_has_its_own_salt(passwords: Passwords) -> None:
    assert passwords.hash("same") != passwords.hash("same")


def test_unknown_hash_format_never_verifies(passwords: Passwords) -> None:
    assert not passwords.verify("x", "$2b$12$notanargon2hash")
    assert passwords.verify_and_update("x", "plain-text") == (False, None)


def test_needs_rehash_when_parameters_change(passwords: Passwords) -> None:
    cheap = passwords.hash(PASSWORD)
    stronger = Passwords(time_cost=2, memory_cost=16, parallelism=1)
    assert not passwords.needs_rehash(cheap)
    assert stronger.needs_rehash(cheap)
    ok, upgraded = stronger.verify_and_update(PASSWORD, cheap)
    assert ok
    assert upgraded is not None
    assert not stronger.needs_rehash(upgraded)


# --- users ----------------------------------------------------------------------------------------


def test_in_memory_store_lookups_and_duplicates(users: InMemoryUserStore) -> None:
    alice = users.get_by_username("alice")
    assert alice is not None
    assert users.get_by_id("u1") == alice
    assert users.get_by_username("nobody") is None
    with pytest.raises(ValidationError, match="already taken"):
        users.add(User(id="u9", username="alice", role=Role.PARTNER, password_hash="x"))


def test_user_repr_hides_the_hash() -> None:
    user = User(id="1", username="a", role=Role.ADMIN, password_hash="$argon2id$secret")
    assert "argon2id" not in repr(user)
    assert ANONYMOUS.role is Role.PUBLIC
    assert ANONYMOUS.is_anonymous


# --- tokens ---------------------------------------------------------------------------------------

ALICE = User(id="u1", username="alice", role=Role.PARTNER, password_hash="x")


def test_token_carries_subject_role_and_times(clock: FrozenClock) -> None:
    tokens = Tokens(SECRET, clock=clock)
    claims = tokens.decode(tokens.issue(ALICE))
    assert claims.subject == "u1"
    assert claims.role is Role.PARTNER
    assert claims.issued_at == clock.now
    assert claims.expires_at == clock.now + timedelta(minutes=30)


def test_token_expires_with_the_clock(clock: FrozenClock) -> None:
    tokens = Tokens(SECRET, lifetime=timedelta(minutes=10), clock=clock)
    token = tokens.issue(ALICE)
    clock.advance(minutes=9, seconds=59)
    tokens.decode(token)
    clock.advance(seconds=1)
    with pytest.raises(HTTPException) as caught:
        tokens.decode(token)
    assert caught.value.status_code == 401
    assert "expired" in str(caught.value.detail)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda token: token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
            id="tampered-signature",
        ),
        pytest.param(
            lambda token: jwt.encode(
                {"sub": "u3", "role": "admin", "iat": 0, "exp": 2**40},
                "another-secret-0123456789abcdefghijkl",
                algorithm="HS256",
            ),
            id="wrong-secret",
        ),
        pytest.param(
            lambda token: jwt.encode(
                {"sub": "u3", "role": "admin", "iat": 0, "exp": 2**40}, key="", algorithm="none"
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda token: jwt.encode(
                {"sub": "u1", "iat": 0, "exp": 2**40}, SECRET, algorithm="HS256"
            ),
            id="missing-role",
        ),
        pytest.param(
            lambda token: jwt.encode(
                {"sub": "u1", "role": "emperor", "iat": 0, "exp": 2**40}, SECRET, algorithm="HS256"
            ),
            id="unknown-role",
        ),
        pytest.param(lambda token: "not.a.jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_refused(clock: FrozenClock, forge: Callable[[str], str]) -> None:
    tokens = Tokens(SECRET, clock=clock)
    with pytest.raises(HTTPException) as caught:
        tokens.decode(forge(tokens.issue(ALICE)))
    assert caught.value.status_code == 401
    assert caught.value.headers == {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def test_short_secret_and_naive_clock_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Tokens("short")
    naive = Tokens(SECRET, clock=lambda: datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(NaiveTimeError):
        naive.issue(ALICE)


# --- rate limiter ---------------------------------------------------------------------------------


def test_limiter_blocks_after_n_failures_and_slides(clock: FrozenClock) -> None:
    limiter = LoginRateLimiter(max_failures_per_user=3, window=timedelta(minutes=5), clock=clock)
    for _ in range(3):
        assert limiter.retry_after("alice", "10.0.0.1") is None
        limiter.record_failure("alice", "10.0.0.1")
        clock.advance(seconds=10)
    # Oldest failure was 30 s ago: it leaves the window in 270 s.
    assert limiter.retry_after("alice", "10.0.0.2") == 270
    assert limiter.retry_after("ALICE", None) == 270  # usernames are compared case-insensitively
    assert limiter.retry_after("bob", "10.0.0.1") is None  # the address is below its own limit
    clock.advance(seconds=270)
    assert limiter.retry_after("alice", "10.0.0.1") is None
    limiter.record_failure("alice", "10.0.0.1")  # 3 in window again (two old + this one)
    assert limiter.retry_after("alice", None) == 10


def test_limiter_counts_addresses_across_usernames(clock: FrozenClock) -> None:
    limiter = LoginRateLimiter(max_failures_per_user=5, max_failures_per_address=4, clock=clock)
    for name in ("a", "b", "c", "d"):
        limiter.record_failure(name, "192.0.2.7")
    assert limiter.retry_after("e", "192.0.2.7") == 300
    assert limiter.retry_after("e", "192.0.2.8") is None


def test_success_clears_the_username(clock: FrozenClock) -> None:
    limiter = LoginRateLimiter(max_failures_per_user=2, clock=clock)
    limiter.record_failure("alice", None)
    limiter.record_success("alice")
    limiter.record_failure("alice", None)
    assert limiter.retry_after("alice", None) is None


def test_limiter_settings_are_checked() -> None:
    with pytest.raises(ValidationError):
        LoginRateLimiter(max_failures_per_user=0)
    with pytest.raises(ValidationError):
        LoginRateLimiter(window=timedelta(0))


# --- role dependencies ----------------------------------------------------------------------------


@pytest.fixture
def guarded(app: FastAPI) -> TestClient:
    @app.get("/test/review")
    def review(
        user: Annotated[User, Depends(require_roles(Role.REVIEWER, Role.PROGRAM_OFFICER))],
    ) -> dict[str, str]:
        return {"who": user.username}

    @app.get("/test/open")
    def open_to_all(
        user: Annotated[User, Depends(require_roles(Role.PUBLIC, Role.PARTNER))],
    ) -> dict[str, str]:
        return {"role": user.role.value}

    return TestClient(app, raise_server_exceptions=False)


def test_require_roles_lets_the_role_through(guarded: TestClient) -> None:
    response = guarded.get("/test/review", headers=bearer(login(guarded, "rita")))
    assert response.status_code == 200
    assert response.json() == {"who": "rita"}


def test_require_roles_forbids_other_roles_even_admin(guarded: TestClient) -> None:
    for name in ("alice", "root"):
        response = guarded.get("/test/review", headers=bearer(login(guarded, name)))
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert "may not" in response.json()["detail"]


def test_require_roles_asks_anonymous_to_log_in(guarded: TestClient) -> None:
    response = guarded.get("/test/review")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


def test_public_role_admits_anonymous(guarded: TestClient) -> None:
    assert guarded.get("/test/open").json() == {"role": "public"}
    assert guarded.get("/test/open", headers=bearer(login(guarded, "alice"))).json() == {
        "role": "partner"
    }


def test_a_bad_token_is_not_downgraded_to_public(guarded: TestClient) -> None:
    response = guarded.get("/test/open", headers=bearer("not.a.jwt"))
    assert response.status_code == 401


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValidationError):
        require_roles()


def test_token_of_a_removed_or_disabled_user_is_refused(
    client: TestClient, users: InMemoryUserStore, clock: FrozenClock
) -> None:
    token = Tokens(SECRET, clock=clock).issue(
        User(id="u4", username="gone", role=Role.PLANNER, password_hash="x")
    )
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    ghost = Tokens(SECRET, clock=clock).issue(
        User(id="u99", username="ghost", role=Role.ADMIN, password_hash="x")
    )
    assert client.get("/api/v1/auth/me", headers=bearer(ghost)).status_code == 401


def test_role_comes_from_the_store_not_the_token(client: TestClient, clock: FrozenClock) -> None:
    # A token claiming admin for alice (signed with the right secret) still yields alice's stored role.
    token = jwt.encode(
        {
            "sub": "u1",
            "role": "admin",
            "iat": int(clock.now.timestamp()),
            "exp": int(clock.now.timestamp()) + 60,
        },
        SECRET,
        algorithm="HS256",
    )
    assert client.get("/api/v1/auth/me", headers=bearer(token)).json()["role"] == "partner"


def test_clock_is_utc_aware(clock: FrozenClock) -> None:
    assert clock().tzinfo is UTC
