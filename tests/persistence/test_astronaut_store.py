"""The astronaut store and the reference loader, on SQLite and PostgreSQL.

The reference data are the record's (``astronaut_programs.toml``); every other candidate here is
synthetic (``Synthetic candidate ...``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from spacehome.domain.astronaut_opportunities import (
    AssignmentStatus,
    AuditField,
    MissionCatalog,
    SelectionStage,
    TrainingStatus,
)
from spacehome.domain.program import Role, RoleError
from spacehome.domain.record import StationRecord
from spacehome.errors import ConflictError, NotFoundError, ValidationError
from spacehome.persistence.astronaut_store import (
    AstronautStore,
    StaleCandidateError,
    StoredCandidate,
)
from spacehome.services.astronauts import (
    load_reference_candidates,
    mission_catalog,
    reference_data,
)
from spacehome.services.station import default_record

BEIJING = timezone(timedelta(hours=8))
LOADED = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 9, 30, 15, 250000, tzinfo=UTC)
OFFICER: dict[str, Any] = {"actor": "officer-1", "actor_role": Role.PROGRAM_OFFICER}
St, Tr, As = SelectionStage, TrainingStatus, AssignmentStatus


@pytest.fixture
def store(engine: Engine) -> AstronautStore:
    return AstronautStore(engine)


@pytest.fixture
def missions(record: StationRecord) -> MissionCatalog:
    return mission_catalog(record)


def _synthetic(store: AstronautStore, alias: str = "Synthetic candidate 3") -> StoredCandidate:
    return store.create_candidate(
        program_id="pakistan",
        alias=alias,
        country="PK",
        name="Synthetic Person",
        name_public=False,
        sources=["synthetic"],
        note="synthetic test candidate",
        now=NOW,
        why="synthetic",
        **OFFICER,
    )


def test_the_reference_loader_stores_the_records_programs_once(
    database_url: str, store: AstronautStore, record: StationRecord
) -> None:
    assert len(record.programs) == 2
    assert sum(len(p.candidates) for p in record.programs) == 4
    first = load_reference_candidates(database_url, now=LOADED)
    assert first == {"programs_added": 2, "candidates_added": 4, "programs": 2, "candidates": 4}
    again = load_reference_candidates(database_url, now=LOADED + timedelta(days=1))
    assert again == {"programs_added": 0, "candidates_added": 0, "programs": 2, "candidates": 4}

    programs = {p.id: p for p in store.list_programs()}
    assert sorted(programs) == ["hong-kong-macao", "pakistan"]
    pakistan = programs["pakistan"]
    assert (pakistan.country, pakistan.agreement, pakistan.flight_mission) == (
        "PK",
        "pakistan-2025",
        None,
    )
    assert "Shenzhou-24 is an inference" in pakistan.flight_note
    assert programs["hong-kong-macao"].flight_mission == "shenzhou-23"

    page, total = store.list_candidates(limit=10)
    assert total == 4
    by_id = {s.candidate.id: s for s in page}
    assert [s.candidate.id for s in page] == [
        "hong-kong-macao-1",
        "hong-kong-macao-2",
        "pakistan-1",
        "pakistan-2",
    ]
    for pid in ("pakistan-1", "pakistan-2"):
        c = by_id[pid].candidate
        assert (c.name, c.name_public, c.country) == (None, False, "PK")
        assert (c.selection_stage, c.training_status) == (St.SHORTLISTED, Tr.IN_TRAINING)
        assert by_id[pid].seats == ()
    lai = by_id["hong-kong-macao-1"]
    assert (lai.candidate.name, lai.candidate.name_public, lai.candidate.country) == (
        "Lai Ka-ying",
        True,
        "HK",
    )
    assert lai.candidate.astronaut_id == "lai-ka-ying"
    assert (lai.candidate.selection_stage, lai.candidate.training_status) == (St.SELECTED, Tr.FLOWN)
    assert [(s.mission_id, s.status, s.source) for s in lai.seats] == [
        ("shenzhou-23", As.FLOWN, "khabarasia-2026-05-25")
    ]
    assert lai.seats[0].assigned_at == LOADED
    assert lai.seats[0].assigned_at.tzinfo is UTC
    macao = by_id["hong-kong-macao-2"].candidate
    assert (macao.name, macao.country, macao.training_status) == (None, "MO", Tr.UNKNOWN)
    assert all(s.version == 1 and s.created_at == LOADED for s in page)

    trail = store.audit_trail("hong-kong-macao-1")
    assert [(e.field, e.from_value, e.to_value, e.actor) for e in trail] == [
        (AuditField.CANDIDATE, "", "created", "station-record"),
        (AuditField.ASSIGNMENT, "", "shenzhou-23:flown", "station-record"),
    ]
    assert store.counts()["pakistan"] == {(St.SHORTLISTED, Tr.IN_TRAINING): 2}
    assert store.counts([St.SELECTED])["hong-kong-macao"] == {
        (St.SELECTED, Tr.FLOWN): 1,
        (St.SELECTED, Tr.UNKNOWN): 1,
    }


def test_a_candidate_goes_from_applied_to_a_seat_with_every_step_audited(
    database_url: str, store: AstronautStore, missions: MissionCatalog
) -> None:
    load_reference_candidates(database_url, now=LOADED)
    created = _synthetic(store)
    assert created.version == 1
    assert (created.candidate.selection_stage, created.candidate.training_status) == (
        St.APPLIED,
        Tr.NOT_STARTED,
    )
    stored = created
    for stage in (St.PRELIMINARY, St.SECONDARY, St.FINAL, St.SHORTLISTED):
        stored = store.change_selection(
            created.candidate.id, stage, expected_version=stored.version, now=NOW, **OFFICER
        )
    stored = store.change_training(
        created.candidate.id,
        Tr.IN_TRAINING,
        expected_version=stored.version,
        now=NOW,
        effective_at=datetime(2026, 2, 7, 8, 0, tzinfo=BEIJING),
        **OFFICER,
    )
    stored = store.change_selection(
        created.candidate.id, St.SELECTED, expected_version=stored.version, now=NOW, **OFFICER
    )
    stored = store.assign(
        created.candidate.id,
        "shenzhou-24",
        As.PLANNED,
        missions=missions,
        source="synthetic announcement",
        expected_version=stored.version,
        now=NOW,
        **OFFICER,
    )
    assert stored.version == 8
    reread = store.get_candidate(created.candidate.id)
    assert reread == stored
    assert [(s.mission_id, s.status, s.confirmed) for s in reread.seats] == [
        ("shenzhou-24", As.PLANNED, False)
    ]
    trail = store.audit_trail(created.candidate.id)
    assert [(e.field.value, e.from_value, e.to_value) for e in trail] == [
        ("candidate", "", "created"),
        ("selection_stage", "applied", "preliminary"),
        ("selection_stage", "preliminary", "secondary"),
        ("selection_stage", "secondary", "final"),
        ("selection_stage", "final", "shortlisted"),
        ("training_status", "not_started", "in_training"),
        ("selection_stage", "shortlisted", "selected"),
        ("assignment", "", "shenzhou-24:planned"),
    ]
    assert trail[5].effective_at == datetime(2026, 2, 7, 0, 0, tzinfo=UTC)
    assert all(e.at == NOW and e.at.tzinfo is UTC for e in trail)


def test_a_stale_version_writes_nothing(store: AstronautStore, database_url: str) -> None:
    load_reference_candidates(database_url, now=LOADED)
    created = _synthetic(store)
    store.change_selection(
        created.candidate.id, St.PRELIMINARY, expected_version=1, now=NOW, **OFFICER
    )
    with pytest.raises(StaleCandidateError, match="no longer at version 1"):
        store.change_selection(
            created.candidate.id, St.SECONDARY, expected_version=1, now=NOW, **OFFICER
        )
    after = store.get_candidate(created.candidate.id)
    assert (after.version, after.candidate.selection_stage) == (2, St.PRELIMINARY)
    assert len(store.audit_trail(created.candidate.id)) == 2


def test_refused_changes_write_nothing(
    store: AstronautStore, database_url: str, missions: MissionCatalog
) -> None:
    load_reference_candidates(database_url, now=LOADED)
    with pytest.raises(ConflictError, match="cannot move to 'final'"):
        store.change_selection("pakistan-1", St.FINAL, expected_version=1, now=NOW, **OFFICER)
    with pytest.raises(RoleError):
        store.change_selection(
            "pakistan-1",
            St.SELECTED,
            expected_version=1,
            now=NOW,
            actor="p",
            actor_role=Role.PLANNER,
        )
    with pytest.raises(ConflictError, match="only selected candidates"):
        store.assign(
            "pakistan-1",
            "shenzhou-24",
            As.PLANNED,
            missions=missions,
            source="s",
            expected_version=1,
            now=NOW,
            **OFFICER,
        )
    with pytest.raises(ValidationError, match="carries no crew"):
        store.assign(
            "hong-kong-macao-1",
            "tianzhou-9",
            As.PLANNED,
            missions=missions,
            source="s",
            expected_version=1,
            now=NOW,
            **OFFICER,
        )
    with pytest.raises(ConflictError, match="one seat per mission"):
        store.assign(
            "hong-kong-macao-1",
            "shenzhou-23",
            As.CONFIRMED,
            missions=missions,
            source="s",
            expected_version=1,
            now=NOW,
            **OFFICER,
        )
    for cid in ("pakistan-1", "hong-kong-macao-1"):
        assert store.get_candidate(cid).version == 1
    assert len(store.audit_trail("pakistan-1")) == 1
    assert len(store.audit_trail("hong-kong-macao-1")) == 2


def test_aliases_are_unique_per_program_and_programs_must_exist(
    store: AstronautStore, database_url: str
) -> None:
    load_reference_candidates(database_url, now=LOADED)
    _synthetic(store)
    with pytest.raises(ConflictError, match="already has a candidate called"):
        _synthetic(store)
    with pytest.raises(ConflictError, match="already has a candidate called"):
        _synthetic(store, alias="Pakistani candidate 1")
    with pytest.raises(NotFoundError, match="no astronaut program with id 'mars'"):
        store.create_candidate(
            program_id="mars",
            alias="Synthetic",
            country="PK",
            name=None,
            name_public=False,
            sources=[],
            note="",
            now=NOW,
            **OFFICER,
        )
    with pytest.raises(NotFoundError, match="no astronaut candidate"):
        store.get_candidate("nobody")
    with pytest.raises(NotFoundError, match="no astronaut candidate"):
        store.audit_trail("nobody")
    assert store.list_candidates(limit=10)[1] == 5


def test_the_database_refuses_an_unknown_stage(engine: Engine, database_url: str) -> None:
    load_reference_candidates(database_url, now=LOADED)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE astronaut_candidates SET selection_stage = 'astronaut' WHERE id = 'pakistan-1'"
            )
        )


def test_pages_are_bounded(store: AstronautStore) -> None:
    with pytest.raises(ValidationError, match="page limit 0"):
        store.list_candidates(limit=0)
    with pytest.raises(ValidationError, match="page offset -1"):
        store.list_candidates(offset=-1)


def test_a_reference_alias_taken_by_an_officer_is_a_conflict_not_a_crash(
    store: AstronautStore, database_url: str
) -> None:
    load_reference_candidates(database_url, now=LOADED)
    _synthetic(store, alias="Synthetic candidate 9")
    programs, candidates = reference_data(default_record(), now=LOADED)
    clash = replace(
        candidates[0], candidate=replace(candidates[0].candidate, id="hong-kong-macao-9")
    )
    clash = replace(
        clash, audit=tuple(replace(e, candidate_id="hong-kong-macao-9") for e in clash.audit)
    )
    with pytest.raises(ConflictError, match="clash with stored ones"):
        store.load_reference(programs, [clash])
    assert store.list_candidates(limit=10)[1] == 5
