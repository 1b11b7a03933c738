"""``openqcs serve``: migrations, then the HTTP API on granian plus each domain's
background services (gRPC, workers, the HTTPS issuer) from their ``server.start``."""

from __future__ import annotations

import logging
import os
import tempfile

import msgspec

from openqcs import logs
from openqcs.config import ENV_PREFIX, Settings
from openqcs.context import AppContext
from openqcs.domains import submodules

log = logging.getLogger("openqcs.server")


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as OPENQCS_* variables, so granian's worker processes rebuild the same ones."""
    env = {}
    for name, value in msgspec.structs.asdict(settings).items():
        env[ENV_PREFIX + name.upper()] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return env


def run(settings: Settings, *, migrate: bool = True) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    logs.configure(settings.log_level)
    os.makedirs(settings.data_dir, exist_ok=True)
    if migrate:
        from openqcs.db.migrate import upgrade

        upgrade(settings.db_url)
    os.environ.update(settings_env(settings))
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="openqcs-metrics-")

    ctx = AppContext.create(settings)
    stops = []
    try:
        for module in submodules("server"):
            stop = module.start(ctx)
            if stop is not None:
                stops.append(stop)
        log.info("serving", extra={"api_url": settings.api_url, "grpc_url": settings.grpc_url,
                                   "issuer": settings.issuer, "database": settings.db_url.split("@")[-1]})
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
        for stop in reversed(stops):
            stop()
        ctx.close()
