"""Avoidance use cases: manoeuvre options for a conjunction, and the chosen one in the plan.

``avoidance_options`` is the JSON-ready view of :func:`spacehome.orbit.avoidance.assess`.
``insert_avoidance`` turns a chosen option into a ``debris-avoidance`` disruption of an
increment plan (:mod:`spacehome.increment.disruptions`): a window of the burn time ± a margin,
in plan minutes from the plan's epoch, during which no microgravity-quiet run may happen. The
plan is replanned from the decision time (by default the window's start) with CP-SAT, and the
result goes through the independent validator, as every replanned plan does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spacehome.domain.instant import format_utc, parse_instant, require_utc
from spacehome.errors import ValidationError
from spacehome.increment import disruptions
from spacehome.orbit.avoidance import (
    DEFAULT_LEAD_ORBITS,
    DEFAULT_MAX_DV_M_S,
    DEFAULT_PC_THRESHOLD,
    AvoidanceOption,
    Encounter,
    Miss,
    Model,
    assess,
)
from spacehome.planning import replan
from spacehome.planning.files import PlanFile
from spacehome.planning.problem import Solution
from spacehome.planning.solver import SolveOptions
from spacehome.planning.validate import validate

JSON = dict[str, Any]

#: Minutes kept clear before and after the burn (attitude set-up, thruster settling).
DEFAULT_MARGIN_MIN = 15


def _miss(m: Miss) -> JSON:
    return {
        "miss_m": round(m.miss_km * 1000.0, 3),
        "radial_m": round(m.miss_rtn_km[0] * 1000.0, 3),
        "in_track_m": round(m.miss_rtn_km[1] * 1000.0, 3),
        "cross_track_m": round(m.miss_rtn_km[2] * 1000.0, 3),
        "relative_speed_km_s": round(m.relative_speed_km_s, 6),
        "pc": m.pc,
    }


def option_view(option: AvoidanceOption) -> JSON:
    return {
        "burn_time": format_utc(option.burn_time),
        "lead_min": round(option.lead_s / 60.0, 3),
        "lead_orbits": round(option.lead_orbits, 4),
        "delta_v_m_s": None if option.delta_v_m_s is None else round(option.delta_v_m_s, 6),
        "direction": option.direction,
        "after": None if option.after is None else _miss(option.after),
        "pc_monotonic_beyond": option.monotonic,
        "model": option.model,
    }


def avoidance_options(
    event: Encounter, *, threshold: float = DEFAULT_PC_THRESHOLD,
    lead_orbits: Sequence[float] = DEFAULT_LEAD_ORBITS, lead_times_s: Sequence[float] | None = None,
    max_dv_m_s: float = DEFAULT_MAX_DV_M_S, model: Model = "numerical",
) -> JSON:
    """Pc before, and one along-track option per lead time when the Pc is at or above threshold."""
    result = assess(event, threshold=threshold, lead_orbits=lead_orbits, lead_times_s=lead_times_s,
                    max_dv_m_s=max_dv_m_s, model=model)
    return {
        "primary": event.primary.catalog_number,
        "secondary": event.secondary.catalog_number,
        "tca": format_utc(require_utc(event.tca, "TCA")),
        "threshold": result.threshold,
        "before": _miss(result.before),
        "manoeuvre_needed": result.needed,
        "estimated": result.estimated,
        "covariance_source": result.covariance_source,
        "hard_body_radius_m": event.hard_body_radius_m,
        "options": [option_view(o) for o in result.options],
    }


@dataclass(frozen=True)
class InsertedAvoidance:
    """The replanned plan and what changed."""

    plan: PlanFile
    view: JSON


def _burn(option: AvoidanceOption | Mapping[str, Any]) -> tuple[datetime, float]:
    burn: object
    if isinstance(option, AvoidanceOption):
        burn, dv = option.burn_time, option.delta_v_m_s
    else:
        raw = option.get("burn_time")
        burn = parse_instant(raw, "burn time") if isinstance(raw, str) else raw
        dv = option.get("delta_v_m_s")
    if dv is None:
        raise ValidationError(
            "this option has no manoeuvre (no delta-v up to the largest searched brings the Pc"
            " below the threshold): choose another option or search larger delta-v"
        )
    if not isinstance(burn, datetime):
        raise ValidationError("the option needs a burn_time (ISO 8601 UTC)")
    return require_utc(burn, "burn time"), float(dv)


def insert_avoidance(
    plan: PlanFile, option: AvoidanceOption | Mapping[str, Any], *,
    margin_min: int = DEFAULT_MARGIN_MIN, decided_at: datetime | None = None,
    time_limit_s: float = 10.0, seed: int = 0, workers: int = 2,
) -> InsertedAvoidance:
    """The plan replanned around the burn window ``[burn − margin, burn + margin]``.

    ``option`` is an :class:`AvoidanceOption` or its view (``burn_time``, ``delta_v_m_s``);
    ``decided_at`` is when the replanning happens (default: the window's start); what started
    before it stays as it was, except microgravity-quiet runs the burn would spoil.
    """
    from spacehome.planning.cpsat import CpSatSolver

    burn, dv = _burn(option)
    if isinstance(margin_min, bool) or not isinstance(margin_min, int) or margin_min < 1:
        raise ValidationError(f"the margin is {margin_min!r}: give a whole number of minutes, at least 1")
    if time_limit_s <= 0 or workers < 1:
        raise ValidationError("the time limit must be positive and the workers at least 1")
    problem = plan.problem
    if not problem.epoch:
        raise ValidationError("the plan has no epoch: it cannot place a burn given in UTC")
    epoch = parse_instant(problem.epoch)
    burn_min = (burn - epoch).total_seconds() / 60.0
    start = math.floor(burn_min - margin_min)
    end = math.ceil(burn_min + margin_min)
    if start < 0 or end > problem.horizon:
        raise ValidationError(
            f"the burn window {start}..{end} min is outside the plan's horizon 0..{problem.horizon}"
            f" min (epoch {problem.epoch}): choose an option inside the plan"
        )
    at = start
    if decided_at is not None:
        at = math.floor((require_utc(decided_at, "decision time") - epoch).total_seconds() / 60.0)
        if not 0 <= at <= start:
            raise ValidationError(
                f"the decision time ({at} min) must lie between the plan's start and the burn window ({start} min)"
            )
    event = disruptions.Disruption(
        "debris-avoidance", at, start, end, "",
        f"debris-avoidance manoeuvre {dv:+.3f} m/s at {format_utc(burn)} ({start}-{end} min)",
    )
    edited, _kept, now = disruptions.apply(problem, plan.solution, [event])
    solution: Solution = CpSatSolver().solve(edited, SolveOptions(time_limit_s=time_limit_s, workers=workers, seed=seed))
    if not solution.assignments:
        raise ValidationError(
            f"no plan around the burn window {start}-{end} min was found ({solution.status}): "
            + "; ".join(solution.conflicts)
        )
    violations = validate(edited, solution)
    diff = replan.compare(plan.solution, solution)
    window = {"start_min": start, "end_min": end, "burn_min": round(burn_min, 3)}
    meta = {
        **plan.meta,
        "disruptions": [*plan.meta.get("disruptions", []), vars(event)],
        "avoidance": {"burn_time": format_utc(burn), "delta_v_m_s": dv, **window},
    }
    view = {
        "status": str(solution.status),
        "replanned_at_min": now,
        "window": window,
        "delta_v_m_s": dv,
        "violations": [{"kind": v.kind, "message": v.message} for v in violations],
        "difference": {
            **diff.summary(),
            "moved_activities": [m.activity for m in diff.moved],
            "removed_activities": [m.activity for m in diff.removed],
        },
    }
    return InsertedAvoidance(PlanFile(edited, solution, meta), view)


# --- stored events ------------------------------------------------------------------------------


def event_avoidance(
    event_id: str, *, threshold: float = DEFAULT_PC_THRESHOLD,
    hard_body_radius_m: float | None = None,
    lead_orbits: Sequence[float] = DEFAULT_LEAD_ORBITS, database_url: str | None = None,
) -> JSON:
    """Manoeuvre options for a stored conjunction event (see
    :func:`spacehome.services.conjunction_events.avoidance_for_event` for where the element sets,
    covariances and hard-body radius come from)."""
    from .conjunction_events import avoidance_for_event
    from .tle_covariance import load_tle_covariance

    if not (math.isfinite(threshold) and 0.0 < threshold < 1.0):
        raise ValidationError(f"--threshold {threshold} is not a probability between 0 and 1: give one like 1e-4")
    encounter, origin = avoidance_for_event(
        event_id, database_url=database_url, covariance_model=load_tle_covariance(),
        hard_body_radius_m=hard_body_radius_m,
    )
    view = avoidance_options(encounter, threshold=threshold, lead_orbits=lead_orbits)
    return {"event_id": event_id, **view, "inputs": origin}


def insert_event_option(
    view: Mapping[str, Any], plan: PlanFile, option: int | None = None, **kwargs: Any,
) -> InsertedAvoidance:
    """Put option ``option`` (1-based, as listed) of an :func:`event_avoidance` view into the
    plan; by default the option with the smallest delta-v."""
    options = list(view.get("options") or [])
    usable = [(k, o) for k, o in enumerate(options, start=1) if o.get("delta_v_m_s") is not None]
    if not usable:
        raise ValidationError(
            "no option to insert: the Pc is below the threshold, or no searched burn brings it below"
        )
    if option is None:
        number, chosen = min(usable, key=lambda ko: abs(ko[1]["delta_v_m_s"]))
    else:
        if isinstance(option, bool) or not 1 <= option <= len(options):
            raise ValidationError(f"--option {option} is not one of the {len(options)} options listed")
        number, chosen = option, options[option - 1]
    inserted = insert_avoidance(plan, chosen, **kwargs)
    inserted.view["option"] = number
    inserted.view["event_id"] = view.get("event_id")
    return inserted
