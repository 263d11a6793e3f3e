"""The orbit commands from the command line: human output, --json, and errors that teach."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacehome.cli import main
from spacehome.services import orbit

runner = CliRunner()
EPOCH = "2026-09-06T06:15:46Z"
LINE1 = "1 48274U 21035A   26249.26095405  .00013514  00000+0  16863-3 0  9990"
LINE2 = "2 48274  41.4675 189.8186 0002350 260.0025 100.0548 15.59622579305827"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main, "clock", lambda: datetime(2026, 9, 7, 0, 0, tzinfo=UTC))


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(main.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_where_json_reports_position_light_and_age() -> None:
    code, out, _ = invoke("where", "--at", "2026-09-06T12:00:00Z", "--json")
    assert code == 0
    view = json.loads(out)
    # Values cross-checked against Skyfield's wgs84.geographic_position_of for the same TLE.
    assert view["latitude_deg"] == pytest.approx(-41.348, abs=1e-3)
    assert view["longitude_deg"] == pytest.approx(-75.239, abs=1e-3)
    assert 380 < view["altitude_km"] < 400
    assert view["speed_km_s"] == pytest.approx(7.67, abs=0.02)
    assert view["lighting"] == "sunlit"
    assert view["next_shadow_entry"] < view["next_shadow_exit"]
    assert view["element_set"]["epoch"].startswith("2026-09-06T06:15:46")
    assert view["element_set"]["age_days"] == pytest.approx(0.239, abs=1e-3)
    assert view["element_set"]["level"] == "fresh"


def test_staleness_warns_at_3_and_loudly_at_30_days() -> None:
    code, _, err = invoke("where", "--at", "2026-09-12T00:00:00Z")
    assert code == 0
    assert "may have manoeuvred" in err
    code, _, err = invoke("where", "--at", "2026-11-20T00:00:00Z")
    assert code == 0
    assert "WARNING" in err
    assert "spacehome tle update" in err
    assert "tle import FILE" in err


def test_eclipses_per_orbit_with_umbra_inside_penumbra() -> None:
    code, out, _ = invoke("eclipses", "--from", "2026-09-06T06:00:00Z", "--days", "1", "--json")
    assert code == 0
    rows = json.loads(out)["eclipses"]
    assert len(rows) in (15, 16)  # one per 92.3-minute orbit
    for r in rows:
        if r["penumbra_entry"] and r["penumbra_exit"]:
            assert r["penumbra_entry"] < r["umbra_entry"] < r["umbra_exit"] < r["penumbra_exit"]
            assert 30 * 60 < r["umbra_duration_s"] < 37 * 60
        assert -65 < r["beta_deg"] < 65


def test_contacts_named_station_and_daily_totals() -> None:
    code, out, _ = invoke(
        "contacts", "--from", "2026-09-06T06:00:00Z", "--days", "1", "--station", "Kashi", "--json"
    )
    assert code == 0
    view = json.loads(out)
    assert [s["id"] for s in view["stations"]] == ["kashi"]
    assert view["contacts"], "a 41.5° orbit passes over Kashi (38.4°N) several times a day"
    for c in view["contacts"]:
        assert c["max_elevation_deg"] >= 5.0
        assert 0 < c["duration_s"] < 12 * 60
    total = sum(d["any_station_s"] for d in view["daily_totals"])
    assert total == pytest.approx(sum(c["duration_s"] for c in view["contacts"]), abs=1.0)


def test_passes_for_a_city_in_utc_and_local_time() -> None:
    code, out, _ = invoke(
        "passes", "--city", "Beijing", "--from", "2026-09-06T06:00:00Z", "--days", "2", "--json"
    )
    assert code == 0
    view = json.loads(out)
    assert view["place"]["timezone"] == "Asia/Shanghai"
    assert view["passes"]
    for p in view["passes"]:
        assert p["rise"]["time"] < p["culmination"]["time"] < p["set"]["time"]
        assert p["rise"]["local_time"].endswith("+08:00")
        assert p["culmination"]["elevation_deg"] >= 10.0
    assert any(p["visible"] for p in view["passes"])
    visible = [p for p in view["passes"] if p["visible"]]
    # No standard magnitude given: the derived CSS estimate is used, and labelled so.
    assert view["standard_magnitude"] == -0.3
    assert view["standard_magnitude_source"] == "derived"
    estimate = view["standard_magnitude_estimate"]
    assert (estimate["status"], estimate["used"], estimate["uncertainty"]) == ("derived", True, 1.0)
    assert estimate["low"] < estimate["value"] < estimate["high"]
    assert estimate["document"] == "docs/research/brightness.md"
    for p in visible:
        b = p["brightness"]
        assert b["standard_magnitude_source"] == "derived"
        assert b["magnitude"] == pytest.approx(-0.3 + b["relative_to_standard_mag"], abs=0.06)


def test_visible_only_and_standard_magnitude() -> None:
    code, out, _ = invoke(
        "passes", "--lat", "39.9", "--lon", "116.4", "--from", "2026-09-06T06:00:00Z",
        "--days", "2", "--visible-only", "--standard-magnitude", "-1.0", "--json",
    )
    assert code == 0
    passes = json.loads(out)["passes"]
    assert passes
    assert all(p["visible"] for p in passes)
    for p in passes:
        b = p["brightness"]
        assert b["magnitude"] == pytest.approx(-1.0 + b["relative_to_standard_mag"], abs=0.06)
        assert b["standard_magnitude_source"] == "user"


def test_visible_passes_show_an_estimated_magnitude_labelled_derived() -> None:
    code, out, _ = invoke(
        "passes", "--city", "Beijing", "--from", "2026-09-06T06:00:00Z", "--days", "2", "--visible-only",
    )
    assert code == 0
    rows = [line for line in out.splitlines() if "│ yes " in line]
    assert rows, out
    for line in rows:
        assert re.search(r"estimated magnitude [+-]\d\.\d \(derived, ±1\.0\)", line), line
    assert "standard magnitude -0.3 (derived, ±1.0; see docs/research/brightness.md)" in out


def test_the_css_estimate_is_not_used_for_another_object(tmp_path: Path) -> None:
    # A real element set of the ISS from a public catalog snapshot (epoch 2024-07-05).
    file = tmp_path / "iss.tle"
    file.write_text(
        "ISS (ZARYA)\n"
        "1 25544U 98067A   24187.60274059  .00015430  00000-0  28127-3 0  9991\n"
        "2 25544  51.6389 224.0870 0010360  32.9136 104.5931 15.49600588461405\n",
        encoding="utf-8",
    )
    args = ("passes", "--lat", "51.5", "--lon", "0.0", "--from", "2024-07-05T12:00:00Z", "--days", "1", "--tle", str(file))
    code, out, _ = invoke(*args, "--json")
    assert code == 0
    view = json.loads(out)
    assert view["standard_magnitude"] is None
    assert view["standard_magnitude_source"] is None
    assert "catalog number 25544" in view["standard_magnitude_estimate"]["not_used_because"]
    visible = [p for p in view["passes"] if p["visible"]]
    assert visible
    assert all(p["brightness"]["magnitude"] is None for p in visible)
    code, out, _ = invoke(*args)
    assert code == 0
    assert "estimated magnitude" not in out
    assert "std " in out


def test_tle_file_option_and_import(tmp_path: Path) -> None:
    file = tmp_path / "css.tle"
    file.write_text(f"CSS (TIANHE)\r\n{LINE1}\r\n{LINE2}\r\n", encoding="utf-8")
    code, out, _ = invoke("where", "--at", EPOCH, "--tle", str(file), "--json")
    assert code == 0
    assert json.loads(out)["element_set"]["origin"] == f"file {file}"
    code, out, _ = invoke("tle", "import", str(file), "--json")
    assert code == 0
    assert json.loads(out)["already_known"] == 1  # the embedded set is the same set


def test_tle_update_offline_is_a_clear_error_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(url: str, timeout_s: float) -> str:
        raise OSError("Network is unreachable")

    monkeypatch.setattr(orbit, "_fetch", offline)
    code, _, err = invoke("tle", "update")
    assert code == 2
    assert "offline" in err
    assert "tle import FILE" in err
    assert "Traceback" not in err
    assert len(orbit.history_view(48274, datetime(2026, 9, 7, tzinfo=UTC))["sets"]) == 2


def test_tle_update_stores_fetched_omm_json() -> None:
    fetched = json.dumps([{
        "OBJECT_NAME": "CSS (TIANHE)", "OBJECT_ID": "2021-035A", "EPOCH": "2026-09-10T00:00:00.000000",
        "MEAN_MOTION": 15.6, "ECCENTRICITY": 0.0003, "INCLINATION": 41.47, "RA_OF_ASC_NODE": 170.0,
        "ARG_OF_PERICENTER": 250.0, "MEAN_ANOMALY": 110.0, "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": "U", "NORAD_CAT_ID": 48274, "ELEMENT_SET_NO": 999,
        "REV_AT_EPOCH": 30640, "BSTAR": 0.00017, "MEAN_MOTION_DOT": 0.00013, "MEAN_MOTION_DDOT": 0,
    }])
    now = datetime(2026, 9, 10, 1, tzinfo=UTC)
    view = orbit.update_view(now, fetch=lambda url, timeout: fetched)
    assert view["added"] == 1
    assert "CATNR=48274" in view["requests"][0]["url"]
    history = orbit.history_view(48274, now)
    assert [s["current"] for s in history["sets"]] == [False, False, True]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("where", "--at", "2026-09-06T00:00:00"), "has no time zone"),
        (("passes", "--lat", "95", "--lon", "0"), "latitude 95.0 is out of range"),
        (("passes", "--lat", "10", "--lon", "200"), "longitude 200.0 is out of range"),
        (("passes", "--city", "Xyzzyville"), "--lat"),
        (("passes", "--city", "Springfield"), "matches"),
        (("passes",), "say where you are"),
        (("eclipses", "--days", "-1"), "--days -1.0 is not positive"),
        (("contacts", "--station", "Atlantis"), "kashi"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    code, _out, err = invoke(*args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_malformed_element_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tle"
    bad.write_text(LINE1[:-1] + "3\n" + LINE2 + "\n", encoding="utf-8")
    code, _, err = invoke("where", "--tle", str(bad))
    assert code == 2
    assert "checksum" in err
