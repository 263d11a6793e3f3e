"""``spacehome serve``, ``spacehome db upgrade`` and ``spacehome users create``."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from spacehome.persistence.engine import default_database_url, open_database
from spacehome.services import accounts
from spacehome.services.reference import load_reference_data

from . import main
from .main import JsonFlag, _emit_json, edge

db_app = typer.Typer(help="The project database (SQLite by default; SPACEHOME_DATABASE_URL for PostgreSQL).", no_args_is_help=True)
users_app = typer.Typer(help="Accounts for the API: partners, reviewers, program officers, planners, admins.", no_args_is_help=True)


def _masked(url: str) -> str:
    return url.split("@", 1)[-1] if "@" in url else url


@edge
def upgrade_command() -> None:
    """Create the database if needed, bring its schema to the newest revision and load the
    station record's reference data (first-cycle projects, astronaut candidates)."""
    url = default_database_url()
    open_database(url)
    typer.echo(f"database {_masked(url)} is at the newest schema revision")
    typer.echo(load_reference_data(url, now=main.clock()).summary())


@edge
def create_user_command(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help="partner, reviewer, program_officer, planner or admin.")],
    partner_org: Annotated[str | None, typer.Option("--partner-org", help="For a partner: the institution it acts for.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an account; the password is asked for (twice) and never echoed."""
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        typer.echo("error: the two passwords differ; run the command again", err=True)
        raise typer.Exit(code=2)
    user = accounts.create_account(
        accounts.program_store(), username, role, password, now=main.clock(), partner_org=partner_org
    )
    view = accounts.account_view(user)
    if as_json:
        _emit_json(view)
    else:
        typer.echo(f"created {view['role']} account '{view['username']}'")


@edge
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """Serve the API on the embedded database; on first start, create an admin and print its login."""
    import uvicorn

    from spacehome.api.main import build_app

    url = default_database_url()
    store = accounts.program_store(url)
    password = accounts.ensure_admin(store, now=main.clock())
    typer.echo(f"database: {_masked(url)}")
    typer.echo(load_reference_data(url, now=main.clock()).summary())
    if password is not None:
        typer.echo(f"first start: created the account '{accounts.ADMIN_USERNAME}' with the password {password}")
        typer.echo("  (shown once; log in and create other accounts with 'spacehome users create')")
    typer.echo(f"dashboard: http://{host}:{port}/  (log in at http://{host}:{port}/login)")
    typer.echo(f"API: http://{host}:{port}/api/v1/docs  (OpenAPI: http://{host}:{port}/api/v1/openapi.json)")
    uvicorn.run(build_app(url), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    db_app.command("upgrade")(upgrade_command)
    users_app.command("create")(create_user_command)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.command("serve")(serve_command)
