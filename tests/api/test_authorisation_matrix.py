"""The authorisation matrix: every endpoint of the served application × every role.

One world is built per module on the real application (:func:`spacehome.api.main.build_app`) and
a private SQLite file: a call; partner A's submitted proposal (``submitted``) and draft
(``draft``, with a PDF attached); partner B; reviewer R1 (assigned to A's submitted proposal,
not conflicted); reviewer R2 (assigned too, then declared a conflict with it, so assigned *and*
conflicted); a program officer, a planner and an admin; ``public`` is no token at all.

Before every case the database is restored from a snapshot taken after the world was built
(SQLite backup API), so a case that writes (a withdrawal, a review, a new assignment) cannot
change what another case sees: the cases are independent of their order.

:data:`MATRIX` states, per ``(method, path)`` of the OpenAPI document and per role, the expected
outcome: ``OK`` (any 2xx, with a valid minimal request) or exactly 401, 403 or 404.
:func:`test_every_documented_endpoint_is_in_the_matrix` fails when the OpenAPI document has an
operation the matrix lacks (or the matrix has one that is gone), so a new endpoint cannot escape.

Conventions the matrix checks (module docstrings of ``program_routes``, ``attachment_routes``,
``review_routes`` and ``services.reviews``): no token is 401 on every protected endpoint; a role
not allowed is 403; another partner's proposal, its audit and its files are 404 (like an unknown
id); a reviewer's proposal that is not assigned to them or is conflicted is 404 on the review
endpoints; reviewers get 403 on the partner/officer proposal endpoints (they read proposals via
``/reviews/assigned``).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import conjunction_samples
from conjunction_samples import cdm_for, write_catalog
from plan_samples import tiny_plan
from spacehome.api.app import API_PREFIX, ApiSettings
from spacehome.api.main import build_app
from spacehome.orbit.cdm import write_cdm
from spacehome.planning.files import plan_to_data
from spacehome.services import accounts, conjunction_events, conjunctions
from spacehome.services.astronauts import load_reference_candidates
from spacehome.services.attachments import BlobStore
from spacehome.services.reviews import DEFAULT_CRITERIA

from .conftest import PASSWORD, SECRET

V1: Final = API_PREFIX
FAST: Final = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
PDF_BYTES: Final = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
SHA: Final = hashlib.sha256(PDF_BYTES).hexdigest()
CALL_ID: Final = "cycle-matrix"
PRODUCT_BYTES: Final = b"time_s,count_rate_per_s\n0,12.5\n1,13.0\n"
PRODUCT_SHA: Final = hashlib.sha256(PRODUCT_BYTES).hexdigest()
#: A reference candidate of the record (shortlisted; the world selects it); transitions are tried
#: on the other one, ``pakistan-2``.
CANDIDATE_ID: Final = "pakistan-1"
CSS_TLE: Final = Path(__file__).parent.parent / "orbit" / "data" / "css.tle"

OK: Final = "2xx"
Expected = str | int  # OK, 401, 403 or 404

ROLES: Final = (
    "public",
    "partner_a",
    "partner_b",
    "reviewer_r1",
    "reviewer_r2",
    "program_officer",
    "planner",
    "admin",
)

#: account username -> (role, partner organisation); "r3" is a reviewer account without a
#: profile, the subject of ``POST /reviewers``.
ACCOUNTS: Final = {
    "partner_a": ("partner", "University of Nairobi"),
    "partner_b": ("partner", "Pontificia Universidad Católica del Perú"),
    "reviewer_r1": ("reviewer", None),
    "reviewer_r2": ("reviewer", None),
    "program_officer": ("program_officer", None),
    "planner": ("planner", None),
    "admin": ("admin", None),
    "r3": ("reviewer", None),
}


def row(
    *,
    public: Expected,
    partner_a: Expected,
    partner_b: Expected,
    reviewer_r1: Expected,
    reviewer_r2: Expected,
    program_officer: Expected,
    planner: Expected,
    admin: Expected,
) -> dict[str, Expected]:
    """One matrix row; keyword-only and all required, so no role can be left out."""
    return {
        "public": public,
        "partner_a": partner_a,
        "partner_b": partner_b,
        "reviewer_r1": reviewer_r1,
        "reviewer_r2": reviewer_r2,
        "program_officer": program_officer,
        "planner": planner,
        "admin": admin,
    }


EVERYONE = row(
    public=OK, partner_a=OK, partner_b=OK, reviewer_r1=OK, reviewer_r2=OK,
    program_officer=OK, planner=OK, admin=OK,
)  # fmt: skip
ANY_LOGIN = row(
    public=401, partner_a=OK, partner_b=OK, reviewer_r1=OK, reviewer_r2=OK,
    program_officer=OK, planner=OK, admin=OK,
)  # fmt: skip
OFFICERS = row(
    public=401, partner_a=403, partner_b=403, reviewer_r1=403, reviewer_r2=403,
    program_officer=OK, planner=403, admin=OK,
)  # fmt: skip
REVIEWERS = row(
    public=401, partner_a=403, partner_b=403, reviewer_r1=OK, reviewer_r2=OK,
    program_officer=403, planner=403, admin=403,
)  # fmt: skip
#: A's proposal, read by partners and officers: B gets 404 (ids do not leak between partners).
OWNER_AND_OFFICERS_READ = row(
    public=401, partner_a=OK, partner_b=404, reviewer_r1=403, reviewer_r2=403,
    program_officer=OK, planner=403, admin=OK,
)  # fmt: skip
#: A's draft, written by its owner only: officers may not edit or attach (403), B gets 404.
OWNER_WRITES = row(
    public=401, partner_a=OK, partner_b=404, reviewer_r1=403, reviewer_r2=403,
    program_officer=403, planner=403, admin=403,
)  # fmt: skip
PARTNERS = row(
    public=401, partner_a=OK, partner_b=OK, reviewer_r1=403, reviewer_r2=403,
    program_officer=403, planner=403, admin=403,
)  # fmt: skip
PARTNERS_AND_OFFICERS = row(
    public=401, partner_a=OK, partner_b=OK, reviewer_r1=403, reviewer_r2=403,
    program_officer=OK, planner=403, admin=OK,
)  # fmt: skip
#: A's submitted proposal on the review endpoints: R1 is assigned; R2 is assigned but conflicted,
#: which is 404 as for a proposal not assigned at all; the owner may not read its reviews (403).
ASSIGNED_REVIEWER_WRITES = row(
    public=401, partner_a=403, partner_b=403, reviewer_r1=OK, reviewer_r2=404,
    program_officer=403, planner=403, admin=403,
)  # fmt: skip
REVIEW_READERS = row(
    public=401, partner_a=403, partner_b=403, reviewer_r1=OK, reviewer_r2=404,
    program_officer=OK, planner=403, admin=OK,
)  # fmt: skip

#: A's project: its owner and operations (officers, planners, admins); B gets 404.
OWNER_AND_OPERATIONS = row(
    public=401, partner_a=OK, partner_b=404, reviewer_r1=403, reviewer_r2=403,
    program_officer=OK, planner=OK, admin=OK,
)  # fmt: skip
#: Operations deliver data products.
OPERATIONS = row(
    public=401, partner_a=403, partner_b=403, reviewer_r1=403, reviewer_r2=403,
    program_officer=OK, planner=OK, admin=OK,
)  # fmt: skip
#: A product under embargo: the owner and operations only; everyone else as for no such file.
EMBARGOED_DOWNLOAD = row(
    public=404, partner_a=OK, partner_b=404, reviewer_r1=404, reviewer_r2=404,
    program_officer=OK, planner=OK, admin=OK,
)  # fmt: skip
PLAN_READERS = row(
    public=401, partner_a=403, partner_b=403, reviewer_r1=403, reviewer_r2=403,
    program_officer=OK, planner=OK, admin=OK,
)  # fmt: skip
PLAN_WRITERS = row(
    public=401, partner_a=403, partner_b=403, reviewer_r1=403, reviewer_r2=403,
    program_officer=403, planner=OK, admin=OK,
)  # fmt: skip

MATRIX: Final[dict[tuple[str, str], dict[str, Expected]]] = {
    # --- service and auth -------------------------------------------------------------------
    ("GET", f"{V1}/health"): EVERYONE,
    # every caller logs in with an account's valid credentials (the token endpoint is public)
    ("POST", f"{V1}/auth/token"): EVERYONE,
    ("GET", f"{V1}/auth/me"): ANY_LOGIN,
    # the dashboard's login (a cookie session) and logout: like the token endpoint, public
    ("POST", f"{V1}/auth/session"): EVERYONE,
    ("DELETE", f"{V1}/auth/session"): EVERYONE,
    # --- station and orbit: public ----------------------------------------------------------
    ("GET", f"{V1}/station"): EVERYONE,
    ("GET", f"{V1}/orbit/where"): EVERYONE,
    ("GET", f"{V1}/orbit/eclipses"): EVERYONE,
    ("GET", f"{V1}/orbit/contacts"): EVERYONE,
    ("GET", f"{V1}/orbit/passes"): EVERYONE,
    # --- calls ------------------------------------------------------------------------------
    ("GET", f"{V1}/calls"): EVERYONE,
    ("POST", f"{V1}/calls"): OFFICERS,
    ("GET", f"{V1}/calls/{{call_id}}"): EVERYONE,
    ("POST", f"{V1}/calls/{{call_id}}/proposals"): PARTNERS,
    # --- proposals (A's submitted proposal unless stated) -------------------------------------
    ("GET", f"{V1}/proposals"): PARTNERS_AND_OFFICERS,  # partners: their own only
    ("GET", f"{V1}/proposals/{{proposal_id}}"): OWNER_AND_OFFICERS_READ,
    ("PATCH", f"{V1}/proposals/{{proposal_id}}"): OWNER_WRITES,  # A's draft, with If-Match
    # A withdraws, officers move to under_review; everyone sends a current If-Match
    ("POST", f"{V1}/proposals/{{proposal_id}}/transitions"): OWNER_AND_OFFICERS_READ,
    ("GET", f"{V1}/proposals/{{proposal_id}}/audit"): OWNER_AND_OFFICERS_READ,
    # --- attachments (A's draft) ------------------------------------------------------------
    ("POST", f"{V1}/proposals/{{proposal_id}}/attachments"): OWNER_WRITES,
    ("GET", f"{V1}/proposals/{{proposal_id}}/attachments"): OWNER_AND_OFFICERS_READ,
    ("GET", f"{V1}/proposals/{{proposal_id}}/attachments/{{sha256}}"): OWNER_AND_OFFICERS_READ,
    # --- review -----------------------------------------------------------------------------
    ("POST", f"{V1}/reviewers"): OFFICERS,
    ("GET", f"{V1}/reviewers/me"): REVIEWERS,
    ("POST", f"{V1}/reviewers/me/conflicts"): REVIEWERS,
    ("GET", f"{V1}/calls/{{call_id}}/review-settings"): OFFICERS,
    ("PUT", f"{V1}/calls/{{call_id}}/review-settings"): OFFICERS,
    ("POST", f"{V1}/calls/{{call_id}}/review-assignments"): OFFICERS,
    ("GET", f"{V1}/calls/{{call_id}}/review-assignments"): OFFICERS,
    # R2's list answers 200 (without the conflicted proposal: see the content test below)
    ("GET", f"{V1}/reviews/assigned"): REVIEWERS,
    ("PUT", f"{V1}/proposals/{{proposal_id}}/reviews/mine"): ASSIGNED_REVIEWER_WRITES,
    ("GET", f"{V1}/proposals/{{proposal_id}}/reviews"): REVIEW_READERS,
    ("GET", f"{V1}/calls/{{call_id}}/ranking"): OFFICERS,
    # --- selection --------------------------------------------------------------------------
    ("POST", f"{V1}/calls/{{call_id}}/selection"): OFFICERS,
    # --- projects (A's operating project; POST /projects: A's selected proposal without one) -
    ("GET", f"{V1}/projects"): EVERYONE,  # public view; the full one for the owner
    ("GET", f"{V1}/projects/{{project_id}}"): EVERYONE,
    ("POST", f"{V1}/projects"): OFFICERS,
    ("POST", f"{V1}/projects/{{project_id}}/transitions"): OFFICERS,  # with If-Match
    ("GET", f"{V1}/projects/{{project_id}}/audit"): OWNER_AND_OPERATIONS,
    ("GET", f"{V1}/projects/{{project_id}}/schedule"): OWNER_AND_OPERATIONS,
    ("POST", f"{V1}/projects/{{project_id}}/data-products"): OPERATIONS,
    # embargoed products are left out of the list for those who may not see them yet ...
    ("GET", f"{V1}/projects/{{project_id}}/data-products"): EVERYONE,
    # ... and an embargoed file is 404 to them (the public too: after the embargo anyone may)
    ("GET", f"{V1}/projects/{{project_id}}/data-products/{{sha256}}"): EMBARGOED_DOWNLOAD,
    # --- element sets (public reads; imports by planners) and plans ---------------------------
    ("GET", f"{V1}/element-sets"): EVERYONE,
    ("GET", f"{V1}/element-sets/current"): EVERYONE,
    ("POST", f"{V1}/element-sets"): PLAN_WRITERS,
    ("GET", f"{V1}/plans"): PLAN_READERS,
    ("POST", f"{V1}/plans"): PLAN_WRITERS,
    ("GET", f"{V1}/plans/current"): PLAN_READERS,
    ("GET", f"{V1}/plans/{{plan_id}}"): PLAN_READERS,
    ("GET", f"{V1}/plans/{{plan_id}}/activities"): PLAN_READERS,
    ("GET", f"{V1}/plans/{{plan_id}}/document"): PLAN_READERS,
    ("POST", f"{V1}/plans/{{plan_id}}/publish"): PLAN_WRITERS,
    # --- the dashboard's read models and plan jobs --------------------------------------------
    ("GET", f"{V1}/station/history"): EVERYONE,
    ("GET", f"{V1}/now"): EVERYONE,
    ("GET", f"{V1}/places"): EVERYONE,
    ("GET", f"{V1}/partner-countries"): EVERYONE,
    ("GET", f"{V1}/program/review-criteria"): EVERYONE,
    ("GET", f"{V1}/program/reviewer-desk"): REVIEWERS,  # R2's without the conflicted proposal
    ("GET", f"{V1}/program/calls/{{call_id}}/review-board"): OFFICERS,
    ("GET", f"{V1}/plans/current/timeline"): PLAN_READERS,
    ("GET", f"{V1}/plans/{{plan_id}}/timeline"): PLAN_READERS,
    # a small greedy solve; the case waits for the job, so no job outlives its case
    ("POST", f"{V1}/plan-jobs"): PLAN_WRITERS,
    ("GET", f"{V1}/plan-jobs"): PLAN_WRITERS,
    ("GET", f"{V1}/plan-jobs/{{job_id}}"): PLAN_WRITERS,
    # --- astronaut opportunities (a shortlisted reference candidate; personal data: officers) -
    ("GET", f"{V1}/astronaut-opportunities"): EVERYONE,
    ("GET", f"{V1}/astronaut-candidates"): EVERYONE,  # public view: published facts only
    ("GET", f"{V1}/astronaut-candidates/{{candidate_id}}"): EVERYONE,
    ("POST", f"{V1}/astronaut-candidates"): OFFICERS,
    ("POST", f"{V1}/astronaut-candidates/{{candidate_id}}/transitions"): OFFICERS,
    ("POST", f"{V1}/astronaut-candidates/{{candidate_id}}/assignments"): OFFICERS,
    ("GET", f"{V1}/astronaut-candidates/{{candidate_id}}/audit"): OFFICERS,
    # --- conjunctions (operational data: planners and admins only) -----------------------------
    ("GET", f"{V1}/conjunctions"): PLAN_WRITERS,
    ("GET", f"{V1}/conjunctions/{{event_id}}"): PLAN_WRITERS,
    ("POST", f"{V1}/conjunctions/cdm"): PLAN_WRITERS,
    ("GET", f"{V1}/conjunctions/{{event_id}}/avoidance"): PLAN_WRITERS,
}

#: Endpoints whose ``{proposal_id}`` is A's draft; every other one uses A's submitted proposal.
ON_DRAFT: Final = frozenset(
    {
        ("PATCH", f"{V1}/proposals/{{proposal_id}}"),
        ("POST", f"{V1}/proposals/{{proposal_id}}/attachments"),
        ("GET", f"{V1}/proposals/{{proposal_id}}/attachments"),
        ("GET", f"{V1}/proposals/{{proposal_id}}/attachments/{{sha256}}"),
    }
)

#: The smallest plan job: a three-day increment, greedy, one second at most.
SMALL_JOB: Final = {"kind": "solve", "solver": "greedy", "days": 3, "time_limit_s": 1}

#: Query parameters that keep the public orbit computations small.
QUERIES: Final[dict[tuple[str, str], dict[str, str | float]]] = {
    ("GET", f"{V1}/orbit/eclipses"): {"days": 0.1},
    ("GET", f"{V1}/orbit/contacts"): {"days": 0.1},
    ("GET", f"{V1}/orbit/passes"): {"city": "Beijing", "days": 0.5},
    ("GET", f"{V1}/places"): {"q": "Nair"},
}


# --- the world ------------------------------------------------------------------------------------


@dataclass
class World:
    client: TestClient
    ids: dict[str, str]  # account name or "submitted"/"draft" -> id
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {} if role == "public" else {"Authorization": f"Bearer {self.tokens[role]}"}

    def project_etag(self, project_id: str) -> str:
        r = self.client.get(f"{V1}/projects/{project_id}", headers=self.auth("program_officer"))
        assert r.status_code == 200, r.text
        return str(r.headers["ETag"])

    def etag(self, proposal_id: str) -> str:
        """The current ETag of a proposal, read by the program officer."""
        r = self.client.get(f"{V1}/proposals/{proposal_id}", headers=self.auth("program_officer"))
        assert r.status_code == 200, r.text
        return str(r.headers["ETag"])


@dataclass
class Env:
    app: FastAPI
    world: World
    live: Path
    snapshot: Path


def _ok(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database through SQLite itself (safe while the app's engine is open)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=10)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _build(tmp: Path) -> Env:
    live = tmp / "spacehome.sqlite3"
    url = f"sqlite:///{live}"
    now = datetime.now(UTC).replace(microsecond=0)
    store = accounts.program_store(url)
    ids: dict[str, str] = {}
    for name, (role, org) in ACCOUNTS.items():
        record = accounts.create_account(
            store, name, role, PASSWORD, now=now, partner_org=org, passwords=FAST
        )
        ids[name] = record.id
    app = build_app(url, ApiSettings(token_secret=SECRET), blobs=BlobStore(tmp / "blobs"))
    w = World(TestClient(app, raise_server_exceptions=False), ids)
    for name in ACCOUNTS:
        r = w.client.post(f"{V1}/auth/token", data={"username": name, "password": PASSWORD})
        w.tokens[name] = _ok(r, 200)["access_token"]

    # a call open now (the served app runs on the real clock)
    _ok(
        w.client.post(
            f"{V1}/calls",
            json={
                "id": CALL_ID,
                "title": "Matrix cycle",
                "modalities": ["own_experiment"],
                "opens_at": (now - timedelta(days=1)).isoformat(),
                "closes_at": (now + timedelta(days=60)).isoformat(),
                "envelope": {"crew_hours": 500, "upmass_kg": 500, "downlink_gb": 100},
            },
            headers=w.auth("program_officer"),
        ),
        201,
    )
    for key in ("submitted", "draft"):
        created = w.client.post(
            f"{V1}/calls/{CALL_ID}/proposals",
            json=_proposal_body(f"A's {key} proposal"),
            headers=w.auth("partner_a"),
        )
        ids[key] = _ok(created, 201)["id"]
    _ok(
        w.client.post(
            f"{V1}/proposals/{ids['submitted']}/transitions",
            json={"to": "submitted"},
            headers={**w.auth("partner_a"), "If-Match": w.etag(ids["submitted"])},
        ),
        200,
    )
    _ok(
        w.client.post(
            f"{V1}/proposals/{ids['draft']}/attachments",
            files={"file": ("plan.pdf", PDF_BYTES, "application/pdf")},
            headers=w.auth("partner_a"),
        ),
        201,
    )
    # reviewers from countries other than the proposer's (KE), both assigned ...
    for name, institution, country in (
        ("reviewer_r1", "University of Oslo", "NO"),
        ("reviewer_r2", "DLR", "DE"),
    ):
        _ok(
            w.client.post(
                f"{V1}/reviewers",
                json={"user_id": ids[name], "institution": institution, "country": country},
                headers=w.auth("program_officer"),
            ),
            201,
        )
    assigned = _ok(
        w.client.post(
            f"{V1}/calls/{CALL_ID}/review-assignments",
            json={"per_proposal": 2},
            headers=w.auth("program_officer"),
        ),
        200,
    )
    assert sorted(assigned["reviewers"][ids["submitted"]]) == sorted(
        [ids["reviewer_r1"], ids["reviewer_r2"]]
    )
    # ... then R2 declares a conflict with A's proposal: assigned, but conflicted
    _ok(
        w.client.post(
            f"{V1}/reviewers/me/conflicts",
            json={"proposals": [ids["submitted"]]},
            headers=w.auth("reviewer_r2"),
        ),
        200,
    )
    _build_projects(w, ids)
    _build_plans_and_candidates(w, ids, url, now)
    snapshot = tmp / "snapshot.sqlite3"
    _copy_database(live, snapshot)
    return Env(app, w, live, snapshot)


def _selected_proposal(w: World, title: str) -> str:
    """A proposal of A's, submitted and moved to ``selected`` by the officer."""
    created = w.client.post(
        f"{V1}/calls/{CALL_ID}/proposals", json=_proposal_body(title), headers=w.auth("partner_a")
    )
    pid: str = _ok(created, 201)["id"]
    for who, to in (
        ("partner_a", "submitted"),
        ("program_officer", "under_review"),
        ("program_officer", "shortlisted"),
        ("program_officer", "selected"),
    ):
        _ok(
            w.client.post(
                f"{V1}/proposals/{pid}/transitions",
                json={"to": to},
                headers={**w.auth(who), "If-Match": w.etag(pid)},
            ),
            200,
        )
    return pid


def _build_projects(w: World, ids: dict[str, str]) -> None:
    """A's project, operating, with one data product under the default embargo; and a selected
    proposal of A's with no project yet (the subject of ``POST /projects``)."""
    proposal = _selected_proposal(w, "A's selected proposal")
    ids["selected_free"] = _selected_proposal(w, "A's second selected proposal")
    created = w.client.post(
        f"{V1}/projects",
        json={"proposal_id": proposal, "planner_key": "proj-a"},
        headers=w.auth("program_officer"),
    )
    ids["project"] = project = _ok(created, 201)["id"]
    for to, extra in (
        ("development", {}),
        ("hardware_delivered", {}),
        ("launched", {"launched_on": "tianzhou-8"}),
        ("operating", {}),
    ):
        _ok(
            w.client.post(
                f"{V1}/projects/{project}/transitions",
                json={"to": to, **extra},
                headers={**w.auth("program_officer"), "If-Match": w.project_etag(project)},
            ),
            200,
        )
    _ok(
        w.client.post(
            f"{V1}/projects/{project}/data-products",
            files={"file": ("counts.csv", PRODUCT_BYTES, "text/csv")},
            headers=w.auth("planner"),
        ),
        201,
    )


def _build_plans_and_candidates(w: World, ids: dict[str, str], url: str, now: datetime) -> None:
    """A published plan (the synthetic one-day plan of the plan API's tests) and the record's
    astronaut candidates, one of them selected by the officer (so it can be given a seat)."""
    stored = _ok(
        w.client.post(
            f"{V1}/plans",
            json={"name": "matrix plan (synthetic)", "plan": plan_to_data(tiny_plan())},
            headers=w.auth("planner"),
        ),
        201,
    )
    ids["plan"] = stored["id"]
    _ok(w.client.post(f"{V1}/plans/{stored['id']}/publish", headers=w.auth("planner")), 200)
    started = _ok(w.client.post(f"{V1}/plan-jobs", json=SMALL_JOB, headers=w.auth("planner")), 202)
    ids["job"] = started["id"]
    _wait_for_job(w, ids["job"])
    _build_conjunction(ids, url)
    load_reference_candidates(url, now=now)
    _ok(
        w.client.post(
            f"{V1}/astronaut-candidates/{CANDIDATE_ID}/transitions",
            json={"field": "selection_stage", "to": "selected"},
            headers={**w.auth("program_officer"), "If-Match": "*"},
        ),
        200,
    )


def _wait_for_job(w: World, job_id: str) -> None:
    """Poll a plan job until it has finished (it writes a plan to the database when done)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = _ok(w.client.get(f"{V1}/plan-jobs/{job_id}", headers=w.auth("admin")), 200)
        if job["status"] != "running":
            assert job["status"] == "succeeded", job
            return
        time.sleep(0.1)
    pytest.fail(f"plan job {job_id} did not finish within 120 s")


def _proposal_body(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "discipline": "space life sciences",
        "modality": "own_experiment",
        "team": {"lead": {"name": "University of Nairobi", "country": "KE"}},
        "request": {"crew_hours": 10},
    }


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    built = _build(tmp_path_factory.mktemp("matrix"))
    yield built
    built.world.client.close()


@pytest.fixture
def world(env: Env) -> World:
    """The module's world, its database restored to the snapshot (cases are order-independent)."""
    _copy_database(env.snapshot, env.live)
    return env.world


def _build_conjunction(ids: dict[str, str], url: str) -> None:
    """A stored event (screened from the sample catalog) and a CDM about it (the CDM is posted by
    the cases of ``POST /conjunctions/cdm``, and stored in the world, so avoidance has covariances)."""
    catalog = write_catalog(Path(url.removeprefix("sqlite:///")).with_name("conjunctions.3le"))
    view = conjunctions.screen_view(
        conjunction_samples.START, days=0.25, threshold_km=15, catalog_file=catalog,
        database_url=url, store_at=conjunction_samples.START,
    )
    event = min(view["events"], key=lambda e: e["miss_km"])
    ids["event"] = event["id"]
    first = write_cdm(cdm_for(event["tca"], event["miss_km"], catalog, "MATRIX-1"))
    conjunction_events.import_cdm(first, now=conjunction_samples.START, database_url=url)
    ids["cdm_text"] = write_cdm(cdm_for(event["tca"], event["miss_km"], catalog, "MATRIX-2"))


# --- requests -------------------------------------------------------------------------------------

Request = dict[str, Any]  # keyword arguments of TestClient.request


def _body(method: str, path: str, role: str, w: World) -> Request:
    """A valid minimal request for ``(method, path)`` as ``role`` (bodies, headers, files)."""
    key = (method, path)
    if key in {("POST", f"{V1}/auth/token"), ("POST", f"{V1}/auth/session")}:
        name = "partner_a" if role == "public" else role
        return {"data": {"username": name, "password": PASSWORD}}
    if key == ("DELETE", f"{V1}/auth/session"):
        return {}
    if key == ("POST", f"{V1}/calls"):
        now = datetime.now(UTC)
        return {
            "json": {
                "id": f"call-by-{role}",
                "title": "Another call",
                "modalities": ["facility"],
                "opens_at": (now + timedelta(days=1)).isoformat(),
                "closes_at": (now + timedelta(days=30)).isoformat(),
                "envelope": {"crew_hours": 10},
            }
        }
    if key == ("POST", f"{V1}/calls/{{call_id}}/proposals"):
        return {"json": _proposal_body(f"A new draft by {role}")}
    if key == ("PATCH", f"{V1}/proposals/{{proposal_id}}"):
        return {"json": {"title": "Edited"}, "headers": {"If-Match": w.etag(w.ids["draft"])}}
    if key == ("POST", f"{V1}/proposals/{{proposal_id}}/transitions"):
        to = "withdrawn" if role.startswith("partner") else "under_review"
        return {"json": {"to": to}, "headers": {"If-Match": w.etag(w.ids["submitted"])}}
    if key == ("POST", f"{V1}/proposals/{{proposal_id}}/attachments"):
        other = PDF_BYTES.replace(b"%%EOF", b"% another file\n%%EOF")
        return {"files": {"file": ("second.pdf", other, "application/pdf")}}
    if key == ("POST", f"{V1}/reviewers"):
        return {"json": {"user_id": w.ids["r3"], "institution": "CNES", "country": "FR"}}
    if key == ("POST", f"{V1}/reviewers/me/conflicts"):
        return {"json": {"institutions": ["Nowhere Institute"]}}
    if key == ("PUT", f"{V1}/calls/{{call_id}}/review-settings"):
        return {"json": {"double_anonymous": False, "stage": "individual"}}
    if key == ("POST", f"{V1}/calls/{{call_id}}/review-assignments"):
        return {"json": {"per_proposal": 1}}
    if key == ("PUT", f"{V1}/proposals/{{proposal_id}}/reviews/mine"):
        return {"json": {"scores": {c.name: 4 for c in DEFAULT_CRITERIA}, "comment": "Sound."}}
    if key == ("POST", f"{V1}/calls/{{call_id}}/selection"):
        return {"json": {"time_limit_s": 1.0}}
    if key == ("POST", f"{V1}/projects"):
        return {"json": {"proposal_id": w.ids["selected_free"]}}
    if key == ("POST", f"{V1}/projects/{{project_id}}/transitions"):
        headers = {"If-Match": w.project_etag(w.ids["project"])}
        return {"json": {"to": "completed", "why": "matrix"}, "headers": headers}
    if key == ("POST", f"{V1}/projects/{{project_id}}/data-products"):
        return {"files": {"file": ("more.csv", PRODUCT_BYTES + b"2,14.0\n", "text/csv")}}
    if key == ("POST", f"{V1}/element-sets"):
        return {
            "params": {"source": "matrix.tle"},
            "content": CSS_TLE.read_bytes(),
            "headers": {"Content-Type": "text/plain"},
        }
    if key == ("POST", f"{V1}/plans"):
        return {"json": {"name": f"plan by {role} (synthetic)", "plan": plan_to_data(tiny_plan())}}
    if key == ("POST", f"{V1}/conjunctions/cdm"):
        return {"content": w.ids["cdm_text"].encode(), "headers": {"Content-Type": "text/plain"}}
    if key == ("POST", f"{V1}/astronaut-candidates"):
        return {"json": {"program_id": "pakistan", "alias": f"Synthetic applicant of {role}", "country": "PK"}}
    if key == ("POST", f"{V1}/astronaut-candidates/{{candidate_id}}/transitions"):
        return {
            "json": {"field": "selection_stage", "to": "selected"},
            "headers": {"If-Match": "*"},
        }
    if key == ("POST", f"{V1}/astronaut-candidates/{{candidate_id}}/assignments"):
        return {
            "json": {"mission_id": "shenzhou-24", "status": "planned", "source": "synthetic"},
            "headers": {"If-Match": "*"},
        }
    if key in QUERIES:
        return {"params": QUERIES[key]}
    if key == ("POST", f"{V1}/plans/{{plan_id}}/publish"):
        return {}  # no body: the plan is in the path
    if key == ("POST", f"{V1}/plan-jobs"):
        return {"json": SMALL_JOB}
    assert method == "GET", f"no request body written for {method} {path}: add one in _body"
    return {}


def _url(method: str, path: str, w: World) -> str:
    proposal = w.ids["draft"] if (method, path) in ON_DRAFT else w.ids["submitted"]
    sha = PRODUCT_SHA if "/data-products/" in path else SHA
    transition = path == f"{V1}/astronaut-candidates/{{candidate_id}}/transitions"
    candidate = "pakistan-2" if transition else CANDIDATE_ID
    return path.format(
        call_id=CALL_ID,
        proposal_id=proposal,
        sha256=sha,
        project_id=w.ids["project"],
        plan_id=w.ids["plan"],
        candidate_id=candidate,
        job_id=w.ids["job"],
        event_id=w.ids["event"],
    )


def _check(response: httpx.Response, expected: Expected) -> None:
    if expected == OK:
        assert 200 <= response.status_code < 300, response.text
        return
    assert response.status_code == expected, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


CASES: Final = [
    pytest.param(method, path, role, expected, id=f"{method} {path.removeprefix(V1)} as {role}")
    for (method, path), expected_by_role in MATRIX.items()
    for role, expected in expected_by_role.items()
]


# --- tests ----------------------------------------------------------------------------------------


def test_every_documented_endpoint_is_in_the_matrix(env: Env) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in env.app.openapi()["paths"].items()
        for method in operations
    }
    missing = sorted(documented - MATRIX.keys())
    gone = sorted(MATRIX.keys() - documented)
    assert not missing, f"endpoints without a row in the authorisation matrix: {missing}"
    assert not gone, f"matrix rows for endpoints the OpenAPI document no longer has: {gone}"
    for key, expected_by_role in MATRIX.items():
        assert tuple(expected_by_role) == ROLES, key


@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES)
def test_authorisation_matrix(
    world: World, method: str, path: str, role: str, expected: Expected
) -> None:
    request = _body(method, path, role, world)
    headers = {**request.pop("headers", {}), **world.auth(role)}
    response = world.client.request(method, _url(method, path, world), headers=headers, **request)
    _check(response, expected)
    if (method, path) == ("POST", f"{V1}/plan-jobs") and response.status_code == 202:
        _wait_for_job(world, response.json()["id"])


# --- what the allowed answers contain -------------------------------------------------------------


def _get(w: World, path: str, role: str) -> Any:
    return _ok(w.client.get(f"{V1}{path}", headers=w.auth(role)), 200)


def test_partner_b_lists_none_of_partner_a_s_proposals(world: World) -> None:
    mine = {p["id"] for p in _get(world, "/proposals", "partner_a")["items"]}
    assert {world.ids["submitted"], world.ids["draft"], world.ids["selected_free"]} <= mine
    assert len(mine) == 4  # and the proposal that became A's project
    assert _get(world, "/proposals", "partner_b")["items"] == []
    every = {p["id"] for p in _get(world, "/proposals", "program_officer")["items"]}
    assert mine <= every


def test_an_unknown_proposal_answers_partner_b_exactly_as_a_s_does(world: World) -> None:
    """404 for someone else's proposal is indistinguishable from a proposal that does not exist."""
    for suffix in ("", "/audit", "/attachments", f"/attachments/{SHA}"):
        theirs = world.client.get(
            f"{V1}/proposals/{world.ids['draft']}{suffix}", headers=world.auth("partner_b")
        )
        unknown = world.client.get(
            f"{V1}/proposals/no-such-proposal{suffix}", headers=world.auth("partner_b")
        )
        assert theirs.status_code == unknown.status_code == 404, suffix
        assert theirs.json()["title"] == unknown.json()["title"], suffix


def test_the_conflicted_reviewer_does_not_see_the_proposal_among_theirs(world: World) -> None:
    submitted = world.ids["submitted"]
    assert [p["id"] for p in _get(world, "/reviews/assigned", "reviewer_r1")] == [submitted]
    assert _get(world, "/reviews/assigned", "reviewer_r2") == []


def test_a_refused_write_changes_nothing(world: World) -> None:
    """Spot check: after B's and R2's refused writes, A's proposals and files are unchanged."""
    before = {key: world.etag(world.ids[key]) for key in ("submitted", "draft")}
    refused: list[tuple[str, str, str]] = [
        ("PATCH", f"{V1}/proposals/{{proposal_id}}", "partner_b"),
        ("POST", f"{V1}/proposals/{{proposal_id}}/transitions", "partner_b"),
        ("POST", f"{V1}/proposals/{{proposal_id}}/attachments", "partner_b"),
        ("PUT", f"{V1}/proposals/{{proposal_id}}/reviews/mine", "reviewer_r2"),
    ]
    for method, path, role in refused:
        request = _body(method, path, role, world)
        headers = {**request.pop("headers", {}), **world.auth(role)}
        r = world.client.request(method, _url(method, path, world), headers=headers, **request)
        assert r.status_code == 404, r.text
    assert {key: world.etag(world.ids[key]) for key in before} == before
    files = _get(world, f"/proposals/{world.ids['draft']}/attachments", "partner_a")["items"]
    assert [f["sha256"] for f in files] == [SHA]
    assert _get(world, f"/proposals/{world.ids['submitted']}/reviews", "program_officer") == []


def test_partner_b_sees_a_s_project_only_in_its_public_view_and_no_embargoed_data(
    world: World,
) -> None:
    project = world.ids["project"]
    full = _get(world, f"/projects/{project}", "partner_a")
    public = _get(world, f"/projects/{project}", "partner_b")
    assert full["owner"] == world.ids["partner_a"]
    assert "owner" not in public
    assert "audit" not in public
    assert public["state"] == full["state"] == "operating"
    products = f"/projects/{project}/data-products"
    assert [p["sha256"] for p in _get(world, products, "partner_a")["items"]] == [PRODUCT_SHA]
    assert _get(world, products, "partner_b")["items"] == []
    assert _get(world, products, "public")["items"] == []


def test_the_public_sees_no_unpublished_candidate_names(world: World) -> None:
    candidates = _get(world, "/astronaut-candidates", "public")["items"]
    pakistani = [c for c in candidates if c["country"] == "PK"]
    assert len(pakistani) == 2
    assert [(c["name"], c["name_published"]) for c in pakistani] == [(None, False)] * 2
    assert all("(name not published)" in c["display_name"] for c in pakistani)
