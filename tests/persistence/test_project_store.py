"""Projects in the database, on SQLite and PostgreSQL: creation from a selected proposal only,
atomic state change + audit, compare-and-set versions, data products, the first-cycle loader."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from spacehome.domain.program import (
    Call,
    Modality,
    ProposalState,
    ResourceEnvelope,
    ResourceRequest,
    Role,
    Team,
    TeamInstitution,
)
from spacehome.domain.projects import ProjectState, Selection
from spacehome.errors import ConflictError, NotFoundError, ValidationError
from spacehome.persistence.attachment_store import StoredFile
from spacehome.persistence.program_store import ProgramStore
from spacehome.persistence.project_store import ProjectStore, StaleProjectError
from spacehome.persistence.project_tables import ProjectAuditRow, ProjectRow
from spacehome.services.first_cycle import load_first_cycle

OPENS = datetime(2025, 3, 1, tzinfo=UTC)
NOW = datetime(2025, 3, 10, 12, tzinfo=UTC)
TEAM = Team(
    TeamInstitution("Kenya Space Agency", "KE"), (TeamInstitution("Universidad de Chile", "CL"),)
)


def _proposal(program: ProgramStore, partner_id: str, officer_id: str, final: ProposalState) -> str:
    stored = program.create_proposal(
        call_id="cycle-9",
        partner_id=partner_id,
        title="Microgravity crystal growth",
        discipline="materials science",
        modality=Modality.OWN_EXPERIMENT,
        team=TEAM,
        request=ResourceRequest(crew_hours=10, upmass_kg=20),
        now=NOW,
    )
    pid = stored.proposal.id
    program.change_state(
        pid,
        ProposalState.SUBMITTED,
        now=NOW,
        actor=partner_id,
        actor_role=Role.PARTNER,
        expected_version=None,
    )
    path = [ProposalState.UNDER_REVIEW, ProposalState.SHORTLISTED, final]
    for state in path[: {ProposalState.UNDER_REVIEW: 1}.get(final, 3)]:
        program.change_state(
            pid,
            state,
            now=NOW,
            actor=officer_id,
            actor_role=Role.PROGRAM_OFFICER,
            why="conditions: safety review"
            if state is ProposalState.CONDITIONALLY_SELECTED
            else "",
            expected_version=None,
        )
    return pid


@pytest.fixture
def world(engine: Engine) -> tuple[ProjectStore, ProgramStore, str, str]:
    program = ProgramStore(engine)
    partner = program.create_user("alice", Role.PARTNER, "hash", now=NOW, partner_org="KSA")
    officer = program.create_user("olga", Role.PROGRAM_OFFICER, "hash", now=NOW)
    program.add_call(
        Call(
            id="cycle-9",
            title="Synthetic test call",
            modalities=frozenset({Modality.OWN_EXPERIMENT}),
            opens_at=OPENS,
            closes_at=OPENS + timedelta(days=30),
            envelope=ResourceEnvelope(crew_hours=100, upmass_kg=300),
            eligible_countries=frozenset({"KE", "CL"}),
        )
    )
    return ProjectStore(engine), program, partner.id, officer.id


def _create(
    world: tuple[ProjectStore, ProgramStore, str, str], final: ProposalState
) -> tuple[str, str]:
    store, program, partner, officer = world
    pid = _proposal(program, partner, officer, final)
    stored = store.create_from_proposal(
        pid, now=NOW, actor=officer, actor_role=Role.PROGRAM_OFFICER
    )
    return pid, stored.project.id


def test_a_project_from_a_selected_proposal_carries_its_owner_and_team(
    world: tuple[ProjectStore, ProgramStore, str, str],
) -> None:
    store, _, partner, officer = world
    pid, project_id = _create(world, ProposalState.SELECTED)
    stored = store.get(project_id)
    p = stored.project
    assert (p.owner_id, p.proposal_id, p.cycle) == (partner, pid, "cycle-9")
    assert [(m.name, m.country) for m in p.institutions] == [
        ("Kenya Space Agency", "KE"),
        ("Universidad de Chile", "CL"),
    ]
    assert p.countries == ("CL", "KE")
    assert (p.state, p.selection, p.planner_key) == (
        ProjectState.SELECTED,
        Selection.UNCONDITIONAL,
        project_id,
    )
    assert (stored.version, stored.created_at) == (1, NOW)
    [entry] = store.audit_trail(project_id)
    assert (entry.from_state, entry.to_state, entry.actor) == (None, ProjectState.SELECTED, officer)
    with pytest.raises(ConflictError, match="already has project"):
        store.create_from_proposal(pid, now=NOW, actor=officer, actor_role=Role.PROGRAM_OFFICER)


def test_only_a_selected_or_conditionally_selected_proposal_gives_a_project(
    world: tuple[ProjectStore, ProgramStore, str, str],
) -> None:
    store, program, partner, officer = world
    pid = _proposal(program, partner, officer, ProposalState.UNDER_REVIEW)
    with pytest.raises(ConflictError, match="'under_review': a project is created only from"):
        store.create_from_proposal(pid, now=NOW, actor=officer, actor_role=Role.PROGRAM_OFFICER)
    with pytest.raises(NotFoundError, match="no proposal"):
        store.create_from_proposal("nope", now=NOW, actor=officer, actor_role=Role.PROGRAM_OFFICER)
    assert store.list_projects().total == 0
    _, project_id = _create(world, ProposalState.CONDITIONALLY_SELECTED)
    assert store.get(project_id).project.selection is Selection.CONDITIONAL


def test_a_state_change_and_its_audit_entry_are_written_together(
    world: tuple[ProjectStore, ProgramStore, str, str], engine: Engine
) -> None:
    store, _, _, officer = world
    _, project_id = _create(world, ProposalState.SELECTED)
    later = NOW + timedelta(days=1)
    moved = store.change_state(
        project_id,
        ProjectState.DEVELOPMENT,
        now=later,
        actor=officer,
        actor_role=Role.PROGRAM_OFFICER,
        expected_version=1,
    )
    assert (moved.version, moved.project.state, moved.updated_at) == (
        2,
        ProjectState.DEVELOPMENT,
        later,
    )
    # An illegal change writes neither the state nor an entry.
    with pytest.raises(ConflictError, match="cannot become 'completed'"):
        store.change_state(
            project_id,
            ProjectState.COMPLETED,
            now=later,
            actor=officer,
            actor_role=Role.PROGRAM_OFFICER,
            expected_version=2,
        )
    # A stale version is refused and nothing is written.
    with pytest.raises(StaleProjectError, match="no longer at version 1"):
        store.change_state(
            project_id,
            ProjectState.HARDWARE_DELIVERED,
            now=later,
            actor=officer,
            actor_role=Role.PROGRAM_OFFICER,
            expected_version=1,
        )
    with engine.connect() as connection:
        state, version = connection.execute(
            select(ProjectRow.state, ProjectRow.version).where(ProjectRow.id == project_id)
        ).one()
        entries = connection.execute(
            select(func.count())
            .select_from(ProjectAuditRow)
            .where(ProjectAuditRow.project_id == project_id)
        ).scalar_one()
    assert (state, version, entries) == ("development", 2, 2)
    trail = store.audit_trail(project_id)
    assert [(e.from_state, e.to_state, e.at) for e in trail] == [
        (None, ProjectState.SELECTED, NOW),
        (ProjectState.SELECTED, ProjectState.DEVELOPMENT, later),
    ]


def test_the_launch_ship_is_stored_with_the_state_and_the_entry(
    world: tuple[ProjectStore, ProgramStore, str, str],
) -> None:
    store, _, _, officer = world
    _, project_id = _create(world, ProposalState.SELECTED)
    for version, state in enumerate((ProjectState.DEVELOPMENT, ProjectState.HARDWARE_DELIVERED), 1):
        store.change_state(
            project_id,
            state,
            now=NOW,
            actor=officer,
            actor_role=Role.ADMIN,
            expected_version=version,
        )
    launched = store.change_state(
        project_id,
        ProjectState.LAUNCHED,
        now=NOW,
        actor=officer,
        actor_role=Role.ADMIN,
        expected_version=3,
        launched_on="tianzhou-8",
    )
    assert launched.project.launched_on == "tianzhou-8"
    assert store.get(project_id).project.launched_on == "tianzhou-8"
    assert store.audit_trail(project_id)[-1].launched_on == "tianzhou-8"


def test_data_products_link_files_once_the_project_operates(
    world: tuple[ProjectStore, ProgramStore, str, str],
) -> None:
    store, _, _, officer = world
    _, project_id = _create(world, ProposalState.SELECTED)
    content = b"time_s,flux\n0,1\n"
    sha = hashlib.sha256(content).hexdigest()
    file = StoredFile(sha, len(content), "text/plain", f"{sha[:2]}/{sha[2:4]}/{sha}")
    until = NOW + timedelta(days=365)
    with pytest.raises(ConflictError, match="'selected': data products are delivered once"):
        store.add_data_product(
            project_id,
            file,
            filename="a.csv",
            delivered_at=NOW,
            embargo_until=until,
            delivered_by=officer,
        )
    steps = [
        ProjectState.DEVELOPMENT,
        ProjectState.HARDWARE_DELIVERED,
        ProjectState.LAUNCHED,
        ProjectState.OPERATING,
    ]
    for version, state in enumerate(steps, 1):
        store.change_state(
            project_id,
            state,
            now=NOW,
            actor=officer,
            actor_role=Role.ADMIN,
            expected_version=version,
            launched_on="tianzhou-8" if state is ProjectState.LAUNCHED else None,
        )
    product = store.add_data_product(
        project_id,
        file,
        filename="a.csv",
        delivered_at=NOW,
        embargo_until=until,
        delivered_by=officer,
    )
    again = store.add_data_product(
        project_id,
        file,
        filename="a.csv",
        delivered_at=NOW,
        embargo_until=until,
        delivered_by=officer,
    )
    assert product == again
    assert store.data_products(project_id) == [product]
    assert store.data_product(project_id, sha).embargo_until == until
    with pytest.raises(ConflictError, match="already has this file"):
        store.add_data_product(
            project_id,
            file,
            filename="b.csv",
            delivered_at=NOW,
            embargo_until=until,
            delivered_by=officer,
        )
    with pytest.raises(NotFoundError):
        store.data_product(project_id, "f" * 64)
    with pytest.raises(ValidationError):
        store.data_product(project_id, "../etc/passwd")


def test_the_first_cycle_loads_nine_projects_once(engine: Engine, database_url: str) -> None:
    first = load_first_cycle(database_url, now=NOW)
    assert (first.cycle, first.total, len(first.added), first.unchanged) == (
        "unoosa-cmsa-1",
        9,
        9,
        (),
    )
    second = load_first_cycle(database_url, now=NOW + timedelta(days=1))
    assert (second.added, second.unchanged) == ((), first.added)
    store = ProjectStore(engine)
    page = store.list_projects(limit=50)
    assert page.total == 9
    by_id = {s.project.id: s for s in page.items}
    polar = by_id["polar-2"].project
    assert polar.state is ProjectState.DEVELOPMENT
    assert polar.owner_id is None
    assert polar.institutions[0].name == "University of Geneva"
    assert by_id["baridi-sana"].project.selection is Selection.CONDITIONAL
    assert all(
        s.project.state in (ProjectState.SELECTED, ProjectState.DEVELOPMENT) for s in page.items
    )
    ninth = by_id["unidentified-9"].project
    assert (ninth.title, ninth.countries, ninth.institutions, ninth.planner_key) == (
        None,
        None,
        (),
        None,
    )
    assert all(s.version == 1 and s.updated_at == NOW for s in page.items)
    assert [len(store.audit_trail(pid)) for pid in by_id] == [1] * 9
