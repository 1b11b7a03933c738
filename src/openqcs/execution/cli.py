"""``openqcs worker`` (a process that runs queued jobs; as many as you like on PostgreSQL) and
``openqcs admin job list|show|cancel``."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from openqcs.commands import DatabaseUrl, DataDir, admin_context

job_app = typer.Typer(help="Execution jobs of every user: list, show, cancel.", no_args_is_help=True)
groups = {"job": job_app}


def worker(
    threads: Annotated[int, typer.Option(help="Jobs run at once by this process (one simulation process each).")] = 1,
    database_url: Annotated[str | None, typer.Option("--database-url", help="[OPENQCS_DATABASE_URL]")] = None,
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="[OPENQCS_DATA_DIR]")] = None,
) -> None:
    """Run queued execution jobs until stopped (SIGTERM/SIGINT finish the current jobs first)."""
    from openqcs import logs
    from openqcs.commands import settings_from
    from openqcs.context import AppContext
    from openqcs.domains import load_models
    from openqcs.execution.server import start_execution

    if threads < 1:
        raise typer.BadParameter("--threads must be at least 1")
    settings = settings_from(database_url=database_url, data_dir=data_dir)
    logs.configure(settings.log_level)
    load_models()
    ctx = AppContext.create(settings)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    stop = start_execution(ctx, threads)
    typer.echo(f"openqcs worker: {threads} simulation process(es) on {settings.db_url.split('@')[-1]}")
    try:
        while not done.wait(0.5):
            pass
    finally:
        stop()
        ctx.close()


def _duration(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}s"


@job_app.command("list")
def job_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's jobs (email).")] = None,
    processor: Annotated[str | None, typer.Option("--processor", help="Only jobs on this processor.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="queued, running, succeeded, failed or "
                                                               "cancelled.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Jobs of all users, newest first: id, user, processor, status, shots, attempts, run time."""
    from openqcs.execution.admin import list_jobs

    with admin_context(database_url, data_dir) as ctx, ctx.db.session() as session:
        rows = list_jobs(session, user=user, processor_id=processor, status=status, limit=limit)
        now = ctx.clock.now()
    typer.echo(f"{'JOB':<40} {'USER':<32} {'PROCESSOR':<16} {'STATUS':<10} {'SHOTS':>7} {'TRIES':>5} {'DURATION':>9}")
    for row in rows:
        typer.echo(f"{row.id:<40} {row.user:<32} {row.processor_id:<16} {row.status:<10} {row.shots:>7} "
                   f"{row.attempts:>5} {_duration(row.run_seconds(now)):>9}")


@job_app.command("show")
def job_show(job_id: str, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Everything about one job, its program included."""
    from openqcs.execution.admin import get_job_row

    with admin_context(database_url, data_dir) as ctx, ctx.db.session() as session:
        row = get_job_row(session, job_id)
        now = ctx.clock.now()
    for label, value in (("job", row.id), ("user", row.user), ("account", row.account),
                         ("processor", row.processor_id), ("status", row.status),
                         ("message", row.status_message or "-"), ("shots", row.shots), ("attempts", row.attempts),
                         ("created", row.created_time.isoformat()),
                         ("started", row.started_time.isoformat() if row.started_time else "-"),
                         ("finished", row.finished_time.isoformat() if row.finished_time else "-"),
                         ("duration", _duration(row.run_seconds(now)))):
        typer.echo(f"{label + ':':<11}{value}")
    typer.echo("program:")
    typer.echo(row.program.rstrip())


@job_app.command("cancel")
def job_cancel(job_id: str, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Cancel a queued or running job of any user; a running one's simulation is stopped."""
    from openqcs.execution.admin import cancel_any

    with admin_context(database_url, data_dir) as ctx, ctx.db.session(write=True) as session:
        cancel_any(session, job_id, ctx.clock.now())
    typer.echo(f"cancelled {job_id}")  # its worker sees the cancel within a second and stops it


commands = [worker]
