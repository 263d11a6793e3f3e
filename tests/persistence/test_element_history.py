"""The append-only element-set history, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from spacehome.domain.elements import ElementSet, Provenance
from spacehome.errors import NaiveTimeError, ValidationError
from spacehome.persistence.element_history import (
    AddReport,
    ElementHistory,
    content_sha256,
    row_values,
)
from spacehome.persistence.tables import ElementSetRow

Css = Callable[..., ElementSet]
Celestrak = Callable[[datetime], Provenance]

BEIJING = timezone(timedelta(hours=8))


def _epochs(history: ElementHistory, catalog_number: int = 48274) -> list[datetime]:
    return [stored.elements.epoch for stored in history.history(catalog_number)]


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_keeps_every_field_and_aware_utc_times(
    history: ElementHistory, css: Css
) -> None:
    original = css()
    # Obtained at 20:00 Beijing time = 12:00 UTC: stored and returned in UTC.
    obtained = Provenance("file:///data/css.tle", datetime(2026, 9, 6, 20, 0, tzinfo=BEIJING))

    assert history.add([original], obtained) == AddReport(added=1, already_known=0)
    [stored] = history.history(48274)

    assert dataclasses.asdict(stored.elements) == dataclasses.asdict(original)
    assert stored.elements == original
    assert stored.elements.line1 == original.line1
    assert stored.elements.line2 == original.line2
    assert stored.elements.epoch == datetime(2026, 9, 6, 6, 15, 46, 429920, tzinfo=UTC)
    assert stored.elements.epoch.tzinfo is UTC
    assert stored.elements.epoch.microsecond == 429920
    assert stored.provenance == Provenance(
        "file:///data/css.tle", datetime(2026, 9, 6, 12, 0, tzinfo=UTC)
    )
    assert stored.provenance.obtained_at.tzinfo is UTC
    assert stored.content_sha256 == content_sha256(original)


def test_round_trip_of_a_set_without_optional_fields(
    history: ElementHistory, css: Css, celestrak: Celestrak
) -> None:
    bare = css(
        name=None,
        international_designator=None,
        element_set_number=None,
        rev_at_epoch=None,
        classification="C",
        line1=None,
        line2=None,
        mean_motion_ddot_rev_per_day3=-1.5e-12,
    )
    history.add([bare], celestrak(datetime(2026, 9, 6, 12, tzinfo=UTC)))
    [stored] = history.history(48274)
    assert dataclasses.asdict(stored.elements) == dataclasses.asdict(bare)


def test_row_values_fill_every_column_but_the_id(css: Css, celestrak: Celestrak) -> None:
    values = row_values(css(), celestrak(datetime(2026, 9, 6, 12, tzinfo=UTC)))
    columns = {column.key for column in inspect(ElementSetRow).columns}
    assert set(values) == columns - {"id"}


def test_times_are_stored_as_utc_in_the_database(
    engine: Engine, history: ElementHistory, css: Css
) -> None:
    history.add([css()], Provenance("x", datetime(2026, 9, 6, 20, 0, tzinfo=BEIJING)))
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET TIME ZONE 'UTC'"))
        raw = connection.execute(text("SELECT epoch, obtained_at FROM element_sets")).one()
    as_text = [str(value) for value in raw]
    assert as_text[0].startswith("2026-09-06 06:15:46.429920")
    assert as_text[1].startswith("2026-09-06 12:00:00")


# --- append-only, stored once ---------------------------------------------------------------


def test_the_same_set_added_twice_is_stored_once(
    history: ElementHistory, css: Css, celestrak: Celestrak
) -> None:
    first = celestrak(datetime(2026, 9, 6, 12, tzinfo=UTC))
    later = Provenance("file:///mirror/css.tle", datetime(2026, 9, 7, 12, tzinfo=UTC))

    assert history.add([css()], first) == AddReport(added=1, already_known=0)
    # Again, from another source, and under another name: same content, same set.
    assert history.add([css(), css(name="TIANHE")], later) == AddReport(added=0, already_known=2)

    [stored] = history.history(48274)
    assert stored.provenance == first
    assert stored.elements.name == "CSS (TIANHE)"


def test_repeats_within_one_batch_count_as_already_known(
    history: ElementHistory, css: Css, celestrak: Celestrak
) -> None:
    newer = css(epoch=datetime(2026, 9, 6, 18, 0, tzinfo=UTC), mean_anomaly_deg=10.0)
    report = history.add([css(), css(), newer, css()], celestrak(datetime(2026, 9, 7, tzinfo=UTC)))
    assert report == AddReport(added=2, already_known=2)
    assert len(history.history(48274)) == 2


def test_an_empty_batch_writes_nothing(history: ElementHistory, celestrak: Celestrak) -> None:
    assert history.add([], celestrak(datetime(2026, 9, 6, tzinfo=UTC))) == AddReport(0, 0)
    assert history.catalog_numbers() == []


def test_the_history_offers_no_way_to_change_or_remove_a_set() -> None:
    public = {name for name in dir(ElementHistory) if not name.startswith("_")}
    assert public == {"add", "history", "current_at", "latest", "catalog_numbers"}


# --- one transaction per batch --------------------------------------------------------------


def test_a_batch_that_fails_in_the_database_writes_nothing(
    engine: Engine, history: ElementHistory, css: Css, celestrak: Celestrak
) -> None:
    known = css()
    history.add([known], celestrak(datetime(2026, 9, 6, 12, tzinfo=UTC)))
    batch = [
        css(epoch=datetime(2026, 9, 6, 18, tzinfo=UTC), mean_anomaly_deg=10.0),
        known,
        css(catalog_number=123_456_789),
    ]
    seen_mid_transaction: list[int] = []

    def fail_after_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ELEMENT_SETS"):
            count = conn.exec_driver_sql("SELECT count(*) FROM element_sets").scalar()
            seen_mid_transaction.append(count)
            raise RuntimeError("injected failure after the INSERT ran")

    event.listen(engine, "after_cursor_execute", fail_after_insert)
    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            history.add(batch, celestrak(datetime(2026, 9, 7, tzinfo=UTC)))
    finally:
        event.remove(engine, "after_cursor_execute", fail_after_insert)

    assert seen_mid_transaction == [3]  # the two new rows were written, then rolled back
    assert [s.elements for s in history.history(48274)] == [known]
    assert history.catalog_numbers() == [48274]
    # The database is fine afterwards: the same batch now goes in whole.
    report = history.add(batch, celestrak(datetime(2026, 9, 7, tzinfo=UTC)))
    assert report == AddReport(added=2, already_known=1)


def test_a_batch_with_one_bad_set_writes_nothing(
    history: ElementHistory, css: Css, celestrak: Celestrak
) -> None:
    batch = [css(), css(catalog_number=48275), css(catalog_number=48276, eccentricity=float("nan"))]
    with pytest.raises(ValidationError, match="eccentricity is nan"):
        history.add(batch, celestrak(datetime(2026, 9, 7, tzinfo=UTC)))
    assert history.catalog_numbers() == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"catalog_number": 0}, "catalog number 0 is outside 1..999999999"),
        ({"catalog_number": 1_000_000_000}, "catalog number 1000000000 is outside"),
        ({"mean_motion_rev_per_day": float("inf")}, "mean_motion_rev_per_day is inf"),
        ({"classification": "UC"}, "classification 'UC' is not one character"),
    ],
)
def test_sets_the_database_cannot_hold_are_refused(
    css: Css, celestrak: Celestrak, changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        row_values(css(**changes), celestrak(datetime(2026, 9, 7, tzinfo=UTC)))


def test_an_empty_source_is_refused(css: Css) -> None:
    with pytest.raises(ValidationError, match="provenance source is empty"):
        row_values(css(), Provenance("  ", datetime(2026, 9, 7, tzinfo=UTC)))


# --- the set current at an instant ----------------------------------------------------------

# Three CSS sets, each obtained a few hours after its epoch (as CelesTrak publishes them).
EPOCH_1 = datetime(2026, 9, 4, 6, 0, tzinfo=UTC)
EPOCH_2 = datetime(2026, 9, 5, 6, 0, tzinfo=UTC)
EPOCH_3 = datetime(2026, 9, 6, 6, 15, 46, 429920, tzinfo=UTC)
OBTAINED_1 = datetime(2026, 9, 4, 12, 0, tzinfo=UTC)
OBTAINED_2 = datetime(2026, 9, 5, 12, 0, tzinfo=UTC)
OBTAINED_3 = datetime(2026, 9, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def three_sets(history: ElementHistory, css: Css, celestrak: Celestrak) -> ElementHistory:
    # Added newest first, to show that order comes from the epochs.
    history.add([css(epoch=EPOCH_3)], celestrak(OBTAINED_3))
    history.add([css(epoch=EPOCH_2, mean_anomaly_deg=200.0)], celestrak(OBTAINED_2))
    history.add([css(epoch=EPOCH_1, mean_anomaly_deg=300.0)], celestrak(OBTAINED_1))
    return history


def test_history_is_ordered_by_epoch(three_sets: ElementHistory) -> None:
    assert _epochs(three_sets) == [EPOCH_1, EPOCH_2, EPOCH_3]
    assert [s.provenance.obtained_at for s in three_sets.history(48274)] == [
        OBTAINED_1,
        OBTAINED_2,
        OBTAINED_3,
    ]
    assert three_sets.history(99999) == []


@pytest.mark.parametrize(
    ("when", "expected_epoch"),
    [
        (EPOCH_1 - timedelta(days=30), EPOCH_1),  # before every set: the earliest after
        (EPOCH_1, EPOCH_1),  # exactly at an epoch: that set
        (EPOCH_1 + timedelta(hours=23, minutes=59), EPOCH_1),
        (EPOCH_2 - timedelta(microseconds=1), EPOCH_1),
        (EPOCH_2, EPOCH_2),
        (EPOCH_3 - timedelta(microseconds=1), EPOCH_2),
        (EPOCH_3, EPOCH_3),
        (EPOCH_3 + timedelta(days=3), EPOCH_3),
    ],
)
def test_current_at_picks_the_latest_epoch_at_or_before(
    three_sets: ElementHistory, when: datetime, expected_epoch: datetime
) -> None:
    current = three_sets.current_at(48274, when)
    assert current is not None
    assert current.elements.epoch == expected_epoch


@pytest.mark.parametrize(
    ("when", "known_by", "expected_epoch"),
    [
        # On 5 Sep 09:00 only set 1 had been obtained, even though set 2's epoch had passed.
        (EPOCH_3 + timedelta(days=1), OBTAINED_2 - timedelta(hours=3), EPOCH_1),
        (EPOCH_2 + timedelta(hours=1), OBTAINED_2 - timedelta(hours=3), EPOCH_1),
        # known_by is inclusive.
        (EPOCH_3 + timedelta(days=1), OBTAINED_2, EPOCH_2),
        (EPOCH_3 + timedelta(days=1), OBTAINED_3, EPOCH_3),
        # Before the first epoch, and knowing only set 1: still set 1.
        (EPOCH_1 - timedelta(days=1), OBTAINED_1, EPOCH_1),
        # Knowing sets 1 and 2, an instant before set 2's epoch is set 1.
        (EPOCH_2 - timedelta(hours=1), OBTAINED_2, EPOCH_1),
    ],
)
def test_current_at_uses_only_what_was_known_by(
    three_sets: ElementHistory, when: datetime, known_by: datetime, expected_epoch: datetime
) -> None:
    current = three_sets.current_at(48274, when, known_by=known_by)
    assert current is not None
    assert current.elements.epoch == expected_epoch
    assert current.provenance.obtained_at <= known_by


def test_current_at_is_none_when_nothing_was_known(three_sets: ElementHistory) -> None:
    assert three_sets.current_at(48274, EPOCH_3, known_by=OBTAINED_1 - timedelta(seconds=1)) is None
    assert three_sets.current_at(99999, EPOCH_3) is None


def test_current_at_accepts_any_zone(three_sets: ElementHistory) -> None:
    # 5 Sep 13:59 Beijing = 05:59 UTC, one minute before set 2's epoch.
    current = three_sets.current_at(48274, datetime(2026, 9, 5, 13, 59, tzinfo=BEIJING))
    assert current is not None
    assert current.elements.epoch == EPOCH_1


def test_of_two_sets_with_one_epoch_the_one_obtained_last_wins(
    history: ElementHistory, css: Css, celestrak: Celestrak
) -> None:
    history.add([css(mean_anomaly_deg=100.0548)], celestrak(OBTAINED_3))
    corrected = css(mean_anomaly_deg=100.0549)
    history.add([corrected], celestrak(OBTAINED_3 + timedelta(hours=2)))

    current = history.current_at(48274, EPOCH_3 + timedelta(hours=1))
    assert current is not None
    assert current.elements.mean_anomaly_deg == 100.0549
    earlier = history.current_at(48274, EPOCH_3, known_by=OBTAINED_3 + timedelta(hours=1))
    assert earlier is not None
    assert earlier.elements.mean_anomaly_deg == 100.0548
    latest = history.latest(48274)
    assert latest is not None
    assert latest.elements == corrected


def test_latest(three_sets: ElementHistory) -> None:
    latest = three_sets.latest(48274)
    assert latest is not None
    assert latest.elements.epoch == EPOCH_3
    known_then = three_sets.latest(48274, known_by=OBTAINED_2)
    assert known_then is not None
    assert known_then.elements.epoch == EPOCH_2
    assert three_sets.latest(99999) is None


# --- naive datetimes ------------------------------------------------------------------------


def test_naive_instants_are_refused(three_sets: ElementHistory) -> None:
    naive = datetime(2026, 9, 6, 12, 0)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValidationError, match="when 2026-09-06T12:00:00 has no time zone"):
        three_sets.current_at(48274, naive)
    with pytest.raises(ValidationError, match="known_by 2026-09-06T12:00:00 has no time zone"):
        three_sets.current_at(48274, EPOCH_3, known_by=naive)
    with pytest.raises(ValidationError, match=r"known_by .* has no time zone"):
        three_sets.latest(48274, known_by=naive)


def test_the_column_type_refuses_naive_times(engine: Engine) -> None:
    naive = datetime(2026, 9, 6, 12, 0)  # noqa: DTZ001 - naive on purpose
    with Session(engine) as session, pytest.raises(StatementError) as caught:
        session.scalars(select(ElementSetRow).where(ElementSetRow.epoch <= naive)).all()
    assert isinstance(caught.value.orig, NaiveTimeError)


# --- catalog numbers ------------------------------------------------------------------------


def test_nine_digit_catalog_numbers_are_stored(
    history: ElementHistory, css: Css, celestrak: Celestrak
) -> None:
    nine_digits = css(catalog_number=270_000_123, name="OMM-ONLY OBJECT", line1=None, line2=None)
    largest = css(catalog_number=999_999_999, name=None, line1=None, line2=None)
    report = history.add([largest, nine_digits, css()], celestrak(OBTAINED_3))

    assert report == AddReport(added=3, already_known=0)
    assert history.catalog_numbers() == [48274, 270_000_123, 999_999_999]
    [stored] = history.history(270_000_123)
    assert stored.elements == nine_digits
    current = history.current_at(999_999_999, EPOCH_3)
    assert current is not None
    assert current.elements.catalog_number == 999_999_999


# --- content hash ---------------------------------------------------------------------------


def test_content_hash_is_pinned(css: Css) -> None:
    # Pinned: stored hashes must keep matching; changing the canonical form needs a migration.
    assert (
        content_sha256(css()) == "a144296bcafac9258098b900ba63b1a02e747212921357b9171fb8855c5fbd34"
    )


def test_content_hash_covers_elements_not_names_or_lines(css: Css) -> None:
    reference = content_sha256(css())
    same = [
        css(name="TIANHE", international_designator=None, line1=None, line2=None),
        css(epoch=datetime(2026, 9, 6, 14, 15, 46, 429920, tzinfo=BEIJING)),
        css(mean_motion_ddot_rev_per_day3=-0.0),
    ]
    different = [
        css(epoch=EPOCH_3 + timedelta(microseconds=1)),
        css(catalog_number=48275),
        css(eccentricity=0.0002351),
        css(bstar_per_earth_radius=0.00016864),
        css(element_set_number=998),
        css(rev_at_epoch=30583),
        css(classification="C"),
    ]
    assert [content_sha256(s) for s in same] == [reference] * len(same)
    hashes = {content_sha256(s) for s in different}
    assert len(hashes) == len(different)
    assert reference not in hashes
