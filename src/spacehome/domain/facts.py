"""Sourced facts: a value, where it comes from, what else sources claim, or that it is unknown.

The station record never invents a value. A :class:`Fact` is one of

* known: ``value`` set, ``alternatives`` empty;
* disputed: ``value`` is the chosen one, ``alternatives`` hold what other sources say;
* unknown: ``value`` is ``None`` and ``note`` says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class FactStatus(StrEnum):
    KNOWN = "known"
    DISPUTED = "disputed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Source:
    """A public document a fact was taken from."""

    id: str
    title: str
    url: str
    publisher: str = ""
    published: str = ""  # as the source gives it: "2022-12-26", "2021-04", ""
    reliability: str = "secondary"  # primary | secondary | low


@dataclass(frozen=True)
class Alternative(Generic[T]):
    """A value some source gives that the record did not choose."""

    value: T
    sources: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Fact(Generic[T]):
    """A value with provenance; ``value is None`` means the record does not know it."""

    value: T | None
    sources: tuple[str, ...] = ()
    alternatives: tuple[Alternative[T], ...] = ()
    note: str = ""

    @classmethod
    def unknown(cls, note: str = "", sources: tuple[str, ...] = ()) -> Fact[T]:
        return cls(value=None, sources=sources, note=note)

    @property
    def is_known(self) -> bool:
        return self.value is not None

    @property
    def status(self) -> FactStatus:
        if self.value is None:
            return FactStatus.UNKNOWN
        return FactStatus.DISPUTED if self.alternatives else FactStatus.KNOWN

    def all_sources(self) -> tuple[str, ...]:
        """Source ids of the chosen value and of every alternative, in order, once each."""
        seen: dict[str, None] = dict.fromkeys(self.sources)
        for alternative in self.alternatives:
            seen.update(dict.fromkeys(alternative.sources))
        return tuple(seen)
