"""Passes of the station over many observers: spacehome ``find_events`` against Skyfield.

Target: rise/culmination/set events for 200 observers over 30 days at least 20x faster than
Skyfield's ``EarthSatellite.find_events`` run observer by observer on the same inputs, with the
same events: identical event codes for every observer, and every time within 1 s.

    .venv/bin/python benchmarks/passes.py [--repeat 5] [--skyfield-repeat 3]
                                          [--skyfield-observers N] [--observers 200]
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import _common as common
import numpy as np
from skyfield.api import EarthSatellite, wgs84

from spacehome.orbit.passes import Observer, find_events
from spacehome.orbit.timebase import timescale

TARGET_SPEEDUP = 20.0
TARGET_MAX_DT_S = 1.0

#: Fixed sites: (name, latitude, longitude, altitude m). Reykjavik (64.1° N) is beyond the
#: station's 41.5° inclination and sees only low, grazing passes: a hard case on purpose.
CITIES = [
    ("Beijing", 39.9042, 116.4074, 44.0),
    ("Wenchang", 19.6145, 110.9510, 20.0),
    ("Paris", 48.8566, 2.3522, 35.0),
    ("Nairobi", -1.2921, 36.8219, 1795.0),
    ("Quito", -0.1807, -78.4678, 2850.0),
    ("Sydney", -33.8688, 151.2093, 58.0),
    ("Reykjavik", 64.1466, -21.9426, 20.0),
]


def make_observers(count: int, seed: int) -> list[Observer]:
    """The fixed cities (mask 0°), then seeded pseudo-random sites up to ``count`` in all."""
    observers = [Observer(name, lat, lon, alt, 0.0) for name, lat, lon, alt in CITIES][:count]
    rng = np.random.default_rng(seed)
    extra = count - len(observers)
    lat = rng.uniform(-60.0, 60.0, extra)
    lon = rng.uniform(-180.0, 180.0, extra)
    alt = rng.uniform(0.0, 3000.0, extra)
    mask = rng.choice([0.0, 5.0, 10.0], extra)
    observers += [
        Observer(f"site {i:03d}", float(lat[i]), float(lon[i]), float(alt[i]), float(mask[i]))
        for i in range(extra)
    ]
    return observers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observers", type=int, default=200, help="observers in all (default 200)")
    parser.add_argument("--days", type=float, default=30.0, help="window length (default 30 days)")
    parser.add_argument("--start", default="2026-09-06T00:00Z", help="window start, UTC")
    parser.add_argument("--seed", type=int, default=20260906, help="seed of the random sites")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed repetitions of spacehome (default 5)"
    )
    parser.add_argument(
        "--skyfield-repeat",
        type=int,
        default=3,
        help="timed repetitions of the Skyfield loop (default 3)",
    )
    parser.add_argument(
        "--skyfield-observers",
        type=int,
        default=None,
        help="time Skyfield on N observers (evenly spread) and scale linearly "
        "to all; the events are then compared on those N only",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print a cProfile of one spacehome find_events call",
    )
    args = parser.parse_args(argv)

    common.header("Passes: spacehome find_events vs Skyfield EarthSatellite.find_events")
    es = common.css()
    start = common.parse_utc(args.start)
    end = start + timedelta(days=args.days)
    observers = make_observers(args.observers, args.seed)
    k_count = len(observers)
    masks = sorted({o.min_elevation_deg for o in observers})
    print(f"object    {es.label()}, epoch {es.epoch:%Y-%m-%dT%H:%M:%SZ}")
    print(f"window    {start:%Y-%m-%dT%H:%MZ} + {args.days:g} days")
    print(
        f"observers {k_count}: {min(len(CITIES), k_count)} fixed cities + seeded random sites "
        f"(seed {args.seed}, |lat| <= 60°, 0-3000 m), masks {masks}°"
    )

    # --- spacehome: one warm-up call (loads the timescale), then the timed repetitions.
    find_events(es, observers, start, end)
    ours_s: list[float] = []
    for _ in range(args.repeat):
        elapsed, (_topo, events) = common.timed(lambda: find_events(es, observers, start, end))
        ours_s.append(elapsed)

    # --- Skyfield: same timescale, same element lines, one find_events call per observer.
    ts = timescale()
    sat = EarthSatellite(common.CSS_LINE1, common.CSS_LINE2, common.CSS_NAME, ts)
    t0 = ts.from_datetime(start)
    t1 = ts.from_datetime(end)
    topos = [
        wgs84.latlon(o.latitude_deg, o.longitude_deg, elevation_m=o.altitude_m) for o in observers
    ]
    sub = args.skyfield_observers
    if sub is None or sub >= k_count:
        picked = list(range(k_count))
    else:
        picked = sorted(set(np.linspace(0, k_count - 1, max(sub, 1)).round().astype(int).tolist()))

    def skyfield_loop() -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for k in picked:
            t, kinds = sat.find_events(
                topos[k], t0, t1, altitude_degrees=observers[k].min_elevation_deg
            )
            out.append((t.tt, kinds))
        return out

    sat.find_events(topos[0], t0, t1, altitude_degrees=observers[0].min_elevation_deg)  # warm-up
    theirs_s: list[float] = []
    for _ in range(args.skyfield_repeat):
        elapsed, reference = common.timed(skyfield_loop)
        theirs_s.append(elapsed)
    scale = k_count / len(picked)

    # --- Same events? Codes identical per observer, and the largest time difference.
    mismatched: list[int] = []
    max_dt = 0.0
    worst = (-1, -1)
    n_events = 0
    counts = np.zeros(3, dtype=int)
    for k, (tt, kinds) in zip(picked, reference, strict=True):
        ours = events[k]
        if not np.array_equal(ours.kinds, kinds.astype(ours.kinds.dtype)):
            mismatched.append(k)
            continue
        offsets = (tt - t0.tt) * 86400.0
        if offsets.size:
            dt = np.abs(ours.offsets_s - offsets)
            i = int(np.argmax(dt))
            if dt[i] > max_dt:
                max_dt, worst = float(dt[i]), (k, i)
        n_events += int(kinds.size)
        counts += np.bincount(kinds, minlength=3)[:3]

    ours_median = common.median(ours_s)
    theirs_median = common.median(theirs_s) * scale
    speedup = theirs_median / ours_median
    print()
    print(
        common.table(
            ["run", "repetitions", "median s", "min–max s", "per observer ms"],
            [
                [
                    "spacehome find_events (all observers at once)",
                    args.repeat,
                    f"{ours_median:.3f}",
                    common.spread(ours_s),
                    f"{ours_median / k_count * 1e3:.2f}",
                ],
                [
                    "Skyfield find_events (loop over observers)" + ("" if scale == 1.0 else " *"),
                    args.skyfield_repeat,
                    f"{theirs_median:.3f}",
                    common.spread([s * scale for s in theirs_s]),
                    f"{theirs_median / k_count * 1e3:.2f}",
                ],
            ],
        )
    )
    if scale != 1.0:
        print(
            f"* Skyfield timed on {len(picked)} of {k_count} observers (evenly spread) and "
            f"scaled linearly (x{scale:.2f})"
        )
    print()
    print(
        f"speed-up  {speedup:.1f}x (Skyfield median / spacehome median), target >= {TARGET_SPEEDUP:g}x"
    )
    compared = f"{len(picked)} of {k_count}" if scale != 1.0 else f"all {k_count}"
    print(
        f"events    compared on {compared} observers: {n_events} events "
        f"({counts[0]} rises, {counts[1]} culminations, {counts[2]} sets)"
    )
    print(
        f"codes     identical for {len(picked) - len(mismatched)} of {len(picked)} observers"
        + (f"; DIFFERENT for {[observers[k].name for k in mismatched][:10]}" if mismatched else "")
    )
    for k in mismatched[:5]:
        tt, kinds = reference[picked.index(k)]
        print(f"          {observers[k].name}: spacehome {events[k].kinds.tolist()[:12]} ...")
        print(f"          {' ' * len(observers[k].name)}  Skyfield  {kinds.tolist()[:12]} ...")
    if worst[0] >= 0:
        k, i = worst
        kind = ("rise", "culmination", "set")[int(events[k].kinds[i])]
        print(
            f"max |Δt|  {max_dt * 1e3:.1f} ms over all compared events (worst: {observers[k].name}, "
            f"{kind} at +{events[k].offsets_s[i] / 3600:.2f} h); target < {TARGET_MAX_DT_S:g} s"
        )

    if args.profile:
        print()
        print("cProfile of one spacehome find_events call:")
        print(common.profile(lambda: find_events(es, observers, start, end)))

    same = not mismatched and max_dt < TARGET_MAX_DT_S
    ok = speedup >= TARGET_SPEEDUP and same
    common.verdict(
        ok,
        f"spacehome is {speedup:.1f}x faster than Skyfield for {k_count} observers x "
        f"{args.days:g} days (target >= {TARGET_SPEEDUP:g}x); events "
        + ("identical in code" if not mismatched else f"DIFFER for {len(mismatched)} observers")
        + f", max |Δt| {max_dt * 1e3:.1f} ms (target < {TARGET_MAX_DT_S:g} s)"
        + ("" if scale == 1.0 else f"; Skyfield scaled from {len(picked)} observers"),
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
