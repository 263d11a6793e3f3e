"""The dashboard's session: an HttpOnly cookie, a CSRF token on every write, logout; the pages'
shell, their role rules, security headers and the npm-installed assets."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from spacehome.api import dashboard
from spacehome.api.app import ApiSettings, create_app
from spacehome.api.security import SESSION_COOKIE, InMemoryUserStore, User, authenticated_user
from spacehome.domain.program import Role
from spacehome.services.accounts import Passwords

from .conftest import PASSWORD, SECRET, FrozenClock, bearer, login


@pytest.fixture
def app(users: InMemoryUserStore, clock: FrozenClock, passwords: Passwords) -> FastAPI:
    app = create_app(ApiSettings(token_secret=SECRET), users, clock=clock, passwords=passwords)

    @app.post("/api/v1/echo")
    def echo(user: Annotated[User, Depends(authenticated_user)]) -> dict[str, str]:
        return {"username": user.username}

    dashboard.install(app)
    return app


def _open_session(client: TestClient, username: str = "alice") -> str:
    r = client.post("/api/v1/auth/session", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    assert isinstance(csrf, str)
    return csrf


def test_a_session_login_sets_an_http_only_strict_cookie_and_returns_the_csrf_token(
    client: TestClient,
) -> None:
    r = client.post("/api/v1/auth/session", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["user"] == {"id": "u1", "username": "alice", "role": "partner", "partner_org": "INTA"}
    assert body["expires_in"] == 8 * 3600
    assert len(body["csrf_token"]) >= 32
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=28800" in cookie
    assert r.headers["cache-control"] == "no-store"
    # the cookie authenticates reads
    assert client.get("/api/v1/auth/me").json()["username"] == "alice"


def test_a_write_with_the_cookie_needs_the_sessions_csrf_token(client: TestClient) -> None:
    csrf = _open_session(client)
    missing = client.post("/api/v1/echo")
    assert missing.status_code == 403
    assert "CSRF token is missing or wrong" in missing.json()["detail"]
    wrong = client.post("/api/v1/echo", headers={"X-CSRF-Token": csrf[:-1] + "x"})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/echo", headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    assert ok.json() == {"username": "alice"}


def test_another_sessions_csrf_token_does_not_pass(client: TestClient, app: FastAPI) -> None:
    other = TestClient(app)
    other_csrf = _open_session(other, "rita")
    _open_session(client)
    assert client.post("/api/v1/echo", headers={"X-CSRF-Token": other_csrf}).status_code == 403


def test_a_bearer_token_needs_no_csrf_token(client: TestClient) -> None:
    token = login(client, "alice")
    r = client.post("/api/v1/echo", headers=bearer(token))
    assert r.status_code == 200


def test_an_expired_or_forged_cookie_counts_as_no_login(
    client: TestClient, clock: FrozenClock
) -> None:
    _open_session(client)
    clock.advance(hours=8, seconds=1)
    assert client.get("/api/v1/auth/me").status_code == 401
    page = client.get("/")  # public page: served as to a visitor, not an error
    assert page.status_code == 200
    assert 'data-role="public"' in page.text
    client.cookies.set(SESSION_COOKIE, "not-a-token")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_logout_removes_the_cookie(client: TestClient) -> None:
    _open_session(client)
    r = client.delete("/api/v1/auth/session")
    assert r.status_code == 204
    assert f'{SESSION_COOKIE}=""' in r.headers["set-cookie"]
    assert "Max-Age=0" in r.headers["set-cookie"]
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_wrong_password_is_401_and_rate_limited_like_the_token_endpoint(
    client: TestClient,
) -> None:
    for _ in range(5):
        r = client.post("/api/v1/auth/session", data={"username": "alice", "password": "nope"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/session", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 429
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


# --- pages --------------------------------------------------------------------------------------


def test_the_public_page_shell_has_the_navigation_and_strict_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "https:" not in csp
    assert "http:" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    for link in ('href="/"', 'href="/station"', 'href="/program"', 'href="/projects"'):
        assert link in html
    assert 'href="/timeline"' not in html  # planners' page: not offered to visitors
    assert '<script src="/vendor/d3-geo.min.js" defer></script>' in html
    assert '<script type="module" src="/static/js/now.js"></script>' in html
    assert '<meta name="csrf-token" content="">' in html
    assert "http://" not in html.replace("http://www.w3.org", "")  # no CDN


def test_a_logged_in_page_carries_the_account_and_its_csrf_token(
    client: TestClient, users: InMemoryUserStore, password_hash: str
) -> None:
    users.add(User(id="u9", username='<b>"x"</b>', role=Role.PLANNER, password_hash=password_hash))
    csrf = _open_session(client, '<b>"x"</b>')
    html = client.get("/station").text
    assert f'<meta name="csrf-token" content="{csrf}">' in html
    assert 'data-role="planner"' in html
    assert 'href="/timeline"' in html
    assert "<b>" not in html  # the username is escaped wherever it appears
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in html


def test_a_role_page_redirects_visitors_to_login_and_refuses_other_roles(
    client: TestClient,
) -> None:
    r = client.get("/timeline", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/timeline"
    _open_session(client, "alice")  # a partner
    r = client.get("/timeline")
    assert r.status_code == 403
    assert "is for admin, planner, program officer; you are logged in as partner" in r.text
    assert "/static/js/timeline.js" not in r.text
    _open_session(client, "root")  # an admin
    assert client.get("/timeline").status_code == 200


def test_own_static_files_are_served(client: TestClient) -> None:
    r = client.get("/static/js/app.js")
    assert r.status_code == 200
    assert "export async function api" in r.text
    assert client.get("/static/js/../../dashboard.py").status_code == 404


def test_vendor_assets_are_the_npm_files_and_nothing_else(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert client.get("/vendor/package.json").status_code == 404
    monkeypatch.setenv(dashboard.ASSETS_ENV, str(tmp_path))  # installed nowhere
    monkeypatch.setattr(dashboard, "__file__", str(tmp_path / "dashboard.py"))
    r = client.get("/vendor/d3-geo.min.js")
    assert r.status_code == 404
    assert "run `make run`" in r.json()["detail"]
    fake = tmp_path / "d3-geo" / "dist"
    fake.mkdir(parents=True)
    (fake / "d3-geo.min.js").write_text("// d3-geo stand-in\n")
    r = client.get("/vendor/d3-geo.min.js")
    assert r.status_code == 200
    assert r.text == "// d3-geo stand-in\n"


def test_the_installed_map_assets_are_found_in_the_checkout() -> None:
    root = dashboard.vendor_dir()
    if root is None:
        message = "web/node_modules is not installed: `make test` runs npm ci"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: it must be installed)")
        pytest.skip(message)
    for relative in dashboard.VENDOR.values():
        assert (root / relative).is_file(), relative


def test_session_lifetime_is_a_setting() -> None:
    assert ApiSettings().session_lifetime == timedelta(hours=8)
