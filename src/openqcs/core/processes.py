"""Child programs that ``openqcs serve`` runs beside itself (the HTTPS issuer, the QVM)."""

from __future__ import annotations

import logging
import signal
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


# How long a granian supervisor waits for a worker to stop before it kills it (its default is forever).
WORKER_KILL_SECONDS = 5


def stop_signals_default() -> None:
    """Call first in a granian worker's app loader. A forked worker keeps its supervisor's
    handlers until it sets its own after loading the app, and those only flag the supervisor's
    copy of the server: a SIGTERM that arrives while the app loads is lost, the worker serves on
    and the supervisor waits for it forever. With the default action the worker just exits."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
