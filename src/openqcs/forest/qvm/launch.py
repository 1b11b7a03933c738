"""``python -m openqcs.forest.qvm.launch --host H --port P --threads N --parent PID``: the QVM's own granian.

A process of its own so a simulation never competes with the API's event loop; it stops when
``openqcs serve``'s services process (``--parent``) goes away, even if that one was killed.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openqcs.core.faults import ASGIApp


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)  # granian's supervisor stops its worker on SIGTERM


def _load_app(threads: int) -> ASGIApp:
    # In granian's worker process: the simulator's imports stay out of the supervisor.
    from openqcs.core.processes import stop_signals_default

    stop_signals_default()
    from openqcs.forest.qvm.app import create_app

    return create_app(threads)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="openqcs-qvm")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2, help="simulations at once (the qvm_threads setting)")
    parser.add_argument("--parent", type=int, default=0, help="stop when this process is gone")
    args = parser.parse_args(argv)
    from granian import Granian
    from granian.constants import Interfaces

    from openqcs.core.processes import WORKER_KILL_SECONDS

    if args.parent:
        threading.Thread(target=_watch_parent, args=(args.parent,), name="qvm-parent-watch", daemon=True).start()
    Granian("openqcs.forest.qvm.app:create_app", address=args.host, port=args.port, interface=Interfaces.ASGI,
            workers=1, workers_kill_timeout=WORKER_KILL_SECONDS, log_enabled=False,
            ).serve(target_loader=partial(_load_app, args.threads), wrap_loader=False)


if __name__ == "__main__":
    main()
