"""Reviewer assignment: ``per_proposal`` distinct reviewers per proposal, none conflicted.

Conflict of interest
    A reviewer is conflicted on a proposal when the reviewer's institution is one of the
    proposal's institutions, the reviewer's country is one of its countries, or the reviewer
    declared a conflict with the proposal's id or with one of its institutions. Names compare
    without regard to case or surrounding spaces. A conflicted pair never gets a variable.

Feasibility (exact, before any search)
    Whether every proposal can get ``per_proposal`` distinct non-conflicted reviewers within
    capacities is a maximum-flow question (source → proposal: ``per_proposal``; proposal →
    non-conflicted reviewer: 1; reviewer → sink: capacity). When the flow falls short, the
    minimum cut names the proposals that cannot be served and how many reviews they can get,
    and :class:`ValidationError` says so in one line.

Balance (CP-SAT)
    One Boolean per non-conflicted pair, exactly ``per_proposal`` per proposal, loads within
    capacities. Every assignment has the same total load (``per_proposal`` × proposals), so the
    criteria are: first minimise the maximum load, then, with it held, the sum of squared
    loads (the most even spread). One worker, a seed and a deterministic time limit: equal
    inputs give equal assignments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ortools.graph.python import max_flow
from ortools.sat.python import cp_model

from spacehome.domain.program_review import conflict_reasons
from spacehome.errors import ValidationError


@dataclass(frozen=True)
class Reviewer:
    """A reviewer; ``declared_conflicts`` holds proposal ids or institution names."""

    id: str
    institution: str
    country: str
    declared_conflicts: tuple[str, ...] = ()
    capacity: int = 1


@dataclass(frozen=True)
class Proposal:
    """A proposal as the assignment sees it: who proposes it, from where."""

    id: str
    institutions: tuple[str, ...]
    countries: tuple[str, ...]


@dataclass(frozen=True)
class Assignment:
    """Reviewers per proposal (in reviewer order), loads, and the solver's verdict."""

    reviewers: Mapping[str, tuple[str, ...]]  # proposal id -> reviewer ids
    load: Mapping[str, int]  # reviewer id -> number of proposals
    max_load: int
    sum_squares: int
    status: str  # OPTIMAL when both criteria were proven optimal, else FEASIBLE


def conflicted(reviewer: Reviewer, proposal: Proposal) -> bool:
    """True when ``reviewer`` has a conflict of interest on ``proposal``: the domain's rule
    (:func:`spacehome.domain.program_review.conflict_reasons`); a declared conflict may name
    the proposal or one of its institutions."""
    return bool(conflict_reasons(
        institution=reviewer.institution,
        country=reviewer.country,
        declared_proposals=reviewer.declared_conflicts,
        declared_institutions=reviewer.declared_conflicts,
        proposal_id=proposal.id,
        institutions=proposal.institutions,
        countries=proposal.countries,
    ))


def _check(reviewers: Sequence[Reviewer], proposals: Sequence[Proposal], per: int) -> None:
    if isinstance(per, bool) or per < 1:
        raise ValidationError(f"per_proposal = {per!r} must be an integer >= 1")
    for kind, ids in (
        ("reviewer", [r.id for r in reviewers]),
        ("proposal", [p.id for p in proposals]),
    ):
        seen: set[str] = set()
        for item in ids:
            if not item:
                raise ValidationError(f"a {kind} has an empty id: give every {kind} an id")
            if item in seen:
                raise ValidationError(f"{kind} id {item!r} is used twice: make ids unique")
            seen.add(item)
    for r in reviewers:
        if isinstance(r.capacity, bool) or r.capacity < 0:
            raise ValidationError(
                f"reviewer {r.id}: capacity {r.capacity!r} must be an integer >= 0"
            )


def _shortfall(
    reviewers: Sequence[Reviewer],
    proposals: Sequence[Proposal],
    eligible: list[list[int]],
    per: int,
) -> str | None:
    """None when a full assignment exists; else the one-line reason (max-flow min-cut)."""
    short = [k for k in range(len(proposals)) if len(eligible[k]) < per]
    if short:
        parts = [
            f"proposal {proposals[k].id} has only {len(eligible[k])} reviewer"
            f"{'' if len(eligible[k]) == 1 else 's'} without a conflict of interest"
            for k in short
        ]
        return f"{'; '.join(parts)}; {per} are needed: add reviewers from other countries"
    flow = max_flow.SimpleMaxFlow()
    n_p, n_r = len(proposals), len(reviewers)
    source, sink = n_p + n_r, n_p + n_r + 1
    for k in range(n_p):
        flow.add_arc_with_capacity(source, k, per)
        for j in eligible[k]:
            flow.add_arc_with_capacity(k, n_p + j, 1)
    for j, r in enumerate(reviewers):
        flow.add_arc_with_capacity(n_p + j, sink, r.capacity)
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise RuntimeError("the max-flow solver failed on the reviewer network")
    needed = per * n_p
    if flow.optimal_flow() >= needed:
        return None
    side = set(flow.get_source_side_min_cut())
    group = [k for k in range(n_p) if k in side]
    staff = [j for j in range(n_r) if n_p + j in side]
    # reviews the group can get: the cut's arcs out of the group's side
    can = sum(reviewers[j].capacity for j in staff) + sum(
        1 for k in group for j in eligible[k] if n_p + j not in side
    )
    names = ", ".join(proposals[k].id for k in group)
    fix = f"raise the capacity of {', '.join(reviewers[j].id for j in staff)} or " if staff else ""
    return (
        f"proposals {names} need {per * len(group)} reviews but their reviewers without a "
        f"conflict of interest can give them only {can}: {fix}add reviewers from other countries"
    )


def assign_reviewers(
    reviewers: Sequence[Reviewer],
    proposals: Sequence[Proposal],
    *,
    per_proposal: int = 3,
    seed: int = 0,
    time_limit_s: float = 10.0,
) -> Assignment:
    """Give every proposal ``per_proposal`` distinct non-conflicted reviewers, load balanced.

    Raises :class:`ValidationError` when that is impossible, naming the proposals that cannot
    get enough reviewers without a conflict of interest.
    """
    _check(reviewers, proposals, per_proposal)
    eligible = [
        [j for j, r in enumerate(reviewers) if r.capacity > 0 and not conflicted(r, p)]
        for p in proposals
    ]
    reason = _shortfall(reviewers, proposals, eligible, per_proposal)
    if reason is not None:
        raise ValidationError(reason)
    if not proposals:
        return Assignment({}, {r.id: 0 for r in reviewers}, 0, 0, "OPTIMAL")

    model = cp_model.CpModel()
    x: dict[tuple[int, int], Any] = {}
    for k in range(len(proposals)):
        for j in eligible[k]:
            x[k, j] = model.new_bool_var(f"a_{k}_{j}")
        model.add(sum(x[k, j] for j in eligible[k]) == per_proposal)
    loads = []
    squares = []
    top = max(r.capacity for r in reviewers)
    for j, r in enumerate(reviewers):
        mine = [x[k, j] for k in range(len(proposals)) if (k, j) in x]
        cap = min(r.capacity, len(mine))
        load = model.new_int_var(0, cap, f"load_{j}")
        model.add(load == sum(mine))
        sq = model.new_int_var(0, cap * cap, f"sq_{j}")
        model.add_multiplication_equality(sq, [load, load])
        loads.append(load)
        squares.append(sq)
    peak = model.new_int_var(0, top, "max_load")
    model.add_max_equality(peak, loads)

    def solve(objective: Any) -> tuple[cp_model.CpSolver, bool]:
        model.minimize(objective)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.max_deterministic_time = max(0.01, time_limit_s / 2)
        solver.parameters.max_time_in_seconds = max(0.5, time_limit_s)
        code = solver.solve(model)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # feasibility was proven by the flow; only a time-out can get here
            raise ValidationError(
                "no reviewer assignment was found within the time limit: allow more time"
            )
        return solver, code == cp_model.OPTIMAL

    first, proven1 = solve(peak)
    best_peak = first.value(peak)
    model.add(peak <= best_peak)
    for _key, var in x.items():
        model.add_hint(var, first.boolean_value(var))
    second, proven2 = solve(sum(squares))
    result: dict[str, tuple[str, ...]] = {}
    for k, p in enumerate(proposals):
        result[p.id] = tuple(reviewers[j].id for j in eligible[k] if second.boolean_value(x[k, j]))
    load_of = {r.id: int(second.value(loads[j])) for j, r in enumerate(reviewers)}
    return Assignment(
        reviewers=result,
        load=load_of,
        max_load=max(load_of.values()),
        sum_squares=sum(v * v for v in load_of.values()),
        status="OPTIMAL" if proven1 and proven2 else "FEASIBLE",
    )
