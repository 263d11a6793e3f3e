"""The project API on SQLite and PostgreSQL: creation from a selected proposal only, the life cycle
with its cargo ship, ETags, per-object authorisation, data products under embargo, upload abuse,
and the first cycle as reference data. The clock is frozen and only moves when a test says so."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from plan_samples import tiny_plan
from spacehome.api import project_routes
from spacehome.api.app import API_PREFIX, ApiSettings, answer_options, create_app
from spacehome.api.users import DatabaseUserStore
from spacehome.domain.program import (
    Call,
    Modality,
    ProposalState,
    ResourceEnvelope,
    ResourceRequest,
    Role,
    Team,
    TeamInstitution,
)
from spacehome.persistence.engine import open_database
from spacehome.persistence.program_store import ProgramStore
from spacehome.planning.files import plan_to_data
from spacehome.services import accounts
from spacehome.services.attachments import BlobStore
from spacehome.services.first_cycle import load_first_cycle
from spacehome.services.plans import PlanService

from .conftest import PASSWORD, SECRET, FrozenClock

FAST = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
START = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
V1 = API_PREFIX
MAX_BYTES = 4096
ACCOUNTS = {
    "olga": ("program_officer", None),
    "root": ("admin", None),
    "alice": ("partner", "Kenya Space Agency"),
    "bob": ("partner", "CONIDA"),
    "rita": ("reviewer", None),
    "pat": ("planner", None),
}
DATA = b"time_s,count_rate_per_s\n0,12.5\n1,13.0\n"
DATA_SHA = hashlib.sha256(DATA).hexdigest()


class Api:
    """A client on a fresh database with the project router, and one selected
    proposal of alice's (``self.selected``) and one still submitted (``self.submitted``)."""

    def __init__(self, database_url: str, blobs_dir: Path) -> None:
        self.database_url = database_url
        self.blobs_dir = blobs_dir
        self.clock = FrozenClock(START)
        self.engine = open_database(database_url)
        store = ProgramStore(self.engine)
        self.ids = {
            name: accounts.create_account(
                store, name, role, PASSWORD, now=START, partner_org=org, passwords=FAST
            ).id
            for name, (role, org) in ACCOUNTS.items()
        }
        program = store
        program.add_call(
            Call(
                id="cycle-9",
                title="Synthetic test call",
                modalities=frozenset({Modality.OWN_EXPERIMENT}),
                opens_at=START - timedelta(days=9),
                closes_at=START + timedelta(days=20),
                envelope=ResourceEnvelope(crew_hours=100, upmass_kg=300),
                eligible_countries=frozenset({"KE", "CL", "PE"}),
            )
        )
        self.selected = self._proposal(program, ProposalState.SELECTED)
        self.submitted = self._proposal(program, None)
        app = create_app(
            ApiSettings(token_secret=SECRET),
            DatabaseUserStore(store),
            clock=self.clock,
            passwords=FAST,
        )
        app.include_router(
            project_routes.router(database_url, blobs=BlobStore(blobs_dir), max_bytes=MAX_BYTES),
            prefix=API_PREFIX,
        )
        answer_options(app)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.auth: dict[str, dict[str, str]] = {"anonymous": {}}
        self.login()

    def _proposal(self, program: ProgramStore, final: ProposalState | None) -> str:
        alice, olga = self.ids["alice"], self.ids["olga"]
        pid = program.create_proposal(
            call_id="cycle-9",
            partner_id=alice,
            title="Radiation dosimetry in Tianhe",
            discipline="radiation biology",
            modality=Modality.OWN_EXPERIMENT,
            team=Team(
                TeamInstitution("Kenya Space Agency", "KE"),
                (TeamInstitution("Universidad de Chile", "CL"),),
            ),
            request=ResourceRequest(crew_hours=10),
            now=START,
        ).proposal.id
        program.change_state(
            pid,
            ProposalState.SUBMITTED,
            now=START,
            actor=alice,
            actor_role=Role.PARTNER,
            expected_version=None,
        )
        if final is not None:
            for state in (ProposalState.UNDER_REVIEW, ProposalState.SHORTLISTED, final):
                program.change_state(
                    pid,
                    state,
                    now=START,
                    actor=olga,
                    actor_role=Role.PROGRAM_OFFICER,
                    expected_version=None,
                )
        return pid

    def login(self) -> None:
        """Fresh tokens for every account (they last 30 minutes of the frozen clock)."""
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

    def create_project(self, proposal_id: str | None = None) -> str:
        r = self.call(
            "olga", "POST", "/projects", json={"proposal_id": proposal_id or self.selected}
        )
        assert r.status_code == 201, r.text
        project_id: str = r.json()["id"]
        return project_id

    def move(self, project_id: str, to: str, *, as_: str = "olga", **body: Any) -> httpx.Response:
        etag = self.call(as_, "GET", f"/projects/{project_id}").headers["ETag"]
        return self.call(
            as_,
            "POST",
            f"/projects/{project_id}/transitions",
            json={"to": to, **body},
            headers={"If-Match": etag},
        )

    def operating(self, project_id: str | None = None) -> str:
        project_id = project_id or self.create_project()
        for to, extra in (
            ("development", {}),
            ("hardware_delivered", {}),
            ("launched", {"launched_on": "tianzhou-8"}),
            ("operating", {}),
        ):
            r = self.move(project_id, to, **extra)
            assert r.status_code == 200, r.text
        return project_id

    def upload(
        self,
        project_id: str,
        content: bytes = DATA,
        filename: str = "counts.csv",
        as_: str = "pat",
        **form: str,
    ) -> httpx.Response:
        return self.call(
            as_,
            "POST",
            f"/projects/{project_id}/data-products",
            files={"file": (filename, content, "text/csv")},
            data=form,
        )


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    world = Api(database_url, tmp_path / "blobs")
    yield world
    world.engine.dispose()


def problem(response: httpx.Response, status: int, needle: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert "\n" not in body["detail"]
    assert needle.lower() in body["detail"].lower(), body["detail"]
    return body


def test_projects_are_created_from_selected_proposals_only(api: Api) -> None:
    problem(
        api.call("olga", "POST", "/projects", json={"proposal_id": api.submitted}),
        409,
        "'submitted'",
    )
    problem(
        api.call("olga", "POST", "/projects", json={"proposal_id": "no-such-id"}),
        404,
        "no proposal",
    )
    problem(api.call("alice", "POST", "/projects", json={"proposal_id": api.selected}), 403)
    problem(api.call("pat", "POST", "/projects", json={"proposal_id": api.selected}), 403)
    problem(api.call("anonymous", "POST", "/projects", json={"proposal_id": api.selected}), 401)
    problem(
        api.call("olga", "POST", "/projects", json={"proposal_id": api.selected, "owner": "x"}), 422
    )
    problem(
        api.call(
            "olga",
            "POST",
            "/projects",
            json={"proposal_id": api.selected, "planner_key": "Bad Key"},
        ),
        422,
    )

    r = api.call(
        "root",
        "POST",
        "/projects",
        json={"proposal_id": api.selected, "planner_key": "ke-dosimetry"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["ETag"] == '"1"'
    assert r.headers["Location"].endswith(f"/projects/{body['id']}")
    assert body["owner"] == api.ids["alice"]
    assert body["proposal_id"] == api.selected
    assert (body["state"], body["selection"], body["cycle"], body["planner_key"]) == (
        "selected",
        "unconditional",
        "cycle-9",
        "ke-dosimetry",
    )
    assert body["team"] == [
        {"name": "Kenya Space Agency", "country": "KE"},
        {"name": "Universidad de Chile", "country": "CL"},
    ]
    assert body["countries"] == ["CL", "KE"]
    assert body["next_states"] == ["development", "cancelled"]
    problem(
        api.call("olga", "POST", "/projects", json={"proposal_id": api.selected}),
        409,
        "already has project",
    )


def test_the_life_cycle_needs_if_match_officers_and_a_real_cargo_ship(api: Api) -> None:
    pid = api.create_project()
    path = f"/projects/{pid}/transitions"
    problem(api.call("olga", "POST", path, json={"to": "development"}), 428)
    problem(
        api.call("olga", "POST", path, json={"to": "development"}, headers={"If-Match": '"7"'}), 412
    )
    problem(api.move(pid, "development", as_="alice"), 403)  # the owner moves nothing
    problem(
        api.call("bob", "POST", path, json={"to": "development"}, headers={"If-Match": '"1"'}), 403
    )
    problem(api.move(pid, "launched", launched_on="tianzhou-8"), 409, "cannot become 'launched'")

    assert api.move(pid, "development").json()["version"] == 2
    problem(
        api.call(
            "olga", "POST", path, json={"to": "hardware_delivered"}, headers={"If-Match": '"1"'}
        ),
        412,
    )
    r = api.move(pid, "hardware_delivered", why="received at the payload integration facility")
    assert r.status_code == 200
    assert r.headers["ETag"] == '"3"'
    problem(api.move(pid, "launched"), 422, "needs the cargo ship")
    problem(
        api.move(pid, "launched", launched_on="Tianzhou-99"),
        422,
        "not a cargo ship of the station record",
    )
    problem(api.move(pid, "launched", launched_on="shenzhou-19"), 422, "not a cargo ship")
    problem(
        api.move(pid, "launched", launched_on="tianzhou-9"), 422, "has not launched by 2025-03-10"
    )
    r = api.move(pid, "launched", launched_on="Tianzhou-8")
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["launched_on"]) == ("launched", "tianzhou-8")
    problem(api.move(pid, "cancelled"), 422, "needs a reason")

    audit = api.call("alice", "GET", f"/projects/{pid}/audit").json()
    assert [(e["from"], e["to"], e["actor"]) for e in audit["items"]] == [
        (None, "selected", api.ids["olga"]),
        ("selected", "development", api.ids["olga"]),
        ("development", "hardware_delivered", api.ids["olga"]),
        ("hardware_delivered", "launched", api.ids["olga"]),
    ]
    assert audit["items"][2]["why"] == "received at the payload integration facility"
    assert audit["items"][3]["launched_on"] == "tianzhou-8"
    assert audit["items"][3]["at"] == "2025-03-10T12:00:00Z"
    assert api.call("pat", "GET", f"/projects/{pid}/audit").status_code == 200
    problem(api.call("bob", "GET", f"/projects/{pid}/audit"), 404, "no project")
    problem(api.call("bob", "GET", "/projects/unknown/audit"), 404, "no project")
    problem(api.call("rita", "GET", f"/projects/{pid}/audit"), 403)
    problem(api.call("anonymous", "GET", f"/projects/{pid}/audit"), 401)


def test_the_public_sees_countries_and_state_the_owner_the_whole_project(api: Api) -> None:
    pid = api.create_project()
    public = api.call("anonymous", "GET", f"/projects/{pid}").json()
    assert public["visibility"] == "public"
    assert public["lead"] == {"name": "Kenya Space Agency", "country": "KE"}
    assert public["countries"] == ["CL", "KE"]
    assert public["state"] == "selected"
    assert not {"team", "owner", "proposal_id", "version"} & public.keys()
    assert api.call("bob", "GET", f"/projects/{pid}").json() == public
    assert api.call("rita", "GET", f"/projects/{pid}").json() == public
    for who in ("alice", "olga", "root", "pat"):
        full = api.call(who, "GET", f"/projects/{pid}").json()
        assert (full["visibility"], len(full["team"])) == ("full", 2), who
    listing = api.call("anonymous", "GET", "/projects", params={"limit": 1}).json()
    assert (listing["total"], listing["limit"], listing["items"]) == (1, 1, [public])
    assert api.call("bob", "GET", "/projects", params={"mine": True}).json()["total"] == 0
    assert (
        api.call("alice", "GET", "/projects", params={"mine": True}).json()["items"][0]["id"] == pid
    )
    problem(api.call("anonymous", "GET", "/projects", params={"mine": True}), 422)
    problem(api.call("anonymous", "GET", "/projects", params={"limit": 0}), 422)
    problem(api.call("anonymous", "GET", "/projects/nope"), 404)


def test_data_products_are_embargoed_then_public_with_their_checksum(api: Api) -> None:
    pid = api.operating()
    problem(api.upload(pid, as_="alice"), 403)
    problem(api.upload(pid, as_="anonymous"), 401)
    r = api.upload(pid)
    assert r.status_code == 201, r.text
    product = r.json()
    assert product == {
        "project_id": pid,
        "sha256": DATA_SHA,
        "filename": "counts.csv",
        "size_bytes": len(DATA),
        "media_type": "text/plain",
        "delivered_at": "2025-03-10T12:00:00Z",
        "embargo_until": "2026-03-10T12:00:00Z",
        "public": False,
    }
    one = f"/projects/{pid}/data-products/{DATA_SHA}"
    for who in ("alice", "olga", "pat"):
        download = api.call(who, "GET", one)
        assert download.status_code == 200, who
        assert download.content == DATA
        assert hashlib.sha256(download.content).hexdigest() == DATA_SHA
        assert download.headers["ETag"] == f'"{DATA_SHA}"'
        assert download.headers["Cache-Control"] == "private, no-store"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    for who in ("bob", "rita", "anonymous"):
        assert api.call(who, "GET", f"/projects/{pid}/data-products").json()["items"] == [], who
        problem(api.call(who, "GET", one), 404, "that you may see")
    assert api.call("alice", "GET", f"/projects/{pid}/data-products").json()["total"] == 1
    problem(api.call("anonymous", "GET", f"/projects/{pid}/data-products/not-a-digest"), 422)

    api.clock.advance(days=365)  # 2026-03-10T12:00Z: the embargo ends now
    api.login()
    listed = api.call("anonymous", "GET", f"/projects/{pid}/data-products").json()["items"]
    assert [(p["sha256"], p["public"]) for p in listed] == [(DATA_SHA, True)]
    download = api.call("anonymous", "GET", one)
    assert download.status_code == 200
    assert download.content == DATA
    assert download.headers["Cache-Control"] == "public, max-age=3600"
    assert download.headers["Repr-Digest"].startswith("sha-256=:")
    # A file damaged in the store is never served: its checksum is verified first.
    [stored] = [f for f in api.blobs_dir.rglob(DATA_SHA) if f.is_file()]
    stored.write_bytes(DATA.replace(b"12.5", b"99.9"))
    problem(api.call("anonymous", "GET", one), 500)


def test_upload_limits_names_and_embargo_choices(api: Api) -> None:
    pid = api.create_project()
    problem(api.upload(pid), 409, "'selected': data products are delivered once")
    api.operating(pid)
    problem(
        api.upload(pid, content=b"x" * (MAX_BYTES + 1), filename="big.bin"),
        413,
        f"{MAX_BYTES} bytes",
    )
    problem(api.upload(pid, content=b""), 422, "empty")
    assert [f for f in api.blobs_dir.rglob("*") if f.is_file()] == []  # refusals leave no file
    problem(api.upload(pid, filename="bad\u202ename.csv"), 422, "control or invisible")
    problem(api.upload(pid, filename=".."), 422, "names a directory")
    problem(api.upload(pid, embargo_until="2026-01-01T00:00:00"), 422, "no time zone")
    problem(api.upload(pid, embargo_until="2024-01-01T00:00:00Z"), 422, "before the delivery")
    r = api.upload(
        pid,
        content=b"%PDF-1.4 report %%EOF",
        filename="../../etc/passwd",
        embargo_until="2025-03-10T20:00:00+08:00",
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["filename"], body["media_type"], body["public"]) == (
        "passwd",
        "application/pdf",
        True,
    )
    assert api.call(
        "bob", "GET", f"/projects/{pid}/data-products/{body['sha256']}"
    ).content.startswith(b"%PDF")
    problem(api.upload(pid, content=b"other", filename="passwd"), 409, "different file named")


def test_the_first_cycle_is_public_reference_data(api: Api) -> None:
    loaded = load_first_cycle(api.database_url, now=START)
    assert (loaded.total, len(loaded.added)) == (9, 9)
    listing = api.call("anonymous", "GET", "/projects").json()
    assert listing["total"] == 9
    by_id = {p["id"]: p for p in listing["items"]}
    polar = by_id["polar-2"]
    assert (polar["state"], polar["reference"], polar["planner_key"]) == (
        "development",
        True,
        "polar-2",
    )
    assert polar["team"][0] == {"name": "University of Geneva", "country": "CH"}
    assert "later states are unknown" in polar["state_note"]
    ninth = by_id["unidentified-9"]
    assert (ninth["title"], ninth["countries"], ninth["team"], ninth["lead"]) == (
        None,
        None,
        [],
        None,
    )
    assert any("not identified" in note for note in ninth["notes"])
    assert load_first_cycle(api.database_url, now=START).added == ()
    problem(api.call("alice", "GET", "/projects/polar-2/audit"), 404)
    assert (
        api.call("olga", "GET", "/projects/polar-2/audit").json()["items"][0]["actor"]
        == "reference-data"
    )


def test_the_owner_sees_when_the_project_runs_in_the_current_plan(api: Api) -> None:
    """A project is linked to the planner by its ``planner_key``: the ``project:<key>`` tag of
    the current plan's activities (the synthetic one-day plan of the plan API's tests)."""
    created = api.call(
        "olga", "POST", "/projects", json={"proposal_id": api.selected, "planner_key": "proj-a"}
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    before = api.call("alice", "GET", f"/projects/{pid}/schedule")
    assert before.status_code == 200, before.text
    assert (before.json()["plan"], before.json()["items"]) == (None, [])  # nothing published

    plans = PlanService.open(api.database_url)
    stored = plans.store_plan(
        plan_to_data(tiny_plan()), name="increment (synthetic)", created_by="pat", now=START
    )
    plans.publish(stored["id"], by=api.ids["pat"], now=START)

    for who in ("alice", "olga", "pat", "root"):
        r = api.call(who, "GET", f"/projects/{pid}/schedule")
        assert r.status_code == 200, (who, r.text)
        body = r.json()
        assert body["project_id"] == pid
        assert body["plan"]["id"] == stored["id"]
        assert [(a["activity"], a["start"], a["end"]) for a in body["items"]] == [
            ("exp-a-run-1", "2026-09-07T01:00:00Z", "2026-09-07T02:00:00Z")
        ]
    # The time filter is an overlap with [from, to).
    late = api.call("alice", "GET", f"/projects/{pid}/schedule", params={"from": "2026-09-07T02:00:00Z"})
    assert late.json()["items"] == []
    problem(api.call("bob", "GET", f"/projects/{pid}/schedule"), 404)  # another partner
    problem(api.call("rita", "GET", f"/projects/{pid}/schedule"), 403)
    problem(api.call("anonymous", "GET", f"/projects/{pid}/schedule"), 401)
    problem(
        api.call("alice", "GET", f"/projects/{pid}/schedule", params={"from": "2026-09-07T02:00:00"}),
        422,
        "zone",
    )
