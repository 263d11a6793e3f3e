"""``spacehome plan``: scenario, solve, check, replan, show, export, store. Thin: options in, views out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import TextColumn
from rich.table import Table

from spacehome.domain.instant import parse_instant
from spacehome.planning.solver import Progress as SolverProgress
from spacehome.services import plan
from spacehome.services.plans import PlanService

from . import main
from .main import JsonFlag, _emit_json, _out, edge
from .progress import TerminalProgress

plan_app = typer.Typer(help="Plan an increment: crew time, racks, power, downlink and cargo.", no_args_is_help=True)

OutOption = Annotated[Path, typer.Option("--out", help="File to write.")]
TimeLimit = Annotated[float, typer.Option("--time-limit-s", help="Wall-clock limit for the solver, seconds.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (scenario generator or solver).")]
Workers = Annotated[int, typer.Option("--workers", help="Solver threads; equal seed and workers give equal plans.")]


class _Bar(TerminalProgress):
    """A Rich progress bar over the time limit, showing the objective and the bound."""

    def __init__(self, time_limit_s: float, enabled: bool) -> None:
        super().__init__(
            "solving", TextColumn("{task.fields[state]}"), total=time_limit_s, enabled=enabled,
            state="searching for a first plan",
        )

    def __call__(self, p: SolverProgress) -> None:
        if p.objective is None:
            state = "searching for a first plan"
        else:
            gap = "" if p.bound is None else f", gap {abs(p.bound - p.objective) / max(1.0, abs(p.objective)):.2%}"
            state = f"objective {p.objective:,.0f}, bound {p.bound:,.0f}{gap} ({p.solutions} plans)" if p.bound is not None else f"objective {p.objective:,.0f}"
        self.update(completed=p.wall_s, state=state)


@edge
def scenario_command(
    out: OutOption,
    days: Annotated[int, typer.Option("--days", help="Increment length, 3 to 90 days.")] = 30,
    seed: Seed = 1,
    start: Annotated[str | None, typer.Option("--start", help="Increment start with a zone (default 2026-09-07T00:00:00Z).")] = None,
    tle: Annotated[Path | None, typer.Option("--tle", help="Element set file for the orbit windows.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Generate a reproducible increment scenario from the real station (racks, crew, projects)."""
    view = plan.scenario_view(
        out, days=days, seed=seed, start=parse_instant(start, "--start") if start else None, tle_file=tle
    )
    if as_json:
        _emit_json(view)
        return
    o = _out()
    o.print(
        f"Wrote {view['scenario']}: {view['days']} days from {view['start']} (seed {view['seed']}), "
        f"{view['activities']} activities ({view['optional_activities']} optional), "
        f"{view['experiments']} experiment(s) of {view['projects']} project(s); crew: {', '.join(view['crew'])}."
    )
    if view["element_set"].get("warning"):
        o.print(f"[yellow]{view['element_set']['warning']}[/yellow]")
    o.print(f"Next: spacehome plan solve {view['scenario']} --time-limit-s 60 --out plan.json")


def _print_solution(o: Console, view: dict[str, Any]) -> None:
    gap = "-" if view["gap"] is None else f"{view['gap']:.2%}"
    o.print(
        f"[bold]{view['status']}[/bold] ({view['solver']}, {view['wall_s']:.2f} s): objective {view['objective']}, "
        f"bound {view['bound']}, gap {gap}; {view['scheduled']} of {view['activities']} activities scheduled, "
        f"{len(view['unplaced'])} not."
    )
    if "greedy" in view:
        g = view["greedy"]
        o.print(f"Greedy baseline on the same scenario: objective {g['objective']}, {g['scheduled']} scheduled ({g['wall_s']} s).")
    for c in view["conflicts"]:
        o.print(f"[red]conflict:[/red] {c}")
    if view["violations"]:
        o.print(f"[red]The validator found {len(view['violations'])} violation(s)[/red]; run 'spacehome plan check'.")
    else:
        o.print("Validator: no violations.")
    _print_shares(o, view["shares"])
    if view.get("plan"):
        o.print(f"Wrote {view['plan']}.")


def _print_shares(o: Console, shares: list[dict[str, Any]]) -> None:
    if not shares:
        return
    table = Table(title="Shares per country (delivered / entitled)")
    keys = [k for k in shares[0] if k != "country"]
    table.add_column("country")
    for k in keys:
        table.add_column(k.replace("_", " "), justify="right")
    for s in shares:
        table.add_row(s["country"], *(f"{s[k]:.3g}" if isinstance(s[k], float) else str(s[k]) for k in keys))
    o.print(table)


@edge
def solve_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file from 'spacehome plan scenario'.")],
    out: OutOption,
    time_limit_s: TimeLimit = 60.0,
    seed: Seed = 0,
    workers: Workers = 2,
    solver: Annotated[str, typer.Option("--solver", help="cp-sat (optimising) or greedy (baseline).")] = "cp-sat",
    objective: Annotated[str, typer.Option("--objective", help="value, fairness, value-then-fairness, ...")] = "value",
    as_json: JsonFlag = False,
) -> None:
    """Solve a scenario into a plan, validate it independently, and write it."""
    with _Bar(time_limit_s, enabled=not as_json) as bar:
        view = plan.solve_view(
            scenario, out, time_limit_s=time_limit_s, seed=seed, workers=workers,
            solver=solver, objective=objective, progress=bar,
        )
    if as_json:
        _emit_json(view)
    else:
        _print_solution(_out(), view)
    if view["status"] == "infeasible":
        raise typer.Exit(code=1)


@edge
def check_command(
    plan_file: Annotated[Path, typer.Argument(help="Plan file (solver output or edited by hand).")],
    as_json: JsonFlag = False,
) -> None:
    """Check a plan against every constraint of its problem; exit code 1 if any is violated."""
    view = plan.check_view(plan_file)
    if as_json:
        _emit_json(view)
    else:
        o = _out()
        if view["valid"]:
            o.print(f"{view['plan']}: valid ({view['scheduled']} scheduled of {view['checked_activities']} activities).")
        for v in view["violations"]:
            o.print(f"[red]{v['kind']}[/red]: {v['message']}")
        if not view["valid"]:
            o.print(f"{len(view['violations'])} violation(s).")
    if not view["valid"]:
        raise typer.Exit(code=1)


@edge
def replan_command(
    plan_file: Annotated[Path, typer.Argument(help="The current plan.")],
    disruption: Annotated[Path, typer.Option("--disruption", help="JSON file describing the disruption(s).")],
    out: OutOption,
    time_limit_s: TimeLimit = 10.0,
    seed: Seed = 0,
    workers: Workers = 2,
    as_json: JsonFlag = False,
) -> None:
    """Freeze the past, apply a disruption, re-optimise with stability, report the difference."""
    with _Bar(time_limit_s, enabled=not as_json) as bar:
        view = plan.replan_view(plan_file, disruption, out, time_limit_s=time_limit_s, seed=seed, workers=workers, progress=bar)
    if as_json:
        _emit_json(view)
    else:
        o = _out()
        o.print(f"Replanned at minute {view['replanned_at_min']} for: {'; '.join(view['disruptions'])}.")
        _print_solution(o, view)
        d = view["difference"]
        o.print(f"Against the previous plan: {d['moved']} moved, {d['added']} added, {d['removed']} removed, {d['unchanged']} unchanged.")
        for m in d["moved_activities"][:20]:
            o.print(f"  moved {m['activity']}: {m['from']} -> {m['to']}")
    if view["status"] == "infeasible":
        raise typer.Exit(code=1)


def _hhmm(minute: int) -> str:
    d, rest = divmod(minute, 1440)
    return f"d{d + 1} {rest // 60:02d}:{rest % 60:02d}"


@edge
def show_command(
    plan_file: Annotated[Path, typer.Argument(help="Plan file.")],
    lanes: Annotated[int, typer.Option("--items", help="Activities to list per lane.")] = 8,
    as_json: JsonFlag = False,
) -> None:
    """Per-crew and per-rack lanes in the terminal, and the shares per country."""
    view = plan.show_view(plan_file)
    if as_json:
        _emit_json(view)
        return
    o = _out()
    o.print(f"[bold]{view['name']}[/bold] from {view['epoch']}, {view['horizon_min'] // 1440} days; {view['status']}")
    width = 60
    scale = view["horizon_min"] / width
    table = Table(title="Lanes (each character is %.1f h; # busy)" % (scale / 60))
    for col in ("lane", "busy h", "timeline", "first activities"):
        table.add_column(col)
    for lane in view["lanes"]:
        cells = [" "] * width
        for item in lane["items"]:
            for c in range(int(item["start"] / scale), min(width, int((item["end"] - 1) / scale) + 1)):
                cells[c] = "#"
        first = ", ".join(f"{_hhmm(i['start'])} {i['label']}" for i in lane["items"][:lanes])
        table.add_row(lane["label"], f"{lane['busy_min'] / 60:.0f}", "".join(cells), first)
    o.print(table)
    _print_shares(o, view["shares"])


@edge
def export_command(
    plan_file: Annotated[Path, typer.Argument(help="Plan file.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, json or ics (one calendar per crew member or project).")],
    out: Annotated[Path, typer.Option("--out", help="File (csv, json) or directory (ics).")],
    by: Annotated[str, typer.Option("--by", help="For ics: crew, rack or project.")] = "crew",
) -> None:
    """Export a plan as CSV, JSON or iCalendar."""
    view = plan.export_view(plan_file, fmt, out, by=by)
    for path in view["written"]:
        typer.echo(f"wrote {path}")


@edge
def store_command(
    plan_file: Annotated[Path, typer.Argument(help="Plan file (from 'spacehome plan solve' or 'plan replan').")],
    name: Annotated[str | None, typer.Option("--name", help="Name of the stored plan (default: the file name).")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="Also make it the current plan.")] = False,
    by: Annotated[str, typer.Option("--by", help="Who stores it (recorded as created_by).")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Store a plan in the database after the independent validator accepts it."""
    view = PlanService.open().store_plan_file(plan_file, name=name, created_by=by, now=main.clock(), publish=publish)
    if as_json:
        _emit_json(view)
        return
    o = _out()
    o.print(
        f"Stored {view['name']!r} as plan {view['id']}: {view['scheduled']} activities scheduled from "
        f"{view['horizon']['start']} to {view['horizon']['end']} ({view['solver_status']}, objective {view['objective']})."
    )
    o.print("It is now the current plan." if view["current"] else "Not published: it is not the current plan.")


def register(app: typer.Typer) -> None:
    plan_app.command("scenario")(scenario_command)
    plan_app.command("solve")(solve_command)
    plan_app.command("check")(check_command)
    plan_app.command("replan")(replan_command)
    plan_app.command("show")(show_command)
    plan_app.command("export")(export_command)
    plan_app.command("store")(store_command)
    app.add_typer(plan_app, name="plan")
