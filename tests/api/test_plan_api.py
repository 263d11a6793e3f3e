"""Stored plans over the API on SQLite and PostgreSQL: upload (validated first), list, read,
activities by project/resource/time with pagination, publish one current plan, per-role access,
and refusals (invalid plan with nothing stored, oversize body, naive times, unknown ids)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plan_samples import tiny_plan
from spacehome.api import plan_routes
from spacehome.api.app import API_PREFIX, ApiSettings, answer_options, create_app
from spacehome.api.users import DatabaseUserStore
from spacehome.planning.files import plan_to_data
from spacehome.services import accounts

from .conftest import PASSWORD, SECRET, FrozenClock

FAST = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
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
    """A client on a fresh database with the plan routes, a frozen clock, and a token per account."""

    def __init__(self, database_url: str) -> None:
        store = accounts.program_store(database_url)
        self.ids = {
            name: accounts.create_account(
                store, name, role, PASSWORD, now=NOW, partner_org=org, passwords=FAST
            ).id
            for name, (role, org) in ACCOUNTS.items()
        }
        app = create_app(
            ApiSettings(token_secret=SECRET), DatabaseUserStore(store), clock=FrozenClock(NOW), passwords=FAST
        )
        app.include_router(plan_routes.router(database_url), prefix=API_PREFIX)
        answer_options(app)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.auth: dict[str, dict[str, str]] = {"public": {}}
        for name in ACCOUNTS:
            r = self.client.post(f"{V1}/auth/token", data={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.auth[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(f"{V1}{path}", params=params, headers=self.auth[who])

    def post(self, who: str, path: str, body: Any = None) -> Any:
        return self.client.post(f"{V1}{path}", json=body, headers=self.auth[who])





def _upload(name: str, *, overlap: bool = False) -> dict[str, Any]:
    return {"name": name, "plan": plan_to_data(tiny_plan(overlap=overlap))}


def test_store_read_query_and_publish_a_plan(database_url: str) -> None:
    api = Api(database_url)
    created = api.post("pat", "/plans", _upload("increment 1 (synthetic)"))
    assert created.status_code == 201, created.text
    plan = created.json()
    plan_id = plan["id"]
    assert created.headers["Location"].endswith(f"/api/v1/plans/{plan_id}")
    assert plan["name"] == "increment 1 (synthetic)"
    assert plan["created_by"] == api.ids["pat"]
    assert plan["created_at"] == "2026-09-06T09:00:00Z"
    assert plan["horizon"] == {"start": "2026-09-07T00:00:00Z", "end": "2026-09-08T00:00:00Z", "time_unit": "min"}
    assert (plan["solver"], plan["solver_status"], plan["validator_verdict"]) == ("hand", "optimal", "valid")
    assert (plan["objective"], plan["scheduled"], plan["unplaced"], plan["current"]) == (15.0, 3, 0, False)
    assert len(plan["problem"]["sha256"]) == 64

    assert api.get("olga", f"/plans/{plan_id}").json() == plan
    listing = api.get("root", "/plans").json()
    assert [p["id"] for p in listing["items"]] == [plan_id]
    assert listing["total"] == 1
    document = api.get("olga", f"/plans/{plan_id}/document").json()
    assert document == json.loads(json.dumps(plan_to_data(tiny_plan())))

    acts = api.get("pat", f"/plans/{plan_id}/activities").json()
    assert [a["activity"] for a in acts["items"]] == ["exp-a-run-1", "exp-b-run-1", "lunch"]
    assert acts["items"][0] == {
        "activity": "exp-a-run-1", "label": "Experiment A #1", "kind": "run",
        "project_key": "proj-a", "experiment_key": "exp-a",
        "start": "2026-09-07T01:00:00Z", "end": "2026-09-07T02:00:00Z", "duration_s": 3600,
        "start_offset": 60, "end_offset": 120, "resources": ["crew:a", "rack:r1"], "groups": ["KE"],
    }
    by_project = api.get("olga", f"/plans/{plan_id}/activities", project="proj-b").json()
    assert [a["activity"] for a in by_project["items"]] == ["exp-b-run-1"]
    by_resource = api.get("olga", f"/plans/{plan_id}/activities", resource="crew:a").json()
    assert [a["activity"] for a in by_resource["items"]] == ["exp-a-run-1", "lunch"]
    window = api.get(
        "olga", f"/plans/{plan_id}/activities", **{"from": "2026-09-07T09:00:00+08:00", "to": "2026-09-07T12:00:00Z"}
    ).json()  # 01:00Z .. 12:00Z, half-open: A and B, not lunch at 12:00Z
    assert [a["activity"] for a in window["items"]] == ["exp-a-run-1", "exp-b-run-1"]
    paged = api.get("olga", f"/plans/{plan_id}/activities", limit=1, offset=2).json()
    assert ([a["activity"] for a in paged["items"]], paged["total"]) == (["lunch"], 3)

    naive = api.get("olga", f"/plans/{plan_id}/activities", **{"from": "2026-09-07T09:00:00"})
    assert naive.status_code == 422
    assert "has no time zone" in naive.json()["detail"]
    backwards = api.get("olga", f"/plans/{plan_id}/activities", **{"from": "2026-09-08T00:00:00Z", "to": "2026-09-07T00:00:00Z"})
    assert backwards.status_code == 422
    assert api.get("olga", "/plans/nope").status_code == 404
    assert api.get("olga", "/plans/nope/activities").status_code == 404

    assert api.get("pat", "/plans/current").status_code == 404
    second = api.post("root", "/plans", _upload("increment 1, v2")).json()
    published = api.post("pat", f"/plans/{plan_id}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["current"] is True
    assert api.post("root", f"/plans/{second['id']}/publish").json()["published_at"] == "2026-09-06T09:00:00Z"
    current = api.get("olga", "/plans/current").json()
    assert current["id"] == second["id"]
    assert current["current"] is True
    flags = {p["name"]: p["current"] for p in api.get("olga", "/plans").json()["items"]}
    assert flags == {"increment 1 (synthetic)": False, "increment 1, v2": True}
    assert api.post("pat", "/plans/nope/publish").status_code == 404


def test_refusals_and_roles(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api = Api(database_url)
    bad = api.post("pat", "/plans", _upload("broken", overlap=True))
    assert bad.status_code == 422
    detail = bad.json()["detail"]
    assert "the validator found 1 violation(s), nothing was stored: capacity: resource 'rack:r1'" in detail
    assert "\n" not in detail
    assert api.get("pat", "/plans").json()["total"] == 0

    assert api.post("pat", "/plans", {"name": "x", "plan": {}, "extra": 1}).status_code == 422
    assert api.post("pat", "/plans", {"name": "", "plan": {}}).status_code == 422
    assert api.post("pat", "/plans", {"name": "x", "plan": {"format": "nope"}}).status_code == 422
    nan = json.dumps(_upload("nan")).replace('"bound": 15.0', '"bound": NaN').encode()
    refused_nan = api.client.post(f"{V1}/plans", content=nan, headers=api.auth["pat"])
    assert refused_nan.status_code == 422
    assert "NaN or infinite" in refused_nan.json()["detail"]
    nul = _upload("nul")
    nul["plan"]["problem"]["activities"][0]["label"] = "A\x00"
    refused_nul = api.post("pat", "/plans", nul)
    assert refused_nul.status_code == 422
    assert "NUL character" in refused_nul.json()["detail"]
    not_json = api.client.post(f"{V1}/plans", content=b"{not json", headers=api.auth["pat"])
    assert not_json.status_code == 422
    monkeypatch.setattr(plan_routes, "MAX_PLAN_BYTES", 1000)
    big = api.post("pat", "/plans", _upload("too big"))
    assert big.status_code == 413
    assert "more than the limit of 1000" in big.json()["detail"]
    monkeypatch.undo()

    plan_id = api.post("pat", "/plans", _upload("ok")).json()["id"]
    reads = ["/plans", "/plans/current", f"/plans/{plan_id}", f"/plans/{plan_id}/activities", f"/plans/{plan_id}/document"]
    for path in reads:
        assert api.get("public", path).status_code == 401, path
        assert api.get("alice", path).status_code == 403, path
        assert api.get("rita", path).status_code == 403, path
    for who, code in (("public", 401), ("alice", 403), ("rita", 403), ("olga", 403)):
        assert api.post(who, "/plans", _upload("nope")).status_code == code, who
        assert api.post(who, f"/plans/{plan_id}/publish").status_code == code, who
    assert api.get("pat", "/plans").json()["total"] == 1
    assert api.get("pat", "/plans/current").status_code == 404
    far = api.get("pat", f"/plans/{plan_id}/activities", **{"from": "9999-12-31T23:59:59-01:00"})
    assert far.status_code == 422
    assert "out of range in UTC" in far.json()["detail"]
    assert api.get("pat", "/plans/a%00b").status_code == 422
