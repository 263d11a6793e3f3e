"""Domain invariants: time discipline, facts, presence logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from spacehome.domain.facts import Alternative, Fact, FactStatus
from spacehome.domain.instant import When, format_utc, parse_instant, require_utc
from spacehome.domain.presence import Certainty, presence
from spacehome.errors import NaiveTimeError, ValidationError

T0 = datetime(2022, 12, 1, tzinfo=UTC)


def test_parse_instant_converts_offsets_to_utc() -> None:
    parsed = parse_instant("2022-12-01T08:00:00+08:00")
    assert parsed == T0
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["2022-12-01T00:00:00", "2022-12-01"])
def test_parse_instant_refuses_naive_times_with_a_teaching_message(text: str) -> None:
    with pytest.raises(NaiveTimeError, match=r"no time zone: write it with a zone, e\.g\."):
        parse_instant(text, "--at")


def test_parse_instant_refuses_garbage() -> None:
    with pytest.raises(ValidationError, match="not an ISO 8601 instant"):
        parse_instant("yesterday")


def test_require_utc_refuses_naive_datetime() -> None:
    with pytest.raises(NaiveTimeError):
        require_utc(datetime(2022, 12, 1))  # noqa: DTZ001 - the point of the test


def test_format_utc_uses_z_and_keeps_seconds() -> None:
    beijing = timezone(timedelta(hours=8))
    assert format_utc(datetime(2021, 4, 29, 11, 23, 15, tzinfo=beijing)) == "2021-04-29T03:23:15Z"


def test_fact_status() -> None:
    assert Fact(16.6).status is FactStatus.KNOWN
    disputed = Fact(16.6, alternatives=(Alternative(18.1, ("a",)),), sources=("b",))
    assert disputed.status is FactStatus.DISPUTED
    assert disputed.all_sources() == ("b", "a")
    assert Fact[float].unknown("no source").status is FactStatus.UNKNOWN


def test_when_bounds() -> None:
    unknown = When.between(T0, T0 + timedelta(days=2))
    assert unknown.lower == T0
    assert unknown.upper == T0 + timedelta(days=2)
    tighter = unknown.bounded(T0 + timedelta(days=1), T0 + timedelta(days=3))
    assert (tighter.lower, tighter.upper) == (T0 + timedelta(days=1), T0 + timedelta(days=2))
    known = When.at(T0)
    assert known.bounded(T0 + timedelta(days=5), None) is known
    assert "between" in unknown.describe()


def test_presence_three_answers() -> None:
    start = When.at(T0)
    end = When.between(T0 + timedelta(days=10), T0 + timedelta(days=20))
    assert presence(start, end, T0 - timedelta(seconds=1)) is None
    assert presence(start, end, T0) is Certainty.CERTAIN
    assert presence(start, end, T0 + timedelta(days=15)) is Certainty.POSSIBLE
    assert presence(start, end, T0 + timedelta(days=20)) is None
    assert presence(start, None, T0 + timedelta(days=999)) is Certainty.CERTAIN
