"""Conjunction commands: ``conjunctions screen`` (the station or other primaries against a
catalog) and ``cdm show`` (a CCSDS Conjunction Data Message, KVN or XML).

Thin: :func:`spacehome.services.conjunctions.screen_view` and :mod:`spacehome.orbit.cdm` do the
work; this module renders. Bad input (a missing file, a malformed CDM, an unknown primary, a
window that is not positive) is one line on stderr and exit code 2 through
:func:`~spacehome.cli.main.edge`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import MofNCompleteColumn
from rich.table import Table

from spacehome.domain.instant import parse_instant
from spacehome.orbit.cdm import conjunction_view, read_cdm
from spacehome.orbit.screening import DEFAULT_DAYS, DEFAULT_THRESHOLD_KM
from spacehome.services import conjunctions
from spacehome.services.orbit import STATION_CATALOG_NUMBER

from . import main
from .main import JsonFlag, _emit_json, _out, edge
from .progress import TerminalProgress

conjunctions_app = typer.Typer(
    help="Close approaches between the station (or other objects) and a catalog.",
    no_args_is_help=True,
)

cdm_app = typer.Typer(
    help="CCSDS Conjunction Data Messages (CDM, KVN or XML).", no_args_is_help=True
)


def _number(value: float | None, spec: str, unit: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{unit}"


@edge
def show_command(
    file: Annotated[
        Path, typer.Argument(help="A CDM file, KVN or XML (CCSDS 508.0-B-1).", show_default=False)
    ],
    as_json: JsonFlag = False,
) -> None:
    """Summarise a CDM: TCA, miss distance, collision probability, both objects, covariance sigmas."""
    view = conjunction_view(read_cdm(file))
    if as_json:
        _emit_json(view)
        return
    out = _out()
    out.print(
        f"[bold]CDM {view['message_id']}[/bold] from {view['originator']}, created {view['creation_date']}"
    )
    out.print(f"  TCA {view['tca']}")
    line = f"  miss distance {view['miss_distance_m']:.1f} m"
    if view["relative_speed_m_s"] is not None:
        line += f", relative speed {view['relative_speed_m_s']:.1f} m/s"
    out.print(line)
    if view["relative_position_rtn_m"] is not None:
        r, t, n = view["relative_position_rtn_m"]
        out.print(f"  relative position R {r:+.1f} m, T {t:+.1f} m, N {n:+.1f} m")
    if view["collision_probability"] is None:
        out.print("  collision probability: not given")
    else:
        method = view["collision_probability_method"] or "method not given"
        out.print(f"  collision probability {view['collision_probability']:.3e} ({method})")
    for key in ("object1", "object2"):
        out.print(_object_lines(key.upper(), view[key]))


def _object_lines(label: str, o: dict[str, Any]) -> str:
    kind = f", {o['object_type'].lower()}" if o["object_type"] else ""
    sr, st, sn = o["sigma_rtn_m"]
    lines = [
        f"{label}: {o['name']} ({o['designator']}, {o['international_designator']}{kind}), "
        f"manoeuvrable {o['maneuverable']}",
        "  position "
        + ", ".join(f"{x:.3f}" for x in o["position_km"])
        + f" km ({o['ref_frame']}), "
        "velocity " + ", ".join(f"{x:.6f}" for x in o["velocity_km_s"]) + " km/s",
        f"  1-sigma R {sr:.1f} m, T {st:.1f} m, N {sn:.1f} m ({o['covariance_method'].lower()} covariance)",
        f"  hard-body radius {_number(o['hard_body_radius_m'], '.2f', ' m')}",
    ]
    return "\n".join(lines)


# --- screen --------------------------------------------------------------------------------------


class _Bar(TerminalProgress):
    """A Rich progress bar over the catalog objects screened (stderr, terminals only)."""

    def __init__(self, enabled: bool) -> None:
        super().__init__("screening", MofNCompleteColumn(), total=None, enabled=enabled)

    def __call__(self, done: int, total: int) -> None:
        self.update(completed=done, total=total)


def _m(km: float) -> str:
    metres = round(km * 1000.0)
    return f"{metres:+,d}" if metres else "0"


def _pc_text(pc: dict[str, Any]) -> str:
    if pc["value"] is None:
        return "not computed"
    return f"{pc['value']:.2e} (estimated)" if pc["estimated"] else f"{pc['value']:.2e}"


@edge
def screen_command(
    catalog: Annotated[
        Path | None,
        typer.Option("--catalog", help="TLE, 3LE or OMM file (default: the stored element sets)."),
    ] = None,
    primary: Annotated[
        list[int] | None,
        typer.Option("--primary", help="NORAD id of a primary; repeat for several (default: the station, 48274)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Window start with a zone (default: now).")
    ] = None,
    days: Annotated[float, typer.Option("--days", help="Window length in days.")] = DEFAULT_DAYS,
    threshold_km: Annotated[
        float, typer.Option("--threshold-km", help="Report approaches closer than this (km).")
    ] = DEFAULT_THRESHOLD_KM,
    as_json: JsonFlag = False,
) -> None:
    """Close approaches (TCA, miss distance and its R/T/N parts, relative speed) over a window;
    attached vehicles and objects that fail to propagate are listed apart."""
    instant = parse_instant(start, "--from") if start else main.clock()
    with _Bar(enabled=not as_json) as bar:
        view = conjunctions.screen_view(
            instant, days=days, threshold_km=threshold_km,
            primaries=primary or [STATION_CATALOG_NUMBER], catalog_file=catalog, progress=bar,
        )
    if as_json:
        _emit_json(view)
        return
    out = _out()
    names = ", ".join(f"{p['name'] or p['catalog_number']} ({p['catalog_number']})" for p in view["primaries"])
    out.print(
        f"[bold]Conjunctions[/bold] of {names} with {view['catalog']['objects']} objects "
        f"({view['catalog']['origin']}), {view['from']} .. {view['to']}, under {view['threshold_km']:g} km"
    )
    for p in view["primaries"]:
        if p["warning"]:
            out.print(f"[yellow]{p['name'] or p['catalog_number']}:[/yellow] {p['warning']}")
    several = len(view["primaries"]) > 1
    table = Table(title=f"Events ({len(view['events'])})", title_justify="left")
    columns = ["TCA (UTC)", *(["Primary"] if several else []), "Secondary", "Miss km",
               "R m", "T m", "N m", "Speed km/s", "Pc"]
    for column in columns:
        table.add_column(column, justify="right" if column.endswith(("km", " m", "km/s")) else "left")
    for e in view["events"]:
        secondary = f"{e['secondary']['name'] or '?'} ({e['secondary']['catalog_number']})"
        row = [e["tca"], *([str(e["primary"]["catalog_number"])] if several else []), secondary,
               f"{e['miss_km']:.3f}", _m(e["radial_km"]), _m(e["in_track_km"]),
               _m(e["cross_track_km"]), f"{e['relative_speed_km_s']:.3f}", _pc_text(e["pc"])]
        table.add_row(*row)
    out.print(table)
    if not view["collision_probability"]["computed"]:
        out.print(f"Pc {view['collision_probability']['reason']}.")
    if view["attached"]:
        attached = Table(title=f"Attached, not screened ({len(view['attached'])})", title_justify="left")
        for column in ("Object", "NORAD", "Why"):
            attached.add_column(column)
        for a in view["attached"]:
            number = "-" if a["catalog_number"] is None else str(a["catalog_number"])
            attached.add_row(a["name"] or "?", number, a["reason"])
        out.print(attached)
    if view["failures"]:
        failed = Table(title=f"Not screened: failed ({len(view['failures'])})", title_justify="left")
        for column in ("Object", "NORAD", "Reason", "From"):
            failed.add_column(column)
        for f in view["failures"]:
            number = "-" if f["catalog_number"] is None else str(f["catalog_number"])
            failed.add_row(f["name"] or "?", number, f["reason"], f["at"] or "")
        out.print(failed)
    for note in view["notes"]:
        out.print(f"[yellow]note:[/yellow] {note}")


@edge
def all_vs_all_command(
    catalog: Annotated[Path, typer.Option("--catalog", help="TLE, 3LE or OMM file of the whole catalog.")],
    hours: Annotated[float, typer.Option("--hours", help="Window length in hours (from --from).")],
    start: Annotated[
        str | None, typer.Option("--from", help="Window start with a zone (default: now).")
    ] = None,
    threshold_km: Annotated[
        float, typer.Option("--threshold-km", help="Report approaches closer than this (km).")
    ] = DEFAULT_THRESHOLD_KM,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Address of a running Dask scheduler (tcp://host:8786); 'serial' for no Dask; default: a local cluster."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Workers of the local cluster (default: one per core).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every pair of catalog objects closer than the threshold over the window, screened in
    time slices on Dask (the same events as a serial run)."""
    instant = parse_instant(start, "--from") if start else main.clock()
    view = conjunctions.all_vs_all_view(
        catalog, instant, hours, threshold_km=threshold_km, scheduler=scheduler, workers=workers
    )
    if as_json:
        _emit_json(view)
        return
    out = _out()
    out.print(
        f"[bold]All-vs-all[/bold] over {view['catalog']['objects']} objects ({view['catalog']['origin']}), "
        f"{view['from']} .. {view['to']}, under {view['threshold_km']:g} km, on {view['run_on']}: "
        f"{len(view['events'])} events, {len(view['failed'])} objects not screened"
    )
    table = Table(title=f"Closest events (the first 50 of {len(view['events'])} by miss distance)", title_justify="left")
    for column in ("TCA (UTC)", "Object 1", "Object 2", "Miss km", "Speed km/s"):
        table.add_column(column, justify="right" if column.endswith(("km", "km/s")) else "left")
    for e in sorted(view["events"], key=lambda e: e["miss_km"])[:50]:
        table.add_row(
            e["tca"], f"{e['primary']['name'] or ''} ({e['primary']['catalog_number']})",
            f"{e['secondary']['name'] or ''} ({e['secondary']['catalog_number']})",
            f"{e['miss_km']:.3f}", f"{e['relative_speed_km_s']:.3f}",
        )
    out.print(table)
    out.print("Use --json for every event and the objects that were not screened.")


def register(app: typer.Typer) -> None:
    cdm_app.command("show")(show_command)
    app.add_typer(cdm_app, name="cdm")
    conjunctions_app.command("screen")(screen_command)
    conjunctions_app.command("all-vs-all")(all_vs_all_command)
    app.add_typer(conjunctions_app, name="conjunctions")
