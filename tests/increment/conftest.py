"""Fixtures for the increment tests: the real element sets and a few generated scenarios.

Scenarios are generated per test module (module scope), never cached across the session, so
each test module measures and exercises generation itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spacehome.domain.elements import ElementSet
from spacehome.services.orbit import embedded_element_sets

#: A start one day after the newest embedded element set's epoch (2026-09-06): after the record.
START = datetime(2026, 9, 7, tzinfo=UTC)
#: A start the record covers: the Shenzhou-20 crew is about to leave on the Shenzhou-21 capsule.
START_IN_RECORD = datetime(2025, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def elements() -> ElementSet:
    """The element set of 2026-09-06 (CelesTrak via a public mirror)."""
    return max((e for e, _ in embedded_element_sets()), key=lambda e: e.epoch)


@pytest.fixture(scope="session")
def older_elements() -> ElementSet:
    """The element set of 2026-05-30."""
    return min((e for e, _ in embedded_element_sets()), key=lambda e: e.epoch)
