"""The element-set accuracy measurement (orbit/tle_accuracy.py) on synthetic histories with a
planted error, and its pieces: the outlier rule, the bins, the constrained fit, bad input.

Synthetic histories: a drag-free LEO element set is re-epoched exactly by SGP4's own secular
rates (mean anomaly, argument of perigee, node: with BSTAR = 0 SGP4's trajectory depends on the
epoch only through them), so a re-epoched copy is a perfect pseudo-truth. The "older" set of each
pair carries a planted error: its mean anomaly offset by δM (an in-track offset r·δM at epoch)
and its mean motion by δn (an in-track drift at the rate r·Δ(ṁ + ω̇ + Ω̇ cos i)). The measured
in-track sigma must then be s0 = r·δM and g = that rate.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.orbit.collision import ObjectType
from spacehome.orbit.elements import from_omm, satrec
from spacehome.orbit.tle_accuracy import (
    DifferenceSamples,
    ElementHistory,
    age_bins,
    difference_samples,
    fit_linear_growth,
    fit_model,
    fit_type,
    history_by_object,
    object_type_from_name,
    object_type_from_satcat,
    robust_sigma,
)

EPOCH0 = datetime(2026, 7, 1, tzinfo=UTC)
MINUTES_PER_DAY = 1440.0
#: Pair ages (days): one per bin of the default edges, six objects at each.
AGES_DAYS = (0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.5, 4.5, 5.5, 6.5)
DELTA_M_DEG = 0.0005  # ≈ 60 m in-track at epoch
DELTA_N_REV_PER_DAY = 2e-6  # ≈ 0.086 km/day in-track drift


def omm(number: int, epoch: datetime, *, n: float = 15.5, raan: float = 100.0,
        argp: float = 90.0, m: float = 10.0, incl: float = 51.6) -> ElementSet:
    return from_omm({
        "NORAD_CAT_ID": number, "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "MEAN_MOTION": n, "ECCENTRICITY": 0.0005, "INCLINATION": incl,
        "RA_OF_ASC_NODE": raan % 360.0, "ARG_OF_PERICENTER": argp % 360.0,
        "MEAN_ANOMALY": m % 360.0, "BSTAR": 0.0, "MEAN_MOTION_DOT": 0.0,
        "MEAN_MOTION_DDOT": 0.0, "OBJECT_NAME": f"TEST {number}",
    })


def reepoch(base: ElementSet, days: float) -> ElementSet:
    """The same drag-free SGP4 trajectory, described at ``days`` after the base epoch."""
    sat = satrec(base)
    minutes = days * MINUTES_PER_DAY
    return omm(
        base.catalog_number, base.epoch + timedelta(days=days), n=base.mean_motion_rev_per_day,
        raan=base.raan_deg + math.degrees(sat.nodedot * minutes),
        argp=base.arg_perigee_deg + math.degrees(sat.argpdot * minutes),
        m=base.mean_anomaly_deg + math.degrees(sat.mdot * minutes),
        incl=base.inclination_deg,
    )


def planted_histories(delta_m_deg: float = DELTA_M_DEG,
                      delta_n: float = DELTA_N_REV_PER_DAY) -> list[ElementHistory]:
    out = []
    number = 90000
    for age in AGES_DAYS:
        for k in range(6):
            number += 1
            truth0 = omm(number, EPOCH0, raan=30.0 * k, m=47.0 * k + 5.0)
            older = omm(number, EPOCH0, raan=30.0 * k, m=47.0 * k + 5.0 + delta_m_deg,
                        n=15.5 + delta_n)
            out.append(ElementHistory(ObjectType.DEBRIS, (older, reepoch(truth0, age))))
    return out


def planted_rate_km_per_day() -> tuple[float, float]:
    """Expected in-track offset at epoch (km) and drift (km/day) of the planted error."""
    true = satrec(omm(1, EPOCH0))
    pert = satrec(omm(1, EPOCH0, n=15.5 + DELTA_N_REV_PER_DAY))
    r_km = true.a * true.radiusearthkm
    du = (pert.mdot + pert.argpdot + pert.nodedot * math.cos(true.inclo)) - (
        true.mdot + true.argpdot + true.nodedot * math.cos(true.inclo))
    return r_km * math.radians(DELTA_M_DEG), r_km * du * MINUTES_PER_DAY


# --- the method end to end --------------------------------------------------------------------


def test_reepoched_truth_has_no_difference() -> None:
    """The synthetic pseudo-truth is exact: an unperturbed older set differs by < 1 m."""
    base = omm(1, EPOCH0)
    history = ElementHistory(ObjectType.PAYLOAD, (base, reepoch(base, 3.0), reepoch(base, 6.5)))
    samples = difference_samples([history])
    assert len(samples) == 3
    assert float(np.max(np.abs(samples.rtn_km))) < 1e-3


def test_planted_error_is_recovered() -> None:
    s0_expected, g_expected = planted_rate_km_per_day()
    assert s0_expected == pytest.approx(0.06, rel=0.05)  # the plant is what the docstring says
    samples = difference_samples(planted_histories())
    assert len(samples) == 60
    assert samples.failed_pairs == 0
    np.testing.assert_allclose(np.sort(np.unique(np.round(samples.age_days, 9))), AGES_DAYS)
    model = fit_type(samples, ObjectType.DEBRIS)
    assert [b.count for b in model.bins] == [6] * 10
    assert model.objects == 60
    assert model.samples == 60
    assert model.rejected == 0
    s0_t, g_t = model.sigmas.at_epoch_km[1], model.sigmas.growth_km_per_day[1]
    # Tolerances: 3 % on both (the in-track axis is not exactly the along-track arc, the orbit
    # radius varies by e·a, and the bin value is an RMS over six geometries).
    assert s0_t == pytest.approx(s0_expected, rel=0.03)
    assert g_t == pytest.approx(g_expected, rel=0.03)
    # The radial and cross-track errors of a mean-anomaly/mean-motion plant are small.
    assert max(model.sigmas.at_epoch_km[0], model.sigmas.at_epoch_km[2]) < 0.1 * s0_t
    assert max(model.sigmas.growth_km_per_day[0], model.sigmas.growth_km_per_day[2]) < 0.1 * g_t


def test_sigma_at_epoch_from_youngest_bin_when_the_fit_runs_through_zero() -> None:
    samples = difference_samples(planted_histories(delta_m_deg=0.0))
    model = fit_type(samples, ObjectType.DEBRIS)
    assert model.at_epoch_from_youngest_bin[1] is True
    youngest = model.bins[0]
    assert model.sigmas.at_epoch_km[1] == youngest.sigma_km[1]
    assert youngest.sigma_km[1] == pytest.approx(0.25 * planted_rate_km_per_day()[1], rel=0.03)
    # With s0 held at the youngest bin's value, the growth is refitted through it: the planted
    # rate less s0 · Σ age / Σ age² (equal counts in every bin).
    _, g_true = planted_rate_km_per_day()
    ages = np.array(AGES_DAYS)
    g_expected = g_true - youngest.sigma_km[1] * ages.sum() / (ages * ages).sum()
    assert model.sigmas.growth_km_per_day[1] == pytest.approx(g_expected, rel=0.03)


def test_max_age_and_duplicate_epochs() -> None:
    base = omm(7, EPOCH0)
    sets = (base, reepoch(base, 2.0), reepoch(base, 9.0), reepoch(base, 2.0 + 0.5 / 86400.0))
    samples = difference_samples([ElementHistory(ObjectType.PAYLOAD, sets)], max_age_days=7.0)
    # The set half a second after the 2-day one is a duplicate; 0 -> 9 d is beyond 7 days.
    np.testing.assert_allclose(np.sort(samples.age_days), [2.0, 7.0], atol=1e-9)


def test_histories_of_one_set_give_no_samples_and_fit_model_says_so() -> None:
    samples = difference_samples([ElementHistory(ObjectType.PAYLOAD, (omm(3, EPOCH0),))])
    assert len(samples) == 0
    with pytest.raises(ValidationError, match="no difference samples"):
        fit_model(samples)


def test_fit_model_fits_each_type_present() -> None:
    histories = planted_histories()
    payloads = [ElementHistory(ObjectType.PAYLOAD, h.sets) for h in histories]
    models = fit_model(difference_samples(histories + payloads))
    assert list(models) == [ObjectType.PAYLOAD, ObjectType.DEBRIS]
    assert models[ObjectType.PAYLOAD].sigmas == models[ObjectType.DEBRIS].sigmas


# --- outlier rule, bins, fit -------------------------------------------------------------------


def test_robust_sigma_rejects_gross_outliers_and_keeps_a_gaussian() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, [1.0, 3.0, 0.5], size=(20000, 3))
    sigma, keep = robust_sigma(x)
    assert keep.mean() > 0.999  # a Gaussian loses (almost) nothing to a 5-sigma clip
    np.testing.assert_allclose(sigma, [1.0, 3.0, 0.5], rtol=0.03)
    x[:50, 1] = 500.0  # manoeuvres: one axis wildly off rejects the whole row
    sigma2, keep2 = robust_sigma(x)
    assert not keep2[:50].any()
    np.testing.assert_allclose(sigma2, [1.0, 3.0, 0.5], rtol=0.03)


def test_robust_sigma_is_about_zero_not_the_mean() -> None:
    """A bias stays in the sigma: constant 2 km gives 2 km, not 0."""
    sigma, keep = robust_sigma(np.full((10, 3), 2.0))
    np.testing.assert_allclose(sigma, [2.0, 2.0, 2.0])
    assert keep.all()


def test_age_bins_skip_sparse_bins() -> None:
    samples = DifferenceSamples(
        catalog_numbers=np.arange(8, dtype=np.int64), object_types=(ObjectType.DEBRIS,) * 8,
        age_days=np.array([0.1, 0.2, 0.3, 0.4, 0.45, 3.0, 3.1, 3.2]),
        rtn_km=np.ones((8, 3)), failed_pairs=0,
    )
    bins = age_bins(samples, min_count=5)
    assert [(b.lo_days, b.hi_days, b.count) for b in bins] == [(0.0, 0.5, 5)]
    assert bins[0].mean_age_days == pytest.approx(0.29)


def test_fit_linear_growth_exact_and_constrained() -> None:
    ages = [0.5, 1.0, 2.0, 4.0]
    assert fit_linear_growth(ages, [0.2 + 0.1 * a for a in ages], [1, 1, 1, 1]) == pytest.approx(
        (0.2, 0.1))
    # Falling sigmas: the growth is held at 0 and s0 is the weighted mean.
    s0, g = fit_linear_growth([1.0, 2.0], [3.0, 1.0], [1.0, 3.0])
    assert (s0, g) == pytest.approx((1.5, 0.0))
    # A line through negative s0: the intercept is held at 0.
    s0, g = fit_linear_growth([1.0, 2.0, 3.0], [0.5, 1.5, 2.5], [1.0, 1.0, 1.0])
    assert s0 == 0.0
    assert g == pytest.approx((0.5 + 3.0 + 7.5) / 14.0)


# --- object types ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [
    ("FENGYUN 1C DEB", ObjectType.DEBRIS),
    ("COSMOS 2251 DEB", ObjectType.DEBRIS),
    ("SL-16 R/B", ObjectType.ROCKET_BODY),
    ("DELTA 2 R/B(1)", ObjectType.ROCKET_BODY),
    ("CELESTIS-02 & TAURUS R/B", ObjectType.ROCKET_BODY),
    ("HST", ObjectType.PAYLOAD),
    ("DEBUT (ORIZURU)", ObjectType.PAYLOAD),  # "DEB" only as a word start after a blank
    (None, ObjectType.PAYLOAD),
])
def test_object_type_from_name(name: str | None, kind: ObjectType) -> None:
    assert object_type_from_name(name) is kind


def test_object_type_from_satcat() -> None:
    assert object_type_from_satcat("DEB") is ObjectType.DEBRIS
    assert object_type_from_satcat(" r/b ") is ObjectType.ROCKET_BODY
    assert object_type_from_satcat("PAY") is ObjectType.PAYLOAD
    assert object_type_from_satcat("UNK") is None
    with pytest.raises(ValidationError, match="OBJECT_TYPE"):
        object_type_from_satcat("TBA")


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input_raises_teaching_errors() -> None:
    a, b = omm(1, EPOCH0), omm(2, EPOCH0)
    with pytest.raises(ValidationError, match="one object"):
        ElementHistory(ObjectType.DEBRIS, (a, b))
    with pytest.raises(ValidationError, match="at least one element set"):
        ElementHistory(ObjectType.DEBRIS, ())
    with pytest.raises(ValidationError, match="object type"):
        ElementHistory("debris", (a,))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no element-set histories"):
        difference_samples([])
    with pytest.raises(ValidationError, match="max_age_days"):
        difference_samples([ElementHistory(ObjectType.DEBRIS, (a,))], max_age_days=0.0)
    with pytest.raises(ValidationError, match="no object type"):
        history_by_object([a, b], {1: ObjectType.DEBRIS})
    with pytest.raises(ValidationError, match="non-empty"):
        robust_sigma(np.ones((4, 2)))
    with pytest.raises(ValidationError, match="clip"):
        robust_sigma(np.ones((4, 3)), clip=0.0)
    samples = difference_samples(planted_histories())
    with pytest.raises(ValidationError, match="edges"):
        age_bins(samples, edges_days=[0.0, 2.0, 1.0])
    with pytest.raises(ValidationError, match="no samples of type payload"):
        fit_type(samples, ObjectType.PAYLOAD)
    with pytest.raises(ValidationError, match="holds 100 samples"):
        fit_type(samples, ObjectType.DEBRIS, min_count=100)
    with pytest.raises(ValidationError, match="weight"):
        fit_linear_growth([1.0], [1.0], [0.0])


def test_history_by_object_groups_and_sorts() -> None:
    a1, a2, b1 = omm(5, EPOCH0), reepoch(omm(5, EPOCH0), 1.0), omm(4, EPOCH0)
    histories = history_by_object([a2, b1, a1],
                                  {4: ObjectType.PAYLOAD, 5: ObjectType.ROCKET_BODY})
    assert [(h.catalog_number, h.object_type, len(h.sets)) for h in histories] == [
        (4, ObjectType.PAYLOAD, 1), (5, ObjectType.ROCKET_BODY, 2)]
