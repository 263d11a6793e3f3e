"""``spacehome demo seed``: a clearly labelled synthetic call, with proposals, reviewers and reviews.

Everything seeded here is **synthetic** and says so: the call's id is :data:`DEMO_CALL_ID` and its
title starts with :data:`DEMO_TITLE_PREFIX`; institutions are named "Demo ... (synthetic)";
accounts are named ``demo-...``; every abstract and review comment says it was generated. The
countries are real UN member states (so eligibility, the least-developed-country rule and the
conflict-of-interest rule work on real codes); nothing claims that any real institution of theirs
proposed anything.

How the demo goes through the program's own rules (nothing is bypassed)
    1. :func:`build_plan` draws the whole content from ``random.Random(seed)`` and validates it
       against the domain (call, teams, requests inside the envelope) before anything is written.
    2. The call opens :data:`OPENS_BEFORE` before ``now`` and closes :data:`CLOSES_AFTER` after it,
       so the submissions made at ``now`` meet the deadline rule of
       :func:`spacehome.domain.program.check_transition` as it stands.
    3. Each partner account creates its drafts and submits them (audit: the partner); the demo
       program officer moves them to ``under_review`` (audit: the officer).
    4. Reviewers get profiles (institution, country, declared conflicts); the assignment is the
       program's solver (:func:`spacehome.program.assignment.assign_reviewers`) over the **demo
       reviewers only**, in the plan's order, and every pair is checked once more with
       :func:`~spacehome.domain.program_review.check_no_conflict` before it is stored. Only demo
       reviewers are used so that no real reviewer is ever handed a synthetic proposal, and a fixed
       order so that the same seed gives the same assignment (the pool the review service lists is
       ordered by random account ids).
    5. Every assigned reviewer scores every criterion of
       :data:`~spacehome.services.reviews.DEFAULT_CRITERIA` through
       :meth:`ReviewService.submit_review` (assignment, conflicts, stage and scale checked there);
       the call then moves to the panel stage, so the ranking and the selection have input.

Next to it, the real record: the first UNOOSA-CMSA cycle's projects are loaded first with
:func:`spacehome.services.first_cycle.load_first_cycle` (idempotent; not synthetic).

Content is a function of the seed and the proposal count (the call window and the stored times
follow ``now``; record ids are the store's). The store writes one transaction per record, so the
demo is not one transaction: it checks everything it can before its first write (the call id and
every username must be free, the content must be valid) and refuses a database where the demo call
already exists.

Passwords: every demo account gets the same password, random unless given, hashed once with
Argon2id (one hash costs about 0.2 s; one per account would make seeding take seconds longer).
The caller shows it once; it is for a demo database only.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from spacehome.domain.instant import require_utc
from spacehome.domain.program import (
    RESOURCE_UNITS,
    Call,
    Modality,
    Proposal,
    ProposalState,
    ResourceEnvelope,
    ResourceRequest,
    Role,
    Team,
    TeamInstitution,
    check_proposal,
)
from spacehome.domain.program_review import Reviewer, ReviewStage, check_no_conflict
from spacehome.errors import ConflictError, NotFoundError, ValidationError
from spacehome.persistence.engine import open_database
from spacehome.persistence.program_store import ProgramStore
from spacehome.persistence.review_store import ReviewStore
from spacehome.program import assignment
from spacehome.record.ldc import least_developed_countries
from spacehome.services.accounts import Passwords, check_password
from spacehome.services.first_cycle import FirstCycleLoad, load_first_cycle
from spacehome.services.program import Actor, ProgramService, call_view, un_member_states
from spacehome.services.reviews import DEFAULT_CRITERIA, ReviewService

__all__ = [
    "DEMO_CALL_ID",
    "DEMO_TITLE_PREFIX",
    "DemoPlan",
    "DemoResult",
    "build_plan",
    "seed_demo",
]

#: The synthetic call's id and the start of its title.
DEMO_CALL_ID: Final = "demo-synthetic-1"
DEMO_TITLE_PREFIX: Final = "SYNTHETIC DEMO —"
#: The demo's program officer account (moves proposals to review; named in their audit entries).
OFFICER_USERNAME: Final = "demo-officer"
#: The call window around ``now``: open for submissions when the demo runs.
OPENS_BEFORE: Final = timedelta(days=30)
CLOSES_AFTER: Final = timedelta(days=30)
#: How many proposals a demo may have, and the default.
MIN_PROPOSALS: Final = 5
MAX_PROPOSALS: Final = 200
DEFAULT_PROPOSALS: Final = 30
#: Reviewers per proposal.
PER_PROPOSAL: Final = 3
#: The envelope offers this share of what all the proposals ask for together (rounded up), and
#: never less than the largest single request: selection has to choose.
ENVELOPE_SHARE: Final = 0.35

#: Proposing countries: real UN member states, with their UN regional group. Six are on the UN
#: list of least developed countries (ET, RW, SN, UG, NP, KH; see record/data/ldc.toml).
COUNTRIES: Final[tuple[tuple[str, str, str], ...]] = (
    ("KE", "Kenya", "African States"),
    ("ET", "Ethiopia", "African States"),
    ("RW", "Rwanda", "African States"),
    ("SN", "Senegal", "African States"),
    ("UG", "Uganda", "African States"),
    ("NG", "Nigeria", "African States"),
    ("EG", "Egypt", "African States"),
    ("NP", "Nepal", "Asia-Pacific States"),
    ("KH", "Cambodia", "Asia-Pacific States"),
    ("PK", "Pakistan", "Asia-Pacific States"),
    ("ID", "Indonesia", "Asia-Pacific States"),
    ("MN", "Mongolia", "Asia-Pacific States"),
    ("PE", "Peru", "Latin American and Caribbean States"),
    ("MX", "Mexico", "Latin American and Caribbean States"),
    ("BO", "Bolivia", "Latin American and Caribbean States"),
    ("CR", "Costa Rica", "Latin American and Caribbean States"),
    ("RS", "Serbia", "Eastern European States"),
    ("RO", "Romania", "Eastern European States"),
    ("NO", "Norway", "Western European and other States"),
    ("IT", "Italy", "Western European and other States"),
)
_COUNTRY_NAME = {code: name for code, name, _ in COUNTRIES}
REGION: Final[Mapping[str, str]] = {code: region for code, _, region in COUNTRIES}

#: Reviewers: (country, name of country, institution or None for a synthetic review centre,
#: declared institution conflicts). Two sit in proposing countries (the country rule bites) and
#: one at a proposing institution (the institution rule bites); two declare conflicts.
REVIEWERS: Final[tuple[tuple[str, str, str | None, tuple[str, ...]], ...]] = (
    ("DE", "Germany", None, ("Demo Institute of Space Science, Nepal (synthetic)",)),
    ("FR", "France", None, ()),
    ("JP", "Japan", None, ("Demo University of Mexico (synthetic)",)),
    ("IN", "India", None, ()),
    ("BR", "Brazil", None, ()),
    ("ZA", "South Africa", None, ()),
    ("AU", "Australia", None, ()),
    ("CA", "Canada", None, ()),
    ("AR", "Argentina", None, ()),
    ("MY", "Malaysia", None, ()),
    ("KE", "Kenya", None, ()),
    ("PE", "Peru", "Demo University of Peru (synthetic)", ()),
)

#: Disciplines and the kind of study a synthetic proposal says it is.
TOPICS: Final[tuple[tuple[str, str], ...]] = (
    ("space life sciences", "plant growth in microgravity"),
    ("space life sciences", "bone cell response to weightlessness"),
    ("microgravity fluid physics", "capillary flow in porous media"),
    ("microgravity combustion", "droplet flame extinction"),
    ("space materials science", "alloy solidification without convection"),
    ("radiation biology", "DNA repair under cosmic radiation"),
    ("astronomy", "transient X-ray source monitoring"),
    ("Earth observation", "tropical cyclone imaging"),
    ("space technology", "small-satellite component qualification"),
    ("space medicine", "sleep and circadian rhythm monitoring"),
)

#: The range of each resource a proposal of each modality asks for (whole units; 0: none).
_REQUESTS: Final[Mapping[Modality, Mapping[str, tuple[int, int]]]] = {
    Modality.OWN_EXPERIMENT: {
        "crew_hours": (8, 60),
        "rack_months": (3, 12),
        "upmass_kg": (10, 80),
        "downlink_gb": (20, 300),
    },
    Modality.FACILITY: {
        "crew_hours": (4, 30),
        "rack_months": (1, 6),
        "upmass_kg": (2, 30),
        "downlink_gb": (10, 150),
    },
    Modality.EXTERNAL_EXPOSURE: {
        "crew_hours": (2, 12),
        "adapter_months": (3, 12),
        "upmass_kg": (5, 60),
        "downlink_gb": (20, 400),
    },
}

Progress = Callable[[int, int, str], None]
"""Told ``(done, total, what)`` after each step of the seeding."""


def _lead_institution(code: str) -> str:
    return f"Demo Institute of Space Science, {_COUNTRY_NAME[code]} (synthetic)"


def _partner_institution(code: str) -> str:
    return f"Demo University of {_COUNTRY_NAME[code]} (synthetic)"


# --- the plan: everything the demo will write, drawn from the seed and checked ---------------------


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    organisation: str
    country: str


@dataclass(frozen=True)
class DemoProposal:
    key: str  # "p01", ...: the plan's name for it (record ids are the store's)
    owner: str  # the partner account's username
    title: str
    discipline: str
    modality: Modality
    team: Team
    request: ResourceRequest
    abstract: str
    quality: float  # the latent merit the synthetic scores scatter around, on the 1-5 scale


@dataclass(frozen=True)
class DemoReviewer:
    username: str
    name: str
    institution: str
    country: str
    declared_institutions: tuple[str, ...]
    bias: float  # added to every score this reviewer gives: some reviewers are severe


@dataclass(frozen=True)
class DemoPlan:
    seed: int
    call: Call
    accounts: tuple[DemoAccount, ...]
    proposals: tuple[DemoProposal, ...]
    reviewers: tuple[DemoReviewer, ...]

    def score(self, proposal: DemoProposal, reviewer: DemoReviewer, criterion: str) -> float:
        """The synthetic score: merit + reviewer bias + noise, in half points, within 1..5.

        Drawn from its own generator keyed by (seed, proposal, reviewer, criterion), so it does
        not depend on the order in which reviews are written.
        """
        rng = random.Random(f"{self.seed}/{proposal.key}/{reviewer.username}/{criterion}")
        raw = proposal.quality + reviewer.bias + rng.uniform(-0.6, 0.6)
        return min(5.0, max(1.0, round(raw * 2) / 2))


def _check_count(proposals: int, seed: int) -> None:
    if isinstance(proposals, bool) or not MIN_PROPOSALS <= proposals <= MAX_PROPOSALS:
        raise ValidationError(
            f"--proposals {proposals!r} is out of range: give {MIN_PROPOSALS}..{MAX_PROPOSALS}"
        )
    if isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise ValidationError(f"--seed {seed!r} is out of range: give 0..{2**63 - 1}")


def build_plan(*, seed: int, proposals: int, now: datetime) -> DemoPlan:
    """The demo's whole content for ``seed``; pure (no database), validated by the domain."""
    _check_count(proposals, seed)
    start = require_utc(now, "now").replace(minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    codes = [code for code, _, _ in COUNTRIES]
    leads = codes[:]
    rng.shuffle(leads)

    drafts: list[tuple[str, str, Modality, Team, dict[str, float], float]] = []
    for i in range(proposals):
        lead = leads[i % len(leads)]
        others = rng.sample([c for c in codes if c != lead], k=rng.choice((0, 1, 1, 2)))
        team = Team(
            TeamInstitution(_lead_institution(lead), lead),
            tuple(TeamInstitution(_partner_institution(c), c) for c in others),
        )
        discipline, topic = rng.choice(TOPICS)
        modality = rng.choice(tuple(Modality))
        request = {
            name: float(rng.randint(low, high)) for name, (low, high) in _REQUESTS[modality].items()
        }
        drafts.append((discipline, topic, modality, team, request, rng.uniform(1.8, 4.7)))

    demand = {name: math.fsum(d[4].get(name, 0.0) for d in drafts) for name in RESOURCE_UNITS}
    largest = {name: max(d[4].get(name, 0.0) for d in drafts) for name in RESOURCE_UNITS}
    envelope = ResourceEnvelope.from_mapping(
        {
            name: float(max(math.ceil(ENVELOPE_SHARE * demand[name]), largest[name]))
            for name in RESOURCE_UNITS
        }
    )
    call = Call(
        id=DEMO_CALL_ID,
        title=f"{DEMO_TITLE_PREFIX} synthetic call for proposals (seed {seed}; not a real call)",
        modalities=frozenset(Modality),
        opens_at=start - OPENS_BEFORE,
        closes_at=start + CLOSES_AFTER,
        envelope=envelope,
        eligible_countries=un_member_states(),
    )

    planned: list[DemoProposal] = []
    owners: dict[str, DemoAccount] = {}
    for i, (discipline, topic, modality, team, request, quality) in enumerate(drafts):
        key = f"p{i + 1:02d}"
        lead = team.lead.country
        owner = owners.setdefault(
            lead,
            DemoAccount(f"demo-partner-{lead.lower()}", Role.PARTNER, team.lead.name, lead),
        )
        proposal = DemoProposal(
            key=key,
            owner=owner.username,
            title=f"Synthetic demo {key}: {topic}",
            discipline=discipline,
            modality=modality,
            team=team,
            request=ResourceRequest.from_mapping(request),
            abstract=(
                f"SYNTHETIC demonstration proposal generated by 'spacehome demo seed' (seed {seed}). "
                f"It describes no real project: a {discipline} study of {topic}."
            ),
            quality=quality,
        )
        check_proposal(  # the domain's check now, so nothing is written for an invalid plan
            Proposal(
                key, DEMO_CALL_ID, proposal.title, discipline, modality, team, proposal.request
            ),
            call,
        )
        planned.append(proposal)

    reviewers = tuple(
        DemoReviewer(
            username=f"demo-reviewer-{n + 1:02d}",
            name=f"Demo Reviewer {n + 1:02d} (synthetic)",
            institution=institution or f"Demo Review Centre, {country} (synthetic)",
            country=code,
            declared_institutions=declared,
            bias=rng.uniform(-0.5, 0.5),
        )
        for n, (code, country, institution, declared) in enumerate(REVIEWERS)
    )
    accounts = (
        DemoAccount(OFFICER_USERNAME, Role.PROGRAM_OFFICER, "Demo Program Office (synthetic)", ""),
        *sorted(owners.values(), key=lambda a: a.username),
        *(DemoAccount(r.username, Role.REVIEWER, r.institution, r.country) for r in reviewers),
    )
    return DemoPlan(seed, call, accounts, tuple(planned), reviewers)


# --- the result -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoResult:
    """What was seeded: the call view, the one-time password, and summaries for the operator."""

    call: dict[str, Any]
    password: str
    accounts: tuple[DemoAccount, ...]
    proposal_ids: Mapping[str, str]  # plan key -> stored id
    countries: tuple[str, ...]  # every team country, sorted
    ldc_countries: tuple[str, ...]
    regions: Mapping[str, int]  # UN regional group -> number of team countries in it
    demand: Mapping[str, float]  # what all proposals ask for together, per resource
    assignments: Mapping[str, tuple[str, ...]]  # proposal id -> reviewer usernames
    reviews: int
    ranking: tuple[dict[str, Any], ...]  # best first: proposal_id, title, lead_country, aggregate
    first_cycle: FirstCycleLoad  # the real first UNOOSA-CMSA cycle, loaded next to the demo

    def view(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "synthetic": True,
            "call": self.call,
            "password": self.password,
            "accounts": [
                {
                    "username": a.username,
                    "role": a.role.value,
                    "organisation": a.organisation,
                    "country": a.country,
                }
                for a in self.accounts
            ],
            "proposals": len(self.proposal_ids),
            "countries": list(self.countries),
            "ldc_countries": list(self.ldc_countries),
            "regions": dict(self.regions),
            "demand": dict(self.demand),
            "assignments": {k: list(v) for k, v in self.assignments.items()},
            "reviews": self.reviews,
            "ranking": list(self.ranking),
            "first_cycle": {
                "cycle": self.first_cycle.cycle,
                "synthetic": False,
                "projects": self.first_cycle.total,
                "added": len(self.first_cycle.added),
            },
        }


# --- seeding ----------------------------------------------------------------------------------------


def seed_demo(
    database_url: str | None = None,
    *,
    now: datetime,
    seed: int = 1,
    proposals: int = DEFAULT_PROPOSALS,
    password: str | None = None,
    passwords: Passwords | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Seed the synthetic demo into the database (see the module docstring); refuse a second run."""
    plan = build_plan(seed=seed, proposals=proposals, now=now)
    secret = password if password is not None else secrets.token_urlsafe(12)
    check_password(secret)
    engine = open_database(database_url)
    store = ProgramStore(engine)
    program = ProgramService(engine)
    reviewing = ReviewService(store, ReviewStore(engine))
    _refuse_second_run(store, plan)
    # The real record next to the synthetic call: idempotent, one transaction of its own, and
    # first, so that a failure there leaves no demo half-written.
    reference = load_first_cycle(database_url, now=now)

    total = len(plan.accounts) + 1 + 2 * len(plan.proposals) + len(plan.reviewers) + 1
    total += PER_PROPOSAL * len(plan.proposals) + 1
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, what)

    hashed = (passwords or Passwords()).hash(secret)
    ids: dict[str, str] = {}
    for account in plan.accounts:
        org = account.organisation if account.role is Role.PARTNER else None
        ids[account.username] = store.create_user(
            account.username, account.role, hashed, now=now, partner_org=org
        ).id
        step(f"account {account.username}")
    store.add_call(plan.call)
    step(f"call {plan.call.id}")

    officer = Actor(ids[OFFICER_USERNAME], Role.PROGRAM_OFFICER)
    proposal_ids: dict[str, str] = {}
    for p in plan.proposals:
        partner = Actor(ids[p.owner], Role.PARTNER)
        stored = program.create_proposal(
            partner,
            plan.call.id,
            title=p.title,
            discipline=p.discipline,
            modality=p.modality,
            team=_team_mapping(p.team),
            request=p.request.amounts(),
            abstract=p.abstract,
            now=now,
        )
        pid = stored.proposal.id
        proposal_ids[p.key] = pid
        stored = program.change_state(
            partner, pid, ProposalState.SUBMITTED, why="", expected_version=stored.version, now=now
        )
        step(f"proposal {p.key} submitted")
        program.change_state(
            officer,
            pid,
            ProposalState.UNDER_REVIEW,
            why="synthetic demo: sent to review",
            expected_version=stored.version,
            now=now,
        )
        step(f"proposal {p.key} under review")

    profiles: list[Reviewer] = []
    for r in plan.reviewers:
        profiles.append(
            reviewing.add_reviewer(
                ids[r.username],
                institution=r.institution,
                country=r.country,
                name=r.name,
                declared_institutions=r.declared_institutions,
            )
        )
        step(f"reviewer {r.username}")

    stored_assignment = _assign(reviewing, plan, profiles, proposal_ids, now=now)
    step("conflict-free assignment")

    by_key = {p.key: p for p in plan.proposals}
    by_id = {r.id: r for r in profiles}
    usernames = {ids[r.username]: r for r in plan.reviewers}
    reviews = 0
    for key, pid in proposal_ids.items():
        for reviewer_id in stored_assignment[pid]:
            who = usernames[reviewer_id]
            scores = {c.name: plan.score(by_key[key], who, c.name) for c in DEFAULT_CRITERIA}
            reviewing.submit_review(
                by_id[reviewer_id].id,
                pid,
                scores,
                f"Synthetic review generated by 'spacehome demo seed' (seed {plan.seed}).",
                now=now,
            )
            reviews += 1
            step(f"review of {key}")
    reviewing.set_settings(plan.call.id, double_anonymous=False, stage=ReviewStage.PANEL)
    step("panel stage")

    ldc = least_developed_countries()
    countries = sorted({c for p in plan.proposals for c in p.team.countries})
    regions: dict[str, int] = {}
    for code in countries:
        regions[REGION[code]] = regions.get(REGION[code], 0) + 1
    titles = {proposal_ids[p.key]: p for p in plan.proposals}
    ranking = tuple(
        {
            "proposal_id": a.proposal_id,
            "title": titles[a.proposal_id].title,
            "lead_country": titles[a.proposal_id].team.lead.country,
            "aggregate": a.aggregate,
            "reviews": a.count,
        }
        for a in reviewing.ranking(plan.call.id)
    )
    return DemoResult(
        call=call_view(plan.call, now),
        password=secret,
        accounts=plan.accounts,
        proposal_ids=proposal_ids,
        countries=tuple(countries),
        ldc_countries=tuple(c for c in countries if c in ldc),
        regions=dict(sorted(regions.items())),
        demand={
            name: math.fsum(p.request.amounts()[name] for p in plan.proposals)
            for name in RESOURCE_UNITS
        },
        assignments={
            pid: tuple(sorted(usernames[r].username for r in reviewers))
            for pid, reviewers in stored_assignment.items()
        },
        reviews=reviews,
        ranking=ranking,
        first_cycle=reference,
    )


def _team_mapping(team: Team) -> dict[str, Any]:
    return {
        "lead": {"name": team.lead.name, "country": team.lead.country},
        "partners": [{"name": m.name, "country": m.country} for m in team.partners],
    }


def _refuse_second_run(store: ProgramStore, plan: DemoPlan) -> None:
    """Refuse before the first write: the demo call exists, or a demo username is taken."""
    try:
        store.get_call(plan.call.id)
    except NotFoundError:
        pass
    else:
        raise ConflictError(
            f"the demo is already seeded in this database (call {plan.call.id!r} exists): it is "
            "seeded once per database; to start over, seed a fresh database "
            "(--database-url or SPACEHOME_DATABASE_URL)"
        )
    for account in plan.accounts:
        if store.get_user_by_username(account.username) is not None:
            raise ConflictError(
                f"username {account.username!r} is already taken in this database, so the demo "
                "cannot create its accounts: seed the demo into a fresh database"
            )


def _assign(
    reviewing: ReviewService,
    plan: DemoPlan,
    profiles: Sequence[Reviewer],
    proposal_ids: Mapping[str, str],
    *,
    now: datetime,
) -> dict[str, tuple[str, ...]]:
    """The program's assignment solver over the demo reviewers, in the plan's order; every pair
    checked against the domain's conflict rule before it is stored."""
    by_key = {p.key: p for p in plan.proposals}
    result = assignment.assign_reviewers(
        [
            assignment.Reviewer(
                id=r.id,
                institution=r.institution,
                country=r.country,
                declared_conflicts=tuple(sorted(r.declared_proposals | r.declared_institutions)),
                capacity=len(plan.proposals),
            )
            for r in profiles
        ],
        [
            assignment.Proposal(
                id=pid,
                institutions=tuple(m.name for m in by_key[key].team.institutions),
                countries=by_key[key].team.countries,
            )
            for key, pid in proposal_ids.items()
        ],
        per_proposal=PER_PROPOSAL,
    )
    reviewers = {r.id: r for r in profiles}
    for key, pid in proposal_ids.items():
        p = by_key[key]
        proposal = Proposal(pid, plan.call.id, p.title, p.discipline, p.modality, p.team, p.request)
        for reviewer_id in result.reviewers[pid]:
            check_no_conflict(reviewers[reviewer_id], proposal)
    return reviewing.reviews.replace_assignments(plan.call.id, result.reviewers, now=now)
