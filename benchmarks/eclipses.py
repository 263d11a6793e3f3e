"""A year of the station's eclipses: spacehome ``find_eclipses`` against a 1 s budget.

Target: every passage through the Earth's shadow over 365 days for the CSS element set in
under 1 s (median of the repetitions, after one warm-up call that loads the timescale and the
ephemeris).

    .venv/bin/python benchmarks/eclipses.py [--repeat 5] [--days 365]
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import _common as common
import numpy as np

from spacehome.orbit.eclipse import find_eclipses

TARGET_S = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument("--days", type=float, default=365.0, help="window length (default 365)")
    parser.add_argument("--start", default="2026-09-06T00:00Z", help="window start, UTC")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of one find_eclipses call"
    )
    args = parser.parse_args(argv)

    common.header("Eclipses: spacehome find_eclipses over a year")
    es = common.css()
    start = common.parse_utc(args.start)
    end = start + timedelta(days=args.days)
    print(f"object    {es.label()}, epoch {es.epoch:%Y-%m-%dT%H:%M:%SZ}")
    print(f"window    {start:%Y-%m-%dT%H:%MZ} + {args.days:g} days")

    warm_s, _ = common.timed(lambda: find_eclipses(es, start, end))
    print(
        f"warm-up   {warm_s:.3f} s (first call: loads the timescale and DE421; not in the median)"
    )
    seconds: list[float] = []
    eclipses = []
    for _ in range(args.repeat):
        elapsed, eclipses = common.timed(lambda: find_eclipses(es, start, end))
        seconds.append(elapsed)

    umbra = np.array([e.umbra_s for e in eclipses if e.umbra_s is not None], dtype=float)
    penumbra = np.array([e.penumbra_s for e in eclipses if e.penumbra_s is not None], dtype=float)
    beta = np.array([e.beta_deg for e in eclipses], dtype=float)
    no_umbra = sum(1 for e in eclipses if e.umbra_entry is None and e.umbra_exit is None)
    open_ended = sum(1 for e in eclipses if e.penumbra_entry is None or e.penumbra_exit is None)
    gaps = np.diff([e.deepest.timestamp() for e in eclipses]) if len(eclipses) > 1 else np.empty(0)

    def extent(values: np.ndarray, fmt: str) -> tuple[str, str]:
        if values.size == 0:
            return "-", "-"
        return format(values.min(), fmt), format(values.max(), fmt)

    med = common.median(seconds)
    print()
    print(
        common.table(
            ["quantity", "min", "max"],
            [
                ["umbra duration (min)", *extent(umbra / 60.0, ".2f")],
                ["shadow incl. penumbra (min)", *extent(penumbra / 60.0, ".2f")],
                ["solar beta angle (deg)", *extent(beta, ".2f")],
                ["time between eclipses (min)", *extent(gaps / 60.0, ".2f")],
            ],
        )
    )
    print()
    print(
        f"eclipses  {len(eclipses)} passages through the shadow ({umbra.size} with a complete "
        f"umbra; {no_umbra} penumbra only; {open_ended} cut by the window's ends)"
    )
    print(f"time      median {med:.3f} s of {args.repeat} (min–max {common.spread(seconds)} s)")

    if args.profile:
        print()
        print("cProfile of one find_eclipses call:")
        print(common.profile(lambda: find_eclipses(es, start, end)))

    ok = med < TARGET_S
    common.verdict(
        ok, f"{args.days:g} days of eclipses in {med:.3f} s median (target < {TARGET_S:g} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
