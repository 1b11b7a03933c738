"""Child programs that ``openqcs serve`` runs beside itself (the HTTPS issuer, the QVM)."""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable


def supervise(process: subprocess.Popen[bytes], log: logging.Logger, what: str) -> Callable[[], None]:
    """Log an error when ``process`` (called ``what`` in the message) ends before it is stopped;
    returns the function that stops it: SIGTERM, then SIGKILL after 10 seconds."""
    stopping = threading.Event()

    def watch() -> None:
        code = process.wait()
        if not stopping.is_set():
            log.error("%s exited with %s", what, code)

    threading.Thread(target=watch, name=f"watch-{process.pid}", daemon=True).start()

    def stop() -> None:
        stopping.set()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    return stop
