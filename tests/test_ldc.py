"""The UN least developed countries list: valid ISO codes, UN members, sourced, consistent."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources

import pycountry
import pytest

from spacehome.errors import RecordError
from spacehome.record.ldc import least_developed_countries, load_ldc_list, parse_ldc


def _un_members_alpha2() -> set[str]:
    text = (resources.files("spacehome.record") / "data" / "un_members.toml").read_text("utf-8")
    result = set()
    for code in tomllib.loads(text)["members"]:
        country = pycountry.countries.get(alpha_3=code)
        assert country is not None, code
        result.add(country.alpha_2)
    return result


def _bundled_text() -> str:
    return (resources.files("spacehome.record") / "data" / "ldc.toml").read_text("utf-8")


def test_codes_are_iso_alpha2_and_un_members() -> None:
    codes = least_developed_countries()
    members = _un_members_alpha2()
    for code in sorted(codes):
        assert pycountry.countries.get(alpha_2=code) is not None, code
        assert code in members, f"{code} is not a UN member state"


def test_list_as_of_sao_tome_graduation() -> None:
    ldc = load_ldc_list()
    assert ldc.as_of == dt.date(2024, 12, 13)
    assert len(ldc.countries) == 44
    assert {"BT", "ST", "VU"}.isdisjoint(ldc.countries)  # graduated 2023, 2024, 2020
    assert {"NP", "BD", "LA", "SB", "HT", "AF"} <= ldc.countries
    assert {g.code for g in ldc.graduated} == {"BT", "ST", "VU"}
    bhutan = next(g for g in ldc.graduated if g.code == "BT")
    assert bhutan.date == dt.date(2023, 12, 13)


def test_every_fact_cites_a_source_with_a_quote() -> None:
    ldc = load_ldc_list()
    assert ldc.sources
    for change in ldc.graduated + ldc.pending:
        assert change.sources
        assert change.note
        for ref in change.sources:
            assert ldc.documents[ref].quote
            assert ldc.documents[ref].url.startswith("http")


def test_unverified_graduations_are_marked_and_kept_on_the_list() -> None:
    ldc = load_ldc_list()
    pending = {p.code: p for p in ldc.pending}
    assert set(pending) == {"BD", "LA", "NP", "SB"}
    assert pending["NP"].date == dt.date(2026, 11, 24)
    assert pending["SB"].date is None  # only the year is sourced


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("count = 44", "count = 45", "count"),
        ('"AO", "BJ"', '"AO", "AO"', "countries[1]"),
        ('"AO", "BJ"', '"AGO", "BJ"', "countries[0]"),
        ('code = "BT"', 'code = "HT"', "code"),
        ('sources = ["desa-stp"]', 'sources = ["nowhere"]', "sources"),
        ('status = "unverified"', 'status = "done"', "status"),
    ],
)
def test_malformed_files_are_refused_with_the_field(old: str, new: str, field: str) -> None:
    text = _bundled_text()
    assert old in text
    with pytest.raises(RecordError) as info:
        parse_ldc(text.replace(old, new, 1), "ldc.toml")
    assert info.value.field == field
    assert "\n" not in str(info.value)
