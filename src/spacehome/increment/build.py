"""Compile a scenario into the generic scheduling problem (pure and deterministic).

Resources (capacity 1 unless said)
    ``crew:<id>`` (tag ``crew``): available while aboard and awake and free (see crew day below);
    ``crew-day:<id>`` (tag ``crew-day``): holds that person's fixed crew-day items, for display;
    ``rack:<id>`` (tag ``rack``), ``adapter:<id>`` (tag ``adapter``);
    ``power`` (W, cumulative): the payload power, lower in every eclipse;
    ``downlink`` (Mbit/min, cumulative): the downlink rate during ground contacts, 0 otherwise;
    storage ``onboard-storage`` (Mbit).

Crew day and work caps
    A :class:`~spacehome.planning.problem.WorkCap` counts *every* activity that holds its
    resource. Crew-day items (sleep, meals, exercise, the daily planning conference) are not
    work, so they do not hold ``crew:<id>``: they take that person out of service through capacity
    steps to 0 on ``crew:<id>`` (exactly like the time before arrival and after departure), and
    they are also listed as fixed mandatory activities (tag ``crew-day``) holding the person's own
    ``crew-day:<id>`` resource, so plans and timelines show them. The work caps (per person, per
    local day of 1440 min and per local week of 10080 min, aligned to local midnight and to the
    rule's first weekday) therefore count exactly the work: experiment steps, cargo unpacking and
    EVAs. Gaps between crew-day items shorter than ``min_work_gap_min`` are closed as well: no
    work fits in them, and fewer capacity steps make the problem much easier to solve. A
    crew-day item that overlaps a fixed event holding that person (an EVA) is dropped;
    the event replaces it. Moving a crew-day item means changing both the capacity step and its
    listed activity.

Experiments
    Each run is ``setup → run → teardown`` (precedences with the scenario's maximum gaps) plus a
    ``downlink`` after the run, in one :class:`~spacehome.planning.problem.Bundle`: all optional;
    the run carries the value. All steps hold the rack/adapter; setup and teardown (and the run,
    when it needs crew) hold one of the crew qualified for it (alternatives); the run draws power.
    Lighting needs become windows (sunlit: between eclipses; eclipse: umbra). Quiet runs get an
    :class:`~spacehome.planning.problem.Exclusion` against the disturbing fixed events that could
    overlap them. Hardware from a cargo ship: release after docking + unpacking. Samples for a crew
    ship: teardown deadline before it undocks (less the stowage margin). Data: the run adds its
    volume to storage at its end; the downlink (duration volume / rate, at full rate, inside a
    ground contact: both the ``downlink`` profile and the contact windows say so) removes it at its
    end, before the run's downlink deadline.

Shares
    Every activity of a run carries the project's countries' shares (100 % split evenly, the lead
    first); groups are ISO country codes with the entitlement ``share_pct × total run value``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from spacehome.errors import ValidationError
from spacehome.increment.generate import split_percent
from spacehome.increment.scenario import (
    DAY_MIN,
    WEEK_MIN,
    CrewMember,
    Scenario,
    Span,
    effective_window,
    qualified_crew,
)
from spacehome.increment.windows import (
    downlink_minutes,
    downlink_window,
    downlink_windows,
    merge,
    overlaps,
    run_windows,
)
from spacehome.planning.problem import (
    Activity,
    Bundle,
    CapacityStep,
    Criterion,
    Demand,
    Effect,
    Exclusion,
    Group,
    Objective,
    Precedence,
    Problem,
    Resource,
    Storage,
    Window,
    WorkCap,
)

STORAGE = "onboard-storage"
POWER = "power"
DOWNLINK = "downlink"
#: Minutes after docking before the hatch is open and unpacking can start (assumed).
HATCH_OPEN_MIN = 60

#: Named objectives: ``value`` (default), ``fairness``, and the two lexicographic orders.
OBJECTIVES: Mapping[str, Objective] = {
    "value": Objective(weights={Criterion.VALUE: 1}),
    "fairness": Objective(weights={Criterion.FAIRNESS: 1}),
    "fairness-then-value": Objective(lexicographic=(Criterion.FAIRNESS, Criterion.VALUE)),
    "value-then-fairness": Objective(lexicographic=(Criterion.VALUE, Criterion.FAIRNESS)),
}


def crew_resource(crew_id: str) -> str:
    return f"crew:{crew_id}"


def location_resource(scenario: Scenario, location: str) -> str:
    return f"adapter:{location}" if any(a.id == location for a in scenario.adapters) else f"rack:{location}"


def objective_named(name: str) -> Objective:
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValidationError(
            f"unknown objective '{name}': use one of {', '.join(OBJECTIVES)}"
        ) from None


def local_offsets(scenario: Scenario) -> tuple[int, int]:
    """Minutes from the start to the first local midnight and to the first local week start."""
    local = scenario.start_instant().replace(tzinfo=None) + timedelta(minutes=scenario.crew_day.utc_offset_min)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight < local:
        midnight += timedelta(days=1)
    first_midnight = int((midnight - local).total_seconds() // 60)
    to_week = (scenario.crew_day.week_starts_on - midnight.weekday()) % 7
    return first_midnight, first_midnight + to_week * DAY_MIN


def crew_day_items(scenario: Scenario) -> dict[str, list[tuple[str, Span]]]:
    """Each crew member's crew-day items, clipped to their stay; those under a crew event dropped."""
    rules = scenario.crew_day
    first_midnight, _ = local_offsets(scenario)
    horizon = scenario.horizon_min
    busy: dict[str, list[Span]] = {}
    for e in scenario.events:
        for person in e.crew:
            busy.setdefault(person, []).append((e.start_min, e.start_min + e.duration_min))
    out: dict[str, list[tuple[str, Span]]] = {}
    for k, member in enumerate(scenario.crew):
        pattern = rules.exercise_patterns[k % len(rules.exercise_patterns)]
        daily = [("sleep", rules.sleep), ("conference", rules.conference)]
        daily += [(name, (at, length)) for name, at, length in rules.meals]
        daily += [(f"exercise-{i + 1}", span) for i, span in enumerate(pattern)]
        items: list[tuple[str, Span]] = []
        for day in range(-1, scenario.days + 1):
            midnight = first_midnight + day * DAY_MIN
            for name, (at, length) in daily:
                a = max(midnight + at, member.aboard_from_min, 0)
                b = min(midnight + at + length, member.aboard_to_min, horizon)
                if b <= a:
                    continue
                if any(overlaps((a, b), span) for span in busy.get(member.id, [])):
                    continue
                items.append((name, (a, b)))
        items.sort(key=lambda item: (item[1], item[0]))
        out[member.id] = items
    return out


def _crew_profile(member: CrewMember, blocked: list[Span], horizon: int, min_gap: int) -> tuple[CapacityStep, ...]:
    spans = merge([(0, member.aboard_from_min), (member.aboard_to_min, horizon), *blocked])
    closed: list[Span] = []
    for a, b in spans:  # a gap too short for work is closed
        if closed and a - closed[-1][1] < min_gap:
            closed[-1] = (closed[-1][0], b)
        else:
            closed.append((a, b))
    spans = tuple(closed)
    steps: list[CapacityStep] = []
    for a, b in spans:
        steps.append(CapacityStep(a, 0))
        if b < horizon:
            steps.append(CapacityStep(b, 1))
    return tuple(steps)


def build_problem(
    scenario: Scenario, *, objective: Objective | str = "value", storage: bool = True
) -> Problem:
    """The scheduling problem of an increment (see the module docstring for the model).

    ``objective``: an :class:`Objective` or a name from :data:`OBJECTIVES`. ``storage=False``
    leaves out the onboard-storage effects (downlinks, their contacts and deadlines stay): for a
    solver that handles a large reservoir poorly, when storage cannot fill up anyway.
    """
    s = scenario
    horizon = s.horizon_min
    if isinstance(objective, str):
        objective = objective_named(objective)
    activities: list[Activity] = []
    resources: list[Resource] = []
    precedences: list[Precedence] = []
    bundles: list[Bundle] = []
    exclusions: list[Exclusion] = []
    work_caps: list[WorkCap] = []

    # --- crew, crew day, work caps ---------------------------------------------------------------
    day_offset, week_offset = local_offsets(s)
    items = crew_day_items(s)
    for member in s.crew:
        mine = items[member.id]
        resources.append(Resource(
            id=crew_resource(member.id), capacity=1,
            profile=_crew_profile(member, [span for _, span in mine], horizon, s.crew_day.min_work_gap_min),
            label=member.name, tags=("crew", f"nationality:{member.nationality}"),
        ))
        resources.append(Resource(
            id=f"crew-day:{member.id}", capacity=1, label=f"{member.name}: crew day", tags=("crew-day",),
        ))
        for n, (name, (a, b)) in enumerate(mine):
            activities.append(Activity(
                id=f"cd:{member.id}:{n:04d}:{name}", duration=b - a, fixed_start=a,
                demands=(Demand((f"crew-day:{member.id}",)),),
                label=f"{member.name}: {name}", tags=("crew-day", name.split("-")[0], f"crew:{member.id}"),
            ))
        work_caps.append(WorkCap(crew_resource(member.id), DAY_MIN, s.crew_day.daily_work_cap_min,
                                 offset=day_offset % DAY_MIN, label=f"{member.name}: work per local day"))
        work_caps.append(WorkCap(crew_resource(member.id), WEEK_MIN, s.crew_day.weekly_work_cap_min,
                                 offset=week_offset % WEEK_MIN, label=f"{member.name}: work per local week"))

    # --- racks, adapters, power, downlink, storage ----------------------------------------------
    resources += [Resource(id=f"rack:{r.id}", label=r.name, tags=("rack", f"module:{r.module}")) for r in s.racks]
    resources += [Resource(id=f"adapter:{a.id}", label=a.id, tags=("adapter", f"module:{a.module}")) for a in s.adapters]
    power_steps: list[CapacityStep] = []
    for a, b in s.orbit.eclipses_min:
        power_steps.append(CapacityStep(a, s.power.eclipse_w))
        if b < horizon:
            power_steps.append(CapacityStep(b, s.power.sunlit_w))
    resources.append(Resource(id=POWER, capacity=s.power.sunlit_w, profile=tuple(power_steps),
                              label="payload power (W)", tags=("power",)))
    rate = s.data.downlink_mbit_per_min
    link_steps: list[CapacityStep] = []
    for a, b in s.orbit.contacts_min:
        link_steps.append(CapacityStep(a, rate))
        if b < horizon:
            link_steps.append(CapacityStep(b, 0))
    resources.append(Resource(id=DOWNLINK, capacity=0, profile=tuple(link_steps),
                              label="downlink (Mbit/min) during ground contacts", tags=("downlink",)))
    storages = (Storage(STORAGE, s.data.storage_capacity_mbit, s.data.storage_initial_mbit,
                        label="onboard experiment data (Mbit)"),)

    # --- fixed events and cargo unpacking -------------------------------------------------------
    disturbances: list[tuple[str, Span]] = []
    for e in s.events:
        if e.duration_min <= 0:
            continue
        aid = f"ev:{e.id}"
        tags = ["fixed-event", e.kind]
        if e.disturbing:
            tags.append("disturbance")
            disturbances.append((aid, (e.start_min, e.start_min + e.duration_min)))
        if e.vehicle is not None:
            tags.append(f"vehicle:{e.vehicle}")
        activities.append(Activity(
            id=aid, duration=e.duration_min, fixed_start=e.start_min,
            demands=tuple(Demand((crew_resource(c),)) for c in e.crew),
            label=f"{e.kind} ({e.id})", tags=tuple(tags),
        ))
    for v in s.vehicles:
        if v.kind != "cargo" or v.dock_min is None or v.unpack_min < HATCH_OPEN_MIN + 90:
            continue
        release, deadline = v.dock_min + HATCH_OPEN_MIN, v.dock_min + v.unpack_min
        options = tuple(crew_resource(c) for c in qualified_crew(s, "general", (release, deadline)))
        if not options:
            continue
        for n in range(max(1, v.unpack_min // 720)):
            activities.append(Activity(
                id=f"unpack:{v.id}:{n}", duration=90, release=release, deadline=deadline,
                demands=(Demand(options),), label=f"unpack {v.name} ({n + 1})",
                tags=("unpack", f"cargo:{v.id}", f"vehicle:{v.id}"),
            ))

    # --- experiments --------------------------------------------------------------------------
    projects = {p.id: p for p in s.projects}
    total_value = 0
    for x in s.experiments:
        shares = split_percent(projects[x.project].countries)
        location = location_resource(s, x.location)
        base_tags = [f"experiment:{x.id}", f"project:{x.project}"]
        if x.cargo is not None:
            base_tags.append(f"cargo:{x.cargo}")
        if x.returns_on is not None:
            base_tags.append(f"return:{x.returns_on}")
        for k, window in enumerate(x.runs_min):
            a, b = effective_window(s, x, window)
            stem = f"x:{x.id}:{k}"
            crew: tuple[str, ...] = ()
            if x.qualification is not None:
                crew = tuple(crew_resource(c) for c in qualified_crew(s, x.qualification, (a, b)))
            crew_demand = (Demand(crew),) if crew else ()
            ids: list[str] = []

            def add(activity: Activity, ids: list[str] = ids) -> None:
                activities.append(activity)
                ids.append(activity.id)

            run_release, run_deadline = a + x.setup_min, b - x.teardown_min
            if x.setup_min > 0:
                add(Activity(
                    id=f"{stem}:setup", duration=x.setup_min, release=a, deadline=run_deadline - x.run_min,
                    demands=(Demand((location,)), *crew_demand), optional=True, shares=shares,
                    label=f"{x.title} #{k + 1}: setup", tags=(*base_tags, "setup"),
                ))
            lit = run_windows(s, x, window)
            run_demands = [Demand((location,))]
            if x.power_w > 0:
                run_demands.append(Demand((POWER,), x.power_w))
            if x.crew_on_run:
                run_demands += crew_demand
            run_id = f"{stem}:run"
            add(Activity(
                id=run_id, duration=x.run_min, release=run_release, deadline=run_deadline,
                windows=tuple(_windows(lit)) if lit is not None else (),
                demands=tuple(run_demands),
                effects=(Effect(STORAGE, x.data_mbit, "end"),) if x.data_mbit > 0 and storage else (),
                optional=True, value=x.value, shares=shares,
                label=f"{x.title} #{k + 1}", tags=(*base_tags, "run", *(("quiet",) if x.quiet else ())),
            ))
            total_value += x.value
            if x.setup_min > 0:
                precedences.append(Precedence(f"{stem}:setup", run_id, 0, s.ops.setup_to_run_max_gap_min))
            if x.teardown_min > 0:
                add(Activity(
                    id=f"{stem}:teardown", duration=x.teardown_min, release=run_release + x.run_min, deadline=b,
                    demands=(Demand((location,)), *crew_demand), optional=True, shares=shares,
                    label=f"{x.title} #{k + 1}: teardown", tags=(*base_tags, "teardown"),
                ))
                precedences.append(Precedence(run_id, f"{stem}:teardown", 0, s.ops.run_to_teardown_max_gap_min))
            if x.data_mbit > 0:
                release, deadline = downlink_window(s, x, window)
                contacts = downlink_windows(s, x, window)
                if not contacts:
                    raise ValidationError(
                        f"experiment '{x.id}' run {k}: no ground contact of {downlink_minutes(s, x)} min between "
                        f"minute {release} and {deadline}; raise downlink_within_min or the downlink rate"
                    )
                add(Activity(
                    id=f"{stem}:downlink", duration=downlink_minutes(s, x), release=release, deadline=deadline,
                    windows=tuple(_windows(contacts)), demands=(Demand((DOWNLINK,), rate),),
                    effects=(Effect(STORAGE, -x.data_mbit, "end"),) if storage else (), optional=True, shares=shares,
                    label=f"{x.title} #{k + 1}: downlink {x.data_mbit} Mbit", tags=(*base_tags, "downlink"),
                ))
                precedences.append(Precedence(run_id, f"{stem}:downlink", 0))
            if len(ids) > 1:
                bundles.append(Bundle(tuple(ids)))
            if x.quiet:
                near = tuple(aid for aid, span in disturbances if overlaps(span, (run_release, run_deadline)))
                if near:
                    exclusions.append(Exclusion((run_id,), near, label=f"quiet run {run_id}"))

    groups = tuple(
        Group(e.country, max(1, round(e.share_pct * total_value / 100.0)), label=f"{e.country}: {e.share_pct} % (assumed)")
        for e in s.entitlements
    )
    return Problem(
        name=s.name,
        horizon=horizon,
        time_unit="min",
        epoch=s.start,
        activities=tuple(activities),
        resources=tuple(resources),
        storages=storages if storage else (),
        precedences=tuple(precedences),
        bundles=tuple(bundles),
        exclusions=tuple(exclusions),
        work_caps=tuple(work_caps),
        groups=groups,
        objective=objective,
    )


def _windows(spans: tuple[Span, ...]) -> list[Window]:
    return [Window(a, b) for a, b in spans]
