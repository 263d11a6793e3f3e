"""The CSS standard magnitude: a DERIVED estimate, not a published value.

No source publishes a standard magnitude (1000 km range, 90° phase) for the CSS. ``data/brightness.toml``
holds one derived by McCants' "d" method — the mean cross-section of the station worked out from its
sourced dimensions, turned into a magnitude with the SeeSat-L rule that a white sphere of 1 m² is
+6.4 — together with every input, its sources, and a range. The derivation is written out in
``docs/research/brightness.md`` §5.

This module recomputes the value and its range from the inputs and refuses the file when the stored
numbers do not follow from them, so the file cannot drift from its own derivation.

* cylinder of length L, diameter D: mean projected area = surface / 4 (Cauchy) = π·D·L/4 + π·D²/8
* flat wing of one-face area S: mean projected area = 2·S / 4 = S / 2
* m_std = C − 2.5·log10(A / 1 m²)

``station_standard_magnitude()`` gives the estimate; ``load_brightness()`` gives the inputs too.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from spacehome.domain.facts import Fact
from spacehome.errors import RecordError

from .tables import Table

BUNDLED_FILE = "brightness.toml"
SOURCES_FILE = "sources.toml"
SCHEMA = 1
KINDS = ("module", "wing", "visitor")
SHAPES = ("cylinder", "plate")
#: The stored numbers are written to 0.1 mag; the recomputed ones must round to them.
TOLERANCE_MAG = 0.05 + 1e-9

Pick = Callable[[Fact[float]], float]


@dataclass(frozen=True)
class Citation:
    """A document an input or the method comes from (``quote``: the words relied on, if given)."""

    id: str
    title: str
    url: str
    publisher: str = ""
    published: str = ""
    reliability: str = "secondary"
    quote: str = ""


@dataclass(frozen=True)
class Part:
    """One piece of the station in the mean-cross-section sum."""

    name: str
    kind: str  # module | wing | visitor
    shape: str  # cylinder | plate
    count: Fact[float]
    length_m: Fact[float] | None = None
    diameter_m: Fact[float] | None = None
    width_m: Fact[float] | None = None
    area_m2: Fact[float] | None = None  # one face, per item (plates)
    note: str = ""

    def inputs(self) -> dict[str, Fact[float]]:
        """The part's numeric inputs by field name (those it has)."""
        named = {
            "count": self.count,
            "length_m": self.length_m,
            "diameter_m": self.diameter_m,
            "width_m": self.width_m,
            "area_m2": self.area_m2,
        }
        return {k: v for k, v in named.items() if v is not None}

    def mean_cross_section_m2(self, pick: Pick | None = None) -> float:
        """Mean projected area over random orientations, all ``count`` items together.

        ``pick`` chooses which of each input's sourced values to use (default: the chosen one)."""
        pick = pick or _value
        count = pick(self.count)
        if self.shape == "cylinder":
            length, diameter = pick(_given(self.length_m)), pick(_given(self.diameter_m))
            return count * (math.pi * diameter * length / 4.0 + math.pi * diameter**2 / 8.0)
        if self.area_m2 is not None:
            face = pick(self.area_m2)
        else:
            face = pick(_given(self.length_m)) * pick(_given(self.width_m))
        return count * face / 2.0


@dataclass(frozen=True)
class DerivedMagnitude:
    """A derived standard magnitude (1000 km, 90° phase) with its range and provenance.

    ``low`` is the bright end of the range, ``high`` the faint end (magnitudes run backwards).
    """

    value: float
    low: float
    high: float
    method: str
    sources: tuple[Citation, ...]
    note: str
    configuration: str = ""
    document: str = ""
    applies_from: datetime | None = None
    catalog_numbers: tuple[int, ...] = ()

    @property
    def uncertainty(self) -> float:
        """The larger distance from the value to an end of the range (for a ``±`` display)."""
        return round(max(self.value - self.low, self.high - self.value), 1)

    def applies_to(self, catalog_number: int, at: datetime) -> bool:
        """Whether the estimate describes this object at this time (the completed CSS)."""
        if self.catalog_numbers and catalog_number not in self.catalog_numbers:
            return False
        return self.applies_from is None or at >= self.applies_from


@dataclass(frozen=True)
class CrossCheck:
    """The same method applied to another object whose standard magnitude is known."""

    observed: Fact[float]
    value: float  # chosen inputs
    low: float  # largest inputs (brightest)
    high: float  # smallest inputs (faintest)
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class BrightnessRecord:
    estimate: DerivedMagnitude
    constant: Fact[float]
    parts: tuple[Part, ...]
    iss_check: CrossCheck
    citations: dict[str, Citation]


def standard_magnitude(constant: float, mean_cross_section_m2: float) -> float:
    """McCants' "d" rule: ``C − 2.5·log10(A / 1 m²)``."""
    return constant - 2.5 * math.log10(mean_cross_section_m2)


def mean_cross_section(parts: Iterable[Part], kinds: Iterable[str], pick: Pick) -> float:
    """Sum of the parts' mean cross-sections (m²) over the given kinds (overlaps ignored)."""
    wanted = set(kinds)
    return sum(p.mean_cross_section_m2(pick) for p in parts if p.kind in wanted)


def chosen(fact: Fact[float]) -> float:
    return _value(fact)


def largest(fact: Fact[float]) -> float:
    return max(_candidates(fact))


def smallest(fact: Fact[float]) -> float:
    return min(_candidates(fact))


def station_standard_magnitude(directory: Path | None = None) -> DerivedMagnitude:
    """The derived estimate of the CSS standard magnitude, checked against its inputs."""
    if directory is None:
        return _bundled().estimate
    return load_brightness(directory).estimate


def load_brightness(directory: Path | None = None) -> BrightnessRecord:
    """Read ``brightness.toml`` (and ``sources.toml`` for cited ids), recompute, cross-check."""
    if directory is None:
        with resources.as_file(resources.files("spacehome.record") / "data") as path:
            return _load(Path(path))
    return _load(directory)


@cache
def _bundled() -> BrightnessRecord:
    return load_brightness()


# --- reading -------------------------------------------------------------------------------------


def _load(directory: Path) -> BrightnessRecord:
    file = BUNDLED_FILE
    data = _read(directory, file)
    cited: list[tuple[str, str, str]] = []  # (source id, record, field)

    def track(t: Table) -> None:
        cited.extend((sid, t.record, fld) for sid, fld in t.sources_seen)

    top = Table(data, file, "(file)")
    top.integer("schema")
    own = _citations(top.raw("source", {}), file)

    est = Table(top.raw("estimate"), file, "estimate")
    status = est.text("status")
    if status != "derived":
        raise est.error("status", "expected \"derived\": the CSS has no published standard magnitude")
    stored = {key: _number(est, key) for key in ("value", "low", "high")}
    configuration = est.text("configuration")
    method = est.text("method")
    note = est.text("note")
    document = est.text("document")
    method_sources = est.sources()
    applies_from = est.when("applies_from")
    catalog_numbers = est.raw("catalog_numbers")
    if not isinstance(catalog_numbers, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in catalog_numbers
    ):
        raise est.error("catalog_numbers", "expected a list of NORAD catalog numbers")
    est.finish()
    track(est)

    constant = _input(top, "constant")
    track(top)
    parts = tuple(_parts(top.raw("part"), file, "part", track))

    check = Table(top.raw("iss_check"), file, "iss_check")
    observed = _input(check, "observed", positive=False)
    iss_parts = tuple(_parts(check.raw("part"), file, "iss_check.part", track))
    check.finish()
    track(check)
    top.finish()

    citations = _resolve(cited, own, directory)

    computed = {
        "value": standard_magnitude(
            chosen(constant), mean_cross_section(parts, ("module", "wing"), chosen)
        ),
        "low": standard_magnitude(
            smallest(constant), mean_cross_section(parts, ("module", "wing", "visitor"), largest)
        ),
        "high": standard_magnitude(
            largest(constant), mean_cross_section(parts, ("module",), smallest)
        ),
    }
    for key, value in computed.items():
        if abs(stored[key] - value) > TOLERANCE_MAG:
            raise RecordError(
                file,
                "estimate",
                key,
                f"stored {stored[key]:+.1f} but the inputs give {value:+.2f}: write {value:+.1f} "
                "(the number must follow from the inputs; see docs/research/brightness.md §5)",
            )
    if not stored["low"] <= stored["value"] <= stored["high"]:
        raise RecordError(file, "estimate", "value", "expected low <= value <= high")

    used: dict[str, None] = dict.fromkeys(method_sources)
    used.update(dict.fromkeys(constant.all_sources()))
    for part in parts:
        for fact in part.inputs().values():
            used.update(dict.fromkeys(fact.all_sources()))
    used.update(dict.fromkeys(applies_from.sources))
    estimate = DerivedMagnitude(
        value=stored["value"],
        low=stored["low"],
        high=stored["high"],
        method=method,
        sources=tuple(citations[sid] for sid in used),
        note=note,
        configuration=configuration,
        document=document,
        applies_from=applies_from.value,
        catalog_numbers=tuple(catalog_numbers),
    )
    all_kinds = ("module", "wing", "visitor")
    iss = CrossCheck(
        observed=observed,
        value=standard_magnitude(chosen(constant), mean_cross_section(iss_parts, all_kinds, chosen)),
        low=standard_magnitude(chosen(constant), mean_cross_section(iss_parts, all_kinds, largest)),
        high=standard_magnitude(chosen(constant), mean_cross_section(iss_parts, all_kinds, smallest)),
        parts=iss_parts,
    )
    return BrightnessRecord(estimate, constant, parts, iss, citations)


def _read(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise RecordError(name, "(file)", "(file)", f"not found in {directory}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RecordError(name, "(file)", "(syntax)", f"not valid TOML: {exc}") from None
    if data.get("schema") != SCHEMA:
        raise RecordError(
            name, "(file)", "schema", f"expected schema = {SCHEMA}, got {data.get('schema')!r}"
        )
    return data


def _input(table: Table, key: str, *, positive: bool = True) -> Fact[float]:
    """A sourced number (the record's fact form); an input of a derivation must be known."""
    fact = table.fact(key, float)
    if fact.value is None:
        raise table.error(key, "an input of a derived value must be known, not `unknown`")
    if not fact.sources:
        raise table.error(key, "give its sources: every input of a derived value is sourced")
    for i, alternative in enumerate(fact.alternatives):
        if not alternative.sources:
            raise table.error(f"{key}.alternatives[{i}]", "give its sources")
    if positive and any(v <= 0 for v in _candidates(fact)):
        raise table.error(key, "expected a positive number")
    return fact


def _count(table: Table) -> Fact[float]:
    raw = table.raw("count")
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw != 1:
            raise table.error(
                "count", "a count other than 1 must be sourced: { value = 2, sources = [...] }"
            )
        return Fact(value=1.0)
    return _input(table, "count")


def _parts(
    raw: Any, file: str, label: str, track: Callable[[Table], None]
) -> list[Part]:
    if not isinstance(raw, list) or not raw:
        raise RecordError(file, "(file)", label, f"expected [[{label}]] tables")
    result = []
    for i, item in enumerate(raw):
        name = item.get("name", "?") if isinstance(item, dict) else "?"
        t = Table(item, file, f"{label}[{i}] '{name}'")
        kind = t.text("kind")
        if kind not in KINDS:
            raise t.error("kind", f"expected one of {', '.join(KINDS)}")
        shape = t.text("shape")
        if shape not in SHAPES:
            raise t.error("shape", f"expected one of {', '.join(SHAPES)}")
        length = diameter = width = area = None
        if shape == "cylinder":
            length, diameter = _input(t, "length_m"), _input(t, "diameter_m")
        elif t.has("area_m2"):
            area = _input(t, "area_m2")
        else:
            length, width = _input(t, "length_m"), _input(t, "width_m")
        part = Part(
            name=t.text("name"),
            kind=kind,
            shape=shape,
            count=_count(t),
            length_m=length,
            diameter_m=diameter,
            width_m=width,
            area_m2=area,
            note=t.text("note", ""),
        )
        t.finish()
        track(t)
        result.append(part)
    return result


def _citations(raw: Any, file: str) -> dict[str, Citation]:
    if not isinstance(raw, dict):
        raise RecordError(file, "(file)", "source", "expected [source.<id>] tables")
    result = {}
    for source_id, body in raw.items():
        t = Table(body, file, f"source '{source_id}'")
        reliability = t.text("reliability", "secondary")
        if reliability not in {"primary", "secondary", "low"}:
            raise t.error("reliability", "expected primary, secondary or low")
        result[source_id] = Citation(
            id=source_id,
            title=t.text("title"),
            url=t.text("url"),
            publisher=t.text("publisher", ""),
            published=t.text("published", ""),
            reliability=reliability,
            quote=t.text("quote", ""),
        )
        t.finish()
    return result


def _resolve(
    cited: list[tuple[str, str, str]], own: dict[str, Citation], directory: Path
) -> dict[str, Citation]:
    record = _read(directory, SOURCES_FILE).get("source", {})
    shared = _citations(record, SOURCES_FILE)
    for source_id in own:
        if source_id in shared:
            raise RecordError(
                BUNDLED_FILE,
                f"source '{source_id}'",
                "(id)",
                f"is already in {SOURCES_FILE}; cite that one instead of defining it twice",
            )
    known = {**shared, **own}
    for source_id, record_label, fld in cited:
        if source_id not in known:
            raise RecordError(
                BUNDLED_FILE,
                record_label,
                fld,
                f"cites {source_id!r}, which is neither a [source] here nor in {SOURCES_FILE}",
            )
    return known


def _number(table: Table, key: str) -> float:
    value = table.raw(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise table.error(key, f"expected a number, got {value!r}")
    return float(value)


def _given(fact: Fact[float] | None) -> Fact[float]:
    assert fact is not None, "the loader checks that each shape has its dimensions"
    return fact


def _value(fact: Fact[float]) -> float:
    assert fact.value is not None
    return fact.value


def _candidates(fact: Fact[float]) -> list[float]:
    return [v for v in (fact.value, *(a.value for a in fact.alternatives)) if v is not None]
