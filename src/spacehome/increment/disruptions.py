"""Disruptions of an increment, and replanning around them.

A disruption file is one JSON object (or a list of them, applied in order)::

    {"kind": "cargo-delay", "vehicle": "tianzhou-10", "delay_min": 2880, "at_min": 4320}
    {"kind": "debris-avoidance", "start_min": 7200, "duration_min": 30}
    {"kind": "crew-unavailable", "crew": "zhang-lu", "start_min": 5000, "duration_min": 2880}
    {"kind": "rack-failure", "rack": "cmpr", "start_min": 6000, "end_min": 20000}

Times are minutes from the increment start. ``at_min`` is when the replanning happens (what
has started by then is kept as it was); it defaults to the earliest time the disruption touches.
Activities in progress at ``at_min`` keep going, except those that hold a crew member or rack
the disruption takes away, and microgravity-quiet runs a manoeuvre would spoil: they are
aborted and planned again.

The edits are the station meaning of the generic ones in :mod:`spacehome.planning.replan`,
addressed through the tags and resource ids that :mod:`spacehome.increment.build` gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from spacehome.errors import ValidationError
from spacehome.increment.build import crew_resource
from spacehome.planning import replan
from spacehome.planning.problem import Activity, Problem, Solution

KINDS = ("cargo-delay", "debris-avoidance", "crew-unavailable", "rack-failure")

#: A debris-avoidance manoeuvre, if no duration is given (minutes).
DEFAULT_DAM_MIN = 30


@dataclass(frozen=True)
class Disruption:
    kind: str
    at_min: int
    start_min: int
    end_min: int
    subject: str = ""  # the vehicle, crew member or rack
    description: str = ""


def parse_disruptions(data: Any, *, source: str = "disruption") -> list[Disruption]:
    items = data if isinstance(data, list) else [data]
    if not items:
        raise ValidationError(f"{source}: no disruption given")
    return [_parse(item, f"{source}[{i}]" if isinstance(data, list) else source) for i, item in enumerate(items)]


def _int(item: Mapping[str, Any], key: str, source: str, default: int | None = None) -> int:
    value = item.get(key, default)
    if value is None:
        raise ValidationError(f"{source}: '{key}' is missing; give minutes from the increment start")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{source}: '{key}' must be a whole number of minutes, not {value!r}")
    if value < 0:
        raise ValidationError(f"{source}: '{key}' is {value}; it must not be negative")
    return value


def _text(item: Mapping[str, Any], key: str, source: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{source}: '{key}' is missing; name the {key}")
    return value


def _parse(item: Any, source: str) -> Disruption:
    if not isinstance(item, Mapping):
        raise ValidationError(f"{source}: a disruption is a JSON object with a 'kind'")
    kind = item.get("kind")
    if kind not in KINDS:
        raise ValidationError(f"{source}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if kind == "cargo-delay":
        vehicle = _text(item, "vehicle", source)
        delay = _int(item, "delay_min", source)
        if delay == 0:
            raise ValidationError(f"{source}: 'delay_min' is 0; give a positive delay")
        at = _int(item, "at_min", source, 0)
        return Disruption(kind, at, at, at + delay, vehicle, f"{vehicle} delayed by {delay} min")
    if kind == "debris-avoidance":
        start = _int(item, "start_min", source)
        duration = _int(item, "duration_min", source, DEFAULT_DAM_MIN)
        if duration == 0:
            raise ValidationError(f"{source}: 'duration_min' is 0; give the manoeuvre's length")
        at = _int(item, "at_min", source, start)
        return Disruption(kind, at, start, start + duration, "", f"debris-avoidance manoeuvre at {start} min for {duration} min")
    start = _int(item, "start_min", source)
    if kind == "crew-unavailable":
        crew = _text(item, "crew", source)
        end = start + _int(item, "duration_min", source)
        what = f"crew member {crew} unavailable {start}-{end} min"
    else:
        crew = _text(item, "rack", source)
        end = _int(item, "end_min", source, 10**9)
        what = f"rack {crew} failed from {start} min" + ("" if end == 10**9 else f" to {end} min")
    if end <= start:
        raise ValidationError(f"{source}: it ends ({end}) before it starts ({start})")
    at = _int(item, "at_min", source, start)
    return Disruption(kind, at, start, end, crew, what)


def apply(problem: Problem, previous: Solution, disruptions: Sequence[Disruption]) -> tuple[Problem, Solution, int]:
    """The replanning problem: edits applied, then the plan frozen at the earliest ``at_min``.

    Returns the problem to solve, the previous solution with aborted activities taken out, and
    the replanning time.
    """
    if not disruptions:
        raise ValidationError("no disruption given")
    now = min(d.at_min for d in disruptions)
    if now > problem.horizon:
        raise ValidationError(f"the disruption comes at {now} min, after the plan ends ({problem.horizon} min)")
    edited = problem
    lost: set[str] = set()
    for d in disruptions:
        if d.kind == "cargo-delay":
            edited = replan.with_delay(
                edited, d.end_min - d.start_min, move=f"vehicle:{d.subject}", release=f"cargo:{d.subject}"
            )
        elif d.kind == "debris-avoidance":
            n = sum(1 for a in edited.activities if a.id.startswith("dam-")) + 1
            end = min(d.end_min, edited.horizon)
            burn = Activity(
                id=f"dam-{n}", duration=end - d.start_min, fixed_start=d.start_min, release=d.start_min,
                label=f"debris-avoidance manoeuvre {n}", tags=("fixed-event", "reboost", "disturbance", "debris-avoidance"),
            )
            edited = replan.with_fixed_activity(edited, burn, excludes_tag="quiet")
            quiet = {a.id for a in edited.activities if "quiet" in a.tags}
            lost |= {  # a microgravity-quiet run under way when the burn comes is spoilt: redo it
                s.activity for s in previous.assignments
                if s.activity in quiet and s.start < end and s.end > d.start_min and s.start < now < s.end
            }
        else:
            resource = crew_resource(d.subject) if d.kind == "crew-unavailable" else f"rack:{d.subject}"
            edited = replan.with_outage(edited, resource, d.start_min, min(d.end_min, edited.horizon))
            lost |= {
                s.activity for s in previous.assignments
                if resource in s.resources and s.start < d.end_min and s.end > d.start_min and s.start < now < s.end
            }
    kept = replace(previous, assignments=tuple(s for s in previous.assignments if s.activity not in lost))
    return replan.freeze(edited, kept, now), kept, now
