"""Vectorised event searches: grid extrema, then bracketed refinement of every event at once.

The refinement is SciPy's elementwise Chandrupatla solvers (``scipy.optimize.elementwise``):
one call refines thousands of brackets (all orbits, all observers) together, so the SGP4 model
runs once per iteration on an array of times instead of once per event.

Times are float seconds from the search's start; ``TIME_TOLERANCE_S`` is the refinement target.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import elementwise

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Every refined event time is bracketed to within this many seconds (a crossing).
TIME_TOLERANCE_S = 1e-3
#: Maxima are flat: their time is refined to this (the value there is exact to ~1e-9 deg).
MAXIMUM_TOLERANCE_S = 1e-2

ArrayFunction = Callable[..., FloatArray]


def grid_maxima(values: FloatArray) -> IntArray:
    """Indices ``i`` (along the last axis) where ``values[i-1] < values[i] >= values[i+1]``.

    For a 2-D array the result is ``(rows, cols)`` from ``np.nonzero``; the first and last columns
    are never maxima (they bracket nothing).
    """
    left = values[..., 1:-1] > values[..., :-2]
    right = values[..., 1:-1] >= values[..., 2:]
    found = np.nonzero(left & right)
    *rows, cols = found
    return (*rows, cols + 1)  # type: ignore[return-value]


def refine_maxima(
    f: ArrayFunction, lo: FloatArray, mid: FloatArray, hi: FloatArray, *args: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Maximise ``f(t, *args)`` within each bracket ``lo < mid < hi`` (``f(mid)`` highest)."""
    if lo.size == 0:
        return lo.copy(), lo.copy()

    def negated(t: FloatArray, *a: FloatArray) -> FloatArray:
        return -f(t, *a)

    result = elementwise.find_minimum(
        negated, (lo, mid, hi), args=args,
        tolerances={"xatol": MAXIMUM_TOLERANCE_S, "xrtol": 0.0, "fatol": 0.0, "frtol": 0.0},
    )
    return np.asarray(result.x, dtype=np.float64), -np.asarray(result.f_x, dtype=np.float64)


def refine_roots(
    f: ArrayFunction, lo: FloatArray, hi: FloatArray, *args: FloatArray,
) -> FloatArray:
    """The zero of ``f(t, *args)`` inside each bracket ``[lo, hi]`` (opposite signs at the ends)."""
    if lo.size == 0:
        return lo.copy()
    result = elementwise.find_root(
        f, (lo, hi), args=args,
        tolerances={"xatol": TIME_TOLERANCE_S, "xrtol": 0.0, "fatol": 0.0, "frtol": 0.0},
    )
    return np.asarray(result.x, dtype=np.float64)
