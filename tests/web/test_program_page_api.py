"""The Program page's read endpoints: review criteria, a reviewer's desk, a call's review board.

A fresh SQLite database per test, a frozen clock, real accounts and bearer tokens; the data is
written through the services (call, proposals, transitions, reviewer profiles, assignment) and
the reviews through the API, as the page does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacehome.api import program_page_routes, program_routes, review_routes
from spacehome.api.app import API_PREFIX, ApiSettings, answer_options, create_app
from spacehome.api.users import DatabaseUserStore
from spacehome.domain.program import Modality, ProposalState, Role
from spacehome.services import accounts
from spacehome.services.program import Actor, ProgramService
from spacehome.services.reviews import ReviewService

SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery staple"
FAST = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
NOW = datetime(2026, 9, 6, 9, 0, tzinfo=UTC)
ACCOUNTS = {
    "kip": ("partner", "University of Nairobi"),
    "ana": ("partner", "Pontificia Universidad Católica del Perú"),
    "rita": ("reviewer", None),
    "ravi": ("reviewer", None),
    "noprofile": ("reviewer", None),
    "olga": ("program_officer", None),
    "root": ("admin", None),
    "pat": ("planner", None),
}
CALL = "cycle-test"


class Clock:
    def __call__(self) -> datetime:
        return NOW


class World:
    def __init__(self, database_url: str) -> None:
        store = accounts.program_store(database_url)
        self.ids = {
            name: accounts.create_account(
                store, name, role, PASSWORD, now=NOW, partner_org=org, passwords=FAST
            ).id
            for name, (role, org) in ACCOUNTS.items()
        }
        app = create_app(
            ApiSettings(token_secret=SECRET),
            DatabaseUserStore(store),
            clock=Clock(),
            passwords=FAST,
        )
        for module in (program_routes, review_routes, program_page_routes):
            app.include_router(module.router(database_url), prefix=API_PREFIX)
        answer_options(app)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.auth: dict[str, dict[str, str]] = {"public": {}}
        for name in ACCOUNTS:
            r = self.client.post(
                f"{API_PREFIX}/auth/token", data={"username": name, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            self.auth[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        self.program = ProgramService.open(database_url)
        self.reviews = ReviewService.open(database_url)

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(f"{API_PREFIX}{path}", params=params, headers=self.auth[who])

    def put(self, who: str, path: str, body: Any) -> Any:
        return self.client.put(f"{API_PREFIX}{path}", json=body, headers=self.auth[who])

    def proposal(self, owner: str, title: str, lead: tuple[str, str], crew: float) -> str:
        actor = Actor(self.ids[owner], Role.PARTNER)
        stored = self.program.create_proposal(
            actor,
            CALL,
            title=title,
            discipline="life sciences",
            modality=Modality.FACILITY,
            team={"lead": {"name": lead[0], "country": lead[1]}, "partners": []},
            request={"crew_hours": crew},
            abstract="",
            now=NOW,
        )
        pid = stored.proposal.id
        self.program.change_state(
            actor, pid, ProposalState.SUBMITTED, why="", expected_version=stored.version, now=NOW
        )
        return pid

    def to_review(self, pid: str) -> None:
        officer = Actor(self.ids["olga"], Role.PROGRAM_OFFICER)
        version = self.program.read_proposal(officer, pid).version
        self.program.change_state(
            officer, pid, ProposalState.UNDER_REVIEW, why="", expected_version=version, now=NOW
        )


@pytest.fixture
def world(database_url: str) -> World:  # SQLite and PostgreSQL
    w = World(database_url)
    w.program.create_call(
        call_id=CALL,
        title="Test cycle",
        modalities=[Modality.FACILITY],
        opens_at=(NOW - timedelta(days=10)).isoformat(),
        closes_at=(NOW + timedelta(days=20)).isoformat(),
        envelope={"crew_hours": 100},
        eligible_countries=None,
        now=NOW,
    )
    w.reviews.add_reviewer(w.ids["rita"], institution="Universidad de Chile", country="CL")
    w.reviews.add_reviewer(w.ids["ravi"], institution="Mahidol University", country="TH")
    return w


SCORES_HIGH = {
    "scientific merit": 5,
    "feasibility on the station": 4,
    "international cooperation": 4,
    "outreach": 3,
}
SCORES_LOW = {
    "scientific merit": 2,
    "feasibility on the station": 3,
    "international cooperation": 1,
    "outreach": 1,
}


def test_review_criteria_are_public_with_their_scale(world: World) -> None:
    r = world.get("public", "/program/review-criteria")
    assert r.status_code == 200
    assert [(c["name"], c["weight"], c["low"], c["high"]) for c in r.json()] == [
        ("scientific merit", 0.4, 1.0, 5.0),
        ("feasibility on the station", 0.3, 1.0, 5.0),
        ("international cooperation", 0.2, 1.0, 5.0),
        ("outreach", 0.1, 1.0, 5.0),
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [("public", 401), ("kip", 403), ("olga", 403), ("root", 403), ("pat", 403), ("rita", 200)],
)
def test_reviewer_desk_is_for_reviewers_only(world: World, who: str, status: int) -> None:
    assert world.get(who, "/program/reviewer-desk").status_code == status


def test_reviewer_desk_without_a_profile_says_so(world: World) -> None:
    body = world.get("noprofile", "/program/reviewer-desk").json()
    assert body["profile"] is False
    assert body["items"] == []
    assert len(body["criteria"]) == 4


def test_reviewer_desk_lists_assigned_work_and_my_review(world: World) -> None:
    pid = world.proposal("kip", "Crystals", ("University of Nairobi", "KE"), 10)
    world.reviews.assign(CALL, now=NOW, per_proposal=2)
    desk = world.get("rita", "/program/reviewer-desk").json()
    assert desk["profile"] is True
    [item] = desk["items"]
    assert item["proposal"]["id"] == pid
    assert item["proposal"]["team"] == [{"name": "University of Nairobi", "country": "KE"}]
    assert item["proposal"]["request"]["crew_hours"] == 10.0
    assert (item["stage"], item["may_write"], item["review"]) == ("individual", True, None)

    r = world.put(
        "rita", f"/proposals/{pid}/reviews/mine", {"scores": SCORES_HIGH, "comment": " ok "}
    )
    assert r.status_code == 200, r.text
    [item] = world.get("rita", "/program/reviewer-desk").json()["items"]
    assert item["review"]["scores"] == SCORES_HIGH
    assert item["review"]["comment"] == "ok"
    assert item["review"]["submitted_at"] == "2026-09-06T09:00:00Z"
    # ravi has not reviewed yet and does not see rita's review at the individual stage
    [other] = world.get("ravi", "/program/reviewer-desk").json()["items"]
    assert other["review"] is None


def test_reviewer_desk_hides_a_conflicted_proposal(world: World) -> None:
    pid = world.proposal("kip", "Crystals", ("University of Nairobi", "KE"), 10)
    world.reviews.assign(CALL, now=NOW, per_proposal=2)
    world.reviews.declare_conflicts(world.ids["rita"], proposals=[pid])
    assert world.get("rita", "/program/reviewer-desk").json()["items"] == []
    assert len(world.get("ravi", "/program/reviewer-desk").json()["items"]) == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("public", 401), ("kip", 403), ("rita", 403), ("pat", 403), ("olga", 200), ("root", 200)],
)
def test_review_board_is_for_officers(world: World, who: str, status: int) -> None:
    assert world.get(who, f"/program/calls/{CALL}/review-board").status_code == status


def test_review_board_of_an_unknown_call_is_404(world: World) -> None:
    assert world.get("olga", "/program/calls/no-such-call/review-board").status_code == 404


def test_review_board_joins_assignment_scores_and_ranking(world: World) -> None:
    good = world.proposal("kip", "Crystals", ("University of Nairobi", "KE"), 10)
    weak = world.proposal("ana", "Seeds", ("PUCP", "PE"), 20)
    fresh = world.proposal("ana", "Later", ("PUCP Lima", "PE"), 5)
    world.to_review(good)
    world.reviews.assign(CALL, now=NOW, per_proposal=2)
    for who in ("rita", "ravi"):
        assert (
            world.put(who, f"/proposals/{good}/reviews/mine", {"scores": SCORES_HIGH}).status_code
            == 200
        )
    assert (
        world.put("rita", f"/proposals/{weak}/reviews/mine", {"scores": SCORES_LOW}).status_code
        == 200
    )

    board = world.get("olga", f"/program/calls/{CALL}/review-board").json()
    assert (board["stage"], board["double_anonymous"], board["trim"]) == ("individual", False, 1)
    assert board["submitted"] == 2  # weak and fresh are still submitted; good is under review
    rows = {r["proposal_id"]: r for r in board["items"]}
    assert [r["proposal_id"] for r in board["items"]] == [good, weak, fresh]
    assert (rows[good]["rank"], rows[weak]["rank"], rows[fresh]["rank"]) == (1, 2, None)
    assert rows[good]["state"] == "under_review"
    assert sorted(x["name"] for x in rows[good]["reviewers"]) == ["ravi", "rita"]
    assert rows[good]["criteria_means"] == {k: float(v) for k, v in SCORES_HIGH.items()}
    # 0.4*1 + 0.3*0.75 + 0.2*0.75 + 0.1*0.5
    assert rows[good]["raw_mean"] == pytest.approx(0.825)
    assert [
        (v["reviewer_name"], v["scores"]["outreach"], v["trimmed"]) for v in rows[good]["reviews"]
    ] == sorted([("rita", 3, False), ("ravi", 3, False)], key=lambda t: world.ids[t[0]])
    assert rows[weak]["criteria_means"]["scientific merit"] == 2.0
    assert rows[fresh]["aggregate"] is None
    assert rows[fresh]["criteria_means"] == dict.fromkeys(SCORES_HIGH)
    assert rows[fresh]["reviews"] == []

    ranking = world.get("olga", f"/calls/{CALL}/ranking").json()["ranking"]
    assert [(x["proposal_id"], x["aggregate"]) for x in ranking] == [
        (good, rows[good]["aggregate"]),
        (weak, rows[weak]["aggregate"]),
    ]


def test_review_board_trim_is_bounded(world: World) -> None:
    r = world.get("olga", f"/program/calls/{CALL}/review-board", trim=11)
    assert r.status_code == 422
