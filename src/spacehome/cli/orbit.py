"""Orbit commands: ``where``, ``eclipses``, ``contacts``, ``passes`` and ``tle`` (update, import,
history). Thin: parse and check options, call :mod:`spacehome.services.orbit`, render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from spacehome.domain.instant import parse_instant
from spacehome.errors import ValidationError
from spacehome.record.places import place_from_coordinates, resolve_city
from spacehome.services import orbit

from . import main
from .main import JsonFlag, _emit_json, _out, edge

TleOption = Annotated[
    Path | None,
    typer.Option("--tle", help="Use the element sets in this TLE or OMM file (KVN, XML, JSON, CSV) instead of the stored history."),
]
FromOption = Annotated[
    str | None,
    typer.Option("--from", help="Start instant with a zone, e.g. 2026-09-06T00:00:00Z (default: now)."),
]
DaysOption = Annotated[float, typer.Option("--days", help="Length of the search window in days.")]


def _start(text: str | None, what: str = "--from") -> Any:
    return parse_instant(text, what) if text else main.clock()


def _hm(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, s = divmod(round(seconds), 60)
    return f"{minutes}m{s:02d}s"


def _time(text: str | None) -> str:
    return "-" if text is None else text.replace("T", " ").replace("Z", "")[:19]


def _warn(view: dict[str, Any]) -> None:
    es = view["element_set"]
    if es["warning"]:
        style = "bold red" if es["level"] == "very-stale" else "yellow"
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[{style}]{es['warning']}[/{style}]")


def _elements_line(out: Console, view: dict[str, Any]) -> None:
    es = view["element_set"]
    out.print(
        f"Element set: {es['name']} ({es['catalog_number']}), epoch {es['epoch']}, "
        f"{es['age_days']:+.2f} days old at the requested time; from {es['origin']}"
    )


@edge
def where_command(
    at: Annotated[str | None, typer.Option("--at", help="Instant with a zone (default: now).")] = None,
    tle: TleOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Where the station is: sub-point, altitude, speed, sunlight, next shadow, element-set age."""
    view = orbit.where_view(_start(at, "--at"), tle_file=tle)
    _warn(view)
    if as_json:
        _emit_json(view)
        return
    out = _out()
    out.print(f"[bold]{view['object']}[/bold] at {view['at']}")
    lat, lon = view["latitude_deg"], view["longitude_deg"]
    out.print(
        f"  over {abs(lat):.2f}°{'N' if lat >= 0 else 'S'} {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}, "
        f"altitude {view['altitude_km']:.1f} km, speed {view['speed_km_s']:.3f} km/s"
    )
    light = view["lighting"]
    text = {"sunlit": "in sunlight", "penumbra": "in Earth's penumbra", "umbra": "in Earth's shadow"}[light]
    if view["in_shadow_until"]:
        text += f" until {_time(view['in_shadow_until'])} UTC"
    out.print(f"  {text}")
    if view["next_shadow_entry"]:
        out.print(
            f"  next shadow: enters {_time(view['next_shadow_entry'])}, "
            f"leaves {_time(view['next_shadow_exit'])} UTC"
        )
    _elements_line(out, view)


@edge
def eclipses_command(
    start: FromOption = None,
    days: DaysOption = 1.0,
    tle: TleOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Umbra and penumbra entry and exit per orbit, durations, and the solar beta angle."""
    view = orbit.eclipses_view(_start(start), days, tle_file=tle)
    _warn(view)
    if as_json:
        _emit_json(view)
        return
    out = _out()
    table = Table(title=f"Eclipses of {view['object']}, {view['from']} to {view['to']} (UTC)", title_justify="left")
    for column in ("Penumbra in", "Umbra in", "Umbra out", "Penumbra out", "Umbra", "Shadow total", "Beta"):
        table.add_column(column)
    for e in view["eclipses"]:
        table.add_row(
            _time(e["penumbra_entry"]), _time(e["umbra_entry"]), _time(e["umbra_exit"]),
            _time(e["penumbra_exit"]), _hm(e["umbra_duration_s"]), _hm(e["shadow_duration_s"]),
            f"{e['beta_deg']:+.1f}°",
        )
    out.print(table)
    out.print(f"{len(view['eclipses'])} eclipses. Model: {view['model']}.")
    _elements_line(out, view)


@edge
def contacts_command(
    start: FromOption = None,
    days: DaysOption = 1.0,
    station: Annotated[
        list[str] | None,
        typer.Option("--station", help="Ground station id or name (repeatable; default: all)."),
    ] = None,
    stations_file: Annotated[
        Path | None,
        typer.Option("--stations-file", help="Your own ground-station TOML file (same format as the bundled one)."),
    ] = None,
    tle: TleOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Ground contacts: acquisition, loss, maximum elevation, duration; total time per day."""
    view = orbit.contacts_view(
        _start(start), days, station_names=station or (), stations_file=stations_file, tle_file=tle
    )
    _warn(view)
    if as_json:
        _emit_json(view)
        return
    out = _out()
    names = {s["id"]: s for s in view["stations"]}
    table = Table(title=f"Contacts of {view['object']}, {view['from']} to {view['to']} (UTC)", title_justify="left")
    for column in ("Station", "Acquisition", "Loss", "Max elev.", "Duration"):
        table.add_column(column)
    for c in view["contacts"]:
        aos = _time(c["acquisition"]) + ("" if c["acquisition_in_window"] else " (in progress)")
        los = _time(c["loss"]) + ("" if c["loss_in_window"] else " (continues)")
        table.add_row(names[c["station"]]["name"], aos, los, f"{c['max_elevation_deg']:.1f}°", _hm(c["duration_s"]))
    out.print(table)
    totals = Table(title="Contact time per day (UTC days)", title_justify="left")
    totals.add_column("Day")
    totals.add_column("Any station")
    for s in view["stations"]:
        totals.add_column(s["id"])
    for d in view["daily_totals"]:
        totals.add_row(d["day"], _hm(d["any_station_s"]), *(_hm(d["by_station_s"][s["id"]]) for s in view["stations"]))
    out.print(totals)
    masks = ", ".join(f"{s['id']} {s['min_elevation_deg']:g}°" for s in view["stations"])
    out.print(f"Elevation masks: {masks}. Sources: src/spacehome/record/data/ground_stations.toml")
    _elements_line(out, view)


@edge
def passes_command(
    city: Annotated[str | None, typer.Option("--city", help='City name, e.g. "Beijing" or "Springfield, US-MO".')] = None,
    lat: Annotated[float | None, typer.Option("--lat", help="Latitude in degrees north (south negative).")] = None,
    lon: Annotated[float | None, typer.Option("--lon", help="Longitude in degrees east (west negative).")] = None,
    alt_m: Annotated[float | None, typer.Option("--alt-m", help="Altitude above sea level in metres.")] = None,
    start: FromOption = None,
    days: DaysOption = 3.0,
    visible_only: Annotated[bool, typer.Option("--visible-only", help="Only passes visible to the naked eye.")] = False,
    min_elevation_deg: Annotated[
        float, typer.Option("--min-elevation-deg", help="Ignore passes lower than this (degrees).")
    ] = 10.0,
    standard_magnitude: Annotated[
        float | None,
        typer.Option("--standard-magnitude", help="Standard magnitude (1000 km, 90° phase) to use; default: the CSS estimate derived from its dimensions (none is published)."),
    ] = None,
    tle: TleOption = None,
    as_json: JsonFlag = False,
) -> None:
    """When you can see the station: rise, culmination and set, in UTC and local time."""
    if city and (lat is not None or lon is not None):
        raise ValidationError("give either --city or --lat/--lon, not both")
    if city:
        place = resolve_city(city)
    elif lat is not None and lon is not None:
        place = place_from_coordinates(lat, lon, alt_m)
    else:
        raise ValidationError('say where you are: --city "Beijing" or --lat 39.9 --lon 116.4')
    view = orbit.passes_view(
        place, _start(start), days, visible_only=visible_only, min_elevation_deg=min_elevation_deg,
        standard_magnitude=standard_magnitude, tle_file=tle,
    )
    _warn(view)
    if as_json:
        _emit_json(view)
        return
    out = _out()
    p = view["place"]
    out.print(
        f"[bold]{view['object']}[/bold] over {p['name']} ({p['latitude_deg']:.3f}, {p['longitude_deg']:.3f}; "
        f"time zone {p['timezone']}), {view['from']} to {view['to']}, above {view['min_elevation_deg']:g}°"
    )
    table = Table(title_justify="left")
    for column in ("Rise (local)", "Az", "Highest (local)", "Elev", "Az", "Set (local)", "Az", "Visible", "Brightness"):
        table.add_column(column)

    estimate = view["standard_magnitude_estimate"]

    def local(point: dict[str, Any] | None) -> str:
        return "-" if point is None else point["local_time"][:19].replace("T", " ")

    for row in view["passes"]:
        rise, top, set_ = row["rise"], row["culmination"], row["set"]
        brightness = "-"
        if row["brightness"]:
            b = row["brightness"]
            if b["magnitude"] is None:
                brightness = f"std {b['relative_to_standard_mag']:+.1f}"
            elif b["standard_magnitude_source"] == "derived":
                brightness = f"estimated magnitude {b['magnitude']:+.1f} (derived, ±{estimate['uncertainty']:.1f})"
            else:
                brightness = f"mag {b['magnitude']:+.1f}"
        table.add_row(
            local(rise), "-" if rise is None else f"{rise['azimuth_deg']:.0f}°",
            local(top), f"{top['elevation_deg']:.0f}°", f"{top['azimuth_deg']:.0f}°",
            local(set_), "-" if set_ is None else f"{set_['azimuth_deg']:.0f}°",
            "yes" if row["visible"] else "no", brightness,
        )
    out.print(table)
    visible = sum(1 for r in view["passes"] if r["visible"])
    out.print(f"{len(view['passes'])} passes, {visible} visible to the naked eye ({view['visibility_rule']}).")
    source = view["standard_magnitude_source"]
    if source == "derived":
        out.print(
            f"Brightness at the brightest visible moment, from the standard magnitude {estimate['value']:+.1f} "
            f"(derived, ±{estimate['uncertainty']:.1f}; see {estimate['document']}). None is published for the CSS: "
            "this one is worked out from its dimensions, and single passes can differ by a magnitude or more. "
            "--standard-magnitude sets your own."
        )
    elif source == "user":
        out.print(f"Brightness: magnitude from your standard magnitude {view['standard_magnitude']:+.1f} (1000 km, 90° phase).")
    else:
        out.print(
            "Brightness 'std +x' = x magnitudes fainter than the standard magnitude "
            f"(none is known here: {estimate['not_used_because']}; see --standard-magnitude)."
        )
    _elements_line(out, view)


tle_app = typer.Typer(help="Element sets: update from CelesTrak, import files, show the history.", no_args_is_help=True)


@tle_app.command("update")
@edge
def tle_update_command(
    catalog_number: Annotated[
        list[int] | None, typer.Option("--catnr", help="NORAD catalog number(s) (default: 48274, Tianhe).")
    ] = None,
    group: Annotated[str | None, typer.Option("--group", help="A CelesTrak group instead, e.g. stations.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fetch current element sets from CelesTrak's GP service (needs the network)."""
    view = orbit.update_view(
        main.clock(), catalog_numbers=catalog_number or (orbit.STATION_CATALOG_NUMBER,), group=group
    )
    if as_json:
        _emit_json(view)
        return
    out = _out()
    for r in view["requests"]:
        out.print(f"{r['url']}: {r['read']} read, {r['added']} new")
        for problem in r["problems"]:
            out.print(f"  [yellow]skipped: {problem}[/yellow]")
    out.print(f"{view['added']} new element sets stored, {view['already_known']} already known.")


@tle_app.command("import")
@edge
def tle_import_command(
    file: Annotated[Path, typer.Argument(help="TLE (2/3-line) or OMM (KVN, XML, JSON, CSV) file.")],
    as_json: JsonFlag = False,
) -> None:
    """Load element sets from a file into the history (good records load; bad ones are listed)."""
    view = orbit.import_view(file, main.clock())
    if as_json:
        _emit_json(view)
        return
    out = _out()
    out.print(f"{view['file']} ({view['format']}): {view['read']} element sets read, {view['added']} new, {view['already_known']} already known.")
    for problem in view["problems"]:
        out.print(f"  [yellow]skipped: {problem}[/yellow]")


@tle_app.command("history")
@edge
def tle_history_command(
    catalog_number: Annotated[int, typer.Option("--catnr", help="NORAD catalog number.")] = orbit.STATION_CATALOG_NUMBER,
    at: Annotated[str | None, typer.Option("--at", help="Which set is current at this instant (default: now).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every stored element set of one object, and which one is current."""
    view = orbit.history_view(catalog_number, _start(at, "--at"))
    if as_json:
        _emit_json(view)
        return
    out = _out()
    table = Table(title=f"Element sets of {catalog_number} (current at {view['at']} marked *)", title_justify="left")
    for column in ("", "Epoch", "Obtained", "Source"):
        table.add_column(column)
    for s in view["sets"]:
        table.add_row("*" if s["current"] else "", s["epoch"], s["obtained_at"], s["source"])
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("where")(where_command)
    app.command("eclipses")(eclipses_command)
    app.command("contacts")(contacts_command)
    app.command("passes")(passes_command)
    app.add_typer(tle_app, name="tle")
