"""Simulation worker processes: a pebble process pool, one simulation per process at a time.

Simulations run here, never in the process that serves gRPC: a 26-qubit state vector takes a
core and a GiB, and a process that runs out of memory or is killed takes only itself down
(pebble starts a fresh one). A task past its time limit, or cancelled while it runs, is
stopped by stopping its process; the slot is then reused by a new process.

Each process is pinned to one BLAS/OpenMP thread (and qiskit-aer's ``max_parallel_threads``
is 1), so N workers use N cores and never oversubscribe a small machine.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pebble import ProcessPool

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
    # Nothing heavy here: a process killed while it initializes breaks a pebble pool, and the
    # engines are imported by the first job that needs them (once per process).
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


# --- in the serving process -----------------------------------------------------------------


class SimulationPool:
    """``size`` worker processes; ``submit`` returns a future (TimeoutError past ``timeout`` s,
    ``pebble.ProcessExpired`` when the process died, CancelledError after ``cancel()``)."""

    def __init__(self, size: int, db_url: str) -> None:
        # Inherited by the spawned processes before they import numpy or qiskit.
        for name in THREAD_VARIABLES:
            os.environ[name] = "1"
        self.size, self.db_url = size, db_url
        self._lock = threading.Lock()
        self._pool = self._new()

    def _new(self) -> ProcessPool:
        from pebble import ProcessPool

        return ProcessPool(max_workers=self.size, context=multiprocessing.get_context("spawn"),
                           initializer=_initialize, initargs=(self.db_url,))

    def submit(self, task: Task, timeout: float | None) -> Future[Outcome]:
        with self._lock:
            try:
                future: Future[Outcome] = self._pool.schedule(run_task, args=(task,), timeout=timeout)
            except RuntimeError:  # the pool broke (its processes died at an awkward moment): a new one
                self._pool.stop()  # type: ignore[no-untyped-call]
                self._pool = self._new()
                future = self._pool.schedule(run_task, args=(task,), timeout=timeout)
            return future

    def close(self) -> None:
        if self._pool.active:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join(10)
