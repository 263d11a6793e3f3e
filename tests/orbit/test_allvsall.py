"""All-vs-all screening against a brute force over every pair, on a generated catalog.

The catalog is built from elements (``Satrec.sgp4init`` through ``spacehome.orbit.elements``):
a *crossing family* of circular orbits at one altitude, one in each of twelve planes that share
their line of nodes (RAAN 0 or 180°, prograde, polar and retrograde inclinations), phased a
little apart in mean anomaly, so that every pair of the family meets near a node every half orbit with misses from
metres to tens of km; a *transfer family* (e = 0.72) whose perigee lies at that node; objects
1.5 km higher drifting along-track through the family; and a seeded random background of LEO,
MEO and GEO objects, many of them crossing the family's shell.

The reference skips every filter: all pairs, sgp4 every 2 s for the whole window, every sampled
range minimum under threshold + 20 km (16 km/s × 1 s), the window's ends included, refined by SciPy's ``minimize_scalar``
(bounded, on range itself) to 1 µs.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from sgp4.api import SatrecArray

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.orbit.allvsall import (
    SURFACE_GRAVITY_KM_S2,
    all_vs_all,
    close_pairs,
    co_orbiting_pairs,
    grid_offsets,
    plan_slices,
)
from spacehome.orbit.elements import satrec
from spacehome.orbit.timebase import DAY_S, Instants

EPOCH = datetime(2026, 9, 6, tzinfo=UTC)
HOURS = 2.0
N_LEO = 15.6  # rev/day, about 380 km


def elements(
    number: int, *, n: float = N_LEO, e: float = 0.0001, inc: float = 41.5, raan: float = 0.0,
    argp: float = 0.0, m: float = 0.0,
) -> ElementSet:
    return ElementSet(
        catalog_number=number,
        name=f"OBJ {number}",
        international_designator=None,
        epoch=EPOCH,
        mean_motion_rev_per_day=n,
        eccentricity=e,
        inclination_deg=inc,
        raan_deg=raan,
        arg_perigee_deg=argp,
        mean_anomaly_deg=m,
        bstar_per_earth_radius=0.0,
        mean_motion_dot_rev_per_day2=0.0,
        mean_motion_ddot_rev_per_day3=0.0,
    )


def generated_catalog() -> list[ElementSet]:
    out = []
    number = 1000
    # one object per plane (no two in formation: their TCA would be ill-defined)
    planes = (
        (41.5, 0.0), (51.6, 0.0), (97.4, 0.0), (65.0, 0.0), (138.5, 180.0), (28.0, 180.0),
        (74.0, 0.0), (82.0, 180.0), (110.0, 0.0), (35.0, 0.0), (57.0, 180.0), (45.0, 180.0),
    )
    for k, (inc, raan) in enumerate(planes):
        number += 1
        out.append(elements(number, inc=inc, raan=raan, m=0.0045 * k - 0.02))
    for inc in (55.0, 30.0):  # 1.5 km higher, drifting along-track through the family
        number += 1
        out.append(elements(number, n=N_LEO - 0.0035, inc=inc, m=-0.2))
    for dm in np.linspace(-0.12, -0.04, 5):  # transfer orbits, perigee at the node
        number += 1
        out.append(elements(number, n=2.267628, e=0.7228776, inc=28.5, m=-52.3299 + dm))
    rng = np.random.default_rng(7)
    for _ in range(60):
        number += 1
        kind = rng.random()
        n = rng.uniform(14.0, 15.8) if kind < 0.8 else (2.006 if kind < 0.9 else 1.0027)
        out.append(elements(
            number, n=n, e=rng.uniform(0.0, 0.01), inc=rng.uniform(0.0, 120.0),
            raan=rng.uniform(0.0, 360.0), argp=rng.uniform(0.0, 360.0), m=rng.uniform(0.0, 360.0),
        ))
    return out


def brute_force(
    catalog: list[ElementSet], threshold_km: float, step_s: float = 2.0,
) -> list[tuple[int, int, float, float]]:
    """``(primary, secondary, TCA offset s, miss km)`` of every approach under the threshold."""
    grid = Instants.span(EPOCH, EPOCH + timedelta(hours=HOURS), step_s)
    sats = [satrec(s) for s in catalog]
    status, r, _ = SatrecArray(sats).sgp4(grid.jd_utc, grid.fr_utc)
    r[status != 0] = np.nan
    out = []
    for a in range(len(catalog) - 1):
        rng = np.linalg.norm(r[a + 1 :] - r[a], axis=-1)
        # sampled minima, the window's first and last samples included (a minimum may lie
        # between the first two samples); refined inside the window only
        padded = np.pad(rng, ((0, 0), (1, 1)), constant_values=np.inf)
        lowest = (padded[:, 1:-1] <= padded[:, :-2]) & (padded[:, 1:-1] < padded[:, 2:])
        rows, cols = np.nonzero(lowest & (rng < threshold_km + 20.0))
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            b = a + 1 + row
            jd, fr0, t0 = grid.jd_utc[col], grid.fr_utc[col], grid.offsets_s[col]

            def distance(u: float, sa=sats[a], sb=sats[b], jd=jd, fr0=fr0) -> float:
                fr = fr0 + u / DAY_S
                _, pa, _ = sa.sgp4(jd, fr)
                _, pb, _ = sb.sgp4(jd, fr)
                return float(np.linalg.norm(np.subtract(pb, pa)))

            lo_s = max(-step_s, -float(t0))
            hi_s = min(step_s, float(grid.offsets_s[-1] - t0))
            res = minimize_scalar(
                distance, bounds=(lo_s, hi_s), method="bounded", options={"xatol": 1e-6},
            )
            at_edge = min(res.x - lo_s, hi_s - res.x) < 1e-3 and (
                t0 + res.x < 1e-3 or t0 + res.x > grid.offsets_s[-1] - 1e-3
            )
            if res.fun < threshold_km and not at_edge:
                lo, hi = sorted((catalog[a].catalog_number, catalog[b].catalog_number))
                out.append((lo, hi, float(t0 + res.x), float(res.fun)))
    return out


@pytest.fixture(scope="module")
def catalog() -> list[ElementSet]:
    return generated_catalog()


@pytest.fixture(scope="module", params=[5.0, 25.0], ids=["5km", "25km"])
def threshold(request) -> float:
    return float(request.param)


@pytest.fixture(scope="module")
def result(catalog, threshold):
    return all_vs_all(catalog, EPOCH, HOURS, threshold_km=threshold, slice_s=1800.0)


@pytest.fixture(scope="module")
def reference(catalog, threshold):
    return brute_force(catalog, threshold)


def offset_s(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds()


def test_reference_has_many_approaches(reference, threshold) -> None:
    # 37 approaches (28 pairs) under 5 km, 120 (63 pairs) under 25 km
    assert len(reference) >= (30 if threshold == 5.0 else 100)
    assert len({(a, b) for a, b, _, _ in reference}) >= (20 if threshold == 5.0 else 50)
    assert min(miss for *_, miss in reference) < 1.0


def test_all_vs_all_equals_brute_force(result, reference, threshold) -> None:
    events = result.events
    dt, dmiss = [], []
    for a, b, tca, miss in reference:
        matches = [
            ev for ev in events
            if (ev.primary, ev.secondary) == (a, b) and abs(offset_s(ev.tca) - tca) < 1.0
        ]
        assert len(matches) == 1, (a, b, tca, miss)
        assert abs(matches[0].miss_km - miss) < 0.010, (a, b, tca, miss, matches[0].miss_km)
        dt.append(abs(offset_s(matches[0].tca) - tca))
        dmiss.append(abs(matches[0].miss_km - miss))
    # both refine the same SGP4 to microseconds: far inside the 1 s and 10 m
    # (measured: 7.3 ms and 7 mm at most, on the slowest crossings)
    assert max(dt) < 0.05
    assert max(dmiss) < 1e-4
    # nothing extra: every event is a reference approach (or one within a hair of the threshold)
    for ev in events:
        assert ev.miss_km <= threshold
        assert any(
            (ev.primary, ev.secondary) == (a, b) and abs(offset_s(ev.tca) - tca) < 1.0
            for a, b, tca, _ in reference
        ) or ev.miss_km > threshold - 0.01, ev
    assert result.stats.events == len(events)
    assert result.stats.pairs == 79 * 78 // 2


def test_event_geometry(result) -> None:
    for ev in result.events:
        assert ev.primary < ev.secondary
        components = np.array([ev.radial_km, ev.in_track_km, ev.cross_track_km])
        assert np.linalg.norm(components) == pytest.approx(ev.miss_km, rel=1e-9)
        assert 0.0 < ev.relative_speed_km_s < 16.0
    keys = [(ev.tca, ev.primary, ev.secondary) for ev in result.events]
    assert keys == sorted(keys)


def test_slicing_does_not_change_the_result(catalog) -> None:
    one = all_vs_all(catalog, EPOCH, HOURS, threshold_km=25.0, slice_s=HOURS * 3600.0)
    many = all_vs_all(catalog, EPOCH, HOURS, threshold_km=25.0, slice_s=1000.0)
    assert one.slices == 1
    assert many.slices == 8
    assert one.events == many.events
    assert one.failures == many.failures


def test_plan_slices_cover_the_window_once() -> None:
    offsets = grid_offsets(1.01, 20.0)
    assert offsets[-1] == pytest.approx(3636.0)
    assert offsets[-2] == pytest.approx(3620.0)  # the last step is shorter
    slices = plan_slices(1.01, 20.0, 600.0)
    assert slices[0] == (0, 30)
    assert slices[-1] == (180, offsets.size - 1)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))


def test_close_pairs_returns_exactly_the_bounded_pairs() -> None:
    rng = np.random.default_rng(3)
    n = 400
    r = rng.uniform(-1500.0, 1500.0, size=(n, 3))
    speed = rng.uniform(3.0, 7.9, size=n)
    speed[:12] = rng.uniform(8.5, 11.0, size=12)  # a few fast objects (eccentric, at perigee)
    step = 60.0
    i, j = close_pairs(r, speed, 5.0, step)
    got = set(zip(i.tolist(), j.tolist(), strict=True))
    d = np.linalg.norm(r[:, None] - r[None], axis=-1)
    bound = 5.0 + (speed[:, None] + speed[None] + SURFACE_GRAVITY_KM_S2 * step) * step / 2.0
    a, b = np.nonzero(np.triu(d <= bound, k=1))
    want = set(zip(a.tolist(), b.tolist(), strict=True))
    assert len(want) > 100
    assert got == want
    assert len(got) == i.size  # no pair twice


def test_failures_reported_once() -> None:
    decaying = elements(5001, n=16.5, e=0.0)  # ~ 140 km: sgp4 gives up on it
    bad = elements(5002, e=1.2)  # refused by sgp4init
    sets = [*generated_catalog()[:10], decaying, bad]
    res = all_vs_all(sets, EPOCH, 1.0, slice_s=1200.0)
    numbers = [f.catalog_number for f in res.failures]
    assert numbers == sorted(set(numbers))
    assert 5002 in numbers
    assert next(f for f in res.failures if f.catalog_number == 5002).at is None


@pytest.mark.parametrize(
    ("hours", "threshold", "step"),
    [(-1.0, 5.0, 20.0), (0.0, 5.0, 20.0), (1.0, -5.0, 20.0), (1.0, 5.0, 600.0),
     (float("nan"), 5.0, 20.0)],
)
def test_bad_window(hours, threshold, step) -> None:
    with pytest.raises(ValidationError) as info:
        all_vs_all([elements(1), elements(2)], EPOCH, hours, threshold_km=threshold, step_s=step)
    assert "\n" not in str(info.value)


def test_docked_pair_is_co_orbiting_not_a_conjunction() -> None:
    # Two element sets of one orbit, 0.002° (~240 m) apart in mean anomaly: a docked vehicle.
    docked = [elements(7001, inc=51.6, m=10.0), elements(7002, inc=51.6, m=10.002)]
    sets = [*generated_catalog()[:20], *docked]
    unfiltered = all_vs_all(sets, EPOCH, HOURS, threshold_km=5.0, co_orbit_km=None)
    assert [e for e in unfiltered.events if (e.primary, e.secondary) == (7001, 7002)]
    assert unfiltered.co_orbiting == []
    serial = all_vs_all(sets, EPOCH, HOURS, threshold_km=5.0, slice_s=HOURS * 3600.0)
    sliced = all_vs_all(sets, EPOCH, HOURS, threshold_km=5.0, slice_s=1000.0)
    assert [(c.primary, c.secondary) for c in serial.co_orbiting] == [(7001, 7002)]
    assert 0.2 < serial.co_orbiting[0].max_range_km < 0.3
    assert not [e for e in serial.events if {e.primary, e.secondary} & {7001, 7002}]
    # everything else is unchanged, and slicing changes nothing
    assert serial.events == [
        e for e in unfiltered.events if (e.primary, e.secondary) != (7001, 7002)
    ]
    assert sliced.slices > serial.slices == 1
    assert sliced.events == serial.events
    assert sliced.co_orbiting == serial.co_orbiting
    assert sliced.failures == serial.failures


def test_co_orbiting_pairs_need_the_whole_window() -> None:
    # 0.03° (~3.6 km) apart: close neighbours, never within 0.5 km
    near = [elements(7001, inc=51.6, m=10.0), elements(7002, inc=51.6, m=10.03)]
    assert co_orbiting_pairs(near, EPOCH, HOURS) == []
    # within 0.5 km at the start only: a crossing, not a formation
    crossing = [elements(7003, inc=51.6, m=0.0), elements(7004, inc=97.4, m=0.0)]
    assert co_orbiting_pairs(crossing, EPOCH, HOURS) == []
