"""Simulation worker processes: one per job worker, driven by that worker's thread directly.

Simulations run here, never in the process that serves gRPC: a 26-qubit state vector takes a
core and a GiB, and a process that runs out of memory or is killed takes only itself down (a
fresh one is started for the next job). A task past its time limit, or stopped while it runs
(cancelled, or its lease lost), is stopped by killing its process.

The worker's thread sends the task down a pipe and waits on the pipe itself, so a job's trip
to its process and back costs no thread hand-offs (a pool with scheduler and result threads
added ~1.4 ms to every parametric re-run here, two hops each way under the GIL).

Each process is pinned to one BLAS/OpenMP thread (and qiskit-aer's ``max_parallel_threads``
is 1), so N workers use N cores and never oversubscribe a small machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from openqcs.core.piped import PipedProcess

NICENESS = 10
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "RAYON_NUM_THREADS")


@dataclass(frozen=True)
class Task:
    """What a worker process needs to run one job (the ISA is read by version, once per process)."""

    job_id: str
    program: str
    isa_version: int
    shots: int
    memory: dict[str, list[float]]
    noiseless: bool
    seed: int | None
    engine: str = "aer"


@dataclass(frozen=True)
class Outcome:
    readout: dict[str, Any]
    memory: dict[str, list[float]]
    duration_us: int
    seconds: float  # wall time of the simulation itself


# --- in the worker processes ---------------------------------------------------------------

_DB_URL = ""
_ISAS: dict[int, dict[str, Any]] = {}


def _initialize(db_url: str) -> None:
    # Nothing heavy here: the engines are imported by the first job that needs them (once per process).
    global _DB_URL
    _DB_URL = db_url
    # Below the serving process: when cores are short, Translate and results go first.
    os.nice(NICENESS)


def _isa(version_id: int) -> dict[str, Any]:
    isa = _ISAS.get(version_id)
    if isa is None:
        import msgspec
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        from openqcs.db.engine import normalize_url

        engine = create_engine(normalize_url(_DB_URL), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                document = conn.execute(text("SELECT document FROM isa_versions WHERE id = :id"),
                                        {"id": version_id}).scalar_one()
        finally:
            engine.dispose()
        if len(_ISAS) >= 16:
            _ISAS.clear()
        isa = _ISAS[version_id] = msgspec.json.decode(document)
    return isa


def run_task(task: Task) -> Outcome:
    from openqcs.simulator.simulate import run_program

    started = time.perf_counter()
    out = run_program(task.program, _isa(task.isa_version), task.shots, task.memory, noiseless=task.noiseless,
                      seed=task.seed, engine=task.engine, isa_key=task.isa_version)
    return Outcome(out.readout, out.memory, round(out.duration_us), time.perf_counter() - started)


def _serve(conn: Connection, db_url: str) -> None:
    """The process's loop: one task at a time, answered ("ok", Outcome) or ("error", exception)."""
    _initialize(db_url)
    parent = os.getppid()
    while True:
        try:
            if not conn.poll(1.0):
                if os.getppid() != parent:  # the serving process died without closing the pipe
                    return
                continue
            task = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, object] = ("ok", run_task(task))
        except Exception as exc:  # the worker maps it to the job's failure
            answer = ("error", exc)
        try:
            conn.send(answer)
        except Exception as exc:  # an exception that does not pickle: say what it was
            conn.send(("error", RuntimeError(f"{type(exc).__name__} in the simulation process")))


# --- in the serving process -----------------------------------------------------------------


class SimulationDied(Exception):
    """The process stopped while it ran the task (killed, out of memory, crashed)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"simulation process exited ({exitcode})")
        self.exitcode = exitcode


class Stopped(Exception):
    """``keep_going`` said stop: the task's process was killed."""


class SimulationProcess(PipedProcess):
    """One simulation process, used by one thread at a time; started again when it died."""

    def __init__(self, db_url: str) -> None:
        # Inherited by the spawned process before it imports numpy or qiskit.
        for name in THREAD_VARIABLES:
            os.environ[name] = "1"
        super().__init__(_serve, db_url, name="openqcs-simulation")
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)

    def wake(self) -> None:
        """Make a running ``run`` call its ``keep_going`` now (from any thread)."""
        try:
            os.write(self._wake_write, b"!")
        except BlockingIOError:
            pass  # a wake-up is pending already

    def run(self, task: Task, timeout: float | None, keep_going: Callable[[], bool], every: float = 0.5) -> Outcome:
        """The task's outcome. Raises TimeoutError past ``timeout`` s, Stopped when ``keep_going``
        (asked every ``every`` s and on ``wake``) says no, SimulationDied when the process died,
        and what the simulation raised."""
        self.ensure()
        assert self.process is not None and self.conn is not None
        process, conn = self.process, self.conn
        try:
            conn.send(task)
        except OSError:
            return self._died()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = every if deadline is None else min(every, deadline - time.monotonic())
            ready = wait([conn, process.sentinel, self._wake_read], max(0.0, left))
            if conn in ready:
                try:
                    kind, value = conn.recv()
                except (EOFError, OSError):
                    return self._died()
                if kind == "error":
                    raise value
                assert isinstance(value, Outcome)
                return value
            if process.sentinel in ready:
                return self._died()
            if self._wake_read in ready:
                os.read(self._wake_read, 64)
            if deadline is not None and time.monotonic() >= deadline:
                self.kill()
                raise TimeoutError
            if not keep_going():
                self.kill()
                raise Stopped

    def _died(self) -> Outcome:
        process = self.process
        code = None
        if process is not None:
            process.join(5)
            code = process.exitcode
        self.kill()
        raise SimulationDied(code)

    def stop(self) -> None:
        """From another thread: end the process; a ``run`` in progress raises SimulationDied.
        (The wake-up pipe stays open: a late ``wake`` must not write to a reused descriptor.)"""
        process = self.process
        if process is not None and process.is_alive():
            process.kill()
