"""The screening use case and ``spacehome conjunctions screen`` on a small generated catalog.

The catalog is written as 3LE text: element sets built from elements (circular orbits at the
station's altitude in planes that share its line of nodes, phased to cross a node a little
before or after it, as in ``tests/orbit/test_screening.py``), turned into TLE lines by sgp4's
``exporter.export_tle``. It also holds a co-orbiting object (the station's own elements under
another number), an object sgp4 refuses (perigee inside the Earth), and a far background object.
The window starts at 2022-12-01T00:00Z, when the station record has Shenzhou-14, Shenzhou-15 and
Tianzhou-5 docked and Wentian and Mengtian berthed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sgp4.exporter import export_tle
from typer.testing import CliRunner

from spacehome.cli.main import app  # before spacehome.cli.conjunctions: main registers it
from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.orbit.avoidance import sgp4_state
from spacehome.orbit.collision import ElementSetCovarianceModel, ObjectType, RtnSigmas
from spacehome.orbit.formats import read_elements
from spacehome.orbit.screening import co_orbiting, screen
from spacehome.services import conjunctions
from spacehome.services.conjunctions import PC_NOT_COMPUTED, screen_view
from spacehome.services.tle_covariance import load_tle_covariance

MODEL = load_tle_covariance()

START = datetime(2022, 12, 1, tzinfo=UTC)
EPOCH = START - timedelta(hours=3)
DAYS = 0.25
STATION = 48274
CO_ORBITER = 99001
BROKEN = 99002
FAR = 99003
#: NORAD ids the station record gives for what is attached on 2022-12-01.
SHENZHOU_14, SHENZHOU_15, TIANZHOU_5, WENTIAN, MENGTIAN = 52797, 54379, 54237, 53239, 54216


def elements(number: int, *, n: float = 15.6, e: float = 0.0001, inc: float = 41.5,
             raan: float = 0.0, m: float = 0.0) -> ElementSet:
    return ElementSet(
        catalog_number=number, name=None, international_designator=None, epoch=EPOCH,
        mean_motion_rev_per_day=n, eccentricity=e, inclination_deg=inc, raan_deg=raan,
        arg_perigee_deg=0.0, mean_anomaly_deg=m % 360.0, bstar_per_earth_radius=0.0,
        mean_motion_dot_rev_per_day2=0.0, mean_motion_ddot_rev_per_day3=0.0,
    )


def catalog_sets() -> list[tuple[str, ElementSet]]:
    out = [("CSS (TIANHE)", elements(STATION))]
    number = 90000
    for inc, raan in ((51.6, 0.0), (97.4, 0.0), (138.5, 180.0)):
        for dm in (-0.04, -0.015, 0.0, 0.01, 0.03):
            number += 1
            out.append((f"CROSSER {number}", elements(number, inc=inc, raan=raan, m=dm)))
    out.append(("FORMATION", elements(CO_ORBITER, m=0.001)))  # ~120 m behind the station
    out.append(("SUBSURFACE", elements(BROKEN, n=16.6, e=0.2)))  # perigee inside the Earth
    out.append(("FAR AWAY", elements(FAR, n=14.3, inc=98.0, raan=30.0)))
    return out


def write_catalog(path: Path) -> Path:
    from spacehome.orbit.elements import satrec

    lines = []
    for name, s in catalog_sets():
        line1, line2 = export_tle(satrec(s))
        lines += [name, line1, line2]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "catalog.3le")


@pytest.fixture
def view(catalog_file: Path) -> dict:
    return screen_view(START, days=DAYS, catalog_file=catalog_file)


def reference(catalog_file: Path) -> tuple[list, list]:
    """The screening functions called directly on the same file: co-orbiting, then screen."""
    sets = list(read_elements(catalog_file).sets)
    primary = next(s for s in sets if s.catalog_number == STATION)
    together = co_orbiting(primary, sets, START, days=DAYS)
    result = screen([primary], sets, START, days=DAYS, exclude=[c.secondary for c in together])
    return together, result.events


def test_events_equal_the_screening_functions(view: dict, catalog_file: Path) -> None:
    together, events = reference(catalog_file)
    assert [c.secondary for c in together] == [CO_ORBITER]
    assert len(events) >= 3  # the planted crossers do come within 5 km
    assert len(view["events"]) == len(events)
    for got, want in zip(view["events"], events, strict=True):
        assert got["secondary"] == {"catalog_number": want.secondary, "name": want.secondary_name}
        assert got["primary"]["catalog_number"] == STATION
        assert datetime.fromisoformat(got["tca"]) == want.tca
        assert got["miss_km"] == want.miss_km
        assert (got["radial_km"], got["in_track_km"], got["cross_track_km"]) == (
            want.radial_km, want.in_track_km, want.cross_track_km,
        )
        assert got["relative_speed_km_s"] == want.relative_speed_km_s
        assert got["miss_km"] <= 5.0
        # estimated from the measured element-set model; the station and "CROSSER n" are payloads
        assert got["pc"]["estimated"] is True
        assert got["pc"]["source"] == MODEL.source
        assert got["pc"]["object_types"] == ["payload", "payload"]
        assert got["pc"]["hard_body_radius_m"] == 30.0
        assert 0.0 <= got["pc"]["value"] <= 1.0
    # the planted geometry: crossing planes at station speed, 5.5 .. 15 km/s relative
    assert all(5.0 < e["relative_speed_km_s"] < 15.6 for e in view["events"])
    assert view["collision_probability"]["computed"] is True
    assert view["collision_probability"]["hard_body_radius_source"].startswith("policy default 30 m")


def test_estimated_pc_is_the_model_s_foster_pc_at_the_tca(view: dict, catalog_file: Path) -> None:
    sets = {s.catalog_number: s for s in read_elements(catalog_file).sets}
    for got in view["events"]:
        tca = datetime.fromisoformat(got["tca"])
        a, b = sets[STATION], sets[got["secondary"]["catalog_number"]]
        (r1, v1), (r2, v2) = sgp4_state(a, tca), sgp4_state(b, tca)
        want = MODEL.collision_probability(
            r1, v1, ObjectType.PAYLOAD, (tca - a.epoch).total_seconds() / 86400.0,
            r2, v2, ObjectType.PAYLOAD, (tca - b.epoch).total_seconds() / 86400.0, 30.0,
        )
        assert got["pc"]["value"] == pytest.approx(want.pc, rel=1e-9)  # TCA via ISO text: µs


def test_no_estimate_without_names_or_when_asked_not_to(catalog_file: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.tle"  # two-line sets: no names, so no object types
    lines = catalog_file.read_text().splitlines()
    bare.write_text("\n".join(line for line in lines if line[:2] in ("1 ", "2 ")) + "\n")
    v = screen_view(START, days=DAYS, catalog_file=bare)
    assert v["events"]
    assert all(e["pc"]["value"] is None and "object type of NORAD" in e["pc"]["note"] for e in v["events"])
    off = screen_view(START, days=DAYS, catalog_file=catalog_file, estimate_pc=False)
    assert all(e["pc"]["note"] == PC_NOT_COMPUTED for e in off["events"])
    assert off["collision_probability"] == {"computed": False, "reason": PC_NOT_COMPUTED}


def test_primary_uses_the_catalog_set(view: dict) -> None:
    (primary,) = view["primaries"]
    assert primary["catalog_number"] == STATION
    assert primary["epoch"] == "2022-11-30T21:00:00Z"
    assert primary["origin"].startswith("file ")
    assert primary["age_days"] == 0.125


def test_attached_from_the_record_and_co_orbiting(view: dict) -> None:
    by_number = {a["catalog_number"]: a for a in view["attached"]}
    assert set(by_number) == {SHENZHOU_14, SHENZHOU_15, TIANZHOU_5, WENTIAN, MENGTIAN, CO_ORBITER}
    assert by_number[SHENZHOU_15]["name"] == "Shenzhou-15"
    assert by_number[SHENZHOU_15]["reason"] == "docked at Tianhe (Forward) per the station record"
    assert "station record" in by_number[TIANZHOU_5]["reason"]
    assert by_number[WENTIAN]["kind"] == "module"
    formation = by_number[CO_ORBITER]
    assert formation["kind"] == "co-orbiting"
    assert 0.05 < formation["max_range_km"] < 0.5
    secondaries = {e["secondary"]["catalog_number"] for e in view["events"]}
    assert not secondaries & set(by_number)


def test_failed_objects_are_reported_not_fatal(view: dict) -> None:
    failed = {f["catalog_number"]: f for f in view["failures"]}
    assert set(failed) == {BROKEN}
    assert failed[BROKEN]["name"] == "SUBSURFACE"
    assert failed[BROKEN]["reason"]
    assert view["catalog"]["objects"] == 19


def test_unknown_primary_is_a_validation_error(catalog_file: Path) -> None:
    with pytest.raises(ValidationError, match="no element set for NORAD 12345 in the catalog"):
        screen_view(START, days=DAYS, catalog_file=catalog_file, primaries=[12345])


@pytest.mark.parametrize(("days", "threshold"), [(-1.0, 5.0), (0.0, 5.0), (1.0, -2.0)])
def test_window_and_threshold_must_be_positive(catalog_file: Path, days: float, threshold: float) -> None:
    with pytest.raises(ValidationError, match="not positive"):
        screen_view(START, days=days, threshold_km=threshold, catalog_file=catalog_file)


def test_other_primary_has_no_record_attachments(catalog_file: Path) -> None:
    v = screen_view(START, days=DAYS, catalog_file=catalog_file, primaries=[90003])
    assert [a["catalog_number"] for a in v["attached"]] == []
    assert v["primaries"][0]["catalog_number"] == 90003
    secondaries = {e["secondary"]["catalog_number"] for e in v["events"]}
    assert secondaries
    assert 90003 not in secondaries


def test_progress_reaches_the_catalog_size(catalog_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conjunctions, "CHUNK_OBJECTS", 4)  # chunks give the same events
    seen: list[tuple[int, int]] = []
    chunked = screen_view(START, days=DAYS, catalog_file=catalog_file, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (19, 19)
    assert [d for d, _ in seen] == [4, 8, 12, 16, 19]
    whole = screen_view(START, days=DAYS, catalog_file=catalog_file)
    assert chunked["events"] == whole["events"]
    assert chunked["stats"] == whole["stats"]


def test_pc_with_a_given_model_is_labelled_estimated(catalog_file: Path) -> None:
    # Plumbing only: these sigmas are a test fixture, not TLE accuracy figures.
    sig = RtnSigmas(at_epoch_km=(0.1, 0.5, 0.1), growth_km_per_day=(0.0, 0.0, 0.0))
    model = ElementSetCovarianceModel(
        by_type={ObjectType.STATION: sig, ObjectType.DEBRIS: sig}, source="assumed: test fixture",
    )
    types = {n: ObjectType.DEBRIS for n in range(90001, 90016)} | {STATION: ObjectType.STATION}
    v = screen_view(START, days=DAYS, catalog_file=catalog_file, covariance_model=model,
                    object_types=types, hard_body_radius_m=20.0)
    assert v["events"]
    for e in v["events"]:
        assert e["pc"]["estimated"] is True
        assert e["pc"]["source"] == "assumed: test fixture"
        assert 0.0 <= e["pc"]["value"] <= 1.0
    assert v["collision_probability"] == {"computed": True, "estimated": True,
                                          "source": "assumed: test fixture",
                                          "hard_body_radius_m": 20.0, "hard_body_radius_source": "given"}


# --- command line ----------------------------------------------------------------------------


def test_cli_json_equals_the_service(catalog_file: Path, view: dict) -> None:
    result = CliRunner().invoke(app, [
        "conjunctions", "screen", "--catalog", str(catalog_file), "--from", "2022-12-01T00:00:00Z",
        "--days", str(DAYS), "--json", "--no-store",
    ])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(json.dumps(view))


def test_cli_table(catalog_file: Path) -> None:
    result = CliRunner().invoke(app, [
        "conjunctions", "screen", "--catalog", str(catalog_file), "--from", "2022-12-01T00:00:00Z",
        "--days", str(DAYS),
    ])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Events (" in out
    assert "CROSSER 900" in out
    assert "(estimated)" in out
    assert "Pc estimated from element sets" in out
    assert "Shenzhou-15" in out
    assert "Tianzhou-5" in out
    assert "FORMATION" in out
    assert "SUBSURFACE" in out


def test_cli_default_start_is_the_clock(catalog_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spacehome.cli import main

    monkeypatch.setattr(main, "clock", lambda: START)
    result = CliRunner().invoke(app, [
        "conjunctions", "screen", "--catalog", str(catalog_file), "--days", str(DAYS), "--json",
    ])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["from"] == "2022-12-01T00:00:00Z"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "-1"], "error: --days -1.0 is not positive"),
        (["--threshold-km", "0"], "error: --threshold-km 0.0 is not positive"),
        (["--primary", "12345"], "error: no element set for NORAD 12345 in the catalog"),
        (["--from", "2022-12-01T00:00:00"], "error: --from"),
        (["--hard-body-radius-m", "-3"], "error: --hard-body-radius-m -3.0 is not a radius"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(catalog_file: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, [
        "conjunctions", "screen", "--catalog", str(catalog_file), "--from", "2022-12-01T00:00:00Z",
        *args,
    ])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_cli_missing_catalog_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "conjunctions", "screen", "--catalog", str(tmp_path / "none.tle"), "--from",
        "2022-12-01T00:00:00Z",
    ])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert result.stderr.count("\n") == 1


def test_stored_sets_without_a_file_at_a_historical_instant() -> None:
    # No catalog file: the stored (embedded) sets, only the station's, with epochs years after
    # 2022: the station's set cannot reach back (sgp4 reports it decayed), which is a reported
    # failure, not an error; the record still lists what was attached.
    v = screen_view(START, days=DAYS)
    assert v["catalog"] == {"origin": "stored element sets", "objects": 1}
    assert v["events"] == []
    assert [f["catalog_number"] for f in v["failures"]] == [STATION]
    assert "cannot be propagated" in v["failures"][0]["reason"]
    assert [a["catalog_number"] for a in v["attached"]] == [
        WENTIAN, MENGTIAN, SHENZHOU_15, SHENZHOU_14, TIANZHOU_5,
    ]


def test_primary_missing_from_the_file_falls_back_to_the_stored_set(tmp_path: Path) -> None:
    path = tmp_path / "no-station.3le"
    text = write_catalog(tmp_path / "all.3le").read_text(encoding="utf-8").splitlines()
    at = text.index("CSS (TIANHE)")
    path.write_text("\n".join(text[:at] + text[at + 3 :]) + "\n", encoding="utf-8")
    v = screen_view(START, days=DAYS, catalog_file=path)
    assert v["primaries"][0]["origin"].startswith("stored (")
    assert any("NORAD 48274 is not in the catalog" in n for n in v["notes"])
