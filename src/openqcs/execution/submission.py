"""Execute's write transaction: who pays, whether they can, and the jobs' rows, in a few
statements on the driver's cursor (``reservations/prepared.py``).

Everything a submission can check without writing (decryption, target, ISA, program, memory,
time budget) is done before, outside the write lock (``controller.check``). Here: the active
reservation (whose account pays), the paying account's balance (locked on PostgreSQL, so one
account's submissions and billing take turns; SQLite's write lock does the same), its jobs not
billed yet, whether anything waits in the queue (a hand-over must not jump it), and one insert
per job. Each statement costs ~20 µs there against ~150-250 µs through the ORM, and every
parametric re-run pays for all of them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import Table, bindparam, func, insert, select

from openqcs.billing import pricing
from openqcs.billing.models import BillingAccount
from openqcs.billing.rates import RateCache
from openqcs.db.base import UTCDateTime
from openqcs.errors import PaymentRequired
from openqcs.execution import notify, queue
from openqcs.execution.admission import BILLING_GRACE_SECONDS, OUTSTANDING, OUTSTANDING_BOUND
from openqcs.execution.handoff import Inbox
from openqcs.execution.models import QUEUED, RUNNING, ExecutionJob
from openqcs.execution.queue import Claimed
from openqcs.identity.accounts import Account, may_act_for
from openqcs.identity.principal import Principal
from openqcs.reservations.models import Reservation
from openqcs.reservations.prepared import Transaction


@dataclass(frozen=True)
class Checked:
    """A submission that passed every check made before the write transaction."""

    processor_id: str
    endpoint_id: str
    program: str
    shots: int
    readout: str  # JSON, as stored
    memories: list[dict[str, list[float]]]


class ReservedByOther(Exception):
    """Another account holds the processor now: the caller may not run
    (``service.reserved_refusal`` words it)."""

    def __init__(self, processor_id: str) -> None:
        super().__init__(processor_id)
        self.processor_id = processor_id


_AT = bindparam("at", type_=UTCDateTime())
_RESERVATIONS = cast(Table, Reservation.__table__)
_HOLDER = (select(_RESERVATIONS.c.account_id, _RESERVATIONS.c.account_type)
           .where(_RESERVATIONS.c.processor_id == bindparam("processor"), _RESERVATIONS.c.cancelled.is_(False),
                  _RESERVATIONS.c.start_time <= _AT, _RESERVATIONS.c.end_time > _AT).limit(1))
_ACCOUNTS = cast(Table, BillingAccount.__table__)
_BALANCE = (select(_ACCOUNTS.c.balance_cents)
            .where(_ACCOUNTS.c.account_type == bindparam("type"), _ACCOUNTS.c.account_id == bindparam("id"))
            .with_for_update())
_JOBS = cast(Table, ExecutionJob.__table__)
_INSERT = insert(_JOBS)
_NOTIFY_QUEUED = select(func.pg_notify(notify.QUEUED_CHANNEL, ""))


def new_job_id() -> str:
    # Time first, so jobs submitted together (same created_time) are taken in submission order.
    return f"job-{time.time_ns():016x}{secrets.token_hex(6)}"


def paying_account(tx: Transaction, viewer: Principal, processor_id: str, now: datetime) -> Account:
    """The reservation holder's account, or the caller's own when the processor is not reserved;
    ReservedByOther when someone else holds it."""
    holder = tx.one(_HOLDER, {"processor": processor_id, "at": now})
    if holder is None:
        return Account.of_user(viewer)
    account = Account(holder[0], holder[1])
    if not may_act_for(viewer, account):
        raise ReservedByOther(processor_id)
    return account


def check_credit(tx: Transaction, account: Account, processor_id: str, jobs: int, now: datetime,
                 rates: RateCache) -> None:
    """PaymentRequired when the account's credit does not cover the jobs' completion price,
    counting its jobs not billed yet."""
    row = tx.one(_BALANCE, {"type": account.type, "id": account.id})
    balance = int(row[0]) if row else 0
    rule = rates.usage_prices(processor_id)["qpuJobCompletion"].rule
    params = {"type": account.type, "id": account.id, "since": now - timedelta(seconds=BILLING_GRACE_SECONDS)}
    for statement in (OUTSTANDING_BOUND, OUTSTANDING):  # the exact count only when the bound is too much
        counted = tx.one(statement, params)
        outstanding = int(counted[0] or 0) if counted else 0
        price = pricing.amount_cents(rule, jobs + outstanding)
        if price <= 0 or balance >= price:
            return
    raise PaymentRequired(
        f"insufficient credit: {jobs} job(s) on {processor_id}"
        + (f" (after {outstanding} not billed yet)" if outstanding else "")
        + f" cost at least {price} cents and the {account.type} account '{account.id}' has {balance}; "
        "ask an administrator for credit (openqcs admin credit add)")


def queue_jobs(tx: Transaction, viewer: Principal, checked: list[Checked], now: datetime, *,
               rates: RateCache, postgres: bool, runner: Inbox[Claimed] | None = None) -> tuple[list[list[str]], bool]:
    """Insert one job per memory map of each submission; returns their ids (per submission) and
    whether any went to the queue (then call ``notify.queued`` after the commit).

    ``runner``: an idle worker reserved for this call; when nothing else waits, the first job is
    stored running under its lease and left in ``runner.pending`` (``deliver`` it after the commit).
    """
    batches: list[list[str]] = []
    queued = False
    hand = runner is not None and tx.one(queue.ANY_TAKEABLE, {"now": now}) is None
    for sub in checked:
        account = paying_account(tx, viewer, sub.processor_id, now)
        check_credit(tx, account, sub.processor_id, len(sub.memories), now, rates)
        ids = []
        for memory in sub.memories:
            row: dict[str, Any] = {
                "id": new_job_id(), "processor_id": sub.processor_id, "endpoint_id": sub.endpoint_id or None,
                "user_id": viewer.user_id, "account_type": account.type, "account_id": account.id,
                "program": sub.program, "shots": sub.shots, "readout": sub.readout,
                "memory": _json(memory), "status": QUEUED, "status_message": "", "result": None,
                "duration_us": 0, "attempts": 0, "worker_id": None, "lease_until": None,
                "created_time": now, "started_time": None, "finished_time": None}
            if hand and runner is not None and runner.pending is None:
                row.update(status=RUNNING, worker_id=runner.worker_id, attempts=1, lease_until=now + runner.lease,
                           started_time=now)
                runner.pending = Claimed(row["id"], sub.processor_id, sub.program, sub.shots, memory, 1, now)
            else:
                queued = True
            tx.run(_INSERT, row)
            ids.append(row["id"])
        batches.append(ids)
    if queued and postgres:
        tx.run(_NOTIFY_QUEUED, {})
    return batches, queued


def _json(memory: dict[str, list[float]]) -> str:
    return msgspec.json.encode(memory).decode()
