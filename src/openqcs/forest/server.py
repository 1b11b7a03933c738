"""``openqcs serve``'s Forest side: quilc and the QVM, each in a process of its own so that a long
compile or simulation never delays the API, gRPC or each other.

Both start in the background: nothing else in ``serve`` waits for them (quilc's compile workers
import qiskit, which takes seconds on a busy machine). A compile sent before quilc listens waits
in the client's ZeroMQ socket until it does."""

from __future__ import annotations

import threading
from collections.abc import Callable

from openqcs.context import AppContext
from openqcs.forest.quilc import server as quilc_server
from openqcs.forest.qvm import server as qvm_server

STOP_SECONDS = 40.0  # longer than either start may wait for its process to listen


def start(ctx: AppContext) -> Callable[[], None] | None:
    if ctx.settings.api_only or not (ctx.settings.quilc_port or ctx.settings.qvm_port):
        return None
    stops: list[Callable[[], None]] = []
    lock = threading.Lock()
    stopping = threading.Event()  # a start still waiting for its process to listen gives up

    def start_one(starter: Callable[[], Callable[[], None] | None]) -> None:
        stop = starter()
        if stop is not None:
            with lock:
                stops.append(stop)

    threads = [threading.Thread(target=start_one, args=(starter,), name=f"openqcs-start-{name}", daemon=True)
               for name, starter in (("quilc", lambda: quilc_server.start(ctx.settings, stopping)),
                                     ("qvm", lambda: qvm_server.start(ctx.settings, stopping)))]
    for thread in threads:
        thread.start()

    def stop() -> None:
        # A start still waiting returns at once (a process it started after the process group's
        # SIGTERM would otherwise be waited for until it listens); then stop whatever did start.
        stopping.set()
        for thread in threads:
            thread.join(STOP_SECONDS)
        with lock:
            for each in reversed(stops):
                each()

    return stop
