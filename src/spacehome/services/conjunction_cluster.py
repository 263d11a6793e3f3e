"""All-vs-all conjunction screening of a catalog, serially or on a Dask cluster.

The numerics are :mod:`spacehome.orbit.allvsall`: the window is cut into slices of whole grid
intervals (:func:`~spacehome.orbit.allvsall.plan_slices`), each an independent task
(:func:`~spacehome.orbit.allvsall.screen_slice`), merged into one deterministically sorted
result (:func:`~spacehome.orbit.allvsall.merge`). The slices do not depend on where they run or
how many workers there are, so serial, a local cluster and a remote one give equal event lists.

This is the only spacehome module that imports Dask (``dask.distributed``).

- ``scheduler=None``: a ``LocalCluster`` of ``n_workers`` processes (default: one per core, one
  thread each; SGP4 and the tree search hold the GIL for much of their time), shut down after;
- ``scheduler="tcp://host:port"`` (any address ``distributed.Client`` takes): that cluster;
- ``scheduler="serial"`` (:data:`SERIAL`): no Dask at all.

The catalog is scattered to the workers once (broadcast); each task gets the slice bounds.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import require_utc
from spacehome.errors import ValidationError
from spacehome.orbit import allvsall
from spacehome.orbit.allvsall import AllVsAllResult
from spacehome.orbit.screening import DEFAULT_THRESHOLD_KM

#: ``scheduler`` value that runs the slices in this process, without Dask.
SERIAL: Final = "serial"


def run_all_vs_all(
    catalog: Iterable[ElementSet],
    start: datetime,
    hours: float,
    threshold_km: float = DEFAULT_THRESHOLD_KM,
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    processes: bool = True,
    step_s: float = allvsall.STEP_S,
    slice_s: float = allvsall.SLICE_S,
    connect_timeout_s: float = 10.0,
) -> AllVsAllResult:
    """Every approach under ``threshold_km`` between any two catalog objects over
    ``[start, start + hours]``: serially, on a new ``LocalCluster`` (``scheduler=None``) or on
    the cluster whose scheduler is at ``scheduler``."""
    start = require_utc(start, "all-vs-all start")
    allvsall.check_window(hours, threshold_km, step_s, slice_s)
    if n_workers is not None and n_workers < 1:
        raise ValidationError(f"worker count is {n_workers}; give at least 1")
    sets = allvsall.unique_catalog(catalog)
    if len(sets) < 2:
        raise ValidationError(f"the catalog holds {len(sets)} object(s); all-vs-all needs two")
    slices = allvsall.plan_slices(hours, step_s, slice_s)
    # attached and formation-flying pairs, decided once over the whole window (not per slice)
    co_orbit = allvsall.co_orbiting_pairs(sets, start, hours)
    apart = [(c.primary, c.secondary) for c in co_orbit]
    if scheduler == SERIAL:
        parts = [
            allvsall.screen_slice(
                sets, start, hours, lo, hi, threshold_km=threshold_km, step_s=step_s,
                exclude_pairs=apart,
            )
            for lo, hi in slices
        ]
        return allvsall.merge(parts, start, hours, threshold_km, step_s, len(sets), co_orbit=co_orbit)

    # distributed ships no type hints: reach it as Any rather than silence every call
    distributed: Any = importlib.import_module("distributed")
    Client, LocalCluster = distributed.Client, distributed.LocalCluster
    cluster: Any = None
    try:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=n_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout=f"{connect_timeout_s}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ValidationError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                ) from exc
        try:
            [remote] = client.scatter([sets], broadcast=True)  # one object, every worker
            futures = [
                client.submit(
                    allvsall.screen_slice, remote, start, hours, lo, hi,
                    threshold_km=threshold_km, step_s=step_s, exclude_pairs=apart,
                    key=f"all-vs-all-{start:%Y%m%dT%H%M%S}-{lo}-{hi}-{id(remote)}",
                    pure=False,
                )
                for lo, hi in slices
            ]
            parts = client.gather(futures)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
    return allvsall.merge(parts, start, hours, threshold_km, step_s, len(sets), co_orbit=co_orbit)
