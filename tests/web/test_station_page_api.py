"""``GET /api/v1/station/history`` (the dashboard's Station page): the slider's span and the
configuration events, checked against the station record and against ``GET /station?at=``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spacehome.api import reads, station_history_routes
from spacehome.api.app import API_PREFIX, ApiSettings, create_app
from spacehome.api.security import InMemoryUserStore
from spacehome.domain.instant import format_utc
from spacehome.domain.timeline import EventKind, events
from spacehome.services import station

SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
CLOCK = datetime(2026, 12, 3, 14, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app: FastAPI = create_app(ApiSettings(token_secret=SECRET), InMemoryUserStore([]), clock=lambda: CLOCK)
    app.include_router(reads.router(None), prefix=API_PREFIX)
    app.include_router(station_history_routes.router(None), prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def history(client: TestClient) -> dict[str, Any]:
    response = client.get(f"{API_PREFIX}/station/history")  # public: no token
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=300"
    body: dict[str, Any] = response.json()
    return body


def _event(history: dict[str, Any], mission: str, kind: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        e for e in history["events"] if e["mission_id"] == mission and e["kind"] == kind
    ]
    assert len(found) == 1, (mission, kind, found)
    return found[0]


def test_the_span_runs_from_tianhes_launch_to_where_the_record_ends(history: dict[str, Any]) -> None:
    record = station.default_record()
    assert history["start"] == "2021-04-29T03:23:15Z"
    assert history["start"] == format_utc(record.mission("tianhe").launch.when.value)  # type: ignore[arg-type]
    assert history["end"] == "2026-05-24T15:08:00Z"
    assert history["end"] == format_utc(record.meta.complete_through)
    assert history["end_note"] == record.meta.coverage_note
    assert history["station"] == "China Space Station"
    assert [p["port"] for p in history["ports"]] == ["forward", "nadir", "aft", "port", "starboard", "zenith"]
    assert [p["port"] for p in history["ports"] if not p["docking"]] == ["zenith"]


def test_the_events_start_with_tianhes_launch_and_are_in_time_order(history: dict[str, Any]) -> None:
    first = history["events"][0]
    assert (first["at"], first["kind"], first["mission"]) == ("2021-04-29T03:23:15Z", "launch", "Tianhe")
    assert first["label"] == "Tianhe core module launched on Long March 5B Y2: the station begins"
    dated = [e["at"] for e in history["events"] if e["at"] is not None]
    assert dated == sorted(dated)
    assert all(history["start"] <= at <= history["end"] for at in dated)
    assert {e["kind"] for e in history["events"][1:]} == {"docking", "relocation", "undocking"}
    # every docking, relocation and undocking of the record's timeline, and nothing else
    record = station.default_record()
    kinds = {EventKind.DOCKING, EventKind.RELOCATION, EventKind.UNDOCKING}
    expected = [(e.mission.id, e.kind.value, e.port) for e in events(record) if e.kind in kinds]
    assert [(e["mission_id"], e["kind"], e["port"]) for e in history["events"][1:]] == expected
    assert len(history["events"]) == 45


def test_wentian_and_mengtian_berth_forward_and_move_to_their_true_ports(history: dict[str, Any]) -> None:
    wentian = _event(history, "wentian", "docking")
    assert (wentian["at"], wentian["port"], wentian["mission_kind"]) == ("2022-07-24T19:13:00Z", "forward", "module")
    assert wentian["label"] == "Wentian berthed at the forward port"
    moved = _event(history, "wentian", "relocation")
    assert (moved["at"], moved["from_port"], moved["port"]) == ("2022-09-30T04:44:00Z", "forward", "starboard")
    mengtian = _event(history, "mengtian", "docking")
    assert (mengtian["at"], mengtian["port"]) == ("2022-10-31T20:27:00Z", "forward")
    moved = _event(history, "mengtian", "relocation")
    assert (moved["at"], moved["from_port"], moved["port"]) == ("2022-11-03T01:32:00Z", "forward", "port")
    assert moved["label"] == "Mengtian moved from the forward port to the port-side port"
    # the same instants as the record's module berthings
    record = station.default_record()
    for module in ("wentian", "mengtian"):
        starts = [format_utc(b.start.value) for b in record.mission(module).berthings]  # type: ignore[arg-type]
        assert starts == [_event(history, module, k)["at"] for k in ("docking", "relocation")]
    assert not [e for e in history["events"] if e["mission_id"] in {"wentian", "mengtian"} and e["kind"] == "undocking"]


def test_crews_arrive_with_their_ship_and_leave_with_their_ride_home(history: dict[str, Any]) -> None:
    arrival = _event(history, "shenzhou-15", "docking")
    assert [p["name"] for p in arrival["crew_arriving"]] == ["Fei Junlong", "Deng Qingming", "Zhang Lu"]
    assert arrival["label"] == "Shenzhou-15 docked at the forward port with Fei Junlong, Deng Qingming, Zhang Lu"
    assert {p["nationality"] for p in arrival["crew_arriving"]} == {"CN"}
    # the Shenzhou-20 crew came home in Shenzhou-21 after their ship's window cracked ...
    swap = _event(history, "shenzhou-21", "undocking")
    assert (swap["at"], swap["port"]) == ("2025-11-14T03:14:00Z", "forward")
    assert [p["name"] for p in swap["crew_departing"]] == ["Chen Dong", "Chen Zhongrui", "Wang Jie"]
    # ... and Shenzhou-20 left empty; Shenzhou-22 came up empty
    empty = _event(history, "shenzhou-20", "undocking")
    assert (empty["at"], empty["crew_departing"]) == ("2026-01-18T16:23:00Z", [])
    assert empty["label"] == "Shenzhou-20 undocked from the nadir port, uncrewed"
    assert _event(history, "shenzhou-22", "docking")["label"] == "Shenzhou-22 docked at the forward port, uncrewed"
    cargo = _event(history, "tianzhou-5", "docking")
    assert cargo["label"] == "Tianzhou-5 docked at the aft port"
    assert cargo["crew_arriving"] == []


def test_an_undocking_without_a_time_has_no_instant_but_its_bound(history: dict[str, Any]) -> None:
    event = _event(history, "tianzhou-9", "undocking")
    assert event["at"] is None
    assert event["when"]["status"] == "unknown"
    assert event["when"]["earliest"] == "2025-07-15T00:52:00Z"
    assert event["label"] == "Tianzhou-9 undocked from the aft port (time not in the record: after 2025-07-15T00:52:00Z)"


def test_each_event_is_what_the_station_view_shows_at_its_instant(client: TestClient, history: dict[str, Any]) -> None:
    aboard: set[str] = set()
    for event in history["events"]:
        aboard |= {p["id"] for p in event["crew_arriving"]}
        aboard -= {p["id"] for p in event["crew_departing"]}
        if event["at"] is None:
            continue
        response = client.get(f"{API_PREFIX}/station", params={"at": event["at"]})
        assert response.status_code == 200, response.text
        view = response.json()
        ports = {p["port"]: (p["occupant"] or {}).get("id") for p in view["ports"]}
        if event["kind"] in {"docking", "relocation"}:
            assert ports[event["port"]] == event["mission_id"], event["label"]
        if event["kind"] == "relocation":
            assert ports[event["from_port"]] != event["mission_id"], event["label"]
        if event["kind"] == "undocking":
            assert ports[event["port"]] != event["mission_id"], event["label"]
        certain = {p["id"] for p in view["crew"] if p["certainty"] == "certain"}
        assert certain == aboard, event["label"]
    # six aboard in the first in-orbit handover, after Shenzhou-15 docked
    handover = client.get(f"{API_PREFIX}/station", params={"at": "2022-12-01T00:00:00Z"}).json()
    assert handover["crew_count"] == 6
    assert [m["attached_at"] for m in handover["modules"]] == ["core", "starboard", "port"]

