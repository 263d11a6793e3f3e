"""Stored conjunction events: screen → store → CDM import (Pc from its covariances) → show →
avoid (options from the CDM's covariances) → the chosen option in the increment plan, on the
scenario of ``tests/conjunction_samples.py``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from conjunction_samples import CROSSER, PLAN_EPOCH, SIGMA_RTN_M, START, STATION, write_catalog
from conjunction_samples import cdm_for as sample_cdm
from plan_samples import tiny_plan
from spacehome.cli.main import app  # before spacehome.cli.conjunctions: main registers it
from spacehome.orbit.cdm import Conjunction, write_cdm
from spacehome.orbit.collision import collision_probability, covariance_rtn_to_inertial
from spacehome.planning.files import read_plan, write_plan
from spacehome.planning.validate import validate


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    return result


def ok_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "catalog.3le")


def cdm_for(event: dict[str, Any], catalog: Path, message_id: str = "TEST-1") -> Conjunction:
    return sample_cdm(event["tca"], event["miss_km"], catalog, message_id)


def screen(catalog: Path) -> dict[str, Any]:
    view: dict[str, Any] = ok_json(
        "conjunctions", "screen", "--catalog", str(catalog), "--from", START.isoformat(),
        "--days", "0.25", "--threshold-km", "15",
    )
    return view


def expected_pc(cdm: Conjunction, radius_m: float) -> float:
    covs = [
        covariance_rtn_to_inertial(np.asarray(o.position_covariance_rtn_m2) / 1e6, o.position_km, o.velocity_km_s)
        for o in cdm.objects
    ]
    o1, o2 = cdm.objects
    return collision_probability(
        o1.position_km, o1.velocity_km_s, covs[0], o2.position_km, o2.velocity_km_s, covs[1], radius_m
    ).pc


def test_screen_stores_events_and_a_second_screen_adds_assessments(catalog: Path) -> None:
    first = screen(catalog)
    events = first["events"]
    assert len(events) >= 3  # node passages near the epoch
    assert all(e["id"].startswith(f"{STATION}-{CROSSER}-") and e["new_event"] for e in events)
    listed = ok_json("conjunctions", "list")
    assert listed["total"] == len(events)
    assert [e["id"] for e in listed["items"]] == [e["id"] for e in events]  # by TCA
    second = screen(catalog)
    assert [e["id"] for e in second["events"]] == [e["id"] for e in events]
    assert not any(e["new_event"] for e in second["events"])
    shown = ok_json("conjunctions", "show", events[0]["id"])
    assert [a["source"] for a in shown["history"]] == ["screen", "screen"]
    assert shown["assessments"] == 2
    assert shown["geometry"]["miss_km"] == pytest.approx(events[0]["miss_km"], abs=1e-9)
    assert shown["history"][0]["element_sets"]["primary_epoch"].startswith("2026-09-07T05:30:00")  # TLE epoch rounding


def test_no_store_leaves_the_database_alone(catalog: Path) -> None:
    result = run("conjunctions", "screen", "--catalog", str(catalog), "--from", START.isoformat(),
                 "--days", "0.1", "--no-store")
    assert result.exit_code == 0, result.output
    assert ok_json("conjunctions", "list")["total"] == 0


def test_cdm_import_pc_show_and_avoid_into_the_plan(catalog: Path, tmp_path: Path) -> None:
    events = screen(catalog)["events"]
    # the closest, at the epoch 5.5 h into the plan: a burn one orbit earlier is inside its horizon
    event = min(events, key=lambda e: e["miss_km"])
    assert event["tca"].startswith("2026-09-07T05:")
    cdm = cdm_for(event, catalog)
    path = tmp_path / "event.cdm"
    path.write_text(write_cdm(cdm, "kvn"), encoding="utf-8")

    imported = ok_json("cdm", "import", str(path), "--hard-body-radius-m", "30")
    assert imported["event_id"] == event["id"]
    assert (imported["new_event"], imported["already_imported"]) == (False, False)
    pc = imported["pc"]["value"]
    assert pc == pytest.approx(expected_pc(cdm, 30.0), rel=1e-9)
    assert pc > 1e-4  # 650 m with sigmas of a few hundred metres: above the threshold
    assert imported["pc"]["hard_body_radius_source"] == "given"

    again = ok_json("cdm", "import", str(path))
    assert again["already_imported"] is True
    shown = ok_json("conjunctions", "show", event["id"])
    assert [a["source"] for a in shown["history"]] == ["screen", "cdm"]
    assert shown["pc"] == pytest.approx(pc, rel=1e-12)
    assert shown["history"][1]["cdm"]["secondary_sigma_rtn_m"] == list(SIGMA_RTN_M)

    avoid = ok_json("conjunctions", "avoid", event["id"], "--lead-orbits", "1")
    assert avoid["covariance_source"] == "CDM SPACEHOME TEST TEST-1"
    assert avoid["estimated"] is False
    # our SGP4 states are the CDM's, so the Pc before any burn is the imported one
    assert avoid["before"]["pc"] == pytest.approx(pc, rel=1e-6)
    assert avoid["manoeuvre_needed"] is True
    (option,) = avoid["options"]
    assert option["delta_v_m_s"] is not None
    assert option["after"]["pc"] < 1e-4

    plan_path, out_path = tmp_path / "plan.json", tmp_path / "new.json"
    write_plan(plan_path, tiny_plan())
    placed = ok_json("conjunctions", "avoid", event["id"], "--lead-orbits", "1",
                     "--plan", str(plan_path), "--out", str(out_path))
    inserted = placed["inserted"]
    assert inserted["option"] == 1
    assert inserted["violations"] == []
    new = read_plan(out_path)
    assert validate(new.problem, new.solution) == []
    assert new.meta["avoidance"]["delta_v_m_s"] == pytest.approx(option["delta_v_m_s"])
    burn_min = (datetime.fromisoformat(option["burn_time"].replace("Z", "+00:00")) - PLAN_EPOCH).total_seconds() / 60
    assert inserted["window"]["burn_min"] == pytest.approx(burn_min, abs=1e-3)


def test_without_a_cdm_avoidance_uses_the_estimated_covariance(catalog: Path) -> None:
    events = screen(catalog)["events"]
    event = min(events, key=lambda e: e["miss_km"])
    avoid = ok_json("conjunctions", "avoid", event["id"], "--lead-orbits", "1")
    assert avoid["estimated"] is True
    assert avoid["covariance_source"].startswith("spacehome tle_covariance.toml (measured")
    # the screen's own estimate of the same event, with the same model and radius
    assert avoid["before"]["pc"] == pytest.approx(event["pc"]["value"], rel=1e-6)


def test_bad_input_is_one_line_and_exit_2(catalog: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.tle"  # no names: no object types, so no estimated covariance
    bare.write_text("\n".join(x for x in catalog.read_text().splitlines() if x[:2] in ("1 ", "2 ")) + "\n")
    events = ok_json("conjunctions", "screen", "--catalog", str(bare), "--from", START.isoformat(),
                     "--days", "0.25", "--threshold-km", "15")["events"]
    cases = [
        (["conjunctions", "show", "no-such-event"], "no conjunction event 'no-such-event'"),
        (["conjunctions", "avoid", events[0]["id"]], "has no covariance"),
        (["conjunctions", "avoid", events[0]["id"], "--threshold", "2"], "is not a probability"),
        (["conjunctions", "avoid", events[0]["id"], "--plan", "x.json"], "give --plan and --out together"),
        (["cdm", "import", str(tmp_path / "missing.cdm")], "does not exist"),
        (["cdm", "import", str(catalog)], ""),
        (["conjunctions", "list", "--from", "2026-09-07T00:00:00"], "zone"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, lines)
        assert lines[0].startswith("error: "), (args, lines)
        assert message in lines[0], (args, lines)


def test_a_cdm_about_a_new_pair_opens_an_event_and_a_non_norad_designator_is_refused(
    catalog: Path, tmp_path: Path,
) -> None:
    events = screen(catalog)["events"]
    cdm = cdm_for(events[0], catalog)
    moved = replace(cdm, tca=cdm.tca + timedelta(hours=30), message_id="TEST-2")
    path = tmp_path / "later.cdm"
    path.write_text(write_cdm(moved, "xml"), encoding="utf-8")
    view = ok_json("cdm", "import", str(path))
    assert view["new_event"] is True
    assert ok_json("conjunctions", "list")["total"] == len(events) + 1
    # without AREA_PC the labelled policy default radius is used
    assert view["pc"]["hard_body_radius_m"] == 30.0
    bad = replace(cdm, object2=replace(cdm.object2, designator="DEB-X"), message_id="TEST-3")
    path.write_text(write_cdm(bad, "kvn"), encoding="utf-8")
    result = run("cdm", "import", str(path))
    assert result.exit_code == 2
    assert "is not a NORAD catalog number" in result.stderr


def test_the_radius_comes_from_the_cdm_s_area_pc_where_it_gives_one(catalog: Path, tmp_path: Path) -> None:
    """The station's synthetic CDM gives AREA_PC only for OBJECT1 (a 20 m circle): that radius is
    used, and the shipped CDM imports with a Pc from its own covariances."""
    from spacehome.orbit.cdm import read_cdm
    from spacehome.services.conjunction_events import cdm_pc

    station = Path(__file__).parent / "orbit" / "data" / "cdm_station_synthetic.kvn"
    pc = cdm_pc(read_cdm(station))
    assert pc["hard_body_radius_m"] == pytest.approx(20.0, abs=1e-5)
    assert pc["hard_body_radius_source"].startswith("from OBJECT1's AREA_PC")
    both = cdm_pc(read_cdm(station), hard_body_radius_m=25.0)
    assert (both["hard_body_radius_m"], both["hard_body_radius_source"]) == (25.0, "given")
    assert 0.0 < pc["value"] < both["value"]  # a larger disc over the same density
    assert ok_json("cdm", "import", str(station))["pc"]["value"] == pytest.approx(pc["value"])
