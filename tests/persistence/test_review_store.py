"""The review store (reviewer pool, assignments, call settings, reviews), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, inspect

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
from spacehome.domain.program_review import Review, Reviewer, ReviewStage
from spacehome.errors import ConflictError, NotFoundError, ValidationError
from spacehome.persistence.program_store import ProgramStore, StoredProposal, UserRecord
from spacehome.persistence.review_store import ReviewSettings, ReviewStore

NOW = datetime(2026, 9, 10, 8, 30, 15, 123456, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def program(engine: Engine) -> ProgramStore:
    return ProgramStore(engine)


@pytest.fixture
def store(engine: Engine) -> ReviewStore:
    return ReviewStore(engine)


def _call(call_id: str) -> Call:
    return Call(
        id=call_id,
        title=f"Call {call_id}",
        modalities=frozenset({Modality.OWN_EXPERIMENT}),
        opens_at=datetime(2026, 9, 1, tzinfo=UTC),
        closes_at=datetime(2026, 12, 1, tzinfo=UTC),
        envelope=ResourceEnvelope(crew_hours=200, upmass_kg=500, downlink_gb=100),
        eligible_countries=frozenset({"KE", "PE"}),
    )


@pytest.fixture
def partner(program: ProgramStore) -> UserRecord:
    program.add_call(_call("cycle-2"))
    program.add_call(_call("cycle-3"))
    return program.create_user("nairobi", Role.PARTNER, "$h", now=NOW, partner_org="UoN")


def _proposal(
    program: ProgramStore, partner: UserRecord, call_id: str = "cycle-2"
) -> StoredProposal:
    stored = program.create_proposal(
        call_id=call_id,
        partner_id=partner.id,
        title="Plant roots",
        discipline="space life sciences",
        modality=Modality.OWN_EXPERIMENT,
        team=Team(TeamInstitution("University of Nairobi", "KE")),
        request=ResourceRequest(crew_hours=10),
        now=NOW,
    )
    program.change_state(
        stored.proposal.id,
        ProposalState.SUBMITTED,
        now=NOW,
        actor=partner.id,
        actor_role=Role.PARTNER,
        expected_version=1,
    )
    return stored


def _reviewer(program: ProgramStore, store: ReviewStore, name: str, country: str) -> Reviewer:
    account = program.create_user(name, Role.REVIEWER, "$h", now=NOW)
    return store.add_reviewer(
        Reviewer(
            id=account.id,
            name=name,
            institution=f"{name} institute",
            country=country,
            declared_institutions=frozenset({"Old Employer"}),
        )
    )


def test_the_review_tables_exist(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert {"review_assignments", "call_review_settings"} <= names


def test_reviewer_profiles_round_trip_and_conflicts_only_grow(
    program: ProgramStore, store: ReviewStore
) -> None:
    ada = _reviewer(program, store, "ada", "no")
    assert store.get_reviewer(ada.id) == ada
    assert ada.country == "NO"
    assert store.get_reviewer("nobody") is None
    updated = store.declare_conflicts(ada.id, proposals=["p-1"], institutions=["  Mars   Lab "])
    assert updated.declared_proposals == {"p-1"}
    assert updated.declared_institutions == {"Old Employer", "Mars Lab"}
    assert store.get_reviewer(ada.id) == updated
    assert store.list_reviewers() == [updated]
    with pytest.raises(ConflictError, match="already has a reviewer profile"):
        store.add_reviewer(ada)
    with pytest.raises(NotFoundError):
        store.declare_conflicts("nobody", proposals=["p"])


def test_only_active_reviewer_accounts_get_a_profile(
    program: ProgramStore, store: ReviewStore
) -> None:
    partner = program.create_user("p", Role.PARTNER, "$h", now=NOW, partner_org="X")
    with pytest.raises(ValidationError, match="not an active reviewer account"):
        store.add_reviewer(Reviewer(id=partner.id, name="p", institution="X", country="KE"))
    with pytest.raises(NotFoundError):
        store.add_reviewer(Reviewer(id="ghost", name="g", institution="X", country="KE"))


def test_settings_default_then_round_trip(store: ReviewStore, partner: UserRecord) -> None:
    assert store.get_settings("cycle-2") == ReviewSettings("cycle-2")
    chosen = ReviewSettings("cycle-2", double_anonymous=True, stage=ReviewStage.PANEL)
    store.set_settings(chosen)
    assert store.get_settings("cycle-2") == chosen
    store.set_settings(ReviewSettings("cycle-2", stage=ReviewStage.DECIDED))
    assert store.get_settings("cycle-2").stage is ReviewStage.DECIDED
    with pytest.raises(NotFoundError):
        store.get_settings("no-such-call")


def test_assignments_and_reviews_round_trip(
    program: ProgramStore, store: ReviewStore, partner: UserRecord
) -> None:
    p1 = _proposal(program, partner).proposal.id
    p2 = _proposal(program, partner).proposal.id
    other = _proposal(program, partner, "cycle-3").proposal.id
    ada = _reviewer(program, store, "ada", "NO").id
    bo = _reviewer(program, store, "bo", "IN").id
    saved = store.replace_assignments("cycle-2", {p1: [bo, ada], p2: [ada]}, now=NOW)
    assert saved == {p1: tuple(sorted([ada, bo])), p2: (ada,)}
    assert store.assignments_of_call("cycle-2") == saved
    assert store.assignments_of_reviewer(ada) == sorted([p1, p2])
    assert store.is_assigned(p2, ada)
    assert not store.is_assigned(p2, bo)
    # replacing drops the old pairs
    store.replace_assignments("cycle-2", {p1: [ada], p2: [bo]}, now=NOW)
    assert store.assignments_of_call("cycle-2") == {p1: (ada,), p2: (bo,)}
    with pytest.raises(ValidationError, match="not a proposal of call"):
        store.replace_assignments("cycle-2", {other: [ada]}, now=NOW)
    with pytest.raises(NotFoundError, match="no reviewer profile"):
        store.replace_assignments("cycle-2", {p1: ["ghost"]}, now=NOW)
    assert store.assignments_of_call("cycle-2") == {p1: (ada,), p2: (bo,)}

    review = Review.of(ada, p1, {"merit": 4.5, "outreach": 2}, "Clear aims.")
    stored = store.put_review(review, now=NOW.astimezone(BEIJING))
    assert stored.submitted_at == NOW
    [back] = store.reviews_of_proposal(p1)
    assert back.review == review
    assert back.submitted_at == NOW
    assert back.submitted_at.tzinfo is UTC
    rewritten = Review.of(ada, p1, {"merit": 3, "outreach": 3}, "Revised.")
    store.put_review(rewritten, now=NOW + timedelta(hours=1))
    assert [s.review for s in store.reviews_of_call("cycle-2")] == [rewritten]
    with pytest.raises(NotFoundError, match="not assigned"):
        store.put_review(Review.of(ada, p2, {"merit": 3}), now=NOW)
    # once reviews exist, the call's assignment stays
    with pytest.raises(ConflictError, match="already has reviews"):
        store.replace_assignments("cycle-2", {p1: [bo]}, now=NOW)
    assert store.reviews_of_call("cycle-3") == []
