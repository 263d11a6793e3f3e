"""Element-set (TLE) accuracy measured from element-set histories: the data behind
:class:`~spacehome.orbit.collision.ElementSetCovarianceModel`.

Method (the one of Osweiler 2006, "Covariance estimation and autocorrelation of NORAD two-line
element sets", AFIT thesis AFIT/GSS/ENS/06-01, and of Flohrer, Krag & Klinkrad 2008, "Assessment
and categorization of TLE orbit errors for the US SSN catalogue", AMOS): they are cited for the
method only; every number comes from the histories passed in.

1. **Pairs.** Per object, the element sets are sorted by epoch (a repeated epoch counts once) and
   every older set is propagated with SGP4 to the epoch of every later set at most
   ``max_age_days`` younger. The later set evaluated at its own epoch is the pseudo-truth: its
   error at age 0 is small next to the propagated set's, so the difference measures the older
   set's error after ``age`` days (and slightly over-states it, by the newer set's own epoch
   error, which the fit's value at age 0 absorbs).
2. **Frame.** The position difference (propagated minus truth, km) is expressed in the truth
   state's radial, in-track and cross-track axes (:func:`~spacehome.orbit.collision.rtn_basis`).
3. **Robust 1-sigma per age bin.** Per object type and age bin, per axis, a robust scale about
   zero ``s = 1.4826 · median(|x|)`` (the normal-consistent MAD about zero); a sample beyond
   ``clip · s`` (default 5) on *any* axis is rejected on all three (a manoeuvre or a cross-tagged
   element set corrupts the whole vector), and the 1-sigma is the RMS **about zero** of the
   samples kept. About zero, not about the mean: a covariance used for a Pc must carry the
   element sets' bias too (drag mis-modelling drifts in-track one way), so the RMS is the honest
   second moment; the clip only removes events that are not element-set errors, and a Gaussian
   population loses under 1e-6 of its samples to it.
4. **Linear growth.** Per axis ``σ(age) = s0 + g · age`` by least squares over the bins, each bin
   weighted by its sample count, with ``s0, g ≥ 0`` (the constrained optimum of a two-parameter
   problem is found exactly: the free optimum if feasible, else the better of the two edges).
   Where that optimum puts ``s0`` at 0 (the bins do not resolve the error at epoch: consecutive
   element sets come from overlapping observation spans, so their short-age differences are
   small), ``s0`` is taken as the youngest bin's measured sigma and ``g`` refitted with it held;
   :attr:`TypeModel.at_epoch_from_youngest_bin` says on which axes.

Units: km, days. Failed propagations (decay, bad elements) are counted, never raised.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError

from .collision import ObjectType, RtnSigmas, rtn_basis
from .elements import satrec
from .propagation import propagate_teme

FloatArray = NDArray[np.float64]

#: Age-bin edges (days) used unless others are given: finer where the fit's intercept is set.
DEFAULT_BIN_EDGES_DAYS: Final = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0)
#: Default largest propagation age (days).
DEFAULT_MAX_AGE_DAYS: Final = 7.0
#: Default rejection threshold, in robust sigmas about zero.
DEFAULT_CLIP: Final = 5.0
#: Default smallest number of samples for an age bin to enter the fit.
DEFAULT_MIN_BIN_COUNT: Final = 5
#: Normal-consistency factor of the median absolute value: sigma = 1.4826 · median(|x|).
MAD_TO_SIGMA: Final = 1.4826
#: Low Earth orbit as the model's figures are meant: period below 225 min (NORAD's near-Earth
#: limit for SGP4), i.e. mean motion above 1440/225 = 6.4 rev/day.
LEO_MAX_PERIOD_MIN: Final = 225.0

_DEBRIS_WORD = re.compile(r"\bDEB\b")
_ROCKET_BODY_WORD = re.compile(r"\bR/B\b")

#: Element sets of one object whose epochs differ by at most this (s) are one set: the catalog
#: re-issues a set with its epoch's last digit changed (10 µs), which is no new information.
SAME_EPOCH_S: Final = 1.0


@dataclass(frozen=True)
class ElementHistory:
    """Element sets of one object at several epochs, and the object's type."""

    object_type: ObjectType
    sets: tuple[ElementSet, ...]

    def __post_init__(self) -> None:
        if not self.sets:
            raise ValidationError("an element-set history needs at least one element set")
        numbers = {s.catalog_number for s in self.sets}
        if len(numbers) != 1:
            raise ValidationError(
                f"an element-set history holds one object, got catalog numbers {sorted(numbers)};"
                " group the sets by catalog number first"
            )
        if not isinstance(self.object_type, ObjectType):
            raise ValidationError(
                f"object type {self.object_type!r} is not one of"
                f" {', '.join(t.value for t in ObjectType)}"
            )

    @property
    def catalog_number(self) -> int:
        return self.sets[0].catalog_number


@dataclass(frozen=True)
class DifferenceSamples:
    """Propagated-minus-truth position differences in the truth's RTN axes, one row a pair."""

    catalog_numbers: NDArray[np.int64]
    object_types: tuple[ObjectType, ...]
    age_days: FloatArray
    rtn_km: FloatArray
    #: Pairs whose propagation failed (sgp4 error code), left out of the arrays.
    failed_pairs: int

    def __len__(self) -> int:
        return int(self.age_days.shape[0])

    def of_type(self, kind: ObjectType) -> DifferenceSamples:
        """The samples of one object type."""
        mask = np.array([t is kind for t in self.object_types], dtype=bool)
        return DifferenceSamples(
            catalog_numbers=self.catalog_numbers[mask],
            object_types=tuple(t for t in self.object_types if t is kind),
            age_days=self.age_days[mask],
            rtn_km=self.rtn_km[mask],
            failed_pairs=0,
        )


@dataclass(frozen=True)
class AgeBin:
    """Robust 1-sigma of the samples in one age bin, per axis (radial, in-track, cross-track)."""

    lo_days: float
    hi_days: float
    mean_age_days: float
    count: int
    rejected: int
    sigma_km: tuple[float, float, float]


@dataclass(frozen=True)
class TypeModel:
    """The measured model of one object type, with the counts behind it."""

    object_type: ObjectType
    objects: int
    samples: int
    rejected: int
    min_age_days: float
    max_age_days: float
    bins: tuple[AgeBin, ...]
    sigmas: RtnSigmas
    #: Per axis: True where the fit's intercept was zero and s0 is the youngest bin's sigma.
    at_epoch_from_youngest_bin: tuple[bool, bool, bool]


def history_by_object(
    sets: Iterable[ElementSet], object_types: Mapping[int, ObjectType],
) -> list[ElementHistory]:
    """Group element sets by catalog number into histories; each object's type from the map."""
    groups: dict[int, list[ElementSet]] = {}
    for s in sets:
        groups.setdefault(s.catalog_number, []).append(s)
    missing = sorted(set(groups) - set(object_types))
    if missing:
        raise ValidationError(
            f"no object type for catalog numbers {missing[:5]}{' ...' if len(missing) > 5 else ''};"
            " give a type for every object"
        )
    return [ElementHistory(object_types[n], tuple(g)) for n, g in sorted(groups.items())]


def object_type_from_name(name: str | None) -> ObjectType:
    """The catalog naming convention: ``... DEB`` is debris, ``... R/B`` a rocket body, else payload.

    The space-track/CelesTrak names mark fragments with `` DEB`` (``FENGYUN 1C DEB``) and spent
    stages with `` R/B`` (``SL-16 R/B``, ``DELTA 2 R/B(1)``); a name without either is taken as a
    payload. ``DEB`` must be a whole word (``DEBUT (ORIZURU)`` is a payload). Use the SATCAT's
    OBJECT_TYPE where available (:func:`object_type_from_satcat`).
    """
    text = (name or "").upper()
    if _DEBRIS_WORD.search(text):
        return ObjectType.DEBRIS
    if _ROCKET_BODY_WORD.search(text):
        return ObjectType.ROCKET_BODY
    return ObjectType.PAYLOAD


#: OMM ``OBJECT_TYPE`` values (Space-Track's GP class) and the model's object types.
_OMM_TYPES = {
    "PAYLOAD": ObjectType.PAYLOAD, "ROCKET BODY": ObjectType.ROCKET_BODY, "DEBRIS": ObjectType.DEBRIS,
}


def object_type_of(elements: ElementSet) -> ObjectType | None:
    """The object type of an element set: the OMM ``OBJECT_TYPE`` when its source gave one
    (``UNKNOWN`` → None), else from the name by :func:`object_type_from_name`; None without either."""
    if elements.object_type is not None:
        return _OMM_TYPES.get(elements.object_type)
    if not (elements.name or "").strip():
        return None
    return object_type_from_name(elements.name)


def object_type_from_satcat(code: str) -> ObjectType | None:
    """CelesTrak SATCAT ``OBJECT_TYPE`` (``PAY``, ``R/B``, ``DEB``, ``UNK``) → type; UNK → None."""
    kinds = {"PAY": ObjectType.PAYLOAD, "R/B": ObjectType.ROCKET_BODY, "DEB": ObjectType.DEBRIS}
    key = code.strip().upper()
    if key == "UNK":
        return None
    if key not in kinds:
        raise ValidationError(
            f"SATCAT OBJECT_TYPE {code!r} is not one of PAY, R/B, DEB, UNK"
        )
    return kinds[key]


def difference_samples(
    histories: Sequence[ElementHistory], *, max_age_days: float = DEFAULT_MAX_AGE_DAYS,
) -> DifferenceSamples:
    """Every pair (older set → later epoch within ``max_age_days``) of every history, in RTN.

    Sets whose epochs lie within :data:`SAME_EPOCH_S` count once (the earliest kept, the first
    met among equal epochs). See the module notes for the method.
    """
    if not histories:
        raise ValidationError("no element-set histories given: pass at least one object")
    if not (math.isfinite(max_age_days) and max_age_days > 0.0):
        raise ValidationError(
            f"max_age_days is {max_age_days!r}: give a positive number of days (e.g. 7)"
        )
    numbers: list[int] = []
    kinds: list[ObjectType] = []
    ages: list[float] = []
    rows: list[FloatArray] = []
    failed = 0
    for history in histories:
        if not isinstance(history, ElementHistory):
            raise ValidationError("difference_samples takes ElementHistory values")
        sets = _unique_by_epoch(history.sets)
        if len(sets) < 2:
            continue
        sats = [satrec(s) for s in sets]
        jd = np.array([float(s.jdsatepoch) for s in sats])
        fr = np.array([float(s.jdsatepochF) for s in sats])
        # Every set at every epoch: row i, column j is set i at set j's epoch.
        states = propagate_teme(sets, jd, fr)
        epoch_days = (jd - jd[0]) + fr - fr[0]
        for j in range(1, len(sets)):
            truth_r, truth_v = states.r_km[j, j], states.v_km_s[j, j]
            older = [i for i in range(j) if epoch_days[j] - epoch_days[i] <= max_age_days]
            if states.status[j, j] != 0:
                failed += len(older)
                continue
            basis = rtn_basis(truth_r, truth_v)
            for i in older:
                age = float(epoch_days[j] - epoch_days[i])
                if states.status[i, j] != 0:
                    failed += 1
                    continue
                numbers.append(history.catalog_number)
                kinds.append(history.object_type)
                ages.append(age)
                rows.append(basis @ (states.r_km[i, j] - truth_r))
    return DifferenceSamples(
        catalog_numbers=np.array(numbers, dtype=np.int64),
        object_types=tuple(kinds),
        age_days=np.array(ages, dtype=np.float64),
        rtn_km=np.array(rows, dtype=np.float64).reshape(-1, 3),
        failed_pairs=failed,
    )


def robust_sigma(rtn_km: FloatArray, *, clip: float = DEFAULT_CLIP) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Per-axis RMS about zero after the outlier rule; and the mask of the rows kept.

    The rule (module notes, step 3): rows beyond ``clip`` times ``1.4826 · median(|x|)`` on any
    axis are rejected.
    """
    x = np.asarray(rtn_km, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 3 or x.shape[0] == 0 or not np.all(np.isfinite(x)):
        raise ValidationError("robust_sigma needs a non-empty (n, 3) array of finite km values")
    if not (math.isfinite(clip) and clip > 0.0):
        raise ValidationError(f"the clip is {clip!r}: give a positive number of robust sigmas")
    scale = MAD_TO_SIGMA * np.median(np.abs(x), axis=0)
    # A zero scale (more than half the values exactly zero) rejects nothing on that axis.
    limit = np.where(scale > 0.0, clip * scale, np.inf)
    keep = np.all(np.abs(x) <= limit, axis=1)
    kept = x[keep]
    return np.sqrt(np.mean(kept * kept, axis=0)), keep


def age_bins(
    samples: DifferenceSamples, *, edges_days: Sequence[float] = DEFAULT_BIN_EDGES_DAYS,
    clip: float = DEFAULT_CLIP, min_count: int = DEFAULT_MIN_BIN_COUNT,
) -> tuple[AgeBin, ...]:
    """Robust per-axis 1-sigma in each age bin ``[lo, hi)`` holding at least ``min_count`` samples."""
    edges = np.asarray(edges_days, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(
        np.diff(edges) <= 0.0
    ) or edges[0] < 0.0:
        raise ValidationError(
            f"age-bin edges {list(edges_days)!r} must be at least two increasing, non-negative days"
        )
    if min_count < 1:
        raise ValidationError(f"min_count is {min_count}: a bin needs at least one sample")
    out = []
    for lo, hi in itertools.pairwise(edges):
        mask = (samples.age_days >= lo) & (samples.age_days < hi)
        n = int(np.count_nonzero(mask))
        if n < min_count:
            continue
        sigma, keep = robust_sigma(samples.rtn_km[mask], clip=clip)
        ages = samples.age_days[mask][keep]
        out.append(AgeBin(
            lo_days=float(lo), hi_days=float(hi), mean_age_days=float(np.mean(ages)),
            count=int(np.count_nonzero(keep)), rejected=n - int(np.count_nonzero(keep)),
            sigma_km=(float(sigma[0]), float(sigma[1]), float(sigma[2])),
        ))
    return tuple(out)


def fit_linear_growth(
    age_days: ArrayLike, sigma_km: ArrayLike, weights: ArrayLike,
) -> tuple[float, float]:
    """``(s0, g)`` minimising ``Σ w (σ − s0 − g·age)²`` subject to ``s0 ≥ 0, g ≥ 0``."""
    a = np.asarray(age_days, dtype=np.float64)
    s = np.asarray(sigma_km, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if not (a.shape == s.shape == w.shape and a.ndim == 1 and a.size >= 1):
        raise ValidationError("ages, sigmas and weights must be 1-D arrays of one length")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(s)) and np.all(w > 0.0)):
        raise ValidationError("ages and sigmas must be finite and every weight positive")

    def cost(s0: float, g: float) -> float:
        r = s - s0 - g * a
        return float(np.sum(w * r * r))

    candidates: list[tuple[float, float]] = []
    sw, swa, swaa = np.sum(w), np.sum(w * a), np.sum(w * a * a)
    det = sw * swaa - swa * swa
    if a.size >= 2 and det > 1e-12 * sw * swaa:
        sws, swas = np.sum(w * s), np.sum(w * a * s)
        s0 = float((swaa * sws - swa * swas) / det)
        g = float((sw * swas - swa * sws) / det)
        if s0 >= 0.0 and g >= 0.0:
            return s0, g
    candidates.append((max(float(np.sum(w * s) / sw), 0.0), 0.0))  # edge g = 0
    if swaa > 0.0:
        candidates.append((0.0, max(float(np.sum(w * a * s) / swaa), 0.0)))  # edge s0 = 0
    return min(candidates, key=lambda c: cost(*c))


def fit_type(
    samples: DifferenceSamples, kind: ObjectType, *,
    edges_days: Sequence[float] = DEFAULT_BIN_EDGES_DAYS, clip: float = DEFAULT_CLIP,
    min_count: int = DEFAULT_MIN_BIN_COUNT,
) -> TypeModel:
    """Bins and the linear fit of one object type (see the module notes)."""
    own = samples.of_type(kind)
    if len(own) == 0:
        raise ValidationError(f"no samples of type {kind.value}: nothing to fit")
    bins = age_bins(own, edges_days=edges_days, clip=clip, min_count=min_count)
    if not bins:
        raise ValidationError(
            f"no age bin of type {kind.value} holds {min_count} samples: give longer histories"
            " or lower min_count"
        )
    ages = np.array([b.mean_age_days for b in bins])
    counts = np.array([float(b.count) for b in bins])
    fits = []
    floored = []
    for axis in range(3):
        sig = np.array([b.sigma_km[axis] for b in bins])
        s0, g = fit_linear_growth(ages, sig, counts)
        floored.append(s0 <= 0.0)
        if s0 <= 0.0:
            # The constrained fit runs through the origin: the data do not resolve the error at
            # epoch. Take the youngest bin's measured sigma as s0 (what these data can say about
            # it, a slight over-estimate) and refit the growth with s0 held.
            s0 = bins[0].sigma_km[axis]
            if not s0 > 0.0:
                raise ValidationError(
                    f"the {kind.value} sigma at epoch cannot be measured on axis {axis}: the"
                    " youngest age bin has zero spread; add more objects or element sets"
                )
            g = max(float(np.sum(counts * ages * (sig - s0)) / np.sum(counts * ages * ages)), 0.0)
        fits.append((s0, g))
    sigmas = RtnSigmas(
        at_epoch_km=(fits[0][0], fits[1][0], fits[2][0]),
        growth_km_per_day=(fits[0][1], fits[1][1], fits[2][1]),
    )
    in_bins = np.zeros(len(own), dtype=bool)
    for b in bins:
        in_bins |= (own.age_days >= b.lo_days) & (own.age_days < b.hi_days)
    return TypeModel(
        object_type=kind,
        objects=int(np.unique(own.catalog_numbers[in_bins]).size),
        samples=sum(b.count for b in bins),
        rejected=sum(b.rejected for b in bins),
        min_age_days=float(np.min(own.age_days[in_bins])),
        max_age_days=float(np.max(own.age_days[in_bins])),
        bins=bins,
        sigmas=sigmas,
        at_epoch_from_youngest_bin=(floored[0], floored[1], floored[2]),
    )


def fit_model(
    samples: DifferenceSamples, *, edges_days: Sequence[float] = DEFAULT_BIN_EDGES_DAYS,
    clip: float = DEFAULT_CLIP, min_count: int = DEFAULT_MIN_BIN_COUNT,
) -> dict[ObjectType, TypeModel]:
    """:func:`fit_type` for every object type present in ``samples`` (in ``ObjectType`` order)."""
    if len(samples) == 0:
        raise ValidationError(
            "no difference samples: every object needs two element sets within the maximum age"
        )
    present = set(samples.object_types)
    return {
        kind: fit_type(samples, kind, edges_days=edges_days, clip=clip, min_count=min_count)
        for kind in ObjectType if kind in present
    }


def _unique_by_epoch(sets: Sequence[ElementSet]) -> list[ElementSet]:
    """Sorted by epoch; a set within :data:`SAME_EPOCH_S` of the previous one kept is dropped."""
    out: list[ElementSet] = []
    for s in sorted(sets, key=lambda e: e.epoch):
        if not out or (s.epoch - out[-1].epoch).total_seconds() > SAME_EPOCH_S:
            out.append(s)
    return out
