"""Fixtures for the persistence tests: a migrated engine on each database of ``database_url``
(the root ``tests/conftest.py``: SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from spacehome.domain.elements import ElementSet, Provenance
from spacehome.persistence.element_history import ElementHistory
from spacehome.persistence.engine import open_database


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on the empty database, disposed after the test."""
    migrated = open_database(database_url)
    yield migrated
    migrated.dispose()


@pytest.fixture
def history(engine: Engine) -> ElementHistory:
    return ElementHistory(engine)


#: CSS (Tianhe), the real element set from CelesTrak's GP data (TLE lines below).
CSS_LINE1 = "1 48274U 21035A   26249.26095405  .00013514  00000+0  16863-3 0  9990"
CSS_LINE2 = "2 48274  41.4675 189.8186 0002350 260.0025 100.0548 15.59622579305827"
CSS_EPOCH = datetime(2026, 9, 6, 6, 15, 46, 429920, tzinfo=UTC)


def _css_set(**changes: object) -> ElementSet:
    values: dict[str, object] = {
        "catalog_number": 48274,
        "name": "CSS (TIANHE)",
        "international_designator": "2021-035A",
        "epoch": CSS_EPOCH,
        "mean_motion_rev_per_day": 15.59622579,
        "eccentricity": 0.000235,
        "inclination_deg": 41.4675,
        "raan_deg": 189.8186,
        "arg_perigee_deg": 260.0025,
        "mean_anomaly_deg": 100.0548,
        "bstar_per_earth_radius": 0.00016863,
        "mean_motion_dot_rev_per_day2": 0.00013514,
        "mean_motion_ddot_rev_per_day3": 0.0,
        "element_set_number": 999,
        "rev_at_epoch": 30582,
        "classification": "U",
        "line1": CSS_LINE1,
        "line2": CSS_LINE2,
    }
    values.update(changes)
    return ElementSet(**values)  # type: ignore[arg-type]


@pytest.fixture
def css() -> Callable[..., ElementSet]:
    """Factory of the CSS (Tianhe) element set of 2026-09-06T06:15:46.429920Z.

    Keyword arguments replace fields: ``css(epoch=..., mean_anomaly_deg=...)``.
    """
    return _css_set


@pytest.fixture
def celestrak() -> Callable[[datetime], Provenance]:
    """Factory of a CelesTrak provenance obtained at the given instant."""

    def _provenance(obtained_at: datetime) -> Provenance:
        return Provenance(
            source="https://celestrak.org/NORAD/elements/gp.php?CATNR=48274&FORMAT=TLE",
            obtained_at=obtained_at,
        )

    return _provenance
