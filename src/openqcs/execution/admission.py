"""Admission: refuse, before queueing, jobs that cannot finish within the time limit or that the
account cannot pay for, instead of letting them time out or run the account into debt.

The time estimate is a *lower bound*: amplitude updates of the least work the simulator can do
(one state vector pass, a density matrix, or one trajectory per shot where every shot needs its
own pass) at a throughput faster than the fastest engine reaches on this kind of machine. A job
refused here could not have finished; a job admitted may still be stopped by the time limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from openqcs.billing import pricing
from openqcs.billing.service import balance_cents, event_price
from openqcs.billing.usage import is_billed
from openqcs.db.base import UTCDateTime
from openqcs.errors import InvalidArgument, PaymentRequired
from openqcs.execution.models import QUEUED, RUNNING, SUCCEEDED, ExecutionJob
from openqcs.identity.accounts import Account

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


def check_credit(session: Session, account: Account, processor_id: str, cost: Cost, jobs: int,
                 now: datetime) -> None:
    """PaymentRequired when the account's credit does not cover the jobs' completion price,
    counting the jobs it already has that are not billed yet."""
    # The account row lock serializes submissions (and billing) of one account, so two
    # concurrent submissions cannot both spend the same credit.
    balance = balance_cents(session, account, lock=True)
    outstanding = outstanding_jobs(session, account, now)
    price = pricing.amount_cents(event_price(session, "qpuJobCompletion", processor_id).rule, jobs + outstanding)
    if price <= 0 or balance >= price:
        return
    raise PaymentRequired(
        f"insufficient credit: {jobs} job(s) on {processor_id}"
        + (f" (after {outstanding} not billed yet)" if outstanding else "")
        + f" cost at least {price} cents and the {account.type} account '{account.id}' has {balance}; "
        "ask an administrator for credit (openqcs admin credit add)")


def outstanding_jobs(session: Session, account: Account, now: datetime) -> int:
    """Jobs of the account that will be billed but are not yet: queued, running, or just finished
    with their usage still on its way (a worker bills right after pushing the result).

    Index seeks only (ix_execution_jobs_account_status, the billed marks' key): the
    cost does not grow with the account's history."""
    since = now - timedelta(seconds=BILLING_GRACE_SECONDS)
    return int(session.scalar(_OUTSTANDING, {"type": account.type, "id": account.id, "since": since}) or 0)


def _outstanding() -> Select[tuple[int]]:
    mine = (ExecutionJob.account_type == bindparam("type"), ExecutionJob.account_id == bindparam("id"))
    active = select(func.count()).select_from(ExecutionJob).where(*mine, ExecutionJob.status.in_((QUEUED, RUNNING)))
    billed = is_billed(ExecutionJob.id)
    unbilled = (select(func.count()).select_from(ExecutionJob)
                .where(*mine, ExecutionJob.status == SUCCEEDED,
                       ExecutionJob.finished_time >= bindparam("since", type_=UTCDateTime()), ~billed))
    return select(active.scalar_subquery() + unbilled.scalar_subquery())


# One statement, built once: it runs in every submission.
_OUTSTANDING = _outstanding()
