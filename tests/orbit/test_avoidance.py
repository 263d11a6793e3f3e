"""Avoidance manoeuvre options on a planted conjunction.

The primary is a circular orbit at the station's altitude (41.5°); the secondary a
sun-synchronous-like orbit (97.4°) whose mean anomaly and mean motion were tuned so that the two
cross the primary's ascending node 16 m apart at 2026-09-06T00:00:01.29Z (7.2 km/s, a crossing
of about 56°), found by the screen itself. Covariances: primary 50/300/50 m, secondary
100/500/100 m (1-sigma radial/in-track/cross-track), hard-body radius 20 m: Pc 3.4e-3.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.orbit import avoidance as av
from spacehome.orbit.collision import (
    ElementSetCovarianceModel,
    ObjectType,
    RtnSigmas,
    collision_probability,
    covariance_rtn_to_inertial,
    rtn_basis,
)
from spacehome.orbit.screening import screen

EPOCH = datetime(2026, 9, 6, tzinfo=UTC)
N_CSS = 15.6


def elements(number: int, *, n: float = N_CSS, inc: float = 41.5, m: float = 0.0) -> ElementSet:
    return ElementSet(
        catalog_number=number, name=f"OBJ {number}", international_designator=None, epoch=EPOCH,
        mean_motion_rev_per_day=n, eccentricity=0.0001, inclination_deg=inc, raan_deg=0.0,
        arg_perigee_deg=0.0, mean_anomaly_deg=m, bstar_per_earth_radius=0.0,
        mean_motion_dot_rev_per_day2=0.0, mean_motion_ddot_rev_per_day3=0.0,
    )


PRIMARY = elements(48274)
SECONDARY = elements(90042, n=N_CSS + 0.0123, inc=97.4, m=0.042)


@pytest.fixture(scope="module")
def event():
    result = screen([PRIMARY], [SECONDARY], EPOCH, days=0.1, threshold_km=5.0)
    closest = min(result.events, key=lambda e: e.miss_km)
    assert closest.tca < EPOCH + timedelta(seconds=2)
    return closest


@pytest.fixture(scope="module")
def encounter(event) -> av.Encounter:
    r1, v1 = av.sgp4_state(PRIMARY, event.tca)
    r2, v2 = av.sgp4_state(SECONDARY, event.tca)
    c1 = covariance_rtn_to_inertial(np.diag([0.05, 0.3, 0.05]) ** 2, r1, v1)
    c2 = covariance_rtn_to_inertial(np.diag([0.1, 0.5, 0.1]) ** 2, r2, v2)
    return av.Encounter(PRIMARY, SECONDARY, event.tca, c1, c2, 20.0)


@pytest.fixture(scope="module")
def assessment(encounter) -> av.AvoidanceAssessment:
    return av.assess(encounter, lead_orbits=(1.0, 2.0))


def test_event_is_above_threshold_and_matches_screen_and_pc(event, encounter, assessment) -> None:
    before = assessment.before
    assert event.miss_km == pytest.approx(0.0164, abs=5e-4)
    assert before.miss_km == pytest.approx(event.miss_km, abs=1e-6)
    # RTN components of the miss agree with the screen's to a millimetre.
    assert np.allclose(before.miss_rtn_km, (event.radial_km, event.in_track_km, event.cross_track_km), atol=1e-6)
    r1, v1 = av.sgp4_state(PRIMARY, event.tca)
    r2, v2 = av.sgp4_state(SECONDARY, event.tca)
    ref = collision_probability(r1, v1, encounter.covariance_primary_km2, r2, v2,
                                encounter.covariance_secondary_km2, 20.0)
    assert before.pc == pytest.approx(ref.pc, rel=1e-9)
    assert before.pc == pytest.approx(3.42e-3, rel=0.01)
    assert assessment.needed
    assert len(assessment.options) == 2


@pytest.mark.parametrize("orbits", [0.5, 1.0, 2.0])
def test_linear_drift_agrees_with_numerical_difference(event, orbits: float) -> None:
    """Clohessy–Wiltshire vs two-body + J2 difference: within 0.5 % of the deviation (measured
    0.16-0.26 %; J2 and the 1e-4 eccentricity are what CW leaves out)."""
    period = 86400.0 / N_CSS
    lead = orbits * period
    r1, v1 = av.sgp4_state(PRIMARY, event.tca)
    rb, vb = av.sgp4_state(PRIMARY, event.tca - timedelta(seconds=lead))
    dvs = [0.05, -0.05, 0.5]
    num, _ = av.deviation_numerical(rb, vb, dvs, lead)
    cw, _ = av.deviation_cw(r1, v1, 2.0 * np.pi / period, dvs, lead)
    err = np.linalg.norm(num - cw, axis=1) / np.linalg.norm(cw, axis=1)
    assert np.all(err < 0.005), err
    rtn = num @ rtn_basis(r1, v1).T
    if orbits in (1.0, 2.0):
        # Whole orbits: the drift is along-track, Δs ≈ −3 Δv Δt (prograde falls behind).
        assert rtn[0, 1] == pytest.approx(-3.0 * 0.05e-3 * lead, rel=0.005)
        assert abs(rtn[0, 0]) < 0.01 * abs(rtn[0, 1])
    # Nearly linear in Δv: ten times the burn, ten times the deviation (to 0.2 % of it; the
    # rest is second order, e.g. 18 m radial of 16.6 km after two orbits at 0.5 m/s).
    assert np.linalg.norm(num[2] - 10.0 * num[0]) < 2e-3 * np.linalg.norm(num[2])
    assert np.linalg.norm(num[1] + num[0]) < 2e-3 * np.linalg.norm(num[0])


def test_option_brings_pc_below_threshold_and_is_minimal(encounter, assessment) -> None:
    for option in assessment.options:
        assert option.delta_v_m_s is not None
        assert option.after is not None
        assert option.after.pc < av.DEFAULT_PC_THRESHOLD
        # Checked again, independently of the search, by a fresh propagation.
        again = av.miss_after_burn(encounter, option.burn_time, option.delta_v_m_s)
        assert again.pc < av.DEFAULT_PC_THRESHOLD
        smaller = av.miss_after_burn(encounter, option.burn_time, 0.8 * option.delta_v_m_s)
        assert smaller.pc > av.DEFAULT_PC_THRESHOLD
        # Within the search's 0.1 % bracket: 0.5 % less is already above the threshold.
        near = av.miss_after_burn(encounter, option.burn_time, 0.995 * option.delta_v_m_s)
        assert near.pc > av.DEFAULT_PC_THRESHOLD
        assert option.after.miss_km > 1.0  # a kilometre and more, mostly in-track
        assert abs(option.after.miss_rtn_km[1]) > abs(option.after.miss_rtn_km[0])


def test_pc_decreases_monotonically_beyond_the_option(encounter, assessment) -> None:
    option = assessment.options[0]
    assert option.monotonic
    assert option.delta_v_m_s is not None
    pcs = [av.miss_after_burn(encounter, option.burn_time, k * option.delta_v_m_s).pc
           for k in (1.0, 1.25, 1.5, 2.0)]
    assert all(b < a for a, b in itertools.pairwise(pcs))


def test_bigger_lead_needs_smaller_delta_v(assessment) -> None:
    one, two = assessment.options
    assert one.lead_orbits == pytest.approx(1.0)
    assert two.lead_orbits == pytest.approx(2.0)
    assert one.delta_v_m_s is not None
    assert two.delta_v_m_s is not None
    assert abs(two.delta_v_m_s) < abs(one.delta_v_m_s)
    # The along-track drift grows with Δv·Δt: twice the lead, half the burn.
    assert abs(two.delta_v_m_s) / abs(one.delta_v_m_s) == pytest.approx(0.5, abs=0.02)
    assert abs(one.delta_v_m_s) == pytest.approx(0.0927, rel=0.01)


def test_cw_model_gives_nearly_the_same_options(encounter, assessment) -> None:
    cw = av.assess(encounter, lead_orbits=(1.0, 2.0), model="cw")
    for a, b in zip(assessment.options, cw.options, strict=True):
        assert a.delta_v_m_s is not None
        assert b.delta_v_m_s is not None
        assert b.delta_v_m_s == pytest.approx(a.delta_v_m_s, rel=0.01)


def test_event_below_threshold_needs_no_manoeuvre(encounter) -> None:
    result = av.assess(encounter, threshold=1e-2)
    assert not result.needed
    assert result.options == ()
    assert result.before.pc < 1e-2


def test_no_option_within_the_largest_delta_v(encounter) -> None:
    result = av.assess(encounter, lead_orbits=(1.0,), max_dv_m_s=0.01)
    (option,) = result.options
    assert option.delta_v_m_s is None
    assert option.after is None
    assert option.direction is None


def test_encounter_from_model_is_labelled_estimated(event) -> None:
    model = ElementSetCovarianceModel(
        {ObjectType.STATION: RtnSigmas((0.05, 0.3, 0.05), (0.0, 0.0, 0.0)),
         ObjectType.DEBRIS: RtnSigmas((0.1, 0.5, 0.1), (0.0, 0.0, 0.0))},
        source="assumed: test sigmas",
    )
    enc = av.encounter_from_model(PRIMARY, SECONDARY, event.tca, model, "station", "debris", 20.0)
    result = av.assess(enc, lead_orbits=(2.0,), model="cw")
    assert result.estimated
    assert result.covariance_source == "assumed: test sigmas"
    assert result.before.pc == pytest.approx(3.42e-3, rel=0.01)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"threshold": -1e-4}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"lead_times_s": [-600.0]}, "TCA must come after the burn"),
        ({"lead_times_s": [0.0]}, "TCA must come after the burn"),
        ({"max_dv_m_s": -1.0}, "delta-v"),
        ({"model": "guess"}, "model"),
    ],
)
def test_bad_input_is_a_validation_error(encounter, kwargs, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        av.assess(encounter, **kwargs)


def test_burn_after_tca_is_a_validation_error(encounter) -> None:
    with pytest.raises(ValidationError, match="not before the TCA"):
        av.miss_after_burn(encounter, encounter.tca + timedelta(minutes=5), 0.1)
