"""Billing finished jobs' usage, a few at a time, off the path of results.

A job's usage is billed after its result is pushed; done right there, each job's billing
transaction competes with the client's next Execute for the interpreter and SQLite's write
lock. The biller collects finished jobs and bills them together BATCH_SECONDS later, in one
transaction (if it fails, each job in its own). Until a job is billed, admission counts it as
not billed yet (``admission.OUTSTANDING``, for up to ``admission.BILLING_GRACE_SECONDS``).

Nothing is lost on a crash: at start and every SWEEP_SECONDS the biller also bills finished
jobs that have no billed mark (a process that died between the result and its batch, a batch
that failed). Billing is once per job whoever does it (``billing.usage.bill_jobs``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, TextualSelect, bindparam, text

from openqcs.billing.rates import rate_cache
from openqcs.billing.usage import JobUsage, bill_jobs
from openqcs.context import AppContext
from openqcs.db.base import UTCDateTime
from openqcs.execution import metrics
from openqcs.execution.models import SUCCEEDED
from openqcs.identity.accounts import Account
from openqcs.reservations.prepared import write_transaction

BATCH_SECONDS = 0.2
SWEEP_SECONDS = 30.0
# A sweep leaves alone jobs this recent: their batch may still be on its way.
SETTLE_SECONDS = 10.0
# How far back the first sweep of a process looks (later ones: since the previous one).
RECOVERY_DAYS = 7
SWEEP_LIMIT = 500


@dataclass(frozen=True)
class Usage:
    job_id: str
    account: Account
    processor_id: str
    duration_us: int
    at: datetime


def _bill_all(ctx: AppContext, usages: list[Usage]) -> int:
    prices = rate_cache(ctx.db)
    jobs = [(JobUsage(u.job_id, u.account, u.processor_id, u.duration_us, u.at), prices.usage_prices(u.processor_id))
            for u in usages]
    with write_transaction(ctx.db) as tx:
        return bill_jobs(tx, jobs)


def bill(ctx: AppContext, usages: list[Usage]) -> int:
    """Record each job's completion and time; return how many were billed now (not before).

    A billing fault is logged, never raised (the job ran); what it left unbilled, the sweep bills."""
    if not usages:
        return 0
    try:
        return _bill_all(ctx, usages)
    except Exception:
        if len(usages) == 1:
            metrics.log.exception("usage not recorded", extra={"job": usages[0].job_id})
            return 0
    return sum(bill(ctx, [usage]) for usage in usages)  # so one bad job does not hold up the others


# Per billed account an index seek (ix_execution_jobs_account_status: account, status, finished
# time), then key seeks on the billed marks and the ledger's references: the cost follows the
# accounts and the jobs in the window, not the history. The join order is forced (SQLite: CROSS
# JOIN; PostgreSQL: a LATERAL subquery with a LIMIT, which the planner cannot flatten): either
# planner, left free, may scan every succeeded job of ix_execution_jobs_status_created instead.
_COLUMNS = "j.id, j.account_type, j.account_id, j.processor_id, j.duration_us, j.finished_time"
_WHERE = ("j.account_type = a.account_type AND j.account_id = a.account_id AND j.status = :status "
          "AND j.finished_time >= :since AND j.finished_time < :until "
          "AND NOT EXISTS (SELECT 1 FROM billing_usage_jobs b WHERE b.reference = j.id) "
          # A snapshot from before the marks (``core/state.py`` import) has the entries only.
          "AND NOT EXISTS (SELECT 1 FROM billing_ledger_entries l WHERE l.reference = j.id)")
_SQL = {"postgresql": f"SELECT j.* FROM billing_accounts a CROSS JOIN LATERAL (SELECT {_COLUMNS} "
                      f"FROM execution_jobs j WHERE {_WHERE} LIMIT :limit) j LIMIT :limit",
        "sqlite": f"SELECT {_COLUMNS} FROM billing_accounts a CROSS JOIN execution_jobs j WHERE {_WHERE} LIMIT :limit"}


def _unbilled(dialect: str) -> TextualSelect:
    return (text(_SQL[dialect])
            .bindparams(bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()),
                        status=SUCCEEDED, limit=SWEEP_LIMIT)
            .columns(id=String(), account_type=String(), account_id=String(), processor_id=String(),
                     duration_us=Integer(), finished_time=UTCDateTime()))


_UNBILLED = {dialect: _unbilled(dialect) for dialect in ("postgresql", "sqlite")}


def sweep(ctx: AppContext, since: datetime, until: datetime) -> int:
    """Bill the jobs that finished in [since, until) and are not billed; return how many."""
    query = _UNBILLED["postgresql" if ctx.db.engine.dialect.name == "postgresql" else "sqlite"]
    billed = 0
    while True:  # what is billed drops out of the query
        with ctx.db.session() as session:
            rows = session.execute(query, {"since": since, "until": until}).all()
        usages = [Usage(job_id, Account(account_id, account_type), processor_id, int(duration_us or 0), finished)
                  for job_id, account_type, account_id, processor_id, duration_us, finished in rows]
        done = bill(ctx, usages)
        billed += done
        if len(rows) < SWEEP_LIMIT or done == 0:
            break
    if billed:
        metrics.log.info("unbilled jobs billed", extra={"jobs": billed})
    return billed


class Biller:
    """Bills what ``add`` is given within BATCH_SECONDS, on a thread of its own; ``stop`` bills the rest."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._pending: list[Usage] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._swept: datetime | None = None  # the end of the last sweep's window
        self._thread = threading.Thread(target=self._run, name="openqcs-usage", daemon=True)
        self._thread.start()

    def add(self, usage: Usage) -> None:
        with self._lock:
            self._pending.append(usage)
        self._wake.set()

    def _run(self) -> None:
        self.sweep()
        due = time.monotonic() + SWEEP_SECONDS
        while not self._stopping.is_set():
            if self._wake.wait(max(0.0, due - time.monotonic())):
                self._stopping.wait(BATCH_SECONDS)  # let a batch gather (at once when stopping)
                self._wake.clear()
                self.flush()
            if time.monotonic() >= due:
                self.sweep()
                due = time.monotonic() + SWEEP_SECONDS

    def sweep(self) -> None:
        """Bill what finished since the previous sweep (the first: RECOVERY_DAYS back) and is not billed."""
        now = self.ctx.clock.now()
        until = now - timedelta(seconds=SETTLE_SECONDS)
        since = self._swept - timedelta(seconds=SETTLE_SECONDS) if self._swept else now - timedelta(days=RECOVERY_DAYS)
        try:
            sweep(self.ctx, since, until)
            self._swept = until
        except Exception:
            metrics.log.exception("unbilled jobs not swept")

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        bill(self.ctx, batch)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(10)
        self.flush()
