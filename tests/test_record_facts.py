"""Known facts at known dates, each checked against the source the record cites for it.

Reference values come from the dossier (shared/reference/css_facts.md) and the research notes in
docs/research/, with their sources named in each test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spacehome.domain.crew import aboard_at, cumulative_days, flights
from spacehome.domain.facts import FactStatus
from spacehome.domain.presence import Certainty
from spacehome.domain.record import StationRecord
from spacehome.domain.snapshot import station_at
from spacehome.errors import ValidationError


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def aboard_names(record: StationRecord, when: str) -> set[str]:
    return {
        record.astronaut(a.stay.person).name
        for a in aboard_at(record, at(when))
        if a.certainty is Certainty.CERTAIN
    }


def test_first_in_orbit_handover_six_aboard(record: StationRecord) -> None:
    # collectSPACE 2022-12-04: the Shenzhou-14 and -15 crews overlapped in orbit.
    snapshot = station_at(record, at("2022-12-01T00:00:00Z"))
    assert [m.module.name for m in snapshot.modules] == ["Tianhe", "Wentian", "Mengtian"]
    assert {m.module.name: m.port for m in snapshot.modules} == {
        "Tianhe": "core",
        "Wentian": "starboard",
        "Mengtian": "port",
    }
    assert aboard_names(record, "2022-12-01T00:00:00Z") == {
        "Chen Dong",
        "Liu Yang",
        "Cai Xuzhe",
        "Fei Junlong",
        "Deng Qingming",
        "Zhang Lu",
    }
    ports = {p.port.id: p.occupant.name if p.occupant else None for p in snapshot.ports}
    assert ports == {
        "forward": "Shenzhou-15",
        "nadir": "Shenzhou-14",
        "aft": "Tianzhou-5",
        "port": "Mengtian",
        "starboard": "Wentian",
        "zenith": None,
    }


def test_shenzhou_12_crew_aboard_in_july_2021(record: StationRecord) -> None:
    assert aboard_names(record, "2021-07-01T00:00:00Z") == {
        "Nie Haisheng",
        "Liu Boming",
        "Tang Hongbo",
    }


def test_wentian_docked_forward_then_moved_starboard(record: StationRecord) -> None:
    # EPFL Graph Search / Space.com: docked forward 2022-07-24T19:13Z, starboard 2022-09-30T04:44Z.
    before = station_at(record, at("2022-08-01T00:00:00Z"))
    after = station_at(record, at("2022-10-01T00:00:00Z"))
    assert {m.module.id: m.port for m in before.modules}["wentian"] == "forward"
    assert {m.module.id: m.port for m in after.modules}["wentian"] == "starboard"
    assert "mengtian" not in {m.module.id for m in after.modules}


def test_mengtian_forward_then_port(record: StationRecord) -> None:
    during = station_at(record, at("2022-11-02T00:00:00Z"))
    assert {m.module.id: m.port for m in during.modules}["mengtian"] == "forward"
    after = station_at(record, at("2022-11-03T02:00:00Z"))
    assert {m.module.id: m.port for m in after.modules}["mengtian"] == "port"


def test_tianhe_launch_and_disputed_length(record: StationRecord) -> None:
    tianhe = record.module("tianhe")
    launch = record.mission("tianhe").launch
    assert launch.when.value == at("2021-04-29T03:23:15Z")  # kiwix Tianhe article
    assert launch.serial.value == "Y2"  # CMSE
    assert tianhe.length_m.value == 16.6
    assert tianhe.length_m.status is FactStatus.DISPUTED
    assert {a.value for a in tianhe.length_m.alternatives} == {18.1, 14.1}
    assert tianhe.solar_arrays.power_w.status is FactStatus.UNKNOWN


def test_shenzhou_20_crew_came_home_in_shenzhou_21(record: StationRecord) -> None:
    # Bastille Post (Xinhua) 2025-11-14: Shenzhou-21 undocked 03:14 UTC, landed 08:40 UTC.
    chen = next(f for f in flights(record, "chen-dong") if f.mission.id == "shenzhou-20")
    assert chen.returns_on.id == "shenzhou-21"
    assert chen.landing is not None
    assert chen.landing.value == at("2025-11-14T08:40:00Z")
    # Between the swap and Shenzhou-22's arrival the Shenzhou-21 crew had no docked ship home.
    assert aboard_names(record, "2025-11-20T00:00:00Z") == {"Zhang Lu", "Wu Fei", "Zhang Hongzhang"}
    shenzhou_20 = record.mission("shenzhou-20")
    assert shenzhou_20.berthings[0].end is not None
    assert shenzhou_20.berthings[0].end.value == at("2026-01-18T16:23:00Z")  # China in Space


def test_cumulative_days_match_published_totals(record: StationRecord) -> None:
    # Wikipedia: Nie Haisheng 111 days, 14 hours and 13 minutes over Shenzhou-6, -10 and -12.
    nie, _ = cumulative_days(record, "nie-haisheng")
    assert nie == pytest.approx(111 + 14 / 24 + 13 / 1440, abs=10 / 1440)
    # China Daily 2024-04-30: Tang Hongbo 279 days after Shenzhou-17.
    tang, _ = cumulative_days(record, "tang-hongbo")
    assert round(tang) == 279
    # TDMI News 2025-01: Ye Guangfu 375 days over two missions.
    ye, _ = cumulative_days(record, "ye-guangfu")
    assert round(ye) == 375
    # Global Times 2025-11-14: Chen Dong the first Chinese astronaut past 400 days.
    chen, chen_max = cumulative_days(record, "chen-dong")
    assert chen > 400
    assert chen_max is not None
    others = [cumulative_days(record, a.id)[0] for a in record.astronauts if a.id != "chen-dong"]
    assert chen > max(others)


def test_chen_dong_214_days_after_shenzhou_14(record: StationRecord) -> None:
    # SpacePolicyOnline 2022-12-04: "China's record for longest cumulative time in space, 214 days".
    total = sum(f.days_min for f in flights(record, "chen-dong") if f.mission.id != "shenzhou-20")
    assert int(total) == 214


def test_jing_haipeng_after_three_flights(record: StationRecord) -> None:
    # knowpia: 47 days 18 hours 17 minutes over Shenzhou-7, -9 and -11.
    first_three = [f for f in flights(record, "jing-haipeng")][:3]
    assert [f.mission.id for f in first_three] == ["shenzhou-7", "shenzhou-9", "shenzhou-11"]
    total = sum(f.days_min for f in first_three)
    assert total == pytest.approx(47 + 18 / 24 + 17 / 1440, abs=10 / 1440)


def test_first_hong_kong_astronaut(record: StationRecord) -> None:
    lai = record.astronaut("lai-ka-ying")
    assert (lai.nationality, lai.region) == ("CN", "HK")
    assert "Li Jiaying" in lai.aliases


def test_record_end_is_not_extrapolated(record: StationRecord) -> None:
    snapshot = station_at(record, at("2026-11-22T00:00:00Z"))
    assert snapshot.beyond_record
    assert snapshot.state_at == record.meta.complete_through == at("2026-05-24T15:08:00Z")
    assert any("record ends 2026-05-24T15:08:00Z" in note for note in snapshot.notes)


def test_no_station_before_tianhe(record: StationRecord) -> None:
    with pytest.raises(ValidationError, match="did not exist"):
        station_at(record, at("2021-04-01T00:00:00Z"))


def test_un_members_and_first_cycle(record: StationRecord) -> None:
    assert sum(c.un_member for c in record.countries.values()) == 193
    assert not record.countries["VA"].un_member
    assert not record.countries["TW"].un_member
    cycle = record.cycles[0]
    assert cycle.announced.value == at("2018-05-28T00:00:00Z")
    assert (cycle.proposals_received.value, cycle.proposing_countries.value) == (42, 27)
    assert cycle.shortlisted.value == 18
    assert (cycle.projects_selected.value, cycle.selected_entities.value) == (9, 23)
    assert len(cycle.selected_countries) == 17
    covered = {c for p in record.projects for c in (p.countries.value or ())}
    assert set(cycle.selected_countries) - covered == {"MX"}
    ninth = next(p for p in record.projects if p.number == 9)
    assert ninth.title.status is FactStatus.UNKNOWN


def test_every_cited_source_has_an_address_or_says_why(record: StationRecord) -> None:
    for source in record.sources.values():
        assert source.url.startswith("http") or source.url == "", source.id
        assert source.title


def test_pakistan_agreement(record: StationRecord) -> None:
    agreement = next(a for a in record.agreements if a.country == "PK")
    assert agreement.signed.value == at("2025-02-28T00:00:00Z")
    program = next(p for p in record.programs if p.country == "PK")
    assert len(program.candidates) == 2
    assert all(c.name.status is FactStatus.UNKNOWN for c in program.candidates)


def test_crew_in_a_ship_not_yet_docked_is_not_aboard(record: StationRecord) -> None:
    snapshot = station_at(record, at("2026-05-24T15:08:00Z"))
    assert [m.name for m in snapshot.free_flying] == ["Tianzhou-10", "Shenzhou-23"]
    assert {record.astronaut(a.stay.person).name for a in snapshot.crew} == {
        "Zhang Lu",
        "Wu Fei",
        "Zhang Hongzhang",
    }
    assert any("Lai Ka-ying" in note for note in snapshot.notes)


def test_a_flight_without_recorded_landing_counts_to_the_end_of_the_record(
    record: StationRecord,
) -> None:
    # Zhang Lu launched on Shenzhou-21 (2025-10-31T15:44:46Z); her return on Shenzhou-22 is not
    # in the record, so she was in space at least until the record ends (2026-05-24T15:08Z).
    flight = next(f for f in flights(record, "zhang-lu") if f.mission.id == "shenzhou-21")
    expected = (at("2026-05-24T15:08:00Z") - at("2025-10-31T15:44:46Z")).total_seconds() / 86400
    assert flight.days_min == pytest.approx(expected)
    assert flight.days_max is None
