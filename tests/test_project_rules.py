"""The projects' pure rules: every legal and illegal state change, roles, the ship, embargoes,
data-product media types and the first cycle's sourced states."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from spacehome.domain.program import Role, RoleError
from spacehome.domain.projects import (
    DATA_STATES,
    TRANSITIONS,
    DataProduct,
    ProjectAuditEntry,
    ProjectState,
    add_months,
    allowed_targets,
    check_data_delivery,
    embargo_end,
    transition,
)
from spacehome.errors import ConflictError, NaiveTimeError, ValidationError
from spacehome.services.first_cycle import sourced_state
from spacehome.services.projects import sniff_data_type

P = ProjectState
NOW = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)

LEGAL: set[tuple[ProjectState, ProjectState]] = {
    (P.SELECTED, P.DEVELOPMENT),
    (P.DEVELOPMENT, P.HARDWARE_DELIVERED),
    (P.HARDWARE_DELIVERED, P.LAUNCHED),
    (P.LAUNCHED, P.OPERATING),
    (P.OPERATING, P.COMPLETED),
    *((state, P.CANCELLED) for state in P if state not in (P.COMPLETED, P.CANCELLED)),
}


def _order(pair: tuple[ProjectState, ProjectState]) -> tuple[str, str]:
    return pair[0].value, pair[1].value


def _move(
    current: ProjectState, target: ProjectState, role: Role = Role.PROGRAM_OFFICER
) -> ProjectAuditEntry:
    return transition(
        "p1",
        current,
        target,
        now=NOW,
        actor="officer-1",
        actor_role=role,
        why="hardware lost" if target is P.CANCELLED else "",
        launched_on="tianzhou-8" if target is P.LAUNCHED else None,
    )


def test_the_table_holds_exactly_the_legal_pairs() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == LEGAL
    assert allowed_targets(P.SELECTED) == (P.DEVELOPMENT, P.CANCELLED)
    assert allowed_targets(P.COMPLETED) == ()


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL, key=_order))
def test_every_legal_change_gives_its_audit_entry(
    current: ProjectState, target: ProjectState
) -> None:
    entry = _move(current, target)
    assert entry.from_state is current
    assert entry.to_state is target
    assert entry.actor == "officer-1"
    assert entry.at == NOW
    assert entry.launched_on == ("tianzhou-8" if target is P.LAUNCHED else None)


ILLEGAL = sorted(
    (pair for pair in itertools.product(P, P) if pair not in LEGAL),
    key=_order,
)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_change_is_a_conflict(current: ProjectState, target: ProjectState) -> None:
    with pytest.raises(ConflictError, match=f"cannot become '{target.value}'"):
        _move(current, target)


def test_illegal_count_is_the_rest_of_the_square() -> None:
    assert len(ILLEGAL) == 7 * 7 - len(LEGAL) == 49 - 10


@pytest.mark.parametrize("role", [Role.PARTNER, Role.REVIEWER, Role.PLANNER, Role.PUBLIC])
def test_only_officers_and_admins_move_projects(role: Role) -> None:
    with pytest.raises(RoleError, match="only program_officer or admin"):
        _move(P.SELECTED, P.DEVELOPMENT, role)
    assert _move(P.SELECTED, P.DEVELOPMENT, Role.ADMIN).to_state is P.DEVELOPMENT


def test_launched_needs_the_ship_and_only_launched_takes_one() -> None:
    with pytest.raises(ValidationError, match="needs the cargo ship"):
        transition(
            "p1", P.HARDWARE_DELIVERED, P.LAUNCHED, now=NOW, actor="o", actor_role=Role.ADMIN
        )
    with pytest.raises(ValidationError, match="only given when a project becomes 'launched'"):
        transition(
            "p1",
            P.SELECTED,
            P.DEVELOPMENT,
            now=NOW,
            actor="o",
            actor_role=Role.ADMIN,
            launched_on="tianzhou-8",
        )


def test_a_cancellation_needs_a_reason_and_times_must_be_aware() -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        transition("p1", P.DEVELOPMENT, P.CANCELLED, now=NOW, actor="o", actor_role=Role.ADMIN)
    with pytest.raises(NaiveTimeError):
        transition(
            "p1",
            P.SELECTED,
            P.DEVELOPMENT,
            now=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
            actor="o",
            actor_role=Role.ADMIN,
        )


def test_data_is_delivered_only_once_the_experiment_runs() -> None:
    assert {P.OPERATING, P.COMPLETED} == DATA_STATES
    check_data_delivery("p1", P.OPERATING)
    with pytest.raises(ConflictError, match="'launched': data products are delivered once"):
        check_data_delivery("p1", P.LAUNCHED)


def test_the_default_embargo_is_twelve_calendar_months() -> None:
    assert embargo_end(NOW) == datetime(2027, 1, 31, 9, 30, tzinfo=UTC)
    leap = datetime(2024, 2, 29, tzinfo=UTC)
    assert add_months(leap, 12) == datetime(2025, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)


def test_a_requested_embargo_is_bounded() -> None:
    assert embargo_end(NOW, NOW) == NOW  # public at once
    with pytest.raises(ValidationError, match="before the delivery"):
        embargo_end(NOW, NOW - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="more than 10 years"):
        embargo_end(NOW, NOW + timedelta(days=3660))
    with pytest.raises(NaiveTimeError):
        embargo_end(NOW, datetime(2027, 1, 1))  # noqa: DTZ001 - the point of the test


def test_a_product_is_public_from_its_embargo_end() -> None:
    product = DataProduct(
        "p1", "0" * 64, "a.csv", 3, "text/plain", NOW, NOW + timedelta(days=1), "o"
    )
    assert not product.is_public(NOW + timedelta(days=1) - timedelta(microseconds=1))
    assert product.is_public(NOW + timedelta(days=1))


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7 ...", "application/pdf"),
        (b"SIMPLE  =                    T", "application/fits"),
        (b"\x89HDF\r\n\x1a\n\x00", "application/x-hdf5"),
        (b"time_s,flux\n0,1.5\n", "text/plain"),
        (b"\x00\x01\x02\xff", "application/octet-stream"),
    ],
)
def test_data_types_come_from_the_content(head: bytes, expected: str) -> None:
    assert sniff_data_type(head, head) == expected


def test_an_empty_data_product_is_refused() -> None:
    with pytest.raises(ValidationError, match="empty"):
        sniff_data_type(b"", b"")


def test_the_first_cycle_moves_only_as_far_as_the_sources_say() -> None:
    assert sourced_state("in development; launch targeted 2025") is P.DEVELOPMENT
    assert sourced_state("selected (2019); later status not in the sources") is P.SELECTED
    assert sourced_state(None) is P.SELECTED
