"""``openqcs admin maintenance add|list|remove``: a processor's maintenance windows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from openqcs.commands import DatabaseUrl, DataDir
from openqcs.commands import admin_context as _context
from openqcs.reservations.models import MaintenanceWindow

maintenance_app = typer.Typer(help="Processor maintenance windows (they block reservations).", no_args_is_help=True)
groups = {"maintenance": maintenance_app}


def _time(text: str, name: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{name} '{text}' is not an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _as_dict(window: MaintenanceWindow) -> dict[str, Any]:
    return {"id": window.id, "processor": window.processor_id, "start": window.start_time.isoformat(),
            "end": window.end_time.isoformat(), "summary": window.summary}


@maintenance_app.command("add")
def add(
    processor: Annotated[str, typer.Option("--processor", help="Quantum processor id.")],
    start: Annotated[str, typer.Option("--start", help="ISO 8601 (UTC when no offset).")],
    end: Annotated[str, typer.Option("--end", help="ISO 8601 (UTC when no offset).")],
    summary: Annotated[str, typer.Option("--summary")] = "Maintenance",
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Add a maintenance window; prints it as JSON."""
    from openqcs.processors.service import require_processor
    from openqcs.reservations.service import add_maintenance, busy_intervals

    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            require_processor(session, processor)
            start_time, end_time = _time(start, "--start"), _time(end, "--end")
            clashes = busy_intervals(session, processor, start_time, end_time)
            window = add_maintenance(session, processor, start_time, end_time, summary, ctx.clock.now())
            typer.echo(json.dumps(_as_dict(window)))
        if clashes:
            typer.echo(f"warning: {len(clashes)} existing booking(s) overlap this window", err=True)


@maintenance_app.command("list")
def list_windows(
    processor: Annotated[str, typer.Option("--processor", help="Quantum processor id.")],
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Print the processor's maintenance windows, one JSON object a line."""
    from openqcs.reservations.service import maintenance_windows

    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        for window in maintenance_windows(session, processor):
            typer.echo(json.dumps(_as_dict(window)))


@maintenance_app.command("remove")
def remove(
    window_id: Annotated[int, typer.Argument(help="Window id (from list).")],
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Delete a maintenance window."""
    from openqcs.reservations.service import remove_maintenance

    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            remove_maintenance(session, window_id)
        typer.echo(f"removed maintenance window {window_id}")
