"""The Timeline page's API: a stored plan's timeline (lanes equal to its assignments, profiles as
step functions, eclipse bands equal to the orbit engine's, unscheduled with reasons, shares),
solve and replan jobs run to a stored plan the validator accepts, and refusals (401, 403, 404,
409 while a job runs, 422 naming the field)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plan_samples import tiny_plan
from spacehome.api import plan_routes, timeline_routes
from spacehome.api.app import API_PREFIX, ApiSettings, answer_options, create_app
from spacehome.api.users import DatabaseUserStore
from spacehome.planning.files import plan_from_data, plan_to_data
from spacehome.planning.validate import validate
from spacehome.services import accounts, orbit
from spacehome.services.plans import PlanService

FAST = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 9, 6, 9, 0, tzinfo=UTC)
V1 = API_PREFIX
ACCOUNTS = {
    "pat": ("planner", None),
    "olga": ("program_officer", None),
    "root": ("admin", None),
    "alice": ("partner", "Kenya Space Agency"),
    "rita": ("reviewer", None),
}


class Api:
    def __init__(self, database_url: str) -> None:
        store = accounts.program_store(database_url)
        self.ids = {
            name: accounts.create_account(store, name, role, PASSWORD, now=NOW, partner_org=org, passwords=FAST).id
            for name, (role, org) in ACCOUNTS.items()
        }
        app = create_app(ApiSettings(token_secret=SECRET), DatabaseUserStore(store), clock=lambda: NOW, passwords=FAST)
        app.include_router(plan_routes.router(database_url), prefix=API_PREFIX)
        app.include_router(timeline_routes.router(database_url), prefix=API_PREFIX)
        answer_options(app)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.auth: dict[str, dict[str, str]] = {"public": {}}
        for name in ACCOUNTS:
            r = self.client.post(f"{V1}/auth/token", data={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.auth[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def get(self, who: str, path: str) -> Any:
        return self.client.get(f"{V1}{path}", headers=self.auth[who])

    def post(self, who: str, path: str, body: Any = None) -> Any:
        return self.client.post(f"{V1}{path}", json=body, headers=self.auth[who])

    def store_tiny(self, name: str = "tiny") -> str:
        r = self.post("pat", "/plans", {"name": name, "plan": plan_to_data(tiny_plan())})
        assert r.status_code == 201, r.text
        plan_id: str = r.json()["id"]
        return plan_id

    def wait(self, job_id: str, timeout_s: float = 90.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.get("pat", f"/plan-jobs/{job_id}").json()
            if job["status"] != "running":
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish in {timeout_s} s")


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'spacehome.sqlite3'}"


def test_the_timeline_of_a_stored_plan_equals_its_assignments(database_url: str) -> None:
    api = Api(database_url)
    plan_id = api.store_tiny()
    r = api.get("olga", f"/plans/{plan_id}/timeline")
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["plan"]["id"] == plan_id
    assert view["horizon"] == {"start": "2026-09-07T00:00:00Z", "end": "2026-09-08T00:00:00Z", "seconds": 86400}
    # one entry per assignment, by start, times in seconds from the horizon start
    got = [(a["id"], a["s"], a["e"]) for a in view["activities"]]
    assert got == [("exp-a-run-1", 3600, 7200), ("exp-b-run-1", 7200, 9000), ("lunch", 43200, 45000)]
    resources = [r["id"] for r in view["resources"]]
    assert [resources[i] for i in view["activities"][0]["resources"]] == ["crew:a", "rack:r1"]
    assert view["activities"][0]["project"] == "proj-a"
    assert view["activities"][0]["value"] == 10
    lanes = {lane["id"]: [view["activities"][i]["id"] for i in lane["items"]] for lane in view["lanes"]}
    # the tiny plan's resources carry no crew/rack tags: everything is in the 'other' lane
    assert lanes == {"other": ["exp-a-run-1", "exp-b-run-1", "lunch"]}
    assert [p["id"] for p in view["profiles"]] == ["power", "downlink", "storage"]
    assert all(p["modelled"] is False and p["steps"] == [] for p in view["profiles"])
    assert view["unscheduled"] == []
    shares = {s["country"]: s for s in view["shares"]}
    assert shares["KE"]["value"] == 10.0
    assert shares["PE"]["value"] == 5.0
    # the current alias
    assert api.get("pat", "/plans/current/timeline").status_code == 404
    assert api.post("pat", f"/plans/{plan_id}/publish").status_code == 200
    current = api.get("root", "/plans/current/timeline").json()
    assert current["plan"]["id"] == plan_id
    assert current["plan"]["current"] is True


def test_eclipse_and_contact_bands_equal_the_orbit_engine(sqlite_url: str) -> None:
    api = Api(sqlite_url)
    plan_id = api.store_tiny()
    bands = api.get("pat", f"/plans/{plan_id}/timeline").json()["bands"]
    start = datetime(2026, 9, 7, tzinfo=UTC)
    eclipses = orbit.eclipses_view(start, 1.0, database_url=sqlite_url)["eclipses"]
    expected = []
    for x in eclipses:
        a = 0 if x["shadow_entry"] is None else round((datetime.fromisoformat(x["shadow_entry"]) - start).total_seconds())
        b = 86400 if x["shadow_exit"] is None else round((datetime.fromisoformat(x["shadow_exit"]) - start).total_seconds())
        expected.append([max(a, 0), min(b, 86400)])
    assert bands["eclipses"] == expected
    assert 14 <= len(expected) <= 17  # about 15.6 orbits a day, most with a shadow
    contacts = orbit.contacts_view(start, 1.0, database_url=sqlite_url)
    by_station = {s["id"]: s["contacts"] for s in bands["stations"]}
    assert set(by_station) == {s["id"] for s in contacts["stations"]}
    assert sum(len(v) for v in by_station.values()) == len(contacts["contacts"])
    first = contacts["contacts"][0]
    a = max(0, round((datetime.fromisoformat(first["acquisition"]) - start).total_seconds()))
    assert by_station[first["station"]][0][0] == a


def test_a_solve_job_stores_a_valid_plan_and_its_timeline_has_lanes_and_profiles(sqlite_url: str) -> None:
    api = Api(sqlite_url)
    r = api.post("pat", "/plan-jobs", {"kind": "solve", "days": 3, "seed": 5, "solver": "greedy", "time_limit_s": 5})
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["Location"].endswith(f"/api/v1/plan-jobs/{job['id']}")
    assert job["kind"] == "solve"
    assert job["params"]["days"] == 3
    assert job["params"]["start"] == "2026-09-07T00:00:00Z"
    done = api.wait(job["id"])
    assert done["status"] == "succeeded", done["error"]
    assert done["phase"] == "done"
    assert done["fraction"] == 1.0
    result = done["result"]
    assert result["solver"] == "greedy"
    assert result["scheduled"] > 50
    plan_id = result["plan"]["id"]
    assert result["plan"]["validator_verdict"] == "valid" or result["plan"]["validator_verdict"]
    stored = plan_from_data(PlanService.open(sqlite_url).plan_document(plan_id))
    assert validate(stored.problem, stored.solution) == []
    assert len(stored.solution.assignments) == result["scheduled"]
    # the job list shows it
    assert [j["id"] for j in api.get("root", "/plan-jobs").json()["items"]] == [job["id"]]
    # its timeline: lanes equal the stored plan's assignments, profiles are step functions
    view = api.get("pat", f"/plans/{plan_id}/timeline").json()
    assignments = {a.activity: a for a in stored.solution.assignments}
    assert {a["id"] for a in view["activities"]} == set(assignments)
    crew_lanes = [lane for lane in view["lanes"] if lane["kind"] == "crew"]
    assert [lane["label"] for lane in crew_lanes][:3] == ["Lai Ka-ying", "Zhang Zhiyuan", "Zhu Yangzhu"]
    lane = next(lane for lane in view["lanes"] if lane["id"] == "crew:zhu-yangzhu")
    expected = sorted(
        (a.start * 60, a.activity) for a in stored.solution.assignments
        if {"crew:zhu-yangzhu", "crew-day:zhu-yangzhu"} & set(a.resources)
    )
    assert [(view["activities"][i]["s"], view["activities"][i]["id"]) for i in lane["items"]] == expected
    power = next(p for p in view["profiles"] if p["id"] == "power")
    assert power["modelled"] is True
    assert power["steps"][0][0] == 0
    assert all(0 <= used <= cap for _, used, cap in power["steps"])
    assert {cap for _, _, cap in power["steps"]} == {3500, 6000}  # eclipse and sunlit payload power
    storage = next(p for p in view["profiles"] if p["id"] == "storage")
    assert all(0 <= level <= cap for _, level, cap in storage["steps"])
    # every unscheduled row has a reason
    assert all(u["reason"] for u in view["unscheduled"])


def test_a_replan_job_around_a_crew_outage_is_stored_and_published(sqlite_url: str) -> None:
    api = Api(sqlite_url)
    first = api.wait(api.post("pat", "/plan-jobs", {"kind": "solve", "days": 3, "solver": "greedy", "time_limit_s": 5,
                                                      "publish": True}).json()["id"])
    assert first["status"] == "succeeded"
    assert first["result"]["plan"]["current"] is True
    body = {"kind": "replan", "time_limit_s": 20, "publish": True,
            "disruption": {"kind": "crew-unavailable", "crew": "zhu-yangzhu", "start_min": 1440, "duration_min": 600}}
    r = api.post("root", "/plan-jobs", body)
    assert r.status_code == 202, r.text
    done = api.wait(r.json()["id"], timeout_s=120)
    assert done["status"] == "succeeded", done["error"]
    plan = done["result"]["plan"]
    assert plan["current"] is True
    assert "replanned: crew member zhu-yangzhu unavailable 1440-2040 min" in plan["name"]
    stored = plan_from_data(PlanService.open(sqlite_url).plan_document(plan["id"]))
    assert validate(stored.problem, stored.solution) == []
    work = [a for a in stored.solution.assignments if "crew:zhu-yangzhu" in a.resources]
    assert not [a for a in work if a.start < 2040 and a.end > 1440]


def test_a_second_job_while_one_runs_is_a_conflict(sqlite_url: str) -> None:
    api = Api(sqlite_url)
    r = api.post("pat", "/plan-jobs", {"kind": "solve", "days": 3, "solver": "cp-sat", "time_limit_s": 3})
    assert r.status_code == 202
    second = api.post("root", "/plan-jobs", {"kind": "solve", "days": 3, "solver": "greedy"})
    assert second.status_code == 409
    assert "still running" in second.json()["detail"]
    assert api.wait(r.json()["id"])["status"] == "succeeded"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "solve", "days": 2}, "days"),
        ({"kind": "solve", "days": 91}, "days"),
        ({"kind": "solve", "time_limit_s": 121}, "time_limit_s"),
        ({"kind": "solve", "solver": "magic"}, "solver"),
        ({"kind": "solve", "start": "2026-09-07T00:00:00"}, "start"),
        ({"kind": "launch"}, "kind"),
        ({"kind": "replan", "disruption": {"kind": "crew-unavailable", "crew": "x"}}, "plan_id"),
    ],
)
def test_bad_job_inputs_are_422_naming_the_field(sqlite_url: str, body: dict[str, Any], field: str) -> None:
    api = Api(sqlite_url)
    r = api.post("pat", "/plan-jobs", body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


def test_bad_disruptions_are_422_naming_the_field(sqlite_url: str) -> None:
    api = Api(sqlite_url)
    plan_id = api.store_tiny()
    cases = [
        ({"kind": "crew-unavailable", "start_min": 10}, "disruption.crew"),
        ({"kind": "crew-unavailable", "crew": "nobody", "start_min": 10, "duration_min": 5}, "disruption.crew"),
        ({"kind": "rack-failure", "rack": "r9", "start_min": 10}, "disruption.rack"),
        ({"kind": "crew-unavailable", "crew": "a"}, "disruption.start_min"),
    ]
    for disruption, field in cases:
        r = api.post("pat", "/plan-jobs", {"kind": "replan", "plan_id": plan_id, "disruption": disruption})
        assert r.status_code == 422, (disruption, r.text)
        assert r.json()["errors"][0]["field"] == field, (disruption, r.json())
    r = api.post("pat", "/plan-jobs", {"kind": "replan", "plan_id": "nope", "disruption": {"kind": "debris-avoidance", "start_min": 5}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "plan_id"


def test_roles(sqlite_url: str) -> None:
    api = Api(sqlite_url)
    plan_id = api.store_tiny()
    for who, code in (("public", 401), ("alice", 403), ("rita", 403), ("olga", 200), ("pat", 200), ("root", 200)):
        assert api.get(who, f"/plans/{plan_id}/timeline").status_code == code, who
    for who, code in (("public", 401), ("alice", 403), ("rita", 403), ("olga", 403)):
        assert api.post(who, "/plan-jobs", {"kind": "solve"}).status_code == code, who
        assert api.get(who, "/plan-jobs").status_code == code, who
        assert api.get(who, "/plan-jobs/abc").status_code == code, who
    assert api.get("pat", "/plan-jobs/abc").status_code == 404
    assert api.get("pat", "/plans/nope/timeline").status_code == 404
