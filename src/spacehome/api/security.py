"""Who is asking, and may they: roles, Argon2 passwords, expiring tokens, a login rate limit.

The pattern is FastAPI's "OAuth2 with Password (and hashing), Bearer with JWT tokens": the client
posts a username and password as a form to the token endpoint, gets a signed, expiring JWT
(HS256), and sends it back as ``Authorization: Bearer <token>``.

Everything stateful is injected rather than global, so tests (and later the database) can plug in:

- the user store is any :class:`UserStore` (the in-memory one here is for tests and demos);
- the clock is any ``Callable[[], datetime]`` returning an aware UTC time, used both for token
  expiry and for the login rate limiter's sliding window;
- the token secret comes from the caller (see ``spacehome.api.app.ApiSettings``); nothing is
  hard-coded here.

The FastAPI dependencies (:func:`current_user`, :func:`authenticated_user`,
:func:`require_roles`) find these collaborators on ``request.app.state.security`` (a
:class:`SecurityContext`), which ``spacehome.api.app.create_app`` installs.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Protocol

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from spacehome.domain.program import Role
from spacehome.errors import NaiveTimeError, ValidationError
from spacehome.services.accounts import Passwords
from spacehome.services.program import Actor

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current time, aware and in UTC."""

TOKEN_URL: Final = "/api/v1/auth/token"
SESSION_COOKIE: Final = "spacehome_session"
"""The dashboard's session: the same signed token as the bearer one, in an HttpOnly cookie."""
CSRF_HEADER: Final = "X-CSRF-Token"
"""Requests authenticated by the session cookie that change anything must echo the session's
CSRF token (a claim of the cookie's token, given to the page) in this header."""
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_ALGORITHM: Final = "HS256"
MIN_SECRET_BYTES: Final = 32
"""RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits)."""


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def _now(clock: Clock) -> datetime:
    moment = clock()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveTimeError(
            "the security clock returned a time without a UTC offset; return an aware UTC datetime"
        )
    return moment


# Roles are the domain's (spacehome.domain.program.Role); password hashing is the services'
# (spacehome.services.accounts.Passwords), shared with the command line.


# --- users --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """An account. ``partner_org`` names the partner institution a partner acts for, else None."""

    id: str
    username: str
    role: Role
    password_hash: str = field(repr=False)
    partner_org: str | None = None
    active: bool = True

    @property
    def is_anonymous(self) -> bool:
        return self.id == ""


ANONYMOUS: Final = User(id="", username="", role=Role.PUBLIC, password_hash="", active=True)
"""Who :func:`current_user` returns when no token was sent: the public role, no account."""


class UserStore(Protocol):
    """Where accounts live. The database implementation comes with the persistence layer."""

    def get_by_username(self, username: str) -> User | None: ...

    def get_by_id(self, user_id: str) -> User | None: ...

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Store an upgraded hash (called after a successful login when the parameters changed)."""
        ...


class InMemoryUserStore:
    """A :class:`UserStore` in a dict, for tests and demos. Not thread-safe for writers."""

    def __init__(self, users: Iterable[User] = ()) -> None:
        self._by_id: dict[str, User] = {}
        for user in users:
            self.add(user)

    def add(self, user: User) -> None:
        if user.is_anonymous:
            raise ValidationError("a stored user needs a non-empty id")
        if any(
            other.username == user.username and other.id != user.id
            for other in self._by_id.values()
        ):
            raise ValidationError(f"username '{user.username}' is already taken; choose another")
        self._by_id[user.id] = user

    def get_by_username(self, username: str) -> User | None:
        return next((user for user in self._by_id.values() if user.username == username), None)

    def get_by_id(self, user_id: str) -> User | None:
        return self._by_id.get(user_id)

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        user = self._by_id[user_id]
        self._by_id[user_id] = User(
            id=user.id,
            username=user.username,
            role=user.role,
            password_hash=password_hash,
            partner_org=user.partner_org,
            active=user.active,
        )


# --- tokens -------------------------------------------------------------------------------------


def _unauthorized(detail: str, *, invalid_token: bool) -> HTTPException:
    challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": challenge},
    )


@dataclass(frozen=True)
class TokenClaims:
    """What a valid access token says."""

    subject: str
    role: Role
    issued_at: datetime
    expires_at: datetime
    csrf: str | None = None
    """The session's CSRF token (cookie sessions only)."""


class Tokens:
    """Issues and checks HS256 access tokens (claims: sub, role, iat, exp).

    Expiry is checked against the injected clock, not PyJWT's own, so tests can freeze time.
    """

    def __init__(
        self, secret: str, *, lifetime: timedelta = timedelta(minutes=30), clock: Clock = utc_now
    ) -> None:
        if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise ValidationError(
                f"the token secret must be at least {MIN_SECRET_BYTES} bytes; generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        if lifetime <= timedelta(0):
            raise ValidationError(f"the token lifetime must be positive, not {lifetime}")
        self._secret = secret
        self.lifetime = lifetime
        self._clock = clock

    def issue(
        self, user: User, *, csrf: str | None = None, lifetime: timedelta | None = None
    ) -> str:
        """A token for ``user``; a cookie session's carries its CSRF token and may live longer."""
        now = _now(self._clock)
        claims: dict[str, Any] = {
            "sub": user.id,
            "role": user.role.value,
            "iat": int(now.timestamp()),
            "exp": int((now + (lifetime or self.lifetime)).timestamp()),
        }
        if csrf is not None:
            claims["csrf"] = csrf
        return jwt.encode(claims, self._secret, algorithm=TOKEN_ALGORITHM)

    def decode(self, token: str) -> TokenClaims:
        """The claims of a valid token; a 401 HTTPException for anything else."""
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[TOKEN_ALGORITHM],
                options={"verify_exp": False, "require": ["sub", "role", "iat", "exp"]},
            )
        except jwt.InvalidTokenError as error:
            logger.info("rejected access token: %s", error)
            raise _unauthorized(
                "The access token is invalid; log in again to get a new one.", invalid_token=True
            ) from None
        try:
            subject = payload["sub"]
            role = Role(payload["role"])
            issued_at = datetime.fromtimestamp(int(payload["iat"]), UTC)
            expires_at = datetime.fromtimestamp(int(payload["exp"]), UTC)
            csrf = payload.get("csrf")
            if csrf is not None and not isinstance(csrf, str):
                raise TypeError("csrf")
        except (TypeError, ValueError, OverflowError):
            raise _unauthorized(
                "The access token is invalid; log in again to get a new one.", invalid_token=True
            ) from None
        if not isinstance(subject, str) or not subject:
            raise _unauthorized(
                "The access token is invalid; log in again to get a new one.", invalid_token=True
            )
        if _now(self._clock) >= expires_at:
            raise _unauthorized(
                "The access token has expired; log in again to get a new one.", invalid_token=True
            )
        return TokenClaims(
            subject=subject, role=role, issued_at=issued_at, expires_at=expires_at, csrf=csrf
        )


# --- login rate limit ---------------------------------------------------------------------------


class LoginRateLimiter:
    """Counts failed logins in a sliding window, per username and per client address.

    When either key has ``max_failures_*`` failures inside ``window``, further attempts for that
    key are refused with 429 and a ``Retry-After`` (seconds until the oldest failure leaves the
    window) — even with the right password, otherwise the limit would not stop guessing. A
    successful login clears its username's failures (not the address's). In-process only: with
    several worker processes each counts on its own. Thread-safe.
    """

    _SWEEP_AT: Final = 10_000

    def __init__(
        self,
        *,
        max_failures_per_user: int = 5,
        max_failures_per_address: int = 20,
        window: timedelta = timedelta(minutes=5),
        clock: Clock = utc_now,
    ) -> None:
        if max_failures_per_user < 1 or max_failures_per_address < 1:
            raise ValidationError("the login rate limits must allow at least one failure")
        if window <= timedelta(0):
            raise ValidationError(f"the login rate-limit window must be positive, not {window}")
        self.max_failures_per_user = max_failures_per_user
        self.max_failures_per_address = max_failures_per_address
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", "user:" + username.casefold())]
        if address:
            keys.append(("address", "address:" + address))
        return keys

    def _prune(self, key: str, now: datetime) -> deque[datetime] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def retry_after(self, username: str, address: str | None) -> int | None:
        """Seconds to wait when this attempt is refused; None when it may proceed."""
        with self._lock:
            now = _now(self._clock)
            waits = []
            for kind, key in self._keys(username, address):
                limit = (
                    self.max_failures_per_user if kind == "user" else self.max_failures_per_address
                )
                failures = self._prune(key, now)
                if failures is not None and len(failures) >= limit:
                    # The attempt becomes possible when enough failures have left the window.
                    unblocked = failures[len(failures) - limit] + self.window
                    waits.append(max(1, math.ceil((unblocked - now).total_seconds())))
            return max(waits) if waits else None

    def check(self, username: str, address: str | None) -> None:
        """Raise 429 (with Retry-After) when this username or address is locked out."""
        wait = self.retry_after(username, address)
        if wait is not None:
            raise HTTPException(
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"Too many failed logins; try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )

    def record_failure(self, username: str, address: str | None) -> None:
        with self._lock:
            now = _now(self._clock)
            if len(self._failures) >= self._SWEEP_AT:
                for key in list(self._failures):
                    self._prune(key, now)
            for _, key in self._keys(username, address):
                self._failures.setdefault(key, deque()).append(now)

    def record_success(self, username: str) -> None:
        with self._lock:
            self._failures.pop("user:" + username.casefold(), None)


# --- wiring and dependencies --------------------------------------------------------------------


@dataclass(frozen=True)
class SecurityContext:
    """The collaborators the security dependencies need; lives on ``app.state.security``."""

    users: UserStore
    passwords: Passwords
    tokens: Tokens
    limiter: LoginRateLimiter
    clock: Clock

    def authenticate(self, username: str, password: str, address: str | None) -> User:
        """The user for these credentials, or 401 / 429. Stores an upgraded hash when due."""
        self.limiter.check(username, address)
        user = self.users.get_by_username(username)
        if user is None:
            self.passwords.burn(password)
            ok, new_hash = False, None
        else:
            ok, new_hash = self.passwords.verify_and_update(password, user.password_hash)
        if user is None or not ok or not user.active:
            self.limiter.record_failure(username, address)
            raise _unauthorized("Incorrect username or password.", invalid_token=False)
        self.limiter.record_success(username)
        if new_hash is not None:
            self.users.set_password_hash(user.id, new_hash)
        return user


oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def security_context(request: Request) -> SecurityContext:
    context = getattr(request.app.state, "security", None)
    if not isinstance(context, SecurityContext):
        raise RuntimeError(
            "app.state.security is not set: build the app with spacehome.api.app.create_app"
        )
    return context


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    """A dashboard session read from its cookie: the account and the session's CSRF token."""

    user: User
    csrf: str


def session_of(request: Request, context: SecurityContext) -> Session | None:
    """The valid session the request's cookie names, else None (expired, forged, disabled user).

    A bad cookie is not an error: the dashboard then shows the public view and a login link.
    """
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        claims = context.tokens.decode(cookie)
    except HTTPException:
        return None
    user = context.users.get_by_id(claims.subject)
    if user is None or not user.active or not claims.csrf:
        return None
    return Session(user=user, csrf=claims.csrf)


def current_user(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    context: Annotated[SecurityContext, Depends(security_context)],
) -> User:
    """The logged-in user, or :data:`ANONYMOUS` (role public) when neither a bearer token nor a
    session cookie was sent.

    A bearer token that is sent but invalid, expired, or names an unknown or inactive user is a
    401, never a silent downgrade to public. The dashboard's session cookie is used only when no
    bearer token is sent; an expired or forged cookie counts as no login (the public view). A
    request authenticated by the cookie that changes anything (not GET, HEAD or OPTIONS) must
    carry the session's CSRF token in ``X-CSRF-Token``, else 403: a cross-site form cannot read it.
    """
    if token is None:
        session = session_of(request, context)
        if session is None:
            return ANONYMOUS
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                raise HTTPException(
                    status_code=status.HTTP_403_FORBIDDEN,
                    detail="The CSRF token is missing or wrong; reload the page and try again.",
                )
        return session.user
    claims = context.tokens.decode(token)
    user = context.users.get_by_id(claims.subject)
    if user is None or not user.active:
        raise _unauthorized(
            "The account for this access token no longer exists or is disabled.", invalid_token=True
        )
    return user


def authenticated_user(user: Annotated[User, Depends(current_user)]) -> User:
    """Like :func:`current_user`, but anonymous requests get 401 with a Bearer challenge."""
    if user.is_anonymous:
        raise _unauthorized("Log in first: this needs an access token.", invalid_token=False)
    return user


def require_roles(*roles: Role) -> Callable[..., User]:
    """A dependency that lets only the given roles through (no implicit admin).

    Anonymous callers get 401 unless ``Role.PUBLIC`` is listed; logged-in callers with another
    role get 403. The user is the dependency's value.
    """
    if not roles:
        raise ValidationError("require_roles needs at least one role")
    allowed = frozenset(roles)
    names = ", ".join(role.value for role in roles)

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role in allowed:
            return user
        if user.is_anonymous:
            raise _unauthorized("Log in first: this needs an access token.", invalid_token=False)
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"Role '{user.role.value}' may not do this; allowed roles: {names}.",
        )

    return dependency


def request_now(request: Request) -> datetime:
    """Now, by the application's clock (``app.state.security.clock``; frozen in tests)."""
    moment: datetime = request.app.state.security.clock()
    return moment


def actor_of(user: User) -> Actor:
    """The acting account as the services see it."""
    return Actor(id=user.id, role=user.role)
