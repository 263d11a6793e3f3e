"""The scenario file: JSON round trip, and bad scenarios refused with one-line messages."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from spacehome.domain.elements import ElementSet
from spacehome.domain.record import StationRecord
from spacehome.errors import ValidationError
from spacehome.increment.generate import generate_scenario
from spacehome.increment.scenario import (
    SCENARIO_FORMAT,
    RackSlot,
    Scenario,
    StationEvent,
    check_scenario,
    read_scenario,
    scenario_from_data,
    scenario_to_data,
    write_scenario,
)

from .conftest import START


@pytest.fixture(scope="module")
def scenario(record: StationRecord, elements: ElementSet) -> Scenario:
    return generate_scenario(record, elements, start=START, days=14, seed=3)


def _refused(scenario: Scenario, *, record: StationRecord | None = None) -> str:
    with pytest.raises(ValidationError) as caught:
        check_scenario(scenario, record=record)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_json_round_trip(scenario: Scenario, tmp_path: Path) -> None:
    data = scenario_to_data(scenario)
    assert data["format"] == SCENARIO_FORMAT
    text = json.dumps(data)
    back = scenario_from_data(json.loads(text))
    assert back == scenario
    path = tmp_path / "scenario.json"
    write_scenario(path, scenario)
    assert read_scenario(path) == scenario


def test_units_in_field_names(scenario: Scenario) -> None:
    data = scenario_to_data(scenario)
    crew = data["crew"][0]
    assert {"aboard_from_min", "aboard_to_min"} <= crew.keys()
    experiment = data["experiments"][0]
    assert {"setup_min", "run_min", "teardown_min", "runs_min", "power_w", "data_mbit"} <= experiment.keys()
    assert {"sunlit_w", "eclipse_w"} <= data["power"].keys()


def test_not_a_scenario_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a spacehome scenario"):
        scenario_from_data({"format": "spacehome-problem/1"})


def test_type_error_names_the_field(scenario: Scenario) -> None:
    data = scenario_to_data(scenario)
    data["experiments"][2]["run_min"] = "long"
    with pytest.raises(ValidationError, match=r"experiments\[2\]\.run_min"):
        scenario_from_data(data)


def test_unknown_rack(scenario: Scenario) -> None:
    x = replace(scenario.experiments[0], location="warp-core")
    message = _refused(replace(scenario, experiments=(x, *scenario.experiments[1:])))
    assert f"experiment '{x.id}': unknown rack or adapter 'warp-core'" in message


def test_rack_not_in_the_record(scenario: Scenario, record: StationRecord) -> None:
    racks = (*scenario.racks, RackSlot(id="warp-core", module="tianhe", name="Warp core"))
    message = _refused(replace(scenario, racks=racks), record=record)
    assert "rack 'warp-core' is not in the record" in message


def test_negative_duration(scenario: Scenario) -> None:
    x = replace(scenario.experiments[1], setup_min=-5)
    message = _refused(replace(scenario, experiments=(scenario.experiments[0], x, *scenario.experiments[2:])))
    assert "setup_min -5 is negative" in message


def test_impossible_window(scenario: Scenario) -> None:
    x = scenario.experiments[0]
    a = x.runs_min[0][0]
    x = replace(x, runs_min=((a, a + x.run_min - 1), *x.runs_min[1:]))
    message = _refused(replace(scenario, experiments=(x, *scenario.experiments[1:])))
    assert "run 0 window" in message
    assert "too short for setup + run + teardown" in message


def test_window_outside_the_increment(scenario: Scenario) -> None:
    x = scenario.experiments[0]
    x = replace(x, runs_min=((scenario.horizon_min - 10, scenario.horizon_min + 5000),))
    assert "is not inside the increment" in _refused(replace(scenario, experiments=(x, *scenario.experiments[1:])))


def test_unknown_crew_in_an_event(scenario: Scenario) -> None:
    event = StationEvent(id="eva-x", kind="eva", start_min=100, duration_min=60, crew=("nobody",))
    message = _refused(replace(scenario, events=(*scenario.events, event)))
    assert "event 'eva-x': unknown crew member 'nobody'" in message


def test_qualification_nobody_holds(scenario: Scenario) -> None:
    x = replace(scenario.experiments[0], qualification="astrobiologist")
    message = _refused(replace(scenario, experiments=(x, *scenario.experiments[1:])))
    assert "qualified 'astrobiologist'" in message
    assert "nobody aboard then holds it" in message


def test_crew_aboard_outside_the_increment(scenario: Scenario) -> None:
    member = replace(scenario.crew[0], aboard_to_min=scenario.horizon_min + 1)
    message = _refused(replace(scenario, crew=(member, *scenario.crew[1:])))
    assert f"crew member '{member.id}'" in message
    assert "outside the increment" in message


def test_unknown_project_and_vehicle(scenario: Scenario) -> None:
    x = replace(scenario.experiments[0], project="nope")
    assert "unknown project 'nope'" in _refused(replace(scenario, experiments=(x, *scenario.experiments[1:])))
    x = replace(scenario.experiments[0], cargo="tianzhou-99")
    assert "unknown cargo vehicle 'tianzhou-99'" in _refused(replace(scenario, experiments=(x, *scenario.experiments[1:])))


def test_power_beyond_supply(scenario: Scenario) -> None:
    x = replace(scenario.experiments[0], power_w=scenario.power.sunlit_w + 1)
    assert "more than the" in _refused(replace(scenario, experiments=(x, *scenario.experiments[1:])))


def test_days_out_of_range(scenario: Scenario) -> None:
    message = _refused(replace(scenario, days=91))
    assert "91 days is out of range: give 3 to 90 days" in message


def test_duplicate_ids(scenario: Scenario) -> None:
    message = _refused(replace(scenario, experiments=(scenario.experiments[0], *scenario.experiments)))
    assert "is used 2 times" in message


def test_entitlements_must_cover_project_countries(scenario: Scenario) -> None:
    swapped = tuple(replace(e, country="MX") if e.country == "CN" else e for e in scenario.entitlements)
    message = _refused(replace(scenario, entitlements=swapped))
    assert "country 'CN' has no entitlement" in message


def test_entitlements_must_sum_to_100(scenario: Scenario) -> None:
    doubled = tuple(replace(e, share_pct=2 * e.share_pct) for e in scenario.entitlements)
    assert "entitlements sum to 200" in _refused(replace(scenario, entitlements=doubled))
