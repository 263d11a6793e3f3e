"""All-vs-all conjunction screening of the shared catalog: serial and on a local Dask cluster.

Target (issue 7): every pair of the shared catalog (about 26,000 objects, 340 million pairs) for
24 h from the catalog's median epoch, threshold 5 km, in at most 120 s on this 2-core machine
with a local Dask cluster; and how the time falls as workers are added. Reading the catalog file
is not timed; building the SGP4 models is (each task builds its own).

    .venv/bin/python benchmarks/all_vs_all.py [--hours 24] [--objects N] [--workers 1,2]
        [--no-serial] [--threshold-km 5] [--catalog PATH]

``--objects N`` keeps the first N objects by catalog number (for scaling runs); ``--hours``
shortens the window. Peak memory is the largest resident set of this process (serial run) and
of the workers (cluster runs, as Dask's worker memory monitor reports it at the end).
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import Counter
from pathlib import Path

import _common as common

from spacehome.orbit import allvsall
from spacehome.orbit.screening import screen
from spacehome.services.conjunction_cluster import SERIAL, run_all_vs_all

TARGET_S = 120.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=common.DEFAULT_CATALOG)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--objects", type=int, default=0, help="first N objects only")
    parser.add_argument("--threshold-km", type=float, default=5.0)
    parser.add_argument("--workers", default="1,2", help="comma-separated LocalCluster sizes")
    parser.add_argument("--no-serial", action="store_true")
    parser.add_argument("--check", type=int, default=3,
                        help="compare the events of the N objects with the most events, and of "
                             "the station (48274), with screening.screen (0: skip)")
    args = parser.parse_args(argv)

    common.header("All-vs-all conjunction screening: the whole catalog against itself")
    path = common.require_catalog(args.catalog)
    catalog = common.load_catalog(path)
    common.describe_catalog(path, catalog)
    sets = allvsall.unique_catalog(catalog.sets)
    if args.objects:
        sets = sets[: args.objects]
    epochs = sorted(s.epoch for s in sets)
    start = epochs[len(epochs) // 2]
    print(f"objects   {len(sets)} ({len(sets) * (len(sets) - 1) // 2:,} pairs)")
    print(f"window    {args.hours} h from the median epoch {start:%Y-%m-%dT%H:%M:%SZ}, "
          f"threshold {args.threshold_km} km, grid {allvsall.STEP_S:g} s / "
          f"{allvsall.SUBSTEPS} search instants, slices of {allvsall.SLICE_S:g} s")
    print()

    rows = []
    results = {}
    runs: list[tuple[str, str | None, int | None]] = []
    if not args.no_serial:
        runs.append(("serial", SERIAL, None))
    runs += [(f"LocalCluster {n} worker(s)", None, int(n)) for n in args.workers.split(",") if n]
    for label, scheduler, n in runs:
        t0 = time.perf_counter()
        result = run_all_vs_all(
            sets, start, args.hours, args.threshold_km, scheduler=scheduler, n_workers=n,
        )
        elapsed = time.perf_counter() - t0
        results[label] = result
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        rows.append([label, f"{elapsed:.1f}", len(result.events), len(result.failures),
                     f"{rss:.0f}", f"{rss_children:.0f}"])
        print(f"  {label}: {elapsed:.1f} s, {len(result.events)} events", flush=True)
    print()
    print(common.table(
        ["run", "time s", "events", "failures", "peak RSS MB (self)", "peak RSS MB (children)"],
        rows,
    ))
    first = next(iter(results.values()))
    same = all(r.events == first.events and r.failures == first.failures
               and r.co_orbiting == first.co_orbiting for r in results.values())
    print()
    print("stats    ", first.stats)
    print("co-orbiting pairs (left out of the events):",
          ", ".join(f"{c.primary}-{c.secondary}" for c in first.co_orbiting) or "none")
    common.verdict(same, "every run gives the same event list")
    cluster = [float(row[1]) for row in rows if row[0].startswith("LocalCluster")]
    if cluster and args.hours == 24.0 and not args.objects:
        common.verdict(min(cluster) <= TARGET_S,
                       f"24 h all-vs-all on a local cluster in {min(cluster):.1f} s "
                       f"(target {TARGET_S:.0f} s)")
    if args.check:
        counts = Counter(n for e in first.events for n in (e.primary, e.secondary))
        for number in [48274] + [n for n, _ in counts.most_common(args.check)]:
            same &= check_primary(number, sets, start, args.hours, args.threshold_km, first)
    if first.events:
        closest = min(first.events, key=lambda e: e.miss_km)
        print(f"closest   {closest.primary_name} ({closest.primary}) – "
              f"{closest.secondary_name} ({closest.secondary}) at {closest.tca:%Y-%m-%dT%H:%M:%SZ}"
              f", {closest.miss_km * 1000:.0f} m, {closest.relative_speed_km_s:.2f} km/s")
    return 0 if same else 1


def check_primary(number, sets, start, hours, threshold_km, result) -> bool:  # type: ignore[no-untyped-def]
    """The all-vs-all events of one object equal the one-against-all screen's (its own 120 s
    grid and filter chain): same approaches, TCA within 1 ms, miss within 1 m."""
    primary = next((s for s in sets if s.catalog_number == number), None)
    if primary is None:
        print(f"check     NORAD {number} is not among the objects; skipped")
        return True
    # pairs the all-vs-all run listed as co-orbiting (docked, formation) are not conjunctions
    attached = {c.secondary if c.primary == number else c.primary
                for c in result.co_orbiting if number in (c.primary, c.secondary)}
    one = screen([primary], sets, start, days=hours / 24.0, threshold_km=threshold_km,
                 exclude=attached)
    mine = sorted(
        (e.tca, e.secondary if e.primary == number else e.primary, e.miss_km)
        for e in result.events if number in (e.primary, e.secondary)
    )
    ref = sorted((e.tca, e.secondary, e.miss_km) for e in one.events)
    ok = len(mine) == len(ref) and all(
        a[1] == b[1] and abs((a[0] - b[0]).total_seconds()) < 1e-3 and abs(a[2] - b[2]) < 1e-3
        for a, b in zip(mine, ref, strict=False)
    )
    common.verdict(ok, f"{primary.label()}: {len(mine)} all-vs-all events, {len(ref)} from "
                       "screening.screen against the same objects (TCA < 1 ms, miss < 1 m)")
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
