"""Admission: refuse, before queueing, jobs that cannot finish within the time limit or that the
account cannot pay for (``submission.check_credit``), instead of letting them time out or run
the account into debt.

The time estimate is a *lower bound*: amplitude updates of the least work the simulator can do
(one state vector pass, a density matrix, or one trajectory per shot where every shot needs its
own pass) at a throughput faster than the fastest engine reaches on this kind of machine. A job
refused here could not have finished; a job admitted may still be stopped by the time limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select

from openqcs.billing.usage import is_billed
from openqcs.db.base import UTCDateTime
from openqcs.errors import InvalidArgument
from openqcs.execution.models import QUEUED, RUNNING, SUCCEEDED, ExecutionJob

BILLING_GRACE_SECONDS = 30  # how long after a job's end its usage may still be landing

# Amplitude updates per second, ~5x what the fastest engine measured here (qsim, ~8.5e9/s on
# 22-24 qubit circuits; qiskit-aer ~7e8/s), so the estimate stays a lower bound on a faster machine.
FAST_UPDATES_PER_SECOND = 4e10
DENSITY_MATRIX_MAX_QUBITS = 10


@dataclass(frozen=True)
class Cost:
    qubits: int
    operations: int
    shots: int
    method: str
    updates: float

    @property
    def seconds(self) -> float:
        return self.updates / FAST_UPDATES_PER_SECOND

    def describe(self) -> str:
        return f"{self.qubits} qubits, {self.operations} operations, {self.shots} shots, {self.method}"


@lru_cache(maxsize=256)
def shape(program: str) -> tuple[int, int, bool, bool]:
    from openqcs.simulator.program import parse_program

    parsed = parse_program(program)
    return len(parsed.qubits), len(parsed.ops), bool(parsed.has_control), bool(parsed.sampleable)


# Noiseless programs sampled from one state on up to this many qubits run on the numpy reference
# engine: measured 15x (2 qubits) to 3.5x (12 qubits) faster than qiskit-aer's set-up here.
REFERENCE_MAX_QUBITS = 12


def engine_for(program: str, noiseless: bool) -> str:
    qubits, _, _control, sampleable = shape(program)
    return "reference" if noiseless and sampleable and qubits <= REFERENCE_MAX_QUBITS else "auto"


def estimate(program: str, isa: dict[str, Any], shots: int, noiseless: bool) -> Cost:
    """The least simulation work the job needs (``isa``: the processor's; noise follows it)."""
    qubits, ops, control, sampleable = shape(program)
    ops = max(ops, 1)
    state = 2.0 ** qubits * ops
    if control:
        return Cost(qubits, ops, shots, "per-shot interpreter (classical control)", state * shots)
    if noiseless:
        if sampleable:
            return Cost(qubits, ops, shots, "noiseless state vector", state)
        return Cost(qubits, ops, shots, "noiseless, one trajectory per shot", state * shots)
    if sampleable and qubits <= DENSITY_MATRIX_MAX_QUBITS:
        return Cost(qubits, ops, shots, "noisy density matrix", 4.0 ** qubits * ops)
    if sampleable:  # wide and noisy: sampled noise realizations, at least one state vector pass
        return Cost(qubits, ops, shots, "noisy, sampled noise realizations", state)
    return Cost(qubits, ops, shots, "noisy, one trajectory per shot", state * shots)


def check_time(cost: Cost, limit: float) -> None:
    """InvalidArgument when the job needs more than ``limit`` seconds (0: no limit)."""
    if limit and cost.seconds > limit:
        raise InvalidArgument(
            f"this job needs at least {cost.seconds:.0f} s to simulate ({cost.describe()}), more than the per-job "
            f"time limit of {limit:g} s (OPENQCS_JOB_TIME_LIMIT_SECONDS); use fewer qubits, operations or shots")


# Jobs of an account that will be billed but are not yet: queued, running, or just finished
# with their usage still on its way (a worker bills right after pushing the result). Index
# seeks only (ix_execution_jobs_account_status, the billed marks' key): the cost does not grow
# with the account's history. Binds: type, id, since (now - BILLING_GRACE_SECONDS).
# ``exact=False``: finished jobs counted whether billed or not, from the covering index alone (an
# upper bound, ~20x cheaper at 50 jobs a second: the window then holds ~1,500 finished jobs).
def _outstanding(*, exact: bool) -> Select[tuple[int]]:
    mine = (ExecutionJob.account_type == bindparam("type"), ExecutionJob.account_id == bindparam("id"))
    active = (select(func.count()).select_from(ExecutionJob)
              # OR, not IN: an IN list is rendered at execution, and this runs on a driver cursor.
              .where(*mine, or_(ExecutionJob.status == QUEUED, ExecutionJob.status == RUNNING)))
    recent = (select(func.count()).select_from(ExecutionJob)
              .where(*mine, ExecutionJob.status == SUCCEEDED,
                     ExecutionJob.finished_time >= bindparam("since", type_=UTCDateTime())))
    if exact:
        recent = recent.where(~is_billed(ExecutionJob.id))
    return select(active.scalar_subquery() + recent.scalar_subquery())


# Built once: they run in every submission (``submission.check_credit``): the bound, and the
# exact count only when the bound is more than the account can pay for.
OUTSTANDING_BOUND = _outstanding(exact=False)
OUTSTANDING = _outstanding(exact=True)
