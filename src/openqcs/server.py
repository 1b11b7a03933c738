"""``openqcs serve``: migrations, then the HTTP API on granian plus each domain's background
services (gRPC, job workers, the HTTPS issuer) from their ``server.start``.

The background services run in their own spawned process, not in granian's supervisor: granian
forks its HTTP workers, and a fork taken while other threads hold SQLite connections leaves the
child with lock state it can never release (writes then hang until the busy timeout).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import tempfile
import threading
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventLike

import msgspec

from openqcs import logs
from openqcs.config import ENV_PREFIX, Settings
from openqcs.domains import load_models, submodules

log = logging.getLogger("openqcs.server")


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as OPENQCS_* variables, so granian's worker processes rebuild the same ones."""
    env = {}
    for name, value in msgspec.structs.asdict(settings).items():
        env[ENV_PREFIX + name.upper()] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return env


def run_services(settings: Settings, ready: EventLike | None = None) -> None:
    """Start every domain's background services and keep them until SIGTERM/SIGINT."""
    from openqcs.context import AppContext

    logs.configure(settings.log_level)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    load_models()  # every domain's tables, so cross-domain foreign keys resolve in this process
    ctx = AppContext.create(settings)
    stops = []
    try:
        for module in submodules("server"):
            stop = module.start(ctx)
            if stop is not None:
                stops.append(stop)
        if ready is not None:
            ready.set()
        done.wait()
    finally:
        for stop in reversed(stops):
            try:
                stop()
            except Exception:
                log.exception("a background service did not stop cleanly")
        ctx.close()


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


def _watch_services(services: BaseProcess, ready: EventLike) -> None:
    if ready.wait(120) and services.is_alive():
        return
    log.error("the background services did not start; stopping (see the log above)")
    os.kill(os.getpid(), signal.SIGTERM)


def run(settings: Settings, *, migrate: bool = True) -> None:
    from granian import Granian
    from granian.constants import Interfaces

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
    if migrate:
        from openqcs.db.migrate import upgrade

        upgrade(settings.db_url)
    os.environ.update(settings_env(settings))
    # Multiprocess metrics even with one HTTP worker: the services process (gRPC, jobs) writes them too.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="openqcs-metrics-")

    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    services = spawn.Process(target=run_services, args=(settings, ready), name="openqcs-services", daemon=False)
    services.start()
    # granian starts at the same time (start-up is the slower of the two, not their sum); if the
    # services never come up, the whole server stops rather than serving half of openqcs.
    threading.Thread(target=_watch_services, args=(services, ready), daemon=True).start()
    log.info("serving", extra={"api_url": settings.api_url, "grpc_url": settings.grpc_url,
                               "issuer": settings.issuer, "database": settings.db_url.split("@")[-1]})
    try:
        Granian(
            "openqcs.app:asgi",
            address=settings.host,
            port=settings.http_port,
            interface=Interfaces.ASGI,
            workers=settings.workers,
            factory=True,
            log_enabled=False,
        ).serve()
    finally:
        if services.is_alive():
            services.terminate()
        services.join(15)
        if services.is_alive():
            services.kill()
