"""Conjunction screening: the station against the whole catalog for 7 days.

Target (issue 7): the station (NORAD 48274, the catalog's own element set, so the screen shares
one epoch) against every object of the shared catalog for 7 days from that epoch in at most
10 s on this 2-core machine, with peak memory at most 2 GB. Reading the catalog file is not
timed (it is done once, before); building the SGP4 models is.

    .venv/bin/python benchmarks/screening.py [--repeat 3] [--days 7] [--catalog PATH]
        [--check-hours H] [--check-threshold-km K]

``--check-hours H`` also checks the screen on the real catalog against a brute force that skips
every filter: all objects, every 5 s for the first H hours, each sampled range minimum under
K + 45 km (16 km/s × 2.5 s, plus margin) refined by SciPy's ``minimize_scalar`` (bounded, on
range); the screen runs with threshold K (default 50 km, for more events) over the same H hours.
Untimed; about 10 s per hour of window.
"""

from __future__ import annotations

import argparse
import resource
import tracemalloc
from datetime import timedelta
from pathlib import Path

import _common as common
import numpy as np
from scipy.optimize import minimize_scalar
from sgp4.api import SatrecArray

from spacehome.domain.elements import ElementSet
from spacehome.orbit.elements import satrec
from spacehome.orbit.screening import co_orbiting, screen
from spacehome.orbit.timebase import DAY_S, Instants

TARGET_S = 10.0
TARGET_MB = 2048.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=common.DEFAULT_CATALOG)
    parser.add_argument("--primary", type=int, default=48274, help="NORAD id (default 48274)")
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--threshold-km", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--check-hours", type=float, default=0.0,
                        help="also compare with a filterless brute force over H hours")
    parser.add_argument("--check-threshold-km", type=float, default=50.0)
    args = parser.parse_args(argv)

    common.header("Conjunction screening: one primary against the whole catalog")
    path = common.require_catalog(args.catalog)
    catalog = common.load_catalog(path)
    common.describe_catalog(path, catalog)
    primary = next((s for s in catalog.sets if s.catalog_number == args.primary), None)
    if primary is None:
        print(f"error: NORAD {args.primary} is not in {path}")
        return 2
    print(f"primary   {primary.label()}, epoch {primary.epoch:%Y-%m-%dT%H:%M:%SZ}")
    print(f"window    {args.days} days from the epoch, threshold {args.threshold_km} km")
    print()

    def run():  # type: ignore[no-untyped-def]
        return screen(
            [primary], catalog.sets, primary.epoch, days=args.days,
            threshold_km=args.threshold_km,
        )

    times = []
    result = None
    for _ in range(args.repeat):
        elapsed, result = common.timed(run)
        times.append(elapsed)
    assert result is not None
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 2**20

    s = result.stats
    print(common.table(
        ["stage", "count"],
        [
            ["pairs (catalog objects vs primary)", s.pairs],
            ["after apogee/perigee filter", s.after_apogee_perigee],
            ["after orbit-path filter", s.after_orbit_path],
            ["coarse range minima (sign changes of range rate)", s.range_minima],
            ["after speed gate (could hide < threshold)", s.after_speed_gate],
            ["after interpolated-minimum gate", s.after_interpolation],
            ["events (refined miss <= threshold)", s.events],
            ["objects sgp4 could not propagate", len(result.failures)],
        ],
    ))
    print()
    for ev in result.events:
        print(
            f"  {ev.tca:%Y-%m-%dT%H:%M:%S.%fZ}  {ev.secondary:>6} {ev.secondary_name or '':<24} "
            f"miss {ev.miss_km:7.3f} km  (R {ev.radial_km:+8.3f}, T {ev.in_track_km:+8.3f}, "
            f"N {ev.cross_track_km:+8.3f})  {ev.relative_speed_km_s:6.2f} km/s"
        )
    elapsed_co, attached = common.timed(
        lambda: co_orbiting(primary, catalog.sets, primary.epoch, days=args.days)
    )
    print()
    print(f"co-orbiting (attached) within 0.5 km all window: {len(attached)} in {elapsed_co:.2f} s")
    for c in attached:
        print(f"  {c.secondary:>6} {c.secondary_name or '':<24} max {c.max_range_km * 1000:.1f} m")
    print()
    print(common.table(
        ["figure", "value"],
        [
            ["screen wall time, median (s)", f"{common.median(times):.3f}"],
            ["  spread of repetitions (s)", common.spread(times)],
            ["peak traced allocations, one screen (MB)", f"{peak_mb:.0f}"],
            ["process max RSS (MB, includes the loaded catalog)", f"{maxrss_mb:.0f}"],
            ["median / 10 s target", f"{common.median(times) / TARGET_S:.2f}"],
            ["max RSS / 2 GB target", f"{maxrss_mb / TARGET_MB:.2f}"],
        ],
    ))
    if args.profile:
        print(common.profile(run))
    ok = common.median(times) <= TARGET_S and maxrss_mb <= TARGET_MB
    if args.check_hours > 0:
        ok &= check(primary, catalog.sets, args.check_hours, args.check_threshold_km)
    common.verdict(ok, f"median {common.median(times):.2f} s (≤ {TARGET_S} s), "
                   f"max RSS {maxrss_mb:.0f} MB (≤ {TARGET_MB:.0f} MB)")
    return 0 if ok else 1


def brute_force(
    primary: ElementSet, sets: list[ElementSet], hours: float, threshold_km: float,
    step_s: float = 5.0, block: int = 512,
) -> list[tuple[int, float, float]]:
    """``(secondary, TCA offset s, miss km)`` of every approach under the threshold, no filters."""
    start = primary.epoch
    grid = Instants.span(start, start + timedelta(hours=hours), step_s)
    p = satrec(primary)
    _, rp, _ = SatrecArray([p]).sgp4(grid.jd_utc, grid.fr_utc)
    others = [s for s in sets if s.catalog_number != primary.catalog_number]
    sats = [satrec(s) for s in others]
    out = []
    for lo in range(0, len(sats), block):
        status, r, _ = SatrecArray(sats[lo : lo + block]).sgp4(grid.jd_utc, grid.fr_utc)
        r[status != 0] = np.nan
        rng = np.linalg.norm(r - rp[0], axis=-1)
        interior = (rng[:, 1:-1] <= rng[:, :-2]) & (rng[:, 1:-1] < rng[:, 2:])
        rows, cols = np.nonzero(interior & (rng[:, 1:-1] < threshold_km + 45.0))
        for row, col in zip(rows.tolist(), (cols + 1).tolist(), strict=True):
            sat = sats[lo + row]
            jd, fr0 = grid.jd_utc[col], grid.fr_utc[col]

            def distance(u: float, sat=sat, jd=jd, fr0=fr0) -> float:  # type: ignore[no-untyped-def]
                _, a, _ = p.sgp4(jd, fr0 + u / DAY_S)
                e, b, _ = sat.sgp4(jd, fr0 + u / DAY_S)
                return float(np.linalg.norm(np.subtract(b, a))) if e == 0 else np.inf

            res = minimize_scalar(distance, bounds=(-step_s, step_s), method="bounded",
                                  options={"xatol": 1e-6})
            if res.fun < threshold_km:
                number = others[lo + row].catalog_number
                out.append((number, float(grid.offsets_s[col] + res.x), float(res.fun)))
    return out


def check(primary: ElementSet, sets: list[ElementSet], hours: float, threshold_km: float) -> bool:
    print()
    print(f"check: screen vs filterless brute force (5 s), {hours} h, threshold {threshold_km} km")
    result = screen([primary], sets, primary.epoch, days=hours / 24, threshold_km=threshold_km)
    reference = brute_force(primary, sets, hours, threshold_km)
    events = [(e.secondary, (e.tca - primary.epoch).total_seconds(), e.miss_km)
              for e in result.events]
    missed, dt, dmiss = [], [], []
    for number, t, miss in reference:
        match = [e for e in events if e[0] == number and abs(e[1] - t) < 1.0]
        if not match:
            missed.append((number, t, miss))
            continue
        dt.append(abs(match[0][1] - t))
        dmiss.append(abs(match[0][2] - miss))
    extra = [e for e in events
             if not any(n == e[0] and abs(t - e[1]) < 1.0 for n, t, _ in reference)]
    print(f"  reference approaches {len(reference)}, screen events {len(events)}, "
          f"missed {len(missed)}, extra {len(extra)}")
    if dt:
        print(f"  max |ΔTCA| {max(dt) * 1000:.3f} ms, max |Δmiss| {max(dmiss) * 1000:.3f} m")
    for item in missed[:10]:
        print(f"  missed: {item}")
    for item in extra[:10]:
        print(f"  extra:  {item}")
    return not missed and not extra and (not dt or (max(dt) < 1.0 and max(dmiss) < 0.010))


if __name__ == "__main__":
    raise SystemExit(main())
