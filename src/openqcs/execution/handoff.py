"""Handing a just-submitted job straight to an idle worker of this process.

When a worker here is idle and nothing else is waiting, the submit transaction stores the job
already running under that worker's lease, and the worker gets it from memory once the
transaction commits: no queue read and no claim transaction between Execute and the
simulation. Anything else (a busy pool, jobs already queued, other processes' workers) goes
through the queue as before, so fair turns and leases are unchanged.
"""

from __future__ import annotations

import queue
import threading
from datetime import timedelta
from typing import Any, Generic, TypeVar

Job = TypeVar("Job")


class Inbox(Generic[Job]):
    """One worker's: woken when jobs are queued, and handed jobs by submissions."""

    def __init__(self, worker_id: str, lease: timedelta) -> None:
        self.worker_id = worker_id
        self.lease = lease
        self.wake = threading.Event()
        self.pending: Job | None = None  # set by the submission that reserved it, until its commit
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()

    def deliver(self, committed: bool) -> None:
        """After the submission's transaction: the job if it committed, else nothing (and the
        worker goes back to the queue)."""
        job, self.pending = self.pending, None
        self._jobs.put(job if committed else None)
        self.wake.set()

    def receive(self) -> Job | None:
        # No timeout: the reserving submission always delivers (in a finally), and a worker that
        # gave up first would later take a stale job from here.
        return self._jobs.get()


class Idle(Generic[Job]):
    """This process's workers, and which of them wait for work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._all: list[Inbox[Job]] = []
        self._free: list[Inbox[Job]] = []
        self.rounds = 0  # how many times jobs were queued: a worker back from a job looks if it moved

    def register(self, inbox: Inbox[Job]) -> None:
        with self._lock:
            self._all.append(inbox)

    def unregister(self, inbox: Inbox[Job]) -> None:
        with self._lock:
            if inbox in self._all:
                self._all.remove(inbox)
            if inbox in self._free:
                self._free.remove(inbox)

    def offer(self, inbox: Inbox[Job]) -> None:
        with self._lock:
            if inbox not in self._free:
                self._free.append(inbox)

    def withdraw(self, inbox: Inbox[Job]) -> bool:
        """True when nobody reserved it; False: a submission did, and will deliver to it."""
        with self._lock:
            if inbox in self._free:
                self._free.remove(inbox)
                return True
            return False

    def reserve(self) -> Inbox[Job] | None:
        """An idle worker for one job (call ``deliver`` on it whatever happens), or None."""
        with self._lock:
            return self._free.pop() if self._free else None

    def wake_all(self) -> None:
        """Jobs were queued: every worker looks at the queue (at once if idle, else next)."""
        with self._lock:
            self.rounds += 1
            inboxes = list(self._all)
        for inbox in inboxes:
            inbox.wake.set()


# This process's workers (``worker.Workers`` registers them; ``notify.queued`` wakes them).
IDLE: Idle[Any] = Idle()
