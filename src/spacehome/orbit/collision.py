"""Probability of collision (Pc) of a short encounter, at the time of closest approach (TCA).

Units: positions km, velocities km/s, covariances km², all in one inertial frame (TEME, GCRF or
EME2000: the frame does not matter as long as both objects use the same one). The combined
hard-body radius of :func:`collision_probability` is in **metres** (as CDMs and hard-body tables
give it); the plane-level functions (:func:`pc_foster`, :func:`pc_chan`, :func:`pc_max`) take
any one length unit for miss, covariance and radius together.

Model (the standard "2D Pc" of operational conjunction assessment, e.g. NASA CARA's
``Pc2D_Foster``): rectilinear relative motion during the encounter, Gaussian position errors of
the two objects, independent, velocity errors neglected, both objects spheres whose radii add to
one hard-body radius. Under these assumptions the collision probability is the integral of the
combined position density, projected on the **encounter plane** (perpendicular to the relative
velocity), over the hard-body disc centred on the origin.

- **Encounter plane**: ``ŷ`` along the relative velocity ``v2 - v1``, ``ẑ`` along
  ``(r2 - r1) × (v2 - v1)``, ``x̂ = ŷ × ẑ`` (the miss direction). The combined covariance
  ``C1 + C2`` is projected onto (``x̂``, ``ẑ``); the miss vector is the part of ``r2 - r1``
  perpendicular to the relative velocity (exactly the miss vector at TCA; off TCA, the miss of
  the straight-line relative path).
- **Foster's method** (Foster & Estes 1992): the 2D Gaussian over the disc. In the principal axes
  of the projected covariance the inner integral is a difference of normal CDFs, so the Pc is a
  1-D integral over the minor axis (``x = R sin θ``, so the integrand is smooth up to the disc's
  edge), done with SciPy's adaptive Gauss-Kronrod ``quad`` at relative tolerance 1e-10,
  breakpoints at the density peak. The normal CDF differences are taken in their small tail
  (logarithms) or, for a band much narrower than the sigma, by the midpoint rule with its
  curvature term, so Pc is relatively accurate (about 1e-10; 3e-12 against SciPy's ``dblquad``
  on random cases) down to the underflow limit (~1e-300), also for extreme aspect ratios
  (Alfano's case 5: sigma ratio 4800).
- **Chan's method** (Chan 1997, 2008): the ellipse is replaced by the circle of equal area and
  the Pc becomes the Rician form ``P(χ'²₂(v) ≤ u)`` with ``u = R²/(σx σy)`` and
  ``v = (xm/σx)² + (ym/σy)²``, summed as Chan's series (Poisson weights times regularised
  incomplete gamma functions, both from SciPy). Exact for an isotropic covariance; a
  cross-check, not the reference: it is poor for very elongated covariances with a radius
  comparable to the minor sigma (Alfano's case 3: a third of the true Pc).
- **Maximum Pc** (Alfano 2005): the largest Pc over a scaling ``C → k² C`` of the combined
  covariance, found by bounded scalar minimisation on ``log k`` around the small-disc optimum
  ``k² = v/2``; a miss inside the disc gives 1 (``k → 0``).
- **RTN**: radial ``r/|r|``, cross-track ``(r × v)/|r × v|``, in-track completing the triad,
  of the primary (object 1); the miss vector is reported as secondary minus primary.
- **Element sets only** (no CDM): :class:`ElementSetCovarianceModel` builds a diagonal RTN
  position covariance from 1-sigma values at epoch and a linear growth with element-set age, by
  object type. It holds no built-in numbers: the parameters are passed in with their source
  (see the class), and a Pc computed from it must be labelled estimated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, special, stats

from spacehome.errors import ValidationError

FloatArray = NDArray[np.float64]

#: Relative tolerance of Foster's quadrature.
FOSTER_RTOL = 1e-10
#: Relative velocities below this (km/s) cannot define an encounter plane.
MIN_RELATIVE_SPEED_KM_S = 1e-9
#: Negative eigenvalues down to this fraction of the largest one count as rounding, not as an
#: indefinite covariance (covariances from CDMs carry 7-8 significant digits).
PSD_RTOL = 1e-9


class ObjectType(StrEnum):
    """Catalog object classes of the element-set covariance model."""

    PAYLOAD = "payload"
    ROCKET_BODY = "rocket-body"
    DEBRIS = "debris"
    STATION = "station"


@dataclass(frozen=True)
class EncounterGeometry:
    """The conjunction seen in the encounter plane, and the miss in the primary's RTN axes."""

    #: Rows x̂ (miss direction), ŷ (relative velocity), ẑ = x̂ × ŷ, in the inertial frame.
    basis: FloatArray
    #: Miss vector in the plane (x, z), km.
    miss_plane_km: FloatArray
    #: Combined position covariance projected on the plane (x, z), km².
    covariance_plane_km2: FloatArray
    #: Miss vector (secondary minus primary) in the primary's radial, in-track, cross-track, km.
    miss_rtn_km: FloatArray
    relative_speed_km_s: float

    @property
    def miss_km(self) -> float:
        return float(np.hypot(*self.miss_plane_km))

    @property
    def sigmas_km(self) -> tuple[float, float]:
        """1-sigma of the projected covariance along its minor and major axes, km."""
        lam = np.linalg.eigvalsh(self.covariance_plane_km2)
        return float(math.sqrt(max(lam[0], 0.0))), float(math.sqrt(lam[1]))


@dataclass(frozen=True)
class CollisionProbability:
    """Pc of one conjunction, by Foster's method with Chan's and the maximum alongside."""

    pc: float
    pc_chan: float
    #: Largest Pc over any scaling of the combined covariance, and the sigma scale that gives it.
    pc_max: float
    pc_max_scale: float
    hard_body_radius_m: float
    geometry: EncounterGeometry
    #: True when the covariances come from a model (element sets only), not from a CDM.
    estimated: bool
    #: Where the covariances come from ("CDM", or the model's source).
    covariance_source: str


# --- frames ---------------------------------------------------------------------------------


def rtn_basis(r_km: ArrayLike, v_km_s: ArrayLike) -> FloatArray:
    """Rows: radial, in-track (transverse), cross-track (normal) unit vectors of an orbit state."""
    r = _vector(r_km, "position")
    v = _vector(v_km_s, "velocity")
    h = np.cross(r, v)
    rn, hn, vn = float(np.linalg.norm(r)), float(np.linalg.norm(h)), float(np.linalg.norm(v))
    if rn == 0.0 or hn <= 1e-12 * rn * max(vn, 1e-300):
        raise ValidationError(
            "the RTN frame needs a position and a velocity that are not parallel: check the state"
        )
    radial = r / rn
    cross = h / hn
    return np.stack([radial, np.cross(cross, radial), cross])


def to_rtn(vector: ArrayLike, r_km: ArrayLike, v_km_s: ArrayLike) -> FloatArray:
    """Components of an inertial vector along the radial, in-track and cross-track axes."""
    return rtn_basis(r_km, v_km_s) @ _vector(vector, "vector")


def covariance_rtn_to_inertial(
    covariance_rtn: ArrayLike, r_km: ArrayLike, v_km_s: ArrayLike,
) -> FloatArray:
    """Rotate a 3x3 position covariance from the object's RTN axes into the inertial frame."""
    b = rtn_basis(r_km, v_km_s)
    c = _matrix(covariance_rtn, "RTN covariance")
    return b.T @ c @ b


# --- encounter plane --------------------------------------------------------------------------


def encounter_geometry(
    r1_km: ArrayLike, v1_km_s: ArrayLike, cov1_km2: ArrayLike,
    r2_km: ArrayLike, v2_km_s: ArrayLike, cov2_km2: ArrayLike,
) -> EncounterGeometry:
    """Project a conjunction onto its encounter plane (see the module notes for the axes)."""
    r1, v1 = _vector(r1_km, "position of object 1"), _vector(v1_km_s, "velocity of object 1")
    r2, v2 = _vector(r2_km, "position of object 2"), _vector(v2_km_s, "velocity of object 2")
    c1 = check_covariance(cov1_km2, "object 1")
    c2 = check_covariance(cov2_km2, "object 2")
    dr = r2 - r1
    dv = v2 - v1
    speed = float(np.linalg.norm(dv))
    if not speed > MIN_RELATIVE_SPEED_KM_S:
        raise ValidationError(
            f"the relative velocity is {speed:.3g} km/s: the 2D Pc needs objects that pass each"
            " other (a short encounter); give both velocities in the same inertial frame"
        )
    y = dv / speed
    miss3 = dr - (dr @ y) * y
    miss = float(np.linalg.norm(miss3))
    if miss > 1e-12 * max(float(np.linalg.norm(dr)), 1.0):
        x = miss3 / miss
    else:
        # A dead-centre hit: any direction perpendicular to the relative velocity will do.
        seed = np.eye(3)[int(np.argmin(np.abs(y)))]
        x = seed - (seed @ y) * y
        x /= np.linalg.norm(x)
        miss = 0.0
    z = np.cross(x, y)
    basis = np.stack([x, y, z])
    plane = basis[[0, 2]]
    cov = plane @ (c1 + c2) @ plane.T
    cov = 0.5 * (cov + cov.T)
    lam = np.linalg.eigvalsh(cov)
    if not lam[0] > PSD_RTOL * lam[1] or not lam[1] > 0.0:
        raise ValidationError(
            "the combined covariance projected on the encounter plane is not positive definite"
            f" (eigenvalues {lam[0]:.3g} and {lam[1]:.3g} km²): at least one object needs a"
            " non-degenerate position covariance across the relative velocity"
        )
    return EncounterGeometry(
        basis=basis,
        miss_plane_km=np.array([miss, 0.0]),
        covariance_plane_km2=cov,
        miss_rtn_km=rtn_basis(r1, v1) @ dr,
        relative_speed_km_s=speed,
    )


# --- Pc in the plane --------------------------------------------------------------------------


def _principal(miss: ArrayLike, cov: ArrayLike) -> tuple[float, float, float, float]:
    """Miss components and sigmas along the minor (x) and major (y) axes of a 2x2 covariance."""
    m = np.asarray(miss, dtype=np.float64)
    c = np.asarray(cov, dtype=np.float64)
    if m.shape != (2,) or c.shape != (2, 2) or not (np.all(np.isfinite(m)) and np.all(np.isfinite(c))):
        raise ValidationError("a 2D miss vector and a finite 2x2 covariance are needed")
    lam, vec = np.linalg.eigh(0.5 * (c + c.T))
    if not lam[0] > 0.0:
        raise ValidationError(
            f"the 2x2 covariance is not positive definite (eigenvalues {lam[0]:.3g}, {lam[1]:.3g})"
        )
    xm, ym = vec.T @ m
    return float(xm), float(ym), math.sqrt(lam[0]), math.sqrt(lam[1])


def _check_radius(radius: float) -> float:
    r = float(radius)
    if not (math.isfinite(r) and r > 0.0):
        raise ValidationError(
            f"the hard-body radius is {radius!r}: it must be a positive length (the sum of both"
            " objects' radii)"
        )
    return r


def _band(c: float, h: float) -> float:
    """Standard normal probability of [c - h, c + h], keeping relative accuracy in the tails.

    Centre and half-width rather than ends, so a narrow band has no cancellation in its width.
    """
    w, a, b = 2.0 * h, c - h, c + h
    if w * max(1.0, abs(c)) < 1e-3:
        # A narrow band (a disc far smaller than the sigma): midpoint rule with its curvature
        # term; the next term is below w⁴c⁴/1920 < 1e-15 relative.
        return math.exp(-0.5 * c * c) / math.sqrt(2.0 * math.pi) * w * (
            1.0 + (c * c - 1.0) * w * w / 24.0)
    if a > 0.0:  # both in the upper tail: Q(a) - Q(b) = Q(a) (1 - Q(b)/Q(a)), in logarithms
        near, far = float(special.log_ndtr(-a)), float(special.log_ndtr(-b))
    elif b < 0.0:  # both in the lower tail
        near, far = float(special.log_ndtr(b)), float(special.log_ndtr(a))
    else:
        return float(special.ndtr(b) - special.ndtr(a))
    return -math.exp(near) * math.expm1(far - near)


def pc_foster(miss: ArrayLike, covariance: ArrayLike, radius: float,
              rtol: float = FOSTER_RTOL) -> float:
    """Foster's 2D Pc: the Gaussian ``N(miss, covariance)`` integrated over the disc ``|p| ≤ R``.

    ``miss`` (2,), ``covariance`` (2, 2) and ``radius`` in one length unit. Accurate to about
    ``rtol`` relative (SciPy ``quad``; the inner integral is exact through normal CDFs); a Pc
    below 1e-300 is returned as 0.
    """
    xm, ym, sx, sy = _principal(miss, covariance)
    big_r = _check_radius(radius)

    def integrand(theta: float) -> float:
        # x = R sin θ: the half-chord R cos θ has no square-root kink at the disc's edge.
        x, s = big_r * math.sin(theta), big_r * math.cos(theta)
        gx = math.exp(-0.5 * ((x - xm) / sx) ** 2) / (sx * math.sqrt(2.0 * math.pi))
        return gx * _band(-ym / sy, s / sy) * s

    # Bounded by the probability of the square around the disc: below 1e-300 it is reported as 0
    # (the quadrature would work in subnormal numbers).
    if _band(-xm / sx, big_r / sx) * _band(-ym / sy, big_r / sy) < 1e-300:
        return 0.0
    # The Gaussian factor is significant only within ~40 sigma of xm (exp(-800) underflows).
    lo = max(-big_r, xm - 40.0 * sx)
    hi = min(big_r, xm + 40.0 * sx)
    if lo >= hi:
        return 0.0
    points = [math.asin(p / big_r) for p in (xm - 3.0 * sx, xm, xm + 3.0 * sx) if lo < p < hi]
    value, _ = integrate.quad(integrand, math.asin(lo / big_r), math.asin(hi / big_r),
                              points=points or None, epsabs=0.0, epsrel=rtol, limit=400)
    return min(max(float(value), 0.0), 1.0)


def pc_chan(miss: ArrayLike, covariance: ArrayLike, radius: float) -> float:
    """Chan's 2D Pc: the equal-area circle, summed as Chan's series (the Rician form).

    ``P = Σ_m e^(-v/2) (v/2)^m / m! · [1 - e^(-u/2) Σ_(k≤m) (u/2)^k / k!]`` with
    ``u = R²/(σx σy)`` and ``v = (xm/σx)² + (ym/σy)²``: a Poisson-weighted sum of regularised
    incomplete gamma functions, i.e. ``P(χ'²₂(v) ≤ u)``. All terms are positive and each comes
    from SciPy with full relative precision, so the sum keeps it far into the tail (SciPy's
    ``ncx2.cdf`` loses digits below about 1e-40). Exact for an isotropic covariance.
    """
    xm, ym, sx, sy = _principal(miss, covariance)
    big_r = _check_radius(radius)
    half_u = 0.5 * big_r * big_r / (sx * sy)
    half_v = 0.5 * ((xm / sx) ** 2 + (ym / sy) ** 2)
    root_u, root_v = math.sqrt(2.0 * half_u), math.sqrt(2.0 * half_v)
    if root_v - root_u > 40.0:  # the disc lies > 40 sigma from the miss: P < exp(-800)
        return 0.0
    if root_u - root_v > 40.0:  # the miss lies > 40 sigma inside the disc
        return 1.0
    if half_v > 1e6:  # both huge and close (a disc of thousands of sigmas): Boost's CDF
        return float(stats.ncx2.cdf(2.0 * half_u, 2.0, 2.0 * half_v))
    # The Poisson weights are negligible (< 1e-30 of their peak) beyond mean + 12 sqrt(mean).
    m = np.arange(int(half_v + 12.0 * math.sqrt(half_v) + 40.0))
    terms = stats.poisson.pmf(m, half_v) * special.gammainc(m + 1.0, half_u)
    return min(float(np.sum(terms)), 1.0)


def pc_max(miss: ArrayLike, covariance: ArrayLike, radius: float) -> tuple[float, float]:
    """Alfano's maximum Pc over covariance scaling: ``(max_k Pc(k² C), k)`` by Foster's method.

    A miss inside the hard-body disc gives ``(1.0, 0.0)``: the Pc tends to 1 as the covariance
    shrinks.
    """
    xm, ym, sx, sy = _principal(miss, covariance)
    big_r = _check_radius(radius)
    if math.hypot(xm, ym) <= big_r:
        return 1.0, 0.0
    v = (xm / sx) ** 2 + (ym / sy) ** 2
    k0 = math.sqrt(v / 2.0)  # the optimum for a small disc
    c = np.diag([sx * sx, sy * sy])
    m = np.array([xm, ym])

    def neg_log_pc(log_k: float) -> float:
        k = math.exp(log_k)
        p = pc_foster(m, c * (k * k), big_r, rtol=1e-8)
        return -math.log(p) if p > 0.0 else 1e300

    res = optimize.minimize_scalar(neg_log_pc, bounds=(math.log(k0) - 3.0, math.log(k0) + 3.0),
                                   method="bounded", options={"xatol": 1e-7})
    k = math.exp(float(res.x))
    return pc_foster(m, c * (k * k), big_r), k


# --- the whole assessment ---------------------------------------------------------------------


def collision_probability(
    r1_km: ArrayLike, v1_km_s: ArrayLike, cov1_km2: ArrayLike,
    r2_km: ArrayLike, v2_km_s: ArrayLike, cov2_km2: ArrayLike,
    hard_body_radius_m: float, *, estimated: bool = False, covariance_source: str = "CDM",
) -> CollisionProbability:
    """The 2D Pc of a conjunction from both states at TCA and their position covariances.

    Positions km, velocities km/s, covariances km² (one inertial frame), the combined hard-body
    radius in metres. ``estimated`` marks covariances from a model rather than from a CDM.
    """
    radius_km = _check_radius(hard_body_radius_m) / 1000.0
    geometry = encounter_geometry(r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2)
    m, c = geometry.miss_plane_km, geometry.covariance_plane_km2
    p_max, scale = pc_max(m, c, radius_km)
    return CollisionProbability(
        pc=pc_foster(m, c, radius_km),
        pc_chan=pc_chan(m, c, radius_km),
        pc_max=p_max,
        pc_max_scale=scale,
        hard_body_radius_m=float(hard_body_radius_m),
        geometry=geometry,
        estimated=estimated,
        covariance_source=covariance_source,
    )


# --- covariance model for element sets --------------------------------------------------------


@dataclass(frozen=True)
class RtnSigmas:
    """1-sigma position errors (km) radial, in-track, cross-track: at epoch and growth per day."""

    at_epoch_km: tuple[float, float, float]
    growth_km_per_day: tuple[float, float, float]

    def __post_init__(self) -> None:
        values = (*self.at_epoch_km, *self.growth_km_per_day)
        if len(values) != 6 or not all(math.isfinite(x) and x >= 0.0 for x in values):
            raise ValidationError(
                "RTN sigmas need three non-negative values at epoch and three growth rates (km,"
                " km/day)"
            )
        if not all(x > 0.0 for x in self.at_epoch_km):
            raise ValidationError("RTN sigmas at epoch must be positive (km)")

    def at_age(self, age_days: float) -> FloatArray:
        """Sigmas (km) after ``age_days`` of propagation from the element-set epoch (either way)."""
        return np.asarray(self.at_epoch_km) + abs(float(age_days)) * np.asarray(
            self.growth_km_per_day
        )


@dataclass(frozen=True)
class ElementSetCovarianceModel:
    """Position covariance of an element set from its object type and age (no CDM available).

    A diagonal covariance in the object's RTN axes: ``σ_i(age) = σ_i(epoch) + g_i |age|`` per
    object type. Published TLE accuracy studies (e.g. Flohrer, Krag & Klinkrad 2008, "Assessment
    and categorization of TLE orbit errors for the US SSN catalogue", AMOS; Kelso 2007, AAS
    07-127) give such figures; this model carries none of its own: the numbers and their
    ``source`` are passed in, and every Pc computed from them is labelled estimated.
    """

    by_type: Mapping[ObjectType, RtnSigmas]
    source: str

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ValidationError(
                "a covariance model needs its source (a citation, or 'assumed: ...')"
            )

    def covariance(self, r_km: ArrayLike, v_km_s: ArrayLike, object_type: ObjectType | str,
                   age_days: float) -> FloatArray:
        """Inertial 3x3 position covariance (km²) of an object of this type and element-set age."""
        try:
            kind = ObjectType(object_type)
        except ValueError:
            names = ", ".join(t.value for t in ObjectType)
            raise ValidationError(
                f"unknown object type {object_type!r}: use one of {names}"
            ) from None
        if kind not in self.by_type:
            raise ValidationError(
                f"the covariance model ({self.source}) has no sigmas for {kind.value}: add them"
            )
        if not math.isfinite(float(age_days)):
            raise ValidationError(f"element-set age {age_days!r} is not a number of days")
        sig = self.by_type[kind].at_age(age_days)
        return covariance_rtn_to_inertial(np.diag(sig * sig), r_km, v_km_s)

    def collision_probability(
        self, r1_km: ArrayLike, v1_km_s: ArrayLike, type1: ObjectType | str, age1_days: float,
        r2_km: ArrayLike, v2_km_s: ArrayLike, type2: ObjectType | str, age2_days: float,
        hard_body_radius_m: float,
    ) -> CollisionProbability:
        """Estimated Pc of two element-set objects (states at TCA, ages at TCA)."""
        return collision_probability(
            r1_km, v1_km_s, self.covariance(r1_km, v1_km_s, type1, age1_days),
            r2_km, v2_km_s, self.covariance(r2_km, v2_km_s, type2, age2_days),
            hard_body_radius_m, estimated=True, covariance_source=self.source,
        )


# --- input checks -----------------------------------------------------------------------------


def _vector(value: ArrayLike, what: str) -> FloatArray:
    a = np.asarray(value, dtype=np.float64)
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise ValidationError(f"the {what} must be three finite numbers, got {value!r}")
    return a


def _matrix(value: ArrayLike, what: str) -> FloatArray:
    a = np.asarray(value, dtype=np.float64)
    if a.shape != (3, 3) or not np.all(np.isfinite(a)):
        raise ValidationError(f"the {what} must be a finite 3x3 matrix (km²)")
    return a


def check_covariance(value: ArrayLike, who: str) -> FloatArray:
    """``value`` as a symmetric positive semi-definite 3x3 position covariance (km², symmetrised),
    or :class:`ValidationError` naming ``who``."""
    c = _matrix(value, f"position covariance of {who}")
    scale = float(np.max(np.abs(c)))
    if not np.allclose(c, c.T, rtol=1e-6, atol=1e-9 * scale):
        raise ValidationError(
            f"the position covariance of {who} is not symmetric: give the full symmetric 3x3"
            " matrix (km²)"
        )
    c = 0.5 * (c + c.T)
    lam = np.linalg.eigvalsh(c)
    if lam[0] < -PSD_RTOL * max(lam[-1], 0.0) or lam[-1] < 0.0:
        raise ValidationError(
            f"the position covariance of {who} is not positive semi-definite (smallest"
            f" eigenvalue {lam[0]:.3g} km²): a covariance has no negative variances; check its"
            " units and signs or repair it before computing a Pc"
        )
    return c
