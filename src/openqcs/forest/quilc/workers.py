"""Compile workers: a few spawned processes, each driven by one thread of the quilc process.

A thread hands its process one job at a time and waits at most the job's time left plus a
grace period; a process that overruns (or dies) is killed and replaced, and the job is answered
with an error, so no request is left without a reply. qiskit is imported once per process.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from openqcs.core.piped import PipedProcess

log = logging.getLogger("openqcs.quilc")

# The cooperative deadline inside the compiler fires first; this catches work that never
# reaches a check (a hung or very slow step).
GRACE_SECONDS = 2.0
DEFAULT_TIMEOUT = 30.0


@dataclass
class Job:
    method: str
    params: dict[str, Any]
    deadline: float  # time.monotonic()
    done: Callable[[bool, object], None]


def _worker_main(conn: Connection, log_level: str) -> None:
    from openqcs import logs

    logs.configure(log_level)
    from openqcs.forest.quilc import compiler, methods  # noqa: F401 - import qiskit before the first job

    parent = os.getppid()
    while True:
        # Exit with the quilc process, even if it was killed without closing the pipe.
        if os.getppid() != parent:
            return
        try:
            if not conn.poll(1.0):
                continue
            method, params, remaining = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(methods.run(method, params, remaining))


class _Worker(PipedProcess):
    def __init__(self, log_level: str) -> None:
        super().__init__(_worker_main, log_level, name="openqcs-quilc-worker")

    def run(self, job: Job) -> tuple[bool, object]:
        remaining = job.deadline - time.monotonic()
        if remaining <= 0:
            return False, "the request's client_timeout ran out while it waited for a free compiler"
        self.ensure()
        conn = self.conn
        assert conn is not None  # ensure() opened it
        try:
            conn.send((job.method, job.params, remaining))
            if conn.poll(remaining + GRACE_SECONDS):
                answer: tuple[bool, object] = conn.recv()
                return answer
        except (EOFError, OSError, BrokenPipeError):
            self.kill()
            return False, "the compiler process stopped unexpectedly (out of memory?); the program was not compiled"
        self.kill()
        return False, (f"compilation did not finish within the request's client_timeout ({remaining:.1f} s left); "
                       "raise the compiler timeout or compile a smaller program")


class Pool:
    def __init__(self, size: int, log_level: str) -> None:
        self.jobs: queue.Queue[Job | None] = queue.Queue()
        self.workers = [_Worker(log_level) for _ in range(size)]
        self.threads = [threading.Thread(target=self._loop, args=(w,), daemon=True, name=f"quilc-worker-{i}")
                        for i, w in enumerate(self.workers)]
        for thread in self.threads:
            thread.start()

    def submit(self, job: Job) -> None:
        self.jobs.put(job)

    def _loop(self, worker: _Worker) -> None:
        try:
            worker.ensure()  # warm: the first compile should not pay for importing qiskit
        except Exception:
            log.exception("could not start a compiler process")
        while (job := self.jobs.get()) is not None:
            try:
                ok, value = worker.run(job)
            except Exception as exc:
                log.exception("compiler worker failed")
                worker.kill()
                ok, value = False, f"internal compiler error: {exc}"
            try:
                job.done(ok, value)
            except Exception:
                log.exception("could not hand back a compile result")
        worker.kill()

    def close(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        for worker in self.workers:
            process = worker.process
            if process is not None:  # a busy thread then sees EOF at once instead of waiting out its job
                process.kill()
        for thread in self.threads:
            thread.join(10)
