"""Optimistic concurrency with ETag / If-Match (RFC 9110 §8.8.3, §13.1.1; RFC 6585 §3).

A read returns ``ETag: "<version>"``; an update must send that value back in ``If-Match``.
No ``If-Match`` is 428 Precondition Required (so clients cannot skip the check by accident); a
tag that no longer matches is 412 Precondition Failed (someone else wrote first): a stale write
is refused, never silently applied. Both surface as problem responses through
``spacehome.api.problems``.

If-Match uses the strong comparison: weak tags (``W/"..."``) never match.
"""

from __future__ import annotations

import re
from typing import Final

from fastapi import HTTPException, status

from spacehome.errors import ValidationError

_ETAGC: Final = re.compile(r"[\x21\x23-\x7e]+")
_LIST_ITEM: Final = re.compile(r'\s*(W/)?("[\x21\x23-\x7e]*")\s*(?:,|$)')


def etag_for(version: int | str) -> str:
    """The strong ETag for a version: ``7`` -> ``"7"`` (quotes included, as sent in the header)."""
    if isinstance(version, bool):
        raise ValidationError("an ETag version must be an int or a string, not a bool")
    text = str(version)
    if not _ETAGC.fullmatch(text):
        raise ValidationError(
            f"an ETag version must be visible ASCII without quotes or spaces, not {text!r}"
        )
    return f'"{text}"'


def _strong_tags(header: str) -> list[str] | None:
    """The strong tags listed in an If-Match value; None when it cannot be parsed."""
    tags: list[str] = []
    position = 0
    header = header.strip()
    while position < len(header):
        match = _LIST_ITEM.match(header, position)
        if match is None or match.end() == position:
            return None
        if match.group(1) is None:
            tags.append(match.group(2))
        position = match.end()
    return tags


def check_if_match(request_header: str | None, current_etag: str) -> None:
    """Let an update through only when ``If-Match`` names ``current_etag`` (or is ``*``).

    Raises HTTPException 428 when the header is missing or blank, 400 when it is not a list of
    entity tags, and 412 when no strong tag in it equals the current one.
    """
    if request_header is None or not request_header.strip():
        raise HTTPException(
            status_code=status.HTTP_428_PRECONDITION_REQUIRED,
            detail=f"This update needs an If-Match header; read the resource first and send its ETag (now {current_etag}).",
        )
    if request_header.strip() == "*":
        return
    tags = _strong_tags(request_header)
    if tags is None:
        raise HTTPException(
            status_code=status.HTTP_400_BAD_REQUEST,
            detail='If-Match must be "*" or a comma-separated list of quoted entity tags, like "7".',
        )
    if current_etag not in tags:
        raise HTTPException(
            status_code=status.HTTP_412_PRECONDITION_FAILED,
            detail=f"The resource has changed since you read it (its ETag is now {current_etag}); read it again and reapply your change.",
            headers={"ETag": current_etag},
        )
