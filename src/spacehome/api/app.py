"""The FastAPI application: ``create_app(settings, users)`` builds it, nothing runs at import.

Everything lives under ``/api/v1``: the OpenAPI 3.1 document at ``/api/v1/openapi.json``, the
interactive docs at ``/api/v1/docs`` (its "Authorize" button runs the OAuth2 password flow),
``GET /api/v1/health``, ``POST /api/v1/auth/token`` and ``GET /api/v1/auth/me``. Every error is an
RFC 9457 problem (see ``spacehome.api.problems``).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Final

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

import spacehome
from spacehome.api import problems
from spacehome.api.security import (
    SESSION_COOKIE,
    Clock,
    LoginRateLimiter,
    SecurityContext,
    Tokens,
    User,
    UserStore,
    authenticated_user,
    new_csrf_token,
    security_context,
    utc_now,
)
from spacehome.domain.program import Role
from spacehome.services.accounts import Passwords

logger = logging.getLogger(__name__)

API_PREFIX: Final = "/api/v1"


@dataclass(frozen=True)
class ApiSettings:
    """How the API runs.

    ``token_secret`` signs access tokens (HS256, at least 32 bytes). When it is None,
    :func:`create_app` generates a random one with :mod:`secrets` for this process: tokens then
    stop working when the server restarts, and several worker processes would not accept each
    other's tokens. Configure a secret for anything but a single local process.
    """

    token_secret: str | None = None
    token_lifetime: timedelta = timedelta(minutes=30)
    session_lifetime: timedelta = timedelta(hours=8)
    """How long a dashboard login (the session cookie) lasts."""
    login_failures_per_user: int = 5
    login_failures_per_address: int = 20
    login_window: timedelta = timedelta(minutes=5)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    """Seconds until the token expires."""


class UserOut(BaseModel):
    id: str
    username: str
    role: Role
    partner_org: str | None


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str
    """Send it back as ``X-CSRF-Token`` on every request that changes anything."""
    expires_in: int
    """Seconds until the session ends."""


def _user_out(user: User) -> UserOut:
    return UserOut(id=user.id, username=user.username, role=user.role, partner_org=user.partner_org)


class Health(BaseModel):
    status: str
    version: str


def create_app(
    settings: ApiSettings,
    users: UserStore,
    *,
    clock: Clock = utc_now,
    passwords: Passwords | None = None,
) -> FastAPI:
    """Build the application. ``clock`` and ``passwords`` are injectable for tests."""
    secret = settings.token_secret
    if secret is None:
        secret = secrets.token_urlsafe(32)
        logger.warning(
            "no token secret configured: using a random one, so tokens end when this process does"
        )
    context = SecurityContext(
        users=users,
        passwords=passwords or Passwords(),
        tokens=Tokens(secret, lifetime=settings.token_lifetime, clock=clock),
        limiter=LoginRateLimiter(
            max_failures_per_user=settings.login_failures_per_user,
            max_failures_per_address=settings.login_failures_per_address,
            window=settings.login_window,
            clock=clock,
        ),
        clock=clock,
    )

    app = FastAPI(
        title="spacehome",
        summary="Operations and the international cooperation program of the China Space Station",
        version=spacehome.__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        swagger_ui_oauth2_redirect_url=f"{API_PREFIX}/docs/oauth2-redirect",
        redoc_url=None,
    )
    app.state.security = context
    app.state.session_lifetime = settings.session_lifetime
    problems.install(app)
    app.include_router(_router())
    return app


def _router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, responses=problems.PROBLEM_RESPONSES)

    @router.get("/health", tags=["service"])
    def health() -> Health:
        """Liveness: the API answers."""
        return Health(status="ok", version=spacehome.__version__)

    @router.post("/auth/token", tags=["auth"])
    def login(
        request: Request,
        response: Response,
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
        context: Annotated[SecurityContext, Depends(security_context)],
    ) -> TokenOut:
        """OAuth2 password flow: form fields ``username`` and ``password`` in, a bearer token out.

        Failed logins are rate limited per username and per client address (429 with Retry-After).
        """
        address = request.client.host if request.client else None
        user = context.authenticate(form.username, form.password, address)
        response.headers["Cache-Control"] = "no-store"
        return TokenOut(
            access_token=context.tokens.issue(user),
            expires_in=int(context.tokens.lifetime.total_seconds()),
        )

    @router.get("/auth/me", tags=["auth"])
    def me(user: Annotated[User, Depends(authenticated_user)]) -> UserOut:
        """The logged-in account."""
        return _user_out(user)

    @router.post("/auth/session", tags=["auth"])
    def open_session(
        request: Request,
        response: Response,
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
        context: Annotated[SecurityContext, Depends(security_context)],
    ) -> SessionOut:
        """The dashboard's login: form fields ``username`` and ``password``; the session is an
        HttpOnly, SameSite=Strict cookie, and the answer holds its CSRF token.

        Rate limited like ``/auth/token``. Requests made with the cookie that change anything must
        send the CSRF token as ``X-CSRF-Token``.
        """
        address = request.client.host if request.client else None
        user = context.authenticate(form.username, form.password, address)
        lifetime: timedelta = request.app.state.session_lifetime
        csrf = new_csrf_token()
        response.set_cookie(
            SESSION_COOKIE,
            context.tokens.issue(user, csrf=csrf, lifetime=lifetime),
            max_age=int(lifetime.total_seconds()),
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        response.headers["Cache-Control"] = "no-store"
        return SessionOut(
            user=_user_out(user), csrf_token=csrf, expires_in=int(lifetime.total_seconds())
        )

    @router.delete("/auth/session", tags=["auth"], status_code=204)
    def close_session(request: Request) -> Response:
        """Log out of the dashboard: the session cookie is removed (anyone may call this)."""
        response = Response(status_code=204)
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=request.url.scheme == "https", httponly=True,
            samesite="strict",
        )
        return response

    return router


def answer_options(app: FastAPI) -> None:
    """Answer OPTIONS on every path with an ``Allow`` that lists all of its methods.

    Starlette registers one route per method, so a method a path does not support (or OPTIONS)
    matches one route alone and its 405 would say ``Allow: GET`` where POST is allowed too. Call
    this once, after every router is included: a small ASGI middleware answers OPTIONS from the
    documented operations (the OpenAPI document is what clients and the ``Allow`` header must
    agree with) and passes every other request through untouched. The table is built on the
    first OPTIONS request, not here: generating the document costs about a second, which every
    start would pay otherwise.
    """

    @functools.cache
    def table() -> list[tuple[re.Pattern[str], str]]:
        rows = []
        for path, operations in app.openapi()["paths"].items():
            allowed = {method.upper() for method in operations} | {"OPTIONS"}
            if "GET" in allowed:
                allowed.add("HEAD")
            pattern, _, _ = compile_path(path)
            rows.append((path.count("{"), pattern, ", ".join(sorted(allowed))))
        rows.sort(key=lambda row: row[0])  # /plans/current before /plans/{plan_id}
        return [(pattern, allow) for _, pattern, allow in rows]

    def allow(path: str) -> str | None:
        return next((allow for pattern, allow in table() if pattern.match(path)), None)

    app.add_middleware(_AnswerOptions, allow=allow)


class _AnswerOptions:
    """ASGI middleware: OPTIONS on a documented path is a 204 with its ``Allow``."""

    def __init__(self, app: ASGIApp, allow: Callable[[str], str | None]) -> None:
        self.app = app
        self.allow = allow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            allowed = self.allow(scope["path"])
            if allowed is not None:
                await Response(status_code=204, headers={"Allow": allowed})(scope, receive, send)
                return
        await self.app(scope, receive, send)
