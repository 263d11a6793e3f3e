"""All-vs-all on Dask equals all-vs-all run serially (a small generated catalog, one hour)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.services.conjunction_cluster import SERIAL, run_all_vs_all

EPOCH = datetime(2026, 9, 6, tzinfo=UTC)


def elements(number: int, *, n: float, inc: float, raan: float, m: float, e: float = 1e-4) -> ElementSet:
    return ElementSet(
        catalog_number=number, name=f"OBJ {number}", international_designator=None, epoch=EPOCH,
        mean_motion_rev_per_day=n, eccentricity=e, inclination_deg=inc, raan_deg=raan,
        arg_perigee_deg=0.0, mean_anomaly_deg=m, bstar_per_earth_radius=0.0,
        mean_motion_dot_rev_per_day2=0.0, mean_motion_ddot_rev_per_day3=0.0,
    )


def catalog() -> list[ElementSet]:
    """Planes through one line of nodes (approaches every half orbit), plus random objects."""
    out = [
        elements(100 + 10 * k + j, n=15.6, inc=inc, raan=raan, m=0.02 * j - 0.01 * k)
        for k, (inc, raan) in enumerate(((41.5, 0.0), (51.6, 0.0), (97.4, 0.0), (138.5, 180.0)))
        for j in range(3)
    ]
    # a docked pair: one orbit, 0.002° of mean anomaly (~240 m) apart; not a conjunction
    out += [elements(700, n=15.6, inc=30.0, raan=90.0, m=10.0), elements(701, n=15.6, inc=30.0, raan=90.0, m=10.002)]
    rng = np.random.default_rng(11)
    out += [
        elements(
            900 + k, n=rng.uniform(14.5, 15.8), inc=rng.uniform(0, 110), raan=rng.uniform(0, 360),
            m=rng.uniform(0, 360), e=rng.uniform(0, 0.005),
        )
        for k in range(40)
    ]
    return out


@pytest.fixture(scope="module")
def serial():
    return run_all_vs_all(catalog(), EPOCH, 1.0, 25.0, scheduler=SERIAL, slice_s=900.0)


def test_serial_finds_events(serial) -> None:
    assert len(serial.events) >= 10
    assert serial.slices == 4


def test_the_docked_pair_is_co_orbiting_not_an_event(serial) -> None:
    assert [(c.primary, c.secondary) for c in serial.co_orbiting] == [(700, 701)]
    assert 0.2 < serial.co_orbiting[0].max_range_km < 0.5
    assert not [e for e in serial.events if {e.primary, e.secondary} == {700, 701}]


def test_local_cluster_equals_serial(serial) -> None:
    on_dask = run_all_vs_all(
        catalog(), EPOCH, 1.0, 25.0, n_workers=2, processes=False, slice_s=900.0,
    )
    assert on_dask.events == serial.events
    assert on_dask.co_orbiting == serial.co_orbiting
    assert on_dask.failures == serial.failures
    assert on_dask.stats == serial.stats


def test_an_existing_cluster_by_its_scheduler_address_equals_serial(serial) -> None:
    """``--scheduler ADDRESS``: a cluster someone else started (here in-process, TCP)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      scheduler_port=0, protocol="tcp") as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        remote = run_all_vs_all(
            catalog(), EPOCH, 1.0, 25.0, scheduler=cluster.scheduler_address, slice_s=900.0,
        )
    assert remote.events == serial.events
    assert remote.co_orbiting == serial.co_orbiting
    assert remote.stats == serial.stats


def test_unreachable_scheduler() -> None:
    with pytest.raises(ValidationError, match="cannot reach the Dask scheduler"):
        run_all_vs_all(
            catalog(), EPOCH, 1.0, scheduler="tcp://127.0.0.1:9", connect_timeout_s=1.0
        )


def test_bad_input() -> None:
    with pytest.raises(ValidationError, match="window"):
        run_all_vs_all(catalog(), EPOCH, -2.0, scheduler=SERIAL)
    with pytest.raises(ValidationError, match="worker count"):
        run_all_vs_all(catalog(), EPOCH, 1.0, n_workers=0)
    with pytest.raises(ValidationError, match="two"):
        run_all_vs_all(catalog()[:1], EPOCH, 1.0, scheduler=SERIAL)


def test_the_command_line_runs_all_vs_all_and_its_json_equals_the_service(
    serial, tmp_path
) -> None:
    import json
    from dataclasses import replace

    from sgp4.exporter import export_tle
    from typer.testing import CliRunner

    from spacehome.cli.main import app
    from spacehome.orbit.elements import satrec

    path = tmp_path / "catalog.3le"
    lines = []
    for s in catalog():  # a TLE holds the mean anomaly in [0, 360)
        s = replace(s, mean_anomaly_deg=s.mean_anomaly_deg % 360.0)
        lines += [f"0 {s.name}", *export_tle(satrec(s))]
    path.write_text("\n".join(lines) + "\n")
    args = ["conjunctions", "all-vs-all", "--catalog", str(path), "--hours", "1", "--from",
            "2026-09-06T00:00:00Z", "--threshold-km", "25", "--scheduler", "serial", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["run_on"] == "serial"
    # the TLE round trip rounds the elements, so compare pairs and nearly equal misses
    assert [(e["primary"]["catalog_number"], e["secondary"]["catalog_number"]) for e in view["events"]] == [
        (e.primary, e.secondary) for e in serial.events
    ]
    for got, want in zip(view["events"], serial.events, strict=True):
        assert got["miss_km"] == pytest.approx(want.miss_km, abs=0.5)
    bad = CliRunner().invoke(app, [*args[:4], "--hours", "-2"])
    assert bad.exit_code == 2
    assert "give a positive number" in bad.output
