"""Admission: refuse, before queueing, jobs that cannot finish within the time limit or that the
account cannot pay for, instead of letting them time out or run the account into debt.

The time estimate is a *lower bound*: amplitude updates of the path the simulator will take
(state vector, density matrix, one trajectory per shot, or sampled noise realizations) at a
throughput faster than qiskit-aer reaches on this kind of machine. A job refused here could
not have finished; a job admitted may still be stopped by the time limit while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from openqcs.errors import InvalidArgument, PaymentRequired
from openqcs.identity.accounts import Account

# Amplitude updates per second, ~5x what qiskit-aer measured here (1.4-1.5 ns each for 20-26
# qubit circuits), so the estimate stays a lower bound on a faster machine too.
FAST_UPDATES_PER_SECOND = 3e9
# The simulator's own thresholds (openqcs.simulator.engines.aer), mirrored for the estimate.
DENSITY_MATRIX_MAX_QUBITS = 10
TRAJECTORY_BUDGET = 4e9
MIN_REALIZATIONS, MAX_REALIZATIONS = 16, 64


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
    qubits, _, control, sampleable = shape(program)
    return "reference" if noiseless and sampleable and qubits <= REFERENCE_MAX_QUBITS else "auto"


def estimate(program: str, isa: dict, shots: int, noiseless: bool) -> Cost:
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
    if sampleable and state * shots > TRAJECTORY_BUDGET:
        count = min(MAX_REALIZATIONS, max(MIN_REALIZATIONS, TRAJECTORY_BUDGET // state))
        if count < shots:
            return Cost(qubits, ops, shots, f"noisy, {int(count)} sampled noise realizations", state * count)
    return Cost(qubits, ops, shots, "noisy, one trajectory per shot", state * shots)


def check_time(cost: Cost, limit: float) -> None:
    """InvalidArgument when the job needs more than ``limit`` seconds (0: no limit)."""
    if limit and cost.seconds > limit:
        raise InvalidArgument(
            f"this job needs at least {cost.seconds:.0f} s to simulate ({cost.describe()}), more than the per-job "
            f"time limit of {limit:g} s (OPENQCS_JOB_TIME_LIMIT_SECONDS); use fewer qubits, operations or shots")


def check_credit(session: Session, account: Account, processor_id: str, cost: Cost, jobs: int) -> None:
    """PaymentRequired when the account's credit does not cover the jobs' completion price."""
    try:
        from openqcs.billing import pricing
        from openqcs.billing.service import balance_cents, event_price
    except ImportError:
        return
    price = pricing.amount_cents(event_price(session, "qpuJobCompletion", processor_id).rule, jobs)
    if price <= 0:
        return
    balance = balance_cents(session, account)
    if balance < price:
        raise PaymentRequired(
            f"insufficient credit: {jobs} job(s) on {processor_id} cost at least {price} cents and the "
            f"{account.type} account '{account.id}' has {balance}; ask an administrator for credit "
            "(openqcs admin credit add)")
