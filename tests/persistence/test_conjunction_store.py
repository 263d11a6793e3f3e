"""The conjunction event store on SQLite and PostgreSQL: one event per approach, append-only
assessments, a CDM stored once, all-or-nothing writes, pages by TCA."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from spacehome.errors import NaiveTimeError, NotFoundError, ValidationError
from spacehome.persistence.conjunction_store import ConjunctionStore, NewAssessment
from spacehome.persistence.conjunction_tables import ConjunctionAssessmentRow
from spacehome.persistence.engine import write_session

TCA = datetime(2026, 9, 8, 12, 34, 56, 789000, tzinfo=UTC)
NOW = datetime(2026, 9, 7, 6, 0, tzinfo=UTC)


def assessment(**changes: object) -> NewAssessment:
    base = NewAssessment(
        primary_number=48274, primary_name="CSS (TIANHE)", secondary_number=12345,
        secondary_name="DEB", source="screen", source_ref="screen of file x", tca=TCA,
        miss_km=0.8, radial_km=0.1, in_track_km=-0.7, cross_track_km=0.2,
        relative_speed_km_s=11.2, pc=None, pc_method=None, pc_estimated=None,
        pc_note="not computed", hard_body_radius_m=None, inputs={"primary": {}, "secondary": {}},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def count(engine: Engine) -> int:
    with write_session(engine) as session:
        return int(session.execute(select(func.count()).select_from(ConjunctionAssessmentRow)).scalar_one())


def test_one_event_per_approach_in_either_pair_order(engine: Engine) -> None:
    store = ConjunctionStore(engine)
    (first,) = store.record([assessment()], now=NOW)
    assert first.new_event
    assert first.event_id == "48274-12345-20260908T123456"
    later = NOW + timedelta(hours=8)
    same = store.record([
        assessment(tca=TCA + timedelta(minutes=4), miss_km=0.5),  # within ten minutes: same event
        assessment(primary_number=12345, secondary_number=48274, tca=TCA - timedelta(minutes=3)),
        assessment(tca=TCA + timedelta(minutes=46)),  # the next node passage: a new event
    ], now=later)
    assert [r.event_id for r in same[:2]] == [first.event_id, first.event_id]
    assert not same[0].new_event
    assert same[2].new_event
    event, history = store.get(first.event_id)
    assert event.assessments == 3
    assert event.tca == TCA - timedelta(minutes=3)
    assert event.first_seen_at == NOW
    assert event.updated_at == later
    assert [a.miss_km for a in history] == [0.8, 0.5, 0.8]
    assert history[0].assessed_at == NOW
    assert history[0].tca == TCA


def test_a_cdm_is_stored_once(engine: Engine) -> None:
    store = ConjunctionStore(engine)
    cdm = assessment(source="cdm", source_ref="CSPOC 123", pc=2.5e-4, pc_estimated=False)
    (a,) = store.record([cdm], now=NOW)
    (b,) = store.record([cdm], now=NOW + timedelta(hours=1))
    assert (b.event_id, b.duplicate, b.new_event) == (a.event_id, True, False)
    assert store.get(a.event_id)[0].pc == 2.5e-4
    assert count(engine) == 1
    # a later screen joins the history but does not replace the CDM's Pc in the event row
    store.record([assessment(pc=1e-30, pc_estimated=True, miss_km=0.9)], now=NOW + timedelta(hours=2))
    event, history = store.get(a.event_id)
    assert (event.pc, event.miss_km, event.assessments) == (2.5e-4, 0.8, 2)
    assert [h.source for h in history] == ["cdm", "screen"]


def test_writes_are_all_or_nothing(engine: Engine) -> None:
    store = ConjunctionStore(engine)
    with pytest.raises(ValidationError, match="not a probability"):
        store.record([assessment(), assessment(tca=TCA + timedelta(hours=2), pc=1.5)], now=NOW)
    with pytest.raises(ValidationError, match="with itself"):
        store.record([assessment(secondary_number=48274)], now=NOW)
    with pytest.raises(NaiveTimeError):
        store.record([assessment()], now=NOW.replace(tzinfo=None))
    assert count(engine) == 0
    assert store.list_events().total == 0


def test_pages_by_tca_and_filters(engine: Engine) -> None:
    store = ConjunctionStore(engine)
    store.record([assessment(tca=TCA + timedelta(hours=h), secondary_number=20000 + h) for h in range(5)], now=NOW)
    page = store.list_events(limit=2, offset=1)
    assert page.total == 5
    assert [e.secondary_number for e in page.items] == [20001, 20002]
    window = store.list_events(tca_from=TCA + timedelta(hours=1), tca_to=TCA + timedelta(hours=3))
    assert [e.secondary_number for e in window.items] == [20001, 20002]
    assert store.list_events(object_number=20004).total == 1
    assert store.list_events(object_number=48274).total == 5
    with pytest.raises(ValidationError, match="page limit"):
        store.list_events(limit=0)
    with pytest.raises(NotFoundError, match="no conjunction event 'x'"):
        store.get("x")
