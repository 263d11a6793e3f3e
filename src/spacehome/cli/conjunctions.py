"""Conjunction commands: ``cdm show`` (a CCSDS Conjunction Data Message, KVN or XML).

Thin: read the file with :mod:`spacehome.orbit.cdm`, render. Bad input (a missing file, a
malformed CDM) is one line on stderr and exit code 2 through :func:`~spacehome.cli.main.edge`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from spacehome.orbit.cdm import conjunction_view, read_cdm

from .main import JsonFlag, _emit_json, _out, edge

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


def register(app: typer.Typer) -> None:
    cdm_app.command("show")(show_command)
    app.add_typer(cdm_app, name="cdm")
