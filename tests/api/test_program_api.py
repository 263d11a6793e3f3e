"""The program API: calls and proposals on a real database, with roles, ETags and a frozen clock.

The lifecycle test runs on SQLite and on PostgreSQL (127.0.0.1:5432, database ``test``, a schema
of its own per test, dropped afterwards; skipped with the reason when the server is unreachable,
failed instead when ``CI`` is set). The other tests run on the per-test SQLite database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from spacehome.api.app import API_PREFIX, ApiSettings, answer_options, create_app
from spacehome.api.main import build_app
from spacehome.api.program_routes import router
from spacehome.api.users import DatabaseUserStore
from spacehome.domain.program import ProposalState, Role, RoleError
from spacehome.services import accounts
from spacehome.services.program import Actor, ProgramService, StaleVersionError, un_member_states

from .conftest import PASSWORD, SECRET, FrozenClock

FAST = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
START = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
V1 = API_PREFIX
ACCOUNTS = {
    "olga": ("program_officer", None),
    "root": ("admin", None),
    "alice": ("partner", "Kenya Space Agency"),
    "bob": ("partner", "CONIDA"),
    "rita": ("reviewer", None),
    "pat": ("planner", None),
}

Headers = dict[str, str]


class Api:
    """A test client on a fresh database, a frozen clock, and a bearer header per account."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.clock = FrozenClock(START)
        store = accounts.program_store(database_url)
        self.ids: dict[str, str] = {}
        for name, (role, org) in ACCOUNTS.items():
            record = accounts.create_account(
                store, name, role, PASSWORD, now=START, partner_org=org, passwords=FAST
            )
            self.ids[name] = record.id
        app = create_app(
            ApiSettings(token_secret=SECRET),
            DatabaseUserStore(store),
            clock=self.clock,
            passwords=FAST,
        )
        app.include_router(router(database_url), prefix=API_PREFIX)
        answer_options(app)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.auth: dict[str, Headers] = {"anonymous": {}}
        self.login()

    def login(self) -> None:
        """Fresh tokens for every account (tokens last 30 minutes of the frozen clock)."""
        for name in ACCOUNTS:
            r = self.client.post(f"{V1}/auth/token", data={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.auth[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def call(self, as_: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth[as_], **kwargs.pop("headers", {})}
        response: httpx.Response = self.client.request(
            method, f"{V1}{path}", headers=headers, **kwargs
        )
        return response


def problem(response: httpx.Response, status: int, needle: str = "") -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status (and, if given, text in its detail)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert "\n" not in body["detail"]
    assert needle.lower() in body["detail"].lower(), body["detail"]
    return body


def call_body(call_id: str = "cycle-9", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": call_id,
        "title": "Synthetic test call",
        "modalities": ["own_experiment", "facility"],
        "opens_at": "2025-03-01T00:00:00Z",
        "closes_at": "2025-04-01T00:00:00+08:00",
        "envelope": {"crew_hours": 100, "rack_months": 24, "upmass_kg": 300, "downlink_gb": 500},
    }
    body.update(changes)
    return body


def proposal_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Microgravity crystal growth",
        "discipline": "materials science",
        "modality": "own_experiment",
        "team": {
            "lead": {"name": "Kenya Space Agency", "country": "KE"},
            "partners": [{"name": "Universidad de Chile", "country": "CL"}],
        },
        "request": {"crew_hours": 12, "upmass_kg": 30},
        "abstract": "Grow protein crystals.",
    }
    body.update(changes)
    return body


@pytest.fixture
def api(database_url: str) -> Api:
    """The program API on each database (the root conftest's ``database_url``)."""
    return Api(database_url)


# --- tests --------------------------------------------------------------------------------------


def test_lifecycle_with_frozen_clock(database_url: str) -> None:
    api = Api(database_url)
    assert api.call("olga", "POST", "/calls", json=call_body()).status_code == 201

    created = api.call("alice", "POST", "/calls/cycle-9/proposals", json=proposal_body())
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"].endswith(f"/proposals/{pid}")
    assert created.json()["state"] == "draft"
    assert created.json()["owner"] == api.ids["alice"]
    assert created.json()["request"]["crew_hours"] == {"amount": 12.0, "unit": "h"}

    # Edit the draft: If-Match is required (428), must be current (412), then it applies.
    edit = {"title": "Crystal growth in microgravity", "request": {"crew_hours": 20}}
    problem(api.call("alice", "PATCH", f"/proposals/{pid}", json=edit), 428, "If-Match")
    problem(
        api.call("alice", "PATCH", f"/proposals/{pid}", json=edit, headers={"If-Match": '"7"'}), 412
    )
    edited = api.call("alice", "PATCH", f"/proposals/{pid}", json=edit, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    assert edited.json()["title"] == "Crystal growth in microgravity"
    assert edited.json()["request"]["upmass_kg"]["amount"] == 0.0
    problem(
        api.call("alice", "PATCH", f"/proposals/{pid}", json=edit, headers={"If-Match": '"1"'}), 412
    )
    assert api.call("alice", "GET", f"/proposals/{pid}").headers["ETag"] == '"2"'

    def move(as_: str, to: str, etag: str, why: str = "") -> httpx.Response:
        return api.call(
            as_,
            "POST",
            f"/proposals/{pid}/transitions",
            json={"to": to, "why": why},
            headers={"If-Match": etag},
        )

    problem(
        api.call("alice", "POST", f"/proposals/{pid}/transitions", json={"to": "submitted"}), 428
    )
    problem(move("olga", "submitted", '"2"'), 403, "partner")  # only the partner submits
    submitted = move("alice", "submitted", '"2"')
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "submitted"
    assert submitted.headers["ETag"] == '"3"'
    problem(
        api.call("alice", "PATCH", f"/proposals/{pid}", json=edit, headers={"If-Match": '"3"'}),
        409,
        "draft",
    )

    problem(move("alice", "under_review", '"3"'), 403, "program_officer")  # wrong role
    assert move("olga", "under_review", '"3"').json()["state"] == "under_review"
    problem(move("olga", "shortlisted", '"3"'), 412)  # stale
    api.clock.advance(days=60)  # review happens after the deadline: only submission is bound
    api.login()
    assert move("olga", "shortlisted", '"4"').json()["state"] == "shortlisted"
    selected = move("root", "selected", '"5"', "fits the envelope")
    assert selected.json()["state"] == "selected"
    assert selected.json()["next_states"] == []
    problem(move("olga", "under_review", '"6"'), 409, "cannot become")  # illegal

    trail = api.call("alice", "GET", f"/proposals/{pid}/audit").json()
    assert trail["total"] == 4
    assert [(e["from"], e["to"]) for e in trail["items"]] == [
        ("draft", "submitted"),
        ("submitted", "under_review"),
        ("under_review", "shortlisted"),
        ("shortlisted", "selected"),
    ]
    assert trail["items"][0]["actor"] == api.ids["alice"]
    assert trail["items"][0]["at"] == "2025-03-10T12:00:00Z"
    assert trail["items"][3] | {"actor": "?"} == {
        "at": "2025-05-09T12:00:00Z",
        "actor": "?",
        "actor_role": "admin",
        "from": "shortlisted",
        "to": "selected",
        "why": "fits the envelope",
    }

    # A draft not submitted in time stays a draft: submitting after the deadline is a 409.
    late = api.call("alice", "POST", "/calls/cycle-9/proposals", json=proposal_body()).json()
    body = problem(
        api.call(
            "alice",
            "POST",
            f"/proposals/{late['id']}/transitions",
            json={"to": "submitted"},
            headers={"If-Match": '"1"'},
        ),
        409,
        "deadline",
    )
    assert body["type"] == "urn:spacehome:problem:conflict"
    assert api.call("alice", "GET", f"/proposals/{late['id']}").json()["state"] == "draft"
    withdrawn = api.call(
        "alice",
        "POST",
        f"/proposals/{late['id']}/transitions",
        json={"to": "withdrawn"},
        headers={"If-Match": '"1"'},
    )
    assert withdrawn.json()["state"] == "withdrawn"


def test_partners_see_only_their_own_and_roles_are_enforced(api: Api) -> None:
    api.call("olga", "POST", "/calls", json=call_body())
    pid = api.call("alice", "POST", "/calls/cycle-9/proposals", json=proposal_body()).json()["id"]
    missing = "0" * 32

    # Another partner: the same 404 as for an id that does not exist.
    for path in (f"/proposals/{pid}", f"/proposals/{pid}/audit", f"/proposals/{missing}"):
        problem(api.call("bob", "GET", path), 404, "no proposal")
    problem(
        api.call(
            "bob", "PATCH", f"/proposals/{pid}", json={"title": "Mine"}, headers={"If-Match": "*"}
        ),
        404,
    )
    problem(
        api.call(
            "bob",
            "POST",
            f"/proposals/{pid}/transitions",
            json={"to": "withdrawn"},
            headers={"If-Match": "*"},
        ),
        404,
    )
    assert api.call("bob", "GET", "/proposals").json()["total"] == 0
    assert api.call("alice", "GET", "/proposals").json()["total"] == 1
    for officer in ("olga", "root"):
        assert api.call(officer, "GET", f"/proposals/{pid}").status_code == 200
        assert api.call(officer, "GET", f"/proposals/{pid}/audit").json()["total"] == 0
        assert api.call(officer, "GET", "/proposals").json()["total"] == 1
    # Officers read but do not edit a partner's draft.
    problem(
        api.call(
            "olga", "PATCH", f"/proposals/{pid}", json={"title": "X"}, headers={"If-Match": "*"}
        ),
        403,
    )

    # Reviewers and planners: 403 here; anonymous: 401 with a Bearer challenge.
    for role in ("rita", "pat"):
        problem(api.call(role, "GET", "/proposals"), 403)
        problem(api.call(role, "GET", f"/proposals/{pid}"), 403)
        problem(api.call(role, "GET", f"/proposals/{pid}/audit"), 403)
        problem(api.call(role, "POST", "/calls/cycle-9/proposals", json=proposal_body()), 403)
    for method, path, body in [
        ("GET", "/proposals", None),
        ("GET", f"/proposals/{pid}", None),
        ("GET", f"/proposals/{pid}/audit", None),
        ("PATCH", f"/proposals/{pid}", {"title": "X"}),
        ("POST", f"/proposals/{pid}/transitions", {"to": "submitted"}),
        ("POST", "/calls/cycle-9/proposals", proposal_body()),
        ("POST", "/calls", call_body("cycle-10")),
    ]:
        response = api.call("anonymous", method, path, json=body)
        problem(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    for who in ("alice", "rita", "pat"):
        problem(api.call(who, "POST", "/calls", json=call_body("cycle-10")), 403)
    problem(api.call("olga", "POST", "/calls/cycle-9/proposals", json=proposal_body()), 403)

    # Calls are public.
    assert api.call("anonymous", "GET", "/calls").json()["total"] == 1
    assert api.call("anonymous", "GET", "/calls/cycle-9").status_code == 200


def test_pagination_totals_and_filters(api: Api) -> None:
    for n in range(3):
        start = f"2025-0{n + 1}-01T00:00:00Z"
        r = api.call("root", "POST", "/calls", json=call_body(f"c{n}", opens_at=start))
        assert r.status_code == 201, r.text
    for n in range(5):
        who = "alice" if n < 4 else "bob"
        team = {"lead": {"name": f"Inst {n}", "country": "PE"}}
        r = api.call(who, "POST", f"/calls/c{n % 2}/proposals", json=proposal_body(team=team))
        assert r.status_code == 201, r.text

    calls = api.call("anonymous", "GET", "/calls", params={"limit": 2, "offset": 1}).json()
    assert (calls["total"], calls["limit"], calls["offset"]) == (3, 2, 1)
    assert [c["id"] for c in calls["items"]] == ["c1", "c2"]
    assert calls["items"][1]["open_now"] is True  # c2 opens 2025-03-01, the clock is 2025-03-10

    page = api.call("olga", "GET", "/proposals", params={"limit": 2, "offset": 2}).json()
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (5, 2, 2, 2)
    assert api.call("olga", "GET", "/proposals", params={"call_id": "c0"}).json()["total"] == 3
    own = api.call("alice", "GET", "/proposals", params={"limit": 3}).json()
    assert (own["total"], len(own["items"])) == (4, 3)
    assert {p["owner"] for p in own["items"]} == {api.ids["alice"]}
    assert api.call("alice", "GET", "/proposals", params={"call_id": "c1"}).json()["total"] == 2
    assert api.call("alice", "GET", "/proposals", params={"offset": 10}).json()["items"] == []
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
        problem(api.call("olga", "GET", "/proposals", params=params), 422)
        problem(api.call("anonymous", "GET", "/calls", params=params), 422)


def test_calls_and_proposals_are_validated(api: Api) -> None:
    created = api.call("olga", "POST", "/calls", json=call_body())
    assert created.status_code == 201
    view = created.json()
    assert view["closes_at"] == "2025-03-31T16:00:00Z"
    assert set(view["eligible_countries"]) == un_member_states()
    assert len(view["eligible_countries"]) == 193
    assert "TW" not in view["eligible_countries"]
    assert "VA" not in view["eligible_countries"]
    assert view["envelope"]["upmass_kg"] == {"amount": 300.0, "unit": "kg"}
    got = api.call("anonymous", "GET", "/calls/cycle-9")
    assert got.json() == view
    assert got.headers["ETag"] == created.headers["ETag"]
    assert created.headers["Location"].endswith("/api/v1/calls/cycle-9")

    small = api.call(
        "olga", "POST", "/calls", json=call_body("small", eligible_countries=["ke", "PE"])
    )
    assert small.json()["eligible_countries"] == ["KE", "PE"]

    for body, status, needle in [
        (call_body(), 409, "already exists"),
        (call_body("x", eligible_countries=["VA"]), 422, "not a UN member"),
        (call_body("x", opens_at="2025-03-01T00:00:00"), 422, "zone"),
        (call_body("x", closes_at="2025-02-01T00:00:00Z"), 422, "closing time"),
        (call_body("x", envelope={"crew_hours": -1}), 422, "non-negative"),
        (call_body("x", envelope={"parsecs": 1}), 422, "unknown quantity"),
        (call_body("x", modalities=["teleportation"]), 422, "modalities"),
        (call_body("x", modalities=[]), 422, "modalities"),
        (call_body("x", color="red"), 422, "color"),
    ]:
        problem(api.call("olga", "POST", "/calls", json=body), status, needle)

    path = "/calls/small/proposals"
    for body, status, needle in [
        (proposal_body(), 422, "not eligible"),  # CL is not among small's countries
        (
            proposal_body(
                modality="external_exposure", team={"lead": {"name": "A", "country": "KE"}}
            ),
            422,
            "does not offer",
        ),
        (proposal_body(request={"crew_hours": 0}), 422, "asks for nothing"),
        (
            proposal_body(
                request={"crew_hours": 1000}, team={"lead": {"name": "A", "country": "KE"}}
            ),
            422,
            "exceeds",
        ),
        (
            proposal_body(
                team={
                    "lead": {"name": "A", "country": "KE"},
                    "partners": [{"name": "a", "country": "PE"}],
                }
            ),
            422,
            "twice",
        ),
    ]:
        problem(api.call("alice", "POST", path, json=body), status, needle)
    problem(
        api.call("alice", "POST", "/calls/nope/proposals", json=proposal_body()), 404, "no call"
    )
    problem(api.call("anonymous", "GET", "/calls/nope"), 404, "no call")
    problem(
        api.call(
            "alice",
            "POST",
            path,
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        400,
    )

    pid = api.call("alice", "POST", "/calls/cycle-9/proposals", json=proposal_body()).json()["id"]
    for patch, needle in [
        ({"title": None}, "null"),
        ({"state": "selected"}, "state"),
        ({"request": {"crew_hours": 1e6}}, "exceeds"),
    ]:
        problem(
            api.call(
                "alice", "PATCH", f"/proposals/{pid}", json=patch, headers={"If-Match": '"1"'}
            ),
            422,
            needle,
        )
    problem(
        api.call("alice", "PATCH", f"/proposals/{pid}", json={}, headers={"If-Match": 'W/"1"'}), 412
    )
    problem(
        api.call(
            "olga",
            "POST",
            f"/proposals/{pid}/transitions",
            json={"to": "rejected"},
            headers={"If-Match": '"1"'},
        ),
        409,
        "cannot become",
    )
    problem(
        api.call(
            "olga",
            "POST",
            f"/proposals/{pid}/transitions",
            json={"to": "limbo"},
            headers={"If-Match": '"1"'},
        ),
        422,
    )


def test_served_app_has_the_program_endpoints() -> None:
    client = TestClient(build_app())
    assert client.get(f"{V1}/calls").json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    paths = client.get(f"{V1}/openapi.json").json()["paths"]
    for path in (
        "/calls",
        "/calls/{call_id}",
        "/calls/{call_id}/proposals",
        "/proposals",
        "/proposals/{proposal_id}",
        "/proposals/{proposal_id}/transitions",
        "/proposals/{proposal_id}/audit",
    ):
        assert f"{V1}{path}" in paths


def test_a_write_that_loses_the_race_is_stale_not_a_conflict(api: Api) -> None:
    """Between the API's If-Match check and the write, another writer can win: that is a 412."""
    service = ProgramService.open(api.database_url)
    api.call("olga", "POST", "/calls", json=call_body())
    pid = api.call("alice", "POST", "/calls/cycle-9/proposals", json=proposal_body()).json()["id"]
    alice = Actor(api.ids["alice"], Role.PARTNER)
    service.update_proposal(alice, pid, expected_version=1, changes={"title": "First"}, now=START)
    with pytest.raises(StaleVersionError, match="version 1"):
        service.update_proposal(
            alice, pid, expected_version=1, changes={"title": "Lost"}, now=START
        )
    with pytest.raises(StaleVersionError):
        service.change_state(
            alice, pid, ProposalState.SUBMITTED, why="", expected_version=1, now=START
        )
    service.change_state(alice, pid, ProposalState.SUBMITTED, why="", expected_version=2, now=START)
    with pytest.raises(RoleError):  # a conflict that is not about versions stays what it is
        service.change_state(
            alice, pid, ProposalState.UNDER_REVIEW, why="", expected_version=3, now=START
        )
    assert service.read_proposal(alice, pid).proposal.title == "First"


def test_options_lists_every_method_of_a_path(api: Api) -> None:
    assert api.call("anonymous", "OPTIONS", "/calls").headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    allow = api.call("anonymous", "OPTIONS", "/proposals/x").headers["Allow"]
    assert allow == "GET, HEAD, OPTIONS, PATCH"
    problem(api.call("olga", "DELETE", "/calls"), 405)
