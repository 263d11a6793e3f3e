"""The astronaut-opportunity API on SQLite and PostgreSQL: what each role sees, the officers'
changes with ETag/If-Match, and the refusals (409, 412, 422, 401, 403, 404).

The database starts with the record's reference data (two programs, four candidates); the
candidates created here are synthetic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from spacehome.api.app import API_PREFIX, ApiSettings, create_app
from spacehome.api.astronaut_routes import router
from spacehome.api.users import DatabaseUserStore
from spacehome.services import accounts
from spacehome.services.astronauts import load_reference_candidates

from .conftest import PASSWORD, SECRET, FrozenClock

FAST = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
V1 = API_PREFIX
ACCOUNTS = {
    "olga": ("program_officer", None),
    "root": ("admin", None),
    "alice": ("partner", "SUPARCO"),
    "rita": ("reviewer", None),
    "pat": ("planner", None),
}
OUTSIDERS = ("anonymous", "alice", "rita", "pat")


class Api:
    def __init__(self, database_url: str) -> None:
        self.clock = FrozenClock(START)
        store = accounts.program_store(database_url)
        for name, (role, org) in ACCOUNTS.items():
            accounts.create_account(
                store, name, role, PASSWORD, now=START, partner_org=org, passwords=FAST
            )
        load_reference_candidates(database_url, now=START)
        app = create_app(
            ApiSettings(token_secret=SECRET),
            DatabaseUserStore(store),
            clock=self.clock,
            passwords=FAST,
        )
        app.include_router(router(database_url), prefix=API_PREFIX)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.auth: dict[str, dict[str, str]] = {"anonymous": {}}
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


@pytest.fixture
def api(database_url: str) -> Api:
    return Api(database_url)


def problem(response: httpx.Response, status: int, needle: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert "\n" not in detail
    assert needle.lower() in detail.lower(), detail


PUBLIC_KEYS = {
    "id",
    "program_id",
    "country",
    "display_name",
    "name",
    "name_published",
    "selection_stage",
    "training_status",
    "assignments",
}


def test_everyone_sees_the_programs_and_the_published_candidates(api: Api) -> None:
    for who in OUTSIDERS:
        _sees_the_published_facts(api, who)


def _sees_the_published_facts(api: Api, who: str) -> None:
    r = api.call(who, "GET", "/astronaut-opportunities")
    assert r.status_code == 200, r.text
    programs = {p["id"]: p for p in r.json()["items"]}
    assert programs["pakistan"]["country"] == "PK"
    assert programs["pakistan"]["agreement"]["signed"] == "2025-02-28T00:00:00Z"
    assert programs["pakistan"]["flight"]["known"] is False
    assert programs["pakistan"]["candidates"]["total"] == 2
    assert programs["pakistan"]["candidates"]["by_stage"]["shortlisted"] == 2
    assert programs["hong-kong-macao"]["flight"]["mission_id"] == "shenzhou-23"
    assert programs["hong-kong-macao"]["candidates"]["flown"] == 1

    r = api.call(who, "GET", "/astronaut-candidates")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 4
    views = {c["id"]: c for c in body["items"]}
    assert all(set(v) == PUBLIC_KEYS for v in views.values())
    assert views["pakistan-1"]["display_name"] == "Pakistani candidate 1 (name not published)"
    assert views["pakistan-1"]["name"] is None
    assert views["hong-kong-macao-1"]["name"] == "Lai Ka-ying"
    assert views["hong-kong-macao-1"]["assignments"] == [
        {
            "mission_id": "shenzhou-23",
            "status": "flown",
            "confirmed": True,
            "source": "khabarasia-2026-05-25",
        }
    ]
    r = api.call(who, "GET", "/astronaut-candidates/pakistan-2")
    assert r.status_code == 200
    assert "ETag" not in r.headers


def test_officers_create_move_and_assign_candidates(api: Api) -> None:
    r = api.call(
        "olga",
        "POST",
        "/astronaut-candidates",
        json={
            "program_id": "pakistan",
            "alias": "Synthetic candidate 3",
            "country": "pk",
            "name": "Synthetic Person",
            "sources": ["synthetic"],
            "note": "synthetic test data",
        },
    )
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == '"1"'
    created = r.json()
    cid = created["id"]
    assert r.headers["Location"].endswith(f"/astronaut-candidates/{cid}")
    assert (created["selection_stage"], created["training_status"]) == ("applied", "not_started")
    assert created["name"] == "Synthetic Person"
    assert created["display_name"] == "Synthetic candidate 3 (name not published)"
    assert created["next_selection_stages"] == ["preliminary", "not_selected", "withdrawn"]
    assert created["created_at"] == "2026-11-29T12:00:00Z"
    for who in OUTSIDERS:  # an applicant is not published: 404, like an unknown id
        problem(api.call(who, "GET", f"/astronaut-candidates/{cid}"), 404, "no astronaut candidate")
    assert api.call("alice", "GET", "/astronaut-candidates").json()["total"] == 4
    assert api.call("olga", "GET", "/astronaut-candidates").json()["total"] == 5

    path = f"/astronaut-candidates/{cid}/transitions"
    move = {"field": "selection_stage", "to": "preliminary"}
    problem(api.call("olga", "POST", path, json=move), 428, "If-Match")
    api.clock.advance(minutes=5)
    r = api.call("root", "POST", path, json=move, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"'
    assert r.json()["updated_at"] == "2026-11-29T12:05:00Z"
    problem(
        api.call(
            "olga", "POST", path, json={**move, "to": "secondary"}, headers={"If-Match": '"1"'}
        ),
        412,
        "changed since you read it",
    )
    problem(
        api.call(
            "olga", "POST", path, json={**move, "to": "selected"}, headers={"If-Match": '"2"'}
        ),
        409,
        "cannot move to 'selected'",
    )
    problem(
        api.call(
            "olga", "POST", path, json={**move, "to": "astronaut"}, headers={"If-Match": '"2"'}
        ),
        422,
        "use one of",
    )
    problem(
        api.call(
            "olga", "POST", path, json={**move, "to": "not_selected"}, headers={"If-Match": '"2"'}
        ),
        422,
        "needs a reason",
    )
    problem(
        api.call(
            "olga",
            "POST",
            path,
            json={**move, "to": "secondary", "effective_at": "2026-05-01T00:00:00"},
            headers={"If-Match": '"2"'},
        ),
        422,
        "no time zone",
    )
    r = api.call(
        "olga",
        "POST",
        path,
        json={**move, "to": "secondary", "effective_at": "2026-05-01T08:00:00+08:00"},
        headers={"If-Match": '"2"'},
    )
    assert r.status_code == 200, r.text

    r = api.call("olga", "GET", f"/astronaut-candidates/{cid}/audit")
    assert r.status_code == 200
    trail = r.json()["items"]
    assert [(e["field"], e["from"], e["to"], e["actor_role"]) for e in trail] == [
        ("candidate", "", "created", "program_officer"),
        ("selection_stage", "applied", "preliminary", "admin"),
        ("selection_stage", "preliminary", "secondary", "program_officer"),
    ]
    assert trail[2]["effective_at"] == "2026-05-01T00:00:00Z"
    assert trail[2]["at"] == "2026-11-29T12:05:00Z"


def test_seats_need_a_selected_candidate_and_a_known_crewed_mission(api: Api) -> None:
    seat_path = "/astronaut-candidates/pakistan-1/assignments"
    seat = {
        "mission_id": "shenzhou-24",
        "status": "planned",
        "source": "synthetic: china-in-space-2026-02 inference",
    }
    problem(
        api.call("olga", "POST", seat_path, json=seat, headers={"If-Match": '"1"'}),
        409,
        "only selected candidates",
    )
    r = api.call(
        "olga",
        "POST",
        "/astronaut-candidates/pakistan-1/transitions",
        json={"field": "selection_stage", "to": "selected"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    problem(
        api.call(
            "olga",
            "POST",
            seat_path,
            json={**seat, "mission_id": "apollo-11"},
            headers={"If-Match": '"2"'},
        ),
        422,
        "not a crewed mission",
    )
    problem(
        api.call(
            "olga",
            "POST",
            seat_path,
            json={**seat, "mission_id": "tianzhou-9"},
            headers={"If-Match": '"2"'},
        ),
        422,
        "carries no crew",
    )
    problem(
        api.call(
            "olga",
            "POST",
            seat_path,
            json={**seat, "effective_at": "2026-11-01T00:00"},
            headers={"If-Match": '"2"'},
        ),
        422,
        "no time zone",
    )
    r = api.call("olga", "POST", seat_path, json=seat, headers={"If-Match": '"2"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"3"'
    assert [(a["mission_id"], a["status"]) for a in r.json()["assignments"]] == [
        ("shenzhou-24", "planned")
    ]
    # A planned seat is not a fact: the public does not see it.
    assert (
        api.call("anonymous", "GET", "/astronaut-candidates/pakistan-1").json()["assignments"] == []
    )
    problem(
        api.call(
            "olga", "POST", seat_path, json={**seat, "status": "flown"}, headers={"If-Match": '"3"'}
        ),
        409,
        "not in the station record yet",
    )
    r = api.call(
        "olga", "POST", seat_path, json={**seat, "status": "confirmed"}, headers={"If-Match": '"3"'}
    )
    assert r.status_code == 200, r.text
    public = api.call("pat", "GET", "/astronaut-candidates/pakistan-1").json()
    assert public["assignments"] == [
        {
            "mission_id": "shenzhou-24",
            "status": "confirmed",
            "confirmed": True,
            "source": "synthetic: china-in-space-2026-02 inference",
        }
    ]
    problem(
        api.call(
            "olga",
            "POST",
            seat_path,
            json={**seat, "status": "planned"},
            headers={"If-Match": '"4"'},
        ),
        409,
        "one seat per mission",
    )


OFFICER_ONLY: list[tuple[str, str, dict[str, Any] | None]] = [
    (
        "POST",
        "/astronaut-candidates",
        {"program_id": "pakistan", "alias": "Synthetic", "country": "PK"},
    ),
    (
        "POST",
        "/astronaut-candidates/pakistan-1/transitions",
        {"field": "training_status", "to": "qualified"},
    ),
    (
        "POST",
        "/astronaut-candidates/pakistan-1/assignments",
        {"mission_id": "shenzhou-24", "status": "planned", "source": "s"},
    ),
    ("GET", "/astronaut-candidates/pakistan-1/audit", None),
]


def test_refusals_write_nothing(api: Api) -> None:
    """Roles first (anonymous 401, the other roles 403), then unknown ids and bad input."""
    headers = {"If-Match": '"1"'}
    for method, path, body in OFFICER_ONLY:
        problem(api.call("anonymous", method, path, json=body, headers=headers), 401, "log in")
        for who in ("alice", "rita", "pat"):
            problem(api.call(who, method, path, json=body, headers=headers), 403, "may not")
    r = api.call("olga", "GET", "/astronaut-candidates/pakistan-1/audit")
    assert r.status_code == 200
    assert r.json()["total"] == 1

    problem(api.call("olga", "GET", "/astronaut-candidates/nobody"), 404, "no astronaut candidate")
    problem(
        api.call(
            "olga",
            "POST",
            "/astronaut-candidates",
            json={"program_id": "mars", "alias": "Synthetic", "country": "PK"},
        ),
        404,
        "no astronaut program",
    )
    problem(
        api.call(
            "olga",
            "POST",
            "/astronaut-candidates",
            json={"program_id": "pakistan", "alias": "Pakistani candidate 1", "country": "PK"},
        ),
        409,
        "already has a candidate",
    )
    problem(
        api.call(
            "olga",
            "POST",
            "/astronaut-candidates",
            json={"program_id": "pakistan", "alias": "Synthetic", "country": "PK", "extra": 1},
        ),
        422,
    )
    problem(
        api.call(
            "olga",
            "POST",
            "/astronaut-candidates",
            json={"program_id": "pakistan", "alias": "Synthetic", "country": "P1"},
        ),
        422,
        "alpha-2",
    )
    problem(
        api.call(
            "olga",
            "POST",
            "/astronaut-candidates",
            json={
                "program_id": "pakistan",
                "alias": "Synthetic",
                "country": "PK",
                "name_public": True,
            },
        ),
        422,
        "no name but name_public",
    )
    problem(api.call("olga", "GET", "/astronaut-candidates", params={"limit": 0}), 422)
    everyone = api.call("olga", "GET", "/astronaut-candidates").json()
    assert everyone["total"] == 4
    assert all(c["version"] == 1 for c in everyone["items"])
