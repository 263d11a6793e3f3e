"""``spacehome plan`` from the command line: scenario → solve → check → replan → show → export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spacehome.cli import main
from spacehome.planning.files import read_plan
from spacehome.planning.validate import validate

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(main.app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plan")


@pytest.fixture(scope="module")
def scenario(workdir: Path) -> Path:
    path = workdir / "scenario.json"
    code, out, err = invoke("plan", "scenario", "--days", "3", "--seed", "7", "--out", str(path))
    assert code == 0, err
    assert "Wrote" in out
    return path


@pytest.fixture(scope="module")
def plan_file(workdir: Path, scenario: Path) -> Path:
    path = workdir / "plan.json"
    code, out, err = invoke(
        "plan", "solve", str(scenario), "--time-limit-s", "10", "--workers", "1", "--out", str(path), "--json"
    )
    assert code == 0, err
    view = json.loads(out)
    assert view["status"] in ("optimal", "feasible")
    assert view["violations"] == []
    assert view["scheduled"] > 0
    assert "greedy" in view
    return path


def test_scenario_is_reproducible(workdir: Path, scenario: Path) -> None:
    again = workdir / "again.json"
    code, _, _ = invoke("plan", "scenario", "--days", "3", "--seed", "7", "--out", str(again))
    assert code == 0
    assert again.read_bytes() == scenario.read_bytes()


def test_solved_plan_is_valid_and_has_its_scenario(plan_file: Path) -> None:
    plan = read_plan(plan_file)
    assert validate(plan.problem, plan.solution) == []
    assert plan.meta["scenario"]["days"] == 3
    assert plan.meta["solver"] == "cp-sat"
    code, out, _ = invoke("plan", "check", str(plan_file))
    assert code == 0
    assert "valid" in out


def test_check_reports_a_hand_edited_violation_and_exits_1(workdir: Path, plan_file: Path) -> None:
    data: dict[str, Any] = json.loads(plan_file.read_text())
    first = data["solution"]["assignments"][0]
    first["end"] = first["end"] + 1  # no longer its duration
    broken = workdir / "broken.json"
    broken.write_text(json.dumps(data))
    code, out, _ = invoke("plan", "check", str(broken))
    assert code == 1
    assert "duration" in out
    assert first["activity"] in out


@pytest.mark.parametrize(
    "disruption",
    [
        {"kind": "debris-avoidance", "start_min": 1500, "duration_min": 30},
        {"kind": "crew-unavailable", "crew": "CREW", "start_min": 1440, "duration_min": 1440},
        {"kind": "rack-failure", "rack": "RACK", "start_min": 1440},
        {"kind": "cargo-delay", "vehicle": "VEHICLE", "delay_min": 720, "at_min": 300},
    ],
    ids=["debris-avoidance", "crew-unavailable", "rack-failure", "cargo-delay"],
)
def test_replan_after_each_disruption_kind(workdir: Path, plan_file: Path, scenario: Path, disruption: dict[str, Any]) -> None:
    s = json.loads(scenario.read_text())
    plan = read_plan(plan_file)
    if disruption.get("crew") == "CREW":
        disruption["crew"] = s["crew"][0]["id"]
    if disruption.get("rack") == "RACK":  # the busiest rack, so the failure matters
        busy: dict[str, int] = {}
        for a in plan.solution.assignments:
            for r in a.resources:
                if r.startswith("rack:"):
                    busy[r] = busy.get(r, 0) + a.end - a.start
        disruption["rack"] = max(busy, key=lambda r: busy[r]).removeprefix("rack:")
    if disruption.get("vehicle") == "VEHICLE":
        cargo = [v["id"] for v in s["vehicles"] if v["kind"] == "cargo" and v["dock_min"] is not None]
        assert cargo, "the 3-day scenario with seed 7 has a cargo ship docking"
        disruption["vehicle"] = cargo[0]
    path = workdir / f"{disruption['kind']}.json"
    path.write_text(json.dumps(disruption))
    out_plan = workdir / f"after-{disruption['kind']}.json"
    code, out, err = invoke(
        "plan", "replan", str(plan_file), "--disruption", str(path), "--out", str(out_plan),
        "--time-limit-s", "10", "--workers", "1", "--json",
    )
    assert code == 0, err
    view = json.loads(out)
    assert view["status"] in ("optimal", "feasible")
    assert view["violations"] == []
    diff = view["difference"]
    assert diff["moved"] + diff["added"] + diff["removed"] + diff["unchanged"] >= len(plan.solution.assignments)
    new = read_plan(out_plan)
    assert validate(new.problem, new.solution) == []
    # What is done stays exactly as it was; what is under way goes on, unless the disruption
    # takes its crew member or rack away, or a manoeuvre would spoil a microgravity-quiet run.
    now = view["replanned_at_min"]
    after = new.solution.by_activity()
    tags = {a.id: a.tags for a in plan.problem.activities}
    for a in plan.solution.assignments:
        if a.start >= now:
            continue
        if a.end <= now or a.activity not in after or after[a.activity].start != a.start:
            if a.end <= now:
                assert after[a.activity] == a, a.activity
                continue
            subject = {"crew-unavailable": f"crew:{disruption.get('crew')}", "rack-failure": f"rack:{disruption.get('rack')}"}
            assert (
                subject.get(disruption["kind"]) in a.resources
                or (disruption["kind"] == "debris-avoidance" and "quiet" in tags[a.activity])
            ), f"{a.activity} was under way and should have gone on"
    if disruption["kind"] == "debris-avoidance":
        assert any(a.activity.startswith("dam-") for a in new.solution.assignments)
    if disruption["kind"] == "rack-failure":
        rack = f"rack:{disruption['rack']}"
        assert not [a for a in new.solution.assignments if rack in a.resources and a.end > disruption["start_min"] and a.start >= now]


def test_show_and_exports(workdir: Path, plan_file: Path) -> None:
    code, out, _ = invoke("plan", "show", str(plan_file))
    assert code == 0
    assert "Lanes" in out
    assert "Shares per country" in out
    code, out, _ = invoke("plan", "show", str(plan_file), "--json")
    view = json.loads(out)
    assert {lane["kind"] for lane in view["lanes"]} >= {"crew", "rack"}
    csv_path = workdir / "plan.csv"
    code, out, _ = invoke("plan", "export", str(plan_file), "--format", "csv", "--out", str(csv_path))
    assert code == 0
    assert csv_path.read_text().startswith("activity,label,start_min")
    code, out, _ = invoke("plan", "export", str(plan_file), "--format", "ics", "--out", str(workdir / "cal"), "--by", "crew")
    assert code == 0
    assert len(list((workdir / "cal").glob("*.ics"))) >= 1


def test_greedy_solver_gives_a_valid_plan(workdir: Path, scenario: Path) -> None:
    path = workdir / "greedy.json"
    code, out, err = invoke("plan", "solve", str(scenario), "--solver", "greedy", "--out", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["violations"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "scenario", "--days", "2", "--out", "x.json"], "3"),
        (["plan", "scenario", "--days", "91", "--out", "x.json"], "90"),
        (["plan", "solve", "missing.json", "--out", "p.json"], "no such"),
        (["plan", "check", "missing.json"], "no such plan file"),
        (["plan", "solve", "SCENARIO", "--out", "p.json", "--time-limit-s", "-1"], "must be positive"),
        (["plan", "solve", "SCENARIO", "--out", "p.json", "--solver", "magic"], "unknown solver"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, scenario: Path, tmp_path: Path) -> None:
    args = [str(scenario) if a == "SCENARIO" else (str(tmp_path / a) if a.endswith(".json") else a) for a in args]
    code, _, err = invoke(*args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_scenarios_are_refused(workdir: Path, scenario: Path) -> None:
    base = json.loads(scenario.read_text())
    cases = [
        (lambda s: s["experiments"][0].update(location="no-such-rack"), "no-such-rack"),
        (lambda s: s["experiments"][0].update(run_min=-5), "-5"),
    ]
    for change, needle in cases:
        data = json.loads(json.dumps(base))
        change(data)
        path = workdir / "bad-scenario.json"
        path.write_text(json.dumps(data))
        code, _, err = invoke("plan", "solve", str(path), "--out", str(workdir / "x.json"))
        assert code == 2, err
        assert needle in err
        assert err.count("\n") == 1


def test_bad_disruption_is_refused(workdir: Path, plan_file: Path) -> None:
    path = workdir / "bad-disruption.json"
    for body, needle in [
        ({"kind": "alien-invasion"}, "unknown kind"),
        ({"kind": "rack-failure", "rack": "nope", "start_min": 10}, "unknown resource 'rack:nope'"),
        ({"kind": "crew-unavailable", "crew": "x", "start_min": -3, "duration_min": 10}, "must not be negative"),
    ]:
        path.write_text(json.dumps(body))
        code, _, err = invoke("plan", "replan", str(plan_file), "--disruption", str(path), "--out", str(workdir / "y.json"))
        assert code == 2, err
        assert needle in err


def test_an_infeasible_scenario_is_reported_with_its_conflicts(workdir: Path, scenario: Path) -> None:
    data = json.loads(scenario.read_text())
    # Two EVAs with the same crew member at the same time cannot both happen.
    crew = data["crew"][0]["id"]
    for n in (1, 2):
        data["events"].append({
            "id": f"eva-clash-{n}", "kind": "eva", "start_min": 2000, "duration_min": 300, "crew": [crew],
            "vehicle": None, "disturbing": True, "synthetic": True, "basis": "test",
        })
    path = workdir / "infeasible.json"
    path.write_text(json.dumps(data))
    code, out, err = invoke("plan", "solve", str(path), "--out", str(workdir / "inf.json"), "--time-limit-s", "10", "--json")
    assert code == 1, err
    view = json.loads(out)
    assert view["status"] == "infeasible"
    assert view["conflicts"]
    assert any("eva-clash" in c for c in view["conflicts"])
