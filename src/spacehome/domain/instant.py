"""Time discipline: aware UTC datetimes at every boundary, and event times the record may not know.

spacehome never guesses a time zone. A naive ``datetime`` or an ISO 8601 string without ``Z`` or an
offset is refused with a message that says how to write it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from spacehome.errors import NaiveTimeError, ValidationError

from .facts import Alternative, Fact

_HOW = "write it with a zone, e.g. 2022-12-01T00:00:00Z or 2022-12-01T08:00:00+08:00"


def require_utc(value: datetime, what: str = "time") -> datetime:
    """Return ``value`` converted to UTC; refuse a naive datetime."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveTimeError(f"{what} {value.isoformat()} has no time zone: {_HOW}")
    return value.astimezone(UTC)


def parse_instant(text: str, what: str = "time") -> datetime:
    """Parse an ISO 8601 instant that carries a zone (``Z`` or ``+08:00``) into aware UTC."""
    stripped = text.strip()
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        raise ValidationError(f"{what} {text!r} is not an ISO 8601 instant: {_HOW}") from None
    if parsed.tzinfo is None:
        raise NaiveTimeError(f"{what} {text!r} has no time zone: {_HOW}")
    return parsed.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; seconds kept, microseconds only when present."""
    utc = require_utc(value)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


@dataclass(frozen=True)
class When(Fact[datetime]):
    """When an event happened, as far as the record knows.

    ``value`` is the instant when known. When it is not, ``earliest`` and ``latest`` bound it where
    the record (or a deduction from it) allows; ``None`` bounds are open.
    """

    earliest: datetime | None = None
    latest: datetime | None = None

    @classmethod
    def at(
        cls,
        value: datetime,
        sources: tuple[str, ...] = (),
        alternatives: tuple[Alternative[datetime], ...] = (),
        note: str = "",
    ) -> When:
        return cls(value=require_utc(value), sources=sources, alternatives=alternatives, note=note)

    @classmethod
    def between(
        cls,
        earliest: datetime | None,
        latest: datetime | None,
        note: str = "",
        sources: tuple[str, ...] = (),
    ) -> When:
        return cls(
            value=None,
            earliest=None if earliest is None else require_utc(earliest),
            latest=None if latest is None else require_utc(latest),
            note=note,
            sources=sources,
        )

    @property
    def lower(self) -> datetime | None:
        """The earliest the event can have happened (``None``: no bound)."""
        return self.value if self.value is not None else self.earliest

    @property
    def upper(self) -> datetime | None:
        """The latest the event can have happened (``None``: no bound)."""
        return self.value if self.value is not None else self.latest

    def certainly_before(self, instant: datetime) -> bool:
        """True when the event happened at or before ``instant`` for certain."""
        return self.upper is not None and self.upper <= instant

    def certainly_after(self, instant: datetime) -> bool:
        """True when the event happened after ``instant`` for certain."""
        return self.lower is not None and self.lower > instant

    def bounded(self, earliest: datetime | None, latest: datetime | None) -> When:
        """The same unknown time with tighter bounds (a known time is returned unchanged)."""
        if self.value is not None:
            return self
        new_earliest = _max(self.earliest, earliest)
        new_latest = _min(self.latest, latest)
        return When(
            value=None,
            sources=self.sources,
            alternatives=self.alternatives,
            note=self.note,
            earliest=new_earliest,
            latest=new_latest,
        )

    def describe(self) -> str:
        """Human text: the instant, or the bounds of an unknown one."""
        if self.value is not None:
            return format_utc(self.value)
        if self.earliest is None and self.latest is None:
            return "unknown"
        low = "?" if self.earliest is None else format_utc(self.earliest)
        high = "?" if self.latest is None else format_utc(self.latest)
        return f"unknown (between {low} and {high})"


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
