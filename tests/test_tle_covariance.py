"""The shipped element-set covariance model (record/data/tle_covariance.toml, loaded by
services/tle_covariance.py): it loads, its figures are sane, its provenance is complete, and a
Pc computed with it is labelled estimated and names its source."""

from __future__ import annotations

import math
import re
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from spacehome.errors import RecordError, ValidationError
from spacehome.orbit.collision import ObjectType
from spacehome.services.tle_covariance import FILE_NAME, load_tle_covariance

RAW = tomllib.loads(
    (resources.files("spacehome.record") / "data" / FILE_NAME).read_text("utf-8")
)


def test_the_shipped_model_loads_with_positive_finite_figures() -> None:
    model = load_tle_covariance()
    assert set(model.by_type) == {ObjectType.PAYLOAD, ObjectType.ROCKET_BODY, ObjectType.DEBRIS}
    for sigmas in model.by_type.values():
        for value in (*sigmas.at_epoch_km, *sigmas.growth_km_per_day):
            assert math.isfinite(value)
            assert value > 0.0
        # Element-set errors are largest along the track (drag and timing).
        assert sigmas.at_epoch_km[1] == max(sigmas.at_epoch_km)
        assert sigmas.at_age(3.0)[1] == max(sigmas.at_age(3.0))
    assert FILE_NAME in model.source
    assert "Flohrer" in model.source
    assert "LEO" in model.source


def test_types_without_data_have_no_figures() -> None:
    assert RAW["types"]["station"] == {"measured": False}
    model = load_tle_covariance()
    with pytest.raises(ValidationError, match="no sigmas for station"):
        model.covariance([7000.0, 0, 0], [0, 7.5, 0], ObjectType.STATION, 1.0)


def test_provenance_and_counts_are_recorded() -> None:
    provenance, measurement, model = RAW["provenance"], RAW["measurement"], RAW["model"]
    assert provenance["repository"].startswith("caelo-works/tle-mirror")
    assert provenance["files"]
    assert provenance["selection"].strip()
    snapshots = provenance["snapshot"]
    assert len(snapshots) == measurement["files"] == 4
    for snap in snapshots:
        assert re.fullmatch(r"[0-9a-f]{40}", snap["commit"])
        assert re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:\d\dZ", snap["refreshed"])
    assert measurement["command"].startswith(".venv/bin/python benchmarks/tle_accuracy.py ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", measurement["measured"])
    assert len(model["citations"]) == 2
    assert "method only" in model["citations"][0]
    assert "LEO" in model["regime"]
    assert model["limitations"].strip()
    objects = 0
    for key in ("payload", "rocket-body", "debris"):
        entry = RAW["types"][key]
        assert entry["samples"] > 0
        assert entry["objects"] > 0
        assert entry["rejected"] >= 0
        lo, hi = entry["age_range_days"]
        assert 0.0 <= lo < hi <= measurement["max_age_days"]
        objects += entry["objects"]
    assert objects == measurement["objects"]


def test_a_pc_with_the_model_is_estimated_and_names_its_source() -> None:
    """Debris crossing a payload at 10 km/s, 200 m miss radially, both element sets 2 days old."""
    model = load_tle_covariance()
    r = np.array([6778.0, 0.0, 0.0])
    v1 = np.array([0.0, 7.67, 0.0])
    v2 = np.array([0.0, 7.67 * math.cos(math.radians(80.0)), 7.67 * math.sin(math.radians(80.0))])
    result = model.collision_probability(
        r, v1, ObjectType.PAYLOAD, 2.0,
        r + np.array([0.2, 0.0, 0.0]), v2, ObjectType.DEBRIS, 2.0,
        hard_body_radius_m=20.0,
    )
    assert result.estimated is True
    assert result.covariance_source == model.source
    assert 0.0 < result.pc < 1.0
    assert result.pc <= result.pc_max


def test_a_broken_copy_is_refused(tmp_path: Path) -> None:
    text = (resources.files("spacehome.record") / "data" / FILE_NAME).read_text("utf-8")
    bad = tmp_path / FILE_NAME
    bad.write_text(text.replace("at_epoch_km = [0.0043, 0.0702, 0.0165]",
                                "at_epoch_km = [0.0043, 0.0702]"), encoding="utf-8")
    with pytest.raises(RecordError, match=r"types\.payload.*at_epoch_km"):
        load_tle_covariance(bad)
    bad.write_text(text.replace("[types.debris]", "[types.meteoroid]"), encoding="utf-8")
    with pytest.raises(RecordError, match="unknown object type"):
        load_tle_covariance(bad)
