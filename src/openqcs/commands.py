"""The ``openqcs`` command's Typer app: serve, worker, db, seed, admin, client-config.

Domains add ``openqcs admin <group> …`` through their ``cli.py`` (``groups``: a dict of
group name -> Typer app, e.g. ``{"user": …, "group": …}``), top-level commands through
``commands`` (a list of functions) and top-level groups through ``top_groups``
(``openqcs state …``). The entry point is ``openqcs.cli.main``, which starts ``serve`` without
importing this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openqcs.config import Settings, load_settings
from openqcs.domains import submodules

if TYPE_CHECKING:
    from openqcs.context import AppContext

app = typer.Typer(help="openqcs: a self-hosted Rigetti QCS.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
admin_app = typer.Typer(help="Administer users, groups, credit, processors, prices, announcements.",
                        no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")



def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"openqcs {version('openqcs')}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                  help="Print the version and exit.")] = False) -> None:
    """openqcs: a self-hosted Rigetti QCS."""


DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL [OPENQCS_DATABASE_URL]")]
DataDir = Annotated[str | None, typer.Option("--data-dir", help="SQLite file and keys [OPENQCS_DATA_DIR]")]


def settings_from(**flags: Any) -> Settings:
    """Settings from the environment, with the given CLI flags on top."""
    try:
        return load_settings(**flags)
    except (TypeError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None


def database_problem(settings: Settings) -> str | None:
    """Why an admin command cannot use the database (missing, unreachable, not migrated), in one
    line; checked before connecting, because SQLite creates a missing file on connect."""
    from openqcs.db.migrate import current_heads

    url = settings.db_url
    where = "OPENQCS_DATABASE_URL" if settings.database_url else "OPENQCS_DATA_DIR"
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return (f"no openqcs database at {url.removeprefix('sqlite:///')}: set {where} as the server has it "
                "(or run `openqcs db upgrade` to create one)")
    try:
        heads = current_heads(url)
    except Exception as exc:
        return f"cannot open the database {url.split('@')[-1]}: {str(exc).splitlines()[0]} (check {where})"
    if not heads:
        return f"the database {url.split('@')[-1]} is not migrated: run `openqcs db upgrade` (or start the server)"
    return None


def open_context(settings: Settings) -> AppContext:
    """The AppContext of a command, or a one-line error and exit code 1 when the database is unusable."""
    from openqcs.context import AppContext

    problem = database_problem(settings)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)
    return AppContext.create(settings)


@contextmanager
def admin_context(database_url: str | None, data_dir: str | None) -> Iterator[AppContext]:
    """The context of one admin command: a domain error becomes ``error: …`` and exit code 1."""
    from openqcs.errors import OpenQCSError

    ctx = open_context(settings_from(database_url=database_url, data_dir=data_dir))
    try:
        yield ctx
    except OpenQCSError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        for problem in getattr(exc, "problems", [])[1:]:
            typer.echo(f"  - {problem.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        ctx.close()


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Apply all migrations (every domain's branch) to the database."""
    from openqcs.db.migrate import upgrade

    settings = settings_from(database_url=database_url, data_dir=data_dir)
    upgrade(settings.db_url)
    typer.echo(f"database at head: {settings.db_url.split('@')[-1]}")


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Demo users, groups, processors, prices.")] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Load demo data (idempotent: running it twice changes nothing)."""
    if not demo:
        raise typer.BadParameter("say what to seed: --demo")
    ctx = open_context(settings_from(database_url=database_url, data_dir=data_dir))
    try:
        for module in submodules("seed"):
            module.seed_demo(ctx)
    finally:
        ctx.close()
    typer.echo("demo data seeded")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="[OPENQCS_HOST]")] = None,
    port: Annotated[int | None, typer.Option("--port", help="HTTP port [OPENQCS_HTTP_PORT]")] = None,
    grpc_port: Annotated[int | None, typer.Option(help="[OPENQCS_GRPC_PORT]")] = None,
    workers: Annotated[int | None, typer.Option(help="HTTP worker processes [OPENQCS_WORKERS]")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    api_only: Annotated[bool | None, typer.Option("--api-only", help="No gRPC, no job worker.")] = None,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first.")] = True,
) -> None:
    """Serve the HTTP API (granian) and, unless --api-only, the gRPC services and a job worker."""
    # `main` reads these flags itself (plain_serve_args): a flag added here and not there is read
    # by Typer, as before; one whose meaning changes must change there too.
    from openqcs.server import run

    settings = settings_from(host=host, http_port=port, grpc_port=grpc_port, workers=workers,
                             database_url=database_url, data_dir=data_dir, api_only=api_only)
    run(settings, migrate=migrate)


_built = False


def build() -> typer.Typer:
    """The whole command, with every domain's groups and commands (wired once per process)."""
    global _built
    if _built:
        return app
    _built = True
    for module in submodules("cli"):
        for name, group in getattr(module, "groups", {}).items():
            admin_app.add_typer(group, name=name)
        for command in getattr(module, "commands", []):
            app.command()(command)
        for name, group in getattr(module, "top_groups", {}).items():
            app.add_typer(group, name=name)
    return app
