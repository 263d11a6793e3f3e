"""The UN list of least developed countries (LDCs), read from the sourced ``data/ldc.toml``.

``least_developed_countries()`` is the set of ISO 3166-1 alpha-2 codes on the list as of
``load_ldc_list().as_of``; :class:`LdcList` also carries the sources, the graduations the list
reflects and the scheduled graduations that could not be verified (``pending``). A malformed
file raises :class:`~spacehome.errors.RecordError` naming the file, the record and the field.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from spacehome.errors import RecordError

FILE = "ldc.toml"
SCHEMA = 1

_CODE = re.compile(r"[A-Z]{2}")
_TOP = frozenset(
    {"schema", "as_of", "count", "sources", "countries", "graduated", "pending", "source"}
)
_SOURCE_KEYS = frozenset({"title", "url", "publisher", "quote"})
_CHANGE_KEYS = frozenset({"code", "year", "date", "status", "note", "sources"})


@dataclass(frozen=True)
class LdcSource:
    """A cited document: what it is, where, who published it, and a short verbatim quote."""

    id: str
    title: str
    url: str
    publisher: str
    quote: str


@dataclass(frozen=True)
class LdcChange:
    """A graduation (done, or scheduled and unverified). ``date`` is None when only the year is sourced."""

    code: str
    year: int
    date: dt.date | None
    note: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class LdcList:
    """The LDC list as of ``as_of``, with where it comes from."""

    countries: frozenset[str]  # ISO 3166-1 alpha-2
    as_of: dt.date
    sources: tuple[str, ...]  # ids in ``documents`` that back ``countries``
    graduated: tuple[LdcChange, ...]
    pending: tuple[LdcChange, ...]  # scheduled graduations not verified: still on the list
    documents: dict[str, LdcSource]


def least_developed_countries() -> frozenset[str]:
    """The LDCs as ISO 3166-1 alpha-2 codes (see :func:`load_ldc_list` for the date and sources)."""
    return load_ldc_list().countries


@cache
def load_ldc_list() -> LdcList:
    """Read and validate the bundled ``ldc.toml``."""
    text = (resources.files("spacehome.record") / "data" / FILE).read_text(encoding="utf-8")
    return parse_ldc(text, FILE)


def parse_ldc(text: str, file: str) -> LdcList:
    """Parse the text of an LDC file; ``file`` names it in errors."""

    def error(record: str, field: str, problem: str) -> RecordError:
        return RecordError(file, record, field, problem)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error("(file)", "(syntax)", f"not valid TOML: {exc}") from None
    extra = sorted(set(data) - _TOP)
    if extra:
        raise error("(file)", extra[0], f"unknown key; expected one of {sorted(_TOP)}")
    for key in sorted(_TOP - {"graduated", "pending"}):
        if key not in data:
            raise error("(file)", key, "missing; add it (the header of ldc.toml explains it)")
    if data["schema"] != SCHEMA:
        raise error("(file)", "schema", f"expected schema = {SCHEMA}, got {data['schema']!r}")
    as_of = data["as_of"]
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise error("(file)", "as_of", f"expected a date such as 2024-12-13, got {as_of!r}")

    documents = _documents(data["source"], error)
    codes = data["countries"]
    if not isinstance(codes, list):
        raise error("(file)", "countries", "expected a list of ISO 3166-1 alpha-2 codes")
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise error("(file)", f"countries[{i}]", f"{code!r} is not an alpha-2 code like 'NP'")
        if code in seen:
            raise error("(file)", f"countries[{i}]", f"{code!r} is listed twice")
        seen.add(code)
    if data["count"] != len(seen):
        raise error("(file)", "count", f"says {data['count']!r} but {len(seen)} codes are listed")
    sources = _refs(data["sources"], documents, lambda p: error("(file)", "sources", p))
    if not sources:
        raise error("(file)", "sources", "no sources: the list must cite at least one")

    graduated = _changes(data.get("graduated", []), "graduated", documents, error)
    pending = _changes(data.get("pending", []), "pending", documents, error)
    for change in graduated:
        if change.code in seen:
            raise error(f"graduated '{change.code}'", "code", "graduated but still in `countries`")
    for change in pending:
        if change.code not in seen:
            raise error(f"pending '{change.code}'", "code", "pending but not in `countries`")
    return LdcList(
        countries=frozenset(seen),
        as_of=as_of,
        sources=sources,
        graduated=graduated,
        pending=pending,
        documents=documents,
    )


def _documents(raw: Any, error: Any) -> dict[str, LdcSource]:
    if not isinstance(raw, dict) or not raw:
        raise error("(file)", "source", "expected [source.<id>] tables")
    result: dict[str, LdcSource] = {}
    for key, table in raw.items():
        record = f"source '{key}'"
        if not isinstance(table, dict):
            raise error(record, "(record)", "expected a table")
        extra = sorted(set(table) - _SOURCE_KEYS)
        if extra:
            raise error(record, extra[0], f"unknown field; expected {sorted(_SOURCE_KEYS)}")
        for field in sorted(_SOURCE_KEYS):
            value = table.get(field)
            if not isinstance(value, str) or not value.strip():
                raise error(record, field, "missing or empty; give the text")
        result[key] = LdcSource(id=key, **table)
    return result


def _refs(raw: Any, documents: dict[str, LdcSource], error: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        raise error("expected a list of source ids")
    for ref in raw:
        if ref not in documents:
            raise error(f"{ref!r} is not a [source.<id>] in this file")
    return tuple(raw)


def _changes(
    raw: Any, kind: str, documents: dict[str, LdcSource], error: Any
) -> tuple[LdcChange, ...]:
    if not isinstance(raw, list):
        raise error("(file)", kind, f"expected [[{kind}]] tables")
    result = []
    for number, table in enumerate(raw, start=1):
        record = f"{kind} #{number}"
        if not isinstance(table, dict):
            raise error(record, "(record)", "expected a table")
        code = table.get("code")
        if isinstance(code, str) and _CODE.fullmatch(code):
            record = f"{kind} '{code}'"
        else:
            raise error(record, "code", f"{code!r} is not an alpha-2 code like 'NP'")
        extra = sorted(set(table) - _CHANGE_KEYS)
        if extra:
            raise error(record, extra[0], f"unknown field; expected {sorted(_CHANGE_KEYS)}")
        year = table.get("year")
        if isinstance(year, bool) or not isinstance(year, int):
            raise error(record, "year", f"expected a year such as 2023, got {year!r}")
        date = table.get("date")
        if date is not None and (not isinstance(date, dt.date) or date.year != year):
            raise error(record, "date", f"expected a date in {year}, got {date!r}")
        if kind == "pending" and table.get("status") != "unverified":
            raise error(record, "status", 'write status = "unverified" (or move it to graduated)')
        note = table.get("note", "")
        if not isinstance(note, str) or not note.strip():
            raise error(record, "note", "missing or empty; say what is and is not known")
        refs = _refs(table.get("sources"), documents, lambda p, r=record: error(r, "sources", p))
        if not refs:
            raise error(record, "sources", "no sources: cite at least one")
        result.append(LdcChange(code=code, year=year, date=date, note=note, sources=refs))
    return tuple(result)
