"""Where a handler's blocking database read runs.

On SQLite a read is a local file access of tens of microseconds: a thread hop (GIL handoff,
context switches) costs more than the read, so it runs on the event loop. On PostgreSQL it is
a network round trip, so it runs in a worker thread. Writes always go to a thread: on SQLite
they may wait for the write lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio

from openqcs.context import AppContext

T = TypeVar("T")


async def run_read(ctx: AppContext, fn: Callable[..., T], *args: object) -> T:
    if ctx.db.is_sqlite:
        return fn(*args)
    return await anyio.to_thread.run_sync(fn, *args)
