"""Reading element-set files: TLE (2/3-line), CCSDS OMM (KVN, XML), CelesTrak JSON and CSV.

(Skeleton: owned by the element-set work; see the issue-3 notes.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from spacehome.errors import ValidationError

T = TypeVar("T")


def omm_value(fields: Mapping[str, object], key: str, kind: Callable[..., T] | type) -> Any:
    """One required OMM field converted to ``kind`` (int, float or datetime)."""
    raw = fields.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationError(f"OMM field {key} is missing; every element set needs it")
    if kind is datetime:
        text = str(raw).strip().rstrip("Z")
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError(
                f"OMM field EPOCH {raw!r} is not a date; expected YYYY-MM-DDTHH:MM:SS.ffffff (UTC)"
            ) from exc
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    try:
        return kind(str(raw).strip()) if kind is not float else float(str(raw).strip())
    except ValueError as exc:
        raise ValidationError(f"OMM field {key} {raw!r} is not a number") from exc
