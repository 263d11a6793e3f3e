"""Element-set files: TLE and OMM (KVN, XML, CelesTrak JSON and CSV) through one reader.

Reference element set: the CSS (TIANHE) TLE below. The OMM fixtures in ``data/`` are the same
elements written by hand from ``sgp4.exporter.export_omm`` (see ``data/README.md``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sgp4.api import WGS72, Satrec, jday
from sgp4.exporter import export_omm
from sgp4.io import compute_checksum

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.orbit.elements import from_omm, from_tle, satrec
from spacehome.orbit.formats import (
    FORMATS,
    ElementProblem,
    FieldError,
    TleError,
    check_tle,
    parse_elements,
    read_elements,
)

DATA = Path(__file__).parent / "data"

CSS_TITLE = "CSS (TIANHE)"
CSS_L1 = "1 48274U 21035A   26249.26095405  .00013514  00000+0  16863-3 0  9990"
CSS_L2 = "2 48274  41.4675 189.8186 0002350 260.0025 100.0548 15.59622579305827"

# Two more real-format sets, from the sgp4 package's own tests (Vanguard 1, two epochs).
VANGUARD_OLD = (
    "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753",
    "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667",
)
VANGUARD_NEW = (
    "1 00005U 58002B   20287.20333880 -.00000016  00000-0 -22483-4 0  9998",
    "2 00005  34.2443 225.5254 1845686 162.2516 205.2356 10.84869164218149",
)

#: What the CSS TLE says, read off its columns by hand.
CSS_SET = ElementSet(
    catalog_number=48274,
    name=CSS_TITLE,
    international_designator="2021-035A",
    # day 249 of 2026 is September 6; 0.26095405 d = 6 h 15 min 46.429920 s
    epoch=datetime(2026, 9, 6, 6, 15, 46, 429920, tzinfo=UTC),
    mean_motion_rev_per_day=15.59622579,
    eccentricity=0.000235,
    inclination_deg=41.4675,
    raan_deg=189.8186,
    arg_perigee_deg=260.0025,
    mean_anomaly_deg=100.0548,
    bstar_per_earth_radius=0.16863e-3,
    mean_motion_dot_rev_per_day2=0.00013514,
    mean_motion_ddot_rev_per_day3=0.0,
    element_set_number=999,
    rev_at_epoch=30582,
    classification="U",
    line1=CSS_L1,
    line2=CSS_L2,
)

#: Position agreement required between the same elements read from different formats.
SAME_ORBIT_KM = 0.001  # 1 m
SAME_VELOCITY_KM_S = 1e-6  # 1 mm/s


def put(line: str, column: int, text: str) -> str:
    """``line`` with ``text`` written from 1-based ``column``, and a fresh checksum."""
    changed = line[: column - 1] + text + line[column - 1 + len(text) :]
    return changed[:68] + str(compute_checksum(changed[:68]))


def state_after(elements: ElementSet, days: float) -> tuple[list[float], list[float]]:
    sat = satrec(elements)
    e, r, v = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF + days)
    assert e == 0
    return list(r), list(v)


def distance(a: list[float], b: list[float]) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


# --------------------------------------------------------------------------------------------
# TLE text forms


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param(f"{CSS_L1}\n{CSS_L2}\n", None, id="2-line"),
        pytest.param(f"{CSS_TITLE}\n{CSS_L1}\n{CSS_L2}\n", CSS_TITLE, id="3-line"),
        pytest.param(f"0 {CSS_TITLE}\n{CSS_L1}\n{CSS_L2}\n", CSS_TITLE, id="0-titled"),
        pytest.param(f"{CSS_TITLE}\r\n{CSS_L1}\r\n{CSS_L2}\r\n", CSS_TITLE, id="CRLF"),
        pytest.param(
            f"\n\n{CSS_TITLE}            \n{CSS_L1}   \n\n{CSS_L2}  \r\n\n", CSS_TITLE, id="blanks"
        ),
        pytest.param(f"{CSS_L1}\n{CSS_L2}", None, id="no-final-newline"),
    ],
)
def test_css_tle_reads_the_same_in_every_text_form(text: str, name: str | None) -> None:
    result = parse_elements(text)
    assert result.format == "tle"
    assert result.problems == ()
    assert result.sets == (dataclasses.replace(CSS_SET, name=name),)


def test_tle_epoch_is_exact_to_the_microsecond() -> None:
    # The epoch comes from sgp4's jdsatepoch + jdsatepochF; sgp4's own conversion agrees.
    from sgp4.conveniences import sat_epoch_datetime

    sat = Satrec.twoline2rv(CSS_L1, CSS_L2, WGS72)
    assert from_tle(CSS_L1, CSS_L2).epoch == sat_epoch_datetime(sat)
    assert from_tle(*VANGUARD_OLD).epoch == datetime(2000, 6, 27, 18, 50, 19, 733568, tzinfo=UTC)


def test_from_tle_values_match_sgp4s_reading() -> None:
    sat = Satrec.twoline2rv(CSS_L1, CSS_L2, WGS72)
    omm = export_omm(sat, CSS_TITLE)
    es = from_tle(CSS_L1, CSS_L2, CSS_TITLE)
    assert es.bstar_per_earth_radius == pytest.approx(omm["BSTAR"], rel=1e-12)
    assert es.mean_motion_dot_rev_per_day2 == pytest.approx(omm["MEAN_MOTION_DOT"], rel=1e-12)
    assert es.mean_motion_rev_per_day == pytest.approx(omm["MEAN_MOTION"], rel=1e-12)
    assert es.international_designator == omm["OBJECT_ID"]
    negative = from_tle(*VANGUARD_NEW)
    assert negative.mean_motion_dot_rev_per_day2 == -0.00000016
    assert negative.bstar_per_earth_radius == pytest.approx(-0.22483e-4, rel=1e-12)


# --------------------------------------------------------------------------------------------
# OMM fixtures


OMM_FIXTURES = [
    ("css_omm.kvn", "omm-kvn"),
    ("css_omm.xml", "omm-xml"),
    ("css_omm.json", "omm-json"),
    ("css_omm.csv", "omm-csv"),
]


@pytest.mark.parametrize(("file", "fmt"), OMM_FIXTURES)
def test_omm_fixture_propagates_like_the_tle(file: str, fmt: str) -> None:
    result = read_elements(DATA / file)
    assert result.format == fmt
    assert result.problems == ()
    (es,) = result.sets
    assert es.line1 is None  # really built from OMM values, not from TLE lines
    assert dataclasses.replace(es, line1=CSS_L1, line2=CSS_L2) == CSS_SET
    r_omm, v_omm = state_after(es, 1.0)
    r_tle, v_tle = state_after(CSS_SET, 1.0)
    assert distance(r_omm, r_tle) < SAME_ORBIT_KM
    assert distance(v_omm, v_tle) < SAME_VELOCITY_KM_S
    # and it really moved: a day later the station is elsewhere on its orbit
    r0, _ = state_after(CSS_SET, 0.0)
    assert 6700.0 < sum(x * x for x in r_tle) ** 0.5 < 6900.0
    assert distance(r0, r_tle) > 100.0


@pytest.mark.parametrize(("file", "fmt"), [("css.tle", "tle"), *OMM_FIXTURES])
def test_fixture_values_are_sgp4s_export_of_the_tle(file: str, fmt: str) -> None:
    omm = export_omm(Satrec.twoline2rv(CSS_L1, CSS_L2, WGS72), CSS_TITLE)
    (es,) = read_elements(DATA / file).sets
    assert es.name == omm["OBJECT_NAME"]
    assert es.international_designator == omm["OBJECT_ID"]
    assert es.catalog_number == omm["NORAD_CAT_ID"]
    assert es.epoch == datetime.fromisoformat(omm["EPOCH"]).replace(tzinfo=UTC)
    for ours, key in [
        (es.mean_motion_rev_per_day, "MEAN_MOTION"),
        (es.eccentricity, "ECCENTRICITY"),
        (es.inclination_deg, "INCLINATION"),
        (es.raan_deg, "RA_OF_ASC_NODE"),
        (es.arg_perigee_deg, "ARG_OF_PERICENTER"),
        (es.mean_anomaly_deg, "MEAN_ANOMALY"),
        (es.bstar_per_earth_radius, "BSTAR"),
        (es.mean_motion_dot_rev_per_day2, "MEAN_MOTION_DOT"),
        (es.mean_motion_ddot_rev_per_day3, "MEAN_MOTION_DDOT"),
    ]:
        assert ours == pytest.approx(omm[key], rel=1e-12, abs=1e-15), key
    assert es.element_set_number == omm["ELEMENT_SET_NO"]
    assert es.rev_at_epoch == omm["REV_AT_EPOCH"]


def test_kvn_day_of_year_epoch_is_read() -> None:
    text = (DATA / "css_omm.kvn").read_text(encoding="utf-8")
    text = text.replace("EPOCH = 2026-09-06T06:15:46.429920", "EPOCH = 2026-249T06:15:46.429920")
    (es,) = parse_elements(text).sets
    assert es.epoch == CSS_SET.epoch


def test_kvn_with_two_messages_gives_two_sets() -> None:
    one = (DATA / "css_omm.kvn").read_text(encoding="utf-8")
    two = one.replace("NORAD_CAT_ID = 48274", "NORAD_CAT_ID = 48275")
    result = parse_elements(one + "\n" + two)
    assert [s.catalog_number for s in result.sets] == [48274, 48275]


def test_ndm_xml_with_several_omms_and_one_bad() -> None:
    text = (DATA / "css_omm.xml").read_text(encoding="utf-8")
    start = text.index("  <omm ")
    end = text.index("</omm>") + len("</omm>\n")
    omm = text[start:end]
    second = omm.replace("<NORAD_CAT_ID>48274", "<NORAD_CAT_ID>48275")
    # A missing required element makes the library refuse the whole document; each <omm> is
    # then read on its own, so only the bad one is lost.
    bad = omm.replace("<INCLINATION>41.4675</INCLINATION>", "")
    combined = text[:end] + second + bad + text[end:]
    result = parse_elements(combined)
    assert result.format == "omm-xml"
    assert [s.catalog_number for s in result.sets] == [48274, 48275]
    (problem,) = result.problems
    assert problem.record == 3
    assert problem.line == combined[: combined.rindex("<omm ")].count("\n") + 1
    assert "inclination" in problem.message


def test_xml_bad_value_names_the_field_line() -> None:
    text = (DATA / "css_omm.xml").read_text(encoding="utf-8")
    text = text.replace("<INCLINATION>41.4675<", "<INCLINATION>200.0<")
    with pytest.raises(ValidationError, match="INCLINATION"):
        parse_elements(text)
    doubled = _double_xml(text, 48275, "<INCLINATION>200.0<", "<INCLINATION>41.4675<")
    result = parse_elements(doubled)
    assert [s.catalog_number for s in result.sets] == [48275]
    (problem,) = result.problems
    lines = doubled.splitlines()
    assert problem.line is not None
    assert "<INCLINATION>200.0<" in lines[problem.line - 1]
    assert "inclination 200 deg is outside 0 .. 180 deg" in problem.message


def _double_xml(text: str, catalog: int, old: str, new: str) -> str:
    start = text.index("  <omm ")
    end = text.index("</omm>") + len("</omm>\n")
    second = text[start:end].replace("<NORAD_CAT_ID>48274", f"<NORAD_CAT_ID>{catalog}")
    return text[:end] + second.replace(old, new) + text[end:]


# --------------------------------------------------------------------------------------------
# Catalog numbers beyond five digits


def test_alpha5_catalog_number_through_tle() -> None:
    l1, l2 = put(CSS_L1, 3, "A0000"), put(CSS_L2, 3, "A0000")
    check_tle(l1, l2)
    (es,) = parse_elements(f"{l1}\n{l2}\n").sets
    assert es.catalog_number == 100000
    z1, z2 = put(CSS_L1, 3, "Z9999"), put(CSS_L2, 3, "Z9999")
    assert from_tle(z1, z2).catalog_number == 339999
    # same elements, same orbit, whatever the number
    assert distance(state_after(es, 1.0)[0], state_after(CSS_SET, 1.0)[0]) < 1e-9


def test_alpha5_refuses_i_and_o() -> None:
    for letter in "IO":
        l1, l2 = put(CSS_L1, 3, f"{letter}0000"), put(CSS_L2, 3, f"{letter}0000")
        with pytest.raises(TleError) as caught:
            check_tle(l1, l2)
        assert (caught.value.tle_line, caught.value.column) == (1, 3)
        assert "other than I and O" in caught.value.message


def _css_json(catalog: int) -> str:
    record = json.loads((DATA / "css_omm.json").read_text(encoding="utf-8"))[0]
    record["NORAD_CAT_ID"] = catalog
    return json.dumps([record], indent=2)


def test_nine_digit_catalog_number_through_omm_json() -> None:
    (big,) = parse_elements(_css_json(270000001)).sets
    (small,) = parse_elements(_css_json(48274)).sets
    assert big.catalog_number == 270000001
    assert satrec(big).satnum == 0  # sgp4 cannot hold it; the ElementSet does
    assert satrec(small).satnum == 48274
    for days in (0.0, 0.5, 1.0, 3.0):
        r_big, v_big = state_after(big, days)
        r_small, v_small = state_after(small, days)
        assert distance(r_big, r_small) < 1e-9
        assert distance(v_big, v_small) < 1e-12


def test_catalog_number_beyond_nine_digits_is_refused() -> None:
    with pytest.raises(ValidationError, match="NORAD_CAT_ID is 1000000000"):
        parse_elements(_css_json(1_000_000_000))


# --------------------------------------------------------------------------------------------
# TLE validation: one problem per bad set, naming line and column

# Each case turns the second set of a file (title on line 4, line 1 on 5, line 2 on 6) bad.
TleCase = tuple[str, Callable[[str, str], tuple[str, str]], int, int, str]
TLE_CASES: list[TleCase] = [
    (
        "bad checksum",
        lambda a, b: (a[:68] + "3", b),
        5,
        69,
        "checksum is 3 but the line's digits sum to 0 (mod 10); re-download the element set "
        "or fix the digit",
    ),
    ("wrong length", lambda a, b: (a, b[:20] + b[21:]), 6, 69, "68 characters long"),
    ("too long", lambda a, b: (a, b + "0"), 6, 70, "70 characters long"),
    ("missing blank", lambda a, b: (put(a, 9, "2"), b), 5, 9, "column 9 must be blank"),
    (
        "bad decimal point",
        lambda a, b: (a, put(b, 12, "4")),
        6,
        12,
        "column 12 must hold the decimal point of the inclination",
    ),
    ("negative eccentricity", lambda a, b: (a, put(b, 27, "-")), 6, 27, "eccentricity"),
    (
        "inclination 200",
        lambda a, b: (a, put(b, 9, "200.0000")),
        6,
        9,
        "inclination 200 deg is outside 0 .. 180 deg",
    ),
    ("node 400", lambda a, b: (a, put(b, 18, "400.0000")), 6, 18, "outside 0 .. 360 deg"),
    (
        "mean anomaly 360.5",
        lambda a, b: (a, put(b, 44, "360.5000")),
        6,
        44,
        "mean anomaly 360.5 deg is outside 0 .. 360 deg",
    ),
    (
        "mean motion 0",
        lambda a, b: (a, put(b, 53, " 0.00000000")),
        6,
        53,
        "mean motion 0 rev/day must be greater than 0",
    ),
    (
        "mean motion 20",
        lambda a, b: (a, put(b, 53, "20.00000000")),
        6,
        53,
        "faster than a grazing orbit",
    ),
    (
        "day 367",
        lambda a, b: (put(a, 21, "367.00000000"), b),
        5,
        21,
        "epoch day of year 367.00000000 (columns 21-32) is outside 1.0 .. 366.99999999",
    ),
    (
        "day 0.5",
        lambda a, b: (put(a, 21, "000.50000000"), b),
        5,
        21,
        "outside 1.0 .. 366.99999999",
    ),
    (
        "day 366 in 2026",
        lambda a, b: (put(a, 21, "366.26095405"), b),
        5,
        21,
        "2026 is not a leap year",
    ),
    (
        "mismatched catalog numbers",
        lambda a, b: (a, put(b, 3, "48275")),
        6,
        3,
        "catalog number '48275' (columns 3-7) differs from line 1's '48274'",
    ),
    ("bad classification", lambda a, b: (put(a, 8, "X"), b), 5, 8, "use U, C or S"),
    ("ephemeris type 4", lambda a, b: (put(a, 63, "4"), b), 5, 63, "SGP4-XP"),
    ("letter in a digit field", lambda a, b: (a, put(b, 56, "x")), 6, 56, "mean motion"),
]


@pytest.mark.parametrize(
    ("case", "break_set", "line", "column", "message"),
    TLE_CASES,
    ids=[case[0] for case in TLE_CASES],
)
def test_each_tle_fault_is_one_problem_at_its_line_and_column(
    case: str,
    break_set: Callable[[str, str], tuple[str, str]],
    line: int,
    column: int,
    message: str,
) -> None:
    bad1, bad2 = break_set(CSS_L1, CSS_L2)
    text = "\n".join([CSS_TITLE, CSS_L1, CSS_L2, "BROKEN", bad1, bad2]) + "\n"
    result = parse_elements(text)
    assert result.sets == (CSS_SET,)
    (problem,) = result.problems
    assert (problem.record, problem.line, problem.column) == (2, line, column)
    assert message in problem.message
    assert str(problem).startswith(f"line {line}, column {column}: ")
    # check_tle says the same, naming the TLE line and column
    with pytest.raises(ValidationError) as caught:
        check_tle(bad1, bad2)
    assert str(caught.value).startswith(f"TLE line {line - 4}, column {column}: ")
    assert message in str(caught.value)


def test_day_366_of_a_leap_year_is_accepted() -> None:
    l1 = put(put(CSS_L1, 19, "24"), 21, "366.50000000")
    check_tle(l1, CSS_L2)
    assert from_tle(l1, CSS_L2).epoch == datetime(2024, 12, 31, 12, tzinfo=UTC)


def test_orphan_line_1_and_line_2_are_problems() -> None:
    text = "\n".join(
        [
            CSS_TITLE,  # 1
            CSS_L1,  # 2: its line 2 never comes
            "VANGUARD 1",  # 3
            *VANGUARD_OLD,  # 4, 5
            VANGUARD_NEW[1],  # 6: a line 2 with no line 1
            CSS_L1,  # 7
            CSS_L2,  # 8
            "DANGLING TITLE",  # 9
        ]
    )
    result = parse_elements(text)
    assert [(s.catalog_number, s.name) for s in result.sets] == [(5, "VANGUARD 1"), (48274, None)]
    assert [(p.record, p.line, p.column) for p in result.problems] == [
        (1, 2, 1),
        (3, 6, 1),
        (5, 9, 1),
    ]
    assert "has no line 2 after it" in result.problems[0].message
    assert "has no line 1 before it" in result.problems[1].message
    assert "not followed by a TLE line 1" in result.problems[2].message


def test_three_good_and_two_bad_sets() -> None:
    bad_checksum = CSS_L2[:68] + "0"
    text = "\n".join(
        [
            "# a comment line is skipped",  # 1
            f"0 {CSS_TITLE}",  # 2
            CSS_L1,  # 3
            CSS_L2,  # 4
            "",  # 5
            "BAD CHECKSUM",  # 6
            CSS_L1,  # 7
            bad_checksum,  # 8
            "VANGUARD 1",  # 9
            *VANGUARD_OLD,  # 10, 11
            "BAD INCLINATION",  # 12
            VANGUARD_NEW[0],  # 13
            put(VANGUARD_NEW[1], 9, "200.0000"),  # 14
            *VANGUARD_NEW,  # 15, 16
        ]
    )
    result = parse_elements(text)
    assert [s.catalog_number for s in result.sets] == [48274, 5, 5]
    assert [s.name for s in result.sets] == [CSS_TITLE, "VANGUARD 1", None]
    assert [(p.record, p.line, p.column) for p in result.problems] == [(2, 8, 69), (4, 14, 9)]
    assert str(result.problems[0]) == (
        "line 8, column 69: checksum is 0 but the line's digits sum to 7 (mod 10); "
        "re-download the element set or fix the digit"
    )


def test_only_bad_sets_raise() -> None:
    text = "\n".join([CSS_TITLE, CSS_L1, CSS_L2[:68] + "0", "X", put(CSS_L1, 9, "2"), CSS_L2])
    with pytest.raises(ValidationError) as caught:
        parse_elements(text)
    message = str(caught.value)
    assert message.startswith("no element set could be read as tle: line 3, column 69: checksum")
    assert "and 1 more" in message
    assert "accepted formats are TLE" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("hello world\nthis is not an element set\n", "cannot tell the format"),
        ("CCSDS_OPM_VERS = 2.0\nOBJECT_NAME = X\n", "CCSDS OPM message, not an OMM"),
    ],
)
def test_unreadable_text_raises(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        parse_elements(text)


def test_explicit_format_is_checked() -> None:
    with pytest.raises(ValidationError, match="unknown element-set format 'tle3'"):
        parse_elements(f"{CSS_L1}\n{CSS_L2}\n", format="tle3")
    assert parse_elements(f"{CSS_L1}\n{CSS_L2}\n", format="tle").sets == (
        dataclasses.replace(CSS_SET, name=None),
    )
    assert set(FORMATS) == {"tle", "omm-kvn", "omm-xml", "omm-json", "omm-csv"}


def test_from_tle_strict_and_lenient() -> None:
    bad = CSS_L1[:68] + "3"
    with pytest.raises(TleError) as caught:
        from_tle(bad, CSS_L2)
    assert (caught.value.tle_line, caught.value.column) == (1, 69)
    assert from_tle(bad, CSS_L2, strict=False).catalog_number == 48274
    # sgp4's C++ reader accepts almost anything; the column reading still refuses garbage
    with pytest.raises(ValidationError, match="fields are not at their columns"):
        from_tle(CSS_L1[:40], CSS_L2, strict=False)


# --------------------------------------------------------------------------------------------
# OMM validation


def _kvn(old: str, new: str) -> str:
    text = (DATA / "css_omm.kvn").read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


def _kvn_line(text: str, key: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(key))


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        ("ECCENTRICITY = 0.0002350", "ECCENTRICITY = 1.2", "ECCENTRICITY", "0 <= e < 1"),
        ("ECCENTRICITY = 0.0002350", "ECCENTRICITY = 1.0", "ECCENTRICITY", "0 <= e < 1"),
        ("INCLINATION = 41.4675", "INCLINATION = 200", "INCLINATION", "outside 0 .. 180"),
        ("MEAN_MOTION = 15.59622579", "MEAN_MOTION = 0.0", "MEAN_MOTION", "greater than 0"),
        ("MEAN_MOTION = 15.59622579", "MEAN_MOTION = 21.0", "MEAN_MOTION", "grazing orbit"),
        ("REF_FRAME = TEME", "REF_FRAME = GCRF", "REF_FRAME", "defined in TEME"),
        ("TIME_SYSTEM = UTC", "TIME_SYSTEM = TAI", "TIME_SYSTEM", "convert the epoch to UTC"),
        (
            "MEAN_ELEMENT_THEORY = SGP4",
            "MEAN_ELEMENT_THEORY = SGP4-XP",
            "MEAN_ELEMENT_THEORY",
            "wrong positions",
        ),
        ("CENTER_NAME = EARTH", "CENTER_NAME = MOON", "CENTER_NAME", "Earth-centred"),
        ("EPOCH = 2026-09-06T06:15:46.429920", "EPOCH = 2026-13-06T06:00", "EPOCH", "not a date"),
        ("EPOCH = 2026-09-06T06:15:46.429920", "EPOCH = 2026-366T06:00", "EPOCH", "not a date"),
    ],
)
def test_omm_field_problems_name_the_field_and_its_line(
    old: str, new: str, key: str, fragment: str
) -> None:
    bad = _kvn(old, new).replace("NORAD_CAT_ID = 48274", "NORAD_CAT_ID = 48275")
    text = (DATA / "css_omm.kvn").read_text(encoding="utf-8") + "\n" + bad
    result = parse_elements(text)
    assert [s.catalog_number for s in result.sets] == [48274]
    (problem,) = result.problems
    assert problem.record == 2
    assert problem.column is None  # OMM has no columns
    (bad_line,) = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(new)]
    assert problem.line == bad_line  # in the second message
    assert key in problem.message
    assert fragment in problem.message


def test_kvn_missing_mandatory_metadata_is_a_problem() -> None:
    text = _kvn("REF_FRAME = TEME\n", "")
    with pytest.raises(ValidationError, match=r"REF_FRAME is missing; CCSDS 502\.0-B-3 requires"):
        parse_elements(text)


def test_kvn_unsupported_version_says_which_are_read() -> None:
    text = _kvn("CCSDS_OMM_VERS = 3.0", "CCSDS_OMM_VERS = 1.0")
    with pytest.raises(ValidationError, match=r"CCSDS_OMM_VERS 1\.0 is not read; write OMM 2\.0"):
        parse_elements(text)
    assert parse_elements(_kvn("CCSDS_OMM_VERS = 3.0", "CCSDS_OMM_VERS = 2.0")).sets[0].epoch == (
        CSS_SET.epoch
    )


def test_kvn_unconvertible_value_points_at_its_line() -> None:
    text = _kvn("INCLINATION = 41.4675", "INCLINATION = 4x1.4675")
    with pytest.raises(ValidationError) as caught:
        parse_elements(text)
    line = _kvn_line(text, "INCLINATION")
    assert str(caught.value).startswith(f"no element set could be read as omm-kvn: line {line}:")


def test_celestrak_json_without_metadata_is_accepted_but_checked() -> None:
    records = json.loads((DATA / "css_omm.json").read_text(encoding="utf-8"))
    good = records[0]
    as_strings = {k: str(v) for k, v in good.items()}  # CelesTrak sometimes quotes numbers
    retrograde = {**good, "NORAD_CAT_ID": 2, "INCLINATION": 181.0}
    xp = {**good, "NORAD_CAT_ID": 3, "MEAN_ELEMENT_THEORY": "SGP4-XP"}
    text = json.dumps([good, as_strings, retrograde, xp], indent=1)
    result = parse_elements(text)
    assert result.format == "omm-json"
    assert [s.catalog_number for s in result.sets] == [48274, 48274]
    assert result.sets[0] == result.sets[1]
    assert [(p.record, p.column) for p in result.problems] == [(3, None), (4, None)]
    lines = text.splitlines()
    assert result.problems[0].line is not None
    assert '"INCLINATION": 181.0' in lines[result.problems[0].line - 1]
    assert result.problems[1].line is not None
    assert '"MEAN_ELEMENT_THEORY"' in lines[result.problems[1].line - 1]


def test_json_syntax_error_keeps_the_records_before_it() -> None:
    record = json.loads((DATA / "css_omm.json").read_text(encoding="utf-8"))[0]
    text = "[\n" + json.dumps(record) + ",\n" + '{"NORAD_CAT_ID": 5, "EPOCH": }' + "\n]"
    result = parse_elements(text)
    assert [s.catalog_number for s in result.sets] == [48274]
    (problem,) = result.problems
    assert (problem.record, problem.line, problem.column) == (2, 3, 30)
    assert problem.message.startswith("JSON syntax error: Expecting value")


def test_csv_bad_row_is_one_problem_on_its_line() -> None:
    header, row = (DATA / "css_omm.csv").read_text(encoding="utf-8").splitlines()
    bad_value = row.replace("41.4675", "abc")
    short = ",".join(row.split(",")[:-1])
    second = row.replace(",48274,", ",48275,")
    text = "\ufeff\n" + "\n".join([header, row, bad_value, short, second]) + "\n"
    result = parse_elements(text)
    assert result.format == "omm-csv"
    assert [s.catalog_number for s in result.sets] == [48274, 48275]
    assert [(p.record, p.line) for p in result.problems] == [(2, 4), (3, 5)]
    assert "OMM field INCLINATION 'abc' is not a number" in result.problems[0].message
    assert "16 fields but the header names 17" in result.problems[1].message


def test_from_omm_raises_field_errors() -> None:
    fields = {k: str(v) for k, v in export_omm(Satrec.twoline2rv(CSS_L1, CSS_L2), "X").items()}
    assert from_omm(fields).catalog_number == 48274
    with pytest.raises(FieldError) as caught:
        from_omm({**fields, "BSTAR": "nan"})
    assert caught.value.key == "BSTAR"
    with pytest.raises(FieldError) as caught:
        from_omm({k: v for k, v in fields.items() if k != "MEAN_ANOMALY"})
    assert caught.value.key == "MEAN_ANOMALY"
    assert "missing" in caught.value.message


# --------------------------------------------------------------------------------------------
# Files


def test_read_elements_refuses_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        read_elements(tmp_path / "absent.tle")
    with pytest.raises(ValidationError, match="is a directory"):
        read_elements(tmp_path)
    binary = tmp_path / "binary.tle"
    binary.write_bytes(b"1 48274\x00\x01\x02")
    with pytest.raises(ValidationError, match="not a text file"):
        read_elements(binary)
    latin1 = tmp_path / "latin1.tle"
    latin1.write_bytes(f"CSS (TIANH\xc9)\n{CSS_L1}\n{CSS_L2}\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        read_elements(latin1)
    huge = tmp_path / "huge.tle"
    with huge.open("wb") as f:
        f.truncate(50 * 1024 * 1024 + 1)  # sparse: takes no disk space
    with pytest.raises(ValidationError, match="over the 50 MB limit"):
        read_elements(huge)
    bad = tmp_path / "bad.tle"
    bad.write_text(f"{CSS_L1[:68]}3\n{CSS_L2}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"bad\.tle: no element set could be read"):
        read_elements(bad)


def test_read_elements_accepts_a_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.tle"
    path.write_bytes(b"\xef\xbb\xbf" + f"{CSS_TITLE}\r\n{CSS_L1}\r\n{CSS_L2}\r\n".encode())
    assert read_elements(path).sets == (CSS_SET,)


def test_problem_renders_its_location() -> None:
    assert str(ElementProblem(2, 7, 69, "checksum is 3")) == "line 7, column 69: checksum is 3"
    assert str(ElementProblem(2, 7, None, "bad")) == "line 7: bad"
    assert str(ElementProblem(3, None, None, "bad")) == "record 3: bad"


def test_tle_epoch_julian_date_round_trip() -> None:
    # the ElementSet epoch, fed back to sgp4 through sgp4init, is the TLE's epoch
    es = dataclasses.replace(CSS_SET, line1=None, line2=None)
    jd, fr = jday(2026, 9, 6, 6, 15, 46.429920)
    sat = satrec(es)
    assert abs((sat.jdsatepoch - jd) + (sat.jdsatepochF - fr)) * 86400.0 < 1e-5


def test_right_justified_catalog_numbers_are_accepted() -> None:
    # Space-Track's older layout pads small catalog numbers with blanks: '1   350U ...'.
    # NORAD 350 (1961-015DQ) as it appears in a public Space-Track catalog snapshot of July 2024.
    from spacehome.orbit.elements import from_tle

    line1 = "1   350U 61015DQ  24187.55147815  .00000260  00000-0  14297-3 0  9993"
    line2 = "2   350  66.9117 252.7698 0130542 325.7619  33.5108 14.21660870262293"
    result = parse_elements(f"{line1}\n{line2}\n")
    assert not result.problems, [str(p) for p in result.problems]
    assert result.sets[0].catalog_number == 350
    assert from_tle(line1, line2).catalog_number == 350


@pytest.mark.parametrize(
    ("given", "kept"),
    [("DEBRIS", "DEBRIS"), ("rocket  body", "ROCKET BODY"), ("PAYLOAD", "PAYLOAD"), ("TBA", None), (None, None)],
)
def test_omm_object_type_is_kept_when_the_source_gives_one(given: str | None, kept: str | None) -> None:
    """Space-Track's GP JSON carries OBJECT_TYPE; CelesTrak's and TLEs do not (None)."""
    record = json.loads((DATA / "css_omm.json").read_text(encoding="utf-8"))[0]
    if given is not None:
        record["OBJECT_TYPE"] = given
    (parsed,) = parse_elements(json.dumps([record])).sets
    assert parsed.object_type == kept
    assert from_tle(*(DATA / "css.tle").read_text().splitlines()[1:3]).object_type is None
