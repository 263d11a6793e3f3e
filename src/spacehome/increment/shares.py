"""Per-country report: what each partner country got from a plan, against its entitlement.

Everything is read from the problem and the solution alone (no scenario): an activity's
``shares`` say how its value and its use of crew, racks and downlink split among countries (the
builder puts the project's countries on every step of a run). Resources are recognised by their
tags (``crew``, ``rack``, ``adapter``); downlinked volume is the amount a ``downlink`` activity
removes from storage (or, in a problem built without storage, rate × duration on the
``downlink`` resource).
"""

from __future__ import annotations

from dataclasses import dataclass

from spacehome.planning.problem import Activity, Assignment, Problem, Solution


@dataclass(frozen=True)
class CountryShare:
    """One country's delivery. Minutes and megabits are split by the activity's share."""

    country: str
    entitlement: int  # value units (the group's entitlement)
    entitlement_pct: float  # of all entitlements
    value: float  # value delivered
    value_pct: float  # of all value delivered
    ratio: float  # value / entitlement
    crew_min: float
    rack_min: float  # racks and external adapters
    downlink_mbit: float
    runs: float  # scheduled runs, split by share


def shares(problem: Problem, solution: Solution) -> list[CountryShare]:
    """Per-country crew minutes, rack minutes, downlink volume and value, against entitlements."""
    kinds = {r.id: set(r.tags) for r in problem.resources}
    acts = {a.id: a for a in problem.activities}
    totals: dict[str, dict[str, float]] = {}
    entitled = {g.id: g.entitlement for g in problem.groups}

    def bucket(country: str) -> dict[str, float]:
        return totals.setdefault(country, {"value": 0.0, "crew": 0.0, "rack": 0.0, "mbit": 0.0, "runs": 0.0})

    for assignment in solution.assignments:
        activity = acts.get(assignment.activity)
        if activity is None or not activity.shares:
            continue
        duration = assignment.end - assignment.start
        crew = sum(duration for r in assignment.resources if "crew" in kinds.get(r, ()))
        rack = sum(duration for r in assignment.resources if kinds.get(r, set()) & {"rack", "adapter"})
        mbit = _downlinked(activity, assignment, kinds) if "downlink" in activity.tags else 0
        run = 1 if "run" in activity.tags else 0
        for country, pct in activity.shares:
            row = bucket(country)
            f = pct / 100.0
            row["value"] += activity.value * f
            row["crew"] += crew * f
            row["rack"] += rack * f
            row["mbit"] += mbit * f
            row["runs"] += run * f
    for country in entitled:
        bucket(country)
    all_entitled = sum(entitled.values()) or 1
    all_value = sum(row["value"] for row in totals.values()) or 1.0
    out = []
    for country in sorted(totals):
        row = totals[country]
        ent = entitled.get(country, 0)
        out.append(CountryShare(
            country=country,
            entitlement=ent,
            entitlement_pct=round(100.0 * ent / all_entitled, 3),
            value=round(row["value"], 3),
            value_pct=round(100.0 * row["value"] / all_value, 3),
            ratio=round(row["value"] / ent, 4) if ent else 0.0,
            crew_min=round(row["crew"], 3),
            rack_min=round(row["rack"], 3),
            downlink_mbit=round(row["mbit"], 3),
            runs=round(row["runs"], 3),
        ))
    return out


def _downlinked(activity: Activity, assignment: Assignment, kinds: dict[str, set[str]]) -> int:
    drained = -sum(e.delta for e in activity.effects if e.delta < 0)
    if drained:
        return drained
    duration = assignment.end - assignment.start
    return sum(
        d.amount * duration
        for d, chosen in zip(activity.demands, assignment.resources, strict=False)
        if "downlink" in kinds.get(chosen, set())
    )
