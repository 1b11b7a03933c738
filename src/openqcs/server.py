"""``openqcs serve``: migrations, then the HTTP API on granian plus each domain's background
services (gRPC, job workers, the HTTPS issuer) from their ``server.start``.

The background services run in a process of their own, forked first thing, before this process
has a thread, a database connection or the app: granian forks its HTTP workers from this
process, and a fork taken while other threads hold SQLite connections leaves the child with lock
state it can never release (writes then hang until the busy timeout). Forked this early the
services process starts at once (no interpreter start, no second import of the command or the
tables) and imports the rest of what it needs beside this process importing the app.

This process also builds the HTTP app before granian forks its workers from it: they only serve
it (built once however many there are).

The garbage collector is off while a process starts (a start makes hundreds of thousands of
objects and almost no garbage: the collections were a sixth of the start), and what exists by
then is frozen before each fork (``gc.freeze``), so no collection in a child walks, and so
copies, the pages it shares with its parent. It comes back on once a process has started: this
one (and so the HTTP workers) once the app is built, the services process once gRPC is up.
"""

from __future__ import annotations

import gc
import importlib
import logging
import multiprocessing
import os
import re
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventLike
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from openqcs import logs
from openqcs.config import ENV_PREFIX, Settings
from openqcs.core.processes import WORKER_KILL_SECONDS, stop_signals_default
from openqcs.domains import DOMAINS, load_models, submodules

log = logging.getLogger("openqcs.server")


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as OPENQCS_* variables, so granian's worker processes rebuild the same ones."""
    env = {}
    for name, value in msgspec.structs.asdict(settings).items():
        env[ENV_PREFIX + name.upper()] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return env


API_WAIT_SECONDS = 15.0

# The servers imported (and, with ``START_FIRST``, started) before the others, which are imported
# only once the HTTP API has loaded (the HTTPS issuer's x509 alone is ~35 ms of CPU). Only a matter
# of CPU, like SHARED_MODULES: START_FIRST decides what starts first.
FIRST_SERVERS = ("openqcs.execution.server",)

# What gRPC's calls and the app both import (authentication, the booking and billing services,
# the metrics library): imported before the services fork, once for both processes, like the
# tables. Only a matter of CPU: a module missing here is imported where it is used.
SHARED_MODULES = ("openqcs.identity.authentication", "openqcs.billing.rates", "openqcs.reservations.service",
                  "openqcs.endpoints.service", "openqcs.processors.service", "openqcs.core.service",
                  "prometheus_client")


def run_services(settings: Settings, ready: EventLike | None = None, migrated: EventLike | None = None,
                 api_up: EventLike | None = None) -> None:
    """Start every domain's background services and keep them until SIGTERM/SIGINT (or until the
    process that started this one dies).

    With ``migrated``, import the first servers and touch the database once it is set: the
    imports overlap with the migrations and the app import in ``run``. The services clients wait
    for (a server module's ``START_FIRST``: gRPC) start first; with ``api_up``, the rest (the HTTPS
    issuer, quilc, the QVM: seconds of imports between them) are imported and started once the
    HTTP API has loaded, so on a small machine they do not slow the start of what users reach
    first."""
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    logs.configure(settings.log_level)
    _die_with(multiprocessing.parent_process(), done)
    from openqcs.context import AppContext

    load_models()  # every domain's tables, so cross-domain foreign keys resolve in this process
    hinted = [importlib.import_module(name) for name in FIRST_SERVERS]
    first = [m for m in hinted if getattr(m, "START_FIRST", False)]
    if migrated is not None and not _wait(migrated, done, None):
        return
    ctx = AppContext.create(settings)
    stops: list[Callable[[], None]] = []

    def start(modules: list[ModuleType]) -> None:
        for module in modules:
            if done.is_set():  # stopped while starting: start nothing more
                return
            stop = module.start(ctx)
            if stop is not None:
                stops.append(stop)

    try:
        start(first)
        _serving()  # gRPC is up
        if api_up is not None and not done.is_set():
            _wait(api_up, done, API_WAIT_SECONDS)  # an HTTP worker that never loads delays them only so long
        later = [m for m in submodules("server") if m not in first]
        later.sort(key=lambda m: not getattr(m, "START_FIRST", False))  # a START_FIRST not hinted: still first
        start(later)
        if ready is not None and not done.is_set():
            ready.set()
        done.wait()
    finally:
        for stop in reversed(stops):
            try:
                stop()
            except Exception:
                log.exception("a background service did not stop cleanly")
        ctx.close()


def _serving() -> None:
    """A process that has started: what it holds by now stays, the collector runs from here on."""
    gc.freeze()
    gc.enable()


def _wait(event: EventLike, done: threading.Event, timeout: float | None) -> bool:
    """Wait for ``event`` (a process-shared one) unless ``done`` is set first or time runs out."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not event.wait(0.05):
        if done.is_set() or (deadline is not None and time.monotonic() > deadline):
            return False
    return True


def _die_with(parent: BaseProcess | None, done: threading.Event) -> None:
    """Stop when ``parent`` is gone, even when it was killed with SIGKILL (no orphaned gRPC
    server keeps the ports)."""
    if parent is None:
        return
    sentinel = parent.sentinel  # readable once the parent has exited

    def watch() -> None:
        from multiprocessing.connection import wait

        wait([sentinel])
        done.set()

    threading.Thread(target=watch, name="openqcs-parent-watch", daemon=True).start()


def port_is_free(host: str, port: int) -> bool:
    """granian binds with SO_REUSEPORT, so a second server on a taken port would silently share
    it; check with a plain bind first."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # SO_REUSEADDR still fails on a live listener, but not on the TIME_WAIT connections a
        # killed server leaves behind (a restart after kill -9 must not wait a minute).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


_REVISION = re.compile(r'^revision(?:: [^=]+)? = "([^"]+)"$', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision(?:: [^=]+)? = (None|"[^"]+"|\((?:"[^"]+",? ?)+\))$', re.MULTILINE)


def migration_heads() -> set[str] | None:
    """The heads of every domain's migration scripts, read without importing alembic (whose
    import alone is a fifth of a start); None when a script is not in the plain form read here."""
    package = Path(__file__).resolve().parent
    revisions: set[str] = set()
    parents: set[str] = set()
    for domain in DOMAINS:
        for script in (package / domain / "migrations").glob("*.py"):
            text = script.read_text()
            revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
            if revision is None or down is None:
                return None
            revisions.add(revision.group(1))
            parents.update(re.findall(r'"([^"]+)"', down.group(1)))
    return revisions - parents


def database_at_head(url: str) -> bool:
    """Whether the database is migrated to exactly the scripts' heads (then ``upgrade`` would
    do nothing); False whenever that is not certain."""
    heads = migration_heads()
    if not heads or (url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file()):
        return False
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from openqcs.db.engine import normalize_url

    engine = create_engine(normalize_url(url), poolclass=NullPool)  # no connection outlives this
    try:
        with engine.connect() as connection:
            current = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:  # no version table yet, or unreachable: alembic will say what is wrong
        return False
    finally:
        engine.dispose()
    return current == heads


def _watch_services(services: BaseProcess, ready: EventLike) -> None:
    if ready.wait(120) and services.is_alive():
        return
    log.error("the background services did not start; stopping (see the log above)")
    os.kill(os.getpid(), signal.SIGTERM)


_api_up: EventLike | None = None  # set by the first HTTP worker that has loaded the app
_app: Any = None  # the app, built in this process before granian forks its workers


def _load_app() -> Any:
    """In each granian worker (forked from this process, which built the app already)."""
    stop_signals_default()
    if _api_up is not None:
        _api_up.set()
    return _app


class _Stopped(Exception):
    """SIGTERM/SIGINT before granian took over the signals."""


def _raise_stopped(*_: object) -> None:
    raise _Stopped


def run(settings: Settings, *, migrate: bool = True) -> None:
    gc.disable()  # until the services process and the HTTP workers are forked (see the docstring)
    logs.configure(settings.log_level)
    ports = [settings.http_port] + ([] if settings.api_only else [settings.grpc_port])
    ports += [p for p in (settings.https_port, settings.controller_port) if p]
    if not settings.api_only:
        ports += [p for p in (settings.quilc_port, settings.qvm_port) if p]
    for port in ports:
        if not port_is_free(settings.host, port):
            raise SystemExit(f"openqcs: {settings.host}:{port} is already in use (choose other ports with "
                             "OPENQCS_HTTP_PORT / OPENQCS_GRPC_PORT to run a second instance)")
    os.makedirs(settings.data_dir, exist_ok=True)
    os.environ.update(settings_env(settings))
    # Multiprocess metrics even with one HTTP worker: the services process (gRPC, jobs) writes them too.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="openqcs-metrics-")
    # Until granian sets its own handlers, a SIGTERM unwinds to the clean-up below.
    stop_signals = (signal.SIGTERM, signal.SIGINT)
    for sig in stop_signals:
        signal.signal(sig, _raise_stopped)

    # The services process first (see the module's docstring); it touches the database once
    # ``migrated`` is set. The tables (SQLAlchemy and every domain's models) are imported before
    # the fork, once for both processes: both need them, and on a busy machine the work counts.
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import configure_mappers

    import openqcs.context  # noqa: F401
    from openqcs.db.engine import normalize_url

    load_models()
    for name in SHARED_MODULES:
        importlib.import_module(name)
    # The database's dialect and driver, which each process would import with its first engine
    # (~12 ms for SQLite, ~150 ms for PostgreSQL and psycopg).
    make_url(normalize_url(settings.db_url)).get_dialect().import_dbapi()
    configure_mappers()  # else each process does it on its first query (about 35 ms)
    gc.freeze()
    fork = multiprocessing.get_context("fork")
    global _api_up
    ready, migrated, _api_up = fork.Event(), fork.Event(), fork.Event()
    services = fork.Process(target=run_services, args=(settings, ready, migrated, _api_up),
                            name="openqcs-services", daemon=False)
    try:
        services.start()
        if migrate and not database_at_head(settings.db_url):
            from openqcs.db.migrate import upgrade

            upgrade(settings.db_url)
            gc.collect()  # what the migrations left, before it would be frozen for good
        migrated.set()
        # granian forks its HTTP workers from this process: building the app here (no thread, no
        # connection yet) leaves each worker only serving it, and it is built once for them all.
        import anyio._backends._asyncio  # noqa: F401  # what anyio imports on the first request

        from openqcs.app import asgi

        global _app
        _app = asgi()
        from granian import Granian
        from granian.constants import Interfaces

        # If the services never come up, the whole server stops rather than serving half of openqcs.
        threading.Thread(target=_watch_services, args=(services, ready), daemon=True).start()
        log.info("serving", extra={"api_url": settings.api_url, "grpc_url": settings.grpc_url,
                                   "issuer": settings.issuer, "database": settings.db_url.split("@")[-1]})
        _serving()
        Granian(
            "openqcs.app:asgi",
            address=settings.host,
            port=settings.http_port,
            interface=Interfaces.ASGI,
            workers=settings.workers,
            workers_kill_timeout=WORKER_KILL_SECONDS,
            log_enabled=False,
        ).serve(target_loader=_load_app, wrap_loader=False)
    except _Stopped:
        pass
    finally:
        for sig in stop_signals:
            signal.signal(sig, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
        _stop(services)


def _stop(services: BaseProcess) -> None:
    if services.pid is None:  # never started
        return
    if services.is_alive():
        services.terminate()
    services.join(15)
    if services.is_alive():
        services.kill()
        services.join(5)
