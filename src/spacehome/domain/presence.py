"""Was something there at an instant? Three answers: certainly, possibly, or no.

A stay runs from ``start`` to ``end`` (both :class:`When`, either possibly unknown within bounds;
``end`` ``None`` means no departure is recorded). Certainly present: started at or before the
instant for sure and not yet ended for sure. Possibly present: could have started and could not
yet have ended.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from .instant import When


class Certainty(StrEnum):
    CERTAIN = "certain"
    POSSIBLE = "possible"


def presence(start: When, end: When | None, instant: datetime) -> Certainty | None:
    """How sure the record is that a stay covers ``instant`` (``None``: it does not)."""
    started_for_sure = start.upper is not None and start.upper <= instant
    could_have_started = start.lower is None or start.lower <= instant
    if end is None:
        ended_for_sure = False
        could_have_ended = False
    else:
        ended_for_sure = end.upper is not None and end.upper <= instant
        could_have_ended = end.lower is None or end.lower <= instant
    if started_for_sure and not could_have_ended:
        return Certainty.CERTAIN
    if could_have_started and not ended_for_sure:
        return Certainty.POSSIBLE
    return None


def certain_span(start: When, end: When | None) -> tuple[datetime, datetime | None] | None:
    """The part of a stay that is certain: ``(from, until)``, ``until`` ``None`` if open.

    ``None`` when no instant is certainly covered.
    """
    if start.upper is None:
        return None
    if end is None:
        return (start.upper, None)
    if end.lower is None or end.lower <= start.upper:
        return None
    return (start.upper, end.lower)


def spans_overlap(a: tuple[datetime, datetime | None], b: tuple[datetime, datetime | None]) -> bool:
    a_start, a_end = a
    b_start, b_end = b
    return (a_end is None or b_start < a_end) and (b_end is None or a_start < b_end)
