"""Catalog propagation: spacehome's ``track`` against bare ``sgp4`` on the same objects and times.

Target: ``track(sets, instants)`` (SGP4 + TEME→ITRS + WGS84 geodetic + speed) over the whole
catalog, one day at 60 s steps, reaches at least 0.7 of the throughput of bare
``SatrecArray(...).sgp4(jd, fr)`` (TEME only), measured in the same run.

    .venv/bin/python benchmarks/propagation.py [--objects N] [--repeat 3] [--catalog PATH]
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import timedelta
from pathlib import Path

import _common as common
import numpy as np
from sgp4.api import SatrecArray

from spacehome.orbit.elements import satrec
from spacehome.orbit.propagation import BLOCK_OBJECTS, reason, track
from spacehome.orbit.timebase import Instants

TARGET_RATIO = 0.7


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--catalog",
        type=Path,
        default=common.DEFAULT_CATALOG,
        help="3-line element file (default: the shared snapshot)",
    )
    parser.add_argument(
        "--objects",
        type=int,
        default=None,
        help="use N objects evenly spread over the catalog (default: all)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (default 3)")
    parser.add_argument(
        "--start",
        default="2024-07-06T00:00Z",
        help="first instant, UTC (default 2024-07-06T00:00Z, a day after the "
        "catalog's median epoch)",
    )
    parser.add_argument("--hours", type=float, default=24.0, help="span (default 24 h)")
    parser.add_argument("--step", type=float, default=60.0, help="step in seconds (default 60)")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of one track() call"
    )
    args = parser.parse_args(argv)

    common.header("Catalog propagation: spacehome track() vs bare sgp4 SatrecArray")
    path = common.require_catalog(args.catalog)
    catalog = common.load_catalog(path)
    common.describe_catalog(path, catalog)
    sets = catalog.sets
    if args.objects is not None and args.objects < len(sets):
        pick = np.unique(np.linspace(0, len(sets) - 1, max(args.objects, 1)).round().astype(int))
        sets = [sets[i] for i in pick]
        print(f"subset    {len(sets)} objects evenly spread over the catalog (--objects)")

    start = common.parse_utc(args.start)
    instants = Instants.span(start, start + timedelta(hours=args.hours), args.step)
    jd, fr = instants.jd_utc, instants.fr_utc
    m, n = len(sets), len(instants)
    print(
        f"times     {n} instants from {start:%Y-%m-%dT%H:%MZ}, every {args.step:g} s "
        f"({args.hours:g} h)"
    )
    print(f"work      {m} objects x {n} times = {m * n:,} propagations per run")

    # Built once, outside every timing: sgp4 models, and the SatrecArrays the bare calls use.
    t_satrec, satrecs = common.timed(lambda: [satrec(s) for s in sets])
    whole = SatrecArray(satrecs)
    block = BLOCK_OBJECTS
    blocks = [SatrecArray(satrecs[lo : lo + block]) for lo in range(0, m, block)]
    print(
        f"untimed   {m} Satrec models built in {t_satrec:.3f} s (track() rebuilds them "
        f"inside its timing), SatrecArrays pre-built for the bare calls"
    )

    def bare_blocked() -> np.ndarray:
        errors = []
        for arr in blocks:
            e, _r, _v = arr.sgp4(jd, fr)
            errors.append(e)
        return np.concatenate(errors)

    def bare_whole() -> np.ndarray:
        e, _r, _v = whole.sgp4(jd, fr)
        return e

    def spacehome() -> np.ndarray:
        return track(sets, instants).status

    # Warm-up outside the timing: first calls of each code path on a small slice.
    SatrecArray(satrecs[:block]).sgp4(jd, fr)
    track(sets[:block], instants)

    variants = [
        (f"bare sgp4, blocks of {block} (TEME)", bare_blocked),
        ("bare sgp4, all at once (TEME)", bare_whole),
        ("spacehome track (geodetic+speed)", spacehome),
    ]
    seconds: dict[str, list[float]] = {name: [] for name, _ in variants}
    status: dict[str, np.ndarray] = {}
    # Interleaved rounds, so a slow spell of the machine hits every variant alike.
    for _ in range(args.repeat):
        for name, fn in variants:
            elapsed, result = common.timed(fn)
            seconds[name].append(elapsed)
            status[name] = np.asarray(result)
            del result

    medians = {name: common.median(values) for name, values in seconds.items()}
    bare_names = [name for name, _ in variants[:2]]
    reference = min(bare_names, key=lambda name: medians[name])
    rows = []
    for name, _ in variants:
        rate = m * n / medians[name]
        rows.append(
            [
                name,
                f"{medians[name]:.3f}",
                common.spread(seconds[name]),
                f"{rate / 1e6:.2f} M",
                f"{medians[reference] / medians[name]:.3f}"
                + (" (ref)" if name == reference else ""),
            ]
        )
    print()
    print(f"median of {args.repeat} interleaved repetitions; propagations/s = objects x times / s")
    print(
        common.table(
            ["variant", "median s", "min–max s", "propagations/s", "throughput vs ref"],
            rows,
        )
    )

    # Objects that failed (any status != 0): reported, never fatal.
    st = status["spacehome track (geodetic+speed)"]
    failed_rows = np.flatnonzero(st.any(axis=1))
    first_codes = Counter(int(st[row][np.flatnonzero(st[row])[0]]) for row in failed_rows)
    bare_failed = {name: int(np.count_nonzero(status[name].any(axis=1))) for name in bare_names}
    print()
    print(
        f"failed    {failed_rows.size} of {m} objects have status != 0 at some time "
        f"(bare sgp4: {', '.join(f'{v}' for v in bare_failed.values())}); "
        f"{int(np.count_nonzero(st))} failed propagations of {m * n:,}"
    )
    for code, count in sorted(first_codes.items()):
        print(f"          {count} x code {code}: {reason(code)}")
    agree = all(np.array_equal(st, status[name]) for name in bare_names)
    print(f"status    track and bare sgp4 status arrays identical: {'yes' if agree else 'NO'}")

    if args.profile:
        print()
        print("cProfile of one track() call:")
        print(common.profile(lambda: track(sets, instants)))

    ratio = medians[reference] / medians["spacehome track (geodetic+speed)"]
    ok = ratio >= TARGET_RATIO and agree
    common.verdict(
        ok,
        f"track() throughput is {ratio:.3f} of bare sgp4 ({reference.split(' (')[0]}) "
        f"on {m} objects x {n} times; target >= {TARGET_RATIO}"
        + ("" if agree else "; status arrays differ"),
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
