"""Wake-ups instead of polling: "a job was queued" for workers, "job X finished" for results calls.

Within a process these are events. On PostgreSQL, writers also ``pg_notify`` in the same
transaction (delivered at commit), and a listener thread in every serving and worker process
turns the notifications into the same events, so a result stored by an ``openqcs worker``
process wakes the results call waiting in ``openqcs serve`` at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from openqcs.execution import handoff
from openqcs.execution.recent import RECENT

log = logging.getLogger("openqcs.execution.notify")

QUEUED_CHANNEL = "openqcs_job_queued"
FINISHED_CHANNEL = "openqcs_job_finished"

# Set when a job is queued, so a worker starts at once instead of at its next poll.
JOB_QUEUED = threading.Event()
_lock = threading.Lock()
# job id -> callbacks, given the job's stored result when the finisher has it at hand (else None).
_waiters: dict[str, list[Callable[[bytes | None], None]]] = defaultdict(list)


def publish_queued(session: Session) -> None:
    """Tell other processes' workers (PostgreSQL), at commit; call ``queued()`` after the commit too."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": QUEUED_CHANNEL})


def publish_finished(session: Session, job_ids: list[str]) -> None:
    """Tell other processes' results calls (PostgreSQL), at commit; call ``finished()`` after it too."""
    if session.get_bind().dialect.name == "postgresql":
        for job_id in job_ids:
            session.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": FINISHED_CHANNEL, "id": job_id})


def queued() -> None:
    JOB_QUEUED.set()
    handoff.IDLE.wake_all()


def finished(job_ids: list[str], result: bytes | None = None) -> None:
    """Wake everything waiting on these jobs in this process (results calls, the worker running it);
    ``result``: the one job's stored result, handed to its results calls so they need not read it."""
    for job_id in job_ids:  # before the wake-ups: a results call watching from now finds it there
        RECENT.finished(job_id, result if len(job_ids) == 1 else None)
    with _lock:
        callbacks = [cb for job_id in job_ids for cb in _waiters.pop(job_id, [])]
    for callback in callbacks:
        callback(result if len(job_ids) == 1 else None)


def watch(job_id: str, callback: Callable[[bytes | None], None]) -> Callable[[], None]:
    """Call ``callback`` (once) when the job finishes; returns a function that stops watching."""
    with _lock:
        _waiters[job_id].append(callback)

    def unwatch() -> None:
        with _lock:
            callbacks = _waiters.get(job_id)
            if callbacks and callback in callbacks:
                callbacks.remove(callback)
                if not callbacks:
                    del _waiters[job_id]

    return unwatch


class Arrival:
    """An asyncio event (of the running loop) set when a job finishes, with its result if pushed."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()
        self.result: bytes | None = None
        self._unwatch = watch(job_id, self._arrive)

    def rearm(self) -> None:
        """Watch again from now (after a wake-up without a result)."""
        self._unwatch()
        self.event = asyncio.Event()
        self.result = None
        self._unwatch = watch(self.job_id, self._arrive)

    def unwatch(self) -> None:
        self._unwatch()

    def _arrive(self, result: bytes | None) -> None:
        event = self.event

        def land() -> None:
            if event is self.event:  # not from before a rearm
                self.result = result
                event.set()

        self.loop.call_soon_threadsafe(land)


class Listener:
    """LISTEN on PostgreSQL and forward notifications to this process's events (reconnects)."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="openqcs-job-listener", daemon=True)

    def start(self) -> Listener:
        self.thread.start()
        return self

    def _run(self) -> None:
        import psycopg

        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {QUEUED_CHANNEL}")
                    conn.execute(f"LISTEN {FINISHED_CHANNEL}")
                    # Whatever finished while we were not listening: results calls re-check anyway.
                    queued()
                    while not self.stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if note.channel == QUEUED_CHANNEL:
                                queued()
                            else:
                                finished([note.payload])
            except Exception:  # the database restarts or drops us: listen again shortly
                log.warning("job notifications lost; reconnecting", exc_info=True)
                self.stopping.wait(1.0)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
