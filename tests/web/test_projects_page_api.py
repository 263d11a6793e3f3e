"""``GET /api/v1/partner-countries`` (the Projects page's map): the first UNOOSA-CMSA cycle's
countries from the station record with their ISO codes and project counts, project states equal
to the project service's (also after a change), a partner's new project counted under its team's
countries without leaking its owner, and the record's agreements and astronaut programs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pycountry
import pytest
from fastapi.testclient import TestClient

from spacehome.api.app import API_PREFIX, ApiSettings
from spacehome.api.main import build_app
from spacehome.domain.program import Modality, ProposalState, Role
from spacehome.domain.projects import ProjectState
from spacehome.services import accounts
from spacehome.services.attachments import BlobStore
from spacehome.services.first_cycle import FIRST_CYCLE
from spacehome.services.program import Actor, ProgramService
from spacehome.services.projects import ProjectService
from spacehome.services.reference import load_reference_data
from spacehome.services.station import default_record

SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery staple"
FAST = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
NOW = datetime(2026, 9, 6, 9, 0, tzinfo=UTC)
URL = f"{API_PREFIX}/partner-countries"
OFFICER = Actor("officer-id", Role.PROGRAM_OFFICER)


@pytest.fixture
def loaded_url(database_url: str) -> str:
    """An empty database (SQLite and PostgreSQL) with the station record's reference data."""
    load_reference_data(database_url, now=NOW)
    return database_url


@pytest.fixture
def client(loaded_url: str, tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(loaded_url, ApiSettings(token_secret=SECRET), blobs=BlobStore(tmp_path / "blobs"))
    with TestClient(app) as c:
        yield c


def _countries(client: TestClient, **kwargs: Any) -> dict[str, Any]:
    response = client.get(URL, **kwargs)
    assert response.status_code == 200, response.text
    return {c["alpha2"]: c for c in response.json()["countries"]}


def _partner_project(database_url: str, tmp_path: Path) -> tuple[str, str]:
    """A project of a Kenyan partner's selected proposal, with a Peruvian partner institution:
    (project id, partner account id)."""
    store = accounts.program_store(database_url)
    partner = accounts.create_account(
        store, "kenya", "partner", PASSWORD, now=NOW, partner_org="University of Nairobi", passwords=FAST
    )
    program = ProgramService.open(database_url)
    program.create_call(
        call_id="page-cycle",
        title="Page cycle",
        modalities=[Modality.OWN_EXPERIMENT],
        opens_at=(NOW - timedelta(days=1)).isoformat(),
        closes_at=(NOW + timedelta(days=60)).isoformat(),
        envelope={"crew_hours": 500, "upmass_kg": 500, "downlink_gb": 100},
        eligible_countries=None,
        now=NOW,
    )
    owner = Actor(partner.id, Role.PARTNER)
    stored = program.create_proposal(
        owner,
        "page-cycle",
        title="Soil microbes in microgravity",
        discipline="space life sciences",
        modality=Modality.OWN_EXPERIMENT,
        team={
            "lead": {"name": "University of Nairobi", "country": "KE"},
            "partners": [{"name": "Pontificia Universidad Católica del Perú", "country": "PE"}],
        },
        request={"crew_hours": 10},
        abstract="",
        now=NOW,
    )
    pid = stored.proposal.id
    for actor, to in (
        (owner, ProposalState.SUBMITTED),
        (OFFICER, ProposalState.UNDER_REVIEW),
        (OFFICER, ProposalState.SHORTLISTED),
        (OFFICER, ProposalState.SELECTED),
    ):
        version = program.read_proposal(actor, pid).version
        program.change_state(actor, pid, to, why="", expected_version=version, now=NOW)
    projects = ProjectService.open(database_url, blobs_root=tmp_path / "blobs")
    project = projects.create(OFFICER, pid, planner_key="soil-microbes", now=NOW)
    return project.project.id, partner.id


def test_the_first_cycle_s_countries_appear_with_iso_codes_and_project_counts(client: TestClient) -> None:
    countries = _countries(client)  # no login: a public read
    kenya = countries["KE"]
    assert kenya["name"] == "Kenya"
    assert kenya["numeric"] == "404"
    assert kenya["project_count"] == 1
    (baridi,) = kenya["projects"]
    assert baridi["acronym"] == "BARIDI SANA"
    # the record: led by Sapienza (Italy), Kenya's Machakos University a partner (the record
    # names no University of Nairobi in the first cycle)
    assert baridi["lead_institution"] == "Sapienza University of Rome (PI Fabio Santoni)"
    assert baridi["lead_country"] == "IT"
    assert baridi["state"] == "selected"
    assert baridi["selection"] == "conditional"
    assert kenya["projects_led"] == 0
    assert countries["IT"]["projects_led"] == 1
    assert countries["PE"]["numeric"] == "604"
    assert [p["acronym"] for p in countries["PE"]["projects"]] == ["I.R.M.A."]
    # POLAR-2: in development as the record's status says, in all four of its countries
    for code in ("CH", "DE", "PL", "CN"):
        assert {"POLAR-2": "development"}.items() <= {p["acronym"]: p["state"] for p in countries[code]["projects"]}.items()
    assert countries["BE"]["project_count"] == 2
    assert countries["IN"]["project_count"] == 2


def test_the_countries_with_projects_are_exactly_the_record_s_first_cycle_countries(client: TestClient) -> None:
    record = default_record()
    expected = {
        code
        for p in record.projects
        if p.cycle == FIRST_CYCLE
        for code in (p.countries.value or ())
    }
    countries = _countries(client)
    assert {code for code, c in countries.items() if c["project_count"]} == expected
    for code, country in countries.items():
        iso = pycountry.countries.get(alpha_2=code)
        assert iso is not None
        assert country["numeric"] == iso.numeric
        assert len(country["numeric"]) == 3
        assert country["name"] == iso.name
    # every project of the record with countries is counted in each of them
    for p in record.projects:
        for code in p.countries.value or ():
            assert p.id in {e["id"] for e in countries[code]["projects"]}


def test_the_states_equal_the_project_service_s_also_after_a_change(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    before = _countries(client)
    listed = client.get(f"{API_PREFIX}/projects", params={"limit": 500}).json()["items"]
    service_states = {p["id"]: p["state"] for p in listed}
    for country in before.values():
        for p in country["projects"]:
            assert p["state"] == service_states[p["id"]]
    service = ProjectService.open(database_url, blobs_root=tmp_path / "blobs")
    _, version = service.read(OFFICER, "baridi-sana")
    service.change_state(
        OFFICER, "baridi-sana", ProjectState.DEVELOPMENT, why="test", launched_on=None,
        expected_version=version, now=NOW,
    )
    after = _countries(client)
    for code in ("KE", "IT"):
        (entry,) = [p for p in after[code]["projects"] if p["id"] == "baridi-sana"]
        assert entry["state"] == "development"
        assert after[code]["states"].get("development") == 1


def test_the_unidentified_project_and_the_organisations_are_listed_but_not_mapped(client: TestClient) -> None:
    body = client.get(URL).json()
    assert body["total_projects"] == 9
    (unknown,) = body["projects_without_countries"]
    assert unknown["id"] == "unidentified-9"
    assert unknown["title"] is None
    assert {o["id"] for o in body["organisations"]} == {"unoosa-mou-2016", "esa"}
    assert all(c["alpha2"] for c in body["countries"])


def test_agreements_and_astronaut_programs_come_from_the_record(client: TestClient) -> None:
    countries = _countries(client)
    pakistan = countries["PK"]
    assert pakistan["project_count"] == 0
    assert [a["id"] for a in pakistan["agreements"]] == ["pakistan-2025"]
    assert pakistan["agreements"][0]["signed"]["value"].startswith("2025-02-28")
    assert [p["id"] for p in pakistan["astronaut_programs"]] == ["pakistan"]
    assert [a["id"] for a in countries["SA"]["agreements"]] == ["saudi-arabia-2021"]
    assert countries["CN"]["host"] is True
    assert countries["KE"]["host"] is False
    assert [p["id"] for p in countries["CN"]["astronaut_programs"]] == ["hong-kong-macao"]


def test_a_partner_s_new_project_is_counted_in_its_team_s_countries_without_its_owner(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    project_id, owner_id = _partner_project(database_url, tmp_path)
    countries = _countries(client)
    assert countries["KE"]["project_count"] == 2
    assert countries["PE"]["project_count"] == 2
    (entry,) = [p for p in countries["PE"]["projects"] if p["id"] == project_id]
    assert entry == {
        "id": project_id,
        "title": "Soil microbes in microgravity",
        "acronym": "",
        "state": "selected",
        "selection": "unconditional",
        "cycle": "page-cycle",
        "lead_institution": "University of Nairobi",
        "lead_country": "KE",
        "reference": False,
    }
    assert owner_id not in client.get(URL).text
    # the same answer with the owner's login: one public read model for everyone
    token = client.post(
        f"{API_PREFIX}/auth/token", data={"username": "kenya", "password": PASSWORD}
    ).json()["access_token"]
    assert _countries(client, headers={"Authorization": f"Bearer {token}"}) == countries
