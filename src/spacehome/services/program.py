"""Use cases of the cooperation program: calls and proposals, with per-object authorisation.

Every function returns JSON-ready views (dicts of plain values, times as ISO 8601 with ``Z``) and
takes the acting account as an :class:`Actor`; nothing here knows about HTTP. The API maps the
errors: :class:`~spacehome.errors.NotFoundError` 404, :class:`~spacehome.errors.ValidationError`
422, :class:`~spacehome.errors.ConflictError` 409, :class:`~spacehome.domain.program.RoleError`
403 and :class:`StaleVersionError` 412.

Authorisation per object: a partner reaches only the proposals it owns. Another partner's
proposal is reported as *not found*, exactly like an id that does not exist, so a partner cannot
learn which proposal ids exist. Program officers and admins reach every proposal. The role-level
rules (which roles may call which use case at all) are the API's.

Eligibility: a new call is open to the UN member states (``record/data/un_members.toml``, ISO
alpha-3, mapped to alpha-2 with pycountry), or to a subset of them given by the caller.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import pycountry
from sqlalchemy import Engine

from spacehome.domain.instant import format_utc, parse_instant
from spacehome.domain.program import (
    RESOURCE_UNITS,
    AuditEntry,
    Call,
    Modality,
    ProposalState,
    ResourceEnvelope,
    ResourceRequest,
    Role,
    Team,
    TeamInstitution,
    allowed_targets,
    country_code,
)
from spacehome.errors import ConflictError, NotFoundError, StaleError, ValidationError
from spacehome.persistence.engine import open_database
from spacehome.persistence.program_store import MAX_PAGE_SIZE, ProgramStore, StoredProposal

JSON = dict[str, Any]

#: Roles that see and steer every proposal.
OFFICERS = frozenset({Role.PROGRAM_OFFICER, Role.ADMIN})


class StaleVersionError(StaleError):
    """The proposal changed between the caller's read and its write (the API answers 412)."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account id (empty for the public) and its role."""

    id: str
    role: Role


# --- eligibility --------------------------------------------------------------------------------


@cache
def un_member_states() -> frozenset[str]:
    """The UN member states as ISO 3166-1 alpha-2 codes (from the record's alpha-3 list)."""
    text = (resources.files("spacehome.record") / "data" / "un_members.toml").read_text("utf-8")
    codes = set()
    for alpha3 in tomllib.loads(text)["members"]:
        country = pycountry.countries.get(alpha_3=alpha3)
        if country is None:
            raise ValidationError(f"un_members.toml lists {alpha3!r}, not an ISO alpha-3 code")
        codes.add(str(country.alpha_2))
    return frozenset(codes)


def _eligible(countries: Sequence[str] | None) -> frozenset[str]:
    members = un_member_states()
    if countries is None:
        return members
    chosen = frozenset(country_code(code, "eligible country") for code in countries)
    outside = sorted(chosen - members)
    if outside:
        raise ValidationError(
            f"eligible country {outside[0]} is not a UN member state: only UN member states may "
            "be eligible; remove it or leave eligible_countries out to open the call to all"
        )
    return chosen


# --- views --------------------------------------------------------------------------------------


def _resources(amounts: Mapping[str, float]) -> JSON:
    return {
        name: {"amount": amounts[name], "unit": RESOURCE_UNITS[name]} for name in RESOURCE_UNITS
    }


def call_view(call: Call, now: datetime) -> JSON:
    return {**_static_call_view(call), "open_now": call.is_open(now)}


@functools.lru_cache(maxsize=4096)
def _static_call_view(call: Call) -> JSON:
    # Calls never change, and a page of them is a public read that must be fast: what does not
    # follow the clock is computed once per call (callers must not mutate the view).
    return {
        "id": call.id,
        "title": call.title,
        "modalities": [m.value for m in Modality if m in call.modalities],
        "opens_at": format_utc(call.opens_at),
        "closes_at": format_utc(call.closes_at),
        "envelope": _resources(call.envelope.amounts()),
        "eligible_countries": sorted(call.eligible_countries),
    }


def call_etag(view: JSON) -> str:
    """A strong validator for a call view: calls never change, so a digest of the view will do
    (``open_now`` is left out: it follows the clock, not the call)."""
    stable = {k: v for k, v in view.items() if k != "open_now"}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True).encode("utf-8")).hexdigest()
    return digest[:32]


def _institution(member: TeamInstitution) -> JSON:
    return {"name": member.name, "country": member.country}


def proposal_view(stored: StoredProposal) -> JSON:
    p = stored.proposal
    return {
        "id": p.id,
        "call_id": p.call_id,
        "owner": p.partner_id,
        "title": p.title,
        "discipline": p.discipline,
        "modality": p.modality.value,
        "abstract": p.abstract,
        "team": {
            "lead": _institution(p.team.lead),
            "partners": [_institution(m) for m in p.team.partners],
            "countries": list(p.team.countries),
        },
        "request": _resources(p.request.amounts()),
        "state": p.state.value,
        "next_states": [s.value for s in allowed_targets(p.state)],
        "version": stored.version,
        "created_at": format_utc(stored.created_at),
        "updated_at": format_utc(stored.updated_at),
    }


def _audit_view(entry: AuditEntry) -> JSON:
    return {
        "at": format_utc(entry.at),
        "actor": entry.actor,
        "actor_role": entry.actor_role.value,
        "from": entry.from_state.value,
        "to": entry.to_state.value,
        "why": entry.why,
    }


def _page(items: list[JSON], total: int, limit: int, offset: int) -> JSON:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


# --- input --------------------------------------------------------------------------------------


def team_from(data: Mapping[str, Any]) -> Team:
    """``{"lead": {"name", "country"}, "partners": [{"name", "country"}, ...]}`` as a Team."""
    lead = data["lead"]
    partners = data.get("partners") or ()
    return Team(
        TeamInstitution(lead["name"], lead["country"]),
        tuple(TeamInstitution(m["name"], m["country"]) for m in partners),
    )


# --- the use cases ------------------------------------------------------------------------------


class ProgramService:
    """Calls and proposals on one database."""

    def __init__(self, engine: Engine) -> None:
        self.store = ProgramStore(engine)

    @classmethod
    def open(cls, database_url: str | None = None) -> ProgramService:
        """The service on the project database (created and migrated on first use)."""
        return cls(open_database(database_url))

    # calls

    def list_calls(self, *, now: datetime, limit: int, offset: int) -> JSON:
        """A page of calls, by opening time then id (public)."""
        _check_page(limit, offset)
        calls, total = self.store.list_calls(limit=limit, offset=offset)
        return _page([call_view(c, now) for c in calls], total, limit, offset)

    def get_call(self, call_id: str, *, now: datetime) -> JSON:
        return call_view(self.store.get_call(call_id), now)

    def create_call(
        self,
        *,
        call_id: str,
        title: str,
        modalities: Sequence[Modality],
        opens_at: str,
        closes_at: str,
        envelope: Mapping[str, object],
        eligible_countries: Sequence[str] | None,
        now: datetime,
    ) -> JSON:
        call = Call(
            id=call_id.strip(),
            title=" ".join(title.split()),
            modalities=frozenset(modalities),
            opens_at=parse_instant(opens_at, "opens_at"),
            closes_at=parse_instant(closes_at, "closes_at"),
            envelope=ResourceEnvelope.from_mapping(envelope),
            eligible_countries=_eligible(eligible_countries),
        )
        self.store.add_call(call)
        return call_view(call, now)

    # proposals

    def _reachable(self, actor: Actor, proposal_id: str) -> StoredProposal:
        """The proposal if ``actor`` may reach it; otherwise NotFoundError (ids do not leak)."""
        stored = self.store.get_proposal(proposal_id)
        if actor.role in OFFICERS:
            return stored
        if actor.role is Role.PARTNER and actor.id and stored.proposal.partner_id == actor.id:
            return stored
        raise NotFoundError(f"no proposal with id {proposal_id!r}: check the id")

    def read_proposal(self, actor: Actor, proposal_id: str) -> StoredProposal:
        """The stored proposal (for its version) if ``actor`` may read it."""
        return self._reachable(actor, proposal_id)

    def list_proposals(self, actor: Actor, *, call_id: str | None, limit: int, offset: int) -> JSON:
        """A partner's own proposals; every proposal for officers and admins."""
        if actor.role in OFFICERS:
            owner = None
        elif actor.role is Role.PARTNER and actor.id:
            owner = actor.id
        else:
            raise ValidationError(f"role '{actor.role.value}' has no proposal list")
        page = self.store.list_proposals(
            call_id=call_id, partner_id=owner, limit=limit, offset=offset
        )
        return _page([proposal_view(s) for s in page.items], page.total, limit, offset)

    def create_proposal(
        self,
        actor: Actor,
        call_id: str,
        *,
        title: str,
        discipline: str,
        modality: Modality,
        team: Mapping[str, Any],
        request: Mapping[str, object],
        abstract: str,
        now: datetime,
    ) -> StoredProposal:
        """A new draft owned by the partner ``actor``; checked against its call by the domain."""
        return self.store.create_proposal(
            call_id=call_id,
            partner_id=actor.id,
            title=title,
            discipline=discipline,
            modality=modality,
            team=team_from(team),
            request=ResourceRequest.from_mapping(request),
            abstract=abstract,
            now=now,
        )

    def update_proposal(
        self,
        actor: Actor,
        proposal_id: str,
        *,
        expected_version: int,
        changes: Mapping[str, Any],
        now: datetime,
    ) -> StoredProposal:
        """Edit the owner's draft at ``expected_version``; only the owning partner may."""
        stored = self._reachable(actor, proposal_id)
        if stored.proposal.partner_id != actor.id:
            raise NotFoundError(f"no proposal with id {proposal_id!r}: check the id")
        converted: dict[str, Any] = dict(changes)
        if "team" in converted:
            converted["team"] = team_from(converted["team"])
        if "request" in converted:
            converted["request"] = ResourceRequest.from_mapping(converted["request"])
        try:
            return self.store.update_proposal(proposal_id, expected_version, converted, now=now)
        except ConflictError as error:
            raise self._stale_or(error, proposal_id, expected_version) from None

    def change_state(
        self,
        actor: Actor,
        proposal_id: str,
        target: ProposalState,
        *,
        why: str,
        expected_version: int,
        now: datetime,
    ) -> StoredProposal:
        """Move a reachable proposal to ``target``; the domain decides legality, role, deadline."""
        self._reachable(actor, proposal_id)
        try:
            return self.store.change_state(
                proposal_id,
                target,
                now=now,
                actor=actor.id,
                actor_role=actor.role,
                why=why,
                expected_version=expected_version,
            )
        except ConflictError as error:
            raise self._stale_or(error, proposal_id, expected_version) from None

    def audit(self, actor: Actor, proposal_id: str) -> JSON:
        self._reachable(actor, proposal_id)
        entries = [_audit_view(e) for e in self.store.audit_trail(proposal_id)]
        return {"proposal_id": proposal_id, "items": entries, "total": len(entries)}

    def _stale_or(self, error: ConflictError, proposal_id: str, expected: int) -> ConflictError:
        """A StaleVersionError when the version moved under the caller, else ``error`` itself."""
        if self.store.get_proposal(proposal_id).version != expected:
            return StaleVersionError(error.message)
        return error


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"page limit {limit} is out of range: give 1..{MAX_PAGE_SIZE}")
    if offset < 0:
        raise ValidationError(f"page offset {offset} is negative: give 0 or more")
