"""The command line, human and JSON, as a user runs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from spacehome.cli import main

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(main.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_station_json_first_handover() -> None:
    code, out, _ = invoke("station", "--at", "2022-12-01T00:00:00Z", "--json")
    assert code == 0
    view = json.loads(out)
    assert [m["name"] for m in view["modules"]] == ["Tianhe", "Wentian", "Mengtian"]
    assert view["crew_count"] == 6
    missions = {p["mission"] for p in view["crew"]}
    assert missions == {"Shenzhou-14", "Shenzhou-15"}
    assert view["requested_at"] == "2022-12-01T00:00:00Z"
    assert view["beyond_record"] is False


def test_station_accepts_beijing_time() -> None:
    code, out, _ = invoke("station", "--at", "2022-12-01T08:00:00+08:00", "--json")
    assert code == 0
    assert json.loads(out)["state_at"] == "2022-12-01T00:00:00Z"


def test_station_human_output() -> None:
    code, out, _ = invoke("station", "--at", "2022-12-01T00:00:00Z")
    assert code == 0
    assert "Crew aboard (6)" in out
    assert "Shenzhou-15" in out
    assert "Wentian" in out
    assert "starboard" in out
    assert "Cold Atom Physics Rack" in out


def test_station_now_says_where_the_record_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main, "clock", lambda: datetime(2026, 11, 22, tzinfo=UTC))
    code, out, _ = invoke("station")
    assert code == 0
    assert "record ends 2026-05-24T15:08:00Z" in out
    assert "Shenzhou-23 was launched; its docking is not in the record" in out


@pytest.mark.parametrize("command", [["station", "--at"], ["crew", "--aboard-at"]])
def test_naive_time_is_refused_in_one_line(command: list[str]) -> None:
    code, out, err = invoke(*command, "2022-12-01T00:00:00")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "has no time zone" in err
    assert "2022-12-01T00:00:00Z" in err
    assert "Traceback" not in err


def test_before_the_station_existed() -> None:
    code, _, err = invoke("station", "--at", "2020-01-01T00:00:00Z")
    assert code == 2
    assert "did not exist" in err


def test_crew_aboard_shenzhou_12() -> None:
    code, out, _ = invoke("crew", "--aboard-at", "2021-07-01T00:00:00Z")
    assert code == 0
    for name in ("Nie Haisheng", "Liu Boming", "Tang Hongbo"):
        assert name in out
    assert "Aboard at 2021-07-01T00:00:00Z (3)" in out


def test_crew_after_the_record_is_unknown() -> None:
    code, out, _ = invoke("crew", "--aboard-at", "2026-08-01T00:00:00Z", "--json")
    view = json.loads(out)
    assert code == 0
    assert view["people"] == []
    assert "crew after that unknown" in view["notes"][0]


def test_crew_by_region() -> None:
    code, out, _ = invoke("crew", "--nationality", "HK", "--json")
    assert code == 0
    assert [p["name"] for p in json.loads(out)["people"]] == ["Lai Ka-ying"]


def test_crew_bad_country() -> None:
    code, _, err = invoke("crew", "--nationality", "ZZ")
    assert code == 2
    assert "not an ISO 3166-1 country code" in err


def test_missions_filter() -> None:
    code, out, _ = invoke("missions", "--kind", "cargo", "--year", "2022", "--json")
    assert code == 0
    assert [m["name"] for m in json.loads(out)] == ["Tianzhou-4", "Tianzhou-5"]
    code, out, _ = invoke("missions", "--kind", "module", "--json")
    assert [m["name"] for m in json.loads(out)] == ["Tianhe", "Wentian", "Mengtian"]
    code, out, _ = invoke("missions", "--kind", "crewed", "--json")
    names = [m["name"] for m in json.loads(out)]
    assert names == [f"Shenzhou-{n}" for n in range(12, 24)]


def test_missions_bad_kind() -> None:
    code, _, err = invoke("missions", "--kind", "tourist")
    assert code == 2
    assert "crewed, cargo, module" in err


def test_astronaut_by_alias_and_days() -> None:
    code, out, _ = invoke("astronaut", "wang yaping", "--json")
    assert code == 0
    view = json.loads(out)
    assert [f["mission"] for f in view["flight_list"]] == ["Shenzhou-10", "Shenzhou-13"]
    assert view["days_in_space_min"] == pytest.approx(14.60 + 182.40, abs=0.05)
    code, out, _ = invoke("astronaut", "Li Jiaying")
    assert code == 0
    assert "Lai Ka-ying" in out
    assert "Hong Kong" in out


def test_astronaut_unknown() -> None:
    code, _, err = invoke("astronaut", "Yuri Gagarin")
    assert code == 2
    assert "no astronaut named" in err


def test_partners_and_projects() -> None:
    code, out, _ = invoke("partners", "--json")
    view = json.loads(out)
    assert code == 0
    assert view["un_member_states"] == 193
    codes = {c["code"] for c in view["countries"]}
    assert {"KE", "PE", "PK", "SA", "CH"} <= codes
    code, out, _ = invoke("projects")
    assert code == 0
    assert "POLAR-2" in out
    assert "unidentified" in out
    assert "42 proposals" in out


def test_timeline_window() -> None:
    code, out, _ = invoke(
        "timeline", "--from", "2022-09-29T00:00:00Z", "--to", "2022-11-04T00:00:00Z", "--json"
    )
    assert code == 0
    events = [(e["kind"], e["mission"]) for e in json.loads(out)["events"]]
    assert events == [
        ("relocation", "Wentian"),
        ("launch", "Mengtian"),
        ("docking", "Mengtian"),
        ("relocation", "Mengtian"),
    ]


def test_timeline_reversed_window() -> None:
    code, _, err = invoke(
        "timeline", "--from", "2023-01-01T00:00:00Z", "--to", "2022-01-01T00:00:00Z"
    )
    assert code == 2
    assert "--to is before --from" in err
