"""``spacehome calls``, ``spacehome proposals`` and ``spacehome demo``: the cooperation program from
the terminal, on the local database.

The command line is an operator tool: whoever can run it on the database can read all of it, so
the read commands show everything unless ``--as USERNAME`` asks to see what that account sees (a
partner: only its own proposals). Every write acts as an account, ``--as USERNAME`` (default:
``admin``, the account ``spacehome serve`` creates first), and goes through the same services and
rules as the API: role, legal transition, deadline, reason where required. The audit log names
that account. Thin: options in, service calls, views out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from spacehome.domain.program import REASON_REQUIRED, ProposalState, Role
from spacehome.errors import ValidationError
from spacehome.services import demo
from spacehome.services.accounts import ADMIN_USERNAME
from spacehome.services.program import Actor, ProgramService, proposal_view
from spacehome.services.reviews import ReviewService

from . import main
from .main import JsonFlag, _emit_json, _out, edge

calls_app = typer.Typer(
    help="Calls for proposals of the cooperation program.", no_args_is_help=True
)
proposals_app = typer.Typer(
    help="Proposals: list, show, audit trail, create, and state changes.", no_args_is_help=True
)
demo_app = typer.Typer(
    help="A clearly labelled synthetic demo of the program.", no_args_is_help=True
)

#: The account reads are made as when no --as is given: the local operator sees everything.
OPERATOR = Actor("local-operator", Role.ADMIN)
#: Page size used when the command line reads every page of a list.
_PAGE = 500

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLite or PostgreSQL URL (default: SPACEHOME_DATABASE_URL, else the embedded SQLite).",
    ),
]
ReadAs = Annotated[
    str | None,
    typer.Option("--as", help="See what this account sees (default: everything, as the operator)."),
]
WriteAs = Annotated[
    str,
    typer.Option("--as", help="The account acting (named in the audit log)."),
]
FileOption = Annotated[Path, typer.Option("--file", help="JSON file with the fields (see --help).")]


# --- helpers ------------------------------------------------------------------------------------


def _account(service: ProgramService, username: str) -> Actor:
    """The acting account by username; unknown or inactive accounts are refused in one line."""
    user = service.store.get_user_by_username(username)
    if user is None:
        raise ValidationError(
            f"no account {username!r} in this database: give --as USERNAME of an existing account "
            "(create one with 'spacehome users create')"
        )
    if not user.active:
        raise ValidationError(f"account {username!r} is deactivated: act as another account")
    return Actor(user.id, user.role)


def _reader(service: ProgramService, username: str | None) -> Actor:
    return OPERATOR if username is None else _account(service, username)


def _require(actor: Actor, username: str, *roles: Role) -> None:
    if actor.role not in roles:
        who = " or ".join(r.value for r in roles)
        raise ValidationError(
            f"account {username!r} is a {actor.role.value}: only {who} may do this; "
            "give --as USERNAME of such an account"
        )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file: give the path of a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"{path}: cannot be read ({exc.__class__.__name__}): give a UTF-8 JSON file"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): fix the file"
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(
            f"{path}: holds a JSON {type(data).__name__}, not an object: give an object"
        )
    return data


@contextmanager
def _checked(path: Path) -> Iterator[None]:
    """Pydantic's refusal of a file's content, as one line that names the field."""
    from pydantic import ValidationError as PydanticError

    try:
        yield
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the object"
        raise ValidationError(
            f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s)): fix the file"
        ) from None


def _state(value: str, what: str) -> ProposalState:
    try:
        return ProposalState(value.strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in ProposalState)
        raise ValidationError(
            f"{what} {value!r} is not a proposal state: use one of {names}"
        ) from None


def _amounts(resources: dict[str, Any]) -> str:
    return ", ".join(
        f"{name} {entry['amount']:g} {entry['unit']}"
        for name, entry in resources.items()
        if entry["amount"]
    )


def _all_proposals(
    service: ProgramService, actor: Actor, call_id: str | None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = service.list_proposals(actor, call_id=call_id, limit=_PAGE, offset=len(items))
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


def _print_proposal(out: Console, view: dict[str, Any]) -> None:
    out.print(f"[bold]{view['title']}[/bold]")
    table = Table(show_header=False, box=None)
    table.add_column("field", style="bold")
    table.add_column("value")
    lead = view["team"]["lead"]
    partners = "; ".join(f"{m['name']} ({m['country']})" for m in view["team"]["partners"])
    for field, value in (
        ("id", view["id"]),
        ("call", view["call_id"]),
        ("state", view["state"]),
        ("next states", ", ".join(view["next_states"]) or "none (final)"),
        ("discipline", view["discipline"]),
        ("modality", view["modality"]),
        ("lead", f"{lead['name']} ({lead['country']})"),
        ("partners", partners or "none"),
        ("countries", ", ".join(view["team"]["countries"])),
        ("request", _amounts(view["request"])),
        ("version", str(view["version"])),
        ("created", view["created_at"]),
        ("updated", view["updated_at"]),
    ):
        table.add_row(field, value)
    out.print(table)
    if view["abstract"]:
        out.print(view["abstract"])


# --- calls --------------------------------------------------------------------------------------


@edge
def calls_list_command(database_url: DatabaseUrl = None, as_json: JsonFlag = False) -> None:
    """Every call, by opening time."""
    service = ProgramService.open(database_url)
    now = main.clock()
    items: list[dict[str, Any]] = []
    while True:
        page = service.list_calls(now=now, limit=_PAGE, offset=len(items))
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            break
    if as_json:
        _emit_json(items)
        return
    table = Table(title=f"Calls ({len(items)})", title_justify="left")
    for column in ("Id", "Title", "Opens (UTC)", "Closes (UTC)", "Open now", "Modalities"):
        table.add_column(column)
    for c in items:
        table.add_row(
            c["id"],
            c["title"],
            c["opens_at"],
            c["closes_at"],
            "yes" if c["open_now"] else "no",
            ", ".join(c["modalities"]),
        )
    _out().print(table)


@edge
def calls_show_command(
    call_id: Annotated[str, typer.Argument(help="The call's id, e.g. demo-synthetic-1.")],
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """One call: window, modalities, resource envelope, eligible countries."""
    view = ProgramService.open(database_url).get_call(call_id, now=main.clock())
    if as_json:
        _emit_json(view)
        return
    out = _out()
    out.print(f"[bold]{view['title']}[/bold] ({view['id']})")
    out.print(
        f"open {view['opens_at']} .. {view['closes_at']} "
        f"({'open now' if view['open_now'] else 'not open now'}); modalities: "
        f"{', '.join(view['modalities'])}"
    )
    table = Table(title="Envelope", title_justify="left")
    for column in ("Resource", "Amount", "Unit"):
        table.add_column(column)
    for name, entry in view["envelope"].items():
        table.add_row(name, f"{entry['amount']:g}", entry["unit"])
    out.print(table)
    out.print(f"eligible countries: {len(view['eligible_countries'])}")


@edge
def calls_create_command(
    file: FileOption,
    acting: WriteAs = ADMIN_USERNAME,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a call from a JSON file: {"id", "title", "modalities": [...], "opens_at", "closes_at",
    "envelope": {"crew_hours": ...}, "eligible_countries": [...] (optional: all UN member states)}.
    Acting account: program_officer or admin."""
    from spacehome.api.program_routes import CallIn

    data = _read_json(file)
    with _checked(file):
        body = CallIn.model_validate(data)
    service = ProgramService.open(database_url)
    _require(_account(service, acting), acting, Role.PROGRAM_OFFICER, Role.ADMIN)
    view = service.create_call(
        call_id=body.id,
        title=body.title,
        modalities=body.modalities,
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        envelope=body.envelope,
        eligible_countries=body.eligible_countries,
        now=main.clock(),
    )
    if as_json:
        _emit_json(view)
    else:
        typer.echo(f"created call '{view['id']}' ({view['opens_at']} .. {view['closes_at']})")


@edge
def calls_ranking_command(
    call_id: Annotated[str, typer.Argument(help="The call's id.")],
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """The call's reviewed proposals, best first (severity-normalised, trimmed mean of reviews)."""
    service = ProgramService.open(database_url)
    service.get_call(call_id, now=main.clock())  # an unknown call is one line, exit 2
    aggregates = ReviewService.open(database_url).ranking(call_id)
    view: list[dict[str, Any]] = [
        {
            "rank": n,
            "proposal_id": a.proposal_id,
            "title": service.store.get_proposal(a.proposal_id).proposal.title,
            "aggregate": a.aggregate,
            "reviews": a.count,
        }
        for n, a in enumerate(aggregates, start=1)
    ]
    if as_json:
        _emit_json(view)
        return
    table = Table(title=f"Ranking of {call_id} ({len(view)})", title_justify="left")
    for column in ("#", "Score", "Reviews", "Proposal", "Title"):
        table.add_column(column)
    for row in view:
        table.add_row(
            str(row["rank"]),
            f"{row['aggregate']:.3f}",
            str(row["reviews"]),
            row["proposal_id"],
            row["title"],
        )
    _out().print(table)


# --- proposals ----------------------------------------------------------------------------------


@edge
def proposals_list_command(
    call_id: Annotated[
        str | None, typer.Option("--call", help="Only this call's proposals.")
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Only proposals in this state.")
    ] = None,
    acting: ReadAs = None,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Proposals, oldest first (a partner's own with --as PARTNER)."""
    wanted = None if state is None else _state(state, "--state")
    service = ProgramService.open(database_url)
    actor = _reader(service, acting)
    if call_id is not None:  # an unknown call is an error, not an empty list
        service.get_call(call_id, now=main.clock())
    items = _all_proposals(service, actor, call_id)
    if wanted is not None:
        items = [p for p in items if p["state"] == wanted.value]
    if as_json:
        _emit_json(items)
        return
    table = Table(title=f"Proposals ({len(items)})", title_justify="left")
    for column in ("Id", "Call", "State", "Lead", "Countries", "Modality", "Title"):
        table.add_column(column)
    for p in items:
        lead = p["team"]["lead"]
        table.add_row(
            p["id"],
            p["call_id"],
            p["state"],
            f"{lead['name']} ({lead['country']})",
            ", ".join(p["team"]["countries"]),
            p["modality"],
            p["title"],
        )
    _out().print(table)


@edge
def proposals_show_command(
    proposal_id: Annotated[str, typer.Argument(help="The proposal's id.")],
    acting: ReadAs = None,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """One proposal: team, request, state and the states it may move to."""
    service = ProgramService.open(database_url)
    view = proposal_view(service.read_proposal(_reader(service, acting), proposal_id))
    if as_json:
        _emit_json(view)
        return
    _print_proposal(_out(), view)


@edge
def proposals_audit_command(
    proposal_id: Annotated[str, typer.Argument(help="The proposal's id.")],
    acting: ReadAs = None,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Every state change of a proposal: when, who (account and role), from, to, why."""
    service = ProgramService.open(database_url)
    view = service.audit(_reader(service, acting), proposal_id)
    names: dict[str, str] = {}
    for entry in view["items"]:
        if entry["actor"] not in names:
            user = service.store.get_user_by_id(entry["actor"])
            names[entry["actor"]] = user.username if user is not None else "(unknown account)"
        entry["actor_username"] = names[entry["actor"]]
    if as_json:
        _emit_json(view)
        return
    table = Table(title=f"Audit trail of {proposal_id} ({view['total']})", title_justify="left")
    for column in ("When (UTC)", "Who", "Role", "From", "To", "Why"):
        table.add_column(column)
    for e in view["items"]:
        table.add_row(e["at"], e["actor_username"], e["actor_role"], e["from"], e["to"], e["why"])
    _out().print(table)


@edge
def proposals_create_command(
    call_id: Annotated[str, typer.Option("--call", help="The call the proposal answers.")],
    file: FileOption,
    acting: Annotated[
        str, typer.Option("--as", help="The partner account that will own the draft.")
    ],
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Start a draft from a JSON file: {"title", "discipline", "modality", "team": {"lead":
    {"name", "country"}, "partners": [...]}, "request": {"crew_hours": ...}, "abstract"}.
    The acting account must be a partner; submit it with 'proposals transition ID --to submitted'."""
    from spacehome.api.program_routes import ProposalIn

    data = _read_json(file)
    with _checked(file):
        body = ProposalIn.model_validate(data)
    service = ProgramService.open(database_url)
    actor = _account(service, acting)
    _require(actor, acting, Role.PARTNER)
    stored = service.create_proposal(
        actor,
        call_id,
        title=body.title,
        discipline=body.discipline,
        modality=body.modality,
        team=body.team.model_dump(),
        request=body.request,
        abstract=body.abstract,
        now=main.clock(),
    )
    view = proposal_view(stored)
    if as_json:
        _emit_json(view)
    else:
        typer.echo(f"created draft proposal {view['id']} to call '{view['call_id']}'")


@edge
def proposals_transition_command(
    proposal_id: Annotated[str, typer.Argument(help="The proposal's id.")],
    to: Annotated[str, typer.Option("--to", help="The new state, e.g. under_review or rejected.")],
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why (required for rejected and conditionally_selected)."),
    ] = "",
    acting: WriteAs = ADMIN_USERNAME,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a proposal to another state, by the rules of the program (legal change, role,
    deadline for a submission, reason where required); the audit log names the acting account."""
    target = _state(to, "--to")
    if len(reason) > 2_000:
        raise ValidationError(f"--reason has {len(reason)} characters: keep it to 2000")
    if target in REASON_REQUIRED and not reason.strip():
        raise ValidationError(
            f"moving a proposal to '{target.value}' needs a reason: give --reason TEXT "
            "(the partner is told it)"
        )
    service = ProgramService.open(database_url)
    actor = _account(service, acting)
    current = service.read_proposal(actor, proposal_id)
    stored = service.change_state(
        actor, proposal_id, target, why=reason, expected_version=current.version, now=main.clock()
    )
    view = proposal_view(stored)
    if as_json:
        _emit_json(view)
    else:
        typer.echo(
            f"proposal {proposal_id}: {current.proposal.state.value} -> {view['state']} "
            f"(by {acting}, {actor.role.value})"
        )


# --- demo ---------------------------------------------------------------------------------------


class _Bar:
    """A Rich progress bar on stderr, shown only on a terminal."""

    def __init__(self) -> None:
        console = Console(stderr=True)
        self.enabled = console.is_terminal
        self.progress = Progress(
            TextColumn("[bold]seeding[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[what]}"),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("seed", total=None, what="")
        self.started = False

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self.enabled:
            return
        if not self.started:
            self.progress.start()
            self.started = True
        self.progress.update(self.task, completed=done, total=total, what=what)

    def stop(self) -> None:
        if self.started:
            self.progress.stop()


@edge
def demo_seed_command(
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same content.")
    ] = 1,
    proposals: Annotated[
        int,
        typer.Option(
            "--proposals",
            help=f"Number of synthetic proposals ({demo.MIN_PROPOSALS}..{demo.MAX_PROPOSALS}).",
        ),
    ] = demo.DEFAULT_PROPOSALS,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Seed a clearly labelled SYNTHETIC call with proposals from many countries, reviewers,
    a conflict-free assignment and reviews, so ranking and selection have something to show.
    Refused when the demo is already in the database."""
    bar = _Bar()
    try:
        result = demo.seed_demo(
            database_url, now=main.clock(), seed=seed, proposals=proposals, progress=bar
        )
    finally:
        bar.stop()
    view = result.view()
    if as_json:
        _emit_json(view)
        return
    out = _out()
    call = view["call"]
    out.print(f"[bold]Seeded {call['id']}[/bold]: {call['title']}")
    out.print(
        f"{view['proposals']} synthetic proposals (all submitted, now under review) from "
        f"{len(view['countries'])} countries in {len(view['regions'])} UN regional groups; "
        f"{len(view['ldc_countries'])} least developed countries "
        f"({', '.join(view['ldc_countries'])}); {view['reviews']} reviews"
    )
    asked = "; ".join(
        f"{name} {view['demand'][name]:g} asked / {entry['amount']:g} offered"
        for name, entry in call["envelope"].items()
    )
    out.print(f"requests against the envelope: {asked}")
    real = view["first_cycle"]
    out.print(
        f"next to it, the real record: {real['projects']} projects of the first UNOOSA-CMSA cycle "
        f"({real['cycle']}; {real['added']} added now)"
    )
    accounts = Table(title=f"Demo accounts ({len(view['accounts'])})", title_justify="left")
    for column in ("Username", "Role", "Organisation", "Country"):
        accounts.add_column(column)
    for a in view["accounts"]:
        accounts.add_row(a["username"], a["role"], a["organisation"], a["country"])
    out.print(accounts)
    ranking = Table(title="Ranking, top 10", title_justify="left")
    for column in ("#", "Score", "Lead", "Title", "Proposal"):
        ranking.add_column(column)
    for n, r in enumerate(view["ranking"][:10], start=1):
        ranking.add_row(
            str(n), f"{r['aggregate']:.3f}", r["lead_country"], r["title"], r["proposal_id"]
        )
    out.print(ranking)
    out.print(
        f"[bold]Password of every demo account[/bold] (demo database only; shown once): {view['password']}"
    )
    out.print(
        f"Next: 'spacehome serve', log in as {demo.OFFICER_USERNAME} and POST "
        f"/api/v1/calls/{call['id']}/selection; or 'spacehome calls ranking {call['id']}'."
    )


def register(app: typer.Typer) -> None:
    calls_app.command("list")(calls_list_command)
    calls_app.command("show")(calls_show_command)
    calls_app.command("create")(calls_create_command)
    calls_app.command("ranking")(calls_ranking_command)
    proposals_app.command("list")(proposals_list_command)
    proposals_app.command("show")(proposals_show_command)
    proposals_app.command("audit")(proposals_audit_command)
    proposals_app.command("create")(proposals_create_command)
    proposals_app.command("transition")(proposals_transition_command)
    demo_app.command("seed")(demo_seed_command)
    app.add_typer(calls_app, name="calls")
    app.add_typer(proposals_app, name="proposals")
    app.add_typer(demo_app, name="demo")
