"""``openqcs status``, ``reset``, ``state export|import``, ``clock …`` and ``admin fault …``."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from openqcs.commands import DatabaseUrl, DataDir, admin_context, database_problem, settings_from
from openqcs.config import Settings
from openqcs.core import clock, faults, state

state_app = typer.Typer(help="Portable JSON snapshots of the whole state.", no_args_is_help=True)
clock_app = typer.Typer(help="The server's test clock (OPENQCS_CLOCK_FILE).", no_args_is_help=True)
fault_app = typer.Typer(help="Faults on purpose: REST calls that wait or fail.", no_args_is_help=True)
top_groups = {"state": state_app, "clock": clock_app}
groups = {"fault": fault_app}


def _listening(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _answers(url: str) -> bool:
    from urllib.error import URLError
    from urllib.request import urlopen

    try:
        with urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (URLError, OSError, ValueError):
        return False


def status(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """What runs where, the database, and counts of users, processors and queued jobs."""
    settings = settings_from(database_url=database_url, data_dir=data_dir)
    up = _answers(settings.api_url + "/v1/healthcheck")
    typer.echo(f"api        {settings.api_url}  {'up' if up else 'not answering'}")
    listeners = [("grpc", settings.grpc_url, settings.grpc_port), ("issuer", settings.issuer, settings.https_port),
                 ("quilc", settings.quilc_url, settings.quilc_port), ("qvm", settings.qvm_url, settings.qvm_port)]
    for name, url, port in listeners:
        if name == "issuer":
            typer.echo(f"{name:<10} {url}")
        elif port:
            typer.echo(f"{name:<10} {url}  {'up' if _listening(settings.host, port) else 'not answering'}")
    typer.echo(f"clock      {'test clock ' + settings.clock_file if settings.clock_file else 'system'}")
    typer.echo(f"database   {settings.db_url.split('@')[-1]}")
    problem = database_problem(settings)
    if problem:
        typer.echo(f"           {problem}")
        raise typer.Exit(1)
    with admin_context(database_url, data_dir) as ctx, ctx.db.session() as session:
        counts = state.counts(session)
        from sqlalchemy import func, select

        from openqcs.execution.models import ExecutionJob

        queued = session.scalar(select(func.count()).select_from(ExecutionJob).where(ExecutionJob.status == "QUEUED"))
    typer.echo(f"users {counts['users']}, groups {counts['groups']}, processors {counts['quantum_processors']}, "
               f"reservations {counts['reservations']}, queued jobs {queued}")


def reset(empty: Annotated[bool, typer.Option("--empty", help="No users, no processors: as after migrations.")] = False,
          yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm.")] = False,
          database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Throw away all state: back to the demo seed (or empty). Keeps the server's keys."""
    with admin_context(database_url, data_dir) as ctx:
        if not yes:
            typer.confirm(f"erase everything in {ctx.settings.db_url.split('@')[-1]}?", abort=True)
        tables = state.reset(ctx, empty=empty)
    typer.echo(f"reset to {'empty' if empty else 'the demo seed'}: {tables['users']} users, "
               f"{tables['quantum_processors']} processors")


@state_app.command("export")
def state_export(file: Annotated[Path, typer.Argument(help="Where to write the JSON snapshot ('-': stdout).")],
                 database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Write users, groups, processors and ISAs, prices, ledger, reservations… as one JSON file."""
    with admin_context(database_url, data_dir) as ctx, ctx.db.session() as session:
        snapshot = state.export_state(session)
    text = json.dumps(snapshot, separators=(",", ":"))
    if str(file) == "-":
        typer.echo(text)
        return
    file.write_text(text)
    rows = sum(len(t["rows"]) for t in snapshot["tables"].values())
    typer.echo(f"wrote {rows} rows of {len(snapshot['tables'])} tables to {file}", err=True)


@state_app.command("import")
def state_import(file: Annotated[Path, typer.Argument(help="A snapshot from `state export`.")],
                 yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm.")] = False,
                 database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Replace all state with a snapshot (all or nothing)."""
    try:
        snapshot = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        typer.echo(f"error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(1) from None
    with admin_context(database_url, data_dir) as ctx:
        if not yes:
            typer.confirm(f"replace everything in {ctx.settings.db_url.split('@')[-1]} with {file}?", abort=True)
        with ctx.db.session(write=True) as session:
            tables = state.import_state(session, snapshot)
    typer.echo(f"imported {sum(tables.values())} rows: {tables['users']} users, "
               f"{tables['quantum_processors']} processors")


def _clock_settings(data_dir: str | None) -> Settings:
    return settings_from(data_dir=data_dir)


def _show(settings: Settings) -> None:
    shown = clock.describe(settings)
    typer.echo(f"{shown['now']} (offset {shown['offsetSeconds']:+.0f} s)")


def _clock_errors(fn: Callable[[], object]) -> None:
    from openqcs.errors import OpenQCSError

    try:
        fn()
    except OpenQCSError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


@clock_app.command("show")
def clock_show(data_dir: DataDir = None) -> None:
    """The server's now and its offset from real time."""
    settings = _clock_settings(data_dir)
    _clock_errors(lambda: clock.clock_file(settings))
    _show(settings)


@clock_app.command("set")
def clock_set(when: Annotated[str | None,
                              typer.Argument(help="ISO 8601 time with zone, e.g. 2030-01-01T00:00:00Z")] = None,
              offset: Annotated[float | None, typer.Option("--offset", help="Seconds from real time instead.")] = None,
              data_dir: DataDir = None) -> None:
    """Set the server's now (it keeps ticking from there); `--offset 0` goes back to real time."""
    settings = _clock_settings(data_dir)
    if (when is None) == (offset is None):
        raise typer.BadParameter("give a time or --offset SECONDS")
    _clock_errors(lambda: clock.set_now(settings, clock.parse_time(when)) if when is not None
                  else clock.set_offset(settings, offset or 0.0))
    _show(settings)


@clock_app.command("advance")
def clock_advance(seconds: Annotated[float, typer.Argument(help="Seconds to move forward (negative: back).")],
                  data_dir: DataDir = None) -> None:
    """Move the server's clock by SECONDS."""
    settings = _clock_settings(data_dir)
    _clock_errors(lambda: clock.advance(settings, seconds))
    _show(settings)


@fault_app.command("add")
def fault_add(path: Annotated[str, typer.Option(help="URL path prefix, e.g. /v1/quantumProcessors.")] = "/v1/",
              method: Annotated[str, typer.Option(help="Only this method (default: any).")] = "",
              status: Annotated[int, typer.Option(help="Answer with this HTTP status (0: delay only).")] = 0,
              latency_ms: Annotated[int, typer.Option("--latency-ms", help="Wait this long first.")] = 0,
              fraction: Annotated[float, typer.Option(help="Share of matching calls affected, (0, 1].")] = 1.0,
              message: Annotated[str, typer.Option(help="The error message clients see.")] = "",
              database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Make REST calls wait or fail (running servers notice within a second)."""
    spec = faults.FaultSpec(path=path, method=method, status=status, latencyMs=latency_ms, fraction=fraction,
                            message=message)
    with admin_context(database_url, data_dir) as ctx, ctx.db.session(write=True) as session:
        typer.echo(json.dumps(faults.add_fault(session, spec)))


@fault_app.command("list")
def fault_list(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Every fault in force, one JSON object per line."""
    with admin_context(database_url, data_dir) as ctx, ctx.db.session() as session:
        for fault in faults.list_faults(session):
            typer.echo(json.dumps(faults.to_wire(fault)))


@fault_app.command("clear")
def fault_clear(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Remove every fault."""
    with admin_context(database_url, data_dir) as ctx, ctx.db.session(write=True) as session:
        typer.echo(f"{faults.clear_faults(session)} faults removed")


commands = [status, reset]
