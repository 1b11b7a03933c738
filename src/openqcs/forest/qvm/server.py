"""Start the QVM service for ``openqcs serve``: its own granian process on ``qvm_port``."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from openqcs.config import Settings
from openqcs.core.processes import supervise

log = logging.getLogger("openqcs.qvm")
READY_SECONDS = 20.0


def start(settings: Settings, stopping: threading.Event | None = None) -> Callable[[], None] | None:
    """Start the QVM and wait until it listens (or until ``stopping`` is set)."""
    stopping = stopping or threading.Event()
    if not settings.qvm_port or stopping.is_set():
        return None
    process = subprocess.Popen([sys.executable, "-m", "openqcs.forest.qvm.launch", "--host", settings.host,
                                "--port", str(settings.qvm_port), "--threads", str(settings.qvm_threads),
                                "--parent", str(os.getpid())])
    # pyquil asks the QVM for its version while building every QVM-backed computer: be up first.
    if not _wait_listening(settings.host, settings.qvm_port, process, stopping):
        if not stopping.is_set():
            log.error("the QVM did not start listening on %s:%s", settings.host, settings.qvm_port)
    else:
        log.info("QVM at %s", settings.qvm_url, extra={"qvm_url": settings.qvm_url})
    return supervise(process, log, f"the QVM on port {settings.qvm_port}")


def _wait_listening(host: str, port: int, process: subprocess.Popen[bytes], stopping: threading.Event) -> bool:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline and process.poll() is None and not stopping.is_set():
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False
