"""Typed, strict reading of TOML tables with errors that name the file, the record and the field.

A data editor's typo must fail loudly: unknown keys are refused, missing keys are named, and a
wrong type says what was expected. Facts follow the conventions in ``data/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from spacehome.domain.facts import Alternative, Fact
from spacehome.domain.instant import When
from spacehome.errors import RecordError

T = TypeVar("T")

_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


class Table:
    """One TOML table being read; remembers which keys were used so leftovers can be refused."""

    def __init__(self, data: Any, file: str, record: str, path: str = "") -> None:
        if not isinstance(data, dict):
            raise RecordError(file, record, path or "(record)", "expected a table")
        self.data: dict[str, Any] = data
        self.file = file
        self.record = record
        self.path = path
        self._used: set[str] = set()
        self.sources_seen: list[tuple[str, str]] = []  # (source id, field) for later checking

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, problem: str) -> RecordError:
        return RecordError(self.file, self.record, self.field(key), problem)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = ...) -> Any:
        self._used.add(key)
        if key not in self.data:
            if default is ...:
                raise self.error(
                    key, "missing; add it (write `{ unknown = true }` if no source gives it)"
                )
            return default
        return self.data[key]

    def sub(self, data: Any, path: str) -> Table:
        child = Table(data, self.file, self.record, path)
        child.sources_seen = self.sources_seen
        return child

    def finish(self) -> None:
        extra = sorted(set(self.data) - self._used)
        if extra:
            raise self.error(extra[0], f"unknown field; expected one of {sorted(self._used)}")

    # --- plain values ----------------------------------------------------------------------------
    def text(self, key: str, default: Any = ...) -> str:
        return _typed(self, key, self.raw(key, default), str)

    def integer(self, key: str, default: Any = ...) -> int:
        return _typed(self, key, self.raw(key, default), int)

    def boolean(self, key: str, default: Any = ...) -> bool:
        return _typed(self, key, self.raw(key, default), bool)

    def texts(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.raw(key, default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, 'expected a list of text, e.g. ["a", "b"]')
        return tuple(value)

    def sources(self, key: str = "sources", default: Any = ...) -> tuple[str, ...]:
        ids = self.texts(key, default)
        for source_id in ids:
            self.sources_seen.append((source_id, self.field(key)))
        return ids

    def instant(self, key: str) -> datetime:
        return _aware(self, key, self.raw(key))

    def tables(self, key: str, default: Any = ...) -> list[Table]:
        value = self.raw(key, default)
        if not isinstance(value, list):
            raise self.error(key, "expected a list of tables")
        return [self.sub(item, f"{self.field(key)}[{i}]") for i, item in enumerate(value)]

    # --- facts -----------------------------------------------------------------------------------
    def fact(self, key: str, kind: type[T], default: Any = ...) -> Fact[T]:
        value = self.raw(key, default)
        return _fact(self, key, value, lambda v, k: _typed(self, k, v, kind))

    def fact_texts(self, key: str) -> Fact[tuple[str, ...]]:
        def convert(value: Any, k: str) -> tuple[str, ...]:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.error(k, "expected a list of text")
            return tuple(value)

        return _fact(self, key, self.raw(key), convert)

    def when(self, key: str, default: Any = ...) -> When:
        value = self.raw(key, default)
        return parse_when(self, key, value)


def parse_when(table: Table, key: str, value: Any) -> When:
    """An event time: a TOML datetime with a zone, or a table (see data/README.md)."""
    if isinstance(value, (datetime, date)):
        return When.at(_aware(table, key, value))
    if not isinstance(value, dict):
        raise table.error(key, "expected a date-time with a zone (2021-04-29T03:23:15Z) or a table")
    sub = table.sub(value, table.field(key))
    note = sub.text("note", "")
    sources = sub.sources("sources", [])
    if sub.boolean("unknown", False):
        after = sub.raw("after", None)
        before = sub.raw("before", None)
        sub.finish()
        earliest = None if after is None else _aware(sub, "after", after)
        latest = None if before is None else _aware(sub, "before", before)
        if earliest and latest and latest < earliest:
            raise sub.error("before", "is earlier than 'after'")
        return When.between(earliest, latest, note=note, sources=sources)
    chosen = _aware(sub, "value", sub.raw("value"))
    alternatives = _alternatives(sub, lambda v, k: _aware(table, k, v), key)
    sub.finish()
    return When.at(chosen, sources=sources, alternatives=alternatives, note=note)


def _alternatives(
    sub: Table, convert: Callable[[Any, str], T], key: str
) -> tuple[Alternative[T], ...]:
    """``convert(value, field)`` gets the field name relative to the table that owns ``key``."""
    result = []
    for i, alt in enumerate(sub.tables("alternatives", [])):
        result.append(
            Alternative(
                value=convert(alt.raw("value"), f"{key}.alternatives[{i}].value"),
                sources=alt.sources("sources", []),
                note=alt.text("note", ""),
            )
        )
        alt.finish()
    return tuple(result)


def _fact(table: Table, key: str, value: Any, convert: Callable[[Any, str], T]) -> Fact[T]:
    if not isinstance(value, dict):
        return Fact(value=convert(value, key))
    sub = table.sub(value, table.field(key))
    note = sub.text("note", "")
    sources = sub.sources("sources", [])
    if sub.boolean("unknown", False):
        sub.finish()
        return Fact.unknown(note=note, sources=sources)
    chosen = convert(sub.raw("value"), f"{key}.value")
    alternatives = _alternatives(sub, convert, key)
    sub.finish()
    return Fact(value=chosen, sources=sources, alternatives=alternatives, note=note)


def _typed(table: Table, key: str, value: Any, kind: type[T]) -> T:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if isinstance(value, bool) and kind is not bool:
        raise table.error(key, f"expected {_TYPE_NAMES.get(kind, kind.__name__)}, got true/false")
    if not isinstance(value, kind):
        expected = _TYPE_NAMES.get(kind, kind.__name__)
        raise table.error(key, f"expected {expected}, got {value!r}")
    return value


def _aware(table: Table, key: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise table.error(
                key,
                f"{value.isoformat()} has no time zone; write it in UTC with a Z "
                f"(e.g. {value.isoformat()}Z)",
            )
        return value
    if isinstance(value, date):
        raise table.error(
            key,
            f"{value.isoformat()} is a date without a time; write {value.isoformat()}T00:00:00Z "
            "and say in a note that only the date is known",
        )
    raise table.error(key, f"expected a date-time with a zone, got {value!r}")
