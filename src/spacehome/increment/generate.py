"""Generate an increment scenario for the real station: seeded, reproducible, every guess labelled.

``generate_scenario(record, elements, start=..., days=..., seed=...)`` builds a
:class:`~spacehome.increment.scenario.Scenario` from

- the record: the racks of the modules in orbit at the start, the crew (aboard at the start when
  the record covers it; after the record ends, the crew of the last crew launch it holds, labelled
  as assumed), the real crew and cargo dockings and departures inside the increment that the
  record dates, and the real projects of ``cooperation.toml`` with their countries;
- the orbit engine: eclipses and ground contacts (the default ground stations, passes merged),
  computed once here from ``elements`` so building the problem needs no orbit code;
- synthetic, labelled items where the record is silent: a crew rotation with a handover (and,
  in increments of two weeks or more, the week-long visit of a foreign payload specialist that
  the record's astronaut programs announce), a cargo ship, reboosts, an EVA, Chinese national
  experiments, every experiment's parameters, and the budgets (power, downlink, storage) no
  source gives.

Same inputs, same scenario: everything random comes from ``random.Random(seed)`` and nothing
depends on the clock or on dictionary order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from spacehome.domain.crew import stays
from spacehome.domain.elements import ElementSet
from spacehome.domain.instant import format_utc, require_utc
from spacehome.domain.record import StationRecord
from spacehome.domain.station import Mission, MissionKind
from spacehome.errors import NotFoundError, ValidationError
from spacehome.increment.scenario import (
    DAY_MIN,
    Adapter,
    CrewDayRules,
    CrewMember,
    DataHandling,
    ElementSetUsed,
    Entitlement,
    Experiment,
    OperationsRules,
    OrbitWindows,
    Power,
    RackSlot,
    Scenario,
    ScenarioProject,
    Span,
    StationEvent,
    Vehicle,
    check_days,
    check_scenario,
    effective_window,
    qualified_crew,
)
from spacehome.increment.windows import downlink_windows, merge, overlaps, run_windows
from spacehome.orbit import eclipse, passes
from spacehome.record.ground_stations import GroundStation, load_ground_stations

#: Assumed: Shenzhou fast rendezvous (Shenzhou-12 docked 6 h 32 min after launch, record).
CREW_RENDEZVOUS = timedelta(hours=6, minutes=30)
#: Assumed: Tianzhou fast rendezvous (about 3 h for Tianzhou-8 and -9, facts §7).
CARGO_RENDEZVOUS = timedelta(hours=3)
#: Assumed: about five days of handover (Shenzhou-15 docked 2022-11-29, Shenzhou-14 landed 2022-12-04).
HANDOVER = timedelta(days=5)
#: Assumed: undocking to landing as for the Shenzhou-21 capsule (03:14 → 08:40 UTC, 2025-11-14).
UNDOCK_TO_LANDING = timedelta(hours=5, minutes=26)
VISIT = timedelta(days=7)
UNPACK_MIN = 2 * DAY_MIN
UNPACK_TASK_MIN = 90
DOCKING_BEFORE_MIN, DOCKING_AFTER_MIN = 60, 30
UNDOCKING_BEFORE_MIN, UNDOCKING_AFTER_MIN = 15, 30
REBOOST_MIN = 60
EVA_MIN = 420
EVA_LOCAL_START_MIN = 8 * 60 + 30
#: Each run's window (setup start to teardown end): one to two days. Runs compete locally, and
#: the solver's choices per run stay few (a 30-day increment solves in seconds).
RUN_WINDOW_MIN = (DAY_MIN, 2 * DAY_MIN)
ROTATION_MIN_DAYS = 10
VISITOR_MIN_DAYS = 14

SYNTHETIC_TIME = "synthetic: the record does not give this; generated from the seed"


@dataclass(frozen=True)
class _Stay:
    """One person's stay, with the times known from the record or assumed."""

    person: str
    role: str
    arrive: datetime
    arrive_basis: str  # "" when the record gives the time
    arrives_on: Mission
    depart: datetime | None
    depart_basis: str
    departs_on: Mission


@dataclass(frozen=True)
class _Template:
    """An experiment family: which project, where, and its (synthetic) parameters."""

    id: str
    project: str
    title: str
    location: str
    setup_min: int
    run_min: int
    teardown_min: int
    power_w: int
    data_mbit: int
    period_days: float
    value: tuple[int, int]
    quiet: bool = False
    lighting: str = "any"
    qualification: str | None = "general"
    crew_on_run: bool = False
    cargo: bool = False
    returns: bool = False


# Real projects (cooperation.toml): where their experiments are placed is an assumption by discipline.
_REAL = (
    _Template("polar-2-grb", "polar-2", "POLAR-2 gamma-ray burst polarimetry, observation block", "mengtian-epa-01",
              10, 720, 10, 250, 2400, 2.0, (20, 30), qualification=None),
    _Template("sing-nebular-uv", "sing", "SING nebular UV spectroscopy, night-side pointing", "wentian-epa-01",
              5, 25, 5, 120, 600, 2.0, (12, 20), lighting="eclipse", qualification=None),
    _Template("pmf-mixing", "partially-miscible-fluids", "Partially miscible fluids: mixing and separation run", "fluid-physics",
              60, 180, 45, 600, 2400, 3.0, (25, 40), quiet=True, qualification="payload-specialist"),
    _Template("fiavaw-flame", "fiavaw", "FIAVAW flame with vortex and acoustic forcing", "combustion",
              60, 60, 60, 900, 1800, 2.0, (25, 40), crew_on_run=True),
    _Template("tumours-organoids", "tumours-in-space", "Tumours in Space: organoid culture and fixation", "biotechnology",
              60, 120, 45, 300, 400, 3.0, (35, 50), qualification="payload-specialist", crew_on_run=True,
              cargo=True, returns=True),
    _Template("baridi-sana-loop", "baridi-sana", "BARIDI SANA two-phase cooling loop test", "two-phase-system",
              45, 240, 45, 1200, 1500, 3.0, (20, 35)),
    _Template("saudi-solar-cells", "saudi-solar-cells", "Solar-cell I-V sweep in sunlight", "wentian-epa-02",
              5, 45, 5, 60, 300, 2.0, (10, 18), lighting="sunlit", qualification=None),
    _Template("irma-biofilm", "irma", "I.R.M.A. biofilm growth sampling", "life-ecology",
              30, 90, 30, 200, 500, 3.0, (20, 35), crew_on_run=True, returns=True),
)
# Synthetic Chinese national experiments, one family per rack (projects made up, labelled).
_NATIONAL = (
    ("cn-cold-atoms", "Cold-atom physics programme (synthetic)", (
        _Template("cn-capr-bec", "cn-cold-atoms", "Ultracold-atom cooling sequence", "capr",
                  45, 300, 30, 1500, 3000, 2.0, (20, 35), quiet=True),)),
    ("cn-time-frequency", "Space time-frequency programme (synthetic)", (
        _Template("cn-clock-comparison", "cn-time-frequency", "Clock comparison session", "time-frequency",
                  10, 600, 10, 400, 1000, 2.0, (15, 25), quiet=True, qualification=None),)),
    ("cn-materials", "Materials science programme (synthetic)", (
        _Template("cn-high-temperature-melt", "cn-materials", "High-temperature melt and solidification", "high-temperature-materials",
                  60, 240, 60, 2000, 1500, 3.0, (25, 40), qualification="payload-specialist", cargo=True),
        _Template("cn-levitation-melt", "cn-materials", "Containerless levitation melt", "cmpr",
                  45, 180, 45, 1800, 2000, 2.0, (25, 40), quiet=True),)),
    ("cn-microgravity-physics", "Microgravity physics programme (synthetic)", (
        _Template("cn-hmlr-levitation", "cn-microgravity-physics", "High-microgravity levitation run", "hmlr",
                  30, 240, 30, 800, 1200, 2.0, (20, 30), quiet=True),)),
    ("cn-life-sciences", "Life sciences programme (synthetic)", (
        _Template("cn-variable-gravity", "cn-life-sciences", "Centrifuge partial-gravity culture", "variable-gravity",
                  60, 360, 60, 700, 800, 3.0, (25, 40), returns=True),
        _Template("cn-glovebox-cells", "cn-life-sciences", "Glovebox cell handling", "glovebox-cold-storage",
                  20, 120, 20, 300, 300, 1.5, (15, 25), qualification="payload-specialist", crew_on_run=True),
        _Template("cn-plant-growth", "cn-life-sciences", "Plant growth sampling", "life-ecology",
                  30, 90, 30, 150, 200, 2.0, (15, 25), crew_on_run=True, returns=True),)),
    ("cn-earth-observation", "Earth observation programme (synthetic)", (
        _Template("cn-night-lights", "cn-earth-observation", "Night-side city-lights imaging pass", "mengtian-epa-03",
                  5, 20, 5, 80, 900, 2.0, (10, 18), lighting="night", qualification=None),)),
    ("cn-technology", "On-orbit maintenance technology (synthetic)", (
        _Template("cn-repair-demo", "cn-technology", "On-orbit repair demonstration", "maintenance-assembly",
                  15, 120, 15, 250, 200, 2.0, (10, 20), crew_on_run=True),)),
)


def generate_scenario(
    record: StationRecord,
    elements: ElementSet,
    *,
    start: datetime,
    days: int,
    seed: int,
    ground_stations: Sequence[GroundStation] | None = None,
) -> Scenario:
    """A reproducible increment scenario of ``days`` (3-90) days from ``start`` (aware UTC)."""
    check_days(days)
    start = require_utc(start, "increment start").replace(microsecond=0)
    rng = random.Random(seed)
    horizon = days * DAY_MIN
    end = start + timedelta(days=days)
    stations = list(load_ground_stations() if ground_stations is None else ground_stations)
    notes: list[str] = []
    covered_to = record.meta.complete_through

    def minute(t: datetime) -> int:
        return math.floor((t - start).total_seconds() / 60.0)

    # --- crew and crew vehicles ----------------------------------------------------------------
    timeline = _stays(record)
    crew_stays = [s for s in timeline if s.arrive < end and (s.depart is None or s.depart > start)]
    unique: dict[str, _Stay] = {}
    for s in crew_stays:
        unique.setdefault(s.person, s)  # one stay per person (two never overlap an increment)
    crew_stays = list(unique.values())
    if not crew_stays:
        raise ValidationError(
            f"nobody is aboard the station between {format_utc(start)} and {format_utc(end)} as far as "
            "the record knows: choose a start when the station is crewed (from 2021-06-17)"
        )
    if start > covered_to:
        notes.append(
            f"the record ends {format_utc(covered_to)}; the crew is the last one it knows "
            "(assumed still aboard), and every event after that is synthetic"
        )
    vehicles: dict[str, Vehicle] = {}
    events: list[StationEvent] = []
    crew: list[CrewMember] = []
    for s in crew_stays:
        arrive_min = minute(s.arrive)
        depart_min = None if s.depart is None else minute(s.depart)
        inside_arrival = 0 < arrive_min < horizon
        inside_departure = depart_min is not None and 0 < depart_min < horizon
        parts = [f"record: {s.arrives_on.name} crew"]
        if s.arrive_basis and arrive_min > -30 * DAY_MIN:
            parts.append(s.arrive_basis)
        if s.depart is None:
            parts.append("no departure in the record: assumed aboard to the end")
        elif inside_departure and s.depart_basis:
            parts.append(s.depart_basis)
        crew.append(CrewMember(
            id=s.person,
            name=record.astronaut(s.person).name,
            nationality=record.astronaut(s.person).nationality,
            region=record.astronaut(s.person).region,
            role=s.role,
            qualifications=_qualifications(s.role),
            aboard_from_min=max(0, arrive_min),
            aboard_to_min=horizon if depart_min is None else min(horizon, depart_min),
            arrives_on=s.arrives_on.id if inside_arrival else None,
            departs_on=s.departs_on.id if inside_departure else None,
            synthetic=False,
            basis="; ".join(parts) + f"; qualifications assumed from the role ({s.role or 'role not in the record'})",
        ))
        if inside_arrival:
            _add_vehicle(vehicles, Vehicle(
                id=s.arrives_on.id, name=s.arrives_on.name, kind="crew", dock_min=arrive_min,
                synthetic=bool(s.arrive_basis), basis=s.arrive_basis or "record: docking time",
            ))
        if inside_departure and depart_min is not None:
            landing = s.departs_on.end.value if s.departs_on.end is not None else None
            landing_basis = "record" if landing is not None else "assumed: landing 5 h 26 min after undocking (as Shenzhou-21's capsule)"
            landing = landing or (s.depart + UNDOCK_TO_LANDING if s.depart else None)
            landing_min = minute(landing) if landing is not None else None
            _add_vehicle(vehicles, Vehicle(
                id=s.departs_on.id, name=s.departs_on.name, kind="crew", undock_min=depart_min,
                landing_min=landing_min if landing_min is not None and landing_min <= horizon else None,
                synthetic=bool(s.depart_basis) or landing_basis != "record",
                basis=f"undocking: {s.depart_basis or 'record'}; landing: {landing_basis}",
            ))

    # Real berthings (dockings, undockings, relocations) the record dates inside the increment.
    for mission in record.station_missions:
        if mission.kind is MissionKind.MODULE:
            continue
        for berthing in mission.berthings:
            for when, kind in ((berthing.start, "docking"), (berthing.end, "undocking")):
                at = when.value if when is not None else None
                if at is None or not start < at < end:
                    continue
                m = minute(at)
                cargo = mission.kind is MissionKind.CARGO
                if kind == "docking":
                    _add_vehicle(vehicles, Vehicle(
                        id=mission.id, name=mission.name, kind="cargo" if cargo else "crew", dock_min=m,
                        unpack_min=min(UNPACK_MIN, horizon - m) if cargo else 0, synthetic=False,
                        basis="record: docking time" + ("; unpack time assumed (2 days)" if cargo else ""),
                    ))
                else:
                    _add_vehicle(vehicles, Vehicle(
                        id=mission.id, name=mission.name, kind="cargo" if cargo else "crew", undock_min=m,
                        synthetic=False, basis="record: undocking time",
                    ))
                events.append(_vehicle_event(mission.id, kind, m, horizon, synthetic=False,
                                             basis=f"record: {mission.name} {kind} at port {berthing.port}"))
    # Dockings the record only implies (launched before the record ends, docking not recorded).
    for mission in record.station_missions:
        launch = mission.launch.when.value
        if mission.berthings or launch is None or launch > covered_to:
            continue
        rendezvous = CARGO_RENDEZVOUS if mission.kind is MissionKind.CARGO else CREW_RENDEZVOUS
        at = launch + rendezvous
        if not start < at < end:
            continue
        m = minute(at)
        basis = f"real event, time assumed: {mission.name} launched {format_utc(launch)} (record), docking assumed {rendezvous} later"
        if mission.kind is MissionKind.CARGO:
            _add_vehicle(vehicles, Vehicle(id=mission.id, name=mission.name, kind="cargo", dock_min=m,
                                           unpack_min=min(UNPACK_MIN, horizon - m), synthetic=True, basis=basis))
        events.append(_vehicle_event(mission.id, "docking", m, horizon, synthetic=True, basis=basis))
    for s in crew_stays:
        if (
            s.depart is not None and s.depart_basis and 0 < minute(s.depart) < horizon
            and not any(e.vehicle == s.departs_on.id and e.kind == "undocking" for e in events)
        ):
            events.append(_vehicle_event(s.departs_on.id, "undocking", minute(s.depart), horizon,
                                         synthetic=True, basis=s.depart_basis))

    # --- synthetic rotation (and visitor) in the part the record does not cover -----------------
    free_from = max(0, minute(covered_to)) if covered_to > start else 0
    arrivals_inside = any(c.arrives_on is not None for c in crew)
    if days >= ROTATION_MIN_DAYS and not arrivals_inside:
        crew = _synthetic_rotation(record, rng, crew, vehicles, events, horizon, free_from, days, notes)

    # --- cargo ship, reboosts, EVA ------------------------------------------------------------
    if not any(v.kind == "cargo" and v.dock_min is not None for v in vehicles.values()):
        lo = max(free_from + 6 * 60, horizon // 10)
        hi = max(lo, (horizon * 3) // 10)
        if hi + 12 * 60 <= horizon:
            dock = rng.randint(lo, hi)
            _add_vehicle(vehicles, Vehicle(
                id="tianzhou-next", name="next Tianzhou cargo ship (synthetic)", kind="cargo", dock_min=dock,
                unpack_min=min(UNPACK_MIN, (horizon - dock) // 2), synthetic=True,
                basis="synthetic: no cargo docking in the record for this increment; docking time generated, unpack time assumed",
            ))
            events.append(_vehicle_event("tianzhou-next", "docking", dock, horizon, synthetic=True, basis=SYNTHETIC_TIME))
            notes.append(
                "cargo ship synthetic: Tianzhou flights in the record are months apart; one is placed in this "
                "increment so that experiments can depend on delivered hardware"
            )
    for k in range(round(days / 12)):
        lo, hi = max(free_from, k * horizon // round(days / 12)), (k + 1) * horizon // round(days / 12) - REBOOST_MIN
        boost = _free_time(rng, lo, hi, events, 360)
        if boost is not None:
            events.append(StationEvent(
                id=f"reboost-{k + 1}", kind="reboost", start_min=boost, duration_min=REBOOST_MIN, synthetic=True,
                basis="synthetic: the station reboosts regularly, but the record holds no reboost times",
            ))
    eva_count = 0 if days < 7 else max(1, days // 20)
    for k in range(eva_count):
        eva = _place_eva(rng, start, k, eva_count, crew, events, horizon, free_from)
        if eva is not None:
            events.append(eva)
    events.sort(key=lambda e: (e.start_min, e.id))

    # --- racks, adapters, projects, experiments -------------------------------------------------
    present = _modules_present(record, start)
    racks = tuple(
        RackSlot(id=r.id, module=r.module, name=r.name, basis=f"record: racks.toml ({', '.join(r.sources)})")
        for r in record.racks if r.module in present
    )
    adapters: list[Adapter] = []
    for module in record.modules:
        count = module.external_adapters.value
        if module.id not in present:
            continue
        if count is None:
            notes.append(f"{module.name}: the number of external payload adapters is not in the record; none modelled")
            continue
        adapters += [
            Adapter(id=f"{module.id}-epa-{i:02d}", module=module.id,
                    basis=f"count from the record ({count} on {module.name}); the ids are synthetic")
            for i in range(1, int(count) + 1)
        ]
    notes.append("rack positions the sources do not name are not modelled (see racks.toml)")

    locations = {r.id for r in racks} | {a.id for a in adapters}
    projects: list[ScenarioProject] = []
    templates: list[_Template] = []
    by_id = {p.id: p for p in record.projects}
    for t in _REAL:
        project = by_id.get(t.project)
        if project is None or project.countries.value is None or t.location not in locations:
            continue
        if t.project not in {p.id for p in projects}:
            title = project.title.value or project.acronym or project.id
            projects.append(ScenarioProject(
                id=project.id, title=title, countries=tuple(project.countries.value), synthetic=False,
                basis=f"record: cooperation.toml, {project.cycle} project {project.number}; status: {project.status.value or 'not in the sources'}",
            ))
        templates.append(t)
    skipped = [p.id for p in record.projects if p.countries.value is None]
    if skipped:
        notes.append(f"projects with unknown countries are left out: {', '.join(skipped)}")
    for pid, title, family in _NATIONAL:
        usable = [t for t in family if t.location in locations]
        if usable:
            projects.append(ScenarioProject(id=pid, title=title, countries=("CN",), synthetic=True,
                                            basis="synthetic: a stand-in for China's national utilisation programme"))
            templates += usable

    provisional = _provisional(record, elements, start, days, seed, stations, crew, racks, adapters,
                               tuple(vehicles.values()), tuple(events), tuple(projects), notes)
    experiments = [_experiment(provisional, rng, t) for t in templates]
    visitor = next((c for c in crew if c.synthetic and "visitor" in c.qualifications), None)
    if visitor is not None:
        projects.append(ScenarioProject(
            id=f"{visitor.nationality.lower()}-visit", title=f"Experiments of the visiting {visitor.nationality} payload specialist (synthetic)",
            countries=(visitor.nationality,), synthetic=True,
            basis="synthetic: the record names no experiment for the visit",
        ))
        experiments += _visitor_experiments(provisional, rng, visitor, f"{visitor.nationality.lower()}-visit", locations)
    provisional = replace(provisional, projects=tuple(projects))
    experiments = [x for x in (_feasible_runs(provisional, x) for x in experiments) if x is not None]

    entitlements, entitlements_basis = _entitlements(tuple(projects), experiments)
    scenario = replace(
        provisional,
        experiments=tuple(experiments),
        projects=tuple(p for p in projects if any(x.project == p.id for x in experiments)),
        entitlements=entitlements,
        entitlements_basis=entitlements_basis,
        notes=tuple(notes),
    )
    check_scenario(scenario, source="generated scenario", record=record)
    return scenario


# --- orbit ------------------------------------------------------------------------------------


def orbit_windows(
    elements: ElementSet, start: datetime, days: int, ground_stations: Sequence[GroundStation]
) -> OrbitWindows:
    """Eclipses (any shadow, rounded out), umbra and night side (rounded in) and merged ground
    contacts, in minutes."""
    start = require_utc(start, "increment start")
    end = start + timedelta(days=days)
    horizon = days * DAY_MIN

    def at(t: datetime | None, default: float) -> float:
        return default if t is None else (t - start).total_seconds() / 60.0

    def clip(a: float, b: float, outward: bool) -> Span:
        lo = math.floor(a) if outward else math.ceil(a)
        hi = math.ceil(b) if outward else math.floor(b)
        return max(0, lo), min(horizon, hi)

    found = eclipse.find_eclipses(elements, start, end)
    shadows = merge(clip(at(x.penumbra_entry, 0.0), at(x.penumbra_exit, horizon), True) for x in found)
    umbra = merge(
        clip(at(x.umbra_entry, 0.0), at(x.umbra_exit, horizon), False)
        for x in found if x.umbra_entry is not None or x.umbra_exit is not None
    )
    night = merge(
        clip(at(a, 0.0), at(b, horizon), False) for a, b in eclipse.find_night_side(elements, start, end)
    )
    observers = [
        passes.Observer(s.name, s.latitude_deg, s.longitude_deg, s.altitude_m, s.min_elevation_deg)
        for s in ground_stations
    ]
    contacts: list[Span] = []
    if observers:
        for row in passes.find_passes(elements, observers, start, end, visibility=False):
            for p in row:
                contacts.append(clip(at(p.rise.time if p.rise else None, 0.0),
                                     at(p.set.time if p.set else None, horizon), False))
    return OrbitWindows(
        eclipses_min=shadows,
        umbra_min=umbra,
        night_min=night,
        contacts_min=merge(contacts),
        ground_stations=tuple(s.id for s in ground_stations),
        model=(
            "eclipses: conical shadow of a spherical Earth (spacehome.orbit.eclipse), penumbra entry to "
            "exit rounded outwards; umbra rounded inwards; contacts: passes above each ground station's "
            "mask (spacehome.orbit.passes), overlapping ones merged, rounded inwards"
        ),
    )


# --- crew -------------------------------------------------------------------------------------


def _stays(record: StationRecord) -> list[_Stay]:
    """Every crew stay with times: from the record, else assumed (and said so)."""
    covered_to = record.meta.complete_through
    raw: list[_Stay] = []
    for s in stays(record):
        if s.arrival.value is not None:
            arrive, arrive_basis = s.arrival.value, ""
        else:
            launch = s.mission.launch.when.value
            if launch is None or launch > covered_to:
                continue
            arrive = launch + CREW_RENDEZVOUS
            arrive_basis = f"{s.mission.name} docking not in the record: assumed 6 h 30 min after its launch"
        depart = s.departure.value if s.departure is not None else None
        raw.append(_Stay(
            person=s.person, role=s.assignment.role.value or "", arrive=arrive, arrive_basis=arrive_basis,
            arrives_on=s.mission, depart=depart, depart_basis="", departs_on=s.returns_on,
        ))
    out = []
    for stay in raw:
        if stay.depart is None:
            later = sorted(o.arrive for o in raw if o.arrives_on.id != stay.arrives_on.id and o.arrive > stay.arrive)
            if later:
                stay = replace(stay, depart=later[0] + HANDOVER, depart_basis=(
                    f"departure on {stay.departs_on.name} not in the record: assumed 5 days after the next crew's "
                    "arrival (as the Shenzhou-14/15 handover)"
                ))
        out.append(stay)
    return sorted(out, key=lambda stay: (stay.arrive, stay.person))


def _qualifications(role: str) -> tuple[str, ...]:
    if role == "payload specialist":
        return ("general", "payload-specialist")
    if role in ("commander", "pilot", "flight engineer"):
        return ("eva", "general")
    return ("general",)


def _synthetic_rotation(
    record: StationRecord,
    rng: random.Random,
    crew: list[CrewMember],
    vehicles: dict[str, Vehicle],
    events: list[StationEvent],
    horizon: int,
    free_from: int,
    days: int,
    notes: list[str],
) -> list[CrewMember]:
    """A synthetic crew rotation (with a visiting payload specialist in longer increments)."""
    program = next((p for p in record.programs if p.country not in ("", "CN")), None)
    with_visitor = days >= VISITOR_MIN_DAYS and program is not None
    stay_min = int((VISIT if with_visitor else HANDOVER).total_seconds() // 60)
    lo = max(free_from + DAY_MIN, (horizon * 3) // 10)
    hi = min((horizon * 55) // 100, horizon - stay_min - DAY_MIN)
    if lo > hi:
        return crew
    t_in = rng.randint(lo, hi)
    outgoing = [c for c in crew if c.aboard_from_min <= t_in and c.aboard_to_min >= horizon]
    if not outgoing:
        return crew
    depart = t_in + stay_min
    ship = next(
        (s.departs_on for s in _stays(record) if s.person == outgoing[0].id), None
    )
    home_id = ship.id if ship is not None else "outgoing-crew-ship"
    home_name = ship.name if ship is not None else "outgoing crew ship (synthetic)"
    stayer = rng.choice(outgoing).id if with_visitor and len(outgoing) > 1 else None
    leaving = [c for c in outgoing if c.id != stayer]
    landing = depart + int(UNDOCK_TO_LANDING.total_seconds() // 60)
    _add_vehicle(vehicles, Vehicle(id="shenzhou-next", name="next Shenzhou crew ship (synthetic)", kind="crew",
                                   dock_min=t_in, synthetic=True, basis=SYNTHETIC_TIME))
    _add_vehicle(vehicles, Vehicle(
        id=home_id, name=home_name, kind="crew", undock_min=depart,
        landing_min=landing if landing <= horizon else None, synthetic=True,
        basis=f"{SYNTHETIC_TIME}; landing 5 h 26 min after undocking (as Shenzhou-21's capsule)",
    ))
    events.append(_vehicle_event("shenzhou-next", "docking", t_in, horizon, synthetic=True, basis=SYNTHETIC_TIME))
    events.append(_vehicle_event(home_id, "undocking", depart, horizon, synthetic=True, basis=SYNTHETIC_TIME))
    out = []
    for c in crew:
        if c in leaving:
            c = replace(c, aboard_to_min=depart, departs_on=home_id,
                        basis=c.basis + f"; leaves on {home_name} in a synthetic rotation")
        elif c.id == stayer:
            c = replace(c, basis=c.basis + "; stays on after the rotation (synthetic choice: the record says one "
                        "Shenzhou-23 member stays about a year, not which)")
        out.append(c)
    roles = ("commander", "payload specialist") if with_visitor else ("commander", "flight engineer", "payload specialist")
    for i, role in enumerate(roles, start=1):
        out.append(CrewMember(
            id=f"next-crew-{i}", name=f"Next crew {role} (synthetic)", nationality="CN", role=role,
            qualifications=_qualifications(role), aboard_from_min=t_in, aboard_to_min=horizon,
            arrives_on="shenzhou-next", synthetic=True,
            basis="synthetic: the next crew is not in the record",
        ))
    if with_visitor and program is not None:
        out.append(CrewMember(
            id=f"visitor-{program.country.lower()}", name=f"Visiting {program.country} payload specialist (synthetic)",
            nationality=program.country, role="payload specialist",
            qualifications=("general", "payload-specialist", "visitor"),
            aboard_from_min=t_in, aboard_to_min=depart, arrives_on="shenzhou-next", departs_on=home_id,
            synthetic=True,
            basis=(
                f"synthetic person: the record's '{program.name}' plans a short visit ({program.flight.note}); "
                "no name or date is in the record"
            ),
        ))
    notes.append(
        "crew rotation synthetic: the next crew arrives on a synthetic ship; "
        + ("a visiting payload specialist stays about a week and leaves with the outgoing crew" if with_visitor
           else "5-day handover")
    )
    return out


# --- events -----------------------------------------------------------------------------------


def _add_vehicle(vehicles: dict[str, Vehicle], vehicle: Vehicle) -> None:
    """Merge what is known about one vehicle (docking from one place, undocking from another)."""
    old = vehicles.get(vehicle.id)
    if old is None:
        vehicles[vehicle.id] = vehicle
        return
    vehicles[vehicle.id] = replace(
        old,
        dock_min=old.dock_min if old.dock_min is not None else vehicle.dock_min,
        unpack_min=max(old.unpack_min, vehicle.unpack_min),
        undock_min=old.undock_min if old.undock_min is not None else vehicle.undock_min,
        landing_min=old.landing_min if old.landing_min is not None else vehicle.landing_min,
        synthetic=old.synthetic or vehicle.synthetic,
        basis=old.basis if old.basis == vehicle.basis else f"{old.basis}; {vehicle.basis}",
    )


def _vehicle_event(vehicle: str, kind: str, at: int, horizon: int, *, synthetic: bool, basis: str) -> StationEvent:
    before, after = (DOCKING_BEFORE_MIN, DOCKING_AFTER_MIN) if kind == "docking" else (UNDOCKING_BEFORE_MIN, UNDOCKING_AFTER_MIN)
    a, b = max(0, at - before), min(horizon, at + after)
    return StationEvent(
        id=f"{vehicle}-{kind}-{at}", kind="docking" if kind == "docking" else "undocking",
        start_min=a, duration_min=b - a, vehicle=vehicle, synthetic=synthetic,
        basis=f"{basis}; quiet-period window {before} min before to {after} min after (assumed)",
    )


def _free_time(rng: random.Random, lo: int, hi: int, events: list[StationEvent], gap: int) -> int | None:
    for _ in range(40):
        if hi <= lo:
            return None
        at = rng.randint(lo, hi)
        if all(abs(at - e.start_min) >= gap for e in events):
            return at
    return None


def _place_eva(
    rng: random.Random, start: datetime, k: int, count: int, crew: list[CrewMember],
    events: list[StationEvent], horizon: int, free_from: int,
) -> StationEvent | None:
    """One synthetic EVA on a day with two EVA-qualified crew and a helper aboard, away from traffic."""
    local_midnight0 = -((start.hour * 60 + start.minute + CrewDayRules().utc_offset_min) % DAY_MIN)
    day_lo = k * (horizon // DAY_MIN) // count
    day_hi = (k + 1) * (horizon // DAY_MIN) // count
    days = list(range(day_lo, day_hi + 1))
    rng.shuffle(days)
    for day in days:
        a = local_midnight0 + day * DAY_MIN + EVA_LOCAL_START_MIN
        b = a + EVA_MIN
        if a < max(free_from, DAY_MIN // 2) or b > horizon - DAY_MIN // 2:
            continue
        if any(overlaps((a - DAY_MIN, b + DAY_MIN), (e.start_min, e.start_min + e.duration_min)) for e in events):
            continue
        aboard = [c for c in crew if c.aboard_from_min <= a and b <= c.aboard_to_min]
        walkers = [c.id for c in aboard if "eva" in c.qualifications][:2]
        helpers = [c.id for c in aboard if c.id not in walkers][:1]
        if len(walkers) == 2 and helpers:
            return StationEvent(
                id=f"eva-{k + 1}", kind="eva", start_min=a, duration_min=EVA_MIN, crew=(*walkers, *helpers),
                synthetic=True,
                basis=("synthetic: EVA time and crew generated (two EVA crew, one inside support); 7 h assumed. "
                       "The crew-day items it overlaps are dropped for its crew"),
            )
    return None


def _modules_present(record: StationRecord, start: datetime) -> set[str]:
    out = set()
    for module in record.modules:
        try:
            mission = record.mission(module.id)
        except NotFoundError:  # a module without a flight record: assume it is there
            out.add(module.id)
            continue
        arrived = mission.first_arrival.value if mission.first_arrival is not None else mission.launch.when.value
        if arrived is not None and arrived <= start:
            out.add(module.id)
    return out


# --- experiments ------------------------------------------------------------------------------


def _provisional(
    record: StationRecord, elements: ElementSet, start: datetime, days: int, seed: int,
    stations: Sequence[GroundStation], crew: list[CrewMember], racks: tuple[RackSlot, ...],
    adapters: list[Adapter], vehicles: tuple[Vehicle, ...], events: tuple[StationEvent, ...],
    projects: tuple[ScenarioProject, ...], notes: list[str],
) -> Scenario:
    """The scenario without experiments: enough to test where runs can go."""
    age = elements.age_at(start).total_seconds() / 86400.0
    if abs(age) > 3.0:
        notes.append(
            f"the element set is {abs(age):.1f} days {'old' if age >= 0 else 'in the future'} at the start: "
            "eclipse and contact times drift (manoeuvres, drag); regenerate with a fresher set"
        )
    return Scenario(
        name=f"increment-{start:%Y%m%d}-{days}d-seed{seed}",
        start=format_utc(start),
        days=days,
        seed=seed,
        record_version=record.meta.version,
        record_complete_through=format_utc(record.meta.complete_through),
        elements=ElementSetUsed(
            name=elements.name or "", catalog_number=elements.catalog_number,
            line1=elements.line1 or "", line2=elements.line2 or "",
            epoch=format_utc(elements.epoch), age_at_start_days=round(age, 3),
        ),
        orbit=orbit_windows(elements, start, days, stations),
        crew=tuple(crew),
        racks=racks,
        adapters=tuple(adapters),
        power=Power(
            sunlit_w=6000, eclipse_w=3500,
            basis=("assumed: power for payloads is not in the record (Wentian's arrays supply more than 32 kW, "
                   "the station total is unconfirmed); lower in eclipse, on batteries"),
        ),
        data=DataHandling(
            downlink_mbit_per_min=600, storage_capacity_mbit=128_000,
            basis=("assumed: 10 Mbit/s to the ground stations of the record and 16 GB of experiment storage; "
                   "relay-satellite links are not modelled"),
        ),
        vehicles=tuple(sorted(vehicles, key=lambda v: v.id)),
        events=events,
        projects=projects,
        experiments=(),
        entitlements=(),
        crew_day=CrewDayRules(basis=(
            "assumed: station time is Beijing time (UTC+8); wake 06:30, sleep 22:00-06:30, three meals, a 30-min "
            "daily planning conference, 2 h of exercise; at most 8 h of work a day and 40 h a week"
        )),
        ops=OperationsRules(basis="assumed: run within 1 h of setup, teardown within 4 h of the run, samples stowed 3 h before undocking"),
        notes=tuple(notes),
    )


def _experiment(scenario: Scenario, rng: random.Random, t: _Template) -> Experiment:
    horizon = scenario.horizon_min
    period = int(t.period_days * DAY_MIN)
    windows: list[Span] = []
    k = 0
    while True:
        a = k * period + rng.randint(0, period // 3)
        if a >= horizon:
            break
        length = rng.randint(RUN_WINDOW_MIN[0], RUN_WINDOW_MIN[1])
        windows.append((a, min(horizon, a + length)))
        k += 1
    cargo = next((v.id for v in scenario.vehicles if v.kind == "cargo" and v.dock_min is not None), None) if t.cargo else None
    leaving = sorted(
        (v.undock_min, v.id) for v in scenario.vehicles
        if v.undock_min is not None and any(c.departs_on == v.id for c in scenario.crew)
    )
    home = leaving[0][1] if t.returns and leaving else None
    basis = "synthetic parameters"
    if cargo is None and t.cargo:
        basis += "; no cargo ship docks in this increment, so the hardware is taken to be aboard"
    if home is None and t.returns:
        basis += "; no crew ship leaves in this increment, so samples stay aboard"
    return Experiment(
        id=t.id, project=t.project, title=t.title, location=t.location,
        setup_min=t.setup_min, run_min=t.run_min, teardown_min=t.teardown_min, runs_min=tuple(windows),
        power_w=t.power_w, data_mbit=t.data_mbit, downlink_within_min=DAY_MIN, quiet=t.quiet,
        lighting=t.lighting,  # type: ignore[arg-type]
        qualification=t.qualification, crew_on_run=t.crew_on_run, cargo=cargo, returns_on=home,
        value=rng.randint(*t.value), synthetic=True, basis=basis,
    )


def _visitor_experiments(
    scenario: Scenario, rng: random.Random, visitor: CrewMember, project: str, locations: set[str]
) -> list[Experiment]:
    a, b = visitor.aboard_from_min + DAY_MIN // 2, visitor.aboard_to_min
    third = (b - a) // 3
    windows = tuple((a + i * third, a + (i + 1) * third) for i in range(3))
    out = []
    for suffix, location, run_min, power in (("cells", "glovebox-cold-storage", 90, 250), ("seeds", "biotechnology", 120, 200)):
        if location not in locations:
            continue
        out.append(Experiment(
            id=f"{project}-{suffix}", project=project, title=f"Visitor experiment: {suffix} (synthetic)",
            location=location, setup_min=20, run_min=run_min, teardown_min=20, runs_min=windows,
            power_w=power, data_mbit=300, downlink_within_min=DAY_MIN, qualification="visitor", crew_on_run=True,
            returns_on=visitor.departs_on, value=rng.randint(30, 45), synthetic=True,
            basis="synthetic: run by the visiting payload specialist; samples return with them",
        ))
    return out


def _feasible_runs(scenario: Scenario, x: Experiment) -> Experiment | None:
    """Keep only the runs the builder can place (time for the steps, crew, lighting, a contact)."""
    needed = x.setup_min + x.run_min + x.teardown_min
    kept = []
    for window in x.runs_min:
        a, b = effective_window(scenario, x, window)
        if b - a < needed:
            continue
        if x.qualification is not None and not qualified_crew(scenario, x.qualification, (a, b)):
            continue
        lit = run_windows(scenario, x, window)
        if lit is not None and not lit:
            continue
        if x.data_mbit > 0 and not downlink_windows(scenario, x, window):
            continue
        kept.append(window)
    return replace(x, runs_min=tuple(kept)) if kept else None


def _entitlements(
    projects: tuple[ScenarioProject, ...], experiments: list[Experiment]
) -> tuple[tuple[Entitlement, ...], str]:
    """Each country's share of the value its projects offer (assumed entitlement)."""
    countries = {p.id: p.countries for p in projects}
    offered: dict[str, float] = {}
    for x in experiments:
        for country, pct in split_percent(countries[x.project]):
            offered[country] = offered.get(country, 0.0) + x.value * len(x.runs_min) * pct / 100.0
    total = sum(offered.values())
    shares = {c: round(100.0 * v / total, 2) for c, v in sorted(offered.items())}
    if shares:
        biggest = max(shares, key=lambda c: (shares[c], c))
        shares[biggest] = round(shares[biggest] + 100.0 - sum(shares.values()), 2)
    return (
        tuple(Entitlement(country=c, share_pct=p) for c, p in shares.items()),
        "assumed: each country is entitled to the share of value its projects' runs offer (split evenly among a project's countries)",
    )


def split_percent(countries: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Split 100 % evenly among countries, the remainder to the first ones (the lead first)."""
    n = len(countries)
    base, extra = divmod(100, n)
    return tuple((c, base + (1 if i < extra else 0)) for i, c in enumerate(countries))
