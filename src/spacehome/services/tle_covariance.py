"""The measured element-set covariance model (issue 7), loaded from the record's data file.

``record/data/tle_covariance.toml`` holds 1-sigma RTN position errors at epoch and their growth
per day, by object type, measured by ``benchmarks/tle_accuracy.py`` from public element-set
histories (see that file for method, data and limits). This loader lives in services because the
model class belongs to the orbit engine and the record layer may not import it.

Nothing is read at import; every call reads the file (it is small).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from spacehome.domain.elements import ElementSet
from spacehome.errors import RecordError
from spacehome.orbit.collision import ElementSetCovarianceModel, ObjectType, RtnSigmas
from spacehome.orbit.tle_accuracy import object_type_of

FILE_NAME = "tle_covariance.toml"
SCHEMA = 1


def load_tle_covariance(path: Path | None = None) -> ElementSetCovarianceModel:
    """The measured model; ``path`` reads a copy of the data file instead of the shipped one.

    Types whose table says ``measured = false`` get no sigmas (asking the model for them raises).
    A malformed file raises :class:`~spacehome.errors.RecordError` naming the table and field.
    """
    if path is None:
        text = (resources.files("spacehome.record") / "data" / FILE_NAME).read_text("utf-8")
        name = FILE_NAME
    else:
        text = Path(path).read_text("utf-8")
        name = Path(path).name
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecordError(name, "file", "toml", f"not valid TOML ({exc})") from None
    if raw.get("schema") != SCHEMA:
        raise RecordError(name, "file", "schema", f"expected schema = {SCHEMA}")
    types = _table(raw, "types", name, "file")
    by_type: dict[ObjectType, RtnSigmas] = {}
    for key, entry in types.items():
        try:
            kind = ObjectType(key)
        except ValueError:
            raise RecordError(
                name, f"types.{key}", "name",
                f"unknown object type; use one of {', '.join(t.value for t in ObjectType)}",
            ) from None
        if not isinstance(entry, dict):
            raise RecordError(name, f"types.{key}", "table", "must be a table")
        if entry.get("measured", True) is False:
            continue
        by_type[kind] = RtnSigmas(
            at_epoch_km=_triple(entry, "at_epoch_km", name, f"types.{key}"),
            growth_km_per_day=_triple(entry, "growth_km_per_day", name, f"types.{key}"),
        )
    if not by_type:
        raise RecordError(name, "types", "measured", "no object type has figures")
    return ElementSetCovarianceModel(by_type=by_type, source=source_text(raw, name))


def source_text(raw: dict[str, Any], name: str) -> str:
    """One line naming the file, the method and the data, for ``CollisionProbability``."""
    model = _table(raw, "model", name, "file")
    measurement = _table(raw, "measurement", name, "file")
    provenance = _table(raw, "provenance", name, "file")
    snapshots = provenance.get("snapshot", [])
    first, last = measurement.get("epochs", ["?", "?"])
    return (
        f"spacehome {name} ({model.get('status', '?')} {measurement.get('measured', '?')} from "
        f"{measurement.get('objects', '?')} LEO objects' element-set histories, {len(snapshots)} "
        f"snapshots {first[:10]}..{last[:10]}; method of Osweiler 2006, Flohrer et al. 2008)"
    )


def _table(raw: dict[str, Any], key: str, name: str, where: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise RecordError(name, where, key, "missing table")
    return value


def _triple(entry: dict[str, Any], key: str, name: str, where: str) -> tuple[float, float, float]:
    value = entry.get(key)
    if (
        not isinstance(value, list) or len(value) != 3
        or not all(isinstance(x, int | float) and math.isfinite(x) for x in value)
    ):
        raise RecordError(name, where, key, "must be three finite numbers [R, T, N]")
    return (float(value[0]), float(value[1]), float(value[2]))


#: Orbits the measured model covers: SGP4's near-Earth orbits (mean period under 225 min).
LEO_PERIOD_LIMIT_MIN = 225.0


def model_types(
    model: ElementSetCovarianceModel, sets: Sequence[ElementSet],
    given: Mapping[int, ObjectType] | None = None,
) -> tuple[list[ObjectType], str | None]:
    """Each element set's object type (``given``, else :func:`object_type_of`) and, when the
    model cannot apply to all of them, why (unknown type, a type without figures, not LEO)."""
    given = given or {}
    kinds = [given.get(s.catalog_number) or object_type_of(s) for s in sets]
    missing = [s.catalog_number for s, k in zip(sets, kinds, strict=True) if k is None]
    if missing:
        return [], (f"the object type of NORAD {', '.join(map(str, missing))} is unknown (no "
                    "OBJECT_TYPE, no catalog name)")
    known = [k for k in kinds if k is not None]
    unmeasured = sorted({str(k) for k in known if k not in model.by_type})
    if unmeasured:
        return [], f"the covariance model has no figures for {', '.join(unmeasured)}"
    high = [s.catalog_number for s in sets if s.period_min >= LEO_PERIOD_LIMIT_MIN]
    if high:
        return [], (f"the covariance model covers LEO only; NORAD {', '.join(map(str, high))} "
                    f"has a period over {LEO_PERIOD_LIMIT_MIN:g} min")
    return known, None
