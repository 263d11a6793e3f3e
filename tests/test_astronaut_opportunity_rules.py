"""The pure rules of astronaut opportunities: every selection and training change, roles,
reasons, times, and the seat rules. The candidates here are synthetic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spacehome.domain.astronaut_opportunities import (
    ASSIGNMENT_TRANSITIONS,
    REASON_REQUIRED,
    SELECTION_TRANSITIONS,
    TRAINING_TRANSITIONS,
    AssignmentStatus,
    AuditField,
    Candidate,
    MissionCatalog,
    Opportunity,
    Seat,
    SelectionStage,
    TrainingStatus,
    change_selection,
    change_training,
    check_assignment,
    creation_entry,
    parse_stage,
    parse_training,
)
from spacehome.domain.program import Role, RoleError
from spacehome.domain.record import StationRecord
from spacehome.errors import ConflictError, NaiveTimeError, RecordError, ValidationError
from spacehome.services.astronauts import reference_data

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OFFICER: dict[str, Any] = {"actor": "o1", "actor_role": Role.PROGRAM_OFFICER}
St, Tr, As = SelectionStage, TrainingStatus, AssignmentStatus
MISSIONS = MissionCatalog(
    crewed=frozenset({"shenzhou-22", "shenzhou-23"}), other=frozenset({"tianzhou-9"})
)


def synthetic(
    stage: SelectionStage = St.APPLIED, training: TrainingStatus = Tr.NOT_STARTED
) -> Candidate:
    return Candidate(
        id="c1",
        program_id="synthetic",
        alias="Synthetic candidate 1",
        country="PK",
        selection_stage=stage,
        training_status=training,
    )


def test_the_tables_cover_every_value_and_name_the_documented_stages() -> None:
    assert set(SELECTION_TRANSITIONS) == set(SelectionStage)
    assert set(TRAINING_TRANSITIONS) == set(TrainingStatus)
    assert set(ASSIGNMENT_TRANSITIONS) == set(AssignmentStatus)
    assert [s.value for s in SelectionStage] == [
        "applied",
        "preliminary",
        "secondary",
        "final",
        "shortlisted",
        "selected",
        "not_selected",
        "withdrawn",
    ]
    assert SELECTION_TRANSITIONS[St.NOT_SELECTED] == frozenset()
    assert SELECTION_TRANSITIONS[St.WITHDRAWN] == frozenset()
    assert {St.NOT_SELECTED, St.WITHDRAWN} == REASON_REQUIRED


@pytest.mark.parametrize("current", list(SelectionStage))
@pytest.mark.parametrize("target", list(SelectionStage))
def test_every_selection_change_is_allowed_exactly_when_the_table_says(
    current: SelectionStage, target: SelectionStage
) -> None:
    candidate = synthetic(current)
    if target in SELECTION_TRANSITIONS[current]:
        entry = change_selection(candidate, target, now=NOW, why="reason given", **OFFICER)
        assert (entry.field, entry.from_value, entry.to_value) == (
            AuditField.SELECTION_STAGE,
            current.value,
            target.value,
        )
        assert entry.at == entry.effective_at == NOW
        assert entry.why == "reason given"
    else:
        with pytest.raises(ConflictError, match=f"cannot move to '{target.value}'"):
            change_selection(candidate, target, now=NOW, why="reason given", **OFFICER)


@pytest.mark.parametrize("current", list(TrainingStatus))
@pytest.mark.parametrize("target", list(TrainingStatus))
def test_every_training_change_is_allowed_exactly_when_the_table_says(
    current: TrainingStatus, target: TrainingStatus
) -> None:
    candidate = synthetic(St.SELECTED, current)
    if target in TRAINING_TRANSITIONS[current]:
        entry = change_training(candidate, target, now=NOW, **OFFICER)
        assert (entry.field, entry.from_value, entry.to_value) == (
            AuditField.TRAINING_STATUS,
            current.value,
            target.value,
        )
    else:
        with pytest.raises(ConflictError, match=f"cannot move to '{target.value}'"):
            change_training(candidate, target, now=NOW, **OFFICER)


@pytest.mark.parametrize("role", [Role.PUBLIC, Role.PARTNER, Role.REVIEWER, Role.PLANNER])
def test_only_officers_and_admins_change_anything(role: Role) -> None:
    with pytest.raises(RoleError, match=f"role '{role.value}' may not"):
        change_selection(synthetic(), St.PRELIMINARY, now=NOW, actor="x", actor_role=role)
    with pytest.raises(RoleError):
        change_training(
            synthetic(St.SHORTLISTED), Tr.IN_TRAINING, now=NOW, actor="x", actor_role=role
        )
    with pytest.raises(RoleError):
        creation_entry(synthetic(), now=NOW, actor="x", actor_role=role)
    admin = change_selection(
        synthetic(), St.PRELIMINARY, now=NOW, actor="root", actor_role=Role.ADMIN
    )
    assert admin.actor_role is Role.ADMIN


@pytest.mark.parametrize("target", [s for s in SelectionStage if s in REASON_REQUIRED])
def test_leaving_the_selection_needs_a_reason(target: SelectionStage) -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        change_selection(synthetic(St.FINAL), target, now=NOW, why="  ", **OFFICER)


def test_training_needs_a_shortlisted_or_selected_candidate_and_flown_a_selected_one() -> None:
    with pytest.raises(ConflictError, match="only for shortlisted or selected"):
        change_training(synthetic(St.FINAL), Tr.IN_TRAINING, now=NOW, **OFFICER)
    entry = change_training(synthetic(St.SHORTLISTED), Tr.IN_TRAINING, now=NOW, **OFFICER)
    assert entry.to_value == "in_training"
    with pytest.raises(ConflictError, match="only a selected astronaut can have flown"):
        change_training(synthetic(St.SHORTLISTED, Tr.QUALIFIED), Tr.FLOWN, now=NOW, **OFFICER)


def test_times_must_be_aware_and_effective_times_not_in_the_future() -> None:
    with pytest.raises(NaiveTimeError, match="no time zone"):
        change_selection(synthetic(), St.PRELIMINARY, now=NOW.replace(tzinfo=None), **OFFICER)
    with pytest.raises(NaiveTimeError):
        change_selection(
            synthetic(),
            St.PRELIMINARY,
            now=NOW,
            effective_at=datetime(2026, 2, 7),  # noqa: DTZ001 (naive on purpose)
            **OFFICER,
        )
    with pytest.raises(ValidationError, match="after now"):
        change_selection(
            synthetic(), St.PRELIMINARY, now=NOW, effective_at=NOW + timedelta(days=1), **OFFICER
        )
    entry = change_selection(
        synthetic(St.FINAL),
        St.SHORTLISTED,
        now=NOW,
        effective_at=datetime(2026, 2, 7, 8, 0, tzinfo=UTC),
        **OFFICER,
    )
    assert entry.effective_at == datetime(2026, 2, 7, 8, 0, tzinfo=UTC)
    assert entry.at == NOW


def test_values_are_parsed_with_errors_that_list_the_choices() -> None:
    assert parse_stage("shortlisted") is St.SHORTLISTED
    assert parse_training("in_training") is Tr.IN_TRAINING
    with pytest.raises(ValidationError, match="use one of applied, preliminary"):
        parse_stage("astronaut")
    with pytest.raises(ValidationError, match="use one of unknown, not_started"):
        parse_training("done")


def test_candidates_and_programs_validate_their_fields() -> None:
    assert synthetic().display_name == "Synthetic candidate 1 (name not published)"
    named = replace(synthetic(), name="  Synthetic   Person ", name_public=True)
    assert named.name == "Synthetic Person"
    assert named.display_name == "Synthetic Person"
    private = replace(synthetic(), name="Synthetic Person")
    assert private.display_name == "Synthetic candidate 1 (name not published)"
    with pytest.raises(ValidationError, match="has no name but name_public is true"):
        replace(synthetic(), name_public=True)
    with pytest.raises(ValidationError, match="ISO 3166-1 alpha-2"):
        replace(synthetic(), country="PAK")
    with pytest.raises(ValidationError, match="empty alias"):
        replace(synthetic(), alias=" ")
    assert Opportunity("p", "Program", "pk", "", ()).country == "PK"


# --- seats --------------------------------------------------------------------------------------


def seat(mission: str, status: AssignmentStatus) -> Seat:
    return Seat("c1", mission, status, "synthetic source", NOW, NOW)


def assign(
    candidate: Candidate,
    mission: str,
    status: AssignmentStatus,
    seats: tuple[Seat, ...] = (),
) -> str:
    entry = check_assignment(
        candidate,
        mission,
        status,
        seats=seats,
        missions=MISSIONS,
        now=NOW,
        source="synthetic source",
        **OFFICER,
    )
    assert entry.field is AuditField.ASSIGNMENT
    return f"{entry.from_value} -> {entry.to_value}"


READY = synthetic(St.SELECTED, Tr.QUALIFIED)


def test_the_mission_catalog_knows_record_and_future_shenzhou_flights() -> None:
    assert MISSIONS.latest_shenzhou == 23
    assert MISSIONS.is_future("shenzhou-24")
    assert MISSIONS.is_future("shenzhou-43")
    assert not MISSIONS.is_future("shenzhou-44")
    assert not MISSIONS.is_future("shenzhou-23")
    assert not MISSIONS.is_future("shenzhou-7")
    with pytest.raises(ValidationError, match="carries no crew"):
        MISSIONS.check("tianzhou-9")
    with pytest.raises(ValidationError, match="not a crewed mission of the record"):
        MISSIONS.check("apollo-11")
    with pytest.raises(ValidationError, match="not a crewed mission of the record"):
        MISSIONS.check("shenzhou-7")


def test_a_selected_candidate_in_training_or_qualified_gets_a_seat() -> None:
    assert assign(READY, "shenzhou-24", As.PLANNED) == " -> shenzhou-24:planned"
    in_training = synthetic(St.SELECTED, Tr.IN_TRAINING)
    assert assign(in_training, "shenzhou-24", As.CONFIRMED) == " -> shenzhou-24:confirmed"
    assert assign(READY, "shenzhou-23", As.FLOWN) == " -> shenzhou-23:flown"


@pytest.mark.parametrize("stage", [s for s in SelectionStage if s is not St.SELECTED])
def test_only_selected_candidates_are_assigned(stage: SelectionStage) -> None:
    with pytest.raises(ConflictError, match="only selected candidates can be assigned"):
        assign(synthetic(stage, Tr.QUALIFIED), "shenzhou-24", As.PLANNED)


@pytest.mark.parametrize(
    ("training", "status", "allowed"),
    [
        (
            t,
            s,
            (t in {Tr.IN_TRAINING, Tr.QUALIFIED})
            if s is not As.FLOWN
            else (t in {Tr.QUALIFIED, Tr.FLOWN}),
        )
        for t in TrainingStatus
        for s in (As.PLANNED, As.CONFIRMED, As.FLOWN)
    ],
)
def test_a_seat_needs_the_training_its_status_requires(
    training: TrainingStatus, status: AssignmentStatus, allowed: bool
) -> None:
    candidate = synthetic(St.SELECTED, training)
    if allowed:
        assert assign(candidate, "shenzhou-23", status).endswith(f"shenzhou-23:{status.value}")
    else:
        with pytest.raises(ConflictError, match=f"training status '{training.value}'"):
            assign(candidate, "shenzhou-23", status)


@pytest.mark.parametrize("current", list(AssignmentStatus))
@pytest.mark.parametrize("target", list(AssignmentStatus))
def test_one_seat_per_mission_changes_only_along_the_table(
    current: AssignmentStatus, target: AssignmentStatus
) -> None:
    held = (seat("shenzhou-23", current),)
    if target in ASSIGNMENT_TRANSITIONS[current]:
        assert assign(READY, "shenzhou-23", target, held) == (
            f"shenzhou-23:{current.value} -> shenzhou-23:{target.value}"
        )
    else:
        with pytest.raises(ConflictError, match="one seat per mission"):
            assign(READY, "shenzhou-23", target, held)


def test_a_future_flight_cannot_be_flown_and_a_missing_seat_cannot_be_cancelled() -> None:
    with pytest.raises(ConflictError, match="not in the station record yet"):
        assign(READY, "shenzhou-24", As.FLOWN)
    with pytest.raises(ConflictError, match="no seat on 'shenzhou-24' to cancel"):
        assign(READY, "shenzhou-24", As.CANCELLED)


def test_one_active_seat_at_a_time() -> None:
    with pytest.raises(ConflictError, match="already holds a seat on 'shenzhou-24'"):
        assign(READY, "shenzhou-25", As.PLANNED, (seat("shenzhou-24", As.CONFIRMED),))
    done = (seat("shenzhou-23", As.FLOWN), seat("shenzhou-24", As.CANCELLED))
    assert assign(READY, "shenzhou-25", As.PLANNED, done) == " -> shenzhou-25:planned"


def test_an_assignment_needs_a_source_and_an_officer() -> None:
    with pytest.raises(ValidationError, match="needs its source"):
        check_assignment(
            READY,
            "shenzhou-24",
            As.PLANNED,
            seats=(),
            missions=MISSIONS,
            now=NOW,
            source=" ",
            **OFFICER,
        )
    with pytest.raises(RoleError, match="may not assign"):
        check_assignment(
            READY,
            "shenzhou-24",
            As.PLANNED,
            seats=(),
            missions=MISSIONS,
            now=NOW,
            source="s",
            actor="p",
            actor_role=Role.PLANNER,
        )
    with pytest.raises(ValidationError, match="not a crewed mission"):
        check_assignment(
            READY,
            "soyuz-1",
            As.PLANNED,
            seats=(),
            missions=MISSIONS,
            now=NOW,
            source="s",
            **OFFICER,
        )


# --- reference data -----------------------------------------------------------------------------


def test_the_reference_data_are_the_records(record: StationRecord) -> None:
    programs, candidates = reference_data(record, now=NOW)
    assert [p.id for p in programs] == [p.id for p in record.programs]
    assert [n.candidate.id for n in candidates] == [
        "pakistan-1",
        "pakistan-2",
        "hong-kong-macao-1",
        "hong-kong-macao-2",
    ]
    assert [n.candidate.display_name for n in candidates] == [
        "Pakistani candidate 1 (name not published)",
        "Pakistani candidate 2 (name not published)",
        "Lai Ka-ying",
        "Macao payload specialist (name not published)",
    ]
    assert [len(n.seats) for n in candidates] == [0, 0, 1, 0]


def test_a_record_status_the_loader_does_not_know_is_refused(record: StationRecord) -> None:
    program = record.programs[0]
    changed = replace(
        program,
        candidates=(
            replace(program.candidates[0], status="selected 2026-10-01"),
            *program.candidates[1:],
        ),
    )
    edited = replace(record, programs=(changed, *record.programs[1:]))
    with pytest.raises(RecordError, match="add what they mean there"):
        reference_data(edited, now=NOW)
