"""The cooperation program's store (accounts, calls, proposals, audit log), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.exc import IntegrityError

from spacehome.domain.program import (
    AuditEntry,
    Call,
    DeadlineError,
    Modality,
    ProposalState,
    ResourceEnvelope,
    ResourceRequest,
    Role,
    RoleError,
    Team,
    TeamInstitution,
)
from spacehome.errors import ConflictError, NaiveTimeError, NotFoundError, ValidationError
from spacehome.persistence import program_store
from spacehome.persistence.program_store import (
    MAX_PAGE_SIZE,
    ProgramStore,
    StoredProposal,
    UserRecord,
)
from spacehome.persistence.program_tables import ProposalRow
from spacehome.persistence.tables import Base

BEIJING = timezone(timedelta(hours=8))
OPENS = datetime(2026, 9, 1, tzinfo=UTC)
CLOSES = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 9, 10, 8, 30, 15, 123456, tzinfo=UTC)

PROGRAM_TABLES = {
    "users",
    "calls",
    "proposals",
    "proposal_partners",
    "audit_log",
    "attachments",
    "proposal_attachments",
    "reviewers",
    "reviews",
}

TEAM = Team(
    TeamInstitution("University of Nairobi", "KE"),
    (
        TeamInstitution("Pontificia Universidad Católica del Perú", "PE"),
        TeamInstitution("Mexican Space Agency", "MX"),
    ),
)
REQUEST = ResourceRequest(crew_hours=12.5, upmass_kg=30.0, downlink_gb=2.0)


@pytest.fixture
def store(engine: Engine) -> ProgramStore:
    return ProgramStore(engine)


def _call(**changes: Any) -> Call:
    values: dict[str, Any] = {
        "id": "cycle-2",
        "title": "Second UNOOSA-CMSA cycle",
        "modalities": frozenset({Modality.OWN_EXPERIMENT, Modality.EXTERNAL_EXPOSURE}),
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "envelope": ResourceEnvelope(
            crew_hours=200, rack_months=24, adapter_months=12, upmass_kg=500, downlink_gb=100
        ),
        "eligible_countries": frozenset({"KE", "PE", "MX", "IN", "NO"}),
    }
    values.update(changes)
    return Call(**values)


@pytest.fixture
def partner(store: ProgramStore) -> UserRecord:
    return store.create_user(
        "nairobi", Role.PARTNER, "$argon2id$x", now=NOW, partner_org="University of Nairobi"
    )


@pytest.fixture
def draft(store: ProgramStore, partner: UserRecord) -> StoredProposal:
    store.add_call(_call())
    return _new_proposal(store, partner)


def _new_proposal(
    store: ProgramStore, partner: UserRecord, *, now: datetime = NOW, title: str = "Plant roots"
) -> StoredProposal:
    return store.create_proposal(
        call_id="cycle-2",
        partner_id=partner.id,
        title=title,
        discipline="space life sciences",
        modality=Modality.OWN_EXPERIMENT,
        team=TEAM,
        request=REQUEST,
        abstract="Root growth in microgravity.",
        now=now,
    )


def _submit(store: ProgramStore, stored: StoredProposal, partner: UserRecord) -> StoredProposal:
    return store.change_state(
        stored.proposal.id,
        ProposalState.SUBMITTED,
        now=NOW,
        actor=partner.id,
        actor_role=Role.PARTNER,
        expected_version=stored.version,
    )


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


# --- schema -------------------------------------------------------------------------------------


def test_the_migration_creates_every_program_table_as_declared(engine: Engine) -> None:
    assert set(Base.metadata.tables) >= PROGRAM_TABLES
    assert set(inspect(engine).get_table_names()) >= PROGRAM_TABLES
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == []


def test_constraints_are_named_by_the_convention(engine: Engine) -> None:
    inspector = inspect(engine)
    assert [u["name"] for u in inspector.get_unique_constraints("users")] == ["uq_users_username"]
    foreign = {fk["name"] for fk in inspector.get_foreign_keys("proposals")}
    assert foreign == {"fk_proposals_call_id_calls", "fk_proposals_partner_id_users"}
    assert inspector.get_pk_constraint("reviews")["constrained_columns"] == [
        "proposal_id",
        "reviewer_id",
    ]


def test_the_database_refuses_an_unknown_state(engine: Engine, draft: StoredProposal) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)check"), engine.begin() as connection:
        connection.execute(text("UPDATE proposals SET state = 'approved'"))


# --- accounts -----------------------------------------------------------------------------------


def test_user_round_trip(store: ProgramStore) -> None:
    created = store.create_user(
        "officer.li",
        Role.PROGRAM_OFFICER,
        "$argon2id$secret-hash",
        now=datetime(2026, 9, 6, 20, tzinfo=BEIJING),
    )
    assert len(created.id) == 32
    by_name = store.get_user_by_username("officer.li")
    assert by_name == created
    assert store.get_user_by_id(created.id) == created
    assert by_name is not None
    assert by_name.role is Role.PROGRAM_OFFICER
    assert by_name.partner_org is None
    assert by_name.active is True
    assert by_name.created_at == datetime(2026, 9, 6, 12, tzinfo=UTC)
    assert by_name.created_at.tzinfo is UTC
    assert "secret-hash" not in repr(by_name)  # not a hex digit: ids cannot contain it
    assert store.get_user_by_username("nobody") is None
    assert store.get_user_by_id("0" * 32) is None


def test_a_taken_username_is_a_conflict_and_the_first_account_stays(
    store: ProgramStore, partner: UserRecord
) -> None:
    with pytest.raises(ConflictError, match="username 'nairobi' is already taken"):
        store.create_user("nairobi", Role.ADMIN, "$argon2id$other", now=NOW)
    assert store.get_user_by_username("nairobi") == partner


@pytest.mark.parametrize("username", ["", " lead", "two words"])
def test_a_username_with_spaces_is_refused(store: ProgramStore, username: str) -> None:
    with pytest.raises(ValidationError, match="username"):
        store.create_user(username, Role.PARTNER, "$argon2id$x", now=NOW)


def test_a_naive_creation_time_is_refused(store: ProgramStore) -> None:
    with pytest.raises(NaiveTimeError):
        store.create_user("x", Role.PARTNER, "$argon2id$x", now=datetime(2026, 9, 6))  # noqa: DTZ001


def test_set_password_hash(store: ProgramStore, partner: UserRecord) -> None:
    store.set_password_hash(partner.id, "$argon2id$new")
    stored = store.get_user_by_id(partner.id)
    assert stored is not None
    assert stored.password_hash == "$argon2id$new"
    with pytest.raises(NotFoundError, match="no user with id 'missing'"):
        store.set_password_hash("missing", "$argon2id$new")


# --- calls --------------------------------------------------------------------------------------


def test_call_round_trip_with_aware_utc_times(store: ProgramStore) -> None:
    call = _call(
        opens_at=datetime(2026, 9, 1, 8, tzinfo=BEIJING),
        closes_at=datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=BEIJING),
    )
    store.add_call(call)
    stored = store.get_call("cycle-2")
    assert stored == call
    assert stored.opens_at == datetime(2026, 9, 1, 0, tzinfo=UTC)
    assert stored.opens_at.tzinfo is UTC
    assert stored.closes_at.tzinfo is UTC
    assert stored.closes_at.microsecond == 999999


def test_a_call_id_used_twice_is_a_conflict(store: ProgramStore) -> None:
    store.add_call(_call())
    with pytest.raises(ConflictError, match="call with id 'cycle-2' already exists"):
        store.add_call(_call(title="Another"))
    assert store.get_call("cycle-2").title == "Second UNOOSA-CMSA cycle"


def test_calls_are_listed_by_opening_time_with_the_total_on_every_page(
    store: ProgramStore,
) -> None:
    for number in range(5):  # opening in reverse order of their ids
        store.add_call(_call(id=f"cycle-{number}", opens_at=OPENS - timedelta(days=number)))
    page, total = store.list_calls(limit=2, offset=0)
    assert [call.id for call in page] == ["cycle-4", "cycle-3"]
    assert total == 5
    page, total = store.list_calls(limit=2, offset=4)
    assert [call.id for call in page] == ["cycle-0"]
    assert total == 5
    assert page[0].opens_at == OPENS
    assert page[0].opens_at.tzinfo is not None
    # Past the end there is no row to carry the window count: the total must still be right.
    assert store.list_calls(limit=2, offset=7) == ([], 5)


def test_an_empty_list_of_calls_has_a_total_of_zero(store: ProgramStore) -> None:
    assert store.list_calls(limit=10, offset=0) == ([], 0)


def test_an_unknown_call_is_not_found(store: ProgramStore) -> None:
    with pytest.raises(NotFoundError, match=r"^no call with id 'cycle-9': check the id$"):
        store.get_call("cycle-9")


# --- proposals ----------------------------------------------------------------------------------


def test_proposal_round_trip(
    store: ProgramStore, draft: StoredProposal, partner: UserRecord
) -> None:
    stored = store.get_proposal(draft.proposal.id)
    assert stored == draft
    assert stored.version == 1
    assert stored.proposal.state is ProposalState.DRAFT
    assert stored.proposal.team == TEAM  # partners in team order
    assert stored.proposal.request == REQUEST
    assert stored.proposal.partner_id == partner.id
    assert stored.created_at == NOW
    assert stored.created_at.tzinfo is UTC
    assert stored.updated_at.tzinfo is UTC


def test_a_proposal_that_does_not_fit_its_call_is_refused(
    engine: Engine, store: ProgramStore, partner: UserRecord
) -> None:
    store.add_call(_call(eligible_countries=frozenset({"KE", "PE"})))
    with pytest.raises(
        ValidationError, match="'Mexican Space Agency' is in MX, which is not eligible"
    ):
        _new_proposal(store, partner)
    assert _count(engine, "proposals") == 0


def test_only_partner_accounts_own_proposals(store: ProgramStore) -> None:
    store.add_call(_call())
    officer = store.create_user("officer", Role.PROGRAM_OFFICER, "$argon2id$x", now=NOW)
    with pytest.raises(ValidationError, match="not an active partner account"):
        _new_proposal(store, officer)


def test_unknown_ids_are_not_found_in_one_line(store: ProgramStore, draft: StoredProposal) -> None:
    for attempt in (
        lambda: store.get_proposal("nope"),
        lambda: store.audit_trail("nope"),
        lambda: store.update_proposal("nope", 1, {"title": "x"}, now=NOW),
        lambda: store.change_state(
            "nope",
            ProposalState.SUBMITTED,
            now=NOW,
            actor="a",
            actor_role=Role.PARTNER,
            expected_version=1,
        ),
    ):
        with pytest.raises(NotFoundError, match=r"^no proposal with id 'nope': check the id$"):
            attempt()


def test_update_is_a_compare_and_set_on_the_version(
    store: ProgramStore, draft: StoredProposal
) -> None:
    later = NOW + timedelta(hours=1)
    first = store.update_proposal(
        draft.proposal.id, 1, {"title": "Plant roots, revised"}, now=later
    )
    assert first.version == 2
    assert first.updated_at == later
    assert store.get_proposal(draft.proposal.id) == first

    # A second writer who read version 1 is refused and overwrites nothing.
    with pytest.raises(ConflictError, match="no longer at version 1"):
        store.update_proposal(draft.proposal.id, 1, {"title": "Lost update"}, now=later)
    assert store.get_proposal(draft.proposal.id) == first


def test_the_compare_and_set_holds_when_the_version_moves_under_the_writer(
    engine: Engine, store: ProgramStore, draft: StoredProposal
) -> None:
    # The version moves between this writer's read and its UPDATE (simulated on the same
    # connection, as a concurrent writer would): the UPDATE matches no row and is refused.
    bumped: list[str] = []

    def bump(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not bumped and statement.lstrip().upper().startswith("UPDATE PROPOSALS"):
            bumped.append(statement)
            cursor.execute("UPDATE proposals SET version = version + 1, title = 'Theirs'")

    event.listen(engine, "before_cursor_execute", bump)
    try:
        with pytest.raises(ConflictError, match="no longer at version 1"):
            store.update_proposal(draft.proposal.id, 1, {"title": "Mine"}, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", bump)
    assert bumped
    # The refused write rolled back its transaction (here the simulated bump too).
    assert store.get_proposal(draft.proposal.id) == draft


def test_update_changes_the_team_and_request(store: ProgramStore, draft: StoredProposal) -> None:
    team = Team(TeamInstitution("Indian Institute of Science", "IN"))
    request = ResourceRequest(rack_months=3)
    changed = store.update_proposal(
        draft.proposal.id,
        1,
        {"team": team, "request": request, "modality": Modality.EXTERNAL_EXPOSURE},
        now=NOW,
    )
    again = store.get_proposal(draft.proposal.id)
    assert again == changed
    assert again.proposal.team == team
    assert again.proposal.request == request
    assert again.proposal.modality is Modality.EXTERNAL_EXPOSURE


def test_update_refuses_fields_that_are_not_editable(
    store: ProgramStore, draft: StoredProposal
) -> None:
    for field in ("state", "partner_id", "id"):
        with pytest.raises(ValidationError, match=f"field '{field}' cannot be changed"):
            store.update_proposal(draft.proposal.id, 1, {field: "x"}, now=NOW)
    with pytest.raises(ValidationError, match="does not offer modality 'facility'"):
        store.update_proposal(draft.proposal.id, 1, {"modality": Modality.FACILITY}, now=NOW)
    assert store.get_proposal(draft.proposal.id) == draft


def test_only_drafts_can_be_edited(
    store: ProgramStore, draft: StoredProposal, partner: UserRecord
) -> None:
    submitted = _submit(store, draft, partner)
    with pytest.raises(ConflictError, match="is 'submitted': only drafts can be edited"):
        store.update_proposal(draft.proposal.id, submitted.version, {"title": "x"}, now=NOW)


# --- state changes and the audit log ------------------------------------------------------------


def test_state_change_writes_state_version_and_audit_entry(
    store: ProgramStore, draft: StoredProposal, partner: UserRecord
) -> None:
    submitted = _submit(store, draft, partner)
    assert submitted.version == 2
    assert submitted.proposal.state is ProposalState.SUBMITTED
    assert store.get_proposal(draft.proposal.id) == submitted

    officer = store.create_user("officer", Role.PROGRAM_OFFICER, "$argon2id$x", now=NOW)
    rejected = store.change_state(
        draft.proposal.id,
        ProposalState.REJECTED,
        now=datetime(2026, 9, 11, 9, tzinfo=BEIJING),
        actor=officer.id,
        actor_role=Role.PROGRAM_OFFICER,
        why="  outside   the call's scope ",
        expected_version=None,
    )
    assert rejected.version == 3

    trail = store.audit_trail(draft.proposal.id)
    assert trail == [
        AuditEntry(
            draft.proposal.id,
            partner.id,
            Role.PARTNER,
            NOW,
            ProposalState.DRAFT,
            ProposalState.SUBMITTED,
            "",
        ),
        AuditEntry(
            draft.proposal.id,
            officer.id,
            Role.PROGRAM_OFFICER,
            datetime(2026, 9, 11, 1, tzinfo=UTC),
            ProposalState.SUBMITTED,
            ProposalState.REJECTED,
            "outside the call's scope",
        ),
    ]
    assert all(entry.at.tzinfo is UTC for entry in trail)
    assert store.audit_trail(_new_proposal(store, partner).proposal.id) == []


def test_a_failure_after_the_state_update_leaves_nothing_written(
    engine: Engine, store: ProgramStore, draft: StoredProposal, partner: UserRecord
) -> None:
    updates = []

    def fail_on_audit(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE PROPOSALS"):
            updates.append(statement)
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            raise RuntimeError("disk full")

    event.listen(engine, "before_cursor_execute", fail_on_audit)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            _submit(store, draft, partner)
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_audit)
    assert len(updates) == 1  # the state UPDATE did run before the failure
    assert store.get_proposal(draft.proposal.id) == draft
    assert store.audit_trail(draft.proposal.id) == []
    # And the store still works afterwards.
    assert _submit(store, draft, partner).version == 2


def test_an_illegal_transition_is_refused_and_nothing_is_written(
    engine: Engine, store: ProgramStore, draft: StoredProposal, partner: UserRecord
) -> None:
    with pytest.raises(ConflictError, match="in state 'draft' cannot become 'selected'"):
        store.change_state(
            draft.proposal.id,
            ProposalState.SELECTED,
            now=NOW,
            actor="officer",
            actor_role=Role.PROGRAM_OFFICER,
            expected_version=1,
        )
    with pytest.raises(RoleError, match="role 'reviewer' may not"):
        store.change_state(
            draft.proposal.id,
            ProposalState.SUBMITTED,
            now=NOW,
            actor="someone",
            actor_role=Role.REVIEWER,
            expected_version=1,
        )
    assert store.get_proposal(draft.proposal.id) == draft
    assert _count(engine, "audit_log") == 0


def test_submission_after_the_deadline_is_refused(
    engine: Engine, store: ProgramStore, draft: StoredProposal, partner: UserRecord
) -> None:
    with pytest.raises(DeadlineError, match="closed at 2026-12-01T00:00:00Z"):
        store.change_state(
            draft.proposal.id,
            ProposalState.SUBMITTED,
            now=CLOSES,
            actor=partner.id,
            actor_role=Role.PARTNER,
            expected_version=1,
        )
    assert store.get_proposal(draft.proposal.id).proposal.state is ProposalState.DRAFT
    assert _count(engine, "audit_log") == 0
    # One microsecond before the deadline is still in time.
    submitted = store.change_state(
        draft.proposal.id,
        ProposalState.SUBMITTED,
        now=CLOSES - timedelta(microseconds=1),
        actor=partner.id,
        actor_role=Role.PARTNER,
        expected_version=1,
    )
    assert submitted.proposal.state is ProposalState.SUBMITTED


def test_a_state_change_with_a_stale_version_is_refused(
    engine: Engine, store: ProgramStore, draft: StoredProposal, partner: UserRecord
) -> None:
    store.update_proposal(draft.proposal.id, 1, {"abstract": "Longer abstract."}, now=NOW)
    with pytest.raises(ConflictError, match="no longer at version 1"):
        _submit(store, draft, partner)
    assert store.get_proposal(draft.proposal.id).proposal.state is ProposalState.DRAFT
    assert _count(engine, "audit_log") == 0


def test_audit_times_are_stored_as_utc(
    engine: Engine, store: ProgramStore, draft: StoredProposal, partner: UserRecord
) -> None:
    _submit(store, draft, partner)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET TIME ZONE 'UTC'"))
        at = connection.execute(text("SELECT at FROM audit_log")).scalar_one()
        created = connection.execute(text("SELECT created_at FROM proposals")).scalar_one()
    assert str(at).startswith("2026-09-10 08:30:15.123456")
    assert str(created).startswith("2026-09-10 08:30:15.123456")


# --- listing ------------------------------------------------------------------------------------


@pytest.fixture
def many(store: ProgramStore, partner: UserRecord) -> list[StoredProposal]:
    store.add_call(_call())
    store.add_call(_call(id="cycle-3", title="Third cycle"))
    other = store.create_user("lima", Role.PARTNER, "$argon2id$x", now=NOW)
    made = []
    for n in range(7):
        owner = partner if n % 2 == 0 else other
        made.append(
            _new_proposal(store, owner, now=NOW + timedelta(minutes=n), title=f"Proposal {n}")
        )
    made.append(
        store.create_proposal(
            call_id="cycle-3",
            partner_id=partner.id,
            title="In another call",
            discipline="materials",
            modality=Modality.EXTERNAL_EXPOSURE,
            team=Team(TeamInstitution("University of Oslo", "NO")),
            request=ResourceRequest(adapter_months=2),
            now=NOW + timedelta(hours=1),
        )
    )
    return made


def test_pagination_gives_pages_in_creation_order_and_the_total(
    store: ProgramStore, many: list[StoredProposal]
) -> None:
    first = store.list_proposals(call_id="cycle-2", limit=3)
    assert (first.total, first.limit, first.offset) == (7, 3, 0)
    assert [p.proposal.title for p in first.items] == ["Proposal 0", "Proposal 1", "Proposal 2"]
    last = store.list_proposals(call_id="cycle-2", limit=3, offset=6)
    assert [p.proposal.title for p in last.items] == ["Proposal 6"]
    assert last.total == 7
    beyond = store.list_proposals(call_id="cycle-2", limit=3, offset=30)
    assert (beyond.items, beyond.total) == ((), 7)
    assert store.list_proposals().total == 8
    assert list(store.list_proposals(limit=MAX_PAGE_SIZE).items) == many
    assert store.list_proposals().items[0].proposal.team == TEAM


def test_listing_by_owner(
    store: ProgramStore, many: list[StoredProposal], partner: UserRecord
) -> None:
    mine = store.list_proposals(partner_id=partner.id)
    assert mine.total == 5
    assert {p.proposal.partner_id for p in mine.items} == {partner.id}
    both = store.list_proposals(partner_id=partner.id, call_id="cycle-3")
    assert [p.proposal.title for p in both.items] == ["In another call"]
    assert store.list_proposals(partner_id="nobody").total == 0


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (MAX_PAGE_SIZE + 1, 0), (10, -1)])
def test_bad_page_bounds_are_refused(store: ProgramStore, limit: int, offset: int) -> None:
    with pytest.raises(ValidationError, match="page"):
        store.list_proposals(limit=limit, offset=offset)


def test_rows_are_not_leaked_by_the_store(store: ProgramStore, draft: StoredProposal) -> None:
    page = store.list_proposals()
    assert not any(isinstance(item, ProposalRow) for item in page.items)


def test_a_page_of_calls_is_kept_one_second_and_renewed_by_this_store_s_writes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, elsewhere = ProgramStore(engine), ProgramStore(engine)  # like two server processes
    assert here.list_calls(limit=5) == ([], 0)
    here.add_call(_call(id="cycle-1"))
    assert [c.id for c in here.list_calls(limit=5)[0]] == ["cycle-1"]  # its own write: at once
    assert elsewhere.list_calls(limit=5)[1] == 1
    here.add_call(_call(id="cycle-2"))
    assert elsewhere.list_calls(limit=5)[1] == 1  # another process's write: within the TTL
    later = time.monotonic() + program_store.CALL_PAGE_TTL_S + 0.1
    monkeypatch.setattr(program_store.time, "monotonic", lambda: later)
    assert [c.id for c in elsewhere.list_calls(limit=5)[0]] == ["cycle-1", "cycle-2"]
