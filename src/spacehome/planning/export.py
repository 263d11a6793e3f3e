"""Plans out to other tools: CSV (one row per scheduled activity) and iCalendar (RFC 5545).

iCalendar files are written with the ``icalendar`` package: one calendar per resource (each
crew member, each rack) or per tag prefix group (each project), so a crew member or a partner
team can subscribe to exactly their own timeline. Times need the problem's ``epoch`` and a unit
of minutes or seconds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from spacehome.errors import ValidationError
from spacehome.planning.problem import Activity, Assignment, Problem, Solution

_UNIT_SECONDS = {"min": 60, "s": 1}


def instant(problem: Problem, t: int) -> datetime | None:
    """The UTC instant of time ``t``, or ``None`` if the problem has no epoch or abstract time."""
    if problem.epoch is None or problem.time_unit not in _UNIT_SECONDS:
        return None
    epoch = datetime.fromisoformat(problem.epoch.replace("Z", "+00:00"))
    if epoch.tzinfo is None:
        raise ValidationError(f"the problem's epoch '{problem.epoch}' has no UTC offset; write it like 2026-12-01T00:00:00Z")
    return (epoch + timedelta(seconds=t * _UNIT_SECONDS[problem.time_unit])).astimezone(UTC)


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_csv(problem: Problem, solution: Solution) -> str:
    """One row per scheduled activity, in start order; unscheduled ones follow with their reason."""
    acts = {a.id: a for a in problem.activities}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([
        "activity", "label", f"start_{problem.time_unit}", f"end_{problem.time_unit}",
        "start_utc", "end_utc", "resources", "tags", "scheduled", "reason",
    ])
    for s in sorted(solution.assignments, key=lambda s: (s.start, s.activity)):
        a = acts.get(s.activity)
        writer.writerow([
            s.activity, a.label if a else "", s.start, s.end,
            _iso(instant(problem, s.start)), _iso(instant(problem, s.end)),
            " ".join(s.resources), " ".join(a.tags) if a else "", "yes", "",
        ])
    for u in solution.unplaced:
        a = acts.get(u.activity)
        writer.writerow([u.activity, a.label if a else "", "", "", "", "", "", " ".join(a.tags) if a else "", "no", u.reason])
    return out.getvalue()


def calendars(
    problem: Problem, solution: Solution, *, by: str = "crew",
) -> dict[str, bytes]:
    """iCalendar files keyed by name: ``by="crew"`` (or any resource tag) gives one per resource
    with that tag; ``by="project"`` (or any activity tag prefix) one per ``project:<id>`` tag."""
    if instant(problem, 0) is None:
        raise ValidationError(
            "this plan has no epoch in minutes or seconds, so it has no calendar dates; "
            "export it as CSV instead"
        )
    acts = {a.id: a for a in problem.activities}
    groups: dict[str, list[Assignment]] = {}
    resource_ids = {r.id for r in problem.resources if by in r.tags}
    if resource_ids:
        for s in solution.assignments:
            for r in s.resources:
                if r in resource_ids:
                    groups.setdefault(r, []).append(s)
        for r in resource_ids:
            groups.setdefault(r, [])
    else:
        prefix = f"{by}:"
        for s in solution.assignments:
            for tag in acts[s.activity].tags if s.activity in acts else ():
                if tag.startswith(prefix):
                    groups.setdefault(tag[len(prefix):], []).append(s)
        if not groups:
            raise ValidationError(
                f"nothing in this plan is grouped by '{by}': use a resource tag (crew, rack) or an "
                "activity tag prefix (project, experiment)"
            )
    return {name: _calendar(problem, f"{problem.name}: {name}", items, acts) for name, items in sorted(groups.items())}


def _calendar(problem: Problem, title: str, items: Iterable[Assignment], acts: dict[str, Activity]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//spacehome//increment plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", title)
    stamp = instant(problem, 0)
    for s in sorted(items, key=lambda s: (s.start, s.activity)):
        a = acts.get(s.activity)
        event = Event()
        event.add("uid", f"{s.activity}@{problem.name}.spacehome")
        event.add("dtstamp", stamp)
        event.add("dtstart", instant(problem, s.start))
        event.add("dtend", instant(problem, s.end))
        event.add("summary", (a.label if a and a.label else s.activity))
        if s.resources:
            event.add("location", ", ".join(s.resources))
        if a and a.tags:
            event.add("categories", list(a.tags))
        cal.add_component(event)
    return bytes(cal.to_ical())
