"""CCSDS Conjunction Data Messages: reading (KVN, XML), writing, round trips, errors that teach.

Test data: a message in the layout of the example CDM of CCSDS 508.0-B-1 (Conjunction Data
Message, Blue Book, issue 1, June 2013), in ``data/cdm_508_example.kvn`` (and as XML in
``.xml``). Its values were written from recollection of the annex and are NOT checked against the
published document (its T and N relative-position components disagree with the state vectors by a
1.9° turn about R): illustrative data for the reader and writer, not a reference value. Header
2010-03-12T22:31:12.000 JSPOC, MESSAGE_ID 201113719185, TCA 2010-03-13T22:37:52.618,
MISS_DISTANCE 715 m, RELATIVE_SPEED 14762 m/s, COLLISION_PROBABILITY 4.835E-05 (FOSTER-1992),
OBJECT1 12345 SATELLITE A 1997-030E, OBJECT2 30337 FENGYUN 1C DEB 1999-025AA, with the state
vectors and covariances of the annex.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from spacehome.cli.main import app as cli
from spacehome.errors import ValidationError
from spacehome.orbit.cdm import Conjunction, conjunction_view, read_cdm, write_cdm

DATA = Path(__file__).parent / "data"
EXAMPLE_KVN = DATA / "cdm_508_example.kvn"
EXAMPLE_XML = DATA / "cdm_508_example.xml"
STATION = DATA / "cdm_station_synthetic.kvn"


@pytest.fixture(scope="module")
def example() -> Conjunction:
    return read_cdm(EXAMPLE_KVN)


def test_reads_the_standard_example(example: Conjunction) -> None:
    assert example.message_id == "201113719185"
    assert example.originator == "JSPOC"
    assert example.message_for == "SATELLITE A"
    assert example.creation_date == datetime(2010, 3, 12, 22, 31, 12, tzinfo=UTC)
    assert example.tca == datetime(2010, 3, 13, 22, 37, 52, 618000, tzinfo=UTC)
    assert example.miss_distance_m == 715.0
    assert example.relative_speed_m_s == 14762.0
    assert example.relative_position_rtn_m == (27.4, -70.2, 711.8)
    assert example.relative_velocity_rtn_m_s == (-7.2, -14692.0, -1437.2)
    assert example.collision_probability == pytest.approx(4.835e-05, rel=1e-12)
    assert example.collision_probability_method == "FOSTER-1992"
    one, two = example.objects
    assert (one.designator, one.name, one.international_designator) == (
        "12345",
        "SATELLITE A",
        "1997-030E",
    )
    assert (two.designator, two.name, two.international_designator) == (
        "30337",
        "FENGYUN 1C DEB",
        "1999-025AA",
    )
    assert one.ref_frame == two.ref_frame == "EME2000"
    assert one.object_type is None
    assert one.area_pc_m2 is None
    assert one.hard_body_radius_m is None
    assert (one.maneuverable, two.maneuverable) == ("YES", "NO")
    assert one.position_km == (2570.097065, 2244.654904, 6281.497978)
    assert two.velocity_km_s == (-2.8886125, -6.007247516, 3.328770172)
    # The 3x3 RTN position block, symmetric, from CR_R CT_R CT_T CN_R CN_T CN_N.
    assert one.position_covariance_rtn_m2 == (
        (41.42, -8.579, -23.13),
        (-8.579, 2533.0, 13.36),
        (-23.13, 13.36, 70.98),
    )
    assert two.position_covariance_rtn_m2[1][1] == 2.492e06
    assert two.position_covariance_rtn_m2[0][1] == two.position_covariance_rtn_m2[1][0] == -4.806e04
    assert one.sigmas_rtn_m == pytest.approx(
        (math.sqrt(41.42), math.sqrt(2533.0), math.sqrt(70.98))
    )
    assert one.velocity_covariance_terms is not None
    assert len(one.velocity_covariance_terms) == 15


def test_the_example_states_agree_with_its_miss_distance_and_speed(example: Conjunction) -> None:
    """An independent check of what was read: the miss vector from the two state vectors."""
    r1, r2 = np.array(example.object1.position_km), np.array(example.object2.position_km)
    v1, v2 = np.array(example.object1.velocity_km_s), np.array(example.object2.velocity_km_s)
    miss_m = np.linalg.norm(r2 - r1) * 1e3
    assert miss_m == pytest.approx(example.miss_distance_m, abs=1.0)  # the CDM rounds to 1 m
    assert np.linalg.norm(v2 - v1) * 1e3 == pytest.approx(example.relative_speed_m_s, abs=0.5)
    assert example.relative_position_rtn_m is not None
    assert np.linalg.norm(example.relative_position_rtn_m) == pytest.approx(miss_m, abs=0.5)
    # Radial component: object 2 minus object 1 along object 1's position unit vector. (The
    # annex's T and N components are the same vector turned ~1.9 deg about R, so only R is held.)
    radial = (r2 - r1) @ (r1 / np.linalg.norm(r1)) * 1e3
    assert radial == pytest.approx(example.relative_position_rtn_m[0], abs=0.1)


def test_kvn_units_are_optional(example: Conjunction) -> None:
    """CCSDS 508.0-B-1 lets KVN omit the bracketed units; the same message without them."""
    bare = re.sub(r"\s*\[[^\]]*\]\s*$", "", EXAMPLE_KVN.read_text(), flags=re.MULTILINE)
    assert "[" not in bare
    assert read_cdm(bare) == example


def test_kvn_and_xml_of_the_same_message_read_equal(example: Conjunction) -> None:
    assert read_cdm(EXAMPLE_XML) == example
    assert read_cdm(EXAMPLE_XML.read_text()) == example


@pytest.mark.parametrize("path", [EXAMPLE_KVN, EXAMPLE_XML, STATION], ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["kvn", "xml"])
def test_read_write_read_round_trips(path: Path, fmt: str) -> None:
    value = read_cdm(path)
    text = write_cdm(value, fmt)  # type: ignore[arg-type]
    assert text.lstrip().startswith("<?xml" if fmt == "xml" else "CCSDS_CDM_VERS")
    assert read_cdm(text) == value


def test_optional_fields_day_of_year_times_and_hard_body_radius() -> None:
    value = read_cdm(STATION)
    assert value.creation_date == datetime(2026, 9, 7, 6, 0, tzinfo=UTC)  # 2026-250
    assert value.tca == datetime(2026, 9, 8, 12, 34, 56, 789000, tzinfo=UTC)  # 2026-251
    assert value.collision_probability is None
    assert value.relative_speed_m_s is None
    assert value.relative_position_rtn_m is None
    assert value.message_for is None
    assert (value.object1.object_type, value.object2.object_type) == ("PAYLOAD", "DEBRIS")
    assert value.object1.area_pc_m2 == 1256.637
    assert value.object1.hard_body_radius_m == pytest.approx(20.0, abs=1e-5)  # pi * 20^2 = 1256.637
    assert value.object2.hard_body_radius_m is None
    assert value.object2.sigmas_rtn_m == (50.0, 500.0, 50.0)


def test_a_value_without_velocity_covariance_is_written_with_zeros_and_a_comment() -> None:
    value = read_cdm(STATION)
    bare = replace(value, object1=replace(value.object1, velocity_covariance_terms=None))
    text = write_cdm(bare)
    assert "velocity covariance terms not available" in text
    assert read_cdm(text).object1.velocity_covariance_terms == (0.0,) * 15


def test_view_is_json_ready(example: Conjunction) -> None:
    view = json.loads(json.dumps(conjunction_view(example)))
    assert view["tca"] == "2010-03-13T22:37:52.618000Z"
    assert view["object2"]["sigma_rtn_m"][1] == pytest.approx(math.sqrt(2.492e6))


# ---------------------------------------------------------------------------------------------
# Malformed input: one ValidationError naming the keyword (and line) and the fix


def _kvn_without(key: str, section: int = 0) -> str:
    """The example KVN without the ``section``-th occurrence (0 = first) of keyword ``key``."""
    lines = EXAMPLE_KVN.read_text().splitlines()
    hits = [i for i, line in enumerate(lines) if line.split("=")[0].strip() == key]
    del lines[hits[section]]
    return "\n".join(lines) + "\n"


def _kvn_with(old: str, new: str) -> str:
    text = EXAMPLE_KVN.read_text()
    assert old in text
    return text.replace(old, new, 1)


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


@pytest.mark.parametrize(
    ("key", "section", "expected"),
    [
        ("TCA", 0, "CDM keyword TCA is missing;"),
        ("MESSAGE_ID", 0, "CDM keyword MESSAGE_ID is missing;"),
        ("MISS_DISTANCE", 0, "CDM keyword MISS_DISTANCE is missing;"),
        ("X", 1, "CDM keyword X is missing in the OBJECT2 section;"),
        ("CN_N", 0, "CDM keyword CN_N is missing in the OBJECT1 section;"),
        ("REF_FRAME", 1, "CDM keyword REF_FRAME is missing in the OBJECT2 section;"),
    ],
)
def test_missing_mandatory_keyword(key: str, section: int, expected: str) -> None:
    with pytest.raises(ValidationError, match="mandatory") as caught:
        read_cdm(_kvn_without(key, section))
    assert caught.value.message.startswith(expected)


def test_a_bad_number_names_its_line() -> None:
    text = _kvn_with("2569.540800", "2569.54O800")
    with pytest.raises(ValidationError) as caught:
        read_cdm(text)
    assert f"line {_line_of(text, '2569.54O800')} (X)" in caught.value.message
    assert "2569.54O800" in caught.value.message


def test_wrong_units_are_refused() -> None:
    text = _kvn_with(
        "MISS_DISTANCE                   = 715 [m]", "MISS_DISTANCE                   = 715 [km]"
    )
    with pytest.raises(ValidationError) as caught:
        read_cdm(text)
    assert f"line {_line_of(text, '715 [km]')} (MISS_DISTANCE)" in caught.value.message
    assert "units" in caught.value.message


def test_unknown_keyword_and_broken_lines_name_the_line() -> None:
    text = _kvn_with("ORIGINATOR", "ORIGINATER")
    with pytest.raises(
        ValidationError, match=rf"line {_line_of(text, 'ORIGINATER')}: unknown keyword ORIGINATER"
    ):
        read_cdm(text)
    text = _kvn_with("TCA                             =", "TCA :")
    with pytest.raises(
        ValidationError, match=rf"line {_line_of(text, 'TCA :')}: .* is not KEYWORD = value"
    ):
        read_cdm(text)


def test_out_of_range_and_enumerated_values() -> None:
    with pytest.raises(
        ValidationError, match=r"COLLISION_PROBABILITY \(line \d+\): 1.5 is not a probability"
    ):
        read_cdm(_kvn_with("4.835E-05", "1.5"))
    text = _kvn_with("REF_FRAME                       = EME2000", "REF_FRAME = FOO")
    with pytest.raises(
        ValidationError,
        match=rf"line {_line_of(text, 'REF_FRAME = FOO')} \(REF_FRAME\): 'FOO' is not a valid .*; "
        "write one of the values",
    ):
        read_cdm(text)
    with pytest.raises(
        ValidationError, match=r"TCA \(line \d+\): '2010-13-13T22:37:52.618' is not a time"
    ):
        read_cdm(_kvn_with("2010-03-13T22:37:52.618", "2010-13-13T22:37:52.618"))


def test_one_object_only() -> None:
    text = EXAMPLE_KVN.read_text()
    with pytest.raises(ValidationError, match="no OBJECT2 section"):
        read_cdm(text[: text.index("OBJECT                          = OBJECT2")])


def test_xml_truncated_missing_bad_number_and_units() -> None:
    xml = EXAMPLE_XML.read_text()
    with pytest.raises(ValidationError, match=r"CDM XML line \d+, column \d+: not well-formed"):
        read_cdm(xml[: len(xml) // 2])
    with pytest.raises(ValidationError, match=r"mandatory element <TCA> is missing"):
        read_cdm(xml.replace("<TCA>2010-03-13T22:37:52.618</TCA>", ""))
    bad = xml.replace(">2569.5408<", ">2569.54O8<")
    with pytest.raises(
        ValidationError,
        match=rf"OBJECT2 X \(line {_line_of(bad, '2569.54O8')}\): '2569.54O8' is not a number",
    ):
        read_cdm(bad)
    bad = xml.replace('units="km">2570.097065', 'units="m">2570.097065')
    with pytest.raises(
        ValidationError, match=r"OBJECT1 X \(line \d+\): units \[m\] are wrong; write \[km\]"
    ):
        read_cdm(bad)


def test_not_a_cdm() -> None:
    with pytest.raises(ValidationError, match="CCSDS OMM message, not a CDM"):
        read_cdm((DATA / "css_omm.kvn").read_text())
    with pytest.raises(ValidationError, match="empty"):
        read_cdm("  \n")
    with pytest.raises(ValidationError, match="does not exist"):
        read_cdm(DATA / "no_such.cdm")
    with pytest.raises(ValidationError, match="format 'json' is unknown"):
        write_cdm(read_cdm(STATION), "json")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# spacehome cdm show


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["cdm", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cdm_show_prints_a_summary() -> None:
    code, out, _ = _invoke("show", str(EXAMPLE_KVN))
    assert code == 0
    assert "TCA 2010-03-13T22:37:52.618000Z" in out
    assert "miss distance 715.0 m" in out
    assert "4.835e-05 (FOSTER-1992)" in out
    assert "FENGYUN 1C DEB (30337, 1999-025AA)" in out
    assert "1-sigma R 36.6 m, T 1578.6 m, N 8.4 m" in out  # sqrt(1337), sqrt(2.492e6), sqrt(71.05)


def test_cdm_show_json() -> None:
    code, out, _ = _invoke("show", str(STATION), "--json")
    assert code == 0
    view = json.loads(out)
    assert view["object1"]["hard_body_radius_m"] == pytest.approx(20.0, abs=1e-5)
    assert view["collision_probability"] is None


def test_cdm_show_malformed_is_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cdm"
    bad.write_text(_kvn_without("TCA"))
    code, out, err = _invoke("show", str(bad))
    assert code == 2
    assert out == ""
    assert err.strip().count("\n") == 0
    assert err.startswith("error: CDM keyword TCA is missing;")
