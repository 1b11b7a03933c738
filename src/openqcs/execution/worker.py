"""Job workers: one thread per simulation process takes a job from the queue, has the process
simulate it, and stores the result.

The thread only waits: the simulation runs in a worker process (``pool.py``), so the serving
process's interpreter stays free for Translate, Execute and results. While it waits the thread
renews the job's lease and watches for its cancellation; a cancelled job, or one past the
per-job time limit, is stopped by stopping its process.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import threading
import time
from datetime import timedelta

import msgspec
from cachetools import LRUCache

from openqcs.context import AppContext
from openqcs.db.generations import GenerationReader
from openqcs.errors import OpenQCSError
from openqcs.execution import handoff, metrics, notify, queue, results
from openqcs.execution.admission import engine_for
from openqcs.execution.models import FAILED, SUCCEEDED
from openqcs.execution.pool import SimulationDied, SimulationProcess, Stopped, Task
from openqcs.execution.queue import Claimed
from openqcs.execution.service import isa_version
from openqcs.execution.usage import Biller

log = metrics.log
MAX_ATTEMPTS = queue.MAX_ATTEMPTS
# Not a job status: the simulation process died, so the job goes back to the queue (or fails).
RELEASED = "released"

# (processor_generation, processor id) -> (latest ISA version id, noiseless): one per processor change.
_VERSIONS: LRUCache[tuple[int, str], tuple[int, bool]] = LRUCache(maxsize=256)
_VERSIONS_LOCK = threading.Lock()


def job_seed(setting: str, job: Claimed) -> int | None:
    """A seed from OPENQCS_SIMULATION_SEED and the job's content (None: random), so the same
    program and memory on a server seeded alike give the same bits."""
    if not setting:
        return None
    content = msgspec.json.encode([setting, job.processor_id, job.program, job.shots, job.memory])
    return int.from_bytes(hashlib.sha256(content).digest()[:8], "big")


def time_limit_message(limit: float) -> str:
    return (f"the job was stopped after {limit:g} s, the per-job time limit of this server "
            "(OPENQCS_JOB_TIME_LIMIT_SECONDS); run fewer shots or qubits")


class Worker:
    def __init__(self, ctx: AppContext, process: SimulationProcess | None = None, *, name: str | None = None,
                 poll_seconds: float = 0.25, biller: Biller | None = None) -> None:
        self.ctx = ctx
        self.process = process
        self.biller = biller
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.lease = timedelta(seconds=max(3, ctx.settings.job_lease_seconds))
        self.limit = float(ctx.settings.job_time_limit_seconds) or None
        self.inbox: handoff.Inbox[Claimed] = handoff.Inbox(self.id, self.lease)
        self.generations = GenerationReader(ctx.db, "processor_generation")

    def claim(self, *, look: bool = True) -> Claimed | None:
        return queue.claim(self.ctx, self.id, self.lease, look=look)

    def _isa_version(self, processor_id: str) -> tuple[int, bool]:
        """The processor's latest ISA version and noiseless flag, kept under ``processor_generation``."""
        generation = self.generations.read()
        if generation is None:
            with self.ctx.db.session() as session:
                return isa_version(session, processor_id)
        key = (generation, processor_id)
        found = _VERSIONS.get(key)
        if found is None:
            with self.ctx.db.session() as session:
                found = isa_version(session, processor_id)
            with _VERSIONS_LOCK:
                _VERSIONS[key] = found
        return found

    def store(self, job: Claimed, status: str, result: bytes, duration_us: int) -> None:
        if not queue.store(self.ctx, job, self.id, status, result, duration_us, self.biller):
            log.warning("job taken over or cancelled; result dropped", extra={"job": job.id})

    def _task(self, job: Claimed) -> Task:
        version, noiseless = self._isa_version(job.processor_id)
        return Task(job.id, job.program, version, job.shots, job.memory, noiseless,
                    job_seed(self.ctx.settings.simulation_seed, job), engine_for(job.program, noiseless))

    def run_one(self, *, look: bool = True) -> bool:
        """Take and run one job; False when the queue is empty."""
        job = self.claim(look=look)
        if job is None:
            return False
        self.run_job(job)
        return True

    def run_job(self, job: Claimed) -> None:
        """Run a job this worker holds (claimed, or handed over by its submission)."""
        started = time.monotonic()
        if job.created_time is not None:
            metrics.JOB_WAIT.observe(max(0.0, (self.ctx.clock.now() - job.created_time).total_seconds()))
        metrics.transition(job.id, "running", worker=self.id, attempt=job.attempts)
        try:
            task = self._task(job)
        except OpenQCSError as exc:
            self._end(job, FAILED, results.user_failure(exc.message), 0, started)
            return
        if self.process is None:
            raise RuntimeError("this worker has no simulation process; it can only claim and store")
        outcome = self._simulate(job, task, self.process)
        if outcome is None:
            return  # cancelled or taken over: nothing of ours to store
        status, result, duration = outcome
        if status == RELEASED:
            state = queue.release(self.ctx, job, self.id, result.decode())
            if state:
                metrics.transition(job.id, state, reason="worker process stopped" + result.decode())
            return
        self._end(job, status, result, duration, started)

    def _end(self, job: Claimed, status: str, result: bytes, duration: int, started: float) -> None:
        if queue.store(self.ctx, job, self.id, status, result, duration, self.biller):
            elapsed = time.monotonic() - started
            metrics.JOB_SECONDS.observe(elapsed)
            fields: dict[str, object] = {"duration_ms": round(elapsed * 1000, 2)}
            if status != SUCCEEDED:
                fields["message"] = results.pb.ControllerJobExecutionResult.FromString(result).status_message
            metrics.transition(job.id, status, **fields)
        else:
            log.warning("job taken over or cancelled; result dropped", extra={"job": job.id})

    def _simulate(self, job: Claimed, task: Task, process: SimulationProcess) -> tuple[str, bytes, int] | None:
        """Simulate, renewing the lease while it runs; stop it when the job is cancelled or taken
        over (None: nothing of ours to store)."""
        woken = False

        def wake(_: bytes | None) -> None:  # a cancel in this process finishes the job
            nonlocal woken
            woken = True
            process.wake()

        unwatch = notify.watch(job.id, wake)
        renew_every = self.lease.total_seconds() / 3
        next_renew = next_check = time.monotonic()

        def keep_going() -> bool:
            # Cancelled here (woken) or by another process (seen at the next check).
            nonlocal woken, next_renew, next_check, unwatch
            now = time.monotonic()
            if not (woken or now >= next_check):
                return True
            next_check = now + 1.0
            renewing = now >= next_renew
            mine = (queue.renew(self.ctx, job.id, self.id, self.lease) if renewing
                    else queue.still_mine(self.ctx, job.id, self.id))
            if renewing:
                next_renew = now + renew_every
            if mine and woken:
                woken = False
                unwatch()
                unwatch = notify.watch(job.id, wake)
            return mine

        try:
            out = process.run(task, self.limit, keep_going)
        except Stopped:
            metrics.transition(job.id, "stopped", reason="cancelled or taken over")
            return None
        except TimeoutError:
            return FAILED, results.user_failure(time_limit_message(self.limit or 0)), 0
        except SimulationDied as exc:
            code = exc.exitcode
            why = f" (killed by signal {-code})" if code and code < 0 else f" (exit code {code})" if code else ""
            log.warning("simulation process stopped", extra={"job": job.id, "exitcode": code})
            return RELEASED, why.encode(), 0
        except OpenQCSError as exc:
            return FAILED, results.user_failure(exc.message), 0
        except MemoryError:
            return FAILED, results.user_failure("the simulation ran out of memory; use fewer qubits"), 0
        except Exception as exc:
            log.error("simulation failed", extra={"job": job.id, "error": repr(exc)})
            return FAILED, results.service_failure(f"the simulator failed: {type(exc).__name__}"), 0
        finally:
            unwatch()
        metrics.SIMULATOR_SECONDS.inc(out.seconds)
        return SUCCEEDED, results.success(out.readout, out.memory, out.duration_us), out.duration_us

    def run(self) -> None:
        handoff.IDLE.register(self.inbox)
        try:
            woken, look = False, True
            seen = handoff.IDLE.rounds
            while not self.stopping.is_set():
                try:
                    if look:
                        self.inbox.wake.clear()  # before looking: a job queued from now on wakes the wait below
                        seen = handoff.IDLE.rounds
                        if self.run_one(look=not woken):
                            woken = False
                            continue
                    woken, handed = self._idle()
                    look = True
                    if handed is not None:
                        self.run_job(handed)
                        # Back from a handed job: the queue needs a look only if jobs were queued
                        # meanwhile (other processes' and expired leases: at the next poll).
                        woken, look = False, handoff.IDLE.rounds != seen
                except Exception:
                    log.exception("worker loop failed; retrying")
                    self.stopping.wait(1.0)
        finally:
            handoff.IDLE.unregister(self.inbox)

    def _idle(self) -> tuple[bool, Claimed | None]:
        """Wait for a queued job (woken) or one handed over by its submission."""
        handoff.IDLE.offer(self.inbox)
        woken = self.inbox.wake.wait(self.poll_seconds)
        if handoff.IDLE.withdraw(self.inbox):
            return woken, None
        self.inbox.wake.clear()  # the delivery's; a queue wake-up meanwhile shows in IDLE.rounds
        return False, self.inbox.receive()  # reserved by a submission: its job once committed

    def stop(self) -> None:
        self.stopping.set()
        self.inbox.wake.set()


class Workers:
    """``count`` worker threads, each with its simulation process (and, on PostgreSQL,
    the listener that wakes them for jobs queued by other processes)."""

    def __init__(self, ctx: AppContext, count: int) -> None:
        self.processes = [SimulationProcess(ctx.settings.db_url) for _ in range(count)]
        self.biller = Biller(ctx)
        self.workers = [Worker(ctx, process, biller=self.biller) for process in self.processes]
        self.threads = [threading.Thread(target=w.run, name=f"openqcs-worker-{i}", daemon=True)
                        for i, w in enumerate(self.workers)]
        self.depth = threading.Thread(target=self._watch_depth, args=(ctx,), name="openqcs-queue-depth", daemon=True)
        self.stopping = threading.Event()

    def start(self) -> Workers:
        for process in self.processes:  # spawned now, so the first job does not wait for an interpreter
            process.ensure()
        for thread in self.threads:
            thread.start()
        self.depth.start()
        return self

    def _watch_depth(self, ctx: AppContext) -> None:
        while not self.stopping.wait(2.0):
            try:
                with ctx.db.session() as session:
                    metrics.QUEUE_DEPTH.set(queue.queue_depth(session))
            except Exception:  # a metric; the next round may work
                log.debug("queue depth not measured", exc_info=True)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        for worker in self.workers:
            worker.stop()
        if timeout < 30:  # a quick stop: running simulations end, their jobs are taken again
            for process in self.processes:
                process.stop()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for process in self.processes:
            process.stop()
        self.biller.stop()  # after the workers: what they finished is billed
