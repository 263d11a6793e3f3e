"""The review endpoints on a private SQLite database: pool, assignment, scores, visibility, ranking.

A reviewer asking about a proposal not assigned to them, or one they have a conflict of interest
on, gets 404 (the proposal is not among theirs); a role without access gets 403, no token 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacehome.api import review_routes
from spacehome.api.app import API_PREFIX, ApiSettings, answer_options, create_app
from spacehome.api.users import DatabaseUserStore
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
from spacehome.domain.program_review import Review, aggregate, conflict_reasons, ranking
from spacehome.persistence.program_store import ProgramStore
from spacehome.services.accounts import Passwords, program_store
from spacehome.services.reviews import DEFAULT_CRITERIA

from .conftest import SECRET, FrozenClock, bearer, login

NOW = datetime(2026, 9, 10, 8, 0, tzinfo=UTC)
V1 = API_PREFIX

#: reviewer username -> (institution, country)
REVIEWERS = {
    "r-ke": ("Kenya Space Agency", "KE"),
    "r-pe": ("Universidad de Lima", "PE"),
    "r-no": ("University of Oslo", "NO"),
    "r-in": ("Indian Institute of Science", "IN"),
    "r-fr": ("CNES", "FR"),
    "r-jp": ("University of Tokyo", "JP"),
    "r-de": ("DLR", "DE"),
}
#: proposal key -> lead institution and country
PROPOSALS = {
    "roots": ("University of Nairobi", "KE"),
    "andes": ("Pontificia Universidad Católica del Perú", "PE"),
    "corals": ("Mexican Space Agency", "MX"),
}


@dataclass
class World:
    client: TestClient
    store: ProgramStore
    ids: dict[str, str]  # username or proposal key -> id
    tokens: dict[str, str]  # username -> bearer token

    def as_(self, username: str) -> dict[str, str]:
        return bearer(self.tokens[username])


@pytest.fixture
def world(
    passwords: Passwords, password_hash: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> World:
    monkeypatch.setenv("SPACEHOME_DATABASE_URL", database_url)  # SQLite and PostgreSQL
    store = program_store()
    store.add_call(
        Call(
            id="cycle-2",
            title="Second cycle",
            modalities=frozenset({Modality.OWN_EXPERIMENT}),
            opens_at=datetime(2026, 9, 1, tzinfo=UTC),
            closes_at=datetime(2026, 12, 1, tzinfo=UTC),
            envelope=ResourceEnvelope(crew_hours=500, upmass_kg=500, downlink_gb=100),
            eligible_countries=frozenset({"KE", "PE", "MX"}),
        )
    )
    ids: dict[str, str] = {}
    accounts = [("root", Role.ADMIN), ("olga", Role.PROGRAM_OFFICER), ("nairobi", Role.PARTNER)]
    accounts += [(name, Role.REVIEWER) for name in REVIEWERS]
    for name, role in accounts:
        org = "University of Nairobi" if role is Role.PARTNER else None
        ids[name] = store.create_user(name, role, password_hash, now=NOW, partner_org=org).id
    for key, (institution, country) in PROPOSALS.items():
        stored = store.create_proposal(
            call_id="cycle-2",
            partner_id=ids["nairobi"],
            title=f"Proposal {key}",
            discipline="space life sciences",
            modality=Modality.OWN_EXPERIMENT,
            team=Team(TeamInstitution(institution, country)),
            request=ResourceRequest(crew_hours=10),
            abstract=f"About {key}.",
            now=NOW,
        )
        store.change_state(
            stored.proposal.id,
            ProposalState.SUBMITTED,
            now=NOW,
            actor=ids["nairobi"],
            actor_role=Role.PARTNER,
            expected_version=1,
        )
        ids[key] = stored.proposal.id
    app = create_app(
        ApiSettings(token_secret=SECRET),
        DatabaseUserStore(store),
        clock=FrozenClock(NOW),
        passwords=passwords,
    )
    app.include_router(review_routes.router(None), prefix=API_PREFIX)
    answer_options(app)
    client = TestClient(app, raise_server_exceptions=False)
    tokens = {name: login(client, name) for name, _ in accounts}
    w = World(client, store, ids, tokens)
    for name, (institution, country) in REVIEWERS.items():
        r = client.post(
            f"{V1}/reviewers",
            json={"user_id": ids[name], "institution": institution, "country": country},
            headers=w.as_("olga"),
        )
        assert r.status_code == 201, r.text
    return w


def _assign(w: World, per_proposal: int) -> dict[str, list[str]]:
    r = w.client.post(
        f"{V1}/calls/cycle-2/review-assignments",
        json={"per_proposal": per_proposal},
        headers=w.as_("olga"),
    )
    assert r.status_code == 200, r.text
    reviewers: dict[str, list[str]] = r.json()["reviewers"]
    return reviewers


def _scores(
    merit: float, feasibility: float, cooperation: float, outreach: float
) -> dict[str, float]:
    return dict(
        zip(
            [c.name for c in DEFAULT_CRITERIA],
            [merit, feasibility, cooperation, outreach],
            strict=True,
        )
    )


def _put(w: World, who: str, key: str, scores: dict[str, float], comment: str = "ok") -> Any:
    return w.client.put(
        f"{V1}/proposals/{w.ids[key]}/reviews/mine",
        json={"scores": scores, "comment": comment},
        headers=w.as_(who),
    )


def _username(w: World, user_id: str) -> str:
    return next(name for name, i in w.ids.items() if i == user_id)


def test_anonymous_gets_401_and_a_partner_403_on_every_review_endpoint(world: World) -> None:
    p = world.ids["roots"]
    endpoints = [
        ("POST", f"{V1}/reviewers", {"user_id": "x", "institution": "X", "country": "KE"}),
        ("GET", f"{V1}/reviewers/me", None),
        ("POST", f"{V1}/reviewers/me/conflicts", {"proposals": [p]}),
        ("GET", f"{V1}/calls/cycle-2/review-settings", None),
        ("PUT", f"{V1}/calls/cycle-2/review-settings", {"stage": "panel"}),
        ("POST", f"{V1}/calls/cycle-2/review-assignments", {}),
        ("GET", f"{V1}/calls/cycle-2/review-assignments", None),
        ("GET", f"{V1}/reviews/assigned", None),
        ("PUT", f"{V1}/proposals/{p}/reviews/mine", {"scores": _scores(3, 3, 3, 3)}),
        ("GET", f"{V1}/proposals/{p}/reviews", None),
        ("GET", f"{V1}/calls/cycle-2/ranking", None),
    ]
    for method, path, body in endpoints:
        anonymous = world.client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.headers["content-type"].startswith("application/problem+json")
        partner = world.client.request(method, path, json=body, headers=world.as_("nairobi"))
        assert partner.status_code == 403, (method, path, partner.text)
    options = world.client.options(f"{V1}/calls/cycle-2/review-settings")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, HEAD, OPTIONS, PUT"


def test_reviewer_profiles_are_created_by_officers_for_reviewer_accounts(world: World) -> None:
    c = world.client
    body = {"user_id": world.ids["r-ke"], "institution": "X", "country": "KE"}
    assert c.post(f"{V1}/reviewers", json=body, headers=world.as_("root")).status_code == 409
    assert c.post(f"{V1}/reviewers", json=body, headers=world.as_("r-no")).status_code == 403
    partner = {**body, "user_id": world.ids["nairobi"]}
    r = c.post(f"{V1}/reviewers", json=partner, headers=world.as_("olga"))
    assert r.status_code == 422
    assert "not an active reviewer account" in r.json()["detail"]
    ghost = {**body, "user_id": "ghost"}
    assert c.post(f"{V1}/reviewers", json=ghost, headers=world.as_("olga")).status_code == 404
    me = c.get(f"{V1}/reviewers/me", headers=world.as_("r-ke")).json()
    assert me["institution"] == "Kenya Space Agency"
    assert me["name"] == "r-ke"
    assert me["declared_proposals"] == []


def test_a_conflicted_reviewer_is_never_assigned_and_cannot_read_or_score(world: World) -> None:
    assigned = _assign(world, per_proposal=2)
    assert set(assigned) == {world.ids[k] for k in PROPOSALS}
    for key, (institution, country) in PROPOSALS.items():
        reviewers = assigned[world.ids[key]]
        assert len(reviewers) == 2
        for reviewer_id in reviewers:
            own_institution, own_country = REVIEWERS[_username(world, reviewer_id)]
            assert not conflict_reasons(
                institution=own_institution,
                country=own_country,
                declared_proposals=(),
                declared_institutions=(),
                proposal_id=world.ids[key],
                institutions=(institution,),
                countries=(country,),
            )
    assert world.ids["r-ke"] not in assigned[world.ids["roots"]]
    assert world.ids["r-pe"] not in assigned[world.ids["andes"]]
    # r-ke is conflicted on "roots" (same country): not listed, and 404 to read or score it
    listed = world.client.get(f"{V1}/reviews/assigned", headers=world.as_("r-ke")).json()
    assert world.ids["roots"] not in {v["id"] for v in listed}
    r = _put(world, "r-ke", "roots", _scores(5, 5, 5, 5))
    assert r.status_code == 404
    assert "not among the proposals assigned to you" in r.json()["detail"]
    read = world.client.get(
        f"{V1}/proposals/{world.ids['roots']}/reviews", headers=world.as_("r-ke")
    )
    assert read.status_code == 404


def test_a_conflict_declared_after_assignment_withdraws_access(world: World) -> None:
    assigned = _assign(world, per_proposal=2)
    reviewer_id = assigned[world.ids["corals"]][0]
    who = _username(world, reviewer_id)
    listed = world.client.get(f"{V1}/reviews/assigned", headers=world.as_(who)).json()
    assert world.ids["corals"] in {v["id"] for v in listed}
    r = world.client.post(
        f"{V1}/reviewers/me/conflicts",
        json={"institutions": ["mexican  space agency"]},
        headers=world.as_(who),
    )
    assert r.status_code == 200, r.text
    assert r.json()["declared_institutions"] == ["mexican space agency"]
    listed = world.client.get(f"{V1}/reviews/assigned", headers=world.as_(who)).json()
    assert world.ids["corals"] not in {v["id"] for v in listed}
    assert _put(world, who, "corals", _scores(3, 3, 3, 3)).status_code == 404


def test_an_unassigned_reviewer_cannot_score(world: World) -> None:
    assigned = _assign(world, per_proposal=1)
    roots = world.ids["roots"]
    outsider = next(
        name for name in REVIEWERS if name != "r-ke" and world.ids[name] not in assigned[roots]
    )
    r = _put(world, outsider, "roots", _scores(4, 4, 4, 4))
    assert r.status_code == 404
    insider = _username(world, assigned[roots][0])
    assert _put(world, insider, "roots", _scores(4, 4, 4, 4)).status_code == 200


def test_scores_must_cover_every_criterion_within_the_scale(world: World) -> None:
    assigned = _assign(world, per_proposal=1)
    who = _username(world, assigned[world.ids["andes"]][0])
    bad: list[dict[str, float]] = [
        _scores(6, 3, 3, 3),
        {c.name: 3.0 for c in DEFAULT_CRITERIA[:-1]},
        {**_scores(3, 3, 3, 3), "charm": 5},
    ]
    for scores in bad:
        r = _put(world, who, "andes", scores)
        assert r.status_code == 422, (scores, r.text)
    ok = _put(world, who, "andes", _scores(5, 4, 3, 1), "  Strong science.  ")
    assert ok.status_code == 200, ok.text
    assert ok.json()["comment"] == "Strong science."
    assert ok.json()["submitted_at"].startswith("2026-09-10T08:00:00")


def test_reviewers_see_only_their_own_review_before_the_panel_stage(world: World) -> None:
    assigned = _assign(world, per_proposal=2)
    roots = world.ids["roots"]
    a, b = (_username(world, i) for i in assigned[roots])
    assert _put(world, a, "roots", _scores(5, 4, 4, 3), "from a").status_code == 200
    assert _put(world, b, "roots", _scores(2, 2, 3, 3), "from b").status_code == 200
    path = f"{V1}/proposals/{roots}/reviews"
    mine = world.client.get(path, headers=world.as_(a)).json()
    assert [r["comment"] for r in mine] == ["from a"]
    officer = world.client.get(path, headers=world.as_("olga")).json()
    assert sorted(r["comment"] for r in officer) == ["from a", "from b"]
    r = world.client.put(
        f"{V1}/calls/cycle-2/review-settings", json={"stage": "panel"}, headers=world.as_("olga")
    )
    assert r.status_code == 200
    assert r.json() == {"call_id": "cycle-2", "double_anonymous": False, "stage": "panel"}
    panel = world.client.get(path, headers=world.as_(a)).json()
    assert sorted(r["comment"] for r in panel) == ["from a", "from b"]
    late = _put(world, a, "roots", _scores(1, 1, 1, 1))
    assert late.status_code == 409
    assert "individual stage" in late.json()["detail"]


def test_double_anonymous_calls_hide_the_team_from_reviewers(world: World) -> None:
    assigned = _assign(world, per_proposal=1)
    who = _username(world, assigned[world.ids["corals"]][0])
    view = next(
        v
        for v in world.client.get(f"{V1}/reviews/assigned", headers=world.as_(who)).json()
        if v["id"] == world.ids["corals"]
    )
    assert view["team"] == [{"name": "Mexican Space Agency", "country": "MX"}]
    assert view["anonymised"] is False
    world.client.put(
        f"{V1}/calls/cycle-2/review-settings",
        json={"double_anonymous": True},
        headers=world.as_("olga"),
    )
    view = next(
        v
        for v in world.client.get(f"{V1}/reviews/assigned", headers=world.as_(who)).json()
        if v["id"] == world.ids["corals"]
    )
    assert view["team"] is None
    assert view["countries"] == []
    assert view["anonymised"] is True
    assert "Mexican" not in str(view)


def test_the_ranking_is_the_domain_aggregate_with_trimmed_reviews_shown(world: World) -> None:
    assigned = _assign(world, per_proposal=4)
    given: list[Review] = []
    for k, (proposal_id, reviewer_ids) in enumerate(sorted(assigned.items())):
        for j, reviewer_id in enumerate(reviewer_ids):
            scores = _scores(1 + (j + k) % 5, 1 + (2 * j + k) % 5, 1 + (j * k) % 5, 5 - j % 5)
            r = world.client.put(
                f"{V1}/proposals/{proposal_id}/reviews/mine",
                json={"scores": scores, "comment": ""},
                headers=world.as_(_username(world, reviewer_id)),
            )
            assert r.status_code == 200, r.text
            given.append(Review.of(reviewer_id, proposal_id, scores))
    expected = ranking(aggregate(given, DEFAULT_CRITERIA, trim=1))
    r = world.client.get(f"{V1}/calls/cycle-2/ranking", headers=world.as_("olga"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["name"] for c in body["criteria"]] == [c.name for c in DEFAULT_CRITERIA]
    assert [x["proposal_id"] for x in body["ranking"]] == [a.proposal_id for a in expected]
    assert [x["rank"] for x in body["ranking"]] == [1, 2, 3]
    for got, want in zip(body["ranking"], expected, strict=True):
        assert got["aggregate"] == pytest.approx(want.aggregate, rel=1e-12)
        assert got["raw_mean"] == pytest.approx(want.raw_mean, rel=1e-12)
        assert got["count"] == want.count == 4
        assert got["trimmed"] == list(want.trimmed)
        assert len(want.trimmed) == 2
        assert [s["trimmed"] for s in got["reviews"]] == [
            s.reviewer_id in want.trimmed for s in want.reviews
        ]
        assert [s["adjusted"] for s in got["reviews"]] == pytest.approx(
            [s.adjusted for s in want.reviews], rel=1e-12
        )
    untrimmed = world.client.get(
        f"{V1}/calls/cycle-2/ranking", params={"trim": 0}, headers=world.as_("root")
    ).json()
    assert all(x["trimmed"] == [] for x in untrimmed["ranking"])
    # reviews exist now: the assignment can no longer be replaced
    again = world.client.post(
        f"{V1}/calls/cycle-2/review-assignments", json={}, headers=world.as_("olga")
    )
    assert again.status_code == 409


def test_assignment_needs_enough_reviewers_without_conflict(world: World) -> None:
    r = world.client.post(
        f"{V1}/calls/cycle-2/review-assignments",
        json={"per_proposal": 7},
        headers=world.as_("olga"),
    )
    assert r.status_code == 422
    assert "without a conflict of interest" in r.json()["detail"]
    stored = world.client.get(
        f"{V1}/calls/cycle-2/review-assignments", headers=world.as_("olga")
    ).json()
    assert stored == {"call_id": "cycle-2", "reviewers": {}, "load": None, "status": None}
    missing = world.client.post(
        f"{V1}/calls/no-such-call/review-assignments", json={}, headers=world.as_("olga")
    )
    assert missing.status_code == 404
