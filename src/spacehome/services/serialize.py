"""Domain values to JSON-ready structures, in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spacehome.domain.facts import Fact
from spacehome.domain.instant import When, format_utc

JSON = dict[str, Any]


def utc(value: datetime | None) -> str | None:
    return None if value is None else format_utc(value)


def fact(value: Fact[Any]) -> JSON:
    """``{"value", "status", "alternatives", "sources", "note"}``; times as ISO text."""
    return {
        "value": _plain(value.value),
        "status": value.status.value,
        "alternatives": [
            {"value": _plain(a.value), "sources": list(a.sources), "note": a.note}
            for a in value.alternatives
        ],
        "sources": list(value.sources),
        "note": value.note,
    }


def when(value: When | None) -> JSON | None:
    if value is None:
        return None
    result = fact(value)
    result["earliest"] = utc(value.earliest)
    result["latest"] = utc(value.latest)
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
