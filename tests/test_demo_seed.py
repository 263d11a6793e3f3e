"""``spacehome demo seed`` as a use case: the synthetic call, its proposals, reviewers, reviews, on
SQLite and PostgreSQL; the same seed gives the same content; a second run is refused; the seeded
officer logs in with the printed password and the selection endpoint answers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spacehome.api import selection_routes
from spacehome.api.app import API_PREFIX, ApiSettings, create_app
from spacehome.api.users import DatabaseUserStore
from spacehome.domain.program import ProposalState, Role
from spacehome.domain.program_review import ReviewStage, conflicts, institution_key
from spacehome.errors import ConflictError, ValidationError
from spacehome.program.selection import BreadthRules
from spacehome.record.ldc import least_developed_countries
from spacehome.services import demo
from spacehome.services.accounts import Passwords, program_store
from spacehome.services.first_cycle import load_first_cycle
from spacehome.services.program import ProgramService
from spacehome.services.reviews import DEFAULT_CRITERIA, ReviewService
from spacehome.services.selection import SelectionService

NOW = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
FAST = Passwords(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "demo-only-password-for-tests"
SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
COUNT = 15


def _seed(url: str | None, *, seed: int = 7, proposals: int = COUNT) -> demo.DemoResult:
    return demo.seed_demo(
        url, now=NOW, seed=seed, proposals=proposals, password=PASSWORD, passwords=FAST
    )


def test_the_demo_is_a_labelled_synthetic_call_with_a_full_review(database_url: str) -> None:
    result = _seed(database_url)
    program = ProgramService.open(database_url)
    reviews = ReviewService.open(database_url)
    store = program.store

    # the call: labelled, open now (submissions met the deadline rule), all modalities
    call = program.get_call(demo.DEMO_CALL_ID, now=NOW)
    assert call["id"] == "demo-synthetic-1"
    assert call["title"].startswith("SYNTHETIC DEMO —")
    assert call["opens_at"] == "2026-10-30T09:00:00Z"
    assert call["closes_at"] == "2026-12-29T09:00:00Z"
    assert call["open_now"] is True

    # proposals: all of them, each submitted by its partner and sent to review by the officer
    page = store.list_proposals(call_id=demo.DEMO_CALL_ID, limit=500)
    assert page.total == COUNT == len(result.proposal_ids)
    proposals = {s.proposal.id: s.proposal for s in page.items}
    assert {p.state for p in proposals.values()} == {ProposalState.UNDER_REVIEW}
    officer = store.get_user_by_username(demo.OFFICER_USERNAME)
    assert officer is not None
    assert officer.role is Role.PROGRAM_OFFICER
    for proposal in proposals.values():
        owner = store.get_user_by_id(proposal.partner_id)
        assert owner is not None
        assert owner.role is Role.PARTNER
        assert owner.username.startswith("demo-partner-")
        assert owner.partner_org == proposal.team.lead.name
        trail = store.audit_trail(proposal.id)
        assert [(e.from_state, e.to_state) for e in trail] == [
            (ProposalState.DRAFT, ProposalState.SUBMITTED),
            (ProposalState.SUBMITTED, ProposalState.UNDER_REVIEW),
        ]
        assert (trail[0].actor, trail[0].actor_role) == (owner.id, Role.PARTNER)
        assert (trail[1].actor, trail[1].actor_role) == (officer.id, Role.PROGRAM_OFFICER)
        assert trail[0].at == NOW
        # labelled synthetic, every institution
        assert proposal.title.startswith("Synthetic demo p")
        assert "SYNTHETIC" in proposal.abstract
        assert all(m.name.endswith("(synthetic)") for m in proposal.team.institutions)

    # countries: many UN member states in every UN regional group, several LDCs
    countries = {c for p in proposals.values() for c in p.team.countries}
    ldc = countries & least_developed_countries()
    assert len(countries) >= 15
    assert len(ldc) >= 3
    assert set(result.countries) == countries
    assert set(result.ldc_countries) == ldc
    assert set(result.regions) == {
        "African States",
        "Asia-Pacific States",
        "Eastern European States",
        "Latin American and Caribbean States",
        "Western European and other States",
    }
    assert sum(result.regions.values()) == len(countries)

    # the requests together exceed the envelope, each alone fits in it
    envelope = {name: entry["amount"] for name, entry in call["envelope"].items()}
    for name, asked in result.demand.items():
        assert asked == sum(p.request.amounts()[name] for p in proposals.values())
        if asked:
            assert asked > envelope[name]
        assert all(p.request.amounts()[name] <= envelope[name] for p in proposals.values())

    # reviewers: profiles with institution, country, declared conflicts
    pool = {r.id: r for r in reviews.reviews.list_reviewers()}
    assert len(pool) == len(demo.REVIEWERS) == 12
    assert sum(1 for r in pool.values() if r.declared_institutions) == 2
    assert all(r.institution and r.country for r in pool.values())

    # assignment: three reviewers each, none conflicted (institution, country, declared)
    assigned = reviews.reviews.assignments_of_call(demo.DEMO_CALL_ID)
    assert set(assigned) == set(proposals)
    load: Counter[str] = Counter()
    for pid, reviewer_ids in assigned.items():
        assert len(reviewer_ids) == demo.PER_PROPOSAL
        proposal = proposals[pid]
        for rid in reviewer_ids:
            reviewer = pool[rid]
            load[rid] += 1
            assert conflicts(reviewer, proposal) == ()
            assert reviewer.country not in proposal.team.countries
            keys = {institution_key(m.name) for m in proposal.team.institutions}
            assert institution_key(reviewer.institution) not in keys
            assert not keys & {institution_key(i) for i in reviewer.declared_institutions}
    assert sum(load.values()) == demo.PER_PROPOSAL * COUNT
    usernames = {store.get_user_by_id(rid).username: rid for rid in pool}  # type: ignore[union-attr]
    kenyan = usernames["demo-reviewer-11"]  # a reviewer in Kenya never reviews a Kenyan team
    assert all(
        kenyan not in assigned[pid] for pid, p in proposals.items() if "KE" in p.team.countries
    )

    # reviews: every assigned reviewer scored every criterion; the call is at the panel stage
    stored_reviews = reviews.reviews.reviews_of_call(demo.DEMO_CALL_ID)
    assert result.reviews == len(stored_reviews) == demo.PER_PROPOSAL * COUNT
    for stored in stored_reviews:
        assert stored.review.reviewer_id in assigned[stored.review.proposal_id]
        assert {name for name, _ in stored.review.scores} == {c.name for c in DEFAULT_CRITERIA}
        assert all(1.0 <= v <= 5.0 for _, v in stored.review.scores)
    assert reviews.settings(demo.DEMO_CALL_ID).stage is ReviewStage.PANEL

    # the ranking has every proposal, best first, and matches the result's
    ranking = reviews.ranking(demo.DEMO_CALL_ID)
    assert [a.proposal_id for a in ranking] == [r["proposal_id"] for r in result.ranking]
    assert len(ranking) == COUNT
    assert all(a.count == demo.PER_PROPOSAL for a in ranking)
    assert ranking[0].aggregate > ranking[-1].aggregate

    # the selection has to choose: some proposals in, some out, within the envelope
    selection = SelectionService(reviews).select(
        demo.DEMO_CALL_ID, BreadthRules(min_countries=8, ldc_min_share=0.25), time_limit_s=5.0
    )
    assert selection.pool == "under_review"
    assert 0 < len(selection.selected) < COUNT
    assert all(selection.usage[r] <= selection.envelope[r] + 1e-9 for r in selection.envelope)
    assert len(selection.countries) >= 8
    assert selection.ldc_proposals >= 0.25 * len(selection.selected)

    # the real first cycle sits next to the synthetic call (loaded once: a reload adds nothing)
    assert result.first_cycle.cycle == "unoosa-cmsa-1"
    assert len(result.first_cycle.added) == 9
    again = load_first_cycle(database_url, now=NOW)
    assert (len(again.added), len(again.unchanged)) == (0, 9)
    assert result.view()["first_cycle"] == {
        "cycle": "unoosa-cmsa-1",
        "synthetic": False,
        "projects": 9,
        "added": 9,
    }

    # the officer logs in with the demo password and the selection endpoint answers
    assert result.password == PASSWORD
    app = create_app(
        ApiSettings(token_secret=SECRET),
        DatabaseUserStore(store),
        clock=lambda: NOW,
        passwords=FAST,
    )
    app.include_router(selection_routes.router(database_url), prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(
            f"{API_PREFIX}/auth/token",
            data={"username": demo.OFFICER_USERNAME, "password": PASSWORD},
        )
        assert r.status_code == 200, r.text
        r = client.post(
            f"{API_PREFIX}/calls/{demo.DEMO_CALL_ID}/selection",
            json={"min_countries": 8, "ldc_min_share": 0.25, "time_limit_s": 5},
            headers={"Authorization": f"Bearer {r.json()['access_token']}"},
        )
    assert r.status_code == 200, r.text
    assert r.json()["selected"] == list(selection.selected)
    assert {p["proposal_id"] for p in r.json()["proposals"]} == set(proposals)


def test_the_same_seed_gives_the_same_content_and_a_second_run_is_refused(tmp_path: Path) -> None:
    first = demo.build_plan(seed=3, proposals=30, now=NOW)
    again = demo.build_plan(seed=3, proposals=30, now=NOW)
    other = demo.build_plan(seed=4, proposals=30, now=NOW)
    assert first == again
    assert first.proposals != other.proposals

    def content(url: str) -> list[tuple[object, ...]]:
        result = _seed(url, seed=3, proposals=5)
        store = program_store(url)
        key = {pid: k for k, pid in result.proposal_ids.items()}
        rows = []
        for k, pid in sorted(result.proposal_ids.items()):
            p = store.get_proposal(pid).proposal
            rows.append((k, p.title, p.team, p.request, p.modality, result.assignments[pid]))
        rows.append(tuple((key[r["proposal_id"]], r["aggregate"]) for r in result.ranking))
        return rows

    first_db = f"sqlite:///{tmp_path}/a.sqlite3"
    assert content(first_db) == content(f"sqlite:///{tmp_path}/b.sqlite3")

    # a second run on the same database is refused before it writes anything
    store = program_store(first_db)
    users = [store.get_user_by_username(a.username) for a in first.accounts[:1]]
    with pytest.raises(ConflictError, match=r"already seeded .* fresh database"):
        _seed(first_db, seed=3, proposals=5)
    assert store.list_proposals(call_id=demo.DEMO_CALL_ID, limit=500).total == 5
    assert [store.get_user_by_username(a.username) for a in first.accounts[:1]] == users


def test_a_taken_demo_username_is_refused_before_writing_anything() -> None:
    store = program_store()
    store.create_user("demo-officer", Role.ADMIN, FAST.hash(PASSWORD), now=NOW)
    with pytest.raises(ConflictError, match="'demo-officer' is already taken"):
        _seed(None)
    assert store.list_calls()[1] == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"proposals": 4}, "--proposals 4 is out of range: give 5..200"),
        ({"proposals": 201}, "--proposals 201 is out of range"),
        ({"seed": -1}, "--seed -1 is out of range"),
    ],
)
def test_bad_options_are_refused(options: dict[str, int], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        demo.build_plan(now=NOW, **{"seed": 1, "proposals": COUNT, **options})


def test_a_short_password_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 12"):
        demo.seed_demo(None, now=NOW, password="short", passwords=FAST)
    assert program_store().list_calls()[1] == 0
