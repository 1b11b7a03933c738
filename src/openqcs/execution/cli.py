"""``openqcs worker``: a process that runs queued execution jobs (as many as you like, on PostgreSQL)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Optional

import typer


def worker(
    threads: Annotated[int, typer.Option(help="Jobs run at once by this process.")] = 1,
    database_url: Annotated[Optional[str], typer.Option("--database-url", help="[OPENQCS_DATABASE_URL]")] = None,
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", help="[OPENQCS_DATA_DIR]")] = None,
) -> None:
    """Run queued execution jobs until stopped (SIGTERM/SIGINT finish the current job first)."""
    from openqcs import logs
    from openqcs.cli import settings_from
    from openqcs.context import AppContext
    from openqcs.execution.worker import start_workers, stop_workers

    if threads < 1:
        raise typer.BadParameter("--threads must be at least 1")
    settings = settings_from(database_url=database_url, data_dir=data_dir)
    logs.configure(settings.log_level)
    ctx = AppContext.create(settings)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    workers, running = start_workers(ctx, threads)
    typer.echo(f"openqcs worker: {threads} thread(s) on {settings.db_url.split('@')[-1]}")
    try:
        while not done.wait(0.5):
            pass
    finally:
        stop_workers(workers, running, timeout=60)
        ctx.close()


commands = [worker]
