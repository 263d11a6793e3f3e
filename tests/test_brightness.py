"""The derived CSS standard magnitude (record/data/brightness.toml): the stored value follows from
the stored inputs, every input is sourced, the range brackets the value, the module dimensions are
the station record's, and the method reproduces the ISS's observed standard magnitude.

The arithmetic here is written independently of :mod:`spacehome.record.brightness`: mean projected
area of a convex body = its surface area / 4 (Cauchy), a flat wing counted by its two faces.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from spacehome.domain.record import StationRecord
from spacehome.errors import RecordError
from spacehome.record.brightness import (
    DerivedMagnitude,
    load_brightness,
    station_standard_magnitude,
)

DATA = Path(str(resources.files("spacehome.record") / "data"))
RAW = tomllib.loads((DATA / "brightness.toml").read_text(encoding="utf-8"))
SHARED_SOURCES = tomllib.loads((DATA / "sources.toml").read_text(encoding="utf-8"))["source"]


def values(entry: Any) -> list[float]:
    """Every sourced value of an input: the chosen one first, then the alternatives."""
    if isinstance(entry, dict):
        return [entry["value"], *(a["value"] for a in entry.get("alternatives", []))]
    return [entry]


def surface_over_four(part: dict[str, Any], pick: Callable[[list[float]], float]) -> float:
    count = pick(values(part["count"]))
    if part["shape"] == "cylinder":
        length, diameter = pick(values(part["length_m"])), pick(values(part["diameter_m"]))
        surface = math.pi * diameter * length + 2 * math.pi * (diameter / 2) ** 2
    elif "area_m2" in part:
        surface = 2 * pick(values(part["area_m2"]))
    else:
        surface = 2 * pick(values(part["length_m"])) * pick(values(part["width_m"]))
    return count * surface / 4


def magnitude(constant: float, parts: list[dict[str, Any]], kinds: set[str], pick: Callable[[list[float]], float]) -> float:
    area = sum(surface_over_four(p, pick) for p in parts if p["kind"] in kinds)
    return constant - 2.5 * math.log10(area)


def first(xs: list[float]) -> float:
    return xs[0]


def test_value_is_the_formula_applied_to_the_inputs() -> None:
    estimate = RAW["estimate"]
    parts = RAW["part"]
    constants = values(RAW["constant"])
    central = magnitude(constants[0], parts, {"module", "wing"}, first)
    assert central == pytest.approx(-0.33, abs=0.01)
    assert estimate["value"] == pytest.approx(central, abs=0.05)
    brightest = magnitude(min(constants), parts, {"module", "wing", "visitor"}, max)
    assert estimate["low"] == pytest.approx(brightest, abs=0.05)
    faintest = magnitude(max(constants), parts, {"module"}, min)
    assert estimate["high"] == pytest.approx(faintest, abs=0.05)


def test_the_module_returns_the_stored_estimate_labelled_derived() -> None:
    estimate = station_standard_magnitude()
    assert isinstance(estimate, DerivedMagnitude)
    assert (estimate.value, estimate.low, estimate.high) == (-0.3, -0.9, 0.7)
    assert estimate.uncertainty == 1.0
    assert RAW["estimate"]["status"] == "derived"
    assert "McCants" in estimate.method
    assert estimate.note.startswith("Derived")
    assert estimate.document == "docs/research/brightness.md"
    urls = {c.url for c in estimate.sources}
    assert "http://www.prismnet.com/~mmccants/tles/mccdesc.html" in urls
    assert "http://www.satobs.org/seesat/Oct-2008/0094.html" in urls


def test_the_range_brackets_the_value() -> None:
    estimate = station_standard_magnitude()
    assert estimate.low < estimate.value < estimate.high
    assert estimate.value - estimate.uncertainty <= estimate.low
    assert estimate.value + estimate.uncertainty >= estimate.high


def test_every_input_is_sourced_and_every_source_exists() -> None:
    own = RAW["source"]
    known = set(own) | set(SHARED_SOURCES)
    assert not set(own) & set(SHARED_SOURCES), "a source is defined twice"

    def check(entry: Any, where: str) -> None:
        assert isinstance(entry, dict), f"{where} has no sources"
        assert entry.get("sources"), f"{where} has no sources"
        for sid in entry["sources"]:
            assert sid in known, f"{where} cites unknown {sid!r}"
        for alternative in entry.get("alternatives", []):
            assert alternative.get("sources"), f"{where} has an unsourced alternative"
            assert set(alternative["sources"]) <= known

    check(RAW["constant"], "constant")
    check(RAW["iss_check"]["observed"], "iss_check.observed")
    check(RAW["estimate"]["applies_from"], "estimate.applies_from")
    assert set(RAW["estimate"]["sources"]) <= known
    for part in RAW["part"] + RAW["iss_check"]["part"]:
        for key in ("length_m", "diameter_m", "width_m", "area_m2"):
            if key in part:
                check(part[key], f"{part['name']}.{key}")
        if part["count"] != 1:
            check(part["count"], f"{part['name']}.count")
    for sid, body in own.items():
        assert body["url"].startswith("http"), sid
        assert body["quote"], f"source {sid} has no quote"


def test_module_dimensions_are_the_station_records(record: StationRecord) -> None:
    by_name = {p["name"]: p for p in RAW["part"]}
    for module in record.modules:
        part = by_name[module.name]
        assert set(values(part["length_m"])) == {
            module.length_m.value, *(a.value for a in module.length_m.alternatives)
        }
        assert values(part["diameter_m"]) == [module.max_diameter_m.value]
        wings = by_name[f"{module.name} solar wings"]
        assert values(wings["count"]) == [module.solar_arrays.wings.value]
        area = module.solar_arrays.wing_area_m2
        if area.is_known:
            assert set(values(wings["area_m2"])) == {area.value, *(a.value for a in area.alternatives)}
        else:  # Tianhe: the area is derived from the sourced length and width
            assert values(wings["length_m"]) == [module.solar_arrays.wing_length_m.value]
            assert wings["width_m"]["value"] * wings["length_m"]["value"] == pytest.approx(50.6)


def test_the_method_reproduces_the_iss_standard_magnitude() -> None:
    check = load_brightness().iss_check
    assert check.observed.value == -1.8
    parts = RAW["iss_check"]["part"]
    constant = values(RAW["constant"])[0]
    assert check.value == pytest.approx(magnitude(constant, parts, {"module", "wing"}, first), abs=1e-9)
    assert check.value == pytest.approx(-1.63, abs=0.01)
    assert check.low == pytest.approx(-1.94, abs=0.01)
    # within a few tenths of the observed value, over all the sourced array areas
    assert abs(check.value - check.observed.value) < 0.3
    assert abs(check.low - check.observed.value) < 0.3


def test_the_estimate_applies_only_to_the_completed_css() -> None:
    estimate = station_standard_magnitude()
    after = datetime(2026, 9, 6, tzinfo=UTC)
    assert estimate.applies_to(48274, after)
    assert estimate.applies_to(54216, after)
    assert not estimate.applies_to(48274, datetime(2022, 7, 1, tzinfo=UTC))
    assert not estimate.applies_to(25544, after)  # the ISS


def test_a_stored_value_that_does_not_follow_from_the_inputs_is_refused(
    data_copy: Path, edit: Callable[[str, str, str], None]
) -> None:
    edit("brightness.toml", "value = -0.3", "value = -1.0")
    with pytest.raises(RecordError, match=r"estimate: field 'value': stored -1.0 but the inputs give -0.33"):
        load_brightness(data_copy)


def test_changing_an_input_without_the_value_is_refused(
    data_copy: Path, edit: Callable[[str, str, str], None]
) -> None:
    edit(
        "brightness.toml",
        'area_m2 = { value = 110, sources = ["kevinjamesng-2022-08"], note = "each about 110 m2" }',
        'area_m2 = { value = 300, sources = ["kevinjamesng-2022-08"], note = "each about 110 m2" }',
    )
    with pytest.raises(RecordError, match="the inputs give"):
        load_brightness(data_copy)


def test_an_unsourced_input_is_refused(data_copy: Path, edit: Callable[[str, str, str], None]) -> None:
    edit(
        "brightness.toml",
        'length_m = { value = 17.9, sources = ["xinhua-wentian-2022-07-25"] }',
        "length_m = 17.9",
    )
    with pytest.raises(RecordError, match=r"Wentian.*length_m.*give its sources"):
        load_brightness(data_copy)


def test_an_unknown_source_is_refused(data_copy: Path, edit: Callable[[str, str, str], None]) -> None:
    edit("brightness.toml", 'sources = ["nssdc-2022-152a"] }\ndiameter_m', 'sources = ["nssdc-2099"] }\ndiameter_m')
    with pytest.raises(RecordError, match="'nssdc-2099', which is neither"):
        load_brightness(data_copy)


def test_the_estimate_must_be_labelled_derived(data_copy: Path, edit: Callable[[str, str, str], None]) -> None:
    edit("brightness.toml", 'status = "derived"', 'status = "published"')
    with pytest.raises(RecordError, match="no published standard magnitude"):
        load_brightness(data_copy)
