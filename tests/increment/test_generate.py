"""The scenario generator: reproducible, in range, the real station, synthetic items labelled."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from spacehome.domain.elements import ElementSet
from spacehome.domain.record import StationRecord
from spacehome.errors import ValidationError
from spacehome.increment.generate import generate_scenario, orbit_windows
from spacehome.increment.scenario import Scenario, scenario_to_data
from spacehome.record.ground_stations import load_ground_stations

from .conftest import START, START_IN_RECORD


@pytest.fixture(scope="module")
def month(record: StationRecord, elements: ElementSet) -> Scenario:
    return generate_scenario(record, elements, start=START, days=30, seed=1)


def _json(s: Scenario) -> str:
    return json.dumps(scenario_to_data(s), sort_keys=True)


def test_same_seed_same_json(record: StationRecord, elements: ElementSet, month: Scenario) -> None:
    again = generate_scenario(record, elements, start=START, days=30, seed=1)
    assert _json(again) == _json(month)


def test_different_seed_different_json(record: StationRecord, elements: ElementSet, month: Scenario) -> None:
    other = generate_scenario(record, elements, start=START, days=30, seed=2)
    assert _json(other) != _json(month)
    assert other.seed == 2


@pytest.mark.parametrize("days", [2, 91])
def test_days_out_of_range_refused(record: StationRecord, elements: ElementSet, days: int) -> None:
    with pytest.raises(ValidationError) as caught:
        generate_scenario(record, elements, start=START, days=days, seed=1)
    assert str(caught.value) == f"an increment of {days} days is out of range: give 3 to 90 days"


def test_naive_start_refused(record: StationRecord, elements: ElementSet) -> None:
    with pytest.raises(ValidationError, match="has no time zone"):
        generate_scenario(record, elements, start=datetime(2026, 9, 7), days=3, seed=1)  # noqa: DTZ001


def test_uncrewed_station_refused(record: StationRecord, elements: ElementSet) -> None:
    with pytest.raises(ValidationError, match="nobody is aboard"):
        generate_scenario(record, elements, start=datetime(2021, 5, 1, tzinfo=UTC), days=10, seed=1)


def test_real_racks_and_projects(record: StationRecord, month: Scenario) -> None:
    record_racks = {r.id for r in record.racks}
    assert {r.id for r in month.racks} == record_racks
    assert all(not r.synthetic and r.basis.startswith("record:") for r in month.racks)
    projects = {p.id: p for p in record.projects}
    real = [p for p in month.projects if not p.synthetic]
    assert len(real) >= 6
    for p in real:
        assert p.id in projects
        assert p.countries == tuple(projects[p.id].countries.value or ())
    used = {x.location for x in month.experiments}
    assert used & record_racks
    assert used - record_racks


def test_external_adapters_counted_from_the_record(record: StationRecord, month: Scenario) -> None:
    for module in record.modules:
        count = module.external_adapters.value
        mine = [a for a in month.adapters if a.module == module.id]
        assert len(mine) == (count or 0)
        assert all(a.synthetic for a in mine)


def test_synthetic_items_are_labelled(month: Scenario) -> None:
    assert month.power.assumed
    assert "assumed" in month.power.basis
    assert month.data.assumed
    assert "assumed" in month.data.basis
    assert month.crew_day.assumed
    assert month.ops.assumed
    assert "assumed" in month.entitlements_basis
    for p in month.projects:
        assert p.synthetic == (p.id.startswith("cn-") or p.id.endswith("-visit")), p.id
        assert p.basis
    for x in month.experiments:
        assert x.synthetic
        assert x.basis
    for e in month.events:
        assert e.synthetic
        assert e.basis
    for v in month.vehicles:
        assert v.synthetic
        assert v.basis
    for c in month.crew:
        assert c.basis
        assert c.synthetic == c.id.startswith(("next-crew-", "visitor-"))
    assert any("record ends" in note for note in month.notes)


def test_crew_after_the_record_is_the_last_known_crew(record: StationRecord, month: Scenario) -> None:
    at_start = {c.id for c in month.aboard_at(0)}
    shenzhou_23 = {a.person for a in record.mission("shenzhou-23").crew}
    assert at_start == shenzhou_23
    for c in month.crew:
        if c.id in shenzhou_23:
            assert "assumed" in c.basis


def test_rotation_with_handover_and_a_week_long_visitor(month: Scenario) -> None:
    horizon = month.horizon_min
    arrivals = sorted({c.aboard_from_min for c in month.crew if c.aboard_from_min > 0})
    departures = sorted({c.aboard_to_min for c in month.crew if c.aboard_to_min < horizon})
    assert len(arrivals) == 1
    assert len(departures) == 1
    handover = departures[0] - arrivals[0]
    assert 5 * 1440 <= handover <= 7 * 1440
    peak = max(len(month.aboard_at(m)) for m in range(0, horizon, 60))
    assert 4 <= peak <= 6  # the station holds at most six (record: crew_max)
    visitor = next(c for c in month.crew if c.id.startswith("visitor-"))
    assert visitor.nationality == "PK"
    assert visitor.synthetic
    assert visitor.aboard_to_min - visitor.aboard_from_min == 7 * 1440
    assert any(x.returns_on == visitor.departs_on for x in month.experiments if x.project.endswith("-visit"))
    after = month.aboard_at(horizon - 1)
    assert len(after) == 3


def test_fixed_events_and_vehicles(month: Scenario) -> None:
    kinds = {e.kind for e in month.events}
    assert {"docking", "undocking", "reboost", "eva"} <= kinds
    eva = next(e for e in month.events if e.kind == "eva")
    assert len(eva.crew) == 3
    cargo = next(v for v in month.vehicles if v.kind == "cargo")
    assert cargo.dock_min is not None
    assert cargo.unpack_min > 0
    assert any(x.cargo == cargo.id for x in month.experiments)
    ship = next(v for v in month.vehicles if v.kind == "crew" and v.undock_min is not None)
    assert ship.landing_min is not None
    assert ship.landing_min > ship.undock_min
    assert any(x.returns_on == ship.id for x in month.experiments)


def test_experiment_runs_have_windows_of_a_few_days(month: Scenario) -> None:
    lengths = [b - a for x in month.experiments for a, b in x.runs_min]
    assert max(lengths) <= 3 * 1440
    assert {x.lighting for x in month.experiments} == {"any", "sunlit", "eclipse", "night"}
    assert any(x.quiet for x in month.experiments)
    assert any(x.crew_on_run for x in month.experiments)


def test_element_set_and_orbit_windows(month: Scenario, elements: ElementSet) -> None:
    assert month.elements.line1 == elements.line1
    assert month.elements.age_at_start_days == pytest.approx(0.739, abs=0.001)
    orbit = month.orbit
    assert 15 * 30 <= len(orbit.eclipses_min) <= 16 * 30 + 2  # one per orbit at this beta angle
    assert all(30 <= b - a <= 40 for a, b in orbit.eclipses_min[1:-1])
    assert len(orbit.umbra_min) == len(orbit.eclipses_min)
    # the night side holds each eclipse and lasts longer (the ground darkens before the station)
    assert len(orbit.night_min) == len(orbit.eclipses_min)
    assert all(any(a <= u0 and u1 <= b for a, b in orbit.night_min) for u0, u1 in orbit.umbra_min)
    assert all(40 <= b - a <= 50 for a, b in orbit.night_min[1:-1])
    assert orbit.ground_stations
    assert len(orbit.contacts_min) > 300
    for (_, b), (a, _) in zip(orbit.contacts_min, orbit.contacts_min[1:], strict=False):
        assert a > b  # merged: no overlap, no touching


def test_orbit_windows_for_a_month_cover_the_month(elements: ElementSet) -> None:
    # Their speed is measured by the benchmarks, not asserted here (the machines are noisy).
    windows = orbit_windows(elements, START, 30, load_ground_stations())
    assert len(windows.contacts_min) > 300
    for a, b in windows.eclipses_min + windows.contacts_min:
        assert 0 <= a < b <= 30 * 1440


def test_start_inside_the_record_uses_real_events(record: StationRecord, older_elements: ElementSet) -> None:
    s = generate_scenario(record, older_elements, start=START_IN_RECORD, days=30, seed=1)
    aboard = {c.id for c in s.aboard_at(0)}
    assert aboard == {"chen-dong", "chen-zhongrui", "wang-jie", "zhang-lu", "wu-fei", "zhang-hongzhang"}
    chen = next(c for c in s.crew if c.id == "chen-dong")
    leaves = datetime(2025, 11, 14, 3, 14, tzinfo=UTC)
    assert chen.aboard_to_min == (leaves - START_IN_RECORD) // timedelta(minutes=1)
    assert not chen.synthetic
    assert "assumed" not in chen.basis.split("; qualifications")[0]
    ship = s.vehicle("shenzhou-21")
    assert not ship.synthetic
    assert ship.landing_min is not None
    real = [e for e in s.events if not e.synthetic]
    assert any(e.vehicle == "shenzhou-22" and e.kind == "docking" for e in real)
    assert not any(c.synthetic for c in s.crew)  # the record covers the increment: no invented crew
    assert any("days old" in note or "in the future" in note for note in s.notes)
