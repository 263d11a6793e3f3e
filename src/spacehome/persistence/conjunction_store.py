"""Stored conjunction events: record assessments, list events, read one with its history.

:class:`ConjunctionStore` takes and returns the records defined here (standard-library values,
times aware UTC); rows and records meet only in the ``_..._from_row`` functions at the end.

Rules kept here:

* **one event per approach**: an assessment of a pair (in either order) whose TCA lies within
  :data:`SAME_EVENT_WINDOW` of a stored event's TCA belongs to that event; otherwise it opens a
  new one. Two approaches of one pair are at least a large fraction of an orbit apart (tens of
  minutes in LEO), so ten minutes cannot merge two real approaches;
* every :meth:`ConjunctionStore.record` call is one transaction: all assessments of a screen are
  stored, or none;
* a CDM is stored once: the same message (``source_ref``: originator and MESSAGE_ID) again is
  reported as already there, not added twice;
* assessments are append-only; the event row carries the newest assessment's TCA, miss and Pc,
  except that once a CDM is stored for the event, screens no longer replace it there (a CDM's
  covariances outrank an estimate from element sets; the screens stay in the history);
* times are given by the caller (``now``): the store reads no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from spacehome.domain.instant import require_utc
from spacehome.errors import NotFoundError, ValidationError

from .conjunction_tables import SOURCE_VALUES, ConjunctionAssessmentRow, ConjunctionEventRow
from .engine import write_session

#: Assessments of one pair whose TCAs differ by less than this are one event.
SAME_EVENT_WINDOW: Final = timedelta(minutes=10)
#: The most events one page returns.
MAX_PAGE_SIZE: Final = 500
#: The most assessments one call may record.
MAX_ASSESSMENTS: Final = 100_000


@dataclass(frozen=True, slots=True)
class AssessmentFields:
    """What one assessment says: where it came from, the approach, its Pc (or why none), inputs."""

    source: str
    source_ref: str
    tca: datetime
    miss_km: float
    radial_km: float | None
    in_track_km: float | None
    cross_track_km: float | None
    relative_speed_km_s: float | None
    pc: float | None
    pc_method: str | None
    pc_estimated: bool | None
    pc_note: str | None
    hard_body_radius_m: float | None
    inputs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewAssessment(AssessmentFields):
    """One assessment to record, with the pair it is about."""

    primary_number: int
    primary_name: str | None
    secondary_number: int
    secondary_name: str | None


@dataclass(frozen=True, slots=True)
class Assessment(AssessmentFields):
    """A stored assessment of an event."""

    id: int
    event_id: str
    assessed_at: datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A stored event: the pair, the latest TCA, miss and Pc, and how many assessments."""

    id: str
    primary_number: int
    primary_name: str | None
    secondary_number: int
    secondary_name: str | None
    tca: datetime
    miss_km: float
    pc: float | None
    first_seen_at: datetime
    updated_at: datetime
    assessments: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """What one recorded assessment did: its event, and whether the event or the assessment is new."""

    event_id: str
    new_event: bool
    duplicate: bool


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of events by TCA, and ``total``: how many match in all."""

    items: tuple[EventRecord, ...]
    total: int
    limit: int
    offset: int


def event_id_for(primary: int, secondary: int, tca: datetime) -> str:
    """The id of a new event: ``PRIMARY-SECONDARY-YYYYMMDDTHHMMSS`` (the first TCA, UTC)."""
    return f"{primary}-{secondary}-{require_utc(tca, 'TCA'):%Y%m%dT%H%M%S}"


class ConjunctionStore:
    """Conjunction events in one database (``engine`` migrated). Each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)

    def record(self, assessments: Sequence[NewAssessment], *, now: datetime) -> list[Recorded]:
        """Add the assessments (all or none), each to its event; returns one entry per input."""
        now = require_utc(now, "now")
        if len(assessments) > MAX_ASSESSMENTS:
            raise ValidationError(
                f"{len(assessments)} assessments in one call, more than {MAX_ASSESSMENTS}: "
                "screen a shorter window"
            )
        for a in assessments:
            _check(a)
        out: list[Recorded] = []
        with write_session(self._engine) as session:
            for a in assessments:
                out.append(_record_one(session, a, now))
        return out

    def get(self, event_id: str) -> tuple[EventRecord, tuple[Assessment, ...]]:
        """An event and its assessments, oldest first (NotFoundError when there is none)."""
        with self._reads() as session, session.begin():
            row = session.get(ConjunctionEventRow, event_id)
            if row is None:
                raise NotFoundError(
                    f"no conjunction event {event_id!r}: list them with 'spacehome conjunctions list'"
                )
            query = (
                select(ConjunctionAssessmentRow)
                .where(ConjunctionAssessmentRow.event_id == event_id)
                .order_by(ConjunctionAssessmentRow.assessed_at, ConjunctionAssessmentRow.id)
            )
            return _event_from_row(row), tuple(_assessment_from_row(r) for r in session.scalars(query))

    def list_events(
        self, *, tca_from: datetime | None = None, tca_to: datetime | None = None,
        object_number: int | None = None, limit: int = 50, offset: int = 0,
    ) -> EventPage:
        """A page of events by TCA (then id), optionally in a TCA range or involving one object."""
        if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"page limit {limit!r} is out of range: give 1..{MAX_PAGE_SIZE}")
        if isinstance(offset, bool) or offset < 0:
            raise ValidationError(f"page offset {offset!r} is out of range: give 0 or more")
        conditions: list[Any] = []
        if tca_from is not None:
            conditions.append(ConjunctionEventRow.tca >= require_utc(tca_from, "from"))
        if tca_to is not None:
            conditions.append(ConjunctionEventRow.tca < require_utc(tca_to, "to"))
        if object_number is not None:
            conditions.append(
                or_(
                    ConjunctionEventRow.primary_number == object_number,
                    ConjunctionEventRow.secondary_number == object_number,
                )
            )
        page = (
            select(ConjunctionEventRow)
            .where(*conditions)
            .order_by(ConjunctionEventRow.tca, ConjunctionEventRow.id)
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(ConjunctionEventRow).where(*conditions)
        with self._reads() as session, session.begin():
            total = session.execute(count).scalar_one()
            items = tuple(_event_from_row(r) for r in session.scalars(page))
        return EventPage(items=items, total=int(total), limit=limit, offset=offset)


# --- writing ------------------------------------------------------------------------------------


def _check(a: NewAssessment) -> None:
    if a.source not in SOURCE_VALUES:
        raise ValidationError(f"assessment source {a.source!r} is unknown: use one of {SOURCE_VALUES}")
    if a.primary_number == a.secondary_number:
        raise ValidationError(
            f"an object cannot be in conjunction with itself (NORAD {a.primary_number})"
        )
    if not a.miss_km >= 0.0:
        raise ValidationError(f"the miss distance {a.miss_km!r} km is not a distance")
    if a.pc is not None and not 0.0 <= a.pc <= 1.0:
        raise ValidationError(f"the Pc {a.pc!r} is not a probability (0..1)")
    require_utc(a.tca, "TCA")
    texts = [a.primary_name or "", a.secondary_name or "", a.source_ref, a.pc_method or "", a.pc_note or ""]
    if any("\x00" in t for t in texts):
        raise ValidationError("an assessment holds a NUL character, which the database cannot store")


def _record_one(session: Session, a: NewAssessment, now: datetime) -> Recorded:
    lo, hi = a.tca - SAME_EVENT_WINDOW, a.tca + SAME_EVENT_WINDOW
    pair = or_(
        and_(ConjunctionEventRow.primary_number == a.primary_number,
             ConjunctionEventRow.secondary_number == a.secondary_number),
        and_(ConjunctionEventRow.primary_number == a.secondary_number,
             ConjunctionEventRow.secondary_number == a.primary_number),
    )
    candidates = list(
        session.scalars(
            select(ConjunctionEventRow).where(
                pair, ConjunctionEventRow.tca >= lo, ConjunctionEventRow.tca <= hi
            )
        )
    )
    event = min(candidates, key=lambda r: abs(r.tca - a.tca), default=None)
    if event is not None and a.source == "cdm":
        seen = session.scalars(
            select(ConjunctionAssessmentRow.id).where(
                ConjunctionAssessmentRow.event_id == event.id,
                ConjunctionAssessmentRow.source == "cdm",
                ConjunctionAssessmentRow.source_ref == a.source_ref,
            )
        ).first()
        if seen is not None:
            return Recorded(event.id, new_event=False, duplicate=True)
    new_event = event is None
    if event is None:
        event_id = event_id_for(a.primary_number, a.secondary_number, a.tca)
        if session.get(ConjunctionEventRow, event_id) is not None:  # same second, other pair order
            event_id += "-2"
        event = ConjunctionEventRow(
            id=event_id, primary_number=a.primary_number, primary_name=a.primary_name,
            secondary_number=a.secondary_number, secondary_name=a.secondary_name,
            tca=a.tca, miss_km=a.miss_km, pc=a.pc, first_seen_at=now, updated_at=now,
            assessments=0,
        )
        session.add(event)
        session.flush()
    has_cdm = a.source == "screen" and not new_event and session.scalars(
        select(ConjunctionAssessmentRow.id).where(
            ConjunctionAssessmentRow.event_id == event.id, ConjunctionAssessmentRow.source == "cdm"
        )
    ).first() is not None
    if not has_cdm:  # a CDM's covariances outrank an estimate from element sets
        event.tca, event.miss_km, event.pc = a.tca, a.miss_km, a.pc
    event.updated_at = now
    event.assessments += 1
    event.primary_name = event.primary_name or (
        a.primary_name if event.primary_number == a.primary_number else a.secondary_name
    )
    event.secondary_name = event.secondary_name or (
        a.secondary_name if event.secondary_number == a.secondary_number else a.primary_name
    )
    session.add(
        ConjunctionAssessmentRow(
            event_id=event.id, assessed_at=now, source=a.source, source_ref=a.source_ref,
            tca=a.tca, miss_km=a.miss_km, radial_km=a.radial_km, in_track_km=a.in_track_km,
            cross_track_km=a.cross_track_km, relative_speed_km_s=a.relative_speed_km_s,
            pc=a.pc, pc_method=a.pc_method, pc_estimated=a.pc_estimated, pc_note=a.pc_note,
            hard_body_radius_m=a.hard_body_radius_m, inputs=a.inputs,
        )
    )
    session.flush()
    return Recorded(event.id, new_event=new_event, duplicate=False)


# --- rows to records ----------------------------------------------------------------------------


def _event_from_row(r: ConjunctionEventRow) -> EventRecord:
    return EventRecord(
        id=r.id, primary_number=int(r.primary_number), primary_name=r.primary_name,
        secondary_number=int(r.secondary_number), secondary_name=r.secondary_name, tca=r.tca,
        miss_km=float(r.miss_km), pc=None if r.pc is None else float(r.pc),
        first_seen_at=r.first_seen_at, updated_at=r.updated_at, assessments=int(r.assessments),
    )


def _assessment_from_row(r: ConjunctionAssessmentRow) -> Assessment:
    def f(x: float | None) -> float | None:
        return None if x is None else float(x)

    return Assessment(
        id=int(r.id), event_id=r.event_id, assessed_at=r.assessed_at, source=r.source,
        source_ref=r.source_ref, tca=r.tca, miss_km=float(r.miss_km), radial_km=f(r.radial_km),
        in_track_km=f(r.in_track_km), cross_track_km=f(r.cross_track_km),
        relative_speed_km_s=f(r.relative_speed_km_s), pc=f(r.pc), pc_method=r.pc_method,
        pc_estimated=r.pc_estimated, pc_note=r.pc_note,
        hard_body_radius_m=f(r.hard_body_radius_m), inputs=dict(r.inputs),
    )


__all__ = [
    "SAME_EVENT_WINDOW",
    "Assessment",
    "ConjunctionStore",
    "EventPage",
    "EventRecord",
    "NewAssessment",
    "Recorded",
    "event_id_for",
]
