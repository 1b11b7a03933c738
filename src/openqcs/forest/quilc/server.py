"""Start the quilc-compatible compiler for ``openqcs serve``: a spawned process of its own, so a
long compile never stalls the API, gRPC or simulations."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable

from openqcs.config import Settings

log = logging.getLogger("openqcs.quilc")
WORKERS = 2  # compile processes: the machine this was sized for has 2 cores


def start(settings: Settings, stopping: threading.Event | None = None) -> Callable[[], None] | None:
    """Start quilc and wait until it listens (or until ``stopping`` is set)."""
    stopping = stopping or threading.Event()
    if not settings.quilc_port or stopping.is_set():
        return None
    from openqcs.forest.quilc import service

    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    # Not a daemon: it starts the compile worker processes itself.
    process = spawn.Process(target=service.main, args=(settings, ready, os.getpid(), WORKERS),
                            name="openqcs-quilc", daemon=False)
    process.start()
    deadline = time.monotonic() + 30
    while not ready.wait(0.1) and not stopping.is_set():
        if not process.is_alive() or time.monotonic() > deadline:
            log.error("quilc did not start listening", extra={"quilc_url": settings.quilc_url})
            break

    def stop() -> None:
        if process.is_alive():
            process.terminate()
        process.join(15)
        if process.is_alive():
            process.kill()
            process.join(5)

    return stop
