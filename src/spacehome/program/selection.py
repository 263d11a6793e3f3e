"""Portfolio selection: the proposals that maximise the total score within a call's envelope.

Model (CP-SAT, solved exactly)
    - One Boolean ``x_i`` per candidate that fits the envelope on its own; a candidate that needs
      more of some resource than the whole envelope is never a variable ("does not fit").
    - Envelope: ``Σ request_ir · x_i ≤ capacity_r`` for each of :data:`RESOURCES`. Amounts are
      resolved to 1/:data:`AMOUNT_SCALE` of a unit, requests rounded *up* and capacities *down*,
      so a selected portfolio always fits the true envelope.
    - Breadth, countries: a Boolean ``y_c`` per country (lead or partner of some candidate),
      ``y_c ≤ Σ_{i involves c} x_i`` and ``Σ y_c ≥ min_countries``.
    - Breadth, least developed countries: ``ldc_min_share`` is a share of the *selected
      proposals* (a count, not resources) that are led by or include a partner from an LDC:
      ``q · Σ_{i LDC} x_i ≥ p · Σ x_i`` with ``p/q`` the share as a fraction (to 1/1000). A count
      spreads opportunity over teams; a share of resources would let one large project meet it.
      An empty portfolio meets any share, so a positive share with no LDC candidate that fits is
      refused as unmeetable rather than answered with an empty portfolio.
    - Objective: maximise ``Σ score_i · x_i`` with scores rounded to 1/:data:`SCORE_SCALE`
      (``objective`` and every loss are reported in those rounded units, exactly).

Explanations
    Every candidate gets one: selected (its score and share of the envelope), does not fit (which
    resources it alone exceeds), or, for every other candidate not selected, the result of
    re-solving with it forced in: the best portfolio containing it, what it drops and adds, and
    the loss against the optimum (``tied`` when the loss is 0: an equally good portfolio includes
    it; ``incompatible`` when no portfolio containing it meets the envelope and the rules). The
    forced solves reuse the model with the candidate's domain fixed, one worker and a short
    deterministic limit each (an even split of :data:`EXPLAIN_DTIME`, at most
    :data:`FORCED_DTIME`); every portfolio a forced solve finds is remembered for the candidates
    it contains (a hint and a fallback for theirs). A loss not proven within that limit is stated
    as a range: at most (best portfolio found with it) and at least (the solver's bound).

Determinism
    Every solve runs one worker (:data:`WORKERS`; CP-SAT's single-thread search is a function of
    the model and ``random_seed``) and stops on a deterministic time limit (``time_limit_s``
    for the main solve), with a wall-clock safety net of 1.5 × the limit plus 2 s; equal inputs
    and seed give equal results. One worker also proved these knapsack models optimal far sooner
    than two interleaved workers (0.1 s against 5 s on a 200-candidate instance).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from ortools.sat.python import cp_model

from spacehome.errors import ValidationError

#: The resources of a call's envelope, in the order explanations list them.
RESOURCES = ("crew_hours", "rack_months", "adapter_months", "upmass_kg", "downlink_gb")
#: How each resource reads in a sentence ("needs 40 rack-months").
UNITS = {
    "crew_hours": "crew hours",
    "rack_months": "rack-months",
    "adapter_months": "adapter-months",
    "upmass_kg": "kg of upmass",
    "downlink_gb": "GB of downlink",
}
#: Scores are resolved to 1/SCORE_SCALE; amounts to 1/AMOUNT_SCALE of their unit.
SCORE_SCALE = 1000
AMOUNT_SCALE = 1000
#: The ldc share is resolved to a fraction with at most this denominator.
SHARE_DENOMINATOR = 1000
WORKERS = 1
WALL_SAFETY = 1.5
#: Deterministic time granted to each forced re-solve (explanations), and to all of them.
FORCED_DTIME = 0.5
#: All forced re-solves together get EXPLAIN_SHARE × ``time_limit_s`` of deterministic time, at
#: most EXPLAIN_DTIME (2 to 3 s of wall time for 200 candidates on this machine), split evenly among the
#: candidates to explain, at most FORCED_DTIME each.
EXPLAIN_SHARE = 0.3
EXPLAIN_DTIME = 0.8

Kind = Literal["selected", "does-not-fit", "excluded", "tied", "incompatible", "undecided"]


@dataclass(frozen=True)
class Candidate:
    """A proposal offered for selection. ``request`` maps keys of :data:`RESOURCES` to amounts."""

    id: str
    score: float
    countries: tuple[str, ...]  # partner countries; the lead country counts too
    lead_country: str
    request: Mapping[str, float] = field(default_factory=dict)

    def participants(self) -> frozenset[str]:
        return frozenset(self.countries) | {self.lead_country}


@dataclass(frozen=True)
class Envelope:
    """The call's resource envelope (capacities)."""

    crew_hours: float = 0.0
    rack_months: float = 0.0
    adapter_months: float = 0.0
    upmass_kg: float = 0.0
    downlink_gb: float = 0.0

    def capacity(self, resource: str) -> float:
        return float(getattr(self, resource))


@dataclass(frozen=True)
class BreadthRules:
    """At least ``min_countries`` countries; at least ``ldc_min_share`` of the selected proposals
    led by or including a partner from a least developed country."""

    min_countries: int = 0
    ldc_min_share: float = 0.0


@dataclass(frozen=True)
class Explanation:
    """Why a candidate was or was not selected. Scores and losses are in rounded score units."""

    id: str
    selected: bool
    kind: Kind
    reason: str
    #: excluded/tied: the optimum minus the best portfolio containing the candidate (an upper
    #: value when not proven; then ``loss_at_least`` is the proven lower value)
    loss: float | None = None
    loss_at_least: float | None = None
    dropped: tuple[str, ...] = ()  # selected proposals the best portfolio with it leaves out
    added: tuple[str, ...] = ()  # other proposals it brings in


@dataclass(frozen=True)
class Selection:
    """The chosen portfolio, the solver's proof, and an explanation for every candidate."""

    selected: tuple[str, ...]  # in candidate order
    objective: float  # total (rounded) score of the selected proposals
    bound: float  # CP-SAT's bound on the objective (equal when OPTIMAL)
    status: str  # OPTIMAL, FEASIBLE or UNKNOWN
    explanations: tuple[Explanation, ...]  # in candidate order
    usage: Mapping[str, float]  # resource -> amount the portfolio uses
    countries: tuple[str, ...]  # sorted
    ldc_proposals: int  # selected proposals led by or including an LDC partner
    wall_s: float = 0.0

    def explanation(self, candidate_id: str) -> Explanation:
        for e in self.explanations:
            if e.id == candidate_id:
                return e
        raise KeyError(candidate_id)


# --- validation ----------------------------------------------------------------------------------
def _check(candidates: Sequence[Candidate], envelope: Envelope, rules: BreadthRules) -> None:
    seen: set[str] = set()
    for c in candidates:
        if not c.id:
            raise ValidationError("a candidate has an empty id: give every candidate an id")
        if c.id in seen:
            raise ValidationError(f"candidate id {c.id!r} is used twice: make ids unique")
        seen.add(c.id)
        if not math.isfinite(c.score):
            raise ValidationError(f"candidate {c.id}: score {c.score!r} is not a finite number")
        if not c.lead_country:
            raise ValidationError(f"candidate {c.id}: no lead country: give its lead_country")
        for key, amount in c.request.items():
            if key not in UNITS:
                raise ValidationError(
                    f"candidate {c.id}: unknown resource {key!r}; use one of {', '.join(RESOURCES)}"
                )
            if not math.isfinite(amount) or amount < 0:
                raise ValidationError(
                    f"candidate {c.id}: request {key} = {amount!r} must be a finite amount >= 0"
                )
    for r in RESOURCES:
        cap = envelope.capacity(r)
        if not math.isfinite(cap) or cap < 0:
            raise ValidationError(f"envelope {r} = {cap!r} must be a finite amount >= 0")
    if isinstance(rules.min_countries, bool) or rules.min_countries < 0:
        raise ValidationError(f"min_countries = {rules.min_countries!r} must be an integer >= 0")
    if not 0.0 <= rules.ldc_min_share <= 1.0:
        raise ValidationError(
            f"ldc_min_share = {rules.ldc_min_share!r} must be a share between 0 and 1"
        )


def _amount(value: float, up: bool) -> int:
    scaled = value * AMOUNT_SCALE
    nearest = round(scaled)
    if abs(scaled - nearest) < 1e-6:
        return int(nearest)
    return math.ceil(scaled) if up else math.floor(scaled)


def _fmt(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(ids) or "none"


# --- the model -----------------------------------------------------------------------------------
@dataclass
class _Model:
    model: cp_model.CpModel
    x: dict[int, Any]  # candidate index -> Boolean (only candidates that fit alone)
    scores: list[int]


def _build(
    candidates: Sequence[Candidate],
    fits: list[int],
    requests: list[dict[str, int]],
    caps: dict[str, int],
    rules: BreadthRules,
    is_ldc: list[bool],
) -> _Model:
    model = cp_model.CpModel()
    x = {i: model.new_bool_var(f"x_{candidates[i].id}") for i in fits}
    scores = [round(c.score * SCORE_SCALE) for c in candidates]
    for r in RESOURCES:
        terms = [(requests[i][r], x[i]) for i in fits if requests[i][r] > 0]
        if sum(a for a, _ in terms) > caps[r]:
            model.add(sum(a * v for a, v in terms) <= caps[r])
    if rules.min_countries > 0:
        involved: dict[str, list[Any]] = {}
        for i in fits:
            for country in sorted(candidates[i].participants()):
                involved.setdefault(country, []).append(x[i])
        y = []
        for country, lits in sorted(involved.items()):
            v = model.new_bool_var(f"y_{country}")
            model.add_bool_or(lits).only_enforce_if(v)
            y.append(v)
        model.add(sum(y) >= rules.min_countries)
    if rules.ldc_min_share > 0:
        share = Fraction(rules.ldc_min_share).limit_denominator(SHARE_DENOMINATOR)
        p, q = share.numerator, share.denominator
        model.add(q * sum(x[i] for i in fits if is_ldc[i]) >= p * sum(x[i] for i in fits))
    model.maximize(sum(scores[i] * x[i] for i in fits))
    return _Model(model, x, scores)


def _solver(seed: int, workers: int, dtime: float, wall: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = workers
    prm.random_seed = seed
    if workers > 1:
        prm.interleave_search = True  # the deterministic multi-worker loop
    prm.max_deterministic_time = max(0.01, dtime)
    prm.max_time_in_seconds = max(0.5, wall)
    return solver


def _status(code: Any) -> str:
    return {
        cp_model.OPTIMAL: "OPTIMAL",
        cp_model.FEASIBLE: "FEASIBLE",
        cp_model.INFEASIBLE: "INFEASIBLE",
    }.get(code, "UNKNOWN")


# --- public API ----------------------------------------------------------------------------------
def select_portfolio(
    candidates: Sequence[Candidate],
    envelope: Envelope,
    rules: BreadthRules,
    ldc: frozenset[str] | set[str],
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
) -> Selection:
    """Choose the portfolio of highest total score within ``envelope`` that meets ``rules``.

    ``ldc`` is the set of least developed countries, in the same code system as the candidates'
    countries (``spacehome.record.ldc.least_developed_countries()`` gives the UN list as
    alpha-2). Raises :class:`ValidationError` for malformed input and for rules that no
    portfolio can meet. See the module docstring for the model and the explanations.
    """
    t0 = time.perf_counter()
    _check(candidates, envelope, rules)
    caps = {r: _amount(envelope.capacity(r), up=False) for r in RESOURCES}
    requests = [{r: _amount(c.request.get(r, 0.0), up=True) for r in RESOURCES} for c in candidates]
    is_ldc = [bool(c.participants() & ldc) for c in candidates]
    over: dict[int, list[str]] = {}
    for i in range(len(candidates)):
        exceeded = [r for r in RESOURCES if requests[i][r] > caps[r]]
        if exceeded:
            over[i] = exceeded
    fits = [i for i in range(len(candidates)) if i not in over]
    _check_rules(candidates, fits, rules, is_ldc)

    built = _build(candidates, fits, requests, caps, rules, is_ldc)
    solver = _solver(seed, WORKERS, time_limit_s, time_limit_s * WALL_SAFETY + 2.0)
    code = solver.solve(built.model)
    status = _status(code)
    if status == "INFEASIBLE":
        raise ValidationError(
            "the breadth rules cannot be met within the envelope: no portfolio that fits "
            f"{_rules_text(rules)}; relax the rules or enlarge the envelope"
        )
    if status == "UNKNOWN":
        reason = "not decided: no portfolio was found within the time limit; allow more time"
        return Selection(
            selected=(),
            objective=0.0,
            bound=float(solver.best_objective_bound) / SCORE_SCALE,
            status=status,
            explanations=tuple(Explanation(c.id, False, "undecided", reason) for c in candidates),
            usage={r: 0.0 for r in RESOURCES},
            countries=(),
            ldc_proposals=0,
            wall_s=time.perf_counter() - t0,
        )
    chosen = {i for i in fits if solver.boolean_value(built.x[i])}
    best = sum(built.scores[i] for i in chosen)
    bound = best if status == "OPTIMAL" else max(best, round(solver.best_objective_bound))
    usage = {r: sum(requests[i][r] for i in chosen) for r in RESOURCES}

    explain = [i for i in fits if i not in chosen]
    total = min(EXPLAIN_DTIME, EXPLAIN_SHARE * time_limit_s)
    share = min(FORCED_DTIME, total / max(1, len(explain)))
    known: dict[int, tuple[int, frozenset[int]]] = {}  # best portfolio found containing i
    explanations: list[Explanation] = []
    for i, c in enumerate(candidates):
        if i in chosen:
            explanations.append(_selected_text(c, built.scores[i], requests[i], caps))
        elif i in over:
            explanations.append(_too_big(c, over[i], requests[i], caps))
        else:
            explanations.append(
                _forced(built, i, chosen, best, status, candidates, seed, share, known)
            )
    order = sorted(chosen)
    return Selection(
        selected=tuple(candidates[i].id for i in order),
        objective=best / SCORE_SCALE,
        bound=bound / SCORE_SCALE,
        status=status,
        explanations=tuple(explanations),
        usage={r: usage[r] / AMOUNT_SCALE for r in RESOURCES},
        countries=tuple(sorted(set().union(*(candidates[i].participants() for i in order)))),
        ldc_proposals=sum(1 for i in order if is_ldc[i]),
        wall_s=time.perf_counter() - t0,
    )


def _rules_text(rules: BreadthRules) -> str:
    parts = []
    if rules.min_countries > 0:
        parts.append(f"reaches {rules.min_countries} countries")
    if rules.ldc_min_share > 0:
        parts.append(
            f"has {_fmt(rules.ldc_min_share * 100)}% of its proposals led by or including a "
            "least developed country"
        )
    return " and ".join(parts) or "meets the rules"


def _check_rules(
    candidates: Sequence[Candidate], fits: list[int], rules: BreadthRules, is_ldc: list[bool]
) -> None:
    """Refuse, with the reason, rules that no selection of the candidates could meet."""
    if rules.min_countries > 0:
        everywhere = set().union(*(c.participants() for c in candidates))
        fitting = set().union(*(candidates[i].participants() for i in fits))
        if len(everywhere) < rules.min_countries:
            raise ValidationError(
                f"the breadth rules cannot be met: only {len(everywhere)} countries among all "
                f"candidates, the rule asks {rules.min_countries}; lower min_countries or invite "
                "proposals from more countries"
            )
        if len(fitting) < rules.min_countries:
            raise ValidationError(
                f"the breadth rules cannot be met: only {len(fitting)} countries among the "
                f"candidates that fit the envelope ({len(everywhere)} among all), the rule asks "
                f"{rules.min_countries}; lower min_countries or enlarge the envelope"
            )
    if rules.ldc_min_share > 0 and not any(is_ldc[i] for i in fits):
        where = "that fits the envelope " if any(is_ldc) else ""
        raise ValidationError(
            f"the breadth rules cannot be met: no candidate {where}is led by or includes a "
            f"least developed country, the rule asks {_fmt(rules.ldc_min_share * 100)}% of the "
            "selected proposals; set ldc_min_share to 0 or invite such proposals"
        )


def _uses(request: dict[str, int], caps: dict[str, int]) -> str:
    parts = [
        f"{_fmt(request[r] / AMOUNT_SCALE)} of {_fmt(caps[r] / AMOUNT_SCALE)} {UNITS[r]}"
        for r in RESOURCES
        if request[r] > 0
    ]
    return ", ".join(parts) or "no resources"


def _selected_text(
    c: Candidate, score: int, request: dict[str, int], caps: dict[str, int]
) -> Explanation:
    reason = f"selected: score {_fmt(score / SCORE_SCALE)}, uses {_uses(request, caps)}"
    return Explanation(c.id, True, "selected", reason)


def _too_big(
    c: Candidate, exceeded: list[str], request: dict[str, int], caps: dict[str, int]
) -> Explanation:
    parts = [
        f"needs {_fmt(request[r] / AMOUNT_SCALE)} {UNITS[r]}, the envelope has "
        f"{_fmt(caps[r] / AMOUNT_SCALE)}"
        for r in exceeded
    ]
    return Explanation(c.id, False, "does-not-fit", "does not fit: " + "; ".join(parts))


def _forced(
    built: _Model,
    i: int,
    chosen: set[int],
    best: int,
    status: str,
    candidates: Sequence[Candidate],
    seed: int,
    dtime: float,
    known: dict[int, tuple[int, frozenset[int]]],
) -> Explanation:
    """Re-solve with candidate ``i`` forced in; explain the difference to the optimum.

    ``known`` holds, per candidate, the best portfolio containing it found so far (by any forced
    solve): it is the hint, and the answer when this solve finds nothing better in its time.
    """
    cid = candidates[i].id
    domain = built.model.proto.variables[built.x[i].index].domain
    low = domain[0]  # a Boolean's domain is [low, high] = [0, 1]
    domain[0] = 1
    if i in known:
        for j, var in built.x.items():
            built.model.add_hint(var, j in known[i][1])
    try:
        solver = _solver(seed, 1, dtime, dtime * 4 + 1.0)
        code = solver.solve(built.model)
    finally:
        domain[0] = low
        built.model.clear_hints()  # type: ignore[no-untyped-call]
    forced_status = _status(code)
    if forced_status == "INFEASIBLE":
        return Explanation(
            cid,
            False,
            "incompatible",
            "not selected: no portfolio that contains it fits the envelope and meets the "
            "breadth rules",
        )
    if forced_status in ("OPTIMAL", "FEASIBLE"):
        found = frozenset(j for j in built.x if solver.boolean_value(built.x[j]))
        value = sum(built.scores[j] for j in found)
        for j in found - chosen:
            if j not in known or known[j][0] < value:
                known[j] = (value, found)
    if i not in known:
        return Explanation(
            cid,
            False,
            "undecided",
            "not selected: the best portfolio containing it was not found within the time "
            "limit for explanations",
        )
    value, with_it = known[i]
    dropped = tuple(candidates[j].id for j in sorted(chosen - with_it))
    added = tuple(candidates[j].id for j in sorted(with_it - chosen - {i}))
    if value > best:  # only possible when the main solve was not proven optimal
        return Explanation(
            cid,
            False,
            "undecided",
            "not selected, but the portfolio found is not proven optimal: a portfolio with it "
            f"scores {_fmt(value / SCORE_SCALE)} (this one {_fmt(best / SCORE_SCALE)})",
            dropped=dropped,
            added=added,
        )
    loss = best - value
    proven = forced_status == "OPTIMAL" and status == "OPTIMAL"
    upper = math.floor(solver.best_objective_bound + 1e-6) if forced_status != "UNKNOWN" else best
    at_least = loss if proven else max(0, min(loss, best - upper))
    if loss == 0:
        reason = (
            "not selected: tied, an equally good portfolio includes it (total score "
            f"{_fmt(best / SCORE_SCALE)}): it would replace {_ids(dropped)}"
        )
        return Explanation(cid, False, "tied", reason, 0.0, 0.0, dropped, added)
    dropped_score = sum(built.scores[j] for j in chosen - with_it)
    added_score = sum(built.scores[j] for j in with_it - chosen)
    brought = f"{cid}" + (f" plus {_ids(added)}" if added else "")
    reason = (
        f"excluded by the optimum: including it would require dropping {_ids(dropped)} "
        f"(total score {_fmt(dropped_score / SCORE_SCALE)}) for {brought} (total score "
        f"{_fmt(added_score / SCORE_SCALE)}): "
    )
    if proven:
        reason += f"a loss of {_fmt(loss / SCORE_SCALE)}"
    else:
        reason += (
            f"a loss of at most {_fmt(loss / SCORE_SCALE)} and at least "
            f"{_fmt(at_least / SCORE_SCALE)} (not proven within the time limit)"
        )
    return Explanation(
        cid,
        False,
        "excluded",
        reason,
        loss / SCORE_SCALE,
        at_least / SCORE_SCALE,
        dropped,
        added,
    )
