"""The append-only history of element sets per object.

Every element set spacehome has ever been given is kept, with where and when it was obtained, so
any past instant can be recomputed with the set that was current then (and with what was known
then: ``current_at(..., known_by=...)``). Sets are never updated or deleted; the same set imported
twice (from the same or another source) is stored once, recognised by the SHA-256 of its canonical
element content (:func:`content_sha256`).

Rows and domain values meet in exactly one pair of functions, :func:`row_values` and
:func:`stored_from_row`; nothing outside ``persistence`` sees an ORM row.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Insert, Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker

from spacehome.domain.elements import ElementSet, Provenance
from spacehome.domain.instant import require_utc
from spacehome.errors import SpacehomeError, ValidationError

from .tables import ElementSetRow

#: The largest catalog number stored: nine digits, the most the 18th SDS catalog will assign.
MAX_CATALOG_NUMBER = 999_999_999

#: Version tag at the head of the canonical content; change it only with a migration that
#: recomputes every stored ``content_sha256``.
CONTENT_FORMAT = "spacehome-element-set-v1"

_NUMERIC_FIELDS = (
    "mean_motion_rev_per_day",
    "eccentricity",
    "inclination_deg",
    "raan_deg",
    "arg_perigee_deg",
    "mean_anomaly_deg",
    "bstar_per_earth_radius",
    "mean_motion_dot_rev_per_day2",
    "mean_motion_ddot_rev_per_day3",
)


@dataclass(frozen=True, slots=True)
class StoredElementSet:
    """An element set from the history, with where and when it was obtained.

    ``content_sha256`` identifies the set's content for good: a plan can record it to name exactly
    the elements it was computed with.
    """

    elements: ElementSet
    provenance: Provenance
    content_sha256: str


@dataclass(frozen=True, slots=True)
class AddReport:
    """What :meth:`ElementHistory.add` did with a batch.

    ``added`` sets were new; ``already_known`` were already stored (or repeated within the batch)
    and were left as they were, with their first provenance.
    """

    added: int
    already_known: int


class ElementHistory:
    """The element-set history in one database (append-only: no update, no delete).

    Each call runs in its own transaction on ``engine``, which must be migrated
    (:func:`spacehome.persistence.engine.open_database` does both).
    """

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._dialect = engine.dialect.name

    def add(self, sets: Iterable[ElementSet], provenance: Provenance) -> AddReport:
        """Store every new set of ``sets``, all obtained as ``provenance`` says.

        One transaction for the whole batch: if any set is refused or anything fails, nothing is
        written. Sets already stored (same catalog number and content) are counted, not changed.
        """
        rows = [row_values(element_set, provenance) for element_set in sets]
        if not rows:
            return AddReport(added=0, already_known=0)
        first_of_each: dict[tuple[int, str], dict[str, Any]] = {}
        for row in rows:  # a set repeated within the batch is stored as first given
            first_of_each.setdefault((row["catalog_number"], row["content_sha256"]), row)
        unique = list(first_of_each.values())
        with self._sessions.begin() as session:
            added = len(session.execute(self._insert_new(), unique).all())
        return AddReport(added=added, already_known=len(rows) - added)

    def history(self, catalog_number: int) -> list[StoredElementSet]:
        """Every stored set of one object, oldest epoch first (empty when none is stored).

        Sets with the same epoch come in the order they were obtained.
        """
        query = self._of(catalog_number).order_by(
            ElementSetRow.epoch, ElementSetRow.obtained_at, ElementSetRow.id
        )
        with self._sessions() as session:
            return [stored_from_row(row) for row in session.scalars(query)]

    def current_at(
        self, catalog_number: int, when: datetime, *, known_by: datetime | None = None
    ) -> StoredElementSet | None:
        """The set to propagate to ``when``: the one with the latest epoch at or before ``when``.

        With ``known_by``, only sets obtained at or before that instant count, so a past
        computation can be repeated with exactly what was known then.

        If no set has its epoch at or before ``when`` (a time before the object's first stored
        set), the set with the earliest epoch after ``when`` is returned instead: propagating
        backwards from the nearest set beats having none. Check its epoch if that matters.
        ``None`` only when no set (known by ``known_by``) is stored for the object at all.

        Of several sets with the same epoch, the one obtained last wins.
        """
        when_utc = require_utc(when, "when")
        query = self._of(catalog_number, known_by=known_by)
        before = query.where(ElementSetRow.epoch <= when_utc).order_by(
            ElementSetRow.epoch.desc(), ElementSetRow.obtained_at.desc(), ElementSetRow.id.desc()
        )
        after = query.where(ElementSetRow.epoch > when_utc).order_by(
            ElementSetRow.epoch, ElementSetRow.obtained_at.desc(), ElementSetRow.id.desc()
        )
        with self._sessions() as session:
            row = session.scalars(before.limit(1)).first()
            if row is None:
                row = session.scalars(after.limit(1)).first()
            return None if row is None else stored_from_row(row)

    def latest(
        self, catalog_number: int, *, known_by: datetime | None = None
    ) -> StoredElementSet | None:
        """The set with the latest epoch (obtained at or before ``known_by``, if given).

        ``None`` when none is stored. Of several sets with that epoch, the one obtained last wins.
        """
        query = self._of(catalog_number, known_by=known_by).order_by(
            ElementSetRow.epoch.desc(), ElementSetRow.obtained_at.desc(), ElementSetRow.id.desc()
        )
        with self._sessions() as session:
            row = session.scalars(query.limit(1)).first()
            return None if row is None else stored_from_row(row)

    def catalog_numbers(self) -> list[int]:
        """Catalog numbers of every object with at least one stored set, ascending."""
        query = (
            select(ElementSetRow.catalog_number).distinct().order_by(ElementSetRow.catalog_number)
        )
        with self._sessions() as session:
            return list(session.scalars(query))

    def _of(
        self, catalog_number: int, *, known_by: datetime | None = None
    ) -> Select[ElementSetRow]:
        query = select(ElementSetRow).where(ElementSetRow.catalog_number == catalog_number)
        if known_by is not None:
            query = query.where(ElementSetRow.obtained_at <= require_utc(known_by, "known_by"))
        return query

    def _insert_new(self) -> Insert:
        """INSERT that skips rows already stored (race-free: the unique constraint decides).

        It returns the ids of the rows it inserted, so their count is the number of new sets.
        """
        conflict = ["catalog_number", "content_sha256"]
        if self._dialect == "postgresql":
            return (
                postgresql.insert(ElementSetRow)
                .on_conflict_do_nothing(index_elements=conflict)
                .returning(ElementSetRow.id)
            )
        if self._dialect == "sqlite":
            return (
                sqlite.insert(ElementSetRow)
                .on_conflict_do_nothing(index_elements=conflict)
                .returning(ElementSetRow.id)
            )
        raise SpacehomeError(  # make_engine admits only the two above
            f"element history cannot write to a {self._dialect} database: use SQLite or PostgreSQL"
        )


def content_sha256(element_set: ElementSet) -> str:
    """SHA-256 (hex) of the canonical element content of ``element_set``.

    The content is what SGP4 propagates plus the set's identity in its catalog: catalog number,
    epoch (UTC, to the microsecond), the nine numeric elements (shortest round-trip ``repr``, with
    -0.0 read as 0.0), element set number, revolution number and classification. The name, the
    international designator, the TLE lines and the provenance are not content: the same elements
    under another name, or from another source, are the same set.
    """
    epoch = require_utc(element_set.epoch, "element-set epoch")
    parts = [
        CONTENT_FORMAT,
        str(element_set.catalog_number),
        epoch.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        *(repr(float(getattr(element_set, name)) + 0.0) for name in _NUMERIC_FIELDS),
        _optional_int(element_set.element_set_number),
        _optional_int(element_set.rev_at_epoch),
        element_set.classification,
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def row_values(element_set: ElementSet, provenance: Provenance) -> dict[str, Any]:
    """The column values of the row that stores ``element_set`` (all but ``id``).

    Refuses, with :class:`spacehome.errors.ValidationError`, what the database could not hold
    faithfully: a catalog number outside 1..999 999 999, a non-finite element (SQLite would store
    NaN as NULL), a classification that is not one character, an empty source.
    """
    label = element_set.label()
    if not 1 <= element_set.catalog_number <= MAX_CATALOG_NUMBER:
        raise ValidationError(
            f"element set {label}: catalog number {element_set.catalog_number} is outside "
            f"1..{MAX_CATALOG_NUMBER}: check the NORAD_CAT_ID of the source"
        )
    for name in _NUMERIC_FIELDS:
        value = getattr(element_set, name)
        if not math.isfinite(value):
            raise ValidationError(
                f"element set {label}: {name} is {value}: fix or drop this set in the source"
            )
    if len(element_set.classification) != 1:
        raise ValidationError(
            f"element set {label}: classification {element_set.classification!r} is not one "
            "character: use U, C or S"
        )
    if not provenance.source.strip():
        raise ValidationError(
            "provenance source is empty: give the URL, file path or 'embedded:<what>' "
            "the element sets came from"
        )
    values: dict[str, Any] = {
        "catalog_number": element_set.catalog_number,
        "name": element_set.name,
        "international_designator": element_set.international_designator,
        "epoch": require_utc(element_set.epoch, "element-set epoch"),
        **{name: float(getattr(element_set, name)) for name in _NUMERIC_FIELDS},
        "element_set_number": element_set.element_set_number,
        "rev_at_epoch": element_set.rev_at_epoch,
        "classification": element_set.classification,
        "line1": element_set.line1,
        "line2": element_set.line2,
        "source": provenance.source,
        "obtained_at": require_utc(provenance.obtained_at, "obtained_at"),
        "content_sha256": content_sha256(element_set),
    }
    return values


def stored_from_row(row: ElementSetRow) -> StoredElementSet:
    """The domain value a row stores (the inverse of :func:`row_values`)."""
    elements = ElementSet(
        catalog_number=row.catalog_number,
        name=row.name,
        international_designator=row.international_designator,
        epoch=row.epoch,
        mean_motion_rev_per_day=row.mean_motion_rev_per_day,
        eccentricity=row.eccentricity,
        inclination_deg=row.inclination_deg,
        raan_deg=row.raan_deg,
        arg_perigee_deg=row.arg_perigee_deg,
        mean_anomaly_deg=row.mean_anomaly_deg,
        bstar_per_earth_radius=row.bstar_per_earth_radius,
        mean_motion_dot_rev_per_day2=row.mean_motion_dot_rev_per_day2,
        mean_motion_ddot_rev_per_day3=row.mean_motion_ddot_rev_per_day3,
        element_set_number=row.element_set_number,
        rev_at_epoch=row.rev_at_epoch,
        classification=row.classification,
        line1=row.line1,
        line2=row.line2,
    )
    provenance = Provenance(source=row.source, obtained_at=row.obtained_at)
    return StoredElementSet(
        elements=elements, provenance=provenance, content_sha256=row.content_sha256
    )


def _optional_int(value: int | None) -> str:
    return "-" if value is None else str(value)


__all__ = [
    "AddReport",
    "ElementHistory",
    "StoredElementSet",
    "content_sha256",
    "row_values",
    "stored_from_row",
]
