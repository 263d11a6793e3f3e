"""Collision-avoidance manoeuvre options: along-track burns that bring the Pc below a threshold.

For a conjunction (primary and secondary element sets, the TCA, both position covariances and
the combined hard-body radius) whose 2D Pc (:mod:`spacehome.orbit.collision`, Foster's method)
is above a threshold (default :data:`DEFAULT_PC_THRESHOLD`, 1e-4), each option is one
**tangential impulse** of the primary at a chosen lead time before the TCA (by default one, two
and three of its orbital periods) with the smallest delta-v that brings the Pc below the
threshold, and the new miss distance (with its radial, in-track and cross-track components)
and Pc.

**How the burn is modelled.** SGP4 gives the primary's state at the burn time and both objects'
states at the TCA, exactly as the screen sees them. The burn adds ``Δv`` along the primary's
inertial velocity. Its effect at the TCA is the **difference** between two numerical
propagations from the burn state, with and without the impulse, under two-body + J2 gravity
(WGS72, the constants of SGP4) in TEME, integrated as one ODE system with a shared step
control (SciPy ``solve_ivp``, DOP853, rtol 1e-10): the reference trajectory and the deviation
``δ`` with ``δ̈ = a(r + δ) − a(r)``. The deviation is added to the unburned SGP4 state at the
TCA. Whatever the force model leaves out (drag, higher harmonics, SGP4's own approximations)
acts almost equally on both trajectories, so it cancels to first order in ``δ``; a few
hundred metres of deviation over a few orbits is what the manoeuvre changes, and that is what
the difference gets right. The secondary is not affected.

The **linear alternative** (:func:`deviation_cw`) is the Clohessy–Wiltshire solution for a
tangential impulse on a circular orbit of mean motion ``n``: radial ``x = 2Δv/n (1 − cos nt)``,
in-track ``y = 4Δv/n sin nt − 3Δv t``, i.e. the along-track drift ``Δs ≈ −3 Δv Δt`` (a
prograde burn raises the orbit and the primary falls behind). It is used as a cross-check of
the numerical difference (the tests hold them together within 0.5 % on a 380 km orbit, 0.5 to
2 orbits, measured 0.16-0.26 %) and, with ``model="cw"``, as a fast screening estimate.

**After the burn.** The Pc is recomputed with the same covariances (inertial, at TCA): a burn of
a few cm/s changes the position by hundreds of metres, far too little to change a covariance
whose age and frame are those of the original assessment. The 2D Pc takes the miss vector
perpendicular to the relative velocity, so the small shift of the TCA the burn causes is
accounted for by the encounter-plane projection (rectilinear encounter, as in the Pc itself).

**Search.** Along a line of Δv the encounter-plane miss moves on a nearly straight line
``m(Δv) ≈ m₀ + Δv g``. The Pc is monotone only along rays from the disc's centre (Anderson's
theorem: symmetric unimodal density, symmetric convex disc); along this line it is not
guaranteed, and a burn in the wrong sense may first raise it (towards the secondary). Each sense
(prograde and retrograde) is therefore scanned on a geometric grid of Δv (:data:`SCAN_POINTS`
points from :data:`MIN_DV_M_S` to ``max_dv_m_s``, all propagated in one ODE system); the first
grid point with Pc below the threshold brackets the answer with the previous one, and Brent's
method on ``log Pc − log threshold`` (a bracketing root finder) narrows it to :data:`DV_RTOL`
relative; the value returned is on the below-threshold side. Whether the Pc went on decreasing
over the rest of the scan is reported (``monotonic``). The sense with the smaller Δv is the
option.

Units: km, km/s, km² inside; delta-v in **m/s** at the interface; times are UTC datetimes,
the propagation runs in TT seconds (:mod:`spacehome.orbit.timebase`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import require_utc
from spacehome.errors import ValidationError

from .collision import (
    ElementSetCovarianceModel,
    ObjectType,
    check_covariance,
    encounter_geometry,
    pc_foster,
    rtn_basis,
)
from .elements import satrec
from .propagation import reason
from .timebase import DAY_S, Instants

FloatArray = NDArray[np.float64]
Model = Literal["numerical", "cw"]

#: Default Pc threshold above which a manoeuvre is proposed (issue 7).
DEFAULT_PC_THRESHOLD = 1e-4
#: Default lead times, in orbital periods of the primary before the TCA.
DEFAULT_LEAD_ORBITS = (1.0, 2.0, 3.0)
#: Default largest delta-v searched (m/s).
DEFAULT_MAX_DV_M_S = 2.0
#: Smallest delta-v of the scan grid (m/s).
MIN_DV_M_S = 1e-4
#: Points of the geometric scan grid per sense.
SCAN_POINTS = 24
#: Relative width of the final bracket of the root search.
DV_RTOL = 1e-3

#: WGS72 constants, as SGP4 uses them.
MU_KM3_S2 = 398600.8
RE_KM = 6378.135
J2 = 0.001082616

_RTOL = 1e-10


@dataclass(frozen=True)
class Encounter:
    """A conjunction to avoid: both element sets, the TCA and the Pc inputs at the TCA.

    Covariances are 3x3 position covariances (km²) in the inertial frame of SGP4 (TEME) at the
    TCA, from a CDM or from :class:`~spacehome.orbit.collision.ElementSetCovarianceModel`
    (see :func:`encounter_from_model`).
    """

    primary: ElementSet
    secondary: ElementSet
    tca: datetime
    covariance_primary_km2: FloatArray
    covariance_secondary_km2: FloatArray
    hard_body_radius_m: float
    estimated: bool = False
    covariance_source: str = "CDM"


@dataclass(frozen=True)
class Miss:
    """The miss at the TCA: encounter-plane distance, RTN components of the primary, and Pc."""

    miss_km: float
    miss_rtn_km: tuple[float, float, float]
    relative_speed_km_s: float
    pc: float


@dataclass(frozen=True)
class AvoidanceOption:
    """The smallest tangential burn at one lead time that brings the Pc below the threshold.

    ``delta_v_m_s`` is signed: positive along the velocity (prograde), negative against it.
    ``after`` is None when no burn up to the largest delta-v searched is enough.
    """

    burn_time: datetime
    lead_s: float
    lead_orbits: float
    delta_v_m_s: float | None
    after: Miss | None
    #: The Pc decreased at every scan point beyond the solution (no re-crossing of the threshold).
    monotonic: bool
    model: Model

    @property
    def direction(self) -> str | None:
        if self.delta_v_m_s is None:
            return None
        return "prograde" if self.delta_v_m_s > 0 else "retrograde"


@dataclass(frozen=True)
class AvoidanceAssessment:
    """The conjunction before any burn, and the manoeuvre options (none when not needed)."""

    threshold: float
    before: Miss
    needed: bool
    options: tuple[AvoidanceOption, ...]
    estimated: bool
    covariance_source: str


# --- states ------------------------------------------------------------------------------------


def sgp4_state(elements: ElementSet, moment: datetime) -> tuple[FloatArray, FloatArray]:
    """SGP4 position (km) and velocity (km/s), TEME, of ``elements`` at ``moment`` (UTC), or
    :class:`ValidationError` when sgp4 cannot propagate it there."""
    inst = Instants.at(moment, [0.0])
    err, r, v = satrec(elements).sgp4(float(inst.jd_utc[0]), float(inst.fr_utc[0]))
    if err:
        raise ValidationError(
            f"{elements.label()} cannot be propagated to {moment:%Y-%m-%dT%H:%M:%SZ}: {reason(err)}"
        )
    return np.array(r, dtype=np.float64), np.array(v, dtype=np.float64)


def _period_s(elements: ElementSet) -> float:
    return DAY_S / elements.mean_motion_rev_per_day


def encounter_from_model(
    primary: ElementSet, secondary: ElementSet, tca: datetime, model: ElementSetCovarianceModel,
    primary_type: ObjectType | str, secondary_type: ObjectType | str, hard_body_radius_m: float,
) -> Encounter:
    """An encounter whose covariances come from the element-set model (the Pc is estimated)."""
    tca = require_utc(tca, "TCA")
    r1, v1 = sgp4_state(primary, tca)
    r2, v2 = sgp4_state(secondary, tca)
    age1 = (tca - primary.epoch).total_seconds() / DAY_S
    age2 = (tca - secondary.epoch).total_seconds() / DAY_S
    return Encounter(
        primary, secondary, tca,
        model.covariance(r1, v1, primary_type, age1),
        model.covariance(r2, v2, secondary_type, age2),
        hard_body_radius_m, estimated=True, covariance_source=model.source,
    )


# --- the burn's effect at the TCA ------------------------------------------------------------


def _gravity(r: FloatArray) -> FloatArray:
    """Two-body + J2 acceleration (km/s²) of positions ``r`` shaped (3, k)."""
    x, y, z = r
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    k = -MU_KM3_S2 / (r2 * rn)
    j = -1.5 * J2 * MU_KM3_S2 * RE_KM**2 / (r2 * r2 * rn)
    w = 5.0 * z * z / r2
    return np.stack([x * (k + j * (1.0 - w)), y * (k + j * (1.0 - w)), z * (k + j * (3.0 - w))])


def deviation_numerical(
    r_km: ArrayLike, v_km_s: ArrayLike, delta_v_m_s: ArrayLike, duration_s: float,
) -> tuple[FloatArray, FloatArray]:
    """Position and velocity deviations (km, km/s), shaped (k, 3), ``duration_s`` after
    tangential impulses ``delta_v_m_s`` (k values) applied to the state ``(r, v)``.

    Two-body + J2, the reference and all deviations in one ODE system (see the module notes).
    """
    r0 = np.asarray(r_km, dtype=np.float64)
    v0 = np.asarray(v_km_s, dtype=np.float64)
    dvs = np.atleast_1d(np.asarray(delta_v_m_s, dtype=np.float64)) / 1000.0
    k = dvs.size
    if duration_s == 0.0:
        return np.zeros((k, 3)), np.outer(dvs, v0 / np.linalg.norm(v0))

    def rhs(_t: float, y: FloatArray) -> FloatArray:
        r = y[0:3]
        d = y[6 : 6 + 3 * k].reshape(k, 3)
        a_ref = _gravity(r[:, None])
        a_dev = _gravity((r[None, :] + d).T) - a_ref
        return np.concatenate([y[3:6], a_ref[:, 0], y[6 + 3 * k :], a_dev.T.ravel()])

    y0 = np.concatenate([r0, v0, np.zeros(3 * k), np.outer(dvs, v0 / np.linalg.norm(v0)).ravel()])
    atol = np.concatenate([np.full(3, 1e-8), np.full(3, 1e-11), np.full(3 * k, 1e-10),
                           np.full(3 * k, 1e-13)])
    sol = solve_ivp(rhs, (0.0, float(duration_s)), y0, method="DOP853", rtol=_RTOL, atol=atol)
    if not sol.success:  # pragma: no cover - DOP853 on a smooth field does not fail
        raise ValidationError(f"the manoeuvre propagation failed: {sol.message}")
    y = sol.y[:, -1]
    return y[6 : 6 + 3 * k].reshape(k, 3), y[6 + 3 * k :].reshape(k, 3)


def deviation_cw(
    r_tca_km: ArrayLike, v_tca_km_s: ArrayLike, mean_motion_rad_s: float,
    delta_v_m_s: ArrayLike, duration_s: float,
) -> tuple[FloatArray, FloatArray]:
    """Clohessy–Wiltshire deviations (km, km/s), shaped (k, 3), in the inertial frame of the
    primary's RTN axes at the TCA ``(r_tca, v_tca)``, ``duration_s`` after tangential impulses."""
    n = float(mean_motion_rad_s)
    dv = np.atleast_1d(np.asarray(delta_v_m_s, dtype=np.float64)) / 1000.0
    t = float(duration_s)
    s, c = math.sin(n * t), math.cos(n * t)
    x = 2.0 * dv / n * (1.0 - c)
    y = dv * (4.0 / n * s - 3.0 * t)
    xd = 2.0 * dv * s
    yd = dv * (4.0 * c - 3.0)
    basis = rtn_basis(r_tca_km, v_tca_km_s)  # rows R, T, N
    zeros = np.zeros_like(dv)
    pos = np.stack([x, y, zeros], axis=1) @ basis
    vel = np.stack([xd, yd, zeros], axis=1) @ basis
    # The CW frame rotates at n: inertial velocity deviation adds n ẑ × δr.
    omega = n * basis[2]
    vel = vel + np.cross(omega, pos)
    return pos, vel


# --- the assessment ----------------------------------------------------------------------------


class _Problem:
    """One encounter prepared for the search: states at TCA, covariances, radius."""

    def __init__(self, encounter: Encounter, threshold: float):
        self.encounter = encounter
        self.threshold = threshold
        self.tca = require_utc(encounter.tca, "TCA")
        self.r1, self.v1 = sgp4_state(encounter.primary, self.tca)
        self.r2, self.v2 = sgp4_state(encounter.secondary, self.tca)
        self.c1 = check_covariance(encounter.covariance_primary_km2, "the primary")
        self.c2 = check_covariance(encounter.covariance_secondary_km2, "the secondary")
        hbr = float(encounter.hard_body_radius_m)
        if not (math.isfinite(hbr) and hbr > 0.0):
            raise ValidationError(
                f"the hard-body radius is {encounter.hard_body_radius_m!r} m: give a positive radius"
            )
        self.radius_km = hbr / 1000.0

    def miss(self, dr: FloatArray | None = None, dv: FloatArray | None = None) -> Miss:
        r1 = self.r1 if dr is None else self.r1 + dr
        v1 = self.v1 if dv is None else self.v1 + dv
        g = encounter_geometry(r1, v1, self.c1, self.r2, self.v2, self.c2)
        # The RTN components of the miss at the (shifted) closest approach: the part of the
        # relative position perpendicular to the relative velocity.
        y = g.basis[1]
        d = self.r2 - r1
        d_perp = d - (d @ y) * y
        rtn = rtn_basis(r1, v1) @ d_perp
        return Miss(
            miss_km=g.miss_km,
            miss_rtn_km=(float(rtn[0]), float(rtn[1]), float(rtn[2])),
            relative_speed_km_s=g.relative_speed_km_s,
            pc=pc_foster(g.miss_plane_km, g.covariance_plane_km2, self.radius_km),
        )


def _deviations(
    p: _Problem, model: Model, lead_s: float, dvs: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    if model == "cw":
        n = 2.0 * math.pi / _period_s(p.encounter.primary)
        return deviation_cw(p.r1, p.v1, n, dvs, lead_s)
    rb, vb = sgp4_state(p.encounter.primary, p.tca - timedelta(seconds=lead_s))
    return deviation_numerical(rb, vb, dvs, lead_s)


def _search(p: _Problem, model: Model, lead_s: float, max_dv: float,
            ) -> tuple[float | None, Miss | None, bool]:
    """The smallest |Δv| (m/s, signed) below the threshold at one lead time, its miss, and
    whether the Pc kept decreasing over the scan beyond it."""
    from scipy.optimize import brentq

    magnitudes = np.geomspace(MIN_DV_M_S, max_dv, SCAN_POINTS)
    grid = np.concatenate([magnitudes, -magnitudes])  # both senses in one propagation
    dr, dv = _deviations(p, model, lead_s, grid)
    pcs = np.array([p.miss(dr[i], dv[i]).pc for i in range(grid.size)])
    best: tuple[int, float] | None = None  # (first index below, sense)
    for sense, part in ((1.0, pcs[:SCAN_POINTS]), (-1.0, pcs[SCAN_POINTS:])):
        below = np.flatnonzero(part < p.threshold)
        if below.size and (best is None or below[0] < best[0]):
            best = (int(below[0]), sense)
    if best is None:
        return None, None, False
    i, sense = best
    part = pcs[:SCAN_POINTS] if sense > 0 else pcs[SCAN_POINTS:]
    monotonic = bool(np.all(np.diff(part[i:]) <= 0.0))
    lo, hi = (0.0 if i == 0 else float(magnitudes[i - 1])), float(magnitudes[i])
    log_threshold = math.log(p.threshold)

    def excess(mag: float) -> float:
        r, v = _deviations(p, model, lead_s, np.array([mag * sense]))
        pc = p.miss(r[0], v[0]).pc
        return (math.log(pc) if pc > 0.0 else -1e3) - log_threshold

    # Brent's method on log Pc: the root lies in [lo, hi], where the scan changed sign.
    root = float(brentq(excess, lo, hi, xtol=DV_RTOL * hi * 0.5, rtol=1e-12))
    # Keep the side of the root that is below the threshold.
    mag = root
    while excess(mag) >= 0.0:
        mag = min(mag + DV_RTOL * hi * 0.5, hi)
    r, v = _deviations(p, model, lead_s, np.array([mag * sense]))
    return mag * sense, p.miss(r[0], v[0]), monotonic


def assess(
    encounter: Encounter,
    *,
    threshold: float = DEFAULT_PC_THRESHOLD,
    lead_orbits: Sequence[float] = DEFAULT_LEAD_ORBITS,
    lead_times_s: Sequence[float] | None = None,
    max_dv_m_s: float = DEFAULT_MAX_DV_M_S,
    model: Model = "numerical",
) -> AvoidanceAssessment:
    """The Pc of the encounter and, if it is at or above ``threshold``, one along-track option
    per lead time (``lead_times_s`` in seconds, or else ``lead_orbits`` in primary periods)."""
    if not (isinstance(threshold, float | int) and math.isfinite(threshold) and 0.0 < threshold < 1.0):
        raise ValidationError(f"the Pc threshold is {threshold!r}: give a probability between 0 and 1")
    if not (math.isfinite(max_dv_m_s) and max_dv_m_s > MIN_DV_M_S):
        raise ValidationError(
            f"the largest delta-v is {max_dv_m_s!r} m/s: give more than {MIN_DV_M_S} m/s"
        )
    if model not in ("numerical", "cw"):
        raise ValidationError(f"unknown manoeuvre model {model!r}: use numerical or cw")
    period = _period_s(encounter.primary)
    leads = (
        [float(x) for x in lead_times_s] if lead_times_s is not None
        else [float(k) * period for k in lead_orbits]
    )
    if not leads:
        raise ValidationError("no lead time given: ask for at least one burn time before the TCA")
    for lead in leads:
        if not (math.isfinite(lead) and lead > 0.0):
            raise ValidationError(
                f"a burn {lead / 60.0:g} min before the TCA is not before it: the TCA must come"
                " after the burn (give positive lead times)"
            )
    p = _Problem(encounter, float(threshold))
    before = p.miss()
    options: list[AvoidanceOption] = []
    if before.pc >= threshold:
        for lead in leads:
            best = _search(p, model, lead, float(max_dv_m_s))
            options.append(AvoidanceOption(
                burn_time=p.tca - timedelta(seconds=lead), lead_s=lead, lead_orbits=lead / period,
                delta_v_m_s=best[0], after=best[1], monotonic=best[2], model=model,
            ))
    return AvoidanceAssessment(
        threshold=float(threshold), before=before, needed=before.pc >= threshold,
        options=tuple(options), estimated=encounter.estimated,
        covariance_source=encounter.covariance_source,
    )


def miss_after_burn(
    encounter: Encounter, burn_time: datetime, delta_v_m_s: float, *, model: Model = "numerical",
) -> Miss:
    """The miss and Pc at the TCA after one tangential burn (for checks and what-ifs)."""
    p = _Problem(encounter, DEFAULT_PC_THRESHOLD)
    lead = (p.tca - require_utc(burn_time, "burn time")).total_seconds()
    if not lead > 0.0:
        raise ValidationError(
            f"the burn at {burn_time:%Y-%m-%dT%H:%M:%SZ} is not before the TCA"
            f" ({p.tca:%Y-%m-%dT%H:%M:%SZ}): burn earlier"
        )
    dr, dv = _deviations(p, model, lead, np.array([float(delta_v_m_s)]))
    return p.miss(dr[0], dv[0])
