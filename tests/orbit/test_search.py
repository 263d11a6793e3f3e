"""The bracketed Newton solver used by the pass search, against closed-form roots."""

from __future__ import annotations

import numpy as np

from spacehome.orbit import search


def test_newton_roots_finds_closed_form_roots_in_every_bracket() -> None:
    # f_k(t) = sin(t) - c_k on [-pi/2, pi/2]: the root is arcsin(c_k).
    c = np.linspace(-0.95, 0.95, 41)
    which = np.arange(c.size)

    def f(t: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.sin(t) - c[k], np.cos(t)

    lo = np.full(c.size, -np.pi / 2)
    hi = np.full(c.size, np.pi / 2)
    roots = search.newton_roots(f, lo, hi, which, xatol=1e-9)
    np.testing.assert_allclose(roots, np.arcsin(c), atol=1e-9)
    # Brackets given the other way round (f(lo) > 0) give the same roots.
    swapped = search.newton_roots(f, hi, lo, which, xatol=1e-9)
    np.testing.assert_allclose(swapped, np.arcsin(c), atol=1e-9)


def test_newton_roots_falls_back_to_bisection_where_newton_would_leave_the_bracket() -> None:
    # f(t) = t^3 - 2t + 2 has a single real root near -1.7693; Newton from 0 cycles (0 -> 1 -> 0)
    # without the safeguard. A zero slope at the start (t = sqrt(2/3)) must not break it either.
    def f(t: np.ndarray, _k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return t**3 - 2.0 * t + 2.0, 3.0 * t**2 - 2.0

    root = -1.7692923542386314
    lo = np.array([-3.0, -3.0])
    hi = np.array([1.0, 2.0 * np.sqrt(2.0 / 3.0) + 3.0])
    guesses = np.array([0.0, np.sqrt(2.0 / 3.0)])
    out = search.newton_roots(f, lo, hi, np.arange(2), first_guess=guesses, xatol=1e-10)
    np.testing.assert_allclose(out, [root, root], atol=1e-9)


def test_newton_roots_on_no_brackets_returns_empty() -> None:
    def f(t: np.ndarray, _k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise AssertionError("must not be called")

    assert search.newton_roots(f, np.empty(0), np.empty(0), np.empty(0, dtype=np.intp)).size == 0
