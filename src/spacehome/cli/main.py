"""``spacehome``: the China Space Station, its crews and its partners, from the terminal.

Human output by default, ``--json`` for machines; times are ISO 8601 UTC. Bad input gets one line
on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from spacehome.domain.instant import parse_instant
from spacehome.errors import SpacehomeError
from spacehome.services import cooperation, people, station

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="spacehome",
    help="Operations and science planning for the China Space Station (Tiangong).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def clock() -> datetime:
    """The current time; tests replace it to freeze 'now'."""
    return datetime.now(UTC).replace(microsecond=0)


def _out() -> Console:
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=False, width=160)
    return console


def _short(text: str) -> str:
    """Drop zero seconds from an ISO instant for tables: 2022-11-29T21:42Z."""
    return text[:-4] + "Z" if text.endswith(":00Z") and len(text) == 20 else text


def edge(command: Callable[P, R]) -> Callable[P, R]:
    """Map spacehome errors to one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SpacehomeError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _emit_json(view: Any) -> None:
    sys.stdout.write(json.dumps(view, indent=2, ensure_ascii=False) + "\n")


def _when_text(value: dict[str, Any] | None) -> str:
    if value is None:
        return ""
    if value["value"] is not None:
        text = _short(str(value["value"]))
        if value["alternatives"]:
            text += " (disputed)"
        return text
    low, high = value.get("earliest"), value.get("latest")
    if low or high:
        return f"unknown ({_short(low) if low else '?'} .. {_short(high) if high else '?'})"
    return "unknown"


def _fact_text(value: dict[str, Any], unit: str = "") -> str:
    if value["value"] is None:
        return "unknown"
    shown = value["value"]
    text = ", ".join(shown) if isinstance(shown, list) else f"{shown}{unit}"
    if value["alternatives"]:
        others = ", ".join(str(a["value"]) for a in value["alternatives"])
        text += f" (sources also say {others})"
    return text


# --- station -------------------------------------------------------------------------------------


@app.command("station")
@edge
def station_command(
    at: Annotated[
        str | None,
        typer.Option("--at", help="Instant with a zone, e.g. 2022-12-01T00:00:00Z (default: now)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Modules and where they are attached, the vehicle at each port, crew aboard, racks."""
    instant = parse_instant(at, "--at") if at else clock()
    view = station.station_view(station.default_record(), instant)
    if as_json:
        _emit_json(view)
        return
    out = _out()
    out.print(f"[bold]{view['station']}[/bold] at {view['requested_at']}")
    if view["beyond_record"]:
        out.print(f"[yellow]Showing the last recorded state, {view['state_at']}.[/yellow]")
    modules = Table(title="Modules", title_justify="left")
    for column in ("Module", "Role", "Attached at", "Since"):
        modules.add_column(column)
    for m in view["modules"]:
        modules.add_row(m["name"], m["role"], m["attached_at"], _when_text(m["since"]))
    out.print(modules)
    ports = Table(title="Tianhe ports", title_justify="left")
    for column in ("Port", "Vehicle", "Since", "Until"):
        ports.add_column(column)
    for p in view["ports"]:
        occupant = p["occupant"]["name"] if p["occupant"] else "-"
        if p["certainty"] == "possible":
            occupant += " (possibly)"
        ports.add_row(p["name"], occupant, _when_text(p["since"]), _when_text(p["until"]))
    out.print(ports)
    _print_crew(out, f"Crew aboard ({view['crew_count']})", view["crew"])
    racks = Table(title="Science racks", title_justify="left")
    for column in ("Module", "Rack", "Discipline"):
        racks.add_column(column)
    for r in view["racks"]:
        racks.add_row(r["module"].title(), r["name"], r["discipline"])
    out.print(racks)
    if view["free_flying"]:
        names = ", ".join(v["name"] for v in view["free_flying"])
        out.print(f"In flight, not docked: {names}")
    for note in view["notes"]:
        out.print(f"[yellow]note:[/yellow] {note}")


def _print_crew(out: Console, title: str, crew: list[dict[str, Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("Name", "Nationality", "Role", "Mission", "Aboard since", "Returns on"):
        table.add_column(column)
    for person in crew:
        name = person["name"] + (" (possibly)" if person["certainty"] == "possible" else "")
        nationality = person["nationality"] + (f" / {person['region']}" if person["region"] else "")
        table.add_row(
            name,
            nationality,
            person["role"] or "unknown",
            person["mission"],
            _when_text(person["arrived"]),
            person["returns_on"],
        )
    out.print(table)


# --- missions ------------------------------------------------------------------------------------


@app.command("missions")
@edge
def missions_command(
    kind: Annotated[str | None, typer.Option("--kind", help="crewed, cargo or module.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Launch year (UTC).")] = None,
    earlier: Annotated[
        bool, typer.Option("--earlier", help="Include crewed flights before the station.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Missions to the station: launch, docking, undocking, landing, crew, cargo."""
    view = station.missions_view(station.default_record(), kind, year, earlier)
    if as_json:
        _emit_json(view)
        return
    table = Table(title=f"Missions ({len(view)})", title_justify="left")
    for column in ("Mission", "Launch (UTC)", "Vehicle", "Docked", "Left", "Ended", "Crew / cargo"):
        table.add_column(column)
    for m in view:
        vehicle = m["launch_vehicle"]["value"] or "?"
        if m["launch_vehicle_serial"]["value"]:
            vehicle += f" {m['launch_vehicle_serial']['value']}"
        docked = "; ".join(f"{b['port']} {_when_text(b['start'])}" for b in m["berthings"])
        left = _when_text(m["berthings"][-1]["end"]) if m["berthings"] else ""
        ended = "" if m["end"] is None else f"{m['end_kind']} {_when_text(m['end'])}"
        if m["kind"] == "cargo":
            aboard = _fact_text(m["cargo_mass_kg"], " kg")
        else:
            aboard = ", ".join(c["name"] for c in m["crew"]) or (
                "uncrewed" if m["kind"] == "crewed" else ""
            )
        table.add_row(m["name"], _when_text(m["launch"]), vehicle, docked, left, ended, aboard)
    _out().print(table)


# --- people --------------------------------------------------------------------------------------


@app.command("crew")
@edge
def crew_command(
    aboard_at: Annotated[
        str | None, typer.Option("--aboard-at", help="Who was aboard at this instant (with zone).")
    ] = None,
    nationality: Annotated[
        str | None, typer.Option("--nationality", help="ISO 3166 code, e.g. CN or HK.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Astronauts in the record, or the crew aboard at an instant."""
    instant = parse_instant(aboard_at, "--aboard-at") if aboard_at else None
    view = people.crew_view(station.default_record(), instant, nationality)
    if as_json:
        _emit_json(view)
        return
    out = _out()
    if instant is not None:
        _print_crew(out, f"Aboard at {view['aboard_at']} ({len(view['people'])})", view["people"])
    else:
        table = Table(title=f"Astronauts ({len(view['people'])})", title_justify="left")
        for column in ("Name", "Nationality", "Flights", "Days in space"):
            table.add_column(column)
        for p in view["people"]:
            nationality_text = p["nationality"] + (f" / {p['region']}" if p["region"] else "")
            table.add_row(p["name"], nationality_text, str(p["flights"]), _days(p))
        out.print(table)
    for note in view["notes"]:
        out.print(f"[yellow]note:[/yellow] {note}")


def _days(entry: dict[str, Any]) -> str:
    low, high = entry["days_in_space_min"], entry["days_in_space_max"]
    if high is None:
        return f"at least {low:.1f}"
    if round(high - low, 1) == 0:
        return f"{low:.1f}"
    return f"{low:.1f}-{high:.1f}"


@app.command("astronaut")
@edge
def astronaut_command(
    name: Annotated[str, typer.Argument(help='Name or alias, e.g. "Wang Yaping".')],
    as_json: JsonFlag = False,
) -> None:
    """One astronaut: flights and cumulative days in space."""
    view = people.astronaut_view(station.default_record(), name)
    if as_json:
        _emit_json(view)
        return
    out = _out()
    region = f", {view['region_name']}" if view["region_name"] else ""
    out.print(f"[bold]{view['name']}[/bold] ({view['nationality_name']}{region})")
    if view["aliases"]:
        out.print(f"also written: {', '.join(view['aliases'])}")
    table = Table(title=f"Flights ({view['flights']})", title_justify="left")
    for column in ("Mission", "Role", "Launch (UTC)", "Landing (UTC)", "Days"):
        table.add_column(column)
    for f in view["flight_list"]:
        landing = _when_text(f["landing"])
        if f["returned_on"] != f["mission"]:
            landing += f" on {f['returned_on']}"
        days = (
            f"{f['days_min']:.2f}" if f["days_max"] is not None else f"at least {f['days_min']:.1f}"
        )
        table.add_row(
            f["mission"], f["role"]["value"] or "unknown", _when_text(f["launch"]), landing, days
        )
    out.print(table)
    out.print(f"Cumulative days in space: {_days(view)}")
    for note in view["notes"]:
        out.print(f"note: {note}")


# --- cooperation ---------------------------------------------------------------------------------


@app.command("partners")
@edge
def partners_command(as_json: JsonFlag = False) -> None:
    """Partner countries, agreements and astronaut programs."""
    view = cooperation.partners_view(station.default_record())
    if as_json:
        _emit_json(view)
        return
    out = _out()
    out.print(f"UN member states eligible: {view['un_member_states']} ({view['eligible']})")
    table = Table(title=f"Partner countries ({len(view['countries'])})", title_justify="left")
    for column in ("Country", "Code", "UN member", "Projects", "Agreements", "Astronaut programs"):
        table.add_column(column)
    for c in view["countries"]:
        table.add_row(
            c["name"],
            c["code"],
            "yes" if c["un_member"] else "no",
            ", ".join(c["projects"]),
            ", ".join(c["agreements"]),
            ", ".join(c["astronaut_programs"]),
        )
    out.print(table)
    agreements = Table(title="Agreements", title_justify="left")
    for column in ("Partner", "Signed", "Title"):
        agreements.add_column(column)
    for a in view["agreements"]:
        agreements.add_row(a["partner"], _when_text(a["signed"]), a["title"])
    out.print(agreements)
    for program in view["astronaut_programs"]:
        flight = _fact_text(program["flight"])
        out.print(f"[bold]{program['name']}[/bold]: flight {flight}")
        for milestone in program["milestones"]:
            out.print(f"  {_when_text(milestone['when'])}  {milestone['what']}")


@app.command("projects")
@edge
def projects_command(as_json: JsonFlag = False) -> None:
    """Projects selected in the UNOOSA-CMSA cycles: countries, institutions, status."""
    view = cooperation.projects_view(station.default_record())
    if as_json:
        _emit_json(view)
        return
    out = _out()
    for cycle in view["cycles"]:
        out.print(f"[bold]{cycle['name']}[/bold]")
        out.print(
            f"announced {_when_text(cycle['announced'])}; "
            f"{_fact_text(cycle['proposals_received'])} proposals from "
            f"{_fact_text(cycle['proposing_countries'])} countries; "
            f"{_fact_text(cycle['shortlisted'])} shortlisted; "
            f"{_fact_text(cycle['projects_selected'])} selected "
            f"({_fact_text(cycle['selected_unconditionally'])} + "
            f"{_fact_text(cycle['selected_conditionally'])} conditionally) from "
            f"{len(cycle['selected_countries'])} countries and "
            f"{_fact_text(cycle['selected_entities'])} entities"
        )
    table = Table(title="Projects", title_justify="left")
    for column in ("#", "Project", "Countries", "Lead institution", "Selection", "Status"):
        table.add_column(column)
    for p in view["projects"]:
        title = p["acronym"] or p["title"]["value"] or "unidentified"
        lead = next((i["name"] for i in p["institutions"] if i["role"] == "lead"), "unknown")
        table.add_row(
            str(p["number"]),
            title,
            _fact_text(p["countries"]),
            lead,
            _fact_text(p["selection"]),
            _fact_text(p["status"]),
        )
    out.print(table)


@app.command("timeline")
@edge
def timeline_command(
    start: Annotated[str, typer.Option("--from", help="Start instant with a zone.")],
    end: Annotated[str, typer.Option("--to", help="End instant with a zone.")],
    as_json: JsonFlag = False,
) -> None:
    """Launches, dockings, relocations, undockings, landings and re-entries in a window."""
    view = station.timeline_view(
        station.default_record(), parse_instant(start, "--from"), parse_instant(end, "--to")
    )
    if as_json:
        _emit_json(view)
        return
    out = _out()
    table = Table(title=f"Events {view['from']} .. {view['to']}", title_justify="left")
    for column in ("When (UTC)", "Event", "Mission", "Detail"):
        table.add_column(column)
    for e in view["events"]:
        table.add_row(_when_text(e["when"]), e["kind"], e["mission"], e["detail"])
    out.print(table)
    for note in view["notes"]:
        out.print(f"[yellow]note:[/yellow] {note}")


def run() -> None:
    """Console-script entry point."""
    app()


def _register_subcommands() -> None:
    from spacehome.cli import conjunctions as conjunction_commands
    from spacehome.cli import orbit as orbit_commands  # imports this module: register last
    from spacehome.cli import plan as plan_commands
    from spacehome.cli import program as program_commands
    from spacehome.cli import server as server_commands

    orbit_commands.register(app)
    plan_commands.register(app)
    server_commands.register(app)
    program_commands.register(app)
    conjunction_commands.register(app)


_register_subcommands()
