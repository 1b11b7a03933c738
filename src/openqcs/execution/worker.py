"""Job workers: take queued jobs from the database, simulate them, store results, bill usage.

Several workers (threads of ``openqcs serve`` and ``openqcs worker`` processes) share the queue:
on PostgreSQL each claim is ``SELECT … FOR UPDATE SKIP LOCKED``; on SQLite claims serialize on
the write lock. A worker renews its lease while it runs a job, so a job whose lease ran out was
held by a dead worker and is taken again (up to MAX_ATTEMPTS times).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import msgspec
from sqlalchemy import and_, or_, select, update

from openqcs.context import AppContext
from openqcs.errors import OpenQCSError
from openqcs.execution import results
from openqcs.execution.controller import JOB_QUEUED
from openqcs.execution.models import FAILED, QUEUED, RUNNING, SUCCEEDED, ExecutionJob
from openqcs.identity.accounts import Account

log = logging.getLogger("openqcs.execution.worker")

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Claimed:
    id: str
    processor_id: str
    program: str
    shots: int
    memory: dict[str, list[float]]


class Worker:
    def __init__(self, ctx: AppContext, *, name: str | None = None, poll_seconds: float = 0.25) -> None:
        self.ctx = ctx
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.lease = timedelta(seconds=max(3, ctx.settings.job_lease_seconds))

    # --- queue ------------------------------------------------------------------------------

    def _takeable(self, now):
        return or_(ExecutionJob.status == QUEUED, and_(ExecutionJob.status == RUNNING, ExecutionJob.lease_until < now))

    def claim(self) -> Claimed | None:
        # Look before locking: an idle worker should not take SQLite's write lock at every poll.
        with self.ctx.db.session() as session:
            if session.scalar(select(ExecutionJob.id).where(self._takeable(self.ctx.clock.now())).limit(1)) is None:
                return None
        with self.ctx.db.session(write=True) as session:
            now = self.ctx.clock.now()
            stmt = (select(ExecutionJob).where(self._takeable(now))
                    .order_by(ExecutionJob.created_time, ExecutionJob.id).limit(1))
            if not self.ctx.db.is_sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            job = session.scalar(stmt)
            if job is None:
                return None
            if job.status == RUNNING and job.attempts >= MAX_ATTEMPTS:
                log.warning("job abandoned", extra={"job": job.id, "attempts": job.attempts})
                self._finish(job, FAILED, results.service_failure(
                    f"the job's worker stopped {job.attempts} times while running it; submit it again"), now)
                return self.claim()
            job.status, job.worker_id = RUNNING, self.id
            job.attempts += 1
            job.lease_until = now + self.lease
            job.started_time = now
            return Claimed(job.id, job.processor_id, job.program, job.shots,
                           msgspec.json.decode(job.memory.encode()))

    def _finish(self, job: ExecutionJob, status: str, result: bytes, now, duration_us: int = 0) -> None:
        job.status, job.result, job.finished_time = status, result, now
        job.duration_us, job.lease_until = duration_us, None
        if status != SUCCEEDED:
            job.status_message = results.pb.ControllerJobExecutionResult.FromString(result).status_message

    def _renew(self, job_id: str, done: threading.Event) -> None:
        interval = self.lease.total_seconds() / 3
        while not done.wait(interval):
            try:
                with self.ctx.db.session(write=True) as session:
                    session.execute(update(ExecutionJob).where(
                        ExecutionJob.id == job_id, ExecutionJob.worker_id == self.id, ExecutionJob.status == RUNNING,
                    ).values(lease_until=self.ctx.clock.now() + self.lease))
            except Exception:  # the next renewal may succeed; losing the lease only means a retry
                log.exception("lease renewal failed", extra={"job": job_id})

    # --- running ------------------------------------------------------------------------------

    def simulate(self, job: Claimed) -> tuple[str, bytes, int]:
        from openqcs.execution.service import processor_isa
        from openqcs.simulator.simulate import run_program

        try:
            with self.ctx.db.session() as session:
                isa, noiseless = processor_isa(session, job.processor_id, None)
            out = run_program(job.program, isa, job.shots, job.memory, noiseless=noiseless, seed=None)
        except OpenQCSError as exc:
            return FAILED, results.user_failure(exc.message), 0
        except Exception as exc:
            log.exception("simulation failed", extra={"job": job.id})
            return FAILED, results.service_failure(f"the simulator failed: {type(exc).__name__}"), 0
        duration = int(round(out.duration_us))
        return SUCCEEDED, results.success(out.readout, out.memory, duration), duration

    def run_one(self) -> bool:
        """Take and run one job; False when the queue is empty."""
        job = self.claim()
        if job is None:
            return False
        done = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(job.id, done), daemon=True)
        renewer.start()
        try:
            status, result, duration = self.simulate(job)
        finally:
            done.set()
        self.store(job, status, result, duration)
        return True

    def store(self, job: Claimed, status: str, result: bytes, duration_us: int) -> None:
        with self.ctx.db.session(write=True) as session:
            row = session.scalar(select(ExecutionJob).where(ExecutionJob.id == job.id).with_for_update())
            if row is None or row.status != RUNNING or row.worker_id != self.id:
                log.warning("job taken over by another worker; result dropped", extra={"job": job.id})
                return
            now = self.ctx.clock.now()
            self._finish(row, status, result, now, duration_us)
            if status == SUCCEEDED:
                _record_usage(session, row, now)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if self.run_one():
                    continue
            except Exception:
                log.exception("worker loop failed; retrying")
                self.stopping.wait(1.0)
            JOB_QUEUED.wait(self.poll_seconds)
            JOB_QUEUED.clear()

    def stop(self) -> None:
        self.stopping.set()
        JOB_QUEUED.set()


def _record_usage(session, job: ExecutionJob, now) -> None:
    try:
        from openqcs.billing.service import record_usage
    except ImportError:
        return
    account = Account(job.account_id, job.account_type)
    try:
        with session.begin_nested():
            record_usage(session, account, "qpuJobCompletion", 1, reference=job.id, at=now,
                         processor_id=job.processor_id)
            record_usage(session, account, "qpuJobTime", int(job.duration_us), reference=job.id, at=now,
                         processor_id=job.processor_id)
    except Exception:  # the job ran; a billing fault must not lose its result
        log.exception("usage not recorded", extra={"job": job.id})


def start_workers(ctx: AppContext, count: int) -> tuple[list[Worker], list[threading.Thread]]:
    workers = [Worker(ctx) for _ in range(count)]
    threads = [threading.Thread(target=w.run, name=f"openqcs-worker-{i}", daemon=True) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    return workers, threads


def stop_workers(workers: list[Worker], threads: list[threading.Thread], timeout: float = 10.0) -> None:
    for worker in workers:
        worker.stop()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
