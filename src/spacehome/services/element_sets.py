"""Element sets for the API: an object's history (newest first, paginated), the set that was
current at an instant with what was known then, and importing TLE/OMM text with its provenance.

The sets are the ones the orbit products use: the database's history, seeded with the embedded
sets (:func:`spacehome.services.orbit.element_history`), so ``/element-sets`` lists exactly what
``/orbit/where`` and the other orbit endpoints choose from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from spacehome.domain.elements import Provenance
from spacehome.domain.instant import format_utc, require_utc
from spacehome.errors import NotFoundError, ValidationError
from spacehome.orbit.formats import parse_elements
from spacehome.persistence.element_history import ElementHistory, StoredElementSet
from spacehome.services.orbit import STATION_CATALOG_NUMBER, element_history, staleness

JSON = dict[str, Any]

#: The most sets one page lists.
MAX_PAGE_SIZE: Final = 500
#: The largest page offset.
MAX_OFFSET: Final = 1_000_000
#: The largest NORAD catalog number (nine digits).
MAX_CATALOG_NUMBER: Final = 999_999_999
#: The largest element-set text one import takes (bytes): about 30 000 TLEs.
MAX_IMPORT_BYTES: Final = 5 * 1000 * 1000
#: How many unreadable records an import lists (the count is always complete).
PROBLEMS_SHOWN: Final = 100


def element_set_view(stored: StoredElementSet) -> JSON:
    """One stored set: identity, epoch, the SGP4 mean elements (OMM units), TLE lines, provenance."""
    e = stored.elements
    return {
        "sha256": stored.content_sha256,
        "catalog_number": e.catalog_number,
        "name": e.name,
        "international_designator": e.international_designator,
        "epoch": format_utc(e.epoch),
        "mean_motion_rev_per_day": e.mean_motion_rev_per_day,
        "eccentricity": e.eccentricity,
        "inclination_deg": e.inclination_deg,
        "raan_deg": e.raan_deg,
        "arg_perigee_deg": e.arg_perigee_deg,
        "mean_anomaly_deg": e.mean_anomaly_deg,
        "bstar_per_earth_radius": e.bstar_per_earth_radius,
        "mean_motion_dot_rev_per_day2": e.mean_motion_dot_rev_per_day2,
        "mean_motion_ddot_rev_per_day3": e.mean_motion_ddot_rev_per_day3,
        "element_set_number": e.element_set_number,
        "rev_at_epoch": e.rev_at_epoch,
        "classification": e.classification,
        "line1": e.line1,
        "line2": e.line2,
        "source": stored.provenance.source,
        "obtained_at": format_utc(stored.provenance.obtained_at),
    }


def _check_catalog_number(catalog_number: int) -> None:
    if isinstance(catalog_number, bool) or not 1 <= catalog_number <= MAX_CATALOG_NUMBER:
        raise ValidationError(
            f"catalog number {catalog_number!r} is out of range: give a NORAD number 1..{MAX_CATALOG_NUMBER}"
        )


class ElementSetService:
    """Reads of, and imports into, one database's element-set history."""

    def __init__(self, history: ElementHistory) -> None:
        self.history = history

    @classmethod
    def open(cls, database_url: str | None = None) -> ElementSetService:
        """On the project database (migrated, the embedded sets added once)."""
        return cls(element_history(database_url))

    def history_page(
        self, catalog_number: int = STATION_CATALOG_NUMBER, *, limit: int = 50, offset: int = 0
    ) -> JSON:
        """An object's sets, newest epoch first (of equal epochs, the last obtained first)."""
        _check_catalog_number(catalog_number)
        if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"page limit {limit!r} is out of range: give 1..{MAX_PAGE_SIZE}")
        if isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
            raise ValidationError(f"page offset {offset!r} is out of range: give 0..{MAX_OFFSET}")
        newest_first = self.history.history(catalog_number)[::-1]
        return {
            "catalog_number": catalog_number,
            "items": [element_set_view(s) for s in newest_first[offset : offset + limit]],
            "total": len(newest_first),
            "limit": limit,
            "offset": offset,
        }

    def current(
        self,
        catalog_number: int = STATION_CATALOG_NUMBER,
        *,
        at: datetime,
        known_by: datetime | None = None,
    ) -> JSON:
        """The set current at ``at``: the latest epoch at or before it (else the earliest after
        it), among the sets obtained by ``known_by`` when given; with its age at ``at``."""
        _check_catalog_number(catalog_number)
        at = require_utc(at, "at")
        stored = self.history.current_at(catalog_number, at, known_by=known_by)
        if stored is None:
            known = f" known by {format_utc(known_by)}" if known_by is not None else ""
            raise NotFoundError(
                f"no element set{known} is stored for catalog number {catalog_number}: "
                "check the number, or import sets ('spacehome tle import FILE')"
            )
        return {
            "at": format_utc(at),
            "known_by": format_utc(known_by) if known_by is not None else None,
            "element_set": element_set_view(stored),
            **staleness(stored.elements, at),
        }


    def import_text(self, text: str, *, source: str, obtained_at: datetime, now: datetime) -> JSON:
        """Store the element sets in ``text`` (TLE or OMM, detected), obtained from ``source`` at
        ``obtained_at`` (not after ``now``). Good records are stored (the same set twice is kept
        once); each unreadable record is reported in one line. One transaction for the batch.
        """
        obtained = require_utc(obtained_at, "obtained_at")
        if obtained > require_utc(now, "now"):
            raise ValidationError(
                f"obtained_at {format_utc(obtained)} is in the future: give when the sets were "
                "downloaded (default: now)"
            )
        if not source.strip():
            raise ValidationError("source is empty: give the URL or file the element sets came from")
        if "\x00" in text:
            raise ValidationError("the text holds a NUL character: send TLE or OMM text")
        result = parse_elements(text)
        report = self.history.add(result.sets, Provenance(source=source.strip(), obtained_at=obtained))
        problems = [" ".join(str(p).split()) for p in result.problems]
        return {
            "format": result.format,
            "source": source.strip(),
            "obtained_at": format_utc(obtained),
            "read": len(result.sets),
            "added": report.added,
            "already_known": report.already_known,
            "problems_total": len(problems),
            "problems": problems[:PROBLEMS_SHOWN],
        }


__all__ = ["MAX_IMPORT_BYTES", "ElementSetService", "element_set_view"]
