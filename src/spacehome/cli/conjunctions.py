"""Conjunction commands: ``conjunctions screen`` (the station or other primaries against a
catalog; the events it finds are stored), ``conjunctions all-vs-all``, ``conjunctions list``,
``conjunctions show EVENT_ID`` (the event with its assessments: miss and Pc over time),
``conjunctions avoid EVENT_ID`` (manoeuvre options, and with ``--plan`` the chosen one put into
an increment plan), ``cdm show FILE`` and ``cdm import FILE`` (a CCSDS Conjunction Data Message,
KVN or XML; importing stores it with the Pc from its covariances).

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
from spacehome.errors import ValidationError
from spacehome.orbit.avoidance import DEFAULT_LEAD_ORBITS, DEFAULT_PC_THRESHOLD
from spacehome.orbit.cdm import conjunction_view, read_cdm
from spacehome.orbit.screening import DEFAULT_DAYS, DEFAULT_THRESHOLD_KM
from spacehome.planning.files import read_plan, write_plan
from spacehome.services import avoidance, conjunction_events, conjunctions
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


HardBodyRadius = Annotated[
    float | None,
    typer.Option(
        "--hard-body-radius-m",
        help="Combined hard-body radius of the two objects, m (default: from the CDM's AREA_PC, else 30 m, a labelled policy default).",
    ),
]


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


#: Failed objects listed in the screen's table (all of them are in --json).
FAILURES_SHOWN = 15


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
    hard_body_radius_m: HardBodyRadius = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not store the events found (default: store them).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Close approaches (TCA, miss distance and its R/T/N parts, relative speed) over a window;
    attached vehicles and objects that fail to propagate are listed apart. The events are stored
    (see 'conjunctions list'), each screen adding an assessment to the events it finds again."""
    instant = parse_instant(start, "--from") if start else main.clock()
    with _Bar(enabled=not as_json) as bar:
        view = conjunctions.screen_view(
            instant, days=days, threshold_km=threshold_km,
            primaries=primary or [STATION_CATALOG_NUMBER], catalog_file=catalog, progress=bar,
            store_at=None if no_store else main.clock(), hard_body_radius_m=hard_body_radius_m,
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
    columns = ["Event", "TCA (UTC)", *(["Primary"] if several else []), "Secondary", "Miss km",
               "R m", "T m", "N m", "Speed km/s", "Pc"]
    for column in columns:
        table.add_column(column, justify="right" if column.endswith(("km", " m", "km/s")) else "left")
    for e in view["events"]:
        secondary = f"{e['secondary']['name'] or '?'} ({e['secondary']['catalog_number']})"
        row = [e["id"], e["tca"], *([str(e["primary"]["catalog_number"])] if several else []), secondary,
               f"{e['miss_km']:.3f}", _m(e["radial_km"]), _m(e["in_track_km"]),
               _m(e["cross_track_km"]), f"{e['relative_speed_km_s']:.3f}", _pc_text(e["pc"])]
        table.add_row(*row)
    out.print(table)
    pc_info = view["collision_probability"]
    if not pc_info["computed"]:
        out.print(f"Pc {pc_info['reason']}.")
    else:
        out.print(
            "Pc estimated from element sets (no CDM): covariances from the element-set model spacehome "
            "measured from public element-set histories (record/data/tle_covariance.toml: LEO only; it "
            "under-states the true error; the full source is in --json); hard-body radius "
            f"{pc_info['hard_body_radius_m']:g} m ({pc_info['hard_body_radius_source']})."
        )
    if view["attached"]:
        attached = Table(title=f"Attached, not screened ({len(view['attached'])})", title_justify="left")
        for column in ("Object", "NORAD", "Why"):
            attached.add_column(column)
        for a in view["attached"]:
            number = "-" if a["catalog_number"] is None else str(a["catalog_number"])
            attached.add_row(a["name"] or "?", number, a["reason"])
        out.print(attached)
    if view["failures"]:
        shown = view["failures"][:FAILURES_SHOWN]
        more = len(view["failures"]) - len(shown)
        title = f"Not screened: failed ({len(view['failures'])}" + (f"; the first {len(shown)}, all with --json)" if more else ")")
        failed = Table(title=title, title_justify="left")
        for column in ("Object", "NORAD", "Reason", "From"):
            failed.add_column(column)
        for f in shown:
            number = "-" if f["catalog_number"] is None else str(f["catalog_number"])
            failed.add_row(f["name"] or "?", number, f["reason"], f["at"] or "")
        out.print(failed)
    for note in view["notes"]:
        out.print(f"[yellow]note:[/yellow] {note}")
    if not no_store and view["events"]:
        out.print("Stored: see them with 'spacehome conjunctions show EVENT'.")


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
        f"{len(view['events'])} events, {len(view['co_orbiting'])} co-orbiting pairs left out, "
        f"{len(view['failed'])} objects not screened"
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


# --- stored events ------------------------------------------------------------------------------


def _pc_value(value: float | None) -> str:
    return "-" if value is None else f"{value:.2e}"


@edge
def import_command(
    file: Annotated[Path, typer.Argument(help="A CDM file, KVN or XML.", show_default=False)],
    hard_body_radius_m: HardBodyRadius = None,
    as_json: JsonFlag = False,
) -> None:
    """Store a CDM as an assessment of its conjunction event, with the Pc from its covariances."""
    view = conjunction_events.import_cdm(
        file, now=main.clock(),
        hard_body_radius_m=conjunction_events.check_hard_body_radius(hard_body_radius_m),
    )
    if as_json:
        _emit_json(view)
        return
    out = _out()
    if view["already_imported"]:
        out.print(f"CDM {view['originator']} {view['message_id']} is already stored (event {view['event_id']}); nothing added.")
        return
    pc = view["pc"]
    what = "new event" if view["new_event"] else "event"
    out.print(f"Stored CDM {view['message_id']} as an assessment of {what} {view['event_id']}")
    out.print(f"  TCA {view['tca']}, miss {view['miss_km'] * 1000.0:,.1f} m")
    if pc["value"] is None:
        out.print(f"  Pc {pc['note']}")
    else:
        stated = "" if pc["stated_in_cdm"] is None else f"; the CDM states {pc['stated_in_cdm']:.3e}"
        out.print(
            f"  Pc {pc['value']:.3e} ({pc['method']}; Chan {pc['pc_chan']:.3e}{stated}), "
            f"hard-body radius {pc['hard_body_radius_m']:g} m ({pc['hard_body_radius_source']})"
        )


@edge
def list_command(
    start: Annotated[str | None, typer.Option("--from", help="Only events with TCA at or after this instant.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Only events with TCA before this instant.")] = None,
    norad: Annotated[int | None, typer.Option("--object", help="Only events involving this NORAD id.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many events.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Stored conjunction events by TCA, with their latest miss distance and Pc."""
    view = conjunction_events.events_view(
        tca_from=parse_instant(start, "--from") if start else None,
        tca_to=parse_instant(end, "--to") if end else None,
        object_number=norad, limit=limit,
    )
    if as_json:
        _emit_json(view)
        return
    table = Table(title=f"Conjunction events ({view['total']})", title_justify="left")
    for column in ("Event", "TCA (UTC)", "Primary", "Secondary", "Miss km", "Pc", "Assessments"):
        table.add_column(column, justify="right" if column in ("Miss km", "Assessments") else "left")
    for e in view["items"]:
        table.add_row(
            e["id"], e["tca"], f"{e['primary']['name'] or ''} ({e['primary']['catalog_number']})",
            f"{e['secondary']['name'] or ''} ({e['secondary']['catalog_number']})",
            f"{e['miss_km']:.3f}", _pc_value(e["pc"]), str(e["assessments"]),
        )
    _out().print(table)


@edge
def event_command(
    event_id: Annotated[str, typer.Argument(help="An event id from 'conjunctions list'.", show_default=False)],
    as_json: JsonFlag = False,
) -> None:
    """One event: its latest geometry and every assessment (screens, CDMs) in order."""
    view = conjunction_events.event_view(event_id)
    if as_json:
        _emit_json(view)
        return
    out = _out()
    g = view["geometry"]
    out.print(
        f"[bold]Event {view['id']}[/bold]: {view['primary']['name'] or ''} ({view['primary']['catalog_number']}) "
        f"and {view['secondary']['name'] or ''} ({view['secondary']['catalog_number']})"
    )
    out.print(
        f"  TCA {g['tca']}, miss {g['miss_km'] * 1000.0:,.1f} m"
        + ("" if g["radial_km"] is None else
           f" (R {_m(g['radial_km'])} m, T {_m(g['in_track_km'])} m, N {_m(g['cross_track_km'])} m)")
        + ("" if g["relative_speed_km_s"] is None else f", relative speed {g['relative_speed_km_s']:.3f} km/s")
    )
    table = Table(title="Assessments (oldest first)", title_justify="left")
    for column in ("Assessed (UTC)", "Source", "h to TCA", "Miss m", "Pc", "Note"):
        table.add_column(column, justify="right" if column in ("h to TCA", "Miss m") else "left")
    for a in view["history"]:
        table.add_row(
            a["assessed_at"], f"{a['source']} ({a['source_ref']})", f"{a['hours_to_tca']:.1f}",
            f"{a['miss_km'] * 1000.0:,.1f}", _pc_value(a["pc"]), a["pc_note"] or "",
        )
    out.print(table)


@edge
def avoid_command(
    event_id: Annotated[str, typer.Argument(help="An event id from 'conjunctions list'.", show_default=False)],
    threshold: Annotated[float, typer.Option("--threshold", help="Pc above which a manoeuvre is proposed.")] = DEFAULT_PC_THRESHOLD,
    hard_body_radius_m: HardBodyRadius = None,
    lead_orbits: Annotated[
        list[float] | None,
        typer.Option("--lead-orbits", help="Burn this many orbits before the TCA; repeat for several (default 1, 2, 3)."),
    ] = None,
    plan: Annotated[
        Path | None, typer.Option("--plan", help="Put the chosen option into this increment plan (JSON plan file).")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Where to write the replanned plan (with --plan).")
    ] = None,
    option: Annotated[
        int | None, typer.Option("--option", help="Which option to insert (1 = first listed; default: the smallest delta-v).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Along-track manoeuvre options that bring the event's Pc below the threshold; with
    --plan and --out, the chosen one goes into the plan as a debris-avoidance disruption."""
    if (plan is None) != (out_file is None):
        raise ValidationError("give --plan and --out together: the plan to change and where to write the new one")
    view = avoidance.event_avoidance(
        event_id, threshold=threshold,
        hard_body_radius_m=conjunction_events.check_hard_body_radius(hard_body_radius_m),
        lead_orbits=tuple(lead_orbits) if lead_orbits else DEFAULT_LEAD_ORBITS,
    )
    inserted = None
    if plan is not None and out_file is not None:
        inserted = avoidance.insert_event_option(view, read_plan(plan), option)
        write_plan(out_file, inserted.plan)
        view = {**view, "inserted": {**inserted.view, "plan": str(out_file)}}
    if as_json:
        _emit_json(view)
        return
    out = _out()
    before = view["before"]
    out.print(
        f"[bold]Event {event_id}[/bold]: TCA {view['tca']}, miss {before['miss_m']:,.1f} m, "
        f"Pc {before['pc']:.3e} ({'estimated, ' if view['estimated'] else ''}covariance {view['covariance_source']}; "
        f"hard-body radius {view['hard_body_radius_m']:g} m)"
    )
    if not view["manoeuvre_needed"]:
        out.print(f"The Pc is below the threshold {view['threshold']:g}: no manoeuvre needed.")
        return
    table = Table(title=f"Options (Pc below {view['threshold']:g})", title_justify="left")
    for column in ("#", "Burn (UTC)", "Lead orbits", "Δv m/s", "Direction", "New miss m", "New Pc"):
        table.add_column(column, justify="left" if column in ("Burn (UTC)", "Direction") else "right")
    for k, o in enumerate(view["options"], start=1):
        after = o["after"]
        table.add_row(
            str(k), o["burn_time"], f"{o['lead_orbits']:.2f}",
            "-" if o["delta_v_m_s"] is None else f"{o['delta_v_m_s']:+.4f}", o["direction"] or "none found",
            "-" if after is None else f"{after['miss_m']:,.1f}", "-" if after is None else f"{after['pc']:.2e}",
        )
    out.print(table)
    if inserted is not None:
        i = view["inserted"]
        out.print(
            f"Inserted option {i['option']} into {plan}: burn window {i['window']['start_min']}-{i['window']['end_min']} min, "
            f"{i['status']}, {len(i['difference']['moved_activities'])} activities moved, "
            f"{len(i['violations'])} violations; written to {out_file}"
        )
    else:
        out.print("To put one into a plan: add --plan PLAN.json --out NEW.json [--option N].")


def register(app: typer.Typer) -> None:
    cdm_app.command("show")(show_command)
    cdm_app.command("import")(import_command)
    app.add_typer(cdm_app, name="cdm")
    conjunctions_app.command("screen")(screen_command)
    conjunctions_app.command("all-vs-all")(all_vs_all_command)
    conjunctions_app.command("list")(list_command)
    conjunctions_app.command("show")(event_command)
    conjunctions_app.command("avoid")(avoid_command)
    app.add_typer(conjunctions_app, name="conjunctions")
