"""Measure the element-set covariance model (issue 7) from a directory of element-set histories.

Not a timing benchmark: it computes the figures of ``src/spacehome/record/data/tle_covariance.toml``
with :mod:`spacehome.orbit.tle_accuracy` (SGP4 older set → newer set's epoch, RTN, robust
per-bin sigma, linear fit) and prints them with the TOML block to paste.

    .venv/bin/python benchmarks/tle_accuracy.py DIR [--satcat SATCAT.csv] [--max-age-days 7]

DIR holds element-set files (TLE/3LE, OMM KVN/XML, CelesTrak JSON/CSV: whatever
``spacehome.orbit.formats.read_elements`` reads), e.g. one file per refresh of a mirrored group;
all sets of one catalog number across the files form that object's history.

Object type: from the SATCAT CSV's OBJECT_TYPE when ``--satcat`` is given (CelesTrak's
``satcat.csv``: NORAD_CAT_ID, OBJECT_TYPE = PAY / R/B / DEB / UNK); otherwise, and for objects
the SATCAT lacks or marks UNK, from the name: the word ``DEB`` → debris, ``R/B`` → rocket body, else
payload. Only low Earth orbit is kept (period < 225 min) unless ``--all-regimes``; Starlink
(names starting ``STARLINK``) is left out unless ``--keep-starlink``, since its satellites
manoeuvre all the time and would inflate the payload figures.

Exit status: 0 when figures were measured, 2 when the data cannot be read or yield no samples.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.orbit.collision import ObjectType
from spacehome.orbit.formats import read_elements
from spacehome.orbit.tle_accuracy import (
    DEFAULT_BIN_EDGES_DAYS,
    DEFAULT_CLIP,
    DEFAULT_MAX_AGE_DAYS,
    DEFAULT_MIN_BIN_COUNT,
    LEO_MAX_PERIOD_MIN,
    TypeModel,
    difference_samples,
    fit_model,
    history_by_object,
    object_type_from_name,
    object_type_from_satcat,
)

AXES = ("R", "T", "N")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="directory of element-set files")
    parser.add_argument("--satcat", type=Path, default=None, help="CelesTrak SATCAT CSV")
    parser.add_argument("--max-age-days", type=float, default=DEFAULT_MAX_AGE_DAYS)
    parser.add_argument("--clip", type=float, default=DEFAULT_CLIP,
                        help="outlier threshold in robust sigmas (default 5)")
    parser.add_argument("--min-bin-count", type=int, default=DEFAULT_MIN_BIN_COUNT)
    parser.add_argument("--all-regimes", action="store_true",
                        help="keep objects with periods of 225 min and more")
    parser.add_argument("--keep-starlink", action="store_true")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    files = sorted(p for p in args.directory.iterdir() if p.is_file()) if args.directory.is_dir() \
        else []
    if not files:
        raise ValidationError(f"{args.directory} holds no element-set files")
    sets: list[ElementSet] = []
    problems = 0
    for path in files:
        result = read_elements(path)
        sets.extend(result.sets)
        problems += len(result.problems)
    names = {s.catalog_number: s.name for s in sets}
    dropped: Counter[str] = Counter()
    kept = []
    for s in sets:
        if not args.all_regimes and s.period_min >= LEO_MAX_PERIOD_MIN:
            dropped["period >= 225 min"] += 1
        elif not args.keep_starlink and (s.name or "").upper().startswith("STARLINK"):
            dropped["Starlink"] += 1
        else:
            kept.append(s)
    satcat = read_satcat(args.satcat) if args.satcat else {}
    types: dict[int, ObjectType] = {}
    type_source: Counter[str] = Counter()
    for number in {s.catalog_number for s in kept}:
        kind = satcat.get(number)
        type_source["SATCAT" if kind else "name"] += 1
        types[number] = kind or object_type_from_name(names.get(number))
    histories = history_by_object(kept, types)
    samples = difference_samples(histories, max_age_days=args.max_age_days)
    models = fit_model(samples, clip=args.clip, min_count=args.min_bin_count)

    epochs = sorted(s.epoch for s in kept)
    print(f"files: {len(files)}  element sets: {len(sets)} (unreadable records: {problems})")
    print(f"kept: {len(kept)} sets of {len(histories)} objects; dropped: {dict(dropped)}")
    print(f"object types from: {dict(type_source)}")
    print(f"epochs: {epochs[0]:%Y-%m-%dT%H:%MZ} .. {epochs[-1]:%Y-%m-%dT%H:%MZ}")
    print(f"pairs: {len(samples)} (failed propagations: {samples.failed_pairs})")
    for model in models.values():
        print_model(model)
    print()
    print(toml_block(models, args, len(files), epochs[0], epochs[-1]))
    return 0


def read_satcat(path: Path) -> dict[int, ObjectType]:
    """NORAD_CAT_ID → type from a CelesTrak SATCAT CSV (UNK left out)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise ValidationError(f"cannot read SATCAT {path} ({exc.strerror})") from None
    if not rows or "NORAD_CAT_ID" not in rows[0] or "OBJECT_TYPE" not in rows[0]:
        raise ValidationError(f"{path} is not a SATCAT CSV (needs NORAD_CAT_ID and OBJECT_TYPE)")
    out = {}
    for row in rows:
        kind = object_type_from_satcat(row["OBJECT_TYPE"])
        if kind is not None:
            out[int(row["NORAD_CAT_ID"])] = kind
    return out


def print_model(model: TypeModel) -> None:
    print(f"\n{model.object_type.value}: {model.objects} objects, {model.samples} samples"
          f" ({model.rejected} rejected), ages {model.min_age_days:.2f}..{model.max_age_days:.2f} d")
    print("  bin (d)      mean age   n    sigma R / T / N (km)")
    for b in model.bins:
        r, t, n = b.sigma_km
        print(f"  {b.lo_days:4.1f}-{b.hi_days:<4.1f}    {b.mean_age_days:5.2f}  {b.count:4d}"
              f"   {r:7.3f} {t:8.3f} {n:7.3f}")
    s = model.sigmas
    for axis, s0, g in zip(AXES, s.at_epoch_km, s.growth_km_per_day, strict=True):
        print(f"  fit {axis}: sigma = {s0:.3f} km + {g:.3f} km/day x age")
    floored = [a for a, f in zip(AXES, model.at_epoch_from_youngest_bin, strict=True) if f]
    if floored:
        print(f"  at epoch from the youngest bin (fit intercept 0) on: {', '.join(floored)}")


def toml_block(models: dict[ObjectType, TypeModel], args: argparse.Namespace, files: int,
               first: datetime, last: datetime) -> str:
    lines = [
        "[measurement]",
        f'measured = "{datetime.now(UTC):%Y-%m-%d}"',
        f"files = {files}",
        f'epochs = ["{first:%Y-%m-%dT%H:%M:%SZ}", "{last:%Y-%m-%dT%H:%M:%SZ}"]',
        f"max_age_days = {args.max_age_days:g}",
        f"clip_robust_sigmas = {args.clip:g}",
        f"min_bin_count = {args.min_bin_count}",
        f"bin_edges_days = [{', '.join(f'{e:g}' for e in DEFAULT_BIN_EDGES_DAYS)}]",
    ]
    for kind, model in models.items():
        s = model.sigmas
        lines += [
            "",
            f'[types.{kind.value}]',
            f"at_epoch_km = [{', '.join(f'{x:.4f}' for x in s.at_epoch_km)}]",
            f"growth_km_per_day = [{', '.join(f'{x:.4f}' for x in s.growth_km_per_day)}]",
            f"objects = {model.objects}",
            f"samples = {model.samples}",
            f"rejected = {model.rejected}",
            f"age_range_days = [{model.min_age_days:.3f}, {model.max_age_days:.3f}]",
            "at_epoch_from_youngest_bin = ["
            + ", ".join("true" if f else "false" for f in model.at_epoch_from_youngest_bin) + "]",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
