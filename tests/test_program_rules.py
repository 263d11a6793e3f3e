"""The cooperation program's pure rules: calls, proposals and their life cycle, conflicts of
interest, score aggregation (against hand-computed numbers) and review visibility."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from spacehome.domain.program import (
    AuditEntry,
    Call,
    DeadlineError,
    Modality,
    Proposal,
    ProposalState,
    ResourceEnvelope,
    ResourceRequest,
    Role,
    RoleError,
    Team,
    TeamInstitution,
    allowed_targets,
    check_audit_trail,
    check_modality,
    check_proposal,
    check_request,
    check_team,
    check_transition,
    country_code,
    transition,
)
from spacehome.domain.program_review import (
    Criterion,
    ProposalView,
    Review,
    Reviewer,
    ReviewStage,
    aggregate,
    check_no_conflict,
    conflicts,
    may_see_review,
    ranking,
    redact_for_reviewer,
    weighted_total,
)
from spacehome.errors import ConflictError, NaiveTimeError, ValidationError

S = ProposalState
OPENS = datetime(2025, 3, 1, tzinfo=UTC)
CLOSES = datetime(2025, 9, 1, tzinfo=UTC)
DURING = datetime(2025, 6, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
UN = frozenset({"CN", "KE", "PE", "MX", "IN", "DE", "NO", "BE", "JP", "SA", "RU", "CH"})


def make_call(**overrides: object) -> Call:
    values: dict[str, object] = {
        "id": "cycle-2",
        "title": "Second UNOOSA-CMSA call",
        "modalities": frozenset({Modality.OWN_EXPERIMENT, Modality.FACILITY}),
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "envelope": ResourceEnvelope(crew_hours=100, rack_months=24, upmass_kg=500),
        "eligible_countries": UN,
    }
    values.update(overrides)
    return Call(**values)  # type: ignore[arg-type]


CALL = make_call()

TEAM = Team(
    lead=TeamInstitution("University of Nairobi", "KE"),
    partners=(
        TeamInstitution("Pontificia Universidad Católica del Perú", "PE"),
        TeamInstitution("Indian Institute of Science", "IN"),
    ),
)


def make_proposal(**overrides: object) -> Proposal:
    values: dict[str, object] = {
        "id": "P-1",
        "call_id": "cycle-2",
        "title": "Microbial growth in microgravity",
        "discipline": "life sciences",
        "modality": Modality.OWN_EXPERIMENT,
        "team": TEAM,
        "request": ResourceRequest(crew_hours=12, rack_months=6, upmass_kg=30),
        "abstract": "We grow things.",
        "partner_id": "acct-7",
    }
    values.update(overrides)
    return Proposal(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------------


def test_resources_keep_their_quantities_as_floats() -> None:
    request = ResourceRequest(crew_hours=12, downlink_gb=2.5)
    assert request.amounts() == {
        "crew_hours": 12.0,
        "rack_months": 0.0,
        "adapter_months": 0.0,
        "upmass_kg": 0.0,
        "downlink_gb": 2.5,
    }
    assert request.describe() == "crew_hours 12 h, downlink_gb 2.5 GB"


@pytest.mark.parametrize("bad", [-1, -0.001, math.nan, math.inf, True, "12"])
@pytest.mark.parametrize("cls", [ResourceEnvelope, ResourceRequest])
def test_resources_refuse_negative_non_finite_and_non_numbers(
    cls: type[ResourceEnvelope] | type[ResourceRequest], bad: object
) -> None:
    with pytest.raises(ValidationError, match=r"upmass_kg .*kg") as caught:
        cls(crew_hours=1, upmass_kg=bad)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value)


def test_request_must_ask_for_something_but_an_envelope_may_be_empty() -> None:
    with pytest.raises(ValidationError, match="asks for nothing: give at least one of crew_hours"):
        ResourceRequest()
    assert ResourceEnvelope().amounts()["crew_hours"] == 0.0


def test_from_mapping_refuses_unknown_quantities_and_names_the_units() -> None:
    assert ResourceRequest.from_mapping({"rack_months": 3}).rack_months == 3.0
    assert ResourceEnvelope.from_mapping({"adapter_months": 2}).adapter_months == 2.0
    with pytest.raises(ValidationError, match=r"unknown quantity 'crew_days': .*crew_hours \(h\)"):
        ResourceRequest.from_mapping({"crew_days": 3})


def test_envelope_shortfalls_and_check_request() -> None:
    request = ResourceRequest(crew_hours=150, upmass_kg=30, downlink_gb=1)
    assert CALL.envelope.shortfalls(request) == (
        "crew_hours 150 h > 100 offered",
        "downlink_gb 1 GB > 0 offered",
    )
    with pytest.raises(ValidationError, match=r"exceeds call 'cycle-2'.s whole envelope"):
        check_request(request, CALL)
    check_request(ResourceRequest(crew_hours=100, rack_months=24, upmass_kg=500), CALL)


# ---------------------------------------------------------------------------------------------
# Calls, teams, eligibility
# ---------------------------------------------------------------------------------------------


def test_call_normalises_times_to_utc_and_codes_to_upper_case() -> None:
    beijing = timezone(timedelta(hours=8))
    call = make_call(
        opens_at=datetime(2025, 3, 1, 8, tzinfo=beijing), eligible_countries={"ke", " pe "}
    )
    assert call.opens_at == OPENS
    assert call.opens_at.tzinfo is UTC
    assert call.eligible_countries == frozenset({"KE", "PE"})
    assert isinstance(call.modalities, frozenset)


def test_call_refuses_naive_times() -> None:
    with pytest.raises(NaiveTimeError, match=r"call 'cycle-2' closes_at .* has no time zone"):
        make_call(closes_at=datetime(2025, 9, 1))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize("closes", [OPENS, OPENS - SECOND])
def test_call_must_close_after_it_opens(closes: datetime) -> None:
    with pytest.raises(ValidationError, match="not after it opens at 2025-03-01T00:00:00Z"):
        make_call(closes_at=closes)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": " "}, "empty id"),
        ({"title": ""}, "empty title"),
        ({"modalities": frozenset()}, "offers no modality: offer at least one of own_experiment"),
        ({"eligible_countries": frozenset()}, "no eligible country"),
        ({"eligible_countries": {"KEN"}}, "'KEN' is not an ISO 3166-1 alpha-2 code"),
    ],
)
def test_call_refuses_incomplete_definitions(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_call(**overrides)


def test_call_is_open_from_opening_until_just_before_closing() -> None:
    assert not CALL.is_open(OPENS - SECOND)
    assert CALL.is_open(OPENS)
    assert CALL.is_open(CLOSES - SECOND)
    assert not CALL.is_open(CLOSES)
    with pytest.raises(NaiveTimeError):
        CALL.is_open(datetime(2025, 6, 1))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize("code", ["", "K", "KEN", "K1", "ÄB"])
def test_country_code_refuses_anything_but_two_ascii_letters(code: str) -> None:
    with pytest.raises(ValidationError, match="write two letters"):
        country_code(code)


def test_team_lists_lead_first_and_countries_sorted_once() -> None:
    team = Team(
        lead=TeamInstitution("  University   of Nairobi ", "ke"),
        partners=(TeamInstitution("Kenya Space Agency", "KE"), TeamInstitution("UNAM", "MX")),
    )
    assert [m.name for m in team.institutions] == [
        "University of Nairobi",
        "Kenya Space Agency",
        "UNAM",
    ]
    assert team.countries == ("KE", "MX")


def test_team_refuses_the_same_institution_twice_ignoring_case_and_spaces() -> None:
    with pytest.raises(ValidationError, match="appears twice in the team: list it once"):
        Team(
            lead=TeamInstitution("University of Nairobi", "KE"),
            partners=(TeamInstitution("university  of nairobi", "KE"),),
        )


def test_team_institution_needs_a_name() -> None:
    with pytest.raises(ValidationError, match="empty name"):
        TeamInstitution("  ", "KE")


def test_every_team_country_must_be_eligible() -> None:
    check_team(TEAM, CALL)
    team = Team(TeamInstitution("University of Nairobi", "KE"), (TeamInstitution("NCKU", "TW"),))
    with pytest.raises(
        ValidationError, match="'NCKU' is in TW, which is not eligible for call 'cycle-2'"
    ):
        check_team(team, CALL)


def test_modality_must_be_offered_by_the_call() -> None:
    check_modality(Modality.FACILITY, CALL)
    with pytest.raises(
        ValidationError,
        match="does not offer modality 'external_exposure': choose one of own_experiment, facility",
    ):
        check_modality(Modality.EXTERNAL_EXPOSURE, CALL)


def test_check_proposal_runs_every_check_against_its_own_call() -> None:
    check_proposal(make_proposal(), CALL)
    with pytest.raises(ValidationError, match="answers call 'cycle-1', not 'cycle-2'"):
        check_proposal(make_proposal(call_id="cycle-1"), CALL)
    with pytest.raises(ValidationError, match="does not offer modality"):
        check_proposal(make_proposal(modality=Modality.EXTERNAL_EXPOSURE), CALL)
    with pytest.raises(ValidationError, match="whole envelope"):
        check_proposal(make_proposal(request=ResourceRequest(adapter_months=1)), CALL)
    with pytest.raises(ValidationError, match="not eligible"):
        check_proposal(make_proposal(team=Team(TeamInstitution("X Lab", "XK"))), CALL)


def test_proposal_needs_id_and_title_and_starts_as_draft() -> None:
    assert make_proposal().state is S.DRAFT
    with pytest.raises(ValidationError, match="empty id"):
        make_proposal(id="")
    with pytest.raises(ValidationError, match="empty title"):
        make_proposal(title=" ")


# ---------------------------------------------------------------------------------------------
# The life cycle: the full matrix
# ---------------------------------------------------------------------------------------------

# Written out independently of the module's table, so a change to either shows up here.
LEGAL: frozenset[tuple[ProposalState, ProposalState]] = frozenset(
    {
        (S.DRAFT, S.SUBMITTED),
        (S.DRAFT, S.WITHDRAWN),
        (S.SUBMITTED, S.UNDER_REVIEW),
        (S.SUBMITTED, S.REJECTED),
        (S.SUBMITTED, S.WITHDRAWN),
        (S.UNDER_REVIEW, S.SHORTLISTED),
        (S.UNDER_REVIEW, S.REJECTED),
        (S.UNDER_REVIEW, S.WITHDRAWN),
        (S.SHORTLISTED, S.SELECTED),
        (S.SHORTLISTED, S.CONDITIONALLY_SELECTED),
        (S.SHORTLISTED, S.REJECTED),
        (S.SHORTLISTED, S.WITHDRAWN),
        (S.CONDITIONALLY_SELECTED, S.SELECTED),
        (S.CONDITIONALLY_SELECTED, S.REJECTED),
    }
)
WHO: dict[ProposalState, frozenset[Role]] = {
    S.SUBMITTED: frozenset({Role.PARTNER}),
    S.WITHDRAWN: frozenset({Role.PARTNER}),
    S.UNDER_REVIEW: frozenset({Role.PROGRAM_OFFICER, Role.ADMIN}),
    S.SHORTLISTED: frozenset({Role.PROGRAM_OFFICER, Role.ADMIN}),
    S.SELECTED: frozenset({Role.PROGRAM_OFFICER, Role.ADMIN}),
    S.CONDITIONALLY_SELECTED: frozenset({Role.PROGRAM_OFFICER, Role.ADMIN}),
    S.REJECTED: frozenset({Role.PROGRAM_OFFICER, Role.ADMIN}),
}
ALL_PAIRS = list(itertools.product(ProposalState, ProposalState))
LEGAL_SORTED = [pair for pair in ALL_PAIRS if pair in LEGAL]


def test_matrix_covers_every_pair() -> None:
    assert len(ALL_PAIRS) == 64
    assert len(LEGAL) == 14


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=lambda s: s.value)
def test_every_pair_of_states_is_legal_or_refused(
    current: ProposalState, target: ProposalState
) -> None:
    if (current, target) in LEGAL:
        role = sorted(WHO[target], key=lambda r: r.value)[0]
        check_transition(current, target, now=DURING, call=CALL, actor_role=role)
        assert target in allowed_targets(current)
    else:
        # Even an all-powerful role is refused: the table, not the role, forbids it.
        for role in Role:
            with pytest.raises(ConflictError, match="cannot become") as caught:
                check_transition(current, target, now=DURING, call=CALL, actor_role=role)
            assert not isinstance(caught.value, RoleError)
        assert target not in allowed_targets(current)


@pytest.mark.parametrize(
    ("current", "target", "role"),
    [(c, t, r) for (c, t) in LEGAL_SORTED for r in Role],
    ids=lambda v: v.value,
)
def test_every_legal_change_is_allowed_to_exactly_its_roles(
    current: ProposalState, target: ProposalState, role: Role
) -> None:
    if role in WHO[target]:
        check_transition(current, target, now=DURING, call=CALL, actor_role=role)
    else:
        with pytest.raises(RoleError, match=f"role '{role.value}' may not move a proposal"):
            check_transition(current, target, now=DURING, call=CALL, actor_role=role)


def test_illegal_transition_message_is_one_line_and_lists_what_is_allowed() -> None:
    with pytest.raises(ConflictError) as caught:
        check_transition(
            S.REJECTED, S.SUBMITTED, now=DURING, call=CALL, actor_role=Role.PROGRAM_OFFICER
        )
    assert str(caught.value) == (
        "a proposal in state 'rejected' cannot become 'submitted'; allowed from rejected: none"
    )
    with pytest.raises(ConflictError) as caught:
        check_transition(S.SUBMITTED, S.SELECTED, now=DURING, call=CALL, actor_role=Role.ADMIN)
    assert str(caught.value) == (
        "a proposal in state 'submitted' cannot become 'selected'; "
        "allowed from submitted: under_review, rejected, withdrawn"
    )


def test_role_message_names_who_may() -> None:
    with pytest.raises(RoleError) as caught:
        check_transition(
            S.SUBMITTED, S.UNDER_REVIEW, now=DURING, call=CALL, actor_role=Role.REVIEWER
        )
    assert str(caught.value) == (
        "role 'reviewer' may not move a proposal from 'submitted' to 'under_review': "
        "only program_officer or admin may"
    )
    assert isinstance(caught.value, ConflictError)


@pytest.mark.parametrize("current", [S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.SHORTLISTED])
def test_withdrawal_is_the_partners_alone(current: ProposalState) -> None:
    check_transition(current, S.WITHDRAWN, now=DURING, call=CALL, actor_role=Role.PARTNER)
    for role in (Role.PROGRAM_OFFICER, Role.ADMIN, Role.REVIEWER, Role.PUBLIC, Role.PLANNER):
        with pytest.raises(RoleError, match="only partner may"):
            check_transition(current, S.WITHDRAWN, now=DURING, call=CALL, actor_role=role)


@pytest.mark.parametrize("current", [S.CONDITIONALLY_SELECTED, S.SELECTED, S.REJECTED, S.WITHDRAWN])
def test_no_withdrawal_after_a_decision(current: ProposalState) -> None:
    with pytest.raises(ConflictError, match="cannot become 'withdrawn'"):
        check_transition(current, S.WITHDRAWN, now=DURING, call=CALL, actor_role=Role.PARTNER)


# ---------------------------------------------------------------------------------------------
# Deadlines with frozen instants
# ---------------------------------------------------------------------------------------------


def submit(now: datetime) -> None:
    check_transition(S.DRAFT, S.SUBMITTED, now=now, call=CALL, actor_role=Role.PARTNER)


def test_submission_one_second_before_the_deadline_is_accepted() -> None:
    submit(CLOSES - SECOND)
    submit(CLOSES - timedelta(microseconds=1))


@pytest.mark.parametrize("now", [CLOSES, CLOSES + SECOND, CLOSES + timedelta(days=30)])
def test_submission_at_or_after_the_deadline_is_refused(now: datetime) -> None:
    with pytest.raises(DeadlineError, match=r"call 'cycle-2' closed at 2025-09-01T00:00:00Z \(now"):
        submit(now)


def test_deadline_error_is_a_conflict_with_one_line() -> None:
    with pytest.raises(ConflictError) as caught:
        submit(CLOSES + SECOND)
    assert str(caught.value) == (
        "call 'cycle-2' closed at 2025-09-01T00:00:00Z (now 2025-09-01T00:00:01Z): "
        "proposals can only be submitted before the deadline"
    )


def test_submission_before_the_call_opens_is_refused_but_at_opening_accepted() -> None:
    submit(OPENS)
    with pytest.raises(DeadlineError, match=r"opens at 2025-03-01T00:00:00Z .*keep the proposal"):
        submit(OPENS - SECOND)


def test_deadline_compares_instants_not_wall_clocks() -> None:
    beijing = timezone(timedelta(hours=8))
    # 07:59:59 in Beijing on 1 September is 23:59:59 UTC on 31 August: still open.
    submit(datetime(2025, 9, 1, 7, 59, 59, tzinfo=beijing))
    with pytest.raises(DeadlineError):
        submit(datetime(2025, 9, 1, 8, 0, 0, tzinfo=beijing))


def test_review_stage_changes_are_not_bound_by_the_deadline() -> None:
    after = CLOSES + timedelta(days=60)
    check_transition(
        S.SUBMITTED, S.UNDER_REVIEW, now=after, call=CALL, actor_role=Role.PROGRAM_OFFICER
    )
    check_transition(S.SUBMITTED, S.WITHDRAWN, now=after, call=CALL, actor_role=Role.PARTNER)


@pytest.mark.parametrize(("current", "target"), LEGAL_SORTED)
def test_naive_now_is_refused_for_every_change(
    current: ProposalState, target: ProposalState
) -> None:
    role = sorted(WHO[target], key=lambda r: r.value)[0]
    with pytest.raises(NaiveTimeError, match="now 2025-06-01T00:00:00 has no time zone"):
        check_transition(
            current,
            target,
            now=datetime(2025, 6, 1),  # noqa: DTZ001 - the point of the test
            call=CALL,
            actor_role=role,
        )


def test_naive_now_is_refused_before_the_table_is_consulted() -> None:
    with pytest.raises(NaiveTimeError):
        check_transition(
            S.REJECTED,
            S.SUBMITTED,
            now=datetime(2025, 6, 1),  # noqa: DTZ001 - the point of the test
            call=CALL,
            actor_role=Role.PARTNER,
        )


# ---------------------------------------------------------------------------------------------
# Audit entries
# ---------------------------------------------------------------------------------------------


def test_transition_returns_the_audit_entry() -> None:
    beijing = timezone(timedelta(hours=8))
    entry = transition(
        "P-1",
        S.SHORTLISTED,
        S.CONDITIONALLY_SELECTED,
        now=datetime(2025, 10, 1, 8, tzinfo=beijing),
        call=CALL,
        actor="officer-1",
        actor_role=Role.PROGRAM_OFFICER,
        why="  selected   if the upmass\n is reduced to 25 kg ",
    )
    assert entry == AuditEntry(
        proposal_id="P-1",
        actor="officer-1",
        actor_role=Role.PROGRAM_OFFICER,
        at=datetime(2025, 10, 1, tzinfo=UTC),
        from_state=S.SHORTLISTED,
        to_state=S.CONDITIONALLY_SELECTED,
        why="selected if the upmass is reduced to 25 kg",
    )
    assert entry.at.tzinfo is UTC


def test_transition_checks_before_recording() -> None:
    with pytest.raises(DeadlineError):
        transition(
            "P-1",
            S.DRAFT,
            S.SUBMITTED,
            now=CLOSES,
            call=CALL,
            actor="acct-7",
            actor_role=Role.PARTNER,
        )
    with pytest.raises(RoleError):
        transition(
            "P-1",
            S.SHORTLISTED,
            S.SELECTED,
            now=DURING,
            call=CALL,
            actor="acct-7",
            actor_role=Role.PARTNER,
        )


@pytest.mark.parametrize("target", [S.REJECTED, S.CONDITIONALLY_SELECTED])
def test_rejection_and_conditions_need_a_reason(target: ProposalState) -> None:
    with pytest.raises(ValidationError, match=f"to '{target.value}' needs a reason"):
        transition(
            "P-1",
            S.SHORTLISTED,
            target,
            now=DURING,
            call=CALL,
            actor="o",
            actor_role=Role.ADMIN,
            why="   ",
        )


def test_other_changes_may_go_without_a_reason_but_not_without_an_actor() -> None:
    entry = transition(
        "P-1", S.DRAFT, S.SUBMITTED, now=DURING, call=CALL, actor="acct-7", actor_role=Role.PARTNER
    )
    assert entry.why == ""
    with pytest.raises(ValidationError, match="actor is empty"):
        transition(
            "P-1", S.DRAFT, S.SUBMITTED, now=DURING, call=CALL, actor=" ", actor_role=Role.PARTNER
        )
    with pytest.raises(ValidationError, match="proposal id is empty"):
        transition(
            "", S.DRAFT, S.SUBMITTED, now=DURING, call=CALL, actor="a", actor_role=Role.PARTNER
        )


def test_audit_entry_refuses_a_naive_time() -> None:
    with pytest.raises(NaiveTimeError, match="audit time"):
        AuditEntry(
            "P-1",
            "a",
            Role.PARTNER,
            datetime(2025, 6, 1),  # noqa: DTZ001 - the point of the test
            S.DRAFT,
            S.SUBMITTED,
            "",
        )


def life() -> list[AuditEntry]:
    steps = [
        (S.DRAFT, S.SUBMITTED, "acct-7", Role.PARTNER, ""),
        (S.SUBMITTED, S.UNDER_REVIEW, "officer-1", Role.PROGRAM_OFFICER, ""),
        (S.UNDER_REVIEW, S.SHORTLISTED, "officer-1", Role.PROGRAM_OFFICER, "panel rank 3"),
        (S.SHORTLISTED, S.SELECTED, "admin", Role.ADMIN, "fits the envelope"),
    ]
    return [
        transition(
            "P-1",
            a,
            b,
            now=DURING + i * timedelta(days=1),
            call=CALL,
            actor=who,
            actor_role=role,
            why=why,
        )
        for i, (a, b, who, role, why) in enumerate(steps)
    ]


def test_audit_trail_replays_to_the_final_state() -> None:
    assert check_audit_trail(life()) is S.SELECTED
    assert check_audit_trail([]) is S.DRAFT


def test_audit_trail_refuses_gaps_reordering_and_mixing() -> None:
    entries = life()
    with pytest.raises(
        ValidationError, match="starts from 'under_review' but the proposal was 'submitted'"
    ):
        check_audit_trail([entries[0], entries[2]])
    swapped = [entries[0], AuditEntry(**{**entries[1].__dict__, "at": DURING - SECOND})]
    with pytest.raises(ValidationError, match="earlier than the one before it"):
        check_audit_trail(swapped)
    other = AuditEntry(**{**entries[1].__dict__, "proposal_id": "P-2"})
    with pytest.raises(ValidationError, match="mixes proposals 'P-1' and 'P-2'"):
        check_audit_trail([entries[0], other])
    forged = AuditEntry("P-1", "x", Role.ADMIN, DURING, S.DRAFT, S.SELECTED, "")
    with pytest.raises(ValidationError, match="illegal change 'draft' -> 'selected'"):
        check_audit_trail([forged])


# ---------------------------------------------------------------------------------------------
# Conflicts of interest
# ---------------------------------------------------------------------------------------------

PROPOSAL = make_proposal()


def reviewer(**overrides: object) -> Reviewer:
    values: dict[str, object] = {
        "id": "rev-1",
        "name": "A. Reviewer",
        "institution": "Universität Bern",
        "country": "CH",
    }
    values.update(overrides)
    return Reviewer(**values)  # type: ignore[arg-type]


def test_an_unrelated_reviewer_has_no_conflict() -> None:
    assert conflicts(reviewer(), PROPOSAL) == ()
    check_no_conflict(reviewer(), PROPOSAL)


def test_same_institution_as_any_proposer_ignoring_case_and_spaces() -> None:
    assert conflicts(
        reviewer(institution="indian  institute of SCIENCE", country="CH"), PROPOSAL
    ) == ("same institution as proposer 'Indian Institute of Science'",)


@pytest.mark.parametrize("country", ["KE", "PE", "IN", "ke"])
def test_same_country_as_any_proposer(country: str) -> None:
    assert conflicts(reviewer(country=country), PROPOSAL) == (
        f"same country as a proposer ({country.upper()})",
    )


def test_declared_conflicts_with_proposals_and_institutions() -> None:
    assert conflicts(reviewer(declared_proposals=frozenset({"P-1", "P-9"})), PROPOSAL) == (
        "declared a conflict with proposal 'P-1'",
    )
    assert conflicts(reviewer(declared_proposals=frozenset({"P-9"})), PROPOSAL) == ()
    assert conflicts(
        reviewer(declared_institutions=frozenset({"PONTIFICIA UNIVERSIDAD CATÓLICA DEL PERÚ"})),
        PROPOSAL,
    ) == ("declared a conflict with institution 'Pontificia Universidad Católica del Perú'",)


def test_every_reason_is_reported_in_order() -> None:
    everything = reviewer(
        institution="University of Nairobi",
        country="KE",
        declared_proposals=frozenset({"P-1"}),
        declared_institutions=frozenset({"Indian Institute of Science"}),
    )
    assert conflicts(everything, PROPOSAL) == (
        "same institution as proposer 'University of Nairobi'",
        "same country as a proposer (KE)",
        "declared a conflict with proposal 'P-1'",
        "declared a conflict with institution 'Indian Institute of Science'",
    )
    with pytest.raises(
        ConflictError, match=r"reviewer 'rev-1' cannot review proposal 'P-1' .*assign another"
    ):
        check_no_conflict(everything, PROPOSAL)


def test_reviewer_needs_an_id_institution_and_valid_country() -> None:
    with pytest.raises(ValidationError, match="empty id"):
        reviewer(id="")
    with pytest.raises(ValidationError, match="has no institution"):
        reviewer(institution=" ")
    with pytest.raises(ValidationError, match="not an ISO 3166-1 alpha-2 code"):
        reviewer(country="CHE")


# ---------------------------------------------------------------------------------------------
# Scores and aggregation, against numbers worked out by hand
# ---------------------------------------------------------------------------------------------

# Merit counts twice as much as feasibility; both are scored 1 to 5.
# T = (2·(merit − 1)/4 + (feasibility − 1)/4) / 3.
CRITERIA = (Criterion("merit", 2), Criterion("feasibility", 1))


def rv(reviewer_id: str, proposal_id: str, merit: float, feasibility: float) -> Review:
    return Review.of(reviewer_id, proposal_id, {"merit": merit, "feasibility": feasibility})


@pytest.mark.parametrize(
    ("merit", "feasibility", "expected"),
    [
        (5, 5, 1.0),
        (1, 1, 0.0),
        (3, 3, 0.5),
        (4, 1, 0.5),  # (2·0.75 + 0) / 3
        (2, 4, 1.25 / 3),  # (2·0.25 + 0.75) / 3 = 0.41666...
        (2.5, 5, 1.75 / 3),  # (2·0.375 + 1) / 3 = 0.58333...
    ],
)
def test_weighted_total_by_hand(merit: float, feasibility: float, expected: float) -> None:
    assert weighted_total(rv("r", "p", merit, feasibility), CRITERIA) == pytest.approx(expected)


def test_weighted_total_maps_each_criterion_onto_its_own_scale() -> None:
    criteria = (Criterion("merit", 3, low=0, high=10), Criterion("risk", 1, low=1, high=3))
    review = Review.of("r", "p", {"merit": 7, "risk": 2})
    # (3·0.7 + 1·0.5) / 4 = 2.6 / 4
    assert weighted_total(review, criteria) == pytest.approx(0.65)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"merit": 3}, "has no score for 'feasibility': score every criterion"),
        ({"merit": 3, "feasibility": 3, "fun": 5}, "scores unknown criterion 'fun'"),
        ({"merit": 6, "feasibility": 3}, "gives 'merit' 6: score it from 1 to 5"),
        ({"merit": 0.5, "feasibility": 3}, "gives 'merit' 0.5: score it from 1 to 5"),
        ({"merit": math.nan, "feasibility": 3}, "gives 'merit' nan"),
    ],
)
def test_scores_must_cover_exactly_the_criteria_within_scale(
    scores: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        weighted_total(Review.of("r", "p", scores), CRITERIA)


@pytest.mark.parametrize(
    ("criterion", "message"),
    [
        (lambda: Criterion("merit", 0), "weight 0: give a positive weight"),
        (lambda: Criterion("merit", -1), "give a positive weight"),
        (lambda: Criterion("merit", 1, low=5, high=5), "scale 5-5 is empty"),
        (lambda: Criterion("merit", math.inf), "give a finite number"),
        (lambda: Criterion(" ", 1), "empty name"),
    ],
)
def test_criteria_are_validated(criterion: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        criterion()  # type: ignore[operator]


def test_criteria_must_be_stated_once_and_at_least_one() -> None:
    with pytest.raises(ValidationError, match="stated twice"):
        weighted_total(rv("r", "p", 3, 3), (*CRITERIA, Criterion("merit", 1)))
    with pytest.raises(ValidationError, match="no review criteria"):
        weighted_total(rv("r", "p", 3, 3), ())


def test_aggregate_normalises_severity_by_hand() -> None:
    # R1 is harsh, R2 lenient, by the same margin; R3 reviewed only once.
    reviews = [
        rv("R1", "P1", 2, 2),  # T = 0.25
        rv("R1", "P2", 4, 4),  # T = 0.75
        rv("R2", "P1", 3, 3),  # T = 0.50
        rv("R2", "P2", 5, 5),  # T = 1.00
        rv("R3", "P1", 3, 3),  # T = 0.50 (raw: a single review)
    ]
    # Pooled: μ = 3.0 / 5 = 0.6; deviations −0.35, 0.15, −0.1, 0.4, −0.1;
    # σ² = (0.1225 + 0.0225 + 0.01 + 0.16 + 0.01) / 5 = 0.065; σ = 0.2549509757
    sigma = math.sqrt(0.065)
    # R1: μ = 0.5, σ = 0.25 → z = −1 (P1), +1 (P2). R2: μ = 0.75, σ = 0.25 → z = −1, +1.
    result = aggregate(reviews, CRITERIA)
    assert list(result) == ["P1", "P2"]

    p1 = result["P1"]
    assert p1.count == 3
    assert p1.trimmed == ()
    assert p1.raw_mean == pytest.approx((0.25 + 0.5 + 0.5) / 3)  # 0.4166666667
    # A = 0.6 − σ for R1 and R2, 0.5 for R3: (2·(0.6 − σ) + 0.5) / 3
    assert p1.aggregate == pytest.approx((1.7 - 2 * sigma) / 3)
    assert p1.aggregate == pytest.approx(0.3966993495)
    assert [(s.reviewer_id, s.normalised) for s in p1.reviews] == [
        ("R1", True),
        ("R2", True),
        ("R3", False),
    ]
    assert [s.adjusted for s in p1.reviews] == pytest.approx([0.6 - sigma, 0.6 - sigma, 0.5])
    assert [s.total for s in p1.reviews] == pytest.approx([0.25, 0.5, 0.5])

    p2 = result["P2"]
    assert p2.count == 2
    assert p2.raw_mean == pytest.approx(0.875)
    # The harsh 0.75 and the lenient 1.0 are the same judgement: both become μ + σ.
    assert p2.aggregate == pytest.approx(0.6 + sigma)
    assert p2.aggregate == pytest.approx(0.8549509757)

    assert [a.proposal_id for a in ranking(result)] == ["P2", "P1"]


def test_a_reviewer_with_no_spread_keeps_raw_totals() -> None:
    reviews = [rv("R1", "P1", 3, 3), rv("R1", "P2", 3, 3), rv("R2", "P1", 5, 5)]
    result = aggregate(reviews, CRITERIA)
    assert [s.normalised for s in result["P1"].reviews] == [False, False]
    assert result["P1"].aggregate == pytest.approx(0.75)  # (0.5 + 1.0) / 2
    assert result["P2"].aggregate == pytest.approx(0.5)


def test_trimming_drops_the_highest_and_lowest_from_four_reviews() -> None:
    # Four single-review reviewers: raw totals 0, 0.5, 0.75, 1.0.
    reviews = [rv("a", "P", 1, 1), rv("b", "P", 3, 3), rv("c", "P", 4, 4), rv("d", "P", 5, 5)]
    result = aggregate(reviews, CRITERIA)["P"]
    assert result.count == 4
    assert result.trimmed == ("a", "d")
    assert result.aggregate == pytest.approx(0.625)  # (0.5 + 0.75) / 2
    assert result.raw_mean == pytest.approx(0.5625)  # 2.25 / 4


def test_no_trimming_below_four_reviews_or_with_trim_zero() -> None:
    three = [rv("a", "P", 1, 1), rv("b", "P", 3, 3), rv("d", "P", 5, 5)]
    result = aggregate(three, CRITERIA)["P"]
    assert result.trimmed == ()
    assert result.aggregate == pytest.approx(0.5)
    four = [*three, rv("c", "P", 4, 4)]
    untrimmed = aggregate(four, CRITERIA, trim=0)["P"]
    assert untrimmed.trimmed == ()
    assert untrimmed.aggregate == pytest.approx(0.5625)


def test_trim_two_needs_six_reviews() -> None:
    five = [rv(r, "P", m, m) for r, m in zip("abcde", (1, 2, 3, 4, 5), strict=True)]
    assert aggregate(five, CRITERIA, trim=2)["P"].trimmed == ()
    six = [*five, rv("f", "P", 5, 5)]
    result = aggregate(six, CRITERIA, trim=2)["P"]
    # Totals a 0, b 0.25, c 0.5, d 0.75, e 1, f 1 → drop a, b (lowest) and e, f (highest).
    assert result.trimmed == ("a", "b", "e", "f")
    assert result.aggregate == pytest.approx(0.625)


def test_ties_are_trimmed_by_reviewer_id_deterministically() -> None:
    reviews = [rv(r, "P", 3, 3) for r in ("d", "b", "a", "c")]
    result = aggregate(reviews, CRITERIA)["P"]
    assert result.trimmed == ("a", "d")
    assert result.aggregate == pytest.approx(0.5)
    assert [s.reviewer_id for s in result.reviews] == ["a", "b", "c", "d"]
    assert aggregate(list(reversed(reviews)), CRITERIA) == aggregate(reviews, CRITERIA)


def test_aggregate_of_nothing_is_empty_and_bad_input_is_refused() -> None:
    assert aggregate([], CRITERIA) == {}
    with pytest.raises(ValidationError, match="reviewed proposal 'P' twice"):
        aggregate([rv("a", "P", 3, 3), rv("a", "P", 4, 4)], CRITERIA)
    for bad in (-1, True, 1.5):
        with pytest.raises(ValidationError, match="trim is"):
            aggregate([rv("a", "P", 3, 3)], CRITERIA, trim=bad)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Visibility and anonymity
# ---------------------------------------------------------------------------------------------

OTHERS_REVIEW = Review.of("rev-2", "P-1", {"merit": 4, "feasibility": 3}, "solid")


@pytest.mark.parametrize("stage", list(ReviewStage), ids=lambda s: s.value)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_who_sees_another_reviewers_review(role: Role, stage: ReviewStage) -> None:
    expected = {
        Role.PROGRAM_OFFICER: True,
        Role.ADMIN: True,
        Role.REVIEWER: stage is not ReviewStage.INDIVIDUAL,
        Role.PARTNER: False,
        Role.PUBLIC: False,
        Role.PLANNER: False,
    }[role]
    assert may_see_review(role, "rev-1", OTHERS_REVIEW, stage) is expected


@pytest.mark.parametrize("stage", list(ReviewStage), ids=lambda s: s.value)
def test_a_reviewer_always_sees_their_own_review(stage: ReviewStage) -> None:
    assert may_see_review(Role.REVIEWER, "rev-2", OTHERS_REVIEW, stage)


def test_a_partner_never_sees_reviews_even_with_a_matching_id() -> None:
    for stage in ReviewStage:
        assert not may_see_review(Role.PARTNER, "rev-2", OTHERS_REVIEW, stage)


def test_a_conflicted_reviewer_never_sees_others_reviews_even_at_the_panel() -> None:
    for stage in (ReviewStage.PANEL, ReviewStage.DECIDED):
        assert not may_see_review(
            Role.REVIEWER, "rev-1", OTHERS_REVIEW, stage, viewer_conflicted=True
        )
    assert may_see_review(
        Role.PROGRAM_OFFICER, "o", OTHERS_REVIEW, ReviewStage.PANEL, viewer_conflicted=True
    )


def test_an_empty_viewer_id_does_not_match_a_review() -> None:
    anonymous = Review.of("", "P-1", {"merit": 1, "feasibility": 1})
    assert not may_see_review(Role.REVIEWER, "", anonymous, ReviewStage.INDIVIDUAL)


def test_single_anonymous_view_shows_the_team() -> None:
    view = ProposalView.of(PROPOSAL)
    assert redact_for_reviewer(view, double_anonymous=False) == view
    assert view.team == TEAM
    assert view.countries == ("IN", "KE", "PE")
    assert "acct-7" not in repr(view)  # the owning account is never shown


def test_double_anonymous_view_removes_names_institutions_and_countries() -> None:
    view = redact_for_reviewer(ProposalView.of(PROPOSAL), double_anonymous=True)
    assert view.anonymised
    assert view.team is None
    assert view.countries == ()
    text = repr(view)
    for member in TEAM.institutions:
        assert member.name not in text
    assert (view.id, view.title, view.modality, view.request) == (
        "P-1",
        "Microbial growth in microgravity",
        Modality.OWN_EXPERIMENT,
        PROPOSAL.request,
    )
