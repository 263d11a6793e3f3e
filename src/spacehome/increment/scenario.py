"""The increment's inputs: a scenario, as frozen values, its JSON file, and its semantic checks.

A scenario is everything the planner needs to plan an increment of the station, fixed at
generation time so that building the scheduling problem is pure: the crew aboard and when, the
racks and external adapters, power and data budgets, the orbit windows (eclipses and ground
contacts, already computed with the orbit engine), the vehicles and the fixed station events, the
projects with their experiments, the countries' entitlements and the crew-day rules.

Units
    Time is whole minutes from ``start`` (an aware UTC instant); every such field ends in
    ``_min``. Intervals are half-open ``[start, end)`` pairs of minutes. Power is in watts
    (``_w``), data in megabits (``_mbit``), rates in megabits per minute.

Provenance
    Every item says whether it is ``synthetic`` (made up by the generator, plausible but not a
    fact) and carries a ``basis``: the record fact it comes from, or what was assumed. Budgets
    that no source gives (power for payloads, downlink rate, storage) are flagged ``assumed``.

The JSON form carries ``"format": "spacehome-scenario/1"``; parsing is Pydantic's
(``TypeAdapter`` over these dataclasses) and :func:`check_scenario` then refuses, with a one-line
message naming the item, anything the builder could not make sense of: unknown racks, crew or
vehicles, negative durations, windows too short for the work, qualifications nobody aboard holds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal, NoReturn

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

from spacehome.domain.instant import parse_instant
from spacehome.domain.record import StationRecord
from spacehome.errors import ValidationError
from spacehome.planning.files import read_json, write_json

SCENARIO_FORMAT = "spacehome-scenario/1"
MIN_DAYS = 3
MAX_DAYS = 90
DAY_MIN = 1440
WEEK_MIN = 7 * DAY_MIN

Lighting = Literal["any", "sunlit", "eclipse", "night"]
VehicleKind = Literal["cargo", "crew"]
EventKind = Literal["docking", "undocking", "reboost", "eva"]
#: ``[start, end)`` in minutes from the scenario start.
Span = tuple[int, int]

_ID = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class ElementSetUsed:
    """The element set the orbit windows were computed from, and its age at the start."""

    name: str
    catalog_number: int
    line1: str
    line2: str
    epoch: str  # ISO 8601 UTC
    age_at_start_days: float  # negative: the epoch is after the start
    source: str = ""


@dataclass(frozen=True)
class OrbitWindows:
    """Orbit windows computed by the orbit engine at generation time, in minutes.

    ``eclipses_min``: any shadow (penumbra entry to exit), rounded outwards, so that the time
    between two is fully sunlit. ``umbra_min``: full shadow, rounded inwards. ``night_min``: over
    the night side (the Sun below the horizon beneath the station), rounded inwards. ``contacts_min``:
    times at least one ground station sees the station above its mask, overlapping passes
    merged, rounded inwards.
    """

    eclipses_min: tuple[Span, ...]
    umbra_min: tuple[Span, ...]
    contacts_min: tuple[Span, ...]
    ground_stations: tuple[str, ...]
    model: str = ""
    night_min: tuple[Span, ...] = ()


@dataclass(frozen=True)
class CrewMember:
    """A person aboard for part or all of the increment."""

    id: str
    name: str
    nationality: str  # ISO 3166-1 alpha-2 of the state
    qualifications: tuple[str, ...]
    aboard_from_min: int
    aboard_to_min: int
    role: str = ""
    region: str = ""  # ISO 3166-1 alpha-2 of a special administrative region, or ""
    arrives_on: str | None = None  # vehicle id, when the arrival is inside the increment
    departs_on: str | None = None  # vehicle id, when the departure is inside the increment
    synthetic: bool = False
    basis: str = ""


@dataclass(frozen=True)
class RackSlot:
    """A science rack of the record (``racks.toml``)."""

    id: str
    module: str
    name: str
    synthetic: bool = False
    basis: str = ""


@dataclass(frozen=True)
class Adapter:
    """An external payload adapter (the record gives counts, not names: ids are synthetic)."""

    id: str
    module: str
    synthetic: bool = True
    basis: str = ""


@dataclass(frozen=True)
class Power:
    """Electrical power available to payloads, in watts, by lighting."""

    sunlit_w: int
    eclipse_w: int
    assumed: bool = True
    basis: str = ""


@dataclass(frozen=True)
class DataHandling:
    """Downlink rate during ground contacts and onboard storage for experiment data."""

    downlink_mbit_per_min: int
    storage_capacity_mbit: int
    storage_initial_mbit: int = 0
    assumed: bool = True
    basis: str = ""


@dataclass(frozen=True)
class Vehicle:
    """A visiting vehicle: a cargo ship that docks (then is unpacked) or a crew ship that leaves."""

    id: str
    name: str
    kind: VehicleKind
    dock_min: int | None = None
    unpack_min: int = 0
    undock_min: int | None = None
    landing_min: int | None = None
    synthetic: bool = False
    basis: str = ""


@dataclass(frozen=True)
class StationEvent:
    """A fixed station event; ``disturbing`` ones break microgravity-quiet experiments."""

    id: str
    kind: EventKind
    start_min: int
    duration_min: int
    crew: tuple[str, ...] = ()
    vehicle: str | None = None
    disturbing: bool = True
    synthetic: bool = False
    basis: str = ""


@dataclass(frozen=True)
class ScenarioProject:
    id: str
    title: str
    countries: tuple[str, ...]  # ISO 3166-1 alpha-2
    synthetic: bool = False
    basis: str = ""


@dataclass(frozen=True)
class Experiment:
    """Runs of one experiment; each run is setup → run → teardown (→ downlink), all or none.

    ``runs_min`` holds one ``[release, deadline)`` window per run: setup starts in it and
    teardown ends in it. The run's data must be on the ground ``downlink_within_min`` after the
    window closes. ``cargo``: the hardware comes on that cargo vehicle (runs start after it is
    docked and unpacked). ``returns_on``: the samples go home on that crew ship (teardown ends
    before it undocks, less the stowage margin).
    """

    id: str
    project: str
    title: str
    location: str  # a rack or adapter id
    setup_min: int
    run_min: int
    teardown_min: int
    runs_min: tuple[Span, ...]
    power_w: int = 0
    data_mbit: int = 0  # per run
    downlink_within_min: int = DAY_MIN
    quiet: bool = False
    lighting: Lighting = "any"
    qualification: str | None = None  # None: no crew needed (commanded from the ground)
    crew_on_run: bool = False
    cargo: str | None = None
    returns_on: str | None = None
    value: int = 1  # per run
    synthetic: bool = True
    basis: str = ""


@dataclass(frozen=True)
class Entitlement:
    """A country's share of the increment's science, in percent of the offered value."""

    country: str
    share_pct: float


@dataclass(frozen=True)
class CrewDayRules:
    """The crew's day in station local time (``utc_offset_min`` east of UTC), in minutes of the day.

    Each item is ``(local start, duration)``; items starting late in the day run past midnight.
    Crew member ``k`` (in crew order) exercises in ``exercise_patterns[k % len]``.
    """

    utc_offset_min: int = 480
    sleep: Span = (22 * 60, 510)
    meals: tuple[tuple[str, int, int], ...] = (
        ("breakfast", 6 * 60 + 30, 45),
        ("lunch", 12 * 60, 60),
        ("dinner", 18 * 60 + 30, 60),
    )
    conference: Span = (7 * 60 + 30, 30)
    exercise_patterns: tuple[tuple[Span, ...], ...] = (
        ((11 * 60, 60), (17 * 60 + 30, 60)),
        ((13 * 60, 60), (19 * 60 + 30, 60)),
        ((8 * 60, 60), (17 * 60 + 30, 60)),
    )
    #: Gaps between crew-day items shorter than this are not used for work (changing, transit).
    min_work_gap_min: int = 30
    daily_work_cap_min: int = 480
    weekly_work_cap_min: int = 2400
    week_starts_on: int = 0  # ISO weekday of the work week's first day, 0 = Monday
    assumed: bool = True
    basis: str = ""


@dataclass(frozen=True)
class OperationsRules:
    """How tightly the steps of an experiment run follow each other, and related margins."""

    setup_to_run_max_gap_min: int = 60
    run_to_teardown_max_gap_min: int = 240
    sample_stowage_margin_min: int = 180  # samples stowed this long before the ship undocks
    assumed: bool = True
    basis: str = ""


@dataclass(frozen=True)
class Scenario:
    """An increment to plan. See the module docstring for units and provenance."""

    name: str
    start: str  # ISO 8601 UTC
    days: int
    seed: int
    record_version: str
    record_complete_through: str
    elements: ElementSetUsed
    orbit: OrbitWindows
    crew: tuple[CrewMember, ...]
    racks: tuple[RackSlot, ...]
    adapters: tuple[Adapter, ...]
    power: Power
    data: DataHandling
    vehicles: tuple[Vehicle, ...]
    events: tuple[StationEvent, ...]
    projects: tuple[ScenarioProject, ...]
    experiments: tuple[Experiment, ...]
    entitlements: tuple[Entitlement, ...]
    entitlements_basis: str = ""
    crew_day: CrewDayRules = field(default_factory=CrewDayRules)
    ops: OperationsRules = field(default_factory=OperationsRules)
    notes: tuple[str, ...] = ()

    @property
    def horizon_min(self) -> int:
        return self.days * DAY_MIN

    def start_instant(self) -> datetime:
        return parse_instant(self.start, "scenario start")

    def instant(self, minute: int) -> datetime:
        """The UTC instant of a scenario minute."""
        return self.start_instant() + timedelta(minutes=minute)

    def vehicle(self, vehicle_id: str) -> Vehicle:
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise KeyError(vehicle_id)

    def aboard_at(self, minute: int) -> tuple[CrewMember, ...]:
        return tuple(c for c in self.crew if c.aboard_from_min <= minute < c.aboard_to_min)


# --- JSON -------------------------------------------------------------------------------------


@cache
def _adapter() -> TypeAdapter[Scenario]:
    return TypeAdapter(Scenario)


def scenario_to_data(scenario: Scenario) -> dict[str, Any]:
    data: dict[str, Any] = {"format": SCENARIO_FORMAT}
    data.update(_adapter().dump_python(scenario, mode="json"))
    return data


def scenario_from_data(
    data: Any, *, source: str = "scenario", record: StationRecord | None = None
) -> Scenario:
    """A checked :class:`Scenario` from JSON-like data (see :func:`check_scenario`)."""
    if not isinstance(data, Mapping) or data.get("format") != SCENARIO_FORMAT:
        raise ValidationError(
            f"{source}: not a spacehome scenario (expected \"format\": \"{SCENARIO_FORMAT}\"); "
            "make one with spacehome.increment.generate.generate_scenario"
        )
    body = {k: v for k, v in data.items() if k != "format"}
    try:
        scenario = _adapter().validate_python(body)
    except PydanticError as exc:
        first = exc.errors()[0]
        path = ""
        for part in first["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        raise ValidationError(f"{source}: {path or 'top level'}: {first['msg']}") from None
    check_scenario(scenario, source=source, record=record)
    return scenario


def read_scenario(path: Path, *, record: StationRecord | None = None) -> Scenario:
    return scenario_from_data(read_json(path, what="scenario"), source=str(path), record=record)


def write_scenario(path: Path, scenario: Scenario) -> None:
    write_json(path, scenario_to_data(scenario))


# --- semantic checks --------------------------------------------------------------------------


def check_days(days: int) -> None:
    """Refuse an increment length the planner does not handle."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationError(
            f"an increment of {days} days is out of range: give {MIN_DAYS} to {MAX_DAYS} days"
        )


def check_scenario(
    scenario: Scenario, *, source: str = "scenario", record: StationRecord | None = None
) -> None:
    """Refuse a scenario the builder could not turn into a sensible problem, naming the item.

    With ``record``, non-synthetic racks must be racks of the record.
    """

    def fail(message: str) -> NoReturn:
        raise ValidationError(f"{source}: {message}")

    s = scenario
    try:
        check_days(s.days)
    except ValidationError as exc:
        fail(exc.message)
    try:
        s.start_instant()
        parse_instant(s.elements.epoch, "element-set epoch")
    except ValidationError as exc:
        fail(exc.message)
    horizon = s.horizon_min

    for kind, ids in (
        ("crew member", [c.id for c in s.crew]),
        ("rack/adapter", [r.id for r in s.racks] + [a.id for a in s.adapters]),
        ("vehicle", [v.id for v in s.vehicles]),
        ("event", [e.id for e in s.events]),
        ("project", [p.id for p in s.projects]),
        ("experiment", [x.id for x in s.experiments]),
        ("entitlement country", [e.country for e in s.entitlements]),
    ):
        counts = Counter(ids)
        dup = [i for i, n in counts.items() if n > 1]
        if dup:
            fail(f"{kind} id '{dup[0]}' is used {counts[dup[0]]} times; ids must be unique")
        bad = [i for i in ids if not (_COUNTRY if kind == "entitlement country" else _ID).fullmatch(i)]
        if bad:
            what = "an ISO 3166-1 alpha-2 code like 'CN'" if kind == "entitlement country" else "lower-case letters, digits and '-'"
            fail(f"{kind} id '{bad[0]}' is malformed: use {what}")

    def check_spans(what: str, spans: Iterable[Span]) -> None:
        previous_end = -1
        for a, b in spans:
            if not 0 <= a < b <= horizon:
                fail(f"{what}: interval [{a}, {b}) is not inside the increment [0, {horizon}) min")
            if a < previous_end:
                fail(f"{what}: intervals must be sorted and not overlap (at [{a}, {b}))")
            previous_end = b

    check_spans("orbit.eclipses_min", s.orbit.eclipses_min)
    check_spans("orbit.umbra_min", s.orbit.umbra_min)
    check_spans("orbit.night_min", s.orbit.night_min)
    check_spans("orbit.contacts_min", s.orbit.contacts_min)

    vehicles = {v.id: v for v in s.vehicles}
    for v in s.vehicles:
        where = f"vehicle '{v.id}'"
        for name, value in (("dock_min", v.dock_min), ("undock_min", v.undock_min), ("landing_min", v.landing_min)):
            if value is not None and not 0 <= value <= horizon:
                fail(f"{where}: {name} {value} is outside the increment [0, {horizon}] min")
        if v.unpack_min < 0:
            fail(f"{where}: unpack_min {v.unpack_min} is negative; give a length in minutes >= 0")
        if v.undock_min is not None and v.landing_min is not None and v.landing_min < v.undock_min:
            fail(f"{where}: it lands (minute {v.landing_min}) before it undocks (minute {v.undock_min})")

    crew = {c.id: c for c in s.crew}
    if not s.crew:
        fail("no crew: a scenario needs at least one crew member")
    for c in s.crew:
        where = f"crew member '{c.id}'"
        if not _COUNTRY.fullmatch(c.nationality):
            fail(f"{where}: nationality '{c.nationality}' is not an ISO 3166-1 alpha-2 code like 'CN'")
        if not 0 <= c.aboard_from_min < c.aboard_to_min <= horizon:
            fail(
                f"{where}: aboard [{c.aboard_from_min}, {c.aboard_to_min}) min is empty or outside "
                f"the increment [0, {horizon})"
            )
        for ref in (c.arrives_on, c.departs_on):
            if ref is not None and ref not in vehicles:
                fail(f"{where}: unknown vehicle '{ref}'; known: {_some(vehicles)}")

    locations = {r.id for r in s.racks} | {a.id for a in s.adapters}
    if record is not None:
        known_racks = {r.id for r in record.racks}
        for r in s.racks:
            if not r.synthetic and r.id not in known_racks:
                fail(f"rack '{r.id}' is not in the record (racks.toml); known: {_some(known_racks)}")

    if s.power.sunlit_w <= 0 or s.power.eclipse_w < 0:
        fail(f"power: sunlit_w ({s.power.sunlit_w}) must be positive and eclipse_w ({s.power.eclipse_w}) not negative")
    d = s.data
    if d.downlink_mbit_per_min <= 0:
        fail(f"data: downlink_mbit_per_min {d.downlink_mbit_per_min} must be positive")
    if not 0 <= d.storage_initial_mbit <= d.storage_capacity_mbit:
        fail(f"data: need 0 <= storage_initial_mbit ({d.storage_initial_mbit}) <= storage_capacity_mbit ({d.storage_capacity_mbit})")

    for e in s.events:
        where = f"event '{e.id}'"
        if e.duration_min < 0:
            fail(f"{where}: duration_min {e.duration_min} is negative; give a length in minutes >= 0")
        if e.start_min < 0 or e.start_min + e.duration_min > horizon:
            fail(f"{where}: [{e.start_min}, {e.start_min + e.duration_min}) is outside the increment [0, {horizon}) min")
        if e.vehicle is not None and e.vehicle not in vehicles:
            fail(f"{where}: unknown vehicle '{e.vehicle}'; known: {_some(vehicles)}")
        for person in e.crew:
            if person not in crew:
                fail(f"{where}: unknown crew member '{person}'; known: {_some(crew)}")
            member = crew[person]
            if not member.aboard_from_min <= e.start_min < e.start_min + e.duration_min <= member.aboard_to_min:
                fail(f"{where}: crew member '{person}' is not aboard for the whole event")
        if e.kind == "eva" and not e.crew:
            fail(f"{where}: an EVA needs its crew listed")

    projects = {p.id: p for p in s.projects}
    for p in s.projects:
        if not p.countries:
            fail(f"project '{p.id}' lists no country")
        for country in p.countries:
            if not _COUNTRY.fullmatch(country):
                fail(f"project '{p.id}': country '{country}' is not an ISO 3166-1 alpha-2 code like 'CN'")

    rules = s.ops
    for x in s.experiments:
        where = f"experiment '{x.id}'"
        if x.project not in projects:
            fail(f"{where}: unknown project '{x.project}'; known: {_some(projects)}")
        if x.location not in locations:
            fail(f"{where}: unknown rack or adapter '{x.location}'; known: {_some(locations)}")
        for name, value in (("setup_min", x.setup_min), ("run_min", x.run_min), ("teardown_min", x.teardown_min),
                            ("power_w", x.power_w), ("data_mbit", x.data_mbit),
                            ("downlink_within_min", x.downlink_within_min), ("value", x.value)):
            if value < 0:
                fail(f"{where}: {name} {value} is negative; give a value >= 0")
        if x.run_min == 0:
            fail(f"{where}: run_min is 0; a run needs a positive length in minutes")
        if not x.runs_min:
            fail(f"{where}: no runs; give at least one [release, deadline) window in runs_min")
        needed = x.setup_min + x.run_min + x.teardown_min
        for k, (a, b) in enumerate(x.runs_min):
            if not 0 <= a < b <= horizon:
                fail(f"{where}: run {k} window [{a}, {b}) is not inside the increment [0, {horizon}) min")
            if b - a < needed:
                fail(
                    f"{where}: run {k} window [{a}, {b}) is {b - a} min, too short for setup + run + "
                    f"teardown = {needed} min; widen it or shorten the steps"
                )
        if x.lighting not in ("any", "sunlit", "eclipse", "night"):
            fail(f"{where}: lighting '{x.lighting}' must be 'any', 'sunlit', 'eclipse' or 'night'")
        limit = s.power.eclipse_w if x.lighting in ("eclipse", "night") else s.power.sunlit_w
        if x.power_w > limit:
            fail(f"{where}: needs {x.power_w} W, more than the {limit} W payloads ever get in its lighting")
        if x.crew_on_run and x.qualification is None:
            fail(f"{where}: crew_on_run needs a qualification ('general' is held by every crew member)")
        if x.data_mbit > 0:
            longest = max((b - a for a, b in s.orbit.contacts_min), default=0)
            if _ceil_div(x.data_mbit, d.downlink_mbit_per_min) > longest:
                fail(
                    f"{where}: {x.data_mbit} Mbit take longer to downlink than the longest ground "
                    f"contact ({longest} min); split the data or raise the rate"
                )
        if x.cargo is not None:
            vehicle = vehicles.get(x.cargo)
            if vehicle is None:
                fail(f"{where}: unknown cargo vehicle '{x.cargo}'; known: {_some(vehicles)}")
            elif vehicle.dock_min is None:
                fail(f"{where}: cargo vehicle '{x.cargo}' does not dock in this increment")
        if x.returns_on is not None:
            vehicle = vehicles.get(x.returns_on)
            if vehicle is None:
                fail(f"{where}: unknown return vehicle '{x.returns_on}'; known: {_some(vehicles)}")
            elif vehicle.undock_min is None:
                fail(f"{where}: return vehicle '{x.returns_on}' does not undock in this increment")
        for k, window in enumerate(x.runs_min):
            a, b = effective_window(s, x, window)
            if b - a < needed:
                fail(
                    f"{where}: run {k} window [{window[0]}, {window[1]}) leaves {max(0, b - a)} min "
                    f"after cargo unpacking / before sample return, less than the {needed} min needed"
                )
            if x.qualification is not None and not qualified_crew(s, x.qualification, (a, b)):
                fail(
                    f"{where}: run {k} needs a crew member qualified '{x.qualification}' aboard "
                    f"between minute {a} and {b}; nobody aboard then holds it"
                )

    shares = {ent.country: ent.share_pct for ent in s.entitlements}
    for ent in s.entitlements:
        if ent.share_pct <= 0:
            fail(f"entitlement of '{ent.country}': share_pct {ent.share_pct} must be positive")
    if s.entitlements and abs(sum(shares.values()) - 100.0) > 0.5:
        fail(f"entitlements sum to {sum(shares.values()):.2f} %, not 100 %")
    for p in s.projects:
        for country in p.countries:
            if country not in shares:
                fail(f"project '{p.id}': country '{country}' has no entitlement; add it to entitlements")

    day = s.crew_day
    if not -14 * 60 <= day.utc_offset_min <= 14 * 60:
        fail(f"crew_day: utc_offset_min {day.utc_offset_min} is not a time-zone offset")
    items = [("sleep", *day.sleep), ("conference", *day.conference), *day.meals]
    items += [("exercise", a, b) for pattern in day.exercise_patterns for a, b in pattern]
    for name, at, length in items:
        if not 0 <= at < DAY_MIN or not 0 <= length <= DAY_MIN:
            fail(f"crew_day: {name} at {at} for {length} min: give a local minute of the day (0-1439) and a length of at most a day")
    if not day.exercise_patterns:
        fail("crew_day: give at least one exercise pattern")
    if day.min_work_gap_min < 0:
        fail(f"crew_day: min_work_gap_min {day.min_work_gap_min} is negative")
    if day.daily_work_cap_min < 0 or day.weekly_work_cap_min < 0:
        fail("crew_day: work caps must not be negative")
    if not 0 <= day.week_starts_on <= 6:
        fail(f"crew_day: week_starts_on {day.week_starts_on} must be 0 (Monday) to 6 (Sunday)")
    for name, value in (("setup_to_run_max_gap_min", rules.setup_to_run_max_gap_min),
                        ("run_to_teardown_max_gap_min", rules.run_to_teardown_max_gap_min),
                        ("sample_stowage_margin_min", rules.sample_stowage_margin_min)):
        if value < 0:
            fail(f"ops: {name} {value} is negative")


def effective_window(scenario: Scenario, experiment: Experiment, window: Span) -> Span:
    """A run's window narrowed by its cargo (docked and unpacked) and its return ship."""
    a, b = window
    if experiment.cargo is not None:
        vehicle = scenario.vehicle(experiment.cargo)
        if vehicle.dock_min is not None:
            a = max(a, vehicle.dock_min + vehicle.unpack_min)
    if experiment.returns_on is not None:
        vehicle = scenario.vehicle(experiment.returns_on)
        if vehicle.undock_min is not None:
            b = min(b, vehicle.undock_min - scenario.ops.sample_stowage_margin_min)
    return a, b


def qualified_crew(scenario: Scenario, qualification: str, window: Span) -> tuple[str, ...]:
    """Crew members holding ``qualification`` and aboard for part of ``window``."""
    a, b = window
    return tuple(
        c.id
        for c in scenario.crew
        if qualification in c.qualifications
        and c.aboard_from_min < b
        and a < c.aboard_to_min
    )


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _some(names: Mapping[str, Any] | set[str]) -> str:
    listed = sorted(names)
    text = ", ".join(listed[:8])
    return text + (f" … ({len(listed)} in all)" if len(listed) > 8 else "") if listed else "none"
