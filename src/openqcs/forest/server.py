"""``openqcs serve``'s Forest side: quilc and the QVM, each in a process of its own so that a long
compile or simulation never delays the API, gRPC or each other."""

from __future__ import annotations

from collections.abc import Callable

from openqcs.context import AppContext
from openqcs.forest.quilc import server as quilc_server
from openqcs.forest.qvm import server as qvm_server


def start(ctx: AppContext) -> Callable[[], None] | None:
    if ctx.settings.api_only:
        return None
    stops = [stop for stop in (quilc_server.start(ctx.settings), qvm_server.start(ctx.settings)) if stop]
    if not stops:
        return None

    def stop() -> None:
        for each in reversed(stops):
            each()

    return stop
