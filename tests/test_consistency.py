"""Every check on load, triggered by a broken copy of the data; the message names file, record
and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from spacehome.errors import RecordError
from spacehome.record.loader import load_record

Edit = Callable[[str, str, str], None]


def fails(data: Path, file: str, record: str, field: str, problem: str) -> RecordError:
    with pytest.raises(RecordError) as caught:
        load_record(data)
    error = caught.value
    assert (error.file, error.record, error.field) == (file, record, field), str(error)
    assert problem in error.problem, str(error)
    assert "\n" not in str(error)
    return error


def test_the_shipped_copy_loads(data_copy: Path) -> None:
    assert len(load_record(data_copy).missions) > 25


def test_a_port_holds_one_vehicle_at_a_time(data_copy: Path, edit: Edit) -> None:
    # Put Shenzhou-20 at the forward port, where Shenzhou-19 still was (the China Daily claim).
    edit(
        "missions.toml",
        '{ port = { value = "nadir", sources',
        '{ port = { value = "forward", sources',
    )
    fails(
        data_copy,
        "missions.toml",
        "mission 'shenzhou-20'",
        "berthings[0].port",
        "already holds Shenzhou-19",
    )


def test_a_person_is_aboard_one_vehicle_at_a_time(data_copy: Path, edit: Edit) -> None:
    edit(
        "missions.toml",
        '{ person = "tang-shengjie", role = { unknown = true } }',
        '{ person = "ye-guangfu", role = { unknown = true } }',
    )
    edit(
        "missions.toml",
        '{ person = "li-cong", role = { unknown = true } }',
        '{ person = "ye-guangfu", role = { unknown = true } }',
    )
    with pytest.raises(RecordError) as caught:
        load_record(data_copy)
    assert "a person is aboard one vehicle at a time" in caught.value.problem
    assert caught.value.field.startswith("crew[")


def test_landing_after_launch(data_copy: Path, edit: Edit) -> None:
    edit("missions.toml", "end_utc = 2021-09-17T05:34:00Z", "end_utc = 2021-06-16T05:34:00Z")
    fails(data_copy, "missions.toml", "mission 'shenzhou-12'", "end_utc", "is before launch")


def test_docking_after_launch(data_copy: Path, edit: Edit) -> None:
    edit("missions.toml", "start = 2021-06-17T07:54:00Z", "start = 2021-06-16T07:54:00Z")
    fails(
        data_copy,
        "missions.toml",
        "mission 'shenzhou-12'",
        "berthings[0].start",
        "before the launch",
    )


def test_undocking_after_docking(data_copy: Path, edit: Edit) -> None:
    edit("missions.toml", "end = 2022-12-04T03:01:00Z", "end = 2022-06-01T03:01:00Z")
    fails(
        data_copy, "missions.toml", "mission 'shenzhou-14'", "berthings[0].end", "is before docking"
    )


def test_crew_returns_on_a_ship_that_was_there(data_copy: Path, edit: Edit) -> None:
    edit(
        "missions.toml",
        '{ person = "chen-dong", role = "commander", returns_on = "shenzhou-21" }',
        '{ person = "chen-dong", role = "commander", returns_on = "shenzhou-17" }',
    )
    fails(
        data_copy,
        "missions.toml",
        "mission 'shenzhou-20'",
        "crew[0].returns_on",
        "left the station",
    )


def test_crews_aboard_fit_the_station(data_copy: Path, edit: Edit) -> None:
    # Shenzhou-15 crew coming home on Shenzhou-14 overfills its three seats.
    edit(
        "missions.toml",
        '{ person = "fei-junlong", role = "commander" }',
        '{ person = "fei-junlong", role = "commander", returns_on = "shenzhou-14" }',
    )
    fails(data_copy, "missions.toml", "mission 'shenzhou-14'", "crew", "which has 3 seats")


def test_uncrewed_ship_lists_no_crew(data_copy: Path, edit: Edit) -> None:
    edit(
        "missions.toml",
        'crewed_at_launch = false\nnorad_id = { unknown = true }\ncospar_id = { unknown = true }\nsources = ["wiki-sz22"',
        'crewed_at_launch = true\nnorad_id = { unknown = true }\ncospar_id = { unknown = true }\nsources = ["wiki-sz22"',
    )
    fails(data_copy, "missions.toml", "mission 'shenzhou-22'", "crew", "lists no crew")


def test_berthing_at_the_eva_hatch_is_refused(data_copy: Path, edit: Edit) -> None:
    edit(
        "missions.toml",
        '{ port = "forward", start = 2021-06-17T07:54:00Z',
        '{ port = "zenith", start = 2021-06-17T07:54:00Z',
    )
    fails(
        data_copy,
        "missions.toml",
        "mission 'shenzhou-12'",
        "berthings[0].port",
        "takes no vehicles",
    )


def test_unknown_source_id(data_copy: Path, edit: Edit) -> None:
    edit(
        "racks.toml",
        'sources = ["frontiers-capr", "100tmt-2022-11-28"]',
        'sources = ["frontiers-capr", "nowhere"]',
    )
    fails(
        data_copy, "racks.toml", "rack 'capr'", "sources", "'nowhere', which is not in sources.toml"
    )


def test_missing_field_says_how_to_mark_unknown(data_copy: Path, edit: Edit) -> None:
    edit(
        "modules.toml", 'max_diameter_m = { value = 4.2, sources = ["go-taikonauts-tianhe"] }\n', ""
    )
    fails(data_copy, "modules.toml", "module 'tianhe'", "max_diameter_m", "unknown = true")


def test_misspelt_field_is_refused(data_copy: Path, edit: Edit) -> None:
    edit("sites.toml", 'note = "used before Shenzhou-12"', 'notes = "used before Shenzhou-12"')
    fails(data_copy, "sites.toml", "site 'siziwang'", "notes", "unknown field")


def test_time_without_zone_in_data(data_copy: Path, edit: Edit) -> None:
    edit("modules.toml", "launch_utc = 2021-04-29T03:23:15Z", "launch_utc = 2021-04-29T03:23:15")
    fails(data_copy, "modules.toml", "module 'tianhe'", "launch_utc", "has no time zone")


def test_wrong_type(data_copy: Path, edit: Edit) -> None:
    edit("modules.toml", 'launch_vehicle_serial = "Y3"', "launch_vehicle_serial = 3")
    fails(data_copy, "modules.toml", "module 'wentian'", "launch_vehicle_serial", "expected text")


def test_unknown_port(data_copy: Path, edit: Edit) -> None:
    edit(
        "missions.toml",
        '{ port = "forward", start = 2021-06-17T07:54:00Z',
        '{ port = "front", start = 2021-06-17T07:54:00Z',
    )
    fails(
        data_copy, "missions.toml", "mission 'shenzhou-12'", "berthings[0].port", "no port 'front'"
    )


def test_unknown_person(data_copy: Path, edit: Edit) -> None:
    edit(
        "missions.toml",
        '{ person = "nie-haisheng", role = "commander" }',
        '{ person = "nie-hai-sheng", role = "commander" }',
    )
    fails(data_copy, "missions.toml", "mission 'shenzhou-12'", "crew[0].person", "no astronaut")


def test_unknown_role(data_copy: Path, edit: Edit) -> None:
    edit(
        "missions.toml",
        '{ person = "nie-haisheng", role = "commander" }',
        '{ person = "nie-haisheng", role = "captain" }',
    )
    fails(data_copy, "missions.toml", "mission 'shenzhou-12'", "crew[0].role", "expected one of")


def test_bad_country_code(data_copy: Path, edit: Edit) -> None:
    edit("cooperation.toml", 'countries = ["IN", "RU"]', 'countries = ["IN", "XX"]')
    fails(data_copy, "cooperation.toml", "project 'sing'", "countries", "'XX' is not")


def test_un_membership_must_have_193_states(data_copy: Path, edit: Edit) -> None:
    edit("un_members.toml", '"CHN", ', "")
    fails(data_copy, "un_members.toml", "members", "members", "lists 192")


def test_duplicate_ids(data_copy: Path, edit: Edit) -> None:
    edit("racks.toml", 'id = "hmlr"', 'id = "cmpr"')
    fails(data_copy, "racks.toml", "rack 'cmpr'", "id", "used twice")


def test_schema_version_is_checked(data_copy: Path, edit: Edit) -> None:
    edit("ports.toml", "schema = 1", "schema = 2")
    fails(data_copy, "ports.toml", "(file)", "schema", "expected schema = 1")


def test_invalid_toml(data_copy: Path, edit: Edit) -> None:
    edit("sites.toml", 'id = "dongfeng"', 'id = "dongfeng')
    fails(data_copy, "sites.toml", "(file)", "(syntax)", "not valid TOML")
